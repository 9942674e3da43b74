// Photoroom's /v2/edit as a form (https://www.photoroom.com/api/docs):
// multipart with imageFile or imageUrl, the key in x-api-key.

import { apiKey, errorOf } from "./api.js";
import { $, say, formatBytes } from "./dom.js";

const FIELDS = {
  "background.color": "#pr-bg",
  "background.prompt": "#pr-prompt",
  padding: "#pr-padding",
  margin: "#pr-margin",
  "shadow.mode": "#pr-shadow",
  "outline.color": "#pr-outline-color",
  "outline.width": "#pr-outline-width",
  outputSize: "#pr-size",
};

async function submit(ev) {
  ev.preventDefault();
  const status = $("#pr-status");
  const form = new FormData();
  const file = $("#pr-file").files[0];
  const url = $("#pr-url").value.trim();
  if (file) form.append("imageFile", file);
  else if (url) form.append("imageUrl", url);
  for (const [name, selector] of Object.entries(FIELDS)) {
    const value = $(selector).value.trim();
    if (value) form.append(name, value);
  }
  say(status, "Editing…");
  const started = performance.now();
  try {
    const response = await fetch("/v2/edit", { method: "POST", headers: { "x-api-key": apiKey() }, body: form });
    if (!response.ok) throw await errorOf(response);
    const blob = await response.blob();
    const img = $("#pr-result");
    img.src = URL.createObjectURL(blob);
    await img.decode().catch(() => {});
    const ms = Math.round(performance.now() - started);
    $("#pr-facts").textContent = `${img.naturalWidth} × ${img.naturalHeight} px · ${blob.type} · ${formatBytes(blob.size)} · ${ms} ms`;
    say(status, "Edited");
  } catch (err) {
    say(status, `${err.code || "error"}${err.parameter ? ` (${err.parameter})` : ""}: ${err.message}`, true);
  }
}

export function setup() {
  $("#pr-form").addEventListener("submit", submit);
}

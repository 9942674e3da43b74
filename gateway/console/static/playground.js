// The transformation playground: controls -> one edit -> its ImageKit URL,
// rendered by the gateway beside the original, and the same edit written in
// every dialect (dialects.js). Errors are shown as the gateway words them,
// beside the control whose parameter they name.

import { fetchImage, hmacSha1 } from "./api.js";
import { $, el, say, formatBytes } from "./dom.js";
import { IMAGEKIT_KEYS, everyDialect, imagekitUrl } from "./dialects.js";

const SIGNING = "imgmesh.signingKey";
const NO_EXPIRY = "9999999999";
const CONTROLS = {
  width: "#pg-w", height: "#pg-h", crop: "#pg-crop", focus: "#pg-focus", format: "#pg-format",
  quality: "#pg-q", blur: "#pg-blur", sharpen: "#pg-sharpen", contrast: "#pg-contrast",
  rotate: "#pg-rotate", flip: "#pg-flip", radius: "#pg-radius", border: "#pg-border",
  text: "#pg-text", image: "#pg-image", bgremove: "#pg-bgremove", shadow: "#pg-shadow",
  upscale: "#pg-upscale", raw: "#pg-raw",
};

function base() {
  return window.location.origin;
}

/** The controls' values: {width, height, crop, ...}; empty ones left out. */
export function currentEdit() {
  const e = {};
  for (const [name, selector] of Object.entries(CONTROLS)) {
    const input = $(selector);
    const value = input.type === "checkbox" ? input.checked : input.value.trim();
    if (value) e[name] = value;
  }
  return e;
}

/** ImageKit's signed variant: ik-s over the URL after the endpoint + expiry. */
async function signed(url, key) {
  const after = url.slice(base().length + 1);
  const sig = await hmacSha1(key, after + NO_EXPIRY);
  return `${url}${url.includes("?") ? "&" : "?"}ik-s=${sig}`;
}

function clearErrors() {
  for (const node of document.querySelectorAll("#pg-form .field-error")) node.remove();
  for (const node of document.querySelectorAll("#pg-form [aria-invalid]")) node.removeAttribute("aria-invalid");
}

/** The control a gateway error's ``parameter`` names: the control set to
 * that ImageKit key, else the raw field (which holds the rest of the edit). */
function controlFor(parameter, edit) {
  const key = String(parameter || "");
  const name = Object.keys(IMAGEKIT_KEYS).find(
    (n) => n !== "raw" && edit[n] && (IMAGEKIT_KEYS[n] === key || key.startsWith(IMAGEKIT_KEYS[n] + "-")),
  );
  return $(CONTROLS[name || "raw"]);
}

function showError(err, edit) {
  const control = controlFor(err.parameter, edit);
  control.setAttribute("aria-invalid", "true");
  const note = el("span", { class: "field-error", role: "status" }, err.message);
  control.closest("label").after(note);
  say($("#pg-status"), `${err.code || "error"}: ${err.message}`, true);
}

function copyButton(url) {
  const b = el("button", { type: "button" }, "Copy");
  b.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(url);
      b.textContent = "Copied";
    } catch {
      b.textContent = "Copy failed";
    }
  });
  return b;
}

function dialectRow({ dialect, url, reason }) {
  const name = el("span", { class: "dialect" }, dialect);
  if (!url) return el("li", { "data-dialect": dialect }, name, el("span", { class: "hint" }, reason));
  const link = el("a", { href: url, target: "_blank", rel: "noopener", "data-url": url }, url);
  return el("li", { "data-dialect": dialect }, name, link, copyButton(url));
}

function sourceOf() {
  return $("#pg-source").value.trim();
}

async function showOriginal(source) {
  const img = $("#pg-original");
  const url = imagekitUrl(base(), source, {});
  try {
    const got = await fetchImage(url);
    img.src = got.url;
    await img.decode().catch(() => {});
    $("#pg-original-facts").textContent = `${img.naturalWidth} × ${img.naturalHeight} px · ${got.type} · ${formatBytes(got.bytes)}`;
  } catch (err) {
    $("#pg-original-facts").textContent = err.message;
  }
}

/** Render the current edit and list its URLs. */
export async function render() {
  clearErrors();
  const source = sourceOf();
  const e = currentEdit();
  const status = $("#pg-status");
  const key = sessionStorage.getItem(SIGNING) || "";
  const rows = everyDialect(base(), source, e);
  if (key) rows.splice(1, 0, { dialect: "ImageKit (signed)", url: await signed(rows[0].url, key) });
  $("#pg-dialects").replaceChildren(...rows.map(dialectRow));
  say(status, "Rendering…");
  showOriginal(source);
  const url = key ? rows[1].url : rows[0].url;
  try {
    const got = await fetchImage(url);
    const img = $("#pg-result");
    img.src = got.url;
    img.dataset.url = url;
    await img.decode().catch(() => {});
    $("#pg-result-facts").textContent =
      `${img.naturalWidth} × ${img.naturalHeight} px · ${got.type} · ${formatBytes(got.bytes)} · ${got.ms} ms` +
      (got.cache ? ` · cache ${got.cache}` : "");
    say(status, "Rendered");
  } catch (err) {
    showError(err, e);
  }
}

/** Wire the playground; ``use(source)`` opens a source in it. */
export function setup() {
  $("#pg-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    render();
  });
  const signing = $("#pg-signing-key");
  signing.value = sessionStorage.getItem(SIGNING) || "";
  signing.addEventListener("change", () => {
    if (signing.value) sessionStorage.setItem(SIGNING, signing.value);
    else sessionStorage.removeItem(SIGNING);
  });
}

export function use(source) {
  $("#pg-source").value = source;
  render();
}

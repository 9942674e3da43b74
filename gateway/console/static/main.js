// The console's shell: sign-in (the key checked against GET /v1/files, kept in
// sessionStorage) and navigation between the views.

import { api, apiKey, setApiKey } from "./api.js";
import { $, say } from "./dom.js";
import * as library from "./library.js";
import * as playground from "./playground.js";
import * as cutout from "./cutout.js";
import * as photoroom from "./photoroom.js";

function show(view) {
  for (const section of document.querySelectorAll(".view")) section.hidden = section.id !== view;
  for (const b of document.querySelectorAll("#nav button")) {
    if (b.dataset.view === view) b.setAttribute("aria-current", "page");
    else b.removeAttribute("aria-current");
  }
  if (view === "library") library.load();
}

function signedIn(yes) {
  $("#signin").hidden = yes;
  $("#nav").hidden = !yes;
  $("#sign-out").hidden = !yes;
  if (yes) show("library");
  else for (const section of document.querySelectorAll(".view")) section.hidden = true;
}

async function signIn(key) {
  setApiKey(key);
  try {
    await api("/v1/files?limit=1");
    signedIn(true);
    say($("#signin-status"), "");
  } catch (err) {
    setApiKey("");
    say($("#signin-status"), err.status === 401 || err.status === 403 ? "That key is not valid." : err.message, true);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  library.setup((url) => {
    show("playground");
    playground.use(url);
  });
  playground.setup();
  cutout.setup();
  photoroom.setup();
  $("#signin-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    signIn($("#api-key").value.trim());
  });
  $("#sign-out").addEventListener("click", () => {
    setApiKey("");
    signedIn(false);
  });
  for (const b of document.querySelectorAll("#nav button")) b.addEventListener("click", () => show(b.dataset.view));
  if (apiKey()) signIn(apiKey());
});

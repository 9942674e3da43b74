// Media library: folders and files (GET /v1/files), search, sort, paging,
// uploads with progress (POST /api/v1/files/upload), file details with
// versions and extensions (the ImageKit Files API, as the SDK calls it).

import { api, uploadFile } from "./api.js";
import { $, el, say, formatBytes } from "./dom.js";

const PAGE = 40;
const THUMB = "w-160,h-160,c-at_max";
const PREVIEW = "w-480,h-480,c-at_max";
const POLL_MS = 1000;
const POLL_LIMIT_MS = 180000;

const state = { path: "/", search: "", sort: "DESC_CREATED", skip: 0, open: null, onPlayground: null };

function searchQuery(text) {
  const t = text.trim();
  if (!t) return "";
  if (t.startsWith("#")) return `tags IN [${JSON.stringify(t.slice(1))}]`;
  return t;
}

function query(extra) {
  const q = new URLSearchParams({ path: state.path, ...extra });
  return `/v1/files?${q}`;
}

/** A render of the file's current version (ik-obj-version: a new version is
 * a new URL, so the browser's cache never shows the old one). */
function rendition(file, tr) {
  if (file.fileType !== "image") return null;
  if (file.isPrivateFile) return null; // a private file's URL needs a signature
  const version = encodeURIComponent(file.versionInfo.id);
  return `${file.url}${file.url.includes("?") ? "&" : "?"}ik-obj-version=${version}&tr=${tr}`;
}

function thumbnail(file) {
  return rendition(file, THUMB);
}

function tile(file) {
  const src = thumbnail(file);
  const picture = src
    ? el("img", { src, alt: file.name, loading: "lazy", width: 160, height: 160 })
    : el("span", { class: "placeholder" }, file.isPrivateFile ? "private" : file.fileType);
  const open = el("button", { type: "button", "aria-label": `Open ${file.name}` }, picture);
  open.addEventListener("click", () => openFile(file.fileId));
  return el("li", { class: "tile", "data-file-id": file.fileId }, open, el("span", { class: "name" }, file.name));
}

function folderTile(folder) {
  const b = el("button", { type: "button" }, `📁 ${folder.name}`);
  b.addEventListener("click", () => {
    state.path = folder.folderPath;
    state.skip = 0;
    $("#lib-path").value = state.path;
    load();
  });
  return el("li", {}, b);
}

/** Folders and one page of files of the current folder. */
export async function load() {
  const status = $("#lib-status");
  say(status, "Loading…");
  try {
    const sq = searchQuery(state.search);
    const [folders, files] = await Promise.all([
      api(query({ type: "folder", limit: "100" })),
      api(query({ sort: state.sort, skip: String(state.skip), limit: String(PAGE + 1), ...(sq ? { searchQuery: sq } : {}) })),
    ]);
    const shown = files.slice(0, PAGE);
    $("#folders").replaceChildren(...folders.map(folderTile));
    $("#grid").replaceChildren(...shown.map(tile));
    $("#lib-prev").disabled = state.skip === 0;
    $("#lib-next").disabled = files.length <= PAGE;
    $("#lib-page").textContent = `page ${state.skip / PAGE + 1}`;
    say(status, shown.length ? `${shown.length} file(s) in ${state.path} and below` : `No files in ${state.path}`);
  } catch (err) {
    say(status, err.message, true);
  }
}

function uploadRow(file) {
  const bar = el("progress", { max: "1", value: "0", "aria-label": `Progress of ${file.name}` });
  const status = el("span", { role: "status", class: "upload-status" }, "uploading");
  const row = el("li", { class: "upload", "data-name": file.name }, el("span", { class: "name" }, file.name), bar, status);
  return { row, bar, status };
}

/** Upload many files at once, one progress bar and one outcome each. */
export async function uploadMany(fileList) {
  const files = Array.from(fileList);
  const rows = files.map(uploadRow);
  $("#uploads").replaceChildren(...rows.map((r) => r.row));
  await Promise.all(
    files.map(async (file, i) => {
      const { row, bar, status } = rows[i];
      try {
        await uploadFile(file, state.path, (ratio) => (bar.value = ratio));
        bar.value = 1;
        row.dataset.state = "done";
        say(status, "done");
      } catch (err) {
        row.dataset.state = "error";
        say(status, `refused: ${err.message}`, true);
      }
    }),
  );
  await load();
}

function facts(file) {
  const rows = [
    ["Name", file.name],
    ["Path", file.filePath],
    ["Size", formatBytes(file.size)],
    ["Format", file.mime],
    ["Dimensions", file.width ? `${file.width} × ${file.height} px` : "—"],
    ["Tags", (file.tags || []).join(", ") || "—"],
    ["AI tags", (file.AITags || []).map((t) => `${t.name} (${t.confidence})`).join(", ") || "—"],
    ["Custom metadata", JSON.stringify(file.customMetadata || {})],
    ["Version", file.versionInfo.name],
  ];
  return rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", { "data-fact": k }, v)]);
}

function showFile(file) {
  state.open = file;
  $("#details").hidden = false;
  $("#details-title").textContent = file.name;
  const preview = $("#details-preview");
  const src = rendition(file, PREVIEW);
  if (src) preview.src = src;
  else preview.removeAttribute("src");
  $("#details-facts").replaceChildren(...facts(file));
}

async function showVersions(file) {
  const versions = await api(`/v1/files/${file.fileId}/versions`);
  const current = file.versionInfo.id;
  const items = versions.map((v) => {
    const isCurrent = v.versionInfo.id === current;
    const open = el("a", { href: v.url, target: "_blank", rel: "noopener" }, "Open");
    const restore = el("button", { type: "button", disabled: isCurrent ? "" : null }, `Restore ${v.versionInfo.name}`);
    const del = el("button", { type: "button", class: "danger", disabled: isCurrent ? "" : null }, `Delete ${v.versionInfo.name}`);
    restore.addEventListener("click", () => versionAction(file, v, "restore"));
    del.addEventListener("click", () => versionAction(file, v, "delete"));
    const label = `${v.versionInfo.name}${isCurrent ? " (current)" : ""} · ${formatBytes(v.size)} · ${v.createdAt}`;
    return el("li", { "data-version-id": v.versionInfo.id }, el("span", {}, label), open, restore, del);
  });
  $("#versions").replaceChildren(...items);
}

async function versionAction(file, version, action) {
  const status = $("#details-status");
  try {
    if (action === "restore") {
      await api(`/v1/files/${file.fileId}/versions/${version.versionInfo.id}/restore`, { method: "PUT" });
      say(status, `${version.versionInfo.name} restored`);
    } else {
      if (!confirm(`Delete ${version.versionInfo.name} of ${file.name}?`)) return;
      await api(`/v1/files/${file.fileId}/versions/${version.versionInfo.id}`, { method: "DELETE" });
      say(status, `${version.versionInfo.name} deleted`);
    }
    await openFile(file.fileId, false);
    load();
  } catch (err) {
    say(status, err.message, true);
  }
}

/** Open a file's details. */
export async function openFile(fileId, clearStatus = true) {
  try {
    const file = await api(`/v1/files/${fileId}/details`);
    showFile(file);
    if (clearStatus) say($("#ext-status"), "");
    await showVersions(file);
  } catch (err) {
    say($("#details-status"), err.message, true);
  }
}

/** Describe extensionStatus ({name: pending|success|failed}). */
function describe(status) {
  return Object.entries(status).map(([k, v]) => `${k}: ${v}`).join(", ");
}

/** Start an extension (PATCH details) and follow it until it is done: a
 * remove-bg has succeeded when the file has a new version, auto-tagging when
 * its AITags are set (the public API's own signals; no webhook needed). */
async function runExtension(extension) {
  const file = state.open;
  const status = $("#ext-status");
  try {
    const before = await api(`/v1/files/${file.fileId}/versions`);
    const reply = await api(`/v1/files/${file.fileId}/details`, { method: "PATCH", json: { extensions: [extension] } });
    const ext = { ...(reply.extensionStatus || {}) };
    say(status, describe(ext));
    const started = Date.now();
    while (Object.values(ext).includes("pending") && Date.now() - started < POLL_LIMIT_MS) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      if (ext["remove-bg"] === "pending") {
        const versions = await api(`/v1/files/${file.fileId}/versions`);
        if (versions.length > before.length) ext["remove-bg"] = "success";
      }
      for (const name of ["google-auto-tagging", "aws-auto-tagging"]) {
        if (ext[name] === "pending") {
          const now = await api(`/v1/files/${file.fileId}/details`);
          if ((now.AITags || []).some((t) => t.source === name)) ext[name] = "success";
        }
      }
      say(status, describe(ext));
    }
    await openFile(file.fileId, false);
  } catch (err) {
    say(status, err.message, true);
  }
}

async function deleteOpen() {
  const file = state.open;
  if (!file || !confirm(`Delete ${file.name} and all its versions?`)) return;
  try {
    await api(`/v1/files/${file.fileId}`, { method: "DELETE" });
    $("#details").hidden = true;
    say($("#lib-status"), `${file.name} deleted`);
    load();
  } catch (err) {
    say($("#details-status"), err.message, true);
  }
}

/** Wire the library's controls; ``onPlayground(url)`` opens a file there. */
export function setup(onPlayground) {
  state.onPlayground = onPlayground;
  $("#lib-path").addEventListener("change", (e) => {
    state.path = e.target.value.trim() || "/";
    state.skip = 0;
    load();
  });
  let timer = 0;
  $("#lib-search").addEventListener("input", (e) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      state.search = e.target.value;
      state.skip = 0;
      load();
    }, 250);
  });
  $("#lib-sort").addEventListener("change", (e) => {
    state.sort = e.target.value;
    state.skip = 0;
    load();
  });
  $("#lib-refresh").addEventListener("click", load);
  $("#lib-prev").addEventListener("click", () => {
    state.skip = Math.max(0, state.skip - PAGE);
    load();
  });
  $("#lib-next").addEventListener("click", () => {
    state.skip += PAGE;
    load();
  });
  $("#upload").addEventListener("change", (e) => {
    if (e.target.files.length) uploadMany(e.target.files).then(() => (e.target.value = ""));
  });
  const drop = $("#drop");
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files.length) uploadMany(e.dataTransfer.files);
  });
  $("#ext-remove-bg").addEventListener("click", () => runExtension({ name: "remove-bg" }));
  $("#ext-auto-tagging").addEventListener("click", () =>
    runExtension({ name: "google-auto-tagging", maxTags: 5, minConfidence: 30 }),
  );
  $("#details-delete").addEventListener("click", deleteOpen);
  $("#details-close").addEventListener("click", () => ($("#details").hidden = true));
  $("#details-playground").addEventListener("click", () => state.open && onPlayground(state.open.url));
}

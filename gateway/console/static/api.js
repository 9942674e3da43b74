// The public HTTP APIs, as an app or the SDKs call them: the key goes in
// x-api-key (ImageKit's Files API and Photoroom's both accept it). The key is
// kept in sessionStorage: this tab only, gone when it closes.

const KEY = "imgmesh.apiKey";

export function apiKey() {
  return sessionStorage.getItem(KEY) || "";
}

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
}

/** An error answer of the gateway: {status, code, message, parameter}. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body.message || `HTTP ${status}`);
    this.status = status;
    this.code = body.code || "";
    this.parameter = body.parameter || "";
    this.allowed = body.allowed || "";
  }
}

/** The ApiError of a failed fetch() response (its JSON body, if any). */
export async function errorOf(response) {
  let body = {};
  try {
    body = await response.json();
  } catch {
    body = { message: `HTTP ${response.status}` };
  }
  return new ApiError(response.status, body);
}

/** fetch() with the key; JSON in (object `json`) and out; ApiError on 4xx/5xx. */
export async function api(path, { method = "GET", json, body, headers = {} } = {}) {
  const init = { method, headers: { "x-api-key": apiKey(), ...headers } };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  } else if (body !== undefined) {
    init.body = body;
  }
  const response = await fetch(path, init);
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  return type.includes("json") ? response.json() : response;
}

/** An image URL fetched as a blob, timed: {blob, url, ms, type, bytes, cache}. */
export async function fetchImage(url, headers = {}) {
  const started = performance.now();
  const response = await fetch(url, { headers });
  if (!response.ok) throw await errorOf(response);
  const blob = await response.blob();
  return {
    blob,
    url: URL.createObjectURL(blob),
    ms: Math.round(performance.now() - started),
    type: response.headers.get("Content-Type") || blob.type,
    bytes: blob.size,
    cache: response.headers.get("X-Imgmesh-Cache") || "",
  };
}

/** POST /api/v1/files/upload with progress (XMLHttpRequest: fetch has no
 * upload progress). Resolves to the File object; rejects with ApiError. */
export function uploadFile(file, folder, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append("file", file);
    form.append("fileName", file.name);
    form.append("folder", folder || "/");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/files/upload");
    xhr.setRequestHeader("x-api-key", apiKey());
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      let body = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = { message: `HTTP ${xhr.status}` };
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new ApiError(xhr.status, body));
    };
    xhr.onerror = () => reject(new ApiError(0, { message: "the upload did not reach the gateway" }));
    xhr.send(form);
  });
}

/** Lowercase hex HMAC-SHA1 (ImageKit's ik-s signature) with WebCrypto. */
export async function hmacSha1(key, text) {
  const enc = new TextEncoder();
  const k = await crypto.subtle.importKey("raw", enc.encode(key), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", k, enc.encode(text)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

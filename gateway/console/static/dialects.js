// One edit (the playground's controls) written in each URL dialect the
// gateway speaks. Each writer returns {url} or {reason} when the dialect has
// no spelling for a part of the edit: it never shows a URL that means
// something else. Grammars: ImageKit https://imagekit.io/docs/transformations,
// thumbor https://thumbor.readthedocs.io/en/latest/usage.html, imgproxy
// https://docs.imgproxy.net/usage/processing, Cloudinary
// https://cloudinary.com/documentation/transformation_reference.

/** The ImageKit key of each control (errors name these; see playground.js). */
export const IMAGEKIT_KEYS = {
  width: "w", height: "h", crop: "c", focus: "fo", format: "f", quality: "q",
  blur: "bl", sharpen: "e-sharpen", contrast: "e-contrast", rotate: "rt", flip: "fl",
  radius: "r", border: "b", text: "l-text", image: "l-image", bgremove: "e-bgremove",
  shadow: "e-dropshadow", upscale: "e-upscale", raw: "raw",
};

const CROP_IMAGEKIT = { at_max: "c-at_max", force: "c-force", pad_resize: "cm-pad_resize" };

function layerPath(path) {
  return path.replace(/^\/+/, "").replaceAll("/", "@@");
}

/** Layer text as ImageKit's ie- (URL-safe base64 of UTF-8, no padding). */
function textValue(text) {
  const bytes = new TextEncoder().encode(text);
  const b64 = btoa(String.fromCharCode(...bytes));
  return b64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The ImageKit transformation string (steps joined by ":"). */
export function imagekitTr(e) {
  const main = [];
  if (e.width) main.push(`w-${e.width}`);
  if (e.height) main.push(`h-${e.height}`);
  if (e.crop) main.push(CROP_IMAGEKIT[e.crop]);
  if (e.focus) main.push(`fo-${e.focus}`);
  if (e.format) main.push(`f-${e.format}`);
  if (e.quality) main.push(`q-${e.quality}`);
  if (e.blur) main.push(`bl-${e.blur}`);
  if (e.sharpen) main.push(`e-sharpen-${e.sharpen}`);
  if (e.contrast) main.push("e-contrast");
  if (e.rotate) main.push(`rt-${e.rotate}`);
  if (e.flip) main.push(`fl-${e.flip}`);
  if (e.radius) main.push(`r-${e.radius}`);
  if (e.border) main.push(`b-${e.border}`);
  const steps = [];
  if (e.bgremove) steps.push(e.shadow ? "e-bgremove,e-dropshadow" : "e-bgremove");
  else if (e.shadow) steps.push("e-dropshadow");
  if (main.length) steps.push(main.join(","));
  if (e.upscale) steps.push("e-upscale");
  if (e.text) steps.push(`l-text,ie-${textValue(e.text)},l-end`);
  if (e.image) steps.push(`l-image,i-${layerPath(e.image)},l-end`);
  if (e.raw) steps.push(e.raw.trim().replace(/^:+|:+$/g, ""));
  return steps.join(":");
}

/** Percent-encode a transformation for a query value, keeping , : readable. */
export function queryValue(tr) {
  return encodeURIComponent(tr).replaceAll("%2C", ",").replaceAll("%3A", ":").replaceAll("%40", "@");
}

function originPath(source) {
  return source.replace(/^\/+/, "");
}

/** ImageKit: `<base>/<path>?tr=...` (a library file's URL takes ?tr= too). */
export function imagekitUrl(base, source, e) {
  const tr = imagekitTr(e);
  const file = /^https?:/.test(source) ? source : `${base}/${originPath(source)}`;
  return tr ? `${file}${file.includes("?") ? "&" : "?"}tr=${queryValue(tr)}` : file;
}

function unsupported(e, keys) {
  const names = keys.filter((k) => e[k]);
  return names.length ? { reason: `no ${names.join(", ")} in this dialect` } : null;
}

const THUMBOR_ALIGN = { top: "top", bottom: "bottom", left: "left", right: "right" };

/** thumbor 7: /thumbor/unsafe/[fit-in/][-]WxH/[align/][smart/][filters:...]/path */
export function thumborUrl(base, source, e) {
  if (/^https?:/.test(source)) return { reason: "thumbor URLs name origin files" };
  const no = unsupported(e, ["raw", "text", "image", "bgremove", "shadow", "upscale", "border", "radius", "sharpen", "contrast"]);
  if (no) return no;
  if (e.crop === "force") return { reason: "thumbor has no stretch" };
  if (e.focus === "auto") return { reason: "thumbor's smart crop is faces, not objects" };
  const parts = [];
  if (e.crop === "at_max" || e.crop === "pad_resize") parts.push("fit-in");
  const w = `${e.flip === "h" ? "-" : ""}${e.width || 0}`;
  const h = `${e.flip === "v" ? "-" : ""}${e.height || 0}`;
  if (e.width || e.height || e.flip) parts.push(`${w}x${h}`);
  if (THUMBOR_ALIGN[e.focus]) parts.push(THUMBOR_ALIGN[e.focus]);
  if (e.focus === "face") parts.push("smart");
  const filters = [];
  if (e.crop === "pad_resize") filters.push("fill(white)");
  if (e.format) filters.push(`format(${e.format === "jpg" ? "jpeg" : e.format})`);
  if (e.quality) filters.push(`quality(${e.quality})`);
  if (e.blur) filters.push(`blur(${e.blur})`);
  if (e.rotate) filters.push(`rotate(${(360 - Number(e.rotate)) % 360})`);
  if (filters.length) parts.push(`filters:${filters.join(":")}`);
  parts.push(originPath(source));
  return { url: `${base}/thumbor/unsafe/${parts.join("/")}` };
}

const IMGPROXY_GRAVITY = { face: "obj:face", auto: "sm", top: "no", bottom: "so", left: "we", right: "ea" };
const IMGPROXY_RESIZE = { "": "fill", at_max: "fit", force: "force", pad_resize: "fit" };

/** imgproxy: /imgproxy/insecure/<options>/plain/local:///<path>[@ext] */
export function imgproxyUrl(base, source, e) {
  if (/^https?:/.test(source)) return { reason: "imgproxy URLs here name origin files" };
  const no = unsupported(e, ["raw", "text", "image", "bgremove", "shadow", "upscale", "border", "radius", "contrast", "blur", "sharpen"]);
  if (no) return no;
  const o = [];
  if (e.width || e.height) o.push(`rs:${IMGPROXY_RESIZE[e.crop || ""]}:${e.width || 0}:${e.height || 0}`);
  if (e.crop === "pad_resize") o.push("ex:1", "bg:255:255:255");
  if (e.focus) o.push(`g:${IMGPROXY_GRAVITY[e.focus]}`);
  if (e.quality) o.push(`q:${e.quality}`);
  if (e.rotate) o.push(`rot:${e.rotate}`);
  if (e.flip) o.push(`fl:${e.flip === "h" ? "1:0" : "0:1"}`);
  const ext = e.format ? `@${e.format}` : "";
  const opts = o.length ? `${o.join("/")}/` : "";
  return { url: `${base}/imgproxy/insecure/${opts}plain/local:///${originPath(source)}${ext}` };
}

const CLOUDINARY_CROP = { "": "fill", at_max: "limit", force: "scale", pad_resize: "pad" };
const CLOUDINARY_GRAVITY = { face: "face", auto: "auto", top: "north", bottom: "south", left: "west", right: "east" };

/** Cloudinary: /cloudinary/<cloud>/image/upload/<components>/<public id> */
export function cloudinaryUrl(base, source, e, cloud) {
  if (/^https?:/.test(source)) return { reason: "Cloudinary URLs here name origin files" };
  const no = unsupported(e, ["raw", "text", "image", "shadow"]);
  if (no) return no;
  const c = [];
  if (e.width || e.height) {
    c.push(`c_${CLOUDINARY_CROP[e.crop || ""]}`);
    if (e.crop === "pad_resize") c.push("b_white");
  }
  if (e.focus && (e.width && e.height) && e.crop !== "at_max" && e.crop !== "force") {
    c.push(`g_${CLOUDINARY_GRAVITY[e.focus]}`);
  } else if (e.focus && e.focus !== "face" && e.focus !== "auto") {
    return { reason: "Cloudinary's gravity needs a crop" };
  }
  if (e.height) c.push(`h_${e.height}`);
  if (e.width) c.push(`w_${e.width}`);
  const comps = [c.join(",")];
  if (e.format) comps.push(`f_${e.format}`);
  if (e.quality) comps.push(`q_${e.quality}`);
  if (e.blur) comps.push(`e_blur:${e.blur}`);
  if (e.sharpen) comps.push(`e_sharpen:${e.sharpen}`);
  if (e.contrast) comps.push("e_contrast");
  if (e.rotate) comps.push(`a_${e.rotate}`);
  if (e.flip) comps.push(e.flip === "h" ? "a_hflip" : "a_vflip");
  if (e.radius) comps.push(`r_${e.radius}`);
  if (e.border) {
    const [width, colour] = e.border.split("_");
    comps.push(`bo_${width}px_solid_rgb:${colour || "000000"}`);
  }
  if (e.bgremove) comps.push("e_background_removal");
  if (e.upscale) comps.push("e_upscale");
  const path = comps.filter(Boolean).join("/");
  return { url: `${base}/cloudinary/${cloud}/image/upload/${path ? path + "/" : ""}${originPath(source)}` };
}

/** Every dialect: [{dialect, url} | {dialect, reason}]. */
export function everyDialect(base, source, e, cloud = "demo") {
  return [
    { dialect: "ImageKit", url: imagekitUrl(base, source, e) },
    { dialect: "thumbor", ...thumborUrl(base, source, e) },
    { dialect: "imgproxy", ...imgproxyUrl(base, source, e) },
    { dialect: "Cloudinary", ...cloudinaryUrl(base, source, e, cloud) },
  ];
}

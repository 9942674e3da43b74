// Background removal, seen: the cut-out (ImageKit's e-bgremove) over the
// original with a before/after slider, and the matte over a checkerboard.

import { fetchImage } from "./api.js";
import { $, say, formatBytes } from "./dom.js";
import { imagekitUrl } from "./dialects.js";

const MODEL_HEADER = "x-imgmesh-segmentation-model";

/** Render the cut-out of the chosen source with the chosen model. */
export async function render() {
  const source = $("#co-source").value.trim();
  const model = $("#co-model").value;
  const status = $("#co-status");
  const base = window.location.origin;
  say(status, "Removing the background…");
  try {
    const headers = model ? { [MODEL_HEADER]: model } : {};
    const [before, after] = await Promise.all([
      fetchImage(imagekitUrl(base, source, {})),
      fetchImage(imagekitUrl(base, source, { bgremove: true, format: "png" }), headers),
    ]);
    $("#co-before").src = before.url;
    $("#co-after").src = after.url;
    $("#co-mask").src = after.url;
    await $("#co-mask").decode().catch(() => {});
    const img = $("#co-mask");
    say(
      status,
      `Model: ${model || "the service default (IMGMESH_SEGMENTATION_MODEL)"} · ` +
        `${img.naturalWidth} × ${img.naturalHeight} px · ${formatBytes(after.bytes)} · ${after.ms} ms`,
    );
  } catch (err) {
    say(status, `${err.code || "error"}: ${err.message}`, true);
  }
}

function slide() {
  $("#co-after-clip").style.clipPath = `inset(0 0 0 ${$("#co-slider").value}%)`;
}

export function setup() {
  $("#co-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    render();
  });
  $("#co-slider").addEventListener("input", slide);
  slide();
}

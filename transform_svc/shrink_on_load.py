"""JPEG thumbnails that let libjpeg do all the block shrinking it can.

libvips' ``thumbnail`` asks libjpeg for a DCT-domain shrink (1/2, 1/4, 1/8)
but always leaves at least a 2x reduce for its own filter
(``vips_thumbnail_find_jpegshrink`` in libvips/resample/thumbnail.c), so a
4032x3024 photo fitted into 300x300 is decoded at 1/4 (1008x756) rather than
1/8 (504x378). Decoding at 1/8 and reducing 1.7x with lanczos3 is what Pillow's
``draft`` does for thumbor, and it measured (12 MP JPEG -> fit-in 300x300 +
``jpegsave Q=80``, one thread, this module's [10] note): 23.7 ms against
30-36 ms, with the output at PSNR 46.8 dB to libvips' own.

This module plans that decode: the largest JPEG shrink that keeps the
shrunk image at least as large as the output, then ``thumbnail_image`` on it.
The output size is always given exactly (``transform_svc.ops.resize.plan``),
so both decoders produce the same size: libvips would otherwise derive it from
the shrunk size, 1 px off now and then, as JPEG shrink rounds up.
"""

from __future__ import annotations

import pyvips

JPEG_SHRINKS = (8, 4, 2)  # libjpeg's DCT scalings that libvips' jpegload offers


def jpeg_thumbnail(
    buffer: bytes,
    header: pyvips.Image,
    upright: tuple[int, int],
    width: int,
    *,
    height: int,
    size: str,
    crop: str,
) -> pyvips.Image | None:
    """``thumbnail_buffer(buffer, width, height=, size=, crop=)`` for a JPEG,
    decoded at the largest JPEG shrink; None when ``header`` is not a JPEG,
    the crop is ``attention`` (smartcrop scores the image libvips' own
    thumbnail makes), or no shrink of 2 or more fits (``thumbnail_buffer`` is
    then as fast).

    Args:
        buffer: the encoded JPEG.
        header: ``buffer`` opened lazily (header read, pixels not decoded).
        upright: the source (W, H) in px after EXIF autorotation.
        width / height: the output size in px (``size="force"``) or the box a
            ``centre`` crop fills.
        size: VipsSize, ``force`` or, with a crop, ``both``.
        crop: VipsInteresting, ``none`` or ``centre``.

    Returns:
        The upright, ICC-imported thumbnail, the size ``thumbnail_buffer`` gives.
    """
    if header.get("vips-loader") != "jpegload_buffer" or crop not in ("none", "centre"):
        return None
    full_w, full_h = upright
    scale = min(full_w / width, full_h / height)  # both sides keep enough pixels
    shrink = next((s for s in JPEG_SHRINKS if scale >= s), 0)
    if not shrink:
        return None
    shrunk = pyvips.Image.jpegload_buffer(buffer, shrink=shrink)
    return shrunk.thumbnail_image(width, height=height, size=size, crop=crop)

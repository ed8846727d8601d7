"""Decoding one image with Pillow and making it something every email client shows.

Contract of :func:`convert_image`:

- decoded only when its declared size is under ``max_pixels`` (and Pillow's own
  ``DecompressionBombWarning`` is raised as an error), from the formats in :data:`READABLE`;
- JPEG, PNG and GIF up to ``max_width`` wide, with no EXIF rotation to apply, pass unchanged
  (the same bytes);
- anything else is re-encoded with its EXIF orientation applied and its metadata (EXIF, XMP,
  comments) left out: AVIF, WebP, HEIC/HEIF (through pillow-heif), TIFF and BMP become
  JPEG, or PNG when they have real transparency; animated WebP/AVIF become GIF (the first
  frame alone when the animation would be too large); every image wider than ``max_width``
  is scaled down to it.
"""

from __future__ import annotations

import functools
import io
import re
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

#: 2x the 600 px column: sharp on high-density screens, no wider.
MAX_WIDTH = 1200
#: Formats that Pillow may open here (others are refused before any decoding).
READABLE = ("JPEG", "MPO", "PNG", "GIF", "WEBP", "AVIF", "TIFF", "BMP", "HEIF")
#: Formats every email client shows.
WIDELY_SHOWN = ("JPEG", "PNG", "GIF")
#: An animation whose GIF would be larger than this is replaced by its first frame.
MAX_ANIMATION_BYTES = 3 * 1024 * 1024
_JPEG_QUALITY = 85
_ORIENTATION = 0x0112
_TYPES = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "GIF": ("image/gif", "gif")}


class DecodeError(Exception):
    """The bytes are not an image that may be decoded here; the message says why."""


@dataclass(frozen=True)
class Converted:
    """An image ready for email, and what was done to get it."""

    data: bytes
    format: str
    width: int
    height: int
    source_format: str
    source_width: int
    source_height: int
    source_bytes: int
    frames: int
    action: str

    @property
    def content_type(self) -> str:
        """The MIME type of :attr:`data`."""
        return _TYPES[self.format][0]

    @property
    def extension(self) -> str:
        """The file name extension of :attr:`data` (no dot)."""
        return _TYPES[self.format][1]


@functools.cache
def _register_heif() -> None:
    """HEIC/HEIF (HEVC) decoding comes from pillow-heif: registered with Pillow once, on use."""
    import pillow_heif

    pillow_heif.register_heif_opener()


def _open(data: bytes, *, max_pixels: int) -> Image.Image:
    Image.init()
    _register_heif()
    try:
        img = Image.open(io.BytesIO(data), formats=[f for f in READABLE if f in Image.OPEN])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DecodeError(_bomb(exc)) from None
    except UnidentifiedImageError:
        raise DecodeError("not an image in a known format") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise DecodeError(f"cannot be decoded: {exc}") from None
    width, height = img.size
    if width * height > max_pixels:
        raise DecodeError(
            f"refused as a decompression bomb ({width}x{height} px, over {max_pixels:,} pixels)"
        )
    return img


def _bomb(exc: Exception) -> str:
    found = re.search(r"\((\d+) pixels\)", str(exc))
    size = f" ({int(found[1]):,} pixels)" if found else ""
    return f"refused as a decompression bomb{size}"


def _has_alpha(img: Image.Image) -> bool:
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        low = img.getchannel("A").getextrema()[0]
        return isinstance(low, int | float) and low < 255
    if img.mode == "P" or "transparency" in img.info:
        return _has_alpha(img.convert("RGBA")) if "transparency" in img.info else False
    return False


def _scaled(img: Image.Image, max_width: int) -> Image.Image:
    width, height = img.size
    if width <= max_width:
        return img
    new_height = max(1, round(height * max_width / width))
    return img.resize((max_width, new_height), Image.Resampling.LANCZOS)


def _encode_still(img: Image.Image, fmt: str) -> bytes:
    """``img`` as JPEG or PNG, with no metadata except its colour profile."""
    out = io.BytesIO()
    icc = img.info.get("icc_profile")
    extra = {"icc_profile": icc} if icc else {}
    if fmt == "JPEG":
        rgb = img if img.mode in ("RGB", "L") else img.convert("RGB")
        rgb.save(out, "JPEG", quality=_JPEG_QUALITY, optimize=True, progressive=True, **extra)
    else:
        if img.mode not in ("RGB", "RGBA", "L", "LA", "P", "1"):
            img = img.convert("RGBA")
        img.save(out, "PNG", optimize=True, **extra)
    return out.getvalue()


def _encode_gif(frames: list[Image.Image], durations: list[int], loop: int) -> bytes:
    out = io.BytesIO()
    first, *rest = frames
    first.save(
        out,
        "GIF",
        save_all=True,
        append_images=rest,
        duration=durations,
        loop=loop,
        disposal=2,
        optimize=False,
    )
    return out.getvalue()


def _animation(
    img: Image.Image, *, max_width: int, max_pixels: int
) -> tuple[bytes, int, int, int] | None:
    """The animation as a GIF ``(data, width, height, frames)``, or None when too large."""
    width, height = img.size
    out_w = min(width, max_width)
    out_h = max(1, round(height * out_w / width))
    count = int(getattr(img, "n_frames", 1))
    if count * out_w * out_h > max_pixels:
        return None
    frames: list[Image.Image] = []
    durations: list[int] = []
    for frame in ImageSequence.Iterator(img):
        durations.append(int(frame.info.get("duration", 100)) or 100)
        frames.append(_scaled(frame.convert("RGBA"), max_width))
    data = _encode_gif(frames, durations, int(img.info.get("loop", 0)))
    if len(data) > MAX_ANIMATION_BYTES:
        return None
    return data, out_w, out_h, count


def convert_image(data: bytes, *, max_pixels: int, max_width: int = MAX_WIDTH) -> Converted:
    """``data`` made ready for email (see the module's contract); :class:`DecodeError` if it
    is not an image that may be decoded here."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        img = _open(data, max_pixels=max_pixels)
        try:
            return _convert(img, data, max_pixels=max_pixels, max_width=max_width)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise DecodeError(_bomb(exc)) from None
        except DecodeError:
            raise
        except Exception as exc:  # a damaged file can make any decoder fail in any way
            raise DecodeError(f"cannot be decoded: {type(exc).__name__}: {exc}") from None


def _convert(img: Image.Image, data: bytes, *, max_pixels: int, max_width: int) -> Converted:
    source_format = "JPEG" if img.format == "MPO" else str(img.format)
    width, height = img.size
    frames = int(getattr(img, "n_frames", 1))
    orientation = int(img.getexif().get(_ORIENTATION, 1) or 1)
    img.load()
    too_wide = width > max_width
    scaled = f"scaled from {width} to {max_width} px wide" if too_wide else ""
    out: bytes
    if source_format in WIDELY_SHOWN and not too_wide and orientation == 1:
        out, fmt, size, action = data, source_format, (width, height), "unchanged"
    elif frames > 1 and source_format in ("WEBP", "AVIF", "GIF"):
        gif = _animation(img, max_width=max_width, max_pixels=max_pixels)
        if gif is not None:
            out, out_w, out_h, frames = gif
            fmt, size = "GIF", (out_w, out_h)
            action = _join(f"animated {source_format} to GIF ({frames} frames)", scaled)
        else:
            img.seek(0)
            out, fmt, size, action = _still(
                img.copy(), orientation=1, source_format=source_format, max_width=max_width
            )
            frames = 1
            action = _join(action, "animation too large: first frame only", scaled)
    else:
        out, fmt, size, action = _still(
            img, orientation=orientation, source_format=source_format, max_width=max_width
        )
        action = _join(action, scaled) or "re-encoded without metadata"
    return Converted(
        data=out,
        format=fmt,
        width=size[0],
        height=size[1],
        source_format=source_format,
        source_width=width,
        source_height=height,
        source_bytes=len(data),
        frames=frames,
        action=action,
    )


def _join(*steps: str) -> str:
    return ", ".join(s for s in steps if s)


def _still(
    img: Image.Image, *, orientation: int, source_format: str, max_width: int
) -> tuple[bytes, str, tuple[int, int], str]:
    """One frame re-encoded: ``(data, format, size, what changed)``.

    A JPEG or PNG keeps its format; GIF, AVIF, WebP, HEIF, TIFF and BMP become PNG when they
    have real transparency, else JPEG.
    """
    steps = []
    if orientation != 1:
        img = ImageOps.exif_transpose(img)
        steps.append("EXIF orientation applied")
    img = _scaled(img, max_width)
    if source_format in ("JPEG", "PNG"):
        fmt = source_format
    else:
        fmt = "PNG" if _has_alpha(img) else "JPEG"
    if fmt != source_format:
        steps.insert(0, f"{source_format} to {fmt}")
    return _encode_still(img, fmt), fmt, img.size, _join(*steps)

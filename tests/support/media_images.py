"""The sample images of tests/samples/images/: how they were made (run this module to remake).

Small generated pictures in the formats the digest's sources use (AVIF, WebP, PNG, JPEG, GIF)
and the awkward cases the image stage must handle. ``SAMPLE_MAP`` (sample-map.json) maps each
image URL of the sample digest to the local file that stands in for it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pillow_heif
from PIL import Image, ImageDraw

FOLDER = Path(__file__).resolve().parents[1] / "samples" / "images"
SAMPLE_DIGEST = Path(__file__).resolve().parents[1] / "samples" / "ai-daily-2025-08-14.md"
_JIQI = "https://cdn.jiqizhixin.com/assets/global/logo-4819103cf20202b394b95f4d561b26f2959f5be5b58198c02f5a869244beff8c.png"
_IMAGEHUB = "https://cdn.jsdmirror.com/gh/justlovemaki/imagehub@main/images/2025/08/"
SAMPLE_MAP = {
    _JIQI: "logo.png",
    _IMAGEHUB + "news_01k2j5jqrzfbvbd0qymdb0pyz7.avif": "news-1.avif",
    _IMAGEHUB + "news_01k2j5jy5zfg4b8x5gnwj6cw8b.avif": "news-2.avif",
    "https://imgslim.geekpark.net/uploads/image/file/13/77/137705a4f3e93890c98d9703f74b72f6.png": "wide.png",
    "https://mmbiz.qpic.cn/sz_mmbiz_jpg/ePTzepwoNWPgeiaeTz5FXfBsqusEqRrZrFHjBeMA9bP4ia55kJ7YEAiashyWfButv11EhRfvR5fSgIpKQrVToIepw/0?wx_fmt=jpeg": "photo.jpg",
    "https://static001.geekbang.org/static/infoq/img/infoq_icon.jpg": "icon.jpg",
    "https://mmbiz.qpic.cn/mmbiz_jpg/uwFfSFSf91vNVHkPsTU3jPpicftFlyqSKeTAc1aSkR5zp9pFYxkHwpL9OS0xLPHAcicSSLDfzOoHYf8IvqMSPJXA/0?wx_fmt=jpeg": "rotated.jpg",
    "https://gips3.baidu.com/it/u=1940804949,3099366871&fm=3028&app=3028&size=w931&q=100&n=0&f=PNG&fmt=auto&maxorilen2heic=2000000": "photo.webp",
}


def picture(width: int, height: int, *, hue: int = 0, label: str = "") -> Image.Image:
    """A simple picture: a gradient, a few shapes, a frame (easy to see when distorted)."""
    base = Image.linear_gradient("L").resize((width, height))
    rgb = Image.merge(
        "RGB", (base, base.rotate(90).resize((width, height)), Image.new("L", (width, height), hue))
    )
    draw = ImageDraw.Draw(rgb)
    r = min(width, height) // 4
    draw.ellipse(
        (width // 2 - r, height // 2 - r, width // 2 + r, height // 2 + r), fill=(250, 250, 250)
    )
    draw.rectangle((0, 0, width - 1, height - 1), outline=(20, 20, 20), width=max(2, width // 200))
    if label:
        draw.text((width // 2 - 3 * len(label), height // 2 - 5), label, fill=(20, 20, 20))
    return rgb


def logo() -> Image.Image:
    """A 180x60 logo on a transparent background (as site logos are)."""
    img = Image.new("RGBA", (180, 60), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((2, 2, 177, 57), radius=12, fill=(26, 115, 232, 255))
    draw.text((60, 24), "LOGO", fill=(255, 255, 255, 255))
    return img


def write_all(folder: Path = FOLDER) -> None:
    """(Re)write every sample image and sample-map.json into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    picture(1600, 900, hue=40, label="news-1 AVIF 1600x900").save(
        folder / "news-1.avif", quality=50
    )
    picture(1280, 720, hue=160, label="news-2 AVIF 1280x720").save(
        folder / "news-2.avif", quality=50
    )
    picture(1000, 600, hue=90, label="WebP 1000x600").save(folder / "photo.webp", quality=60)
    picture(900, 500, hue=200, label="JPEG 900x500").save(folder / "photo.jpg", quality=70)
    picture(1400, 800, hue=10, label="PNG 1400x800").quantize(64).save(
        folder / "wide.png", optimize=True
    )
    picture(64, 64, hue=250).save(folder / "icon.jpg", quality=80)
    pillow_heif.register_heif_opener()
    picture(800, 600, hue=60, label="HEIC 800x600").save(folder / "photo.heic", quality=40)
    rotated = picture(600, 400, hue=120, label="EXIF 6: shown upright").rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to view": the stored pixels lie on their side
    rotated.save(folder / "rotated.jpg", quality=70, exif=exif)
    logo().save(folder / "logo.png", optimize=True)
    alpha = Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    ImageDraw.Draw(alpha).ellipse((20, 20, 380, 280), fill=(230, 80, 40, 255))
    alpha.save(folder / "alpha.png", optimize=True)
    alpha.save(folder / "alpha.webp", lossless=True)
    frames = [picture(300, 200, hue=h, label=f"frame {n}") for n, h in enumerate((0, 120, 240))]
    frames[0].save(
        folder / "anim.webp",
        save_all=True,
        append_images=frames[1:],
        duration=400,
        loop=0,
        quality=60,
    )
    Image.new("RGB", (1, 1), (255, 255, 255)).save(folder / "pixel.gif")
    Image.new("1", (12000, 12000), 1).save(folder / "huge.png", optimize=True)
    (folder / "not-an-image.txt").write_text("this is text, not a PNG\n", encoding="utf-8")
    (folder / "sample-map.json").write_text(
        json.dumps(SAMPLE_MAP, indent=2) + "\n", encoding="utf-8"
    )


def local_sample_digest(base_url: str, dest: Path) -> Path:
    """A copy of the sample digest at ``dest`` whose image URLs point at ``base_url`` (a
    local server of this folder's files), by ``SAMPLE_MAP``."""
    text = SAMPLE_DIGEST.read_text(encoding="utf-8")
    for source, name in SAMPLE_MAP.items():
        assert source in text, source
        text = text.replace(source, f"{base_url}/{name}")
    dest.write_text(text, encoding="utf-8")
    return dest


if __name__ == "__main__":
    write_all()

"""A real dataset for the quality benchmark from the fonts this machine ships: every letter and
digit of every installed TrueType/OpenType font, black on white, centred, 64 px PNGs.

    python benchmarks/make_glyphs.py OUT_FOLDER [--fonts /usr/share/fonts] [--size 64]

On Debian, fonts-dejavu-core alone gives 6 fonts x 62 glyphs; fonts-dejavu-extra, fonts-liberation
and fonts-freefont-ttf add more. The fonts are freely licensed; see /usr/share/doc/fonts-*/copyright.
"""

from __future__ import annotations

import argparse
import string
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

GLYPHS = string.ascii_letters + string.digits


def render(font_path: Path, char: str, size: int) -> Image.Image | None:
    """One glyph, scaled to fill ~80% of the square, centred by its ink; None if the font lacks it."""
    font = ImageFont.truetype(str(font_path), size * 4)
    canvas = Image.new("L", (size * 8, size * 8), 255)
    ImageDraw.Draw(canvas).text((size * 2, size * 2), char, font=font, fill=0)
    box = Image.eval(canvas, lambda v: 255 - v).getbbox()
    if box is None:
        return None
    ink = canvas.crop(box)
    scale = 0.8 * size / max(ink.size)
    ink = ink.resize((max(1, round(ink.width * scale)), max(1, round(ink.height * scale))), Image.LANCZOS)
    out = Image.new("L", (size, size), 255)
    out.paste(ink, ((size - ink.width) // 2, (size - ink.height) // 2))
    return out.convert("RGB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--fonts", type=Path, default=Path("/usr/share/fonts"))
    parser.add_argument("--size", type=int, default=64)
    args = parser.parse_args()

    fonts = sorted(p for p in args.fonts.rglob("*") if p.suffix.lower() in (".ttf", ".otf"))
    if not fonts:
        raise SystemExit(f"no .ttf or .otf fonts under {args.fonts}: apt-get install fonts-dejavu-core")
    args.out.mkdir(parents=True, exist_ok=True)
    count = 0
    for font_path in fonts:
        for i, char in enumerate(GLYPHS):
            image = render(font_path, char, args.size)
            if image is not None:
                image.save(args.out / f"{font_path.stem}_{i:02d}.png")
                count += 1
    print(f"{count} glyphs from {len(fonts)} fonts in {args.out}")


if __name__ == "__main__":
    main()

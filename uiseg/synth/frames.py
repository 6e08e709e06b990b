"""Drawing primitives shared by all widgets: panels with frames, text, icons, and the Element they make.

Widgets draw on a transparent RGBA canvas in UI pixels (1/ui_p of the screen) and list the boxes that are
UI; the renderer scales the canvas up, composites it on the world and marks those boxes in the mask.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

from uiseg.synth import fonts
from uiseg.synth.common import Color, Rng, rgba, shade, vgradient
from uiseg.synth.families import Style

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 with x1, y1 exclusive


@dataclass
class Element:
    """One UI element: an RGBA canvas and the boxes (canvas coordinates) that the mask marks as UI."""

    image: Image.Image
    boxes: list[Box] = field(default_factory=list)
    anchors: tuple[str, ...] = ("any",)
    shadow: bool = True


def canvas(w: int, h: int) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    img = Image.new("RGBA", (max(1, int(w)), max(1, int(h))), (0, 0, 0, 0))
    return img, ImageDraw.Draw(img)


def _shape_mask(w: int, h: int, radius: int) -> Image.Image:
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, w - 1, h - 1), radius, fill=255)
    return mask


def panel(img: Image.Image, box: Box, st: Style, frame: str | None = None, fill: Color | None = None) -> None:
    """Fill a box and draw its frame in the style's look (plain, double, bevel, rounded, 9-slice, flat...)."""
    frame = frame or st.frame
    if frame == "none":
        return
    x0, y0, x1, y1 = (int(v) for v in box)
    w, h = x1 - x0, y1 - y0
    if w < 3 or h < 3:
        return
    draw = ImageDraw.Draw(img)
    b = min(st.border, max(1, min(w, h) // 6))
    r = min(st.radius, min(w, h) // 2) if frame in ("rounded", "flat", "accent") else 0
    bg = fill or st.bg
    if st.bg2 is not None and fill is None:
        grad = vgradient(h, w, bg, st.bg2)
        layer = Image.fromarray(np.dstack([grad, np.full((h, w), st.alpha, np.uint8)]), "RGBA")
        img.paste(layer, (x0, y0), _shape_mask(w, h, r) if r else None)
    elif r:
        draw.rounded_rectangle((x0, y0, x1 - 1, y1 - 1), r, fill=rgba(bg, st.alpha))
    else:
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=rgba(bg, st.alpha))
    _border(draw, (x0, y0, x1 - 1, y1 - 1), frame, st, b, r)


def _border(draw: ImageDraw.ImageDraw, xy: Box, frame: str, st: Style, b: int, r: int) -> None:
    x0, y0, x1, y1 = xy
    if frame == "plain":
        draw.rectangle(xy, outline=rgba(st.edge), width=b)
    elif frame in ("double", "nine"):
        draw.rectangle(xy, outline=rgba(st.edge), width=b)
        g = b + 1
        draw.rectangle((x0 + g, y0 + g, x1 - g, y1 - g), outline=rgba(st.edge2), width=1)
        if frame == "nine":  # 9-slice corner pieces: the ornament a stretched frame keeps at each corner
            c = 2 * b + 2
            for cx, cy in ((x0, y0), (x1 - c, y0), (x0, y1 - c), (x1 - c, y1 - c)):
                draw.rectangle((cx, cy, cx + c, cy + c), fill=rgba(st.edge2), outline=rgba(st.edge))
                draw.rectangle((cx + c // 3, cy + c // 3, cx + c - c // 3, cy + c - c // 3), fill=rgba(st.accent))
    elif frame == "bevel":
        light, dark = rgba(shade(st.bg, 1.6)), rgba(shade(st.bg, 0.35))
        for i in range(b):
            draw.line((x0 + i, y1 - i, x0 + i, y0 + i, x1 - i, y0 + i), fill=light)
            draw.line((x0 + i, y1 - i, x1 - i, y1 - i, x1 - i, y0 + i), fill=dark)
        draw.rectangle(xy, outline=(0, 0, 0, 255), width=1)
    elif frame == "rounded":
        draw.rounded_rectangle(xy, r, outline=rgba(st.edge), width=b)
    elif frame == "accent":  # flat panel with a coloured strip, common in modern HUDs
        s = max(2, b * 2)
        if (x1 - x0) > (y1 - y0):
            draw.rectangle((x0, y0, x0 + s - 1, y1), fill=rgba(st.accent))
        else:
            draw.rectangle((x0, y0, x1, y0 + s - 1), fill=rgba(st.accent))


def text(img: Image.Image, xy: tuple[float, float], s: str, st: Style, font, color: Color | None = None,
         outline: bool = False) -> Box:
    """Draw text (outlined when asked: HUD text straight over the world); returns its ink box."""
    draw = ImageDraw.Draw(img)
    draw.fontmode = "L" if st.aa else "1"  # pixel-art UI has hard-edged glyphs
    stroke = max(1, st.text // 12) if outline else 0
    x, y = int(xy[0]) + stroke, int(xy[1]) + stroke
    fill = rgba(color or st.fg)
    dark = (0, 0, 0, 255) if sum(fill[:3]) > 300 else (255, 255, 255, 255)
    if stroke:
        draw.text((x, y), s, font=font, fill=fill, stroke_width=stroke, stroke_fill=dark)
    else:
        draw.text((x, y), s, font=font, fill=fill)
    w, h = fonts.text_size(font, s)
    return x - stroke, y - stroke, x + w + stroke, y + h + stroke


def text_box(font, s: str, outline: bool, st: Style) -> tuple[int, int]:
    """Size of what text() draws, stroke included."""
    w, h = fonts.text_size(font, s)
    stroke = 2 * max(1, st.text // 12) if outline else 0
    return w + stroke, h + stroke


def icon(img: Image.Image, spr: np.ndarray, x: int, y: int, size: int) -> None:
    """Paste an RGBA sprite scaled (nearest) to size x size."""
    im = Image.fromarray(spr, "RGBA")
    if im.size != (size, size):
        im = im.resize((size, size), Image.NEAREST)
    img.alpha_composite(im, (int(x), int(y)))


def cursor(img: Image.Image, x: int, y: int, size: int, color: Color, rng: Rng) -> None:
    """A selection cursor: a triangle, a chevron or a dot, like menu pointers."""
    draw = ImageDraw.Draw(img)
    kind = rng.choice(("tri", "tri", "chev", "dot"))
    s = max(3, size)
    if kind == "tri":
        draw.polygon([(x, y), (x + s * 0.8, y + s / 2), (x, y + s)], fill=rgba(color))
    elif kind == "chev":
        draw.line([(x, y), (x + s * 0.6, y + s / 2), (x, y + s)], fill=rgba(color), width=max(1, s // 4))
    else:
        draw.ellipse((x, y + s / 4, x + s / 2, y + s * 3 / 4), fill=rgba(color))

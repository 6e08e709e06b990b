"""Drawing primitives shared by all widgets: panels with frames, text, icons, and the Element they make.

Widgets draw on a transparent RGBA canvas in UI pixels (1/ui_p of the screen) and list the boxes that are
UI; the renderer scales the canvas up, composites it on the world and marks those boxes in the mask.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

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


def _shape_mask(w: int, h: int, radius: int, skew: int) -> Image.Image | None:
    if not radius and not skew:
        return None
    mask = Image.new("L", (w, h), 0)
    if skew:
        ImageDraw.Draw(mask).polygon([(skew, 0), (w - 1, 0), (w - 1 - skew, h - 1), (0, h - 1)], fill=255)
    else:
        ImageDraw.Draw(mask).rounded_rectangle((0, 0, w - 1, h - 1), radius, fill=255)
    return mask


def _fill(w: int, h: int, st: Style, bg: Color, plain: bool) -> Image.Image:
    """The panel's fill as RGBA: flat, a vertical gradient, and/or a texture (parchment, metal, stone)."""
    if plain or (st.bg2 is None and st.texture is None):
        return Image.new("RGBA", (w, h), rgba(bg, st.alpha))
    if st.bg2 is not None:
        rgb = vgradient(h, w, bg, st.bg2).astype(np.float32)
    else:
        rgb = np.broadcast_to(np.asarray(bg, np.float32), (h, w, 3))
    if st.texture is not None:
        th, tw = st.texture.shape
        rgb = rgb * np.tile(st.texture, (h // th + 1, w // tw + 1))[:h, :w, None]
    alpha = np.full((h, w, 1), st.alpha, np.float32)
    return Image.fromarray(np.clip(np.concatenate([rgb, alpha], axis=2), 0, 255).astype(np.uint8), "RGBA")


def panel(img: Image.Image, box: Box, st: Style, frame: str | None = None, fill: Color | None = None) -> bool:
    """Fill a box and draw its frame in the style's look (plain, double, bevel, rounded, 9-slice, skew...).

    Returns False when nothing was drawn (frame 'none', or a box too small): the caller's pieces then stand
    straight on the world and each one is UI over its own box only.
    """
    frame = frame or st.frame
    if frame == "none":
        return False
    x0, y0, x1, y1 = (int(v) for v in box)
    w, h = x1 - x0, y1 - y0
    if w < 3 or h < 3:
        return False
    b = min(st.border, max(1, min(w, h) // 6))
    r = min(st.radius, min(w, h) // 2) if frame in ("rounded", "flat", "accent", "glow") else 0
    skew = min(h // 2, w // 4) if frame == "skew" else 0
    img.paste(_fill(w, h, st, fill or st.bg, fill is not None), (x0, y0), _shape_mask(w, h, r, skew))
    draw = ImageDraw.Draw(img)
    if skew:
        draw.polygon([(x0 + skew, y0), (x1 - 1, y0), (x1 - 1 - skew, y1 - 1), (x0, y1 - 1)],
                     outline=rgba(st.edge), width=b)
    elif frame == "glow":  # neon: a bright edge fading inwards
        for i in range(min(4, b + 2)):
            draw.rounded_rectangle((x0 + i, y0 + i, x1 - 1 - i, y1 - 1 - i), max(0, r - i),
                                   outline=rgba(st.accent, 255 - 60 * i), width=1)
    else:
        _border(draw, (x0, y0, x1 - 1, y1 - 1), frame, st, b, r)
    return True


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
                k = c // 3
                draw.rectangle((cx + k, cy + k, cx + c - k, cy + c - k), fill=rgba(st.accent))
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


def _stamp(img: Image.Image, cov: Image.Image, xy: tuple[int, int], color, color2=None) -> None:
    """Composite a colour (or a vertical two-colour gradient) through a coverage mask onto an RGBA canvas."""
    w, h = cov.size
    if color2 is None:
        layer = Image.new("RGBA", (w, h), rgba(color))
    else:
        rgb = vgradient(h, w, color[:3], color2[:3])
        layer = Image.fromarray(np.dstack([rgb, np.zeros((h, w), np.uint8)]), "RGBA")
    layer.putalpha(cov if len(color) < 4 or color[3] == 255 else cov.point(lambda v: v * color[3] // 255))
    x, y = int(xy[0]), int(xy[1])
    if x < 0 or y < 0:  # alpha_composite wants a non-negative destination: crop the layer instead
        layer = layer.crop((max(0, -x), max(0, -y), w, h))
        x, y = max(0, x), max(0, y)
    img.alpha_composite(layer, (x, y))


def _ink(cov: Image.Image, x: int, y: int) -> Box:
    bb = cov.getbbox()
    return (x, y, x, y) if bb is None else (x + bb[0], y + bb[1], x + bb[2], y + bb[3])


def label(img: Image.Image, xy: tuple[float, float], s: str, font, color, aa: bool) -> Box:
    """Draw plain text (no outline, no style) and return its ink box: slot numbers, stack counts."""
    cov = font.mask(s, aa)
    _stamp(img, cov, (int(xy[0]), int(xy[1])), rgba(color))
    return _ink(cov, int(xy[0]), int(xy[1]))


def text(img: Image.Image, xy: tuple[float, float], s: str, st: Style, font, color: Color | None = None,
         outline: bool = False, color2: Color | None = None, glow: Color | None = None) -> Box:
    """Draw text, outlined or drop-shadowed when asked (HUD text straight over the world).

    Returns the text's box as the mask convention counts it: the glyphs' ink and their outline; a drop
    shadow or a glow lies outside it. color2 makes the fill a vertical gradient; glow adds a soft halo.
    """
    stroke = max(1, st.text // 12) if outline else 0
    x, y = int(xy[0]) + stroke, int(xy[1]) + stroke
    cov = font.mask(s, st.aa)
    fill = rgba(color or st.fg)
    dark = (0, 0, 0, 255) if sum(fill[:3]) > 300 else (255, 255, 255, 255)
    if glow is not None:
        r = max(2, st.text // 5)
        halo = ImageOps.expand(cov, 2 * r).filter(ImageFilter.MaxFilter(3))
        halo = halo.filter(ImageFilter.GaussianBlur(r))
        _stamp(img, halo, (x - 2 * r, y - 2 * r), (*glow[:3], 200))
    if stroke and st.text_shadow:  # same footprint as the outline: shadow down-right, text up-left
        _stamp(img, cov, (x + stroke, y + stroke), dark)
        _stamp(img, cov, (x - stroke, y - stroke), fill, color2)
        return _ink(cov, x - stroke, y - stroke)
    if stroke:
        grown = ImageOps.expand(cov, stroke).filter(ImageFilter.MaxFilter(2 * stroke + 1))
        _stamp(img, grown, (x - stroke, y - stroke), dark)
        _stamp(img, cov, (x, y), fill, color2)
        return _ink(grown, x - stroke, y - stroke)
    _stamp(img, cov, (x, y), fill, color2)
    return _ink(cov, x, y)


def text_box(font, s: str, outline: bool, st: Style) -> tuple[int, int]:
    """Size of what text() draws, stroke included."""
    w, h = fonts.text_size(font, s)
    stroke = 2 * max(1, st.text // 12) if outline else 0
    return w + stroke, h + stroke


def icon(img: Image.Image, spr: np.ndarray, x: int, y: int, size: int) -> Box:
    """Paste an RGBA sprite scaled (nearest) to size x size; returns the icon's box."""
    im = Image.fromarray(spr, "RGBA")
    if im.size != (size, size):
        im = im.resize((size, size), Image.NEAREST)
    img.alpha_composite(im, (int(x), int(y)))
    return int(x), int(y), int(x) + size, int(y) + size


def cursor(img: Image.Image, x: int, y: int, size: int, color: Color, rng: Rng) -> Box:
    """A selection cursor: a triangle, a chevron or a dot, like menu pointers; returns its box."""
    draw = ImageDraw.Draw(img)
    kind = rng.choice(("tri", "tri", "chev", "dot"))
    s = max(3, size)
    if kind == "tri":
        draw.polygon([(x, y), (x + s * 0.8, y + s / 2), (x, y + s)], fill=rgba(color))
    elif kind == "chev":
        draw.line([(x, y), (x + s * 0.6, y + s / 2), (x, y + s)], fill=rgba(color), width=max(1, s // 4))
    else:
        draw.ellipse((x, y + s / 4, x + s / 2, y + s * 3 / 4), fill=rgba(color))
    m = max(1, s // 4)
    return tight(img, (x - m, y - m, x + s + m, y + s + m))


def tight(img: Image.Image, box: Box) -> Box:
    """The box of what is drawn (alpha > 0) inside `box` of a canvas: a piece's own box, nothing around it."""
    x0, y0 = max(0, int(box[0])), max(0, int(box[1]))
    bb = img.getchannel("A").crop((x0, y0, int(box[2]), int(box[3]))).getbbox()
    return (x0, y0, x0, y0) if bb is None else (x0 + bb[0], y0 + bb[1], x0 + bb[2], y0 + bb[3])

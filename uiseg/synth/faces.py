"""Typefaces as coverage masks, so every kind of text is drawn, outlined and measured the same way.

Real games use many more fonts than the few TrueType files installed here, so the generator widens what
text looks like: Pillow/TrueType fonts rendered condensed, stretched, italic, bold or as upscaled pixel text;
procedurally made bitmap fonts on 3x5..8x8 cells; and glyph-like stroke scripts. The model needs text-like
texture in many shapes, not readable words.

A face spec is a string: a base ('default', 'bitmap', a TTF name, 'grid:N' or 'stroke:N'), then optional
'~' modifiers: 'c0.70' (x scale), 'i0.20' (shear), 'b1' (bold by one pixel), 'p' (pixel text: drawn small,
hard-edged, upscaled by an integer). Example: 'DejaVuSans.ttf~c0.70~b1'.
"""

from __future__ import annotations

import math
import random
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw


class PilFace:
    """A Pillow font (TrueType or Pillow's own) with an optional x scale, shear, bolding and pixel upscale."""

    def __init__(self, font, sx: float = 1.0, shear: float = 0.0, bold: int = 0, px: int = 1):
        self.font, self.sx, self.shear, self.bold, self.px = font, sx, shear, bold, px

    def _base(self, s: str) -> tuple[int, int]:
        _x0, _y0, x1, y1 = self.font.getbbox(s)
        return max(1, int(x1)) * self.px, max(1, int(y1)) * self.px

    def getbbox(self, s: str) -> tuple[int, int, int, int]:
        """(0, 0, width, height) of what mask() returns: the drawn text from its origin."""
        w, h = self._base(s)
        return 0, 0, math.ceil(w * self.sx + abs(self.shear) * h) + self.bold, h + self.bold

    def mask(self, s: str, aa: bool) -> Image.Image:
        w, h = self._base(s)
        im = Image.new("L", (w // self.px, h // self.px), 0)
        # Always rendered anti-aliased, then thresholded for hard-edged text: Pillow's mono mode hints glyphs
        # to other advances, so its text would outgrow the box getbbox() measured.
        ImageDraw.Draw(im).text((0, 0), s, font=self.font, fill=255)
        if self.px > 1:
            im = im.point(lambda v: 255 if v >= 128 else 0).resize((w, h), Image.NEAREST)
        return _transform(im, self.sx, self.shear, self.bold, aa and self.px == 1)


def _transform(im: Image.Image, sx: float, shear: float, bold: int, aa: bool) -> Image.Image:
    """Scale x, shear (italic: the top leans right) and embolden a coverage mask."""
    w, h = im.size
    if sx != 1.0 or shear:
        out_w = math.ceil(w * sx + abs(shear) * h)
        # Inverse map: output (X, Y) samples input ((X - shear * (h - Y)) / sx, Y).
        c = -shear * h / sx if shear > 0 else 0.0
        im = im.transform((max(1, out_w), h), Image.AFFINE, (1 / sx, shear / sx, c, 0, 1, 0),
                          Image.BILINEAR if aa else Image.NEAREST)
    if bold:
        arr = np.asarray(im)
        out = np.zeros((h + bold, arr.shape[1] + bold), np.uint8)
        for d in range(bold + 1):  # smear right and down: heavier strokes, same letter shapes
            np.maximum(out[d:d + h, d:d + arr.shape[1]], arr, out=out[d:d + h, d:d + arr.shape[1]])
        im = Image.fromarray(out)
    if not aa:
        im = im.point(lambda v: 255 if v >= 128 else 0)
    return im


_PUNCT = {".": ((0, 1),), ",": ((0, 1),), ":": ((0, 0), (0, 1)), "!": ((0, 0), (0, 1)), "'": ((0, 0),)}


@lru_cache(maxsize=64)
def _grid_params(seed: int) -> tuple[int, int, int, float, int]:
    """Cell width, cell height, stroke width, segment density and letter gap of bitmap font `seed`."""
    r = random.Random(seed * 7919 + 17)
    ch = r.randint(5, 8)
    cw = min(8, max(3, r.randint(ch - 3, ch)))
    return cw, ch, 2 if cw >= 6 and r.random() < 0.3 else 1, r.uniform(0.3, 0.55), r.randint(1, 2)


@lru_cache(maxsize=8192)
def _grid_glyph(seed: int, ch_: str) -> np.ndarray:
    """One glyph bitmap (cell height, cell width) uint8 0/255 of bitmap font `seed`: strokes on a lattice."""
    cw, ch, thick, density, _gap = _grid_params(seed)
    img = Image.new("L", (cw, ch), 0)
    draw = ImageDraw.Draw(img)
    if ch_ in _PUNCT or not ch_.strip():  # dots stay dots: punctuation keeps lines looking like text
        for _col, row in _PUNCT.get(ch_, ()):
            y = ch - 1 if row else ch // 3
            draw.rectangle((cw // 2, y - thick + 1, cw // 2 + thick - 1, y), fill=255)
        return np.asarray(img)
    r = random.Random(seed * 1_000_003 + ord(ch_[0]))  # str hashes differ per process: use the code point
    top = 0 if not ch_.islower() or ch_ in "bdfhklt" else ch // 3  # lower case: x-height
    xs, ys = (0, (cw - 1) / 2, cw - 1), (top, (top + ch - 1) / 2, ch - 1)
    nodes = [(x, y) for y in ys for x in xs]
    edges = [(a, b) for a in range(9) for b in range(a + 1, 9)
             if abs(a % 3 - b % 3) <= 1 and abs(a // 3 - b // 3) <= 1]
    picked = [e for e in edges if r.random() < density * (0.45 if e[0] % 3 != e[1] % 3 and
                                                          e[0] // 3 != e[1] // 3 else 1.0)]
    while len(picked) < 2:
        picked.append(r.choice(edges))
    for a, b in picked:
        draw.line((nodes[a], nodes[b]), fill=255, width=thick)
    return np.asarray(img)


class GridFace:
    """A procedurally made bitmap font: glyphs of strokes on a small cell, scaled by a whole number."""

    def __init__(self, seed: int, size: int):
        self.seed = seed
        self.cw, self.ch, _t, _d, self.gap = _grid_params(seed)
        self.k = max(1, round(size * 0.75 / self.ch))

    def getbbox(self, s: str) -> tuple[int, int, int, int]:
        n = max(1, len(s))
        return 0, 0, (n * (self.cw + self.gap) - self.gap) * self.k, self.ch * self.k

    def mask(self, s: str, aa: bool) -> Image.Image:
        if not s:
            return Image.new("L", (self.k, self.ch * self.k), 0)
        gap = np.zeros((self.ch, self.gap), np.uint8)
        parts = []
        for i, c in enumerate(s):
            parts.extend(([gap] if i else []) + [_grid_glyph(self.seed, c)])
        row = np.concatenate(parts, axis=1)
        return Image.fromarray(np.repeat(np.repeat(row, self.k, 0), self.k, 1))


@lru_cache(maxsize=4096)
def _stroke_glyph(seed: int, size: int, ch_: str) -> np.ndarray:
    """A glyph of 1-4 pen strokes (a made-up script), drawn 4x larger and averaged down for smooth edges."""
    r = random.Random(seed * 999_983 + ord(ch_[0]) + 7)
    form = random.Random(seed)
    cw = max(3, round(size * form.uniform(0.55, 1.0)))
    pen = max(1, round(size * form.uniform(0.07, 0.14)))
    img = Image.new("L", (cw * 4, size * 4), 0)
    if ch_.strip():
        draw = ImageDraw.Draw(img)
        for _ in range(r.randint(1, 4)):
            pts = [(r.uniform(0.1, 0.9) * cw * 4, r.uniform(0.15, 0.95) * size * 4)
                   for _ in range(r.randint(2, 3))]
            draw.line(pts, fill=255, width=pen * 4, joint="curve")
    return np.asarray(img.resize((cw, size), Image.BOX))


class StrokeFace:
    """Glyph-like pen strokes at a given size: text texture in no real alphabet."""

    def __init__(self, seed: int, size: int):
        self.seed, self.size = seed, max(6, size)
        self.cw = _stroke_glyph(seed, self.size, "a").shape[1]
        self.gap = max(1, self.size // 8)

    def getbbox(self, s: str) -> tuple[int, int, int, int]:
        n = max(1, len(s))
        return 0, 0, n * (self.cw + self.gap), self.size

    def mask(self, s: str, aa: bool) -> Image.Image:
        w = self.getbbox(s)[2]
        out = np.zeros((self.size, w), np.uint8)
        for i, c in enumerate(s):
            x = i * (self.cw + self.gap)
            out[:, x:x + self.cw] = _stroke_glyph(self.seed, self.size, c)
        im = Image.fromarray(out)
        return im if aa else im.point(lambda v: 255 if v >= 110 else 0)


def parse(spec: str) -> tuple[str, dict]:
    """Split a face spec into its base name and modifiers {'sx', 'shear', 'bold', 'px'}."""
    base, *mods = spec.split("~")
    opts = {"sx": 1.0, "shear": 0.0, "bold": 0, "px": False}
    for m in mods:
        if m == "p":
            opts["px"] = True
        elif m[:1] in ("c", "i", "b"):
            key = {"c": "sx", "i": "shear", "b": "bold"}[m[0]]
            opts[key] = int(m[1:]) if key == "bold" else float(m[1:])
    return base, opts


def make(spec: str, size: int, load) -> PilFace | GridFace | StrokeFace:
    """Build the face a spec names at a size; `load(name, size)` gives the Pillow font of a base name."""
    base, o = parse(spec)
    if base.startswith("grid:"):
        return GridFace(int(base[5:]), size)
    if base.startswith("stroke:"):
        return StrokeFace(int(base[7:]), size)
    if o["px"]:  # pixel text: a small hard-edged rendering upscaled by a whole number, as retro games show
        k = max(2, round(size / 9))
        return PilFace(load(base, max(6, size // k)), o["sx"], o["shear"], o["bold"], k)
    return PilFace(load(base, size), o["sx"], o["shear"], o["bold"])


def variant(rng, base: str, size: int, aa: bool) -> str:
    """A spec that renders `base` in a random width, slant or weight (often unchanged)."""
    if base.startswith(("grid:", "stroke:")) or base == "bitmap" or not rng.chance(0.45):
        return base
    mods = []
    kind = rng.choice(("condensed", "condensed", "stretched", "italic", "bold", "pixel"))
    if kind == "condensed":
        mods.append(f"c{rng.randint(11, 17) / 20:.2f}")  # 0.05 steps: few distinct fonts to cache
    elif kind == "stretched":
        mods.append(f"c{rng.randint(23, 32) / 20:.2f}")
    elif kind == "italic":
        mods.append(f"i{rng.randint(3, 6) / 20:.2f}")
    elif kind == "pixel" and size >= 14:
        mods.append("p")
    if kind == "bold" or (size >= 12 and rng.chance(0.25)):
        mods.append("b1" if size < 24 else "b2")
    return "~".join([base, *mods])


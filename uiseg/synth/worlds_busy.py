"""Busy, high-frequency worlds: camouflage and noise textures, dense starfields and warp streaks, foliage,
gravel, mosaics, circuit mazes. Without them a model learns that any fine, contrasty texture is text or UI.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from uiseg.synth.common import Rng, hsv, value_noise


def _palette(rng: Rng, k: int) -> np.ndarray:
    """k related colours (camouflage greens, desert tans, urban greys, or anything)."""
    hue = rng.choice((0.25, 0.1, 0.6, 0.0, rng.uniform(0, 1)))
    sat = rng.uniform(0.0, 0.7)
    return np.asarray([hsv(hue + rng.uniform(-0.06, 0.06), sat * rng.uniform(0.6, 1.2),
                           rng.uniform(0.15, 0.9)) for _ in range(k)], np.uint8)


def _camo(rng: Rng, lh: int, lw: int) -> np.ndarray:
    cells = max(4, int(max(lh, lw) / rng.uniform(6, 30)))
    field = value_noise(rng, lh, lw, cells, rng.randint(2, 4))
    pal = _palette(rng, rng.randint(3, 5))
    return pal[np.digitize(field, np.quantile(field[::4, ::4], np.linspace(0, 1, len(pal) + 1)[1:-1]))]


def _noise(rng: Rng, lh: int, lw: int) -> np.ndarray:
    """Fine colour noise: static, sand, a grainy rock face."""
    grain = rng.np.random((lh, lw, 1)).astype(np.float32)
    base = value_noise(rng, lh, lw, rng.randint(2, 12), 3)[..., None]
    a, b = np.float32(hsv(rng.uniform(0, 1), rng.uniform(0, 0.8), rng.uniform(0.1, 0.6))), \
        np.float32(hsv(rng.uniform(0, 1), rng.uniform(0, 0.8), rng.uniform(0.5, 1.0)))
    mix_ = np.clip(base * rng.uniform(0.2, 0.8) + grain * rng.uniform(0.3, 1.0), 0, 1)
    if rng.chance(0.3):  # per-channel static
        mix_ = np.clip(mix_ + rng.np.random((lh, lw, 3)).astype(np.float32) * 0.4 - 0.2, 0, 1)
    return (a * (1 - mix_) + b * mix_).astype(np.uint8)


def _stars(rng: Rng, lh: int, lw: int) -> np.ndarray:
    """A dense starfield, sometimes with warp streaks radiating from the centre."""
    img = np.zeros((lh, lw, 3), np.float32)
    img[:] = hsv(rng.uniform(0.55, 0.8), 0.6, rng.uniform(0.0, 0.12))
    for density, lo in ((rng.uniform(0.05, 0.2), 40), (rng.uniform(0.005, 0.03), 150)):
        pts = rng.np.random((lh, lw)) < density
        img[pts] = rng.np.uniform(lo, 255, (int(pts.sum()), 1))
    if rng.chance(0.4):
        im = Image.fromarray(img.astype(np.uint8))
        draw = ImageDraw.Draw(im)
        cx, cy = lw * rng.uniform(0.3, 0.7), lh * rng.uniform(0.3, 0.7)
        for _ in range(rng.randint(40, 200)):
            a, r = rng.uniform(0, 2 * np.pi), rng.uniform(0.05, 0.7) * max(lh, lw)
            ln = r * rng.uniform(0.05, 0.3)
            c, s = np.cos(a), np.sin(a)
            draw.line((cx + c * r, cy + s * r, cx + c * (r + ln), cy + s * (r + ln)),
                      fill=hsv(rng.uniform(0.5, 0.7), 0.3, rng.uniform(0.6, 1.0)))
        return np.asarray(im)
    return img.astype(np.uint8)


def _scatter(rng: Rng, lh: int, lw: int) -> np.ndarray:
    """Foliage, gravel or confetti: thousands of small blobs, far too many to draw one by one in Python."""
    base = _camo(rng, lh, lw) if rng.chance(0.5) else np.full((lh, lw, 3), _palette(rng, 1)[0], np.uint8)
    pal = _palette(rng, rng.randint(3, 6))
    r = rng.randint(1, 4)
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    blob = (xx * xx + yy * yy * rng.uniform(0.3, 1.5)) <= r * r
    n = int(lh * lw * rng.uniform(0.05, 0.3) / blob.sum())
    ys, xs = rng.np.integers(0, lh, n), rng.np.integers(0, lw, n)
    cols = pal[rng.np.integers(0, len(pal), n)]
    out = np.pad(base, ((r, r), (r, r), (0, 0)))
    for dy, dx in np.argwhere(blob):  # one vectorised write per blob pixel, not per blob
        out[ys + dy, xs + dx] = cols
    return out[r:r + lh, r:r + lw]


def _mosaic(rng: Rng, lh: int, lw: int) -> np.ndarray:
    """Small tiles of random related colours with grout lines (terrazzo floors, pixel mosaics)."""
    t = rng.randint(2, 6)
    pal = _palette(rng, rng.randint(4, 8))
    grid = pal[rng.np.integers(0, len(pal), (lh // t + 1, lw // t + 1))]
    img = np.repeat(np.repeat(grid, t, 0), t, 1)[:lh, :lw].copy()
    if t > 2 and rng.chance(0.6):
        img[::t] = (img[::t] * 0.6).astype(np.uint8)
        img[:, ::t] = (img[:, ::t] * 0.6).astype(np.uint8)
    return img


def _maze(rng: Rng, lh: int, lw: int) -> np.ndarray:
    """A circuit board or maze of thin lines on a grid: fine, contrasty and everywhere."""
    t = rng.randint(3, 8)
    gh, gw = lh // t + 1, lw // t + 1
    bg, fg = _palette(rng, 2)
    horiz = rng.np.random((gh, gw)) < 0.5
    lines = np.zeros((gh * t, gw * t), bool)
    lines[::t] = np.repeat(horiz, t, axis=1)  # a cell's wall along its top edge...
    lines[:, ::t] |= np.repeat(~horiz, t, axis=0)  # ...or along its left edge
    img = np.where(lines[..., None], fg, bg).astype(np.uint8)
    return img[:lh, :lw]


_KINDS = {"camo": _camo, "noise": _noise, "stars": _stars, "scatter": _scatter, "mosaic": _mosaic,
          "maze": _maze}


def busy(rng: Rng, lh: int, lw: int) -> np.ndarray:
    """A busy, high-frequency world; sometimes two textures blended, or softened as a 3D game would."""
    img = _KINDS[rng.choice(tuple(_KINDS))](rng, lh, lw)
    if rng.chance(0.25):
        other = _KINDS[rng.choice(tuple(_KINDS))](rng, lh, lw).astype(np.float32)
        t = value_noise(rng, lh, lw, rng.randint(2, 6), 2)[..., None]
        img = (img * (1 - t) + other * t).astype(np.uint8)
    if rng.chance(0.15):
        img = np.asarray(Image.fromarray(img).filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.2))))
    return img

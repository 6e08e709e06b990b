"""Whole-screen effects that real captures have: handheld palettes, scanlines, soft scaling, noise,
colour grading, and the dimmed/blurred world behind a pause menu. They never move pixels, so masks stay exact.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from uiseg.synth.common import Rng, hsv

_GB_GREEN = ((15, 56, 15), (48, 98, 48), (139, 172, 15), (155, 188, 15))


def dim_world(rng: Rng, world: np.ndarray) -> np.ndarray:
    """Darken and/or blur the world, as games do behind pause menus and dialogs."""
    im = Image.fromarray(world)
    if rng.chance(0.5):
        im = im.filter(ImageFilter.BoxBlur(max(1, min(world.shape[:2]) // 100)))
    out = np.asarray(im).astype(np.float32) * rng.uniform(0.35, 0.8)
    return out.astype(np.uint8)


def handheld_palette(rng: Rng) -> np.ndarray:
    """Four colours, darkest first: the classic green screen or a tinted grey ramp."""
    if rng.chance(0.5):
        return np.asarray(_GB_GREEN, np.uint8)
    hue, sat = rng.uniform(0, 1), rng.uniform(0, 0.5)
    return np.asarray([hsv(hue, sat, v) for v in (0.1, 0.4, 0.7, 0.95)], np.uint8)


def four_shades(img: np.ndarray, pal: np.ndarray, exact: bool = False) -> np.ndarray:
    """Map a picture to a 4-shade palette by luminance, like an early handheld's screen.

    exact=False cuts at the picture's own quartiles (no world collapses to one or two shades);
    exact=True cuts halfway between the palette's shades, so pixels already in the palette keep their shade.
    """
    lum = img[..., 0] * 0.299 + img[..., 1] * 0.587 + img[..., 2] * 0.114
    if exact:
        lp = pal[:, 0] * 0.299 + pal[:, 1] * 0.587 + pal[:, 2] * 0.114
        cuts = (lp[:-1] + lp[1:]) / 2
    else:
        cuts = np.quantile(lum[::4, ::4], (0.25, 0.5, 0.75))
    return pal[np.digitize(lum, cuts)]


def finish(rng: Rng, img: np.ndarray, p: int) -> np.ndarray:
    """Apply a random subset of screen effects to the composited screenshot (H, W, 3) uint8."""
    if rng.chance(0.07):  # CRT scanlines, period of the pixel grid
        img = img.copy()
        period = max(2, p)
        img[period - 1::period] = (img[period - 1::period] * rng.uniform(0.5, 0.85)).astype(np.uint8)
    if rng.chance(0.1):  # bilinear scaling by an emulator or a capture card
        h, w = img.shape[:2]
        f = rng.uniform(1.3, 2.5)
        small = Image.fromarray(img).resize((max(8, int(w / f)), max(8, int(h / f))), Image.BILINEAR)
        img = np.asarray(small.resize((w, h), Image.BILINEAR))
    if rng.chance(0.15):  # colour grading
        gain = np.asarray([rng.uniform(0.85, 1.15) for _ in range(3)], np.float32)
        img = np.clip(img.astype(np.float32) * gain, 0, 255).astype(np.uint8)
    if rng.chance(0.08):
        noise = rng.np.normal(0, rng.uniform(2, 7), img.shape[:2] + (1,)).astype(np.float32)
        img = np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    return img

"""Whole-screen effects that real captures have: handheld palettes, scanlines, soft scaling, sensor-like noise,
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


def four_shades(rng: Rng, img: np.ndarray) -> np.ndarray:
    """Map the picture to a 4-shade palette by luminance, like an early handheld's screen."""
    pal = np.asarray(_GB_GREEN if rng.chance(0.5) else
                     [hsv(rng.uniform(0, 1), rng.uniform(0, 0.5), v) for v in (0.1, 0.4, 0.7, 0.95)], np.uint8)
    lum = img[..., 0] * 0.299 + img[..., 1] * 0.587 + img[..., 2] * 0.114
    # Cut at the image's own quartiles so no picture collapses to one or two shades.
    cuts = np.quantile(lum[::4, ::4], (0.25, 0.5, 0.75))
    return pal[np.digitize(lum, cuts)]


def finish(rng: Rng, img: np.ndarray, family: str, p: int) -> np.ndarray:
    """Apply a random subset of screen effects to the composited screenshot (H, W, 3) uint8."""
    if family == "handheld" and rng.chance(0.6):
        img = four_shades(rng, img)
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

"""Whole-screen effects that real captures have: handheld and retro palettes with ordered (Bayer) or
error-diffusion dithering, CRT scanlines, vignette, soft scaling, noise, colour grading, JPEG compression,
and the dimmed/blurred world behind a pause menu. They never move pixels, so masks stay exact.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageFilter

from uiseg.synth.common import Rng, hsv, upscale_nearest

_GB_GREEN = ((15, 56, 15), (48, 98, 48), (139, 172, 15), (155, 188, 15))
# Fixed palettes of old machines (close approximations): CGA's two 4-colour modes, EGA, PICO-8, C64, ZX.
_FIXED = {
    "cga1": ((0, 0, 0), (85, 255, 255), (255, 85, 255), (255, 255, 255)),
    "cga2": ((0, 0, 0), (85, 255, 85), (255, 85, 85), (255, 255, 85)),
    "ega": tuple((r * 85, g * 85, b * 85) for r, g, b in (
        (0, 0, 0), (0, 0, 2), (0, 2, 0), (0, 2, 2), (2, 0, 0), (2, 0, 2), (2, 1, 0), (2, 2, 2), (1, 1, 1),
        (1, 1, 3), (1, 3, 1), (1, 3, 3), (3, 1, 1), (3, 1, 3), (3, 3, 1), (3, 3, 3))),
    "pico8": ((0, 0, 0), (29, 43, 83), (126, 37, 83), (0, 135, 81), (171, 82, 54), (95, 87, 79),
              (194, 195, 199), (255, 241, 232), (255, 0, 77), (255, 163, 0), (255, 236, 39), (0, 228, 54),
              (41, 173, 255), (131, 118, 156), (255, 119, 168), (255, 204, 170)),
    "c64": ((0, 0, 0), (255, 255, 255), (136, 57, 50), (103, 182, 189), (139, 63, 150), (85, 160, 73),
            (64, 49, 141), (191, 206, 114), (139, 84, 41), (87, 66, 0), (184, 105, 98), (80, 80, 80),
            (120, 120, 120), (148, 224, 137), (120, 105, 196), (159, 159, 159)),
    "zx": ((0, 0, 0), (0, 0, 215), (215, 0, 0), (215, 0, 215), (0, 215, 0), (0, 215, 215), (215, 215, 0),
           (215, 215, 215), (0, 0, 255), (255, 0, 0), (255, 0, 255), (0, 255, 0), (0, 255, 255),
           (255, 255, 0), (255, 255, 255)),
}


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


def _bayer(n: int) -> np.ndarray:
    """The n x n ordered-dither threshold matrix (n a power of two), values in [0, 1)."""
    m = np.zeros((1, 1))
    while m.shape[0] < n:
        m = np.block([[4 * m, 4 * m + 2], [4 * m + 3, 4 * m + 1]])
    return (m + 0.5) / m.size


def _retro_palette(rng: Rng, small: np.ndarray) -> np.ndarray:
    """A machine's fixed palette, a grey ramp, or k colours chosen from the picture itself (median cut)."""
    kind = rng.choice(("fixed", "fixed", "grey", "adaptive", "adaptive"))
    if kind == "fixed":
        return np.asarray(_FIXED[rng.choice(tuple(_FIXED))], np.uint8)
    if kind == "grey":
        tint = np.asarray(hsv(rng.uniform(0, 1), rng.uniform(0, 0.3), 1.0), np.float32) / 255
        ramp = np.linspace(0, 255, rng.choice((2, 4, 4, 8, 8)))[:, None] * tint
        return ramp.astype(np.uint8)
    q = Image.fromarray(small).quantize(colors=rng.choice((4, 8, 16, 32)), method=Image.Quantize.MEDIANCUT)
    used = [i for _n, i in q.getcolors()]
    full = np.asarray(q.getpalette(), np.uint8).reshape(-1, 3)
    return full[used]


def retro(rng: Rng, img: np.ndarray, grid: int) -> np.ndarray:
    """Reduce the frame to a small palette, dithered (ordered Bayer or Floyd-Steinberg) or not.

    With grid > 1 the frame is pixel art on that grid (world and UI share it), so the palette and the
    dither pattern are applied per art pixel and scaled back up, as the machine itself would show them.
    """
    h, w = img.shape[:2]
    small = np.ascontiguousarray(img[::grid, ::grid]) if grid > 1 else img
    pal = _retro_palette(rng, small)
    pimg = Image.new("P", (1, 1))
    pimg.putpalette(np.resize(pal, (256, 3)).flatten().tolist())  # padded with repeats, never stray black
    dither = rng.choice(("none", "bayer", "bayer", "diffusion"))
    src = small
    if dither == "bayer":
        n = rng.choice((2, 4, 8))
        m = _bayer(n)
        thr = np.tile(m, (small.shape[0] // n + 1, small.shape[1] // n + 1))[:small.shape[0], :small.shape[1]]
        spread = 255 / max(1.0, len(pal) ** (1 / 3)) * rng.uniform(0.4, 1.0)
        src = np.clip(small + (thr[..., None] - 0.5) * spread, 0, 255).astype(np.uint8)
    mode = Image.Dither.FLOYDSTEINBERG if dither == "diffusion" else Image.Dither.NONE
    out = np.asarray(Image.fromarray(src).quantize(palette=pimg, dither=mode).convert("RGB"))
    return upscale_nearest(out, grid, h, w) if grid > 1 else out


def _vignette(rng: Rng, img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    yy = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
    xx = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    fall = 1 - rng.uniform(0.2, 0.6) * np.clip((xx * xx + yy * yy) / 2, 0, 1) ** rng.uniform(0.7, 1.5)
    return (img * fall[..., None]).astype(np.uint8)


def _jpeg(rng: Rng, img: np.ndarray) -> np.ndarray:
    """Compress the final frame like a shared screenshot or a stream capture (blocks, ringing, bleed)."""
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=rng.randint(20, 90), subsampling=rng.choice((0, 2)))
    return np.asarray(Image.open(buf).convert("RGB"))


def finish(rng: Rng, img: np.ndarray, p: int) -> np.ndarray:
    """Apply a random subset of screen effects to the composited screenshot (H, W, 3) uint8."""
    if rng.chance(0.1):  # CRT scanlines, period of the pixel grid
        img = img.copy()
        period = max(2, p) if p > 1 or rng.chance(0.5) else 3
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
    if rng.chance(0.1):
        img = _vignette(rng, img)
    if rng.chance(0.15):
        img = _jpeg(rng, img)
    return img

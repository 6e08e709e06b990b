"""Pixel-art building blocks drawn with numpy: symmetric sprites, textured tiles, tile maps.

The same sprites appear in the world (characters, trees, coins) and in the UI (item icons, portraits),
so the model has to use the frame and layout around an icon, not the icon itself, to call it UI.
"""

from __future__ import annotations

import numpy as np

from uiseg.synth.common import Color, Rng, hsv, shade

_HEART = np.array([[0, 1, 1, 0, 1, 1, 0],
                   [1, 1, 1, 1, 1, 1, 1],
                   [1, 1, 1, 1, 1, 1, 1],
                   [0, 1, 1, 1, 1, 1, 0],
                   [0, 0, 1, 1, 1, 0, 0],
                   [0, 0, 0, 1, 0, 0, 0]], bool)


def _shift_or(m: np.ndarray) -> np.ndarray:
    """4-neighbour dilation of a bool mask (one-pixel outline around a sprite)."""
    out = m.copy()
    out[1:] |= m[:-1]
    out[:-1] |= m[1:]
    out[:, 1:] |= m[:, :-1]
    out[:, :-1] |= m[:, 1:]
    return out


def make_sprite(rng: Rng, size: int, colors: list[Color] | None = None, outline: bool = True) -> np.ndarray:
    """A random left-right symmetric sprite, (size, size, 4) uint8 RGBA, like an 8-bit character or item."""
    size = max(4, size)
    inner = size - 2 if outline else size
    half = (inner + 1) // 2
    yy, xx = np.mgrid[0:inner, 0:half]
    # Denser near the centre line and the middle rows, so the shape reads as one body, not confetti.
    centre = 1.0 - np.abs(yy - inner / 2) / (inner / 2) * 0.6
    body = rng.np.random((inner, half)) < 0.25 + 0.5 * centre * (xx + 1) / half
    full = np.concatenate([body, body[:, ::-1][:, inner % 2:]], axis=1)
    if colors is None:
        h = rng.uniform(0, 1)
        colors = [hsv(h, rng.uniform(0.4, 1), rng.uniform(0.5, 1)), hsv(h + rng.uniform(0.2, 0.5), 0.7, 0.9),
                  hsv(h, 0.5, rng.uniform(0.2, 0.5))]
    pal = np.asarray(colors, np.uint8)
    idx = rng.np.integers(0, len(pal), (inner, half))
    idx = np.concatenate([idx, idx[:, ::-1][:, inner % 2:]], axis=1)
    out = np.zeros((size, size, 4), np.uint8)
    o = 1 if outline else 0
    region = out[o:o + inner, o:o + inner]
    region[..., :3] = pal[idx]
    region[..., 3] = full * 255
    if outline:
        ring = _shift_or(out[..., 3] > 0) & (out[..., 3] == 0)
        out[ring] = (*shade(colors[-1], 0.3), 255)
    return out


def heart(filled: bool, color: Color) -> np.ndarray:
    """A 9x8 heart icon (RGBA), full or empty: the classic life counter."""
    out = np.zeros((8, 9, 4), np.uint8)
    inner = np.zeros((8, 9), bool)
    inner[1:7, 1:8] = _HEART
    ring = _shift_or(inner) & ~inner
    out[ring] = (20, 10, 10, 255)
    out[inner] = (*color, 255) if filled else (60, 50, 50, 255)
    return out


def coin(size: int, color: Color) -> np.ndarray:
    """A round coin / gem icon (RGBA) with a darker rim and a highlight."""
    yy, xx = np.mgrid[0:size, 0:size] - (size - 1) / 2
    r = np.hypot(yy, xx)
    out = np.zeros((size, size, 4), np.uint8)
    out[r <= size / 2] = (*shade(color, 0.5), 255)
    out[r <= size / 2 - 1] = (*color, 255)
    out[(np.hypot(yy + size / 5, xx + size / 5) < size / 6)] = (255, 255, 240, 255)
    return out


def paste(dst: np.ndarray, spr: np.ndarray, x: int, y: int) -> None:
    """Alpha-paste an RGBA sprite (binary alpha) into an RGB array, clipped to its edges."""
    h, w = dst.shape[:2]
    sh, sw = spr.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + sw, w), min(y + sh, h)
    if x0 >= x1 or y0 >= y1:
        return
    part = spr[y0 - y:y1 - y, x0 - x:x1 - x]
    region = dst[y0:y1, x0:x1]
    keep = part[..., 3] > 127
    region[keep] = part[..., :3][keep]


def make_tile(rng: Rng, ts: int, base: Color, pattern: str) -> np.ndarray:
    """One (ts, ts, 3) tile: a base colour with a pattern (bricks, grass, waves, checks, speckles)."""
    tile = np.empty((ts, ts, 3), np.float32)
    tile[:] = base
    yy, xx = np.mgrid[0:ts, 0:ts]
    dark, light = np.asarray(shade(base, 0.7), np.float32), np.asarray(shade(base, 1.25), np.float32)
    if pattern == "brick":
        row = yy // max(2, ts // 4)
        mortar = (yy % max(2, ts // 4) == 0) | (((xx + (row % 2) * ts // 4) % max(2, ts // 2)) == 0)
        tile[mortar] = dark
    elif pattern == "grass":
        tile[rng.np.random((ts, ts)) < 0.12] = light
        tile[rng.np.random((ts, ts)) < 0.08] = dark
    elif pattern == "waves":
        tile[((yy + (np.sin(xx / ts * 2 * np.pi) * 1.5).astype(int)) % max(3, ts // 3)) == 0] = light
    elif pattern == "checker":
        tile[((yy // max(1, ts // 2)) + (xx // max(1, ts // 2))) % 2 == 1] = dark
    elif pattern == "stone":
        tile[(yy == 0) | (xx == 0)] = dark
        tile[(yy == ts - 1) | (xx == ts - 1)] = light
        tile += rng.np.normal(0, 8, (ts, ts, 1)).astype(np.float32)
    else:  # speckles
        tile += rng.np.normal(0, 10, (ts, ts, 1)).astype(np.float32)
    return np.clip(tile, 0, 255).astype(np.uint8)


def tilemap(types: np.ndarray, tiles: np.ndarray) -> np.ndarray:
    """Assemble a (gh*ts, gw*ts, 3) image from a (gh, gw) tile-index map and a (k, ts, ts, 3) tile set."""
    gh, gw = types.shape
    ts = tiles.shape[1]
    return tiles[types].transpose(0, 2, 1, 3, 4).reshape(gh * ts, gw * ts, 3)

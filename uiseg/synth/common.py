"""Small shared helpers for the synthetic generator: seeded randomness, colours, value noise."""

from __future__ import annotations

import colorsys
import random
from collections.abc import Sequence
from typing import TypeVar

import numpy as np
from PIL import Image

T = TypeVar("T")
Color = tuple[int, int, int]


class Rng:
    """All the randomness of one sample, derived from integer keys only.

    Python's Random serves scalar picks (a numpy Generator costs microseconds per scalar call, and a sample
    makes hundreds); numpy serves arrays. Both are seeded from one SeedSequence, so a sample depends on its
    keys alone, never on the process or the order samples are made in.
    """

    def __init__(self, *keys: int):
        seq = np.random.SeedSequence([int(k) for k in keys])
        self.py = random.Random(int(seq.generate_state(1, np.uint64)[0]))
        self.np = np.random.default_rng(seq.spawn(1)[0])

    def uniform(self, lo: float, hi: float) -> float:
        return self.py.uniform(lo, hi)

    def randint(self, lo: int, hi: int) -> int:
        """Integer in [lo, hi], both ends included."""
        return self.py.randint(lo, hi)

    def chance(self, p: float) -> bool:
        return self.py.random() < p

    def choice(self, items: Sequence[T]) -> T:
        return items[self.py.randrange(len(items))]

    def weighted(self, table: dict[str, float]) -> str:
        """Pick a key with probability proportional to its weight (dict order is insertion order: stable)."""
        keys = list(table)
        return self.py.choices(keys, weights=[table[k] for k in keys])[0]


def hsv(h: float, s: float, v: float) -> Color:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, min(max(s, 0.0), 1.0), min(max(v, 0.0), 1.0))
    return int(r * 255), int(g * 255), int(b * 255)


def shade(c: Color, f: float) -> Color:
    """Multiply a colour's brightness (f > 1 lightens, towards white once a channel saturates)."""
    if f <= 1.0:
        return tuple(int(x * f) for x in c)  # type: ignore[return-value]
    return tuple(int(min(255, x + (255 - x) * (f - 1.0))) for x in c)  # type: ignore[return-value]


def mix(a: Color, b: Color, t: float) -> Color:
    return tuple(int(x + (y - x) * t) for x, y in zip(a, b))  # type: ignore[return-value]


def luma(c: Sequence[int]) -> float:
    return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]


def readable_on(bg: Color, rng: Rng) -> Color:
    """A text colour that contrasts with bg: UI text is made to be read, so the generator keeps it legible."""
    if luma(bg) > 140:
        return rng.choice([(0, 0, 0), (30, 30, 40), (60, 20, 10), (20, 40, 90)])
    return rng.choice([(255, 255, 255), (240, 240, 220), (255, 230, 120), (200, 240, 255)])


def rgba(c: Sequence[int], a: int = 255) -> tuple[int, int, int, int]:
    return int(c[0]), int(c[1]), int(c[2]), int(a)


def value_noise(rng: Rng, h: int, w: int, cells: int, octaves: int = 3) -> np.ndarray:
    """Smooth noise in [0, 1], shape (h, w): random grids upscaled bilinearly (C speed), summed by octave."""
    out = np.zeros((h, w), np.float32)
    total = 0.0
    for o in range(octaves):
        n = max(2, cells * (2**o))
        gh, gw = max(2, round(n * h / max(h, w))), max(2, round(n * w / max(h, w)))
        grid = rng.np.random((gh, gw), dtype=np.float32)
        layer = Image.fromarray(grid, "F").resize((w, h), Image.BILINEAR)
        amp = 0.5**o
        out += np.asarray(layer) * amp
        total += amp
    out /= total
    lo, hi = float(out.min()), float(out.max())
    return (out - lo) / max(hi - lo, 1e-6)


def vgradient(h: int, w: int, top: Color, bottom: Color, power: float = 1.0) -> np.ndarray:
    """Vertical gradient (h, w, 3) uint8; power bends it (skies are brighter near the horizon)."""
    t = (np.linspace(0.0, 1.0, max(h, 1), dtype=np.float32) ** power)[:, None, None]
    col = np.asarray(top, np.float32) * (1 - t) + np.asarray(bottom, np.float32) * t
    return np.broadcast_to(col, (h, w, 3)).astype(np.uint8)


def upscale_nearest(arr: np.ndarray, p: int, h: int, w: int) -> np.ndarray:
    """Nearest-neighbour upscale by an integer factor, cropped to (h, w): how pixel art reaches the screen."""
    if p > 1:
        arr = np.repeat(np.repeat(arr, p, axis=0), p, axis=1)
    return np.ascontiguousarray(arr[:h, :w])

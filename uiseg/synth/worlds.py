"""Game worlds: everything in a screenshot that is not UI, in 14 kinds, plus scenery that looks like UI.

Pixel-art worlds are drawn at a low resolution and scaled up with nearest-neighbour, as old games and
emulators do; smooth worlds are computed small and scaled up bilinearly (fast and soft), then given a
full-resolution grain, since big screenshots of 3D games are sharp. Each kind is one fold of the
leave-one-world-kind-out benchmark, so close kinds are merged rather than split.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from uiseg.synth import scenery, worlds_3d, worlds_busy, worlds_classic, worlds_games, worlds_scene
from uiseg.synth.common import Rng, upscale_nearest


def _backdrop(rng: Rng, lh: int, lw: int) -> np.ndarray:
    """A painted scene, or a photo-like one (smooth gradients, out-of-focus lights)."""
    return worlds_scene.photo(rng, lh, lw) if rng.chance(0.35) else worlds_classic.backdrop(rng, lh, lw)


# kind: (draw function, shorter side it is drawn at when smooth; None: drawn at full resolution)
_KINDS = {
    "topdown": (worlds_classic.topdown, None),
    "sidescroll": (worlds_classic.sidescroll, None),
    "space": (worlds_classic.space, None),
    "landscape": (worlds_classic.landscape, 360),
    "dungeon": (worlds_classic.dungeon, None),
    "backdrop": (_backdrop, 160),
    "road": (worlds_3d.road, 300),
    "corridor": (worlds_3d.corridor, 300),
    "scene3d": (worlds_scene.scene3d, 300),
    "isometric": (worlds_games.isometric, 400),
    "arena": (worlds_games.arena, 320),
    "board": (worlds_games.board, 400),
    "table": (worlds_games.table, 320),
    "busy": (worlds_busy.busy, None),
}
WORLDS: tuple[str, ...] = tuple(_KINDS)


def render_world(rng: Rng, kind: str, h: int, w: int, p: int, decoy_font: str | None) -> np.ndarray:
    """The world image (h, w, 3) uint8 of a kind; pixel art (p > 1) is drawn at 1/p and scaled up."""
    draw, smooth = _KINDS[kind]
    s = p if p > 1 else max(1, min(h, w) // smooth) if smooth else 1
    lh, lw = -(-h // s), -(-w // s)
    img = np.ascontiguousarray(draw(rng, lh, lw), np.uint8)
    img = scenery.dress(rng, img, kind, decoy_font)
    if p > 1 or s == 1:
        return upscale_nearest(img, s, h, w)
    out = np.asarray(Image.fromarray(img).resize((w, h), Image.BILINEAR), np.float32)
    grain = np.tile(rng.np.normal(0, rng.uniform(2, 8), (61, 67, 1)).astype(np.float32),
                    (h // 61 + 1, w // 67 + 1, 1))[:h, :w]
    return np.clip(out + grain, 0, 255).astype(np.uint8)

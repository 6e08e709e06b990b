"""Style families: each biases worlds, UI widgets, frames, fonts and colours towards one kind of game.

A family is a set of weights, not a template: a quarter of every attribute is drawn from the global pool
instead, so families overlap the way real games do. VAL_FAMILIES are held out of training so that a
validation score measures generalisation to an unseen look rather than memorisation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from uiseg.synth import faces, fonts
from uiseg.synth.common import Color, Rng, hsv, luma, readable_on, shade, value_noise
from uiseg.synth.worlds import WORLDS

WIDGETS = ("dialog", "menu", "status", "bar", "counter", "hearts", "buttons", "inventory", "hotbar",
           "minimap", "panel", "banner", "crosshair", "screen", "score", "race", "gauge", "cooldown", "band")
FRAMES = ("plain", "double", "bevel", "rounded", "nine", "flat", "accent", "skew", "glow", "none")
UI_PALETTES = ("rpg", "dark", "bright", "stone", "neon", "flat", "random")

# pixel=(lo, hi) is the range of low-resolution widths pixel art is drawn at; None means a smooth world.
# ui_pixel: chance the UI shares the world's pixel grid; gradient / alpha: chance of gradient / see-through
# panels; frost: chance a see-through panel blurs the world behind it; retro: chance of a small palette
# with dithering over the whole frame.
SPECS: dict[str, dict] = {
    "rpg_dialog": {
        "worlds": {"topdown": 5, "dungeon": 3, "isometric": 2, "backdrop": 1, "corridor": 1},
        "widgets": {"dialog": 6, "menu": 4, "status": 3, "inventory": 2, "panel": 1, "counter": 1,
                    "buttons": 1, "screen": 1, "band": 1},
        "frames": {"double": 3, "rounded": 3, "nine": 3, "bevel": 1, "plain": 1, "none": 1},
        "palettes": {"rpg": 4, "dark": 1},
        "fonts": {"bitmap": 2, "default": 2, "sans": 2, "serif": 1, "mono": 1, "grid": 2},
        "count": (1, 4), "pixel": (160, 400), "ui_pixel": 0.7, "gradient": 0.6, "alpha": 0.2, "frost": 0.0,
        "retro": 0.2},
    "arcade_hud": {
        "worlds": {"space": 5, "busy": 3, "sidescroll": 2, "topdown": 1, "road": 1},
        "widgets": {"counter": 6, "score": 4, "hearts": 2, "bar": 2, "banner": 2, "panel": 1, "band": 1},
        "frames": {"none": 5, "plain": 2, "flat": 1, "glow": 2},
        "palettes": {"neon": 3, "dark": 2, "random": 1},
        "fonts": {"bitmap": 3, "mono": 3, "default": 1, "sans": 1, "grid": 3},
        "count": (2, 6), "pixel": (160, 320), "ui_pixel": 0.8, "gradient": 0.1, "alpha": 0.2, "frost": 0.0,
        "retro": 0.3},
    "strategy_panels": {
        "worlds": {"topdown": 4, "isometric": 4, "landscape": 2, "dungeon": 1, "board": 1},
        "widgets": {"panel": 4, "minimap": 4, "buttons": 3, "counter": 3, "inventory": 3, "status": 2,
                    "menu": 1, "screen": 1, "band": 2, "cooldown": 1},
        "frames": {"bevel": 4, "plain": 2, "nine": 2, "double": 1},
        "palettes": {"stone": 4, "dark": 2, "rpg": 1},
        "fonts": {"serif": 2, "sans": 2, "default": 2, "stroke": 1},
        "count": (3, 8), "pixel": None, "ui_pixel": 0.1, "gradient": 0.4, "alpha": 0.2, "frost": 0.1,
        "retro": 0.05},
    "handheld": {
        "worlds": {"topdown": 3, "sidescroll": 3, "dungeon": 2, "board": 1, "road": 1},
        "widgets": {"dialog": 4, "menu": 3, "counter": 3, "hearts": 2, "status": 2, "inventory": 1, "band": 2,
                    "score": 1},
        "frames": {"plain": 3, "double": 3, "rounded": 1, "nine": 1, "none": 1},
        "palettes": {"bright": 3, "dark": 2},
        "fonts": {"bitmap": 4, "mono": 1, "default": 1, "grid": 3},
        "count": (1, 4), "pixel": (144, 176), "ui_pixel": 1.0, "gradient": 0.0, "alpha": 0.0, "frost": 0.0,
        "retro": 0.2},
    "modern_flat": {
        "worlds": {"landscape": 4, "scene3d": 3, "backdrop": 2, "busy": 1},
        "widgets": {"counter": 3, "bar": 3, "buttons": 3, "minimap": 2, "panel": 2, "banner": 1,
                    "crosshair": 1, "menu": 2, "screen": 1, "cooldown": 1, "gauge": 1},
        "frames": {"flat": 4, "rounded": 4, "accent": 3, "none": 2, "skew": 1},
        "palettes": {"flat": 5, "bright": 1},
        "fonts": {"sans": 4, "default": 3, "italic": 1, "stroke": 1},
        "count": (2, 7), "pixel": None, "ui_pixel": 0.0, "gradient": 0.2, "alpha": 0.7, "frost": 0.5,
        "retro": 0.0},
    "platformer": {
        "worlds": {"sidescroll": 7, "busy": 1, "topdown": 1},
        "widgets": {"counter": 5, "score": 3, "hearts": 4, "bar": 1, "banner": 1, "buttons": 1, "band": 2},
        "frames": {"none": 5, "rounded": 2, "plain": 1},
        "palettes": {"random": 2, "bright": 1, "dark": 1},
        "fonts": {"bitmap": 2, "default": 2, "sans": 2, "mono": 1, "grid": 2},
        "count": (1, 5), "pixel": (200, 420), "ui_pixel": 0.8, "gradient": 0.2, "alpha": 0.2, "frost": 0.0,
        "retro": 0.25},
    "fighting": {
        "worlds": {"arena": 7, "backdrop": 2, "sidescroll": 1},
        "widgets": {"bar": 6, "counter": 3, "banner": 3, "status": 1, "gauge": 1, "score": 1},
        "frames": {"none": 3, "skew": 3, "plain": 1, "accent": 2, "bevel": 1},
        "palettes": {"neon": 2, "dark": 2, "random": 1},
        "fonts": {"italic": 2, "sans": 2, "default": 1, "bitmap": 1, "grid": 1},
        "count": (2, 5), "pixel": (256, 480), "ui_pixel": 0.5, "gradient": 0.5, "alpha": 0.2, "frost": 0.0,
        "retro": 0.1},
    "shooter": {
        "worlds": {"corridor": 4, "landscape": 3, "scene3d": 3, "busy": 1, "space": 1},
        "widgets": {"counter": 4, "bar": 3, "crosshair": 3, "minimap": 3, "panel": 1, "hotbar": 1,
                    "cooldown": 2, "gauge": 1, "band": 1},
        "frames": {"none": 4, "flat": 3, "accent": 2, "skew": 1, "glow": 1},
        "palettes": {"flat": 3, "neon": 2, "dark": 1},
        "fonts": {"sans": 3, "mono": 2, "default": 2, "grid": 1},
        "count": (2, 7), "pixel": None, "ui_pixel": 0.0, "gradient": 0.1, "alpha": 0.6, "frost": 0.2,
        "retro": 0.05},
    "racing": {
        "worlds": {"road": 8, "landscape": 1, "scene3d": 1},
        "widgets": {"gauge": 5, "race": 5, "counter": 3, "minimap": 2, "banner": 2, "bar": 1, "band": 1},
        "frames": {"none": 5, "skew": 2, "flat": 2, "accent": 1, "glow": 1},
        "palettes": {"flat": 2, "neon": 2, "dark": 2, "random": 1},
        "fonts": {"italic": 3, "sans": 2, "mono": 1, "default": 1, "grid": 1},
        "count": (2, 6), "pixel": (256, 400), "ui_pixel": 0.4, "gradient": 0.3, "alpha": 0.4, "frost": 0.2,
        "retro": 0.1},
    "tabletop": {
        "worlds": {"board": 5, "table": 5, "backdrop": 1},
        "widgets": {"counter": 3, "score": 3, "panel": 2, "buttons": 3, "menu": 1, "banner": 2, "band": 2,
                    "status": 1, "dialog": 1},
        "frames": {"rounded": 3, "flat": 2, "none": 3, "bevel": 1, "plain": 1},
        "palettes": {"bright": 2, "flat": 2, "dark": 2, "random": 1},
        "fonts": {"sans": 3, "serif": 2, "default": 2, "grid": 1, "stroke": 1},
        "count": (1, 5), "pixel": (200, 480), "ui_pixel": 0.5, "gradient": 0.4, "alpha": 0.4, "frost": 0.3,
        "retro": 0.1},
    "visual_novel": {
        "worlds": {"backdrop": 8, "scene3d": 1, "landscape": 1},
        "widgets": {"dialog": 8, "buttons": 3, "menu": 2, "panel": 1},
        "frames": {"rounded": 4, "flat": 3, "accent": 2, "nine": 1},
        "palettes": {"flat": 3, "bright": 2, "random": 2},
        "fonts": {"serif": 3, "sans": 3, "default": 2, "italic": 1},
        "count": (1, 4), "pixel": None, "ui_pixel": 0.0, "gradient": 0.4, "alpha": 0.7, "frost": 0.3,
        "retro": 0.0},
    "mmo_hotbar": {
        "worlds": {"landscape": 5, "isometric": 2, "topdown": 1, "dungeon": 1, "scene3d": 1},
        "widgets": {"hotbar": 4, "minimap": 3, "panel": 3, "status": 3, "buttons": 1, "counter": 1, "bar": 1,
                    "screen": 1, "cooldown": 2},
        "frames": {"bevel": 2, "rounded": 2, "nine": 2, "flat": 2},
        "palettes": {"stone": 2, "dark": 2, "flat": 2},
        "fonts": {"sans": 3, "serif": 2, "default": 2},
        "count": (4, 8), "pixel": None, "ui_pixel": 0.0, "gradient": 0.3, "alpha": 0.5, "frost": 0.2,
        "retro": 0.0},
}
FAMILIES: tuple[str, ...] = tuple(SPECS)
VAL_FAMILIES: tuple[str, ...] = ("visual_novel", "mmo_hotbar")
TRAIN_FAMILIES: tuple[str, ...] = tuple(f for f in FAMILIES if f not in VAL_FAMILIES)
WILD = 0.25  # share of attributes drawn from the global pool instead of the family's weights


@dataclass
class Style:
    """Everything one screenshot's look depends on; sampled once per image."""

    family: str
    world: str
    world_p: int       # nearest-neighbour scale of the world
    ui_p: int          # nearest-neighbour scale of the UI (1 = drawn at full resolution)
    lh: int            # UI canvas size in UI pixels (full size // ui_p)
    lw: int
    font: str
    font2: str
    text: int          # text size in UI pixels
    aa: bool           # anti-aliased text (pixel-art UI is not)
    frame: str
    border: int
    radius: int
    bg: Color
    bg2: Color | None  # gradient end, or flat fill
    alpha: int
    texture: np.ndarray | None  # small tile of brightness factors for textured panels
    edge: Color        # outer border
    edge2: Color       # inner border / highlight
    fg: Color
    accent: Color
    frost: int         # blur radius (screen pixels) of the world behind see-through panels; 0 = none
    shadow: bool
    outline: bool      # outlined text, as HUDs drawn straight over the world use
    text_shadow: bool  # ...or drop-shadowed text instead of an outline
    count: tuple[int, int]
    widgets: dict[str, float]


def _pick(rng: Rng, table: dict[str, float], pool: tuple[str, ...]) -> str:
    live = {k: v for k, v in table.items() if v > 0}
    return rng.choice(pool) if rng.chance(WILD) or not live else rng.weighted(live)


def _ui_colors(rng: Rng, palette: str) -> tuple[Color, Color, Color, Color]:
    """Panel background, its gradient end, outer border and inner border colours."""
    h = rng.uniform(0, 1)
    if palette == "rpg":
        bg = hsv(rng.uniform(0.55, 0.7), rng.uniform(0.5, 0.9), rng.uniform(0.3, 0.6))
        edge = rng.choice([(255, 255, 255), (220, 220, 230), (230, 190, 90)])
        return bg, shade(bg, 0.35), edge, (90, 90, 110)
    if palette == "dark":
        bg = hsv(h, rng.uniform(0, 0.3), rng.uniform(0.02, 0.18))
        return bg, shade(bg, 1.4), hsv(h, 0.3, rng.uniform(0.5, 0.9)), hsv(h, 0.2, 0.3)
    if palette == "bright":
        bg = hsv(h, rng.uniform(0, 0.25), rng.uniform(0.85, 1.0))
        return bg, shade(bg, 0.85), hsv(h, 0.5, rng.uniform(0.1, 0.4)), hsv(h, 0.3, 0.6)
    if palette == "stone":
        bg = hsv(rng.uniform(0.05, 0.15), rng.uniform(0.1, 0.4), rng.uniform(0.25, 0.5))
        return bg, shade(bg, 0.7), shade(bg, 1.5), shade(bg, 0.5)
    if palette == "neon":
        return (0, 0, 0), hsv(h, 0.8, 0.2), hsv(h, 0.9, 1.0), hsv(h + 0.5, 0.9, 1.0)
    if palette == "flat":
        bg = rng.choice([(0, 0, 0), (20, 24, 30), (255, 255, 255), hsv(h, 0.5, 0.3)])
        return bg, bg, hsv(h, 0.6, 0.9), hsv(h, 0.3, 0.7)
    return hsv(h, rng.uniform(0, 1), rng.uniform(0, 1)), hsv(h + 0.1, 0.5, 0.5), hsv(h + 0.5, 0.5, 0.9), \
        hsv(h, 0.2, 0.2)


def _font(rng: Rng, spec: dict, text: int, aa: bool) -> str:
    group = _pick(rng, spec["fonts"], fonts.GROUPS)
    if group == "bitmap" and (text > 13 or aa):  # the bitmap font is 11 px tall: only for small pixel text
        group = "default"
    elif not aa and text < 10 and rng.chance(0.7):  # tiny hard-edged TrueType text is mostly unreadable
        group = rng.choice(("bitmap", "grid"))
    return faces.variant(rng, rng.choice(fonts.available(group)), text, aa)


def _texture(rng: Rng) -> np.ndarray | None:
    """A tileable brightness pattern for panel fills (None most of the time: flat fills dominate)."""
    if not rng.chance(0.2):
        return None
    n = rng.choice((8, 16, 32))
    kind = rng.choice(("noise", "grain", "lines"))
    if kind == "lines":  # brushed metal / scanline panels
        rows = 1 + rng.uniform(0.05, 0.2) * np.sin(np.arange(n) * rng.uniform(0.5, 3))[:, None]
        return np.ascontiguousarray(np.broadcast_to(rows, (n, n)), np.float32)
    tex = rng.np.random((n, n)) if kind == "grain" else value_noise(rng, n, n, 2, 2)
    return (1 + (tex - 0.5) * rng.uniform(0.15, 0.5)).astype(np.float32)


def _pixel_scale(rng: Rng, spec: dict, h: int, w: int) -> int:
    """The integer factor (1-6) pixel art is upscaled by; the low-resolution picture keeps >= 64 px a side."""
    top = max(1, min(6, min(h, w) // 64))
    if spec["pixel"] is None or rng.chance(WILD / 2):
        if rng.chance(0.1):  # a retro game in a smooth family's clothes
            return rng.randint(1, top)
        return 1 if min(h, w) < 600 or rng.chance(0.7) else min(2, top)
    lo, hi = spec["pixel"]
    return max(1, min(top, round(w / rng.uniform(lo, hi))))


def sample_style(rng: Rng, family: str, h: int, w: int, worlds: tuple[str, ...] | None = None) -> Style:
    """Draw one screenshot's style from a family's distribution; `worlds` restricts the world kinds."""
    spec = SPECS[family]
    if worlds is None:
        world = _pick(rng, spec["worlds"], WORLDS)
    else:  # held-out world kinds never appear: the family's weights and the pool keep only the allowed ones
        world = _pick(rng, {k: v for k, v in spec["worlds"].items() if k in worlds}, worlds)
    world_p = _pixel_scale(rng, spec, h, w)
    ui_p = world_p if rng.chance(spec["ui_pixel"]) else max(1, round(min(h, w) / rng.uniform(250, 1400)))
    lh, lw = h // ui_p, w // ui_p
    text = max(7, round(min(lh, lw * 0.75) * rng.uniform(0.035, 0.075)))
    aa = ui_p == 1 and not (spec["pixel"] and rng.chance(0.5))
    bg, bg2, edge, edge2 = _ui_colors(rng, _pick(rng, spec["palettes"], UI_PALETTES))
    translucent = rng.chance(spec["alpha"])
    border = max(1, round(text * rng.uniform(0.08, 0.3)))
    return Style(
        family=family, world=world, world_p=world_p, ui_p=ui_p, lh=lh, lw=lw,
        font=_font(rng, spec, text, aa), font2=_font(rng, spec, text, aa), text=text, aa=aa,
        frame=_pick(rng, spec["frames"], FRAMES), border=border, radius=round(text * rng.uniform(0.2, 1.0)),
        bg=bg, bg2=bg2 if rng.chance(spec["gradient"]) else None,
        alpha=rng.randint(140, 225) if translucent else 255, texture=_texture(rng), edge=edge, edge2=edge2,
        fg=readable_on(bg, rng) if not (luma(bg) < 60 and rng.chance(0.3)) else edge,
        accent=hsv(rng.uniform(0, 1), rng.uniform(0.6, 1.0), rng.uniform(0.7, 1.0)),
        frost=max(1, min(h, w) // rng.randint(40, 120)) if translucent and rng.chance(spec["frost"]) else 0,
        shadow=rng.chance(0.35), outline=rng.chance(0.6), text_shadow=rng.chance(0.4),
        count=spec["count"], widgets=spec["widgets"],
    )

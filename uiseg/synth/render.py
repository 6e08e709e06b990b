"""One synthetic screenshot: a world, 1-8 UI elements placed where HUDs go, screen effects, an exact mask."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PIL import Image, ImageFilter

from uiseg.errors import UisegError
from uiseg.synth import post, ui_float, ui_gauge, ui_hud, ui_screen, ui_text
from uiseg.synth.common import Rng
from uiseg.synth.families import FAMILIES, SPECS, WIDGETS, Style, sample_style
from uiseg.synth.frames import Element, canvas, panel
from uiseg.synth.worlds import WORLDS, render_world

MIN_SIDE, MAX_SIDE = 32, 8192
_MAKERS = {
    "dialog": ui_text.dialog, "menu": ui_text.menu, "panel": ui_text.text_panel, "counter": ui_float.counter,
    "banner": ui_float.banner, "buttons": ui_text.buttons, "status": ui_hud.status, "bar": ui_hud.bar,
    "hearts": ui_hud.hearts, "inventory": ui_hud.inventory, "hotbar": ui_hud.hotbar,
    "minimap": ui_hud.minimap, "crosshair": ui_hud.crosshair, "screen": ui_screen.screen,
    "score": ui_float.score, "race": ui_float.race, "gauge": ui_gauge.gauge, "cooldown": ui_gauge.cooldown,
    "band": ui_screen.band,
}
# Where an anchor puts an element: fraction of the free space on x and y.
_ANCHORS = {"tl": (0, 0), "tc": (0.5, 0), "tr": (1, 0), "ml": (0, 0.5), "c": (0.5, 0.5), "mr": (1, 0.5),
            "bl": (0, 1), "bc": (0.5, 1), "br": (1, 1)}
# Games show one of each of these at a time.
_ONCE = {"dialog", "minimap", "crosshair", "hotbar", "banner", "inventory", "screen", "band", "race", "score"}
_SALT = 0x5EED  # keeps render's stream apart from the streams generate() derives from the same seed


def check_size(size) -> tuple[int, int]:
    """Validate an (H, W) pair; returns it as ints."""
    try:
        h, w = (int(v) for v in size)
    except (TypeError, ValueError):
        raise UisegError(f"size must be (height, width), got {size!r}") from None
    if not (MIN_SIDE <= h <= MAX_SIDE and MIN_SIDE <= w <= MAX_SIDE):
        raise UisegError(f"size {w}x{h} (WxH) is out of range: each side must be "
                         f"{MIN_SIDE}..{MAX_SIDE} pixels")
    return h, w


def check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise UisegError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def check_worlds(worlds) -> tuple[str, ...] | None:
    """Validate a restriction to world kinds (None = all); returns it as a tuple in WORLDS order."""
    if worlds is None:
        return None
    unknown = [k for k in worlds if k not in WORLDS]
    if unknown or not worlds:
        raise UisegError(f"unknown or empty world kinds {list(worlds)!r}; choose from: {', '.join(WORLDS)}")
    return tuple(k for k in WORLDS if k in worlds)


def check_family(family: str) -> str:
    if family not in FAMILIES:
        raise UisegError(f"unknown style family {family!r}; choose from: {', '.join(FAMILIES)}")
    return family


def pick_family(seed: int) -> str:
    """The family render() uses for a seed when none is given."""
    return Rng(seed, _SALT, 1).choice(FAMILIES)


def _inward(rng: Rng, a: float) -> int:
    """Direction that moves away from the edge an anchor fraction sits on (either way when centred)."""
    return 1 if a < 0.5 else -1 if a > 0.5 else rng.choice((-1, 1))


def _position(rng: Rng, anchor: str, w: int, h: int, st: Style, margin: int) -> tuple[int, int]:
    free_x, free_y = st.lw - w, st.lh - h
    if anchor == "center":
        return free_x // 2, free_y // 2
    if anchor in ("top", "bottom"):  # full-width bands sit flush on their edge
        return free_x // 2, 0 if anchor == "top" else free_y
    if anchor == "any":
        return rng.randint(0, free_x), rng.randint(0, free_y)
    ax, ay = _ANCHORS[anchor]
    m = min(margin, free_x // 2, free_y // 2)
    # Slide along the edge a little: HUD pieces sit near, not exactly at, their corner.
    jx = rng.randint(0, max(0, (free_x - 2 * m) // 8)) * _inward(rng, ax)
    jy = rng.randint(0, max(0, (free_y - 2 * m) // 8)) * _inward(rng, ay)
    x = int(m + ax * (free_x - 2 * m)) + jx
    y = int(m + ay * (free_y - 2 * m)) + jy
    return min(max(x, 0), free_x), min(max(y, 0), free_y)


def _place(rng: Rng, el: Element, st: Style, taken: list, margin: int) -> tuple[int, int] | None:
    """Find a spot for an element that does not cover another one (sometimes stacking is allowed)."""
    w, h = el.image.size
    if w > st.lw or h > st.lh:
        return None
    stack_ok = rng.chance(0.05)  # a choice box over a dialog, a tooltip over a grid
    for _ in range(8):
        pinned = el.anchors in (("center",), ("top", "bottom"))
        anchor = "any" if rng.chance(0.12) and not pinned else rng.choice(el.anchors)
        x, y = _position(rng, anchor, w, h, st, margin)
        if stack_ok or all(x >= bx1 + 1 or x + w + 1 <= bx0 or y >= by1 + 1 or y + h + 1 <= by0
                           for bx0, by0, bx1, by1 in taken):
            return x, y
    return None


def _composite(base: Image.Image, el: Element, x: int, y: int, st: Style, mask: np.ndarray) -> None:
    """Scale an element to the screen, drop its shadow (never part of the mask), paste, mark its boxes."""
    p = st.ui_p
    im = el.image if p == 1 else el.image.resize((el.image.width * p, el.image.height * p), Image.NEAREST)
    X, Y = x * p, y * p
    if st.frost:
        _frost(base, im, X, Y, st.frost)
    if st.shadow and el.shadow:
        off = max(1, st.text * p // 6)
        shadow = Image.new("RGBA", im.size, (0, 0, 0, 0))
        shadow.putalpha(im.getchannel("A").point(lambda v: v // 2))
        base.alpha_composite(shadow, (X + off, Y + off))
    base.alpha_composite(im, (X, Y))
    for x0, y0, x1, y1 in el.boxes:
        mask[Y + y0 * p:Y + y1 * p, X + x0 * p:X + x1 * p] = True


def _frost(base: Image.Image, im: Image.Image, X: int, Y: int, radius: int) -> None:
    """Blur the world behind an element's see-through parts (frosted glass panels); opaque parts hide it."""
    alpha = np.asarray(im.getchannel("A"))
    see = (alpha > 0) & (alpha < 250)
    if see.mean() < 0.3:  # text edges and thin strokes: no frosted panel here
        return
    box = (X, Y, X + im.width, Y + im.height)
    behind = base.crop(box).filter(ImageFilter.BoxBlur(radius))
    base.paste(behind, box, Image.fromarray(see.astype(np.uint8) * 255))


def _fallback(st: Style) -> Element:
    """A plain panel, so that every sample has some UI even when nothing else fits a tiny screen."""
    w, h = max(8, st.lw // 3), max(6, st.lh // 6)
    img, _ = canvas(w, h)
    panel(img, (0, 0, w, h), st, frame="plain")
    return Element(img, [(0, 0, w, h)], ("bc", "tl"))


def _elements(rng: Rng, st: Style) -> list[Element]:
    lo, hi = st.count if rng.chance(0.85) else (1, 8)
    out, seen = [], set()
    for _ in range(rng.randint(lo, hi)):
        kind = rng.weighted(st.widgets) if rng.chance(0.8) else rng.choice(WIDGETS)
        if kind in _ONCE and kind in seen:
            continue
        seen.add(kind)
        el = _MAKERS[kind](rng, st, st.lw - 2, st.lh - 2)
        if el is not None and st.ui_p == 1 and rng.chance(0.12):
            el = ui_screen.rescale(el, rng.uniform(1.15, 2.0), smooth=rng.chance(0.6))
        if el is not None:
            out.append(el)
    return out


def _four_shade_style(rng: Rng, st: Style, pal: np.ndarray) -> Style:
    light, dark = tuple(int(v) for v in pal[3]), tuple(int(v) for v in pal[0])
    if rng.chance(0.3):  # dark panels with light text
        light, dark = dark, light
    mid = tuple(int(v) for v in pal[rng.randint(1, 2)])
    return replace(st, bg=light, bg2=None, alpha=255, fg=dark, edge=dark, edge2=mid, accent=mid, aa=False)


def render(seed: int, size: tuple[int, int], family: str | None = None, worlds: tuple[str, ...] | None = None,
           info: bool = False):
    """Render one synthetic game screenshot and its UI mask.

    size is (H, W). Returns an RGB PIL image and an HxW bool mask (True = UI, by the README's convention:
    a panel's whole box, border and fill included; unframed pieces over their own boxes only; drop shadows,
    glows and world content excluded). The result depends only on (seed, size, family,
    worlds); with family None the family is picked from the seed, and the result equals render(seed, size,
    picked). worlds restricts the world kinds drawn (None = all). With info=True a third value is returned:
    {"family": ..., "world": ...}, what a benchmark needs to hold one of them out.
    """
    seed = check_seed(seed)
    h, w = check_size(size)
    family = check_family(family) if family is not None else pick_family(seed)
    worlds = check_worlds(worlds)
    rng = Rng(seed, _SALT, h, w, FAMILIES.index(family))
    st = sample_style(rng, family, h, w, worlds)
    decoy = st.font if rng.chance(0.35) else None  # signs in the world, often in the UI's own face
    world = render_world(rng, st.world, h, w, st.world_p, decoy)
    pal = post.handheld_palette(rng) if family == "handheld" and rng.chance(0.6) else None
    if pal is not None:  # a 4-shade screen: world and UI share the palette, UI stays legible
        world = post.four_shades(world, pal)
        st = _four_shade_style(rng, st, pal)
    if rng.chance(0.12):
        world = post.dim_world(rng, world)
    base = Image.fromarray(world).convert("RGBA")
    mask = np.zeros((h, w), bool)
    margin = rng.randint(0, max(1, min(st.lh, st.lw) // 20))
    taken: list = []
    for el in _elements(rng, st) or [_fallback(st)]:
        spot = _place(rng, el, st, taken, margin)
        if spot is None:
            continue
        _composite(base, el, spot[0], spot[1], st, mask)
        taken.append((spot[0], spot[1], spot[0] + el.image.width, spot[1] + el.image.height))
    if not taken:  # nothing found room: a small screen crowded by large widgets
        el = _fallback(st)
        _composite(base, el, *_position(rng, "bc", el.image.width, el.image.height, st, 0), st, mask)
    rgb = np.asarray(base.convert("RGB"))
    if pal is not None:
        rgb = post.four_shades(rgb, pal, exact=True)
    elif rng.chance(SPECS[family]["retro"]):
        rgb = post.retro(rng, rgb, st.world_p if st.world_p == st.ui_p else 1)
    rgb = post.finish(rng, rgb, max(st.world_p, st.ui_p))
    if info:
        return Image.fromarray(rgb), mask, {"family": family, "world": st.world}
    return Image.fromarray(rgb), mask

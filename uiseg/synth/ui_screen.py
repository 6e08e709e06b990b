"""Large panels holding other widgets: full-screen menus (pause, inventory, shop, settings) and full-width
HUD bands along the top or bottom edge.

Real screenshots are often menu screens where most pixels are UI; without them the model would learn
that UI is always a small part of the picture. A band is a panel: UI over the whole band.
"""

from __future__ import annotations

from dataclasses import replace

from PIL import Image

from uiseg.synth import fonts, ui_float, ui_gauge, ui_hud, ui_text
from uiseg.synth.common import Rng, shade
from uiseg.synth.families import Style
from uiseg.synth.frames import Element, canvas, panel, text, tight

_INNER = (ui_text.menu, ui_text.text_panel, ui_hud.inventory, ui_hud.status, ui_text.buttons, ui_hud.bar)
_IN_BAND = (ui_float.counter, ui_float.counter, ui_hud.hearts, ui_hud.bar, ui_float.race, ui_gauge.cooldown,
            ui_hud.hotbar, ui_float.score)


def rescale(el: Element, f: float, smooth: bool) -> Element:
    """Scale an element by a non-integer factor, as games do when the UI scale setting is not 100 %."""
    w, h = el.image.size
    size = (max(1, round(w * f)), max(1, round(h * f)))
    image = el.image.resize(size, Image.BILINEAR if smooth else Image.NEAREST)
    boxes = [(round(x0 * f), round(y0 * f), round(x1 * f), round(y1 * f)) for x0, y0, x1, y1 in el.boxes]
    # Resampling moves edges by up to a pixel (bilinear also bleeds one): each box becomes what it drew.
    m = int(f) + 1
    boxes = [tight(image, (x0 - m, y0 - m, x1 + m, y1 + m)) for x0, y0, x1, y1 in boxes]
    return Element(image, boxes, el.anchors, el.shadow)


def _lines(img: Image.Image, rng: Rng, st: Style, box: tuple[int, int, int, int]) -> None:
    """Plain lines of description text filling a column (item descriptions, settings labels)."""
    font = fonts.get_font(st.font, st.text)
    lh = fonts.line_height(font)
    x0, y0, x1, y1 = box
    for y in range(y0, y1 - lh, lh):
        line = fonts.wrap(font, fonts.sentence(rng, 6), x1 - x0, 1)
        text(img, (x0, y), line[0] if line else "", st, font)


def screen(rng: Rng, st: Style, mw: int, mh: int) -> Element | None:
    """A large framed panel with a title and two or three widgets laid out in columns inside it."""
    w, h = min(mw, int(st.lw * rng.uniform(0.6, 0.98))), min(mh, int(st.lh * rng.uniform(0.55, 0.95)))
    font = fonts.get_font(st.font2, round(st.text * rng.uniform(1.0, 1.6)))
    pad = st.border + max(2, st.text // 2)
    title = rng.choice(fonts.MENU_WORDS).upper() if rng.chance(0.5) else rng.choice(fonts.MENU_WORDS)
    th = fonts.line_height(font) + pad
    if w < 12 * st.text or h < th + 6 * st.text:
        return None
    img, _ = canvas(w, h)
    panel(img, (0, 0, w, h), st, frame=st.frame if st.frame != "none" else "plain")
    text(img, (pad, pad // 2), title, st, font, color=st.accent if rng.chance(0.5) else None)
    cols = rng.randint(2, 3)
    x, col_w = pad, (w - pad * (cols + 1)) // cols
    for _ in range(cols):
        for _attempt in range(3):  # a widget may not fit its column: try another kind
            inner = rng.choice(_INNER)(rng, st, col_w, h - th - pad)
            if inner is not None:
                img.alpha_composite(inner.image, (x, th))
                break
        else:
            _lines(img, rng, st, (x, th, x + col_w, h - pad))
        x += col_w + pad
    return Element(img, [(0, 0, w, h)], ("c",))


def band(rng: Rng, st: Style, mw: int, mh: int) -> Element | None:
    """A full-width HUD strip at the top or bottom (NES status bars, racing and strategy HUDs): a panel
    filled left to right with counters, hearts, gauges and slots."""
    h = max(3 * st.text // 2, int(st.lh * rng.uniform(0.08, 0.2)))
    w = st.lw
    if h > mh or h > st.lh // 3 or w < 10 * st.text:
        return None
    img, _ = canvas(w, h)
    pad = st.border + max(2, st.text // 3)
    # The band's contents get a text size that fits its height; a full-width band is never skewed.
    inner = replace(st, text=max(7, min(st.text, (h - 2 * pad) * 2 // 3)))
    if rng.chance(0.5):  # many bands are plain black or a dark flat colour
        panel(img, (0, 0, w, h), replace(st, bg=shade(st.bg, 0.25), bg2=None, texture=None, alpha=255),
              frame="flat")
        inner = replace(inner, frame="none", alpha=255)
    else:
        panel(img, (0, 0, w, h), st, frame=st.frame if st.frame not in ("none", "skew") else "flat")
    x, placed = pad + rng.randint(0, st.text), 0
    for _ in range(8):
        el = rng.choice(_IN_BAND)(rng, inner, w - x - pad, h - 2 * pad)
        if el is None:
            continue
        img.alpha_composite(el.image, (x, (h - el.image.height) // 2))
        x, placed = x + el.image.width + rng.randint(st.text, 4 * st.text), placed + 1
        if x > w - 4 * st.text:
            break
    return Element(img, [(0, 0, w, h)], ("top", "bottom"), shadow=False) if placed else None

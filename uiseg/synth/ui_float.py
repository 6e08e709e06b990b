"""UI drawn straight over the world, often with no panel: counters, score/time blocks, lap and position
read-outs, centred announcements. Unframed, each piece (a text line, an icon) is UI over its own box and the
world between pieces is not; framed, the panel's whole box is UI.
"""

from __future__ import annotations

from uiseg.synth import fonts
from uiseg.synth.common import Rng, hsv
from uiseg.synth.families import Style
from uiseg.synth.frames import Element, canvas, icon, panel, text, text_box
from uiseg.synth.sprites import coin, make_sprite

_ANNOUNCE = ("FINAL LAP", "CHECKPOINT", "WRONG WAY", "3", "2", "1", "GO!", "PERFECT", "TIME UP", "WAVE 5",
             "ROUND 2", "NEW LAP RECORD", "EXTEND", "START", "FINISH", "LAP 2", "COMBO x12", "CLEAR!")
_ORDINAL = {1: "st", 2: "nd", 3: "rd"}


def _value(rng: Rng) -> str:
    """A number the way HUDs print it: zero-padded scores, clock times, lap times, multipliers, fractions."""
    kind = rng.randint(0, 6)
    if kind == 0:
        return f"{rng.randint(0, 999999):0{rng.randint(1, 8)}d}"
    if kind == 1:
        return f"{rng.randint(0, 59)}:{rng.randint(0, 59):02d}"
    if kind == 2:
        return f"{rng.randint(0, 9)}'{rng.randint(0, 59):02d}\"{rng.randint(0, 99):02d}"
    if kind == 3:
        return f"x{rng.randint(0, 99):02d}"
    if kind == 4:
        n = rng.randint(2, 12)
        return f"{rng.randint(1, n)}/{n}"
    return str(rng.randint(0, 9999))


def _lines_element(rng: Rng, st: Style, rows: list[list[tuple[str, object]]], gap: int, framed: bool,
                   anchors: tuple[str, ...], right: bool = False) -> Element | None:
    """Lay out rows of (string, face) pieces, left- or right-aligned; a box per piece unless framed."""
    # Text straight over the world is nearly always outlined or shadowed, so that it reads on any ground.
    outline = not framed and (st.outline or rng.chance(0.6))
    sizes = [[text_box(f, s, outline, st) for s, f in row] for row in rows]
    widths = [sum(w for w, _ in row) + gap * (len(row) - 1) for row in sizes]
    heights = [max(h for _, h in row) for row in sizes]
    pad = max(2, st.text // 3) + st.border if framed else 0
    h = sum(heights) + 2 * pad + (len(rows) - 1) * max(1, st.text // 6)
    slant = h // 2 if framed and st.frame == "skew" else 0  # a skewed panel loses a triangle each side
    w = max(widths) + 2 * pad + 2 * slant
    img, _ = canvas(w, h)
    if framed and not panel(img, (0, 0, w, h), st):
        framed, pad = False, 0
    pad_x = pad + slant
    color = st.fg if framed else rng.choice((st.fg, st.accent, (255, 255, 255), (255, 220, 60)))
    pieces, y = [], pad
    for row, sz, rw, rh in zip(rows, sizes, widths, heights):
        x = w - pad_x - rw if right else pad_x
        for (s, f), (pw, ph) in zip(row, sz):
            pieces.append(text(img, (x, y + rh - ph), s, st, f, color=color, outline=outline))
            x += pw + gap
        y += rh + max(1, st.text // 6)
    return Element(img, [(0, 0, w, h)] if framed else pieces, anchors, shadow=framed)


def counter(rng: Rng, st: Style, mw: int, mh: int) -> Element | None:
    """Score, timer, coins or lives: text (often outlined, straight over the world) with an optional icon."""
    font = fonts.get_font(st.font2, round(st.text * rng.uniform(0.9, 1.6)))
    label, value = rng.choice(fonts.COUNTERS), _value(rng)
    layout = rng.choice(("line", "line", "split", "stacked", "value"))
    rows = {"line": [[(f"{label} {value}", font)]], "split": [[(label, font), (value, font)]],
            "stacked": [[(label, font)], [(value, font)]], "value": [[(value, font)]]}[layout]
    framed = st.frame != "none" and rng.chance(0.45)
    gap = max(2, st.text // 3) * (rng.randint(2, 5) if layout == "split" else 1)
    el = _lines_element(rng, st, rows, gap, framed, ("tl", "tr", "tc", "tl", "tr", "bl", "br"))
    if el is None or not rng.chance(0.35):
        return el if el and el.image.width <= mw and el.image.height <= mh else None
    return _with_icon(rng, el, mw, mh)


def _with_icon(rng: Rng, el: Element, mw: int, mh: int) -> Element | None:
    """Put a coin or item icon left of a counter, a few pixels apart: two pieces, two boxes when unframed."""
    s = max(6, min(el.image.height, 3 * el.image.height // 4 + 2))
    gap = rng.randint(1, max(1, s // 3))
    w, h = el.image.width + s + gap, el.image.height
    if w > mw or h > mh:
        return None
    img, _ = canvas(w, h)
    spr = coin(8, hsv(rng.uniform(0.1, 0.16), 0.8, 1)) if rng.chance(0.5) else make_sprite(rng, 10)
    box = icon(img, spr, 0, (h - s) // 2, s)
    img.alpha_composite(el.image, (s + gap, 0))
    if el.shadow:  # framed counter: the icon sits beside the panel, each is UI over its own box
        boxes = [box, (s + gap, 0, w, h)]
    else:
        boxes = [box] + [(x0 + s + gap, y0, x1 + s + gap, y1) for x0, y0, x1, y1 in el.boxes]
    return Element(img, boxes, el.anchors, el.shadow)


def score(rng: Rng, st: Style, mw: int, mh: int) -> Element | None:
    """An arcade score/time block: 1-3 columns of a label over its value, spread along a screen edge."""
    font = fonts.get_font(st.font2, round(st.text * rng.uniform(0.9, 1.4)))
    cols = rng.randint(1, 3)
    labels = rng.py.sample(("1UP", "2UP", "HI-SCORE", "SCORE", "TIME", "TOP", "BEST", "STAGE", "CREDIT",
                            "PLAYER 1", "WORLD", "RINGS", "LIVES"), cols)
    framed = st.frame != "none" and rng.chance(0.2)
    parts = [_lines_element(rng, st, [[(lab, font)], [(_value(rng), font)]], 1, framed, ("tc",))
             for lab in labels]
    spread = max(st.text, int(st.lw * rng.uniform(0.05, 0.3)))
    w = sum(p.image.width for p in parts) + spread * (cols - 1)
    h = max(p.image.height for p in parts)
    if w > mw or h > mh:
        return None
    img, _ = canvas(w, h)
    boxes, x = [], 0
    for p in parts:
        img.alpha_composite(p.image, (x, 0))
        boxes.extend((x0 + x, y0, x1 + x, y1) for x0, y0, x1, y1 in p.boxes)
        x += p.image.width + spread
    return Element(img, boxes, ("tc", "tl", "tr", "bc"), shadow=framed)


def race(rng: Rng, st: Style, mw: int, mh: int) -> Element | None:
    """Racing read-outs: a big position ('3rd', '/8'), lap counter and lap times, one box per piece."""
    small = fonts.get_font(st.font2, round(st.text * rng.uniform(0.9, 1.3)))
    big = fonts.get_font(st.font2, round(st.text * rng.uniform(2.0, 3.2)))
    n = rng.randint(4, 12)
    pos = rng.randint(1, n)
    rows: list[list[tuple[str, object]]] = []
    if rng.chance(0.7):
        rows.append([(str(pos), big), (_ORDINAL.get(pos, "th") if rng.chance(0.6) else f"/{n}", small)])
    laps = rng.randint(2, 9)
    rows.append([(rng.choice(("LAP", "Lap", "L")), small), (f"{rng.randint(1, laps)}/{laps}", small)])
    for lab in rng.py.sample(("TIME", "BEST", "LAP", "TOTAL", "LAST"), rng.randint(0, 2)):
        rows.append([(lab, small), (f"{rng.randint(0, 9)}'{rng.randint(0, 59):02d}\"{rng.randint(0, 99):02d}",
                                    small)])
    el = _lines_element(rng, st, rows, max(2, st.text // 2), st.frame != "none" and rng.chance(0.25),
                        ("tl", "tr", "tl", "tr", "bl"), right=rng.chance(0.4))
    return el if el is not None and el.image.width <= mw and el.image.height <= mh else None


def banner(rng: Rng, st: Style, mw: int, mh: int) -> Element | None:
    """A big announcement ('STAGE CLEAR', 'FINAL LAP'): outlined or glowing text, sometimes on a ribbon."""
    word = rng.choice(fonts.BANNERS + _ANNOUNCE)
    font = fonts.get_font(st.font2, round(st.text * rng.uniform(1.8, 4.0)))
    tw, th = text_box(font, word, True, st)
    ribbon = rng.chance(0.35)
    glows = (st.accent, (255, 240, 120), (120, 220, 255))
    glow = None if ribbon or not rng.chance(0.3) else rng.choice(glows)
    pad = st.text // 2 if ribbon else 2 * max(2, st.text // 5) if glow else 0
    w, h = tw + 4 * pad, th + 2 * pad
    if w > mw or h > mh:
        return None
    img, _ = canvas(w, h)
    if ribbon:
        ribbon = panel(img, (0, 0, w, h), st)
    color = rng.choice((st.accent, (255, 255, 255), (255, 210, 40)))
    color2 = rng.choice(((255, 120, 20), (200, 30, 30), (40, 90, 220))) if rng.chance(0.3) else None
    box = text(img, (2 * pad, pad), word, st, font, color=color, outline=True, color2=color2, glow=glow)
    return Element(img, [(0, 0, w, h)] if ribbon else [box], ("c", "tc", "c"), shadow=bool(ribbon))

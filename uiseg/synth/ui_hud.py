"""HUD widgets: HP/MP bars, party frames, heart rows, inventory grids, hotbars, minimaps, crosshairs."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from uiseg.synth import fonts
from uiseg.synth.common import Color, Rng, hsv, rgba, shade, value_noise
from uiseg.synth.families import Style
from uiseg.synth.frames import Element, canvas, icon, label, panel, text, text_box
from uiseg.synth.sprites import heart, make_sprite

_MAP_COLORS = (hsv(0.6, 0.6, 0.5), hsv(0.25, 0.5, 0.6), hsv(0.3, 0.6, 0.4), hsv(0.1, 0.3, 0.7))  # sea..hills
_BAR_COLORS = ((220, 40, 40), (40, 200, 60), (40, 110, 230), (240, 200, 40), (160, 60, 220), (240, 130, 30))


def _bar(img: Image.Image, box, st: Style, rng: Rng, color: Color) -> tuple[int, int, int, int]:
    """One gauge: a dark trough, a fill (flat, gradient-lit or segmented) and a border; returns its track."""
    draw = ImageDraw.Draw(img)
    x0, y0, x1, y1 = box
    draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=rgba(shade(color, 0.2)), outline=rgba(st.edge))
    fill_to = x0 + 1 + int((x1 - x0 - 2) * rng.uniform(0.05, 1.0))
    if rng.chance(0.25):  # segmented gauge
        step = max(3, (y1 - y0))
        for sx in range(x0 + 1, fill_to - 1, step):
            draw.rectangle((sx, y0 + 1, min(sx + step - 2, fill_to), y1 - 2), fill=rgba(color))
    else:
        draw.rectangle((x0 + 1, y0 + 1, fill_to, y1 - 2), fill=rgba(color))
        if y1 - y0 > 4:  # the lit top edge most gauges have
            draw.line((x0 + 1, y0 + 1, fill_to, y0 + 1), fill=rgba(shade(color, 1.5)))
    return x0, y0, x1, y1


def bar(rng: Rng, st: Style, mw: int, mh: int) -> Element | None:
    """One to three labelled gauges (HP/MP...), numbers optional; wide single bars for bosses and fighters."""
    font = fonts.get_font(st.font2, max(7, st.text * 4 // 5))
    n = 1 if rng.chance(0.5) else rng.randint(2, 3)
    labels = rng.py.sample(fonts.LABELS, n) if rng.chance(0.7) else None
    lw = max(text_box(font, s, st.outline, st)[0] for s in labels) + 3 if labels else 0
    bw = int(st.lw * (rng.uniform(0.3, 0.46) if n == 1 and rng.chance(0.4) else rng.uniform(0.12, 0.3)))
    bh = max(3, round(st.text * rng.uniform(0.4, 1.1)))
    row = max(bh, fonts.line_height(font) if labels else 0) + 2
    framed = st.frame != "none" and rng.chance(0.4)
    pad = st.border + 2 if framed else 0
    w, h = lw + bw + 2 * pad, n * row + 2 * pad
    if w > mw or h > mh:
        return None
    img, _ = canvas(w, h)
    framed = framed and panel(img, (0, 0, w, h), st)
    pieces = []  # unframed: each label and each track is UI over its own box
    for i in range(n):
        y = pad + i * row
        if labels:
            pieces.append(text(img, (pad, y), labels[i], st, font, outline=st.outline and not framed))
        pieces.append(_bar(img, (pad + lw, y + (row - bh) // 2, w - pad, y + (row - bh) // 2 + bh), st, rng,
                           rng.choice(_BAR_COLORS)))
    return Element(img, [(0, 0, w, h)] if framed else pieces, ("tl", "tr", "tc", "bl", "bc"), shadow=framed)


def status(rng: Rng, st: Style, mw: int, mh: int) -> Element | None:
    """Party or player frames: portrait, name, level and gauges, 1-4 members side by side or stacked."""
    font = fonts.get_font(st.font, max(7, st.text * 4 // 5))
    lh = fonts.line_height(font)
    ps, pad = 2 * lh + 2, st.border + 2
    mw1 = ps + pad * 3 + max(6 * st.text, int(st.lw * 0.14))
    mh1 = ps + 2 * pad
    k, row = rng.randint(1, 4), rng.chance(0.5)
    w, h = (mw1 * k, mh1) if row else (mw1, mh1 * k)
    if w > mw or h > mh:
        k = 1
        w, h = mw1, mh1
    if w > mw or h > mh:
        return None
    img, _ = canvas(w, h)
    boxes = []
    for i in range(k):
        x, y = (i * mw1, 0) if row else (0, i * mh1)
        box = (x, y, x + mw1 - (1 if row else 0), y + mh1 - (0 if row else 1))
        framed = panel(img, box, st)  # unframed: portrait, name and gauge each stand on the world
        pieces = [icon(img, make_sprite(rng, rng.choice((8, 12, 16))), x + pad, y + pad, ps)]
        tx = x + ps + 2 * pad
        who = f"{fonts.name(rng)}" + (f"  Lv{rng.randint(1, 99)}" if rng.chance(0.5) else "")
        while len(who) > 1 and tx + text_box(font, who, not framed and st.outline, st)[0] > box[2] - pad:
            who = who[:-1]  # names are cut to the frame, as games do
        pieces.append(text(img, (tx, y + pad), who, st, font, outline=not framed and st.outline))
        pieces.append(_bar(img, (tx, y + pad + lh + 1, box[2] - pad, y + pad + lh + 1 + max(3, lh // 2)), st,
                           rng, rng.choice(_BAR_COLORS)))
        boxes.extend([box] if framed else pieces)
    return Element(img, boxes, ("tl", "bl", "ml", "tr", "bc"), shadow=st.frame != "none")


def hearts(rng: Rng, st: Style, mw: int, mh: int) -> Element | None:
    """A row of life hearts (some empty), scaled like the rest of the HUD."""
    n = rng.randint(3, 10)
    full = rng.randint(0, n)
    s = max(1, round(st.text / 8))
    color = rng.choice(((230, 30, 40), (250, 80, 150), (240, 200, 40), (80, 200, 250)))
    gap = rng.randint(0, s)
    w, h = n * (9 * s + gap), 8 * s
    if w > mw or h > mh:
        return None
    img, _ = canvas(w, h)
    boxes = []  # each heart is an icon: UI over its own box, the gaps between them are world
    for i in range(n):
        spr = np.repeat(np.repeat(heart(i < full, color), s, 0), s, 1)
        img.alpha_composite(Image.fromarray(spr, "RGBA"), (i * (9 * s + gap), 0))
        boxes.append((i * (9 * s + gap), 0, i * (9 * s + gap) + 9 * s, 8 * s))
    return Element(img, boxes, ("tl", "tl", "tr", "bl"), shadow=False)


def _slots(img: Image.Image, rng: Rng, st: Style, x0: int, y0: int, rows: int, cols: int, s: int,
           gap: int, numbers: bool) -> list[tuple[int, int, int, int]]:
    """A grid of item slots with icons, a selected slot, stack counts or key numbers; returns the slots."""
    draw = ImageDraw.Draw(img)
    small = fonts.get_font(st.font2, max(6, s // 3))
    sel = rng.randint(0, rows * cols - 1)
    slot = shade(st.bg, 0.6) if st.bg[0] + st.bg[1] + st.bg[2] > 60 else shade(st.edge2, 0.5)
    fill_p = rng.uniform(0.3, 0.95)
    boxes = []
    for i in range(rows * cols):
        x, y = x0 + (i % cols) * (s + gap), y0 + (i // cols) * (s + gap)
        boxes.append((x, y, x + s, y + s))
        edge = st.accent if i == sel else st.edge2
        draw.rectangle((x, y, x + s - 1, y + s - 1), fill=rgba(slot, max(st.alpha, 160)), outline=rgba(edge))
        if rng.chance(fill_p):
            icon(img, make_sprite(rng, rng.choice((8, 10, 12, 16))), x + 2, y + 2, s - 4)
            if rng.chance(0.3):
                count = str(rng.randint(1, 99))
                cw, ch = fonts.text_size(small, count)  # bottom-right, inside the slot
                xy = (max(x + 1, x + s - cw - 1), max(y + 1, y + s - ch - 1))
                label(img, xy, count, small, st.fg, st.aa)
        if numbers:
            label(img, (x + 2, y + 1), str((i + 1) % 10), small, (255, 255, 255), st.aa)
    return boxes


def inventory(rng: Rng, st: Style, mw: int, mh: int) -> Element | None:
    """An inventory grid in a frame, with an optional title."""
    rows, cols = rng.randint(2, 5), rng.randint(3, 8)
    s, gap = max(8, round(st.text * rng.uniform(1.4, 2.6))), rng.randint(0, 3)
    pad = st.border + 2
    font = fonts.get_font(st.font, st.text)
    title = rng.choice(fonts.MENU_WORDS) if rng.chance(0.5) else ""
    th = fonts.line_height(font) if title else 0
    w, h = cols * (s + gap) - gap + 2 * pad, rows * (s + gap) - gap + 2 * pad + th
    if w > mw or h > mh:
        return None
    img, _ = canvas(w, h)
    framed = panel(img, (0, 0, w, h), st)  # unframed: the slots float, each UI over its own box
    pieces = [text(img, (pad, pad - 1), title, st, font, outline=not framed and st.outline)] if title else []
    pieces += _slots(img, rng, st, pad, pad + th, rows, cols, s, gap, False)
    return Element(img, [(0, 0, w, h)] if framed else pieces, ("c", "mr", "ml", "c", "any"), shadow=framed)


def hotbar(rng: Rng, st: Style, mw: int, mh: int) -> Element | None:
    """A skill/item bar: one row of slots with key numbers, framed or bare."""
    cols = rng.randint(4, 12)
    s, gap = max(8, round(st.text * rng.uniform(1.6, 2.8))), rng.randint(0, 4)
    framed = rng.chance(0.6)
    pad = st.border + 2 if framed else 0
    w, h = cols * (s + gap) - gap + 2 * pad, s + 2 * pad
    if w > mw or h > mh:
        return None
    img, _ = canvas(w, h)
    framed = framed and panel(img, (0, 0, w, h), st)
    slots = _slots(img, rng, st, pad, pad, 1, cols, s, gap, rng.chance(0.6))
    return Element(img, [(0, 0, w, h)] if framed else slots, ("bc", "bc", "bl", "br"), shadow=framed)


def minimap(rng: Rng, st: Style, mw: int, mh: int) -> Element | None:
    """A square or round minimap: coloured terrain, dots for units, a player marker, a frame."""
    s = int(min(st.lw, st.lh) * rng.uniform(0.16, 0.32))
    if s > min(mw, mh) or s < 16:
        return None
    n = value_noise(rng, s, s, rng.randint(2, 6), 2)
    pal = np.asarray(_MAP_COLORS, np.uint8)
    if rng.chance(0.3):
        pal = (pal.astype(np.float32).mean(axis=1, keepdims=True) * [0.6, 0.9, 0.7]).astype(np.uint8)
    rgb = pal[np.digitize(n, (0.35, 0.55, 0.75))]
    img = Image.fromarray(np.dstack([rgb, np.full((s, s), 255, np.uint8)]), "RGBA")
    draw = ImageDraw.Draw(img)
    for _ in range(rng.randint(0, 12)):
        x, y = rng.randint(2, s - 3), rng.randint(2, s - 3)
        dot = rng.choice(((255, 40, 40), (40, 255, 40), (255, 255, 0)))
        draw.rectangle((x - 1, y - 1, x + 1, y + 1), fill=dot)
    c = s // 2
    a, b = s // 12, s // 20
    draw.polygon([(c, c - a), (c - b, c + b), (c + b, c + b)], fill=(255, 255, 255))
    b = max(1, st.border)
    if rng.chance(0.4):  # round minimap: the box stays square, the corners are world
        mask = Image.new("L", (s, s), 0)
        ImageDraw.Draw(mask).ellipse((0, 0, s - 1, s - 1), fill=255)
        img.putalpha(mask)
        draw.ellipse((0, 0, s - 1, s - 1), outline=rgba(st.edge), width=b)
    else:
        draw.rectangle((0, 0, s - 1, s - 1), outline=rgba(st.edge), width=b)
    return Element(img, [(0, 0, s, s)], ("tr", "tr", "br", "tl", "bl"))


def crosshair(rng: Rng, st: Style, mw: int, mh: int) -> Element | None:
    """A small aiming reticle at the screen centre."""
    s = max(7, st.text + rng.randint(0, st.text))
    img, draw = canvas(s, s)
    col = rgba(rng.choice(((255, 255, 255), (80, 255, 80), (255, 60, 60), st.accent)))
    c, t, g = s // 2, max(1, s // 12), s // 5
    for a, b in ((0, c - g), (c + g, s - 1)):
        draw.rectangle((a, c - t // 2, b, c + t // 2), fill=col)
        draw.rectangle((c - t // 2, a, c + t // 2, b), fill=col)
    if rng.chance(0.4):
        draw.ellipse((c - g // 2, c - g // 2, c + g // 2, c + g // 2), outline=col)
    return Element(img, [(0, 0, s, s)], ("center",), shadow=False)

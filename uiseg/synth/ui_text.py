"""Text-heavy UI widgets: dialog boxes, menus, text panels, counters, banners and buttons.

Each widget gets the style, a random source and the largest size it may take (UI pixels); it returns an
Element, or None when it cannot fit (the layout then tries something else).
"""

from __future__ import annotations

from uiseg.synth import fonts
from uiseg.synth.common import Rng, hsv, mix, readable_on
from uiseg.synth.families import Style
from uiseg.synth.frames import Element, canvas, cursor, icon, panel, text, text_box
from uiseg.synth.sprites import coin, make_sprite


def dialog(rng: Rng, st: Style, mw: int, mh: int) -> Element | None:
    """A bordered dialog box with 1-4 lines of text, maybe a name tag, a portrait and a 'more' arrow."""
    font = fonts.get_font(st.font, st.text)
    lh = fonts.line_height(font)
    n = rng.randint(1, 4)
    pad = max(2, st.text // 2) + st.border
    w = min(mw, int(st.lw * rng.uniform(0.45, 0.97)))
    body = n * lh + 2 * pad
    tag_h = lh + pad if rng.chance(0.35) else 0
    if body + tag_h > mh or w < 6 * st.text:
        return None
    img, _ = canvas(w, body + tag_h)
    main = (0, tag_h, w, tag_h + body)
    panel(img, main, st)
    x = pad
    if rng.chance(0.3) and n >= 2:  # portrait: the speaker's face in its own frame
        ps = n * lh
        panel(img, (pad, tag_h + pad, pad + ps, tag_h + pad + ps), st, frame="plain", fill=(0, 0, 0))
        icon(img, make_sprite(rng, rng.choice((8, 12, 16))), pad + 1, tag_h + pad + 1, ps - 2)
        x += ps + pad
    for i, line in enumerate(fonts.wrap(font, fonts.sentence(rng, 40), w - x - pad - st.text, n)):
        text(img, (x, tag_h + pad + i * lh), line, st, font)
    if rng.chance(0.4):
        cursor(img, w - pad - st.text // 2, tag_h + body - pad - st.text // 2, st.text // 2, st.fg, rng)
    boxes = [main]
    if tag_h:
        label = fonts.name(rng)
        tw = text_box(font, label, False, st)[0] + 2 * pad
        tag = (pad, 0, min(w, pad + tw), tag_h + st.border)
        panel(img, tag, st)
        text(img, (tag[0] + pad, pad // 2 + 1), label, st, font, color=st.accent if rng.chance(0.5) else None)
        boxes.append(tag)
    return Element(img, boxes, ("bc", "bc", "bc", "tc", "c"))


def menu(rng: Rng, st: Style, mw: int, mh: int) -> Element | None:
    """A framed list of choices with a selection cursor or highlight bar, sometimes with values."""
    font = fonts.get_font(st.font, st.text)
    lh = fonts.line_height(font) + rng.randint(0, st.text // 2)
    items = rng.py.sample(fonts.MENU_WORDS, rng.randint(2, 7))
    if rng.chance(0.2):
        items = [s.upper() for s in items]
    values = [f"{rng.randint(1, 99)}" if rng.chance(0.5) else f"{rng.randint(5, 999)}G" for _ in items] \
        if rng.chance(0.3) else None
    pad, cur = max(2, st.text // 2) + st.border, st.text
    tw = max(text_box(font, s, False, st)[0] for s in items)
    vw = max(text_box(font, v, False, st)[0] for v in values) + st.text if values else 0
    w, h = tw + vw + cur + 2 * pad + st.text // 2, len(items) * lh + 2 * pad
    if w > mw or h > mh:
        return None
    img, draw = canvas(w, h)
    panel(img, (0, 0, w, h), st)
    sel = rng.randint(0, len(items) - 1)
    bar = rng.chance(0.4)
    for i, s in enumerate(items):
        y = pad + i * lh
        if i == sel and bar:
            draw.rectangle((pad // 2, y - 1, w - pad // 2, y + lh - 2), fill=(*st.accent, 150))
        grey = not bar and rng.chance(0.15)
        text(img, (pad + cur, y), s, st, font, color=mix(st.fg, st.bg, 0.55) if grey else None)
        if values:
            text(img, (w - pad - text_box(font, values[i], False, st)[0], y), values[i], st, font)
    if not bar:
        cursor(img, pad, pad + sel * lh + st.text // 6, st.text * 2 // 3, st.fg, rng)
    return Element(img, [(0, 0, w, h)], ("mr", "ml", "tr", "br", "c", "tl", "bl"))


def text_panel(rng: Rng, st: Style, mw: int, mh: int) -> Element | None:
    """A chat log, quest tracker or stats table: several small lines, often on a translucent panel."""
    font = fonts.get_font(st.font2, max(7, st.text * 4 // 5))
    lh = fonts.line_height(font)
    n = rng.randint(3, 8)
    w, pad = min(mw, int(st.lw * rng.uniform(0.22, 0.45))), max(2, st.text // 3) + st.border
    h = n * lh + 2 * pad
    if h > mh or w < 5 * st.text:
        return None
    img, _ = canvas(w, h)
    panel(img, (0, 0, w, h), st)
    table = rng.chance(0.4)
    colors = [st.fg, st.accent, hsv(rng.uniform(0, 1), 0.5, 1.0)]
    for i in range(n):
        y = pad + i * lh
        if table:
            text(img, (pad, y), rng.choice(fonts.LABELS), st, font, color=st.accent)
            value = str(rng.randint(1, 9999))
            text(img, (w - pad - text_box(font, value, False, st)[0], y), value, st, font)
        else:
            head = f"[{fonts.name(rng)}] " if rng.chance(0.5) else ""
            line = fonts.wrap(font, head + fonts.sentence(rng, 8), w - 2 * pad, 1)
            text(img, (pad, y), line[0] if line else "", st, font, color=rng.choice(colors))
    return Element(img, [(0, 0, w, h)], ("bl", "ml", "mr", "tl", "tr"))


def counter(rng: Rng, st: Style, mw: int, mh: int) -> Element | None:
    """Score, timer, coins or lives: text (often outlined, straight over the world) with an optional icon."""
    font = fonts.get_font(st.font2, round(st.text * rng.uniform(0.9, 1.6)))
    label = rng.choice(fonts.COUNTERS)
    value = rng.choice((f"{rng.randint(0, 999999):0{rng.randint(1, 8)}d}", (f"{rng.randint(0, 59)}:"
                        f"{rng.randint(0, 59):02d}"), f"x{rng.randint(0, 99):02d}", str(rng.randint(0, 999))))
    stacked = rng.chance(0.3)
    parts = [label, value] if stacked else [f"{label} {value}" if rng.chance(0.7) else value]
    framed = st.frame != "none" and rng.chance(0.5)
    outline = st.outline and not framed
    sizes = [text_box(font, s, outline, st) for s in parts]
    ic = sizes[0][1] if rng.chance(0.35) else 0
    pad = max(2, st.text // 3) + st.border if framed else 0
    w = max(s[0] for s in sizes) + (ic + 2 if ic else 0) + 2 * pad
    h = sum(s[1] for s in sizes) + 2 * pad
    if w > mw or h > mh:
        return None
    img, _ = canvas(w, h)
    if framed:
        panel(img, (0, 0, w, h), st)
    if ic:
        spr = coin(8, hsv(rng.uniform(0.1, 0.16), 0.8, 1)) if rng.chance(0.5) else make_sprite(rng, 10)
        icon(img, spr, pad, pad, ic)
    y = pad
    color = st.fg if framed else rng.choice((st.fg, st.accent, (255, 255, 255), (255, 220, 60)))
    for s, (_, sh) in zip(parts, sizes):
        text(img, (pad + (ic + 2 if ic else 0), y), s, st, font, color=color, outline=outline)
        y += sh
    return Element(img, [(0, 0, w, h)], ("tl", "tr", "tc", "tl", "tr", "bl", "br"), shadow=framed)


def banner(rng: Rng, st: Style, mw: int, mh: int) -> Element | None:
    """A big announcement ('STAGE CLEAR', 'K.O.'): large outlined text, sometimes on a ribbon."""
    word = rng.choice(fonts.BANNERS)
    font = fonts.get_font(st.font2, round(st.text * rng.uniform(1.8, 3.2)))
    tw, th = text_box(font, word, True, st)
    ribbon = rng.chance(0.4)
    pad = st.text // 2 if ribbon else 0
    w, h = tw + 4 * pad, th + 2 * pad
    if w > mw or h > mh:
        return None
    img, _ = canvas(w, h)
    if ribbon:
        panel(img, (0, 0, w, h), st)
    text(img, (2 * pad, pad), word, st, font, color=rng.choice((st.accent, (255, 255, 255), (255, 210, 40))),
         outline=True)
    return Element(img, [(0, 0, w, h)], ("c", "tc", "c"), shadow=ribbon)


def buttons(rng: Rng, st: Style, mw: int, mh: int) -> Element | None:
    """A row or column of labelled buttons, or controller prompts (a round glyph and an action)."""
    font = fonts.get_font(st.font, st.text)
    words = rng.py.sample(fonts.MENU_WORDS, rng.randint(1, 5))
    prompts = rng.chance(0.35)
    pad, gap = max(2, st.text // 3) + st.border, rng.randint(1, st.text)
    sizes = [text_box(font, s, False, st) for s in words]
    bh = max(s[1] for s in sizes) + 2 * pad
    widths = [s[0] + 2 * pad + (bh if prompts else 0) for s in sizes]
    row = rng.chance(0.6)
    w = sum(widths) + gap * (len(words) - 1) if row else max(widths)
    h = bh if row else len(words) * bh + gap * (len(words) - 1)
    if w > mw or h > mh:
        return None
    img, draw = canvas(w, h)
    boxes, x, y = [], 0, 0
    for s, bw in zip(words, widths):
        box = (x, y, x + bw, y + bh)
        panel(img, box, st, frame=st.frame if st.frame != "none" else "rounded")
        tx = x + pad
        if prompts:
            draw.ellipse((tx, y + pad // 2, tx + bh - pad, y + bh - pad // 2), fill=(*st.accent, 255))
            tx += bh
        text(img, (tx, y + pad), s, st, font, color=readable_on(st.bg, rng) if st.alpha > 200 else st.fg)
        boxes.append(box)
        x, y = (x + bw + gap, y) if row else (x, y + bh + gap)
    return Element(img, boxes, ("br", "bc", "bl", "mr", "c"))

"""Text-heavy UI widgets: dialog boxes, menus, text panels and buttons.

Each widget gets the style, a random source and the largest size it may take (UI pixels); it returns an
Element, or None when it cannot fit (the layout then tries something else).
"""

from __future__ import annotations

from uiseg.synth import fonts
from uiseg.synth.common import Rng, hsv, mix, readable_on
from uiseg.synth.families import Style
from uiseg.synth.frames import Element, canvas, cursor, icon, panel, text, text_box
from uiseg.synth.sprites import make_sprite


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
    framed = panel(img, main, st)  # unframed: subtitles, each line straight over the world
    pieces: list = []
    x = pad
    if rng.chance(0.3) and n >= 2:  # portrait: the speaker's face in its own frame
        ps = n * lh
        panel(img, (pad, tag_h + pad, pad + ps, tag_h + pad + ps), st, frame="plain", fill=(0, 0, 0))
        icon(img, make_sprite(rng, rng.choice((8, 12, 16))), pad + 1, tag_h + pad + 1, ps - 2)
        pieces.append((pad, tag_h + pad, pad + ps, tag_h + pad + ps))
        x += ps + pad
    for i, line in enumerate(fonts.wrap(font, fonts.sentence(rng, 40), w - x - pad - st.text, n)):
        pieces.append(text(img, (x, tag_h + pad + i * lh), line, st, font, outline=not framed))
    if rng.chance(0.4):
        pieces.append(cursor(img, w - pad - st.text // 2, tag_h + body - pad - st.text // 2, st.text // 2,
                             st.fg, rng))
    boxes = [main] if framed else pieces
    if tag_h:
        who = fonts.name(rng)
        tw = text_box(font, who, False, st)[0] + 2 * pad
        tag = (pad, 0, min(w, pad + tw), tag_h + st.border)
        panel(img, tag, st)  # drawn exactly when the main box is: same frame
        name_box = text(img, (tag[0] + pad, pad // 2 + 1), who, st, font,
                        color=st.accent if rng.chance(0.5) else None, outline=not framed)
        boxes.append(tag if framed else name_box)
    return Element(img, boxes, ("bc", "bc", "bc", "tc", "c"), shadow=framed)


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
    framed = panel(img, (0, 0, w, h), st)  # unframed: a title screen's floating choices
    sel = rng.randint(0, len(items) - 1)
    bar = rng.chance(0.4)
    pieces = []
    for i, s in enumerate(items):
        y = pad + i * lh
        if i == sel and bar:  # the highlight bar is a piece of its own, the selected line lies on it
            draw.rectangle((pad // 2, y - 1, w - pad // 2, y + lh - 2), fill=(*st.accent, 150))
            pieces.append((pad // 2, y - 1, w - pad // 2 + 1, y + lh - 1))
        grey = not bar and rng.chance(0.15)
        pieces.append(text(img, (pad + cur, y), s, st, font, color=mix(st.fg, st.bg, 0.55) if grey else None,
                           outline=not framed and st.outline))
        if values:
            vw = text_box(font, values[i], not framed and st.outline, st)[0]
            pieces.append(text(img, (w - pad - vw, y), values[i], st, font,
                               outline=not framed and st.outline))
    if not bar:
        pieces.append(cursor(img, pad, pad + sel * lh + st.text // 6, st.text * 2 // 3, st.fg, rng))
    return Element(img, [(0, 0, w, h)] if framed else pieces, ("mr", "ml", "tr", "br", "c", "tl", "bl"),
                   shadow=framed)


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
    framed = panel(img, (0, 0, w, h), st)  # unframed: a chat log or kill feed over the world
    table = rng.chance(0.4)
    colors = [st.fg, st.accent, hsv(rng.uniform(0, 1), 0.5, 1.0)]
    pieces, ol = [], not framed and st.outline
    for i in range(n):
        y = pad + i * lh
        if table:
            pieces.append(text(img, (pad, y), rng.choice(fonts.LABELS), st, font, color=st.accent,
                               outline=ol))
            value = str(rng.randint(1, 9999))
            vx = w - pad - text_box(font, value, ol, st)[0]
            pieces.append(text(img, (vx, y), value, st, font, outline=ol))
        else:
            head = f"[{fonts.name(rng)}] " if rng.chance(0.5) else ""
            line = fonts.wrap(font, head + fonts.sentence(rng, 8), w - 2 * pad - 2, 1)
            pieces.append(text(img, (pad, y), line[0] if line else "", st, font, color=rng.choice(colors),
                               outline=ol))
    return Element(img, [(0, 0, w, h)] if framed else pieces, ("bl", "ml", "mr", "tl", "tr"), shadow=framed)


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

"""Round UI: speedometers and tachometers (ticks, numbers, a needle), arc gauges, circular cooldowns.

Smooth UI is drawn three times larger and averaged down (Pillow's shapes have no anti-aliasing); pixel UI is
drawn at its own resolution. A dial is UI over its box (like a round minimap); in a row of cooldown icons
each icon is UI over its own box and the world between them is not.
"""

from __future__ import annotations

import math

from PIL import Image, ImageChops, ImageDraw

from uiseg.synth import fonts
from uiseg.synth.common import Color, Rng, hsv, rgba, shade
from uiseg.synth.families import Style
from uiseg.synth.frames import Element, canvas, icon, text, text_box, tight
from uiseg.synth.sprites import make_sprite

_SWEEPS = ((135, 270), (150, 240), (180, 180), (120, 300))  # start angle, sweep (degrees, clockwise)


def _polar(c: float, r: float, deg: float) -> tuple[float, float]:
    a = math.radians(deg)
    return c + r * math.cos(a), c + r * math.sin(a)


def _dial(draw: ImageDraw.ImageDraw, rng: Rng, st: Style, S: int, start: int, sweep: int, k: int) -> float:
    """Face, ticks, red zone and needle of a dial S pixels wide (k = supersampling); returns the value."""
    c, R = S / 2, S / 2 - k
    if rng.chance(0.65):  # a face; without one the ticks and needle stand straight on the world
        face = shade(st.bg, rng.uniform(0.3, 1.0)) if rng.chance(0.6) else (10, 10, 14)
        draw.ellipse((c - R, c - R, c + R, c + R), fill=rgba(face, rng.randint(150, 255)),
                     outline=rgba(st.edge), width=max(k, st.border * k))
    tick = rgba(rng.choice(((255, 255, 255), st.fg, st.edge, (255, 230, 160))))
    majors, minors = rng.randint(5, 11), rng.randint(1, 4)
    for i in range(majors * minors + 1):
        a = start + sweep * i / (majors * minors)
        major = i % minors == 0
        r0 = R * (0.74 if major else 0.84)
        draw.line((_polar(c, r0, a), _polar(c, R * 0.94, a)), fill=tick, width=k * (2 if major else 1))
    if rng.chance(0.6):
        zone = (c - R * 0.9, c - R * 0.9, c + R * 0.9, c + R * 0.9)
        draw.arc(zone, start + sweep * rng.uniform(0.7, 0.85), start + sweep, fill=(230, 40, 30, 255),
                 width=max(k, int(R * 0.07)))
    value = rng.uniform(0, 1)
    a = start + sweep * value
    tip, tail = _polar(c, R * 0.86, a), _polar(c, R * 0.12, a + 180)
    needle = rgba(rng.choice(((240, 40, 30), (255, 140, 0), st.accent, (255, 255, 255))))
    draw.line((tail, tip), fill=needle, width=max(k, int(R * 0.05)))
    hub = R * rng.uniform(0.06, 0.14)
    draw.ellipse((c - hub, c - hub, c + hub, c + hub), fill=rgba(shade(st.edge, 0.6)))
    return value


def _arc(draw: ImageDraw.ImageDraw, rng: Rng, st: Style, S: int, start: int, sweep: int, k: int) -> float:
    """A thick arc track with its filled part, plain or in segments (boost, health or stamina rings)."""
    c, R = S / 2, S / 2 - k
    width = max(2 * k, int(R * rng.uniform(0.12, 0.3)))
    box = (c - R, c - R, c + R, c + R)
    value = rng.uniform(0.05, 1.0)
    color = rng.choice(((40, 200, 250), (250, 200, 40), (80, 230, 90), (240, 60, 60), st.accent))
    draw.arc(box, start, start + sweep, fill=rgba(shade(color, 0.25), rng.randint(150, 255)), width=width)
    segs = rng.randint(8, 24) if rng.chance(0.4) else 1
    step = sweep / segs
    for i in range(segs):
        a0, a1 = start + i * step, start + (i + 1) * step - (step * 0.2 if segs > 1 else 0)
        if a0 >= start + sweep * value:
            break
        draw.arc(box, a0, min(a1, start + sweep * value), fill=rgba(color), width=width)
    return value


def gauge(rng: Rng, st: Style, mw: int, mh: int) -> Element | None:
    """A speedometer, tachometer or arc gauge, with a digital read-out inside the dial."""
    s = int(min(st.lw, st.lh) * rng.uniform(0.16, 0.36))
    if s < 20 or s > min(mw, mh):
        return None
    k = 3 if st.aa else 1
    big = Image.new("RGBA", (s * k, s * k), (0, 0, 0, 0))
    draw = ImageDraw.Draw(big)
    start, sweep = rng.choice(_SWEEPS)
    value = (_dial if rng.chance(0.6) else _arc)(draw, rng, st, s * k, start, sweep, k)
    img = big.resize((s, s), Image.BOX) if k > 1 else big
    font = fonts.get_font(st.font2, max(7, round(s * rng.uniform(0.13, 0.2))))
    if rng.chance(0.75):  # the number: speed, rpm, percent
        n = str(int(value * rng.choice((180, 240, 320, 100, 9))))
        tw, th = text_box(font, n, st.outline, st)
        text(img, ((s - tw) // 2, int(s * 0.58)), n, st, font, color=rng.choice((st.fg, (255, 255, 255))),
             outline=st.outline)
        unit = rng.choice(("km/h", "MPH", "x1000", "%", ""))
        small = fonts.get_font(st.font2, max(6, round(s * 0.09)))
        if unit and int(s * 0.58) + th + text_box(small, unit, False, st)[1] < s:
            text(img, ((s - text_box(small, unit, False, st)[0]) // 2, int(s * 0.58) + th), unit, st, small)
    box = tight(img, (0, 0, s, s))
    img = img.crop(box)  # the element is its box: a half dial leaves no empty canvas around it
    return Element(img, [(0, 0, img.width, img.height)], ("br", "bl", "br", "bc", "tr"), shadow=False)


def _cooldown_icon(rng: Rng, st: Style, size: int, round_: bool) -> Image.Image:
    """An ability icon darkened by the remaining part of its cooldown (a pie from 12 o'clock) and a count."""
    img, draw = canvas(size, size)
    spr = make_sprite(rng, rng.choice((8, 10, 12, 16)))
    bg: Color = hsv(rng.uniform(0, 1), 0.5, rng.uniform(0.25, 0.5))
    shape = (0, 0, size - 1, size - 1)
    if round_:
        draw.ellipse(shape, fill=rgba(bg))
    else:
        draw.rectangle(shape, fill=rgba(bg))
    icon(img, spr, size // 6, size // 6, size - 2 * (size // 6))
    left = rng.uniform(0, 1)
    if left > 0.1:
        pie = Image.new("RGBA", (size, size), (0, 0, 0, 0))
        ImageDraw.Draw(pie).pieslice((-size // 2, -size // 2, size * 3 // 2, size * 3 // 2), -90,
                                     -90 + 360 * left, fill=(0, 0, 0, 170))
        if round_:
            ring = Image.new("L", (size, size), 0)
            ImageDraw.Draw(ring).ellipse(shape, fill=255)
            pie.putalpha(ImageChops.darker(pie.getchannel("A"), ring))  # the pie stays inside the round icon
        img.alpha_composite(pie)
    outline = rgba(st.accent if rng.chance(0.3) else st.edge)
    (draw.ellipse if round_ else draw.rectangle)(shape, outline=outline, width=max(1, size // 16))
    if left > 0.1 and rng.chance(0.6):
        font = fonts.get_font(st.font2, max(7, size // 2))
        n = str(rng.randint(1, 30))
        tw, th = text_box(font, n, True, st)
        text(img, ((size - tw) // 2, (size - th) // 2), n, st, font, color=(255, 255, 255), outline=True)
    return img


def cooldown(rng: Rng, st: Style, mw: int, mh: int) -> Element | None:
    """A row of 1-6 ability icons with circular cooldowns; key labels under some; one box per piece."""
    n = rng.randint(1, 6)
    size = max(10, round(st.text * rng.uniform(1.8, 3.2)))
    gap = rng.randint(max(1, size // 10), max(2, size // 3))
    keys = rng.chance(0.4)
    font = fonts.get_font(st.font2, max(7, size // 3))
    kh = text_box(font, "Q", st.outline, st)[1] + 1 if keys else 0
    w, h = n * size + (n - 1) * gap, size + kh
    if w > mw or h > mh:
        return None
    img, _ = canvas(w, h)
    round_ = rng.chance(0.5)
    boxes = []
    for i, key in zip(range(n), rng.py.sample("QWERTYASDF1234", n)):
        x = i * (size + gap)
        img.alpha_composite(_cooldown_icon(rng, st, size, round_), (x, 0))
        boxes.append((x, 0, x + size, size))
        if keys:
            kw = text_box(font, key, st.outline, st)[0]
            boxes.append(text(img, (x + (size - kw) // 2, size + 1), key, st, font, outline=st.outline))
    return Element(img, boxes, ("bc", "br", "bl", "bc"), shadow=False)

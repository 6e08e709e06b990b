"""Worlds of particular genres: isometric maps, fighting stages, puzzle boards and card tables.

Boards, cards and the words printed on a table are the game's world, not its UI, however UI-like their
grids, frames and text look.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from uiseg.synth import scenery
from uiseg.synth.common import Color, Rng, hsv, mix, shade, value_noise, vgradient
from uiseg.synth.sprites import make_sprite
from uiseg.synth.worlds_classic import prop, sky


def isometric(rng: Rng, lh: int, lw: int) -> np.ndarray:
    """An isometric map: diamond tiles on a height field, raised blocks with lit sides, trees and units."""
    tw = rng.choice([t for t in (16, 24, 32, 48, 64) if lw // 14 <= t <= max(16, lw // 6)] or [16])
    th, step = tw // 2, max(2, tw // 4)
    n = lw // tw + lh // th + 4
    field = value_noise(rng, n, n, rng.randint(2, 5), 2)
    sea = rng.uniform(0.0, 0.4)  # share of the map under water
    land = 1 + np.floor((field - sea) / (1 - sea + 1e-6) * rng.randint(1, 4))
    height = np.where(field < sea, 0, land).astype(int)
    levels = [hsv(0.58, 0.6, 0.7), hsv(0.14, 0.4, 0.85), hsv(0.3, 0.6, 0.65), hsv(0.33, 0.6, 0.45),
              hsv(0.08, 0.2, 0.6), hsv(0, 0, 0.9)]
    shift = rng.uniform(-0.05, 0.05) if rng.chance(0.8) else rng.uniform(0, 1)
    levels = [hsv(0.3 + shift, 0.5, 0.6) if rng.chance(0.1) else c for c in levels]
    im = Image.new("RGB", (lw, lh), shade(levels[0], 0.6))
    draw = ImageDraw.Draw(im)
    ox, oy = lw / 2, -lh * 0.6
    for s in range(2 * n - 1):  # back to front: by the sum of the grid coordinates
        for i in range(max(0, s - n + 1), min(s, n - 1) + 1):
            j = s - i
            x, y = ox + (i - j) * tw / 2, oy + (i + j) * th / 2
            if x < -tw or x > lw + tw or y < -th * 3 or y > lh + th * 6:
                continue
            hgt = height[i, j]
            top = y - hgt * step
            col = levels[min(hgt, len(levels) - 1)]
            if hgt:  # the block's two visible sides
                left = [(x - tw / 2, top + th / 2), (x, top + th), (x, y + th), (x - tw / 2, y + th / 2)]
                right = [(x, top + th), (x + tw / 2, top + th / 2), (x + tw / 2, y + th / 2), (x, y + th)]
                draw.polygon(left, fill=shade(col, 0.65))
                draw.polygon(right, fill=shade(col, 0.45))
            tone = 0.92 + 0.16 * ((i + j) % 2)
            draw.polygon([(x, top), (x + tw / 2, top + th / 2), (x, top + th), (x - tw / 2, top + th / 2)],
                         fill=shade(col, tone), outline=shade(col, 0.8) if rng.chance(0.02) else None)
            if hgt and rng.chance(0.1):
                prop(draw, rng, x, top + th / 2, tw * 0.6, 1.0)
    out = np.array(im)
    for _ in range(rng.randint(0, 10)):  # units
        s = max(6, tw // 2)
        spr = make_sprite(rng, s)
        x, y = rng.randint(0, max(0, lw - s)), rng.randint(0, max(0, lh - s))
        keep = spr[..., 3] > 127
        out[y:y + s, x:x + s][keep[:lh - y, :lw - x]] = spr[..., :3][:lh - y, :lw - x][keep[:lh - y, :lw - x]]
    return out


def _fighter(draw: ImageDraw.ImageDraw, rng: Rng, x: float, feet: float, h: float, facing: int) -> None:
    """A fighter in a guard stance: a head, a torso, thick limbs; big, so it covers much of the stage."""
    skin = rng.choice(((240, 200, 170), (200, 150, 110), (140, 95, 60), (250, 220, 190)))
    suit = hsv(rng.uniform(0, 1), rng.uniform(0.4, 1.0), rng.uniform(0.4, 0.95))
    limb = max(2, int(h * 0.07))
    hip, neck = (x, feet - h * 0.45), (x + facing * h * 0.04, feet - h * 0.8)
    for dx in (-0.16, 0.14):  # legs, knees bent
        knee = (x + dx * h + facing * h * 0.03, feet - h * 0.22)
        draw.line((hip, knee, (x + dx * h * 1.4, feet)), fill=shade(suit, 0.8), width=limb, joint="curve")
    draw.polygon([(hip[0] - h * 0.1, hip[1]), (hip[0] + h * 0.1, hip[1]), (neck[0] + h * 0.13, neck[1]),
                  (neck[0] - h * 0.13, neck[1])], fill=suit)
    for reach in (0.3, 0.18):  # arms raised in guard
        elbow = (neck[0] + facing * h * reach * 0.6, neck[1] + h * 0.15)
        fist = (neck[0] + facing * h * reach, neck[1] - h * 0.02)
        draw.line((neck, elbow, fist), fill=skin, width=limb, joint="curve")
        draw.ellipse((fist[0] - limb, fist[1] - limb, fist[0] + limb, fist[1] + limb), fill=shade(suit, 0.6))
    r = h * 0.075
    draw.ellipse((neck[0] - r, neck[1] - 2.2 * r, neck[0] + r, neck[1] - 0.1 * r), fill=skin)
    draw.rectangle((neck[0] - r, neck[1] - 2.2 * r, neck[0] + r, neck[1] - 1.6 * r),
                   fill=rng.choice(((20, 20, 20), (120, 60, 20), (240, 230, 80), suit)))


def arena(rng: Rng, lh: int, lw: int) -> np.ndarray:
    """A fighting game stage: a backdrop (city, temple, crowd), a floor in perspective, two big fighters."""
    night = rng.chance(0.3)
    top, bottom = sky(rng, night)
    floor_y = int(lh * rng.uniform(0.72, 0.88))
    img = vgradient(lh, lw, top, bottom, rng.uniform(0.6, 1.5)).copy()
    im = Image.fromarray(img)
    draw = ImageDraw.Draw(im)
    scene = rng.choice(("city", "temple", "crowd"))
    for _ in range(rng.randint(4, 12) if scene == "city" else 0):  # skyline with lit windows
        x, bw = rng.randint(-lw // 10, lw), rng.randint(lw // 14, lw // 5)
        tb = rng.randint(lh // 6, floor_y - lh // 10)
        col = shade(bottom, rng.uniform(0.2, 0.5))
        draw.rectangle((x, tb, x + bw, floor_y), fill=col)
        for wy in range(tb + 3, floor_y - 3, max(3, lh // 25)):
            draw.line((x + 2, wy, x + bw - 2, wy), fill=shade((255, 220, 140), 0.7), width=1)
    if scene == "temple":
        stone = hsv(rng.uniform(0, 0.15), 0.3, rng.uniform(0.4, 0.8))
        for k in range(rng.randint(3, 7)):
            px = int(lw * (k + 0.5) / 6 + rng.randint(-5, 5))
            draw.rectangle((px, lh // 5, px + lw // 24, floor_y), fill=stone, outline=shade(stone, 0.6))
        draw.rectangle((0, lh // 8, lw, lh // 5), fill=shade(stone, 0.8))
    if scene == "crowd":  # rows of heads: a busy, repetitive band behind the fighters
        for row in range(rng.randint(2, 5)):
            y = floor_y - (row + 1) * lh // 14
            for x in range(rng.randint(-6, 0), lw, max(4, lw // 40)):
                c = hsv(rng.uniform(0, 1), 0.4, rng.uniform(0.2, 0.6) * (1 - 0.1 * row))
                r = max(2, lw // 90)
                draw.ellipse((x - r, y - r, x + r, y + r), fill=c)
                draw.rectangle((x - r, y + r // 2, x + r, floor_y), fill=shade(c, 0.6))
    floor = hsv(rng.uniform(0, 1), rng.uniform(0.1, 0.5), rng.uniform(0.3, 0.7))
    draw.rectangle((0, floor_y, lw, lh), fill=floor)
    for k in range(-8, 9):  # boards converging to a vanishing point high above the stage
        draw.line((lw / 2 + k * lw / 16, floor_y, lw / 2 + k * lw / 5, lh), fill=shade(floor, 0.8), width=1)
    fh = lh * rng.uniform(0.45, 0.7)
    for x, facing in ((lw * rng.uniform(0.2, 0.4), 1), (lw * rng.uniform(0.6, 0.8), -1)):
        draw.ellipse((x - fh * 0.2, floor_y + lh * 0.04 - 3, x + fh * 0.2, floor_y + lh * 0.04 + 3),
                     fill=shade(floor, 0.6))
        _fighter(draw, rng, x, floor_y + lh * 0.04, fh, facing)
    return np.asarray(im)


def _gem(draw: ImageDraw.ImageDraw, x0: float, y0: float, s: float, kind: int, col: Color) -> None:
    m = s * 0.12
    box = (x0 + m, y0 + m, x0 + s - m, y0 + s - m)
    cx, cy = x0 + s / 2, y0 + s / 2
    if kind == 0:
        draw.ellipse(box, fill=col, outline=shade(col, 0.5))
    elif kind == 1:
        diamond = [(cx, box[1]), (box[2], cy), (cx, box[3]), (box[0], cy)]
        draw.polygon(diamond, fill=col, outline=shade(col, 0.5))
    elif kind == 2:
        draw.rectangle(box, fill=col, outline=shade(col, 0.5))
    else:
        draw.polygon([(cx, box[1]), (box[2], box[3]), (box[0], box[3])], fill=col, outline=shade(col, 0.5))
    draw.ellipse((box[0] + s * 0.15, box[1] + s * 0.12, box[0] + s * 0.32, box[1] + s * 0.28),
                 fill=shade(col, 1.6))


def board(rng: Rng, lh: int, lw: int) -> np.ndarray:
    """A puzzle board on a backdrop: match-3 gems, a falling-block well, checkers/go, or numbered tiles."""
    n = value_noise(rng, lh, lw, rng.randint(1, 4), 2)[..., None]
    a = hsv(rng.uniform(0, 1), 0.5, rng.uniform(0.1, 0.6))
    b = hsv(rng.uniform(0, 1), 0.5, rng.uniform(0.3, 0.9))
    im = Image.fromarray((np.float32(a) * (1 - n) + np.float32(b) * n).astype(np.uint8))
    draw = ImageDraw.Draw(im)
    kind = rng.choice(("match", "well", "checkers", "go", "numbers", "bubbles"))
    rows, cols = {"well": (20, 10), "checkers": (8, 8), "go": (rng.choice((9, 13)),) * 2,
                  "numbers": (4, 4)}.get(kind, (rng.randint(6, 10), rng.randint(6, 10)))
    s = int(min(lh * rng.uniform(0.7, 0.95) / rows, lw * rng.uniform(0.4, 0.9) / cols))
    if s < 3:
        return np.asarray(im)
    x0, y0 = int(rng.uniform(0.05, 0.95) * (lw - s * cols)), int((lh - s * rows) * rng.uniform(0.2, 0.8))
    back = shade(a, 0.4)
    draw.rectangle((x0 - 2, y0 - 2, x0 + s * cols + 1, y0 + s * rows + 1), fill=back, outline=shade(b, 1.3))
    palette = [hsv(h, 0.8, 0.95) for h in np.linspace(0, 1, rng.randint(4, 7), endpoint=False)]
    fill_from = rng.randint(rows // 3, rows - 2)
    light, dark = hsv(rng.uniform(0, 1), 0.3, 0.85), hsv(rng.uniform(0, 1), 0.5, 0.35)
    for r in range(rows):
        for c in range(cols):
            x, y = x0 + c * s, y0 + r * s
            if kind == "match":
                _gem(draw, x, y, s, rng.randint(0, 3), rng.choice(palette))
            elif kind == "well" and r >= fill_from and rng.chance(0.8):
                col = rng.choice(palette)
                draw.rectangle((x, y, x + s - 1, y + s - 1), fill=col, outline=shade(col, 0.5))
            elif kind == "checkers":
                draw.rectangle((x, y, x + s - 1, y + s - 1), fill=light if (r + c) % 2 else dark)
                if (r + c) % 2 == 0 and (r < 3 or r > 4) and rng.chance(0.7):
                    _gem(draw, x, y, s, 0, (200, 30, 30) if r < 3 else (30, 30, 30))
            elif kind == "go":
                draw.line((x + s / 2, y, x + s / 2, y + s), fill=(60, 40, 20))
                draw.line((x, y + s / 2, x + s, y + s / 2), fill=(60, 40, 20))
                if rng.chance(0.3):
                    _gem(draw, x, y, s, 0, (250, 250, 250) if rng.chance(0.5) else (15, 15, 15))
            elif kind == "numbers" and rng.chance(0.75):
                col = hsv(0.1, rng.uniform(0.2, 0.9), 0.95)
                draw.rounded_rectangle((x + 2, y + 2, x + s - 3, y + s - 3), max(1, s // 10), fill=col)
                scenery.write(im, rng, (x + s // 6, y + s // 4, x + s - s // 6, y + s - s // 4),
                              str(2 ** rng.randint(1, 11)), color=(60, 50, 40))
            elif kind == "bubbles" and r < fill_from:
                _gem(draw, x + (s / 2 if r % 2 else 0), y, s, 0, rng.choice(palette))
    return np.asarray(im)


def _card(im: Image.Image, rng: Rng, x: float, y: float, w: float, up: bool) -> None:
    """A playing card: face up with its rank and a suit glyph, or face down with a patterned back."""
    draw = ImageDraw.Draw(im)
    h = w * 1.4
    box = (x, y, x + w, y + h)
    if not up:
        back = rng.choice(((180, 30, 40), (30, 60, 160), (30, 120, 60)))
        draw.rounded_rectangle(box, max(1, w / 10), fill=back, outline=(250, 250, 250),
                               width=max(1, int(w / 14)))
        for k in range(1, 5):
            draw.line((x + w * k / 5, y + 2, x + w * k / 5, y + h - 2), fill=shade(back, 1.3))
        return
    draw.rounded_rectangle(box, max(1, w / 10), fill=(250, 250, 245), outline=(60, 60, 60))
    red = rng.chance(0.5)
    ink = (200, 20, 30) if red else (20, 20, 20)
    rank = rng.choice(("A", "K", "Q", "J", "10", "9", "7", "5", "3", "2"))
    scenery.write(im, rng, (x + w * 0.06, y + h * 0.04, x + w * 0.45, y + h * 0.3), rank, color=ink)
    cx, cy, r = x + w / 2, y + h * 0.6, w * 0.2
    if red:
        draw.polygon([(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)], fill=ink)
    else:
        draw.ellipse((cx - r, cy - r, cx + r, cy + r * 0.6), fill=ink)
        draw.polygon([(cx, cy), (cx - r / 2, cy + r * 1.2), (cx + r / 2, cy + r * 1.2)], fill=ink)


def table(rng: Rng, lh: int, lw: int) -> np.ndarray:
    """A card table: lit felt, a wooden rim, fanned hands or solitaire columns, chips, printed words."""
    felt = rng.choice((hsv(0.35, 0.7, 0.45), hsv(0.6, 0.6, 0.4), hsv(0.98, 0.6, 0.4), hsv(0.75, 0.4, 0.35),
                       hsv(rng.uniform(0, 1), 0.5, 0.4)))
    ys, xs = np.mgrid[0:lh, 0:lw].astype(np.float32)
    spot = 1.25 - 0.7 * np.hypot((xs - lw / 2) / lw, (ys - lh * 0.45) / lh)  # a lamp over the table
    grain = 0.9 + 0.2 * rng.np.random((lh, lw)).astype(np.float32)
    img = np.float32(felt) * (spot * grain)[..., None]
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(im)
    if rng.chance(0.6):
        wood = hsv(rng.uniform(0.05, 0.1), 0.6, rng.uniform(0.25, 0.5))
        rim = max(3, lh // 14)
        draw.rounded_rectangle((-rim, lh * rng.uniform(0.55, 0.8), lw + rim, lh + lh), lh // 3, outline=wood,
                               width=rim)
    if rng.chance(0.6):  # words printed on the felt
        scenery.write(im, rng, (lw * 0.2, lh * 0.4, lw * 0.8, lh * 0.47),
                      rng.choice(("BLACKJACK PAYS 3 TO 2", "INSURANCE PAYS 2 TO 1", "DEALER MUST HIT 16",
                                  "POT", "TEXAS HOLD'EM", "DISCARD", "TABLEAU")),
                      color=mix(felt, (250, 230, 160), 0.6))
    w = lw * rng.uniform(0.07, 0.16)
    layout = rng.choice(("fan", "row", "columns"))
    if layout == "columns":  # solitaire: overlapping columns, face-down cards under face-up ones
        for c in range(rng.randint(4, 8)):
            for r in range(rng.randint(1, 6)):
                up = r >= 2 or rng.chance(0.3)
                _card(im, rng, lw * 0.05 + c * w * 1.15, lh * 0.1 + r * w * 0.35, w, up)
    else:
        for k in range(rng.randint(2, 6)):
            up = layout == "row" or rng.chance(0.7)
            x = lw * 0.3 + k * w * (1.1 if layout == "row" else 0.45)
            _card(im, rng, x, lh * rng.uniform(0.45, 0.6), w, up)
    for _ in range(rng.randint(0, 5)):  # chip stacks
        cx, cy, r = rng.uniform(0, lw), rng.uniform(lh * 0.2, lh), lw * rng.uniform(0.015, 0.03)
        col = rng.choice(((200, 30, 30), (30, 30, 200), (30, 150, 50), (20, 20, 20), (240, 240, 240)))
        for k in range(rng.randint(1, 8)):
            y = cy - k * r * 0.35
            draw.ellipse((cx - r, y - r * 0.5, cx + r, y + r * 0.5), fill=col, outline=shade(col, 0.6))
    return np.asarray(im)

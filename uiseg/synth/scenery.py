"""World content that looks like UI and is not: signs, billboards, plaques and glyph blocks with words (text
in the world is never UI), and bands of scenery (fences, rails, brick rows, tile strips, road markings)
spanning the screen like HUD bands. The model has to tell them from UI by what they are, not where.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from uiseg.synth import faces, fonts
from uiseg.synth.common import Color, Rng, hsv, luma, shade
from uiseg.synth.sprites import make_tile, tilemap

WORDS = ("INN", "SHOP", "EXIT", "HOTEL", "BAR", "SALE", "24H", "ITEM", "DANGER", "STOP", "OPEN", "CAFE",
         "BANK", "MOTEL", "PIZZA", "MART", "GATE 3", "ZONE B", "KEEP OUT", "TURBO", "OIL", "PIT", "?", "!",
         "$", "50", "100", "START", "FINISH", "ARMS", "TAVERN", "DOJO", "ARENA", "NO.7", "A-12", "CASINO",
         "POLICE", "HOSPITAL", "SCHOOL", "DINER", "GARAGE", "SPEED", "LEFT", "SLOW", "WELCOME", "GOAL")
_GROUPS = ("sans", "serif", "mono", "default", "grid", "stroke", "italic")
# Chance of a band of scenery per world kind (none where it would make no sense, e.g. a card table's felt).
_BANDS = {"sidescroll": 0.35, "arena": 0.35, "road": 0.2, "topdown": 0.2, "landscape": 0.2, "dungeon": 0.15,
          "backdrop": 0.15, "scene3d": 0.15, "busy": 0.15, "isometric": 0.1, "space": 0.1, "corridor": 0.05}


def write(im: Image.Image, rng: Rng, box, word: str | None = None, spec: str | None = None,
          color: Color | None = None) -> None:
    """Write a word (world text, never UI) as large as fits inside box, in a colour that reads on it."""
    x0, y0, x1, y1 = (int(v) for v in box)
    if x1 - x0 < 4 or y1 - y0 < 5 or x1 <= 0 or y1 <= 0 or x0 >= im.width or y0 >= im.height:
        return
    word = word or rng.choice(WORDS)
    size = y1 - y0
    spec = spec or faces.variant(rng, rng.choice(fonts.available(rng.choice(_GROUPS))), size, True)
    for _ in range(4):
        face = fonts.get_font(spec, max(6, size))
        tw, th = fonts.text_size(face, word)
        if tw <= x1 - x0 and th <= y1 - y0:
            break
        size = int(size * min(0.85, (x1 - x0) / tw))
    else:
        return
    if color is None:
        cx, cy = min(max(0, (x0 + x1) // 2), im.width - 1), min(max(0, (y0 + y1) // 2), im.height - 1)
        under = im.getpixel((cx, cy))
        color = (20, 20, 20) if luma(under) > 130 else (250, 250, 230)
    cov = face.mask(word, True)
    x, y = x0 + (x1 - x0 - tw) // 2, y0 + (y1 - y0 - th) // 2
    im.paste(color, (x, y, x + cov.width, y + cov.height), cov)


def signs(rng: Rng, img: np.ndarray, spec: str | None) -> np.ndarray:
    """Signposts, wall plaques, '?' blocks and words painted on the ground, in the UI's face when given."""
    im = Image.fromarray(img)
    draw = ImageDraw.Draw(im)
    lh, lw = img.shape[:2]
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(("post", "plaque", "block", "painted"))
        h = max(7, lh // rng.randint(10, 24))
        w = h * (1 if kind == "block" else rng.randint(2, 5))
        x, y = rng.randint(0, max(0, lw - w)), rng.randint(0, max(0, lh - h - 8))
        board = hsv(rng.uniform(0, 1), rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.9))
        if kind == "post":
            stake = (x + w // 2, y + h, x + w // 2 + max(1, h // 8), y + h + h // 2 + 2)
            draw.rectangle(stake, fill=(70, 50, 30))
        if kind == "block":  # a question block: a bevelled square with one glyph
            board = hsv(rng.uniform(0.08, 0.15), 0.8, 0.95)
            draw.rectangle((x, y, x + w, y + h), fill=board, outline=shade(board, 0.4))
            draw.line((x + 1, y + 1, x + w - 1, y + 1), fill=shade(board, 1.5))
            write(im, rng, (x + 2, y + 2, x + w - 1, y + h - 1), rng.choice(("?", "!", "$", "P", "1")), spec)
            continue
        if kind != "painted":
            draw.rectangle((x - 2, y - 2, x + w + 2, y + h + 2), fill=board, outline=shade(board, 0.5))
        write(im, rng, (x, y, x + w, y + h), None, spec)
    return np.asarray(im)


def _fence(rng: Rng, band: np.ndarray) -> None:
    h, w = band.shape[:2]
    wood = np.float32(hsv(rng.uniform(0.05, 0.12), rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.9)))
    gap = max(3, h // 2)
    for y in (h // 4, 2 * h // 3):  # rails
        band[y:y + max(1, h // 8)] = wood * 0.8
    band[:, (np.arange(w) % gap) < max(1, gap // 3)] = wood  # posts


def _rails(rng: Rng, band: np.ndarray) -> None:
    h, w = band.shape[:2]
    band[(np.arange(h) % max(3, h // 2)) < max(1, h // 6)] = np.float32(hsv(0, 0, rng.uniform(0.5, 0.8)))
    band[:, (np.arange(w) % max(4, h)) < max(1, h // 4)] *= 0.5  # sleepers
    band[-max(1, h // 8):] = np.float32(hsv(0, 0, 0.3))


def _markings(rng: Rng, band: np.ndarray) -> None:
    h, w = band.shape[:2]
    band[:] = np.float32(hsv(0, 0, rng.uniform(0.2, 0.4)))
    period = max(4, h * rng.randint(2, 4))
    dash = (np.arange(w) % period) < period // 2
    band[h // 2 - max(1, h // 8):h // 2 + max(1, h // 8), dash] = rng.choice(((240, 240, 240), (250, 210, 0)))


def _kerb(rng: Rng, band: np.ndarray) -> None:
    w = band.shape[1]
    period = max(4, band.shape[0] * 2)
    a, b = rng.choice((((230, 30, 30), (245, 245, 245)), ((20, 20, 20), (250, 200, 0))))
    even = ((np.arange(w) // (period // 2)) % 2 == 0)[None, :, None]
    band[:] = np.where(even, np.float32(a), np.float32(b))


def bands(rng: Rng, img: np.ndarray) -> np.ndarray:
    """One or two full-width strips of scenery, most often near the top or the bottom edge."""
    out = img.astype(np.float32)
    lh, lw = img.shape[:2]
    for _ in range(rng.randint(1, 2)):
        h = max(3, int(lh * rng.uniform(0.04, 0.15)))
        y = rng.choice((0, lh - h, rng.randint(0, max(0, lh - h)), int(lh * rng.uniform(0.6, 0.9))))
        y = min(max(0, y), lh - h)
        kind = rng.choice(("fence", "rails", "bricks", "tiles", "markings", "kerb"))
        band = out[y:y + h]
        if kind == "fence":
            _fence(rng, band)
        elif kind == "rails":
            _rails(rng, band)
        elif kind == "markings":
            _markings(rng, band)
        elif kind == "kerb":
            _kerb(rng, band)
        else:
            ts = max(4, min(h, rng.choice((8, 12, 16))))
            tile = make_tile(rng, ts, hsv(rng.uniform(0, 1), 0.5, rng.uniform(0.3, 0.8)),
                             "brick" if kind == "bricks" else rng.choice(("stone", "checker")))
            strip = tilemap(np.zeros((h // ts + 1, lw // ts + 1), np.intp), tile[None])
            band[:] = strip[:h, :lw]
    return np.clip(out, 0, 255).astype(np.uint8)


def dress(rng: Rng, img: np.ndarray, kind: str, spec: str | None) -> np.ndarray:
    """Add scenery to a world at its drawing resolution: bands by the kind's odds, signs when spec is set."""
    if rng.chance(_BANDS.get(kind, 0.0)):
        img = bands(rng, img)
    if spec is not None:
        img = signs(rng, np.ascontiguousarray(img), spec)
    return img

"""The first world kinds: tile maps, side-scrollers, space, 3D-like landscapes, dungeons, painted backdrops.

Each takes the low-resolution size it is drawn at (see worlds.render_world) and returns (h, w, 3) uint8.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from uiseg.synth.common import Color, Rng, hsv, mix, shade, value_noise, vgradient
from uiseg.synth.sprites import coin, make_sprite, make_tile, paste, tilemap


def sky(rng: Rng, night: bool) -> tuple[Color, Color]:
    """Top and horizon colours of a day, dusk or night sky."""
    if night:
        return (hsv(rng.uniform(0.55, 0.8), 0.7, rng.uniform(0.05, 0.2)),
                hsv(rng.uniform(0.55, 0.9), 0.6, 0.35))
    if rng.chance(0.25):  # dusk
        return hsv(rng.uniform(0.6, 0.8), 0.5, 0.6), hsv(rng.uniform(0.0, 0.12), 0.7, 1.0)
    hue = rng.uniform(0.5, 0.65) if rng.chance(0.8) else rng.uniform(0, 1)
    return hsv(hue, rng.uniform(0.5, 0.9), rng.uniform(0.6, 1.0)), hsv(hue, 0.2, 1.0)


def _biome(rng: Rng) -> list[Color]:
    """Colours for water, sand, grass, forest, rock; sometimes an alien hue shift for variety."""
    shift = rng.uniform(0, 1) if rng.chance(0.2) else rng.uniform(-0.04, 0.04)
    v = rng.uniform(0.55, 1.0)
    return [hsv(0.58 + shift, 0.7, 0.8 * v), hsv(0.13 + shift, 0.4, 0.95 * v),
            hsv(0.3 + shift, 0.6, 0.75 * v),
            hsv(0.35 + shift, 0.7, 0.45 * v), hsv(0.08 + shift, 0.15, 0.6 * v)]


def topdown(rng: Rng, lh: int, lw: int) -> np.ndarray:
    """An RPG-style overworld or town: noise-driven terrain tiles, roads, houses, trees and characters."""
    ts = rng.choice([t for t in (8, 12, 16, 24, 32) if t <= max(8, lw // 6)])
    gh, gw = lh // ts + 2, lw // ts + 2
    field = value_noise(rng, gh, gw, rng.randint(2, 5), 2)
    types = np.digitize(field, np.sort(rng.np.uniform(0.15, 0.85, 4))).astype(np.intp)
    cols = _biome(rng)
    pats = ["waves", "speckle", "grass", "grass", "stone"]
    tiles = [make_tile(rng, ts, c, p) for c, p in zip(cols, pats)]
    tiles.append(make_tile(rng, ts, hsv(rng.uniform(0, 1), 0.3, 0.6), rng.choice(["brick", "checker"])))
    tiles.append(make_tile(rng, ts, hsv(rng.uniform(0, 0.1), 0.6, 0.6), "brick"))  # roofs
    if rng.chance(0.6):  # roads
        types[rng.randint(0, gh - 1), :] = 5
        types[:, rng.randint(0, gw - 1)] = 5
    for _ in range(rng.randint(0, 5)):  # houses: roof rows over wall rows
        y, x = rng.randint(0, gh - 3), rng.randint(0, gw - 3)
        hh, ww = rng.randint(2, 4), rng.randint(2, 5)
        types[y:y + hh, x:x + ww] = 6
        types[y + hh - 1:y + hh, x:x + ww] = 5
    img = np.ascontiguousarray(tilemap(types, np.stack(tiles)))
    for _ in range(rng.randint(3, 30)):  # trees, rocks, people, chests
        spr = make_sprite(rng, rng.choice([ts, ts, ts * 2 // 3, ts + ts // 2]))
        paste(img, spr, rng.randint(0, img.shape[1] - 1), rng.randint(0, img.shape[0] - 1))
    oy, ox = rng.randint(0, ts - 1), rng.randint(0, ts - 1)  # scrolled camera
    return img[oy:oy + lh, ox:ox + lw]


def sidescroll(rng: Rng, lh: int, lw: int) -> np.ndarray:
    """A platformer level: sky, parallax hills, ground and floating platforms, enemies and coins."""
    top, bottom = sky(rng, rng.chance(0.3))
    img = vgradient(lh, lw, top, bottom, rng.uniform(0.6, 1.6)).copy()
    xs = np.arange(lw, dtype=np.float32)[None, :]
    ys = np.arange(lh, dtype=np.float32)[:, None]
    hill = hsv(rng.uniform(0, 1), rng.uniform(0.3, 0.8), rng.uniform(0.3, 0.8))
    for layer in range(rng.randint(1, 3)):
        f = rng.uniform(0.01, 0.05) * (1 + layer)
        base = lh * rng.uniform(0.35, 0.7) + layer * lh * 0.08
        height = base + lh * 0.08 * np.sin(xs * f + rng.uniform(0, 6)) + lh * 0.04 * np.sin(xs * f * 2.7)
        img[ys >= height] = mix(bottom, shade(hill, 1 - 0.25 * layer), 0.5 + 0.25 * layer)
    ts = rng.choice([t for t in (8, 12, 16, 24) if t <= max(8, lh // 6)])
    ground_y = int(lh * rng.uniform(0.7, 0.9))
    tiles = np.stack([make_tile(rng, ts, hsv(rng.uniform(0, 1), 0.5, rng.uniform(0.3, 0.8)), p)
                      for p in ("brick", "stone", "grass")])
    _ground(rng, img, ground_y, ts, tiles)
    if rng.chance(0.25):  # a cave or castle ceiling: a tile strip along the top, where HUD bands also sit
        rows = rng.randint(1, 2)
        img[:rows * ts] = tilemap(np.full((rows, lw // ts + 1), rng.randint(0, 2), np.intp), tiles)[:lh, :lw]
    for _ in range(rng.randint(0, 4)):  # floating platforms
        n, y = rng.randint(2, 8), rng.randint(lh // 4, max(lh // 4 + 1, ground_y - 2 * ts))
        x = rng.randint(0, lw - 1)
        plat = tilemap(np.full((1, n), rng.randint(0, 2), np.intp), tiles)
        img[y:y + ts, x:x + n * ts] = plat[:lh - y, :lw - x]
    for _ in range(rng.randint(1, 8)):
        s = rng.choice([ts, ts, ts * 2])
        paste(img, make_sprite(rng, s), rng.randint(0, lw - s), ground_y - s)
    gold = hsv(rng.uniform(0.1, 0.16), 0.8, 1.0)
    for _ in range(rng.randint(0, 12)):
        paste(img, coin(max(4, ts // 2), gold), rng.randint(0, lw), rng.randint(0, ground_y))
    return img


def _ground(rng: Rng, img: np.ndarray, ground_y: int, ts: int, tiles: np.ndarray) -> None:
    """The floor of a platformer: tiles, a capped tile strip, or a flat band with a lit top edge and pits.

    Ground strips span the screen's width at its bottom, exactly where HUD bands go: the model has to tell
    them apart by what they hold, not by where they are.
    """
    lh, lw = img.shape[:2]
    rows = (lh - ground_y) // ts + 1
    kind = rng.choice(("tiles", "tiles", "capped", "flat"))
    types = np.full((rows, lw // ts + 1), rng.randint(0, 2), np.intp)
    if kind == "capped":
        types[1:] = (types[0, 0] + rng.randint(1, 2)) % 3
    if kind == "flat":
        col = hsv(rng.uniform(0, 1), rng.uniform(0.2, 0.8), rng.uniform(0.1, 0.6))
        img[ground_y:] = col
        img[ground_y:ground_y + max(1, ts // 8)] = shade(col, 1.6)
        if rng.chance(0.5):  # a dotted pattern inside the band, as old platformers dither their floors
            img[ground_y + ts // 4::max(2, ts // 4), ::max(2, ts // 4)] = shade(col, 0.6)
    else:
        img[ground_y:] = tilemap(types, tiles)[:lh - ground_y, :lw]
    for _ in range(rng.randint(0, 2) if rng.chance(0.4) else 0):  # pits: the sky shows through the floor
        x, pw = rng.randint(0, lw), ts * rng.randint(1, 3)
        img[ground_y:, x:x + pw] = img[max(0, ground_y - 1), x:x + pw]


def space(rng: Rng, lh: int, lw: int) -> np.ndarray:
    """A shoot-'em-up field: dark gradient, nebula, stars, planets, ships and bullets."""
    img = vgradient(lh, lw, hsv(rng.uniform(0.55, 0.85), 0.8, rng.uniform(0.0, 0.15)),
                    hsv(rng.uniform(0.55, 0.95), 0.8, rng.uniform(0.05, 0.3))).astype(np.float32)
    neb = value_noise(rng, lh, lw, rng.randint(2, 6))[..., None] ** 2
    img += neb * np.asarray(hsv(rng.uniform(0, 1), 0.7, 1.0), np.float32) * rng.uniform(0.1, 0.6)
    dense = rng.chance(0.35)  # a dense starfield: high-frequency dots everywhere, UI-sized specks included
    stars = rng.np.random((lh, lw)) < (rng.uniform(0.03, 0.12) if dense else rng.uniform(0.002, 0.02))
    img[stars] = rng.np.uniform(60 if dense else 120, 255, (int(stars.sum()), 1))
    if dense and rng.chance(0.5):  # tinted, two-pixel-wide stars of a nearer layer
        near = rng.np.random((lh, lw - 1)) < 0.01
        tint = np.asarray(hsv(rng.uniform(0, 1), 0.3, 1.0), np.float32)
        img[:, :-1][near] = tint
        img[:, 1:][near] = tint
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(im)
    for _ in range(rng.randint(0, 2)):
        r = rng.randint(lh // 12, lh // 3)
        cx, cy = rng.randint(0, lw), rng.randint(0, lh)
        col = hsv(rng.uniform(0, 1), 0.5, 0.7)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=col)
        draw.ellipse((cx - r // 2, cy - r // 2 - r // 3, cx + r // 3, cy), fill=shade(col, 1.3))
    for _ in range(rng.randint(0, 30)):  # bullets
        x, y = rng.randint(0, lw), rng.randint(0, lh)
        col = hsv(rng.uniform(0, 1), 0.6, 1)
        draw.rectangle((x, y, x + rng.randint(1, 2), y + rng.randint(2, 6)), fill=col)
    out = np.array(im)
    for _ in range(rng.randint(1, 10)):
        s = rng.randint(8, max(9, lh // 6))
        paste(out, make_sprite(rng, s), rng.randint(-s // 2, lw), rng.randint(-s // 2, lh))
    return out


def _perspective_ground(rng: Rng, lh: int, lw: int, hor: int, night: bool) -> tuple[np.ndarray, np.ndarray]:
    """Ground colours and fog weights below the horizon: noise textures mapped in perspective."""
    tex = value_noise(rng, 64, 64, 8, 3)
    patch = value_noise(rng, 64, 64, 3, 2)
    ys = np.arange(hor, lh, dtype=np.float32)[:, None]
    depth = 1.0 / np.maximum(ys - hor + 1, 1)
    zoom = rng.uniform(3, 14)
    u = ((np.arange(lw)[None, :] - lw / 2) * depth * zoom).astype(np.int64) % 64
    v = (depth * lh * zoom).astype(np.int64) % 64
    g0 = np.asarray(hsv(rng.choice([0.1, 0.25, 0.3, 0.6, 0.0, rng.uniform(0, 1)]), rng.uniform(0.1, 0.7),
                        0.4 if night else 0.7), np.float32)
    g1 = np.asarray(hsv(rng.uniform(0, 1), rng.uniform(0.1, 0.6), 0.3 if night else 0.6), np.float32)
    t = (patch[v, u] > rng.uniform(0.4, 0.7))[..., None]
    base = np.where(t, g1, g0)
    return base * (0.65 + 0.6 * tex[v, u][..., None]), np.clip(depth * 6, 0, 1)[..., None]


def prop(draw: ImageDraw.ImageDraw, rng: Rng, x: float, y: float, size: float, light: float) -> None:
    """A shaded 3D-ish prop standing on the ground: a tree, a box building or a rock."""
    col = hsv(rng.uniform(0, 1), rng.uniform(0.2, 0.7), rng.uniform(0.25, 0.8) * light)
    kind = rng.choice(("tree", "house", "rock"))
    if kind == "tree":
        draw.rectangle((x - size / 12, y - size / 2, x + size / 12, y), fill=(60, 40, 25))
        for k in range(3):
            top = y - size * (1.6 - 0.3 * k) - size / 3
            tri = [(x, top), (x - size / 2, top + size), (x + size / 2, top + size)]
            draw.polygon(tri, fill=shade(col, 0.7 + 0.2 * k))
    elif kind == "house":
        d = size * 0.4
        draw.polygon([(x + size / 2, y), (x + size / 2 + d, y - d / 2), (x + size / 2 + d, y - size - d / 2),
                      (x + size / 2, y - size)], fill=shade(col, 0.55))
        draw.rectangle((x - size / 2, y - size, x + size / 2, y), fill=col, outline=shade(col, 0.4))
        for wx in (x - size / 3, x + size / 10):
            lit = shade((255, 230, 150), light)
            draw.rectangle((wx, y - size * 0.7, wx + size / 5, y - size * 0.45), fill=lit)
    else:
        draw.ellipse((x - size / 2, y - size / 2, x + size / 2, y + size / 8), fill=col)
        draw.ellipse((x - size / 3, y - size / 2.2, x, y - size / 5), fill=shade(col, 1.3))


def landscape(rng: Rng, lh: int, lw: int) -> np.ndarray:
    """A 3D-game-like view: sky with a sun, mountains, perspective ground texture, fog and props."""
    night = rng.chance(0.3)
    top, bottom = sky(rng, night)
    hor = int(lh * rng.uniform(0.25, 0.6))
    img = vgradient(lh, lw, top, bottom, rng.uniform(0.5, 2.0)).astype(np.float32)
    ys = np.arange(lh, dtype=np.float32)[:, None]
    for k in range(rng.randint(1, 3)):  # mountain ridges, nearer ones darker and lower
        ridge = value_noise(rng, 1, lw, rng.randint(3, 12))[0] * lh * rng.uniform(0.05, 0.3) / (k + 1)
        mcol = mix(hsv(rng.uniform(0.5, 0.8), 0.3, 0.35 if night else 0.6), bottom, 0.5 / (k + 1))
        img[(ys > hor - ridge[None, :]) & (ys < hor)] = np.asarray(shade(mcol, 1 - 0.15 * k), np.float32)
    ground, fog = _perspective_ground(rng, lh, lw, hor, night)
    img[hor:] = ground * (1 - fog) + np.asarray(bottom, np.float32) * fog
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(im)
    if rng.chance(0.4):  # a road to the vanishing point
        cx = lw * rng.uniform(0.3, 0.7)
        right, left = lw * rng.uniform(0.6, 1.2), lw * rng.uniform(-0.2, 0.4)
        draw.polygon([(cx - 2, hor), (cx + 2, hor), (right, lh), (left, lh)],
                     fill=hsv(0, 0, rng.uniform(0.2, 0.45)))
    props = sorted(rng.randint(hor + 2, lh) for _ in range(rng.randint(0, 16)))
    for y in props:  # far to near, so near props cover far ones
        prop(draw, rng, rng.randint(0, lw), y, (y - hor) * rng.uniform(0.2, 0.7), 0.5 if night else 1.0)
    return np.asarray(im)


def dungeon(rng: Rng, lh: int, lw: int) -> np.ndarray:
    """Rooms and corridors of stone, lit by a few torches in the dark."""
    ts = rng.choice([t for t in (8, 12, 16, 24) if t <= max(8, lw // 8)])
    gh, gw = lh // ts + 1, lw // ts + 1
    types = np.ones((gh, gw), np.intp)
    for _ in range(rng.randint(2, 5)):
        y, x = rng.randint(0, gh - 2), rng.randint(0, gw - 2)
        types[y:y + rng.randint(2, 6), x:x + rng.randint(3, 8)] = 0
        types[y, :] = 0 if rng.chance(0.3) else types[y, :]
    base = hsv(rng.uniform(0, 1), rng.uniform(0, 0.4), rng.uniform(0.3, 0.7))
    tiles = np.stack([make_tile(rng, ts, base, rng.choice(["stone", "checker", "speckle"])),
                      make_tile(rng, ts, shade(base, 0.6), "brick")])
    img = tilemap(types, tiles)[:lh, :lw].astype(np.float32)
    for _ in range(rng.randint(2, 10)):
        spr = make_sprite(rng, ts)
        paste(img, spr.astype(np.float32), rng.randint(0, lw), rng.randint(0, lh))
    yy, xx = np.mgrid[0:lh, 0:lw].astype(np.float32)
    light = np.full((lh, lw), rng.uniform(0.05, 0.35), np.float32)
    for _ in range(rng.randint(1, 3)):
        cy, cx, r = rng.uniform(0, lh), rng.uniform(0, lw), rng.uniform(0.2, 0.6) * max(lh, lw)
        light += np.clip(1 - np.hypot(yy - cy, xx - cx) / r, 0, 1)
    tint = np.asarray([1.0, rng.uniform(0.75, 1.0), rng.uniform(0.5, 0.9)], np.float32)
    return np.clip(img * np.minimum(light, 1.2)[..., None] * tint, 0, 255).astype(np.uint8)


def backdrop(rng: Rng, lh: int, lw: int) -> np.ndarray:
    """A painted scene (visual novels, menus, cut-scenes): colour noise, skyline or room, big figures."""
    n = value_noise(rng, lh, lw, rng.randint(1, 4), 3)[..., None]
    a = hsv(rng.uniform(0, 1), rng.uniform(0.2, 0.8), rng.uniform(0.1, 0.9))
    b = hsv(rng.uniform(0, 1), 0.5, 0.8)
    img = (np.asarray(a, np.float32) * (1 - n) + np.asarray(b, np.float32) * n).astype(np.uint8)
    im = Image.fromarray(img)
    draw = ImageDraw.Draw(im)
    if rng.chance(0.5):  # skyline with lit windows
        for _ in range(rng.randint(3, 12)):
            x, bw, top = rng.randint(0, lw), rng.randint(lw // 20, lw // 6), rng.randint(lh // 5, lh * 3 // 4)
            col = shade(a, rng.uniform(0.3, 0.7))
            draw.rectangle((x, top, x + bw, lh), fill=col)
            for wy in range(top + 3, lh - 3, max(3, lh // 30)):
                if bw > 4 and rng.chance(0.6):
                    draw.rectangle((x + 2, wy, x + bw - 2, wy + 1), fill=shade(b, 1.3))
    else:  # interior: floor line and furniture
        fy = rng.randint(lh // 2, lh * 4 // 5)
        draw.rectangle((0, fy, lw, lh), fill=shade(b, 0.6))
        for _ in range(rng.randint(1, 6)):
            x, fw, fh = rng.randint(0, lw), rng.randint(lw // 12, lw // 4), rng.randint(lh // 10, lh // 2)
            col = hsv(rng.uniform(0, 1), 0.4, 0.5)
            draw.rectangle((x, fy - fh, x + fw, fy + 2), fill=col, outline=(20, 20, 20))
    for _ in range(rng.randint(0, 2)):  # large figures, as VN character art stands in front of the scene
        cx, r = rng.randint(lw // 5, lw * 4 // 5), rng.randint(lh // 10, lh // 6)
        col = hsv(rng.uniform(0, 1), 0.5, 0.7)
        draw.polygon([(cx - r * 2, lh), (cx - r, lh // 2), (cx + r, lh // 2), (cx + r * 2, lh)], fill=col)
        draw.ellipse((cx - r, lh // 2 - 2 * r, cx + r, lh // 2 + r // 4), fill=(240, 205, 180))
    return np.asarray(im)

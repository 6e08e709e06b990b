"""Pseudo-3D worlds: racing roads (striped roads bending to the horizon, Mode-7 track planes) and
first-person corridors (a ray caster with textured walls, floor, ceiling and billboard sprites).

Everything is computed per pixel with numpy from a few depth formulas, so it costs milliseconds.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from uiseg.synth import scenery
from uiseg.synth.common import Rng, hsv, shade, value_noise, vgradient
from uiseg.synth.sprites import make_sprite, make_tile
from uiseg.synth.worlds_classic import prop, sky


def _skyline(rng: Rng, img: np.ndarray, hor: int, night: bool) -> None:
    """Mountains or a city silhouette on the horizon."""
    lh, lw = img.shape[:2]
    ys = np.arange(lh)[:, None]
    col = np.asarray(hsv(rng.uniform(0.5, 0.8), 0.3, 0.25 if night else 0.55), np.float32)
    if rng.chance(0.5):
        ridge = value_noise(rng, 1, lw, rng.randint(3, 10))[0] * lh * rng.uniform(0.04, 0.2)
    else:  # buildings: a step function of random widths and heights
        edges = np.cumsum(rng.np.integers(max(2, lw // 40), max(3, lw // 10), lw))
        ridge = rng.np.uniform(0.02, 0.15, len(edges))[np.searchsorted(edges, np.arange(lw))] * lh
    img[(ys > hor - ridge[None, :]) & (ys <= hor)] = col


def _car(draw: ImageDraw.ImageDraw, rng: Rng, x: float, y: float, w: float) -> None:
    """A car seen from behind, its bottom centre at (x, y): body, rear window, tail lights, wheels."""
    h, body = w * 0.55, hsv(rng.uniform(0, 1), rng.uniform(0.5, 1), rng.uniform(0.5, 1))
    draw.ellipse((x - w * 0.6, y - h * 0.12, x + w * 0.6, y + h * 0.1), fill=(20, 20, 20))
    for sx in (-0.45, 0.3):
        draw.rectangle((x + sx * w, y - h * 0.3, x + (sx + 0.15) * w, y), fill=(15, 15, 15))
    draw.rectangle((x - w / 2, y - h * 0.75, x + w / 2, y - h * 0.15), fill=body, outline=shade(body, 0.5))
    draw.rectangle((x - w * 0.35, y - h, x + w * 0.35, y - h * 0.72), fill=shade(body, 0.8))
    draw.rectangle((x - w * 0.3, y - h * 0.95, x + w * 0.3, y - h * 0.76), fill=(40, 50, 70))
    for sx in (-0.46, 0.32):
        draw.rectangle((x + sx * w, y - h * 0.6, x + (sx + 0.14) * w, y - h * 0.48), fill=(230, 30, 30))


def _roadside(draw: ImageDraw.ImageDraw, im: Image.Image, rng: Rng, x: float, y: float, size: float,
              night: bool) -> None:
    """A tree, a palm, a post with a sign, or a billboard with words (text in the world is not UI)."""
    kind = rng.choice(("tree", "tree", "sign", "billboard", "pole"))
    if kind == "billboard" and size > 6:
        bw, bh = size * 2.2, size * 1.1
        for px in (x - bw * 0.35, x + bw * 0.3):
            draw.rectangle((px, y - size * 0.8, px + max(1, size / 12), y), fill=(70, 70, 70))
        board = hsv(rng.uniform(0, 1), rng.uniform(0.3, 1), rng.uniform(0.5, 1))
        box = (int(x - bw / 2), int(y - size * 0.8 - bh), int(x + bw / 2), int(y - size * 0.8))
        draw.rectangle(box, fill=board, outline=shade(board, 0.4))
        scenery.write(im, rng, (box[0] + 2, box[1] + 2, box[2] - 2, box[3] - 2))
    elif kind == "sign" and size > 4:
        draw.rectangle((x, y - size * 1.2, x + max(1, size / 10), y), fill=(90, 90, 90))
        col = rng.choice(((250, 250, 250), (30, 120, 40), (30, 60, 160), (240, 200, 20)))
        draw.rectangle((x - size * 0.4, y - size * 1.6, x + size * 0.5, y - size * 1.1), fill=col)
    elif kind == "pole":
        draw.rectangle((x, y - size * 2, x + max(1, size / 12), y), fill=(110, 110, 110))
    else:
        prop(draw, rng, x, y, size, 0.5 if night else 1.0)


def _stripe_road(rng: Rng, lh: int, lw: int, hor: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ground below the horizon of a stripe road; returns colours, road centre and half width per row."""
    dy = np.arange(1, lh - hor + 1, dtype=np.float32)
    z = (lh - hor) / dy  # 1 at the bottom row, large at the horizon
    half0 = lw * rng.uniform(0.3, 0.6)
    half = half0 / z
    curve = rng.uniform(-4.0, 4.0) if rng.chance(0.75) else 0.0
    centre = lw / 2 + (rng.uniform(-0.5, 0.5) + curve * (z - 1) ** 2 / (lh - hor)) * half
    # Stripes repeat evenly in depth, so they crowd towards the horizon: the pseudo-3D racing look.
    seg = (np.floor(z * rng.uniform(1.2, 4.0) + rng.uniform(0, 2)) % 2).astype(bool)[:, None]
    d = (np.arange(lw, dtype=np.float32)[None, :] - centre[:, None]) / half[:, None]
    ad = np.abs(d)
    hue = rng.choice((0.25, 0.3, 0.12, 0.08, rng.uniform(0, 1)))
    g = hsv(hue, rng.uniform(0.3, 0.8), rng.uniform(0.35, 0.7))
    asphalt = hsv(0, 0, rng.uniform(0.25, 0.5))
    rumble = (rng.choice(((230, 30, 30), (240, 240, 240), (250, 200, 0))), (245, 245, 245))
    out = np.where(seg[..., None], np.float32(g), np.float32(shade(g, 0.85)))
    out = np.broadcast_to(out, (len(dy), lw, 3)).copy()
    road = ad < 1
    out[road] = np.where(seg, np.float32(asphalt), np.float32(shade(asphalt, 1.1)))[np.nonzero(road)[0]]
    kerb = (ad >= 1) & (ad < 1.15)
    out[kerb] = np.where(seg, np.float32(rumble[0]), np.float32(rumble[1]))[np.nonzero(kerb)[0]]
    lanes = rng.choice((1, 2, 3))
    for k in range(1, lanes):
        mark = (np.abs(d - (2 * k / lanes - 1)) < 0.025) & seg
        out[mark] = 240
    return out, centre, half


def _mode7(rng: Rng, lh: int, lw: int, hor: int) -> np.ndarray:
    """A track drawn on a flat map and seen in perspective (kart racers' Mode-7 floors)."""
    n = 256
    grass = hsv(rng.uniform(0.2, 0.38), rng.uniform(0.4, 0.8), rng.uniform(0.4, 0.7))
    tex = np.asarray(grass, np.float32) * (0.8 + 0.4 * value_noise(rng, n, n, 24, 2))[..., None]
    m = Image.fromarray(tex.astype(np.uint8))
    d = ImageDraw.Draw(m)
    r0 = rng.randint(60, 100)
    ring = (n / 2 - r0 * 1.2, n / 2 - r0, n / 2 + r0 * 1.2, n / 2 + r0)
    d.ellipse(ring, outline=(235, 235, 235), width=24)
    d.ellipse(ring, outline=hsv(0, 0, rng.uniform(0.3, 0.55)), width=20)
    for a in range(0, 360, 12):  # kerb dashes
        d.arc(ring, a, a + 6, fill=(220, 30, 30), width=3)
    mp = np.asarray(m, np.float32)
    dy = np.arange(1, lh - hor + 1, dtype=np.float32)[:, None]
    z = rng.uniform(6, 20) * (lh - hor) / dy
    lat = (np.arange(lw, dtype=np.float32)[None, :] - lw / 2) / lw * z * rng.uniform(1.2, 2.2)
    a = rng.uniform(0, 2 * np.pi)
    cx, cy = n / 2 + r0 * 1.2 * np.cos(a), n / 2 + r0 * np.sin(a)
    fx, fy = -np.sin(a), np.cos(a)  # along the track, roughly
    u = (cx + z * fx - lat * fy).astype(np.int64) % n
    v = (cy + z * fy + lat * fx).astype(np.int64) % n
    return mp[v, u]


def road(rng: Rng, lh: int, lw: int) -> np.ndarray:
    """A racing game: a striped road bending to the horizon (or a Mode-7 track), roadside objects, cars."""
    night = rng.chance(0.25)
    top, bottom = sky(rng, night)
    hor = int(lh * rng.uniform(0.3, 0.55))
    img = vgradient(lh, lw, top, bottom, rng.uniform(0.6, 1.6)).astype(np.float32)
    _skyline(rng, img, hor, night)
    stripes = rng.chance(0.7)
    if stripes:
        ground, centre, half = _stripe_road(rng, lh, lw, hor)
    else:
        ground = _mode7(rng, lh, lw, hor)
    fog = np.clip(rng.uniform(2, 8) / np.arange(1, lh - hor + 1, dtype=np.float32), 0, 1)[:, None, None]
    img[hor:] = ground * (1 - fog) + np.asarray(bottom, np.float32) * fog
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(im)
    if stripes:  # far to near, so near objects cover far ones
        for z in sorted((rng.uniform(1.3, 30) for _ in range(rng.randint(2, 14))), reverse=True):
            row = min(lh - hor - 1, int((lh - hor) / z))
            side = rng.choice((-1, 1)) * rng.uniform(1.3, 3.2)
            _roadside(draw, im, rng, centre[row] + side * half[row], hor + row, half[row] * 0.6, night)
        for z in sorted((rng.uniform(1.5, 15) for _ in range(rng.randint(0, 4))), reverse=True):
            row = min(lh - hor - 1, int((lh - hor) / z))
            _car(draw, rng, centre[row] + rng.uniform(-0.6, 0.6) * half[row], hor + row, half[row] * 0.5)
    if rng.chance(0.6):  # the player's car, big at the bottom: world, however close to the HUD it sits
        _car(draw, rng, lw / 2 + rng.uniform(-0.1, 0.1) * lw, lh - rng.uniform(0.02, 0.06) * lh,
             lw * rng.uniform(0.18, 0.3))
    return np.asarray(im)


def _ray_map(rng: Rng, n: int) -> np.ndarray:
    """A grid of wall types (0 = floor): rooms and corridors carved by a random walk, walls all round."""
    g = np.full((n, n), 1, np.intp)
    y, x = n // 2, n // 2
    for _ in range(n * 6):
        g[y, x] = 0
        if rng.chance(0.08):
            g[max(1, y - 1):y + 2, max(1, x - 1):x + 2] = 0  # a small room
        dy, dx = rng.choice(((0, 1), (0, -1), (1, 0), (-1, 0)))
        y, x = min(max(1, y + dy), n - 2), min(max(1, x + dx), n - 2)
    walls = g > 0
    g[walls] = rng.np.integers(1, 4, int(walls.sum()))
    g[0, :] = g[-1, :] = g[:, 0] = g[:, -1] = 1
    return g


def _cast(g: np.ndarray, px: float, py: float, rdx: np.ndarray, rdy: np.ndarray):
    """DDA ray casting of all screen columns at once; returns distance, side, wall type and hit position."""
    mx, my = np.full(rdx.shape, int(px)), np.full(rdx.shape, int(py))
    ddx = np.where(rdx == 0, 1e30, np.abs(1 / np.where(rdx == 0, 1, rdx)))
    ddy = np.where(rdy == 0, 1e30, np.abs(1 / np.where(rdy == 0, 1, rdy)))
    sx, sy = np.where(rdx < 0, -1, 1), np.where(rdy < 0, -1, 1)
    sdx = np.where(rdx < 0, (px - mx) * ddx, (mx + 1 - px) * ddx)
    sdy = np.where(rdy < 0, (py - my) * ddy, (my + 1 - py) * ddy)
    side = np.zeros(rdx.shape, np.intp)
    done = np.zeros(rdx.shape, bool)
    for _ in range(2 * g.shape[0]):
        step_x = (sdx < sdy) & ~done
        step_y = ~step_x & ~done
        sdx[step_x] += ddx[step_x]
        mx[step_x] += sx[step_x]
        sdy[step_y] += ddy[step_y]
        my[step_y] += sy[step_y]
        side[step_x], side[step_y] = 0, 1
        done |= g[np.clip(my, 0, g.shape[0] - 1), np.clip(mx, 0, g.shape[1] - 1)] > 0
        if done.all():
            break
    dist = np.maximum(np.where(side == 0, sdx - ddx, sdy - ddy), 1e-3)
    hit = np.where(side == 0, py + dist * rdy, px + dist * rdx)
    kind = g[np.clip(my, 0, g.shape[0] - 1), np.clip(mx, 0, g.shape[1] - 1)]
    return dist, side, kind, hit - np.floor(hit)


def corridor(rng: Rng, lh: int, lw: int) -> np.ndarray:
    """A first-person corridor: ray-cast textured walls, floor and ceiling, distance darkness, a weapon."""
    g = _ray_map(rng, 24)
    free = np.argwhere(g == 0)
    crawler = rng.chance(0.35)  # grid dungeon crawlers face a compass direction from a cell's centre
    best = -1.0
    for _ in range(5):  # of a few random views, keep the one that sees furthest down a corridor
        cy, cx = free[rng.randint(0, len(free) - 1)] + 0.5
        ca = rng.randint(0, 3) * np.pi / 2 if crawler else rng.uniform(0, 2 * np.pi)
        fan = ca + np.array([-0.3, 0, 0.3])
        seen = _cast(g, cx, cy, np.cos(fan), np.sin(fan))[0]
        if seen.min() > best:
            best, px, py, a = seen.min(), cx, cy, ca
    plane = np.tan(np.radians(rng.uniform(30, 45)))
    cam = np.linspace(-1, 1, lw, dtype=np.float64)
    rdx, rdy = np.cos(a) - np.sin(a) * plane * cam, np.sin(a) + np.cos(a) * plane * cam
    dist, side, kind, hit = _cast(g, px, py, rdx, rdy)
    t = rng.choice((16, 32))
    base = hsv(rng.uniform(0, 1), rng.uniform(0.1, 0.6), rng.uniform(0.4, 0.8))
    looks = ((1.0, "brick"), (0.9, "brick"), (0.8, "stone"), (1.1, rng.choice(("checker", "speckle"))))
    tex = np.stack([make_tile(rng, t, shade(base, f), p) for f, p in looks])
    horizon = lh / 2 + rng.uniform(-0.08, 0.08) * lh
    height = lh / dist * rng.uniform(0.8, 1.2)
    ys = np.arange(lh, dtype=np.float32)[:, None]
    top = horizon - height / 2
    v = np.clip(((ys - top) / height * t).astype(np.int64), 0, t - 1)
    walls = tex[kind[None, :], v, (hit * t).astype(np.int64)[None, :] % t].astype(np.float32)
    walls *= np.where(side == 1, 0.7, 1.0)[None, :, None]
    row = np.abs(ys - horizon) + 0.5
    rdist = (lh / 2) / row  # distance to the floor or ceiling seen on each row
    fx, fy = px + rdist * rdx[None, :], py + rdist * rdy[None, :]
    check = ((np.floor(fx) + np.floor(fy)) % 2).astype(np.float32)[..., None]
    floor_c, ceil_c = hsv(rng.uniform(0, 1), 0.3, 0.45), hsv(rng.uniform(0, 1), 0.2, 0.3)
    flat = np.where(ys > horizon, 1.0, 0.0)[..., None]
    fc = (np.float32(floor_c) * flat + np.float32(ceil_c) * (1 - flat)) * (0.85 + 0.15 * check)
    inside = (ys >= top) & (ys < top + height)
    img = np.where(inside[..., None], walls, fc)
    depth = np.where(inside, dist[None, :], rdist)
    dark = np.clip(1.0 - depth / rng.uniform(6, 14), 0.08, 1.0)[..., None]
    fog = np.float32(rng.choice(((0, 0, 0), (0, 0, 0), hsv(rng.uniform(0, 1), 0.4, 0.3))))
    img = img * dark + fog * (1 - dark)
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    _billboards(im, rng, g, px, py, a, plane, dist, horizon)
    if rng.chance(0.55):  # the player's weapon or hands: part of the world, right where HUDs sit
        _weapon(ImageDraw.Draw(im), rng, lh, lw)
    return np.asarray(im)


def _billboards(im: Image.Image, rng: Rng, g: np.ndarray, px: float, py: float, a: float, plane: float,
                zbuf: np.ndarray, horizon: float) -> None:
    """Monsters, barrels and pillars standing in the corridor, hidden behind nearer walls."""
    free = np.argwhere(g == 0)
    lh, lw = im.height, im.width
    arr = np.array(im)
    for _ in range(rng.randint(0, 6)):
        sy, sx = free[rng.randint(0, len(free) - 1)] + 0.5
        dx, dy = sx - px, sy - py
        depth = dx * np.cos(a) + dy * np.sin(a)
        if depth < 0.3:
            continue
        lateral = -dx * np.sin(a) + dy * np.cos(a)
        cx = lw / 2 * (1 + lateral / (depth * plane))
        size = int(lh / depth * rng.uniform(0.4, 0.9))
        if size < 3 or size > 0.8 * lh:
            continue
        spr = np.asarray(Image.fromarray(make_sprite(rng, rng.choice((12, 16))), "RGBA").resize((size, size)))
        x0, y0 = int(cx - size / 2), int(horizon + lh / depth / 2 - size)
        for i in range(max(0, -x0), min(size, lw - x0)):
            if zbuf[x0 + i] > depth:
                col = spr[max(0, -y0):min(size, lh - y0), i]
                keep = col[:, 3] > 127
                seg = arr[max(0, y0):max(0, y0) + len(col), x0 + i]
                seg[keep] = col[keep, :3]
    im.paste(Image.fromarray(arr))


def _weapon(draw: ImageDraw.ImageDraw, rng: Rng, lh: int, lw: int) -> None:
    """A gun held at the bottom of the screen, in two or three shaded parts."""
    metal = hsv(rng.uniform(0, 1), rng.uniform(0, 0.3), rng.uniform(0.25, 0.55))
    cx = lw * rng.choice((0.5, 0.5, 0.62, 0.7))
    w, h = lw * rng.uniform(0.1, 0.2), lh * rng.uniform(0.2, 0.38)
    draw.polygon([(cx - w / 2, lh), (cx - w / 4, lh - h), (cx + w / 4, lh - h), (cx + w / 2, lh)], fill=metal)
    draw.rectangle((cx - w / 8, lh - h * 1.15, cx + w / 8, lh - h * 0.8), fill=shade(metal, 0.6))
    draw.line((cx - w / 4, lh - h, cx - w / 2, lh), fill=shade(metal, 1.5), width=max(1, int(w / 12)))
    draw.ellipse((cx - w * 0.6, lh - h * 0.35, cx - w * 0.1, lh + h * 0.2), fill=(200, 150, 120))

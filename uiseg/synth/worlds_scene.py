"""Lit 3D-looking scenes (a room or street in one-point perspective with tiled floors, windows, surface
noise, a light's falloff and depth fog, shaded boxes and balls casting shadows) and photo-like backdrops.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from uiseg.synth.common import Color, Rng, hsv, mix, shade, value_noise, vgradient
from uiseg.synth.worlds_classic import sky


def _lit_box(draw: ImageDraw.ImageDraw, x: float, y: float, s: float, d: float, col: Color,
             light: float) -> None:
    """A cuboid standing on the floor: front, top and side faces shaded by one light."""
    draw.polygon([(x, y - s), (x + d, y - s - d * 0.6), (x + s + d, y - s - d * 0.6), (x + s, y - s)],
                 fill=shade(col, 0.6 + 0.8 * light))
    draw.polygon([(x + s, y), (x + s + d, y - d * 0.6), (x + s + d, y - s - d * 0.6), (x + s, y - s)],
                 fill=shade(col, 0.35 + 0.2 * light))
    draw.rectangle((x, y - s, x + s, y), fill=shade(col, 0.55 + 0.4 * light))


def _sphere(img: np.ndarray, rng: Rng, cx: float, cy: float, r: float, col: Color) -> None:
    """A shaded ball: Lambert light from the upper left and a specular highlight."""
    lh, lw = img.shape[:2]
    y0, y1 = max(0, int(cy - r)), min(lh, int(cy + r) + 1)
    x0, x1 = max(0, int(cx - r)), min(lw, int(cx + r) + 1)
    if y0 >= y1 or x0 >= x1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    nx, ny = (xx - cx) / r, (yy - cy) / r
    inside = nx * nx + ny * ny <= 1
    nz = np.sqrt(np.clip(1 - nx * nx - ny * ny, 0, 1))
    lam = np.clip(-0.5 * nx - 0.6 * ny + 0.62 * nz, 0, 1)
    spec = np.clip(lam, 0, 1) ** rng.uniform(12, 40)
    shaded = np.float32(col) * (0.2 + 0.8 * lam[..., None]) + 255 * spec[..., None]
    img[y0:y1, x0:x1][inside] = np.clip(shaded[inside], 0, 255)


def scene3d(rng: Rng, lh: int, lw: int) -> np.ndarray:
    """A lit 3D-looking scene: a room or street in one-point perspective, textured, with boxes, balls, fog."""
    vx, vy = lw * rng.uniform(0.35, 0.65), lh * rng.uniform(0.35, 0.55)
    bw, bh = rng.uniform(0.2, 0.5), rng.uniform(0.2, 0.5)  # back wall, as a share of the screen
    ys, xs = np.mgrid[0:lh, 0:lw].astype(np.float32)
    ux, uy = (xs - vx) / lw, (ys - vy) / lh
    # Which surface a pixel sees: the one whose edge its ray from the vanishing point crosses first.
    k = np.maximum(np.abs(ux) / (bw / 2), np.abs(uy) / (bh / 2))
    back = k <= 1
    floor, ceil = (~back) & (uy * bw >= np.abs(ux) * bh), (~back) & (-uy * bw >= np.abs(ux) * bh)
    depth = np.where(back, 1.0, 1.0 / np.maximum(k, 1e-3))  # 1 at the back wall, 0 at the camera
    outdoor = rng.chance(0.35)
    cols = [hsv(rng.uniform(0, 1), rng.uniform(0.05, 0.5), rng.uniform(0.3, 0.8)) for _ in range(4)]
    img = np.empty((lh, lw, 3), np.float32)
    img[:] = cols[0]  # side walls
    img[floor], img[back] = cols[1], cols[2]
    img[ceil] = vgradient(lh, lw, *sky(rng, False))[ceil] if outdoor else cols[3]
    u, v = ux / np.maximum(k, 1e-3), 1 / np.maximum(k, 1e-3)  # projective coordinates on each surface
    tiles = ((np.floor(u * rng.uniform(6, 20)) + np.floor(v * rng.uniform(3, 9))) % 2)[..., None]
    img[floor] *= (0.8 + 0.2 * tiles)[floor]
    sides = ~(back | floor | ceil)
    rows_, cols_ = rng.uniform(4, 12), rng.uniform(2, 6)  # windows or panels along the walls
    win = ((np.abs(uy * v) * rows_ % 1 < 0.5) & ((v * cols_) % 1 < 0.5))[..., None]
    img[sides] *= np.where(win, rng.uniform(0.6, 1.5), 1.0)[sides]
    grit = rng.uniform(0.1, 0.5)
    img *= (1 - grit / 2 + grit * value_noise(rng, lh, lw, rng.randint(4, 16), 3))[..., None]  # surface noise
    light = np.clip(1.4 - np.hypot(xs - lw * rng.uniform(0.2, 0.8), ys - lh * 0.2) / max(lh, lw), 0.3, 1.3)
    img *= light[..., None]
    fog_c, fog_k = np.float32(mix(cols[2], (200, 200, 210), 0.5)), rng.uniform(0.2, 0.9)
    f = (depth ** 2 * fog_k)[..., None]
    img = img * (1 - f) + fog_c * f
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(im)
    for _ in range(rng.randint(0, 5)):
        x, s = rng.uniform(0, lw), rng.uniform(0.08, 0.25) * lh
        y = vy + bh * lh / 2 + rng.uniform(0, 1) * (lh - vy - bh * lh / 2)
        draw.ellipse((x - s * 0.2, y - s * 0.1, x + s * 1.5, y + s * 0.15), fill=shade(cols[1], 0.5))
        col = hsv(rng.uniform(0, 1), 0.5, 0.7)
        _lit_box(draw, x, y, s, s * rng.uniform(0.2, 0.5), col, rng.uniform(0, 1))
    out = np.array(im)
    for _ in range(rng.randint(0, 3)):
        r = rng.uniform(0.05, 0.15) * lh
        _sphere(out, rng, rng.uniform(0, lw), rng.uniform(vy + bh * lh / 2, lh) - r, r,
                hsv(rng.uniform(0, 1), 0.7, 0.9))
    return out


def photo(rng: Rng, lh: int, lw: int) -> np.ndarray:
    """A photo-like backdrop: smooth two- or three-colour gradients, out-of-focus light discs, soft shapes."""
    yy, xx = np.mgrid[0:lh, 0:lw].astype(np.float32)
    a = rng.uniform(0, 2 * np.pi)
    t = ((xx / lw - 0.5) * np.cos(a) + (yy / lh - 0.5) * np.sin(a) + 0.5)
    if rng.chance(0.5):  # radial light
        t = np.hypot(xx / lw - rng.uniform(0, 1), yy / lh - rng.uniform(0, 1)) * rng.uniform(0.8, 2)
    cols = [np.asarray(hsv(rng.uniform(0, 1), rng.uniform(0.1, 0.8), rng.uniform(0.1, 1.0)), np.float32)
            for _ in range(3)]
    t = np.clip(t, 0, 1)[..., None]
    img = np.where(t < 0.5, cols[0] + (cols[1] - cols[0]) * t * 2,
                   cols[1] + (cols[2] - cols[1]) * (t * 2 - 1))
    layer = Image.new("RGBA", (lw, lh), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for _ in range(rng.randint(0, 25)):  # bokeh
        r, cx, cy = rng.uniform(0.02, 0.12) * max(lh, lw), rng.uniform(0, lw), rng.uniform(0, lh)
        light = (*hsv(rng.uniform(0, 1), 0.4, 1.0), rng.randint(30, 110))
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=light)
    for _ in range(rng.randint(0, 3)):  # a blurred silhouette: a hill, a person, a building
        x0, x1 = sorted((rng.uniform(-0.2, 1.2) * lw, rng.uniform(-0.2, 1.2) * lw))
        shape = (*hsv(rng.uniform(0, 1), 0.3, 0.2), 200)
        draw.rectangle((x0, rng.uniform(0.3, 0.9) * lh, x1, lh), fill=shape)
    layer = layer.filter(ImageFilter.GaussianBlur(max(1.0, min(lh, lw) / rng.uniform(40, 120))))
    base = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).convert("RGBA")
    return np.asarray(Image.alpha_composite(base, layer).convert("RGB"))

"""An easy labelled set for training/evaluation tests: bright boxes (UI) on dark noise, exact masks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def write_easy_dataset(root: Path, count: int, size: tuple[int, int] = (64, 64), seed: int = 0,
                       layout: str = "folders") -> Path:
    """`count` pairs of size (W, H) under root: folders (images/, masks/) or seed (N_input.png, N_target.jpg)."""
    rng = np.random.default_rng(seed)
    w, h = size
    for i in range(count):
        image = (rng.random((h, w, 3)) * 90).astype(np.uint8)
        mask = np.zeros((h, w), bool)
        for _ in range(rng.integers(1, 4)):
            bw, bh = rng.integers(w // 5, w // 2), rng.integers(h // 6, h // 3)
            x, y = rng.integers(0, w - bw), rng.integers(0, h - bh)
            image[y:y + bh, x:x + bw] = rng.integers(170, 256, 3)
            mask[y:y + bh, x:x + bw] = True
        save_pair(root, f"{i:03d}", image, mask, layout)
    return root


def save_pair(root: Path, stem: str, image: np.ndarray, mask: np.ndarray, layout: str = "folders") -> None:
    gray = Image.fromarray(mask.astype(np.uint8) * 255)
    if layout == "seed":
        root.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(root / f"{int(stem)}_input.png")
        gray.save(root / f"{int(stem)}_target.jpg", quality=95)
        return
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "masks").mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(root / "images" / f"{stem}.png")
    gray.save(root / "masks" / f"{stem}.png")

"""Small inputs for the segment tests: a tiny UNet whose masks are neither empty nor full, its exported
artifacts, and a folder of screenshots-like images (bright panels on dark noise) with subfolders and sizes."""

from __future__ import annotations

import glob
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

SIZES = [(96, 64), (50, 37), (128, 72), (64, 64)]  # (W, H), mixed on purpose (37 is not a multiple of 4)


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models on a shared 2-core box: one compute thread, since OpenMP barriers between two threads
    cost more than they give (tens of ms per batch instead of a few). Import it into a test module to use."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def screenshot(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    image = (rng.random((h, w, 3)) * 90).astype(np.uint8)
    for _ in range(rng.integers(1, 4)):
        bw, bh = rng.integers(w // 5, w // 2), rng.integers(h // 6, h // 3)
        x, y = rng.integers(0, w - bw), rng.integers(0, h - bh)
        image[y:y + bh, x:x + bw] = rng.integers(170, 256, 3)
    return image


def write_shots(root: Path, count: int = 10, seed: int = 0, sizes=SIZES) -> list[Path]:
    """`count` images under root, root/sub and root/sub/deep, png and jpg, sizes cycling through `sizes`."""
    rng = np.random.default_rng(seed)
    folders = [root, root / "sub", root / "sub" / "deep"]
    paths = []
    for i in range(count):
        w, h = sizes[i % len(sizes)]
        folder = folders[i % len(folders)]
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"shot {i:03d}.{'jpg' if i % 4 == 3 else 'png'}"  # a space in every name
        Image.fromarray(screenshot(rng, w, h)).save(path, **({"quality": 95} if i % 4 == 3 else {}))
        paths.append(path)
    return paths


def make_checkpoint(path: Path, seed: int = 0) -> Path:
    """A UNet(base=4, depth=2) checkpoint whose head bias is shifted so that about half the pixels of a
    typical input are UI: masks with real edges make backend comparisons meaningful."""
    import torch

    from uiseg.checkpoint import make_checkpoint as pack
    from uiseg.config import Contract
    from uiseg.model import DeployModel, UNet

    torch.manual_seed(seed)
    unet, contract = UNet(base=4, depth=2), Contract(image_size=(64, 64), pad_multiple=4)
    unet.eval()
    x = torch.from_numpy(np.stack([screenshot(np.random.default_rng(s), 64, 64) for s in range(4)]))
    with torch.no_grad():
        logits = DeployModel(unet, contract)(x.permute(0, 3, 1, 2).float() / 255)
        unet.head.bias -= logits.median()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(pack(unet, contract), path)
    return path


def export_models(ckpt: Path, out: Path) -> dict[str, Path]:
    """{"torch": ckpt, "torchscript": model.ts, "onnx": model.onnx} through uiseg.export."""
    from uiseg.export import export_checkpoint

    export_checkpoint(ckpt, out, torchscript=True, onnx=True, fp16=False, verify=False)
    return {"torch": ckpt, "torchscript": out / "model.ts", "onnx": out / "model.onnx"}


def read_masks(out: Path) -> dict[str, np.ndarray]:
    """Mask arrays by path relative to OUT (overlays/ and probs/ left out)."""
    found = {}
    for f in sorted(glob.glob(str(out / "**" / "*.png"), recursive=True)):
        rel = Path(f).relative_to(out).as_posix()
        if not rel.startswith(("overlays/", "probs/")):
            found[rel] = np.asarray(Image.open(f))
    return found


def tree_bytes(out: Path, skip=("run.json",)) -> dict[str, bytes]:
    """Every file under OUT (hidden ones included) by relative path, except `skip` names and OUT/.uiseg/ (the
    fingerprints there hold the outputs' inodes and times, which differ between two runs by nature)."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name not in skip and not p.relative_to(out).as_posix().startswith(".uiseg/")}

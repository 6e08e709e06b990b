"""Inputs and outputs of `uiseg segment`: finding images, naming outputs, decoding for the model, encoding.

Naming: OUT mirrors the input tree. `shots/a/b.jpg` (INPUT `shots/`) gives OUT/a/b.png, OUT/overlays/a/b.png
and OUT/probs/a/b.png. Two inputs that differ only by extension (`b.jpg`, `b.png`) keep it instead:
OUT/a/b.jpg.png and OUT/a/b.png.png, so no result overwrites another; inputs under a top folder named
`overlays` or `probs` go under OUT/masks/ so they never mix with those outputs. Hidden files and folders (a leading
dot) are skipped, and symlinked folders are not followed (no loops); symlinked files are read.
"""

from __future__ import annotations

import glob
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from uiseg.infer import SetupError

from uiseg.images import IMAGE_EXTENSIONS, atomic_write_bytes, encode_png, read_rgb

INPUT_EXTENSIONS = (*IMAGE_EXTENSIONS, ".gif")  # gif: its first frame
SUBFOLDERS = ("overlays", "probs")
# atomic_write_bytes writes ".<name>.<8 random chars>.tmp" beside the target, then renames it
TEMP_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")
OVERLAY_RGB, OVERLAY_ALPHA = (255, 0, 200), 0.5


@dataclass(frozen=True, slots=True)
class InputFile:
    path: str  # the file to read, as found
    rel: str  # posix path relative to the INPUT it came from: the key in results.jsonl
    out: str  # posix path of the mask relative to OUT


def _walk(root: Path):
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.startswith(".") and name.lower().endswith(INPUT_EXTENSIONS):
                yield Path(folder) / name


def _glob_base(pattern: str) -> Path:
    """The folder part of a glob before its first wildcard: results are named relative to it."""
    parts = Path(pattern).parts
    fixed = parts[: next(i for i, part in enumerate(parts) if glob.has_magic(part))]
    return Path(*fixed) if fixed else Path(".")


def _check_out(root: Path, out: Path) -> None:
    root = root.resolve()
    if out == root or root in out.parents:
        raise SetupError(f"OUT {out} is inside INPUT {root}: its masks would be read as inputs on the next "
                         "run; choose an output folder outside the input")


def _through_symlinked_folder(path: Path, base: Path) -> bool:
    """True when a glob match is, or lies below, a symlinked folder under the glob's base."""
    parts = path.relative_to(base).parts if base != Path(".") else path.parts
    prefix = base
    for i, part in enumerate(parts):
        prefix = prefix / part
        if prefix.is_symlink() and (i < len(parts) - 1 or prefix.is_dir()):
            return True
    return False


def _candidates(spec: str, out: Path):
    """(file, base folder) pairs for one INPUT argument: a folder, a file or a glob."""
    if glob.has_magic(spec):
        base = _glob_base(spec)
        for match in sorted(glob.glob(spec, recursive=True)):
            p = Path(match)
            if _through_symlinked_folder(p, base):
                continue  # glob's ** follows symlinked folders (loops included); the folder walker does not
            if p.is_dir():
                _check_out(p, out)
                yield from ((f, base) for f in _walk(p))
            elif p.name.lower().endswith(INPUT_EXTENSIONS):
                yield p, base
        return
    p = Path(spec)
    if p.is_dir():
        _check_out(p, out)
        yield from ((f, p) for f in _walk(p))
    elif p.exists() or p.is_symlink():
        yield p, p.parent
    else:
        raise SetupError(f"{spec}: no such file or folder")


def discover(inputs: list[str], out_dir: str | Path) -> list[InputFile]:
    """All images named by INPUT arguments, sorted by their key; raises SetupError when there are none."""
    out = Path(out_dir).resolve()
    found: dict[str, str] = {}
    for spec in inputs:
        for file, base in _candidates(spec, out):
            rel = file.relative_to(base).as_posix() if base != Path(".") else file.as_posix()
            if found.setdefault(rel, str(file)) != str(file):
                raise SetupError(f"{found[rel]} and {file} both map to OUT/{rel}: segment them into separate "
                                 "output folders")
    if not found:
        raise SetupError(f"no images found in {' '.join(inputs)} (looked for {', '.join(INPUT_EXTENSIONS)})")
    return name_outputs(found)


def name_outputs(found: dict[str, str]) -> list[InputFile]:
    """Give each key its mask name: the extension replaced by .png, kept where two keys would collide."""
    stems: dict[str, int] = {}
    for rel in found:
        stem = rel[: len(rel) - len(Path(rel).suffix)]
        stems[stem] = stems.get(stem, 0) + 1
    files = []
    for rel in sorted(found):
        stem = rel[: len(rel) - len(Path(rel).suffix)]
        out = f"{stem}.png" if stems[stem] == 1 else f"{rel}.png"
        if out.split("/", 1)[0] in SUBFOLDERS and "/" in out:
            out = f"masks/{out}"  # never collide with OUT/overlays or OUT/probs
        files.append(InputFile(found[rel], rel, out))
    return files


def load_for_model(path: str, policy):
    """Decode one image for the model: (uint8 3 x h x w tensor, original (H, W)), h x w = policy.target(H, W)
    (uiseg.resize: the resize training used)."""
    from uiseg.resize import hwc_to_chw, resize_image

    rgb = read_rgb(path)
    chw = hwc_to_chw(resize_image(rgb, policy.target(*rgb.shape[:2])))  # shares a read-only buffer: only read
    return chw, rgb.shape[:2]


def overlay(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The screenshot with its UI pixels tinted."""
    out = rgb.copy()
    tint = np.asarray(OVERLAY_RGB, dtype=np.float32)
    out[mask] = (rgb[mask] * (1 - OVERLAY_ALPHA) + tint * OVERLAY_ALPHA).astype(np.uint8)
    return out


def output_paths(out_dir: Path, item: InputFile) -> dict[str, Path]:
    return {"mask": out_dir / item.out, "overlay": out_dir / "overlays" / item.out,
            "probs": out_dir / "probs" / item.out}


def write_outputs(out_dir: Path, item: InputFile, mask: np.ndarray, probs: np.ndarray | None,
                  with_overlay: bool) -> None:
    """Write mask (0/255), then the optional overlay and 16-bit probabilities; each atomically.
    The mask goes last: its presence is what marks an image as done for a resumed run."""
    paths = output_paths(out_dir, item)
    if with_overlay:
        atomic_write_bytes(paths["overlay"], encode_png(overlay(read_rgb(item.path), mask)))
    if probs is not None:
        atomic_write_bytes(paths["probs"], encode_png(np.round(probs * 65535.0).astype(np.uint16)))
    atomic_write_bytes(paths["mask"], encode_png(mask.astype(np.uint8) * np.uint8(255)))


def is_done(out_dir: Path, item: InputFile, overlay_wanted: bool, probs_wanted: bool) -> bool:
    """Every output asked for exists (masks, overlays and probs are only ever renamed into place whole)."""
    paths = output_paths(out_dir, item)
    wanted = ["mask"] + ["overlay"] * overlay_wanted + ["probs"] * probs_wanted
    return all(paths[k].is_file() for k in wanted)


def sweep_temp_files(out_dir: Path, older_than: float | None = None) -> int:
    """Remove temporary files that a killed run left in OUT. Only files older than `older_than` (a time.time()
    stamp), so shards writing into the same OUT never lose a file they are writing right now."""
    limit = time.time() if older_than is None else older_than
    removed = 0
    for folder, _, files in os.walk(out_dir):
        for name in files:
            path = Path(folder) / name
            if TEMP_NAME.match(name) and path.lstat().st_mtime < limit:
                path.unlink(missing_ok=True)
                removed += 1
    return removed

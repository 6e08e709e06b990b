"""Inputs and outputs of `uiseg segment`: finding images, naming outputs, decoding for the model, encoding.

Naming (decided once per run from the whole input list, deterministic): OUT mirrors the input tree.
`shots/a/b.jpg` (INPUT `shots/`) gives OUT/a/b.png, OUT/overlays/a/b.png and OUT/probs/a/b.png. An input keeps
its extension in the name (OUT/a/b.jpg.png) when another input has the same name without extension (`b.png`), or
when its short name would be another input's long one (`b.jpg.png` beside `b.jpg`): no two inputs ever share an
output. Inputs under a top folder named `overlays` or `probs` go under OUT/masks/, so masks never mix with those
outputs; an input list that would still put two files on one name (`overlays/x.png` beside `masks/overlays/x.png`)
is refused before anything runs, listing them. Hidden files and folders (a leading dot) are skipped, and
symlinked folders are not followed (no loops); symlinked files are read.

An INPUT that exists is taken literally (`shot [2024].png`, `brk[1]/`); only one that does not exist is
expanded as a glob.
"""

from __future__ import annotations

import glob
import os
import re
import time
from collections import Counter
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
    """(file, base folder) pairs for one INPUT argument: a folder, a file or a glob. A path that exists wins
    over a glob reading of it: `brk[1]/` is that folder, never `brk1/`."""
    p = Path(spec)
    if glob.has_magic(spec) and not (p.exists() or p.is_symlink()):
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


def _stem(rel: str) -> str:
    return rel[: len(rel) - len(Path(rel).suffix)]


def name_outputs(found: dict[str, str]) -> list[InputFile]:
    """Give each key its mask name: the extension replaced by .png (short), or kept (long: key + .png) when
    another key has the same stem, or when the stem is itself another key (its long name would be our short
    one). Long names are distinct because keys are; a short name can equal neither another short name (stems
    are unique) nor a long one (that key would be our stem). Raises SetupError for what is left: two keys that
    still meet after the masks/ prefix."""
    stems = Counter(_stem(rel) for rel in found)
    files, owners = [], {}
    for rel in sorted(found):
        stem = _stem(rel)
        out = f"{stem}.png" if stems[stem] == 1 and stem not in found else f"{rel}.png"
        if out.split("/", 1)[0] in SUBFOLDERS and "/" in out:
            out = f"masks/{out}"  # never collide with OUT/overlays or OUT/probs
        owners.setdefault(out, []).append(found[rel])
        files.append(InputFile(found[rel], rel, out))
    clashes = {out: paths for out, paths in owners.items() if len(paths) > 1}
    if clashes:
        listed = "; ".join(f"{' and '.join(paths)} -> OUT/{out}" for out, paths in sorted(clashes.items()))
        raise SetupError(f"inputs would share an output name ({listed}): rename one of them, or segment them "
                         "into separate output folders")
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
                  with_overlay: bool) -> dict[str, dict]:
    """Write mask (0/255), then the optional overlay and 16-bit probabilities; each atomically. Returns each
    output's fingerprint (uiseg.infer.identity), taken right after it was renamed into place."""
    from uiseg.infer.identity import output_fingerprint

    paths = output_paths(Path(""), item)
    encoded = {}
    if with_overlay:
        encoded["overlay"] = encode_png(overlay(read_rgb(item.path), mask))
    if probs is not None:
        encoded["probs"] = encode_png(np.round(probs * 65535.0).astype(np.uint16))
    encoded["mask"] = encode_png(mask.astype(np.uint8) * np.uint8(255))
    fingerprints = {}
    for kind, data in encoded.items():
        atomic_write_bytes(out_dir / paths[kind], data)
        fingerprints[kind] = output_fingerprint(out_dir, paths[kind].as_posix(), data)
    return fingerprints


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

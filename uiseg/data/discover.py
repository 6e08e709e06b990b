"""Find labelled image/mask pairs on disk and pair them by name, never by position.

Two layouts, detected per folder while walking the tree (both may appear under one root):

- "folders": any folder holding `images/` and `masks/` side by side; `images/<rel>.<ext>` pairs with
  `masks/<rel>.<ext>` by relative path without extension (subfolders inside images/ are mirrored in masks/).
- "seed" (the tutorial's format): `<dir>/<N>_input.<ext>` pairs with `<dir>/<N>_target.<ext>`.

The tutorial globbed both folders and zipped the lists by index, so one missing or extra file (or a glob order
that differs between folders) silently gave every later image the wrong mask. Pairing by key makes that impossible
and turns every unmatched file into a problem line that names the file and the fix.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from uiseg.errors import UisegError
from uiseg.images import is_image_file

_SEED_NAME = re.compile(r"^(?P<n>.+)_(?P<role>input|target)$", re.IGNORECASE)


@dataclass(frozen=True)
class Pair:
    """One labelled sample: `key` is the relative stem path (e.g. "sub/0001"), unique within a dataset."""

    key: str
    image: Path
    mask: Path


def empty_message(root: Path) -> str:
    """The one line for a folder without any pairs."""
    return (f"{root}: no image/mask pairs found; expected {root / 'images'} + {root / 'masks'} "
            f"or N_input/N_target files")


def _visible(name: str) -> bool:
    # Dot-files are skipped: macOS writes "._0001.png" AppleDouble files beside every copied image; they carry
    # an image extension but are not images, and nobody labels hidden files on purpose.
    return not name.startswith(".")


def _child(folder: Path, name: str) -> Path | None:
    """The subfolder called `name` (case-insensitively: Windows users write Images/Masks)."""
    try:
        for entry in os.scandir(folder):
            if entry.name.lower() == name and entry.is_dir():
                return Path(entry.path)
    except OSError:
        return None
    return None


def _index_tree(top: Path, problems: list[str]) -> dict[str, Path | None]:
    """Map relative stem path -> file for every image file below `top` (None: ambiguous stem, reported)."""
    found: dict[str, list[Path]] = {}
    for dirpath, dirnames, filenames in os.walk(top):  # followlinks=False: a symlink loop cannot hang us
        dirnames[:] = sorted(d for d in dirnames if _visible(d))
        for name in filenames:
            path = Path(dirpath) / name
            if _visible(name) and is_image_file(path):
                found.setdefault(path.relative_to(top).with_suffix("").as_posix(), []).append(path)
    return _unique(found, problems)


def _unique(found: dict[str, list[Path]], problems: list[str]) -> dict[str, Path | None]:
    """Stems with one file keep it; stems with several (which of 0001.png / 0001.jpg is meant?) map to None
    and are reported once here, so the other side's file is not also reported as unmatched."""
    unique: dict[str, Path | None] = {}
    for stem, paths in found.items():
        unique[stem] = paths[0] if len(paths) == 1 else None
        if len(paths) > 1:
            names = ", ".join(str(p) for p in sorted(paths))
            problems.append(f"{names}: same name with different extensions; keep one of them and remove the others")
    return unique


def _join(prefix: str, stem: str) -> str:
    return f"{prefix}/{stem}" if prefix else stem


def _match(images: dict[str, Path | None], masks: dict[str, Path | None], prefix: str,
           mask_for: Callable[[str], str], image_for: Callable[[str], str], problems: list[str]) -> list[Pair]:
    """Pair equal stems; report each unmatched file with the name its partner should have."""
    pairs = []
    for stem, image in images.items():
        if stem not in masks:
            if image is not None:
                problems.append(f"{image}: no mask; add {mask_for(stem)} or remove the image")
        elif image is not None and masks[stem] is not None:
            pairs.append(Pair(_join(prefix, stem), image, masks[stem]))
    for stem in masks.keys() - images.keys():
        if masks[stem] is not None:
            problems.append(f"{masks[stem]}: no image; add {image_for(stem)} or remove the mask")
    return pairs


def _pair_folders(images: Path, masks: Path, prefix: str, problems: list[str]) -> list[Pair]:
    """Pair images/<rel> with masks/<rel> (any extensions)."""
    return _match(_index_tree(images, problems), _index_tree(masks, problems), prefix,
                  lambda stem: f"{masks / stem}.png", lambda stem: f"{images / stem}.png", problems)


def _pair_seed(folder: Path, filenames: list[str], prefix: str, problems: list[str]) -> list[Pair]:
    """Pair <N>_input.<ext> with <N>_target.<ext> among the files of one folder."""
    roles: dict[str, dict[str, list[Path]]] = {"input": {}, "target": {}}
    for name in filenames:
        path = folder / name
        match = _SEED_NAME.match(path.stem)
        if match and _visible(name) and is_image_file(path):
            roles[match["role"].lower()].setdefault(match["n"], []).append(path)
    return _match(_unique(roles["input"], problems), _unique(roles["target"], problems), prefix,
                  lambda n: f"{folder / n}_target.png", lambda n: f"{folder / n}_input.png", problems)


def _walk(root: Path, problems: list[str]) -> list[Pair]:
    pairs: list[Pair] = []
    for dirpath, dirnames, filenames in os.walk(root):
        folder = Path(dirpath)
        rel = folder.relative_to(root).as_posix()
        prefix = "" if rel == "." else rel
        images, masks = _child(folder, "images"), _child(folder, "masks")
        if images is not None and masks is not None:
            pairs += _pair_folders(images, masks, prefix, problems)
        elif images is not None or masks is not None:
            have, want = (images, "masks") if images is not None else (masks, "images")
            problems.append(f"{have}: no {want} folder beside it; add {folder / want} with one file per "
                            f"{'image' if want == 'masks' else 'mask'}, same names")
        # images/ and masks/ trees belong to the pair above; everything else may hold more datasets.
        skip = {p.name for p in (images, masks) if p is not None}
        dirnames[:] = sorted(d for d in dirnames if _visible(d) and d not in skip)
        pairs += _pair_seed(folder, filenames, prefix, problems)
    return pairs


def find_pairs(root: str | os.PathLike) -> tuple[list[Pair], list[str]]:
    """Discover image/mask pairs under `root` (both layouts, recursively).

    Returns (pairs sorted by key, problem lines). Each problem line names the file and the fix: image without
    mask, mask without image, the same stem with two extensions, a lone images/ or masks/ folder, or no pairs at
    all. Raises UisegError only when `root` is not a folder.
    """
    root = Path(root)
    if not root.is_dir():
        what = "does not exist" if not root.exists() else "is not a folder"
        raise UisegError(f"{root}: {what}; pass the dataset folder (with images/ + masks/ or N_input/N_target files)")
    problems: list[str] = []
    pairs = _walk(root, problems)
    by_key: dict[str, list[Pair]] = {}
    for pair in pairs:
        by_key.setdefault(pair.key, []).append(pair)
    unique = []
    for key, group in by_key.items():
        if len(group) == 1:
            unique.append(group[0])
        else:  # e.g. ROOT/images/a/1.png and ROOT/a/images/1.png: two layouts claim the same sample name
            names = ", ".join(str(p.image) for p in group)
            problems.append(f"{names}: two samples named {key!r}; rename or move one of them")
    if not unique and not problems:
        problems.append(empty_message(root))
    return sorted(unique, key=lambda p: p.key), sorted(problems)


__all__ = ["Pair", "empty_message", "find_pairs"]

"""The trust half of the bad-input corpus (see corpus.py): input trees whose output names could meet (two inputs,
or an input and an extra output), glob characters in existing paths, long names; and the mask each input must
get (tests/test_trust_names.py runs them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from corpus import _write, encode, rgb

# ---- input trees whose names are hard to map to OUT ----------------------------------------------------------------

@dataclass(frozen=True)
class NameTree:
    """Inputs (paths under the tree) and the mask each must get under OUT; masks=None: the run is refused (exit 2)
    with one line naming every clashing input. `arg`: the INPUT argument, relative to the tree (default: the tree)."""

    name: str
    files: tuple[str, ...]
    masks: dict[str, str] | None
    arg: str = ""


LONG = "x" * 246  # + ".png": a legal 250-byte name, whose temporary twin must still fit in 255 bytes
NAME_TREES = [
    NameTree("same_stems", ("a.jpg", "a.png", "a.jpg.png", "b.png"),
             {"a.jpg": "a.jpg.png", "a.png": "a.png.png", "a.jpg.png": "a.jpg.png.png", "b.png": "b.png"}),
    NameTree("output_folder_names", ("overlays/x.png", "probs/x.png", "x.png"),
             {"overlays/x.png": "masks/overlays/x.png", "probs/x.png": "masks/probs/x.png", "x.png": "x.png"}),
    NameTree("masks_prefix_clash", ("overlays/x.png", "masks/overlays/x.png"), None),
    NameTree("glob_characters_folder", ("brk[1]/a.png", "brk1/b.png"), {"a.png": "a.png"}, arg="brk[1]"),
    NameTree("glob_characters_file", ("shot [2024].png", "shot 2.png"), {"shot [2024].png": "shot [2024].png"},
             arg="shot [2024].png"),
    NameTree("long_name", (f"{LONG}.png",), {f"{LONG}.png": f"{LONG}.png"}),
]


def build_tree(folder: Path, tree: NameTree, size=(12, 16)) -> Path:
    """Write the tree's inputs (each its own pixels, in the format its extension names); returns the INPUT."""
    for i, rel in enumerate(tree.files):
        fmt = "JPEG" if rel.lower().endswith((".jpg", ".jpeg")) else "BMP" if rel.endswith(".bmp") else "PNG"
        _write(folder / rel, encode(rgb(*size, seed=40 + i), fmt))
    return folder / tree.arg if tree.arg else folder

"""What makes a result in OUT valid: the one place that decides whether an image is done.

An output is valid when three things still hold (Make and DVC decide "up to date" the same way):
1. the run identity: everything that decides its pixels (model sha256, backend, precision, size rule,
   threshold, pad multiple, boxes and min-area, overlay and probs, the uiseg version, which owns the pixel
   rules) equals the one recorded in OUT/.uiseg/identity.json. A run with other values is refused before any
   image is read, naming each difference (`--overwrite` redoes everything under the new identity);
2. the input fingerprint: the input's path, size, mtime_ns, ctime_ns and inode as recorded, or, when any of
   these moved, the same size and sha256 of its bytes (a copy or a `touch` costs one hash, not a segmentation);
3. every output's fingerprint: size, mtime_ns, ctime_ns and inode as recorded after it was renamed into place,
   or the same size and sha256 (a truncated, replaced or 0-byte output is rewritten).
ctime cannot be set from user space and changes with every write, so a replaced file never passes the fast
path; the hash decides whenever the stat fields disagree.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import stat
from pathlib import Path

from uiseg.infer import SetupError

from uiseg import __version__
from uiseg.images import atomic_write_bytes

IDENTITY = "identity.json"
STAT_FIELDS = ("size", "mtime_ns", "ctime_ns", "ino")
# The order differences are listed in, and how each field is named to the user.
LABELS = {"model_sha256": "model sha256", "backend": "backend", "precision": "precision", "size": "size",
          "threshold": "threshold", "pad_multiple": "pad multiple", "boxes": "boxes", "min_area": "min-area",
          "overlay": "overlay", "probs": "probs", "uiseg": "uiseg version"}


def check_threshold(value, what: str = "--threshold") -> float:
    """A threshold must be a finite number strictly between 0 and 1 (NaN would make every pixel background)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not 0 < value < 1:
        raise SetupError(f"{what} {value!r} must be a finite number between 0 and 1 (exclusive), e.g. 0.5")
    return float(value)


def run_identity(predictor, size_rule: str, threshold: float, options) -> dict:
    """The values that decide every output's pixels (and boxes), as JSON-ready values."""
    return {"model_sha256": predictor.sha256, "backend": predictor.name, "precision": predictor.precision,
            "size": size_rule, "threshold": float(threshold), "pad_multiple": predictor.contract.pad_multiple,
            "boxes": bool(options.boxes), "min_area": int(options.min_area) if options.boxes else None,
            "overlay": bool(options.overlay), "probs": bool(options.probs), "uiseg": __version__}


def _shown(key: str, value) -> str:
    if key == "model_sha256" and isinstance(value, str):
        return value[:12]
    if isinstance(value, bool):
        return "on" if value else "off"
    return "none" if value is None else str(value)


def differences(old: dict, new: dict) -> list[str]:
    """'threshold 0.5 → 0.9' for every field that differs (unknown fields of another uiseg included)."""
    keys = [k for k in LABELS if k in old or k in new] + sorted((old.keys() | new.keys()) - LABELS.keys())
    if old.get("min_area") is None or new.get("min_area") is None:
        keys.remove("min_area")  # boxes turned on or off: that line says it, min-area means nothing without
    return [f"{LABELS.get(k, k)} {_shown(k, old.get(k))} → {_shown(k, new.get(k))}"
            for k in keys if old.get(k) != new.get(k)]


def read_identity(state_dir: Path) -> dict | None:
    path = state_dir / IDENTITY
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}  # unreadable: every field differs, the user decides with --overwrite
    return data if isinstance(data, dict) else {}


def check_identity(out_dir: Path, state_dir: Path, identity: dict, overwrite: bool, others_live: bool) -> bool:
    """Compare with OUT's recorded identity; record it when new. True when OUT's earlier outputs must all be
    redone (--overwrite with other values). SetupError names each difference and both fixes."""
    identity = json.loads(json.dumps(identity))  # compare as it is stored (tuples -> lists, floats by repr)
    old = read_identity(state_dir)
    if old == identity:
        return False
    if old is not None and not overwrite:
        raise SetupError(f"OUT {out_dir} holds results made with other settings ({'; '.join(differences(old, identity))}); "
                         "pass --overwrite to redo every image with these settings, or choose another OUT")
    if old is not None and others_live:
        raise SetupError(f"OUT {out_dir} is being written by other shards with other settings; wait for them to "
                         "finish before --overwrite, or choose another OUT")
    atomic_write_bytes(state_dir / IDENTITY, (json.dumps(identity, indent=1, sort_keys=True) + "\n").encode())
    return old is not None


# -- fingerprints --------------------------------------------------------------------------------------------
def stat_of(path: str | Path) -> dict | None:
    """The stat fields of a fingerprint (following symlinks: the bytes read count), or None if not a file."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns, "ino": st.st_ino}


def sha256_of(path: str | Path) -> str | None:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while block := fh.read(1 << 20):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()


def input_fingerprint(path: str, planned: dict | None) -> dict | None:
    """After an image was decoded and written: its bytes' hash, if the file is still the one stat-ed at plan
    time (hash first, stat after: any write in between moves mtime/ctime). None: it changed while running,
    so the next run redoes it."""
    digest = sha256_of(path)
    after = stat_of(path)
    if planned is None or digest is None or after != planned:
        return None
    return {"file": os.path.abspath(path), **after, "sha256": digest}


def output_fingerprint(out_dir: Path, rel: str, data: bytes) -> dict:
    """The fingerprint of an output just renamed into place with these bytes."""
    return {"file": rel, **(stat_of(out_dir / rel) or {}), "sha256": hashlib.sha256(data).hexdigest()}


def _same_file(recorded: dict, path: str | Path, current: dict | None) -> dict | None:
    """None when the file differs from `recorded`; else the fingerprint to keep (refreshed after a hash)."""
    if current is None or current["size"] != recorded.get("size"):
        return None
    if all(current[k] == recorded.get(k) for k in STAT_FIELDS):
        return recorded
    if sha256_of(path) != recorded.get("sha256"):
        return None
    return {**recorded, **current}


def check_entry(entry: dict | None, item_path: str, input_stat: dict | None, wanted: dict[str, str],
                out_dir: Path) -> tuple[bool, dict | None]:
    """The done-check of one input: (done, entry to record again when only stat fields were refreshed).
    `wanted`: output kind -> path under OUT, as this run names them."""
    if not entry or (entry.get("result") or {}).get("status") != "ok" or not entry.get("input"):
        return False, None
    recorded = entry["input"]
    if recorded.get("file") == os.path.abspath(item_path):
        kept_input = _same_file(recorded, item_path, input_stat)
    else:  # another INPUT folder with the same names: only the same bytes count
        kept_input = _same_file({**recorded, "ino": None}, item_path, input_stat)
        kept_input = kept_input and {**kept_input, "file": os.path.abspath(item_path)}
    outputs = entry.get("outputs") or {}
    if kept_input is None or sorted(outputs) != sorted(wanted):
        return False, None
    kept_outputs = {}
    for kind, rel in wanted.items():
        if outputs[kind].get("file") != rel:
            return False, None
        kept = _same_file(outputs[kind], out_dir / rel, stat_of(out_dir / rel))
        if kept is None:
            return False, None
        kept_outputs[kind] = kept
    refreshed = {**entry, "input": kept_input, "outputs": kept_outputs}
    return True, (refreshed if refreshed != entry else None)


__all__ = ["check_entry", "check_identity", "check_threshold", "differences", "input_fingerprint",
           "output_fingerprint", "run_identity", "sha256_of", "stat_of"]

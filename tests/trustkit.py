"""Helpers for the trust tests (tests/test_trust_*.py): `uiseg segment` in this process, as a real second process
that can be SIGKILLed or run beside another, and images whose masks are known exactly.

Second processes come from a forkserver that has uiseg, torch and onnxruntime imported once: each run is a real
process (its own pid, its own locks, killable) that starts in about a second instead of six.

Images are blocks of 8 colours with every channel 0 or 255, so under the brightness model (corpus_models: logits
= mean RGB - 0.5) a pixel's UI probability is one of sigmoid(-0.5, -1/6, 1/6, 0.5) = 0.378, 0.458, 0.542, 0.622:
thresholds 0.42, 0.5 and 0.58 each give their own mask, with no pixel near a threshold.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import signal
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from click.testing import CliRunner
from PIL import Image

THRESHOLDS = (0.42, 0.5, 0.58)
_CTX = multiprocessing.get_context("forkserver")
_CTX.set_forkserver_preload(["trustkit", "uiseg.cli", "uiseg.cli.segment", "uiseg.infer.runner",
                             "uiseg.infer.pipeline", "uiseg.infer.writer", "uiseg.infer.backends.onnxruntime",
                             "uiseg.infer.backends.torch", "onnxruntime", "tqdm",
                             "torchvision.transforms.v2"])  # what --size auto resizes with


def cli(*args) -> SimpleNamespace:
    """`uiseg ARGS` in this process: (code, output) with stdout and stderr together."""
    from uiseg.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return SimpleNamespace(code=result.exit_code, output=result.output)


def _child(argv: list[str], log: str) -> None:
    os.setsid()  # its own process group: kill() takes its decode workers with it
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.environ["OMP_NUM_THREADS"] = "1"
    import torch

    from uiseg.cli import main

    torch.set_num_threads(1)
    main(argv, prog_name="uiseg")


def start(*args, log: Path) -> multiprocessing.Process:
    """`uiseg ARGS` as another process (stdout and stderr into `log`); .exitcode once joined."""
    proc = _CTX.Process(target=_child, args=([str(a) for a in args], str(log)))
    proc.start()
    return proc


def kill(proc: multiprocessing.Process) -> None:
    """SIGKILL a run started by start() and every process of its group (decode workers, which a killed run
    leaves orphaned), then reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.join(30)


def journal_lines(out: Path, shard: str = "0-of-1") -> int:
    path = out / ".uiseg" / f"journal-{shard}.jsonl"
    try:
        return path.read_bytes().count(b"\n")
    except OSError:
        return 0


def holds_lock(out: Path, pid: int, shard: str = "0-of-1") -> bool:
    """True once the run `pid` holds OUT's lock (it writes its pid into its lock file after taking it)."""
    try:
        return json.loads((out / ".uiseg" / f"run-{shard}.lock").read_text())["pid"] == pid
    except (OSError, ValueError, KeyError):
        return False


def wait_for(condition, proc: multiprocessing.Process, timeout: float = 60.0) -> bool:
    """Poll `condition()` every millisecond while `proc` runs; True when it held before the process ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if not proc.is_alive():
            return condition()
        time.sleep(0.001)
    raise TimeoutError("the run neither got there nor ended")


def blocks(seed: int, h: int = 10, w: int = 12) -> np.ndarray:
    """An h x w RGB image of 2 x 2 blocks in 8 colours (every channel 0 or 255)."""
    rng = np.random.default_rng(seed)
    cells = rng.integers(0, 2, size=((h + 1) // 2, (w + 1) // 2, 3)).astype(np.uint8) * 255
    return np.repeat(np.repeat(cells, 2, axis=0), 2, axis=1)[:h, :w]


def write_image(path: Path, image: np.ndarray) -> Path:
    """Lossless (PNG, BMP or WEBP by the suffix), so the pixels read back are the ones written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = {".bmp": "BMP", ".webp": "WEBP"}.get(path.suffix.lower(), "PNG")
    Image.fromarray(image).save(path, format=fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    return path


def oracle_mask(image: np.ndarray, threshold: float) -> np.ndarray:
    """What the brightness model must mark as UI at `threshold`, computed without uiseg."""
    logits = image.astype(np.float64).mean(axis=2) / 255.0 - 0.5
    return 1.0 / (1.0 + np.exp(-logits)) > threshold


def read_png(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        im.load()
        return np.asarray(im)


def result_lines(out: Path) -> dict[str, str]:
    """results.jsonl lines by path."""
    path = out / "results.jsonl"
    if not path.is_file():
        return {}
    return {json.loads(line)["path"]: line for line in path.read_text().splitlines()}


def outputs(out: Path) -> dict[str, bytes]:
    """Every output file (not results.jsonl, run.json or OUT/.uiseg/) by path under OUT."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not p.relative_to(out).as_posix().startswith(".uiseg/")
            and p.name != "results.jsonl" and not (p.name.startswith("run") and p.name.endswith(".json"))}

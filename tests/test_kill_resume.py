"""A laptop that sleeps, a kill -9, a Ctrl-C: `uiseg segment` loses nothing and never leaves a partial file.

200 small screenshots (24-48 px, mixed sizes), a random tiny UNet. SIGKILL lands at seeded random moments (during
start-up, early, mid-run, near the end), each followed by a check that every file at its final name is whole; the
last rerun must leave an output tree byte-identical to one clean uninterrupted run (run.json aside: it records
timings), with no temporary file and no journal left. Ctrl-C is sent the way a terminal sends it, to the whole
process group (decode workers included): the run exits 130 with no traceback, says how far it got, and a rerun
completes the rest.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from corpus import TRACEBACK, out_leftovers
from corpus_models import tiny_checkpoint
from PIL import Image

from uiseg.cli import main

pytestmark = pytest.mark.slow

COUNT = 200
SEED = 6
CLI = "import sys; from uiseg.cli import main; sys.exit(main())"
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}  # a tiny model on a shared 2-core box: one thread is faster


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("killres")
    rng = np.random.default_rng(SEED)
    shots = root / "shots"
    for i in range(COUNT):
        h, w = (int(v) for v in rng.integers(24, 49, 2))
        folder = shots / f"level{i % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        image = (rng.random((h, w, 3)) * 90).astype(np.uint8)
        image[h // 4: h // 2, w // 3: w - 2] = rng.integers(170, 256, 3)
        Image.fromarray(image).save(folder / f"shot {i:03d}.png", compress_level=1)
    return shots, tiny_checkpoint(root / "tiny.ckpt")


def args(shots: Path, ckpt: Path, out: Path, *extra: str) -> list[str]:
    # batch 2, overlays and probabilities: many small writes, so a kill lands between and inside them
    return ["segment", str(shots), str(out), "-m", str(ckpt), "--batch-size", "2", "--workers", "1",
            "--overlay", "--probs", "-q", "--device", "cpu", *extra]


def tree(out: Path) -> dict[str, bytes]:
    """Every output by name, run.json (timings) and OUT/.uiseg/ (fingerprints: inodes, times) aside."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != "run.json" and not p.relative_to(out).as_posix().startswith(".uiseg/")}


JOURNAL = ".uiseg/journal-0-of-1.jsonl"


def records(out: Path) -> int:
    journal = out / JOURNAL
    return journal.read_bytes().count(b"\n") if journal.is_file() else 0


def start_and_signal(argv: list[str], out: Path, sig: int, after: int, delay: float, group: bool):
    """Start a run; once `after` images are recorded (after=0: right away) wait `delay` s and send `sig` to the
    process (group=False) or to its whole process group, like a terminal's Ctrl-C (group=True)."""
    proc = subprocess.Popen([sys.executable, "-c", CLI, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=ENV, start_new_session=True)
    deadline = time.monotonic() + 90
    while proc.poll() is None and time.monotonic() < deadline and records(out) < after:
        time.sleep(0.003)
    time.sleep(delay)
    if proc.poll() is None:
        if group:
            os.killpg(proc.pid, sig)
        else:
            os.kill(proc.pid, sig)
    try:
        stdout, stderr = proc.communicate(timeout=90)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # orphaned decode workers, if any
    return proc.returncode, stdout, stderr


def assert_whole(out: Path) -> None:
    """Everything at a final name is complete: PNGs decode to the end, result lines are JSON."""
    for path in out.rglob("*.png"):
        if path.is_file():
            with Image.open(path) as im:
                im.load()
    for name in ("results.jsonl", JOURNAL, ".uiseg/state.jsonl"):
        if (out / name).is_file():
            for line in (out / name).read_text().splitlines()[:-1]:  # a kill may cut the journal's last line
                json.loads(line)


def assert_clean(out: Path) -> None:
    leftovers = out_leftovers(out)
    assert not leftovers, leftovers


@contextlib.contextmanager
def one_thread():
    """In-process runs use one compute thread too: a different thread count may change float summation order,
    and with it the last bit of a 16-bit probability."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def run_here(argv: list[str]):
    with one_thread():
        return CliRunner().invoke(main, argv, catch_exceptions=False)


@pytest.fixture(scope="module")
def clean_tree(setup, tmp_path_factory):
    shots, ckpt = setup
    out = tmp_path_factory.mktemp("clean") / "out"
    result = run_here(args(shots, ckpt, out))
    assert result.exit_code == 0, result.output
    assert len(list(out.rglob("*.png"))) == 3 * COUNT
    return tree(out)


def test_sigkill_at_random_moments_then_rerun_is_byte_identical(setup, clean_tree, tmp_path):
    shots, ckpt = setup
    out = tmp_path / "out"
    rng = random.Random(SEED)
    # start-up (nothing written yet), then three moments spread over the run, each with a random extra delay
    moments = [0] + sorted(rng.sample(range(5, COUNT - 20), 3))
    progress = []
    for after in moments:
        code, _, stderr = start_and_signal(args(shots, ckpt, out), out, signal.SIGKILL, after,
                                           rng.uniform(0, 0.05), group=False)
        assert code in (-signal.SIGKILL, 0), stderr
        if out.exists():
            assert_whole(out)
        progress.append(len(list(out.glob("level*/*.png"))) if out.exists() else 0)
    assert any(0 < n < COUNT for n in progress), f"no kill landed mid-run: {progress}"
    result = subprocess.run([sys.executable, "-c", CLI, *args(shots, ckpt, out), "--json"], capture_output=True,
                            text=True, env=ENV, timeout=120, check=False)
    assert result.returncode == 0 and TRACEBACK not in result.stderr, result.stderr
    totals = json.loads(result.stdout)["totals"]
    assert totals["skipped"] + totals["done"] == COUNT and totals["failed"] == 0
    assert_clean(out)
    assert_same_tree(tree(out), clean_tree)


def assert_same_tree(got: dict[str, bytes], want: dict[str, bytes]) -> None:
    """Byte-identical trees (16-bit probabilities included: every forward pass runs at the same batch size)."""
    assert sorted(got) == sorted(want)
    wrong = {name: pixel_difference(got[name], want[name]) for name in want if got[name] != want[name]}
    assert not wrong, f"{len(wrong)} files differ from the clean run (name: largest pixel difference): {wrong}"


def pixel_difference(a: bytes, b: bytes) -> int:
    pa, pb = (np.asarray(Image.open(io.BytesIO(x)), np.int64) for x in (a, b))
    return int(np.abs(pa - pb).max()) if pa.shape == pb.shape else -1


def test_ctrl_c_to_the_process_group_exits_cleanly_and_rerun_completes(setup, clean_tree, tmp_path):
    shots, ckpt = setup
    out = tmp_path / "out"
    code, stdout, stderr = start_and_signal(args(shots, ckpt, out), out, signal.SIGINT, COUNT // 3, 0.0,
                                            group=True)
    if code == 0:
        pytest.skip("the run finished before Ctrl-C arrived")
    assert code == 130, stderr
    assert TRACEBACK not in stderr + stdout and "KeyboardInterrupt" not in stderr, stderr
    said = [line for line in stderr.splitlines() if line.startswith("interrupted:")]
    assert len(said) == 1 and f"of {COUNT} images done" in said[0] and "again to resume" in said[0], stderr
    done = int(said[0].split()[1])
    assert 0 < done < COUNT
    assert_clean(out)
    assert_whole(out)
    assert len((out / "results.jsonl").read_text().splitlines()) == done
    rerun = run_here([*args(shots, ckpt, out), "--json"])
    assert rerun.exit_code == 0, rerun.output
    totals = json.loads(rerun.stdout)["totals"]
    assert totals["skipped"] == done and totals["done"] == COUNT - done
    assert_clean(out)
    assert tree(out) == clean_tree


def test_resumed_images_get_the_same_probabilities_as_in_a_clean_run(tmp_path):
    """The cause behind a resumed tree that differs from a clean one in a 16-bit probability: a resumed run
    recomputes a leftover image in a batch of 1 where the clean run had it in a batch of 2. CPU convolutions at
    batch 1 and batch 2 sum in a different order (logits about 3e-8 apart; the partner image itself does not
    matter), enough to flip the last bit of some probabilities. Here 20 pairs of images, each pair its own
    size (--size native), run in batches of 2; then the second image of every pair "was not written" and the
    rerun recomputes each of them alone."""
    rng = np.random.default_rng(SEED)
    shots = tmp_path / "shots"
    shots.mkdir()
    for k in range(20):
        for tag in "ab":
            image = (rng.random((24 + 4 * k, 40, 3)) * 255).astype(np.uint8)
            Image.fromarray(image).save(shots / f"{k:02d}{tag}.png")
    ckpt = tiny_checkpoint(tmp_path / "tiny.ckpt")
    out = tmp_path / "out"
    assert run_here([*args(shots, ckpt, out), "--size", "native"]).exit_code == 0
    clean = tree(out)
    for path in out.rglob("*b.png"):
        path.unlink()
    assert run_here([*args(shots, ckpt, out), "--size", "native"]).exit_code == 0
    assert_same_tree(tree(out), clean)

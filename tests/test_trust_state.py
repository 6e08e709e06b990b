"""A hypothesis state machine over one OUT: runs, a refused and an adopted (--overwrite) change of threshold, inputs
written, replaced behind an unchanged size and mtime, added under names that rename other outputs, deleted; outputs
deleted or truncated; runs SIGKILLed at a random moment; a second run started while one is writing.

After every run that completes, each output in OUT equals what a clean run with the current settings writes for the
current inputs (compared byte for byte with one, whose masks are checked against the brightness model's rule), the
results.jsonl lines of the current inputs are a clean run's, and the outputs of inputs that are gone are still
there, untouched (unless a current input now claims the name). After a SIGKILL, every output of a current input is
whole and is either absent, the last valid one, or the new valid one: never a mask of other settings or pixels.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from pathlib import Path

import numpy as np
import pytest
from corpus import out_leftovers
from corpus_models import brightness_onnx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule
from trustkit import (
    THRESHOLDS,
    blocks,
    cli,
    holds_lock,
    journal_lines,
    kill,
    oracle_mask,
    outputs,
    read_png,
    result_lines,
    start,
    wait_for,
    write_image,
)

pytestmark = pytest.mark.slow

# a.png, a.bmp and a.bmp.png rename each other's outputs as they come and go; overlays/ goes under masks/
POOL = ("a.png", "a.bmp", "a.bmp.png", "b.webp", "sub/c.png", "overlays/d.png")
MODEL = brightness_onnx(Path(tempfile.mkdtemp(prefix="uiseg-sm-model-")) / "bright.onnx")
images = st.tuples(st.integers(0, 10_000), st.integers(3, 9), st.integers(3, 9))


class OutMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="uiseg-sm-"))
        self.inputs, self.out = self.root / "in", self.root / "out"
        self.pixels: dict[str, np.ndarray] = {}  # input -> its current pixels
        self.threshold = 0.5  # what OUT was last made with
        self.kept: dict[str, tuple[str, bytes]] = {}  # output path -> (input that is gone, bytes that must stay)
        self.sure: set[str] = set()  # kept outputs whose record is certain (deleted while OUT was in sync)
        self.valid: dict[str, bytes] = {}  # output path -> bytes at the last completed run
        self.damaged: dict[str, bytes] = {}  # output path -> what this test wrote over it
        self.synced, self.checks = False, 0

    def teardown(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def argv(self, threshold: float | None = None, *extra) -> list:
        return ["segment", self.inputs, self.out, "-m", MODEL, "--workers", 0, "--size", "native", "--probs",
                "--min-area", 4, "--threshold", self.threshold if threshold is None else threshold, "-q", *extra]

    def run_to_end(self, *extra, threshold: float | None = None):
        run = cli(*self.argv(threshold, *extra))
        assert run.code == 0, run.output
        self.synced = True
        self.check()

    @initialize(first=st.lists(st.sampled_from(POOL), min_size=1, max_size=3, unique=True), image=images)
    def start(self, first, image):
        for name in first:
            self.write(name, image)
        self.run_to_end()

    # -- runs ----------------------------------------------------------------------------------------------
    @rule()
    def run(self):
        run = cli(*self.argv(None)[:-1])  # not quiet: the summary counts the kept outputs
        assert run.code == 0, run.output
        claimed = self.claimed()
        most = len({name for path, (name, _) in self.kept.items() if path not in claimed})
        least = len({self.kept[path][0] for path in self.sure - claimed})
        reported = int(run.output.split(" kept (input gone)")[0].rsplit(" ", 1)[1]) if " kept (" in run.output else 0
        assert least <= reported <= most, run.output
        self.synced = True
        self.check()

    @rule(threshold=st.sampled_from(THRESHOLDS))
    def other_threshold_is_refused(self, threshold):
        if threshold == self.threshold:
            return
        before = self.snapshot()
        run = cli(*self.argv(threshold))
        assert run.code == 2 and f"threshold {self.threshold} → {threshold}" in run.output, run.output
        assert self.snapshot() == before

    @rule(threshold=st.sampled_from(THRESHOLDS))
    def overwrite_with_threshold(self, threshold):
        self.threshold = threshold
        self.run_to_end("--overwrite")

    @rule(after=st.integers(0, 8))
    def sigkill_a_run(self, after):
        proc = start(*self.argv(), log=self.root / "killed.log")
        wait_for(lambda: journal_lines(self.out) >= after, proc)
        if proc.is_alive():
            kill(proc)
        proc.join(60)
        assert proc.exitcode in (0, -signal.SIGKILL), (self.root / "killed.log").read_text()
        self.synced = self.synced and proc.exitcode == 0
        self.check_after_kill()

    @rule()
    def second_run_while_one_writes(self):
        proc = start(*self.argv(), log=self.root / "first.log")
        wait_for(lambda: holds_lock(self.out, proc.pid), proc)
        second = cli(*self.argv())
        proc.join(60)
        assert proc.exitcode == 0, (self.root / "first.log").read_text()
        assert second.code == 0 or second.code == 2 and f"is being written by pid {proc.pid}" in second.output, \
            second.output
        self.synced = True
        self.check()

    # -- changes to the inputs and outputs ---------------------------------------------------------------------
    @rule(name=st.sampled_from(POOL), image=images)
    def write_input(self, name, image):
        self.write(name, image)

    @rule(seed=st.integers(0, 10_000))
    @precondition(lambda self: "a.bmp" in self.pixels)
    def replace_keeping_size_and_mtime(self, seed):
        path = self.inputs / "a.bmp"
        old = path.stat()
        h, w = self.pixels["a.bmp"].shape[:2]
        write_image(self.root / "new.bmp", blocks(seed, h, w))  # BMP: same dimensions, same byte count
        os.replace(self.root / "new.bmp", path)
        os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))
        self.pixels["a.bmp"] = blocks(seed, h, w)
        self.synced = False

    @rule(name=st.sampled_from(POOL))
    def delete_input(self, name):
        if name not in self.pixels or len(self.pixels) == 1:
            return  # one input stays: a run over none is a usage error
        for path in self.claimed_by(name):
            if (self.out / path).is_file():
                self.kept[path] = (name, (self.out / path).read_bytes())
                if self.synced:
                    self.sure.add(path)
        (self.inputs / name).unlink()
        del self.pixels[name]
        self.synced = False  # the names of the others may change

    @rule(name=st.sampled_from(POOL), kind=st.sampled_from(["mask", "probs"]), how=st.sampled_from(
        ["delete", "truncate", "zero"]))
    def damage_output(self, name, kind, how):
        if name not in self.pixels:
            return
        mask = self.names()[name]
        path = self.out / (mask if kind == "mask" else f"probs/{mask}")
        if not path.is_file():
            return
        data = path.read_bytes()
        if how == "delete":
            path.unlink()
        else:
            path.write_bytes(data[: len(data) // 2] if how == "truncate" else b"")
            self.damaged[path.relative_to(self.out).as_posix()] = path.read_bytes()
        self.synced = False

    # -- the model of OUT ----------------------------------------------------------------------------------------
    def write(self, name: str, image) -> None:
        seed, h, w = image
        self.pixels[name] = blocks(seed, h, w)
        write_image(self.inputs / name, self.pixels[name])
        self.synced = False

    def names(self) -> dict[str, str]:
        from uiseg.infer.io import name_outputs

        return {f.rel: f.out for f in name_outputs({rel: rel for rel in self.pixels})} if self.pixels else {}

    def claimed_by(self, name: str) -> list[str]:
        mask = self.names()[name]
        return [mask, f"probs/{mask}"]

    def claimed(self) -> set[str]:
        return {p for name in self.pixels for p in self.claimed_by(name)}

    def snapshot(self) -> dict[str, bytes]:
        return {p.relative_to(self.out).as_posix(): p.read_bytes() for p in self.out.rglob("*")
                if p.is_file() and not p.name.endswith(".lock")}

    def check(self) -> None:
        """OUT after a completed run: a clean run's outputs and lines for the current inputs, kept ones intact."""
        self.checks += 1
        clean = self.root / f"clean{self.checks}"
        if self.pixels:
            made = cli(*self.argv()[:2], clean, *self.argv()[3:])
            assert made.code == 0, made.output
        want, got = outputs(clean) if self.pixels else {}, outputs(self.out)
        names = self.names()
        for name, image in self.pixels.items():  # the clean run itself follows the model's rule
            np.testing.assert_array_equal(read_png(clean / names[name]) > 0, oracle_mask(image, self.threshold))
        claimed = self.claimed()
        for path in set(self.kept) & claimed:
            del self.kept[path]
        self.sure &= set(self.kept)
        assert {p: got.get(p) for p in want} == want
        assert {p: got.get(p) for p in self.kept} == {p: data for p, (_, data) in self.kept.items()}
        assert set(got) == set(want) | set(self.kept), "a stale or extra output is left in OUT"
        lines = result_lines(self.out)
        assert {k: lines.get(k) for k in self.pixels} == result_lines(clean) if self.pixels else True
        assert not out_leftovers(self.out)
        self.valid, self.damaged = dict(got), {}

    def check_after_kill(self) -> None:
        """Every output a current input claims is absent, the last valid bytes, or whole and valid now."""
        names = self.names()
        for name, image in self.pixels.items():
            for path in self.claimed_by(name):
                target = self.out / path
                if not target.is_file() or self.damaged.get(path) == target.read_bytes():
                    continue
                if target.read_bytes() == self.valid.get(path):
                    continue
                pixels = read_png(target)  # decodes to the end: never a partial file
                if path == names[name]:
                    np.testing.assert_array_equal(pixels > 0, oracle_mask(image, self.threshold))
        for path, (_, data) in self.kept.items():
            if path not in self.claimed():
                assert (self.out / path).read_bytes() == data, path


TestOut = OutMachine.TestCase
TestOut.settings = settings(max_examples=4, stateful_step_count=10, deadline=None,
                            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

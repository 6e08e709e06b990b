"""`uiseg segment` as a library call: plan (inputs, shard, resume), run the pipeline, report.

    from uiseg.infer import SegmentOptions, run_segment
    report = run_segment(SegmentOptions(["shots/"], "out/", "model.onnx"))
    report["totals"]  # done, skipped, failed, images_per_s, ms_per_image...

Setup problems raise uiseg.infer.SetupError before any image is read: a busy OUT (uiseg.infer.lock), other
settings than OUT was made with (uiseg.infer.identity). What is done and what is redone is uiseg.infer.plan's
call. A Ctrl-C (KeyboardInterrupt) stops the loop, lets the writer finish what was already computed, merges
results and returns with report["totals"]["interrupted"] = True: rerunning the same command resumes.
"""

from __future__ import annotations

import os
import platform
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from uiseg.infer import SetupError
from uiseg.infer.identity import check_identity, check_threshold, run_identity
from uiseg.infer.io import InputFile, discover, sweep_temp_files
from uiseg.infer.lock import STATE_DIR, OutLock
from uiseg.infer.plan import Plan, apply_plan, make_plan
from uiseg.infer.report import write_run_json
from uiseg.infer.state import Journal, idle_journals, journal_path, merge

from uiseg import __version__
from uiseg.config import Contract
from uiseg.errors import UisegError

# A batch of 128 images at 256x224 is ~7.3 M pixels: a good GPU batch; larger images get fewer per batch.
GPU_BATCH_PIXELS, CPU_BATCH_PIXELS = 128 * 256 * 224, 4 * 256 * 224
NATIVE_GUESS = (720, 1280)  # image size assumed for default batch sizes when the input size depends on it


@dataclass
class SegmentOptions:
    inputs: list[str]
    out_dir: str
    model: str
    backend: str = "auto"
    device: str = "auto"
    precision: str = "fp32"
    batch_size: int | None = None  # None: from the device and the image size
    workers: int | None = None  # decode processes; None: from the cores and the device
    writers: int | None = None  # encode/write threads
    size: str = "auto"  # auto | native | WIDTHxHEIGHT
    threshold: float | None = None  # None: the model's own
    overlay: bool = False
    probs: bool = False
    boxes: bool = True
    min_area: int = 64
    overwrite: bool = False
    shard: tuple[int, int] | None = None  # (index from 0, count)
    progress: bool = True
    extra: dict = field(default_factory=dict)  # recorded in run.json as given (e.g. the command line)


def parse_shard(text: str) -> tuple[int, int]:
    """'I/N' (I counts from 0) -> (I, N)."""
    try:
        index, count = (int(p) for p in text.split("/"))
    except ValueError:
        raise SetupError(f"--shard {text!r} is not I/N, e.g. 0/4 (I counts from 0)") from None
    if count < 1 or not 0 <= index < count:
        raise SetupError(f"--shard {text!r}: need 0 <= I < N (I counts from 0), e.g. 0/4 ... 3/4")
    return index, count


def resolve_shard(shard: tuple[int, int] | None, env=os.environ) -> tuple[int, int, int | None]:
    """(index, count, local_rank). Under torchrun each rank takes its share of the shard it was given."""
    index, count = shard or (0, 1)
    world, rank = int(env.get("WORLD_SIZE", "1")), int(env.get("RANK", "0"))
    local = int(env["LOCAL_RANK"]) if "LOCAL_RANK" in env else None
    if world > 1:
        index, count = index * world + rank, count * world
    return index, count, local


def shard_items(items: list[InputFile], index: int, count: int) -> list[InputFile]:
    """Every count-th file of the sorted list from `index`: N shards cover it exactly once."""
    return items[index::count]


def resolve_size(spec: str, contract: Contract):
    """--size -> uiseg.resize.SizePolicy (auto: the model's own policy)."""
    from uiseg.resize import size_policy

    try:
        return size_policy(spec, contract)
    except UisegError as exc:
        raise SetupError(str(exc)) from None


def check_static_shape(predictor, policy) -> None:
    """An artifact exported with a fixed H x W only runs at that size (after padding)."""
    from uiseg.model import padded_size

    static = predictor.metadata.get("static_shape")
    if not static:
        return
    size = policy.fixed_size
    padded = padded_size(*size, predictor.contract.pad_multiple) if size else None
    if padded != tuple(static):
        raise SetupError(f"{predictor.path} was exported for a fixed input of {static[1]}x{static[0]} "
                         f"(width x height); use --size {static[1]}x{static[0]} or a dynamic-shape export")


def default_sizes(options: SegmentOptions, cuda: bool, policy) -> tuple[int, int, int]:
    """(batch_size, decode workers, writer threads) for this machine, unless given."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    pixels = policy.pixels(*NATIVE_GUESS)
    budget = GPU_BATCH_PIXELS if cuda else CPU_BATCH_PIXELS
    # Every pass runs at this size (leftovers are padded), so small images on a CPU stay at <= 16.
    batch = options.batch_size or max(1, min(256 if cuda else 16, budget // pixels))
    # On a GPU the CPUs only decode and encode; on a CPU the model needs them, so codecs get few.
    writers = options.writers or (max(2, cores // 4) if cuda else 1)
    workers = options.workers if options.workers is not None else (
        max(1, cores - writers - 1) if cuda else max(1, cores // 4))
    return batch, workers, writers


def versions() -> dict:
    import numpy
    import PIL
    import torch

    found = {"uiseg": __version__, "python": platform.python_version(), "torch": torch.__version__,
             "numpy": numpy.__version__, "pillow": PIL.__version__, "platform": platform.platform()}
    if "onnxruntime" in sys.modules:
        found["onnxruntime"] = sys.modules["onnxruntime"].__version__
    return found


def prepare_out(out_dir: Path) -> Path:
    """Create OUT and OUT/.uiseg and prove that files can be created there; SetupError names OUT otherwise."""
    import tempfile

    state_dir = out_dir / STATE_DIR
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        for folder in (out_dir, state_dir):
            fd, probe = tempfile.mkstemp(dir=folder, prefix=".uiseg-probe.", suffix=".tmp")
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:
        raise SetupError(f"OUT {out_dir} is not writable ({exc.strerror or exc}); choose another OUT, or make it "
                         "writable") from None
    return state_dir


def open_state(out_dir: Path, lock: OutLock, identity: dict, overwrite: bool) -> tuple[dict, bool]:
    """Under the merge lock: check (or record) the identity and fold journals of runs that died.
    Returns (entries, redo_all)."""
    with lock.section():
        live = lock.live_specs()
        changed = check_identity(out_dir, lock.dir, identity, overwrite, others_live=bool(live))
        entries = merge(out_dir, lock.dir, idle_journals(lock.dir, live, own=lock.shard))
    return entries, overwrite or changed


def close_state(out_dir: Path, lock: OutLock, log: Callable[[str], None]) -> None:
    """Fold this run's journal (and any left by runs that died) into state.jsonl and results.jsonl."""
    try:
        with lock.section():
            merge(out_dir, lock.dir, idle_journals(lock.dir, lock.live_specs(), own=lock.shard))
    except OSError as exc:  # disk full: the journal stays, the next run merges it
        log(f"could not update {out_dir / 'results.jsonl'} ({exc.strerror or exc}); the journal under "
            f"{lock.dir} is kept and merged by the next run")


def run_segment(options: SegmentOptions, log: Callable[[str], None] | None = None) -> dict:
    """Segment every image; returns the run report (also written to OUT/run.json)."""
    from uiseg.infer.backends import load_predictor

    log = log or (lambda msg: print(msg, file=sys.stderr))
    started, wall = datetime.now(timezone.utc), time.time()
    index, count, local_rank = resolve_shard(options.shard)
    if options.threshold is not None:
        check_threshold(options.threshold)
    out_dir = Path(options.out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise SetupError(f"OUT {out_dir} is a file; pass a folder (it is created if missing)")
    predictor = load_predictor(options.model, options.backend, options.device, options.precision, local_rank)
    size = resolve_size(options.size, predictor.contract)
    check_static_shape(predictor, size)
    all_items = discover(options.inputs, out_dir)
    items = shard_items(all_items, index, count)
    threshold = options.threshold if options.threshold is not None else predictor.contract.threshold
    identity = run_identity(predictor, str(size), threshold, options)  # the size policy, e.g. 'aspect 256x224'
    prepare_out(out_dir)
    batch, workers, writers = default_sizes(options, predictor.device.type == "cuda", size)
    # Never a batch larger than the images: every pass runs at the batch size (see pipeline.infer), so 100000
    # for one image would allocate 100000 images. The shard's count, not the images left, keeps a resumed run's
    # batches (and so its last bits) equal to a clean run's.
    batch = min(batch, max(1, len(items)))
    resolved = {"size": str(size), "batch_size": batch, "workers": workers,
                "writers": writers, "shard": [index, count], "threshold": threshold}
    lock = OutLock(out_dir, (index, count)).acquire()
    try:
        entries, redo_all = open_state(out_dir, lock, identity, options.overwrite)
        plan = make_plan(all_items, items, entries, out_dir, options.overlay, options.probs, redo_all)
        try:
            totals, failures, fatal = execute(plan, out_dir, journal_path(lock.dir, lock.shard), predictor,
                                              options, resolved, log)
        finally:  # also after an unexpected error: what was written is in the journal, merge it
            close_state(out_dir, lock, log)
            sweep_temp_files(out_dir, older_than=wall)
    finally:
        lock.release()
    totals.update(inputs=len(items), skipped=plan.skipped, changed=plan.changed, kept=plan.kept,
                  seconds=round(time.time() - wall, 3))
    report = {"command": "segment", "arguments": {**asdict(options), "resolved": resolved}, "identity": identity,
              "model": predictor.describe(), "versions": versions(), "totals": totals, "failures": failures,
              "started": started.isoformat(), "finished": datetime.now(timezone.utc).isoformat(),
              "host": platform.node(), **({"error": str(fatal)} if fatal is not None else {})}
    save_report(out_dir, f"run.shard-{index}-of-{count}.json" if count > 1 else "run.json", report, log)
    if fatal is not None:
        raise fatal
    return report


def save_report(out_dir: Path, name: str, report: dict, log: Callable[[str], None]) -> None:
    """run.json, also when the run stopped on a full disk (it is small; if even it cannot be written, say so)."""
    try:
        write_run_json(out_dir, name, report)
    except OSError as exc:
        log(f"could not write {out_dir / name} ({exc.strerror or exc})")


def execute(plan: Plan, out_dir: Path, journal_path: Path, predictor, options: SegmentOptions, resolved: dict,
            log: Callable[[str], None]) -> tuple[dict, list, UisegError | None]:
    """Remove stale outputs, run the pipeline over the plan's images with a progress bar; returns (totals,
    failures, the error that stopped the run: OUT full). Ctrl-C stops it cleanly."""
    from tqdm import tqdm
    from uiseg.infer.pipeline import Settings, run_batches
    from uiseg.infer.writer import OutputError, Stats, WriteOptions, Writer

    todo = plan.todo
    stats, lock = Stats(), threading.Lock()
    bar = tqdm(total=len(todo), unit="img", file=sys.stderr, dynamic_ncols=True, leave=False,
               disable=not (options.progress and sys.stderr.isatty()))

    def on_result(item, error):
        with lock:
            bar.update(1)
            if error:
                (log if bar.disable else bar.write)(f"failed: {error}")

    batch, writers = resolved["batch_size"], resolved["writers"]
    settings = Settings(resolve_size(options.size, predictor.contract), batch, resolved["workers"],
                        resolved["threshold"], options.probs)
    journal = Journal(journal_path)
    apply_plan(plan, out_dir, journal)
    writer = Writer(out_dir, todo, journal, WriteOptions(options.overlay, options.boxes, options.min_area), stats,
                    writers, 2 * batch + 4 * writers, on_result, plan.input_stats)
    interrupted, fatal, start = False, None, time.perf_counter()
    try:
        if todo:
            run_batches([i.path for i in todo], predictor, settings, writer, stats)
    except KeyboardInterrupt:
        interrupted = True
    except OutputError as exc:
        fatal = exc
    finally:
        try:
            writer.close()  # finishes every image already computed: nothing computed is thrown away
        except OutputError as exc:
            fatal = fatal or exc
        bar.close()
    seconds = time.perf_counter() - start
    per = (lambda s, n: round(1000.0 * s / n, 3) if n else 0.0)
    totals = {"todo": len(todo), "done": stats.done, "failed": stats.failed, "interrupted": interrupted,
              "processing_s": round(seconds, 3), "images_per_s": round(stats.done / seconds, 2) if seconds else 0.0,
              "ms_per_image": {"decode": per(stats.decode_s, stats.done + stats.failed),
                               "inference": per(stats.infer_s, stats.done), "encode": per(stats.encode_s, stats.done)}}
    return totals, stats.failures, fatal

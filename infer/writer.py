"""The writer pool: masks resized back to each image's size, PNG-encoded and written atomically, UI boxes
measured and the record journaled with the input's and outputs' fingerprints, in threads off the inference loop
(PNG encoding, hashing and the numpy work release the GIL). A semaphore bounds the images waiting, so a slow
disk slows the loop instead of filling memory.

An image whose logits hold NaN/Inf fails (never "ok" with an empty mask). A full disk, a quota or a read-only
file system stops the run (every further image would fail the same way) with one line naming the file and OUT."""

from __future__ import annotations

import errno
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from uiseg.infer.identity import input_fingerprint
from uiseg.infer.io import InputFile, write_outputs
from uiseg.infer.report import components, failed_record, ok_record
from uiseg.infer.state import Journal

from uiseg.errors import UisegError
from uiseg.resize import resize_nearest


@dataclass
class Stats:
    """Counters shared by the loop and the writer threads (all updates under one lock)."""

    done: int = 0
    failed: int = 0
    skipped: int = 0
    decode_s: float = 0.0
    infer_s: float = 0.0
    encode_s: float = 0.0
    failures: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **amounts) -> None:
        with self.lock:
            for key, value in amounts.items():
                setattr(self, key, getattr(self, key) + value)


NON_FINITE = "the model produced NaN/Inf: diverged training or broken weights; use another model, or retrain it"
OUT_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG)


class OutputError(UisegError):
    """OUT cannot take more files (disk full, quota, read-only): the run stops, what was written is kept."""


@dataclass
class WriteOptions:
    overlay: bool = False
    boxes: bool = True
    min_area: int = 64


class Writer:
    """Finishes images in `threads` threads. `on_result(item, error)` is called after each image (error None
    when written), from a writer thread."""

    def __init__(self, out_dir: Path, items: list[InputFile], journal: Journal, options: WriteOptions,
                 stats: Stats, threads: int, max_pending: int, on_result: Callable | None = None,
                 input_stats: dict | None = None):
        self.out_dir, self.items, self.journal = out_dir, items, journal
        self.input_stats = input_stats or {}  # rel -> stat at plan time: the input fingerprint's reference
        self.options, self.stats, self.on_result = options, stats, on_result
        self._pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="uiseg-writer")
        self._slots = threading.BoundedSemaphore(max(1, max_pending))
        self._fatal: BaseException | None = None

    def submit_output(self, output) -> None:
        for row in range(len(output.group.indices)):
            self._submit(self._finish, output, row)

    def submit_failure(self, index: int, error: str) -> None:
        self._submit(self._fail, self.items[index], error)

    def close(self) -> None:
        """Wait for every submitted image; re-raise the first unexpected error of a writer thread."""
        self._pool.shutdown(wait=True)
        self.journal.close()
        if self._fatal is not None:
            raise self._fatal

    def _submit(self, fn, *args) -> None:
        if self._fatal is not None:
            raise self._fatal
        self._slots.acquire()
        try:
            self._pool.submit(self._guard, fn, *args)
        except BaseException:
            self._slots.release()
            raise

    def _guard(self, fn, *args) -> None:
        try:
            fn(*args)
        except BaseException as exc:  # noqa: BLE001 - kept and re-raised in the loop's thread
            self._fatal = self._fatal or exc
        finally:
            self._slots.release()

    def _finish(self, output, row: int) -> None:
        item = self.items[output.group.indices[row]]
        start = time.perf_counter()
        output.wait()
        if self._fatal is not None:
            return
        if output.finite is not None and not bool(output.finite[row]):
            self._fail(item, f"{item.path}: {NON_FINITE}")
            return
        size = output.group.sizes[row]
        mask = resize_nearest(output.mask[row].numpy(), size)  # back to the image's own size
        probs = None if output.probs is None else resize_nearest(output.probs[row].numpy(), size)
        try:
            outputs = write_outputs(self.out_dir, item, mask, probs, self.options.overlay)
        except OSError as exc:
            self._out_full(exc, item)
            self._fail(item, f"{item.path}: cannot write its output to OUT {self.out_dir}: {exc}")
            return
        except UisegError as exc:
            self._fail(item, str(exc))
            return
        boxes = components(mask, self.options.min_area) if self.options.boxes else None
        entry = {"result": ok_record(item.rel, item.out, mask, boxes),
                 "input": input_fingerprint(item.path, self.input_stats.get(item.rel)), "outputs": outputs}
        self._journal(item, entry)
        self.stats.add(done=1, encode_s=time.perf_counter() - start)
        if self.on_result:
            self.on_result(item, None)

    def _fail(self, item: InputFile, error: str) -> None:
        if self._fatal is not None:
            return
        self._journal(item, {"result": failed_record(item.rel, error), "input": None, "outputs": {}})
        with self.stats.lock:
            self.stats.failed += 1
            self.stats.failures.append({"path": item.rel, "error": error})
        if self.on_result:
            self.on_result(item, error)

    def _journal(self, item: InputFile, entry: dict) -> None:
        try:
            self.journal.append({"path": item.rel, "entry": entry})
        except OSError as exc:
            self._out_full(exc, item, str(self.journal.path))
            raise

    def _out_full(self, exc: OSError, item: InputFile, what: str | None = None) -> None:
        """Raise OutputError when OUT itself cannot take files any more; other errors fail one image."""
        if exc.errno in OUT_FULL:
            what = what or (exc.filename and str(exc.filename)) or f"the outputs of {item.path}"
            raise OutputError(f"OUT {self.out_dir}: {exc.strerror or exc} while writing {what}; free space (or "
                              "choose another OUT), then run the same command again to resume") from None

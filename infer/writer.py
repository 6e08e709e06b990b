"""The writer pool: masks resized back to each image's size, PNG-encoded and written atomically, UI boxes
measured and the record journaled, in threads off the inference loop (PNG encoding and the numpy work
release the GIL). A semaphore bounds the images waiting, so a slow disk slows the loop instead of filling
memory."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from uiseg.infer.io import InputFile, write_outputs
from uiseg.infer.report import Journal, components, failed_record, ok_record

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


@dataclass
class WriteOptions:
    overlay: bool = False
    boxes: bool = True
    min_area: int = 64


class Writer:
    """Finishes images in `threads` threads. `on_result(item, error)` is called after each image (error None
    when written), from a writer thread."""

    def __init__(self, out_dir: Path, items: list[InputFile], journal: Journal, options: WriteOptions,
                 stats: Stats, threads: int, max_pending: int, on_result: Callable | None = None):
        self.out_dir, self.items, self.journal = out_dir, items, journal
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
        size = output.group.sizes[row]
        mask = resize_nearest(output.mask[row].numpy(), size)  # back to the image's own size
        probs = None if output.probs is None else resize_nearest(output.probs[row].numpy(), size)
        try:
            write_outputs(self.out_dir, item, mask, probs, self.options.overlay)
        except (UisegError, OSError) as exc:
            self._fail(item, str(exc) if isinstance(exc, UisegError) else f"{item.path}: cannot write: {exc}")
            return
        boxes = components(mask, self.options.min_area) if self.options.boxes else None
        self.journal.append(ok_record(item.rel, item.out, mask, boxes))
        self.stats.add(done=1, encode_s=time.perf_counter() - start)
        if self.on_result:
            self.on_result(item, None)

    def _fail(self, item: InputFile, error: str) -> None:
        self.journal.append(failed_record(item.rel, error))
        with self.stats.lock:
            self.stats.failed += 1
            self.stats.failures.append({"path": item.rel, "error": error})
        if self.on_result:
            self.on_result(item, error)

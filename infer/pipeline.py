"""The batch loop: decode workers -> same-size batches -> device -> writer pool.

- Decoding and resizing run in DataLoader worker processes, a chunk of images per task; a chunk comes back
  as stacked uint8 tensors, one per image size (uint8 is 4x less to move than float; conversion to float,
  padding to the model's multiple and the threshold all happen on the device).
- Memory stays flat whatever the number of files: the DataLoader keeps `prefetch_factor` chunks per worker in
  flight, the batcher holds at most two batches of leftovers, and the writer takes a bounded number of images.
- On CUDA, batches are pinned and copied with non_blocking=True, and results come back through pinned buffers
  and a CUDA event, so the loop never waits for the device; the writer threads wait for the event instead.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, Sampler
from uiseg.infer.io import load_for_model

from uiseg.errors import UisegError
from uiseg.model import padded_size


@dataclass
class Settings:
    size: Any  # uiseg.resize.SizePolicy: each image's model input (H, W) before padding
    batch_size: int
    workers: int
    threshold: float
    probs: bool = False
    chunk: int = 0  # images per decode task; 0 = chunk_size()'s default


@dataclass
class Group:
    """Images of one size, stacked: indices into the run's list, uint8 N x 3 x h x w, original (H, W)s."""

    indices: list[int]
    images: torch.Tensor
    sizes: list[tuple[int, int]]

    def pin_memory(self) -> Group:
        return Group(self.indices, self.images.pin_memory(), self.sizes)


@dataclass
class Chunk:
    """What one decode task returns: groups by size, (index, error) for unreadable files, decode seconds."""

    groups: list[Group]
    failures: list[tuple[int, str]]
    decode_s: float

    def pin_memory(self) -> Chunk:  # called by the DataLoader's pinning thread when pin_memory=True
        return Chunk([g.pin_memory() for g in self.groups], self.failures, self.decode_s)


class DecodeDataset(Dataset):
    """Item i: (i, uint8 3 x h x w or None, original (H, W) or None, error or None, seconds)."""

    def __init__(self, paths: list[str], policy):
        self.paths, self.size = paths, policy

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int):
        start = time.perf_counter()
        try:
            image, orig = load_for_model(self.paths[i], self.size)
            return i, image, orig, None, time.perf_counter() - start
        except UisegError as exc:
            return i, None, None, str(exc), time.perf_counter() - start
        except Exception as exc:  # noqa: BLE001 - one odd file must never stop the run
            return i, None, None, f"{self.paths[i]}: cannot decode ({type(exc).__name__}: {exc})", 0.0


def collate(items: list) -> Chunk:
    """Stack the images of a chunk by size (a folder of screenshots is usually one size: one group)."""
    by_size: dict[tuple, list] = {}
    failures, seconds = [], 0.0
    for i, image, orig, error, dt in items:
        seconds += dt
        if error is not None:
            failures.append((i, error))
        else:
            by_size.setdefault(tuple(image.shape), []).append((i, image, orig))
    groups = [Group([e[0] for e in entries], torch.stack([e[1] for e in entries]), [e[2] for e in entries])
              for entries in by_size.values()]
    return Chunk(groups, failures, seconds)


class ChunkSampler(Sampler):
    """Consecutive index chunks: the input order is kept, so batches (and results) are deterministic."""

    def __init__(self, n: int, chunk: int):
        self.n, self.chunk = n, max(1, chunk)

    def __iter__(self) -> Iterator[list[int]]:
        for start in range(0, self.n, self.chunk):
            yield list(range(start, min(self.n, start + self.chunk)))

    def __len__(self) -> int:
        return (self.n + self.chunk - 1) // self.chunk


def quiet_worker(worker_id: int) -> None:
    """In a decode worker: when the run stops (Ctrl-C), the thread that hands tensors to the main process
    (multiprocessing's resource sharer) may lose its peer; that is expected at shutdown and must not print
    a traceback over the run's last lines. Other errors still print."""
    import sys

    default = sys.excepthook

    def hook(exc_type, exc, tb):
        if not issubclass(exc_type, (ConnectionError, EOFError)):
            default(exc_type, exc, tb)

    sys.excepthook = hook


# Images per decode task, at least: each task costs a round trip to the worker (a shared-memory tensor handed
# over a socket), and on a small CPU batch (4 at 256x224) that overhead left the model waiting for input
# (measured ~0.2 s of 5 s on 2 cores); a task of whole batches covering this many pixels removes the waits.
CHUNK_PIXELS = 16 * 256 * 224


def chunk_size(settings: Settings) -> int:
    """Images per decode task: settings.chunk if given; a multiple of the batch size (so batches are slices
    of one task, no copies) of about CHUNK_PIXELS at a fixed size; at most 8 when sizes vary."""
    if settings.chunk:
        return settings.chunk
    batch = settings.batch_size
    if settings.size.kind == "native":
        return min(batch, 8)
    return batch * max(1, CHUNK_PIXELS // (batch * settings.size.pixels()))


def make_loader(paths: list[str], settings: Settings, pin: bool) -> DataLoader:
    chunk = chunk_size(settings)
    workers = settings.workers
    return DataLoader(DecodeDataset(paths, settings.size), batch_sampler=ChunkSampler(len(paths), chunk),
                      num_workers=workers, collate_fn=collate, pin_memory=pin, worker_init_fn=quiet_worker,
                      prefetch_factor=2 if workers else None, persistent_workers=False)


class Batcher:
    """Regroups same-size images across chunks into batches of batch_size; leftovers beyond two batches
    are flushed (largest first), so mixed-size folders cannot pile up memory."""

    def __init__(self, batch_size: int, pin: bool):
        self.batch_size, self.pin = batch_size, pin
        self.buckets: dict[tuple, list[Group]] = {}

    def pending(self, shape: tuple | None = None) -> int:
        groups = self.buckets.get(shape, []) if shape else [g for b in self.buckets.values() for g in b]
        return sum(len(g.indices) for g in groups)

    def add(self, group: Group) -> Iterator[Group]:
        shape = tuple(group.images.shape[1:])
        if len(group.indices) == self.batch_size and shape not in self.buckets:
            yield group  # the common case: a whole batch straight from a worker, no copy
            return
        self.buckets.setdefault(shape, []).append(group)
        while self.pending(shape) >= self.batch_size:
            yield self._take(shape, self.batch_size)
        while self.pending() > 2 * self.batch_size:
            yield self._take(max(self.buckets, key=self.pending), self.batch_size)

    def flush(self) -> Iterator[Group]:
        for shape in list(self.buckets):
            while shape in self.buckets:
                yield self._take(shape, self.batch_size)

    def _take(self, shape: tuple, n: int) -> Group:
        bucket, parts, count = self.buckets[shape], [], 0
        while bucket and count < n:
            g = bucket.pop(0)
            k = min(n - count, len(g.indices))
            if k < len(g.indices):
                bucket.insert(0, Group(g.indices[k:], g.images[k:], g.sizes[k:]))
            parts.append(Group(g.indices[:k], g.images[:k], g.sizes[:k]))
            count += k
        if not bucket:
            del self.buckets[shape]
        if len(parts) == 1:
            return parts[0]
        out = torch.empty((count, *shape), dtype=torch.uint8, pin_memory=self.pin)
        torch.cat([p.images for p in parts], out=out)
        return Group([i for p in parts for i in p.indices], out, [s for p in parts for s in p.sizes])


@dataclass
class Output:
    """One batch's results on the host: bool masks N x h x w at model resolution, optional probabilities,
    whether each image's logits were all finite; `event` (CUDA) must complete before they are read."""

    group: Group
    mask: torch.Tensor
    probs: torch.Tensor | None
    event: Any = None
    finite: torch.Tensor | None = None  # bool N: False = NaN/Inf logits (that image fails)

    def wait(self) -> None:
        if self.event is not None:
            self.event.synchronize()


def infer(predictor, group: Group, settings: Settings) -> Output:
    """uint8 batch -> [0, 1] float on the device -> pad to the model's multiple -> logits -> crop -> mask."""
    device, n = predictor.device, len(group.indices)
    x = group.images.to(device, non_blocking=True)
    if n < settings.batch_size:
        # Every forward pass runs at the same batch size: convolutions sum in a batch-size-dependent order
        # (CPU logits ~3e-8 apart), so a leftover image must not get different bits than in a full batch.
        x = torch.cat([x, x.new_zeros((settings.batch_size - n, *x.shape[1:]))])
    h, w = x.shape[-2:]
    ph, pw = padded_size(h, w, predictor.contract.pad_multiple)
    x = x.float().div_(255.0)
    if (ph, pw) != (h, w):
        x = F.pad(x, (0, pw - w, 0, ph - h))  # zeros right/bottom; cropped off again below
    logits = predictor.predict(x)[:n, 0, :h, :w]
    # A diverged model gives NaN logits; sigmoid(NaN) > t is False, an empty mask that would pass as "ok".
    finite = torch.isfinite(logits).flatten(1).all(1)
    probs = torch.sigmoid(logits)
    mask = probs > settings.threshold
    probs = probs if settings.probs else None
    if device.type != "cuda":
        return Output(group, mask, probs, finite=finite)
    host_mask = torch.empty(mask.shape, dtype=torch.bool, pin_memory=True).copy_(mask, non_blocking=True)
    host_finite = torch.empty(finite.shape, dtype=torch.bool, pin_memory=True).copy_(finite, non_blocking=True)
    host_probs = None
    if probs is not None:
        host_probs = torch.empty(probs.shape, pin_memory=True).copy_(probs, non_blocking=True)
    event = torch.cuda.Event()
    event.record(torch.cuda.current_stream(device))
    return Output(group, host_mask, host_probs, event, host_finite)


@dataclass
class StageTimer:
    """Seconds spent in a stage: wall clock on the CPU; CUDA events on a GPU (read when done, no sync)."""

    cuda: bool
    total: float = 0.0
    pending: list = field(default_factory=list)

    @contextlib.contextmanager
    def measure(self):
        if not self.cuda:
            start = time.perf_counter()
            yield
            self.total += time.perf_counter() - start
            return
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        yield
        end.record()
        self.pending.append((start, end))
        self._fold(wait=False)

    def _fold(self, wait: bool) -> None:
        while self.pending and (wait or self.pending[0][1].query()):
            start, end = self.pending.pop(0)
            end.synchronize()
            self.total += start.elapsed_time(end) / 1000.0

    def seconds(self) -> float:
        self._fold(wait=True)
        return self.total


def run_batches(items_paths: list[str], predictor, settings: Settings, writer, stats) -> None:
    """Decode, batch, infer and hand every batch (and every unreadable file) to `writer`."""
    pin = predictor.device.type == "cuda"
    batcher = Batcher(settings.batch_size, pin)
    timer = StageTimer(cuda=pin)
    # One input shape (fixed-size runs): let cuDNN pick its fastest kernels once. Not when sizes vary
    # (native, aspect), where every new image size would be tuned again.
    benchmark_before = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = pin and settings.size.fixed_size is not None
    threads_before = torch.get_num_threads()
    if not pin and not getattr(predictor, "torch_computes", True):
        # onnxruntime runs the model on its own threads; torch's OpenMP team only slows it (measured:
        # ~1.3x more img/s end to end on 2 cores) for the loop's small conversions.
        torch.set_num_threads(1)

    def step(group: Group) -> None:
        with timer.measure():
            output = infer(predictor, group, settings)
        writer.submit_output(output)

    loader = iter(make_loader(items_paths, settings, pin))
    try:
        for chunk in loader:
            stats.add(decode_s=chunk.decode_s)
            for index, error in chunk.failures:
                writer.submit_failure(index, error)
            for group in chunk.groups:
                for batch in batcher.add(group):
                    step(batch)
        for batch in batcher.flush():
            step(batch)
    finally:
        del loader  # shuts the decode workers down, also on Ctrl-C
        torch.backends.cudnn.benchmark = benchmark_before
        torch.set_num_threads(threads_before)
        stats.add(infer_s=timer.seconds())

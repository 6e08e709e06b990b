"""The measuring half of `uiseg benchmark`: a timing loop, peak memory, and agreement with the reference.

Timing rules (benchmarks/README.md explains them for readers of the tables):
- warm-up first: its first two passes run the parity batches (fresh random, then synthetic screenshots), so
  agreement costs no extra passes and cuDNN/ORT autotuning, lazy allocations and compilation are done before
  the clock starts;
- the timed passes cycle through a pool of input batches that already sit on the device in the layout and dtype
  the backend wants, so copies are not counted and no single batch stays hot in a cache;
- on CUDA each pass is bracketed by CUDA events on the current stream (the ORT backend orders its own stream
  into it) and at most two passes are in flight, so the host never runs ahead of what is measured.
"""

from __future__ import annotations

import math
import os
import threading
import time
from pathlib import Path

import numpy as np
import torch

try:
    _PAGE = os.sysconf("SC_PAGE_SIZE")
except (ValueError, OSError, AttributeError):  # not POSIX
    _PAGE = 4096


class PeakRSS:
    """Peak resident memory of this process while the block runs, sampled every `interval` seconds (MB)."""

    def __init__(self, interval: float = 0.005):
        self.interval, self.peak_mb = interval, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    @staticmethod
    def rss_mb() -> float:
        try:
            pages = int(Path("/proc/self/statm").read_text().split()[1])
            return pages * _PAGE / 2**20
        except (OSError, ValueError, IndexError):
            import resource  # not Linux: the lifetime peak is the best there is

            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, self.rss_mb())
            self._stop.wait(self.interval)

    def __enter__(self):
        self.peak_mb = self.rss_mb()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, self.rss_mb())


def outside_torch_mb(device: torch.device) -> float:
    """Device memory in use that torch's caching allocator does not hold (ORT's arena, library handles, other
    processes), in MB: cudaMemGetInfo's used minus torch's reserved."""
    free, total = torch.cuda.mem_get_info(device)
    return (total - free - torch.cuda.memory_reserved(device)) / 2**20


class GpuPeak:
    """Working GPU memory of one case (MB): the torch allocator's peak above what was allocated when the case
    began (the input pool and references are not counted), plus memory allocated outside torch since the
    backend was loaded (`outside_at_load`), which is where ORT's arena lives."""

    def __init__(self, device: torch.device, outside_at_load: float):
        self.device, self.outside_at_load, self.peak_mb = device, outside_at_load, 0.0

    def __enter__(self):
        torch.cuda.synchronize(self.device)
        torch.cuda.reset_peak_memory_stats(self.device)
        self._base = torch.cuda.memory_allocated(self.device)
        return self

    def __exit__(self, *exc) -> None:
        torch.cuda.synchronize(self.device)
        torch_peak = (torch.cuda.max_memory_allocated(self.device) - self._base) / 2**20
        self.peak_mb = torch_peak + max(0.0, outside_torch_mb(self.device) - self.outside_at_load)


def time_loop(predict, pool: list, *, warmup: int, repeats: int, min_repeats: int, budget_s: float,
              device: torch.device) -> tuple[list[float], list, float]:
    """Run `predict` over `pool` (cycled). Returns (per-pass milliseconds of the timed passes, the outputs of
    the first two warm-up passes (the parity batches), seconds the first pass took (compilation shows here)).

    Timed passes stop at `repeats`, or once at least `min_repeats` ran and `budget_s` seconds went by."""
    cuda = device.type == "cuda"
    parity, first_s = [], 0.0
    for i in range(max(warmup, 2)):
        t0 = time.perf_counter()
        out = predict(pool[i % len(pool)])
        if cuda:
            torch.cuda.synchronize(device)
        if i == 0:
            first_s = time.perf_counter() - t0
        if i < 2:
            parity.append(out)
    del out
    times = _timed_cuda(predict, pool, repeats, min_repeats, budget_s, device) if cuda else \
        _timed_cpu(predict, pool, repeats, min_repeats, budget_s)
    return times, parity, first_s


def _timed_cpu(predict, pool, repeats, min_repeats, budget_s) -> list[float]:
    times, started = [], time.perf_counter()
    for i in range(repeats):
        t0 = time.perf_counter()
        predict(pool[i % len(pool)])
        times.append((time.perf_counter() - t0) * 1e3)
        if i + 1 >= min_repeats and time.perf_counter() - started >= budget_s:
            break
    return times


def _timed_cuda(predict, pool, repeats, min_repeats, budget_s, device) -> list[float]:
    events: list[tuple] = []
    torch.cuda.synchronize(device)
    started = time.perf_counter()
    for i in range(repeats):
        begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        begin.record()
        predict(pool[i % len(pool)])
        end.record()
        events.append((begin, end))
        if i:  # keep at most two passes in flight: the GPU never idles, the host never races ahead
            events[-2][1].synchronize()
        if i + 1 >= min_repeats and time.perf_counter() - started >= budget_s:
            break
    torch.cuda.synchronize(device)
    return [b.elapsed_time(e) for b, e in events]


def latency_stats(times_ms: list[float], batch: int) -> dict:
    """Median, p90, p99 per batch; per image; images per second from the median."""
    med, p90, p99 = (float(v) for v in np.percentile(times_ms, [50, 90, 99]))
    return {"n": len(times_ms), "ms_median": med, "ms_p90": p90, "ms_p99": p99, "ms_img": med / batch,
            "img_s": batch * 1e3 / med if med > 0 else math.inf, "ms_min": float(min(times_ms))}


def agreement(refs: list, outs: list, threshold: float) -> dict:
    """max|Δ|, max|ref|, mask agreement and mask IoU of `outs` against `refs` (lists of logits tensors), pooled
    over the list. Computed in float32 on the reference's device, without copying outputs to the host twice."""
    cut = -math.inf if threshold <= 0 else math.inf if threshold >= 1 else math.log(threshold / (1 - threshold))
    max_abs = ref_max = 0.0
    same = inter = union = total = 0
    for ref, out in zip(refs, outs):
        out = out.to(ref.device, torch.float32)
        if out.shape != ref.shape:
            raise ValueError(f"output shape {tuple(out.shape)} differs from the reference {tuple(ref.shape)}")
        diff = (out - ref).abs()
        diff[~torch.isfinite(diff)] = math.inf  # NaN/inf must fail, never compare as equal
        max_abs = max(max_abs, float(diff.max()))
        ref_max = max(ref_max, float(ref.abs().max()))
        m_ref, m_out = ref > cut, out > cut
        same += int((m_ref == m_out).sum())
        inter += int((m_ref & m_out).sum())
        union += int((m_ref | m_out).sum())
        total += ref.numel()
    return {"max_abs": max_abs, "ref_max_abs": ref_max, "mask_agreement": same / total if total else 1.0,
            "iou": inter / union if union else 1.0}


__all__ = ["GpuPeak", "PeakRSS", "agreement", "latency_stats", "outside_torch_mb", "time_loop"]

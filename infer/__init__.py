"""Batch segmentation of screenshot folders (`uiseg segment`), installed as `uiseg.infer`.

Data path, kept short on purpose: `uiseg/cli/segment.py` -> `runner.py` (plan, resume, shard, summary) ->
`pipeline.py` (decode workers, same-size batches, writer pool) -> `backends/*` (one module per runtime).

Importing this package is cheap: torch and onnxruntime load only when a run or a backend needs them.
"""

from __future__ import annotations

from uiseg.errors import UsageError


class SetupError(UsageError):
    """A problem with the arguments, found before any image is read (missing model, no inputs, OUT inside
    INPUT, CUDA asked for but unusable). The CLI turns it into a usage error: exit code 2."""


def __getattr__(name: str):
    # Lazy re-exports: `from uiseg.infer import run_segment` without importing torch at package import.
    if name in ("SegmentOptions", "run_segment"):
        from uiseg.infer import runner

        return getattr(runner, name)
    if name in ("Predictor", "load_predictor"):
        from uiseg.infer import backends

        return getattr(backends, name)
    raise AttributeError(f"module 'uiseg.infer' has no attribute {name!r}")


__all__ = ["Predictor", "SegmentOptions", "SetupError", "load_predictor", "run_segment"]

"""What `uiseg benchmark` measures: a checkpoint (exported on the fly), an exported folder or file, or a random
default UNet, resolved to the files each backend loads."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from uiseg.errors import UisegError

ARTIFACTS = {"model.ts": "torchscript", "model.onnx": "onnx", "model.fp16.onnx": "onnx-fp16"}


@dataclass
class Models:
    """What to benchmark: a checkpoint (eager rows) and artifacts by kind; failures: kind -> why it is missing."""

    checkpoint: Path | None
    files: dict
    contract: object
    source: str
    failures: dict = field(default_factory=dict)
    export_s: float | None = None


def resolve_models(model, *, random_model: bool, workdir: Path, fp16: bool, seed: int = 0) -> Models:
    """A checkpoint (exported into workdir), an exported folder, a .ts/.onnx file, or a random default UNet."""
    if random_model and model is not None:
        raise UisegError("pass MODEL_OR_CKPT or --random-model, not both")
    if random_model:
        return _from_checkpoint(_random_checkpoint(workdir / "random-unet.ckpt", seed), workdir / "export",
                                fp16, f"random default UNet (seed {seed})")
    if model is None:
        raise UisegError("nothing to benchmark: pass a checkpoint, an exported folder or file, or --random-model")
    path = Path(model)
    if path.is_dir():
        return _from_artifacts(path, [path / name for name in ARTIFACTS], str(path))
    if path.name.endswith((".ts", ".onnx")):
        siblings = [path] + ([path.with_name(path.name[:-5] + ".fp16.onnx")] if path.name == "model.onnx" else [])
        return _from_artifacts(path.parent, siblings, str(path))
    return _from_checkpoint(path, workdir / "export", fp16, str(path))


def _random_checkpoint(path: Path, seed: int) -> Path:
    import torch

    from uiseg.checkpoint import make_checkpoint
    from uiseg.config import Contract
    from uiseg.model import UNet

    torch.manual_seed(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(make_checkpoint(UNet(), Contract(), {"note": "random weights, for benchmarking"}), path)
    return path


def _from_checkpoint(path: Path, out: Path, fp16: bool, source: str) -> Models:
    """Export every format; a format whose export fails becomes a failed row, not a crash."""
    from uiseg.checkpoint import load_checkpoint
    from uiseg.export import export_checkpoint

    loaded = load_checkpoint(path)
    models = Models(checkpoint=Path(path), files={}, contract=loaded.contract, source=source)
    started = time.perf_counter()
    jobs = [{"torchscript": True, "onnx": False}, {"torchscript": False, "onnx": True, "fp16": fp16}]
    for i, job in enumerate(jobs):
        try:
            manifest = export_checkpoint(loaded, out / str(i), verify=False, **job)
        except Exception as exc:  # noqa: BLE001 - an exporter failure is a row's reason, not the end
            for kind in ("torchscript",) if job["torchscript"] else ("onnx", "onnx-fp16"):
                models.failures[kind] = f"export failed: {short_reason(exc)}"
            continue
        models.files.update({ARTIFACTS[n]: out / str(i) / n for n in manifest["files"] if n in ARTIFACTS})
    models.export_s = round(time.perf_counter() - started, 2)
    return models


def _from_artifacts(folder: Path, candidates: list[Path], source: str) -> Models:
    """Artifacts as found; the checkpoint named in export.json, when it still exists, gives the eager rows."""
    from uiseg.config import Contract
    from uiseg.export.artifact import read_manifest, read_metadata

    files = {ARTIFACTS.get(p.name, "onnx-fp16" if p.name.endswith(".fp16.onnx") else
                           "onnx" if p.suffix == ".onnx" else "torchscript"): p for p in candidates if p.is_file()}
    if not files:
        raise UisegError(f"{source}: no model.ts, model.onnx or model.fp16.onnx here; pass a checkpoint or the "
                         "folder `uiseg export` wrote")
    checkpoint = None
    with contextlib.suppress(UisegError, OSError, KeyError, TypeError, ValueError):
        named = Path(read_manifest(folder)["checkpoint"]["path"])
        checkpoint = named if named.is_file() else None
    contract = Contract.from_dict(read_metadata(next(iter(files.values())))["contract"])
    return Models(checkpoint=checkpoint, files=files, contract=contract, source=source)


def short_reason(exc: BaseException) -> str:
    """The first line of an exception, for a table cell (the type too, unless it is uiseg's own error)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    prefix = "" if isinstance(exc, UisegError) else f"{type(exc).__name__}: "
    return (prefix + text)[:220] or type(exc).__name__


__all__ = ["ARTIFACTS", "Models", "resolve_models", "short_reason"]

"""uiseg.export: turn a checkpoint into TorchScript and ONNX files that carry their contract and prove parity.

    from uiseg.export import export_checkpoint
    manifest = export_checkpoint("runs/demo/best.ckpt", fp16=True)   # writes model.ts, model.onnx, ... export.json

Verification and metadata: the files are built with metadata whose "parity" is pending, written under a temporary
folder inside the output folder and verified from disk, exactly as a user would load them. Only when every row
passes is that file's part of the report embedded in its metadata; the file is then re-serialised and its graph
and weights are checked to be identical to the verified bytes (everything but the metadata), written atomically,
and its sha256 recorded in export.json (which holds the full report). A failed verification writes no artifact
and raises ParityError carrying the report. Heavy imports (torch, onnx, onnxruntime) happen inside functions.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from uiseg.export.artifact import sha256_bytes, versions, write_file, write_manifest
from uiseg.export.verify import ParityError

from uiseg import __version__
from uiseg.errors import UisegError

ONNX_OPSET = 18


def export_checkpoint(ckpt, out_dir=None, *, torchscript: bool = True, onnx: bool = True, fp16: bool = False,
                      opset: int = ONNX_OPSET, static_shape: tuple[int, int] | None = None, simplify: bool = False,
                      verify: bool = True, device: str = "cpu", verify_shapes=None, seed: int = 0) -> dict:
    """Export a checkpoint (path or LoadedCheckpoint) to out_dir (default: the checkpoint's folder).

    Writes model.ts, model.onnx, model.fp16.onnx (with fp16) and export.json; returns the manifest.
    `static_shape` (H, W) fixes ONNX H and W (batch stays dynamic). `verify_shapes` overrides the (batch, H, W)
    of the random verification inputs. Raises UisegError on bad input, ParityError when verification fails.
    """
    from uiseg.checkpoint import LoadedCheckpoint, load_checkpoint

    loaded = ckpt if isinstance(ckpt, LoadedCheckpoint) else load_checkpoint(ckpt)
    check_finite_weights(loaded)
    pad = loaded.contract.pad_multiple
    if pad % loaded.model_config.pad_multiple:
        raise UisegError(f"{loaded.path}: contract pad_multiple {pad} does not fit a UNet of depth "
                         f"{loaded.model_config.depth} (needs a multiple of {loaded.model_config.pad_multiple}); "
                         "retrain or fix the checkpoint's contract")
    _check_options(torchscript, onnx, fp16, simplify, opset, device, pad, static_shape, verify_shapes)
    out = Path(out_dir) if out_dir is not None else loaded.path.parent
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    artifacts, export_shape = _build(loaded, torchscript=torchscript, onnx=onnx, fp16=fp16, opset=opset,
                                     static_shape=static_shape, simplify=simplify)
    export_s = time.perf_counter() - started
    report, staged = None, {}
    if verify:  # staged files live in a hidden folder beside the outputs and vanish with it, pass or fail
        with tempfile.TemporaryDirectory(dir=out, prefix=".uiseg-export-") as staging:
            staged = {a["file"]: a["serialize"]({"status": "pending"}) for a in artifacts}
            report = _verify(loaded, artifacts, staged, Path(staging), export_shape=export_shape,
                             static_shape=static_shape, shapes=verify_shapes, seed=seed, device=device)
    verify_s = time.perf_counter() - started - export_s
    files = _write_final(out, artifacts, staged, report)
    manifest = {
        "format_version": 1, "uiseg_version": __version__,
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "checkpoint": {"path": str(Path(loaded.path).resolve()), "sha256": loaded.sha256},
        "checkpoint_sha256": loaded.sha256, "contract": loaded.contract.to_dict(),
        "model": asdict(loaded.model_config), "opset": opset if onnx else None,
        "static_shape": list(static_shape) if static_shape else None, "export_shape": list(export_shape),
        "device": device, "options": {"torchscript": torchscript, "onnx": onnx, "fp16": fp16,
                                      "simplify": simplify, "verify": verify},
        "versions": versions(), "files": files,
        "parity": report if report is not None else {"status": "skipped", "passed": None},
        "export_seconds": round(export_s, 3), "verify_seconds": round(verify_s, 3),
        "total_seconds": round(time.perf_counter() - started, 3),
    }
    write_manifest(out, manifest)
    return manifest


def check_finite_weights(loaded) -> None:
    """A diverged training run saves NaN/Inf weights; exporting them only makes artifacts that mark nothing."""
    import torch

    bad = [name for name, t in loaded.unet.state_dict().items()
           if t.is_floating_point() and not bool(torch.isfinite(t).all())]
    if bad:
        raise UisegError(f"{loaded.path}: the weights hold NaN/Inf ({len(bad)} tensors, e.g. {bad[0]}): diverged "
                         "training or broken weights; retrain (e.g. with a lower --lr) and export that checkpoint")


def _check_options(torchscript, onnx, fp16, simplify, opset, device, pad, static_shape, verify_shapes) -> None:
    if not (torchscript or onnx):
        raise UisegError("nothing to export: --no-torchscript and --no-onnx together; keep at least one")
    if (fp16 or simplify) and not onnx:
        flag = "--fp16" if fp16 else "--simplify"
        raise UisegError(f"{flag} applies to the ONNX file, but ONNX export is off; drop {flag} or --no-onnx")
    if onnx:
        import onnx as onnx_lib

        newest = onnx_lib.defs.onnx_opset_version()
        if not isinstance(opset, int) or not 17 <= opset <= newest:
            raise UisegError(f"opset {opset!r} is not supported: use 17..{newest} (default {ONNX_OPSET})")
    if device != "cpu" and not (device == "cuda" or device.startswith("cuda:")):
        raise UisegError(f"device {device!r}: use cpu or cuda")
    if device != "cpu":
        import torch

        if not torch.cuda.is_available():
            raise UisegError(f"--device {device}: torch sees no CUDA device (torch.cuda.is_available() is False; "
                             f"CUDA build of torch: {torch.version.cuda or 'no'}); use --device cpu")
    sizes = [("--static-shape", tuple(static_shape))] if static_shape else []
    sizes += [("verify shape", tuple(s)[-2:]) for s in verify_shapes or ()]
    for what, hw in sizes:
        if len(hw) != 2 or any(not isinstance(v, int) or v <= 0 or v % pad for v in hw):
            up = [-(-int(v) // pad) * pad for v in hw] if all(isinstance(v, int) for v in hw) else "?"
            raise UisegError(f"{what} {hw}: height and width must be positive multiples of {pad} "
                             f"(the model's pad multiple); e.g. {'x'.join(map(str, up))}")


def _build(loaded, *, torchscript, onnx, fp16, opset, static_shape, simplify):
    """Build the artifacts in memory: a list of dicts with file, format, precision, serialize(parity) -> bytes,
    signature(bytes) -> graph+weights identity; and the export shape (N, C, H, W)."""
    import torch
    from uiseg.export import onnx as onnx_export
    from uiseg.export import torchscript as ts_export
    from uiseg.export.artifact import build_metadata

    from uiseg.model import DeployModel, padded_size

    contract, cfg = loaded.contract, loaded.model_config
    deploy = DeployModel(loaded.unet, contract).to("cpu").eval()
    pad = contract.pad_multiple
    # Export at batch 2 and at least 2 blocks per side: a dynamic dim whose example is 1 would be specialised.
    hw = tuple(static_shape) if static_shape else tuple(max(v, 2 * pad) for v in padded_size(*contract.image_size, pad))
    example = torch.rand(2, cfg.in_channels, *hw, generator=torch.Generator().manual_seed(1234))

    def meta(fmt, precision, parity):
        return build_metadata(contract=contract, model=cfg, fmt=fmt, precision=precision,
                              opset=opset if fmt == "onnx" else None, checkpoint_sha256=loaded.sha256,
                              static_shape=tuple(static_shape) if static_shape else None, parity=parity)

    artifacts = []
    if torchscript:
        module = ts_export.to_torchscript(deploy, example)
        artifacts.append({"file": "model.ts", "format": "torchscript", "precision": "fp32",
                          "serialize": lambda parity: ts_export.serialize(module, meta("torchscript", "fp32", parity)),
                          "signature": ts_export.payload_signature})
    if onnx:
        proto = onnx_export.export_onnx(deploy, example, opset=opset, pad_multiple=pad, static=bool(static_shape))
        if simplify:
            proto = onnx_export.simplify(proto)
        protos = [("model.onnx", "fp32", proto)]
        if fp16:
            protos.append(("model.fp16.onnx", "fp16", onnx_export.to_fp16(proto)))
        for name, precision, model in protos:
            onnx_export.check(model)
            artifacts.append({"file": name, "format": "onnx", "precision": precision,
                              "serialize": lambda parity, m=model, p=precision: onnx_export.serialize(
                                  onnx_export.with_metadata(m, meta("onnx", p, parity))),
                              "signature": onnx_export.graph_signature})
    return artifacts, (2, cfg.in_channels, *hw)


def _verify(loaded, artifacts, staged, staging: Path, *, export_shape, static_shape, shapes, seed, device):
    from uiseg.export import verify as parity

    from uiseg.model import DeployModel

    files = []
    for a in artifacts:
        path = staging / a["file"]
        path.write_bytes(staged[a["file"]])
        files.append({"file": a["file"], "path": path, "format": a["format"], "precision": a["precision"]})
    shapes = [tuple(s) for s in shapes] if shapes else parity.default_shapes(
        loaded.contract.pad_multiple, tuple(export_shape[2:]), bool(static_shape))
    report = parity.verify_files(DeployModel(loaded.unet, loaded.contract), loaded.contract, files, shapes=shapes,
                                 seed=seed, device=device, static_shape=static_shape)
    if not report["passed"]:
        raise ParityError(report)
    return report


def _write_final(out: Path, artifacts, staged, report) -> dict:
    """Embed each file's parity rows, prove the payload is the verified one, write atomically, hash."""
    from uiseg.export.verify import report_for

    from uiseg.checkpoint import sha256_file

    files = {}
    for a in artifacts:
        name = a["file"]
        if report is None:
            data = a["serialize"]({"status": "skipped", "passed": None})
        else:
            data = a["serialize"](report_for(report, name))
            if a["signature"](data) != a["signature"](staged[name]):
                raise RuntimeError(f"{name}: re-serialising with the parity report changed the graph or weights")
        digest = sha256_bytes(data)
        write_file(out / name, data)
        if sha256_file(out / name) != digest:
            raise UisegError(f"{out / name}: the written file does not match what was exported (disk error?)")
        files[name] = {"format": a["format"], "precision": a["precision"], "sha256": digest, "size": len(data)}
    return files


__all__ = ["ParityError", "export_checkpoint"]

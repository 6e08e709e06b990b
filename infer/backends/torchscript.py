"""TorchScript backend: a `.ts` file from `uiseg export`; its contract comes from the artifact metadata
(parsed as JSON, never evaluated)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from uiseg.export.torchscript import quiet_jit
from uiseg.infer.backends import PredictorInfo, device_label
from uiseg.infer.backends.torch import prepare_module

from uiseg.checkpoint import sha256_file
from uiseg.config import Contract, load_contract
from uiseg.errors import UisegError


@dataclass
class TorchScriptPredictor(PredictorInfo):
    module: torch.jit.ScriptModule | None = None
    fp16_mode: str = ""  # "half": half weights and inputs; "autocast": frozen graphs keep fp32 constants

    @torch.inference_mode()
    def predict(self, batch: torch.Tensor) -> torch.Tensor:
        x = batch.to(self.device, non_blocking=True).contiguous(memory_format=torch.channels_last)
        if self.fp16_mode == "half":
            return self.module(x.half()).float()
        if self.fp16_mode == "autocast":
            with torch.autocast(self.device.type, dtype=torch.float16):
                return self.module(x).float()
        return self.module(x).float()


def read_contract(path: Path) -> tuple[Contract, dict]:
    """The artifact's metadata and the Contract in it; a file without one is refused with the fix."""
    from uiseg.export.artifact import read_metadata

    metadata = read_metadata(path)
    if not isinstance(metadata, dict) or "contract" not in metadata:
        raise UisegError(f"{path}: no uiseg contract in the model's metadata; re-export it with `uiseg export`")
    return load_contract(metadata["contract"], path), metadata


def load(path: Path, device: torch.device, precision: str) -> TorchScriptPredictor:
    contract, metadata = read_contract(path)
    try:
        with quiet_jit():
            module = torch.jit.load(str(path), map_location=device)
    except (RuntimeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        raise UisegError(f"{path}: not a loadable TorchScript file ({first}); re-export it") from None
    predictor = TorchScriptPredictor(name="torchscript", path=path, contract=contract, device=device,
                                     provider=device_label(device), precision=precision,
                                     sha256=sha256_file(path), metadata=metadata,
                                     module=prepare_module(module, device, precision))
    if precision == "fp16":
        _probe_fp16(predictor)
    return predictor


def _probe_fp16(predictor: TorchScriptPredictor) -> None:
    """Find a way to run fp16 now, not mid-run: half weights work for a plain scripted module; a frozen graph
    holds fp32 constants, so try autocast and check that it really produced fp16. Else refuse."""
    m = predictor.contract.pad_multiple
    probe = torch.zeros(1, 3, 2 * m, 2 * m, device=predictor.device)
    for mode in ("half", "autocast"):
        predictor.fp16_mode = mode
        try:
            with torch.inference_mode():
                if mode == "half":
                    predictor.module(probe.half())
                    return
                with torch.autocast(predictor.device.type, dtype=torch.float16):
                    if predictor.module(probe).dtype == torch.float16:
                        return
        except RuntimeError:
            continue
    raise UisegError(f"{predictor.path}: this TorchScript graph cannot run in fp16 here; use --precision fp32, "
                     "the ONNX fp16 artifact (--backend onnx), or the checkpoint (--backend torch)")

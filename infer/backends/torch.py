"""PyTorch eager backend: a uiseg checkpoint loaded with weights_only=True, wrapped in DeployModel."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from uiseg.infer.backends import PredictorInfo, device_label

from uiseg.checkpoint import load_checkpoint
from uiseg.model import DeployModel


@dataclass
class TorchPredictor(PredictorInfo):
    """DeployModel in eval mode, channels_last (faster convolutions on both oneDNN and cuDNN), fp16 weights
    on CUDA when asked (BatchNorm runs in fp16 too; parity with fp32 is checked by the export tests)."""

    model: torch.nn.Module | None = None

    @torch.inference_mode()
    def predict(self, batch: torch.Tensor) -> torch.Tensor:
        x = batch.to(self.device, non_blocking=True).contiguous(memory_format=torch.channels_last)
        if self.precision == "fp16":
            x = x.half()
        return self.model(x).float()


def prepare_module(model: torch.nn.Module, device: torch.device, precision: str) -> torch.nn.Module:
    """Move an eval-mode module to its device, channels_last, half weights for fp16."""
    model = model.eval().to(device, memory_format=torch.channels_last)
    return model.half() if precision == "fp16" else model


def load(path: Path, device: torch.device, precision: str) -> TorchPredictor:
    ckpt = load_checkpoint(path)
    model = prepare_module(DeployModel(ckpt.unet, ckpt.contract), device, precision)
    metadata = {"contract": ckpt.contract.to_dict(), "model": ckpt.hparams.get("model", {}),
                "train": ckpt.hparams.get("train", {})}
    return TorchPredictor(name="torch", path=path, contract=ckpt.contract, device=device,
                          provider=device_label(device), precision=precision, sha256=ckpt.sha256,
                          metadata=metadata, model=model)

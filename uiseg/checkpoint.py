"""Safe checkpoint loading shared by evaluate, export and the torch backend.

A uiseg checkpoint is a Lightning checkpoint whose `hyper_parameters` hold plain dicts:
`model` (ModelConfig fields), `contract` (Contract fields) and `train` (the training recipe).
Everything loads with `torch.load(weights_only=True)`: a file that needs arbitrary unpickling is refused.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from uiseg.config import Contract, ModelConfig, from_dict, load_contract
from uiseg.errors import UisegError


@dataclass
class LoadedCheckpoint:
    unet: Any  # uiseg.model.UNet, in eval mode
    contract: Contract
    model_config: ModelConfig
    hparams: dict
    sha256: str
    path: Path


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def read_checkpoint(path: str | Path) -> dict:
    """torch.load with weights_only=True; every failure is a UisegError naming the file and why."""
    import pickle

    import torch

    path = Path(path)
    if not path.is_file():
        raise UisegError(f"{path}: checkpoint not found; pass the .ckpt written by `uiseg train`")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if "weights only load failed" not in str(exc).lower():
            raise UisegError(f"{path}: not a checkpoint (not a torch file); pass the .ckpt written by "
                             "`uiseg train`") from None
        raise UisegError(
            f"{path}: refused: loading it needs arbitrary unpickling, which could run code. "
            "Only checkpoints written by `uiseg train` (plain tensors and values) are accepted"
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError, KeyError, IndexError) as exc:
        # KeyError/IndexError come from torch's legacy-format reader fed a non-torch file.
        reason = "not a torch file" if isinstance(exc, (KeyError, IndexError)) else str(exc).split(". ")[0][:160]
        raise UisegError(f"{path}: not a readable checkpoint, truncated or corrupt ({reason}); "
                         "re-copy it or retrain") from None


def make_checkpoint(unet, contract: Contract, train: dict | None = None) -> dict:
    """A minimal uiseg checkpoint dict (same keys Lightning writes), for tests and tools."""
    from dataclasses import asdict

    return {
        "state_dict": {f"model.{k}": v for k, v in unet.state_dict().items()},
        "hyper_parameters": {"model": asdict(unet.config), "contract": contract.to_dict(),
                             "train": dict(train or {})},
    }


def load_checkpoint(path: str | Path) -> LoadedCheckpoint:
    """Load a uiseg checkpoint into an eval-mode UNet plus its contract."""
    from uiseg.model import UNet

    path = Path(path)
    ckpt = read_checkpoint(path)
    hp = ckpt.get("hyper_parameters") if isinstance(ckpt, dict) else None
    if not isinstance(hp, dict) or "model" not in hp or "contract" not in hp or "state_dict" not in ckpt:
        raise UisegError(f"{path}: not a uiseg checkpoint (no model/contract hyper-parameters); "
                         "pass a .ckpt written by `uiseg train`")
    model_cfg = from_dict(ModelConfig, hp["model"])
    contract = load_contract(hp["contract"], path)
    unet = UNet.from_config(model_cfg)
    state = {k[len("model."):]: v for k, v in ckpt["state_dict"].items() if k.startswith("model.")}
    try:
        unet.load_state_dict(state)
    except RuntimeError as exc:
        first = str(exc).splitlines()[1:2] or [str(exc)[:200]]
        raise UisegError(f"{path}: weights do not fit the UNet its config describes ({first[0].strip()}); "
                         "use the .ckpt exactly as `uiseg train` wrote it, or retrain") from None
    unet.eval()
    return LoadedCheckpoint(unet, contract, model_cfg, hp, sha256_file(path), path)

"""The model that ships inside uiseg: `uiseg segment IN OUT` and `uiseg.load()` use it when no model is given.

default.onnx is an ONNX export of a UNet trained by `make default-model` (seeded and step-bounded, see
uiseg/models/build.py); default.json beside it is its export manifest plus how it was trained and what it scored.
Both are package data: a plain `pip install` of uiseg carries them.
"""

from __future__ import annotations

import json
from pathlib import Path

from uiseg.errors import UisegError

HERE = Path(__file__).parent
DEFAULT_ONNX = HERE / "default.onnx"
DEFAULT_CARD = HERE / "default.json"


def default_model() -> Path:
    """Path of the shipped ONNX model; an error naming the fix when this install lacks it."""
    if not DEFAULT_ONNX.is_file():
        raise UisegError(f"the default model {DEFAULT_ONNX} is missing from this install of uiseg; reinstall "
                         "uiseg, run `make default-model`, or pass --model")
    return DEFAULT_ONNX


def default_card() -> dict:
    """What default.json says about the shipped model (training recipe, scores); {} when absent."""
    try:
        return json.loads(DEFAULT_CARD.read_text())
    except (OSError, ValueError):
        return {}


__all__ = ["DEFAULT_CARD", "DEFAULT_ONNX", "default_card", "default_model"]

"""The model shipped inside uiseg: `uiseg segment IN OUT` needs no --model, and doctor and the card describe it."""

from __future__ import annotations

import hashlib
import json

import numpy as np
from click.testing import CliRunner
from PIL import Image

from uiseg.cli import main
from uiseg.models import DEFAULT_CARD, DEFAULT_ONNX, default_card, default_model
from uiseg.synth import VAL_FAMILIES, render


def test_the_shipped_model_is_package_data_with_its_card():
    path = default_model()
    card = default_card()
    assert path == DEFAULT_ONNX and DEFAULT_CARD.is_file()
    assert path.stat().st_size < 8_000_000  # "a few MB at most"
    assert card["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    scores = card["scores_on_held_out"]
    assert scores["mean_iou"] > 0.5 and all(0 < s["iou"] <= 1 for k, s in scores.items() if k != "mean_iou")
    assert set(card["held_out"]) == {"families", "worlds"} and card["training"]["steps"] > 0


def test_segment_without_model_uses_the_shipped_model(tmp_path):
    shots, out = tmp_path / "shots", tmp_path / "out"
    shots.mkdir()
    truths = {}
    for i, size in enumerate([(224, 256), (180, 320)]):  # (H, W), in a style family training never saw
        image, mask = render(90_000 + i, size, family=VAL_FAMILIES[i % len(VAL_FAMILIES)])
        image.save(shots / f"s{i}.png")
        truths[f"s{i}.png"] = np.asarray(mask) > 0
    result = CliRunner().invoke(main, ["segment", str(shots), str(out), "--workers", "0"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    run = json.loads((out / "run.json").read_text())
    assert default_card()["sha256"] in json.dumps(run)  # the run records which model made its masks
    for name, truth in truths.items():
        mask = np.asarray(Image.open(out / name)) > 0
        assert mask.shape == truth.shape
        iou = (mask & truth).sum() / max(1, (mask | truth).sum())
        assert iou > 0.3, (name, iou)  # a real model, not an empty mask: the UI is found


def test_doctor_reports_the_shipped_model():
    result = CliRunner().invoke(main, ["doctor", "--json"], catch_exceptions=False)
    facts = json.loads(result.output)
    assert facts["default_model"] == str(DEFAULT_ONNX)
    assert facts["default_model_sha256"] == default_card()["sha256"]

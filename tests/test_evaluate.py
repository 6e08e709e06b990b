"""Evaluation metrics on constructed cases with known TP/FP/FN, and the CLI's report files."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from easydata import save_pair, write_easy_dataset

from uiseg.checkpoint import make_checkpoint
from uiseg.cli import main
from uiseg.config import Contract
from uiseg.data import check_dataset
from uiseg.evaluate import Predictor, evaluate_pairs, pixel_counts, scores, summarize
from uiseg.model import UNet


def test_scores_from_known_counts():
    s = scores(tp=6, fp=2, fn=4)
    assert s["iou"] == pytest.approx(6 / 12)
    assert s["dice"] == pytest.approx(12 / 18)
    assert s["precision"] == pytest.approx(6 / 8)
    assert s["recall"] == pytest.approx(6 / 10)


def test_nothing_to_find_and_nothing_predicted_scores_one():
    assert scores(0, 0, 0) == {"iou": 1.0, "dice": 1.0, "precision": 1.0, "recall": 1.0}
    assert scores(0, 5, 0)["iou"] == 0.0 and scores(0, 0, 5)["recall"] == 0.0


def test_pixel_counts_on_a_constructed_case():
    mask = torch.zeros(4, 4, dtype=torch.bool)
    mask[:2, :] = True  # 8 UI pixels: top half
    prob = torch.zeros(1, 4, 4)
    prob[0, :, :2] = 0.9  # predicted: left half (8 pixels), 4 of them right
    assert pixel_counts(prob, mask, 0.5) == {"tp": 4, "fp": 4, "fn": 4, "tn": 4}


def test_probabilities_are_upsampled_to_the_mask_size():
    mask = torch.zeros(8, 8, dtype=torch.bool)
    mask[:, :4] = True
    prob = torch.tensor([[[1.0, 0.0], [1.0, 0.0]]])  # 2x2 prediction of the left half
    assert pixel_counts(prob, mask, 0.5) == {"tp": 32, "fp": 0, "fn": 0, "tn": 32}


def _constant(value: float, contract: Contract) -> Predictor:
    return Predictor(lambda x: torch.full((x.shape[0], 1, *x.shape[-2:]), value), contract, torch.device("cpu"))


def test_overall_is_from_summed_counts_not_the_mean(tmp_path):
    big = np.zeros((40, 40), bool)
    big[:10] = True  # a quarter UI
    small = np.zeros((20, 20), bool)
    small[:15] = True  # three quarters UI
    for stem, mask in (("big", big), ("small", small)):
        save_pair(tmp_path, stem, np.zeros((*mask.shape, 3), np.uint8), mask)
    pairs = check_dataset(tmp_path)
    rows = evaluate_pairs(pairs, _constant(1.0, Contract(image_size=(16, 16), pad_multiple=16)), batch_size=2)
    by_key = {r["key"]: r for r in rows}
    assert by_key["big"]["iou"] == pytest.approx(0.25) and by_key["small"]["iou"] == pytest.approx(0.75)
    assert by_key["big"]["recall"] == 1.0 and by_key["big"]["fp"] == 1200
    summary = summarize(rows)
    assert summary["overall"]["iou"] == pytest.approx((400 + 300) / (1600 + 400))
    assert summary["mean_per_image"]["iou"] == pytest.approx(0.5)


@pytest.fixture()
def checkpoint(tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "run" / "checkpoints" / "best.ckpt"
    path.parent.mkdir(parents=True)
    contract = Contract(image_size=(32, 32), pad_multiple=4)
    torch.save(make_checkpoint(UNet(base=4, depth=2), contract, {"batch_size": 2}), path)
    return path


@pytest.mark.parametrize("layout", ["folders", "seed"])
def test_cli_writes_csv_worst_first_and_summary(tmp_path, checkpoint, layout):
    data = write_easy_dataset(tmp_path / "data", 5, size=(48, 40), layout=layout)
    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["evaluate", str(data), "--checkpoint", str(checkpoint), "--out", str(out),
                                       "--batch-size", "2", "--workers", "0"])
    assert result.exit_code == 0, result.output
    assert "overall" in result.output and "worst" in result.output
    with open(out / "per_image.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 5 and [int(r["rank"]) for r in rows] == [1, 2, 3, 4, 5]
    ious = [float(r["iou"]) for r in rows]
    assert ious == sorted(ious)
    assert {(r["width"], r["height"]) for r in rows} == {("48", "40")}  # scored at the original size
    summary = json.loads((out / "summary.json").read_text())
    assert summary["images"] == 5
    assert set(summary["overall"]) == {"iou", "dice", "precision", "recall"}
    assert summary["model"]["sha256"] and summary["contract"]["image_size"] == [32, 32]


def test_cli_default_out_is_beside_the_run(tmp_path, checkpoint):
    data = write_easy_dataset(tmp_path / "val", 2)
    result = CliRunner().invoke(main, ["evaluate", str(data), "-c", str(checkpoint), "--workers", "0"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "run" / "eval-val" / "summary.json").is_file()


def test_cli_rejects_a_file_that_is_not_a_checkpoint(tmp_path):
    data = write_easy_dataset(tmp_path / "data", 2)
    bogus = tmp_path / "model.ckpt"
    bogus.write_bytes(b"not a checkpoint")
    result = CliRunner().invoke(main, ["evaluate", str(data), "--checkpoint", str(bogus)])
    assert result.exit_code == 1 and "model.ckpt" in result.output and "Traceback" not in result.output


def test_exported_model_scores_like_its_checkpoint(tmp_path, checkpoint):
    from uiseg.export import export_checkpoint

    export_checkpoint(checkpoint, tmp_path / "exported", onnx=False)
    data = write_easy_dataset(tmp_path / "data", 3, size=(40, 36))
    reports = {}
    for flag, path in (("--checkpoint", checkpoint), ("--model", tmp_path / "exported" / "model.ts")):
        out = tmp_path / flag.strip("-")
        result = CliRunner().invoke(main, ["evaluate", str(data), flag, str(path), "--out", str(out), "--workers", "0"])
        assert result.exit_code == 0, result.output
        reports[flag] = json.loads((out / "summary.json").read_text())
    assert reports["--model"]["model"]["kind"] == "torchscript"
    assert reports["--model"]["counts"] == pytest.approx(reports["--checkpoint"]["counts"], abs=3)


def test_cli_needs_exactly_one_model(tmp_path, checkpoint):
    data = write_easy_dataset(tmp_path / "data", 1)
    result = CliRunner().invoke(main, ["evaluate", str(data)])
    assert result.exit_code == 2 and "exactly one of --checkpoint" in result.output

"""Training end to end on an easy set with a tiny UNet (base=4, depth=2, 64x64, 40 steps), through the CLI."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner
from easydata import write_easy_dataset

from uiseg.checkpoint import load_checkpoint
from uiseg.cli import main
from uiseg.config import ModelConfig
from uiseg.errors import UisegError
from uiseg.train import TrainConfig, make_config, make_model_config

TINY = ["--base", "4", "--depth", "2", "--image-size", "64x64", "--batch-size", "8", "--workers", "0",
        "--learning-rate", "0.01", "--max-epochs", "100", "--seed", "0"]


def invoke(args):
    return CliRunner().invoke(main, args, catch_exceptions=False)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_easy_dataset(tmp_path_factory.mktemp("easy"), 44)


@pytest.fixture(scope="module")
def run(data, tmp_path_factory):
    """One 40-step training run shared by the tests below (val split: 4 of 44 images, 5 steps per epoch)."""
    out = tmp_path_factory.mktemp("run")
    result = invoke(["train", str(data), "--out", str(out), "--max-steps", "40", "--val-fraction", "0.1",
                     "--trainer", "gradient_clip_val=1.0", *TINY])
    assert result.exit_code == 0, result.output
    return out, result.output


def _train_losses(out):
    with open(out / "logs" / "metrics.csv") as fh:
        return [float(r["train_loss_step"]) for r in csv.DictReader(fh) if r.get("train_loss_step")]


def test_loss_falls_and_val_iou_beats_threshold(run):
    out, output = run
    losses = _train_losses(out)
    assert len(losses) >= 8
    assert sum(losses[-3:]) / 3 < 0.8 * sum(losses[:3]) / 3
    summary = json.loads((out / "summary.json").read_text())
    assert summary["best"]["val_iou"] > 0.6
    assert f"best val IoU {summary['best']['val_iou']:.3f}" in output
    closing = [line for line in output.splitlines() if line.startswith("best val IoU")]
    assert len(closing) == 1 and closing[0].endswith("checkpoints/best.ckpt") and " epochs, " in closing[0]


def test_summary_json_content(run):
    out, _ = run
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 40 and summary["epochs"] == 8 and summary["seconds"] > 0
    assert set(summary["best"]) == {"val_iou", "val_dice", "val_precision", "val_recall", "epoch", "step"}
    assert summary["checkpoints"]["best"].endswith("checkpoints/best.ckpt")
    assert summary["checkpoints"]["last"].endswith("checkpoints/last.ckpt")
    assert summary["data"]["train_images"] == 40 and summary["data"]["val_images"] == 4
    config = summary["config"]
    assert config["model"]["base"] == 4 and config["contract"]["image_size"] == [64, 64]
    assert config["train"]["trainer"] == {"gradient_clip_val": "1.0"}
    assert len(summary["history"]) == 8


def test_run_writes_pictures_and_logs(run):
    out, _ = run
    grids = sorted((out / "val_images").glob("epoch_*.png"))
    assert [g.name for g in grids][:2] == ["epoch_000.png", "epoch_001.png"] and len(grids) == 8
    assert (out / "val_timeline.gif").stat().st_size > 0
    assert (out / "final_prediction.png").stat().st_size > 0
    header = (out / "logs" / "metrics.csv").read_text().splitlines()[0].split(",")
    assert {"train_loss_step", "val_loss", "val_iou", "val_dice", "val_precision", "val_recall"} <= set(header)


def test_checkpoint_loads_weights_only(run):
    out, _ = run
    loaded = load_checkpoint(out / "checkpoints" / "best.ckpt")
    assert loaded.model_config.base == 4 and loaded.model_config.depth == 2
    assert loaded.contract.image_size == (64, 64) and loaded.contract.pad_multiple == 4
    assert loaded.hparams["train"]["batch_size"] == 8


def test_resume_continues_from_saved_step(run, data, tmp_path):
    out, _ = run
    # No --base/--depth/--image-size: the checkpoint's are used.
    args = ["train", str(data), "--out", str(tmp_path), "--resume", str(out / "checkpoints" / "last.ckpt"),
            "--max-steps", "50", "--workers", "0", "--batch-size", "8", "--learning-rate", "0.01",
            "--max-epochs", "100"]
    result = invoke(args)
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["steps"] == 50
    # history restored from the checkpoint (8 epochs) plus two new epochs that started at step 40
    assert [r["step"] for r in summary["history"]][-3:] == [40, 45, 50]
    assert load_checkpoint(tmp_path / "checkpoints" / "last.ckpt").model_config.base == 4


def test_unknown_trainer_argument_is_a_usage_error(data, tmp_path):
    result = CliRunner().invoke(main, ["train", str(data), "--out", str(tmp_path), "--trainer", "foo=1"])
    assert result.exit_code == 2
    assert "unknown Trainer argument 'foo'; see" in result.output


def test_malformed_trainer_pair_is_a_usage_error(data, tmp_path):
    result = CliRunner().invoke(main, ["train", str(data), "--out", str(tmp_path), "--trainer", "max_epochs"])
    assert result.exit_code == 2 and "is not KEY=VALUE" in result.output


def test_image_size_not_multiple_names_padded_size(data, tmp_path):
    result = CliRunner().invoke(main, ["train", str(data), "--out", str(tmp_path), "--image-size", "250x224"])
    assert result.exit_code == 1
    assert "use --image-size 256x224" in result.output and "Traceback" not in result.output


def test_bad_data_stops_before_training(tmp_path):
    (tmp_path / "data" / "images").mkdir(parents=True)
    result = CliRunner().invoke(main, ["train", str(tmp_path / "data"), "--out", str(tmp_path / "run"), *TINY])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_recipes_and_explicit_values():
    cpu = make_config("cpu")
    assert cpu.crop_size == (112, 128) and cpu.batch_size == 8 and cpu.max_steps > 0 and cpu.time_budget is None
    assert make_model_config("cpu").base == 8 and make_model_config("gpu") == ModelConfig()
    assert make_model_config("cpu", base=12, depth=None).base == 12
    assert make_config("gpu") == TrainConfig()
    assert make_config("cpu", batch_size=3, image_size=None).batch_size == 3  # explicit wins, None means unset
    with pytest.raises(UisegError, match="unknown recipe"):
        make_config("tpu")


def test_no_data_synthesises_train_and_unseen_style_val(tmp_path):
    out = tmp_path / "run"
    result = invoke(["train", "--out", str(out), "--synth-count", "16", "--max-steps", "4", "--profiler", "simple",
                     "--early-stop-patience", "2", "--accumulate-grad-batches", "2", *TINY])
    assert result.exit_code == 0, result.output
    assert len(list((out / "data" / "train" / "images").iterdir())) == 16
    assert len(list((out / "data" / "val" / "images").iterdir())) == 16
    summary = json.loads((out / "summary.json").read_text())
    assert summary["data"]["val"].endswith("data/val") and 1 <= summary["steps"] <= 4  # early stop may end it
    assert (out / "profile.txt").is_file() and "Profiler Report" in result.output


@pytest.mark.parametrize("epochs", [1, 3])
def test_timeline_gif_from_one_or_more_epochs(tmp_path, epochs):
    """A run stopped by its time budget inside epoch 0 leaves one grid; the GIF must still be written."""
    import imageio.v3 as iio
    import numpy as np

    from uiseg.callbacks import write_timeline

    frames = []
    for i in range(epochs):
        frames.append(tmp_path / f"epoch_{i:03d}.png")
        iio.imwrite(frames[-1], np.full((8, 12, 3), 40 * i, np.uint8))
    gif = write_timeline(frames, tmp_path / "val_timeline.gif")
    assert gif is not None and iio.imread(gif, index=None).shape[0] == epochs


def test_two_seeded_cpu_recipe_runs_give_identical_weights(tmp_path):
    """The CPU recipe (synthetic data, zoom/crop augmentation) at a few steps: same seed, same weights, even
    with another number of DataLoader workers; another seed gives other weights."""
    import torch

    def weights(name, *extra):
        out = tmp_path / name
        result = invoke(["train", "--out", str(out), "--recipe", "cpu", "--synth-count", "16", "--max-steps", "3",
                         "--base", "4", "--depth", "2", "--augment", "0.5", *extra])
        assert result.exit_code == 0, result.output
        return torch.load(out / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]

    a, b = weights("a", "--workers", "0"), weights("b", "--workers", "1")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    c = weights("c", "--workers", "0", "--seed", "1")
    assert any(not torch.equal(a[k], c[k]) for k in a)

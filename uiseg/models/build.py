"""`make default-model`: train, export and score the model that ships inside uiseg, then install it.

    python -m uiseg.models.build --work runs/default-model                  # train with the default recipe
    python -m uiseg.models.build --work runs/x --checkpoint best.ckpt       # export/score/install a checkpoint

Seeded and step-bounded, like every recipe: the same command on the same versions gives the same weights.
Honest scores need data the model never saw, so training leaves out two style families (VAL_FAMILIES) and the
world kinds in HELD_OUT_WORLDS; the shipped model is scored, as an ONNX file through the same code as
`uiseg segment`, on screenshots of exactly those, and the scores go into uiseg/models/default.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

from uiseg.models import DEFAULT_CARD, DEFAULT_ONNX

# World kinds the shipped model never trains on, so that its card can say how it does on unseen worlds.
HELD_OUT_WORLDS = ("dungeon", "backdrop")
TEST_COUNT = 96  # screenshots per held-out family / world kind


def _held_out_worlds() -> tuple[str, ...]:
    from uiseg.synth import WORLDS

    return tuple(w for w in HELD_OUT_WORLDS if w in WORLDS)


def make_data(cfg, work: Path) -> tuple[Path, Path, dict[str, Path]]:
    """(train, val, {held-out name: test folder}): train never shows a held-out family or world kind."""
    from uiseg.bench.generalise import TEST_SIZES, cached_generate
    from uiseg.synth import TRAIN_FAMILIES, VAL_FAMILIES, WORLDS

    worlds = tuple(w for w in WORLDS if w not in _held_out_worlds())
    seen = {"families": TRAIN_FAMILIES, "worlds": worlds}
    train = cached_generate(work / "data" / "train", cfg.synth_count, cfg.synth_sizes, cfg.seed, **seen)
    val = cached_generate(work / "data" / "val", min(250, max(16, cfg.synth_count // 8)), cfg.synth_sizes,
                          cfg.seed + 1_000_000, families=VAL_FAMILIES, worlds=worlds)
    tests = {f"family {f}": cached_generate(work / "data" / "test" / f"family-{f}", TEST_COUNT, TEST_SIZES,
                                            8_000_000, families=(f,), worlds=worlds) for f in VAL_FAMILIES}
    tests.update({f"world {w}": cached_generate(work / "data" / "test" / f"world-{w}", TEST_COUNT, TEST_SIZES,
                                                8_000_001, families=TRAIN_FAMILIES, worlds=(w,))
                  for w in _held_out_worlds()})
    return train, val, tests


def train(recipe: str, overrides: dict, work: Path) -> tuple[Path, dict]:
    """Train with the recipe on the held-out-aware data; returns (best checkpoint, training summary)."""
    from uiseg.bench.generalise import split_overrides
    from uiseg.train import make_config, make_model_config, run_training

    train_over, model_over = split_overrides(overrides)
    cfg, model_cfg = make_config(recipe, **train_over), make_model_config(recipe, **model_over)
    data, val, _ = make_data(cfg, work)
    summary = run_training(cfg, model_cfg, out=work / "run", data=data, val_data=val)
    return Path(summary["checkpoints"]["best"] or summary["checkpoints"]["last"]), summary


def score(onnx: Path, tests: dict[str, Path], work: Path) -> dict:
    """IoU/Dice/precision/recall of the exported file on each held-out set, as `uiseg evaluate --model`."""
    from uiseg.evaluate import run_evaluation

    scores = {}
    for name, folder in tests.items():
        ev = run_evaluation(folder, onnx, out=work / "eval" / name.replace(" ", "-"), device="cpu",
                            log=lambda m: None)
        scores[name] = {k: round(v, 4) for k, v in ev["overall"].items()}
    scores["mean_iou"] = round(sum(s["iou"] for s in scores.values()) / len(tests), 4)
    return scores


def build(work: Path, recipe: str, overrides: dict, checkpoint: Path | None, install: bool) -> dict:
    from uiseg.bench.generalise import split_overrides
    from uiseg.checkpoint import load_checkpoint
    from uiseg.export import export_checkpoint
    from uiseg.synth import VAL_FAMILIES
    from uiseg.train import make_config

    started = time.perf_counter()
    summary, trained = None, checkpoint is None
    if trained:
        checkpoint, summary = train(recipe, overrides, work)
    manifest = export_checkpoint(checkpoint, work / "export", torchscript=False, onnx=True)
    onnx = work / "export" / "model.onnx"
    _, _, tests = make_data(make_config(recipe, **split_overrides(overrides)[0]), work)
    card = {
        "model": DEFAULT_ONNX.name, "sha256": manifest["files"]["model.onnx"]["sha256"],
        "command": "make default-model" if trained else None, "recipe": recipe,
        "overrides": overrides, "checkpoint_sha256": load_checkpoint(checkpoint).sha256,
        "held_out": {"families": list(VAL_FAMILIES), "worlds": list(_held_out_worlds())},
        "scores_on_held_out": score(onnx, tests, work), "contract": manifest["contract"],
        "model_config": manifest["model"], "versions": manifest["versions"],
        "training": None if summary is None else {k: summary[k] for k in ("steps", "epochs", "seconds", "device")},
        "build_seconds": round(time.perf_counter() - started, 1),
    }
    if install:
        shutil.copyfile(onnx, DEFAULT_ONNX)
        DEFAULT_CARD.write_text(json.dumps(card, indent=2) + "\n")
    return card


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("runs/default-model"))
    parser.add_argument("--recipe", default="default")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--checkpoint", type=Path, default=None, help="skip training: ship this checkpoint")
    parser.add_argument("--no-install", dest="install", action="store_false",
                        help="build and score only; leave uiseg/models untouched")
    args = parser.parse_args(argv)
    overrides = {}
    for item in args.overrides:
        key, _, value = item.partition("=")
        try:
            overrides[key] = json.loads(value)
        except ValueError:
            overrides[key] = value
    card = build(args.work, args.recipe, overrides, args.checkpoint, args.install)
    print(json.dumps(card["scores_on_held_out"], indent=2))
    print(f"{'installed' if args.install else 'built'} {card['model']} (sha256 {card['sha256'][:12]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

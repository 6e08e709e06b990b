"""`uiseg evaluate DATA --checkpoint CKPT`: parse flags, call uiseg.evaluate.run_evaluation."""

from __future__ import annotations

import click

from uiseg.cli._common import friendly_errors


@click.command(context_settings={"show_default": True})
@click.argument("data", type=click.Path(exists=True, file_okay=False))
@click.option("--checkpoint", "-c", type=click.Path(exists=True, dir_okay=False),
              help="A .ckpt written by `uiseg train` (e.g. RUN/checkpoints/best.ckpt).")
@click.option("--model", "-m", type=click.Path(exists=True, dir_okay=False),
              help="Or an exported model.ts / model.onnx (from `uiseg export`), run by its uiseg.infer backend.")
@click.option("--out", "-o", type=click.Path(file_okay=False),
              help="Report folder [RUN/eval-<DATA name> beside the checkpoint's run].")
@click.option("--batch-size", type=click.IntRange(1), default=8)
@click.option("--workers", type=click.IntRange(0), help="DataLoader workers [min(8, cores - 1)].")
@click.option("--device", help="cpu, cuda, cuda:1 ... [cuda if available, else cpu]")
@click.option("--size", default="auto",
              help="Model input size, as `uiseg segment --size`: auto (the model's own policy), aspect, stretch, "
                   "native or WIDTHxHEIGHT.")
@friendly_errors
def command(data, checkpoint, model, out, batch_size, workers, device, size):
    """Score a model on DATA (folders or seed layout): IoU, Dice, precision, recall, overall and per image.

    Images are predicted at the --size policy's input size and scored against the masks at their own size.
    Writes OUT/per_image.csv (worst IoU first) and OUT/summary.json.
    """
    from uiseg.evaluate import run_evaluation

    if (checkpoint is None) == (model is None):
        raise click.UsageError("pass exactly one of --checkpoint CKPT or --model model.ts|model.onnx")
    run_evaluation(data, checkpoint or model, out=out, batch_size=batch_size, workers=workers, device=device,
                   size=size, log=click.echo)

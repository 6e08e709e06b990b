"""`uiseg synth OUT`: write synthetic game screenshots and their UI masks."""

from __future__ import annotations

import time
from pathlib import Path

import click

from uiseg.cli._common import friendly_errors
from uiseg.config import parse_size
from uiseg.errors import UisegError


def _sizes(ctx, param, values) -> list[tuple[int, int]]:
    try:
        return [parse_size(v) for v in values]
    except UisegError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("synth")
@click.argument("out", type=click.Path(file_okay=False, dir_okay=True, writable=True, path_type=Path))
@click.option("--count", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Samples to write.")
@click.option("--size", "sizes", multiple=True, default=("256x224",), show_default=True, callback=_sizes,
              help="Screen size WIDTHxHEIGHT; repeat to mix sizes (each sample picks one).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--layout", type=click.Choice(["folders", "seed"]), default="folders", show_default=True,
              help="folders: images/0001.png + masks/0001.png; seed: 1_input.png + 1_target.jpg.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Processes [default: all CPUs].")
@click.option("--families", default=None, help="Comma-separated style families to draw from [default: all].")
@click.option("--val-families", is_flag=True, help="Only the families held out for validation.")
@click.option("--train-families", is_flag=True, help="Only the families used for training (all but val).")
@click.option("--worlds", default=None, help="Comma-separated world kinds to draw [default: all].")
@friendly_errors
def command(out, count, sizes, seed, layout, workers, families, val_families, train_families, worlds):
    """Write COUNT synthetic game screenshots with exact UI masks into OUT (and OUT/meta.jsonl: each sample's
    family, world kind and size)."""
    from uiseg import synth  # lazy: keeps `uiseg --help` fast

    if sum(bool(x) for x in (families, val_families, train_families)) > 1:
        raise click.UsageError("use only one of --families, --val-families, --train-families")
    chosen = None
    if families:
        chosen = tuple(f.strip() for f in families.split(",") if f.strip())
    elif val_families:
        chosen = synth.VAL_FAMILIES
    elif train_families:
        chosen = synth.TRAIN_FAMILIES
    start = time.perf_counter()
    kinds = tuple(k.strip() for k in worlds.split(",") if k.strip()) if worlds else None
    n = synth.generate(out, count, sizes, seed, layout=layout, workers=workers, families=chosen, worlds=kinds)
    seconds = time.perf_counter() - start
    click.echo(f"wrote {n} samples to {out} in {seconds:.1f} s ({n / max(seconds, 1e-9):.1f} img/s)")

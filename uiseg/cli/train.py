"""`uiseg train [DATA] --out RUN`: parse flags, call uiseg.train.run_training. No work happens here."""

from __future__ import annotations

import json
from pathlib import Path

import click

from uiseg.cli._common import command_line, friendly_errors, sigterm_as_interrupt
from uiseg.errors import UisegError
from uiseg.recipes import recipe_default as D

DIR = click.Path(exists=True, file_okay=False)


def _size(ctx, param, value):
    if value is None:
        return None
    from uiseg.config import parse_size

    try:
        return parse_size(value, f"--{param.name.replace('_', '-')}")
    except UisegError as exc:
        raise click.BadParameter(str(exc)) from None


def _literal(text: str):
    """A JSON literal (numbers, true/false/null, lists, quoted strings), else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _trainer_kwargs(ctx, param, values):
    """--trainer KEY=VALUE pairs -> dict, each KEY checked against Trainer.__init__'s signature."""
    from uiseg.trainer import check_trainer_kwargs

    kwargs = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not KEY=VALUE, e.g. --trainer gradient_clip_val=1.0")
        kwargs[key.strip()] = _literal(raw.strip())
    try:
        check_trainer_kwargs(kwargs)
    except UisegError as exc:
        raise click.BadParameter(str(exc)) from None
    return kwargs


def _max_steps(ctx, param, value):
    if value is not None and (value == 0 or value < -1):
        raise click.BadParameter(f"{value} trains nothing; pass a positive number of steps, or -1 for no limit")
    return value


def _devices(value):
    return None if value is None else _literal(value)


@click.command(context_settings={"show_default": True})
@click.argument("data", required=False, type=DIR)
@click.option("--out", "-o", required=True, type=click.Path(file_okay=False), help="Run folder (created).")
@click.option("--recipe", type=click.Choice(["auto", "cpu", "gpu"]), default="auto",
              help="Defaults for every flag left unset (shown as [gpu ..., cpu ...] below). auto: gpu when CUDA is "
                   "used. Both are bounded by steps/epochs, never by the clock: same seed, same weights.")
@click.option("--val-data", type=DIR, help="Explicit validation set (no split of DATA).")
@click.option("--image-size", callback=_size,
              help=f"Inference size WxH, a multiple of 2^depth; with the aspect policy, its pixel count "
                   f"{D('image_size')}.")
@click.option("--crop-size", callback=_size,
              help=f"Training window WxH (aspect policy): crops of frames at the inference scale; none = the "
                   f"whole --image-size {D('crop_size')}.")
@click.option("--resize-policy", type=click.Choice(["aspect", "stretch"]),
              help=f"How images meet --image-size in training and, recorded in the model, at inference "
                   f"{D('resize_policy')}.")
@click.option("--batch-size", type=click.IntRange(1), help=D("batch_size"))
@click.option("--learning-rate", "--lr", type=click.FloatRange(0, min_open=True),
              help=f"Peak LR {D('learning_rate')}.")
@click.option("--max-epochs", type=click.IntRange(1), help=D("max_epochs"))
@click.option("--max-steps", type=int, callback=_max_steps,
              help=f"Stop after this many optimizer steps (-1: no limit) {D('max_steps')}.")
@click.option("--time-budget", type=click.FloatRange(0, min_open=True),
              help="Seconds of training: stop then, with the LR schedule following the clock (off by default: "
                   "a clock makes results depend on the machine).")
@click.option("--overfit-num", type=click.IntRange(1), help="Train and validate on the same N images.")
@click.option("--val-fraction", type=click.FloatRange(0, 1, min_open=True, max_open=True), help=D("val_fraction"))
@click.option("--seed", type=int, help=f"Seeds the split, augmentation and weights {D('seed')}.")
@click.option("--workers", type=click.IntRange(0), help="DataLoader workers [min(8, cores - 1)].")
@click.option("--base", type=click.IntRange(1), help=f"UNet width, channels of the first level {D('base')}.")
@click.option("--depth", type=click.IntRange(1), help=f"UNet levels; sizes must be multiples of 2^depth {D('depth')}.")
@click.option("--loss", type=click.Choice(["bce", "bce+dice"]), help=D("loss"))
@click.option("--pos-weight", type=click.FloatRange(0, min_open=True), help=f"BCE weight of UI pixels {D('pos_weight')}.")
@click.option("--optimizer", type=click.Choice(["adam", "adamw"]), help=D("optimizer"))
@click.option("--schedule", type=click.Choice(["cosine", "onecycle", "none"]), help=D("schedule"))
@click.option("--augment", type=click.FloatRange(0, 4),
              help=f"Photometric augmentation strength, 0 = zoom/crop only {D('augment')}.")
@click.option("--synth-count", type=click.IntRange(1), help=f"Images to synthesise with no DATA {D('synth_count')}.")
@click.option("--accelerator", help="cpu, gpu, cuda, mps, auto [auto]")
@click.option("--devices", help="Number, list or 'auto' [auto]")
@click.option("--num-nodes", type=click.IntRange(1), help="[1]")
@click.option("--strategy", help="auto, ddp, ... [auto]")
@click.option("--precision", help="e.g. 32-true, bf16-mixed, 16-mixed [bf16-mixed on CUDA, else 32-true]")
@click.option("--profiler", type=click.Choice(["simple", "advanced"]), help="Report printed and saved to RUN/profile.txt.")
@click.option("--early-stop-patience", type=click.IntRange(1), help="Stop after N epochs without a better val IoU.")
@click.option("--accumulate-grad-batches", type=click.IntRange(1), help="[1]")
@click.option("--resume", type=click.Path(exists=True, dir_okay=False), help="Continue from RUN/checkpoints/last.ckpt.")
@click.option("--overwrite", is_flag=True,
              help="--out holds a run: start it again (its checkpoints, logs and pictures are removed; synthetic "
                   "data is kept). Without it, or --resume, such an --out is refused.")
@click.option("--trainer", "trainer_kwargs", multiple=True, callback=_trainer_kwargs, metavar="KEY=VALUE",
              help="Any other pytorch_lightning.Trainer argument (repeatable); VALUE is a JSON literal or text.")
@friendly_errors
def command(data, out, recipe, val_data, base, depth, resume, overwrite, trainer_kwargs, devices, **options):
    """Train a UNet on DATA (folders or seed layout); with no DATA, on synthetic screenshots made in RUN/data.

    Writes RUN/checkpoints/{best,last}.ckpt, RUN/logs/metrics.csv, RUN/val_images/, RUN/val_timeline.gif,
    RUN/final_prediction.png and RUN/summary.json. Ctrl-C or `kill` saves RUN/checkpoints/last.ckpt, prints the
    command that resumes, exit code 130; a loss that turns NaN/Inf stops the run, exit code 1.
    """
    from uiseg.train import make_config, make_model_config, prepare_run_dir, resolve_recipe
    from uiseg.trainer import check_trainer_setup

    recipe = resolve_recipe(recipe, options["accelerator"] or "auto")
    if resume is not None:
        model_cfg, options["image_size"] = _resume_defaults(resume, base, depth, options["image_size"])
    else:
        model_cfg = make_model_config(recipe, base=base, depth=depth)
    cfg = make_config(recipe, devices=_devices(devices), trainer=trainer_kwargs or None, **options)
    check_trainer_setup(cfg)  # before anything is printed, synthesised or read (run_training checks it too)
    prepare_run_dir(Path(out), resume, overwrite)  # an --out holding a run: refused, or --overwrite clears it
    crop = f", crops {cfg.crop_size[1]}x{cfg.crop_size[0]}" if cfg.crop_size else ""
    click.echo(f"recipe {recipe}: UNet base {model_cfg.base}, depth {model_cfg.depth}; {cfg.resize_policy} "
               f"{cfg.image_size[1]}x{cfg.image_size[0]}{crop}, batch {cfg.batch_size}, augment {cfg.augment}, "
               f"{cfg.max_steps if cfg.max_steps > 0 else cfg.max_epochs} "
               f"{'steps' if cfg.max_steps > 0 else 'epochs'}"
               + (f", time budget {cfg.time_budget:.0f} s" if cfg.time_budget else ""))
    _train(cfg, model_cfg, out, data, val_data, resume)


def _train(cfg, model_cfg, out, data, val_data, resume) -> None:
    """run_training, with Ctrl-C and SIGTERM ending in exit code 130 and the command that resumes."""
    import shlex
    import signal

    from uiseg.train import TrainingInterrupted, run_training

    ctx, previous = click.get_current_context(), sigterm_as_interrupt()
    try:
        run_training(cfg, model_cfg, out=out, data=data, val_data=val_data, resume=resume, log=click.echo)
    except TrainingInterrupted as stop:
        saved = f"saved {stop.checkpoint}" if stop.checkpoint.is_file() else "no checkpoint could be saved"
        again = shlex.join(["uiseg", *_without_resume(command_line()), "--resume", str(stop.checkpoint)])
        click.echo(f"interrupted at step {stop.step}: {saved}; resume with: {again}", err=True)
        ctx.exit(130)
    except KeyboardInterrupt:
        click.echo("interrupted before training started: nothing to resume; run the same command again", err=True)
        ctx.exit(130)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _without_resume(argv: list[str]) -> list[str]:
    """The command line minus --resume PATH / --resume=PATH and --overwrite (the resume command adds its own)."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--resume":
            skip = True
        elif not arg.startswith("--resume=") and arg != "--overwrite":
            kept.append(arg)
    return kept or ["train"]


def _resume_defaults(resume, base, depth, image_size):
    """With --resume, the UNet shape and image size not given on the command line come from the checkpoint."""
    from dataclasses import replace

    from uiseg.trainer import resume_settings

    ckpt_model, ckpt_size = resume_settings(resume)
    given = {k: v for k, v in (("base", base), ("depth", depth)) if v is not None}
    return replace(ckpt_model, **given), image_size if image_size is not None else ckpt_size

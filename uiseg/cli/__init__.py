"""The `uiseg` command group. Commands load lazily so `uiseg --help` does not import torch."""

from __future__ import annotations

import importlib

import click

from uiseg import __version__

# command name -> module under uiseg.cli that defines a click command called `command`
COMMANDS = {
    "synth": "synth",
    "train": "train",
    "evaluate": "evaluate",
    "export": "export",
    "segment": "segment",
    "benchmark": "benchmark",
    "doctor": "doctor",
}


class LazyGroup(click.Group):
    def parse_args(self, ctx, args):
        ctx.meta["uiseg.argv"] = list(args)  # as typed, for messages that repeat it (train's --resume command)
        return super().parse_args(ctx, args)

    def list_commands(self, ctx):
        return sorted(n for n in COMMANDS if _exists(n))

    def get_command(self, ctx, name):
        if name not in COMMANDS or not _exists(name):
            return None
        return importlib.import_module(f"uiseg.cli.{COMMANDS[name]}").command


def _exists(name: str) -> bool:
    return importlib.util.find_spec(f"uiseg.cli.{COMMANDS[name]}") is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="uiseg")
def main() -> None:
    """Find the UI in video-game screenshots: synth -> train -> evaluate -> export -> segment."""

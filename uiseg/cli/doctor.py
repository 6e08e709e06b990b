"""`uiseg doctor`: machine facts and a verdict per backend."""

import json

import click


@click.command("doctor")
@click.option("--out", "out_dir", default=".", type=click.Path(file_okay=False),
              help="Folder whose free disk space to report (where outputs will go).")
@click.option("--json", "as_json", is_flag=True, help="Print facts as JSON for scripts.")
def command(out_dir: str, as_json: bool) -> None:
    """Print Python/torch/CUDA/ONNX Runtime facts and whether each backend is ready."""
    from uiseg.doctor import format_text, gather

    facts = gather(out_dir)
    click.echo(json.dumps(facts, indent=2) if as_json else format_text(facts))

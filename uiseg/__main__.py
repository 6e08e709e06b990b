"""`python -m uiseg` is the `uiseg` command."""

from uiseg.cli import main

main(prog_name="uiseg")

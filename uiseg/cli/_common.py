"""Shared CLI plumbing: library errors become one-line messages (exit 1), never tracebacks."""

from __future__ import annotations

import functools

import click

from uiseg.errors import UisegError


def friendly_errors(fn):
    """Turn UisegError (and OSError on user files) into click.ClickException: a message, exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except UisegError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from None

    return wrapper

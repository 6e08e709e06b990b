"""Shared CLI plumbing: library errors become one-line messages (exit 1), never tracebacks."""

from __future__ import annotations

import functools

import click

from uiseg.errors import UisegError, UsageError


def friendly_errors(fn):
    """Turn UisegError (and OSError on user files) into click.ClickException: a message, exit code 1;
    UsageError into click.UsageError: exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except UsageError as exc:
            raise click.UsageError(str(exc)) from None
        except UisegError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from None

    return wrapper


def sigterm_as_interrupt():
    """`kill` (SIGTERM) stops a command as cleanly as Ctrl-C does: raise KeyboardInterrupt. Returns the handler
    it replaced (None when not on the main thread, where handlers cannot be set), to put back afterwards."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, handler)


def command_line() -> list[str]:
    """The arguments the `uiseg` group was called with (e.g. ["train", "data/", "--out", "run"])."""
    ctx = click.get_current_context(silent=True)
    return list(ctx.find_root().meta.get("uiseg.argv", [])) if ctx else []

"""The one exception type uiseg raises for bad input; the CLI turns it into a one-line message."""


class UisegError(ValueError):
    """A problem with the user's input or files. The message names the file and the fix."""


class UsageError(UisegError):
    """Arguments that cannot work, found before any work is done (a busy or occupied output folder, an unknown
    accelerator): the CLI shows the message as a usage error, exit code 2."""

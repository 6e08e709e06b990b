"""The one exception type uiseg raises for bad input; the CLI turns it into a one-line message."""


class UisegError(ValueError):
    """A problem with the user's input or files. The message names the file and the fix."""

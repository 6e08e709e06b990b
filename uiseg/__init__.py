"""uiseg: find the UI in video-game screenshots, pixel by pixel.

`import uiseg` stays light: torch, Lightning and onnxruntime are imported by the modules that need them.
"""

from uiseg.errors import UisegError

__version__ = "0.1.0"
__all__ = ["UisegError", "__version__"]

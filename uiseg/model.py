"""The UNet, and the deployable wrapper that puts normalisation inside the graph."""

from __future__ import annotations

import torch
from torch import nn

from uiseg.config import Contract, ModelConfig
from uiseg.errors import UisegError


def padded_size(h: int, w: int, multiple: int) -> tuple[int, int]:
    """The smallest (H, W) >= (h, w) that are multiples of `multiple`."""
    return -(-h // multiple) * multiple, -(-w // multiple) * multiple


def check_input_size(h: int, w: int, multiple: int) -> None:
    """Raise an error that names the padded size when (h, w) is not a multiple of `multiple`."""
    if h % multiple or w % multiple:
        ph, pw = padded_size(h, w, multiple)
        raise UisegError(
            f"Wrong input shape height={h}, width={w}. Expected height and width divisible by {multiple}. "
            f"Pad the image to height={ph}, width={pw} (uiseg segment pads and crops back for you)."
        )


class DoubleConv(nn.Sequential):
    """conv3x3-BN-ReLU twice: the UNet's basic block."""

    def __init__(self, cin: int, cout: int):
        super().__init__(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )


class UNet(nn.Module):
    """A small UNet. Up-sampling uses 2x2 transposed convolutions rather than Resize, which keeps
    the exported graph free of Resize ops (a known source of fp16 ONNX trouble)."""

    def __init__(self, in_channels: int = 3, num_classes: int = 1, base: int = 16, depth: int = 4,
                 max_features: int = 256):
        super().__init__()
        if depth < 1 or base < 1:
            raise UisegError(f"UNet needs depth >= 1 and base >= 1, got depth={depth}, base={base}")
        self.config = ModelConfig(in_channels, num_classes, base, depth, max_features)
        widths = [min(base * 2**i, max_features) for i in range(depth + 1)]
        self.stem = DoubleConv(in_channels, widths[0])
        self.down = nn.ModuleList(DoubleConv(widths[i], widths[i + 1]) for i in range(depth))
        self.pool = nn.MaxPool2d(2)
        self.up = nn.ModuleList(nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2) for i in range(depth))
        self.dec = nn.ModuleList(DoubleConv(2 * widths[i], widths[i]) for i in range(depth))
        self.head = nn.Conv2d(widths[0], num_classes, 1)

    @classmethod
    def from_config(cls, cfg: ModelConfig) -> UNet:
        return cls(cfg.in_channels, cfg.num_classes, cfg.base, cfg.depth, cfg.max_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # The size check is Python control flow: skip it while tracing/exporting so graphs stay dynamic.
        if not (torch.jit.is_tracing() or torch.jit.is_scripting() or torch.compiler.is_compiling()):
            check_input_size(x.shape[-2], x.shape[-1], self.config.pad_multiple)
        skips = [self.stem(x)]
        for block in self.down:
            skips.append(block(self.pool(skips[-1])))
        y = skips.pop()
        for i in reversed(range(len(self.up))):
            y = self.dec[i](torch.cat([self.up[i](y), skips.pop()], dim=1))
        return self.head(y)


class DeployModel(nn.Module):
    """UNet + in-graph normalisation: takes RGB in [0, 1] (NCHW), returns logits. This is what gets exported."""

    def __init__(self, unet: UNet, contract: Contract):
        super().__init__()
        self.unet = unet
        self.register_buffer("mean", torch.tensor(contract.mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(contract.std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.unet((image - self.mean) / self.std)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())

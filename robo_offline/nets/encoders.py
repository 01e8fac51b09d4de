"""Conv encoders. The one place where uint8 images become floats (`/ 255`).

Every encoder returns features shaped (E, B, F): E is the number of independent encoders run
side by side (E = 2 for COG's twin-Q layout, where each Q function owns its CNN; 1 otherwise).
E encoders are one conv stack with E times the channels and `groups=E`, so an ensemble costs
one kernel launch per layer, not a Python loop.

- `cog`: COG / rlkit's image CNN: 3 conv layers of 16 channels, 3x3, stride 1, padding 1,
  max-pool 2x2 after the first two, ReLU (applied after the pool: the same function, cheaper). 48x48 -> 16 x 12 x 12 = 2304 features. The MLP and
  the concatenated state vector come after it, in the heads (as in COG's `added_fc_input`).
- `drq`: DrQ / SAC-AE's encoder: 4 conv layers of 32 channels, 3x3, first with stride 2, no
  padding, ReLU, then Linear -> LayerNorm -> tanh to `feature_dim` (50) features.
"""
from __future__ import annotations

import torch
from torch import nn

ENCODERS = ("cog", "drq")


def image_to_float(images: torch.Tensor, channels_last: bool = True) -> torch.Tensor:
    """uint8 (B, 3, H, W) -> float32 in [0, 1]; optionally in channels_last memory format."""
    if images.dtype != torch.uint8:
        raise TypeError(f"encoder input must be uint8 images, got {images.dtype}")
    x = images.float().div_(255.0)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


class ConvEncoder(nn.Module):
    """An ensemble of E identical conv encoders over the same images: (B,3,H,W) uint8 -> (E,B,F)."""

    def __init__(self, kind: str, image_shape: tuple[int, int, int], ensemble: int = 1,
                 feature_dim: int = 50, channels_last: bool = True):
        super().__init__()
        if kind not in ENCODERS:
            raise ValueError(f"unknown encoder {kind!r}; known encoders: {', '.join(ENCODERS)}")
        c, h, w = image_shape
        self.kind, self.ensemble, self.image_shape = kind, ensemble, tuple(image_shape)
        self.channels_last = channels_last
        e = ensemble
        if kind == "cog":
            # max-pool before ReLU: the same function as ReLU then pool (both monotone), with the
            # ReLU on a 4x smaller tensor: at 48x48 the activations' memory traffic is the cost.
            self.convs = nn.Sequential(
                nn.Conv2d(c, 16 * e, 3, padding=1), nn.MaxPool2d(2, 2), nn.ReLU(inplace=True),
                nn.Conv2d(16 * e, 16 * e, 3, padding=1, groups=e), nn.MaxPool2d(2, 2), nn.ReLU(inplace=True),
                nn.Conv2d(16 * e, 16 * e, 3, padding=1, groups=e), nn.ReLU(inplace=True),
            )
        else:
            self.convs = nn.Sequential(
                nn.Conv2d(c, 32 * e, 3, stride=2), nn.ReLU(),
                nn.Conv2d(32 * e, 32 * e, 3, groups=e), nn.ReLU(),
                nn.Conv2d(32 * e, 32 * e, 3, groups=e), nn.ReLU(),
                nn.Conv2d(32 * e, 32 * e, 3, groups=e), nn.ReLU(),
            )
        with torch.no_grad():
            n_flat = self.convs(torch.zeros(1, c, h, w)).numel() // e
        self.conv_dim = n_flat
        if kind == "drq":
            from robo_offline.nets.heads import EnsembleLinear

            self.trunk = EnsembleLinear(e, n_flat, feature_dim)
            self.norm_weight = nn.Parameter(torch.ones(e, 1, feature_dim))
            self.norm_bias = nn.Parameter(torch.zeros(e, 1, feature_dim))
            self.feature_dim = feature_dim
        else:
            self.trunk = None
            self.feature_dim = n_flat
        if channels_last:
            self.convs.to(memory_format=torch.channels_last)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = self.convs(image_to_float(images, self.channels_last))
        b = x.shape[0]
        # (B, E*C, h, w) -> (E, B, C*h*w): member e owns channels [e*C, (e+1)*C).
        x = x.reshape(b, self.ensemble, -1).transpose(0, 1)
        if self.trunk is not None:
            x = nn.functional.layer_norm(self.trunk(x), (self.feature_dim,))
            x = torch.tanh(x * self.norm_weight + self.norm_bias)
        return x


class StateOnlyEncoder(nn.Module):
    """obs_mode=state: there is no image, so no image features; the heads' MLPs read the state
    vector alone. Takes the state rows only for their count: (B, S) -> (E, B, 0)."""

    feature_dim = 0

    def __init__(self, ensemble: int = 1):
        super().__init__()
        self.ensemble = ensemble

    def forward(self, state: torch.Tensor) -> torch.Tensor:
        return state.new_zeros(self.ensemble, state.shape[0], 0)


def make_encoder(kind: str, image_shape: tuple[int, int, int] | None, ensemble: int = 1,
                 feature_dim: int = 50, channels_last: bool = True) -> nn.Module:
    """The conv encoder for images, or the state-only encoder when there are none (image_shape None)."""
    if image_shape is None:
        return StateOnlyEncoder(ensemble)
    return ConvEncoder(kind, image_shape, ensemble, feature_dim, channels_last)


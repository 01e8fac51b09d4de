"""Random-shift augmentation (DrQ): replicate-pad by `pad` pixels, crop back at a random offset.
Its own module because both the data layer (the buffer's optional augmentation) and the agents use it.

Works on uint8 (or any dtype) NCHW batches on any device, fully batched: two `gather`s, no
per-sample Python and no float conversion, so images stay uint8 until the encoder's input step.
"""
from __future__ import annotations

import torch


def random_shift(
    images_uint8_nchw: torch.Tensor, pad: int = 4, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Shift each image of a (B, C, H, W) batch by its own integer offset in [-pad, pad]^2.

    Equivalent to `F.pad(x, (pad,)*4, mode="replicate")` followed by a random HxW crop per image
    (the DrQ augmentation). `generator` (optional) draws the offsets; by default the global RNG of
    the images' device is used, which keeps the call capturable in a CUDA graph.
    """
    x = images_uint8_nchw
    if x.dim() != 4:
        raise ValueError(f"random_shift expects a (B, C, H, W) batch, got shape {tuple(x.shape)}")
    if pad <= 0:
        return x
    b, c, h, w = x.shape
    rng_device = generator.device if generator is not None else x.device
    shifts = torch.randint(0, 2 * pad + 1, (b, 2), generator=generator, device=rng_device)
    shifts = shifts.to(x.device, non_blocking=True) - pad
    rows = (torch.arange(h, device=x.device).unsqueeze(0) + shifts[:, :1]).clamp_(0, h - 1)
    cols = (torch.arange(w, device=x.device).unsqueeze(0) + shifts[:, 1:]).clamp_(0, w - 1)
    x = torch.gather(x, 2, rows.view(b, 1, h, 1).expand(b, c, h, w))
    return torch.gather(x, 3, cols.view(b, 1, 1, w).expand(b, c, h, w))

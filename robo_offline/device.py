"""The `device=` option of every command (auto | cpu | cuda[:N]) as a torch.device, in one place
below every layer, so the data layer and the commands can share it."""
from __future__ import annotations

import torch

from robo_offline.errors import UserError


def resolve_device(name: str) -> torch.device:
    """`auto`: CUDA when visible, else the CPU; a CUDA device that is not visible is a UserError."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UserError(f"device={name} but no CUDA device is visible; use device=cpu or device=auto")
    return torch.device(name)

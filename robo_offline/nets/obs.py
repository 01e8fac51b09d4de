"""Turn one env observation dict (numpy, HWC uint8 image) into a batch of one on a device."""
from __future__ import annotations

import numpy as np
import torch


def obs_to_batch(obs: dict, device: torch.device | str, image_shape: tuple[int, int, int] | None = None,
                 state_dim: int | None = None) -> dict[str, torch.Tensor]:
    """{"image": (H, W, 3) uint8, "state": (S,) float} -> {"image": (1, 3, H, W) uint8, "state": (1, S) float32}.

    A goal image (`desired_goal`, HWC) becomes `goal_image` the same way, a hand-camera picture
    (`wrist_image`) keeps its name; a goal vector
    (`desired_goal`, 1-D, obs_mode=state) becomes `goal_state` (1, G). Shapes are checked against
    the agent's `image_shape` / `state_dim` when given, with a message that names both.
    """
    if "state" not in obs or (image_shape is not None and "image" not in obs):
        need = "'image' and 'state' entries" if image_shape is not None else "a 'state' entry"
        raise ValueError(f"observation must have {need}, got keys {sorted(obs)} (an env with obs_mode="
                         f"{'image' if image_shape is not None else 'state'} gives them)")
    out: dict[str, torch.Tensor] = {}
    for key, value in obs.items():
        arr = np.asarray(value)
        if key in ("image", "wrist_image", "desired_goal") and arr.ndim == 3:
            if arr.dtype != np.uint8:
                raise ValueError(f"observation {key!r} must be uint8, got {arr.dtype}")
            if image_shape is not None and (arr.shape[2], arr.shape[0], arr.shape[1]) != tuple(image_shape):
                raise ValueError(
                    f"observation {key!r} has shape {arr.shape} (H, W, C) but the agent was built for "
                    f"images {tuple(image_shape[1:])} with {image_shape[0]} channels: use the env's "
                    f"image_size={image_shape[1]}"
                )
            t = torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))
            out["goal_image" if key == "desired_goal" else key] = t.unsqueeze(0).to(device)
        elif key == "state":
            arr = arr.astype(np.float32, copy=False).reshape(-1)
            if state_dim is not None and arr.shape[0] != state_dim:
                raise ValueError(f"observation 'state' has {arr.shape[0]} entries, the agent expects {state_dim}")
            out["state"] = torch.from_numpy(arr).unsqueeze(0).to(device)
        elif key == "desired_goal" and arr.ndim == 1:  # a goal state vector (obs_mode=state)
            out["goal_state"] = torch.from_numpy(arr.astype(np.float32)).unsqueeze(0).to(device)
    return out

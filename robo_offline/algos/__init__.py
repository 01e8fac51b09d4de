"""Offline RL agents on image observations. `make_agent(name, ...)` builds one by name.

Each agent follows docs/interfaces.md: `update(batch) -> dict[str, Tensor]`,
`act(obs, deterministic) -> np.ndarray`, `state_dict()` / `load_state_dict()`.
"""
from __future__ import annotations

import importlib
from typing import Any

import torch

from robo_offline.algos.base import Agent

# name -> (module, class); modules are imported on demand so one broken agent cannot break others.
AGENTS = {
    "cql": ("robo_offline.algos.cql", "CQLAgent"),
    "bc": ("robo_offline.algos.bc", "BCAgent"),
    "iql": ("robo_offline.algos.iql", "IQLAgent"),
    "awac": ("robo_offline.algos.awac", "AWACAgent"),
    "gcql": ("robo_offline.algos.gcql", "GCQLAgent"),
    "gcbc": ("robo_offline.algos.gcbc", "GCBCAgent"),
    "gciql": ("robo_offline.algos.gciql", "GCIQLAgent"),
}


def agent_class(name: str) -> type[Agent]:
    if name not in AGENTS:
        raise ValueError(f"unknown agent {name!r}; known agents: {', '.join(sorted(AGENTS))}")
    module, cls = AGENTS[name]
    return getattr(importlib.import_module(module), cls)


def make_agent(name: str, image_shape, state_dim: int, action_dim: int, cfg: Any = None,
               device: torch.device | str = "cpu") -> Agent:
    """Build agent `name` for images `image_shape` = (3, H, W). `cfg` is a dict of the agent's config
    keys (configs/agent/<name>.yaml; a `name` entry is allowed), a config dataclass, or None."""
    return agent_class(name)(image_shape, state_dim, action_dim, cfg, device)


__all__ = ["AGENTS", "Agent", "agent_class", "make_agent"]

"""Offline RL agents on image observations. `make_agent(name, ...)` builds one by name.

Each agent follows docs/interfaces.md: `update(batch) -> dict[str, Tensor]`,
`act(obs, deterministic) -> np.ndarray`, `state_dict()` / `load_state_dict()`. Its settings are
a config dataclass (config.py has the shared fields), which `register_agent_configs` gives Hydra.
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
    """Build agent `name` with fresh networks and optimisers.

    Args:
        name: one of `AGENTS` (`cql`, `bc`, `iql`, `awac`, `gcql`, `gcbc`, `gciql`); another name is
            a ValueError listing them.
        image_shape: (3, H, W) of the uint8 camera images it trains and acts on, or None for an
            agent that reads the state vector alone (`obs=state`, `obs=features`).
        state_dim: length of the state vector beside the image (the whole observation when
            `image_shape` is None).
        action_dim: length of the action, each entry in [-1, 1].
        cfg: the agent's settings: a dict or DictConfig of fields of its config dataclass (Hydra's
            `agent` group; a `name` entry must be this agent's), the dataclass itself, or None for
            its defaults. An unknown key is a ValueError listing the valid ones, and naming the new
            key where an old learning-rate name (`policy_lr`, `lr`, `q_lr`, `v_lr`) was given.
        device: where the networks live and the updates run.
    """
    return agent_class(name)(image_shape, state_dim, action_dim, cfg, device)


def register_agent_configs() -> None:
    """Store each agent's config dataclass in Hydra's ConfigStore as `agent_schema/<name>`, the node
    configs/agent/<name>.yaml starts from: the YAML then holds only what differs from the code's
    defaults, and Hydra checks the key and type of every `agent.*` override. Imports every agent."""
    from hydra.core.config_store import ConfigStore

    store = ConfigStore.instance()
    for name in AGENTS:
        store.store(group="agent_schema", name=name, node=agent_class(name).config_cls)


__all__ = ["AGENTS", "Agent", "agent_class", "make_agent", "register_agent_configs"]

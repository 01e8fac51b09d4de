"""The fields every agent's config shares, and how a config is read and checked.

Each agent's dataclass (`CQLConfig` in cql.py, ...) inherits one base here and adds its own
fields, as d3rlpy's `CQLConfig(LearnableConfig)` does:

    AgentConfig             every agent: encoder, actor, batch size, actor_lr, augmentation, speed
    └── CriticConfig        + the Q ensemble, its Polyak targets and discount (gcql, gciql)
        └── TaskCriticConfig  + reward scale and encoder layout, for the agents that learn the
                                dataset's own reward (cql, iql, awac)

Learning rates are named after the optimiser they drive: `actor_lr`, `critic_lr`, `value_lr`.
The dataclasses are also Hydra's schema for configs/agent/*.yaml (`register_agent_configs` in
robo_offline/algos/__init__.py), so a YAML file holds only what differs from the defaults here.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

COMPILE_MODES = ("none", "compile", "cudagraph", "compile+cudagraph")
PRECISIONS = ("auto", "fp32", "bf16")
LAYOUTS = ("shared", "cog")
# Keys agent configs had before every learning rate was named after its optimiser: a user who
# gives one is told the new name; a checkpoint that holds one is read with it (`with_current_names`).
RENAMED_KEYS = {"policy_lr": "actor_lr", "lr": "actor_lr", "q_lr": "critic_lr", "v_lr": "value_lr"}


@dataclass
class AgentConfig:
    name: str  # the agent these settings are for; each agent's config sets it
    # networks
    encoder: str = "cog"  # "cog" (3 conv x 16 ch) or "drq" (4 conv x 32 ch + linear/LayerNorm)
    drq_feature_dim: int = 50
    actor_hidden: tuple = (1024, 512, 256, 256, 256, 256)  # COG's policy CNN MLP + its 3 x 256 head
    min_log_std: float = -5.0  # COG's floor; a lower one lets CQL's warm start collapse the policy
    max_log_std: float = 2.0
    # optimisation
    batch_size: int = 256
    actor_lr: float = 3e-4
    # images
    augment: bool = True  # random shift on s, s' (and goal images), training only
    aug_pad: int = 4
    # speed
    precision: str = "fp32"  # "auto" = bf16 where fast; fp32 as bf16 adds Q error of the size of a 0/1 reward
    channels_last: bool = True
    compile: str = "none"  # "none" | "compile" | "cudagraph" | "compile+cudagraph" (graphs: CUDA only)


@dataclass
class CriticConfig(AgentConfig):
    num_qs: int = 2
    q_hidden: tuple = (1024, 512, 256)  # COG's Q MLP after the conv stack
    q_layer_norm: bool = False  # LayerNorm before each hidden ReLU of the Q MLPs (README, goal reaching from images)
    critic_lr: float = 3e-4
    gamma: float = 0.99
    tau: float = 5e-3  # Polyak rate of the target networks
    act_samples: int = 0  # acting: the best by Q of the actor's mean and this many samples (0: the mean)


@dataclass
class TaskCriticConfig(CriticConfig):
    layout: str = "shared"  # "shared": critic encoder shared, actor on detached features; "cog": own CNNs
    reward_scale: float = 1.0


def build_config(config_cls: type, cfg: Any, agent_name: str):
    """A config dataclass from a dataclass, a dict (Hydra's `agent` group) or None (defaults).

    A dict's `name`, when given, must be this agent's; any key that is not a field is an error
    listing the valid keys (and the new name of a renamed one). Lists become tuples where the
    default is a tuple.
    """
    if cfg is None:
        return config_cls()
    if isinstance(cfg, config_cls):
        return cfg
    if dataclasses.is_dataclass(cfg):
        cfg = dataclasses.asdict(cfg)
    if not isinstance(cfg, dict):
        try:  # an omegaconf DictConfig
            from omegaconf import OmegaConf

            cfg = OmegaConf.to_container(cfg, resolve=True)
        except Exception as exc:  # noqa: BLE001
            raise TypeError(f"agent config must be a dict or {config_cls.__name__}, got {type(cfg)}") from exc
    cfg = dict(cfg)
    name = cfg.setdefault("name", agent_name)
    if name != agent_name:
        raise ValueError(f"config is for agent {name!r} but was given to agent {agent_name!r}")
    fields = {f.name for f in dataclasses.fields(config_cls)}
    unknown = sorted(set(cfg) - fields)
    if unknown:
        renamed = renamed_keys(unknown, fields)
        raise ValueError(f"unknown {agent_name} config key(s) {unknown}"
                         f"{'; renamed: ' + ', '.join(renamed) if renamed else ''}; "
                         f"valid keys: {', '.join(sorted(fields))} (the fields of {config_cls.__name__})")
    defaults = config_cls()
    for key, value in cfg.items():
        if isinstance(getattr(defaults, key), tuple) and isinstance(value, list):
            cfg[key] = tuple(value)
    out = config_cls(**cfg)
    for key, allowed in (("compile", COMPILE_MODES), ("precision", PRECISIONS), ("layout", LAYOUTS)):
        if key in fields and getattr(out, key) not in allowed:
            raise ValueError(f"{agent_name} config {key}={getattr(out, key)!r}; choose one of {allowed}")
    if getattr(out, "act_samples", 0) < 0:
        raise ValueError(f"{agent_name} config act_samples={out.act_samples}: must be >= 0")
    return out


def renamed_keys(keys, fields=None) -> list[str]:
    """'old -> new' for each of `keys` that is an old name (of one of `fields`, when given)."""
    return [f"{key} -> {RENAMED_KEYS[key]}" for key in keys
            if key in RENAMED_KEYS and (fields is None or RENAMED_KEYS[key] in fields)]


def with_current_names(cfg: dict) -> dict:
    """An agent config saved with the old learning-rate names (a checkpoint keeps the keys it was
    trained with), in today's names."""
    return {RENAMED_KEYS.get(key, key): value for key, value in cfg.items()}

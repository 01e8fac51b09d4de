"""The datasets an experiment config names, loaded as one replay buffer (`train` and `pretrain` both start here)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from robo_offline.errors import UserError

if TYPE_CHECKING:
    import torch
    from omegaconf import DictConfig


def selected_datasets(experiment: DictConfig) -> list:
    """The experiment's dataset entries whose `role` is in `experiment.roles` (all when unset),
    e.g. `experiment.roles=[task]` for the no-prior baselines."""
    roles = experiment.get("roles")
    entries = [e for e in experiment.datasets if roles is None or e.get("role") in roles]
    if not entries:
        have = sorted({str(e.get("role")) for e in experiment.datasets})
        raise UserError(f"experiment.roles={list(roles)} selects no dataset; the experiment's roles are {have}")
    return entries


def build_buffer(experiment: DictConfig, device: torch.device, obs_mode: str = "image"):
    """The experiment's datasets, generated first when missing and `generate_missing` is set (an
    entry's `max_episode_steps`, when given, overrides its recipe's episode length). `goal_rule`,
    when the experiment names one, judges every dataset's hindsight goals (load_buffer)."""
    from robo_offline.data import ensure_dataset, load_buffer

    specs = []
    for entry in selected_datasets(experiment):
        if experiment.get("generate_missing", False):
            dataset_id = ensure_dataset(entry.recipe, episodes=entry.episodes, seed=experiment.data_seed,
                                        workers=experiment.get("data_workers", "auto"),
                                        max_episode_steps=entry.get("max_episode_steps"))
        else:
            dataset_id = entry.dataset_id
        specs.append({"dataset_id": dataset_id, "weight": float(entry.weight), "reward": entry.reward})
    return load_buffer(specs, device=device, obs_mode=obs_mode, goal_rule=experiment.get("goal_rule"))


def validation_experiment(experiment: DictConfig, episodes: int, seed: int) -> DictConfig:
    """The experiment with fresh episodes of its recipes, `episodes` per dataset entry, generated with
    `seed` (made once, then reused from the store): data from the training data's distribution that
    the agent never trains on, with the same weights, reward modes and goal rule (build_buffer)."""
    from omegaconf import OmegaConf

    if not experiment.get("generate_missing", False):
        raise UserError("validation generates fresh episodes of the experiment's recipes; this experiment names "
                        "its datasets (generate_missing=false): drop validation.episodes")
    if seed == experiment.data_seed:
        raise UserError(f"validation.seed={seed} is the training data's seed: the episodes would be the same; "
                        "choose another")
    fresh = OmegaConf.merge(experiment, {"data_seed": seed})
    for entry in fresh.datasets:
        entry.episodes = episodes
    return fresh

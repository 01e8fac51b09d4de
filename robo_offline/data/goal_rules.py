"""When a hindsight goal counts as reached: one rule per buffer, named in each dataset's metadata.

A rule maps the achieved-goal vectors (info `achieved_goal`) of s' and of the goal frame, (B, D)
each, to bool (B,). The writer stores the rule's name for the env it recorded
(`robo_offline.goal_rule` in metadata.json, `goal_rule_for_env`); the buffer resolves the name to
one callable (`resolve_goal_rule`). Files written before the name was stored get the rule their
env id implies, which is what the buffer applied to them before.

An experiment may name the rule instead (`experiment.goal_rule`): that is how datasets recorded in
other envs serve as play data (the COG datasets for goal reaching). Data that stores no achieved
goals then gets them from its step infos, where the rule says how (`achieved_goal_from_infos`).

  goal_reach  GoalReach-v1's own success rule: both drawer openings within 0.03 m and the object
              centre within 0.04 m (robo_offline.world.tasks.goal_reach.goal_reached, batched in torch)
  tolerance   every component within the env's `goal_tolerance` (stored beside the name)
  exact       equal achieved goals
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch

from robo_offline.errors import UserError

GoalRule = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
GOAL_RULES = ("goal_reach", "tolerance", "exact")
# Envs whose task defines its own success rule; any other env: `tolerance` when it has a
# `goal_tolerance`, else `exact`.
TASK_GOAL_RULES = {"robo_offline/GoalReach-v1": "goal_reach"}


def goal_reach_rule(achieved: torch.Tensor, goal: torch.Tensor) -> torch.Tensor:
    """GoalReach-v1's success rule (robo_offline.world.tasks.goal_reach.goal_reached) as batched torch ops:
    both drawer openings within DRAWER_TOLERANCE and the object centre within OBJECT_TOLERANCE (L2)."""
    from robo_offline.world.tasks.goal_reach import DRAWER_TOLERANCE, OBJECT_TOLERANCE

    drawer_ok = ((achieved[:, :2] - goal[:, :2]).abs() < DRAWER_TOLERANCE).all(dim=1)
    object_ok = torch.linalg.vector_norm(achieved[:, 2:5] - goal[:, 2:5], dim=1) < OBJECT_TOLERANCE
    return drawer_ok & object_ok


@dataclass(frozen=True)
class WithinTolerance:
    """Every component |achieved - goal| <= tolerance (per component)."""

    tolerance: torch.Tensor

    def __call__(self, achieved: torch.Tensor, goal: torch.Tensor) -> torch.Tensor:
        return ((achieved - goal).abs() <= self.tolerance).all(dim=1)


def exact_rule(achieved: torch.Tensor, goal: torch.Tensor) -> torch.Tensor:
    """Equal achieved goals: for envs that give no tolerance."""
    return (achieved == goal).all(dim=1)


# The step-info keys (robo_offline.world.tasks.base.Task.info, which every task reports) that make up
# a rule's achieved goal, in order: GoalReach-v1's goal vector is the drawer openings, then the object centre.
ACHIEVED_GOAL_INFO_KEYS = {"goal_reach": ("drawer_opening", "object_pos")}


def achieved_goal_from_infos(name: str, infos: dict) -> np.ndarray:
    """float32 (F, D): the achieved goal that rule `name` compares, rebuilt from stacked step infos
    (for data recorded without `achieved_goal`, e.g. in another env of the same scene)."""
    keys = ACHIEVED_GOAL_INFO_KEYS.get(name)
    if keys is None:
        raise UserError(f"goal rule {name!r} cannot rebuild achieved goals from step infos; only "
                        f"{sorted(ACHIEVED_GOAL_INFO_KEYS)} can. Use data that stores `achieved_goal`")
    missing = [k for k in keys if k not in infos]
    if missing:
        raise UserError(f"goal rule {name!r} needs the step infos {list(keys)}; the data lacks {missing}")
    n = len(infos[keys[0]])
    return np.concatenate([np.asarray(infos[k], dtype=np.float32).reshape(n, -1) for k in keys], axis=1)


def goal_rule_for_env(env_id: str, goal_tolerance: Any) -> str:
    """Name of the rule that judges data recorded in `env_id` (module docstring)."""
    return TASK_GOAL_RULES.get(env_id, "exact" if goal_tolerance is None else "tolerance")


def dataset_goal_rule(metadata: dict) -> tuple[str, list | None]:
    """(rule name, tolerance) of a dataset: the stored name, else the one its env id implies."""
    info = metadata.get("robo_offline") or {}
    tolerance = info.get("goal_tolerance")
    name = info.get("goal_rule")
    if name is None:  # written before the name was stored
        env_id = json.loads(metadata.get("env_spec") or "{}").get("id", "")
        name = goal_rule_for_env(env_id, tolerance)
    return name, tolerance


def resolve_goal_rule(name: str, tolerance: Any = None, device: Any = None) -> GoalRule:
    """The callable for a rule name (`tolerance` needs the per-component tolerance)."""
    if name == "goal_reach":
        return goal_reach_rule
    if name == "exact":
        return exact_rule
    if name == "tolerance" and tolerance is not None:
        return WithinTolerance(torch.as_tensor(tolerance, dtype=torch.float32, device=device))
    if name == "tolerance":
        raise UserError("goal rule 'tolerance' without a goal_tolerance in the dataset's metadata; "
                        "regenerate the dataset with an env that sets `goal_tolerance`")
    raise UserError(f"unknown goal rule {name!r} in the dataset's metadata; known: {GOAL_RULES}")

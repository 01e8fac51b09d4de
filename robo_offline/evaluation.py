"""Policy evaluation shared by the commands: rollouts in the env, success rate with a 95% Wilson interval.

`train` evaluates every `eval_every` steps, `eval` and `render` after training, `qtrace` reuses the
evaluation seeds; all of them go through this module (commands do not import each other).

Goal-conditioned envs (GoalReach) are evaluated over their goal families: the episodes are split
evenly between `drawer`, `object` and `both` goals (unless `env_kwargs` names a family), each
episode a fresh goal the env samples, ending when the goal is reached (success) or at the time
limit; the result has one line per family and the overall one.
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import gymnasium as gym
import numpy as np
from tqdm import tqdm

from robo_offline.world.envs import env_argument_errors, make_env


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95% Wilson score interval for a binomial proportion: honest at 0/n and n/n, unlike p±1.96σ."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return lo, hi


@dataclass
class EvalResult:
    success_rate: float
    ci95: tuple[float, float]
    mean_length: float
    episodes: list[dict] = field(default_factory=list)

    def summary_line(self) -> str:
        lo, hi = self.ci95
        return f"success_rate={self.success_rate:.4f} ci95=[{lo:.4f}, {hi:.4f}] episodes={len(self.episodes)}"

    @classmethod
    def from_episodes(cls, rows: list[dict]) -> EvalResult:
        successes = sum(r["success"] for r in rows)
        return cls(success_rate=successes / max(1, len(rows)), ci95=wilson_interval(successes, len(rows)),
                   mean_length=float(np.mean([r["length"] for r in rows])) if rows else 0.0, episodes=rows)

    def by_family(self) -> dict[str, EvalResult]:
        """Per goal family (episodes of goal-conditioned evaluations carry a `family`); {} otherwise."""
        families = list(dict.fromkeys(r["family"] for r in self.episodes if "family" in r))
        return {f: EvalResult.from_episodes([r for r in self.episodes if r.get("family") == f]) for f in families}

    def write_csv(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fields = ["episode", "seed", "success", "length", "return"]
        if self.episodes and "family" in self.episodes[0]:
            fields.insert(1, "family")
        with path.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=fields)
            writer.writeheader()
            writer.writerows(self.episodes)


def start_episode(agent) -> None:
    """Tell an agent that remembers past steps (FeaturePolicy with `proprio_history`) that its env was reset."""
    start = getattr(agent, "start_episode", None)
    if start is not None:
        start()


def rollout(agent, env: gym.Env, seed: int, deterministic: bool = True, on_step=None,
            stop_on_success: bool = False) -> dict:
    """One episode. Success is whether the episode *ends* in success (the task's state at the end);
    with `stop_on_success` (goal reaching) the episode ends the first time the goal is reached.

    `on_step(obs, info, step)` is called after reset and after every step (videos use it).
    """
    obs, info = env.reset(seed=seed)
    start_episode(agent)
    if on_step is not None:
        on_step(obs, info, 0)
    total, length, done = 0.0, 0, False
    while not done:
        action = agent.act(obs, deterministic=deterministic)
        obs, reward, terminated, truncated, info = env.step(action)
        total += float(reward)
        length += 1
        done = terminated or truncated or (stop_on_success and bool(info["is_success"]))
        if on_step is not None:
            on_step(obs, info, length)
    return {"seed": seed, "success": int(bool(info["is_success"])), "length": length, "return": total}


EVAL_SEED_OFFSET = 1_000_000


def evaluation_seeds(seed: int, episodes: int) -> list[int]:
    """Reset seeds for evaluation, offset far from the small seeds that data generation starts at."""
    return [EVAL_SEED_OFFSET + seed * 10_000 + i for i in range(episodes)]


def evaluation_families(env_id: str, env_kwargs: dict) -> list[str | None]:
    """The goal families to split an evaluation over: [None] for an env that is not goal-
    conditioned, the family `env_kwargs` names, or all three."""
    from robo_offline.world.tasks import TASKS
    from robo_offline.world.tasks.goal_reach import GOAL_FAMILIES

    with env_argument_errors(env_id, env_kwargs):
        task = TASKS.get(gym.spec(env_id).kwargs.get("task"))
    if task is None or not task.goal_conditioned:
        return [None]
    if "family" in env_kwargs:
        return [env_kwargs["family"]]
    return [f for f in GOAL_FAMILIES if f != "any"]


def evaluate_policy(agent, env_id: str, env_kwargs: dict, episodes: int, seed: int,
                    deterministic: bool = True, progress: bool = True) -> EvalResult:
    """`episodes` rollouts from the evaluation seeds; on a goal-conditioned env split evenly over the
    goal families (episode i of the split keeps seed i, so the goals differ between families)."""
    families = evaluation_families(env_id, env_kwargs)
    seeds = evaluation_seeds(seed, episodes)
    rows: list[dict] = []
    bar = tqdm(total=episodes, desc="eval", unit="ep", disable=not progress, leave=False)
    first = 0
    for k, family in enumerate(families):
        count = episodes // len(families) + (1 if k < episodes % len(families) else 0)
        env = make_env(env_id, env_kwargs if family is None else {**env_kwargs, "family": family})
        try:
            for i in range(first, first + count):
                row = rollout(agent, env, seed=seeds[i], deterministic=deterministic, stop_on_success=family is not None)
                rows.append({"episode": i, **({} if family is None else {"family": family}), **row})
                bar.update(1)
        finally:
            env.close()
        first += count
    bar.close()
    return EvalResult.from_episodes(rows)

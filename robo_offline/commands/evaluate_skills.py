"""Measure scripted-skill success rates from each env's start states (Hydra overrides, configs/skills.yaml):

    python -m robo_offline.commands.evaluate_skills episodes=100 'noise=[0,0.1]' 'only=[grasp,lift]'

Each episode is `robo_offline.world.skills.rollout.run_skill_episode` from seed i: the skill (seed i) until
it reports done or the env's horizon ends, then `skill.succeeded(info)`; `lift` starts from a held
object. The last rows are GoalReach's scripted reference (`reach_goal`, success = the env's own
rule) per goal family, at the evaluation's 100 steps.
"""
from __future__ import annotations

import sys
import time

import robo_offline  # noqa: F401  (registers the envs)
from robo_offline.errors import UserError
from robo_offline.world.envs import make_env
from robo_offline.world.skills import SKILLS
from robo_offline.world.skills.rollout import run_skill_episode

# (skill, env id, start, skill kwargs[, env kwargs]): each at least 0.9 without noise (tests/test_skills.py)
CASES = [
    ("open_drawer", "robo_offline/DrawerOpen-v1", "closed", {}),
    ("open_drawer", "robo_offline/DrawerGrasp-v1", "closed", {}),
    ("open_drawer", "robo_offline/DrawerGrasp-v1", "closed", {"drawer": 1}),  # the empty bottom drawer
    ("close_drawer", "robo_offline/DrawerGrasp-v1", "open", {}),
    ("close_drawer", "robo_offline/DrawerCloseOpenGrasp-v1", "top_open", {"drawer": 0}),
    ("grasp", "robo_offline/Grasp-v1", "table", {}),
    ("grasp", "robo_offline/Grasp-v1", "tray", {}),
    ("grasp", "robo_offline/DrawerGrasp-v1", "open", {}),
    ("grasp", "robo_offline/DrawerGrasp-v1", "handoff", {}),
    ("grasp", "robo_offline/DrawerGrasp-v1", "pulled", {}),
    ("grasp", "robo_offline/DrawerCloseOpenGrasp-v1", "bottom_open", {}),
    ("grasp", "robo_offline/DrawerCloseOpenGrasp-v1", "bottom_pulled", {}),
    ("lift", "robo_offline/Grasp-v1", "random", {}),
    ("place", "robo_offline/Grasp-v1", "random", {}),
    ("open_drawer_grasp", "robo_offline/DrawerGrasp-v1", "closed", {}),
    ("close_top_open_bottom", "robo_offline/DrawerCloseOpenGrasp-v1", "top_open", {}),
    ("close_top_open_bottom_grasp", "robo_offline/DrawerCloseOpenGrasp-v1", "top_open", {}),
    ("play", "robo_offline/GoalReach-v1", "random", {}),
]
# scripted references for the learned agents (no success floor): GoalReach's goal families
REFERENCES = [("reach_goal", "robo_offline/GoalReach-v1", "random", {}, {"family": family, "max_episode_steps": 100})
              for family in ("drawer", "object", "both")]


def success_rate(skill_name: str, env_id: str, start: str | None, episodes: int, noise: float,
                 first_seed: int = 0, env_kwargs: dict | None = None, **kwargs) -> float:
    env = make_env(env_id, {**({} if start is None else {"start": start}), **(env_kwargs or {})})
    try:
        wins = sum(run_skill_episode(env, skill_name, first_seed + i, noise, **kwargs)[0] for i in range(episodes))
    finally:
        env.close()
    return wins / episodes


def run(cfg) -> None:
    """Print the Markdown table of the env cards: one row per case, one column per noise level."""
    noises = [float(n) for n in cfg.noise]
    only = list(cfg.only) if cfg.only is not None else None
    if cfg.episodes < 1 or not noises:
        raise UserError(f"episodes={cfg.episodes} noise={noises}: need at least one episode and one noise level")
    unknown = sorted(set(only or []) - set(SKILLS))
    if unknown:
        raise UserError(f"only={unknown}: unknown skill names; choose from {sorted(SKILLS)}")
    print("| skill | env | start | " + " | ".join(f"noise {n}" for n in noises) + " |")
    print("| --- | --- | --- | " + " | ".join("---" for _ in noises) + " |")
    for skill, env_id, start, kw, *env_kwargs in CASES + REFERENCES:
        if only and skill not in only:
            continue
        t0 = time.perf_counter()
        env_kw = env_kwargs[0] if env_kwargs else {}
        rates = [success_rate(skill, env_id, start, cfg.episodes, n, env_kwargs=env_kw, **kw) for n in noises]
        cells = " | ".join(f"{r:.2f}" for r in rates)
        where = " ".join([str(start), *(str(d) for d in (kw, env_kw) if d)])  # skill and env kwargs when set
        print(f"| {skill} | {env_id.split('/')[1]} | {where} | {cells} |  <!-- {time.perf_counter() - t0:.0f}s -->",
              flush=True)


if __name__ == "__main__":
    from robo_offline.commands import run_hydra_app

    run_hydra_app("python -m robo_offline.commands.evaluate_skills", "skills", run, sys.argv[1:])

"""`robo-offline qtrace checkpoint=<run dir or .pt> skill=open_drawer_grasp`: where a critic's values go wrong.

For each episode (the evaluation's reset seeds) two rollouts start from the same state: the
scripted skill (the data's behaviour, e.g. the full chain `open_drawer_grasp`) and the policy's
mean action. At every step it records min-ensemble Q(s, a_taken) and Q(s, pi(s)), the reward and
the task's facts. A critic that has learned the task rises along the scripted rollout; a policy
that stalls sits where Q(s, pi(s)) is flat and no better than moving on (README, the CQL results).
Prints every `every`-th step and writes the whole trace as CSV (default `<run dir>/qtrace/`).
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from robo_offline.errors import UserError

FIELDS = ["episode", "seed", "rollout", "step", "q_taken", "q_policy", "reward", "success",
          "drawer_top", "drawer_bottom", "gripper_closed", "object_held", "gripper_to_object", "action"]


def trace(agent, env, seed: int, skill: str | None, noise: float = 0.1) -> list[dict]:
    """One rollout from env.reset(seed): the skill's actions (skill name) or the policy's (None)."""
    from robo_offline.evaluation import start_episode
    from robo_offline.world.skills import make_skill

    obs, info = env.reset(seed=seed)
    start_episode(agent)
    script = None
    if skill is not None:
        script = make_skill(skill, noise=noise, seed=seed)
        script.reset(obs, info)
    rows, done, step = [], False, 0
    while not done:
        policy_action = agent.act(obs)
        action = script.act(obs, info) if script is not None else policy_action
        q_taken, q_policy = agent.q_values(obs, np.stack([action, policy_action]))
        obs, reward, terminated, truncated, info = env.step(action)
        step += 1
        done = terminated or truncated
        drawers = np.asarray(info.get("drawer_opening", [np.nan, np.nan]), dtype=float)
        rows.append({"rollout": skill or "policy", "step": step, "q_taken": float(q_taken),
                     "q_policy": float(q_policy), "reward": float(reward), "success": int(bool(info["is_success"])),
                     "drawer_top": float(drawers[0]), "drawer_bottom": float(drawers[-1]),
                     "gripper_closed": int(bool(info.get("gripper_closed", False))),
                     "object_held": int(bool(info.get("object_grasped", False))),
                     "gripper_to_object": offset_text(info),
                     "action": " ".join(f"{a:+.2f}" for a in action)})
    return rows


def offset_text(info: dict) -> str:
    """End-effector minus object centre (x y z, m): whether a closed gripper is on the object or beside it."""
    if "ee_pos" not in info or "object_pos" not in info:
        return ""
    return " ".join(f"{d:+.2f}" for d in np.asarray(info["ee_pos"]) - np.asarray(info["object_pos"]))


def run(cfg) -> None:
    from robo_offline.agent_io import agent_from_checkpoint, command_env_kwargs
    from robo_offline.checkpoint import default_output_dir
    from robo_offline.evaluation import evaluation_seeds
    from robo_offline.world.envs import make_env
    from robo_offline.world.skills import SKILLS

    if cfg.episodes < 1 or cfg.every < 1:
        raise UserError(f"episodes={cfg.episodes} every={cfg.every}: both must be at least 1")
    if cfg.skill is not None and cfg.skill not in SKILLS:
        raise UserError(f"skill={cfg.skill!r}; choose one of {sorted(SKILLS)} or skill=null (policy only)")
    agent, payload = agent_from_checkpoint(cfg.checkpoint, device=cfg.device, act_samples=cfg.act_samples)
    if "q" not in agent.nets:
        raise UserError(f"checkpoint {cfg.checkpoint} holds a {agent.name} agent, which has no Q function to trace")
    env = make_env(payload["env_id"], command_env_kwargs(payload, cfg))
    rows = []
    try:
        for episode, seed in enumerate(evaluation_seeds(cfg.seed, cfg.episodes)):
            for skill in ([cfg.skill] if cfg.skill is not None else []) + [None]:
                rows += [{"episode": episode, "seed": seed, **r} for r in trace(agent, env, seed, skill, cfg.noise)]
    finally:
        env.close()
    print(f"env={payload['env_id']} checkpoint={cfg.checkpoint} step={payload['step']}")
    print(f"{'episode':>7} {'rollout':>20} {'step':>4} {'Q(s,a)':>8} {'Q(s,pi)':>8} {'r':>4} "
          f"{'drawers':>11} {'closed':>6} {'held':>4} {'gripper-object':>17}  action")
    for r in rows:
        if r["step"] % cfg.every == 0:
            print(f"{r['episode']:>7} {r['rollout']:>20} {r['step']:>4} {r['q_taken']:8.2f} {r['q_policy']:8.2f} "
                  f"{r['reward']:4.1f} {r['drawer_top']:5.3f} {r['drawer_bottom']:5.3f} {r['gripper_closed']:>6} "
                  f"{r['object_held']:>4} {r['gripper_to_object']:>17}  {r['action']}")
    out = Path(cfg.out) if cfg.out else default_output_dir(cfg.checkpoint, "qtrace")
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"trace_seed{cfg.seed}.csv"
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"trace: {path}")

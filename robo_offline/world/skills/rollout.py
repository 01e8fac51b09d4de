"""One scripted-skill episode, shared by the success-rate table (`skills.evaluate`) and the demo's
skill videos, so that both measure and show the same thing."""
from __future__ import annotations

from typing import Callable

import gymnasium as gym

from robo_offline.world.skills import make_skill


def run_skill_episode(env: gym.Env, skill_name: str, seed: int, noise: float,
                      on_step: Callable[[dict], None] | None = None, **kwargs) -> tuple[bool, int]:
    """reset(seed), then the skill (seeded with `seed`) until it reports done or the env's horizon
    ends; returns (the skill's own success, steps taken). `lift` starts from the state a noise-free
    `grasp(lift=False)` leaves (object held on the table): lifting needs a held object.
    `on_step(obs)` is called after the reset and after every step (the demo's frames)."""
    obs, info = env.reset(seed=seed)
    notify = on_step or (lambda obs: None)
    notify(obs)
    horizon = env.spec.max_episode_steps
    t = 0
    if skill_name == "lift":
        pre = make_skill("grasp", noise=0.0, seed=seed, lift=False)
        pre.reset(obs, info)
        while not pre.done and t < horizon:
            obs, _, _, _, info = env.step(pre.act(obs, info))
            notify(obs)
            t += 1
    skill = make_skill(skill_name, noise=noise, seed=seed, **kwargs)
    skill.reset(obs, info)
    while t < horizon:
        obs, _, _, _, info = env.step(skill.act(obs, info))
        notify(obs)
        t += 1
        if skill.done:
            break
    return bool(skill.succeeded(info)), t

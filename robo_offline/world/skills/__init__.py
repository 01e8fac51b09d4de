"""Scripted skills (see docs/interfaces.md):

    skill = make_skill("open_drawer", noise=0.1, seed=0)
    skill.reset(obs, info); action = skill.act(obs, info); skill.succeeded(info); skill.done

Names: open_drawer, close_drawer (kwarg drawer=0 top / 1 bottom / None = env's target drawer),
grasp (kwargs lift=True, lift_height), lift (height), place (target=(x, y), default the tray),
play (drawers=(0,)); composites: close_top_open_bottom (prior data: no grasp), and the full chains
open_drawer_grasp, close_top_open_bottom_grasp; reach_goal (GoalReach: drawer skill, then place,
towards the goal in `info`).
"""
from __future__ import annotations

from robo_offline.world.skills.base import Skill
from robo_offline.world.skills.composite import (CloseTopOpenBottom, CloseTopOpenBottomGrasp, OpenDrawerGrasp, Play,
                                           Reach, ReachGoal, Sequence)
from robo_offline.world.skills.drawer import CloseDrawer, OpenDrawer
from robo_offline.world.skills.grasp import Grasp, Lift, Place

SKILLS: dict[str, type[Skill]] = {
    "open_drawer": OpenDrawer,
    "close_drawer": CloseDrawer,
    "grasp": Grasp,
    "lift": Lift,
    "place": Place,
    "play": Play,
    "reach": Reach,
    "reach_goal": ReachGoal,
    "close_top_open_bottom": CloseTopOpenBottom,
    "close_top_open_bottom_grasp": CloseTopOpenBottomGrasp,
    "open_drawer_grasp": OpenDrawerGrasp,
}


def make_skill(name: str, noise: float = 0.1, seed: int | None = None, **kwargs) -> Skill:
    if name not in SKILLS:
        raise ValueError(f"unknown skill {name!r}; choose one of {sorted(SKILLS)}")
    return SKILLS[name](noise=noise, seed=seed, **kwargs)


__all__ = ["make_skill", "Skill", "SKILLS", "Sequence"]

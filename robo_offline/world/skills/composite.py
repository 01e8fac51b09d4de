"""Sequences of skills (recipes), the random `play` policy and GoalReach's scripted `reach_goal`."""
from __future__ import annotations

import numpy as np

from robo_offline.world.sim import layout as L
from robo_offline.world.skills.base import CLOSE, OPEN, Phase, Skill, near
from robo_offline.world.skills.drawer import CloseDrawer, OpenDrawer
from robo_offline.world.skills.grasp import Grasp, Place
from robo_offline.world.tasks.goal_reach import DRAWER_TOLERANCE, OBJECT_TOLERANCE


class Sequence(Skill):
    """Runs child skills one after the other; each child adds its own noise."""

    name = "sequence"

    def __init__(self, children: list[Skill], noise: float = 0.1, seed: int | None = None):
        super().__init__(noise, seed)
        self.children = children

    def reset(self, obs, info):
        self.index = 0
        self.steps = 0
        self.children[0].reset(obs, info)

    @property
    def done(self) -> bool:
        return self.index >= len(self.children) - 1 and self.children[-1].done

    @property
    def phase_name(self) -> str:
        c = self.children[min(self.index, len(self.children) - 1)]
        return f"{c.name}:{c.phase_name}"

    def act(self, obs, info):
        while self.children[self.index].done and self.index < len(self.children) - 1:
            self.index += 1
            self.children[self.index].reset(obs, info)
        self.steps += 1
        return self.children[self.index].act(obs, info)

    def succeeded(self, info):
        """Every child's goal holds now (a later child must not undo an earlier one's work)."""
        return self.index == len(self.children) - 1 and all(c.succeeded(info) for c in self.children)


def _chain(noise: float, seed: int | None, *makers) -> list[Skill]:
    """Children built by `makers` (each (noise, seed) -> Skill), seeded independently from `seed`."""
    seeds = np.random.SeedSequence(seed).spawn(len(makers))
    return [make(noise, s) for make, s in zip(makers, seeds)]


def _close_top(noise, seed):
    return CloseDrawer(noise, seed, drawer=0)


def _open_bottom(noise, seed):
    return OpenDrawer(noise, seed, drawer=1)


class CloseTopOpenBottom(Sequence):
    """close_top_open_bottom (DrawerCloseOpenGrasp's prior data): close the top drawer, open the
    bottom one; each ends released in the neutral region. It never touches the object."""

    name = "close_top_open_bottom"

    def __init__(self, noise: float = 0.1, seed: int | None = None):
        super().__init__(_chain(noise, seed, _close_top, _open_bottom), noise, seed)


class CloseTopOpenBottomGrasp(Sequence):
    """close_top_open_bottom_grasp: the whole DrawerCloseOpenGrasp chain, prior then task skill
    (what a stitched policy must do; used to size the horizon)."""

    name = "close_top_open_bottom_grasp"

    def __init__(self, noise: float = 0.1, seed: int | None = None):
        super().__init__(_chain(noise, seed, _close_top, _open_bottom, Grasp), noise, seed)


class OpenDrawerGrasp(Sequence):
    """open_drawer_grasp: the whole DrawerGrasp chain, open_drawer (released, neutral) then grasp."""

    name = "open_drawer_grasp"

    def __init__(self, noise: float = 0.1, seed: int | None = None):
        super().__init__(_chain(noise, seed, OpenDrawer, Grasp), noise, seed)


class ReachGoal(Sequence):
    """reach_goal (GoalReach's scripted reference): from the start's and the goal's achieved-goal
    vectors in `info`, open or close the top drawer if its goal differs, then place the object at
    its goal position if that differs (beyond twice the success tolerances). It stops the first
    time the goal holds: the drawer skills open fully and pass any goal opening on the way."""

    name = "reach_goal"

    def __init__(self, noise: float = 0.1, seed: int | None = None):
        super().__init__([], noise, seed)

    def reset(self, obs, info):
        start, goal = np.asarray(info["achieved_goal"]), np.asarray(info["desired_goal"])
        makers = []
        if abs(goal[0] - start[0]) > 2 * DRAWER_TOLERANCE:
            makers.append(OpenDrawer if goal[0] > start[0] else _close_top)
        if np.linalg.norm(goal[2:5] - start[2:5]) > 2 * OBJECT_TOLERANCE:
            makers.append(lambda noise, seed: Place(noise, seed, target=goal[2:4]))
        self.children = _chain(self.noise, int(self.rng.integers(2**31)), *(makers or [Reach]))
        self.reached = bool(info["is_success"])
        super().reset(obs, info)

    @property
    def done(self) -> bool:
        """Done at the first step the goal holds (the goal-reaching evaluation's rule), or when the plan ends."""
        return self.reached or super().done

    def act(self, obs, info):
        self.reached = self.reached or bool(info["is_success"])
        return super().act(obs, info)

    def succeeded(self, info):
        return self.reached or bool(info["is_success"])


class Reach(Skill):
    """Move to a random point of the workspace with a random yaw and gripper command."""

    name = "reach"

    def build(self, info):
        low = np.array([0.32, -0.3, 0.06])
        high = np.array([0.68, 0.05, 0.3])
        target = self.rng.uniform(low, high)
        yaw = float(self.rng.uniform(-1.4, 1.4))
        grip = CLOSE if self.rng.random() < 0.5 else OPEN
        return [Phase("reach", lambda i: (target, yaw, grip), lambda i, t: near(i, target, 0.02), 15)]

    def succeeded(self, info):
        return self.done


class Play(Skill):
    """Random play: an endless chain of sub-skills drawn at random (open or close a drawer,
    pick the object and place it somewhere on the table or in the tray, reach a random point),
    each with the play skill's noise. Success: the scene changed (a drawer moved >= 0.02 m or the
    object moved >= 0.03 m) since reset."""

    name = "play"

    def __init__(self, noise: float = 0.1, seed: int | None = None, drawers=(0,)):
        super().__init__(noise, seed)
        self.drawers = tuple(drawers)

    def _next(self, info, first: bool = False) -> Skill:
        seed = int(self.rng.integers(2**31))
        r = self.rng.random() * (0.9 if first else 1.0)  # the first sub-skill always interacts
        if r < 0.35:
            d = self.drawers[int(self.rng.integers(len(self.drawers)))]
            opening = float(info["drawer_opening"][d])
            cls = OpenDrawer if opening < L.DRAWER_TRAVEL / 2 else CloseDrawer
            return cls(self.noise, seed, drawer=d)
        if r < 0.9:
            if self.rng.random() < 0.3:
                target = L.TRAY_POS[:2] + self.rng.uniform(-0.03, 0.03, 2)
            else:
                target = self.rng.uniform(L.TABLE_OBJ_LOW, L.TABLE_OBJ_HIGH)
            return Place(self.noise, seed, target=target)
        return Reach(self.noise, seed)

    def reset(self, obs, info):
        self.start_info = {k: (np.array(v, copy=True) if isinstance(v, np.ndarray) else v) for k, v in info.items()}
        self.steps = 0
        self.current = self._next(info, first=True)
        self.current.reset(obs, info)
        self.history = [self.current.name]

    @property
    def done(self) -> bool:
        return False

    @property
    def phase_name(self) -> str:
        return f"{self.current.name}:{self.current.phase_name}"

    def act(self, obs, info):
        if self.current.done:
            self.current = self._next(info)
            self.current.reset(obs, info)
            self.history.append(self.current.name)
        self.steps += 1
        return self.current.act(obs, info)

    def succeeded(self, info):
        s = self.start_info
        drawer_moved = np.max(np.abs(np.asarray(info["drawer_opening"]) - s["drawer_opening"])) >= 0.02
        obj_moved = np.linalg.norm(np.asarray(info["object_pos"]) - s["object_pos"]) >= 0.03
        return bool(drawer_moved or obj_moved)

"""Scripted skills: small state machines over privileged `info` (positions of the gripper,
drawer handles and the object), with Gaussian action noise.

A skill is a list of phases. Each phase computes a target (tcp position, gripper yaw, gripper
command) from `info` and ends when its condition holds or after its step budget. The action is a
proportional move towards the target, saturated at the env's per-step limits, plus N(0, noise^2)
on every dimension, clipped to +-ACTION_LIMIT.

Why the numbers: the gripper command is always CLOSE (+0.7) or OPEN (-0.7), never "no opinion",
because the env reads its sign as the desired state; and no scripted action reaches +-1, which a
tanh-Gaussian policy could only fit with a broad distribution (roboverse's scripts do the same).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from robo_offline.world.sim import layout as L

CLOSE, OPEN = 0.7, -0.7  # gripper commands (env: > 0 closed, <= 0 open)
ACTION_LIMIT = 0.9  # every scripted action, noise included, stays within +-ACTION_LIMIT


@dataclass
class Phase:
    name: str
    target: Callable[[dict], tuple]  # info -> (pos (3,), yaw or None, gripper command)
    until: Callable[[dict, int], bool]  # (info, steps in phase) -> phase finished
    max_steps: int = 20


def move_action(info: dict, pos, yaw, grip: float) -> np.ndarray:
    a = np.zeros(5)
    a[:3] = (np.asarray(pos, dtype=np.float64) - info["ee_pos"]) / L.MAX_DPOS
    if yaw is not None:
        a[3] = L.wrap_half_pi(yaw - info["ee_yaw"]) / L.MAX_DYAW
    a[4] = grip
    return np.clip(a, -1.0, 1.0)


def near(info: dict, pos, tol: float = 0.01, yaw=None, yaw_tol: float = 0.08) -> bool:
    ok = float(np.linalg.norm(np.asarray(info["ee_pos"]) - np.asarray(pos))) < tol
    if yaw is not None:
        ok = ok and abs(L.wrap_half_pi(yaw - info["ee_yaw"])) < yaw_tol
    return ok


class Skill:
    """Base class: `reset(obs, info)`, `act(obs, info) -> float32 (5,)`, `succeeded(info)`, `done`."""

    name = "skill"

    def __init__(self, noise: float = 0.1, seed: int | None = None):
        if not np.isfinite(noise) or noise < 0:
            raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
        self.noise = float(noise)
        self.rng = np.random.default_rng(seed)
        self.phases: list[Phase] = []
        self.phase = 0
        self.t_phase = 0
        self.steps = 0

    # -- to implement
    def build(self, info: dict) -> list[Phase]:
        raise NotImplementedError

    def succeeded(self, info: dict) -> bool:
        raise NotImplementedError

    # -- API
    def reset(self, obs, info: dict) -> None:
        self.start_info = {k: (np.array(v, copy=True) if isinstance(v, np.ndarray) else v) for k, v in info.items()}
        self.phases = self.build(info)
        self.phase = 0
        self.t_phase = 0
        self.steps = 0

    @property
    def done(self) -> bool:
        return self.phase >= len(self.phases)

    @property
    def phase_name(self) -> str:
        return "done" if self.done else self.phases[self.phase].name

    def clean_action(self, obs, info: dict) -> np.ndarray:
        while not self.done:
            ph = self.phases[self.phase]
            if ph.until(info, self.t_phase) or self.t_phase >= ph.max_steps:
                self.phase += 1
                self.t_phase = 0
                continue
            pos, yaw, grip = ph.target(info)
            self.t_phase += 1
            return move_action(info, pos, yaw, grip)
        return self.idle_action(info)

    def idle_action(self, info: dict) -> np.ndarray:
        """After the script: hold the last phase's target pose (so that noise does not make the arm
        wander from where the script left it) and say which gripper state to keep: the current one."""
        pos, yaw, _ = self.phases[-1].target(info)
        return move_action(info, pos, yaw, CLOSE if info["gripper_closed"] else OPEN)

    def act(self, obs, info: dict) -> np.ndarray:
        a = self.clean_action(obs, info)
        self.steps += 1
        if self.noise > 0:
            a = a + self.rng.normal(0.0, self.noise, size=a.shape)
        return np.clip(a, -ACTION_LIMIT, ACTION_LIMIT).astype(np.float32)

"""open_drawer / close_drawer: lower the closed gripper into the gap between a drawer's front and
its handle bar (gripper yaw pi/2, fingers across the gap), pull out (open) or push in (close),
then rise. `drawer`: 0 = top, 1 = bottom, None = the env's `target_drawer` (top if none)."""
from __future__ import annotations

import numpy as np

from robo_offline.sim import layout as L
from robo_offline.skills.base import CLOSE, Phase, Skill, near

YAW = np.pi / 2
HOVER = 0.07  # above the gap before descending
DEPTH = 0.015  # tcp height above the handle centre while pulling (fingertips below the bar)
STROKE_SPEED = 0.02  # m per step while pulling or pushing


def _drawer_index(drawer, info) -> int:
    if drawer is None:
        d = int(info.get("target_drawer", 0))
        return d if d >= 0 else 0
    if isinstance(drawer, str):
        return L.DRAWER_NAMES.index(drawer)
    return int(drawer)


class _DrawerSkill(Skill):
    push_sign = 0.0  # -1: pull out (open), +1: push in (close)

    def __init__(self, noise: float = 0.1, seed: int | None = None, drawer=None):
        super().__init__(noise, seed)
        self.drawer_arg = drawer

    def _gap(self, info) -> np.ndarray:
        return np.asarray(info["handle_pos"][self.d], dtype=np.float64)

    def _goal_reached(self, info) -> bool:
        raise NotImplementedError

    def build(self, info):
        self.d = _drawer_index(self.drawer_arg, info)

        def above(i):
            return self._gap(i) + [0, 0, HOVER], YAW, CLOSE

        def down(i):
            return self._gap(i) + [0, 0, DEPTH], YAW, CLOSE

        def stroke(i):
            g = self._gap(i)
            opening = float(i["drawer_opening"][self.d])
            if self.push_sign < 0:  # pull until fully open
                y = g[1] - (L.DRAWER_TRAVEL + 0.01 - opening)
            else:
                y = g[1] + opening + 0.01
            # at most STROKE_SPEED per step, so things lying in the drawer do not slide
            ee_y = float(i["ee_pos"][1])
            y = float(np.clip(y, ee_y - STROKE_SPEED, ee_y + STROKE_SPEED))
            return np.array([g[0], y, g[2] + DEPTH]), YAW, CLOSE

        def rise(i):
            return self._gap(i) + [0, 0, HOVER + 0.03], YAW, CLOSE

        return [
            Phase("approach", above, lambda i, t: near(i, above(i)[0], 0.015, YAW, 0.1), 25),
            Phase("descend", down, lambda i, t: near(i, down(i)[0], 0.008), 10),
            Phase("stroke", stroke, lambda i, t: self._goal_reached(i), 15),
            Phase("rise", rise, lambda i, t: near(i, rise(i)[0], 0.02), 6),
        ]


class OpenDrawer(_DrawerSkill):
    name = "open_drawer"
    push_sign = -1.0

    def _goal_reached(self, info):
        return float(info["drawer_opening"][self.d]) >= L.DRAWER_TRAVEL - 0.008

    def succeeded(self, info):
        return float(info["drawer_opening"][self.d]) >= L.DRAWER_OPEN_THRESHOLD


class CloseDrawer(_DrawerSkill):
    name = "close_drawer"
    push_sign = 1.0

    def _goal_reached(self, info):
        return float(info["drawer_opening"][self.d]) <= 0.003

    def succeeded(self, info):
        return float(info["drawer_opening"][self.d]) <= L.DRAWER_CLOSED_THRESHOLD

"""open_drawer / close_drawer: lower the closed gripper into the gap between a drawer's front and
its handle bar (gripper yaw pi/2, fingers across the gap), pull out (open) or push in (close),
rise, open the gripper and retreat to a pose drawn from the neutral region the tasks start in
(layout.sample_neutral_pose): drawer data then ends where task data starts, the bridge that lets
offline RL stitch the two. `drawer`: 0 = top, 1 = bottom, None = the env's `target_drawer` (top if
none)."""
from __future__ import annotations

import numpy as np

from robo_offline.world.sim import layout as L
from robo_offline.world.skills.base import CLOSE, OPEN, Phase, Skill, near

YAW = np.pi / 2
DEPTH = 0.015  # tcp height above the handle centre while pulling (fingertips below the bar)
STROKE_SPEED = 0.02  # m per step while pulling or pushing
RETREAT_TOL = 0.015  # m from the drawn neutral pose that ends the retreat


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
        # Turn to the equivalent of pi/2 on the side of the current yaw (what the shortest turn
        # does anyway), and remember the side: at +-pi/2 the reported yaw (wrapped) cannot tell
        # the two apart, and the way back to the neutral yaw must not turn into the yaw limit.
        side = 1.0 if float(info["ee_yaw"]) > 0 else -1.0
        yaw = side * YAW

        def above(i):
            return self._gap(i) + [0, 0, L.DRAWER_HOVER_HEIGHT], yaw, CLOSE

        def down(i):
            return self._gap(i) + [0, 0, DEPTH], yaw, CLOSE

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
            return np.array([g[0], y, g[2] + DEPTH]), yaw, CLOSE

        def rise(i):
            return self._gap(i) + [0, 0, L.DRAWER_RELEASE_HEIGHT], yaw, CLOSE

        def release(i):
            return np.array(i["ee_pos"], dtype=np.float64), yaw, OPEN

        home, home_yaw = L.sample_neutral_pose(self.rng)
        halfway = side * YAW / 2  # less than pi/2 from both ends: an unambiguous turn

        def turn(i):
            return home, halfway, OPEN

        def retreat(i):
            return home, home_yaw, OPEN

        return [
            Phase("approach", above, lambda i, t: near(i, above(i)[0], 0.015, yaw, 0.1), 25),
            Phase("descend", down, lambda i, t: near(i, down(i)[0], 0.008), 10),
            Phase("stroke", stroke, lambda i, t: self._goal_reached(i), 15),
            Phase("rise", rise, lambda i, t: near(i, rise(i)[0], 0.02), 6),
            Phase("release", release, lambda i, t: not i["gripper_closed"], 2),
            Phase("turn", turn, lambda i, t: near(i, i["ee_pos"], 1.0, halfway, 0.25), 6),
            Phase("retreat", retreat, lambda i, t: near(i, home, RETREAT_TOL, home_yaw, 0.1), 20),
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

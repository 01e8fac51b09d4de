"""grasp / lift / place.

grasp: open the gripper above the object's grasp point (yaw from info["grasp_yaw"]), descend,
close (the world attaches the object when both fingers touch it), lift by `lift_height`.
Works from the table, the tray and an open drawer. Success: object held and its centre raised by
at least 0.06 m from where it started.
lift: raise the tcp by `height` keeping the gripper closed. Success: object held, raised >= 0.06 m.
place: (grasping first if the object is not held) carry the object above `target` (x, y; default
the tray centre), lower it, open, rise. Success: object released, resting within 0.04 m of the
target (inside the tray for the default target).
"""
from __future__ import annotations

import numpy as np

from robo_offline.world.sim import layout as L
from robo_offline.world.skills.base import CLOSE, OPEN, Phase, Skill, near

LIFTED = 0.06
CARRY_Z = 0.17


def grasp_tcp_z(info) -> float:
    """tcp height for a grasp: fingertips ~2 cm below the grasp point and >= 12 mm above the support."""
    bottom = float(info["object_pos"][2]) - float(info["object_height"]) / 2
    return max(float(info["grasp_pos"][2]) + 0.008, bottom + 0.042)


class GraspingSkill(Skill):
    """A skill that may grasp the object first (grasp, place). Its per-episode grasp state,
    `grasp_yaw` and `lift_from` (where the lift starts, known only once the fingers close), is
    set afresh by `grasp_phases`, which `build` calls on every reset."""

    def grasp_phases(self, info, lift: bool, lift_height: float, aim_offset=(0.0, 0.0)) -> list[Phase]:
        self.grasp_yaw = yaw = float(info["grasp_yaw"])
        self.lift_from = None
        dx, dy = (float(v) for v in aim_offset)

        def above(i):
            g = i["grasp_pos"]
            return np.array([g[0] + dx, g[1] + dy, grasp_tcp_z(i) + 0.09]), yaw, OPEN

        def down(i):
            g = i["grasp_pos"]
            return np.array([g[0] + dx, g[1] + dy, grasp_tcp_z(i)]), yaw, OPEN

        def close(i):
            e = i["ee_pos"]
            return np.array([e[0], e[1], grasp_tcp_z(i)]), yaw, CLOSE

        def orient(i):
            e = np.array(i["ee_pos"], dtype=np.float64)
            return np.array([e[0], e[1], max(e[2], above(i)[0][2])]), yaw, OPEN

        phases = [
            # turn the gripper to the grasp yaw before travelling, so open fingers sweep nothing
            Phase("orient", orient, lambda i, t: near(i, i["ee_pos"], 1.0, yaw, 0.35), 8),
            Phase("approach", above, lambda i, t: near(i, above(i)[0], 0.012, yaw, 0.08), 30),
            Phase("descend", down, lambda i, t: near(i, down(i)[0], 0.006), 10),
            Phase("close", close, lambda i, t: t >= 2 and bool(i["object_grasped"]), 6),
        ]
        if lift:
            def up(i):
                if self.lift_from is None:
                    self.lift_from = np.array(i["ee_pos"], dtype=np.float64)
                e = self.lift_from
                return np.array([e[0], e[1], max(e[2] + lift_height, CARRY_Z)]), yaw, CLOSE

            phases.append(Phase("lift", up, lambda i, t: t >= 1 and near(i, up(i)[0], 0.012), 10))
        return phases


class Grasp(GraspingSkill):
    name = "grasp"

    def __init__(self, noise: float = 0.1, seed: int | None = None, lift: bool = True, lift_height: float = 0.12,
                 aim_noise: float = 0.0):
        """`aim_noise`: standard deviation (m) of a per-episode x, y offset of the point the script
        aims at (roboverse's `pick_point_noise`), so that some grasps close beside the object and
        fail: task data with failures next to successes, as a critic needs to tell them apart."""
        super().__init__(noise, seed)
        if not np.isfinite(aim_noise) or aim_noise < 0:
            raise ValueError(f"aim_noise must be a finite number >= 0 (metres), got {aim_noise!r}")
        self.lift = lift
        self.lift_height = lift_height
        self.aim_noise = float(aim_noise)

    def build(self, info):
        self.start_z = float(info["object_pos"][2])
        self.aim_offset = self.rng.normal(0.0, self.aim_noise, size=2) if self.aim_noise > 0 else np.zeros(2)
        return self.grasp_phases(info, self.lift, self.lift_height, self.aim_offset)

    def succeeded(self, info):
        if not info["object_grasped"]:
            return False
        return (not self.lift) or float(info["object_pos"][2]) >= self.start_z + LIFTED


class Lift(Skill):
    name = "lift"

    def __init__(self, noise: float = 0.1, seed: int | None = None, height: float = 0.12):
        super().__init__(noise, seed)
        self.height = height

    def build(self, info):
        self.start_z = float(info["object_pos"][2])
        e = np.array(info["ee_pos"], dtype=np.float64)
        target = np.array([e[0], e[1], max(e[2] + self.height, CARRY_Z)])
        return [Phase("lift", lambda i: (target, None, CLOSE), lambda i, t: near(i, target, 0.012), 10)]

    def succeeded(self, info):
        return bool(info["object_grasped"]) and float(info["object_pos"][2]) >= self.start_z + LIFTED


def in_tray(xy) -> bool:
    return bool(np.all(np.abs(np.asarray(xy[:2]) - L.TRAY_POS[:2]) < L.TRAY_HALF))


class Place(GraspingSkill):
    name = "place"

    def __init__(self, noise: float = 0.1, seed: int | None = None, target=None):
        super().__init__(noise, seed)
        self.target_arg = None if target is None else np.asarray(target, dtype=np.float64)[:2]

    def build(self, info):
        self.target = L.TRAY_POS[:2].copy() if self.target_arg is None else self.target_arg.copy()
        surface = L.TRAY_FLOOR if in_tray(self.target) else 0.0
        phases = [] if info["object_grasped"] else self.grasp_phases(info, True, 0.1)
        tx, ty = self.target

        def carry(i):
            return np.array([tx, ty, CARRY_Z]), None, CLOSE

        def lower(i):
            e = np.asarray(i["ee_pos"], dtype=np.float64)
            obj_bottom = float(i["object_pos"][2]) - float(i["object_height"]) / 2
            return np.array([tx, ty, e[2] + (surface + 0.012 - obj_bottom)]), None, CLOSE

        def release(i):
            return np.array(i["ee_pos"], dtype=np.float64), None, OPEN

        def rise(i):
            return np.array([tx, ty, CARRY_Z]), None, OPEN

        phases += [
            Phase("carry", carry, lambda i, t: near(i, carry(i)[0], 0.015), 30),
            Phase("lower", lower, lambda i, t: t >= 1 and abs(lower(i)[0][2] - i["ee_pos"][2]) < 0.006, 8),
            Phase("release", release, lambda i, t: t >= 2, 3),
            Phase("rise", rise, lambda i, t: near(i, rise(i)[0], 0.02), 6),
        ]
        return phases

    def succeeded(self, info):
        pos = np.asarray(info["object_pos"])
        close = float(np.linalg.norm(pos[:2] - self.target)) < 0.04 or (
            self.target_arg is None and in_tray(pos))
        resting = pos[2] < float(info["object_height"]) / 2 + L.TRAY_FLOOR + 0.02
        return bool(not info["object_grasped"] and close and resting)

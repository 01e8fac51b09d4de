"""What every task shares: object sampling, robot start poses, the common info keys."""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from robo_offline.world.sim import layout as L
from robo_offline.world.sim.objects import COLOUR_NAMES, SHAPE_NAMES, SHAPES, ObjectSpec

if TYPE_CHECKING:  # tasks only call the world's methods: importing them needs no pybullet
    from robo_offline.world.sim.world import World

LIFT_ABOVE_TABLE_Z = 0.09  # object centre height that counts as "lifted" off the table or tray


class Task:
    """Subclasses set the class attributes and implement `configure` and `success`."""

    name: str = ""
    horizon: int = 50
    starts: tuple[str, ...] = ("default",)
    target_drawer: int = -1  # drawer the task is about (0 top, 1 bottom), -1 none
    grasp_yaw_pref: float = 0.0  # preferred gripper yaw for grasping the object where it starts
    goal_conditioned = False
    goal_vector = False  # goal-conditioned tasks: the goal as a vector beside camera frames (GoalReach)
    camera: L.Camera = L.CAMERA_WIDE  # what the observation frames (the drawer tasks look closer)

    def __init__(self, start: str | None = None):
        start = self.starts[0] if start is None else start
        if start not in self.starts:
            raise ValueError(f"{self.name}: unknown start {start!r}; choose one of {list(self.starts)}")
        self.start = start

    # -- to implement
    def configure(self, world: World, rng: np.random.Generator) -> None:
        raise NotImplementedError

    def success(self, world: World) -> bool:
        raise NotImplementedError

    def extra_info(self, world: World) -> dict:
        return {}

    def info(self, world: World) -> dict:
        """What the env reports in `info` every step: the privileged scene state (robo_offline.
        privileged_state builds the state observation from it) plus the task's `extra_info`."""
        pos, obj_yaw = world.object_pose(0)
        grasp_pos, grasp_yaw = self.grasp_yaw(world, 0)
        openings = world.drawer_openings()
        info = {
            "is_success": bool(self.success(world)),
            "ee_pos": world.ee_pos.astype(np.float32),
            "ee_yaw": float(world.ee_yaw),
            "gripper_opening": float(world.gripper_opening),
            "gripper_closed": bool(world.gripper_closed),
            "drawer_opening": openings.astype(np.float32),
            "handle_pos": np.stack([L.handle_gap_pos(i, openings[i]) for i in range(2)]).astype(np.float32),
            "object_pos": pos.astype(np.float32),
            "object_yaw": float(obj_yaw),
            "object_grasped": bool(world.is_grasped(0)),
            "object_height": float(2 * SHAPES[world.object_specs[0].shape].half_height),
            "grasp_pos": grasp_pos.astype(np.float32),
            "grasp_yaw": float(grasp_yaw),
            "target_drawer": int(self.target_drawer),
        }
        info.update(self.extra_info(world))
        return info

    # -- helpers
    @staticmethod
    def sample_object(rng: np.random.Generator) -> tuple[str, str]:
        return SHAPE_NAMES[rng.integers(len(SHAPE_NAMES))], COLOUR_NAMES[rng.integers(len(COLOUR_NAMES))]

    @staticmethod
    def table_object(rng, shape: str, colour: str, where: str) -> ObjectSpec:
        """An object resting on the table (`where="table"`) or in the tray (`"tray"`)."""
        hh = SHAPES[shape].half_height
        if where == "tray":
            xy = L.TRAY_POS[:2] + rng.uniform(-0.025, 0.025, size=2)
            z = L.TRAY_FLOOR + hh + 0.001
        else:
            xy = rng.uniform(L.TABLE_OBJ_LOW, L.TABLE_OBJ_HIGH)
            z = hh + 0.001
        return ObjectSpec(shape, colour, np.array([xy[0], xy[1], z]), float(rng.uniform(-np.pi, np.pi)))

    @staticmethod
    def drawer_object(rng, shape: str, colour: str, drawer: int, opening: float) -> ObjectSpec:
        """An object in the front part of drawer `drawer` (it comes out when the drawer opens).
        Its yaw keeps a grasp with the fingers closing along x (gripper yaw ~ pi/2) available."""
        hh = SHAPES[shape].half_height
        # bottom drawer: keep to the side away from the top drawer's handle (at x = +0.09), so the
        # palm (0.12 m along the finger axis) passes beside it when reaching into the drawer
        x = L.CABINET_POS[0] + (rng.uniform(-0.03, 0.03) if drawer == 0 else rng.uniform(-0.035, -0.02))
        y = L.CABINET_POS[1] + L.DRAWER_OBJECT_LOCAL_Y + rng.uniform(-0.005, 0.005) - opening
        z = L.drawer_floor_z(drawer) + hh + 0.001
        yaw = np.pi / 2 + rng.uniform(-0.3, 0.3)
        return ObjectSpec(shape, colour, np.array([x, y, z]), float(yaw))

    @staticmethod
    def slid_back(obj: ObjectSpec, rng) -> ObjectSpec:
        """`obj` where pulling its drawer open leaves it: slid back by U(L.PULL_SLIDE)."""
        return dataclasses.replace(obj, pos=obj.pos + [0.0, rng.uniform(*L.PULL_SLIDE), 0.0])

    def grasp_yaw(self, world: World, index: int = 0) -> tuple[np.ndarray, float]:
        """Grasp point and the gripper yaw (within limits) closest to the task's preference."""
        gp, obj_yaw = world.grasp_point(index)
        period = SHAPES[world.object_specs[index].shape].grasp_yaw_period
        # the equivalent grasp yaw (obj_yaw + k * period; period divides pi) nearest the preference
        pref = self.grasp_yaw_pref
        best = pref + ((obj_yaw - pref + period / 2) % period - period / 2)
        return gp, float(L.wrap_half_pi(best))

    def object_lifted(self, world: World, min_z: float) -> bool:
        pos, _ = world.object_pose(0)
        return bool(world.is_grasped(0) and pos[2] >= min_z)

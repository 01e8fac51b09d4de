"""Grasp-v1: grasp the object (on the table or in the tray, random shape, colour, pose) and lift
it: success = object held by the gripper with its centre at z >= 0.09 m (table top z = 0)."""
from __future__ import annotations

from robo_offline.world.sim import layout as L
from robo_offline.world.tasks.base import LIFT_ABOVE_TABLE_Z, Task


class GraspTask(Task):
    name = "Grasp-v1"
    horizon = 40
    starts = ("random", "table", "tray")

    def configure(self, world, rng):
        shape, colour = self.sample_object(rng)
        where = self.start if self.start != "random" else ("table" if rng.random() < 0.5 else "tray")
        obj = self.table_object(rng, shape, colour, where)
        tcp, yaw = L.sample_neutral_pose(rng)
        world.reset_scene([0.0, 0.0], tcp, yaw, False, [obj])

    def success(self, world):
        return self.object_lifted(world, LIFT_ABOVE_TABLE_Z)

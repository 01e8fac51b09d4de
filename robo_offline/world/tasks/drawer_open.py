"""DrawerOpen-v1: open the top drawer (closed at the start) past 0.10 m of its 0.15 m travel.
A random object stands on the table as a distractor."""
from __future__ import annotations

from robo_offline.world.sim import layout as L
from robo_offline.world.tasks.base import Task


class DrawerOpenTask(Task):
    name = "DrawerOpen-v1"
    camera = L.CAMERA_DRAWER
    horizon = 40
    starts = ("closed",)
    target_drawer = 0

    def configure(self, world, rng):
        shape, colour = self.sample_object(rng)
        obj = self.table_object(rng, shape, colour, "table" if rng.random() < 0.5 else "tray")
        tcp, yaw = L.sample_neutral_pose(rng)
        world.reset_scene([0.0, 0.0], tcp, yaw, False, [obj])

    def success(self, world):
        return bool(world.drawer_openings()[0] >= L.DRAWER_OPEN_THRESHOLD)

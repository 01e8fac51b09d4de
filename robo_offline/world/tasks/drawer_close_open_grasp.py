"""DrawerCloseOpenGrasp-v1: the top drawer stands open and blocks the handle of the bottom
drawer, which holds the object. Close the top drawer, open the bottom one, grasp the object and
lift it (held, centre at z >= 0.12 m, above the bottom drawer's walls).
Starts: "top_open" (default), "bottom_open" (task data: the state close_top_open_bottom
leaves: top closed, bottom open 0.145-0.15 m (layout.DRAWER_LEFT_OPEN), gripper open in the
neutral region) and "bottom_pulled" (as "bottom_open", but the object slid back in the bottom
drawer by U(0, 5) cm, where pulling it open leaves it; layout.PULL_SLIDE).
Horizon 100: the whole scripted chain (close_top_open_bottom_grasp, noise 0.1) takes 90 steps
(median), 95 (95th percentile) from the top_open start."""
from __future__ import annotations

import numpy as np

from robo_offline.world.sim import layout as L
from robo_offline.world.tasks.base import Task

LIFT_OUT_Z = 0.12


class DrawerCloseOpenGraspTask(Task):
    name = "DrawerCloseOpenGrasp-v1"
    camera = L.CAMERA_DRAWER
    horizon = 100
    starts = ("top_open", "bottom_open", "bottom_pulled")
    target_drawer = 1
    grasp_yaw_pref = np.pi / 2

    def configure(self, world, rng):
        shape, colour = self.sample_object(rng)
        if self.start == "top_open":
            top, bottom = float(rng.uniform(0.10, 0.15)), 0.0
        else:
            top, bottom = 0.0, float(rng.uniform(*L.DRAWER_LEFT_OPEN))
        obj = self.drawer_object(rng, shape, colour, 1, bottom)
        if self.start == "bottom_pulled":
            obj = self.slid_back(obj, rng)
        tcp, yaw = L.sample_neutral_pose(rng)
        world.reset_scene([top, bottom], tcp, yaw, False, [obj])

    def success(self, world):
        return self.object_lifted(world, LIFT_OUT_Z)

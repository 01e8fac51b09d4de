"""DrawerGrasp-v1: the object lies in the top drawer; open it, grasp the object and lift it out
(held, centre at z >= 0.205 m, above the drawer's walls). Starts: "closed" (default, the prior
data's start) and "open" (COG's task-data start: the state open_drawer leaves, drawer open
0.145-0.15 m (layout.DRAWER_LEFT_OPEN), gripper open in the neutral region, so task data starts
where prior data ends).
Horizon 70: the whole scripted chain (open_drawer_grasp, noise 0.1) takes 59 steps (median),
64 (95th percentile) from the closed start."""
from __future__ import annotations

import numpy as np

from robo_offline.world.sim import layout as L
from robo_offline.world.tasks.base import Task

LIFT_OUT_Z = 0.205


class DrawerGraspTask(Task):
    name = "DrawerGrasp-v1"
    camera = L.CAMERA_DRAWER
    horizon = 70
    starts = ("closed", "open")
    target_drawer = 0
    grasp_yaw_pref = np.pi / 2

    def configure(self, world, rng):
        shape, colour = self.sample_object(rng)
        opening = 0.0 if self.start == "closed" else float(rng.uniform(*L.DRAWER_LEFT_OPEN))
        obj = self.drawer_object(rng, shape, colour, 0, opening)
        tcp, yaw = L.sample_neutral_pose(rng)
        world.reset_scene([opening, 0.0], tcp, yaw, False, [obj])

    def success(self, world):
        return self.object_lifted(world, LIFT_OUT_Z)

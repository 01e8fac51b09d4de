"""DrawerGrasp-v1: the object lies in the top drawer; open it, grasp the object and lift it out
(held, centre at z >= 0.205 m, above the drawer's walls). Starts: "closed" (default, the prior
data's start) and "open" (drawer already open 0.13-0.15 m: COG's task-data start)."""
from __future__ import annotations

import numpy as np

from robo_offline.tasks.base import Task

LIFT_OUT_Z = 0.205


class DrawerGraspTask(Task):
    name = "DrawerGrasp-v1"
    horizon = 50
    starts = ("closed", "open")
    target_drawer = 0
    grasp_yaw_pref = np.pi / 2

    def configure(self, world, rng):
        shape, colour = self.sample_object(rng)
        opening = 0.0 if self.start == "closed" else float(rng.uniform(0.13, 0.15))
        obj = self.drawer_object(rng, shape, colour, 0, opening)
        tcp, yaw = self.sample_robot_start(rng)
        world.reset_scene([opening, 0.0], tcp, yaw, False, [obj])

    def success(self, world):
        return self.object_lifted(world, LIFT_OUT_Z)

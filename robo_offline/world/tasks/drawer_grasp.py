"""DrawerGrasp-v1: the object lies in the top drawer; open it, grasp the object and lift it out
(held, centre at z >= 0.205 m, above the drawer's walls). Starts: "closed" (default, the prior
data's start), "open" (COG's task-data start: the state open_drawer leaves, drawer open
0.145-0.15 m (layout.DRAWER_LEFT_OPEN), gripper open in the neutral region, so task data starts
where prior data ends), "handoff" (drawer open as in "open", gripper open anywhere on the way
open_drawer's retreat takes, from where it lets go above the handle to the neutral region: task
data that also covers the states a stitched policy leaves the drawer from) and "pulled" (as "open",
but the object lies where pulling the drawer open leaves it: slid back in the drawer by
U(0, 5) cm (layout.PULL_SLIDE); "open" and "handoff" place it where it lay in the closed drawer, where
neither the scripted pull nor a learned one leaves it).
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
    starts = ("closed", "open", "handoff", "pulled")
    target_drawer = 0
    grasp_yaw_pref = np.pi / 2

    def configure(self, world, rng):
        shape, colour = self.sample_object(rng)
        opening = 0.0 if self.start == "closed" else float(rng.uniform(*L.DRAWER_LEFT_OPEN))
        obj = self.drawer_object(rng, shape, colour, 0, opening)
        if self.start == "pulled":
            obj = self.slid_back(obj, rng)
        tcp, yaw = L.sample_neutral_pose(rng)
        if self.start == "handoff":
            tcp, yaw = self._on_the_retreat(rng, opening, tcp, yaw)
        world.reset_scene([opening, 0.0], tcp, yaw, False, [obj])

    @staticmethod
    def _on_the_retreat(rng, opening, neutral_tcp, neutral_yaw):
        """A pose a fraction u ~ U(0, 1) of the way from open_drawer's release pose (above the
        handle's gap, yaw +-pi/2; u = 0) to a neutral pose (u = 1), jittered by +-1 cm."""
        release = L.handle_gap_pos(0, opening) + [0.0, 0.0, L.DRAWER_RELEASE_HEIGHT]
        release_yaw = float(rng.choice([-1.0, 1.0])) * np.pi / 2
        u = float(rng.uniform())
        tcp = (1 - u) * release + u * neutral_tcp + rng.uniform(-0.01, 0.01, size=3)
        return tcp, (1 - u) * release_yaw + u * neutral_yaw

    def success(self, world):
        return self.object_lifted(world, LIFT_OUT_Z)

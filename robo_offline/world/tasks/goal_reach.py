"""GoalReach-v1: the drawer scene in a random state, and a goal image of another reachable state.
Goal vector (achieved_goal / desired_goal, 5 numbers): top and bottom drawer openings (m) and the
object's centre (x, y, z). Success: every drawer within 0.03 m of its goal opening and the object
within 0.04 m of its goal position. The bottom drawer stays closed in start and goal; the top
drawer is closed or open 0.07-0.15 m; the object rests on the table or in the tray.

Goal families (`family=`): `any` (default; start and goal drawn independently, as the play data's
episodes are), `drawer` (only the top drawer's state changes), `object` (only the object moves)
and `both` (both change). "Changes" means by more than twice the success tolerance, so that no
goal of a family is reached at the start. Alongside the goal image the task keeps the goal's
privileged state vector with only its scene columns kept (`goal_state`; robo_offline.
privileged_state.GOAL_SCENE_COLUMNS), the goal of `obs_mode=state`.

The goal image shows the scene without the arm, as the state goal drops the robot's columns: a goal
says how the scene should look, not where the arm should end (with the arm's pose in the goal,
agents learned to park the arm there; README, goal reaching). `scene_images=True` (the play
recipe) adds the same kind of picture of the current scene to every step's info (`scene_image`), so
that a frame of the data can serve as a hindsight goal image.

`goal_vector=True` gives the goal as that privileged vector beside the camera frames (no goal image):
train's `oracle_goal`, a diagnostic that tells what the goal picture's features lose from what the
frame's features lose."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from robo_offline.world.privileged_state import PRIVILEGED_STATE_DIM, goal_scene_mask, privileged_state
from robo_offline.world.sim import layout as L
from robo_offline.world.tasks.base import Task

if TYPE_CHECKING:
    from robo_offline.world.sim.world import World

DRAWER_TOLERANCE = 0.03
OBJECT_TOLERANCE = 0.04
GOAL_DIM = 5
GOAL_FAMILIES = ("any", "drawer", "object", "both")


def goal_reached(achieved_goal, desired_goal) -> np.ndarray:
    """Vectorised success over any leading batch dimensions -> bool array."""
    a = np.asarray(achieved_goal, dtype=np.float64)
    d = np.asarray(desired_goal, dtype=np.float64)
    drawer_ok = np.all(np.abs(a[..., :2] - d[..., :2]) < DRAWER_TOLERANCE, axis=-1)
    object_ok = np.linalg.norm(a[..., 2:5] - d[..., 2:5], axis=-1) < OBJECT_TOLERANCE
    return drawer_ok & object_ok


class GoalReachTask(Task):
    name = "GoalReach-v1"
    horizon = 60
    starts = ("random",)
    target_drawer = 0
    goal_conditioned = True

    def __init__(self, start: str | None = None, goal_image: bool = True, family: str = "any",
                 goal_view_size: int | None = None, scene_images: bool = False, goal_vector: bool = False):
        super().__init__(start)
        self.goal_vector = bool(goal_vector)
        goal_image = goal_image and not self.goal_vector
        if family not in GOAL_FAMILIES:
            raise ValueError(f"GoalReach: unknown goal family {family!r}; choose one of {list(GOAL_FAMILIES)}")
        self.want_goal_image = bool(goal_image)
        self.family = family
        self.desired_goal = np.zeros(GOAL_DIM, dtype=np.float32)
        self.goal_image: np.ndarray | None = None
        self.goal_view_size = goal_view_size  # also photograph the goal at this size (videos)
        self.goal_view: np.ndarray | None = None
        self.goal_state = np.zeros(PRIVILEGED_STATE_DIM, dtype=np.float32)
        self.scene_images = bool(scene_images)

    @staticmethod
    def _sample_drawer(rng) -> float:
        return 0.0 if rng.random() < 0.5 else float(rng.uniform(0.07, 0.15))

    def _goal_drawer(self, rng, start: float) -> float:
        if self.family in ("any", "object"):
            return self._sample_drawer(rng) if self.family == "any" else start
        while True:  # drawer and both: a different drawer state
            goal = self._sample_drawer(rng)
            if abs(goal - start) > 2 * DRAWER_TOLERANCE:
                return goal

    def _goal_object(self, rng, start, where):
        if self.family == "drawer":
            return start
        while True:
            goal = self.table_object(rng, start.shape, start.colour, where())
            if self.family == "any" or np.linalg.norm(goal.pos - start.pos) > 2 * OBJECT_TOLERANCE:
                return goal

    def configure(self, world: World, rng: np.random.Generator) -> None:
        shape, colour = self.sample_object(rng)
        where = lambda: "table" if rng.random() < 0.5 else "tray"  # noqa: E731
        start_obj = self.table_object(rng, shape, colour, where())
        start_drawer = self._sample_drawer(rng)
        start_tcp, start_yaw = L.sample_neutral_pose(rng)
        goal_obj = self._goal_object(rng, start_obj, where)
        goal_drawer = self._goal_drawer(rng, start_drawer)
        goal_tcp, goal_yaw = L.sample_neutral_pose(rng)
        # pose the world in the goal state, record it, then set the start state
        world.reset_scene([goal_drawer, 0.0], goal_tcp, goal_yaw, False, [goal_obj])
        self.desired_goal = self.achieved_goal(world)
        self.goal_state = privileged_state(self.info(world)) * goal_scene_mask()
        if self.want_goal_image:
            self.goal_image = world.camera_image(robot=False)
        if self.goal_view_size:
            self.goal_view = world.camera_image(self.goal_view_size, robot=False)
        world.set_drawers([start_drawer, 0.0])
        world.set_object_pose(0, start_obj.pos, start_obj.yaw)
        world.set_robot(start_tcp, start_yaw, False)

    @staticmethod
    def achieved_goal(world: World) -> np.ndarray:
        pos, _ = world.object_pose(0)
        return np.concatenate([world.drawer_openings(), pos]).astype(np.float32)

    def success(self, world):
        return bool(goal_reached(self.achieved_goal(world), self.desired_goal))

    def extra_info(self, world):
        info = {"achieved_goal": self.achieved_goal(world), "desired_goal": self.desired_goal.copy()}
        if self.scene_images:
            info["scene_image"] = world.camera_image(robot=False)
        return info

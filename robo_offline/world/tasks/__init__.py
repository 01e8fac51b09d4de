"""Tasks: one file each. A task owns the reset distribution (with its named `start` options),
the success rule, the sparse reward and (GoalReach) goal sampling; the world is shared."""
from robo_offline.world.tasks.base import Task  # noqa: F401
from robo_offline.world.tasks.drawer_open import DrawerOpenTask
from robo_offline.world.tasks.grasp import GraspTask
from robo_offline.world.tasks.drawer_grasp import DrawerGraspTask
from robo_offline.world.tasks.drawer_close_open_grasp import DrawerCloseOpenGraspTask
from robo_offline.world.tasks.goal_reach import GoalReachTask

TASKS = {
    "DrawerOpen": DrawerOpenTask,
    "Grasp": GraspTask,
    "DrawerGrasp": DrawerGraspTask,
    "DrawerCloseOpenGrasp": DrawerCloseOpenGraspTask,
    "GoalReach": GoalReachTask,
}

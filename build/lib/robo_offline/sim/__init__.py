"""The PyBullet world of robo_offline: client, arm + gripper, cabinet with two drawers,
objects, camera. `World` composes them; tasks (robo_offline.tasks) configure it per episode."""
from robo_offline.sim.world import World  # noqa: F401
from robo_offline.sim import layout  # noqa: F401

"""The PyBullet world of robo_offline: client, arm + gripper, cabinet with two drawers,
objects, camera. `World` (robo_offline.world.sim.world) composes them; tasks (robo_offline.world.tasks)
configure it per episode. Only robo_offline.world.sim.world imports pybullet (through
robo_offline.world.sim.bullet): layout and objects are plain numbers that tasks and skills read without it.
"""

"""The PyBullet world of robo_offline: client, arm + gripper, cabinet with two drawers,
objects, camera. `World` (robo_offline.sim.world) composes them; tasks (robo_offline.tasks)
configure it per episode. Only robo_offline.sim.world imports pybullet (through
robo_offline.sim.bullet): layout and objects are plain numbers that tasks and skills read without it.
"""

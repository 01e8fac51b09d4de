"""robo_offline: offline RL from images in simulated drawer and grasping worlds.

Importing the package registers the Gymnasium environments (`robo_offline/<Task>-v0`).
"""
from robo_offline.envs import register_envs

register_envs()

__version__ = "0.1.0"

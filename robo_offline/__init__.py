"""robo_offline: offline RL from images in simulated drawer and grasping worlds.

Importing the package registers the Gymnasium environments (`robo_offline/<Task>-v1`) and points
Minari at the project's dataset store (`datasets/` in the checkout) unless `MINARI_DATASETS_PATH`
is already set, so `minari.load_dataset(id)` finds generated datasets.
"""
from robo_offline.envs import register_envs
from robo_offline.paths import use_project_dataset_store

register_envs()
use_project_dataset_store()

__version__ = "0.1.0"

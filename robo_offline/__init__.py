"""robo_offline: offline RL from images in simulated drawer and grasping worlds.

Importing the package registers the Gymnasium environments (`robo_offline/<Task>-v1`) and
nothing else: the process environment is left alone. The dataset store is `datasets/` in the
checkout unless `MINARI_DATASETS_PATH` is set (robo_offline.paths.resolve_store); open a dataset
with `robo_offline.data.minari_dataset(id)`, or point plain Minari at the store with
`MINARI_DATASETS_PATH=datasets`.
"""
from robo_offline.envs import register_envs

register_envs()

__version__ = "0.1.0"

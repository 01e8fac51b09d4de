"""robo_offline: offline RL from images in simulated drawer and grasping worlds.

Importing the package registers the Gymnasium environments (`robo_offline/<Task>-v1`) and
nothing else: the process environment is left alone. The dataset store is `datasets/` in the
checkout unless `MINARI_DATASETS_PATH` is set (robo_offline.paths.resolve_store); open a dataset
with `robo_offline.data.minari_dataset(id)`, or point plain Minari at the store with
`MINARI_DATASETS_PATH=datasets`.

Four layers, each importing only the ones before it (docs/interfaces.md has their contracts):

    world/      the PyBullet world, tasks, scripted skills, the Gymnasium env
    data/       Minari datasets: recipes, writer, reader, the replay buffer
    nets/ algos/  the agents: encoders and heads; CQL, BC, IQL, AWAC, the goal-conditioned ones, and
                the frozen image representation (algos/representation.py)
    commands/   `robo-offline <command>` (cli.py), the demo, the skills table and the benchmarks

and small shared modules beside them: `errors`, `paths`, `device`, `augment`, `video` and
`checkpoint` for any layer; `evaluation` (rollouts, success rates), `agent_io` (an agent from a
checkpoint), `logger` and `plots` for the commands, so that no command imports another.
"""
from robo_offline.world.envs import register_envs

register_envs()

__version__ = "0.1.0"

"""The world: layer 1 of 4 (world -> data -> agents -> commands).

The PyBullet simulation (`sim/`), one task per file (`tasks/`), the scripted skills (`skills/`),
the Gymnasium env and its registration (`envs.py`), the privileged state vector
(`privileged_state.py`) and the world demo pictures and videos (`demo_world.py`).

May import: itself and the package's small shared modules (`errors`, `paths`, `video`); never
`data`, `nets`, `algos` or `commands`. Importing it does not load pybullet: the first env does.
"""

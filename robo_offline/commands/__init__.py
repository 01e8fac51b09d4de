"""The commands: layer 4 of 4 (world -> data -> agents -> commands).

One module per command of `robo-offline <command>` (`cli.py` dispatches: `generate`, `pretrain`,
`train`, `eval` = `evaluate.py`, `render`, `export`, `results`, `qtrace`), and the tools run with
`python -m`: `demo` (`make demo`), `evaluate_skills` (the scripted skills' success table) and
`bench/` (`make bench`). Each takes Hydra overrides through `run_hydra_app` below.

May import: every lower layer (`world`, `data`, `nets`, `algos`) and the package's shared modules
(`errors`, `paths`, `device`, `checkpoint`, `video`, `evaluation`, `agent_io`, `logger`, `plots`).
A command never imports another command: what two commands share lives below them (e.g.
`robo_offline.evaluation` for `train`, `eval`, `render` and `qtrace`; `robo_offline.data.experiment`
for `train` and `pretrain`). Nothing outside this package imports it.
"""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Callable

from robo_offline.errors import UserError

if TYPE_CHECKING:
    from omegaconf import DictConfig


def run_hydra_app(label: str, config_name: str, run: Callable[[DictConfig], None], overrides: list[str]) -> None:
    """`run(cfg)` on `configs/<config_name>.yaml` with `overrides` (key=value): the one CLI dialect of
    the commands, the skills evaluation and the benchmarks. A UserError ends it with one line."""
    import hydra

    from robo_offline.paths import CONFIGS_DIR

    @hydra.main(version_base="1.3", config_path=str(CONFIGS_DIR), config_name=config_name)
    def app(cfg) -> None:
        try:
            run(cfg)
        except UserError as err:
            print(f"{label}: error: {err}", file=sys.stderr)
            raise SystemExit(1) from None

    sys.argv = [label, *overrides]
    app()

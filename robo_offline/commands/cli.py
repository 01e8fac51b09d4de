"""`robo-offline <command> [hydra overrides]`: one Hydra app per command.

Commands and the config each one starts from (in `configs/`):
  generate  -> generate.yaml  (robo_offline.generate.run)
  pretrain  -> pretrain.yaml  (robo_offline.pretrain.run)
  train     -> train.yaml     (robo_offline.train.run)
  eval      -> eval.yaml      (robo_offline.evaluate.run)
  render    -> render.yaml    (robo_offline.render.run)
  export    -> export.yaml    (robo_offline.export.run)
  results   -> results.yaml   (robo_offline.results.run)
  qtrace    -> qtrace.yaml    (robo_offline.qtrace.run)
The skills evaluation (`python -m robo_offline.skills.evaluate`, skills.yaml) and the benchmarks
(`python -m robo_offline.bench`, bench.yaml) take the same key=value overrides.
"""
from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Callable

from robo_offline.errors import UserError

if TYPE_CHECKING:
    from omegaconf import DictConfig

COMMANDS = {
    "generate": ("generate", "robo_offline.generate"),
    "pretrain": ("pretrain", "robo_offline.pretrain"),
    "train": ("train", "robo_offline.train"),
    "eval": ("eval", "robo_offline.evaluate"),
    "render": ("render", "robo_offline.render"),
    "export": ("export", "robo_offline.export"),
    "results": ("results", "robo_offline.results"),
    "qtrace": ("qtrace", "robo_offline.qtrace"),
}


def _usage() -> str:
    return "usage: robo-offline {" + ",".join(COMMANDS) + "} [key=value ...]  (Hydra overrides; --help per command)"


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        print(__doc__)
        raise SystemExit(0 if argv else 2)
    command = argv.pop(0)
    if command not in COMMANDS:
        print(f"robo-offline: unknown command {command!r}. {_usage()}", file=sys.stderr)
        raise SystemExit(2)
    config_name, module_name = COMMANDS[command]
    module = importlib.import_module(module_name)
    renamed = module.renamed_agent_overrides(argv) if command == "train" else []
    if renamed:  # Hydra would reject them as unknown keys without naming the new ones
        print(f"robo-offline train: error: agent keys were renamed: {', '.join(renamed)}", file=sys.stderr)
        raise SystemExit(1)
    run_hydra_app(f"robo-offline {command}", config_name, module.run, argv)


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


if __name__ == "__main__":
    main()

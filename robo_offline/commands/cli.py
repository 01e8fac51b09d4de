"""`robo-offline <command> [hydra overrides]`: one Hydra app per command.

Commands and the config each one starts from (in `configs/`):
  generate  -> generate.yaml  (robo_offline.commands.generate.run)
  pretrain  -> pretrain.yaml  (robo_offline.commands.pretrain.run)
  train     -> train.yaml     (robo_offline.commands.train.run)
  eval      -> eval.yaml      (robo_offline.commands.evaluate.run)
  render    -> render.yaml    (robo_offline.commands.render.run)
  export    -> export.yaml    (robo_offline.commands.export.run)
  results   -> results.yaml   (robo_offline.commands.results.run)
  qtrace    -> qtrace.yaml    (robo_offline.commands.qtrace.run)
The skills evaluation (`python -m robo_offline.commands.evaluate_skills`, skills.yaml) and the
benchmarks (`python -m robo_offline.commands.bench`, bench.yaml) take the same key=value overrides.
"""
from __future__ import annotations

import importlib
import sys

from robo_offline.commands import run_hydra_app

COMMANDS = {
    "generate": ("generate", "robo_offline.commands.generate"),
    "pretrain": ("pretrain", "robo_offline.commands.pretrain"),
    "train": ("train", "robo_offline.commands.train"),
    "eval": ("eval", "robo_offline.commands.evaluate"),
    "render": ("render", "robo_offline.commands.render"),
    "export": ("export", "robo_offline.commands.export"),
    "results": ("results", "robo_offline.commands.results"),
    "qtrace": ("qtrace", "robo_offline.commands.qtrace"),
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


if __name__ == "__main__":
    main()

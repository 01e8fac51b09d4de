"""`make bench`: run every benchmark section, print one table, write benchmarks/results.json.

    python -m robo_offline.commands.bench quick=true 'only=[env_bench]'   (Hydra overrides, configs/bench.yaml)
    python -m robo_offline.commands.bench 'only=[train_bench]' profile=true   (+ where a CQL update's time goes)

Each section module exposes `run(quick: bool) -> list[dict]` of
`{"name", "value", "unit", "device", "command"}` entries.
"""
from __future__ import annotations

import importlib
import json
import sys
import time
from pathlib import Path

from robo_offline.errors import UserError
from robo_offline.paths import CHECKOUT_DIR

SECTIONS = ["env_bench", "data_bench", "train_bench"]


def run(cfg) -> None:
    sections = SECTIONS if cfg.only is None else list(cfg.only)
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        raise UserError(f"only={unknown}: unknown sections; choose from {SECTIONS}")
    results: list[dict] = []
    for section in sections:
        module = importlib.import_module(f"robo_offline.commands.bench.{section}")
        start = time.perf_counter()
        rows = module.run(quick=bool(cfg.quick))
        print(f"[{section}] {len(rows)} figures in {time.perf_counter() - start:.0f}s", flush=True)
        results.extend(rows)

    width = max((len(r["name"]) for r in results), default=10)
    print(f"\n{'benchmark':<{width}}  {'value':>12}  unit  (device)")
    for r in results:
        print(f"{r['name']:<{width}}  {r['value']:>12.4g}  {r['unit']}  ({r['device']})")
    out = Path(cfg.out) if cfg.out else CHECKOUT_DIR / "benchmarks" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"\nwrote {out}")
    if cfg.profile:
        import torch

        from robo_offline.commands.bench.train_bench import profile_update

        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        table = profile_update(device, steps=2 if cfg.quick else (20 if device.type == "cuda" else 3))
        profile_path = out.with_name("profile.txt")
        profile_path.write_text(table)
        print(f"\n{table}\nwrote {profile_path}")


if __name__ == "__main__":
    from robo_offline.commands import run_hydra_app

    run_hydra_app("python -m robo_offline.commands.bench", "bench", run, sys.argv[1:])

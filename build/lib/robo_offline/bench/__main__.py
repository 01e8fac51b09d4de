"""`make bench`: run every benchmark section, print one table, write benchmarks/results.json.

Each section module exposes `run(quick: bool) -> list[dict]` of
`{"name", "value", "unit", "device", "command"}` entries.
"""
from __future__ import annotations

import argparse
import importlib
import json
import time
from pathlib import Path

from robo_offline.paths import CHECKOUT_DIR

SECTIONS = ["env_bench", "data_bench", "train_bench"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", default=SECTIONS, help="sections to run")
    parser.add_argument("--quick", action="store_true", help="tiny budgets (a smoke run)")
    parser.add_argument("--out", default=str(CHECKOUT_DIR / "benchmarks" / "results.json"))
    args = parser.parse_args()

    results: list[dict] = []
    for section in args.only:
        module = importlib.import_module(f"robo_offline.bench.{section}")
        start = time.perf_counter()
        rows = module.run(quick=args.quick)
        print(f"[{section}] {len(rows)} figures in {time.perf_counter() - start:.0f}s", flush=True)
        results.extend(rows)

    width = max((len(r["name"]) for r in results), default=10)
    print(f"\n{'benchmark':<{width}}  {'value':>12}  unit  (device)")
    for r in results:
        print(f"{r['name']:<{width}}  {r['value']:>12.4g}  {r['unit']}  ({r['device']})")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()

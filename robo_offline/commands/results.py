"""`robo-offline results 'roots=[runs/<experiment>, ...]'`: the results table of a sweep.

Each run directory `<root>/<agent>/seed<k>/` contributes its final in-training evaluation (the
last `eval/success_rate` row of `metrics.csv`, from the experiment's own start) and every extra
evaluation written by `robo-offline eval` into `<run>/eval/episodes_seed<g>_<kwargs>.csv` (e.g. the
task-data start, `start-open`). The episodes of all evaluation seeds g of one kwargs tag are pooled
into one rate per run (`eval seed=0..4` of 99 goals each: one rate over 495), and the column names
the seeds pooled, so runs evaluated on other goal sets do not share a column (`eval_seeds=[0,1]`
keeps only those); goal-reaching evaluations also get one column per goal family. Rows are
(experiment, agent); a cell is the mean success over seeds with a 95% Student-t interval across
seeds, then the per-seed rates (a row whose seeds' final evaluations sit at different steps lists
each rate with its step instead: a mean would mix budgets). A row's experiment is its root's name, or, where two roots share
a name (the same experiment under different settings), the root's path below their common folder. Prints markdown and writes `results.json` and
`results_curve.png` (success against steps, per row) into `out` (default: beside the first root).
"""
from __future__ import annotations

import csv
import json
import math
import os
import re
from collections import defaultdict
from pathlib import Path

from robo_offline.errors import UserError

T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


def mean_ci95(values: list[float]) -> tuple[float, float]:
    """Mean and the half-width of its 95% Student-t interval (0 for a single value)."""
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, 0.0
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    return mean, T95.get(n - 1, 1.96) * sd / math.sqrt(n)


def final_eval(run: Path) -> tuple[float, int] | None:
    """(success rate, step) of the last evaluated row of a run's metrics.csv."""
    path = run / "metrics.csv"
    if not path.is_file():
        return None
    with path.open(newline="") as f:
        rows = [r for r in csv.DictReader(f) if r.get("eval/success_rate")]
    return (float(rows[-1]["eval/success_rate"]), int(rows[-1]["step"])) if rows else None


def seed_ranges(seeds: list[int]) -> str:
    """Evaluation seeds as short ranges: [0, 1, 2, 3, 4, 7] -> '0-4,7'."""
    runs: list[list[int]] = []
    for s in sorted(seeds):
        if runs and s == runs[-1][-1] + 1:
            runs[-1].append(s)
        else:
            runs.append([s])
    return ",".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def extra_evals(run: Path, eval_seeds: set[int] | None = None) -> dict[str, float]:
    """`robo-offline eval` results in <run>/eval, the evaluation seeds of one kwargs tag pooled
    (only `eval_seeds`, where given): {'<tag> (seeds <g>)' (e.g. 'start-open (seeds 0)'): success
    rate}, and for goal-reaching evaluations also '<tag> (seeds <g>) <family>'."""
    from robo_offline.evaluation import EvalResult

    episodes: dict[str, dict[int, list[dict]]] = defaultdict(dict)
    for path in sorted((run / "eval").glob("episodes_seed*.csv")):
        match = re.fullmatch(r"episodes_seed(\d+)_?(.*)", path.stem)
        if match is None or (eval_seeds is not None and int(match.group(1)) not in eval_seeds):
            continue
        with path.open(newline="") as f:
            rows = list(csv.DictReader(f))
        if rows:
            episodes[match.group(2) or "default"][int(match.group(1))] = [
                {**r, "success": int(r["success"]), "length": int(r["length"])} for r in rows]
    out = {}
    for tag, by_seed in episodes.items():
        name = f"{tag} (seeds {seed_ranges(list(by_seed))})"
        result = EvalResult.from_episodes([r for seed in sorted(by_seed) for r in by_seed[seed]])
        out[name] = result.success_rate
        for family, part in result.by_family().items():
            out[f"{name} {family}"] = part.success_rate
    return out


def root_labels(roots: list[Path]) -> list[str]:
    """Each root's name, or its path below the roots' common folder where names repeat (so two
    sweeps of one experiment stay two rows instead of overwriting each other's seeds)."""
    names = [r.name for r in roots]
    if len(set(names)) == len(names):
        return names
    resolved = [r.resolve() for r in roots]
    if len(set(resolved)) < len(resolved):
        raise UserError(f"results: a root is listed twice in {[str(r) for r in roots]}")
    common = Path(os.path.commonpath(resolved))
    return [r.relative_to(common).as_posix() for r in resolved]


def collect(roots: list[Path], eval_seeds: set[int] | None = None) -> dict:
    """{(experiment, agent): {column: {seed: rate}}} plus the steps of the final evaluations;
    `eval_seeds` keeps only those `eval` goal sets (None: all)."""
    table: dict = defaultdict(lambda: defaultdict(dict))
    for root, label in zip(roots, root_labels(roots)):
        if not root.is_dir():
            raise UserError(f"results: {root} is not a directory of runs (<root>/<agent>/seed<k>)")
        for run in sorted(root.glob("*/seed*")):
            if not (run.is_dir() and re.fullmatch(r"seed\d+", run.name)):
                continue  # a log or other file beside the runs
            key, seed = (label, run.parent.name), int(run.name.removeprefix("seed"))
            final = final_eval(run)
            if final is not None:
                table[key]["final eval"][seed] = final[0]
                table[key]["steps"][seed] = final[1]
            for tag, rate in extra_evals(run, eval_seeds).items():
                table[key][f"eval {tag}"][seed] = rate
    if not table:
        raise UserError(f"results: no runs with evaluations under {[str(r) for r in roots]}")
    return table


def markdown(table: dict) -> str:
    extra = sorted({c for cols in table.values() for c in cols if c not in ("steps", "final eval")})
    columns = ["final eval", *extra]
    lines = ["| experiment | agent | steps | " + " | ".join(columns) + " |",
             "| --- | --- | --- | " + " | ".join("---" for _ in columns) + " |"]
    for (experiment, agent), cols in sorted(table.items()):
        cells = []
        for c in columns:
            per_seed = cols.get(c, {})
            if not per_seed:
                cells.append("")
                continue
            budgets = cols.get("steps", {})
            if c == "final eval" and len(set(budgets.values())) > 1:
                # seeds stopped at different steps: a mean would mix budgets, so list each with its step
                cells.append("budgets differ: " + ", ".join(f"{v:.2f} at {budgets[k]}" for k, v in sorted(per_seed.items())))
                continue
            mean, half = mean_ci95(list(per_seed.values()))
            seeds = ", ".join(f"{v:.2f}" for _, v in sorted(per_seed.items()))
            cells.append(f"{mean:.2f} ± {half:.2f} ({seeds})")
        steps = ",".join(str(s) for s in sorted(set(cols.get("steps", {}).values())))
        lines.append(f"| {experiment} | {agent} | {steps} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run(cfg) -> None:
    from robo_offline.plots import plot_sweep_success

    roots = [Path(r) for r in cfg.roots]
    eval_seeds = None if cfg.get("eval_seeds") is None else {int(s) for s in cfg.eval_seeds}
    table = collect(roots, eval_seeds)
    print(markdown(table))
    folder = Path(cfg.out) if cfg.get("out") else roots[0].parent
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "results.json"
    out.write_text(json.dumps({f"{e}/{a}": cols for (e, a), cols in table.items()}, indent=1))
    # the curves of the runs the table counts (a run still starting, without an evaluation, is not)
    root_of = dict(zip(root_labels(roots), roots))
    runs = {f"{label}/{agent}": [root_of[label] / agent / f"seed{seed}" for seed in sorted(cols["final eval"])]
            for (label, agent), cols in table.items() if cols.get("final eval")}
    curve = plot_sweep_success(runs, folder / "results_curve.png", title=roots[0].name)
    print(f"\nper-seed values: {out}\nlearning curves: {curve}")

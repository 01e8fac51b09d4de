"""The results table: per-seed final evaluations, extra `eval` CSVs, mean and 95% t-interval."""
from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from robo_offline.commands.results import collect, markdown, mean_ci95, run, seed_ranges
from robo_offline.errors import UserError


def write_run(root: Path, agent: str, seed: int, evals: list[tuple[int, float]], extra: dict[str, list[int]]):
    run_dir = root / agent / f"seed{seed}"
    (run_dir / "eval").mkdir(parents=True)
    with (run_dir / "metrics.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["step", "critic_loss", "eval/success_rate"])
        for step, rate in evals:
            w.writerow([step - 1, 1.0, ""])
            w.writerow([step, 0.5, rate])
    for tag, outcomes in extra.items():
        with (run_dir / "eval" / f"episodes_seed0_{tag}.csv").open("w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=["episode", "seed", "success", "length", "return"])
            w.writeheader()
            w.writerows({"episode": i, "seed": i, "success": s, "length": 5, "return": s} for i, s in enumerate(outcomes))


def test_mean_ci95_matches_the_t_interval():
    mean, half = mean_ci95([0.8, 0.9, 1.0])
    assert mean == pytest.approx(0.9)
    assert half == pytest.approx(4.303 * 0.1 / math.sqrt(3), rel=1e-4)
    assert mean_ci95([0.5]) == (0.5, 0.0)


def test_table_takes_the_last_evaluation_and_extra_evals(tmp_path):
    root = tmp_path / "cog_x"
    write_run(root, "cql", 0, [(5, 0.1), (10, 0.9)], {"start-open": [1, 1, 0, 1]})
    write_run(root, "cql", 1, [(5, 0.2), (10, 0.7)], {})
    write_run(root, "bc", 0, [(10, 0.0)], {})
    table = collect([root])
    assert table[("cog_x", "cql")]["final eval"] == {0: 0.9, 1: 0.7}
    assert table[("cog_x", "cql")]["steps"] == {0: 10, 1: 10}
    assert table[("cog_x", "cql")]["eval start-open (seeds 0)"] == {0: 0.75}
    text = markdown(table)
    assert "| cog_x | cql | 10 | 0.80 ± 1.27 (0.90, 0.70) | 0.75 ± 0.00 (0.75) |" in text
    assert "| cog_x | bc | 10 | 0.00 ± 0.00 (0.00) |  |" in text


def test_seeds_stopped_at_different_budgets_are_listed_not_averaged(tmp_path):
    root = tmp_path / "cog_x"
    write_run(root, "cql", 0, [(5, 0.1), (10, 0.9)], {"start-open": [1, 0]})
    write_run(root, "cql", 1, [(5, 0.3)], {"start-open": [1, 1]})
    text = markdown(collect([root]))
    assert "| cog_x | cql | 5,10 | budgets differ: 0.90 at 10, 0.30 at 5 | 0.75 ± 3.18 (0.50, 1.00) |" in text


def test_run_writes_json_and_curve_and_rejects_empty_roots(tmp_path, capsys):
    root = tmp_path / "cog_y"
    write_run(root, "iql", 0, [(5, 0.5), (10, 1.0)], {})
    run(OmegaConf.create({"roots": [str(root)]}))
    assert (tmp_path / "results.json").is_file() and (tmp_path / "results_curve.png").is_file()
    assert "| cog_y | iql | 10 |" in capsys.readouterr().out
    with pytest.raises(UserError, match="no runs"):
        collect([tmp_path / "cog_y" / "iql"])
    with pytest.raises(UserError, match="not a directory"):
        collect([tmp_path / "missing"])


def test_two_sweeps_of_one_experiment_stay_two_rows(tmp_path, capsys):
    new, old = tmp_path / "cog_x", tmp_path / "archive" / "cog_x"
    write_run(new, "cql", 0, [(10, 0.4)], {})
    write_run(old, "cql", 0, [(10, 0.1)], {})
    table = collect([new, old])
    assert table[("cog_x", "cql")]["final eval"] == {0: 0.4}
    assert table[("archive/cog_x", "cql")]["final eval"] == {0: 0.1}
    run(OmegaConf.create({"roots": [str(new), str(old)], "out": str(tmp_path / "tables")}))
    assert (tmp_path / "tables" / "results.json").is_file() and (tmp_path / "tables" / "results_curve.png").is_file()
    with pytest.raises(UserError, match="listed twice"):
        collect([new, new])


def test_runs_still_starting_are_left_out_of_table_and_curves(tmp_path, capsys):
    """A sweep read while runs start: one seed without metrics.csv, one with metrics but no
    evaluation yet. Both are left out; the finished seed is reported and plotted."""
    root = tmp_path / "cog_z"
    write_run(root, "cql", 0, [(10, 0.6)], {})
    (root / "cql" / "seed1").mkdir(parents=True)
    (root / "iql" / "seed0").mkdir(parents=True)
    (root / "iql" / "seed0" / "metrics.csv").write_text("step,critic_loss,eval/success_rate\n1,0.5,\n")
    run(OmegaConf.create({"roots": [str(root)]}))
    out = capsys.readouterr().out
    assert "| cog_z | cql | 10 | 0.60 ± 0.00 (0.60) |" in out
    assert "| cog_z | iql |" not in out
    assert (tmp_path / "results_curve.png").is_file()


def write_goal_eval(run_dir: Path, eval_seed: int, tag: str, outcomes: list[tuple[str, int]]):
    (run_dir / "eval").mkdir(parents=True, exist_ok=True)
    with (run_dir / "eval" / f"episodes_seed{eval_seed}{tag}.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["episode", "family", "seed", "success", "length", "return"])
        w.writeheader()
        w.writerows({"episode": i, "family": fam, "seed": i, "success": s, "length": 5, "return": s}
                    for i, (fam, s) in enumerate(outcomes))


def test_goal_sets_of_one_tag_are_pooled_and_split_by_family(tmp_path):
    """`eval seed=0..2` of one run: one rate over all their episodes (not the last file's), one
    column per goal family, and goal sets another run did not evaluate get their own column."""
    root = tmp_path / "goal_reach"
    write_run(root, "gcql", 0, [(10, 0.5)], {})
    run0 = root / "gcql" / "seed0"
    write_goal_eval(run0, 0, "_act_samples-16", [("drawer", 1), ("object", 1)])
    write_goal_eval(run0, 1, "_act_samples-16", [("drawer", 1), ("object", 0)])
    write_goal_eval(run0, 2, "_act_samples-16", [("drawer", 0), ("object", 0)])
    write_goal_eval(run0, 0, "", [("drawer", 0), ("object", 1)])
    write_run(root, "gcql", 1, [(10, 0.5)], {})
    write_goal_eval(root / "gcql" / "seed1", 0, "_act_samples-16", [("drawer", 1), ("object", 1)])
    (root / "gcql" / "seed1.log").write_text("a training log beside the run")
    cols = collect([root])[("goal_reach", "gcql")]
    assert cols["eval act_samples-16 (seeds 0-2)"] == {0: 0.5}
    assert cols["eval act_samples-16 (seeds 0-2) drawer"] == {0: pytest.approx(2 / 3)}
    assert cols["eval act_samples-16 (seeds 0-2) object"] == {0: pytest.approx(1 / 3)}
    assert cols["eval act_samples-16 (seeds 0)"] == {1: 1.0}
    assert cols["eval default (seeds 0)"] == {0: 0.5}
    assert cols["eval default (seeds 0) object"] == {0: 1.0}
    assert "0.50 ± 0.00 (0.50)" in markdown(collect([root]))
    chosen = collect([root], eval_seeds={0})[("goal_reach", "gcql")]
    assert chosen["eval act_samples-16 (seeds 0)"] == {0: 1.0, 1: 1.0}
    assert not any("seeds 0-2" in column for column in chosen)


def test_seed_ranges_are_short_and_sorted():
    assert seed_ranges([4, 0, 1, 2, 3, 7]) == "0-4,7"
    assert seed_ranges([5]) == "5"
    assert seed_ranges([1, 3]) == "1,3"

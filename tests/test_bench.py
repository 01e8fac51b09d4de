"""The benchmark runner's command line: the commands' key=value overrides (the figures themselves
are `make bench`'s, too slow for the suite)."""
from __future__ import annotations

import subprocess
import sys

import pytest


def test_bench_takes_key_value_overrides_and_names_its_sections():
    proc = subprocess.run([sys.executable, "-m", "robo_offline.commands.bench", "quick=true", "only=[nosuch]"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "nosuch" in proc.stderr and "env_bench" in proc.stderr


@pytest.mark.slow  # COG-sized heads at batch 256: seconds the fast suite cannot spare
def test_profile_names_the_operators_of_a_cql_update():
    """`profile=true` (scripts/gpu_job.sh bench): torch.profiler's table of one CQL update."""
    import torch

    from robo_offline.commands.bench.train_bench import profile_update

    table = profile_update(torch.device("cpu"), steps=1, top=5)
    assert table.startswith("CQL update") and "aten::" in table and "Self CPU" in table


def test_data_bench_without_the_simulator_measures_the_carried_datasets(tmp_path, monkeypatch):
    """On a GPU machine (no pybullet) the data section loads and samples the store's datasets."""
    from robo_offline.commands.bench.data_bench import store_dataset_rows
    from robo_offline.data import generate_dataset

    generate_dataset("drawer_open_prior", episodes=1, seed=0, workers=1, store=tmp_path, progress=False)
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path))
    rows = {row["name"]: row["value"] for row in store_dataset_rows(secs=0.05, cmd="test")}
    assert rows["buffer load, 70 transitions of 1 carried dataset, to CPU"] > 0
    assert rows["sample batch 256 (CPU)"] > 0 and rows["sample goal-conditioned batch 256 (CPU)"] > 0

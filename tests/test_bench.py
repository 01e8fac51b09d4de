"""The benchmark runner's command line: the commands' key=value overrides (the figures themselves
are `make bench`'s, too slow for the suite)."""
from __future__ import annotations

import subprocess
import sys


def test_bench_takes_key_value_overrides_and_names_its_sections():
    proc = subprocess.run([sys.executable, "-m", "robo_offline.commands.bench", "quick=true", "only=[nosuch]"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "nosuch" in proc.stderr and "env_bench" in proc.stderr


def test_profile_names_the_operators_of_a_cql_update():
    """`profile=true` (scripts/gpu_job.sh bench): torch.profiler's table of one CQL update."""
    import torch

    from robo_offline.commands.bench.train_bench import profile_update

    table = profile_update(torch.device("cpu"), steps=1, top=5)
    assert table.startswith("CQL update") and "aten::" in table and "Self CPU" in table

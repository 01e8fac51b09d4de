"""Golden-CSV regression test: a tiny fixed-seed CQL run on CPU must reproduce the checked-in losses.

A change to the CQL update, the nets or the augmentation that moves these numbers must be
deliberate: regenerate with `ROBO_UPDATE_GOLDEN=1 pytest tests/test_golden.py` and say why in
the commit.
"""
from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
import torch

from robo_offline.algos import make_agent

GOLDEN = Path(__file__).parent / "golden" / "cql_tiny.csv"
STEPS = 12
TINY_CQL = {"precision": "fp32", "q_hidden": [32, 32], "actor_hidden": [32, 32], "policy_eval_start": 6,
            "num_actions": 3, "batch_size": 8}


def fixed_batches(steps: int, batch: int = 8, image: int = 48, state_dim: int = 6, action_dim: int = 5):
    gen = torch.Generator().manual_seed(1234)
    for _ in range(steps):
        yield {
            "image": torch.randint(0, 256, (batch, 3, image, image), generator=gen, dtype=torch.uint8),
            "next_image": torch.randint(0, 256, (batch, 3, image, image), generator=gen, dtype=torch.uint8),
            "state": torch.randn(batch, state_dim, generator=gen),
            "next_state": torch.randn(batch, state_dim, generator=gen),
            "action": torch.rand(batch, action_dim, generator=gen) * 2 - 1,
            "reward": (torch.rand(batch, generator=gen) < 0.3).float(),
            "terminated": torch.zeros(batch),
        }


def run_tiny_cql() -> list[dict[str, str]]:
    torch.manual_seed(0)
    agent = make_agent("cql", image_shape=(3, 48, 48), state_dim=6, action_dim=5, cfg=TINY_CQL,
                       device=torch.device("cpu"))
    rows = []
    for step, batch in enumerate(fixed_batches(STEPS), start=1):
        metrics = agent.update(batch)
        rows.append({"step": str(step), **{k: f"{float(v):.6e}" for k, v in sorted(metrics.items())}})
    return rows


def test_tiny_cql_run_matches_golden_csv():
    rows = run_tiny_cql()
    if os.environ.get("ROBO_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        with GOLDEN.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        pytest.fail(f"golden file rewritten: {GOLDEN}; rerun without ROBO_UPDATE_GOLDEN")
    with GOLDEN.open(newline="") as f:
        golden = list(csv.DictReader(f))
    assert [list(r) for r in rows] == [list(r) for r in golden], "metric names changed"
    for got, want in zip(rows, golden):
        for key in want:
            if key == "step":
                continue
            assert float(got[key]) == pytest.approx(float(want[key]), rel=2e-3, abs=1e-4), (got["step"], key)

"""Training metrics to CSV and TensorBoard.

Metrics arrive as tensors and are moved to the host only here, every `log_every` steps, so the
training step itself never syncs with the device.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path

import torch

EVAL_COLUMNS = ["eval/success_rate", "eval/ci95_lo", "eval/ci95_hi", "eval/mean_length"]


class MetricsLogger:
    def __init__(self, run_dir: Path, resume_step: int = 0, eval_columns: list[str] = EVAL_COLUMNS):
        """`eval_columns`: the CSV's last columns, blank on rows without an evaluation."""
        from torch.utils.tensorboard import SummaryWriter

        self.eval_columns = list(eval_columns)
        self.csv_path = Path(run_dir) / "metrics.csv"
        self.columns: list[str] | None = None
        if self.csv_path.exists():
            self._truncate_after(resume_step)
        self.tb = SummaryWriter(str(Path(run_dir) / "tensorboard"), purge_step=resume_step + 1 if resume_step else None)

    def _truncate_after(self, step: int) -> None:
        """Drop rows a killed run logged after its last checkpoint: the resumed run rewrites them."""
        with self.csv_path.open(newline="") as f:
            rows = list(csv.DictReader(f))
        self.columns = list(rows[0].keys()) if rows else None
        kept = [r for r in rows if int(r["step"]) <= step]
        self._rewrite(kept)

    def _rewrite(self, rows: list[dict]) -> None:
        if self.columns is None:
            self.csv_path.unlink(missing_ok=True)
            return
        with self.csv_path.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=self.columns)
            writer.writeheader()
            writer.writerows(rows)

    def log(self, step: int, metrics: dict[str, torch.Tensor | float]) -> dict[str, float]:
        """Write one row; returns the host values (the caller checks them for NaN)."""
        values = {k: float(v.detach().float().mean().cpu()) if torch.is_tensor(v) else float(v) for k, v in metrics.items()}
        for name, value in values.items():
            if math.isfinite(value):
                self.tb.add_scalar(name, value, step)
        if self.columns is None:
            self.columns = ["step", *[k for k in values if k not in self.eval_columns], *self.eval_columns]
            with self.csv_path.open("w", newline="") as f:
                csv.DictWriter(f, fieldnames=self.columns).writeheader()
        row = {"step": step, **{k: f"{v:.6g}" for k, v in values.items() if k in self.columns}}
        with self.csv_path.open("a", newline="") as f:
            csv.DictWriter(f, fieldnames=self.columns).writerow(row)
        return values

    def close(self) -> None:
        self.tb.close()

"""Learning curves as PNG from a run's metrics.csv."""
from __future__ import annotations

import csv
from pathlib import Path


def read_metrics(csv_path: Path) -> dict[str, list[tuple[int, float]]]:
    """Column -> [(step, value)] for every non-empty cell."""
    series: dict[str, list[tuple[int, float]]] = {}
    with Path(csv_path).open(newline="") as f:
        for row in csv.DictReader(f):
            step = int(row["step"])
            for key, value in row.items():
                if key != "step" and value not in ("", None):
                    series.setdefault(key, []).append((step, float(value)))
    return series


def plot_learning_curve(csv_path: Path, out_path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = read_metrics(csv_path)
    losses = sorted(k for k in series if "loss" in k)
    success = series.get("eval/success_rate", [])
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for key in losses:
        steps, values = zip(*series[key])
        axes[0].plot(steps, values, label=key)
    axes[0].set_xlabel("gradient step")
    axes[0].set_title("training losses")
    axes[0].set_yscale("symlog")
    if losses:
        axes[0].legend(fontsize=7)
    if success:
        steps, values = zip(*success)
        lo = [v for _, v in series.get("eval/ci95_lo", success)]
        hi = [v for _, v in series.get("eval/ci95_hi", success)]
        axes[1].plot(steps, values, marker="o", label="success rate")
        if len(lo) == len(steps):
            axes[1].fill_between(steps, lo, hi, alpha=0.25, label="95% CI")
        axes[1].legend(fontsize=7)
    axes[1].set_ylim(-0.02, 1.02)
    axes[1].set_xlabel("gradient step")
    axes[1].set_title("evaluation success rate")
    fig.tight_layout()
    out_path = Path(out_path)
    fig.savefig(out_path, dpi=100)
    plt.close(fig)
    return out_path


def plot_sweep_success(runs: dict[str, list[Path]], out_path: Path, title: str = "") -> Path:
    """Evaluation success against gradient steps, one line per label (mean over its runs' seeds,
    each seed faint behind it): the learning curves of a results table."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for label, run_dirs in sorted(runs.items()):
        curves = [dict(read_metrics(r / "metrics.csv").get("eval/success_rate", [])) for r in run_dirs]
        steps = sorted(set.intersection(*(set(c) for c in curves))) if curves else []
        if not steps:
            continue
        line, = ax.plot(steps, [sum(c[s] for c in curves) / len(curves) for s in steps], marker="o",
                        label=f"{label} ({len(curves)} seeds)")
        for c in curves:
            ax.plot(steps, [c[s] for s in steps], color=line.get_color(), alpha=0.25, linewidth=0.8)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("gradient step")
    ax.set_ylabel("success rate")
    ax.set_title(title)
    ax.legend(fontsize=7)
    fig.tight_layout()
    out_path = Path(out_path)
    fig.savefig(out_path, dpi=100)
    plt.close(fig)
    return out_path

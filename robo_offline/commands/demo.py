"""`make demo`: the whole pipeline on small built-in defaults, on a CPU, in a few minutes.

1. renders each task's start state (PNG) and each scripted skill (mp4),
2. generates small prior and task datasets (experiment=demo) when missing,
3. trains CQL for a few hundred steps, evaluates, renders rollout videos and a learning curve.
Each step after the first runs the public `robo-offline` command, exactly as a user would.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import time

from robo_offline.paths import CHECKOUT_DIR


def robo_offline(*args: str) -> None:
    command = [sys.executable, "-m", "robo_offline.commands.cli", *args]
    print(f"\n$ robo-offline {' '.join(args)}", flush=True)
    subprocess.run(command, check=True)


def main() -> None:
    from robo_offline.world.demo_world import render_world_demo

    out = CHECKOUT_DIR / "demo_out"
    start = time.perf_counter()
    world_dir = out / "world"
    print(f"rendering task start states and scripted skills into {world_dir}", flush=True)
    world_files = render_world_demo(world_dir)

    train_dir = out / "train"
    shutil.rmtree(train_dir, ignore_errors=True)
    robo_offline("train", "experiment=demo", "agent=cql", f"hydra.run.dir={train_dir}")
    checkpoint = train_dir / "checkpoints" / "last.pt"
    robo_offline("eval", f"checkpoint={checkpoint}", "episodes=10", f"out={out / 'eval'}")
    robo_offline("render", f"checkpoint={checkpoint}", "episodes=2", f"out={out / 'videos'}")

    print(f"\ndemo finished in {time.perf_counter() - start:.0f}s. Results:")
    print(f"  world pictures and skill videos: {world_dir} ({len(world_files)} files)")
    print(f"  training run (checkpoint, metrics.csv, TensorBoard, learning_curve.png): {train_dir}")
    print(f"  evaluation per-episode CSV: {out / 'eval'}")
    print(f"  rollout videos and contact sheet: {out / 'videos'}")
    print("The demo trains for a few hundred steps only: its success rate shows the pipeline runs, not what CQL reaches.")


if __name__ == "__main__":
    main()

"""Env benchmark: env steps/s with 48x48 images and random actions, per env in one process, and
for AsyncVectorEnv with 2 workers; then where one step's time goes (physics substeps, IK,
rendering, the rest) in the drawer scene.

Single-process figures are given twice: per CPU-second of the process (`time.process_time`, i.e.
steps/s per core, robust to other jobs sharing the machine) and per wall-clock second."""
from __future__ import annotations

import time

import gymnasium as gym
import numpy as np

import robo_offline  # noqa: F401
from robo_offline.commands.bench.common import cpu_device, figure
from robo_offline.world.sim import world as W
from robo_offline.world.sim.bullet import pybullet as p

ENV_IDS = ["DrawerOpen-v1", "Grasp-v1", "DrawerGrasp-v1", "DrawerCloseOpenGrasp-v1", "GoalReach-v1"]
COMMAND = "make bench"


def _steps_per_second(env_id: str, steps: int) -> tuple[float, float]:
    env = gym.make(f"robo_offline/{env_id}")
    rng = np.random.default_rng(0)
    actions = rng.uniform(-1, 1, (steps, 5)).astype(np.float32)
    env.reset(seed=0)
    for a in actions[:20]:  # warm-up
        env.step(a)
    env.reset(seed=1)
    t0, c0 = time.perf_counter(), time.process_time()
    for a in actions:
        _, _, term, trunc, _ = env.step(a)
        if term or trunc:
            env.reset()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    env.close()
    return steps / cpu, steps / wall


def _vector_steps_per_second(env_id: str, steps: int, workers: int = 2) -> float:
    envs = gym.vector.AsyncVectorEnv([lambda: gym.make(f"robo_offline/{env_id}") for _ in range(workers)])
    try:
        envs.reset(seed=list(range(workers)))
        rng = np.random.default_rng(0)
        for _ in range(10):
            envs.step(rng.uniform(-1, 1, (workers, 5)).astype(np.float32))
        n = steps // workers
        t0 = time.perf_counter()
        for _ in range(n):
            envs.step(rng.uniform(-1, 1, (workers, 5)).astype(np.float32))
        return n * workers / (time.perf_counter() - t0)
    finally:
        envs.close()


def _breakdown(steps: int) -> dict[str, float]:
    """Microseconds per env step spent in each part, measured separately in DrawerGrasp-v1."""
    env = gym.make("robo_offline/DrawerGrasp-v1", start="open")
    env.reset(seed=0)
    u = env.unwrapped
    w = u.world
    rng = np.random.default_rng(0)
    actions = rng.uniform(-1, 1, (steps, 5)).astype(np.float32)

    t0 = time.process_time()
    for a in actions:
        env.step(a)
    total = (time.process_time() - t0) / steps

    t0 = time.process_time()
    for _ in range(steps):
        w.camera_image()
    render = (time.process_time() - t0) / steps

    t0 = time.process_time()
    for _ in range(steps):
        for _ in range(W.SUBSTEPS):
            p.stepSimulation(physicsClientId=w.cid)
    physics = (time.process_time() - t0) / steps

    t0 = time.process_time()
    for a in actions:
        W.arm_ik(w.target_pos + a[:3] * 0.01, float(a[3]))
    ik = (time.process_time() - t0) / steps
    env.close()
    rest = max(total - render - physics - ik, 0.0)
    return {"total": total * 1e6, "render": render * 1e6, "physics": physics * 1e6, "ik": ik * 1e6, "rest": rest * 1e6}


def run(quick: bool) -> list[dict]:
    steps = 300 if quick else 3000
    device = cpu_device()
    rows = []
    for env_id in ENV_IDS:
        cpu_sps, wall_sps = _steps_per_second(env_id, steps)
        print(f"  {env_id:<26} {cpu_sps:8.0f} env steps per CPU-second (1 core) | {wall_sps:6.0f} per wall second",
              flush=True)
        rows.append(figure(f"env steps/s per core {env_id} 48x48 random actions (CPU time)", cpu_sps, "steps/s",
                           device, COMMAND))
        rows.append(figure(f"env steps/s {env_id} 48x48 random actions, 1 process (wall clock)", wall_sps,
                           "steps/s", device, COMMAND))
    sps = _vector_steps_per_second("DrawerGrasp-v1", steps)
    print(f"  {'DrawerGrasp-v1 AsyncVectorEnv x2':<26} {sps:8.0f} env steps/s (wall clock, total over 2 workers)",
          flush=True)
    rows.append(figure("env steps/s DrawerGrasp-v1 48x48 AsyncVectorEnv 2 workers (total)", sps, "steps/s", device,
                       COMMAND))
    b = _breakdown(steps)
    print(f"  one step of DrawerGrasp-v1 (CPU time): {b['total']:.0f} us = render {b['render']:.0f} us (TinyRenderer 48x48) + "
          f"physics {b['physics']:.0f} us ({W.SUBSTEPS} substeps of {W.TIMESTEP * 1000:.0f} ms) + IK {b['ik']:.1f} us "
          f"(closed form) + rest {b['rest']:.0f} us (motors, grasp check, state/info reads, Python)", flush=True)
    for part in ("render", "physics", "ik", "rest"):
        rows.append(figure(f"env step time DrawerGrasp-v1: {part}", b[part], "us/step", device, COMMAND))
    return rows


if __name__ == "__main__":
    for r in run(quick=False):
        print(r)

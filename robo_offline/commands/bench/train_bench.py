"""Training throughput: gradient steps/s of each agent at batch 256, 48x48x3 images, 7-d actions.

Synthetic data already on the device (the replay buffer keeps it there), so the figure is the
update alone. On CPU each figure is a few steps after a warm-up (the whole section < 2 min);
on CUDA, eager and with the update captured in one CUDA graph (and torch.compile + graph).
Levers for CQL (fp32 / channels_last / bf16, threads, faithful COG layout) get their own rows.
`profile_update` says where one CQL update's time goes, by torch.profiler (bench `profile=true`).
"""
from __future__ import annotations

import os
import time

import torch

from robo_offline.algos import make_agent
from robo_offline.commands.bench.common import cpu_device, figure

BATCH, IMAGE, STATE_DIM, ACTION_DIM = 256, (3, 48, 48), 10, 7
COMMAND = "python -m robo_offline.commands.bench 'only=[train_bench]'"


def synthetic_batch(device: torch.device, batch: int = BATCH, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    data = {
        "image": torch.randint(0, 256, (batch, *IMAGE), dtype=torch.uint8, generator=g),
        "next_image": torch.randint(0, 256, (batch, *IMAGE), dtype=torch.uint8, generator=g),
        "state": torch.randn(batch, STATE_DIM, generator=g),
        "next_state": torch.randn(batch, STATE_DIM, generator=g),
        "action": torch.rand(batch, ACTION_DIM, generator=g) * 2 - 1,
        "reward": (torch.rand(batch, generator=g) < 0.1).float(),
        "terminated": torch.zeros(batch),
    }
    return {k: v.to(device) for k, v in data.items()}


def steps_per_second(name: str, cfg: dict, device: torch.device, warmup: int, steps: int) -> float:
    torch.manual_seed(0)
    agent = make_agent(name, IMAGE, STATE_DIM, ACTION_DIM, cfg, device)
    batch = synthetic_batch(device)
    for _ in range(warmup):
        metrics = agent.update(batch)
    _sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        metrics = agent.update(batch)
    _sync(device)
    elapsed = time.perf_counter() - start
    loss = next(iter(metrics.values()))
    if not torch.isfinite(loss):
        raise RuntimeError(f"{name} {cfg}: non-finite loss in the benchmark")
    return steps / elapsed


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _label(name: str, cfg: dict) -> str:
    parts = [f"layout={cfg['layout']}" if "layout" in cfg else "",
             f"precision={cfg['precision']}" if "precision" in cfg else "",
             "channels_last=off" if cfg.get("channels_last") is False else "",
             f"compile={cfg['compile']}" if cfg.get("compile", "none") != "none" else ""]
    extra = ", ".join(p for p in parts if p)
    return f"train {name.upper()} batch {BATCH} 48x48{' (' + extra + ')' if extra else ''}"


def run(quick: bool) -> list[dict]:
    rows: list[dict] = []
    cpu = torch.device("cpu")
    threads_before = torch.get_num_threads()
    threads = int(os.environ.get("ROBO_BENCH_THREADS", os.cpu_count() or 1))
    try:
        torch.set_num_threads(threads)
        dev = f"{cpu_device()}, {threads} torch thread{'s' if threads > 1 else ''}"
        warmup, steps = (2, 1) if quick else (2, 4)
        configs = [("cql", {}), ("iql", {}), ("awac", {}), ("bc", {})]
        if not quick:
            configs += [
                ("cql", {"precision": "fp32", "channels_last": False}),  # the plain baseline
                ("cql", {"precision": "fp32"}),                          # + channels_last
                ("cql", {"layout": "cog"}),                              # COG's faithful layout
                ("cql", {"layout": "cog", "precision": "fp32"}),
            ]
        for name, cfg in configs:
            value = steps_per_second(name, cfg, cpu, warmup, steps)
            rows.append(figure(_label(name, cfg) + " (agent defaults)" * (not cfg), value, "steps/s", dev, COMMAND))
        if not quick and threads > 1:
            torch.set_num_threads(1)
            value = steps_per_second("cql", {}, cpu, warmup, steps)
            rows.append(figure(_label("cql", {}) + " (agent defaults)", value, "steps/s",
                               f"{cpu_device()}, 1 torch thread", COMMAND))
    finally:
        torch.set_num_threads(threads_before)

    if torch.cuda.is_available():
        gpu = torch.device("cuda")
        dev = torch.cuda.get_device_name(gpu)
        warmup, steps = (3, 5) if quick else (10, 100)
        configs = [("cql", {}), ("cql", {"compile": "cudagraph"}), ("cql", {"precision": "fp32"}),
                   ("cql", {"layout": "cog"}), ("cql", {"layout": "cog", "compile": "cudagraph"})]
        for name in ("iql", "awac", "bc"):
            configs += [(name, {}), (name, {"compile": "cudagraph"})]
        if not quick:
            configs += [("cql", {"compile": "compile+cudagraph"}), ("cql", {"compile": "compile"})]
        for name, cfg in configs:
            try:
                value = steps_per_second(name, cfg, gpu, warmup, steps)
            except Exception as exc:  # noqa: BLE001 - one failing mode must not hide the others
                print(f"[train_bench] {name} {cfg} failed on CUDA: {type(exc).__name__}: {exc}", flush=True)
                continue
            rows.append(figure(_label(name, cfg), value, "steps/s", dev, COMMAND))
    return rows


def profile_update(device: torch.device, steps: int, top: int = 25) -> str:
    """torch.profiler's table of the default CQL update on `device`: the `top` operators by their own
    (self) time, on the GPU where there is one, else on the CPU; `steps` updates after a warm-up."""
    from torch.profiler import ProfilerActivity, profile

    torch.manual_seed(0)
    agent = make_agent("cql", IMAGE, STATE_DIM, ACTION_DIM, {}, device)
    batch = synthetic_batch(device)
    for _ in range(3):
        agent.update(batch)
    _sync(device)
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    with profile(activities=activities) as prof:
        for _ in range(steps):
            agent.update(batch)
        _sync(device)
    sort_by = "self_cuda_time_total" if device.type == "cuda" else "self_cpu_time_total"
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_device()
    header = f"CQL update (agent defaults), batch {BATCH}, 48x48, {steps} steps on {where}; sorted by {sort_by}\n"
    return header + prof.key_averages().table(sort_by=sort_by, row_limit=top)


if __name__ == "__main__":
    for row in run(quick=bool(int(os.environ.get("QUICK", "0")))):
        print(f"{row['name']:<80} {row['value']:8.2f} {row['unit']}  ({row['device']})")

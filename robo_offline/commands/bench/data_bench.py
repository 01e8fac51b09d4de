"""Data-layer benchmarks: generation throughput, bytes per transition, buffer load time (compressed and
raw files), peak host memory of a load, sampling rate.

Everything runs on a small drawer_open_prior dataset generated into a temporary store (so no
user data is touched), once compressed (the default) and once with compress=False; load time for
the default COG datasets (drawer_open_prior + grasp_task, 2 x 5,000 episodes x 50 steps = 500,000
transitions) is extrapolated linearly from the measured per-transition time (compressed), and
labelled as such; when those datasets have been generated into the
project's store (`robo-offline generate dataset=drawer_open_prior`, `dataset=grasp_task`), their
load is also measured. Where pybullet is missing (a GPU machine, scripts/gpu_job.sh bench) nothing
can be generated: the section then loads the datasets carried into the store, to the CPU and to
the GPU, and measures sampling from each.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time

import torch

from robo_offline.commands.bench.common import cpu_device, figure

COG_TRANSITIONS = 2 * 5000 * 50
COG_DATASETS = ("robo_offline/DrawerGrasp/drawer_open_prior-v1", "robo_offline/DrawerGrasp/grasp_task-v1")


def _measured_cog_load(device: str, cmd: str) -> list[dict]:
    """Load time of the default COG prior + task datasets, when they exist in the store."""
    from robo_offline.data import load_buffer
    from robo_offline.data.writer import dataset_exists
    from robo_offline.paths import resolve_store

    store = resolve_store(None)
    if not all(dataset_exists(store, d) for d in COG_DATASETS):
        return []
    start = time.perf_counter()
    buf = load_buffer([{"dataset_id": d, "weight": 0.5} for d in COG_DATASETS], device="cpu")
    seconds = time.perf_counter() - start
    return [figure(f"buffer load, default COG prior+task ({len(buf)} transitions) to CPU (measured)", seconds, "s",
                   device, cmd)]


# A CPU load in a fresh process: how far its peak resident memory rises above what it held before.
PEAK_SCRIPT = """
import sys
import h5py, minari.serialization  # noqa: E401,F401  (libraries' own memory is not the load's)
from robo_offline.data import load_buffer
def kib(key):
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith(key))
before = kib("VmRSS")
buf = load_buffer([sys.argv[1]], device="cpu", store=sys.argv[2])
print((kib("VmHWM") - before) * 1024 / buf.nbytes())
"""


def _load_peak_ratio(dataset_id: str, store: str) -> float:
    out = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, dataset_id, store], check=True, capture_output=True,
                         text=True).stdout
    return float(out.split()[-1])


def _load_seconds(dataset_id: str, store: str) -> tuple[float, object]:
    from robo_offline.data import load_buffer

    start = time.perf_counter()
    buf = load_buffer([{"dataset_id": dataset_id, "reward": "zero"}], device="cpu", store=store)
    return time.perf_counter() - start, buf


def _sampling_rate(buffer, batch_size: int, seconds: float, goal: bool = False) -> float:
    gen = torch.Generator(device=buffer.device).manual_seed(0)
    sample = (lambda: buffer.sample_goal_conditioned(batch_size, gen, strategy={"future": 0.8, "random": 0.2})) \
        if goal else (lambda: buffer.sample(batch_size, gen))
    for _ in range(10):
        sample()
    sync = torch.cuda.synchronize if buffer.device.type == "cuda" else (lambda: None)
    sync()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(50):
            sample()
        n += 50
    sync()
    return n / (time.perf_counter() - start)


def _simulator_importable() -> bool:
    from robo_offline.errors import UserError

    try:
        import robo_offline.world.sim.bullet  # noqa: F401
    except (ImportError, UserError):  # the module turns a missing pybullet into a UserError naming the fix
        return False
    return True


def store_dataset_rows(secs: float, cmd: str) -> list[dict]:
    """Load time and sampling rate of every dataset in the store (in one buffer), on the CPU and,
    when there is one, on the GPU: the data figures a machine without the simulator can measure."""
    from robo_offline.data import load_buffer
    from robo_offline.paths import resolve_store

    store = resolve_store(None)
    ids = sorted(str(meta.parent.parent.relative_to(store)) for meta in store.glob("*/*/*/data/metadata.json"))
    if not ids:
        print(f"[data_bench] no pybullet and no dataset in {store}: nothing to measure", flush=True)
        return []
    devices = [("cpu", cpu_device())] + ([("cuda", f"cuda: {torch.cuda.get_device_name(0)}")]
                                          if torch.cuda.is_available() else [])
    rows = []
    for device, label in devices:
        start = time.perf_counter()
        buf = load_buffer([{"dataset_id": d, "reward": "none"} for d in ids], device=device, store=store)
        if device == "cuda":
            torch.cuda.synchronize()
        where = f"{len(buf)} transitions of {len(ids)} carried dataset{'s' * (len(ids) > 1)}"
        rows.append(figure(f"buffer load, {where}, to {device.upper()}", time.perf_counter() - start, "s", label, cmd))
        rows.append(figure(f"sample batch 256 ({device.upper()})", _sampling_rate(buf, 256, secs), "batches/s",
                           label, cmd))
        rows.append(figure(f"sample goal-conditioned batch 256 ({device.upper()})",
                           _sampling_rate(buf, 256, secs, goal=True), "batches/s", label, cmd))
    return rows


def run(quick: bool) -> list[dict]:
    from robo_offline.data import generate_dataset, load_buffer

    episodes = 6 if quick else 80
    cmd = "python -m robo_offline.commands.bench 'only=[data_bench]'" + (" quick=true" if quick else "")
    if not _simulator_importable():
        print("[data_bench] pybullet is not importable here: no generation; the datasets in the store instead",
              flush=True)
        return store_dataset_rows(0.5 if quick else 2.0, cmd)
    cpu = cpu_device()
    rows = []
    with tempfile.TemporaryDirectory(prefix="robo_offline_bench_") as store:
        runs = {}
        for compress, label in ((True, "frames gzip"), (False, "raw, compress=false")):
            s = runs[compress] = generate_dataset("drawer_open_prior", episodes=episodes, seed=0, workers=2,
                                                  store=store, progress=False, write_card=False, compress=compress,
                                                  name=None if compress else "drawer_open_prior_raw")
            rows.append(figure(f"generate drawer_open_prior, 2 workers, {label} ({s['steps']} transitions, "
                               "incl. worker start)", s["steps"] / s["generation_seconds"], "transitions/s", cpu, cmd))
            rows.append(figure(f"dataset bytes per transition (48x48, {label}; raw image 6,912)",
                               s["bytes_per_transition"], "bytes", cpu, cmd))
        # alternating loads, best of two each: the files are in the page cache after the first
        times = {compress: [] for compress in runs}
        for _ in range(2):
            for compress, s in runs.items():
                load_s, buf = _load_seconds(s["dataset_id"], store)
                times[compress].append(load_s)
        load_s = min(times[True])
        rows.append(figure(f"buffer load, {len(buf)} transitions to CPU, frames gzip (measured)", load_s, "s", cpu, cmd))
        rows.append(figure(f"buffer load, {len(buf)} transitions to CPU, raw files (measured)", min(times[False]), "s",
                           cpu, cmd))
        rows.append(figure("peak host memory of a load beyond the process's before, per buffer byte (frames gzip)",
                           _load_peak_ratio(runs[True]["dataset_id"], store), "x", cpu, cmd))
        rows.append(figure("buffer load, default COG prior+task (500k transitions), extrapolated linearly",
                           load_s / len(buf) * COG_TRANSITIONS, "s", cpu, cmd))
        if not quick:
            rows += _measured_cog_load(cpu, cmd)
        secs = 0.5 if quick else 2.0
        threads = torch.get_num_threads()
        for n_threads in sorted({threads, 1}, reverse=True):
            torch.set_num_threads(n_threads)
            try:
                rows.append(figure(f"sample batch 256 (CPU, {n_threads} torch threads)",
                                   _sampling_rate(buf, 256, secs), "batches/s", cpu, cmd))
                rows.append(figure(f"sample goal-conditioned batch 256 (CPU, {n_threads} torch threads)",
                                   _sampling_rate(buf, 256, secs, goal=True), "batches/s", cpu, cmd))
            finally:
                torch.set_num_threads(threads)
        if torch.cuda.is_available():
            gpu = f"cuda: {torch.cuda.get_device_name(0)}"
            start = time.perf_counter()
            gbuf = load_buffer([{"dataset_id": runs[True]["dataset_id"], "reward": "zero"}], device="cuda",
                               store=store)
            torch.cuda.synchronize()
            rows.append(figure(f"buffer load, {len(gbuf)} transitions to CUDA", time.perf_counter() - start, "s",
                               gpu, cmd))
            rows.append(figure("sample batch 256 (CUDA)", _sampling_rate(gbuf, 256, secs), "batches/s", gpu, cmd))
            rows.append(figure("sample goal-conditioned batch 256 (CUDA)",
                               _sampling_rate(gbuf, 256, secs, goal=True), "batches/s", gpu, cmd))
    return rows


if __name__ == "__main__":
    for row in run(quick=False):
        print(row)

"""Minari dataset writer: scripted skills in the envs -> one Minari dataset (HDF5, raw uint8 images).

How a run works (`generate_dataset`):

1. Episode `i` of a run with seed `s` always uses reset/noise seed `episode_seed(s, i)`, so the same
   recipe and seed give the same episodes whatever the worker count or shard order.
2. Episodes are cut into shards of a fixed size (a function of the episode count only). Worker
   processes each write whole shards to `<store>/.shards/<dataset id>/shard_NNNNN.hdf5`, first under
   a temporary name, renamed when the shard is complete. A rerun of an interrupted job (same recipe,
   seed, episodes; checked through `manifest.json`) keeps the finished shards and only writes the
   missing ones; a job with different settings starts clean.
3. When all shards exist they are copied (raw HDF5 object copies, no decode) into a Minari dataset
   built in a temporary folder, which is checked by reading it back with Minari and only then renamed
   to `<store>/<dataset id>`. An interrupted run therefore never leaves a dataset that looks complete.
   An existing dataset is replaced only with `overwrite=True`, and only once the new one is complete.
4. A run holds `<store>/<namespace>/.<name>.lock` (beside the dataset's folder) from its first check
   to its rename, so a second run of the same dataset (another shell, a sweep's jobs) waits for it,
   then finds the dataset there. `flock`: the kernel drops the lock when its holder dies, so a
   killed run never blocks the next; the file holds the holder's pid for the waiting message.

Images are stored as uint8 arrays (Minari's `jpeg_encoding=False`), each frame once per episode step
(T+1 frames for T transitions). The per-step `infos` (reset info + one per step) are stored as Minari
stores them, plus `skill_success` (the scripted skill's own success rule at that step).

Storage (`compress=True`, the default): each episode's frames are one deflate-compressed chunk (HDF5's
gzip filter, level 6), the small per-step arrays stay contiguous, all in HDF5 1.10 object formats.
Lossless, and only a filter every HDF5 build has, so plain `minari.load_dataset` (h5py) reads the files
with nothing of ours imported. One chunk per episode is how the reader reads (whole episodes); the 1.10
formats index a single-chunk array without a B-tree (~2 kB per chunked array in the oldest format).
Compressing the per-step arrays too saved another ~70 bytes per transition but cost 4-7% load time.
`compress=False` writes every array raw and contiguous. Measured sizes and load times: the data-layer
section of docs/interfaces.md and the dataset cards.
"""
from __future__ import annotations

import fcntl
import hashlib
import importlib
import json
import math
import os
import shutil
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from robo_offline.data.coverage import goal_family_coverage_line
from robo_offline.data.goal_rules import goal_rule_for_env
from robo_offline.data.recipes import dataset_id_for, load_recipe
from robo_offline.errors import UserError
from robo_offline.paths import resolve_store

SHARDS_DIRNAME = ".shards"
MANIFEST = "manifest.json"
FORMAT_VERSION = 1
# A filter every HDF5 build has (plain Minari must read the files); level 6: zlib's default, frames 2x
# smaller than at level 4 (0.023x vs 0.050x raw) and as fast to decompress.
COMPRESSION = {"compression": "gzip", "compression_opts": 6}
# HDF5 1.10 object formats for compressed files (module docstring, "Storage"); raw files keep h5py's default.
COMPRESSED_LIBVER = ("v110", "v110")
# What the default storage measured (docs/interfaces.md, data layer): the cards repeat it.
STORAGE_FIGURES = (
    "Measured on 2 x 1,000 episodes of drawer_open_prior + grasp_task (140,000 transitions): 392-410 bytes per "
    "transition, 0.057-0.059x the 6,912-byte raw frame (raw files: 7,292); `load_buffer` to CPU in 5.1-6.7 s "
    "(raw files 4.8-5.5 s, 11.3-14.3 s before frames were streamed into the buffer), peak host memory added by "
    "the load 1.06x the buffer's 992 MB (3.03x before); 2-core CPU shared with other jobs"
)


# ----------------------------------------------------------------------------------------------
# seeds, paths


def episode_seed(seed: int, episode: int) -> int:
    """Seed of episode `episode` of a run seeded `seed` (independent of workers and shards)."""
    return int(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, int(episode)]).generate_state(1)[0])


def default_shard_size(episodes: int) -> int:
    """Episodes per shard: depends on the episode count only, so resumes work with any worker count."""
    return int(min(50, max(1, math.ceil(episodes / 100))))


def resolve_workers(workers: Any) -> int:
    if workers is None or str(workers).lower() == "auto":
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # pragma: no cover
            return max(1, os.cpu_count() or 1)
    try:
        n = int(workers)
    except (TypeError, ValueError):
        raise UserError(f"workers={workers!r} is not a number; use workers=<int> or workers=auto") from None
    if n < 1:
        raise UserError(f"workers={n} must be at least 1 (or auto)")
    return n


def dataset_path(store: Path, dataset_id: str) -> Path:
    return Path(store) / dataset_id


def dataset_exists(store: Path, dataset_id: str) -> bool:
    return (dataset_path(store, dataset_id) / "data" / "metadata.json").is_file()


def lock_path(store: Path, dataset_id: str) -> Path:
    """Hidden, beside the dataset's folder: Minari's listings skip it."""
    final = dataset_path(store, dataset_id)
    return final.with_name(f".{final.name}.lock")


@contextmanager
def dataset_lock(store: Path, dataset_id: str):
    """Hold the dataset's lock file (module docstring, point 4), waiting while another process does."""
    _ensure_namespaces(store, dataset_id)
    path = lock_path(store, dataset_id)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
                print(f"dataset {dataset_id} is being generated by process {holder} (lock {path}); waiting for "
                      "it to finish (Ctrl-C stops waiting)", file=sys.stderr, flush=True)
                fcntl.flock(fd, fcntl.LOCK_EX)
            if _same_file(fd, path):
                break
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # the previous holder removed this file as it finished: lock the current one
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        path.unlink(missing_ok=True)
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


# ----------------------------------------------------------------------------------------------
# env and skill construction (in workers)


def make_env(recipe: dict, max_episode_steps: int | None = None):
    import gymnasium as gym

    import robo_offline  # noqa: F401  (registers the env ids)

    kwargs = dict(recipe.get("env_kwargs") or {})
    steps = max_episode_steps if max_episode_steps is not None else recipe.get("max_episode_steps")
    if steps is not None:
        kwargs["max_episode_steps"] = int(steps)
    try:
        return gym.make(recipe["env"], **kwargs)
    except gym.error.Error as err:
        raise UserError(
            f"cannot make env {recipe['env']!r} for recipe {recipe['name']!r}: {err}. "
            "Check `env`/`env_kwargs` in the recipe (configs/dataset/)."
        ) from None


def make_skill(recipe: dict, seed: int):
    name = recipe["skill"]
    kwargs = dict(recipe.get("skill_kwargs") or {})
    if ":" in name:  # "package.module:factory" (tests, user skills)
        module, attr = name.split(":", 1)
        factory = getattr(importlib.import_module(module), attr)
        return factory(noise=recipe["noise"], seed=seed, **kwargs)
    from robo_offline.skills import make_skill as factory

    return factory(name, noise=recipe["noise"], seed=seed, **kwargs)


# ----------------------------------------------------------------------------------------------
# recording one episode


def _copy(value: Any) -> np.ndarray:
    return np.array(value, copy=True)


def _stack_tree(items: list) -> Any:
    """List of (nested) dicts of arrays -> (nested) dict of stacked arrays."""
    first = items[0]
    if isinstance(first, dict):
        keys = list(first.keys())
        for item in items[1:]:
            if list(item.keys()) != keys and set(item.keys()) != set(keys):
                raise ValueError(
                    f"info/observation keys changed within an episode: {sorted(keys)} vs {sorted(item.keys())}; "
                    "envs must return the same keys at reset and every step"
                )
        return {k: _stack_tree([item[k] for item in items]) for k in keys}
    return np.stack([np.asarray(v) for v in items])


def record_episode(env, skill, seed: int) -> dict:
    """Run one scripted episode; returns stacked arrays (T+1 observations/infos, T actions...)."""
    obs, info = env.reset(seed=int(seed))
    skill.reset(obs, info)
    info = dict(info)
    info["skill_success"] = bool(skill.succeeded(info))
    observations = [{k: _copy(v) for k, v in obs.items()}]
    infos = [{k: _copy(v) for k, v in info.items()}]
    actions, rewards, terminations, truncations = [], [], [], []
    for _ in range(1_000_000):
        action = np.asarray(skill.act(obs, info), dtype=np.float32)
        obs, reward, terminated, truncated, info = env.step(action)
        info = dict(info)
        info["skill_success"] = bool(skill.succeeded(info))
        observations.append({k: _copy(v) for k, v in obs.items()})
        infos.append({k: _copy(v) for k, v in info.items()})
        actions.append(action)
        rewards.append(float(reward))
        terminations.append(bool(terminated))
        truncations.append(bool(truncated))
        if terminated or truncated:
            break
    else:  # pragma: no cover
        raise RuntimeError("episode never ended: the env needs a time limit (max_episode_steps)")
    infos_stacked = {}
    for key, value in _stack_tree(infos).items():
        if isinstance(value, np.ndarray) and value.dtype == object:
            continue  # not storable in HDF5; envs should not put such values in info
        infos_stacked[key] = value
    return {
        "observations": _stack_tree(observations),
        "actions": np.stack(actions).astype(np.float32),
        "rewards": np.asarray(rewards, dtype=np.float64),
        "terminations": np.asarray(terminations, dtype=bool),
        "truncations": np.asarray(truncations, dtype=bool),
        "infos": infos_stacked,
    }


def is_image_array(value: np.ndarray) -> bool:
    """Frames (T+1, H, W, C) uint8: ~95% of the raw bytes, what compression pays for (module docstring)."""
    return value.dtype == np.uint8 and value.ndim == 4 and value.size > 0


def _write_tree(group, tree: dict, compress: bool) -> None:
    for key, value in tree.items():
        if isinstance(value, dict):
            _write_tree(group.create_group(key), value, compress)
        else:
            value = np.ascontiguousarray(value)
            if compress and is_image_array(value):  # Minari's HDF5 group layout, frames as one chunk
                group.create_dataset(key, data=value, chunks=value.shape, **COMPRESSION)
            else:
                group.create_dataset(key, data=value)


def write_episode(h5file, index: int, seed: int, episode: dict, compress: bool = True) -> None:
    """One episode as Minari's `episode_<index>` group (module docstring, "Storage")."""
    group = h5file.create_group(f"episode_{index}")
    group.attrs["id"] = index
    group.attrs["seed"] = seed
    group.attrs["total_steps"] = len(episode["rewards"])
    _write_tree(group, episode, compress)


# ----------------------------------------------------------------------------------------------
# shards


def _shard_name(k: int) -> str:
    return f"shard_{k:05d}.hdf5"


def generate_shard(job: dict) -> dict:
    """Worker entry point: record episodes [lo, hi) into one shard file (atomic rename)."""
    import h5py

    recipe, seed, k, lo, hi, compress = job["recipe"], job["seed"], job["shard"], job["lo"], job["hi"], job["compress"]
    out = Path(job["shard_dir"]) / _shard_name(k)
    tmp = out.with_name(f"{out.name}.tmp{os.getpid()}")
    env = _worker_env(recipe, job.get("max_episode_steps"))
    steps = successes = task_successes = 0
    try:
        with h5py.File(tmp, "w", track_order=True, libver=COMPRESSED_LIBVER if compress else None) as f:
            for i in range(lo, hi):
                ep_seed = episode_seed(seed, i)
                skill = make_skill(recipe, ep_seed)
                episode = record_episode(env, skill, ep_seed)
                write_episode(f, i - lo, ep_seed, episode, compress)
                steps += len(episode["rewards"])
                successes += int(bool(episode["infos"].get("skill_success", [False])[-1]))
                if "is_success" in episode["infos"]:
                    task_successes += int(bool(np.asarray(episode["infos"]["is_success"])[-1]))
            f.attrs.update({"lo": lo, "hi": hi, "steps": steps, "skill_successes": successes,
                            "task_successes": task_successes})
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return {"shard": k, "episodes": hi - lo, "steps": steps}


_ENV_CACHE: dict[str, Any] = {}


def _worker_env(recipe: dict, max_episode_steps):
    """One env per (recipe, horizon) per process, reused across shards (episodes reset with their seed)."""
    key = json.dumps([recipe, max_episode_steps], sort_keys=True)
    if key not in _ENV_CACHE:
        for old in _ENV_CACHE.values():
            old.close()
        _ENV_CACHE.clear()
        _ENV_CACHE[key] = make_env(recipe, max_episode_steps)
    return _ENV_CACHE[key]


def _close_worker_envs() -> None:
    for env in _ENV_CACHE.values():
        env.close()
    _ENV_CACHE.clear()


def _read_shard_stats(path: Path) -> dict | None:
    import h5py

    try:
        with h5py.File(path, "r") as f:
            return {k: int(f.attrs[k]) for k in ("lo", "hi", "steps", "skill_successes", "task_successes")}
    except Exception:  # a damaged shard is regenerated
        return None


# ----------------------------------------------------------------------------------------------
# the whole job


def _manifest(recipe: dict, seed: int, episodes: int, shard_size: int, max_episode_steps, compress: bool) -> dict:
    return {"format": FORMAT_VERSION, "recipe": recipe, "seed": int(seed), "episodes": int(episodes),
            "shard_size": int(shard_size), "max_episode_steps": max_episode_steps, "compress": bool(compress)}


def _write_json(path: Path, obj: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, sort_keys=True))
    os.replace(tmp, path)


def _ensure_namespaces(store: Path, dataset_id: str) -> None:
    parts = dataset_id.split("/")[:-1]
    for i in range(1, len(parts) + 1):
        ns_dir = store.joinpath(*parts[:i])
        ns_dir.mkdir(parents=True, exist_ok=True)
        meta = ns_dir / "namespace_metadata.json"
        if not meta.exists():
            meta.write_text("{}")


def generate_dataset(
    recipe: Any,
    *,
    episodes: int | None = None,
    seed: int = 0,
    workers: Any = 1,
    store: str | os.PathLike | None = None,
    overwrite: bool = False,
    name: str | None = None,
    shard_size: int | None = None,
    max_episode_steps: int | None = None,
    progress: bool = True,
    command: str | None = None,
    write_card: bool = True,
    compress: bool = True,
) -> dict:
    """Generate (or finish generating) a recipe's Minari dataset; returns a summary dict. Waits while
    another process generates the same dataset (module docstring, point 4). `compress=False` stores
    raw arrays (module docstring, "Storage").

    The summary holds `dataset_id`, `path`, `episodes`, `steps`, `bytes`, `bytes_per_transition`,
    `skill_success_rate`, `task_success_rate`, `seconds`, `shards_written`, `shards_reused`, `card`,
    `compressed`.
    """
    recipe = load_recipe(recipe)
    store = resolve_store(store)
    with dataset_lock(store, dataset_id_for(recipe, name)):
        return _generate_locked(recipe, store, episodes=episodes, seed=seed, workers=workers, overwrite=overwrite,
                                name=name, shard_size=shard_size, max_episode_steps=max_episode_steps,
                                progress=progress, command=command, write_card=write_card, compress=compress)


def _generate_locked(recipe: dict, store: Path, *, episodes, seed, workers, overwrite, name, shard_size,
                     max_episode_steps, progress, command, write_card, compress=True) -> dict:
    """generate_dataset's work, with the dataset's lock held (also by ensure_dataset)."""
    import h5py

    episodes = int(recipe["episodes"] if episodes is None else episodes)
    if episodes < 1:
        raise UserError(f"episodes={episodes} must be at least 1")
    seed = int(seed)
    n_workers = resolve_workers(workers)
    dataset_id = dataset_id_for(recipe, name)
    final = dataset_path(store, dataset_id)
    if final.exists() and not overwrite:
        raise UserError(
            f"dataset {dataset_id} already exists at {final}; pass overwrite=true to replace it "
            f"(or name=<other> to write a second dataset)"
        )
    shard_size = int(shard_size or default_shard_size(episodes))
    n_shards = math.ceil(episodes / shard_size)
    if max_episode_steps is not None:
        max_episode_steps = int(max_episode_steps)
    if not isinstance(compress, bool):
        raise UserError(f"compress={compress!r} must be true or false")

    # Job folder (hidden from Minari's listings): reuse finished shards of the same job only.
    key = hashlib.sha1(dataset_id.encode()).hexdigest()[:8]
    shard_dir = store / SHARDS_DIRNAME / f"{dataset_id.replace('/', '__')}-{key}"
    manifest = _manifest(recipe, seed, episodes, shard_size, max_episode_steps, compress)
    if shard_dir.exists():
        try:
            old = json.loads((shard_dir / MANIFEST).read_text())
        except (OSError, ValueError):
            old = None
        if old != manifest:
            shutil.rmtree(shard_dir)
    shard_dir.mkdir(parents=True, exist_ok=True)
    for leftover in shard_dir.glob("*.tmp*"):  # partial files of an interrupted run
        if leftover.is_dir():
            shutil.rmtree(leftover)
        else:
            leftover.unlink()
    _write_json(shard_dir / MANIFEST, manifest)

    stats: dict[int, dict] = {}
    for k in range(n_shards):
        path = shard_dir / _shard_name(k)
        if path.exists():
            s = _read_shard_stats(path)
            if s is not None and s["lo"] == k * shard_size and s["hi"] == min(episodes, (k + 1) * shard_size):
                stats[k] = s
            else:
                path.unlink()
    reused = len(stats)
    jobs = [
        {"recipe": recipe, "seed": seed, "shard": k, "lo": k * shard_size,
         "hi": min(episodes, (k + 1) * shard_size), "shard_dir": str(shard_dir),
         "max_episode_steps": max_episode_steps, "compress": compress}
        for k in range(n_shards) if k not in stats
    ]

    from tqdm import tqdm

    start = time.perf_counter()
    bar = tqdm(total=episodes, initial=sum(s["hi"] - s["lo"] for s in stats.values()),
               desc=f"generate {recipe['name']}", unit="ep", disable=not progress, dynamic_ncols=True)
    try:
        if jobs:
            n_workers = min(n_workers, len(jobs))
            if n_workers == 1:
                try:
                    _consume(map(generate_shard, jobs), bar)
                finally:
                    _close_worker_envs()
            else:
                import multiprocessing as mp
                from concurrent.futures import ProcessPoolExecutor, as_completed
                from concurrent.futures.process import BrokenProcessPool

                # spawn: no forked PyBullet/torch state; a dead worker raises instead of hanging.
                with ProcessPoolExecutor(n_workers, mp_context=mp.get_context("spawn")) as pool:
                    futures = [pool.submit(generate_shard, job) for job in jobs]
                    try:
                        _consume((f.result() for f in as_completed(futures)), bar)
                    except BrokenProcessPool as err:
                        raise RuntimeError(
                            f"a generation worker died ({err}); finished shards are kept in {shard_dir}, "
                            "rerun the same command to finish the job") from None
                    finally:
                        for f in futures:
                            f.cancel()
    finally:
        bar.close()
    gen_seconds = time.perf_counter() - start
    for k in range(n_shards):
        if k not in stats:
            s = _read_shard_stats(shard_dir / _shard_name(k))
            if s is None:
                raise RuntimeError(f"shard {k} of {dataset_id} is missing after generation")
            stats[k] = s

    # Merge into a Minari dataset in a temporary folder, check it, then rename into place.
    from minari import __version__ as minari_version
    from minari.dataset.minari_storage import MinariStorage

    env = make_env(recipe, max_episode_steps)
    try:
        obs_space, act_space, env_spec = env.observation_space, env.action_space, env.spec
        goal_tolerance = getattr(env.unwrapped, "goal_tolerance", None)
        if goal_tolerance is not None:
            goal_tolerance = np.asarray(goal_tolerance, dtype=np.float64).tolist()
        goal_rule = goal_rule_for_env(env_spec.id, goal_tolerance)
    finally:
        env.close()
    tmp = shard_dir / "final.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    storage = MinariStorage.new(tmp / "data", observation_space=obs_space, action_space=act_space,
                                env_spec=env_spec, data_format="hdf5", jpeg_encoding=False)
    total_steps = 0
    # "w": a new file with h5py's creation settings (no object times: the same content, the same bytes)
    with h5py.File(tmp / "data" / "main_data.hdf5", "w", track_order=True,
                   libver=COMPRESSED_LIBVER if compress else None) as out:
        for k in range(n_shards):
            with h5py.File(shard_dir / _shard_name(k), "r") as src:
                lo = stats[k]["lo"]
                for j in range(stats[k]["hi"] - lo):
                    name_j = f"episode_{lo + j}"
                    src.copy(src[f"episode_{j}"], out, name=name_j)
                    out[name_j].attrs["id"] = lo + j
            total_steps += stats[k]["steps"]
    skill_succ = sum(s["skill_successes"] for s in stats.values()) / episodes
    task_succ = sum(s["task_successes"] for s in stats.values()) / episodes
    info = {
        "recipe": recipe, "seed": seed, "episodes": episodes, "shard_size": shard_size,
        "max_episode_steps": max_episode_steps, "skill_success_rate": skill_succ,
        "task_success_rate": task_succ, "default_reward": recipe["default_reward"],
        "command": command or "", "format": FORMAT_VERSION, "goal_tolerance": goal_tolerance,
        "compression": COMPRESSION if compress else None, "goal_rule": goal_rule,
    }
    storage.update_metadata({
        "dataset_id": dataset_id,
        "minari_version": minari_version,
        "total_episodes": episodes,
        "total_steps": int(total_steps),
        "author": {"robo_offline"},
        "algorithm_name": f"scripted skill {recipe['skill']} (noise {recipe['noise']})",
        "code_permalink": "robo_offline/data/writer.py",
        "description": recipe["description"] or f"robo_offline recipe {recipe['name']}",
        "robo_offline": info,
        "dataset_size": storage.get_size(),
    })
    _check_readable(tmp / "data", episodes)

    if final.exists():  # (final.parent exists: the lock file lives there)
        if not overwrite:  # created meanwhile by a writer that takes no lock
            raise UserError(f"dataset {dataset_id} appeared at {final} during generation; pass overwrite=true")
        trash = shard_dir / "old.tmp"
        os.replace(final, trash)
        os.replace(tmp, final)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(tmp, final)
    shutil.rmtree(shard_dir, ignore_errors=True)
    try:
        (store / SHARDS_DIRNAME).rmdir()
    except OSError:
        pass

    nbytes = sum(p.stat().st_size for p in (final / "data").rglob("*") if p.is_file())
    summary = {
        "dataset_id": dataset_id, "path": str(final), "recipe": recipe["name"], "env": recipe["env"],
        "episodes": episodes, "steps": int(total_steps), "bytes": int(nbytes),
        "bytes_per_transition": nbytes / max(1, total_steps),
        "skill_success_rate": skill_succ, "task_success_rate": task_succ, "seed": seed,
        "seconds": time.perf_counter() - start, "generation_seconds": gen_seconds,
        "shards_written": len(jobs), "shards_reused": reused, "workers": n_workers,
        "command": command or "", "card": None, "compressed": compress,
    }
    if write_card:
        summary["card"] = str(write_dataset_card(store, recipe, summary, name))
    return summary


def _consume(results, bar) -> None:
    for res in results:
        bar.update(res["episodes"])


def _check_readable(data_path: Path, episodes: int) -> None:
    from minari import MinariDataset

    ds = MinariDataset(data_path)
    if ds.total_episodes != episodes:
        raise RuntimeError(f"merged dataset has {ds.total_episodes} episodes, expected {episodes}")
    last = next(iter(ds.storage.get_episodes([episodes - 1])))
    if len(last["rewards"]) == 0:
        raise RuntimeError("merged dataset has an empty episode")


def write_dataset_card(store: Path, recipe: dict, s: dict, name: str | None = None) -> Path:
    """`<store>/<recipe>.md` for a recipe's own dataset; `<store>/<id>/card.md` for other names."""
    if name is None or name == recipe["name"]:
        path = Path(store) / f"{recipe['name']}.md"
    else:
        path = Path(s["path"]) / "card.md"
    per_t = s["bytes"] / max(1, s["steps"])
    env_kwargs = recipe["env_kwargs"] or {}
    coverage = goal_family_coverage_line(s["dataset_id"], store)
    lines = [
        f"# Dataset card: {name or recipe['name']}",
        "",
        recipe["description"] or "",
        "",
        "| field | value |",
        "| --- | --- |",
        f"| Minari id | `{s['dataset_id']}` |",
        f"| recipe | `configs/dataset/{recipe['name']}.yaml` |",
        f"| env | `{recipe['env']}` {json.dumps(env_kwargs) if env_kwargs else ''} |",
        f"| policy | scripted skill `{recipe['skill']}`, Gaussian noise {recipe['noise']} |",
        f"| episodes | {s['episodes']:,} |",
        f"| steps (transitions) | {s['steps']:,} ({s['steps'] / s['episodes']:.1f} per episode) |",
        f"| scripted success rate (skill's own rule, final step) | {100 * s['skill_success_rate']:.1f}% |",
        f"| task success rate (env `is_success`, final step) | {100 * s['task_success_rate']:.1f}% |",
        *([coverage] if coverage else []),
        f"| bytes | {s['bytes']:,} ({per_t:,.0f} per transition) |",
        f"| storage | {_storage_text(s)} |",
        f"| default reward in the replay buffer | `{recipe['default_reward']}` |",
        f"| seed | {s['seed']} (episode i uses `episode_seed(seed, i)`) |",
        f"| generation time | {s['seconds']:.0f} s with {s['workers']} worker(s) |",
        f"| command | `{s['command'] or 'robo_offline.data.generate_dataset(...)'}` |",
        "",
        f"Load with `from robo_offline.data import minari_dataset; minari_dataset(\"{s['dataset_id']}\")`, or with",
        f"plain Minari: `minari.load_dataset(\"{s['dataset_id']}\")` once `MINARI_DATASETS_PATH` names the store",
        "(`datasets/` in the checkout; `import robo_offline` registers the envs for `recover_environment`).",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
    return path


def _storage_text(summary: dict) -> str:
    """The card's storage row: what a reader of the card needs to know about size and loading."""
    if not summary["compressed"]:
        return "every array raw and contiguous (compress=false): H x W x 3 bytes per frame"
    return ("frames lossless gzip (level 6), one HDF5 chunk per episode, the per-step arrays raw; plain "
            f"`minari.load_dataset` reads it. {STORAGE_FIGURES}")


def default_dataset_name(recipe: dict, episodes: int, seed: int, max_episode_steps=None) -> str:
    name = recipe["name"]
    if episodes != recipe["episodes"] or int(seed) != 0 or max_episode_steps is not None:
        name += f"_{episodes}ep"
        if int(seed) != 0:
            name += f"_s{int(seed)}"
        if max_episode_steps is not None:
            name += f"_T{int(max_episode_steps)}"
    return name


def _same_settings(store: Path, dataset_id: str, recipe: dict, episodes: int, seed: int, max_episode_steps) -> str:
    """The id of an existing dataset made with these settings, else a UserError."""
    meta = json.loads((dataset_path(store, dataset_id) / "data" / "metadata.json").read_text())
    info = meta.get("robo_offline", {})
    if (info.get("recipe") == recipe and info.get("episodes") == episodes and info.get("seed") == int(seed)
            and info.get("max_episode_steps") == max_episode_steps):
        return dataset_id
    raise UserError(
        f"dataset {dataset_id} in {store} was made with other settings "
        f"(episodes={info.get('episodes')}, seed={info.get('seed')}); pass overwrite=True, "
        f"or another name=/store= to keep both"
    )


def ensure_dataset(recipe_name: str, episodes: int | None = None, seed: int = 0, workers: Any = 1,
                   store: str | os.PathLike | None = None, *, name: str | None = None,
                   overwrite: bool = False, progress: bool = True,
                   max_episode_steps: int | None = None) -> str:
    """Return the id of a recipe's dataset, generating it first if it is not in the store.

    With the recipe's default episode count and seed 0 the id is the recipe's own
    (`robo_offline/<Env>/<recipe>-v1`); other settings get their own name, e.g.
    `drawer_open_prior_40ep` or `grasp_task_40ep_s3`, so small (demo) datasets never clash with
    (or overwrite) the full ones.

    An existing dataset is reused only when it was made with the same recipe, episode count and
    seed; otherwise this raises a `UserError` (pass `overwrite=True`, another `name` or `store`).
    """
    recipe = load_recipe(recipe_name)
    store_path = resolve_store(store)
    n = int(recipe["episodes"] if episodes is None else episodes)
    if name is None:
        name = default_dataset_name(recipe, n, seed, max_episode_steps)
    dataset_id = dataset_id_for(recipe, name)
    if not overwrite and dataset_exists(store_path, dataset_id):  # no lock (nor a writable store) needed to use it
        return _same_settings(store_path, dataset_id, recipe, n, seed, max_episode_steps)
    with dataset_lock(store_path, dataset_id):  # a sweep's jobs asking for one dataset: one makes it, all use it
        if not overwrite and dataset_exists(store_path, dataset_id):  # made by the run we waited for
            return _same_settings(store_path, dataset_id, recipe, n, seed, max_episode_steps)
        summary = _generate_locked(recipe, store_path, episodes=n, seed=seed, workers=workers, overwrite=overwrite,
                                   name=name, shard_size=None, max_episode_steps=max_episode_steps,
                                   progress=progress, write_card=True,
                                   command=f"ensure_dataset({recipe['name']!r}, episodes={n}, seed={seed})")
    return summary["dataset_id"]

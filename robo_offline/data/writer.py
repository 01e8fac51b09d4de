"""Minari dataset writer: scripted skills in the envs -> one Minari dataset (HDF5, raw uint8 images).

`generate_dataset` runs five steps, each a function below, the way Minari's DataCollector is cut:

1. Plan the shards (`plan_shards`, `finished_shards`). Episode `i` of a run with seed `s` always
   uses reset/noise seed `episode_seed(s, i)`, so the same recipe and seed give the same episodes
   whatever the worker count or shard order. Episodes are cut into shards of a fixed size (a
   function of the episode count only), written to `<store>/.shards/<dataset id>/shard_NNNNN.hdf5`.
   A rerun of an interrupted job (same recipe, seed, episodes; checked through `manifest.json`)
   keeps the finished shards and only writes the missing ones; a job with other settings starts clean.
2. Record a shard (`record_shard`, in worker processes): each shard is written under a temporary
   name and renamed when complete.
3. Merge (`merge_shards`): when all shards exist they are copied (raw HDF5 object copies, no
   decode) into a Minari dataset built in a temporary folder, which is checked by reading it back
   with Minari.
4. Publish (`publish`): only then is it renamed to `<store>/<dataset id>`, so an interrupted run
   never leaves a dataset that looks complete. An existing dataset is replaced only with
   `overwrite=True`, and only once the new one is complete.
5. Write the card (robo_offline.data.card).

A run holds `<store>/<namespace>/.<name>.lock` (beside the dataset's folder) from its first check
to its rename, so a second run of the same dataset (another shell, a sweep's jobs) waits for it,
then finds the dataset there. `flock`: the kernel drops the lock when its holder dies, so a killed
run never blocks the next; the file holds the holder's pid for the waiting message.

Images are stored as uint8 arrays (Minari's `jpeg_encoding=False`), each frame once per episode step
(T+1 frames for T transitions). The per-step `infos` (reset info + one per step) are stored as Minari
stores them, plus `skill_success` (the scripted skill's own success rule at that step), added the way
a Minari `StepDataCallback` adds a key (`skill_step_data`).

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from robo_offline.data.card import write_dataset_card
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
    """Hold the dataset's lock file (module docstring), waiting while another process does."""
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


def make_recipe_env(recipe: dict, max_episode_steps: int | None = None):
    """The recipe's env (its env_kwargs; its episode length unless `max_episode_steps` is given)."""
    from robo_offline.world.envs import make_env

    kwargs = dict(recipe.get("env_kwargs") or {})
    steps = max_episode_steps if max_episode_steps is not None else recipe.get("max_episode_steps")
    if steps is not None:
        kwargs["max_episode_steps"] = int(steps)
    try:
        return make_env(recipe["env"], kwargs)
    except UserError as err:
        raise UserError(f"recipe {recipe['name']!r}: {err}. Check `env`/`env_kwargs` in the recipe "
                        "(configs/dataset/).") from None


def make_skill(recipe: dict, seed: int):
    name = recipe["skill"]
    kwargs = dict(recipe.get("skill_kwargs") or {})
    if ":" in name:  # "package.module:factory" (tests, user skills)
        module, attr = name.split(":", 1)
        factory = getattr(importlib.import_module(module), attr)
        return factory(noise=recipe["noise"], seed=seed, **kwargs)
    from robo_offline.world.skills import make_skill as factory

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


def skill_step_data(skill, obs: dict, info: dict) -> tuple[dict, dict]:
    """What one step stores (at reset too), made the way a Minari `StepDataCallback` makes it: copies
    of the env's observation and info, the info with `skill_success` (the skill's own rule) added."""
    stored_info = {k: _copy(v) for k, v in info.items()}
    stored_info["skill_success"] = _copy(bool(skill.succeeded(info)))
    return {k: _copy(v) for k, v in obs.items()}, stored_info


def record_episode(env, skill, seed: int, end_when_done: bool = False) -> dict:
    """Run one scripted episode; returns stacked arrays (T+1 observations/infos, T actions...).
    With `end_when_done` the episode stops (truncated) at the first step the skill reports done,
    the step that took its first idle action, as roboverse's `scripted_collect` stops on the
    policy's `done`: no tail of idle frames that teaches "stay" where the next skill starts."""
    obs, info = env.reset(seed=int(seed))
    skill.reset(obs, info)
    first_obs, first_info = skill_step_data(skill, obs, info)
    observations, infos = [first_obs], [first_info]
    actions, rewards, terminations, truncations = [], [], [], []
    for _ in range(1_000_000):
        action = np.asarray(skill.act(obs, info), dtype=np.float32)
        obs, reward, terminated, truncated, info = env.step(action)
        stored_obs, stored_info = skill_step_data(skill, obs, info)
        observations.append(stored_obs)
        infos.append(stored_info)
        actions.append(action)
        rewards.append(float(reward))
        terminations.append(bool(terminated))
        truncated = truncated or (end_when_done and skill.done and not terminated)
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
# the whole job: plan -> record -> merge -> publish -> card


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
    """Generate (or finish generating) a recipe's Minari dataset (module docstring: the five steps);
    waits while another process generates the same dataset.

    Args:
        recipe: a recipe name (`configs/dataset/<name>.yaml`) or a recipe mapping.
        episodes: how many episodes to record; None: the recipe's count.
        seed: the run's seed; episode i uses `episode_seed(seed, i)`.
        workers: worker processes (an int, or `auto`: one per available core); the bytes written
            do not depend on it.
        store: the Minari store; default `robo_offline.paths.resolve_store()`.
        overwrite: replace an existing dataset of this id (only once the new one is complete).
        name: the dataset's name in its id (`robo_offline/<Env>/<name>-v2`); None: the recipe's.
        shard_size: episodes per shard; None: `default_shard_size(episodes)`.
        max_episode_steps: override of the env's horizon.
        progress: show a progress bar.
        command: the command line to record in the metadata and the card.
        write_card: write the dataset card (robo_offline.data.card).
        compress: lossless gzip frames (module docstring, "Storage"); False: raw arrays.

    Returns:
        A summary dict: `dataset_id`, `path`, `episodes`, `steps`, `bytes`, `bytes_per_transition`,
        `skill_success_rate`, `task_success_rate`, `seconds`, `shards_written`, `shards_reused`,
        `card`, `compressed`, and the settings it ran with.
    """
    recipe = load_recipe(recipe)
    store = resolve_store(store)
    with dataset_lock(store, dataset_id_for(recipe, name)):
        return _generate_locked(recipe, store, episodes=episodes, seed=seed, workers=workers, overwrite=overwrite,
                                name=name, shard_size=shard_size, max_episode_steps=max_episode_steps,
                                progress=progress, command=command, write_card=write_card, compress=compress)


def _generate_locked(recipe: dict, store: Path, *, episodes, seed, workers, overwrite, name, shard_size,
                     max_episode_steps, progress, command, write_card, compress=True) -> dict:
    """generate_dataset's steps, with the dataset's lock held (also by ensure_dataset)."""
    dataset_id = dataset_id_for(recipe, name)
    plan = plan_shards(recipe, store, dataset_id, episodes=episodes, seed=seed, shard_size=shard_size,
                       max_episode_steps=max_episode_steps, compress=compress)
    n_workers = resolve_workers(workers)
    final = dataset_path(store, dataset_id)
    if final.exists() and not overwrite:
        raise UserError(
            f"dataset {dataset_id} already exists at {final}; pass overwrite=true to replace it "
            f"(or name=<other> to write a second dataset)"
        )
    done = finished_shards(plan)
    missing = [k for k in range(plan.n_shards) if k not in done]
    if missing:
        n_workers = min(n_workers, len(missing))

    start = time.perf_counter()
    with _progress_bar(plan, done, progress) as bar:
        record_shards(plan, missing, n_workers, bar.update)
    gen_seconds = time.perf_counter() - start
    stats = shard_stats(plan, done)
    staged = merge_shards(plan, stats, dataset_id, command)
    publish(staged, final, plan, overwrite)

    nbytes = sum(p.stat().st_size for p in (final / "data").rglob("*") if p.is_file())
    totals = _totals(stats, plan.episodes)
    summary = {
        "dataset_id": dataset_id, "path": str(final), "recipe": recipe["name"], "env": recipe["env"],
        "episodes": plan.episodes, "steps": totals["steps"], "bytes": int(nbytes),
        "bytes_per_transition": nbytes / max(1, totals["steps"]),
        "skill_success_rate": totals["skill_success_rate"], "task_success_rate": totals["task_success_rate"],
        "seed": plan.seed, "seconds": time.perf_counter() - start, "generation_seconds": gen_seconds,
        "shards_written": len(missing), "shards_reused": len(done), "workers": n_workers,
        "command": command or "", "card": None, "compressed": plan.compress,
    }
    if write_card:
        summary["card"] = str(write_dataset_card(store, recipe, summary, name))
    return summary


# ----------------------------------------------------------------------------------------------
# 1. plan the shards


@dataclass(frozen=True)
class ShardPlan:
    """A generation job cut into shards of whole episodes (module docstring, step 1). What the
    workers get: it pickles as it is."""

    recipe: dict
    seed: int
    episodes: int
    shard_size: int
    max_episode_steps: int | None
    compress: bool
    shard_dir: Path  # the job folder, hidden from Minari's listings

    @property
    def n_shards(self) -> int:
        return math.ceil(self.episodes / self.shard_size)

    def episode_range(self, k: int) -> tuple[int, int]:
        """Episodes [lo, hi) of shard k."""
        return k * self.shard_size, min(self.episodes, (k + 1) * self.shard_size)

    def shard_path(self, k: int) -> Path:
        return self.shard_dir / f"shard_{k:05d}.hdf5"

    def manifest(self) -> dict:
        """The settings a kept shard must have been recorded with to be reused."""
        return {"format": FORMAT_VERSION, "recipe": self.recipe, "seed": self.seed, "episodes": self.episodes,
                "shard_size": self.shard_size, "max_episode_steps": self.max_episode_steps,
                "compress": self.compress}


def plan_shards(recipe: dict, store: Path, dataset_id: str, *, episodes, seed, shard_size, max_episode_steps,
                compress) -> ShardPlan:
    """Check the job's settings and cut it into shards (nothing is written yet)."""
    episodes = int(recipe["episodes"] if episodes is None else episodes)
    if episodes < 1:
        raise UserError(f"episodes={episodes} must be at least 1")
    if not isinstance(compress, bool):
        raise UserError(f"compress={compress!r} must be true or false")
    key = hashlib.sha1(dataset_id.encode()).hexdigest()[:8]
    return ShardPlan(recipe=recipe, seed=int(seed), episodes=episodes,
                     shard_size=int(shard_size or default_shard_size(episodes)),
                     max_episode_steps=None if max_episode_steps is None else int(max_episode_steps),
                     compress=compress,
                     shard_dir=store / SHARDS_DIRNAME / f"{dataset_id.replace('/', '__')}-{key}")


def finished_shards(plan: ShardPlan) -> dict[int, dict]:
    """Ready the job folder: keep the shards an interrupted run of this same job finished, drop
    everything else. Returns the kept shards' stats by shard index."""
    if plan.shard_dir.exists() and _read_json(plan.shard_dir / MANIFEST) != plan.manifest():
        shutil.rmtree(plan.shard_dir)
    plan.shard_dir.mkdir(parents=True, exist_ok=True)
    for leftover in plan.shard_dir.glob("*.tmp*"):  # partial files of an interrupted run
        if leftover.is_dir():
            shutil.rmtree(leftover)
        else:
            leftover.unlink()
    _write_json(plan.shard_dir / MANIFEST, plan.manifest())
    done: dict[int, dict] = {}
    for k in range(plan.n_shards):
        path = plan.shard_path(k)
        if path.exists():
            stats = _read_shard_stats(path)
            if stats is not None and (stats["lo"], stats["hi"]) == plan.episode_range(k):
                done[k] = stats
            else:
                path.unlink()
    return done


# ----------------------------------------------------------------------------------------------
# 2. record the shards


def record_shards(plan: ShardPlan, shards: list[int], n_workers: int, on_episodes: Callable[[int], Any]) -> None:
    """Record `shards`, in `n_workers` worker processes when more than one; `on_episodes(n)` after each
    shard (the progress bar). Workers are spawned: no forked PyBullet/torch state, and a dead worker
    raises instead of hanging."""
    if not shards:
        return
    if n_workers == 1:
        try:
            for k in shards:
                on_episodes(record_shard(plan, k))
        finally:
            _close_worker_envs()
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    with ProcessPoolExecutor(n_workers, mp_context=mp.get_context("spawn")) as pool:
        futures = [pool.submit(record_shard, plan, k) for k in shards]
        try:
            for future in as_completed(futures):
                on_episodes(future.result())
        except BrokenProcessPool as err:
            raise RuntimeError(
                f"a generation worker died ({err}); finished shards are kept in {plan.shard_dir}, "
                "rerun the same command to finish the job") from None
        finally:
            for future in futures:
                future.cancel()


def _progress_bar(plan: ShardPlan, done: dict[int, dict], progress: bool):
    from tqdm import tqdm

    return tqdm(total=plan.episodes, initial=sum(s["hi"] - s["lo"] for s in done.values()),
                desc=f"generate {plan.recipe['name']}", unit="ep", disable=not progress, dynamic_ncols=True)


def record_shard(plan: ShardPlan, k: int) -> int:
    """Worker entry point: record shard k's episodes into its file (renamed into place when complete,
    with its stats as attributes); returns its episode count."""
    import h5py

    lo, hi = plan.episode_range(k)
    out = plan.shard_path(k)
    tmp = out.with_name(f"{out.name}.tmp{os.getpid()}")
    env = _worker_env(plan.recipe, plan.max_episode_steps)
    stats = {"lo": lo, "hi": hi, "steps": 0, "skill_successes": 0, "task_successes": 0}
    try:
        with h5py.File(tmp, "w", track_order=True, libver=COMPRESSED_LIBVER if plan.compress else None) as f:
            for i in range(lo, hi):
                ep_seed = episode_seed(plan.seed, i)
                episode = record_episode(env, make_skill(plan.recipe, ep_seed), ep_seed,
                                         bool(plan.recipe.get("end_when_done")))
                write_episode(f, i - lo, ep_seed, episode, plan.compress)
                infos = episode["infos"]
                stats["steps"] += len(episode["rewards"])
                stats["skill_successes"] += int(bool(infos["skill_success"][-1]))
                stats["task_successes"] += int(bool(infos["is_success"][-1])) if "is_success" in infos else 0
            f.attrs.update(stats)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return hi - lo


_ENV_CACHE: dict[str, Any] = {}


def _worker_env(recipe: dict, max_episode_steps):
    """One env per (recipe, horizon) per process, reused across shards (episodes reset with their seed)."""
    key = json.dumps([recipe, max_episode_steps], sort_keys=True)
    if key not in _ENV_CACHE:
        for old in _ENV_CACHE.values():
            old.close()
        _ENV_CACHE.clear()
        _ENV_CACHE[key] = make_recipe_env(recipe, max_episode_steps)
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


def shard_stats(plan: ShardPlan, done: dict[int, dict]) -> list[dict]:
    """Every shard's stats in shard order, once all are recorded."""
    stats = []
    for k in range(plan.n_shards):
        s = done.get(k) or _read_shard_stats(plan.shard_path(k))
        if s is None:
            raise RuntimeError(f"shard {k} of {plan.shard_dir.name} is missing after generation")
        stats.append(s)
    return stats


# ----------------------------------------------------------------------------------------------
# 3. merge


def merge_shards(plan: ShardPlan, stats: list[dict], dataset_id: str, command: str | None) -> Path:
    """Copy every shard's episodes (raw HDF5 object copies, no decode) into a Minari dataset built in
    the job folder, write its metadata, and check Minari reads it back; returns that folder."""
    import h5py
    from minari.dataset.minari_storage import MinariStorage

    env = _env_facts(plan)
    staged = plan.shard_dir / "final.tmp"
    if staged.exists():
        shutil.rmtree(staged)
    staged.mkdir()
    storage = MinariStorage.new(staged / "data", observation_space=env["observation_space"],
                                action_space=env["action_space"], env_spec=env["env_spec"], data_format="hdf5",
                                jpeg_encoding=False)
    # "w": a new file with h5py's creation settings (no object times: the same content, the same bytes)
    with h5py.File(staged / "data" / "main_data.hdf5", "w", track_order=True,
                   libver=COMPRESSED_LIBVER if plan.compress else None) as out:
        for k, s in enumerate(stats):
            with h5py.File(plan.shard_path(k), "r") as src:
                for j in range(s["hi"] - s["lo"]):
                    name_j = f"episode_{s['lo'] + j}"
                    src.copy(src[f"episode_{j}"], out, name=name_j)
                    out[name_j].attrs["id"] = s["lo"] + j
    storage.update_metadata(_dataset_metadata(plan, stats, dataset_id, command, env, storage.get_size()))
    _check_readable(staged / "data", plan.episodes)
    return staged


def _env_facts(plan: ShardPlan) -> dict:
    """What the metadata says about the env: its spaces and spec, and how it judges goals."""
    env = make_recipe_env(plan.recipe, plan.max_episode_steps)
    try:
        goal_tolerance = getattr(env.unwrapped, "goal_tolerance", None)
        if goal_tolerance is not None:
            goal_tolerance = np.asarray(goal_tolerance, dtype=np.float64).tolist()
        return {"observation_space": env.observation_space, "action_space": env.action_space,
                "env_spec": env.spec, "goal_tolerance": goal_tolerance,
                "goal_rule": goal_rule_for_env(env.spec.id, goal_tolerance)}
    finally:
        env.close()


def _totals(stats: list[dict], episodes: int) -> dict:
    return {"steps": int(sum(s["steps"] for s in stats)),
            "skill_success_rate": sum(s["skill_successes"] for s in stats) / episodes,
            "task_success_rate": sum(s["task_successes"] for s in stats) / episodes}


def _dataset_metadata(plan: ShardPlan, stats: list[dict], dataset_id: str, command: str | None, env: dict,
                      size: Any) -> dict:
    """Minari's metadata fields, ours under `robo_offline` (the recipe and settings, the success rates,
    the goal rule the buffer applies: robo_offline.data.goal_rules)."""
    from minari import __version__ as minari_version

    recipe, totals = plan.recipe, _totals(stats, plan.episodes)
    ours = {
        "recipe": recipe, "seed": plan.seed, "episodes": plan.episodes, "shard_size": plan.shard_size,
        "max_episode_steps": plan.max_episode_steps, "skill_success_rate": totals["skill_success_rate"],
        "task_success_rate": totals["task_success_rate"], "default_reward": recipe["default_reward"],
        "command": command or "", "format": FORMAT_VERSION, "goal_tolerance": env["goal_tolerance"],
        "compression": COMPRESSION if plan.compress else None, "goal_rule": env["goal_rule"],
    }
    return {
        "dataset_id": dataset_id,
        "minari_version": minari_version,
        "total_episodes": plan.episodes,
        "total_steps": totals["steps"],
        "author": {"robo_offline"},
        "algorithm_name": f"scripted skill {recipe['skill']} (noise {recipe['noise']})",
        "code_permalink": "robo_offline/data/writer.py",
        "description": recipe["description"] or f"robo_offline recipe {recipe['name']}",
        "robo_offline": ours,
        "dataset_size": size,
    }


def _check_readable(data_path: Path, episodes: int) -> None:
    from minari import MinariDataset

    ds = MinariDataset(data_path)
    if ds.total_episodes != episodes:
        raise RuntimeError(f"merged dataset has {ds.total_episodes} episodes, expected {episodes}")
    last = next(iter(ds.storage.get_episodes([episodes - 1])))
    if len(last["rewards"]) == 0:
        raise RuntimeError("merged dataset has an empty episode")


# ----------------------------------------------------------------------------------------------
# 4. publish


def publish(staged: Path, final: Path, plan: ShardPlan, overwrite: bool) -> None:
    """Rename the checked dataset into place (an old one is replaced only now, with `overwrite`), then
    remove the job folder."""
    if final.exists():  # (final.parent exists: the lock file lives there)
        if not overwrite:  # created meanwhile by a writer that takes no lock
            raise UserError(f"a dataset appeared at {final} during generation; pass overwrite=true")
        trash = plan.shard_dir / "old.tmp"
        os.replace(final, trash)
        os.replace(staged, final)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(staged, final)
    shutil.rmtree(plan.shard_dir, ignore_errors=True)
    try:
        plan.shard_dir.parent.rmdir()  # <store>/.shards, when no other job uses it
    except OSError:
        pass


# ----------------------------------------------------------------------------------------------
# files and helpers


def _read_json(path: Path) -> Any:
    """The file's JSON, or None when it is missing or unreadable."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


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


# ----------------------------------------------------------------------------------------------
# reusing a dataset


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

"""Dataset writer: Minari round trip, determinism across worker counts, interruption and resume,
overwrite protection. Uses the tiny stand-in env of tests/data_helpers.py (no PyBullet)."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import data_helpers as H
import gymnasium as gym
import h5py
import minari
import numpy as np
import pytest

from robo_offline.data import ensure_dataset, episode_seed, generate_dataset, minari_dataset, read_episodes
from robo_offline.data.writer import SHARDS_DIRNAME, default_shard_size, lock_path
from robo_offline.errors import UserError

TESTS_DIR = Path(__file__).resolve().parent


def md5(path: Path) -> str:
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def main_file(summary: dict) -> Path:
    return Path(summary["path"]) / "data" / "main_data.hdf5"


@pytest.fixture()
def store(tmp_path, monkeypatch):
    s = tmp_path / "store"
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(s))
    return s


def test_round_trip_through_minari(store):
    summary = generate_dataset(H.recipe(), episodes=5, seed=3, workers=1, store=store, progress=False)
    assert summary["dataset_id"] == "robo_offline/TinyDrawer/tiny_prior-v2"
    ds = minari.load_dataset(summary["dataset_id"])
    env = gym.make(H.ENV_ID)
    assert ds.observation_space == env.observation_space
    assert ds.action_space == env.action_space
    assert ds.total_episodes == 5 and ds.total_steps == 5 * H.HORIZON == summary["steps"]
    assert ds.storage.metadata["jpeg_encoding"] is False
    assert ds.storage.metadata["robo_offline"]["seed"] == 3
    recovered = ds.recover_environment()
    assert recovered.spec.id == H.ENV_ID and recovered.spec.max_episode_steps == H.HORIZON
    # images are exactly what the env renders for the episode's seed and the stored actions
    for i, ep in enumerate(ds.iterate_episodes()):
        assert ep.observations["image"].dtype == np.uint8
        assert ep.observations["image"].shape == (H.HORIZON + 1, 16, 16, 3)
        obs, info = recovered.reset(seed=episode_seed(3, i))
        assert np.array_equal(obs["image"], ep.observations["image"][0])
        for t, action in enumerate(ep.actions):
            obs, reward, term, trunc, info = recovered.step(action)
            assert np.array_equal(obs["image"], ep.observations["image"][t + 1])
            assert np.array_equal(obs["state"], ep.observations["state"][t + 1])
            assert reward == ep.rewards[t]
        assert trunc and ep.truncations[-1] and not ep.terminations.any()
        assert set(ep.infos) >= {"is_success", "ee_pos", "skill_success", "achieved_goal"}
        assert len(ep.infos["ee_pos"]) == H.HORIZON + 1
    card = (store / "tiny_prior.md").read_text()
    assert "robo_offline/TinyDrawer/tiny_prior-v2" in card and "success rate" in card
    assert 'minari_dataset("robo_offline/TinyDrawer/tiny_prior-v2")' in card  # how to open it, on the card
    assert minari_dataset(summary["dataset_id"], store).total_episodes == 5
    assert not (store / SHARDS_DIRNAME).exists()  # shards are removed once the dataset is complete
    assert "lossless gzip" in card


def test_same_bytes_whatever_the_worker_count(tmp_path):
    one = generate_dataset(H.recipe(), episodes=4, seed=7, workers=1, store=tmp_path / "a", progress=False)
    two = generate_dataset(H.recipe(), episodes=4, seed=7, workers=2, store=tmp_path / "b", progress=False)
    assert two["workers"] == 2
    assert md5(main_file(one)) == md5(main_file(two))
    other = generate_dataset(H.recipe(), episodes=4, seed=8, workers=1, store=tmp_path / "c", progress=False)
    assert md5(main_file(one)) != md5(main_file(other))
    # the first episodes of a longer run are the same episodes (seeds are per episode index)
    da = minari.MinariDataset(Path(one["path"]) / "data")
    longer = generate_dataset(H.recipe(), episodes=6, seed=7, workers=1, store=tmp_path / "d", progress=False)
    db = minari.MinariDataset(Path(longer["path"]) / "data")
    for ea, eb in zip(da.iterate_episodes(), db.iterate_episodes()):
        assert np.array_equal(ea.observations["image"], eb.observations["image"])
        assert np.array_equal(ea.actions, eb.actions)


def h5_arrays(path: Path) -> dict[str, h5py.Dataset]:
    arrays: dict[str, h5py.Dataset] = {}
    h5py.File(path, "r").visititems(lambda name, obj: arrays.update({name: obj}) if isinstance(obj, h5py.Dataset)
                                    else None)
    return arrays


# Reads a dataset the way a user without robo_offline would, and saves what it got.
PLAIN_MINARI = textwrap.dedent("""
    import sys
    import minari
    import numpy as np
    episodes = list(minari.load_dataset(sys.argv[1]).iterate_episodes())
    np.savez(sys.argv[2], **{key: np.concatenate([get(ep) for ep in episodes]) for key, get in {
        "image": lambda ep: ep.observations["image"], "state": lambda ep: ep.observations["state"],
        "action": lambda ep: ep.actions, "reward": lambda ep: ep.rewards,
        "skill_success": lambda ep: ep.infos["skill_success"]}.items()})
    ours = sorted(m for m in sys.modules if m.split(".")[0] in ("robo_offline", "data_helpers"))
    assert not ours, f"imported {ours}"
""")


def test_compressed_by_default_and_plain_minari_reads_it(store, tmp_path):
    summary = generate_dataset(H.recipe(), episodes=4, seed=2, workers=2, store=store, progress=False)
    arrays = h5_arrays(main_file(summary))
    images = {name: a for name, a in arrays.items() if name.endswith("/observations/image")}
    assert len(images) == 4 and all(a.compression == "gzip" and a.chunks == a.shape for a in images.values())
    assert all(a.compression is None for name, a in arrays.items() if name not in images)  # small: raw
    out = tmp_path / "plain.npz"
    subprocess.run([sys.executable, "-c", PLAIN_MINARI, summary["dataset_id"], str(out)], check=True, cwd=tmp_path,
                   env={**os.environ, "MINARI_DATASETS_PATH": str(store)})
    plain = np.load(out)
    ours = read_episodes(summary["dataset_id"], store, info_keys=["skill_success"])
    assert np.array_equal(plain["image"], ours.frames) and plain["image"].shape == (4 * (H.HORIZON + 1), 16, 16, 3)
    assert np.array_equal(plain["state"], ours.states) and np.array_equal(plain["action"], ours.actions)
    assert np.array_equal(plain["reward"], ours.rewards)
    assert np.array_equal(plain["skill_success"], ours.infos["skill_success"])



def test_importing_the_package_leaves_the_environment_alone(tmp_path):
    """`import robo_offline` does not set MINARI_DATASETS_PATH; our code finds the store without it."""
    code = "import os, robo_offline, robo_offline.data; print(os.environ.get('MINARI_DATASETS_PATH'))"
    env = {k: v for k, v in os.environ.items() if k != "MINARI_DATASETS_PATH"}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "None"

def test_compress_false_writes_the_same_episodes_raw(tmp_path):
    packed = generate_dataset(H.recipe(), episodes=3, seed=4, workers=1, store=tmp_path / "a", progress=False)
    raw = generate_dataset(H.recipe(), episodes=3, seed=4, workers=1, store=tmp_path / "b", progress=False,
                           compress=False)
    a, b = h5_arrays(main_file(packed)), h5_arrays(main_file(raw))
    assert sorted(a) == sorted(b) and all(x.compression is None and x.chunks is None for x in b.values())
    assert all(np.array_equal(a[k][()], b[k][()]) and a[k].dtype == b[k].dtype for k in a)
    assert raw["bytes"] > packed["bytes"] and "compress=false" in (tmp_path / "b" / "tiny_prior.md").read_text()
    with pytest.raises(UserError, match="compress"):
        generate_dataset(H.recipe(), episodes=1, store=tmp_path / "c", compress="no")


def test_seeds_and_shards_do_not_depend_on_workers():
    seeds = {episode_seed(run, episode) for run in range(3) for episode in range(2000)}
    assert len(seeds) == 3 * 2000  # no two episodes of these runs share a seed
    # pinned: a change here changes every generated dataset's bytes (bump the dataset version)
    assert (episode_seed(5, 9), episode_seed(0, 0)) == (1615781351, 2968811710)
    assert default_shard_size(6) == 1 and default_shard_size(5000) == 50 and default_shard_size(10000) == 50


KILL_SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    import data_helpers as H
    from robo_offline.data import generate_dataset
    if __name__ == "__main__":
        generate_dataset(H.recipe(sleep={sleep}), episodes={episodes}, seed=1, workers={workers},
                         store={store!r}, progress=False)
""")


@pytest.mark.parametrize("workers", [1, 2])
def test_interrupted_run_leaves_no_dataset_and_resumes(tmp_path, workers):
    store = tmp_path / "store"
    episodes, sleep = 12, 0.01  # ~0.1 s per episode (one shard each)
    script = tmp_path / "gen.py"
    script.write_text(KILL_SCRIPT.format(tests=str(TESTS_DIR), sleep=sleep, episodes=episodes,
                                         workers=workers, store=str(store)))
    proc = subprocess.Popen([sys.executable, str(script)], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    shard_dirs = lambda: list((store / SHARDS_DIRNAME).glob("*/shard_*.hdf5"))  # noqa: E731
    deadline = time.time() + 90
    while len(shard_dirs()) < 3 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the run and its workers, like a crash / kill -9
    proc.wait()
    done = len(shard_dirs())
    assert done >= 3, proc.stderr.read().decode()[-2000:]
    assert done < episodes, "the run finished before it was killed; make the env slower"
    dataset_id = "robo_offline/TinyDrawer/tiny_prior-v2"
    assert not (store / dataset_id).exists()
    os.environ["MINARI_DATASETS_PATH"] = str(store)
    try:
        assert dataset_id not in minari.list_local_datasets()
    finally:
        del os.environ["MINARI_DATASETS_PATH"]

    resumed = generate_dataset(H.recipe(sleep=sleep), episodes=episodes, seed=1, workers=1, store=store,
                               progress=False)
    assert resumed["shards_reused"] >= done - 1 and resumed["shards_written"] <= episodes - done + 1
    assert resumed["shards_reused"] + resumed["shards_written"] == episodes
    clean = generate_dataset(H.recipe(sleep=sleep), episodes=episodes, seed=1, workers=1,
                             store=tmp_path / "clean", progress=False)
    assert md5(main_file(resumed)) == md5(main_file(clean))


def test_changed_settings_start_clean(tmp_path, monkeypatch):
    import robo_offline.data.writer as writer

    store = tmp_path / "s"

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # interrupted while merging: all shards written, no dataset

    monkeypatch.setattr(writer, "_check_readable", crash)
    with pytest.raises(KeyboardInterrupt):
        generate_dataset(H.recipe(), episodes=3, seed=0, workers=1, store=store, progress=False)
    assert not (store / "robo_offline/TinyDrawer/tiny_prior-v2").exists()
    assert len(list((store / SHARDS_DIRNAME).glob("*/shard_*.hdf5"))) == 3
    monkeypatch.undo()
    # another seed: the kept shards belong to another job (manifest differs) and are not reused
    other = generate_dataset(H.recipe(), episodes=3, seed=1, workers=1, store=store, progress=False)
    assert other["shards_reused"] == 0
    monkeypatch.setattr(writer, "_check_readable", crash)
    with pytest.raises(KeyboardInterrupt):
        generate_dataset(H.recipe(), episodes=3, seed=0, workers=1, store=store, progress=False, overwrite=True)
    monkeypatch.undo()
    assert minari.MinariDataset(store / other["dataset_id"] / "data").total_episodes == 3  # old one intact
    same = generate_dataset(H.recipe(), episodes=3, seed=0, workers=1, store=store, progress=False, overwrite=True)
    assert same["shards_reused"] == 3 and same["shards_written"] == 0
    clean = generate_dataset(H.recipe(), episodes=3, seed=0, workers=1, store=tmp_path / "c", progress=False)
    assert md5(main_file(same)) == md5(main_file(clean))


def test_refuses_to_overwrite_without_flag(store):
    first = generate_dataset(H.recipe(), episodes=2, seed=0, workers=1, store=store, progress=False)
    before = md5(main_file(first))
    with pytest.raises(UserError, match="overwrite=true"):
        generate_dataset(H.recipe(), episodes=3, seed=0, workers=1, store=store, progress=False)
    assert md5(main_file(first)) == before
    again = generate_dataset(H.recipe(), episodes=3, seed=0, workers=1, store=store, progress=False, overwrite=True)
    assert minari.load_dataset(again["dataset_id"]).total_episodes == 3


def test_ensure_dataset_generates_once(tmp_path):
    store = tmp_path / "s"
    a = ensure_dataset(H.recipe(episodes=6), episodes=2, seed=0, workers=1, store=store, progress=False)
    assert a == "robo_offline/TinyDrawer/tiny_prior_2ep-v2"  # small datasets never take the recipe's id
    mtime = (store / a / "data" / "main_data.hdf5").stat().st_mtime_ns
    assert ensure_dataset(H.recipe(episodes=6), episodes=2, seed=0, workers=1, store=store) == a
    assert (store / a / "data" / "main_data.hdf5").stat().st_mtime_ns == mtime
    assert (store / a / "card.md").is_file()
    b = ensure_dataset(H.recipe(episodes=6), episodes=None, seed=0, workers=1, store=store, progress=False)
    assert b == "robo_offline/TinyDrawer/tiny_prior-v2"
    meta = json.loads((store / b / "data" / "metadata.json").read_text())
    assert meta["total_episodes"] == 6


def test_runs_of_the_same_dataset_at_once_wait_for_the_first(store, capsys):
    """A (slow) run holds the dataset's lock; `ensure_dataset` of the same dataset waits and then uses
    what it made, `generate_dataset` waits and then refuses to overwrite it."""
    recipe, dataset_id = H.recipe(sleep=0.05, episodes=3), "robo_offline/TinyDrawer/tiny_prior-v2"
    results: dict = {}

    def run(key, fn, **kw):
        try:
            results[key] = fn(recipe, seed=0, workers=1, store=store, progress=False, **kw)
        except Exception as err:  # noqa: BLE001  (checked below)
            results[key] = err

    first = threading.Thread(target=run, args=("first", generate_dataset))
    first.start()
    deadline = time.time() + 30
    while not (lock_path(store, dataset_id).is_file() and lock_path(store, dataset_id).read_text().strip()):
        assert time.time() < deadline, "the first run never took the lock"
        time.sleep(0.01)
    later = [threading.Thread(target=run, args=("ensure", ensure_dataset), kwargs={"episodes": 3}),
             threading.Thread(target=run, args=("generate", generate_dataset))]
    for thread in later:
        thread.start()
    err = ""
    while err.count("waiting for it to finish") < 2:
        assert time.time() < deadline and first.is_alive(), f"the later runs did not wait: {results} {err}"
        err += capsys.readouterr().err
        time.sleep(0.01)
    for thread in (first, *later):
        thread.join(60)
    assert results["first"]["episodes"] == 3
    assert results["ensure"] == dataset_id
    assert isinstance(results["generate"], UserError) and "overwrite=true" in str(results["generate"])
    assert minari.load_dataset(dataset_id).total_episodes == 3
    assert not lock_path(store, dataset_id).exists()


def test_a_lock_left_by_a_killed_run_does_not_block(store, capsys):
    dataset_id = "robo_offline/TinyDrawer/tiny_prior-v2"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from pathlib import Path
        from robo_offline.data.writer import dataset_lock
        with dataset_lock(Path({str(store)!r}), {dataset_id!r}):
            print("locked", flush=True)
            time.sleep(120)
        """)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "locked\n"
    holder.kill()
    holder.wait()
    assert lock_path(store, dataset_id).read_text().strip() == str(holder.pid)  # left behind, its holder dead
    summary = generate_dataset(H.recipe(), episodes=2, seed=0, workers=1, store=store, progress=False)
    assert summary["dataset_id"] == dataset_id and "waiting" not in capsys.readouterr().err
    assert not lock_path(store, dataset_id).exists()


def test_bad_recipe_and_workers(tmp_path):
    with pytest.raises(UserError, match="unknown dataset recipe"):
        generate_dataset("no_such_recipe", episodes=1, store=tmp_path)
    with pytest.raises(UserError, match="workers"):
        generate_dataset(H.recipe(), episodes=1, workers="many", store=tmp_path)
    with pytest.raises(UserError, match="episodes"):
        generate_dataset(H.recipe(), episodes=0, store=tmp_path)


def test_goal_family_shares_count_what_changed_between_first_and_last_frame():
    from robo_offline.data.coverage import goal_family_shares

    still = [0.0, 0.0, 0.5, 0.0, 0.02]
    episodes = [  # (first, last) achieved goals: drawer opening (top, bottom), object centre
        (still, [0.1, 0.0, 0.5, 0.0, 0.02]),     # drawer
        (still, [0.0, 0.0, 0.5, 0.2, 0.02]),     # object
        (still, [0.1, 0.0, 0.4, 0.1, 0.02]),     # both
        (still, [0.05, 0.0, 0.55, 0.0, 0.02]),   # within twice the tolerances: none
    ]
    frames = np.array([row for first, last in episodes for row in (first, [9, 9, 9, 9, 9], last)])
    shares = goal_family_shares(frames, np.array([0, 3, 6, 9]), np.array([2, 2, 2, 2]))
    assert shares == {"drawer": 0.25, "object": 0.25, "both": 0.25}

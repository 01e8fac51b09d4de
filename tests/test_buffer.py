"""Replay buffer: batch format, t/t+1 alignment, episode boundaries, mixing, reward relabelling,
hindsight goals, augmentation, and clear errors for bad datasets. Tiny stand-in env data."""
from __future__ import annotations

import shutil
import tracemalloc

import data_helpers as H
import h5py
import minari
import numpy as np
import pytest
import torch

from robo_offline.data import generate_dataset, load_buffer, read_episodes, split_counts
from robo_offline.data.goal_rules import WithinTolerance, goal_reach_rule
from robo_offline.data.reader import iter_frames
from robo_offline.errors import UserError

PRIOR = "robo_offline/TinyDrawer/tiny_prior-v2"
TASK = "robo_offline/TinyDrawer/tiny_task-v2"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = tmp_path_factory.mktemp("store")
    generate_dataset(H.recipe("tiny_prior", episodes=5), seed=0, workers=1, store=s, progress=False)
    generate_dataset(H.recipe("tiny_task", start="open", episodes=3, reward="sparse"), seed=1, workers=1,
                     store=s, progress=False)
    return s


def episodes_of(store, dataset_id):
    return list(minari.MinariDataset(store / dataset_id / "data").iterate_episodes())


def test_batch_format(store):
    buf = load_buffer([{"dataset_id": PRIOR, "weight": 1.0, "reward": "none"}], device="cpu", store=store)
    assert buf.image_shape == (3, 16, 16) and buf.state_dim == 4 and buf.action_dim == 5
    assert len(buf) == buf.num_transitions == 5 * H.HORIZON and buf.num_episodes == 5
    batch = buf.sample(32, generator=torch.Generator().manual_seed(0))
    assert set(batch) == {"image", "next_image", "state", "next_state", "action", "reward", "terminated"}
    for key in ("image", "next_image"):
        assert batch[key].dtype == torch.uint8 and batch[key].shape == (32, 3, 16, 16)
    for key, shape in (("state", (32, 4)), ("next_state", (32, 4)), ("action", (32, 5)),
                       ("reward", (32,)), ("terminated", (32,))):
        assert batch[key].dtype == torch.float32 and batch[key].shape == shape
    assert all(v.device.type == "cpu" for v in batch.values())
    # same generator seed -> same batch
    again = buf.sample(32, generator=torch.Generator().manual_seed(0))
    assert all(torch.equal(batch[k], again[k]) for k in batch)


def test_every_transition_is_t_and_t_plus_1_of_one_episode(store):
    buf = load_buffer([PRIOR, TASK], device="cpu", store=store)
    expected = []
    for ds in (PRIOR, TASK):
        for ep in episodes_of(store, ds):
            for t in range(len(ep.actions)):
                expected.append((ep, t))
    assert len(expected) == len(buf)
    batch = buf._gather(torch.arange(len(buf)))
    for j, (ep, t) in enumerate(expected):
        img = torch.from_numpy(ep.observations["image"]).permute(0, 3, 1, 2)
        assert torch.equal(batch["image"][j], img[t])
        assert torch.equal(batch["next_image"][j], img[t + 1])  # never the next episode's first frame
        assert torch.equal(batch["state"][j], torch.from_numpy(ep.observations["state"][t]))
        assert torch.equal(batch["next_state"][j], torch.from_numpy(ep.observations["state"][t + 1]))
        assert torch.equal(batch["action"][j], torch.from_numpy(ep.actions[t]))
    # sampled transitions never start on an episode's last frame
    idx = buf.sample_indices(4096, torch.Generator().manual_seed(1))
    assert (buf.t_frame[idx] < buf.t_last[idx]).all()
    assert buf.frames.shape[0] == len(buf) + buf.num_episodes  # each frame stored once


def test_fixed_mixing_ratio_per_batch(store):
    buf = load_buffer([{"dataset_id": PRIOR, "weight": 1}, {"dataset_id": TASK, "weight": 3}], device="cpu",
                      store=store)
    n_prior = buf.datasets[0].transitions
    for seed in range(5):
        idx = buf.sample_indices(64, torch.Generator().manual_seed(seed))
        assert int((idx < n_prior).sum()) == 16 and int((idx >= n_prior).sum()) == 48
    assert split_counts([0.5, 0.5], 7) == [4, 3] and split_counts([1, 0], 5) == [5, 0]
    with pytest.raises(UserError, match="weights"):
        split_counts([0, 0], 4)
    # every transition of a dataset is reachable (uniform within the dataset)
    idx = buf.sample_indices(20000, torch.Generator().manual_seed(0))
    assert set(idx.tolist()) == set(range(len(buf)))


def test_reward_relabelling(store):
    task_eps = episodes_of(store, TASK)
    stored = np.concatenate([ep.rewards for ep in task_eps]).astype(np.float32)
    skill_ok = np.concatenate([ep.infos["skill_success"][1:] for ep in task_eps]).astype(np.float32)
    assert stored.max() == 1.0
    for mode, want in (("none", np.zeros_like(stored)), ("zero", np.zeros_like(stored)), ("sparse", stored)):
        buf = load_buffer([{"dataset_id": TASK, "reward": mode}], device="cpu", store=store)
        assert np.array_equal(buf.rewards.numpy(), want), mode
        assert buf.datasets[0].reward == ("none" if mode == "zero" else mode)  # `zero`: the old name of `none`
    buf = load_buffer([{"dataset_id": TASK, "reward": "from_info", "info_key": "skill_success"}], device="cpu",
                      store=store)
    assert np.array_equal(buf.rewards.numpy(), skill_ok)
    # default: the recipe's default_reward stored in the dataset (prior -> zero, read as none; task -> sparse)
    buf = load_buffer([PRIOR, TASK], device="cpu", store=store)
    assert [d.reward for d in buf.datasets] == ["none", "sparse"]
    assert buf.rewards[: buf.datasets[0].transitions].sum() == 0
    assert np.array_equal(buf.rewards[buf.datasets[1].first_transition:].numpy(), stored)
    buf = load_buffer([{"dataset_id": TASK, "reward": "sparse", "terminate_on_reward": True}], device="cpu",
                      store=store)
    assert np.array_equal(buf.terminated.numpy(), stored)
    with pytest.raises(UserError, match=r"reward: 'dense'.*\('none', 'sparse', 'from_info'\)"):
        load_buffer([{"dataset_id": TASK, "reward": "dense"}], device="cpu", store=store)


@pytest.mark.parametrize("strategy", ["future", "geometric", "random", "final"])
def test_hindsight_goals(store, strategy):
    buf = load_buffer([PRIOR, TASK], device="cpu", store=store)
    gen = torch.Generator().manual_seed(0)
    idx, g = buf.sample_goal_indices(4096, gen, strategy=strategy, geometric_p=0.3)
    f, last = buf.t_frame[idx], buf.t_last[idx]
    first = buf.ep_first[buf.t_ep[idx]]
    same_episode = (g >= first) & (g <= last)
    if strategy == "random":
        assert not same_episode.any()
        ep_of_goal = torch.searchsorted(buf.ep_first, g, right=True) - 1
        assert (buf.ep_ds_lo[ep_of_goal] == buf.ep_ds_lo[buf.t_ep[idx]]).all()  # same dataset
    else:
        assert same_episode.all() and (g > f).all()
    if strategy == "final":
        assert torch.equal(g, last)
    if strategy == "geometric":  # offset k >= 1 with P(k = 1) = p, clipped at the episode end
        k, room = g - f, last - f
        assert abs(float((k[room > 1] == 1).float().mean()) - 0.3) < 0.04
        assert (k[room == 1] == 1).all() and (k <= room).all()
    batch = buf.sample_goal_conditioned(64, torch.Generator().manual_seed(1), strategy=strategy)
    assert batch["goal_image"].dtype == torch.uint8 and batch["goal_image"].shape == (64, 3, 16, 16)
    assert batch["reward"].dtype == torch.float32 and set(batch["reward"].unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(batch["terminated"], batch["reward"])
    assert batch["goal_state"].shape == (64, buf.state_dim)
    assert torch.equal(batch["goal_other_episode"], torch.full((64,), float(strategy == "random")))
    if strategy == "random":
        assert (batch["goal_offset"] == 0).all()
    else:  # the same generator draws the same (transition, goal) pairs as sample_goal_indices above
        idx, g = buf.sample_goal_indices(64, torch.Generator().manual_seed(1), strategy=strategy)
        assert torch.equal(batch["goal_offset"], (g - buf.t_frame[idx]).float())
        assert (batch["goal_offset"] >= 1).all()


def test_hindsight_reward_rule(store):
    buf = load_buffer([PRIOR], device="cpu", store=store)
    idx, g = buf.sample_goal_indices(4096, torch.Generator().manual_seed(0), strategy="future")
    f = buf.t_frame[idx]
    reached = buf.goal_reached(f + 1, g)
    assert reached[g == f + 1].all()  # goal = s' (offset 0 from the next state) is always reached
    ag = buf.achieved_goal
    tol = torch.tensor(H.TOLERANCE)  # written into the metadata from the env's goal_tolerance
    assert isinstance(buf.goal_rule, WithinTolerance) and torch.allclose(buf.goal_rule.tolerance, tol)
    want = (g == f + 1) | ((ag[f + 1] - ag[g]).abs() <= tol).all(1)
    assert torch.equal(reached, want)
    assert (~reached).any()
    # the batch's goal image is frame g and its reward is `reached`
    gen = torch.Generator().manual_seed(5)
    batch = buf.sample_goal_conditioned(128, gen, strategy={"future": 0.5, "geometric": 0.25, "random": 0.25})
    idx, g = buf.sample_goal_indices(128, torch.Generator().manual_seed(5),
                                     strategy={"future": 0.5, "geometric": 0.25, "random": 0.25})
    assert torch.equal(batch["goal_image"], buf.frames[g])
    assert torch.equal(batch["goal_state"], buf.states[g])
    assert torch.equal(batch["reward"], buf.goal_reached(buf.t_frame[idx] + 1, g).float())



def test_the_goal_rule_is_the_one_the_metadata_names(store, tmp_path):
    """Written by name from the env; files without the name (written before it was stored) get the
    rule their env id implies; datasets that name different rules do not share a buffer unless a
    rule is given."""
    import json

    from robo_offline.data.goal_rules import dataset_goal_rule, exact_rule

    meta_of = lambda root, d: root / d / "data" / "metadata.json"  # noqa: E731
    assert json.loads(meta_of(store, PRIOR).read_text())["robo_offline"]["goal_rule"] == "tolerance"
    dst, _ = copy_dataset(store, tmp_path, PRIOR)
    shutil.copytree(store / TASK, dst / TASK)
    meta = json.loads(meta_of(dst, PRIOR).read_text())
    del meta["robo_offline"]["goal_rule"]  # an older file
    meta_of(dst, PRIOR).write_text(json.dumps(meta))
    old = load_buffer([PRIOR], device="cpu", store=dst)
    assert torch.equal(old.goal_rule.tolerance, load_buffer([PRIOR], device="cpu", store=store).goal_rule.tolerance)
    meta["env_spec"] = json.dumps({"id": "robo_offline/GoalReach-v1"})
    assert dataset_goal_rule(meta) == ("goal_reach", H.TOLERANCE)  # the task's own rule wins, as before

    meta = json.loads(meta_of(dst, TASK).read_text())
    meta["robo_offline"]["goal_rule"] = "exact"
    meta_of(dst, TASK).write_text(json.dumps(meta))
    with pytest.raises(UserError, match="different rules"):
        load_buffer([PRIOR, TASK], device="cpu", store=dst)
    assert load_buffer([PRIOR, TASK], device="cpu", store=dst, goal_rule=exact_rule).goal_rule is exact_rule
    meta["robo_offline"]["goal_rule"] = "nearby"
    meta_of(dst, TASK).write_text(json.dumps(meta))
    with pytest.raises(UserError, match="unknown goal rule 'nearby'"):
        load_buffer([TASK], device="cpu", store=dst)

def test_goal_reach_rule_matches_the_task():
    from robo_offline.world.tasks.goal_reach import goal_reached

    rng = np.random.default_rng(0)
    a = rng.uniform(0, 0.1, (5000, 5))
    b = a + rng.normal(0, 0.03, (5000, 5))
    for dtype in (np.float64, np.float32):  # the buffer's achieved goals are float32
        ours = goal_reach_rule(torch.from_numpy(a.astype(dtype)), torch.from_numpy(b.astype(dtype))).numpy()
        theirs = goal_reached(a.astype(dtype), b.astype(dtype))
        assert 0.05 < ours.mean() < 0.95
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("same_shift", [True, False])
def test_random_shift_augmentation(store, same_shift):
    buf = load_buffer([PRIOR], device="cpu", store=store, augment=True, same_shift=same_shift)
    plain = buf.sample(256, torch.Generator().manual_seed(0), augment=False)
    assert plain["image"].dtype == torch.uint8
    batch = {"image": plain["image"].clone(), "next_image": plain["image"].clone()}
    buf._augment(batch, ["image", "next_image"], torch.Generator().manual_seed(1))
    assert batch["image"].shape == plain["image"].shape and batch["image"].dtype == torch.uint8
    assert not torch.equal(batch["image"], plain["image"])
    assert torch.equal(batch["image"], batch["next_image"]) == same_shift
    aug = buf.sample(8, torch.Generator().manual_seed(0))
    assert aug["image"].shape == (8, 3, 16, 16) and aug["next_image"].dtype == torch.uint8


def test_missing_dataset(store):
    with pytest.raises(UserError, match="not found.*robo-offline generate"):
        load_buffer(["robo_offline/TinyDrawer/nope-v2"], device="cpu", store=store)


def test_observation_space_mismatch(store):
    with pytest.raises(UserError, match=r"expects \(3, 48, 48\)"):
        load_buffer([PRIOR], device="cpu", store=store, image_shape=(3, 48, 48))
    with pytest.raises(UserError, match="state dim"):
        load_buffer([PRIOR], device="cpu", store=store, state_dim=6)
    with pytest.raises(UserError, match="actions"):
        load_buffer([PRIOR], device="cpu", store=store, action_dim=7)


def buffer_tensors(buf) -> dict[str, torch.Tensor]:
    return {k: v for k, v in vars(buf).items() if isinstance(v, torch.Tensor)}


def test_compressed_and_raw_files_load_the_same_buffer(store, tmp_path):
    raw = tmp_path / "raw"  # the module's store holds the same episodes, compressed (the default)
    generate_dataset(H.recipe("tiny_prior", episodes=5), seed=0, workers=1, store=raw, progress=False, compress=False)
    generate_dataset(H.recipe("tiny_task", start="open", episodes=3, reward="sparse"), seed=1, workers=1, store=raw,
                     progress=False, compress=False)
    with h5py.File(store / PRIOR / "data/main_data.hdf5") as f, h5py.File(raw / PRIOR / "data/main_data.hdf5") as g:
        assert f["episode_0/observations/image"].compression == "gzip"
        assert g["episode_0/observations/image"].compression is None
    packed, plain = (buffer_tensors(load_buffer([PRIOR, TASK], device="cpu", store=s)) for s in (store, raw))
    assert packed.keys() == plain.keys() and "frames" in packed
    assert all(torch.equal(packed[k], plain[k]) for k in packed)


def test_frames_stream_in_chunks_of_whole_episodes(tmp_path):
    """The buffer's frames are filled chunk by chunk (~1/32 of the frames each), so a load holds one
    chunk of host memory beyond the buffer (numpy's allocations, which tracemalloc sees; the buffer
    itself is torch's), not a full-size copy of the frames."""
    recipe = H.recipe("tiny_big", episodes=120)
    recipe["env_kwargs"]["image_size"] = 64
    dataset_id = generate_dataset(recipe, seed=0, workers=1, store=tmp_path, progress=False)["dataset_id"]
    whole = read_episodes(dataset_id, tmp_path).frames
    per_episode = (H.HORIZON + 1) * 64 * 64 * 3
    part = read_episodes(dataset_id, tmp_path, with_frames=False)
    chunks = [(row, chunk.copy()) for row, chunk in iter_frames(part, chunk_bytes=int(2.5 * per_episode))]
    assert [row for row, _ in chunks] == list(range(0, 120 * (H.HORIZON + 1), 2 * (H.HORIZON + 1)))
    assert np.array_equal(np.concatenate([chunk for _, chunk in chunks]), whole)

    load_buffer([dataset_id], device="cpu", store=tmp_path)  # first-time imports are not the load's memory
    tracemalloc.start()
    try:
        buf = load_buffer([dataset_id], device="cpu", store=tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert torch.equal(buf.frames, torch.from_numpy(whole).permute(0, 3, 1, 2))
    assert peak < 0.2 * whole.nbytes, (peak, whole.nbytes)  # 0.08: the chunk (1/32) and metadata.json


def copy_dataset(store, tmp_path, dataset_id=PRIOR):
    dst = tmp_path / "copy"
    shutil.copytree(store / dataset_id, dst / dataset_id)
    return dst, dst / dataset_id / "data" / "main_data.hdf5"


def test_truncated_hdf5(store, tmp_path):
    dst, path = copy_dataset(store, tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(UserError, match="truncated or corrupt.*overwrite=true"):
        load_buffer([PRIOR], device="cpu", store=dst)


def test_corrupt_hdf5(store, tmp_path):
    dst, path = copy_dataset(store, tmp_path)
    path.write_bytes(b"not an hdf5 file" * 100)
    with pytest.raises(UserError, match="truncated or corrupt"):
        load_buffer([PRIOR], device="cpu", store=dst)
    (path.parent / "metadata.json").write_text("{broken")
    with pytest.raises(UserError, match="metadata.json"):
        load_buffer([PRIOR], device="cpu", store=dst)


def test_nan_rewards(store, tmp_path):
    dst, path = copy_dataset(store, tmp_path, TASK)
    with h5py.File(path, "a") as f:
        f["episode_1/rewards"][3] = np.nan
    with pytest.raises(UserError, match="NaN"):
        load_buffer([{"dataset_id": TASK, "reward": "sparse"}], device="cpu", store=dst)
    # rewards relabelled to zero do not use the stored rewards: still a clear error (the file is broken)
    with pytest.raises(UserError, match="NaN"):
        load_buffer([{"dataset_id": TASK, "reward": "none"}], device="cpu", store=dst)


def test_mismatched_datasets_in_one_buffer(tmp_path):
    store = tmp_path / "s"
    generate_dataset(H.recipe("tiny_prior", episodes=2), seed=0, workers=1, store=store, progress=False)
    big = H.recipe("tiny_big", episodes=2)
    big["env_kwargs"]["image_size"] = 32
    generate_dataset(big, seed=0, workers=1, store=store, progress=False)
    with pytest.raises(UserError, match="share image"):
        load_buffer([PRIOR, "robo_offline/TinyDrawer/tiny_big-v2"], device="cpu", store=store)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_on_cuda(store):
    buf = load_buffer([PRIOR, TASK], store=store)
    assert buf.frames.device.type == "cuda"
    batch = buf.sample(256, torch.Generator(device="cuda").manual_seed(0))
    assert all(v.device.type == "cuda" for v in batch.values())
    gc = buf.sample_goal_conditioned(256, torch.Generator(device="cuda").manual_seed(0),
                                     strategy={"future": 0.7, "random": 0.3})
    assert gc["goal_image"].device.type == "cuda"


def test_frames_replaced_by_features_serve_state_batches_of_the_same_frames(store):
    """obs=features: each frame's features join its state, so s and s' get frame t's and t+1's."""
    buf = load_buffer([PRIOR, TASK], device="cpu", store=store)
    frames, states = buf.frames.clone(), buf.states.clone()
    features = frames.flatten(1)[:, :3].float()  # any per-frame function of the frame
    buf.replace_frames_with_features(features)
    assert buf.image_shape is None and buf.frames is None and buf.state_dim == states.shape[1] + 3
    batch = buf._gather(torch.arange(len(buf)))
    assert set(batch) == {"state", "next_state", "action", "reward", "terminated"}
    f = buf.t_frame
    torch.testing.assert_close(batch["state"], torch.cat([states[f], features[f]], 1))
    torch.testing.assert_close(batch["next_state"], torch.cat([states[f + 1], features[f + 1]], 1))
    # a goal keeps only the goal frame's features: a goal image shows no proprio state
    gen = torch.Generator().manual_seed(0)
    goal = buf.sample_goal_conditioned(32, gen, strategy="future")["goal_state"]
    _, g = buf.sample_goal_indices(32, torch.Generator().manual_seed(0), strategy="future")
    torch.testing.assert_close(goal, torch.cat([torch.zeros(32, states.shape[1]), features[g]], 1))
    with pytest.raises(ValueError, match="one feature row per frame"):
        buf.replace_frames_with_features(features)



def test_a_foreign_jpeg_dataset_reads_as_minari_decodes_it(store, tmp_path):
    """A dataset with JPEG frames (Minari's default, `jpeg_encoding=True`), written through Minari's
    public storage API, loads with the frames Minari itself decodes."""
    from minari.data_collector import EpisodeBuffer
    from minari.dataset.minari_storage import MinariStorage

    ours = minari.MinariDataset(store / PRIOR / "data")
    dataset_id = "foreign/TinyDrawer/jpeg-v0"
    (tmp_path / dataset_id).mkdir(parents=True)
    storage = MinariStorage.new(tmp_path / dataset_id / "data", observation_space=ours.observation_space,
                                action_space=ours.action_space, env_spec=ours.spec.env_spec, data_format="hdf5")
    storage.update_episodes(EpisodeBuffer(observations=ep.observations, actions=ep.actions, rewards=ep.rewards,
                                          terminations=ep.terminations, truncations=ep.truncations)
                            for ep in ours.iterate_episodes(range(2)))
    storage.update_metadata({"dataset_id": dataset_id, "minari_version": minari.__version__})
    foreign = minari.MinariDataset(tmp_path / dataset_id / "data")
    assert foreign.storage.metadata["jpeg_encoding"] is True
    minari_frames = np.concatenate([ep.observations["image"] for ep in foreign.iterate_episodes()])
    part = read_episodes(dataset_id, tmp_path)
    assert part.frames.shape == (2 * (H.HORIZON + 1), 16, 16, 3)
    assert np.array_equal(part.frames, minari_frames)
    buf = load_buffer([dataset_id], device="cpu", store=tmp_path)
    assert torch.equal(buf.frames, torch.from_numpy(minari_frames).permute(0, 3, 1, 2))


def test_goal_images_are_the_goal_frames_scene_without_the_hand(tmp_path):
    """Data that stores each frame's scene (info scene_image, the play data): a goal batch's goal
    image is the goal frame's scene, never the frame with the hand; data without it keeps the frame."""
    generate_dataset(H.recipe("tiny_scene", episodes=4, scene_images=True), seed=0, workers=1, store=tmp_path,
                     progress=False)
    dataset_id = "robo_offline/TinyDrawer/tiny_scene-v2"
    buf = load_buffer([dataset_id], device="cpu", store=tmp_path)
    scenes = np.concatenate([e.infos["scene_image"] for e in episodes_of(tmp_path, dataset_id)])
    assert torch.equal(buf.goal_frames, torch.from_numpy(scenes).permute(0, 3, 1, 2))
    assert not torch.equal(buf.goal_frames, buf.frames)  # the hand is drawn in the frames only
    batch = buf.sample_goal_conditioned(64, torch.Generator().manual_seed(3), strategy="future")
    idx, g = buf.sample_goal_indices(64, torch.Generator().manual_seed(3), strategy="future")
    assert torch.equal(batch["goal_image"], buf.goal_frames[g])
    assert "scene_image" not in batch
    with_scene = buf.sample_goal_conditioned(64, torch.Generator().manual_seed(3), strategy="future", scene=True)
    assert torch.equal(with_scene["scene_image"], buf.goal_frames[buf.t_frame[idx]])  # the frame's own scene
    assert "scene_image" not in read_episodes(dataset_id, tmp_path).infos  # not read unless asked for


def test_goal_features_are_the_scene_pictures_scaled_as_the_states(tmp_path):
    """obs=features on data with scene pictures: a goal carries the features of its scene picture,
    standardized with the states' statistics and with zeros for the proprio columns, as acting does."""
    generate_dataset(H.recipe("tiny_scene", episodes=4, scene_images=True), seed=0, workers=1, store=tmp_path,
                     progress=False)
    buf = load_buffer(["robo_offline/TinyDrawer/tiny_scene-v2"], device="cpu", store=tmp_path)
    proprio = buf.state_dim
    features, goal_features = buf.frames.flatten(1)[:, :3].float(), buf.goal_frames.flatten(1)[:, 5:8].float()
    with pytest.raises(ValueError, match="goal features"):
        buf.replace_frames_with_features(features)
    buf.replace_frames_with_features(features, goal_features)
    assert buf.goal_frames is None
    mean, std = buf.standardize_states()
    goal = buf.sample_goal_conditioned(32, torch.Generator().manual_seed(0), strategy="future")["goal_state"]
    _, g = buf.sample_goal_indices(32, torch.Generator().manual_seed(0), strategy="future")
    expected = (goal_features[g] - mean[proprio:]) / std[proprio:]
    torch.testing.assert_close(goal, torch.cat([torch.zeros(32, proprio), expected], 1))


def test_proprio_history_is_the_episodes_own_past_and_goals_leave_it_zero(tmp_path):
    """proprio_history: each frame's state gains the proprio states of its previous frames in the same
    episode (the episode's first state before it begins), so s' carries s's proprio state; a goal,
    scene picture or not, keeps its features only."""
    generate_dataset(H.recipe("tiny_scene", episodes=4, scene_images=True), seed=0, workers=1, store=tmp_path,
                     progress=False)
    buf = load_buffer(["robo_offline/TinyDrawer/tiny_scene-v2"], device="cpu", store=tmp_path)
    proprio = buf.states.clone()
    p = proprio.shape[1]
    with pytest.raises(ValueError, match="after replace_frames_with_features"):
        buf.append_proprio_history(2)
    features, goal_features = buf.frames.flatten(1)[:, :3].float(), buf.goal_frames.flatten(1)[:, 5:8].float()
    buf.replace_frames_with_features(features, goal_features)
    buf.append_proprio_history(2)
    assert buf.state_dim == 3 * p + 3
    for e in range(buf.num_episodes):
        first, n = int(buf.ep_first[e]), int(buf.ep_frames[e])
        for t in range(n):
            f = first + t
            torch.testing.assert_close(buf.states[f, p + 3:p + 3 + p], proprio[first + max(t - 1, 0)])
            torch.testing.assert_close(buf.states[f, p + 3 + p:], proprio[first + max(t - 2, 0)])
    batch = buf._gather(torch.arange(len(buf)))
    torch.testing.assert_close(batch["next_state"][:, p + 3:2 * p + 3], batch["state"][:, :p])
    buf.standardize_states()
    goal = buf.sample_goal_conditioned(32, torch.Generator().manual_seed(0), strategy="future")["goal_state"]
    assert goal[:, p:p + 3].abs().sum() > 0 and not goal[:, :p].any() and not goal[:, p + 3:].any()


def test_restricted_goals_move_to_eligible_frames_and_stay_ahead_of_the_transition(store):
    """restrict_goals (train's rest_goals): a goal frame that is eligible stays; another moves to the
    first eligible frame at or after it in its episode, else (its own episode) back to the last one
    still after the transition, else (another episode) to that episode's last one; with none it stays."""
    buf = load_buffer([PRIOR, TASK], device="cpu", store=store)
    gen = torch.Generator().manual_seed(0)
    eligible = torch.rand(buf.states.shape[0], generator=gen) < 0.3
    mix = {"geometric": 0.4, "future": 0.2, "final": 0.2, "random": 0.2}
    idx, raw = buf.sample_goal_indices(512, torch.Generator().manual_seed(1), strategy=mix, geometric_p=0.2)
    with pytest.raises(ValueError, match="one flag per frame"):
        buf.restrict_goals(eligible[:-1])
    buf.restrict_goals(eligible)
    idx2, goals = buf.sample_goal_indices(512, torch.Generator().manual_seed(1), strategy=mix, geometric_p=0.2)
    assert torch.equal(idx, idx2)
    frames = buf.t_frame[idx]
    for f, g0, g in zip(frames.tolist(), raw.tolist(), goals.tolist()):
        ep = int(buf.frame_episode(torch.tensor(g0)))
        first, last = int(buf.ep_first[ep]), int(buf.ep_first[ep] + buf.ep_frames[ep] - 1)
        own = ep == int(buf.frame_episode(torch.tensor(f)))
        lo = f + 1 if own else first
        ahead = [h for h in range(g0, last + 1) if eligible[h]]
        behind = [h for h in range(lo, g0) if eligible[h]]
        expected = ahead[0] if ahead else behind[-1] if behind else g0
        assert g == expected
        assert not own or g > f
    assert (goals != raw).any() and eligible[goals].float().mean() > eligible[raw].float().mean()

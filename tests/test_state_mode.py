"""obs=state: the privileged vector, the env's state mode, state-only buffers and agents."""
from __future__ import annotations

import dataclasses

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium.utils.env_checker import check_env

import robo_offline  # noqa: F401  (registers the envs)
from robo_offline.algos import AGENTS, agent_class, make_agent
from robo_offline.data import ensure_dataset, episode_seed, load_buffer
from robo_offline.errors import UserError
from robo_offline.world.privileged_state import PRIVILEGED_STATE_DIM, privileged_state

SMALL = {"q_hidden": [32, 32], "v_hidden": [32, 32], "actor_hidden": [32, 32], "batch_size": 16}


def test_privileged_state_layout_and_stacking():
    env = gym.make("robo_offline/DrawerGrasp-v1", start="open")
    _, info = env.reset(seed=3)
    env.close()
    s = privileged_state(info)
    assert s.shape == (PRIVILEGED_STATE_DIM,) and s.dtype == np.float32
    np.testing.assert_allclose(s[0:3], info["ee_pos"], atol=1e-6)
    np.testing.assert_allclose(s[3:5], [np.cos(2 * info["ee_yaw"]), np.sin(2 * info["ee_yaw"])], atol=1e-6)
    np.testing.assert_allclose(s[7:9], info["drawer_opening"], atol=1e-6)
    np.testing.assert_allclose(s[13:16], info["grasp_pos"] - info["ee_pos"], atol=1e-6)
    np.testing.assert_allclose(s[18:21], info["handle_pos"][0] - info["ee_pos"], atol=1e-6)
    np.testing.assert_allclose(s[21:24], info["handle_pos"][1] - info["ee_pos"], atol=1e-6)
    # a half turn of the gripper is the same state: no jump where the wrapped yaw does
    turned = privileged_state({**info, "ee_yaw": info["ee_yaw"] + np.pi, "grasp_yaw": info["grasp_yaw"] - np.pi})
    np.testing.assert_allclose(turned, s, atol=1e-5)
    stacked = {k: np.stack([np.asarray(v)] * 4) for k, v in info.items() if not isinstance(v, str)}
    np.testing.assert_array_equal(privileged_state(stacked), np.stack([s] * 4))
    with pytest.raises(KeyError, match="grasp_pos"):
        privileged_state({k: v for k, v in info.items() if k != "grasp_pos"})


def test_state_env_passes_check_env_and_never_renders():
    env = gym.make("robo_offline/DrawerGrasp-v1", obs_mode="state").unwrapped
    check_env(env, skip_render_check=True)
    env.world.camera_image = lambda size=None: pytest.fail("state mode rendered a camera image")
    obs, info = env.reset(seed=0)
    assert set(obs) == {"state"} and obs["state"].shape == (PRIVILEGED_STATE_DIM,)
    obs, *_ , info = env.step(np.zeros(5, np.float32))
    np.testing.assert_array_equal(obs["state"], privileged_state(info))
    env.close()
    with pytest.raises(ValueError, match="obs_mode"):
        gym.make("robo_offline/DrawerGrasp-v1", obs_mode="pixels")


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("state_store")
    dataset_id = ensure_dataset("grasp_task", episodes=3, seed=0, workers=1, store=store, progress=False)
    return store, dataset_id


def test_state_buffer_rebuilds_the_env_state_from_stored_infos(tiny_store):
    store, dataset_id = tiny_store
    buf = load_buffer([dataset_id], device="cpu", store=store, obs_mode="state")
    assert buf.image_shape is None and buf.state_dim == PRIVILEGED_STATE_DIM
    batch = buf.sample(8, generator=torch.Generator().manual_seed(0))
    assert "image" not in batch and batch["state"].shape == (8, PRIVILEGED_STATE_DIM)
    # replaying episode 0's actions in a state-mode env gives the stored episode's vectors
    env = gym.make("robo_offline/DrawerGrasp-v1", start="open", obs_mode="state")
    obs, _ = env.reset(seed=episode_seed(0, 0))
    replayed = [obs["state"]]
    for action in buf.actions[:5].numpy():
        replayed.append(env.step(action)[0]["state"])
    env.close()
    np.testing.assert_allclose(np.stack(replayed), buf.states[:6].numpy(), atol=1e-5)
    with pytest.raises(UserError, match="24-d"):
        load_buffer([dataset_id], device="cpu", store=store, obs_mode="state", state_dim=6)


@pytest.mark.parametrize("name", sorted(AGENTS))
def test_state_only_agents_update_act_and_reload(name, tiny_store, one_thread):
    store, dataset_id = tiny_store
    buf = load_buffer([dataset_id], device="cpu", store=store, obs_mode="state")
    fields = {f.name for f in dataclasses.fields(agent_class(name).config_cls)}
    cfg = {k: v for k, v in SMALL.items() if k in fields}
    torch.manual_seed(0)
    agent = make_agent(name, None, buf.state_dim, buf.action_dim, cfg)
    gen = torch.Generator().manual_seed(0)
    for _ in range(3):
        metrics = agent.update(agent.sample_batch(buf, 16, generator=gen))
    assert all(torch.isfinite(v).all() for v in metrics.values())
    obs = {"state": buf.states[0].numpy()}
    if agent.goal_conditioned:
        obs["desired_goal"] = buf.states[5].numpy()
    action = agent.act(obs)
    assert action.shape == (5,) and np.all(np.abs(action) <= 1)
    clone = make_agent(name, None, buf.state_dim, buf.action_dim, cfg)
    clone.load_state_dict(agent.state_dict())
    np.testing.assert_array_equal(clone.act(obs), action)
    image_agent = make_agent(name, (3, 48, 48), 6, 5, cfg)
    with pytest.raises(ValueError, match="image"):
        image_agent.load_state_dict(agent.state_dict())


def test_state_mode_goals_name_the_scene_alone(tiny_store):
    """A goal vector keeps the drawer and object columns: the robot's pose is not part of a goal."""
    from robo_offline.world.privileged_state import GOAL_SCENE_COLUMNS

    store, dataset_id = tiny_store
    buf = load_buffer([dataset_id], device="cpu", store=store, obs_mode="state")
    batch = buf.sample_goal_conditioned(32, torch.Generator().manual_seed(0), strategy="future")
    _, g = buf.sample_goal_indices(32, torch.Generator().manual_seed(0), strategy="future")
    keep = list(GOAL_SCENE_COLUMNS)
    torch.testing.assert_close(batch["goal_state"][:, keep], buf.states[g][:, keep])
    others = [i for i in range(PRIVILEGED_STATE_DIM) if i not in keep]
    assert batch["goal_state"][:, others].abs().sum() == 0

"""The five robo_offline envs: API contract (docs/interfaces.md), determinism, bad input."""
from __future__ import annotations

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import robo_offline  # noqa: F401
from robo_offline.world.envs import env_spaces
from robo_offline.world.sim import layout as L

ENV_IDS = [
    "robo_offline/DrawerOpen-v1",
    "robo_offline/Grasp-v1",
    "robo_offline/DrawerGrasp-v1",
    "robo_offline/DrawerCloseOpenGrasp-v1",
    "robo_offline/GoalReach-v1",
]
STARTS = {
    "robo_offline/DrawerOpen-v1": ["closed"],
    "robo_offline/Grasp-v1": ["random", "table", "tray"],
    "robo_offline/DrawerGrasp-v1": ["closed", "open"],
    "robo_offline/DrawerCloseOpenGrasp-v1": ["top_open", "bottom_open"],
    "robo_offline/GoalReach-v1": ["random"],
}
COMMON_INFO = {"is_success", "ee_pos", "gripper_opening", "drawer_opening", "object_pos", "object_grasped"}


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_check_env(env_id):
    env = gym.make(env_id)
    check_env(env.unwrapped, skip_render_check=True)
    env.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_spaces_info_and_horizon(env_id):
    env = gym.make(env_id)
    obs, info = env.reset(seed=3)
    assert obs["image"].shape == (48, 48, 3) and obs["image"].dtype == np.uint8
    assert obs["state"].dtype == np.float32 and obs["state"].shape == (6,)
    assert env.observation_space.contains(obs)
    assert env.action_space.shape == (5,) and env.action_space.dtype == np.float32
    assert COMMON_INFO <= set(info)
    assert info["ee_pos"].shape == (3,) and info["object_pos"].shape == (3,)
    assert info["drawer_opening"].shape == (2,)
    assert info["is_success"] is False
    shapes = {k: np.shape(v) for k, v in info.items()}
    horizon = env.spec.max_episode_steps
    assert 40 <= horizon <= 100
    rng = np.random.default_rng(0)
    for t in range(horizon):
        obs, reward, terminated, truncated, info = env.step(rng.uniform(-1, 1, 5).astype(np.float32))
        assert {k: np.shape(v) for k, v in info.items()} == shapes
        assert terminated is False
        assert reward in (0.0, 1.0) and reward == float(info["is_success"])
        assert truncated == (t == horizon - 1)
    env.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_start_options(env_id):
    for start in STARTS[env_id]:
        env = gym.make(env_id, start=start)
        _, info = env.reset(seed=0)
        assert not info["is_success"]
        env.close()
    with pytest.raises(ValueError, match="unknown start"):
        gym.make(env_id, start="upside_down")


def in_neutral_region(info, tol: float = 0.0) -> bool:
    ee_ok = np.all(np.abs(info["ee_pos"] - L.HOME_TCP) <= L.NEUTRAL_HALF + tol)
    return bool(ee_ok and abs(info["ee_yaw"]) <= L.NEUTRAL_YAW + 10 * tol)


def test_drawer_starts_are_what_they_say():
    _, info = gym.make("robo_offline/DrawerGrasp-v1").reset(seed=1)
    assert info["drawer_opening"][0] < 0.005
    _, info = gym.make("robo_offline/DrawerCloseOpenGrasp-v1").reset(seed=1)
    assert info["drawer_opening"][0] >= L.DRAWER_OPEN_THRESHOLD and info["drawer_opening"][1] < 0.005
    # task-data starts: the state the drawer skills leave (drawer open, gripper open, arm neutral)
    lo, hi = L.DRAWER_LEFT_OPEN
    for seed in range(5):
        _, info = gym.make("robo_offline/DrawerGrasp-v1", start="open").reset(seed=seed)
        assert lo - 1e-3 <= info["drawer_opening"][0] <= hi + 1e-3 and info["drawer_opening"][1] < 0.005
        assert not info["gripper_closed"] and in_neutral_region(info, 1e-3)
        _, info = gym.make("robo_offline/DrawerCloseOpenGrasp-v1", start="bottom_open").reset(seed=seed)
        assert info["drawer_opening"][0] < 0.005 and lo - 1e-3 <= info["drawer_opening"][1] <= hi + 1e-3
        assert not info["gripper_closed"] and in_neutral_region(info, 1e-3)
    # hand-off starts: drawer open as above, gripper open on the segment from open_drawer's release
    # pose above the handle to the neutral region, so some start well outside that region
    outside = 0
    for seed in range(12):
        _, info = gym.make("robo_offline/DrawerGrasp-v1", start="handoff").reset(seed=seed)
        assert lo - 1e-3 <= info["drawer_opening"][0] <= hi + 1e-3 and not info["gripper_closed"]
        release = L.handle_gap_pos(0, info["drawer_opening"][0]) + [0, 0, L.DRAWER_RELEASE_HEIGHT]
        assert np.all(info["ee_pos"] <= np.maximum(release, L.HOME_TCP + L.NEUTRAL_HALF) + 0.012)
        assert np.all(info["ee_pos"] >= np.minimum(release, L.HOME_TCP - L.NEUTRAL_HALF) - 0.012)
        outside += not in_neutral_region(info, 0.01)
    assert outside >= 4
    # pulled starts: "open" with the object slid back in the drawer (away from the handle, +y) by
    # 0-5 cm, as pulling the drawer open leaves it; the same seed draws the same object otherwise
    slides = []
    for seed in range(12):
        _, opened = gym.make("robo_offline/DrawerGrasp-v1", start="open").reset(seed=seed)
        _, pulled = gym.make("robo_offline/DrawerGrasp-v1", start="pulled").reset(seed=seed)
        assert pulled["drawer_opening"][0] == pytest.approx(opened["drawer_opening"][0])
        assert not pulled["gripper_closed"] and in_neutral_region(pulled, 1e-3)
        offset = pulled["object_pos"] - opened["object_pos"]
        np.testing.assert_allclose(offset[[0, 2]], 0.0, atol=2e-3)
        slides.append(offset[1])
    assert 0.0 <= min(slides) and max(slides) <= 0.05 + 2e-3 and max(slides) - min(slides) > 0.02
    for seed in range(3):  # the three-skill task's bottom drawer, the same way
        _, opened = gym.make("robo_offline/DrawerCloseOpenGrasp-v1", start="bottom_open").reset(seed=seed)
        _, pulled = gym.make("robo_offline/DrawerCloseOpenGrasp-v1", start="bottom_pulled").reset(seed=seed)
        offset = pulled["object_pos"] - opened["object_pos"]
        np.testing.assert_allclose(offset[[0, 2]], 0.0, atol=2e-3)
        assert 0.0 <= offset[1] <= 0.05 + 2e-3 and in_neutral_region(pulled, 1e-3)


def test_gripper_state_follows_the_sign_of_the_command():
    env = gym.make("robo_offline/Grasp-v1")
    env.reset(seed=0)
    for g, closed in [(0.01, True), (0.0, False), (0.7, True), (0.3, True), (-0.01, False), (1.0, True), (-1.0, False)]:
        _, _, _, _, info = env.step(np.array([0, 0, 0, 0, g], np.float32))
        assert info["gripper_closed"] is closed, g


def _rollout(env, seed, actions):
    obs, _ = env.reset(seed=seed)
    images, states = [obs["image"]], [obs["state"]]
    for a in actions:
        obs, *_ = env.step(a)
        images.append(obs["image"])
        states.append(obs["state"])
    return np.stack(images), np.stack(states)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_determinism_by_seed(env_id):
    actions = np.random.default_rng(1).uniform(-1, 1, (25, 5)).astype(np.float32)
    a = gym.make(env_id)
    b = gym.make(env_id)
    img_a, st_a = _rollout(a, 7, actions)
    _rollout(b, 123, actions[::-1])  # a different history first
    img_b, st_b = _rollout(b, 7, actions)
    np.testing.assert_array_equal(img_a, img_b)
    np.testing.assert_array_equal(st_a, st_b)
    img_c, _ = _rollout(a, 8, actions)
    assert not np.array_equal(img_a[0], img_c[0])  # another seed, another scene
    a.close()
    b.close()


def test_goal_reach_goal_image_and_compute_reward():
    env = gym.make("robo_offline/GoalReach-v1")
    obs, info = env.reset(seed=0)
    assert obs["desired_goal"].shape == (48, 48, 3) and obs["desired_goal"].dtype == np.uint8
    assert info["achieved_goal"].shape == (5,) and info["desired_goal"].shape == (5,)
    assert not np.array_equal(obs["desired_goal"], obs["image"])
    u = env.unwrapped
    ach = np.stack([info["achieved_goal"], info["desired_goal"], info["desired_goal"] + 0.01])
    des = np.stack([info["desired_goal"]] * 3)
    r = u.compute_reward(ach, des, {})
    assert r.dtype == np.float32 and r.shape == (3,)
    assert r.tolist() == [float(info["is_success"]), 1.0, 1.0]
    # put the scene into the goal state: success must be detected
    g = info["desired_goal"]
    u.world.set_drawers([g[0], g[1]])
    u.world.set_object_pose(0, g[2:5], 0.0)
    _, reward, _, _, info = env.step(np.zeros(5, np.float32))
    assert info["is_success"] and reward == 1.0
    env2 = gym.make("robo_offline/GoalReach-v1", goal_image=False)
    obs2, _ = env2.reset(seed=0)
    assert "desired_goal" not in obs2 and "desired_goal" not in env2.observation_space.spaces
    # goal_vector (train's oracle_goal): camera frames beside the goal's privileged vector, the one
    # obs_mode=state gives at the same seed, and no goal picture taken
    env3 = gym.make("robo_offline/GoalReach-v1", goal_vector=True)
    obs3, _ = env3.reset(seed=0)
    state_goal = gym.make("robo_offline/GoalReach-v1", obs_mode="state").reset(seed=0)[0]["desired_goal"]
    assert obs3["image"].shape == (48, 48, 3) and env3.unwrapped.task.goal_image is None
    np.testing.assert_array_equal(obs3["desired_goal"], state_goal)
    np.testing.assert_allclose(obs3["desired_goal"][7:12], info["desired_goal"], atol=1e-6)
    check_env(env3.unwrapped, skip_render_check=True)
    # image_privileged (train's oracle_state): the camera frame beside the state mode's 24-d vector
    env4 = gym.make("robo_offline/GoalReach-v1", obs_mode="image_privileged")
    obs4, _ = env4.reset(seed=0)
    state_obs = gym.make("robo_offline/GoalReach-v1", obs_mode="state").reset(seed=0)[0]["state"]
    np.testing.assert_array_equal(obs4["state"], state_obs)
    np.testing.assert_array_equal(obs4["image"], obs["image"])  # the first env's frame at the same seed
    check_env(env4.unwrapped, skip_render_check=True)


def test_hand_camera_follows_the_hand_and_changes_nothing_else():
    """wrist_camera: an extra `wrist_image` observation that moves with the hand (the episode is the
    same with and without it, frame for frame), passes check_env, and is refused in state mode."""
    with_hand = gym.make("robo_offline/GoalReach-v1", wrist_camera=True)
    plain = gym.make("robo_offline/GoalReach-v1")
    check_env(with_hand.unwrapped, skip_render_check=True)
    obs, _ = with_hand.reset(seed=4)
    ref, _ = plain.reset(seed=4)
    assert obs["wrist_image"].shape == (48, 48, 3) and obs["wrist_image"].dtype == np.uint8
    pictures = [obs["wrist_image"]]
    for _ in range(3):
        action = np.array([0.0, 1.0, -1.0, 0.0, 0.0], np.float32)
        obs, *_ = with_hand.step(action)
        ref, *_ = plain.step(action)
        pictures.append(obs["wrist_image"])
    for key in ("image", "state", "desired_goal"):
        np.testing.assert_array_equal(obs[key], ref[key])
    assert np.abs(pictures[-1].astype(int) - pictures[0].astype(int)).mean() > 5  # the hand moved: its view did
    with pytest.raises(ValueError, match="wrist_camera"):
        gym.make("robo_offline/GoalReach-v1", obs_mode="state", wrist_camera=True)


def test_scene_pictures_show_no_arm_whatever_its_pose(monkeypatch):
    """GoalReach's goal image and its `scene_image` info are the scene without the arm: moving the arm
    changes the camera frame but not them, and the arm is drawn again in the next frame."""
    pictures = []
    for shift in (0.0, 0.06):
        sample = L.sample_neutral_pose

        def shifted(rng, shift=shift, sample=sample):
            tcp, yaw = sample(rng)
            return tcp + [shift, shift, 0.0], yaw

        monkeypatch.setattr(L, "sample_neutral_pose", shifted)
        env = gym.make("robo_offline/GoalReach-v1", scene_images=True)
        obs, info = env.reset(seed=3)
        scene_again = env.unwrapped.world.camera_image(robot=False)
        pictures.append((obs["image"], obs["desired_goal"], info["scene_image"], scene_again,
                         env.unwrapped.world.camera_image()))
        env.close()
        monkeypatch.setattr(L, "sample_neutral_pose", sample)
    (frame_a, goal_a, scene_a, again_a, after_a), (frame_b, goal_b, scene_b, _, _) = pictures
    assert not np.array_equal(frame_a, frame_b)  # the arm moved
    assert np.array_equal(goal_a, goal_b) and np.array_equal(scene_a, scene_b)
    assert np.array_equal(scene_a, again_a) and not np.array_equal(scene_a, frame_a)
    assert np.array_equal(after_a, frame_a)  # the arm's colours are back


def test_goal_families_change_what_they_name_and_nothing_else():
    """drawer: only the top drawer differs between start and goal; object: only the object moves;
    both: both. By more than twice the success tolerance, so no goal is reached at the start."""
    from robo_offline.world.tasks.goal_reach import DRAWER_TOLERANCE, OBJECT_TOLERANCE

    for family, drawer_moves, object_moves in (("drawer", True, False), ("object", False, True), ("both", True, True)):
        env = gym.make("robo_offline/GoalReach-v1", family=family, obs_mode="state")
        assert env.observation_space["desired_goal"].shape == (24,)
        for seed in range(4):
            obs, info = env.reset(seed=seed)
            start, goal = info["achieved_goal"], info["desired_goal"]
            drawer_gap, object_gap = abs(goal[0] - start[0]), np.linalg.norm(goal[2:5] - start[2:5])
            assert (drawer_gap > 2 * DRAWER_TOLERANCE) == drawer_moves and (drawer_gap < 1e-6) == (not drawer_moves)
            assert (object_gap > 2 * OBJECT_TOLERANCE) == object_moves and (object_gap < 1e-3) == (not object_moves)
            assert not info["is_success"]
            # the state-mode goal: the goal scene's privileged state, scene columns only (drawers, object)
            np.testing.assert_allclose(obs["desired_goal"][[7, 8, 9, 10, 11]], goal, atol=1e-5)
            assert np.count_nonzero(np.delete(obs["desired_goal"], [7, 8, 9, 10, 11])) == 0  # the scene alone
        env.close()
    with pytest.raises(ValueError, match="goal family"):
        gym.make("robo_offline/GoalReach-v1", family="colour")


@pytest.mark.parametrize("size", [64, 84, 128])
def test_image_sizes(size):
    env = gym.make("robo_offline/GoalReach-v1", image_size=size)
    obs, _ = env.reset(seed=0)
    assert obs["image"].shape == (size, size, 3) and obs["desired_goal"].shape == (size, size, 3)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_env_spaces_without_the_simulator_are_the_made_envs(env_id):
    for kwargs in ({}, {"obs_mode": "state"}, {"image_size": 64}, {"max_episode_steps": 7}):  # the last: gym.make's
        env = gym.make(env_id, **kwargs)
        assert env_spaces(env_id, kwargs) == (env.observation_space, env.action_space)
        env.close()
    with pytest.raises(ValueError, match="unknown start"):
        env_spaces(env_id, {"start": "bogus"})


def test_simulator_import_prints_nothing_and_restores_the_streams():
    """pybullet's build-time banner stays out of users' output; a failed import (not installed)
    leaves stderr working and names the fix; a later one succeeds."""
    script = "\n".join([
        "import sys",
        "sys.modules['pybullet'] = None",
        "from robo_offline.errors import UserError",
        "try:",
        "    import robo_offline.world.sim.world",
        "except UserError as err:",
        "    print('missing' if 'pip install pybullet' in str(err) else err, file=sys.stderr)",
        "del sys.modules['pybullet']",
        "import gymnasium as gym, robo_offline",
        "env = gym.make('robo_offline/DrawerOpen-v1'); env.reset(seed=0); env.close()",
        "print('made')",
    ])
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "made\n", "missing\n")


@pytest.mark.parametrize("size", [32, 50, 256, 48.0, True, "48"])
def test_unknown_image_size_rejected(size):
    with pytest.raises(ValueError, match="image_size must be one of"):
        gym.make("robo_offline/Grasp-v1", image_size=size)


@pytest.mark.parametrize("bad,match", [
    ([np.nan, 0, 0, 0, 0], "NaN or inf"),
    ([0, np.inf, 0, 0, 0], "NaN or inf"),
    ([0, 0, -np.inf, 0, 0], "NaN or inf"),
    ([0, 0, 0, 0], r"shape \(5,\)"),
    ([[0, 0, 0, 0, 0]], r"shape \(5,\)"),
    (np.zeros(7), r"shape \(5,\)"),
    (["a", 0, 0, 0, 0], "numeric"),
])
def test_bad_actions_rejected(bad, match):
    env = gym.make("robo_offline/DrawerOpen-v1")
    env.reset(seed=0)
    with pytest.raises(ValueError, match=match):
        env.step(np.array(bad, dtype=object) if isinstance(bad, list) and bad and bad[0] == "a" else bad)


def test_out_of_range_actions_are_clipped():
    big = np.array([5.0, -3.0, 2.0, 9.0, 4.0], np.float32)
    unit = np.clip(big, -1, 1)
    env = gym.make("robo_offline/Grasp-v1")
    img_big, st_big = _rollout(env, 2, [big] * 5)
    img_unit, st_unit = _rollout(env, 2, [unit] * 5)
    np.testing.assert_array_equal(img_big, img_unit)
    np.testing.assert_array_equal(st_big, st_unit)


def test_render_rgb_array():
    env = gym.make("robo_offline/DrawerCloseOpenGrasp-v1", render_mode="rgb_array")
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (256, 256, 3) and frame.dtype == np.uint8
    assert frame.std() > 10  # not a blank image
    plain = gym.make("robo_offline/Grasp-v1")
    plain.reset(seed=0)
    assert plain.render() is None


def test_async_vector_env_two_workers():
    envs = gym.vector.AsyncVectorEnv([
        lambda: gym.make("robo_offline/DrawerGrasp-v1", start="open"),
        lambda: gym.make("robo_offline/DrawerGrasp-v1", start="open"),
    ])
    try:
        obs, infos = envs.reset(seed=[0, 1])
        assert obs["image"].shape == (2, 48, 48, 3) and obs["state"].shape == (2, 6)
        for _ in range(5):
            obs, rew, term, trunc, infos = envs.step(envs.action_space.sample())
        assert rew.shape == (2,) and not term.any()
        assert infos["drawer_opening"].shape == (2, 2)
    finally:
        envs.close()


def test_objects_stay_on_the_table_under_random_actions():
    """A short version of the slow soak test: nothing falls through table, tray or drawer."""
    env = gym.make("robo_offline/GoalReach-v1")
    rng = np.random.default_rng(0)
    for ep in range(4):
        env.reset(seed=ep)
        for _ in range(60):
            _, _, _, _, info = env.step(rng.uniform(-1, 1, 5).astype(np.float32))
            assert info["object_pos"][2] > 0.0, info["object_pos"]
            assert np.all(np.abs(info["object_pos"][:2] - [0.35, 0.0]) < [0.6, 0.55])


@pytest.mark.parametrize("env_id, start, wide_max", [("robo_offline/DrawerGrasp-v1", "open", 9),
                                                    ("robo_offline/DrawerCloseOpenGrasp-v1", "bottom_open", 9)])
def test_drawer_camera_shows_the_object_larger_than_the_wide_camera(env_id, start, wide_max):
    """The drawer tasks' camera is what makes images learnable: the object to grasp must cover well
    over the 4-9 pixels the whole-table camera gave it (envs/_common.md)."""
    env = gym.make(env_id, start=start)
    counts = []
    for seed in range(5):
        env.reset(seed=seed)
        counts.append(env.unwrapped.world.object_pixels(0))
    env.close()
    assert min(counts) > wide_max, counts

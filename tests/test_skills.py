"""Scripted skills: success rates on fixed seeds without noise, success detection both ways,
determinism, and (slow) a long random soak of the world."""
from __future__ import annotations

import gc
import re
import resource
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

import robo_offline  # noqa: F401
from robo_offline.commands.evaluate_skills import CASES, success_rate
from robo_offline.world.sim import layout as L
from robo_offline.world.skills import make_skill
from robo_offline.world.skills.base import ACTION_LIMIT, CLOSE, OPEN

SEEDS = 10


@pytest.mark.parametrize("skill,env_id,start,kwargs", CASES,
                         ids=[f"{c[0]}-{c[1].split('/')[1]}-{c[2]}" + "".join(f"-{k}{v}" for k, v in c[3].items())
                              for c in CASES])
def test_skill_success_rate_without_noise(skill, env_id, start, kwargs):
    rate = success_rate(skill, env_id, start, SEEDS, noise=0.0, first_seed=1000, **kwargs)
    assert rate >= 0.9, f"{skill} from {env_id} start={start}: {rate:.0%} < 90%"


@pytest.mark.parametrize("env_id,start,skill", [
    ("robo_offline/DrawerOpen-v1", "closed", "open_drawer"),
    ("robo_offline/Grasp-v1", "random", "grasp"),
    ("robo_offline/DrawerGrasp-v1", "open", "grasp"),
    ("robo_offline/DrawerGrasp-v1", "closed", "open_drawer_grasp"),
    ("robo_offline/DrawerCloseOpenGrasp-v1", "top_open", "close_top_open_bottom_grasp"),
])
def test_env_success_detected_after_skill_not_before(env_id, start, skill):
    env = gym.make(env_id, start=start)
    for seed in range(3):
        obs, info = env.reset(seed=seed)
        assert not info["is_success"]
        s = make_skill(skill, noise=0.0, seed=seed)
        s.reset(obs, info)
        rewards = []
        for _ in range(env.spec.max_episode_steps):
            obs, r, _, _, info = env.step(s.act(obs, info))
            rewards.append(r)
            if s.done:
                break
        assert info["is_success"] and s.succeeded(info)
        assert rewards[0] == 0.0 and rewards[-1] == 1.0


def test_drawer_grasp_from_closed_needs_open_then_grasp():
    env = gym.make("robo_offline/DrawerGrasp-v1")
    obs, info = env.reset(seed=4)
    grasp = make_skill("grasp", noise=0.0, seed=0)
    grasp.reset(obs, info)
    for _ in range(25):  # grasping at a closed drawer cannot succeed
        obs, _, _, _, info = env.step(grasp.act(obs, info))
    assert not info["is_success"] and not grasp.succeeded(info)


def test_skill_actions_are_seeded_and_valid():
    env = gym.make("robo_offline/Grasp-v1")
    runs = []
    for _ in range(2):
        obs, info = env.reset(seed=5)
        s = make_skill("play", noise=0.1, seed=11)
        s.reset(obs, info)
        acts = []
        for _ in range(30):
            a = s.act(obs, info)
            assert a.dtype == np.float32 and a.shape == (5,) and np.all(np.abs(a) <= ACTION_LIMIT)
            acts.append(a)
            obs, _, _, _, info = env.step(a)
        runs.append(np.stack(acts))
    np.testing.assert_array_equal(runs[0], runs[1])


def _run_full_horizon(env_id, start, skill_name, seed, noise=0.1, **kwargs):
    """Run a skill for the env's whole horizon (as the dataset recipes do); actions and infos."""
    env = gym.make(env_id, start=start)
    obs, info = env.reset(seed=seed)
    skill = make_skill(skill_name, noise=noise, seed=seed, **kwargs)
    skill.reset(obs, info)
    actions, infos = [], [info]
    for _ in range(env.spec.max_episode_steps):
        actions.append(skill.act(obs, info))
        obs, _, _, _, info = env.step(actions[-1])
        infos.append(info)
    env.close()
    return np.stack(actions), infos


def test_gripper_commands_always_say_open_or_close():
    """Noise-free scripted gripper commands are exactly CLOSE or OPEN, also after the script ends."""
    for env_id, start, name in [("robo_offline/DrawerGrasp-v1", "closed", "open_drawer"),
                                ("robo_offline/DrawerGrasp-v1", "open", "grasp")]:
        actions, infos = _run_full_horizon(env_id, start, name, seed=0, noise=0.0)
        assert set(np.unique(actions[:, 4]).tolist()) <= {np.float32(CLOSE), np.float32(OPEN)}
        # the command is the state the world is in one step later
        closed = np.array([i["gripper_closed"] for i in infos[1:]])
        np.testing.assert_array_equal(closed, actions[:, 4] > 0)


@pytest.mark.parametrize("env_id,start,name,kwargs", [
    ("robo_offline/DrawerGrasp-v1", "closed", "open_drawer", {}),
    ("robo_offline/DrawerGrasp-v1", "closed", "open_drawer", {"drawer": 1}),
    ("robo_offline/DrawerGrasp-v1", "open", "close_drawer", {}),
    ("robo_offline/DrawerCloseOpenGrasp-v1", "top_open", "close_top_open_bottom", {}),
])
def test_drawer_skills_end_released_in_the_neutral_region(env_id, start, name, kwargs):
    """The bridge: prior data ends where task data starts (gripper open, arm in the start region)."""
    for seed in range(3):
        actions, infos = _run_full_horizon(env_id, start, name, seed, **kwargs)
        end = infos[-1]
        assert np.all(np.abs(actions) <= ACTION_LIMIT)
        assert not end["gripper_closed"] and end["gripper_opening"] > L.GRIPPER_MAX_OPENING - 0.002
        assert np.all(np.abs(end["ee_pos"] - L.HOME_TCP) <= L.NEUTRAL_HALF + 0.02), end["ee_pos"]
        assert abs(end["ee_yaw"]) <= L.NEUTRAL_YAW + 0.15, end["ee_yaw"]


def test_bottom_drawer_prior_opens_the_empty_drawer_and_leaves_the_object_shut_in():
    """bottom_open_prior_done's skill: the bottom drawer ends open, the top one (the object's) closed."""
    for seed in range(3):
        _, infos = _run_full_horizon("robo_offline/DrawerGrasp-v1", "closed", "open_drawer", seed, drawer=1)
        top, bottom = infos[-1]["drawer_opening"]
        assert bottom >= L.DRAWER_OPEN_THRESHOLD and top <= L.DRAWER_CLOSED_THRESHOLD, (top, bottom)


@pytest.mark.parametrize("env_id,name", [
    ("robo_offline/DrawerGrasp-v1", "open_drawer"),
    ("robo_offline/DrawerCloseOpenGrasp-v1", "close_top_open_bottom"),
])
def test_prior_skills_never_achieve_the_task(env_id, name):
    for seed in range(3):
        _, infos = _run_full_horizon(env_id, None, name, seed)
        assert not any(i["is_success"] for i in infos)
        assert not any(i["object_grasped"] for i in infos)


def test_success_table_takes_the_commands_key_value_overrides():
    """`python -m robo_offline.commands.evaluate_skills` speaks the Hydra dialect of the commands."""
    def table(*overrides):
        return subprocess.run([sys.executable, "-m", "robo_offline.commands.evaluate_skills", *overrides],
                              capture_output=True, text=True, timeout=300)

    done = table("episodes=1", "noise=[0]", "only=[open_drawer]")
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| open_drawer |")]
    expected = sum(case[0] == "open_drawer" for case in CASES)
    assert len(rows) == expected and all(re.search(r"\| [01]\.00 \|", row) for row in rows), done.stdout
    unknown = table("only=[juggle]")
    assert unknown.returncode == 1 and "juggle" in unknown.stderr and "open_drawer" in unknown.stderr


def test_grasp_aim_noise_moves_where_the_fingers_close():
    """`aim_noise` shifts the point the grasp closes at by the episode's drawn offset (so the data
    holds near misses); at 0 it draws nothing, so recipes without it record what they did before."""
    plain, _ = _run_full_horizon("robo_offline/DrawerGrasp-v1", "open", "grasp", seed=0)
    unaimed, _ = _run_full_horizon("robo_offline/DrawerGrasp-v1", "open", "grasp", seed=0, aim_noise=0.0)
    np.testing.assert_array_equal(plain, unaimed)

    env = gym.make("robo_offline/DrawerGrasp-v1", start="open")
    misses = 0
    for seed in range(4):
        obs, info = env.reset(seed=seed)
        skill = make_skill("grasp", noise=0.0, seed=seed, aim_noise=0.06)
        skill.reset(obs, info)
        aim = np.asarray(info["grasp_pos"][:2]) + skill.aim_offset
        while skill.phase_name != "close":
            obs, _, _, _, info = env.step(skill.act(obs, info))
        assert np.linalg.norm(np.asarray(info["ee_pos"][:2]) - aim) < 0.015
        for _ in range(env.spec.max_episode_steps - skill.steps):
            obs, _, _, _, info = env.step(skill.act(obs, info))
        misses += not info["is_success"]
    env.close()
    assert misses >= 1
    with pytest.raises(ValueError, match="aim_noise"):
        make_skill("grasp", aim_noise=-0.01)


def test_make_skill_rejects_unknown_names_and_bad_noise():
    with pytest.raises(ValueError, match="unknown skill"):
        make_skill("juggle")
    with pytest.raises(ValueError, match="noise"):
        make_skill("grasp", noise=float("nan"))


@pytest.mark.slow
def test_soak_one_million_random_steps():
    """1e6 random steps across resets in all envs: no crash, no leak, nothing falls through."""
    ids = ["robo_offline/DrawerOpen-v1", "robo_offline/Grasp-v1", "robo_offline/DrawerGrasp-v1",
           "robo_offline/DrawerCloseOpenGrasp-v1", "robo_offline/GoalReach-v1"]
    envs = [gym.make(i) for i in ids]
    rng = np.random.default_rng(0)
    total, rss = 0, []
    episode = 0
    while total < 1_000_000:
        env = envs[episode % len(envs)]
        env.reset(seed=episode)
        done = False
        while not done:
            _, _, term, trunc, info = env.step(rng.uniform(-1.2, 1.2, 5).astype(np.float32))
            total += 1
            done = term or trunc
            pos = info["object_pos"]
            assert pos[2] > 0.0 and abs(pos[0] - 0.35) < 0.6 and abs(pos[1]) < 0.55, (episode, pos)
        episode += 1
        if episode % 2000 == 0:
            gc.collect()
            rss.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    assert rss[-1] - rss[1] < 50_000, f"max RSS grew by {rss[-1] - rss[1]} kB: {rss}"


def test_reach_goal_reaches_drawer_and_object_goals():
    """GoalReach's scripted reference reaches its goals (a partial opening on the way to a full one)."""
    for family, seeds in (("object", range(5)), ("drawer", range(8))):
        env = gym.make("robo_offline/GoalReach-v1", obs_mode="state", family=family, max_episode_steps=100)
        for seed in seeds:
            obs, info = env.reset(seed=seed)
            skill = make_skill("reach_goal", noise=0.0, seed=seed)
            skill.reset(obs, info)
            for _ in range(100):
                obs, _, _, truncated, info = env.step(skill.act(obs, info))
                if skill.done or truncated:
                    break
            assert skill.succeeded(info), (family, seed)
        env.close()

"""World demo for `make demo`: a PNG of each task's start state and a short mp4 of each scripted
skill (256x256 render on the left, the 48x48 observation scaled up on the right)."""
from __future__ import annotations

from pathlib import Path

import cv2
import gymnasium as gym
import numpy as np

import robo_offline  # noqa: F401
from robo_offline.skills import make_skill

TASK_STARTS = [
    ("DrawerOpen-v1", None),
    ("Grasp-v1", None),
    ("DrawerGrasp-v1", None),
    ("DrawerGrasp-v1", "open"),
    ("DrawerCloseOpenGrasp-v1", None),
    ("DrawerCloseOpenGrasp-v1", "bottom_open"),
    ("GoalReach-v1", None),
]
SKILL_VIDEOS = [  # (skill, env, start, kwargs)
    ("open_drawer", "DrawerOpen-v1", None, {}),
    ("close_drawer", "DrawerGrasp-v1", "open", {}),
    ("grasp", "Grasp-v1", None, {}),
    ("lift", "Grasp-v1", None, {}),
    ("place", "Grasp-v1", None, {}),
    ("play", "GoalReach-v1", None, {}),
    ("close_top_open_bottom", "DrawerCloseOpenGrasp-v1", None, {}),
]


def _panel(env, obs) -> np.ndarray:
    big = env.render()
    small = cv2.resize(obs["image"], big.shape[:2][::-1], interpolation=cv2.INTER_NEAREST)
    parts = [big, small]
    if "desired_goal" in obs:
        parts.append(cv2.resize(obs["desired_goal"], big.shape[:2][::-1], interpolation=cv2.INTER_NEAREST))
    return np.concatenate(parts, axis=1)


def start_state_image(env_id: str, start: str | None, seed: int = 0) -> np.ndarray:
    env = gym.make(f"robo_offline/{env_id}", render_mode="rgb_array", **({} if start is None else {"start": start}))
    obs, _ = env.reset(seed=seed)
    img = _panel(env, obs)
    env.close()
    return img


def skill_frames(skill_name: str, env_id: str, start: str | None, seed: int = 0, noise: float = 0.1,
                 **kwargs) -> tuple[list[np.ndarray], bool]:
    env = gym.make(f"robo_offline/{env_id}", render_mode="rgb_array", **({} if start is None else {"start": start}))
    obs, info = env.reset(seed=seed)
    frames = [_panel(env, obs)]
    horizon = env.spec.max_episode_steps
    t = 0
    if skill_name == "lift":  # lift starts from a held object
        pre = make_skill("grasp", noise=0.0, seed=seed, lift=False)
        pre.reset(obs, info)
        while not pre.done and t < horizon:
            obs, _, _, _, info = env.step(pre.act(obs, info))
            frames.append(_panel(env, obs))
            t += 1
    skill = make_skill(skill_name, noise=noise, seed=seed, **kwargs)
    skill.reset(obs, info)
    while t < horizon:
        obs, _, _, _, info = env.step(skill.act(obs, info))
        frames.append(_panel(env, obs))
        t += 1
        if skill.done:
            break
    ok = bool(skill.succeeded(info))
    env.close()
    return frames, ok


def write_mp4(path: Path, frames: list[np.ndarray], fps: int = 12) -> Path:
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    if not writer.isOpened():
        raise RuntimeError(f"cv2.VideoWriter could not open {path} with the mp4v codec")
    for f in frames + [frames[-1]] * (fps // 2):
        writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def render_world_demo(out_dir: Path) -> list[Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for env_id, start in TASK_STARTS:
        name = env_id.replace("-v1", "") + (f"_{start}" if start else "") + "_start.png"
        path = out_dir / name
        cv2.imwrite(str(path), cv2.cvtColor(start_state_image(env_id, start), cv2.COLOR_RGB2BGR))
        written.append(path)
        print(f"  wrote {path}", flush=True)
    for skill, env_id, start, kw in SKILL_VIDEOS:
        frames, ok = skill_frames(skill, env_id, start, **kw)
        path = write_mp4(out_dir / f"skill_{skill}.mp4", frames)
        written.append(path)
        print(f"  wrote {path} ({len(frames)} frames, {'success' if ok else 'failure'})", flush=True)
    return written


def object_pixels(env_id: str, start: str | None, seeds=range(20)) -> tuple[int, int]:
    """(min, max) over `seeds` of the 48x48 pixels the object covers at the start: the env cards' figure."""
    env = gym.make(f"robo_offline/{env_id}", **({} if start is None else {"start": start}))
    counts = []
    for seed in seeds:
        env.reset(seed=seed)
        counts.append(env.unwrapped.world.object_pixels(0))
    env.close()
    return min(counts), max(counts)


def write_card_images(envs_dir: Path) -> list[Path]:
    """The start-state pictures used by the env cards in envs/ (render | 48x48 observation)."""
    paths = []
    for env_id, start in TASK_STARTS:
        name = env_id.replace("-v1", "") + (f"_{start}" if start else "") + ".png"
        path = Path(envs_dir) / name
        cv2.imwrite(str(path), cv2.cvtColor(start_state_image(env_id, start), cv2.COLOR_RGB2BGR))
        paths.append(path)
    return paths


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["cards"]:  # python -m robo_offline.demo_world cards: envs/*.png and object sizes
        for p in write_card_images(Path(__file__).resolve().parents[1] / "envs"):
            print(f"wrote {p}")
        for env_id, start in TASK_STARTS:
            lo, hi = object_pixels(env_id, start)
            print(f"{env_id} start={start or 'default'}: object covers {lo}-{hi} of 48x48 pixels (seeds 0-19)")
    else:
        render_world_demo(Path(sys.argv[1] if len(sys.argv) > 1 else "demo_out/world"))

"""World demo for `make demo`: a PNG of each task's start state and a short mp4 of each scripted
skill (256x256 render on the left, the 48x48 observation scaled up on the right)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

import robo_offline  # noqa: F401
from robo_offline.paths import ENVS_DIR
from robo_offline.video import upscale, write_mp4, write_png
from robo_offline.world.envs import make_env
from robo_offline.world.skills.rollout import run_skill_episode

FPS = 12
HOLD_LAST_FRAME = FPS // 2  # the last frame stays half a second, so the end state can be seen

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


def _task_env(env_id: str, start: str | None, **extra):
    return make_env(f"robo_offline/{env_id}", {} if start is None else {"start": start}, **extra)


def _panel(env, obs) -> np.ndarray:
    """The 256x256 render, then the observation (and the goal image) scaled up to it."""
    big = env.render()
    parts = [big, upscale(obs["image"], big.shape[0])]
    if "desired_goal" in obs:
        parts.append(upscale(obs["desired_goal"], big.shape[0]))
    return np.concatenate(parts, axis=1)


def start_state_image(env_id: str, start: str | None, seed: int = 0) -> np.ndarray:
    env = _task_env(env_id, start, render_mode="rgb_array")
    obs, _ = env.reset(seed=seed)
    img = _panel(env, obs)
    env.close()
    return img


def skill_frames(skill_name: str, env_id: str, start: str | None, seed: int = 0, noise: float = 0.1,
                 **kwargs) -> tuple[list[np.ndarray], bool]:
    """The frames of one skill episode (as the success-rate table runs it) and its success."""
    env = _task_env(env_id, start, render_mode="rgb_array")
    frames: list[np.ndarray] = []
    try:
        ok, _ = run_skill_episode(env, skill_name, seed, noise, on_step=lambda obs: frames.append(_panel(env, obs)),
                                  **kwargs)
    finally:
        env.close()
    return frames, ok


def render_world_demo(out_dir: Path) -> list[Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for env_id, start in TASK_STARTS:
        name = env_id.replace("-v1", "") + (f"_{start}" if start else "") + "_start.png"
        path = write_png(out_dir / name, start_state_image(env_id, start))
        written.append(path)
        print(f"  wrote {path}", flush=True)
    for skill, env_id, start, kw in SKILL_VIDEOS:
        frames, ok = skill_frames(skill, env_id, start, **kw)
        path = write_mp4(out_dir / f"skill_{skill}.mp4", frames + [frames[-1]] * HOLD_LAST_FRAME, fps=FPS)
        written.append(path)
        print(f"  wrote {path} ({len(frames)} frames, {'success' if ok else 'failure'})", flush=True)
    return written


def object_pixels(env_id: str, start: str | None, seeds=range(20)) -> tuple[int, int]:
    """(min, max) over `seeds` of the 48x48 pixels the object covers at the start: the env cards' figure."""
    env = _task_env(env_id, start)
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
        paths.append(write_png(Path(envs_dir) / name, start_state_image(env_id, start)))
    return paths


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["cards"]:  # python -m robo_offline.world.demo_world cards: envs/*.png and object sizes
        for p in write_card_images(ENVS_DIR):
            print(f"wrote {p}")
        for env_id, start in TASK_STARTS:
            lo, hi = object_pixels(env_id, start)
            print(f"{env_id} start={start or 'default'}: object covers {lo}-{hi} of 48x48 pixels (seeds 0-19)")
    else:
        render_world_demo(Path(sys.argv[1] if len(sys.argv) > 1 else "demo_out/world"))

"""`robo-offline render checkpoint=<path> episodes=<int> out=<dir>`: rollout videos and a contact sheet.

Each mp4 shows the large render view beside the agent's own input (upscaled; the hand camera's
picture too where the env has one), with the step and
success overlaid; on a goal-reaching env the goal scene comes next, and the episodes take the
goal families in turn (as `eval` splits them). `contact_sheet.png` shows evenly spaced frames of
every episode (the render view, and the goal beside it on goal-reaching envs).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm import tqdm

from robo_offline.errors import UserError
from robo_offline.evaluation import evaluation_families, evaluation_seeds, rollout
from robo_offline.video import contact_sheet, put_text, upscale, write_mp4, write_png
from robo_offline.world.envs import make_env

SHEET_COLUMNS = 8


def record_episodes(agent, env_id: str, env_kwargs: dict, episodes: int, seed: int, out_dir: Path,
                    view_size: int = 256, fps: int = 10, deterministic: bool = True) -> dict:
    """Roll out and record `episodes` episodes; returns the written paths and per-episode success."""
    families = evaluation_families(env_id, env_kwargs)
    envs = {f: make_env(env_id, env_kwargs if f is None else {**env_kwargs, "family": f}, render_mode="rgb_array")
            for f in families}
    videos, sheet_rows, successes = [], [], []
    try:
        for i, episode_seed in enumerate(tqdm(evaluation_seeds(seed, episodes), desc="render", unit="ep")):
            family = families[i % len(families)]
            env = envs[family]
            frames: list[np.ndarray] = []

            def on_step(obs, info, step):
                frame = upscale(env.render(), view_size)
                goal_view = getattr(env.unwrapped.task, "goal_view", None)
                if goal_view is not None:
                    frame = np.concatenate([frame, put_text(upscale(goal_view, view_size), f"goal: {family}")], axis=1)
                for key in ("image", "wrist_image"):  # the agent's own inputs (none in obs_mode=state)
                    if key in obs:
                        frame = np.concatenate([frame, upscale(obs[key], view_size)], axis=1)
                frame = put_text(frame, f"ep {i} step {step}")
                ok = bool(info["is_success"])
                frames.append(put_text(frame, "success" if ok else "not yet", row=1,
                                       colour=(80, 255, 80) if ok else (255, 180, 80)))

            row = rollout(agent, env, seed=episode_seed, deterministic=deterministic, on_step=on_step,
                          stop_on_success=family is not None)
            successes.append(row["success"])
            videos.append(write_mp4(out_dir / f"episode_{i:03d}.mp4", frames, fps=fps))
            picks = np.linspace(0, len(frames) - 1, SHEET_COLUMNS).round().astype(int)
            width = view_size * (2 if family is not None else 1)
            sheet_rows.append([frames[k][:, :width] for k in picks])
    finally:
        for env in envs.values():
            env.close()
    sheet = write_png(out_dir / "contact_sheet.png", contact_sheet(sheet_rows))
    return {"videos": videos, "contact_sheet": sheet, "successes": successes}


def run(cfg) -> None:
    from omegaconf import OmegaConf

    from robo_offline.agent_io import command_env_kwargs, policy_from_checkpoints
    from robo_offline.checkpoint import default_output_dir

    if cfg.episodes < 1:
        raise UserError(f"episodes={cfg.episodes}: render at least one episode")
    if OmegaConf.is_list(cfg.checkpoint) and not cfg.out:
        raise UserError("an ensemble (checkpoint=[...]) writes its videos to out=<dir>: name one")
    agent, payload = policy_from_checkpoints(cfg.checkpoint, device=cfg.device, act_samples=cfg.act_samples)
    out = Path(cfg.out) if cfg.out else default_output_dir(cfg.checkpoint, "videos")
    result = record_episodes(agent, payload["env_id"], command_env_kwargs(payload, cfg), cfg.episodes, cfg.seed, out,
                             view_size=cfg.view_size, fps=cfg.fps, deterministic=cfg.deterministic)
    for path in result["videos"]:
        print(f"video: {path}")
    print(f"contact sheet: {result['contact_sheet']}")
    print(f"successes: {sum(result['successes'])}/{len(result['successes'])}")

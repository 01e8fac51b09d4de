"""`robo-offline pretrain experiment=<name>`: the frozen image encoder behind `obs=features`.

Trains `representation.FrameEncoder` with the chosen reward-free objective on the experiment's
datasets (rewards are never read), then writes into Hydra's run directory
(`runs/<experiment>/representation/` by default): `encoder.pt` (what `train obs=features` loads),
`metrics.csv` (the objective's loss), `reconstructions.png` (objective=autoencoder: frames above,
reconstructions below) and `probe.json` (how much of the
simulator's privileged state a linear map recovers from the features on held-out episodes: a
diagnostic, not a training signal; with goal frames in the data, also how much of the scene the
goal images' features alone place; with a hand camera, the frame's features alone beside it)."""
from __future__ import annotations

import csv
import dataclasses
import json
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from omegaconf import DictConfig, OmegaConf
from tqdm import tqdm

from robo_offline.algos.representation import (OBJECTIVES, FrameDecoder, RepresentationConfig, alive_channels,
                                               encode_frames, linear_probe, representation_payload,
                                               train_representation)
from robo_offline.checkpoint import save_checkpoint
from robo_offline.device import resolve_device
from robo_offline.errors import UserError

# privileged-state columns the probe reports (robo_offline.world.privileged_state has the order)
PROBE_TARGETS = {"drawer openings": slice(7, 9), "object centre": slice(9, 12), "object held": slice(12, 13),
                 "grasp point minus tcp": slice(13, 16), "top handle minus tcp": slice(18, 21)}
SCENE_TARGETS = ("drawer openings", "object centre")  # what a goal image must show (GoalReach's goal)


def grouped_probe(features: np.ndarray, targets: dict[str, np.ndarray], episode_of_frame) -> dict[str, float]:
    """Mean held-out R^2 per named target, all targets fitted in one ridge solve (each column's fit
    is independent of the others, and the normal equations are the costly part)."""
    r2 = linear_probe(features, np.concatenate(list(targets.values()), 1), episode_of_frame)
    bounds = np.cumsum([0] + [t.shape[1] for t in targets.values()])
    return {name: float(r2[a:b].mean()) for name, a, b in zip(targets, bounds[:-1], bounds[1:])}


def probe_targets(privileged: np.ndarray, names) -> dict[str, np.ndarray]:
    """The privileged columns of each named PROBE_TARGETS quantity that vary in the data."""
    targets = {name: varying_columns(privileged[:, PROBE_TARGETS[name]]) for name in names}
    return {name: t for name, t in targets.items() if t is not None}


def probe_report(features: np.ndarray, proprio: np.ndarray, privileged: np.ndarray, episode_of_frame) -> dict:
    """R^2 per privileged quantity from the proprio state alone and from proprio + image features."""
    targets = probe_targets(privileged, PROBE_TARGETS)
    if not targets:
        return {}
    alone = grouped_probe(proprio, targets, episode_of_frame)
    both = grouped_probe(np.concatenate([proprio, features], 1), targets, episode_of_frame)
    return {name: {"proprio only": alone[name], "proprio + features": both[name]} for name in targets}


def goal_probe_report(goal_features: np.ndarray, privileged: np.ndarray, episode_of_frame) -> dict:
    """R^2 per scene quantity (SCENE_TARGETS) from the goal images' features alone: all a goal tells."""
    targets = probe_targets(privileged, SCENE_TARGETS)
    return grouped_probe(goal_features, targets, episode_of_frame) if targets else {}


def varying_columns(target: np.ndarray) -> np.ndarray | None:
    """The columns that vary (a constant one has nothing to explain), or None when none does."""
    keep = target.std(axis=0) > 1e-6
    return target[:, keep] if keep.any() else None


def reconstruction_picture(encoder, decoder: FrameDecoder, frames: torch.Tensor, path: Path, count: int = 8) -> Path:
    idx = torch.linspace(0, frames.shape[0] - 1, count).long()
    originals = frames[idx].cpu()
    with torch.no_grad():
        recon = decoder.reconstruct(encoder(frames[idx])).cpu()
    rows = [torch.cat(list(x), dim=2) for x in (originals, recon)]  # (3, H, count*W)
    grid = torch.cat(rows, dim=1).permute(1, 2, 0).numpy()
    grid = cv2.resize(grid, (grid.shape[1] * 4, grid.shape[0] * 4), interpolation=cv2.INTER_NEAREST)
    cv2.imwrite(str(path), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))
    return path


def run(cfg: DictConfig) -> None:
    from hydra.core.hydra_config import HydraConfig

    from robo_offline.data import load_buffer
    from robo_offline.data.experiment import build_buffer

    out = Path(HydraConfig.get().runtime.output_dir)
    device = resolve_device(cfg.device)
    if cfg.get("threads"):
        torch.set_num_threads(int(cfg.threads))
    rep_cfg = RepresentationConfig(**OmegaConf.to_container(cfg.representation, resolve=True))
    if rep_cfg.objective not in OBJECTIVES:
        raise UserError(f"representation.objective={rep_cfg.objective!r}; choose one of {', '.join(OBJECTIVES)}")
    if rep_cfg.steps < 1 or rep_cfg.batch_size < 1 or rep_cfg.feature_dim < 1 or rep_cfg.goal_offset_mean < 1:
        raise UserError(f"representation {dataclasses.asdict(rep_cfg)}: steps, batch_size and feature_dim "
                        "must be positive, goal_offset_mean at least 1")
    buffer = build_buffer(cfg.experiment, device, "image")
    frames = buffer.frames
    print(f"pretrain: {frames.shape[0]} frames from {', '.join(buffer.dataset_ids)}")

    rows = []
    progress = tqdm(total=rep_cfg.steps, desc=f"pretrain {rep_cfg.objective}", unit="step", dynamic_ncols=True)
    start = time.perf_counter()

    def on_step(step: int, loss: torch.Tensor) -> None:
        progress.update(1)
        if step % 100 == 0 or step == rep_cfg.steps:
            rows.append({"step": step, "loss": float(loss)})
            progress.set_postfix(loss=f"{float(loss):.5f}")

    encoder, objective = train_representation(buffer, rep_cfg, on_step)
    progress.close()
    seconds = time.perf_counter() - start
    with (out / "metrics.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["step", "loss"])
        writer.writeheader()
        writer.writerows(rows)
    save_checkpoint(out / "encoder.pt", {"representation": representation_payload(encoder, rep_cfg),
                                         "datasets": buffer.dataset_ids})
    picture = None
    if isinstance(objective, FrameDecoder):
        picture = reconstruction_picture(encoder, objective, frames, out / "reconstructions.png")

    features = encode_frames(encoder, frames).cpu().numpy()
    frame_only = None
    if encoder.wrist is not None:  # the probe reads what the agents will: the frame's and the hand camera's features
        frame_only = features
        features = np.concatenate([features, encode_frames(encoder.wrist, buffer.wrist_frames).cpu().numpy()], 1)
    specs = [{"dataset_id": d.dataset_id, "reward": "zero"} for d in buffer.datasets]
    privileged = load_buffer(specs, device="cpu", obs_mode="state").states.numpy()
    episode_of_frame = np.repeat(np.arange(buffer.num_episodes), buffer.ep_frames.cpu().numpy())
    report = {"frames": int(frames.shape[0]), "train_seconds": round(seconds, 1),
              "steps_per_s": round(rep_cfg.steps / seconds, 1), "objective": rep_cfg.objective,
              "final_loss": rows[-1]["loss"],
              "alive_conv_channels": "{} of {}".format(*alive_channels(encoder, frames[::max(1, len(frames) // 8192)])),
              "probe_r2_held_out_episodes": probe_report(features, buffer.states.cpu().numpy(), privileged,
                                                         episode_of_frame)}
    if frame_only is not None:
        report["probe_r2_frame_features_only"] = probe_report(frame_only, buffer.states.cpu().numpy(), privileged,
                                                              episode_of_frame)
    if buffer.goal_frames is not None:  # what a goal tells the agents: the scene picture's features alone
        goal_features = encode_frames(encoder, buffer.goal_frames).cpu().numpy()
        report["goal_image_probe_r2_held_out_episodes"] = goal_probe_report(goal_features, privileged,
                                                                            episode_of_frame)
    (out / "probe.json").write_text(json.dumps(report, indent=2) + "\n")
    for name, r2 in report["probe_r2_held_out_episodes"].items():
        print(f"  probe R^2 {name}: proprio only {r2['proprio only']:.2f}, "
              f"proprio + features {r2['proprio + features']:.2f}")
    for name, r2 in report.get("goal_image_probe_r2_held_out_episodes", {}).items():
        print(f"  probe R^2 {name} from the goal images' features (the scene without the arm): {r2:.2f}")
    print(f"  last conv layer: {report['alive_conv_channels']} channels positive on some frame (the rest are dead)")
    print(f"encoder: {out / 'encoder.pt'}  ({report['steps_per_s']} steps/s, {seconds:.0f} s)")
    print(f"probe: {out / 'probe.json'}" + (f"  reconstructions: {picture}" if picture else ""))

"""Evaluate a policy in its environment: success rate with a 95% confidence interval.

`robo-offline eval checkpoint=<path> episodes=<int> seed=<int>` prints a final line
`success_rate=<float> ci95=[<lo>, <hi>] episodes=<int>` and writes per-episode results as CSV.
`checkpoint=[<path>,<path>,...] out=<dir>` evaluates several policies acting as one
(robo_offline.ensemble).

Goal-conditioned envs (GoalReach) are evaluated over their goal families: the episodes are split
evenly between `drawer`, `object` and `both` goals (unless `env_kwargs` names a family), each
episode a fresh goal the env samples, ending when the goal is reached (success) or at the time
limit; the result has one line per family and the overall one.
"""
from __future__ import annotations

from pathlib import Path

from robo_offline.errors import UserError
from robo_offline.evaluation import evaluate_policy


def run(cfg) -> None:
    from omegaconf import OmegaConf

    from robo_offline.agent_io import command_env_kwargs, policy_from_checkpoints
    from robo_offline.checkpoint import default_output_dir

    if cfg.episodes < 1:
        raise UserError(f"episodes={cfg.episodes}: evaluate at least one episode")
    ensemble = OmegaConf.is_list(cfg.checkpoint)
    if ensemble and not cfg.out:
        raise UserError("an ensemble (checkpoint=[...]) writes its per-episode results to out=<dir>: name one")
    agent, payload = policy_from_checkpoints(cfg.checkpoint, device=cfg.device, act_samples=cfg.act_samples)
    env_id, env_kwargs = payload["env_id"], command_env_kwargs(payload, cfg)
    result = evaluate_policy(agent, env_id, env_kwargs, episodes=cfg.episodes, seed=cfg.seed,
                             deterministic=cfg.deterministic)
    out = Path(cfg.out) if cfg.out else default_output_dir(cfg.checkpoint, "eval")
    kwargs_tag = "".join(f"_{key}-{value}" for key, value in env_kwargs.items() if payload["env_kwargs"].get(key) != value)
    if cfg.act_samples is not None:
        kwargs_tag += f"_act_samples-{cfg.act_samples}"
    csv_path = out / f"episodes_seed{cfg.seed}{kwargs_tag}.csv"
    result.write_csv(csv_path)
    members = f" ({len(cfg.checkpoint)} policies as one: robo_offline.ensemble)" if ensemble else ""
    print(f"env={env_id} {env_kwargs} checkpoint={cfg.checkpoint}{members} step={payload['step']}")
    print(f"mean_length={result.mean_length:.1f} per-episode results: {csv_path}")
    for family, part in result.by_family().items():
        print(f"family={family} {part.summary_line()}")
    print(result.summary_line())

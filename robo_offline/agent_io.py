"""Rebuild an agent (and the env it was trained for) from a checkpoint file alone."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from robo_offline.checkpoint import load_checkpoint
from robo_offline.device import resolve_device
from robo_offline.errors import UserError


def agent_from_checkpoint(path: Path | str, device: str = "auto", act_samples: int | None = None):
    """Returns (agent, checkpoint payload). The agent's config and shapes come from the file; an
    obs=features agent comes wrapped with its frozen encoder, so it acts on camera observations.
    A checkpoint saved before the learning rates were renamed (e.g. `q_lr`) loads as well.
    `act_samples` replaces the checkpoint's (agents with a critic: actions ranked by Q)."""
    from robo_offline.algos import agent_class, make_agent
    from robo_offline.algos.config import with_current_names

    payload = load_checkpoint(path)
    if act_samples is not None:
        config_fields = {f.name for f in dataclasses.fields(agent_class(payload["agent_name"]).config_cls)}
        if "act_samples" not in config_fields:
            raise UserError(f"act_samples={act_samples}: a {payload['agent_name']} agent has no critic to rank "
                            "its actions (cql, iql, awac, gcql and gciql do)")
        payload["agent_config"] = {**payload["agent_config"], "act_samples": int(act_samples)}
    agent = make_agent(
        payload["agent_name"],
        image_shape=None if payload["image_shape"] is None else tuple(payload["image_shape"]),
        state_dim=int(payload["state_dim"]),
        action_dim=int(payload["action_dim"]),
        cfg=with_current_names(payload["agent_config"]),
        device=resolve_device(device),
    )
    try:
        agent.load_state_dict(payload["agent"])
    except ValueError as err:
        if act_samples and payload["agent"].get("acting_only"):
            raise UserError(f"checkpoint {path} holds the actor only; act_samples={act_samples} ranks actions by "
                            "the critic, so it needs a training checkpoint or a policy exported with "
                            "act_samples set") from None
        raise UserError(f"checkpoint {path}: {err}") from None
    if payload.get("representation"):
        from robo_offline.algos.representation import FeaturePolicy, encoder_from_payload

        representation = payload["representation"]
        agent = FeaturePolicy(agent, encoder_from_payload(representation, agent.device), representation)
    return agent, payload


def policy_from_checkpoints(spec, device: str = "auto", act_samples: int | None = None):
    """`checkpoint=<path>` or `checkpoint=[<path>, ...]` of eval and render: (policy, payload of the
    first checkpoint). A list becomes one ensemble policy (robo_offline.ensemble); its members must
    be trained for the same env."""
    from omegaconf import OmegaConf

    if not (OmegaConf.is_list(spec) or isinstance(spec, (list, tuple))):
        return agent_from_checkpoint(spec, device=device, act_samples=act_samples)
    from robo_offline.ensemble import EnsemblePolicy

    loaded = [agent_from_checkpoint(path, device=device, act_samples=act_samples) for path in spec]
    first = loaded[0][1]
    for path, (_, payload) in zip(spec, loaded):
        if (payload["env_id"], payload["env_kwargs"]) != (first["env_id"], first["env_kwargs"]):
            raise UserError(f"ensemble: checkpoint {path} was trained for {payload['env_id']} {payload['env_kwargs']}, "
                            f"the first for {first['env_id']} {first['env_kwargs']}")
    return EnsemblePolicy([agent for agent, _ in loaded]), first


def command_env_kwargs(payload: dict, cfg) -> dict:
    """The env kwargs `eval`, `render` and `qtrace` use: the checkpoint's, then `env_kwargs.*`, then the
    plain `start=` / `family=` options (another start state or goal family without Hydra's `+`)."""
    kwargs = {**payload["env_kwargs"], **cfg.get("env_kwargs", {})}
    for key in ("start", "family"):
        if cfg.get(key) is not None:
            kwargs[key] = cfg[key]
    return kwargs

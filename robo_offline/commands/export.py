"""`robo-offline export checkpoint=<run dir | .pt> name=<name>`: a trained policy, small enough to ship.

Keeps what acting needs (the actor, the encoder it reads, a frozen representation if any) and drops
the critics, target networks, optimiser states and RNG states. The file lands in
`robo_offline/pretrained/<name>.pt` (at most 10 MB there), where `checkpoint=pretrained:<name>`
finds it, or in `out`.
"""
from __future__ import annotations

from pathlib import Path

from robo_offline.checkpoint import PRETRAINED_DIR, load_checkpoint, save_checkpoint
from robo_offline.errors import UserError

MAX_SHIPPED_BYTES = 10 * 2**20  # a policy in the package stays under 10 MB


def export_policy(checkpoint, out: Path, act_samples: int | None = None) -> Path:
    """`act_samples` (agents with a critic) is stored in the policy, which then keeps the
    critic that ranks its actions."""
    from robo_offline.agent_io import agent_from_checkpoint

    agent, payload = agent_from_checkpoint(checkpoint, device="cpu", act_samples=act_samples)
    agent = getattr(agent, "agent", agent)  # an obs=features policy: the agent inside its wrapper
    keep = ("agent_name", "agent_config", "step", "image_shape", "state_dim", "action_dim", "env_id", "env_kwargs",
            "representation", "config")
    small = {k: payload.get(k) for k in keep}
    small["agent"] = agent.acting_state_dict()
    small["exported_from"] = str(checkpoint)
    save_checkpoint(out, small)
    return out


def run(cfg) -> None:
    if not cfg.name and not cfg.out:
        raise UserError("give name=<policy name> (written to robo_offline/pretrained/<name>.pt) or out=<file>")
    out = Path(cfg.out) if cfg.out else PRETRAINED_DIR / f"{cfg.name}.pt"
    load_checkpoint(cfg.checkpoint)  # a clear error for a missing or foreign file before anything else
    path = export_policy(cfg.checkpoint, out, cfg.act_samples)
    size = path.stat().st_size
    if path.parent == PRETRAINED_DIR and size > MAX_SHIPPED_BYTES:
        path.unlink()
        raise UserError(f"the exported policy is {size / 2**20:.1f} MB, over the {MAX_SHIPPED_BYTES / 2**20:.0f} MB "
                        "a policy shipped in the package may take: train smaller actor networks")
    print(f"exported {cfg.checkpoint} -> {path} ({size / 2**20:.2f} MB)")

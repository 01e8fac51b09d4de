"""Several trained policies acting as one: `robo-offline eval checkpoint=[<run>,<run>,...]`.

Ranked members (`act_samples` > 0: an actor that proposes, a critic that chooses) pool their
proposals, every member's critic scores every proposal, and the ensemble takes the one with the
highest mean score. Members without a critic (BC, GCBC, or `act_samples=0`) act by the mean of
their actions. Measured on goal reaching from images (README): two GCQL seeds acting as one score
above both of their members; averaging the critics over one actor's proposals alone changes
nothing, so the gain needs both the other actors' proposals and the shared judge.
"""
from __future__ import annotations

import numpy as np

from robo_offline.errors import UserError
from robo_offline.evaluation import start_episode


class EnsemblePolicy:
    """`act` for a list of loaded policies (each `agent_from_checkpoint`'s, obs=features ones
    wrapped in their own encoders). Acting is deterministic: each member proposes its mode and
    samples from its own generator, as it does alone."""

    def __init__(self, members: list):
        if len(members) < 2:
            raise UserError("an ensemble needs at least two checkpoints")
        ranked = [bool(getattr(m.cfg, "act_samples", 0)) for m in members]
        if any(ranked) and not all(ranked):
            raise UserError("ensemble members must all rank their actions by a critic (act_samples > 0) or none; "
                            f"act_samples per member: {[getattr(m.cfg, 'act_samples', 0) for m in members]}")
        self.members, self.ranked = members, all(ranked)

    def start_episode(self) -> None:
        for member in self.members:
            start_episode(member)

    def act(self, obs: dict, deterministic: bool = True) -> np.ndarray:
        if not deterministic:
            raise UserError("an ensemble acts deterministically: drop deterministic=false")
        if not self.ranked:
            return np.mean([m.act(obs, deterministic=True) for m in self.members], axis=0).astype(np.float32)
        candidates = np.concatenate([m.proposals(obs) for m in self.members])
        scores = np.mean([m.q_values(obs, candidates) for m in self.members], axis=0)
        return candidates[int(np.argmax(scores))]

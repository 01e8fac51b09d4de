"""What the goal-conditioned agents (`gcql`, `gcbc`, `gciql`) share: hindsight batches from the
buffer, the goal as a network input, and acting towards the env's goal.

The goal enters every head beside the observation's features. On images the goal image goes
through the same conv encoder as the observation, in one call on [observations; goals], so each
image is encoded once per update; in state mode (`obs=state`) the goal is the goal's privileged
state vector, concatenated as it is. Relabelling is the buffer's (`sample_goal_conditioned`): the
agent's config names the goal mix (`goal_mix`, fractions of `geometric` / `future` / `final` /
`random`) and the geometric offset's parameter (`geometric_p`).
"""
from __future__ import annotations

import torch

from robo_offline.algos.base import deepcopy_frozen
from robo_offline.augment import random_shift
from robo_offline.data.buffer import GOAL_STRATEGIES
from robo_offline.nets import GaussianPolicy, QEnsemble, make_encoder


def check_goal_mix(agent_name: str, goal_mix: dict, geometric_p: float) -> None:
    bad = sorted(set(goal_mix) - set(GOAL_STRATEGIES))
    if bad or not goal_mix or any(float(v) < 0 for v in goal_mix.values()) or sum(goal_mix.values()) <= 0:
        raise ValueError(f"{agent_name} config goal_mix={dict(goal_mix)}: fractions >= 0 (not all 0) of "
                         f"{GOAL_STRATEGIES}")
    if not 0.0 < geometric_p <= 1.0:
        raise ValueError(f"{agent_name} config geometric_p={geometric_p}: must be in (0, 1]")


class GoalConditioned:
    """Mixin for Agent subclasses whose config has `goal_mix`, `geometric_p`, `augment`, `aug_pad`."""

    goal_conditioned = True

    def goal_input_dim(self, feature_dim: int) -> int:
        """Width the goal adds to the heads' input: the encoder's features, or the goal state."""
        return feature_dim if self.image_shape is not None else self.state_dim

    def required_keys(self) -> list[str]:
        goal = "goal_image" if self.image_shape is not None else "goal_state"
        floor = ["goal_offset"] if getattr(self.cfg, "mc_lower_bound", False) else []
        return [*super().required_keys(), goal, *floor]

    def sample_batch(self, buffer, batch_size: int, generator: torch.Generator | None = None) -> dict:
        """A hindsight-relabelled batch with this agent's goal mix (the trainer calls this)."""
        return buffer.sample_goal_conditioned(batch_size, generator, strategy=dict(self.cfg.goal_mix),
                                              geometric_p=self.cfg.geometric_p, augment=False)

    def goal_image(self, batch: dict[str, torch.Tensor], augment: bool) -> torch.Tensor:
        goal = batch["goal_image"]
        return random_shift(goal, self.cfg.aug_pad) if augment and self.cfg.augment else goal

    def encode_obs_and_goal(self, encoder, obs: torch.Tensor, batch: dict[str, torch.Tensor],
                            goal_image: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(E, B, F) features of `obs` (images, or states in state mode) and (E, B, G) of the goal:
        the goal image through the same encoder in the same call, or the goal state as it is."""
        if self.image_shape is None:
            feat = encoder(obs)
            return feat, batch["goal_state"].to(feat.dtype).expand(feat.shape[0], -1, -1)
        b = obs.shape[0]
        both = encoder(torch.cat([obs, goal_image], dim=0))
        return both[:, :b], both[:, b:]

    def build_goal_critic_and_actor(self) -> int:
        """The critic encoder (it reads observations and goals), the Q ensemble, their frozen
        targets, and the advantage-weighted actor on the critic's features (gcql, gciql); returns
        the heads' input width, observation features plus goal."""
        cfg, nets = self.cfg, self.nets
        nets["critic_encoder"] = make_encoder(cfg.encoder, self.image_shape, 1, cfg.drq_feature_dim,
                                              cfg.channels_last)
        feat_dim = nets["critic_encoder"].feature_dim
        in_dim = feat_dim + self.goal_input_dim(feat_dim)
        nets["q"] = QEnsemble(in_dim, self.state_dim, self.action_dim, cfg.q_hidden, cfg.num_qs, cfg.q_layer_norm)
        nets["target_encoder"] = deepcopy_frozen(nets["critic_encoder"])
        nets["target_q"] = deepcopy_frozen(nets["q"])
        nets["actor"] = GaussianPolicy(in_dim + self.state_dim, self.action_dim, cfg.actor_hidden, squash=False,
                                       min_log_std=cfg.min_log_std, max_log_std=cfg.max_log_std)
        return in_dim

    def q_input(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """The observation's critic features beside the goal's (qtrace's Q(s, a, g))."""
        obs, _ = self.encoder_inputs(batch, augment=False)
        return with_goal(*self.encode_obs_and_goal(self.nets["critic_encoder"], obs, batch, batch.get("goal_image")))

    def actor_distribution(self, batch: dict[str, torch.Tensor]):
        """The Gaussian actor on (observation, goal) features, its own encoder's or the critic's;
        `act_samples` ranks its proposals by the goal critic on the same features."""
        nets = self.nets
        encoder = nets["actor_encoder"] if "actor_encoder" in nets else nets["critic_encoder"]
        obs, _ = self.encoder_inputs(batch, augment=False)
        x = with_goal(*self.encode_obs_and_goal(encoder, obs, batch, batch.get("goal_image")))
        mean, log_std = nets["actor"](x, batch["state"])
        return mean, log_std, lambda: x


def monte_carlo_floor(y: torch.Tensor, batch: dict[str, torch.Tensor], gamma: float) -> torch.Tensor:
    """TD targets (B,) raised to gamma^(k-1) for a goal k steps ahead in the transition's own
    episode (`mc_lower_bound`): the data itself reached that goal in k steps, so the best policy's
    value there is at least that (a Monte-Carlo lower bound, as Cal-QL's). It carries value as far
    as an episode reaches, where bootstrapping alone carried it about 15 steps (README)."""
    own = batch["goal_other_episode"] == 0
    return torch.where(own, torch.maximum(y, gamma ** (batch["goal_offset"] - 1)), y)


def with_goal(feat: torch.Tensor, goal_feat: torch.Tensor) -> torch.Tensor:
    """The heads' input: observation features beside goal features, (E, B, F + G)."""
    return torch.cat([feat, goal_feat.expand(feat.shape[0], -1, -1)], dim=-1)

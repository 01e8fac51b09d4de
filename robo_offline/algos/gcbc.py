"""Goal-conditioned behaviour cloning with hindsight goals (the baseline of goal reaching).

The data's action at s is cloned towards a goal g taken from the future of the same episode
(`goal_mix`, default geometric offsets): maximise log pi(a | s, g) under N(tanh(mu), sigma). The
observation and the goal image share the policy's conv encoder (robo_offline.algos.goals).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from robo_offline.algos.base import Agent
from robo_offline.algos.config import AgentConfig
from robo_offline.algos.goals import GoalConditioned, check_goal_mix, with_goal
from robo_offline.nets import GaussianPolicy, make_encoder


@dataclass
class GCBCConfig(AgentConfig):
    name: str = "gcbc"
    actor_hidden: tuple = (1024, 512, 256)
    goal_mix: dict = field(default_factory=lambda: {"geometric": 1.0})  # goals the episode itself reaches
    geometric_p: float = 0.05


class GCBCAgent(GoalConditioned, Agent):
    name = "gcbc"
    config_cls = GCBCConfig
    batch_keys = ("image", "state", "action")
    target_pairs = ()

    def _build(self) -> None:
        cfg, nets = self.cfg, self.nets
        check_goal_mix(self.name, cfg.goal_mix, cfg.geometric_p)
        nets["actor_encoder"] = make_encoder(cfg.encoder, self.image_shape, 1, cfg.drq_feature_dim,
                                             cfg.channels_last)
        feat_dim = nets["actor_encoder"].feature_dim
        nets["actor"] = GaussianPolicy(feat_dim + self.goal_input_dim(feat_dim) + self.state_dim, self.action_dim,
                                       cfg.actor_hidden, squash=False, min_log_std=cfg.min_log_std,
                                       max_log_std=cfg.max_log_std)

    def _make_optimizers(self) -> None:
        self.optimizers = {"actor": self.adam(self.nets.parameters(), self.cfg.actor_lr)}

    def compute_losses(self, batch: dict[str, torch.Tensor]):
        actor, action = self.nets["actor"], batch["action"]
        image, _ = self.encoder_inputs(batch)  # random-shifted images, or states in state mode
        goal_image = self.goal_image(batch, augment=True) if self.image_shape is not None else None
        with self.autocast():
            feat = with_goal(*self.encode_obs_and_goal(self.nets["actor_encoder"], image, batch, goal_image))
            mean, log_std = actor(feat, batch["state"])
            loss = -actor.log_prob(mean, log_std, action).mean()
        metrics = {"mse": (mean.detach() - action).pow(2).mean(), "log_std": log_std.detach().mean()}
        return {"actor": loss}, metrics

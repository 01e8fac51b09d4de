"""Behaviour cloning from images: the baseline every table needs.

A conv encoder and a policy head trained together on the dataset's (image, state) -> action:
`policy: gaussian` maximises the likelihood of the data action under N(tanh(mu), sigma);
`tanh_gaussian` under the squashed Gaussian CQL's actor uses; `deterministic` regresses
tanh(MLP) onto the action (MSE). Random-shift augmentation during training only.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from robo_offline.algos.base import Agent
from robo_offline.algos.config import AgentConfig
from robo_offline.nets import DeterministicPolicy, GaussianPolicy, make_encoder

POLICIES = ("gaussian", "tanh_gaussian", "deterministic")


@dataclass
class BCConfig(AgentConfig):
    name: str = "bc"
    policy: str = "gaussian"  # "gaussian" | "tanh_gaussian" | "deterministic"
    actor_lr: float = 1e-4  # COG's policy learning rate (the encoder's too)


class BCAgent(Agent):
    name = "bc"
    config_cls = BCConfig
    batch_keys = ("image", "state", "action")
    target_pairs = ()

    def _build(self) -> None:
        cfg, nets = self.cfg, self.nets
        if cfg.policy not in POLICIES:
            raise ValueError(f"bc config policy={cfg.policy!r}; choose one of {POLICIES}")
        nets["actor_encoder"] = make_encoder(cfg.encoder, self.image_shape, 1, cfg.drq_feature_dim,
                                             cfg.channels_last)
        in_dim = nets["actor_encoder"].feature_dim + self.state_dim
        if cfg.policy == "deterministic":
            nets["actor"] = DeterministicPolicy(in_dim, self.action_dim, cfg.actor_hidden)
        else:
            nets["actor"] = GaussianPolicy(in_dim, self.action_dim, cfg.actor_hidden,
                                           squash=cfg.policy == "tanh_gaussian",
                                           min_log_std=cfg.min_log_std, max_log_std=cfg.max_log_std)

    def _make_optimizers(self) -> None:
        self.optimizers = {"actor": self.adam(self.nets.parameters(), self.cfg.actor_lr)}

    def _policy_action(self, batch, deterministic):
        feat = self.nets["actor_encoder"](self.encoder_inputs(batch, augment=False)[0])
        actor = self.nets["actor"]
        if self.cfg.policy == "deterministic":
            return actor(feat, batch["state"])
        mean, log_std = actor(feat, batch["state"])
        return actor.mode(mean) if deterministic else actor.sample(mean, log_std, 1)[0][:, 0]

    def compute_losses(self, batch: dict[str, torch.Tensor]):
        cfg, actor = self.cfg, self.nets["actor"]
        state, action = batch["state"], batch["action"]
        image, _ = self.encoder_inputs(batch)  # random-shifted images, or states in state mode

        with self.autocast():
            feat = self.nets["actor_encoder"](image)
            if cfg.policy == "deterministic":
                pred = actor(feat, state)
                loss = (pred - action).pow(2).sum(-1).mean()
                metrics = {"mse": (pred.detach() - action).pow(2).mean()}
            else:
                mean, log_std = actor(feat, state)
                loss = -actor.log_prob(mean, log_std, action).mean()
                metrics = {"mse": (actor.mode(mean).detach() - action).pow(2).mean(),
                           "log_std": log_std.detach().mean()}
        return {"actor": loss}, metrics

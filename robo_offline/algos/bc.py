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
from robo_offline.nets import DeterministicPolicy, GaussianPolicy, make_encoder

POLICIES = ("gaussian", "tanh_gaussian", "deterministic")


@dataclass
class BCConfig:
    encoder: str = "cog"
    drq_feature_dim: int = 50
    policy: str = "gaussian"  # "gaussian" | "tanh_gaussian" | "deterministic"
    actor_hidden: tuple = (1024, 512, 256, 256, 256, 256)  # COG's policy MLP
    min_log_std: float = -5.0
    max_log_std: float = 2.0
    batch_size: int = 256
    lr: float = 1e-4  # COG's policy learning rate
    augment: bool = True
    aug_pad: int = 4
    precision: str = "fp32"
    channels_last: bool = True
    compile: str = "none"


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
        self.optimizers = {"actor": self.adam(self.nets.parameters(), self.cfg.lr)}

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

"""Implicit Q-Learning (Kostrikov et al. 2021) from images.

    V:     expectile regression of min_e Q_target,e(s, a) - V(s)   (expectile tau, 0.7 default)
    Q:     each Q_e(s, a) regressed to r + gamma * (1 - terminated) * V(s')
    actor: advantage-weighted regression, weights exp(beta * (Q_target(s, a) - V(s))) clipped at 100

Layouts as in CQL: `shared` (one critic encoder for the Q heads and V; the actor reads its
features detached) or `cog` (each Q, V and the actor own a CNN). All losses use the networks as
they were at the start of the step (the reference updates V first and lets Q and the actor see
the new V; the difference is one step of V's learning rate).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from robo_offline.algos.base import Agent
from robo_offline.algos.config import TaskCriticConfig
from robo_offline.nets import GaussianPolicy, ValueHead


@dataclass
class IQLConfig(TaskCriticConfig):
    name: str = "iql"
    v_hidden: tuple = (1024, 512, 256)
    value_lr: float = 3e-4
    reward_bias: float = 0.0  # r * reward_scale + reward_bias; -1 for sparse 0/1 tasks (IQL's antmaze setting)
    expectile: float = 0.7  # 0.9 for sparse goal-reaching rewards
    beta: float = 3.0  # inverse temperature of the advantage weights
    max_weight: float = 100.0


def expectile_loss(diff: torch.Tensor, expectile: float) -> torch.Tensor:
    """mean |expectile - 1(diff < 0)| * diff^2, diff = Q - V."""
    weight = (expectile - (diff < 0).to(diff.dtype)).abs()
    return (weight * diff.pow(2)).mean()


class IQLAgent(Agent):
    name = "iql"
    config_cls = IQLConfig

    def _build(self) -> None:
        cfg, nets = self.cfg, self.nets
        # cog layout: members 0..num_qs-1 feed the Q heads, member num_qs feeds V.
        feat_dim = self.build_critic(encoder_members=cfg.num_qs + 1)
        nets["value"] = ValueHead(feat_dim, self.state_dim, cfg.v_hidden)
        nets["actor"] = GaussianPolicy(feat_dim + self.state_dim, self.action_dim, cfg.actor_hidden,
                                       squash=False, min_log_std=cfg.min_log_std, max_log_std=cfg.max_log_std)

    def _make_optimizers(self) -> None:
        cfg = self.cfg
        self.optimizers = {
            "critic": self.adam(self.critic_parameters(), cfg.critic_lr),
            "value": self.adam(self.nets["value"].parameters(), cfg.value_lr),
            "actor": self.adam(self.actor_parameters(), cfg.actor_lr),
        }

    def _split(self, feat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Critic features -> (Q features, V features)."""
        if feat.shape[0] == 1:
            return feat, feat
        return feat[:-1], feat[-1:]

    def q_features(self, critic_feat: torch.Tensor) -> torch.Tensor:
        return self._split(critic_feat)[0]

    def compute_losses(self, batch: dict[str, torch.Tensor]):
        cfg, nets = self.cfg, self.nets
        q, target_q, value, actor = nets["q"], nets["target_q"], nets["value"], nets["actor"]
        state, next_state, action = batch["state"], batch["next_state"], batch["action"]
        reward = batch["reward"] * cfg.reward_scale + cfg.reward_bias
        not_done = 1.0 - batch["terminated"]
        image, next_image = self.encoder_inputs(batch)  # random-shifted images, or states in state mode

        with self.autocast():
            # 1. Encode once: s with gradients (Q and V losses), s' for V(s'), s for the target Qs.
            feat = nets["critic_encoder"](image)
            q_feat, v_feat = self._split(feat)
            with torch.no_grad():
                _, next_v_feat = self._split(nets["critic_encoder"](next_image))
                target_q_feat, _ = self._split(nets["target_encoder"](image))
            actor_feat = self.actor_features(image, v_feat if "actor_encoder" not in nets else None)

            # 2. Value: expectile regression towards the target critic's min Q at the data action.
            with torch.no_grad():
                q_target_sa = target_q(target_q_feat, state, action.unsqueeze(1)).min(0).values[:, 0]
            v = value(v_feat, state).float()
            v_loss = expectile_loss(q_target_sa - v, cfg.expectile)

            # 3. Q: regression to r + gamma * V(s').
            with torch.no_grad():
                y = reward + not_done * cfg.gamma * value(next_v_feat, next_state).float()
            q_data = q(q_feat, state, action.unsqueeze(1))[:, :, 0]  # (E, B)
            q_loss = (q_data - y.unsqueeze(0)).pow(2).mean(1).sum()

            # 4. Actor: advantage-weighted log-likelihood of the data action.
            adv = (q_target_sa - v).detach()
            weights = torch.exp(cfg.beta * adv).clamp(max=cfg.max_weight)
            mean, log_std = actor(actor_feat, state)
            actor_loss = -(weights * actor.log_prob(mean, log_std, action)).mean()

        metrics = {"v": v.detach().mean(), "q_data": q_data.detach().mean(), "adv": adv.mean(),
                   "weight": weights.mean(), "log_std": log_std.detach().mean()}
        return {"value": v_loss, "critic": q_loss, "actor": actor_loss}, metrics

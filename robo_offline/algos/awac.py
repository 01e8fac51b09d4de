"""Advantage-Weighted Actor-Critic (Nair et al. 2020) from images.

    Q:     each Q_e(s, a) regressed to r + gamma * (1 - terminated) * min_e Q_target,e(s', a'), a' ~ pi(.|s')
    actor: maximise sum_i w_i log pi(a_i | s_i), w = B * softmax_batch(A / lambda) (`weights: softmax`,
           as rlkit's AWAC) or exp(A / lambda) clipped at `max_weight` (`weights: exp`), with
           A(s, a) = min_e Q_e(s, a) - mean_k min_e Q_e(s, a_k), a_k ~ pi(.|s).

Offline only here: AWAC's online fine-tuning (adding the agent's own transitions to the buffer)
is not implemented. Layouts as in CQL.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from robo_offline.algos.base import Agent
from robo_offline.algos.config import TaskCriticConfig
from robo_offline.nets import GaussianPolicy

WEIGHTINGS = ("softmax", "exp")


@dataclass
class AWACConfig(TaskCriticConfig):
    name: str = "awac"
    lam: float = 1.0  # advantage temperature lambda
    weights: str = "softmax"  # "softmax" (batch-normalised, rlkit) or "exp" (clipped)
    max_weight: float = 100.0
    num_value_actions: int = 1  # policy samples to estimate V(s) = E_pi Q(s, a)


class AWACAgent(Agent):
    name = "awac"
    config_cls = AWACConfig

    def _build(self) -> None:
        cfg, nets = self.cfg, self.nets
        if cfg.weights not in WEIGHTINGS:
            raise ValueError(f"awac config weights={cfg.weights!r}; choose one of {WEIGHTINGS}")
        feat_dim = self.build_critic(encoder_members=cfg.num_qs)
        nets["actor"] = GaussianPolicy(feat_dim + self.state_dim, self.action_dim, cfg.actor_hidden,
                                       squash=False, min_log_std=cfg.min_log_std, max_log_std=cfg.max_log_std)

    def _make_optimizers(self) -> None:
        cfg = self.cfg
        self.optimizers = {"critic": self.adam(self.critic_parameters(), cfg.critic_lr),
                           "actor": self.adam(self.actor_parameters(), cfg.actor_lr)}

    def compute_losses(self, batch: dict[str, torch.Tensor]):
        cfg, nets = self.cfg, self.nets
        q, target_q, actor = nets["q"], nets["target_q"], nets["actor"]
        state, next_state, action = batch["state"], batch["next_state"], batch["action"]
        reward = batch["reward"] * cfg.reward_scale
        not_done = 1.0 - batch["terminated"]
        b = action.shape[0]
        image, next_image = self.encoder_inputs(batch)  # random-shifted images, or states in state mode

        with self.autocast():
            # 1. Encode once.
            feat = nets["critic_encoder"](image)
            with torch.no_grad():
                target_next_feat = nets["target_encoder"](next_image)
                actor_next_feat = self.actor_features(next_image)
            actor_feat = self.actor_features(image, feat)

            # 2. Q: TD target with a' ~ pi(.|s').
            with torch.no_grad():
                next_mean, next_log_std = actor(actor_next_feat, next_state)
                next_action, _ = actor.sample(next_mean, next_log_std, 1)
                q_next = target_q(target_next_feat, next_state, next_action).min(0).values[:, 0]
                y = reward + not_done * cfg.gamma * q_next
            proj = q.project(feat, state)
            q_data = q.from_projection(proj, action.unsqueeze(1))[:, :, 0]  # (E, B)
            q_loss = (q_data - y.unsqueeze(0)).pow(2).mean(1).sum()

            # 3. Advantage of the data action over the policy's, with the current critic (no grads).
            mean, log_std = actor(actor_feat, state)
            with torch.no_grad():
                pi_actions, _ = actor.sample(mean, log_std, cfg.num_value_actions)
                q_sa = q.from_projection(proj, torch.cat([action.unsqueeze(1), pi_actions], 1)).min(0).values
                adv = q_sa[:, 0] - q_sa[:, 1:].mean(1)
                if cfg.weights == "softmax":
                    weights = torch.softmax(adv / cfg.lam, dim=0) * b
                else:
                    weights = torch.exp(adv / cfg.lam).clamp(max=cfg.max_weight)

            # 4. Actor: advantage-weighted log-likelihood.
            actor_loss = -(weights * actor.log_prob(mean, log_std, action)).mean()

        metrics = {"q_data": q_data.detach().mean(), "target_q": y.mean(), "adv": adv.mean(),
                   "weight_max": weights.max(), "log_std": log_std.detach().mean()}
        return {"critic": q_loss, "actor": actor_loss}, metrics

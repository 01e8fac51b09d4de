"""Goal-conditioned Implicit Q-Learning (IQL, Kostrikov et al. 2021, on hindsight goals): the
in-sample baseline of goal reaching, which never queries Q at actions the data does not show.

    V:     expectile regression of min_e Q_target,e(s, a, g) - V(s, g)
    Q:     each Q_e(s, a, g) regressed to r + gamma * (1 - reached) * V(s', g), with `mc_lower_bound`
           at least gamma^(k-1) for a goal k steps ahead in the own episode (goals.monte_carlo_floor)
    actor: advantage-weighted regression, weights exp(beta * (Q_target(s, a, g) - V(s, g))) clipped,
           on the goals of the transition's own episode

Rewards and `reached` come from the buffer's hindsight relabelling (robo_offline.algos.goals).
One critic encoder reads observations and goals; the actor reads its features detached.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from robo_offline.algos.base import Agent
from robo_offline.algos.config import CriticConfig
from robo_offline.algos.goals import GoalConditioned, check_goal_mix, monte_carlo_floor, with_goal
from robo_offline.algos.iql import expectile_loss
from robo_offline.nets import ValueHead


@dataclass
class GCIQLConfig(CriticConfig):
    name: str = "gciql"
    actor_hidden: tuple = (1024, 512, 256)
    v_hidden: tuple = (1024, 512, 256)
    value_lr: float = 3e-4
    # hindsight goals: fractions of geometric | future | final (same episode), random (another episode)
    goal_mix: dict = field(default_factory=lambda: {"geometric": 0.8, "random": 0.2})
    geometric_p: float = 0.05
    mc_lower_bound: bool = False  # Q target >= gamma^(k-1) for same-episode goals k steps ahead
    expectile: float = 0.9  # the IQL paper's setting for sparse goal-reaching rewards
    beta: float = 10.0
    max_weight: float = 100.0


class GCIQLAgent(GoalConditioned, Agent):
    name = "gciql"
    config_cls = GCIQLConfig

    def _build(self) -> None:
        cfg = self.cfg
        check_goal_mix(self.name, cfg.goal_mix, cfg.geometric_p)
        in_dim = self.build_goal_critic_and_actor()
        self.nets["value"] = ValueHead(in_dim, self.state_dim, cfg.v_hidden)

    def _make_optimizers(self) -> None:
        cfg = self.cfg
        self.optimizers = {"critic": self.adam(self.critic_parameters(), cfg.critic_lr),
                           "value": self.adam(self.nets["value"].parameters(), cfg.value_lr),
                           "actor": self.adam(self.nets["actor"].parameters(), cfg.actor_lr)}

    def compute_losses(self, batch: dict[str, torch.Tensor]):
        cfg, nets = self.cfg, self.nets
        q, target_q, value, actor = nets["q"], nets["target_q"], nets["value"], nets["actor"]
        state, next_state, action, reward = batch["state"], batch["next_state"], batch["action"], batch["reward"]
        not_done = 1.0 - batch["terminated"]
        image, next_image = self.encoder_inputs(batch)  # random-shifted images, or states in state mode
        goal_image = self.goal_image(batch, augment=True) if self.image_shape is not None else None

        with self.autocast():
            # 1. Encode once: s and g with gradients, s' for V(s', g), s and g for the target Qs.
            obs_feat, goal_feat = self.encode_obs_and_goal(nets["critic_encoder"], image, batch, goal_image)
            feat = with_goal(obs_feat, goal_feat)
            with torch.no_grad():
                next_feat = with_goal(nets["critic_encoder"](next_image), goal_feat.detach())
                target_feat = with_goal(*self.encode_obs_and_goal(nets["target_encoder"], image, batch, goal_image))

            # 2. Value: expectile regression towards the target critic's min Q at the data action.
            with torch.no_grad():
                q_target_sa = target_q(target_feat, state, action.unsqueeze(1)).min(0).values[:, 0]
            v = value(feat, state).float()
            v_loss = expectile_loss(q_target_sa - v, cfg.expectile)

            # 3. Q: regression to r + gamma * V(s', g); no bootstrap where s' reached g.
            with torch.no_grad():
                y = reward + not_done * cfg.gamma * value(next_feat, next_state).float()
                if cfg.mc_lower_bound:
                    y = monte_carlo_floor(y, batch, cfg.gamma)
            q_data = q(feat, state, action.unsqueeze(1))[:, :, 0]
            q_loss = (q_data - y.unsqueeze(0)).pow(2).mean(1).sum()

            # 4. Actor: advantage-weighted log-likelihood of the data action.
            adv = (q_target_sa - v).detach()
            own = 1.0 - batch["goal_other_episode"]  # the actor learns from goals its own episode reaches
            weights = torch.exp(cfg.beta * adv).clamp(max=cfg.max_weight) * own
            mean, log_std = actor(feat.detach(), state)
            actor_loss = -(weights * actor.log_prob(mean, log_std, action)).sum() / own.sum().clamp(min=1.0)

        metrics = {"v": v.detach().mean(), "q_data": q_data.detach().mean(), "target_q": y.mean(),
                   "reached": reward.mean(), "adv": adv.mean(), "weight": weights.mean(),
                   "log_std": log_std.detach().mean()}
        return {"value": v_loss, "critic": q_loss, "actor": actor_loss}, metrics

"""Goal-conditioned conservative Q-learning from unlabelled play data (Actionable Models,
Chebotar et al. 2021; the MT-Opt family), with an advantage-weighted actor.

Batches are relabelled with hindsight goals (robo_offline.algos.goals): reward 1 and the end of
the episode where s' reaches the goal g, else 0.

    Q:     each Q_e(s, a, g) regressed to r + gamma * (1 - reached) * c * max_k min_e Q_target,e(s', a'_k, g),
           a'_k ~ pi(.|s', g), k <= `backup_samples` (1: the policy's value; more: EMaQ's max over
           policy samples, Ghasemipour et al. 2021, a greedier backup that still only asks Q about
           actions the policy proposes); c = 1, except for goals from other episodes when `chaining`
           is off (then their target is the reward alone: they act as negatives, as without goal chaining);
           with `clip_target` the bootstrapped value is clipped to [0, 1] first (HER's clip_return);
           with `mc_lower_bound` the target is at least gamma^(k-1) for a goal k steps ahead in the
           transition's own episode (robo_offline.algos.goals.monte_carlo_floor)
    conservative term, by `conservative`:
      negatives  Actionable Models' artificial negatives: mean over N uniform actions of
                 Q_e(s, a_unif, g)^2 (pushed towards 0), times `conservative_weight`
      cql        the CQL(H) penalty (robo_offline.algos.cql.cql_penalty), times `conservative_weight`
    actor, by `actor_objective`:
      awr      maximise sum_i w_i log pi(a_i | s_i, g_i) over the goals of the transition's own episode
               (a goal from another episode says nothing about the data's action), w = exp(beta * A)
               clipped at `max_weight`,
               A = min_e Q_e(s, a, g) - mean_k min_e Q_e(s, a_k, g), k <= N, a_k ~ pi(.|s, g)  (as AWAC:
               the policy stays on the data's actions, weighted towards those the critic ranks higher)
      ddpg_bc  minimise -min_e Q_e(s, mu(s, g), g) / mean|Q| over all goals, plus `bc_alpha` x the
               data action's negative log-likelihood over own-episode goals (TD3+BC, Fujimoto & Gu
               2021; OGBench's GCIQL option): the actor follows Q's gradient in the action instead
               of reweighting the data's actions, so it can leave a sub-skill the data repeats often

With chaining on (default), goals from other episodes are bootstrapped like any other goal, so
value can cross from one episode's end into another's (Actionable Models' goal chaining).
Layout: one critic encoder reads observations and goals; the actor reads its features detached.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from robo_offline.algos.base import Agent, sample_uniform_actions
from robo_offline.algos.config import CriticConfig
from robo_offline.algos.cql import cql_penalty
from robo_offline.algos.goals import GoalConditioned, check_goal_mix, monte_carlo_floor, with_goal

CONSERVATIVE_TERMS = ("negatives", "cql")
ACTOR_OBJECTIVES = ("awr", "ddpg_bc")


@dataclass
class GCQLConfig(CriticConfig):
    name: str = "gcql"
    actor_hidden: tuple = (1024, 512, 256)
    # hindsight relabelling: goal_mix fractions of geometric | future | final (same episode), random (another)
    goal_mix: dict = field(default_factory=lambda: {"geometric": 0.8, "random": 0.2})
    geometric_p: float = 0.05  # mean offset 20 steps, clipped at the episode's end
    chaining: bool = True  # bootstrap through goals from other episodes (False: reward-only targets)
    backup_samples: int = 1  # policy actions at s' the TD target maximises over (1: no max; >1: EMaQ)
    mc_lower_bound: bool = False  # target >= gamma^(k-1) for same-episode goals k steps ahead (docstring)
    clip_target: bool = False  # clip the bootstrapped value to [0, 1], the returns 0/1 rewards that end at
                               #   the goal allow (HER's clip_return): a bound on the max's overestimation
    # conservatism on actions the data does not show
    conservative: str = "negatives"  # "negatives" (Actionable Models) | "cql"
    conservative_weight: float = 1.0
    num_actions: int = 2  # uniform and policy actions per state (conservative term; the policy's also estimate V)
    cql_temp: float = 1.0
    # actor
    actor_objective: str = "awr"  # "awr" | "ddpg_bc" (docstring)
    bc_alpha: float = 1.0  # ddpg_bc: weight of the data action's NLL beside the normalised Q term
    beta: float = 100.0  # inverse temperature of the advantage weights: with 0/1 rewards a step is worth ~0.01
                         #   of Q, so 10 barely discriminates (GoalReach state, seed 0: 0.24 at 10, 0.41 at 100)
    max_weight: float = 100.0


class GCQLAgent(GoalConditioned, Agent):
    name = "gcql"
    config_cls = GCQLConfig
    batch_keys = ("image", "state", "action", "next_image", "next_state", "reward", "terminated",
                  "goal_other_episode")

    def _build(self) -> None:
        cfg = self.cfg
        if cfg.conservative not in CONSERVATIVE_TERMS:
            raise ValueError(f"gcql config conservative={cfg.conservative!r}; choose one of {CONSERVATIVE_TERMS}")
        if cfg.actor_objective not in ACTOR_OBJECTIVES:
            raise ValueError(f"gcql config actor_objective={cfg.actor_objective!r}; choose one of {ACTOR_OBJECTIVES}")
        check_goal_mix(self.name, cfg.goal_mix, cfg.geometric_p)
        if cfg.backup_samples < 1:
            raise ValueError(f"gcql config backup_samples={cfg.backup_samples}: must be >= 1")
        self.build_goal_critic_and_actor()

    def _make_optimizers(self) -> None:
        cfg = self.cfg
        self.optimizers = {"critic": self.adam(self.critic_parameters(), cfg.critic_lr),
                           "actor": self.adam(self.nets["actor"].parameters(), cfg.actor_lr)}

    def compute_losses(self, batch: dict[str, torch.Tensor]):
        cfg, nets = self.cfg, self.nets
        q, target_q, actor = nets["q"], nets["target_q"], nets["actor"]
        state, next_state, action, reward = batch["state"], batch["next_state"], batch["action"], batch["reward"]
        bootstrap = 1.0 - batch["terminated"]
        if not cfg.chaining:
            bootstrap = bootstrap * (1.0 - batch["goal_other_episode"])
        b, n = action.shape[0], cfg.num_actions
        image, next_image = self.encoder_inputs(batch)  # random-shifted images, or states in state mode
        goal_image = self.goal_image(batch, augment=True) if self.image_shape is not None else None

        with self.autocast():
            # 1. Encode each image once: s and g with gradients, s' for the actor, s' and g for the target.
            obs_feat, goal_feat = self.encode_obs_and_goal(nets["critic_encoder"], image, batch, goal_image)
            feat = with_goal(obs_feat, goal_feat)  # (1, B, F + G)
            with torch.no_grad():
                actor_next_feat = with_goal(nets["critic_encoder"](next_image), goal_feat.detach())
                target_next_feat = with_goal(*self.encode_obs_and_goal(nets["target_encoder"], next_image,
                                                                       batch, goal_image))

            # 2. TD target: a'_k ~ pi(.|s', g), min over the target Qs, max over the k samples; no
            #    bootstrap where s' reached g.
            with torch.no_grad():
                next_mean, next_log_std = actor(actor_next_feat, next_state)
                next_action, _ = actor.sample(next_mean, next_log_std, cfg.backup_samples)
                q_next = target_q(target_next_feat, next_state, next_action).min(0).values.max(1).values
                if cfg.clip_target:
                    q_next = q_next.clamp(0.0, 1.0)
                y = reward + bootstrap * cfg.gamma * q_next
                if cfg.mc_lower_bound:
                    y = monte_carlo_floor(y, batch, cfg.gamma)

            # 3. Q at the data action, N uniform actions and N policy actions: one head call.
            mean, log_std = actor(feat.detach(), state)
            with torch.no_grad():
                pi_actions, pi_logp = actor.sample(mean, log_std, n)
            rand_actions = sample_uniform_actions(b, n, self.action_dim, action)
            proj = q.project(feat, state)
            q_all = q.from_projection(proj, torch.cat([action.unsqueeze(1), rand_actions, pi_actions], 1))
            q_data, q_rand, q_pi = q_all[:, :, 0], q_all[:, :, 1:1 + n], q_all[:, :, 1 + n:]
            td_loss = (q_data - y.unsqueeze(0)).pow(2).mean(1).sum()

            # 4. Conservative term on actions the data does not show.
            if cfg.conservative == "negatives":
                conservative = q_rand.pow(2).mean((1, 2))
            else:
                conservative = cql_penalty(q_data, q_rand, q_pi, pi_logp, q_pi, pi_logp, self.action_dim,
                                           cfg.cql_temp)  # policy samples at s fill both policy slots
            critic_loss = td_loss + cfg.conservative_weight * conservative.sum()

            # 5. Actor (no gradient into the critic). The data's action is learnt from goals its own
            #    episode reaches: for a goal from another episode it says nothing about reaching it
            #    (OGBench's GCIQL samples so too).
            own = 1.0 - batch["goal_other_episode"]
            log_lik = actor.log_prob(mean, log_std, action)
            with torch.no_grad():
                adv = q_data.min(0).values - q_pi.min(0).values.mean(1)
                weights = torch.exp(cfg.beta * adv).clamp(max=cfg.max_weight) * own
            if cfg.actor_objective == "awr":
                actor_loss = -(weights * log_lik).sum() / own.sum().clamp(min=1.0)
            else:
                q_mean = q.from_projection(proj.detach(), mean.unsqueeze(1), detach_params=True).min(0).values[:, 0]
                q_term = -q_mean.mean() / q_mean.detach().abs().mean().clamp(min=1e-6)
                actor_loss = q_term - cfg.bc_alpha * (own * log_lik).sum() / own.sum().clamp(min=1.0)

        metrics = {"td_loss": td_loss.detach(), "conservative": conservative.detach().mean(),
                   "q_data": q_data.detach().mean(), "q_rand": q_rand.detach().mean(),
                   "q_policy": q_pi.detach().mean(), "target_q": y.mean(), "reached": reward.mean(),
                   "adv": adv.mean(), "weight_max": weights.max(), "log_std": log_std.detach().mean(),
                   # the data action's plain NLL (own-episode goals): on validation data, the actor's fit
                   "data_nll": -(own * log_lik.detach()).sum() / own.sum().clamp(min=1.0)}
        return {"critic": critic_loss, "actor": actor_loss}, metrics

"""Conservative Q-Learning (Kumar et al. 2020) from images, with COG's settings as defaults.

SAC-style actor (tanh-Gaussian) and twin Q with Polyak targets, plus the CQL(H) penalty of the
reference implementation (rlkit `min_q_version=3`): per Q function,

    temp * mean_s logsumexp_j( [Q(s, a_unif) - log(0.5^d),
                                Q(s, a ~ pi(.|s')) - log pi(a|s'),
                                Q(s, a ~ pi(.|s))  - log pi(a|s)] / temp )  -  mean Q(s, a_data)

with N samples of each kind (no -log(3N) constant; "policy actions from s' scored at s" as in
the reference). Deterministic backup (no entropy term in the target) by default, optional max-Q
backup, optional Lagrange weight with a target gap, BC warm start for `policy_eval_start` steps.
`bc_weight` > 0 keeps a behaviour-cloning term in the actor loss after the warm start (as TD3+BC
does; not in COG): on narrow scripted data the SAC actor otherwise leaves the data's path
(README, the CQL results).

Layouts: `shared` (default, DrQ): one critic encoder feeds both Q heads; the actor reads its
features detached; the target critic has its own (Polyak) encoder. `cog` (COG's layout): each Q
function and the actor own a CNN (run as one grouped conv stack), the target Qs their copies.
In both, each image is encoded once per update and its features are tiled over the actions.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from robo_offline.algos.base import Agent, sample_uniform_actions
from robo_offline.algos.config import TaskCriticConfig
from robo_offline.nets import GaussianPolicy


@dataclass
class CQLConfig(TaskCriticConfig):
    name: str = "cql"
    actor_lr: float = 1e-4  # COG's policy learning rate (also the entropy temperature's)
    # SAC part
    auto_alpha: bool = True  # entropy temperature tuned towards target_entropy (-action_dim if None)
    alpha_init: float = 1.0
    target_entropy: float | None = None
    deterministic_backup: bool = True
    max_q_backup: bool = False
    max_q_backup_actions: int = 10
    policy_eval_start: int = 10000  # BC warm start: actor maximises log pi(a_data|s) before this step
    warm_start_entropy: bool = True  # rlkit's warm start keeps the entropy bonus; False: pure likelihood
    bc_weight: float = 0.0  # after the warm start, + bc_weight * -log pi(a_data|s) in the actor loss (0: COG)
    # CQL part
    cql_alpha: float = 1.0  # min_q_weight
    cql_temp: float = 1.0
    num_actions: int = 1  # N samples of each kind in the logsumexp
    lagrange: bool = False
    target_gap: float = 5.0  # Lagrange threshold tau
    cql_clip_diff_min: float = -math.inf  # CORL: clamp each sample's logsumexp - Q(s, a_data); -200 in its sparse recipe
    cql_clip_diff_max: float = math.inf


def cql_penalty(q_data: torch.Tensor, q_rand: torch.Tensor, q_curr: torch.Tensor, logp_curr: torch.Tensor,
                q_next: torch.Tensor, logp_next: torch.Tensor, action_dim: int, temp: float = 1.0,
                clip_min: float = -math.inf, clip_max: float = math.inf) -> torch.Tensor:
    """CQL(H) penalty per Q function, importance-sampled logsumexp minus data Q.

    q_data (E, B); q_rand, q_curr, q_next (E, B, N); logp_curr, logp_next (B, N) -> (E,).
    Each sample's difference is clamped to [clip_min, clip_max] (CORL's `cql_clip_diff_*`; no
    clamp by default), which bounds how far the penalty can push Q below the data.
    """
    log_uniform_density = action_dim * math.log(0.5)
    cat = torch.cat([q_rand - log_uniform_density,
                     q_next - logp_next.unsqueeze(0),
                     q_curr - logp_curr.unsqueeze(0)], dim=2)
    diff = temp * torch.logsumexp(cat / temp, dim=2) - q_data
    return diff.clamp(clip_min, clip_max).mean(1)


class CQLAgent(Agent):
    name = "cql"
    config_cls = CQLConfig

    def _build(self) -> None:
        cfg, nets = self.cfg, self.nets
        feat_dim = self.build_critic(encoder_members=cfg.num_qs)
        nets["actor"] = GaussianPolicy(feat_dim + self.state_dim, self.action_dim, cfg.actor_hidden, squash=True,
                                       min_log_std=cfg.min_log_std, max_log_std=cfg.max_log_std)
        scalars = {"log_alpha": torch.nn.Parameter(torch.tensor(math.log(cfg.alpha_init)),
                                                   requires_grad=cfg.auto_alpha)}
        if cfg.lagrange:
            scalars["log_alpha_prime"] = torch.nn.Parameter(torch.tensor(0.0))
        nets["scalars"] = torch.nn.ParameterDict(scalars)
        self.target_entropy = -float(self.action_dim) if cfg.target_entropy is None else cfg.target_entropy

    def _make_optimizers(self) -> None:
        cfg, nets = self.cfg, self.nets
        self.optimizers = {"critic": self.adam(self.critic_parameters(), cfg.critic_lr),
                           "actor": self.adam(self.actor_parameters(), cfg.actor_lr)}
        if cfg.auto_alpha:
            self.optimizers["alpha"] = self.adam([nets["scalars"]["log_alpha"]], cfg.actor_lr)
        if cfg.lagrange:
            self.optimizers["alpha_prime"] = self.adam([nets["scalars"]["log_alpha_prime"]], cfg.critic_lr)

    def compute_losses(self, batch: dict[str, torch.Tensor]):
        cfg, nets = self.cfg, self.nets
        q, target_q, actor, scalars = nets["q"], nets["target_q"], nets["actor"], nets["scalars"]
        state, next_state, action = batch["state"], batch["next_state"], batch["action"]
        reward = batch["reward"] * cfg.reward_scale
        not_done = 1.0 - batch["terminated"]
        b, a_dim, n = action.shape[0], self.action_dim, cfg.num_actions
        n_backup = cfg.max_q_backup_actions if cfg.max_q_backup else 1
        image, next_image = self.encoder_inputs(batch)  # random-shifted images, or states in state mode

        with self.autocast():
            # 1. Encode each image once. The critic encoder takes the critic's gradients only.
            feat = nets["critic_encoder"](image)  # (E, B, F)
            with torch.no_grad():
                target_next_feat = nets["target_encoder"](next_image)
            actor_feat = self.actor_features(image, feat)  # detached critic features, or the actor's CNN
            with torch.no_grad():
                actor_next_feat = self.actor_features(next_image)

            # 2. Policy at s (reparameterised; sample 0 for the actor loss, 1..N for CQL) and at s'.
            mean, log_std = actor(actor_feat, state)
            pi_actions, pi_logp = actor.sample(mean, log_std, 1 + n)
            with torch.no_grad():
                next_mean, next_log_std = actor(actor_next_feat, next_state)
                next_actions, next_logp = actor.sample(next_mean, next_log_std, n_backup + n)

            # 3. Entropy temperature.
            log_alpha = scalars["log_alpha"]
            alpha = log_alpha.exp().detach()
            alpha_loss = -(log_alpha * (pi_logp[:, 0] + self.target_entropy).detach()).mean()

            # 4. Actor: SAC loss against the (frozen) critic (plus bc_weight x the data's NLL), or BC
            #    during the warm start.
            proj = q.project(feat, state)  # (E, B, H): the image part of Q's first layer, once per image
            q_pi = q.from_projection(proj.detach(), pi_actions[:, :1], detach_params=True).min(0).values[:, 0]
            nll_data = -actor.log_prob(mean, log_std, action)
            sac_loss = (alpha * pi_logp[:, 0] - q_pi + cfg.bc_weight * nll_data).mean()
            bc_entropy = alpha * pi_logp[:, 0] if cfg.warm_start_entropy else torch.zeros_like(pi_logp[:, 0])
            bc_loss = (bc_entropy + nll_data).mean()
            warm = (self._step_t < cfg.policy_eval_start).float()
            actor_loss = warm * bc_loss + (1.0 - warm) * sac_loss

            # 5. TD target: min over target Qs (of the max over sampled actions with max-Q backup).
            with torch.no_grad():
                q_next = target_q(target_next_feat, next_state, next_actions[:, :n_backup])  # (E, B, n_backup)
                q_next = q_next.max(2).values.min(0).values
                q_next_pi = q_next
                if not cfg.deterministic_backup and not cfg.max_q_backup:
                    q_next = q_next - alpha * next_logp[:, 0]
                y = reward + not_done * cfg.gamma * q_next

            # 6. Q at the data action, N uniform, N policy-at-s and N policy-at-s' actions: one head call.
            rand_actions = sample_uniform_actions(b, n, a_dim, action)
            actions = torch.cat([action.unsqueeze(1), rand_actions, pi_actions[:, 1:].detach(),
                                 next_actions[:, n_backup:]], dim=1)
            q_all = q.from_projection(proj, actions)  # (E, B, 1 + 3N)
            q_data = q_all[:, :, 0]
            td_loss = (q_data - y.unsqueeze(0)).pow(2).mean(1).sum()  # sum over Qs of each MSE
            penalty = cql_penalty(q_data, q_all[:, :, 1:1 + n], q_all[:, :, 1 + n:1 + 2 * n],
                                  pi_logp[:, 1:].detach(), q_all[:, :, 1 + 2 * n:], next_logp[:, n_backup:],
                                  a_dim, cfg.cql_temp, cfg.cql_clip_diff_min, cfg.cql_clip_diff_max) * cfg.cql_alpha

            # 7. Conservative weight: fixed (cql_alpha) or a Lagrange multiplier driving penalty -> target_gap.
            losses = {"actor": actor_loss}
            if cfg.auto_alpha:
                losses["alpha"] = alpha_loss
            if cfg.lagrange:
                alpha_prime = scalars["log_alpha_prime"].exp().clamp(0.0, 1e6)
                losses["critic"] = td_loss + (alpha_prime.detach() * (penalty - cfg.target_gap)).sum()
                losses["alpha_prime"] = -(alpha_prime * (penalty.detach() - cfg.target_gap)).mean()
            else:
                alpha_prime = torch.ones((), device=action.device)
                losses["critic"] = td_loss + penalty.sum()

        metrics = {
            "td_loss": td_loss.detach(), "cql_penalty": penalty.detach().mean(), "alpha": alpha,
            "alpha_prime": alpha_prime.detach(), "entropy": -pi_logp[:, 0].detach().mean(),
            "q_data": q_data.detach().mean(), "q_rand": q_all[:, :, 1:1 + n].detach().mean(),
            "q_policy": q_pi.detach().mean(), "q_next_pi": q_next_pi.mean(),
            "q_gap": q_pi.detach().mean() - q_data.detach().mean(), "target_q": y.mean(), "bc_warm_start": warm,
        }
        return losses, metrics

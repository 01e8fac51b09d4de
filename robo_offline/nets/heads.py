"""MLP heads on encoder features: a vectorised Q ensemble, value heads and policies.

Ensembles keep their weights stacked as (E, in, out) and run as one batched matmul; a (1, R, in)
input broadcasts over the members. The Q ensemble splits its first layer into a part for the
(image features, state) and a part for the action, which is the same function as one Linear on
their concatenation, so the large feature projection runs once per image, not once per sampled
action: `project(feat, state)` then `from_projection(proj, actions)` for any number of actions.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

LOG_2 = math.log(2.0)


def _uniform_(t: torch.Tensor, bound: float) -> torch.Tensor:
    return nn.init.uniform_(t, -bound, bound)


class EnsembleLinear(nn.Module):
    """E independent Linear layers: (E or 1, R, in) -> (E, R, out)."""

    def __init__(self, ensemble: int, in_dim: int, out_dim: int, bias: bool = True,
                 init_bound: float | None = None):
        super().__init__()
        bound = 1.0 / math.sqrt(in_dim) if init_bound is None else init_bound
        self.weight = nn.Parameter(_uniform_(torch.empty(ensemble, in_dim, out_dim), bound))
        self.bias = nn.Parameter(_uniform_(torch.empty(ensemble, 1, out_dim), bound)) if bias else None

    def forward(self, x: torch.Tensor, detach_params: bool = False) -> torch.Tensor:
        w, b = self.weight, self.bias
        if detach_params:
            w, b = w.detach(), (b.detach() if b is not None else None)
        y = torch.matmul(x, w)
        return y + b if b is not None else y


class EnsembleLayerNorm(nn.Module):
    """LayerNorm over the last dim with a gain and shift per member: (E, R, H) -> (E, R, H)."""

    def __init__(self, ensemble: int, dim: int):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ensemble, 1, dim))
        self.bias = nn.Parameter(torch.zeros(ensemble, 1, dim))

    def forward(self, x: torch.Tensor, detach_params: bool = False) -> torch.Tensor:
        w, b = (self.weight.detach(), self.bias.detach()) if detach_params else (self.weight, self.bias)
        return F.layer_norm(x, x.shape[-1:]) * w + b


class EnsembleMLP(nn.Module):
    """ReLU MLP ensemble: (E or 1, R, in) -> (E, R, out); the output layer starts near zero.

    `layer_norm=True` normalises each hidden layer before its ReLU (a critic's extrapolation to
    inputs the data does not cover stays bounded by the output layer's weights)."""

    def __init__(self, ensemble: int, in_dim: int, hidden: tuple[int, ...], out_dim: int,
                 final_init: float = 3e-3, layer_norm: bool = False):
        super().__init__()
        dims = [in_dim, *hidden]
        self.hidden = nn.ModuleList(EnsembleLinear(ensemble, i, o) for i, o in zip(dims[:-1], dims[1:]))
        self.norms = nn.ModuleList(EnsembleLayerNorm(ensemble, o) for o in hidden) if layer_norm else None
        self.out = EnsembleLinear(ensemble, dims[-1], out_dim, init_bound=final_init)

    def forward(self, x: torch.Tensor, detach_params: bool = False) -> torch.Tensor:
        for i, layer in enumerate(self.hidden):
            x = layer(x, detach_params)
            if self.norms is not None:
                x = self.norms[i](x, detach_params)
            x = F.relu(x)
        return self.out(x, detach_params)


class QEnsemble(nn.Module):
    """E Q functions Q_e(features, state, action), each a ReLU MLP over the concatenation."""

    def __init__(self, feature_dim: int, state_dim: int, action_dim: int,
                 hidden: tuple[int, ...] = (1024, 512, 256), ensemble: int = 2, layer_norm: bool = False):
        super().__init__()
        self.ensemble, self.action_dim = ensemble, action_dim
        bound = 1.0 / math.sqrt(feature_dim + state_dim + action_dim)
        self.obs_in = EnsembleLinear(ensemble, feature_dim + state_dim, hidden[0], init_bound=bound)
        self.act_in = EnsembleLinear(ensemble, action_dim, hidden[0], bias=False, init_bound=bound)
        self.in_norm = EnsembleLayerNorm(ensemble, hidden[0]) if layer_norm else None
        self.rest = EnsembleMLP(ensemble, hidden[0], tuple(hidden[1:]), 1, layer_norm=layer_norm)

    def project(self, feat: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        """(E or 1, B, F) features and (B, S) state -> (E, B, H) first-layer pre-activations."""
        x = torch.cat([feat, state.to(feat.dtype).expand(feat.shape[0], -1, -1)], dim=-1)
        return self.obs_in(x)

    def from_projection(self, proj: torch.Tensor, actions: torch.Tensor,
                        detach_params: bool = False) -> torch.Tensor:
        """(E, B, H) projection and (B, K, A) actions -> Q values (E, B, K)."""
        e, b, h = proj.shape
        k = actions.shape[1]
        a = self.act_in(actions.reshape(1, b * k, -1).to(proj.dtype), detach_params)  # (E, B*K, H)
        x = (proj.unsqueeze(2) + a.view(e, b, k, h)).view(e, b * k, h)
        if self.in_norm is not None:
            x = self.in_norm(x, detach_params)
        return self.rest(F.relu(x), detach_params).view(e, b, k).float()

    def forward(self, feat: torch.Tensor, state: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        return self.from_projection(self.project(feat, state), actions)


class ValueHead(nn.Module):
    """V(features, state): (E or 1, B, F), (B, S) -> (B,) using member 0 of the features."""

    def __init__(self, feature_dim: int, state_dim: int, hidden: tuple[int, ...] = (1024, 512, 256)):
        super().__init__()
        self.mlp = EnsembleMLP(1, feature_dim + state_dim, tuple(hidden), 1)

    def forward(self, feat: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        x = torch.cat([feat, state.to(feat.dtype).unsqueeze(0)], dim=-1)
        return self.mlp(x)[0, :, 0]


class GaussianPolicy(nn.Module):
    """Gaussian policy head on (features, state).

    `squash=True`: tanh-Gaussian (SAC / CQL): a = tanh(u), u ~ N(mean, std), log-probabilities
    include the tanh change of variables. `squash=False`: N(tanh(mean), std) on the action
    itself (IQL / AWAC style); sampled actions are clipped to [-1, 1].
    """

    def __init__(self, in_dim: int, action_dim: int, hidden: tuple[int, ...] = (256, 256, 256),
                 squash: bool = True, min_log_std: float = -20.0, max_log_std: float = 2.0,
                 atanh_eps: float = 1e-6):
        super().__init__()
        self.squash, self.action_dim = squash, action_dim
        self.min_log_std, self.max_log_std, self.atanh_eps = min_log_std, max_log_std, atanh_eps
        self.mlp = EnsembleMLP(1, in_dim, tuple(hidden), 2 * action_dim)

    def forward(self, feat: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(1, B, F) features, (B, S) state -> mean, log_std (B, A), float32."""
        x = torch.cat([feat, state.to(feat.dtype).unsqueeze(0)], dim=-1)
        mean, log_std = self.mlp(x)[0].float().chunk(2, dim=-1)
        if not self.squash:
            mean = torch.tanh(mean)
        return mean, log_std.clamp(self.min_log_std, self.max_log_std)

    def mode(self, mean: torch.Tensor) -> torch.Tensor:
        return torch.tanh(mean) if self.squash else mean

    def sample(self, mean: torch.Tensor, log_std: torch.Tensor, n: int,
               generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """n reparameterised samples per row: actions (B, n, A), log-probabilities (B, n)."""
        eps = torch.randn(mean.shape[0], n, mean.shape[1], device=mean.device, dtype=mean.dtype,
                          generator=generator)
        u = mean.unsqueeze(1) + log_std.exp().unsqueeze(1) * eps
        logp = _normal_log_prob_from_eps(eps, log_std.unsqueeze(1))
        if self.squash:
            return torch.tanh(u), logp - _tanh_log_det(u).sum(-1)
        return u.clamp(-1.0, 1.0), logp

    def log_prob(self, mean: torch.Tensor, log_std: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """log pi(a | s) of given actions (B, A) -> (B,)."""
        if self.squash:
            a = actions.clamp(-1.0 + self.atanh_eps, 1.0 - self.atanh_eps)
            u = torch.atanh(a)
            eps = (u - mean) * torch.exp(-log_std)
            return _normal_log_prob_from_eps(eps, log_std) - _tanh_log_det(u).sum(-1)
        eps = (actions - mean) * torch.exp(-log_std)
        return _normal_log_prob_from_eps(eps, log_std)


def _normal_log_prob_from_eps(eps: torch.Tensor, log_std: torch.Tensor) -> torch.Tensor:
    return (-0.5 * eps.pow(2) - log_std - 0.5 * math.log(2 * math.pi)).sum(-1)


def _tanh_log_det(u: torch.Tensor) -> torch.Tensor:
    """log(1 - tanh(u)^2), computed stably."""
    return 2.0 * (LOG_2 - u - F.softplus(-2.0 * u))


class DeterministicPolicy(nn.Module):
    """a = tanh(MLP(features, state)) (deterministic behaviour cloning)."""

    def __init__(self, in_dim: int, action_dim: int, hidden: tuple[int, ...] = (256, 256, 256)):
        super().__init__()
        self.mlp = EnsembleMLP(1, in_dim, tuple(hidden), action_dim)

    def forward(self, feat: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        x = torch.cat([feat, state.to(feat.dtype).unsqueeze(0)], dim=-1)
        return torch.tanh(self.mlp(x)[0].float())

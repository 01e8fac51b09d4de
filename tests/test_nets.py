"""Networks: augmentation, encoders, the vectorised Q ensemble, policies, observation helper."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from robo_offline.augment import random_shift
from robo_offline.nets import (
    ConvEncoder, DeterministicPolicy, EnsembleMLP, GaussianPolicy, QEnsemble, ValueHead, obs_to_batch,
)


pytestmark = pytest.mark.usefixtures("one_thread")


def _images(b=6, h=16, w=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (b, 3, h, w), dtype=torch.uint8, generator=g)


# ---- random shift ---------------------------------------------------------------------------

def test_random_shift_matches_replicate_pad_and_crop():
    x, pad = _images(8, 12, 10), 3
    out = random_shift(x, pad, torch.Generator().manual_seed(1))
    shifts = torch.randint(0, 2 * pad + 1, (8, 2), generator=torch.Generator().manual_seed(1))
    padded = F.pad(x.float(), (pad,) * 4, mode="replicate")
    for i, (dy, dx) in enumerate(shifts.tolist()):
        assert torch.equal(out[i].float(), padded[i, :, dy:dy + 12, dx:dx + 10])
    assert out.dtype == torch.uint8 and out.shape == x.shape


def test_random_shift_is_batched_per_sample_and_pad0_is_identity():
    # one image repeated: different outputs mean each sample drew its own offset
    x = _images(1).expand(32, -1, -1, -1).contiguous()
    out = random_shift(x, 4, torch.Generator().manual_seed(0))
    assert len({o.numpy().tobytes() for o in out}) > 10
    assert torch.equal(random_shift(x, 0), x)
    with pytest.raises(ValueError, match="B, C, H, W"):
        random_shift(x[0], 4)


# ---- encoders ----------------------------------------------------------------------------

def test_cog_encoder_shape_at_48():
    enc = ConvEncoder("cog", (3, 48, 48))
    assert enc(_images(2, 48, 48)).shape == (1, 2, 16 * 12 * 12)


@pytest.mark.parametrize("kind", ["cog", "drq"])
def test_encoder_ensemble_equals_separate_encoders(kind):
    """E encoders as one grouped conv stack compute what E separate encoders compute."""
    torch.manual_seed(0)
    ens = ConvEncoder(kind, (3, 24, 24), ensemble=2, feature_dim=8, channels_last=False)
    x = _images(3, 24, 24)
    out = ens(x)
    assert out.shape == (2, 3, ens.feature_dim)
    for e in range(2):
        single = ConvEncoder(kind, (3, 24, 24), ensemble=1, feature_dim=8, channels_last=False)
        with torch.no_grad():
            for (name, p_single), p_ens in zip(single.named_parameters(), ens.parameters()):
                if p_ens.dim() == 4 or (p_ens.dim() == 1 and "convs" in name):  # conv weight / bias
                    c = p_single.shape[0]
                    p_single.copy_(p_ens[e * c:(e + 1) * c])
                else:  # (E, ...) stacked parameters
                    p_single.copy_(p_ens[e:e + 1])
        torch.testing.assert_close(single(x)[0], out[e], rtol=1e-5, atol=1e-5)


def test_cog_encoder_is_conv_relu_pool_reference():
    """Pooling before the ReLU is the same function as COG's conv -> ReLU -> pool."""
    torch.manual_seed(0)
    enc = ConvEncoder("cog", (3, 16, 16), channels_last=True)
    convs = [m for m in enc.convs if isinstance(m, nn.Conv2d)]
    x = _images(2)
    h = x.float() / 255
    h = F.max_pool2d(F.relu(convs[0](h)), 2)
    h = F.max_pool2d(F.relu(convs[1](h)), 2)
    h = F.relu(convs[2](h)).flatten(1)
    torch.testing.assert_close(enc(x)[0], h, rtol=1e-5, atol=1e-5)


def test_encoder_rejects_float_images_and_unknown_kind():
    with pytest.raises(TypeError, match="uint8"):
        ConvEncoder("cog", (3, 16, 16))(torch.zeros(1, 3, 16, 16))
    with pytest.raises(ValueError, match="known encoders"):
        ConvEncoder("resnet", (3, 16, 16))


# ---- Q ensemble ----------------------------------------------------------------------------

def test_q_ensemble_matches_concatenated_mlp():
    torch.manual_seed(0)
    e, b, k, f, s, a = 2, 5, 3, 7, 4, 2
    q = QEnsemble(f, s, a, hidden=(16, 8), ensemble=e).double()
    feat, state, act = torch.randn(1, b, f).double(), torch.randn(b, s).double(), torch.randn(b, k, a).double()
    out = q(feat, state, act)
    assert out.shape == (e, b, k)
    for m in range(e):
        w1 = torch.cat([q.obs_in.weight[m], q.act_in.weight[m]], 0)  # (f + s + a, 16)
        x = torch.cat([feat[0].unsqueeze(1).expand(b, k, f), state.unsqueeze(1).expand(b, k, s), act], -1)
        h = F.relu(x @ w1 + q.obs_in.bias[m])
        h = F.relu(h @ q.rest.hidden[0].weight[m] + q.rest.hidden[0].bias[m])
        ref = (h @ q.rest.out.weight[m] + q.rest.out.bias[m])[..., 0]
        torch.testing.assert_close(out[m].float(), ref.float())


def test_q_ensemble_layer_norm_normalises_each_hidden_layer_before_its_relu():
    torch.manual_seed(0)
    e, b, k, f, s, a = 2, 5, 3, 7, 4, 2
    q = QEnsemble(f, s, a, hidden=(16, 8), ensemble=e, layer_norm=True).double()
    with torch.no_grad():  # gains and shifts away from their (1, 0) start, so the test sees them
        for norm in (q.in_norm, q.rest.norms[0]):
            norm.weight.add_(torch.randn_like(norm.weight))
            norm.bias.add_(torch.randn_like(norm.bias))
    feat, state, act = torch.randn(1, b, f).double(), torch.randn(b, s).double(), torch.randn(b, k, a).double()
    out = q(feat, state, act)
    for m in range(e):
        w1 = torch.cat([q.obs_in.weight[m], q.act_in.weight[m]], 0)
        x = torch.cat([feat[0].unsqueeze(1).expand(b, k, f), state.unsqueeze(1).expand(b, k, s), act], -1)
        h = x @ w1 + q.obs_in.bias[m]
        h = F.relu(F.layer_norm(h, (16,)) * q.in_norm.weight[m] + q.in_norm.bias[m])
        h = h @ q.rest.hidden[0].weight[m] + q.rest.hidden[0].bias[m]
        h = F.relu(F.layer_norm(h, (8,)) * q.rest.norms[0].weight[m] + q.rest.norms[0].bias[m])
        ref = (h @ q.rest.out.weight[m] + q.rest.out.bias[m])[..., 0]
        torch.testing.assert_close(out[m], ref.float())


@pytest.mark.parametrize("layer_norm", [False, True])
def test_q_ensemble_members_are_independent_and_detach_params_works(layer_norm):
    torch.manual_seed(0)
    q = QEnsemble(6, 2, 3, hidden=(8, 8), ensemble=2, layer_norm=layer_norm)
    feat, state, act = torch.randn(2, 4, 6), torch.randn(4, 2), torch.randn(4, 1, 3)
    q(feat, state, act)[0].sum().backward()
    for p in q.parameters():
        assert p.grad[1].abs().sum() == 0 and p.grad[0].abs().sum() > 0
    q.zero_grad()
    act.requires_grad_(True)
    proj = q.project(feat, state).detach()
    q.from_projection(proj, act, detach_params=True).sum().backward()
    assert all(p.grad is None or p.grad.abs().sum() == 0 for p in q.parameters())
    assert act.grad.abs().sum() > 0


def test_value_head_and_ensemble_mlp_shapes():
    assert ValueHead(6, 2, (8,))(torch.randn(1, 4, 6), torch.randn(4, 2)).shape == (4,)
    assert EnsembleMLP(3, 5, (7,), 2)(torch.randn(1, 4, 5)).shape == (3, 4, 2)


# ---- policies ----------------------------------------------------------------------------

def test_tanh_gaussian_log_prob_matches_torch_distributions():
    torch.manual_seed(0)
    pi = GaussianPolicy(5, 3, (8,), squash=True).double()
    feat, state = torch.randn(1, 4, 3).double(), torch.randn(4, 2).double()
    mean, log_std = pi(feat, state)
    mean, log_std = mean.double(), log_std.double()
    actions, logp = pi.sample(mean, log_std, 6)
    assert actions.shape == (4, 6, 3) and logp.shape == (4, 6) and actions.abs().max() < 1
    dist = torch.distributions.TransformedDistribution(
        torch.distributions.Independent(torch.distributions.Normal(mean.unsqueeze(1), log_std.exp().unsqueeze(1)), 1),
        [torch.distributions.TanhTransform()])
    torch.testing.assert_close(logp, dist.log_prob(actions), rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(pi.log_prob(mean, log_std, actions[:, 0]), logp[:, 0], rtol=1e-6, atol=1e-6)


def test_gaussian_log_prob_matches_normal():
    torch.manual_seed(0)
    pi = GaussianPolicy(5, 3, (8,), squash=False, min_log_std=-5, max_log_std=2)
    mean, log_std = pi(torch.randn(1, 4, 3), torch.randn(4, 2))
    assert mean.abs().max() <= 1
    a = torch.rand(4, 3) * 2 - 1
    ref = torch.distributions.Normal(mean, log_std.exp()).log_prob(a).sum(-1)
    torch.testing.assert_close(pi.log_prob(mean, log_std, a), ref)
    actions, _ = pi.sample(mean, log_std, 5)
    assert actions.abs().max() <= 1


def test_deterministic_policy_range():
    out = DeterministicPolicy(5, 3, (8,))(torch.randn(1, 4, 3) * 100, torch.randn(4, 2))
    assert out.shape == (4, 3) and out.abs().max() <= 1


# ---- observation helper -----------------------------------------------------------------------

def test_obs_to_batch():
    obs = {"image": np.arange(16 * 16 * 3, dtype=np.uint8).reshape(16, 16, 3), "state": np.ones(4, np.float64)}
    b = obs_to_batch(obs, "cpu", (3, 16, 16), 4)
    assert b["image"].shape == (1, 3, 16, 16) and b["image"].dtype == torch.uint8
    assert torch.equal(b["image"][0, 1], torch.from_numpy(obs["image"][:, :, 1]))
    assert b["state"].shape == (1, 4) and b["state"].dtype == torch.float32
    with pytest.raises(ValueError, match="image_size=48"):
        obs_to_batch(obs, "cpu", (3, 48, 48), 4)
    with pytest.raises(ValueError, match="state"):
        obs_to_batch(obs, "cpu", (3, 16, 16), 5)
    assert torch.equal(b["state"], torch.ones(1, 4))

"""Agents (CQL, BC, IQL, AWAC): API contract, gradient routing, loss maths, a tiny learning task,
checkpoints. Tiny images and networks so the file runs in well under a minute on 2 CPU cores."""
from __future__ import annotations

import io
import math

import numpy as np
import pytest
import torch

from robo_offline.algos import AGENTS, make_agent
from robo_offline.algos.cql import cql_penalty
from robo_offline.algos.iql import expectile_loss
from ranked_acting import assert_q_ranked_acting

AGENT_NAMES = ["cql", "bc", "iql", "awac"]
IMG, S, A = (3, 16, 16), 4, 2
SMALL = {
    "cql": dict(q_hidden=[32, 32], actor_hidden=[32, 32], policy_eval_start=2),
    "bc": dict(actor_hidden=[32, 32]),
    "iql": dict(q_hidden=[32, 32], v_hidden=[32, 32], actor_hidden=[32, 32]),
    "awac": dict(q_hidden=[32, 32], actor_hidden=[32, 32]),
}
# which networks each loss (keyed by its optimiser) may send gradients to
ROUTES = {
    ("cql", "shared"): {"critic": {"critic_encoder", "q"}, "actor": {"actor"}, "alpha": {"scalars"}},
    ("cql", "cog"): {"critic": {"critic_encoder", "q"}, "actor": {"actor", "actor_encoder"}, "alpha": {"scalars"}},
    ("bc", "shared"): {"actor": {"actor_encoder", "actor"}},
    ("iql", "shared"): {"value": {"value", "critic_encoder"}, "critic": {"critic_encoder", "q"}, "actor": {"actor"}},
    ("iql", "cog"): {"value": {"value", "critic_encoder"}, "critic": {"critic_encoder", "q"},
                     "actor": {"actor", "actor_encoder"}},
    ("awac", "shared"): {"critic": {"critic_encoder", "q"}, "actor": {"actor"}},
    ("awac", "cog"): {"critic": {"critic_encoder", "q"}, "actor": {"actor", "actor_encoder"}},
}


pytestmark = pytest.mark.usefixtures("one_thread")


def agent(name, **overrides):
    return make_agent(name, IMG, S, A, {**SMALL[name], "precision": "fp32", **overrides}, "cpu")


def batch(b=8, seed=0, img=IMG):
    g = torch.Generator().manual_seed(seed)
    return {
        "image": torch.randint(0, 256, (b, *img), dtype=torch.uint8, generator=g),
        "next_image": torch.randint(0, 256, (b, *img), dtype=torch.uint8, generator=g),
        "state": torch.randn(b, S, generator=g), "next_state": torch.randn(b, S, generator=g),
        "action": torch.rand(b, A, generator=g) * 2 - 1,
        "reward": torch.rand(b, generator=g), "terminated": (torch.rand(b, generator=g) < 0.2).float(),
    }


def obs(seed=0):
    rng = np.random.default_rng(seed)
    return {"image": rng.integers(0, 256, (16, 16, 3), dtype=np.uint8), "state": rng.normal(size=S).astype(np.float32)}


# ---- API ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", AGENT_NAMES)
def test_update_and_act_contract(name):
    torch.manual_seed(0)
    ag = agent(name)
    for _ in range(3):
        metrics = ag.update(batch())
    assert ag.step == 3 and int(ag._step_t) == 3
    assert metrics and all(torch.is_tensor(v) and v.dim() == 0 and not v.requires_grad for v in metrics.values())
    assert all(math.isfinite(float(v)) for v in metrics.values()), metrics
    a = ag.act(obs(), deterministic=True)
    assert a.shape == (A,) and a.dtype == np.float32 and np.all(np.abs(a) <= 1)
    np.testing.assert_array_equal(a, ag.act(obs(), deterministic=True))  # no augmentation when acting
    assert ag.act(obs(), deterministic=False).shape == (A,)


@pytest.mark.parametrize("name", AGENT_NAMES)
def test_evaluate_losses_reports_what_update_would_without_a_step(name):
    """validation: the held-out losses are the numbers `update` logs for the same batch and random
    draws, and reading them moves no parameter and no step counter (an update then does)."""
    torch.manual_seed(0)
    ag = agent(name, augment=False)
    params = [p.detach().clone() for net in ag.nets.values() for p in net.parameters()]
    torch.manual_seed(5)
    held_out = ag.evaluate_losses(batch(seed=1))
    assert all(torch.equal(a, p) for a, p in zip(params, (p for net in ag.nets.values() for p in net.parameters())))
    assert ag.step == 0 and int(ag._step_t) == 0
    assert all(math.isfinite(float(v)) and not v.requires_grad for v in held_out.values())
    torch.manual_seed(5)
    updated = ag.update(batch(seed=1))
    assert set(held_out) == set(updated)
    for key, value in updated.items():
        assert float(held_out[key]) == pytest.approx(float(value), rel=1e-5, abs=1e-7), key
    assert not all(torch.equal(a, p) for a, p in zip(params, (p for net in ag.nets.values() for p in net.parameters())))


def test_make_agent_errors():
    with pytest.raises(ValueError, match="known agents: awac, bc, cql, gcbc, gciql, gcql, iql"):
        make_agent("sac", IMG, S, A, {}, "cpu")
    with pytest.raises(ValueError, match="unknown cql config key.*'lr_q'.*valid keys"):
        make_agent("cql", IMG, S, A, {"lr_q": 1.0}, "cpu")
    with pytest.raises(ValueError, match="renamed: policy_lr -> actor_lr, q_lr -> critic_lr; valid keys"):
        make_agent("cql", IMG, S, A, {"policy_lr": 1.0, "q_lr": 1.0}, "cpu")
    with pytest.raises(ValueError, match="config is for agent 'bc'"):
        make_agent("cql", IMG, S, A, {"name": "bc"}, "cpu")
    with pytest.raises(ValueError, match="choose one of"):
        make_agent("cql", IMG, S, A, {"compile": "fast"}, "cpu")
    assert set(AGENTS) == {*AGENT_NAMES, "gcql", "gcbc", "gciql"}  # the goal agents: tests/test_goal_agents.py


@pytest.mark.parametrize("name", AGENT_NAMES)
def test_bad_batches_fail_clearly(name):
    ag = agent(name)
    with pytest.raises(ValueError, match="image size must match"):
        ag.update(batch(img=(3, 24, 24)))
    b = batch()
    del b["action"]
    with pytest.raises(ValueError, match="missing \\['action'\\]"):
        ag.update(b)


# ---- gradient routing and targets --------------------------------------------------------------

@pytest.mark.parametrize("name,layout", sorted(ROUTES))
def test_each_loss_reaches_only_its_own_networks(name, layout):
    torch.manual_seed(0)
    ag = agent(name, **({} if name == "bc" else {"layout": layout}))
    losses, _ = ag.compute_losses(batch())
    assert set(losses) == set(ROUTES[name, layout]) == set(ag.optimizers)
    for key, loss in losses.items():
        params = [(mod, p) for mod, net in ag.nets.items() for p in net.parameters() if p.requires_grad]
        grads = torch.autograd.grad(loss, [p for _, p in params], retain_graph=True, allow_unused=True)
        touched = {mod for (mod, _), g in zip(params, grads) if g is not None and g.abs().sum() > 0}
        assert touched == ROUTES[name, layout][key], (key, touched)
    assert all(not p.requires_grad for k in ("target_encoder", "target_q") if k in ag.nets
               for p in ag.nets[k].parameters())


@pytest.mark.parametrize("name", ["cql", "iql", "awac"])
def test_targets_move_only_by_polyak(name):
    torch.manual_seed(0)
    ag = agent(name, tau=0.1)
    ag.update(batch())
    for target, online in ag.target_pairs:
        before = [p.detach().clone() for p in ag.nets[target].parameters()]
        ag.update(batch(seed=1))
        for old, new, on in zip(before, ag.nets[target].parameters(), ag.nets[online].parameters()):
            torch.testing.assert_close(new, old + 0.1 * (on - old))


# ---- loss maths ----------------------------------------------------------------------------

@pytest.mark.parametrize("temp", [1.0, 0.5])
def test_cql_penalty_matches_direct_float64(temp):
    g = torch.Generator().manual_seed(0)
    e, b, n, d = 2, 5, 3, 7
    q_data, q_rand, q_curr, q_next = (torch.randn(*s, generator=g) for s in [(e, b), (e, b, n), (e, b, n), (e, b, n)])
    logp_curr, logp_next = torch.randn(b, n, generator=g), torch.randn(b, n, generator=g)
    got = cql_penalty(q_data, q_rand, q_curr, logp_curr, q_next, logp_next, d, temp)
    for m in range(e):
        total = 0.0
        for i in range(b):
            terms = [float(q_rand[m, i, j]) - d * math.log(0.5) for j in range(n)]
            terms += [float(q_next[m, i, j]) - float(logp_next[i, j]) for j in range(n)]
            terms += [float(q_curr[m, i, j]) - float(logp_curr[i, j]) for j in range(n)]
            total += temp * math.log(sum(math.exp(t / temp) for t in terms))
        want = total / b - sum(float(q_data[m, i]) for i in range(b)) / b
        assert abs(float(got[m]) - want) < 1e-5, (m, float(got[m]), want)


def test_cql_agent_penalty_uses_the_q_values_it_trains(monkeypatch):
    """The penalty inside the agent is the formula above, applied to Q of the sampled actions."""
    import robo_offline.algos.cql as cql_module

    seen = {}
    real = cql_module.cql_penalty

    def spy(*args):
        seen["args"], seen["out"] = args, real(*args)
        return seen["out"]

    monkeypatch.setattr(cql_module, "cql_penalty", spy)
    ag = agent("cql", num_actions=4, cql_alpha=2.0)
    _, metrics = ag.compute_losses(batch())
    q_data, q_rand = seen["args"][0], seen["args"][1]
    assert q_rand.shape == (2, 8, 4) and seen["args"][6] == A
    torch.testing.assert_close(metrics["cql_penalty"], 2.0 * seen["out"].mean())
    torch.testing.assert_close(metrics["q_data"], q_data.mean())


def test_cql_bc_weight_adds_the_data_nll_to_the_actor_loss_after_the_warm_start():
    """actor loss(bc_weight=w) - actor loss(0) = w * mean -log pi(a_data|s), same nets and noise."""
    b = batch()
    losses = {}
    for w in (0.0, 0.5):
        torch.manual_seed(3)
        ag = agent("cql", policy_eval_start=0, bc_weight=w, augment=False)
        torch.manual_seed(4)
        losses[w], _ = ag.compute_losses(b)
    actor = ag.nets["actor"]
    with torch.no_grad():
        image, _ = ag.encoder_inputs(b, augment=False)
        mean, log_std = actor(ag.actor_features(image, ag.nets["critic_encoder"](image)), b["state"])
        nll = -actor.log_prob(mean, log_std, b["action"]).mean()
    torch.testing.assert_close(losses[0.5]["actor"] - losses[0.0]["actor"], 0.5 * nll, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(losses[0.5]["critic"], losses[0.0]["critic"])  # the critic does not see it


def test_expectile_loss_formula():
    diff = torch.tensor([-2.0, -0.5, 0.0, 1.0, 3.0], dtype=torch.float64)
    tau = 0.7
    want = sum((tau if x >= 0 else 1 - tau) * x * x for x in diff.tolist()) / len(diff)
    assert abs(float(expectile_loss(diff, tau)) - want) < 1e-12
    assert abs(float(expectile_loss(diff, 0.5)) - 0.5 * float((diff ** 2).mean())) < 1e-12


# ---- a tiny task each agent must learn --------------------------------------------------------

STEPS = 200


def colour_task(n, seed):
    """One-step bandit: the image is red (+1) or green (-1) with noise; reward = sign * a[0]."""
    g = torch.Generator().manual_seed(seed)
    sign = torch.randint(0, 2, (n,), generator=g).float() * 2 - 1
    img = torch.randint(0, 60, (n, *IMG), generator=g, dtype=torch.uint8)
    img[:, 0] += ((sign > 0).to(torch.uint8) * 190).view(n, 1, 1)
    img[:, 1] += ((sign < 0).to(torch.uint8) * 190).view(n, 1, 1)
    return img, sign


@pytest.mark.parametrize("name", AGENT_NAMES)
def test_agent_learns_a_tiny_image_bandit(name):
    torch.manual_seed(0)
    lr = {"cql": dict(critic_lr=3e-3, actor_lr=3e-3, policy_eval_start=0, auto_alpha=False, alpha_init=0.05),
          "bc": dict(actor_lr=3e-3), "iql": dict(critic_lr=3e-3, value_lr=3e-3, actor_lr=3e-3, beta=10.0),
          "awac": dict(critic_lr=3e-3, actor_lr=3e-3, lam=0.1)}[name]
    ag = agent(name, **lr)
    n = 512
    img, sign = colour_task(n, seed=1)
    if name == "bc":  # expert data with noise
        action = torch.stack([sign, torch.zeros(n)], 1) + 0.2 * torch.randn(n, A)
        action = action.clamp(-1, 1)
    else:  # random data: the agent must find the rewarding side
        action = torch.rand(n, A) * 2 - 1
    reward = sign * action[:, 0]
    data = {"image": img, "next_image": img, "state": torch.zeros(n, S), "next_state": torch.zeros(n, S),
            "action": action, "reward": reward, "terminated": torch.ones(n)}
    key = {"cql": "td_loss", "bc": "actor_loss", "iql": "critic_loss", "awac": "critic_loss"}[name]
    curve = []
    for _ in range(STEPS):
        idx = torch.randint(0, n, (32,))
        curve.append(float(ag.update({k: v[idx] for k, v in data.items()})[key]))
    assert np.mean(curve[-15:]) < np.mean(curve[:15]), curve

    test_img, test_sign = colour_task(40, seed=2)
    returns = [float(s) * ag.act({"image": im.permute(1, 2, 0).numpy(), "state": np.zeros(S, np.float32)})[0]
               for im, s in zip(test_img, test_sign)]
    assert np.mean(returns) > 0.4, np.mean(returns)  # a random policy scores 0 in expectation


# ---- checkpoints ----------------------------------------------------------------------------

def _roundtrip(state):
    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


@pytest.mark.parametrize("name", AGENT_NAMES)
def test_state_dict_roundtrip_resumes_exactly(name):
    torch.manual_seed(0)
    ag = agent(name)
    for i in range(3):
        ag.update(batch(seed=i))
    state = _roundtrip(ag.state_dict())
    torch.manual_seed(123)
    expected = ag.update(batch(seed=9))

    torch.manual_seed(7)
    fresh = agent(name)
    fresh.load_state_dict(state)
    assert fresh.step == 3
    torch.manual_seed(123)
    got = fresh.update(batch(seed=9))
    for key in expected:
        torch.testing.assert_close(got[key], expected[key], rtol=0, atol=0)


def test_loading_another_agents_checkpoint_fails_clearly():
    state = _roundtrip(agent("bc").state_dict())
    with pytest.raises(ValueError, match="checkpoint holds a 'bc' agent, not 'cql'"):
        agent("cql").load_state_dict(state)
    big = make_agent("cql", (3, 24, 24), S, A, {**SMALL["cql"], "precision": "fp32"}, "cpu")
    with pytest.raises(ValueError, match="images \\(3, 24, 24\\).*image_size"):
        agent("cql").load_state_dict(_roundtrip(big.state_dict()))
    wide = _roundtrip(agent("cql", q_hidden=[16]).state_dict())
    with pytest.raises(ValueError, match="does not fit"):
        agent("cql").load_state_dict(wide)


def test_cql_options_run():
    """Lagrange, max-Q backup, stochastic backup, N=3, fixed alpha, the COG layout, the DrQ encoder."""
    torch.manual_seed(0)
    for opts in [dict(lagrange=True, target_gap=1.0), dict(max_q_backup=True, max_q_backup_actions=3),
                 dict(deterministic_backup=False, num_actions=3), dict(auto_alpha=False, alpha_init=0.2),
                 dict(layout="cog"), dict(encoder="drq", augment=False), dict(precision="bf16")]:
        ag = agent("cql", **opts)
        m = ag.update(batch())
        assert all(math.isfinite(float(v)) for v in m.values()), (opts, m)
    lag = agent("cql", lagrange=True)
    assert "alpha_prime" in lag.optimizers and "alpha_prime_loss" in lag.update(batch())


@pytest.mark.parametrize("name,layout", [("cql", "shared"), ("iql", "cog"), ("awac", "shared")])
def test_q_values_are_the_ensemble_minimum_at_the_given_actions(name, layout):
    ag = agent(name, layout=layout)
    o, actions = obs(), np.array([[0.5, -0.5], [0.0, 0.0], [-0.9, 0.9]], np.float32)
    got = ag.q_values(o, actions)
    b = {"image": torch.from_numpy(o["image"]).permute(2, 0, 1)[None], "state": torch.from_numpy(o["state"])[None]}
    with torch.no_grad():
        feat = ag.q_features(ag.nets["critic_encoder"](ag.encoder_inputs(b, augment=False)[0]))
        want = ag.nets["q"](feat, b["state"], torch.from_numpy(actions)[None]).min(0).values[0].numpy()
    assert got.shape == (3,) and np.allclose(got, want) and len(set(got.round(6))) == 3
    with pytest.raises(ValueError, match="no Q function"):
        agent("bc").q_values(o, actions)


@pytest.mark.parametrize("name, layout", [("cql", "shared"), ("cql", "cog"), ("bc", "shared"), ("iql", "cog")])
def test_acting_state_dict_acts_the_same_and_drops_critics_and_optimisers(name, layout):
    """What ships (`robo-offline export`): the actor and its encoder only, acting exactly as before."""
    overrides = {} if name == "bc" else {"layout": layout}
    trained = agent(name, **overrides)
    for step in range(3):
        trained.update(batch(seed=step))
    acting = trained.acting_state_dict()
    assert acting["optimizers"] == {} and not any(k.startswith(("q.", "target_", "value.")) for k in acting["nets"])
    fresh = agent(name, **overrides)
    fresh.load_state_dict(acting)
    for seed in range(3):
        np.testing.assert_array_equal(fresh.act(obs(seed)), trained.act(obs(seed)))
    broken = {**acting, "nets": {k: v for k, v in acting["nets"].items() if not k.startswith("actor.")}}
    with pytest.raises(ValueError, match="does not fit"):
        agent(name, **overrides).load_state_dict(broken)


@pytest.mark.parametrize("name,layout", [("cql", "shared"), ("iql", "cog"), ("awac", "shared")])
def test_act_samples_takes_the_proposal_the_critic_ranks_highest(name, layout):
    assert_q_ranked_acting(lambda **kw: agent(name, layout=layout, **kw),
                           [batch(seed=step) for step in range(3)], [obs(seed) for seed in range(4)])

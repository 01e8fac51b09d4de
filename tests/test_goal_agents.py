"""Goal-conditioned agents (gcql, gcbc, gciql): API contract on images and states, gradient routing,
the conservative term on a toy problem, checkpoints. Tiny networks; runs in seconds."""
from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from robo_offline.algos import make_agent
from robo_offline.algos.goals import with_goal
from ranked_acting import assert_q_ranked_acting

IMG, S, A = (3, 16, 16), 4, 2
SMALL = {"gcql": dict(q_hidden=[32, 32], actor_hidden=[32, 32]), "gcbc": dict(actor_hidden=[32, 32]),
         "gciql": dict(q_hidden=[32, 32], v_hidden=[32, 32], actor_hidden=[32, 32])}
NAMES = sorted(SMALL)
ROUTES = {"gcql": {"critic": {"critic_encoder", "q"}, "actor": {"actor"}},
          "gcbc": {"actor": {"actor_encoder", "actor"}},
          "gciql": {"critic": {"critic_encoder", "q"}, "value": {"critic_encoder", "value"}, "actor": {"actor"}}}

pytestmark = pytest.mark.usefixtures("one_thread")


def agent(name, images=True, **overrides):
    return make_agent(name, IMG if images else None, S, A, {**SMALL[name], "precision": "fp32", **overrides}, "cpu")


def goal_batch(b=8, seed=0, images=True):
    g = torch.Generator().manual_seed(seed)
    reached = (torch.rand(b, generator=g) < 0.3).float()
    batch = {"state": torch.randn(b, S, generator=g), "next_state": torch.randn(b, S, generator=g),
             "action": torch.rand(b, A, generator=g) * 2 - 1, "reward": reached, "terminated": reached,
             "goal_state": torch.randn(b, S, generator=g),
             "goal_other_episode": (torch.rand(b, generator=g) < 0.2).float()}
    if images:
        for key in ("image", "next_image", "goal_image"):
            batch[key] = torch.randint(0, 256, (b, *IMG), dtype=torch.uint8, generator=g)
    return batch


def goal_obs(images=True, seed=0):
    rng = np.random.default_rng(seed)
    obs = {"state": rng.normal(size=S).astype(np.float32)}
    if images:
        obs["image"] = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
        obs["desired_goal"] = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    else:
        obs["desired_goal"] = rng.normal(size=S).astype(np.float32)
    return obs


@pytest.mark.parametrize("images", [True, False], ids=["images", "state"])
@pytest.mark.parametrize("name", NAMES)
def test_update_and_act_on_the_goal(name, images):
    torch.manual_seed(0)
    ag = agent(name, images)
    for _ in range(3):
        metrics = ag.update(goal_batch(images=images))
    assert ag.step == 3 and all(torch.isfinite(v) for v in metrics.values()), metrics
    obs = goal_obs(images)
    a = ag.act(obs)
    assert a.shape == (A,) and np.all(np.abs(a) <= 1)
    np.testing.assert_array_equal(a, ag.act(obs))
    other_goal = {**obs, "desired_goal": goal_obs(images, seed=1)["desired_goal"]}
    assert not np.array_equal(a, ag.act(other_goal)), "the action ignores the goal"


@pytest.mark.parametrize("name", NAMES)
def test_held_out_losses_match_the_update_on_the_same_goal_batch(name):
    """validation (train's val/<metric>): `evaluate_losses` gives a goal batch's update metrics, no step."""
    torch.manual_seed(0)
    ag = agent(name, images=False)
    torch.manual_seed(5)
    held_out = ag.evaluate_losses(goal_batch(images=False))
    assert ag.step == 0
    torch.manual_seed(5)
    updated = ag.update(goal_batch(images=False))
    assert set(held_out) == set(updated)
    for key, value in updated.items():
        assert float(held_out[key]) == pytest.approx(float(value), rel=1e-5, abs=1e-7), key


@pytest.mark.parametrize("name", NAMES)
def test_a_batch_without_the_goal_fails_clearly(name):
    batch = goal_batch()
    del batch["goal_image"]
    with pytest.raises(ValueError, match="missing \\['goal_image'\\]"):
        agent(name).update(batch)
    batch = goal_batch(images=False)
    del batch["goal_state"]
    with pytest.raises(ValueError, match="missing \\['goal_state'\\]"):
        agent(name, images=False).update(batch)


def test_bad_goal_configs_fail_clearly():
    with pytest.raises(ValueError, match="goal_mix"):
        agent("gcql", goal_mix={"nearby": 1.0})
    with pytest.raises(ValueError, match="geometric_p"):
        agent("gcbc", geometric_p=0.0)
    with pytest.raises(ValueError, match="conservative"):
        agent("gcql", conservative="pessimistic")
    with pytest.raises(ValueError, match="actor_objective"):
        agent("gcql", actor_objective="greedy")


@pytest.mark.parametrize("name, overrides", [(n, {}) for n in NAMES] + [("gcql", {"actor_objective": "ddpg_bc"}),
                                                                        ("gcql", {"q_layer_norm": True}),
                                                                        ("gciql", {"q_layer_norm": True})])
def test_each_loss_reaches_only_its_own_networks_and_the_goal_matters(name, overrides):
    torch.manual_seed(0)
    ag = agent(name, **overrides)
    batch = goal_batch()
    batch["goal_image"].requires_grad_(False)
    losses, _ = ag.compute_losses(batch)
    assert set(losses) == set(ROUTES[name]) == set(ag.optimizers)
    params = [(mod, p) for mod, net in ag.nets.items() for p in net.parameters() if p.requires_grad]
    for key, loss in losses.items():
        grads = torch.autograd.grad(loss, [p for _, p in params], retain_graph=True, allow_unused=True)
        touched = {mod for (mod, _), g in zip(params, grads) if g is not None and g.abs().sum() > 0}
        assert touched == ROUTES[name][key], (key, touched)
    # another goal, same everything else: another loss
    torch.manual_seed(0)
    again, _ = ag.compute_losses({**batch, "goal_image": goal_batch(seed=1)["goal_image"]})
    assert all(not torch.equal(losses[k], again[k]) for k in losses)


def test_chaining_off_cuts_the_bootstrap_of_other_episode_goals():
    """With chaining off, a transition whose goal comes from another episode has target = reward."""
    torch.manual_seed(0)
    batch = goal_batch(images=False)
    batch["reward"] = batch["terminated"] = torch.zeros(8)
    batch["goal_other_episode"] = torch.ones(8)
    for chaining, zero_target in ((True, False), (False, True)):
        torch.manual_seed(0)
        ag = agent("gcql", images=False, chaining=chaining)
        with torch.no_grad():
            ag.nets["target_q"].rest.out.bias.fill_(0.5)  # targets far from 0
        _, metrics = ag.compute_losses(batch)
        assert (float(metrics["target_q"]) == 0.0) == zero_target, chaining


def test_more_backup_samples_take_the_best_policy_action_at_s_next():
    """backup_samples=k: the TD target is the max over k policy actions at s' (EMaQ): on the same
    batch and networks, 16 samples give a larger target than one."""
    batch = goal_batch(images=False)
    batch["reward"] = batch["terminated"] = torch.zeros(8)
    targets = {}
    for k in (1, 16):
        torch.manual_seed(0)
        ag = agent("gcql", images=False, backup_samples=k)
        torch.manual_seed(1)
        _, metrics = ag.compute_losses(batch)
        targets[k] = float(metrics["target_q"])
    assert targets[16] > targets[1]
    with pytest.raises(ValueError, match="backup_samples"):
        agent("gcql", backup_samples=0)


@pytest.mark.parametrize("bias, bound", [(5.0, 0.99), (-5.0, 0.0)])
def test_clip_target_bounds_the_bootstrap_to_the_returns_0_1_rewards_allow(bias, bound):
    """clip_target: a target critic far outside [0, 1] bootstraps as 1 (or 0): target = gamma * bound."""
    batch = goal_batch(images=False)
    batch["reward"] = batch["terminated"] = batch["goal_other_episode"] = torch.zeros(8)
    for clip in (False, True):
        torch.manual_seed(0)
        ag = agent("gcql", images=False, clip_target=clip)
        with torch.no_grad():
            ag.nets["target_q"].rest.out.bias.fill_(bias)
        _, metrics = ag.compute_losses(batch)
        assert (abs(float(metrics["target_q"]) - bound) < 1e-6) == clip


@pytest.mark.parametrize("name", ["gcql", "gciql"])
def test_mc_lower_bound_lifts_the_target_to_the_datas_own_return(name):
    """mc_lower_bound: a same-episode goal k steps ahead has target >= gamma^(k-1) (the data reached
    it); goals from other episodes keep the bootstrapped target; the batch must carry goal_offset."""
    batch = goal_batch(images=False)
    batch["reward"] = batch["terminated"] = torch.zeros(8)
    batch["goal_offset"] = torch.arange(1.0, 9.0)
    targets = {}
    for other in (0.0, 1.0):
        batch["goal_other_episode"] = torch.full((8,), other)
        for bound in (False, True):
            torch.manual_seed(0)
            ag = agent(name, images=False, mc_lower_bound=bound)
            bootstrapped = ag.nets["target_q"].rest if name == "gcql" else ag.nets["value"].mlp
            with torch.no_grad():
                bootstrapped.out.bias.fill_(-5.0)  # bootstrapped values far below any return
            _, metrics = ag.compute_losses(batch)
            targets[other, bound] = float(metrics["target_q"])
    assert targets[0.0, False] < -4
    assert abs(targets[0.0, True] - float((0.99 ** torch.arange(0.0, 8.0)).mean())) < 1e-6
    assert targets[1.0, True] == targets[1.0, False]
    del batch["goal_offset"]
    with pytest.raises(ValueError, match="goal_offset"):
        agent(name, images=False, mc_lower_bound=True).update(batch)


@pytest.mark.parametrize("name", ["gcql", "gciql"])
def test_q_values_read_the_goal(name):
    """`q_values` (robo-offline qtrace) is Q(s, a, g): one value per action, and another goal moves it."""
    torch.manual_seed(0)
    ag = agent(name, images=False)
    obs = {"state": np.zeros(S, dtype=np.float32), "desired_goal": np.zeros(S, dtype=np.float32)}
    actions = np.zeros((3, A), dtype=np.float32)
    here = ag.q_values(obs, actions)
    there = ag.q_values({**obs, "desired_goal": np.ones(S, dtype=np.float32)}, actions)
    assert here.shape == (3,) and not np.allclose(here, there)


@pytest.mark.parametrize("conservative", ["negatives", "cql"])
def test_conservative_term_pushes_unseen_actions_down(conservative):
    """One state, one goal, the data always takes action (0.5, 0.5) and never reaches the goal's
    reward... except it does, every time: Q(s, a_data) learns 1. Unseen actions far from the data
    end lower with the conservative term than without it."""
    state = torch.zeros(64, S)
    batch = {"state": state, "next_state": state, "goal_state": torch.ones(64, S),
             "action": torch.full((64, A), 0.5), "reward": torch.ones(64), "terminated": torch.ones(64),
             "goal_other_episode": torch.zeros(64)}
    unseen = torch.tensor([[[-0.8, -0.8], [-0.8, 0.8], [0.8, -0.8]]])

    def q_unseen(weight):
        torch.manual_seed(0)
        ag = agent("gcql", images=False, conservative=conservative, conservative_weight=weight, critic_lr=3e-3)
        for _ in range(150):
            ag.update(batch)
        feat = torch.cat([torch.zeros(1, 1, 0), torch.ones(1, 1, S)], dim=-1)
        q = ag.nets["q"]
        with torch.no_grad():
            return q(feat, state[:1], unseen).min(0).values.mean().item(), \
                q(feat, state[:1], batch["action"][:1, None]).min(0).values.item()

    free_unseen, free_data = q_unseen(0.0)
    pushed_unseen, pushed_data = q_unseen(1.0)
    assert free_data > 0.8 and pushed_data > 0.8  # the data action's value is learnt either way
    assert pushed_unseen < free_unseen - 0.2, (pushed_unseen, free_unseen)


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_roundtrip_resumes_exactly(name):
    torch.manual_seed(0)
    a = agent(name)
    a.update(goal_batch(seed=0))
    buf = io.BytesIO()
    torch.save(a.state_dict(), buf)
    b = agent(name)
    buf.seek(0)
    b.load_state_dict(torch.load(buf, weights_only=False))
    torch.manual_seed(1)
    ma = a.update(goal_batch(seed=1))
    torch.manual_seed(1)
    mb = b.update(goal_batch(seed=1))
    assert all(torch.equal(ma[k], mb[k]) for k in ma)


@pytest.mark.parametrize("name, overrides", [("gcql", {}), ("gciql", {}), ("gcql", {"actor_objective": "ddpg_bc"})])
def test_the_actor_ignores_goals_from_other_episodes(name, overrides):
    """The data's action says nothing about reaching another episode's goal: those rows do not
    move the actor's loss (they still train the critic)."""
    batch = goal_batch(images=False)
    batch["goal_other_episode"] = torch.tensor([0.0, 1.0] * 4)
    other = {**batch, "action": batch["action"].clone()}
    other["action"][1::2] = -other["action"][1::2]  # change the actions of the other-episode rows only
    ag = agent(name, images=False, **overrides)
    torch.manual_seed(0)
    losses, _ = ag.compute_losses(batch)
    torch.manual_seed(0)
    again, _ = ag.compute_losses(other)
    torch.testing.assert_close(losses["actor"], again["actor"])
    assert not torch.equal(losses["critic"], again["critic"])


def test_ddpg_bc_actor_climbs_q_where_the_data_action_is_worse():
    """actor_objective=ddpg_bc on a fixed critic whose Q rises with the first action component:
    with a small BC weight the actor's mean moves up that slope, past the data's action."""
    torch.manual_seed(0)
    ag = agent("gcql", images=False, actor_objective="ddpg_bc", bc_alpha=0.01, actor_lr=1e-2)
    q = ag.nets["q"]
    batch = goal_batch(b=64, images=False)
    batch["goal_other_episode"] = torch.zeros(64)
    batch["action"] = torch.zeros(64, A)
    with torch.no_grad():  # the critic's own output made constant (0), then Q = 3 * a_0 on top
        for p in q.parameters():
            p.zero_()
    real_forward = q.from_projection

    def linear_q(proj, actions, detach_params=False):
        return real_forward(proj, actions, detach_params) + 3.0 * actions[..., 0]
    q.from_projection = linear_q
    with torch.no_grad():
        feat = ag.nets["critic_encoder"](batch["state"])
        x = with_goal(feat, batch["goal_state"].expand(feat.shape[0], -1, -1))
        before = float(ag.nets["actor"](x, batch["state"])[0][:, 0].mean())
    for _ in range(50):
        losses, _ = ag.compute_losses(batch)
        ag.optimizers["actor"].zero_grad()
        losses["actor"].backward()
        ag.optimizers["actor"].step()
    with torch.no_grad():
        after = float(ag.nets["actor"](x, batch["state"])[0][:, 0].mean())
    assert after > before + 0.5 and after > 0.5


@pytest.mark.parametrize("name", ["gcql", "gciql"])
def test_act_samples_takes_the_proposal_the_critic_ranks_highest(name):
    assert_q_ranked_acting(lambda **kw: agent(name, images=False, **kw),
                           [goal_batch(images=False, seed=step) for step in range(3)],
                           [goal_obs(images=False, seed=s) for s in range(4)])


def test_act_samples_from_the_command_line_fails_clearly_where_it_cannot_work(tmp_path):
    """`act_samples=` on eval/render/qtrace/export: on an agent without a critic, or on a shipped
    actor without its critic, a UserError that says why (not a state-dict mismatch)."""
    from robo_offline.agent_io import agent_from_checkpoint
    from robo_offline.checkpoint import save_checkpoint
    from robo_offline.errors import UserError

    def write(ag, state, path):
        save_checkpoint(path, {"agent_name": ag.name, "agent_config": state["config"], "image_shape": None,
                               "state_dim": S, "action_dim": A, "env_id": "robo_offline/GoalReach-v1",
                               "env_kwargs": {}, "step": 0, "agent": state})
        return path

    gcql = agent("gcql", images=False)
    actor_only = write(gcql, gcql.acting_state_dict(), tmp_path / "actor_only.pt")
    loaded, _ = agent_from_checkpoint(actor_only, device="cpu")
    assert loaded.cfg.act_samples == 0
    with pytest.raises(UserError, match="holds the actor only"):
        agent_from_checkpoint(actor_only, device="cpu", act_samples=8)
    full = write(gcql, gcql.state_dict(), tmp_path / "full.pt")
    loaded, payload = agent_from_checkpoint(full, device="cpu", act_samples=8)
    assert loaded.cfg.act_samples == 8 and payload["agent_config"]["act_samples"] == 8
    gcbc = agent("gcbc", images=False)
    with pytest.raises(UserError, match="no critic"):
        agent_from_checkpoint(write(gcbc, gcbc.state_dict(), tmp_path / "gcbc.pt"), device="cpu", act_samples=8)

"""Several policies acting as one (robo_offline.ensemble, eval's `checkpoint=[...]`): ranked members
pool their proposals and take the best by the members' mean Q; critic-free members average their
actions; what cannot work is refused with a clear error."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf

from robo_offline.algos import make_agent
from robo_offline.ensemble import EnsemblePolicy
from robo_offline.errors import UserError
from test_goal_agents import S, SMALL, A, goal_batch, goal_obs

pytestmark = pytest.mark.usefixtures("one_thread")


def trained(name, seed, **overrides):
    torch.manual_seed(seed)
    agent = make_agent(name, None, S, A, {**SMALL[name], "precision": "fp32", **overrides}, "cpu")
    for step in range(3):
        agent.update(goal_batch(images=False, seed=seed * 10 + step))
    return agent


def test_ranked_members_take_the_pooled_proposal_with_the_best_mean_q():
    differs = 0
    for s in range(4):
        obs = goal_obs(images=False, seed=s)
        chosen = EnsemblePolicy([trained("gcql", seed, act_samples=8) for seed in (0, 1, 2)]).act(obs)
        twins = [trained("gcql", seed, act_samples=8) for seed in (0, 1, 2)]  # the same weights and generators
        pool = np.concatenate([m.proposals(obs) for m in twins])
        assert pool.shape == (3 * 9, A)
        scores = np.mean([m.q_values(obs, pool) for m in twins], axis=0)
        np.testing.assert_array_equal(chosen, pool[int(np.argmax(scores))])
        differs += not np.array_equal(chosen, trained("gcql", 0, act_samples=8).act(obs))
    assert differs > 0  # not simply the first member's choice


def test_two_copies_of_one_policy_act_as_that_policy():
    alone = trained("gcql", 0, act_samples=8)
    copies = [trained("gcql", 0, act_samples=8) for _ in range(2)]
    ensemble = EnsemblePolicy(copies)
    for s in range(4):
        obs = goal_obs(images=False, seed=s)
        np.testing.assert_array_equal(ensemble.act(obs), alone.act(obs))


def test_members_without_a_critic_average_their_actions():
    members = [trained("gcbc", seed) for seed in (0, 1)]
    obs = goal_obs(images=False, seed=3)
    expected = (members[0].act(obs) + members[1].act(obs)) / 2
    np.testing.assert_allclose(EnsemblePolicy(members).act(obs), expected, rtol=1e-6)


def test_what_an_ensemble_cannot_do_is_refused_clearly():
    with pytest.raises(UserError, match="at least two"):
        EnsemblePolicy([trained("gcql", 0, act_samples=8)])
    with pytest.raises(UserError, match="all rank their actions"):
        EnsemblePolicy([trained("gcql", 0, act_samples=8), trained("gcbc", 1)])
    ensemble = EnsemblePolicy([trained("gcql", 0, act_samples=8), trained("gcql", 1, act_samples=8)])
    with pytest.raises(UserError, match="deterministically"):
        ensemble.act(goal_obs(images=False), deterministic=False)
    with pytest.raises(ValueError, match="act_samples > 0"):
        trained("gcql", 0).proposals(goal_obs(images=False))


def test_eval_and_render_of_an_ensemble_ask_for_an_output_folder_and_one_env(tmp_path):
    from robo_offline.agent_io import policy_from_checkpoints
    from robo_offline.checkpoint import save_checkpoint
    from robo_offline.commands import evaluate, render

    for command in (evaluate, render):
        cfg = OmegaConf.create({"checkpoint": ["a", "b"], "episodes": 1, "out": None})
        with pytest.raises(UserError, match="out=<dir>"):
            command.run(cfg)
    paths = []
    for k, env_kwargs in enumerate([{}, {"family": "drawer"}]):
        agent = trained("gcql", k, act_samples=8)
        paths.append(tmp_path / f"{k}.pt")
        save_checkpoint(paths[-1], {
            "agent_name": "gcql", "agent_config": agent.state_dict()["config"], "image_shape": None,
            "state_dim": S, "action_dim": A, "env_id": "robo_offline/GoalReach-v1", "env_kwargs": env_kwargs,
            "step": 0, "agent": agent.state_dict()})
    with pytest.raises(UserError, match="trained for"):
        policy_from_checkpoints(OmegaConf.create([str(p) for p in paths]), device="cpu")
    policy, payload = policy_from_checkpoints(OmegaConf.create([str(paths[0]), str(paths[0])]), device="cpu")
    assert isinstance(policy, EnsemblePolicy) and payload["env_kwargs"] == {}

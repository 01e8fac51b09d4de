"""The policies shipped in robo_offline/pretrained/: they load on a CPU machine by name, carry
only what acting needs, and still do what their README rows say on fixed evaluation goals."""
from __future__ import annotations

import pytest
import torch

from robo_offline.agent_io import agent_from_checkpoint
from robo_offline.checkpoint import resolve_checkpoint
from robo_offline.evaluation import evaluate_policy


@pytest.fixture(scope="module")
def goal_reach():
    torch.set_num_threads(1)
    return agent_from_checkpoint("pretrained:goal_reach", device="cpu")


def test_goal_reach_is_small_and_acting_only(goal_reach):
    path = resolve_checkpoint("pretrained:goal_reach")
    assert path.stat().st_size < 10 * 2**20
    payload = torch.load(path, map_location="cpu", weights_only=False)
    assert payload["agent"]["acting_only"] and not payload["agent"]["optimizers"]
    agent, payload = goal_reach
    assert agent.name == "gcql" and payload["env_id"] == "robo_offline/GoalReach-v1"


def test_goal_reach_reaches_fixed_goals(goal_reach):
    """The first four object goals and the first drawer goal of the evaluation seeds, all reached
    when it was shipped (its 99-goal figures: object 0.94, drawer 0.79, both 0.12): a change that
    breaks loading, the env, the goal input or the policy's behaviour shows here."""
    agent, payload = goal_reach
    for family, episodes in (("object", 4), ("drawer", 1)):
        result = evaluate_policy(agent, payload["env_id"], {**payload["env_kwargs"], "family": family},
                                 episodes=episodes, seed=0, progress=False)
        assert [e["success"] for e in result.episodes] == [1] * episodes, family
        assert max(e["length"] for e in result.episodes) < 60, family  # reached, not run out of time

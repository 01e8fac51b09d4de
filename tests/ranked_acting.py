"""The check both agent families share for `act_samples` (tests/test_algos.py, test_goal_agents.py)."""
from __future__ import annotations

import numpy as np
import pytest
import torch


def assert_q_ranked_acting(make, batches, observations) -> None:
    """act_samples=k: the action is the best by min-ensemble Q among the actor's mode and k samples,
    never worse by Q than the mode and not always the mode; deterministic acting repeats exactly;
    what ships keeps the critic (and only then); a negative k is refused. `make(**overrides)` builds
    a fresh agent, `batches` train it a few steps."""
    torch.manual_seed(0)
    plain = make()
    for batch in batches:
        plain.update(batch)
    ranked = make(act_samples=16)
    ranked.load_state_dict(plain.state_dict())
    for o in observations:
        mode_action, chosen = plain.act(o), ranked.act(o)
        q_mode, q_chosen = ranked.q_values(o, np.stack([mode_action, chosen]))
        assert q_chosen >= q_mode - 1e-6
    assert any(not np.allclose(plain.act(o), ranked.act(o)) for o in observations)
    shipped = ranked.acting_state_dict()
    assert any(k.startswith("q.") for k in shipped["nets"]) and not any(k.startswith("target_") for k in shipped["nets"])
    assert not any(k.startswith("q.") for k in plain.acting_state_dict()["nets"])
    first, second = make(act_samples=16), make(act_samples=16)
    first.load_state_dict(shipped)
    second.load_state_dict(shipped)
    for o in observations:
        np.testing.assert_array_equal(first.act(o), second.act(o))
    with pytest.raises(ValueError, match="act_samples"):
        make(act_samples=-1)

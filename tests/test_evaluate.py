import math
from pathlib import Path

import pytest

from robo_offline.evaluation import evaluation_seeds, wilson_interval


@pytest.mark.parametrize("successes,n", [(0, 10), (10, 10), (5, 10), (37, 100), (1, 1)])
def test_wilson_interval_contains_estimate_and_stays_in_unit_range(successes, n):
    lo, hi = wilson_interval(successes, n)
    assert 0.0 <= lo <= successes / n <= hi <= 1.0


def test_wilson_interval_known_value():
    # 50/100: Wilson 95% interval is [0.4038, 0.5962]
    lo, hi = wilson_interval(50, 100)
    assert math.isclose(lo, 0.4038, abs_tol=1e-4) and math.isclose(hi, 0.5962, abs_tol=1e-4)


def test_interval_narrows_with_more_episodes():
    assert (lambda a, b: b - a)(*wilson_interval(500, 1000)) < (lambda a, b: b - a)(*wilson_interval(5, 10))


def test_evaluation_seeds_are_distinct_across_seeds():
    a, b = evaluation_seeds(0, 100), evaluation_seeds(1, 100)
    assert len(set(a) | set(b)) == 200


def test_checkpoint_specs_resolve_to_files_and_unknown_pretrained_names_are_clear(tmp_path):
    from robo_offline.checkpoint import default_output_dir, resolve_checkpoint
    from robo_offline.errors import UserError

    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    assert resolve_checkpoint(run) == run / "checkpoints" / "last.pt"
    assert resolve_checkpoint(run / "checkpoints" / "last.pt") == run / "checkpoints" / "last.pt"
    assert default_output_dir(run, "eval") == run.resolve() / "eval"
    assert default_output_dir("pretrained:x", "videos") == Path("outputs") / "videos" / "pretrained_x"
    with pytest.raises(UserError, match="no pretrained policy 'no_such_policy'"):
        resolve_checkpoint("pretrained:no_such_policy")


def test_command_env_kwargs_layers_checkpoint_long_form_and_plain_options():
    from omegaconf import OmegaConf

    from robo_offline.agent_io import command_env_kwargs

    payload = {"env_kwargs": {"start": "closed", "max_episode_steps": 100}}
    cfg = OmegaConf.create({"env_kwargs": {"image_size": 64}, "start": None, "family": "object"})
    assert command_env_kwargs(payload, cfg) == {"start": "closed", "max_episode_steps": 100, "image_size": 64,
                                                "family": "object"}
    cfg = OmegaConf.create({"env_kwargs": {"start": "open"}, "start": "random", "family": None})
    assert command_env_kwargs(payload, cfg)["start"] == "random"  # the plain option wins


class _SuccessAtStep3:
    """A stand-in env whose task holds at step 3 only, then no longer."""

    def reset(self, seed=None):
        self.t = 0
        return {}, {"is_success": False}

    def step(self, action):
        self.t += 1
        return {}, float(self.t == 3), False, self.t >= 10, {"is_success": self.t == 3}


class _Idle:
    def act(self, obs, deterministic=True):
        return None


def test_goal_reaching_rollouts_end_at_the_first_success_others_at_the_end():
    from robo_offline.evaluation import rollout

    assert rollout(_Idle(), _SuccessAtStep3(), seed=0, stop_on_success=True) == \
        {"seed": 0, "success": 1, "length": 3, "return": 1.0}
    assert rollout(_Idle(), _SuccessAtStep3(), seed=0) == {"seed": 0, "success": 0, "length": 10, "return": 1.0}

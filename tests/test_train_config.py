"""How `train` assembles an agent's config: agent YAML < experiment.agent_defaults (shared keys)
< agent_defaults.<agent name> < command-line `agent.*` overrides."""
from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.hydra_config import HydraConfig

from robo_offline.errors import UserError
from robo_offline.train import agent_config

CONFIGS = str(Path(__file__).resolve().parents[1] / "configs")


def composed(*overrides: str) -> dict:
    with initialize_config_dir(config_dir=CONFIGS, version_base=None):
        cfg = compose("train", overrides=list(overrides), return_hydra_config=True)
        HydraConfig.instance().set_config(cfg)
        return agent_config(cfg)


def test_per_agent_defaults_apply_to_that_agent_only():
    shared = "+experiment.agent_defaults.q_hidden=[64,64]"
    own = "+experiment.agent_defaults.cql.tau=0.02"
    cql = composed("agent=cql", shared, own)
    iql = composed("agent=iql", shared, own)
    assert cql["tau"] == 0.02 and cql["q_hidden"] == [64, 64]
    assert iql["tau"] == 0.005 and iql["q_hidden"] == [64, 64]


def test_command_line_wins_over_every_default():
    cfg = composed("agent=cql", "+experiment.agent_defaults.tau=0.01", "+experiment.agent_defaults.cql.tau=0.02",
                   "agent.tau=0.03")
    assert cfg["tau"] == 0.03


def test_unknown_per_agent_key_is_named():
    with pytest.raises(UserError, match=r"agent_defaults.cql has keys \['taw'\]"):
        composed("agent=cql", "+experiment.agent_defaults.cql.taw=0.02")

"""How `train` assembles an agent's config: the agent's dataclass defaults < its YAML <
experiment.agent_defaults (shared keys) < agent_defaults.<agent name> < command-line `agent.*`
overrides; and what happens to keys that are unknown, mistyped or renamed."""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
import yaml
from hydra import compose, initialize_config_dir
from hydra.core.hydra_config import HydraConfig
from hydra.errors import ConfigCompositionException

from robo_offline.algos import AGENTS, agent_class
from robo_offline.algos.config import AgentConfig, build_config, with_current_names
from robo_offline.commands.cli import main as cli_main
from robo_offline.commands.train import agent_config, renamed_agent_overrides
from robo_offline.errors import UserError

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


@pytest.mark.parametrize("name", sorted(AGENTS))
def test_agent_yaml_sets_only_what_differs_from_the_shared_dataclass(name):
    """configs/agent/<name>.yaml starts from the dataclass Hydra holds, so `agent=<name>` composes to
    the code's defaults plus the keys the YAML sets, each of which must differ from its default."""
    cls = agent_class(name).config_cls
    assert issubclass(cls, AgentConfig)
    own = yaml.safe_load(Path(CONFIGS, "agent", f"{name}.yaml").read_text())
    own.pop("defaults")
    defaults = dataclasses.asdict(cls())
    assert all(own[key] != defaults[key] for key in own), f"{name}.yaml restates defaults"
    assert build_config(cls, composed(f"agent={name}"), name) == build_config(cls, own, name)


def test_agent_overrides_are_checked_against_the_dataclass():
    with pytest.raises(ConfigCompositionException, match="agent.taw"):
        composed("agent=cql", "agent.taw=0.02")
    with pytest.raises(ConfigCompositionException, match="agent.tau=fast"):
        composed("agent=cql", "agent.tau=fast")
    with pytest.raises(ValueError, match=r"unknown cql config key\(s\) \['taw'\]"):  # `+` gets past Hydra
        build_config(agent_class("cql").config_cls, composed("agent=cql", "+agent.taw=0.02"), "cql")


def test_old_learning_rate_names_fail_naming_the_new_ones(capsys):
    assert renamed_agent_overrides(["agent=cql", "agent.policy_lr=1e-3", "+agent.q_lr=1e-3,3e-4", "seed=0"]) == \
        ["policy_lr -> actor_lr", "q_lr -> critic_lr"]
    with pytest.raises(SystemExit):
        cli_main(["train", "agent=bc", "agent.lr=1e-3"])
    assert "agent keys were renamed: lr -> actor_lr" in capsys.readouterr().err
    with pytest.raises(UserError, match="old key names: v_lr -> value_lr"):
        composed("agent=iql", "+experiment.agent_defaults.iql.v_lr=1e-3")


def test_configs_saved_with_the_old_names_still_build():
    """Checkpoints keep the config they were trained with (robo_offline/pretrained/*.pt has `q_lr`)."""
    old = {"policy_lr": 1e-3, "q_lr": 2e-3, "tau": 0.02}
    cfg = build_config(agent_class("cql").config_cls, with_current_names(old), "cql")
    assert (cfg.actor_lr, cfg.critic_lr, cfg.tau) == (1e-3, 2e-3, 0.02)


def test_a_sweep_job_runs_in_the_dir_of_the_same_single_run():
    """So `results` reads a sweep as it reads single runs, and a requeued job finds its checkpoint."""
    with initialize_config_dir(config_dir=CONFIGS, version_base=None):
        cfg = compose("train", overrides=["experiment=demo", "agent=bc", "seed=3"], return_hydra_config=True)
    assert cfg.hydra.run.dir == f"{cfg.hydra.sweep.dir}/{cfg.hydra.sweep.subdir}" == "runs/demo/bc/seed3"


def test_slurm_launcher_config_makes_a_requeueing_sbatch_script(tmp_path, monkeypatch):
    """`hydra/launcher=slurm` (configs/hydra/launcher/slurm.yaml) up to the submission: submitit takes
    every parameter and writes the sbatch script; only the cluster is missing here."""
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher")
    import submitit
    from hydra.utils import instantiate

    srun = tmp_path / "bin" / "srun"  # submitit's test for a SLURM node
    srun.parent.mkdir()
    srun.write_text("#!/bin/sh\nexit 1\n")
    srun.chmod(0o755)
    monkeypatch.setenv("PATH", f"{srun.parent}{os.pathsep}{os.environ['PATH']}")
    scripts = []

    def submit(executor, function, *arguments):
        scripts.append(executor._executor._make_submission_file_text("<command>", "<uid>"))
        return []

    monkeypatch.setattr(submitit.AutoExecutor, "map_array", submit)
    with initialize_config_dir(config_dir=CONFIGS, version_base=None):
        cfg = compose("train", overrides=["hydra/launcher=slurm", "hydra.launcher.partition=gpu", "experiment=demo",
                                          f"hydra.sweep.dir={tmp_path / 'sweep'}"], return_hydra_config=True)
    assert cfg.hydra.launcher.max_num_timeout > 0  # a job at its time limit is requeued, and resumes
    launcher = instantiate(cfg.hydra.launcher)
    launcher.setup(hydra_context=None, task_function=None, config=cfg)
    launcher.launch([["seed=0"], ["seed=1"]], initial_job_idx=0)
    script, = scripts
    for line in ("#SBATCH --partition=gpu", "#SBATCH --gpus-per-node=1", "#SBATCH --cpus-per-task=8",
                 "#SBATCH --time=240", "#SBATCH --requeue", "#SBATCH --signal=USR2@120", "export OMP_NUM_THREADS=8",
                 f"#SBATCH --output={tmp_path / 'sweep'}/.submitit/%j/%j_0_log.out"):
        assert line in script.splitlines(), script


@pytest.mark.parametrize("name", sorted(p.stem for p in (Path(CONFIGS) / "experiment").glob("*.yaml")))
def test_every_experiment_composes_with_known_recipes(name):
    """Each shipped experiment composes under `train`, keeps its own name, and names only
    recipes that exist (a typo in a dataset entry fails here, not after minutes of generation)."""
    from robo_offline.data.recipes import load_recipe

    with initialize_config_dir(config_dir=CONFIGS, version_base=None):
        cfg = compose("train", overrides=[f"experiment={name}"])
    assert cfg.experiment.name == name
    for entry in cfg.experiment.datasets:
        assert load_recipe(entry.recipe)["name"] == entry.recipe

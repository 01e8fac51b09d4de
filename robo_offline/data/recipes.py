"""Dataset recipes (`configs/dataset/<name>.yaml`) and the Minari ids they produce.

A recipe says which env (and start configuration) to run, which scripted skill drives it,
how many episodes to record by default, and which reward relabelling the replay buffer
applies by default (`default_reward`: `none | sparse | from_info`; `zero`, the
name `none` had before, reads as `none`). `end_when_done: true` ends each episode at the step
after the skill's script finishes (marked truncated), as roboverse's collection for COG does,
instead of idling on to the env's horizon.
"""
from __future__ import annotations

from typing import Any

from robo_offline.errors import UserError
from robo_offline.paths import CONFIGS_DIR

RECIPE_KEYS = {
    "name", "env", "env_kwargs", "max_episode_steps", "skill", "skill_kwargs", "noise",
    "episodes", "default_reward", "description", "end_when_done",
}


def available_recipes() -> list[str]:
    return sorted(p.stem for p in (CONFIGS_DIR / "dataset").glob("*.yaml"))


def plain_dict(cfg: Any) -> dict:
    """A Hydra/OmegaConf config or any mapping as a plain, resolved dict."""
    from omegaconf import DictConfig, OmegaConf

    if isinstance(cfg, DictConfig):
        return OmegaConf.to_container(cfg, resolve=True)
    return dict(cfg)


def load_recipe(name_or_cfg: Any) -> dict:
    """A recipe as a plain dict, from its name or from an (Omega)dict config node."""
    if isinstance(name_or_cfg, str):
        path = CONFIGS_DIR / "dataset" / f"{name_or_cfg}.yaml"
        if not path.is_file():
            raise UserError(
                f"unknown dataset recipe {name_or_cfg!r}; pick one of {available_recipes()} "
                f"(files in {CONFIGS_DIR / 'dataset'})"
            )
        from omegaconf import OmegaConf

        cfg = OmegaConf.to_container(OmegaConf.load(path), resolve=True)
        cfg.setdefault("name", name_or_cfg)
    else:
        cfg = plain_dict(name_or_cfg)
    return normalise_recipe(cfg)


def normalise_recipe(cfg: dict) -> dict:
    unknown = set(cfg) - RECIPE_KEYS
    if unknown:
        raise UserError(f"dataset recipe has unknown keys {sorted(unknown)}; allowed: {sorted(RECIPE_KEYS)}")
    for key in ("name", "env", "skill"):
        if not cfg.get(key):
            raise UserError(f"dataset recipe is missing {key!r}")
    out = {
        "name": str(cfg["name"]),
        "env": full_env_id(str(cfg["env"])),
        "env_kwargs": dict(cfg.get("env_kwargs") or {}),
        "max_episode_steps": cfg.get("max_episode_steps"),
        "skill": str(cfg["skill"]),
        "skill_kwargs": dict(cfg.get("skill_kwargs") or {}),
        "noise": float(cfg.get("noise", 0.1)),
        "episodes": int(cfg.get("episodes") or 100),
        "default_reward": str(cfg.get("default_reward", "sparse")),
        "description": str(cfg.get("description", "")),
    }
    if cfg.get("end_when_done"):  # only when set, so the recipes (and datasets) that predate the key stay as they were
        out["end_when_done"] = True
    return out


def full_env_id(env: str) -> str:
    """`DrawerGrasp-v1` -> `robo_offline/DrawerGrasp-v1`; ids with a namespace or module pass through."""
    if "/" in env or ":" in env:
        return env
    return f"robo_offline/{env}"


def env_short_name(env_id: str) -> str:
    """`robo_offline/DrawerGrasp-v1` -> `DrawerGrasp`."""
    base = env_id.split(":")[-1].split("/")[-1]
    if "-v" in base:
        base = base[: base.rindex("-v")]
    return base


# Minari's dataset version: bumped whenever the recorded data changes, so an old local file is
# never mistaken for a new one (v2: the drawer tasks' closer camera).
DATASET_VERSION = 2


def dataset_id_for(recipe: dict, name: str | None = None) -> str:
    """Minari id of a recipe's dataset: `robo_offline/<Env>/<name>-v2`."""
    return f"robo_offline/{env_short_name(recipe['env'])}/{name or recipe['name']}-v{DATASET_VERSION}"

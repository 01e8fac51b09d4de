"""`robo-offline generate dataset=<recipe> episodes=<int> workers=<int|auto> seed=<int> overwrite=<bool> compress=<bool>`.

Runs the recipe's scripted skill in its env with parallel workers and writes the Minari dataset
`robo_offline/<Env>/<recipe>-v1` (store: `datasets/` in the checkout, or MINARI_DATASETS_PATH),
plus its card `<store>/<recipe>.md`. Prints the dataset id. An interrupted run (Ctrl-C, SIGKILL)
leaves no dataset that looks complete; rerunning the same command finishes it, reusing the
finished shards. A second run of the same dataset started meanwhile waits for the first, then
stops (the dataset exists) unless overwrite=true. See robo_offline/data/writer.py for how.
"""
from __future__ import annotations

import sys

from omegaconf import DictConfig, OmegaConf

from robo_offline.data.recipes import normalise_recipe
from robo_offline.data.writer import default_dataset_name, generate_dataset
from robo_offline.errors import UserError


def _command() -> str:
    try:
        from hydra.core.hydra_config import HydraConfig

        overrides = list(HydraConfig.get().overrides.task)
    except Exception:  # not under Hydra (called from Python)
        return ""
    return " ".join(["robo-offline generate", *overrides])


def run(cfg: DictConfig) -> str:
    if "dataset" not in cfg or cfg.dataset is None:
        raise UserError("no dataset recipe given; use dataset=<recipe> (files in configs/dataset/)")
    recipe = OmegaConf.to_container(cfg.dataset, resolve=True)
    episodes = cfg.get("episodes")
    seed = cfg.get("seed", 0)
    try:
        episodes = None if episodes is None else int(episodes)
        seed = int(seed)
    except (TypeError, ValueError):
        raise UserError(f"episodes={episodes!r} and seed={seed!r} must be integers") from None
    overwrite = cfg.get("overwrite", False)
    if not isinstance(overwrite, bool):
        raise UserError(f"overwrite={overwrite!r} must be true or false")
    # the same id `train`'s ensure_dataset looks for: the recipe's own name only at its defaults
    recipe = normalise_recipe(recipe)
    name = cfg.get("name") or default_dataset_name(recipe, recipe["episodes"] if episodes is None else episodes,
                                                   seed, cfg.get("max_episode_steps"))
    summary = generate_dataset(
        recipe,
        episodes=episodes,
        seed=seed,
        workers=cfg.get("workers", "auto"),
        store=cfg.get("store"),
        overwrite=overwrite,
        name=name,
        max_episode_steps=cfg.get("max_episode_steps"),
        progress=bool(cfg.get("progress", True)),
        command=_command(),
        compress=cfg.get("compress", True),
    )
    print(
        f"wrote {summary['episodes']} episodes, {summary['steps']} steps, {summary['bytes'] / 1e6:.1f} MB "
        f"({summary['bytes_per_transition']:.0f} B/transition), scripted success "
        f"{100 * summary['skill_success_rate']:.1f}% in {summary['seconds']:.0f}s "
        f"({summary['shards_reused']} shards reused); card: {summary['card']}",
        file=sys.stderr,
    )
    print(summary["dataset_id"], flush=True)
    return summary["dataset_id"]

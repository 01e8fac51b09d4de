"""Dataset cards: the markdown page beside a generated dataset that says what it holds, how it was
made and how to open it (the last step of `generate_dataset`)."""
from __future__ import annotations

import json
from pathlib import Path

from robo_offline.data.coverage import goal_family_coverage_line

# What the default storage measured (docs/interfaces.md, data layer): the cards repeat it.
STORAGE_FIGURES = (
    "Measured on 2 x 1,000 episodes of drawer_open_prior + grasp_task (140,000 transitions): 392-410 bytes per "
    "transition, 0.057-0.059x the 6,912-byte raw frame (raw files: 7,292); `load_buffer` to CPU in 5.1-6.7 s "
    "(raw files 4.8-5.5 s, 11.3-14.3 s before frames were streamed into the buffer), peak host memory added by "
    "the load 1.06x the buffer's 992 MB (3.03x before); 2-core CPU shared with other jobs"
)


def write_dataset_card(store: Path, recipe: dict, s: dict, name: str | None = None) -> Path:
    """`<store>/<recipe>.md` for a recipe's own dataset; `<store>/<id>/card.md` for other names.
    `s`: generate_dataset's summary."""
    if name is None or name == recipe["name"]:
        path = Path(store) / f"{recipe['name']}.md"
    else:
        path = Path(s["path"]) / "card.md"
    per_t = s["bytes"] / max(1, s["steps"])
    env_kwargs = recipe["env_kwargs"] or {}
    coverage = goal_family_coverage_line(s["dataset_id"], store)
    lines = [
        f"# Dataset card: {name or recipe['name']}",
        "",
        recipe["description"] or "",
        "",
        "| field | value |",
        "| --- | --- |",
        f"| Minari id | `{s['dataset_id']}` |",
        f"| recipe | `configs/dataset/{recipe['name']}.yaml` |",
        f"| env | `{recipe['env']}` {json.dumps(env_kwargs) if env_kwargs else ''} |",
        f"| policy | scripted skill `{recipe['skill']}`, Gaussian noise {recipe['noise']} |",
        f"| episodes | {s['episodes']:,} |",
        f"| steps (transitions) | {s['steps']:,} ({s['steps'] / s['episodes']:.1f} per episode) |",
        f"| scripted success rate (skill's own rule, final step) | {100 * s['skill_success_rate']:.1f}% |",
        f"| task success rate (env `is_success`, final step) | {100 * s['task_success_rate']:.1f}% |",
        *([coverage] if coverage else []),
        f"| bytes | {s['bytes']:,} ({per_t:,.0f} per transition) |",
        f"| storage | {_storage_text(s)} |",
        f"| default reward in the replay buffer | `{recipe['default_reward']}` |",
        f"| seed | {s['seed']} (episode i uses `episode_seed(seed, i)`) |",
        f"| generation time | {s['seconds']:.0f} s with {s['workers']} worker(s) |",
        f"| command | `{s['command'] or 'robo_offline.data.generate_dataset(...)'}` |",
        "",
        *_load_instructions(s["dataset_id"]),
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
    return path


def _load_instructions(dataset_id: str) -> list[str]:
    """The card's last lines: how to open the dataset, with our package or with plain Minari."""
    return [
        f"Load with `from robo_offline.data import minari_dataset; minari_dataset(\"{dataset_id}\")`, or with",
        f"plain Minari: `minari.load_dataset(\"{dataset_id}\")` once `MINARI_DATASETS_PATH` names the store",
        "(`datasets/` in the checkout; `import robo_offline` registers the envs for `recover_environment`).",
    ]


def _storage_text(summary: dict) -> str:
    """The card's storage row: what a reader of the card needs to know about size and loading."""
    if not summary["compressed"]:
        return "every array raw and contiguous (compress=false): H x W x 3 bytes per frame"
    return ("frames lossless gzip (level 6), one HDF5 chunk per episode, the per-step arrays raw; plain "
            f"`minari.load_dataset` reads it. {STORAGE_FIGURES}")

"""Checkpoints: written atomically, loaded with `weights_only=True`, enough to resume exactly.

A checkpoint holds the agent (networks, optimisers, step), the RNG states of every random
source the training loop uses, and the resolved config, so `eval`/`render` can rebuild the
agent and its environment from the file alone.
"""
from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch

from robo_offline.errors import UserError

FORMAT_VERSION = 1


def save_checkpoint(path: Path, payload: dict) -> None:
    """Write `payload` to `path` via a temp file and rename, so a kill never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    torch.save({"format_version": FORMAT_VERSION, **payload}, tmp)
    os.replace(tmp, path)


PRETRAINED_PREFIX = "pretrained:"
PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"


def resolve_checkpoint(spec: Path | str) -> Path:
    """A checkpoint file from `pretrained:<name>` (a policy shipped in the package), a run directory
    (its `checkpoints/last.pt`) or a path to a `.pt` file."""
    spec = str(spec)
    if spec.startswith(PRETRAINED_PREFIX):
        name = spec[len(PRETRAINED_PREFIX):]
        path = PRETRAINED_DIR / f"{name}.pt"
        if not path.is_file():
            have = sorted(p.stem for p in PRETRAINED_DIR.glob("*.pt"))
            raise UserError(f"no pretrained policy {name!r}; shipped: {', '.join(have) or 'none'}")
        return path
    path = Path(spec)
    return path / "checkpoints" / "last.pt" if path.is_dir() else path


def default_output_dir(spec: Path | str, kind: str) -> Path:
    """Where eval/render write when `out` is unset: beside the run (`<run dir>/<kind>`), or under
    `outputs/<kind>/pretrained_<name>` for a shipped policy (never inside the installed package)."""
    spec = str(spec)
    if spec.startswith(PRETRAINED_PREFIX):
        return Path("outputs") / kind / f"pretrained_{spec[len(PRETRAINED_PREFIX):]}"
    return resolve_checkpoint(spec).resolve().parent.parent / kind


def load_checkpoint(path: Path | str) -> dict:
    path = resolve_checkpoint(path)
    if not path.is_file():
        raise UserError(f"checkpoint {path} does not exist; pass checkpoint=<run dir>, "
                        "<run dir>/checkpoints/last.pt or pretrained:<name>")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for truncated/foreign files
        raise UserError(f"checkpoint {path} cannot be read ({type(err).__name__}: {err}); "
                        "it is corrupt or not a robo_offline checkpoint: retrain or pick another file") from None
    if not isinstance(payload, dict) or payload.get("format_version") != FORMAT_VERSION:
        raise UserError(f"{path} is not a robo_offline checkpoint (format {FORMAT_VERSION}); retrain to get one")
    return payload


def capture_rng_state(sample_generator: torch.Generator) -> dict:
    """Every RNG the training loop draws from, as tensors and plain values (weights_only-safe)."""
    np_state = np.random.get_state()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": {"keys": torch.from_numpy(np_state[1].astype(np.int64)), "pos": int(np_state[2]),
                  "has_gauss": int(np_state[3]), "cached": float(np_state[4])},
        "python": list(random.getstate()[1]),
        "sampler": sample_generator.get_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict, sample_generator: torch.Generator) -> None:
    torch.set_rng_state(state["torch"])
    np_state = state["numpy"]
    np.random.set_state(("MT19937", np_state["keys"].numpy().astype(np.uint32), np_state["pos"],
                         np_state["has_gauss"], np_state["cached"]))
    random.setstate((3, tuple(state["python"]), None))
    sample_generator.set_state(state["sampler"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])

"""Where the project's data folders live, from a checkout or from an installed wheel.

In a checkout (and an editable install) `envs/`, `configs/` and `datasets/` sit beside the
package. A wheel ships `envs/` and `configs/` inside the package as `robo_offline/_envs` and
`robo_offline/_configs` (see pyproject's package-dir mapping).
"""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT_DIR = PACKAGE_DIR.parent


def _data_dir(name: str) -> Path:
    checkout = CHECKOUT_DIR / name
    if checkout.is_dir():
        return checkout
    return PACKAGE_DIR / f"_{name}"


ENVS_DIR = _data_dir("envs")
ASSETS_DIR = ENVS_DIR / "assets"
CONFIGS_DIR = _data_dir("configs")


def resolve_store(store: str | os.PathLike | None = None) -> Path:
    """The Minari store to read and write: `store` when given, else `MINARI_DATASETS_PATH` when set,
    else `datasets/` in the checkout (or the working directory for an installed wheel). Read, never
    written: importing the package leaves the process environment alone, and our code passes the
    store to Minari as a path (`robo_offline.data.minari_dataset`)."""
    if store is not None:
        return Path(store)
    env = os.environ.get("MINARI_DATASETS_PATH")
    if env:
        return Path(env)
    return CHECKOUT_DIR / "datasets" if (CHECKOUT_DIR / "pyproject.toml").exists() else Path.cwd() / "datasets"

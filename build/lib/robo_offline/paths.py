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


def datasets_dir() -> Path:
    """Minari's store: `MINARI_DATASETS_PATH` when set, else `datasets/` in the checkout."""
    env = os.environ.get("MINARI_DATASETS_PATH")
    if env:
        return Path(env)
    return CHECKOUT_DIR / "datasets" if (CHECKOUT_DIR / "pyproject.toml").exists() else Path.cwd() / "datasets"


def use_project_dataset_store() -> Path:
    """Point Minari at the project's store unless the user chose one; returns the store."""
    store = datasets_dir()
    os.environ.setdefault("MINARI_DATASETS_PATH", str(store))
    return store

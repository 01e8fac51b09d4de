#!/usr/bin/env bash
# CPU side of the GPU round trip (README, "Training on a GPU machine"): put into .whl/ the wheels
# of the packages `robo-offline train` needs that a torch-only GPU machine lacks (gymnasium,
# minari, hydra and what they need beyond numpy, PyYAML, typer, cloudpickle), at the versions
# this checkout's .venv runs, built for the GPU machine's Python (default 3.12). All are pure
# Python, about 1 MB together. Needs PyPI; run once, then carry .whl/ with the datasets.
#   usage: scripts/gpu_wheels.sh [python version of the GPU machine, default 3.12]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
TARGET=${1:-3.12}
PACKAGES="gymnasium farama-notifications minari hydra-core omegaconf antlr4-python3-runtime"
pins=$("$PY" -c "import importlib.metadata as m, sys; print(' '.join(f'{n}=={m.version(n)}' for n in sys.argv[1:]))" $PACKAGES)
rm -rf .whl && mkdir -p .whl
wheel_pins=$(echo "$pins" | tr ' ' '\n' | grep -v '^antlr4-python3-runtime==')
# shellcheck disable=SC2086
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version "$TARGET" --implementation cp \
  --platform manylinux2014_x86_64 -d .whl $wheel_pins
# antlr4-python3-runtime (hydra's parser) is published as an sdist only: build its pure-Python wheel here.
"$PY" -m pip wheel -q --no-deps -w .whl "$(echo "$pins" | tr ' ' '\n' | grep '^antlr4-python3-runtime==')"
ls -l .whl

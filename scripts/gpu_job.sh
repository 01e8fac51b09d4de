#!/usr/bin/env bash
# GPU side of the round trip (README, "Training on a GPU machine"): runs on a machine that has
# torch but not pybullet, gymnasium, minari or hydra, from a copy of this checkout that carries
# .whl/ (scripts/gpu_wheels.sh) and the datasets under datasets/. Installs the wheels only where
# those packages are missing, then
#   train <overrides>   trains with evaluation off (no simulator there); the run directory,
#                       checkpoint included, lands in $OUT/run: copy it back and `robo-offline
#                       eval checkpoint=<it>` / `render` on the CPU machine
#   bench <overrides>   the benchmark's training and data sections (CUDA rows when a GPU is visible; the
#                       data rows from the carried datasets, as nothing can be generated there) and
#                       the profile of one CQL update; figures in $OUT/bench.json, $OUT/profile.txt
# usage: OUT=<folder that travels back> scripts/gpu_job.sh train|bench [hydra overrides ...]
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python3}
OUT=${OUT:?set OUT to the folder whose files travel back}
job=${1:?usage: OUT=<dir> scripts/gpu_job.sh train|bench [overrides ...]}
shift
if ! "$PYTHON" -c "import gymnasium, minari, hydra" 2>/dev/null; then
  site=${SITE:-/tmp/robo_offline_site}
  ls "$REPO"/.whl/*.whl > /dev/null || { echo "no wheels in $REPO/.whl: run scripts/gpu_wheels.sh and carry .whl" >&2; exit 2; }
  "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" "$REPO"/.whl/*.whl
  export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export MINARI_DATASETS_PATH=${MINARI_DATASETS_PATH:-$REPO/datasets}
mkdir -p "$OUT"
"$PYTHON" -c "import torch; cuda = torch.cuda.is_available(); \
print('torch', torch.__version__, '|', torch.cuda.get_device_name() if cuda else 'no GPU visible: CPU')"
case "$job" in
  train) exec "$PYTHON" -m robo_offline.commands.cli train "$@" eval_every=0 "hydra.run.dir=$OUT/run" ;;
  bench) exec "$PYTHON" -m robo_offline.commands.bench "$@" "only=[train_bench,data_bench]" profile=true "out=$OUT/bench.json" ;;
  *) echo "unknown job '$job': train or bench" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Rebuild the runs shipped in checkpoints/ (the README lists these same commands).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
T="$PY -m vae.train --quiet --device cpu --seed 0"
rm -rf checkpoints/mnist5k-2d checkpoints/mnist5k-2d-ae checkpoints/fashion-2d checkpoints/fashion-16d
$T --name mnist5k-2d    --dataset mnist-5k --latent-dim 2 --hidden 256 --epochs 30
$T --name mnist5k-2d-ae --dataset mnist-5k --latent-dim 2 --hidden 256 --epochs 30 --beta 0 --snapshot-every 5
$T --name fashion-2d    --dataset fashion-mnist --latent-dim 2 --hidden 400 --epochs 20 --snapshot-every 2
$T --name fashion-16d   --dataset fashion-mnist --latent-dim 16 --hidden 400 --epochs 20 --snapshot-every 2
rm -f checkpoints/*/resume.pt checkpoints/*/STOP

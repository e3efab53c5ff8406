#!/usr/bin/env bash
# Rebuild the runs shipped in checkpoints/ (the README lists these same commands).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
T="$PY -m vae.train --quiet --device cpu --seed 0"
BETAS="0 0.25 0.5 1 2 4 8 16 32"  # the beta family: same data, network, 16-D latent and epochs
rm -rf checkpoints/mnist5k-2d checkpoints/mnist5k-2d-ae checkpoints/fashion-2d checkpoints/fashion-16d
for b in $BETAS; do rm -rf "checkpoints/mnist5k-16d-beta$b"; done
$T --name mnist5k-2d    --dataset mnist-5k --latent-dim 2 --hidden 256 --epochs 30
$T --name mnist5k-2d-ae --dataset mnist-5k --latent-dim 2 --hidden 256 --epochs 30 --beta 0 --snapshot-every 5
$T --name fashion-2d    --dataset fashion-mnist --latent-dim 2 --hidden 400 --epochs 20 --snapshot-every 2
$T --name fashion-16d   --dataset fashion-mnist --latent-dim 16 --hidden 400 --epochs 20 --snapshot-every 2
# 16 dims so that collapse shows (active units fall as beta grows; a 2-D code keeps both dims) and
# so that the autoencoder's codes leave N(0, I) (its prior samples stop being digits)
for b in $BETAS; do
  $T --name "mnist5k-16d-beta$b" --dataset mnist-5k --latent-dim 16 --hidden 256 --epochs 30 \
     --beta "$b" --snapshot-every 10
done
rm -f checkpoints/*/resume.pt checkpoints/*/STOP

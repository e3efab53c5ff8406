#!/usr/bin/env bash
# Rebuild the runs shipped in $ROOT/ (the README lists these same commands).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
ROOT=${ROOT:-checkpoints}
T="$PY -m vae.train --quiet --device cpu --seed 0 --root $ROOT"
BETAS="0 0.25 0.5 1 2 4 8 16 32"  # the beta family: same data, network, 16-D latent and epochs
rm -rf $ROOT/mnist5k-2d $ROOT/mnist5k-2d-ae $ROOT/fashion-2d $ROOT/fashion-16d
for b in $BETAS; do rm -rf "$ROOT/mnist5k-16d-beta$b"; done
# The MNIST-5k recipe: two hidden layers, 100 epochs, images moved by up to 1 px each step; the
# best of the recipes compared in bench/README.md ("A class-separated 2-D posterior"). With one
# layer of 256 and 30 epochs the digits of the 2-D plane overlapped far more.
MNIST="--dataset mnist-5k --hidden 512,256 --epochs 100 --shift 1"
$T --name mnist5k-2d    $MNIST --latent-dim 2 --snapshot-every 10
$T --name mnist5k-2d-ae $MNIST --latent-dim 2 --beta 0 --snapshot-every 25
$T --name fashion-2d    --dataset fashion-mnist --latent-dim 2 --hidden 400 --epochs 20 --snapshot-every 2
$T --name fashion-16d   --dataset fashion-mnist --latent-dim 16 --hidden 400 --epochs 20 --snapshot-every 2
# 16 dims so that collapse shows (active units fall as beta grows; a 2-D code keeps both dims) and
# so that the autoencoder's codes leave N(0, I) (its prior samples stop being digits)
for b in $BETAS; do
  $T --name "mnist5k-16d-beta$b" $MNIST --latent-dim 16 --beta "$b" --snapshot-every 100
done
rm -f $ROOT/*/resume.pt $ROOT/*/STOP

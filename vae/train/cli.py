"""Train a VAE into a run directory: `python -m vae.train --help`.

The dashboard launches this same command, so a run started in a terminal and one started in the
browser are the same thing. Under torchrun, rank 0 leads (checks the flags, creates or opens the
run, takes its lock) and tells the other ranks which run to follow.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path

import torch

from ..data import CUSTOM, DATASETS, DatasetError, data_options, dataset_for
from ..distributed import DistributedError, Group, join_from_env
from ..model_config import ARCHS, CODE_ARCH, LIKELIHOODS, ConfigError, VAEConfig, parse_hidden
from ..run import (DEFAULT_ROOT, RunDir, RunError, TrainConfig, check_root, validate_name,
                   write_json_atomic)
from ..threads import ENV as THREADS_ENV
from ..threads import choose_threads, parse_threads
from .device import pick_device
from .loop import train
from .stop import caught

# Named sets of training flags. classic is the defaults (the shipped runs, the README's numbers);
# fast reaches the classic recipe's 10-epoch test -ELBO on Fashion-MNIST in a fraction of its
# wall time on a CPU with bf16 (bench/bench_time_to_quality.py); its epochs are yours to set.
RECIPES = {
    "classic": {},
    "fast": {"batch_size": 256, "lr": 3e-3, "warmup_steps": 200, "lr_schedule": "cosine",
             "precision": "auto"},
}



def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m vae.train",
        description="Train a VAE on a real dataset and write checkpoints/<name>/ as it goes.")
    p.add_argument("--dataset", default="mnist-5k", choices=list(DATASETS))
    p.add_argument("--data-dir", help="folder with the dataset's files (mnist, fashion-mnist); "
                   "for folder: one sub-folder of images per class; for npz: the .npz file")
    p.add_argument("--image-size", type=int, default=None, metavar="N",
                   help="folder/npz: resize every image to N x N (needed when sizes differ)")
    p.add_argument("--split-seed", type=int, default=None,
                   help="folder/npz: seed of the per-class train/test split (default 0)")
    p.add_argument("--test-fraction", type=float, default=None,
                   help="folder/npz: share of each class held out for test (default 0.2)")
    p.add_argument("--arch", default="mlp", choices=ARCHS)
    p.add_argument("--hidden", default=None,
                   help="comma-separated widths, e.g. 400 or 512,256 (mlp); channels 32,64 (conv)")
    p.add_argument("--latent-dim", type=int, default=20)
    p.add_argument("--likelihood", default="bernoulli", choices=LIKELIHOODS)
    p.add_argument("--beta", type=float, default=1.0, help="KL weight in the objective (0: autoencoder)")
    p.add_argument("--kl-warmup", type=int, default=0, help="epochs over which beta ramps up from 0")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    p.add_argument("--precision", default="fp32", choices=("auto", "fp32", "bf16"),
                   help="bf16 autocast for the network's products (auto: where the hardware has "
                        "bf16: CUDA, CPUs with AVX512-BF16 or AMX); the reported ELBO is fp32")
    p.add_argument("--warmup-steps", type=int, default=0,
                   help="linear learning-rate warm-up over this many steps")
    p.add_argument("--lr-schedule", default="constant", choices=("constant", "cosine"),
                   help="cosine: decay the learning rate to zero at the last step")
    p.add_argument("--recipe", default="classic", choices=tuple(RECIPES),
                   help="fast: " + ", ".join(f"--{k.replace('_', '-')} {v}"
                                             for k, v in RECIPES["fast"].items())
                        + " (bench/bench_time_to_quality.py); flags given explicitly win")
    p.add_argument("--shift", type=int, default=0, metavar="K",
                   help="move each training image by up to K pixels (0 to 4) each step: a digit's "
                        "position is not its identity (default 0: no augmentation)")
    p.add_argument("--binarize", action="store_true",
                   help="the literature's protocol for MNIST likelihoods: each training pixel a "
                        "fresh Bernoulli draw of its grey level every step, the test set drawn "
                        "once with a fixed seed; then -ELBO and IWAE bound a true log p(x) "
                        "(Bernoulli likelihood only)")
    p.add_argument("--log-every", type=int, default=20, help="steps between metric lines")
    p.add_argument("--snapshot-every", type=int, default=1, help="epochs between replay snapshots")
    p.add_argument("--name", help="run name (default: dataset-arch-zD-time)")
    p.add_argument("--resume", metavar="NAME",
                   help="continue a stopped run; --epochs, if given, raises its target")
    p.add_argument("--root", default=None,
                   help="folder holding the runs (default: $VAE_RUNS_ROOT, else checkpoints/)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--threads", default=os.environ.get(THREADS_ENV, "auto"),
                   help="CPU threads: a number, or auto (default; $%s): the cores other processes "
                        "leave free when training starts, one per process under torchrun"
                        % THREADS_ENV)
    return p



def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # where the dashboard looks (ui.cache.runs.runs_root), so a terminal run is in its sight
    args.root = args.root or os.environ.get("VAE_RUNS_ROOT") or str(DEFAULT_ROOT)
    given = argv if argv is not None else sys.argv[1:]
    for key, value in RECIPES[args.recipe].items():  # a recipe fills what the flags leave out
        flag = "--" + key.replace("_", "-")
        if not any(a == flag or a.startswith(flag + "=") for a in given):
            setattr(args, key, value)
    try:
        threads = parse_threads(args.threads)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:  # a plain process is a group of one; under torchrun this joins the other processes
        group = join_from_env()
    except DistributedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    before = torch.get_num_threads()
    try:
        args.threads_why = _use_threads(threads, group, args.device)
        return _lead(group, args, argv) if group.is_main else _follow(group, args)
    finally:
        torch.set_num_threads(before)  # an in-process caller (a test) keeps its own
        group.close()


def _use_threads(requested: int | None, group: Group, device: str) -> str:
    """Set this process's thread count; returns why, for the line that says where the run is."""
    try:
        device_type = pick_device(device).type
    except ConfigError:
        device_type = "cpu"  # _lead says what is wrong with --device
    n, why = choose_threads(requested, world_size=group.world, device_type=device_type)
    if n is not None:
        torch.set_num_threads(n)
    return why


def _lead(group: Group, args, argv) -> int:
    """Rank 0 (or the only process): check the flags, create or open the run, take its lock, tell
    the other ranks which run to train, train it."""
    root = Path(args.root)
    told = False

    def tell(run: RunDir, resume: bool) -> None:
        nonlocal told
        told = True
        group.share((run.name, resume))

    try:
        check_root(root)  # --root /proc/self or /etc/passwd: a sentence, not a traceback
        if args.resume:
            run = RunDir(root / validate_name(args.resume))
            model_cfg, cfg = run.read_config()
            if model_cfg.arch == CODE_ARCH:
                raise ConfigError(f"run {run.name}'s model is Python code imported with --module; "
                                  "the trainer trains only this engine's models (mlp, conv), so "
                                  "train it with its own code.")
            epochs_before = cfg.epochs
            with _run_lock(run):  # one trainer per run: a second resume says "already training"
                if "--epochs" in (argv if argv is not None else sys.argv[1:]):
                    if args.epochs < cfg.epochs:
                        raise ConfigError(f"--epochs {args.epochs} is below the run's {cfg.epochs}.")
                    run.set_epochs(args.epochs)
                if cfg.world_size != group.world:
                    _set_world_size(run, group.world)
                print(f"run {run.name}: {run.path}, resuming (threads: {args.threads_why})",
                      file=sys.stderr)
                tell(run, True)
                return 0 if train(run, resume=True, quiet=args.quiet, group=group,
                                  epochs_before=epochs_before) != "failed" else 1
        data_dir = (os.path.abspath(args.data_dir) if args.data_dir and args.dataset in CUSTOM
                    else args.data_dir)  # your own images: found again from any working folder
        cfg = TrainConfig(dataset=args.dataset, data_dir=data_dir, epochs=args.epochs,
                          batch_size=args.batch_size, lr=args.lr, seed=args.seed, device=args.device,
                          log_every=args.log_every, snapshot_every=args.snapshot_every,
                          precision=args.precision, warmup_steps=args.warmup_steps,
                          lr_schedule=args.lr_schedule, world_size=group.world, shift=args.shift,
                          binarize=args.binarize,
                          **data_options(args.dataset, args.image_size, args.split_seed,
                                         args.test_fraction))
        if args.binarize and args.likelihood != "bernoulli":
            raise ConfigError("--binarize makes the pixels 0 or 1 for a Bernoulli likelihood; "
                              "it does not go with --likelihood gaussian.")
        pick_device(args.device)
        data = dataset_for(cfg)  # fail before a run folder exists
        model_cfg = VAEConfig(image_shape=data.image_shape, arch=args.arch,
                              hidden=parse_hidden(args.hidden, args.arch), latent_dim=args.latent_dim,
                              likelihood=args.likelihood, beta=args.beta,
                              kl_warmup_epochs=args.kl_warmup)
        name = args.name or f"{args.dataset}-{args.arch}-z{args.latent_dim}-{time.strftime('%Y%m%d-%H%M%S')}"
        if caught():  # stopped while it loaded: end before anything is created
            print(f"stopped by {caught()} before the run was created; nothing was written.",
                  file=sys.stderr)
            group.share(None)  # the other ranks end too
            return 0
        run = RunDir.create(root, name, model_cfg, cfg)
        print(f"run {run.name}: {run.path} (threads: {args.threads_why})", file=sys.stderr)
        with _run_lock(run):
            tell(run, False)
            return 0 if train(run, quiet=args.quiet, group=group) != "failed" else 1
    except (ConfigError, DatasetError, RunError, DistributedError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        if not told:
            with contextlib.suppress(DistributedError):
                group.share(None)  # the other ranks end too, without a word: this one said why
        return 2


def _follow(group: Group, args) -> int:
    """Ranks 1..N-1: train the run rank 0 names, writing nothing."""
    try:
        told = group.share(None)
        if told is None:
            return 2  # rank 0 printed why
        name, resume = told
        run = RunDir(Path(args.root) / validate_name(name))
        return 0 if train(run, resume=resume, quiet=True, group=group) != "failed" else 1
    except (ConfigError, DatasetError, RunError, DistributedError) as exc:
        print(f"error: (process {group.rank} of {group.world}) {exc}", file=sys.stderr)
        return 2


def _set_world_size(run: RunDir, world: int) -> None:
    """Record in config.json how many processes train the run from now on (a resume on another N)."""
    raw = run.read_raw_config()
    raw["train"]["world_size"] = world
    TrainConfig.from_dict(raw["train"])
    run.inside(run.config_file)
    write_json_atomic(run.config_file, raw)


def _run_lock(run: RunDir):
    """The run's exclusive lock for this trainer's lifetime; under torchrun only rank 0 takes it."""
    return run.lock() if int(os.environ.get("RANK", "0") or 0) == 0 else contextlib.nullcontext()


"""The Train form's values checked in words, and turned into the trainer's command-line options.

Pure: no Streamlit. The trainer validates again on its side; this gives the answer before a process
starts, next to the field that is wrong.
"""
from __future__ import annotations

import re
import time

from vae.data import CUSTOM, DATASETS, DatasetError, load_dataset
from vae.model_config import ConfigError, VAEConfig, parse_hidden
from vae.run import RunError, TrainConfig, validate_name

IMAGE_SHAPES = {"mnist-5k": (1, 28, 28), "fashion-mnist": (1, 28, 28), "mnist": (1, 28, 28),
                "digits": (1, 8, 8)}
TRAIN_SIZES = {"mnist-5k": 4_000, "fashion-mnist": 60_000, "mnist": 60_000, "digits": 1_437}
DEFAULTS = {"dataset": "mnist-5k", "data_dir": "", "arch": "mlp", "hidden": "256", "latent_dim": 2,
            "likelihood": "bernoulli", "beta": 1.0, "kl_warmup": 0, "epochs": 10, "batch_size": 128,
            "lr": 1e-3, "seed": 0, "device": "auto", "log_every": 20, "snapshot_every": 1,
            "name": ""}

# The form's explanations, kept beside its defaults and the checks that enforce them.
HELP = {
    "data_dir": "Your images: a folder with one sub-folder of images per class, or an .npz file (x, "
                "optional y). MNIST: your IDX .gz files or mnist.npz. Fashion-MNIST: a copy "
                "outside /usr/share/datasets. Empty for the others.",
    "image_size": "Resize every image to N x N; needed when their sizes differ.",
    "hidden": "Comma-separated MLP widths (e.g. 512,256) or two conv channel counts (e.g. 32,64).",
    "latent_dim": "1 to 64", "beta": "0 to 1000", "epochs": "1 to 10,000",
    "batch_size": "1 to 65,536", "lr": "above 0, at most 1", "seed": "0 to 4,294,967,295",
    "precision": "bf16 autocast for the network's products; auto picks it where the hardware has "
                 "bf16 (CUDA, CPUs with AVX512-BF16 or AMX). The reported ELBO is fp32 either way.",
    "processes": "Train on this many processes with torchrun (DDP: one per core, or per GPU). The "
                 "batch size stays the whole batch, split between them.",
}


def upload_help(max_mb: int, min_per_class: int) -> str:
    return (f"At most {max_mb} MB. Trains with the dataset 'Your images (a folder)'. Every file is "
            "checked before anything is kept: images only, one size (or an image size above), "
            f"two classes or more, at least {min_per_class} images each.")


def stopped_words(name: str, state: str, epochs_words: str, resumable: bool) -> str:
    """A stopped or interrupted run, in words: how far it got and what Resume will do."""
    word = "was interrupted (no trainer runs it)" if state == "interrupted" else "is stopped"
    where = ("it can be resumed from its last saved state." if resumable else
             "no epoch had finished, so Resume starts it again from epoch 1 with its settings.")
    return f"{name} {word} with {epochs_words}; {where}"


def ending_words(message: str | None, ended: str) -> str:
    """A run whose trainer has written how it ended ("stopped", "finished", "failed") and has not
    exited yet: its own words, and what comes next."""
    said = status_words(message) if message else f"The run has {ended}."
    return f"{said} The trainer is exiting; this page follows it."


def stale_words(pid) -> str:
    """An interrupted run whose status.json still says running."""
    return ("Its status.json still says running" + (f" (pid {pid})" if pid else "")
            + ", but no trainer holds the run's lock, so that state is stale: nothing will be "
              "signalled.")


def stop_words(name: str, pid: int | None) -> str:
    """What Stop did: a signal to the trainer's process when this dashboard knows it."""
    return f"Asked {name} to stop" + (f" (SIGTERM to its trainer, pid {pid})." if pid else ".")


def not_started_words(problems: list[str]) -> str:
    return "The run was not started:\n\n" + "\n".join(f"- {p}" for p in problems)


POSTERIOR_EVERY_S = 5  # while a run trains, its posterior is drawn anew at most this often


def posterior_caption(imported: bool, epochs_done: int, training: bool = False) -> str:
    """Under the live posterior plot: an imported run has no epochs to count; while a run trains,
    the plot can be a few epochs behind the progress above it."""
    if imported:
        return "Posterior means of the test set."
    if training:
        return (f"Posterior means of the test set after epoch {epochs_done}. While the run "
                f"trains, this plot is drawn again when an epoch ends, at most every "
                f"{POSTERIOR_EVERY_S} seconds.")
    return f"Posterior means of the test set after epoch {epochs_done}, the last finished one."


def posterior_due(shown: tuple, shown_at: float, current: tuple, now: float,
                  training: bool) -> bool:
    """Whether the live posterior is drawn anew for `current` (run name, then what identifies its
    weights and its caption) rather than shown again as drawn for `shown` at `shown_at` (seconds,
    time.monotonic()): another run's at once; new weights of the same run at once unless it
    trains, and while it trains once POSTERIOR_EVERY_S have passed. A small run ends an epoch
    every second or so, and the Train page drew each one anew (bench/bench_train_live.py)."""
    if shown[0] != current[0]:
        return True
    if shown != current:
        return not training or now - shown_at >= POSTERIOR_EVERY_S
    return False


def default_name(values: dict) -> str:
    return f"{values['dataset']}-z{values['latent_dim']}-b{values['beta']:g}-{time.strftime('%m%d-%H%M%S')}"


# Whole numbers the form takes as text, so that what was typed is what is checked
TYPED_WHOLE = {"latent_dim": "Latent dim", "epochs": "Epochs", "batch_size": "Batch size"}


def validate(values: dict, existing: set[str]) -> tuple[dict, list[str]]:
    """(options for vae.launch.start_training, problems in words). Options are empty if any."""
    problems: list[str] = []
    for key, words in TYPED_WHOLE.items():  # typed as text: a browser number field would turn
        text = str(values[key]).strip()      # "1e9" into 1, and a 20-digit number into a rounded one
        if re.fullmatch(r"[0-9]{1,18}", text):
            values[key] = int(text)
        else:
            problems.append(f"{words} must be a whole number written in digits, like "
                            f"{DEFAULTS[key]}, not {text!r:.40}.")
    if problems:
        return {}, problems
    name = values.get("name", "").strip() or default_name(values)
    try:
        validate_name(name)
        if name in existing:
            problems.append(f"A run named {name!r} already exists: choose another name.")
    except RunError as exc:
        problems.append(str(exc))
    if values["dataset"] not in DATASETS:
        problems.append(f"Unknown dataset {values['dataset']!r}.")
        return {}, problems
    shape = IMAGE_SHAPES.get(values["dataset"], (1, 28, 28))
    if values["dataset"] in CUSTOM:  # your own images: read (and every file checked) now
        try:
            shape = load_dataset(values["dataset"], values.get("data_dir") or None,
                                 image_size=values.get("image_size") or None).image_shape
        except DatasetError as exc:
            problems.append(str(exc))
    elif values.get("image_size"):
        problems.append(f"Image size applies to your own images only; {values['dataset']} has its "
                        f"own size, {shape[1]}x{shape[2]}. Leave it empty.")
    try:
        hidden = parse_hidden(values["hidden"], values["arch"])
        VAEConfig(image_shape=shape, arch=values["arch"],
                  hidden=hidden,
                  latent_dim=int(values["latent_dim"]), likelihood=values["likelihood"],
                  beta=float(values["beta"]), kl_warmup_epochs=int(values["kl_warmup"]))
    except ConfigError as exc:
        problems.append(_sentence(exc))
        hidden = None
    try:
        TrainConfig(dataset=values["dataset"], epochs=int(values["epochs"]),
                    batch_size=int(values["batch_size"]), lr=float(values["lr"]),
                    seed=int(values["seed"]), device=values["device"],
                    log_every=int(values["log_every"]), snapshot_every=int(values["snapshot_every"]))
    except ConfigError as exc:
        problems.append(_sentence(exc))
    if _whole(values["kl_warmup"]) > 0 and _whole(values["epochs"]) > 0 and (
            _whole(values["kl_warmup"]) > _whole(values["epochs"])):
        problems.append(
            f"The KL warm-up ({int(values['kl_warmup'])} epochs) is longer than the run "
            f"({int(values['epochs'])} epochs): beta would never reach {float(values['beta']):g}, "
            "so the run would end as a weaker-KL model than it is named for. Make the warm-up at "
            "most as long as the run.")
    if problems:
        return {}, problems
    options = {
        "name": name, "dataset": values["dataset"], "data-dir": values.get("data_dir") or None,
        "arch": values["arch"], "hidden": ",".join(map(str, hidden)),
        "latent-dim": int(values["latent_dim"]), "likelihood": values["likelihood"],
        "beta": float(values["beta"]), "kl-warmup": int(values["kl_warmup"]),
        "epochs": int(values["epochs"]), "batch-size": int(values["batch_size"]),
        "lr": float(values["lr"]), "seed": int(values["seed"]), "device": values["device"],
        "log-every": int(values["log_every"]), "snapshot-every": int(values["snapshot_every"]),
        "precision": values.get("precision") or None,
        "image-size": (int(values["image_size"]) if values.get("image_size")
                       and values["dataset"] in CUSTOM else None),
    }
    return options, []


def notes(values: dict) -> list[str]:
    """What a valid form will do that its numbers do not say, in words."""
    n = TRAIN_SIZES.get(values["dataset"])
    batch = int(values["batch_size"])
    if n and batch > n:
        return [f"Batch size {batch:,} is more than the {n:,} training images of "
                f"{DATASETS[values['dataset']].title}: every epoch is one step, over all "
                f"{n:,} of them."]
    return []


def _whole(value) -> int:
    """A form number as a whole number, 0 where it is none (its own check says why)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def status_words(message: str) -> str:
    """A trainer's status message as the page shows it: "1 epochs" (the trainer counts without a
    singular) reads "1 epoch"."""
    return re.sub(r"\b1 epochs\b", "1 epoch", message)


def _sentence(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:]

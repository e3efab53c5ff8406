"""Train a VAE into a run directory: `python -m vae.train --help`.

The dashboard launches this same command, so a run started in a terminal and one started in the
browser are the same thing. SIGTERM, SIGINT or a STOP file end it within a second, resumable.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import pickle
import signal
import sys
import threading
import time
from pathlib import Path

import torch

from .data import CUSTOM, DATASETS, DatasetError, data_options, dataset_for
from .losses import evaluate, loss_terms
from .model import ARCHS, LIKELIHOODS, VAE, ConfigError, VAEConfig
from .runs import DEFAULT_ROOT, RunDir, RunError, TrainConfig, validate_name

STATUS_EVERY_S = 0.5


def pick_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda was asked for but no CUDA GPU is visible to PyTorch.")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ConfigError("--device mps was asked for but Apple's MPS backend is not available.")
    return torch.device(name)


def make_optimizer(model: VAE, lr: float) -> torch.optim.Adam:
    """Adam, fused into one kernel per tensor where the device has one: about 20% more samples/s
    than the default on a 2-core CPU for the 784-400-20 MLP (bench/bench_trainer.py)."""
    try:
        return torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    except RuntimeError:  # a device without a fused Adam kernel
        return torch.optim.Adam(model.parameters(), lr=lr)


def beta_at(config: VAEConfig, epoch: int, frac: float) -> float:
    """Beta with linear KL warm-up: 0 at the start, config.beta after kl_warmup_epochs."""
    if config.kl_warmup_epochs <= 0:
        return config.beta
    return config.beta * min(1.0, (epoch - 1 + frac) / config.kl_warmup_epochs)


class StopFlag:
    """Set by SIGTERM/SIGINT; the loop checks it (and the STOP file) every step."""

    def __init__(self):
        self.signal = None
        self._previous = {}
        if threading.current_thread() is threading.main_thread():  # Python allows no other
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._previous[sig] = signal.signal(sig, self._set)

    def _set(self, signum, _frame):
        self.signal = signal.Signals(signum).name

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}


class Progress:
    """One line on stderr: epoch, bar, samples/s, ETA. Written at most 5 times a second."""

    def __init__(self, total_steps: int, stream=sys.stderr):
        self.total, self.stream, self.last = total_steps, stream, 0.0
        self.tty = stream.isatty()

    def update(self, step: int, epoch: int, epochs: int, rate: float, eta: float, loss: float,
               force: bool = False):
        now = time.monotonic()
        if not force and now - self.last < 0.2:
            return
        self.last = now
        frac = step / max(1, self.total)
        bar = "#" * int(30 * frac) + "-" * (30 - int(30 * frac))
        line = (f"epoch {epoch}/{epochs} [{bar}] {100 * frac:5.1f}% step {step}/{self.total} "
                f"{rate:,.0f} samples/s ETA {format_seconds(eta)} -ELBO {loss:.1f}")
        self.stream.write(("\r" + line) if self.tty else line + "\n")
        self.stream.flush()


def format_seconds(s: float) -> str:
    if not math.isfinite(s):
        return "--:--"
    s = int(round(s))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def train(run: RunDir, resume: bool = False, quiet: bool = False) -> str:
    """Train the run to its configured epochs. Returns the final state."""
    model_cfg, cfg = run.read_config()
    run.sweep_temp_files()  # temp files of saves a killed trainer left half-done
    if resume and not os.path.lexists(run.weights_file):
        resume = False  # killed in its first epoch: nothing to go on from; start over, same config
    device = pick_device(cfg.device)
    data = dataset_for(cfg)
    if data.image_shape != model_cfg.image_shape:
        raise RunError(f"{cfg.dataset} has images of shape {data.image_shape} but the run's model "
                       f"expects {model_cfg.image_shape}.")
    torch.manual_seed(cfg.seed)
    train_x = torch.from_numpy(data.train_x.copy()).to(device)
    test_x = torch.from_numpy(data.test_x.copy()).to(device)
    model = VAE(model_cfg).to(device)
    optimizer = make_optimizer(model, cfg.lr)
    shuffle_gen = torch.Generator().manual_seed(cfg.seed)
    eps_gen = torch.Generator(device=device).manual_seed(cfg.seed + 1)
    steps_per_epoch = math.ceil(len(train_x) / cfg.batch_size)
    total_steps = steps_per_epoch * cfg.epochs
    start_epoch, step = 1, 0
    if resume:
        model = run.load_model(device=str(device)).train()
        optimizer = make_optimizer(model, cfg.lr)
        if run.resume_file.exists():
            try:  # weights_only: tensors and plain containers, never arbitrary pickled objects
                state = torch.load(io.BytesIO(run.read_bytes(run.resume_file, 1 << 30)),
                                   map_location=device, weights_only=True)  # never via a link
                optimizer.load_state_dict(state["optimizer"])
                shuffle_gen.set_state(state["shuffle_rng"].cpu())  # map_location moved it
                eps_gen.set_state(state["eps_rng"].cpu())
                start_epoch, step = int(state["epoch"]) + 1, int(state["step"])
            except (pickle.UnpicklingError, RuntimeError, EOFError, KeyError, TypeError,
                    ValueError) as exc:
                raise RunError(f"{run.resume_file} is corrupt or not a tensors-only resume state "
                               f"({type(exc).__name__}: {str(exc).splitlines()[0][:200]}). Delete "
                               "it to resume from the last epoch's weights without it.") from exc
        else:  # a copied or shipped run without optimizer state: go on from its last epoch line
            epochs_done = [r for r in run.read_metrics() if r.get("kind") == "epoch"]
            if epochs_done:
                start_epoch, step = epochs_done[-1]["epoch"] + 1, epochs_done[-1]["step"]
        if start_epoch > cfg.epochs:
            run.write_status(state="finished", message="Already trained to its last epoch.",
                             epoch=cfg.epochs, epochs=cfg.epochs, step=step, total_steps=step)
            return "finished"
    run.stop_file.unlink(missing_ok=True)
    # A run stopped mid-epoch goes on at the batch after the last one it took, in the same order
    # (resume.pt holds the shuffle state from before that epoch's permutation), so stopping and
    # resuming gives the same weights as never stopping.
    skip = min(max(step - (start_epoch - 1) * steps_per_epoch, 0), steps_per_epoch)

    stop = StopFlag()
    try:
        return _train_loop(run, model_cfg, cfg, device, model, optimizer, shuffle_gen, eps_gen,
                           train_x, test_x, start_epoch, step, skip, total_steps, steps_per_epoch,
                           stop, quiet)
    finally:
        stop.restore()  # an in-process caller (a test, a benchmark) gets its Ctrl-C back


def _train_loop(run, model_cfg, cfg, device, model, optimizer, shuffle_gen, eps_gen, train_x,
                test_x, start_epoch, step, skip, total_steps, steps_per_epoch, stop, quiet) -> str:
    progress = Progress(total_steps, _NullStream() if quiet else sys.stderr)
    t0 = time.monotonic()
    steps_this_session, last_status = 0, 0.0
    window = {"recon": 0.0, "kl": 0.0, "n": 0, "t": time.monotonic()}
    rate = 0.0
    epoch = start_epoch
    epoch_shuffle_state = shuffle_gen.get_state()

    def status(state: str, **extra):
        elapsed = time.monotonic() - t0
        eta = (total_steps - step) * elapsed / steps_this_session if steps_this_session else math.inf
        run.write_status(state=state, pid=os.getpid(), epoch=epoch, epochs=cfg.epochs, step=step,
                         total_steps=total_steps, samples_per_s=rate,
                         eta_s=eta if math.isfinite(eta) else None, device=str(device), **extra)
        return eta

    def save_resumable(completed_epoch: int, shuffle_state: torch.Tensor):
        run.save_weights(model)
        _save_atomic(run.resume_file, {
            "optimizer": optimizer.state_dict(), "shuffle_rng": shuffle_state,
            "eps_rng": eps_gen.get_state(), "epoch": completed_epoch, "step": step})

    def fail(msg: str) -> str:
        status("failed", message=msg)
        print(f"\nerror: {msg}", file=sys.stderr)
        return "failed"

    def kept() -> str:
        if run.weights_file.exists():
            return "The last good weights (saved at the last epoch end or stop) were kept. "
        return "No epoch had finished, so there are no weights to keep. "

    status("running", message="")
    # lines a killed session logged past the point this one goes on from are cut; no links
    with run.open_metrics(resume_step=step) as metrics:
        def log(row: dict):
            metrics.write(_json_line(row))
            metrics.flush()

        for epoch in range(start_epoch, cfg.epochs + 1):
            model.train()
            epoch_shuffle_state = shuffle_gen.get_state()
            order = torch.randperm(len(train_x), generator=shuffle_gen).to(device)
            ep_sum = {"recon": 0.0, "kl": 0.0, "n": 0}
            first = skip if epoch == start_epoch else 0
            for i in range(first, steps_per_epoch):
                x = train_x[order[i * cfg.batch_size:(i + 1) * cfg.batch_size]]
                beta = beta_at(model_cfg, epoch, i / steps_per_epoch)
                terms = loss_terms(model, x, eps_gen)
                loss = terms.objective(beta)
                # one read of the two sums serves the NaN check and the metrics
                recon_sum, kl_sum = torch.stack((terms.recon.detach().sum(),
                                                 terms.kl.detach().sum())).tolist()
                if not math.isfinite(recon_sum + kl_sum):
                    return fail(f"The loss became {loss.item()} at step {step + 1} (epoch {epoch}). "
                                + kept() + "Try a lower learning rate.")
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                step += 1
                steps_this_session += 1
                b = len(x)
                for acc in (window, ep_sum):
                    acc["recon"] += recon_sum
                    acc["kl"] += kl_sum
                    acc["n"] += b
                if step % cfg.log_every == 0:
                    now = time.monotonic()
                    rate = window["n"] / max(now - window["t"], 1e-9)
                    log(_train_row(step, epoch, rate, beta, window))
                    window = {"recon": 0.0, "kl": 0.0, "n": 0, "t": now}
                now = time.monotonic()
                if now - last_status > STATUS_EVERY_S:
                    last_status = now
                    eta = status("running", message="")
                    progress.update(step, epoch, cfg.epochs, rate, eta,
                                    (ep_sum["recon"] + ep_sum["kl"]) / ep_sum["n"])
                if stop.signal or run.stop_file.exists():
                    save_resumable(epoch - 1, epoch_shuffle_state)
                    why = stop.signal or "a stop request"
                    status("stopped", message=f"Stopped by {why} during epoch {epoch}; resumable.")
                    progress.stream.write(f"\nstopped by {why}; resume with --resume {run.name}\n")
                    return "stopped"

            eval_start = time.monotonic()
            test = evaluate(model, test_x, generator=torch.Generator(device=device).manual_seed(cfg.seed))
            if not math.isfinite(test["neg_elbo"]) or not _all_finite(model):
                # the last step's update overflowed: the loss was finite, the weights are not
                return fail(f"The weights became NaN or infinite during epoch {epoch} (test -ELBO "
                            f"{test['neg_elbo']}). " + kept() + "Try a lower learning rate.")
            elapsed = time.monotonic() - t0
            row = _train_row(step, epoch, rate, beta_at(model_cfg, epoch, 1.0), ep_sum)
            row.update({"kind": "epoch", "epoch_time": elapsed})
            row.update({f"test/{k}": v for k, v in test.items()})
            log(row)
            save_resumable(epoch, shuffle_gen.get_state())
            if epoch % cfg.snapshot_every == 0 or epoch == cfg.epochs:
                run.save_snapshot(model, epoch)
            eta = status("running", message="")
            progress.update(step, epoch, cfg.epochs, rate, eta, test["neg_elbo"], force=True)
            # samples/s measures training: the window spanning this epoch end skips its evaluation
            window["t"] += time.monotonic() - eval_start

    status("finished", message=f"Finished {cfg.epochs} epochs; test -ELBO "
                               f"{test['neg_elbo']:.2f} nats/image.")
    progress.stream.write("\n")
    return "finished"


def _all_finite(model: VAE) -> bool:
    return all(bool(torch.isfinite(p).all()) for p in model.parameters())


def _save_atomic(path: Path, obj) -> None:
    """torch.save through a temp file and a rename: a stop mid-write never leaves half a resume.pt."""
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


class _NullStream:
    def write(self, _text: str) -> None:
        pass

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def _train_row(step, epoch, rate, beta, acc) -> dict:
    n = max(acc["n"], 1)
    recon, kl = acc["recon"] / n, acc["kl"] / n
    return {"kind": "step", "step": step, "epoch": epoch, "time": time.time(),
            "samples_per_s": rate, "beta": beta,
            "train/recon": recon, "train/kl": kl, "train/neg_elbo": recon + kl}


def _json_line(row: dict) -> str:
    return json.dumps(row, allow_nan=True) + "\n"


# -------------------------------------------------------------------------------------------- CLI

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
    p.add_argument("--log-every", type=int, default=20, help="steps between metric lines")
    p.add_argument("--snapshot-every", type=int, default=1, help="epochs between replay snapshots")
    p.add_argument("--name", help="run name (default: dataset-arch-zD-time)")
    p.add_argument("--resume", metavar="NAME",
                   help="continue a stopped run; --epochs, if given, raises its target")
    p.add_argument("--root", default=str(DEFAULT_ROOT), help="folder holding the runs")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def parse_hidden(text: str | None, arch: str) -> tuple[int, ...]:
    if not text:
        return (400,) if arch == "mlp" else (32, 64)
    try:
        values = tuple(int(v) for v in text.replace(" ", "").split(",") if v)
    except ValueError as exc:
        raise ConfigError(f"hidden sizes take comma-separated whole numbers like 512,256, not {text!r}") from exc
    if not values:
        raise ConfigError("hidden sizes need at least one width")
    return values


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    root = Path(args.root)
    try:
        if args.resume:
            run = RunDir(root / validate_name(args.resume))
            model_cfg, cfg = run.read_config()
            with _run_lock(run):  # one trainer per run: a second resume says "already training"
                if "--epochs" in (argv if argv is not None else sys.argv[1:]):
                    if args.epochs < cfg.epochs:
                        raise ConfigError(f"--epochs {args.epochs} is below the run's {cfg.epochs}.")
                    run.set_epochs(args.epochs)
                return 0 if train(run, resume=True, quiet=args.quiet) != "failed" else 1
        data_dir = (os.path.abspath(args.data_dir) if args.data_dir and args.dataset in CUSTOM
                    else args.data_dir)  # your own images: found again from any working folder
        cfg = TrainConfig(dataset=args.dataset, data_dir=data_dir, epochs=args.epochs,
                          batch_size=args.batch_size, lr=args.lr, seed=args.seed, device=args.device,
                          log_every=args.log_every, snapshot_every=args.snapshot_every,
                          **data_options(args.dataset, args.image_size, args.split_seed,
                                         args.test_fraction))
        pick_device(args.device)
        data = dataset_for(cfg)  # fail before a run folder exists
        model_cfg = VAEConfig(image_shape=data.image_shape, arch=args.arch,
                              hidden=parse_hidden(args.hidden, args.arch), latent_dim=args.latent_dim,
                              likelihood=args.likelihood, beta=args.beta,
                              kl_warmup_epochs=args.kl_warmup)
        name = args.name or f"{args.dataset}-{args.arch}-z{args.latent_dim}-{time.strftime('%Y%m%d-%H%M%S')}"
        run = RunDir.create(root, name, model_cfg, cfg)
        print(f"run {run.name}: {run.path}", file=sys.stderr)
        with _run_lock(run):
            return 0 if train(run, quiet=args.quiet) != "failed" else 1
    except (ConfigError, DatasetError, RunError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _run_lock(run: RunDir):
    """The run's exclusive lock for this trainer's lifetime; under torchrun only rank 0 takes it."""
    return run.lock() if int(os.environ.get("RANK", "0") or 0) == 0 else contextlib.nullcontext()


if __name__ == "__main__":
    code = main()
    # Everything is written and closed by now. Skip the interpreter's teardown of torch, which
    # takes 0.5-1 s on a small CPU and would make "stop within a second" false.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)

"""The training loop: one session of training a run, from its config to its last epoch or a stop.

Every STATUS_EVERY_S the loop rewrites status.json; every log_every steps it appends to
metrics.jsonl; at every epoch end it evaluates the whole test set (fp32) and saves the weights
and resume.pt, and every snapshot_every epochs a replay snapshot. SIGTERM, SIGINT or a STOP file
end it within a second, resumable: stopping and resuming gives the same weights as never stopping.
"""
from __future__ import annotations

import contextlib
import io
import json
import math
import os
import pickle
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from torch.nn.parallel import DistributedDataParallel

from ..augment import binarize_images, shift_images, shift_offsets
from ..data import dataset_for
from ..distributed import Group, PeerLost, ShardObjective, evaluate_sharded, peer_lost
from ..losses import evaluate, loss_terms
from ..model import VAE, VAEConfig
from ..model_config import _is_int
from ..run import MAX_WEIGHT, RunDir, RunError, TrainConfig, format_seconds
from ..run.metrics import MAX_STEP
from .device import make_optimizer, pick_device, resolve_precision
from .schedule import beta_at, lr_schedule
from .stop import StopFlag, started

STATUS_EVERY_S = 0.5


class Progress:
    """One line on stderr: epoch, bar, samples/s, ETA. Written at most 5 times a second."""

    def __init__(self, total_steps: int, stream=sys.stderr):
        self.total, self.stream, self.last = total_steps, stream, 0.0
        self.tty = stream.isatty()

    def update(self, step: int, epoch: int, epochs: int, rate: float, eta: float, loss: float,
               force: bool = False, split: str = "train"):
        now = time.monotonic()
        if not force and now - self.last < 0.2:
            return
        self.last = now
        frac = step / max(1, self.total)
        bar = "#" * int(30 * frac) + "-" * (30 - int(30 * frac))
        line = (f"epoch {epoch}/{epochs} [{bar}] {100 * frac:5.1f}% step {step}/{self.total} "
                f"{rate:,.0f} samples/s ETA {format_seconds(eta)} {split} -ELBO {loss:.1f}")
        self.stream.write(("\r" + line) if self.tty else line + "\n")
        self.stream.flush()



@dataclass
class Session:
    """What one training session reads and changes: the model, its optimizer, the two random
    streams, the data, where it starts and this process's place among the run's processes. The
    loop takes it whole; resume.pt keeps the parts a later session needs."""
    run: RunDir
    model_cfg: VAEConfig
    cfg: TrainConfig
    device: torch.device
    model: VAE
    optimizer: torch.optim.Optimizer
    shuffle_gen: torch.Generator  # the global permutation of each epoch, the same on every rank
    eps_gen: torch.Generator  # the noise of each global batch, the same on every rank
    train_x: torch.Tensor
    test_x: torch.Tensor
    group: Group
    precision: str  # what --precision resolved to here: fp32 or bf16
    start_epoch: int = 1
    step: int = 0
    skip: int = 0  # batches of start_epoch already taken before a stop
    note: str = ""  # what the running status says (a resume's schedule change), else nothing

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.train_x) / self.cfg.batch_size)

    @property
    def total_steps(self) -> int:
        return self.steps_per_epoch * self.cfg.epochs


def train(run: RunDir, resume: bool = False, quiet: bool = False, group: Group | None = None,
          epochs_before: int | None = None) -> str:
    """Train the run to its configured epochs. Returns the final state. Under torchrun every rank
    calls this with its group; rank 0 alone writes to the run folder. A SIGTERM or SIGINT from the
    start (or before, see vae.train.stop) stops it at its first step. epochs_before: the run's
    epochs before a resume raised them (the cosine schedule's change is then said and recorded)."""
    stop = StopFlag()  # first: a Stop while the data loads is kept for the first step
    try:
        return _train(run, resume, quiet, group or Group(), stop, started(time.time()),
                      epochs_before)
    finally:
        stop.restore()  # an in-process caller (a test, a benchmark) gets its Ctrl-C back


def _train(run: RunDir, resume: bool, quiet: bool, group: Group, stop: StopFlag,
           since: float, epochs_before: int | None = None) -> str:
    model_cfg, cfg = run.read_config()
    if group.is_main:
        run.sweep_temp_files()  # temp files of saves a killed trainer left half-done
    if resume and not os.path.lexists(run.weights_file):
        resume = False  # killed in its first epoch: nothing to go on from; start over, same config
    device = group.device(pick_device(cfg.device))
    data = dataset_for(cfg)
    if data.image_shape != model_cfg.image_shape:
        raise RunError(f"{cfg.dataset} has images of shape {data.image_shape} but the run's model "
                       f"expects {model_cfg.image_shape}.")
    torch.manual_seed(cfg.seed)
    train_x = torch.from_numpy(data.train_x.copy()).to(device)
    test_x = torch.from_numpy(data.test_x.copy()).to(device)
    model = VAE(model_cfg).to(device)
    s = Session(run, model_cfg, cfg, device, model, make_optimizer(model, cfg.lr),
                torch.Generator().manual_seed(cfg.seed),
                torch.Generator(device=device).manual_seed(cfg.seed + 1), train_x, test_x, group,
                resolve_precision(cfg.precision, device))
    if resume:
        s.model = run.load_model(device=str(device)).train()
        s.optimizer = make_optimizer(s.model, cfg.lr)
        if run.resume_file.exists():
            try:  # weights_only: tensors and plain containers, never arbitrary pickled objects
                state = torch.load(io.BytesIO(run.read_bytes(run.resume_file, 1 << 30)),
                                   map_location=device, weights_only=True)  # never via a link
                _check_resume_state(run, state, cfg)  # before anything uses it: a step of -1
                # would cut every metrics line on resume
                s.optimizer.load_state_dict(state["optimizer"])
                s.shuffle_gen.set_state(state["shuffle_rng"].cpu())  # map_location moved it
                s.eps_gen.set_state(state["eps_rng"].cpu())
                s.start_epoch, s.step = int(state["epoch"]) + 1, int(state["step"])
            except (pickle.UnpicklingError, RuntimeError, EOFError, KeyError, TypeError,
                    ValueError) as exc:
                raise RunError(f"{run.resume_file} is corrupt or not a tensors-only resume state "
                               f"({type(exc).__name__}: {str(exc).splitlines()[0][:200]}). Delete "
                               "it to resume from the last epoch's weights without it.") from exc
        else:  # a copied or shipped run without optimizer state: go on from its last epoch line
            epochs_done = [r for r in run.read_metrics() if r.get("kind") == "epoch"]
            if epochs_done:
                s.start_epoch, s.step = epochs_done[-1]["epoch"] + 1, epochs_done[-1]["step"]
        if group.is_main and s.start_epoch <= cfg.epochs:
            print(f"resuming {run.name} at epoch {s.start_epoch} of {cfg.epochs}, after step "
                  f"{s.step}", file=sys.stderr)
        if s.start_epoch > cfg.epochs:
            if group.is_main:
                run.write_status(state="finished", message="Already trained to its last epoch.",
                                 epoch=cfg.epochs, epochs=cfg.epochs, step=s.step,
                                 total_steps=s.step)
            return "finished"
    if group.is_main:
        _clear_old_stop(run, since)
    # A run stopped mid-epoch goes on at the batch after the last one it took, in the same order
    # (resume.pt holds the shuffle state from before that epoch's permutation), so stopping and
    # resuming gives the same weights as never stopping.
    s.skip = min(max(s.step - (s.start_epoch - 1) * s.steps_per_epoch, 0), s.steps_per_epoch)
    if resume and epochs_before and epochs_before != cfg.epochs and group.is_main:
        s.note = _schedule_change(s, epochs_before)

    return _train_loop(s, stop, quiet or not group.is_main)


def _schedule_change(s: Session, epochs_before: int) -> str:
    """A resume that raised the epochs of a cosine run: the schedule is the new length's, so the
    learning rate jumps at the resume step. That is kept (it decays to zero at the new end, as a
    run of that length from the start would) and said: in the returned words, which the running
    status shows and the trainer prints, and in config.json's "schedule_changes"."""
    cfg = s.cfg
    if cfg.lr_schedule != "cosine":
        return ""
    old_total, new_total = s.steps_per_epoch * epochs_before, s.total_steps
    old_lr = lr_schedule(replace(cfg, epochs=epochs_before), old_total)(s.step)
    new_lr = lr_schedule(cfg, new_total)(s.step)
    words = (f"Resumed with {cfg.epochs} epochs (was {epochs_before}): the cosine learning-rate "
             f"schedule now decays to zero at step {new_total:,} instead of {old_total:,}, so at "
             f"step {s.step:,} the learning rate goes from {old_lr:.3g} to {new_lr:.3g}.")
    s.run.record_schedule_change({"step": s.step, "epochs_before": epochs_before,
                                  "epochs": cfg.epochs, "total_steps_before": old_total,
                                  "total_steps": new_total, "lr_before": old_lr, "lr": new_lr,
                                  "time": time.time()})
    print(words, file=sys.stderr)
    return words


def _check_resume_state(run: RunDir, state, cfg: TrainConfig) -> None:
    """RunError in words unless resume.pt's epoch and step are whole numbers in range: the epoch
    it completed (0 to the run's epochs) and the steps it took (at least one per epoch done, at
    most 10**9)."""
    if not isinstance(state, dict):
        raise RunError(f"{run.resume_file} is not a resume state (it holds a "
                       f"{type(state).__name__}, not a dict). Delete it to resume from the last "
                       "epoch's weights without it.")
    epoch, step = state.get("epoch"), state.get("step")
    problems = []
    if not _is_int(epoch) or not 0 <= epoch <= cfg.epochs:
        problems.append(f"its epoch is {epoch!r:.40}, not a whole number from 0 to {cfg.epochs}")
    if not _is_int(step) or not 0 <= step <= MAX_STEP or (_is_int(epoch) and step < epoch):
        problems.append(f"its step is {step!r:.40}, not a whole number from "
                        f"{epoch if _is_int(epoch) and epoch > 0 else 0} to {MAX_STEP:,}")
    if problems:
        raise RunError(f"{run.resume_file} is damaged: {'; '.join(problems)}. Nothing was "
                       "changed. Delete it to resume from the last epoch's weights without it.")


def _clear_old_stop(run: RunDir, since: float) -> None:
    """Remove a STOP file an earlier session left (older than this trainer's start); one written
    since is a Stop for this session, pressed while it started, and stays to be obeyed."""
    try:
        if os.lstat(run.stop_file).st_mtime < since:
            run.stop_file.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise RunError(f"{run.stop_file} cannot be removed: {exc.strerror or exc}.") from exc


def _train_loop(s: Session, stop: StopFlag, quiet: bool) -> str:
    run, cfg, model_cfg, device, group = s.run, s.cfg, s.model_cfg, s.device, s.group
    model, optimizer, eps_gen, train_x = s.model, s.optimizer, s.eps_gen, s.train_x
    steps_per_epoch, total_steps, step = s.steps_per_epoch, s.total_steps, s.step
    writes = group.is_main  # the other ranks compute and write nothing
    progress = Progress(total_steps, _NullStream() if quiet else sys.stderr)
    t0 = time.monotonic()
    steps_this_session, last_status = 0, 0.0
    window = {"recon": 0.0, "kl": 0.0, "n": 0, "t": time.monotonic()}
    rate = 0.0
    epoch = s.start_epoch
    epoch_shuffle_state = s.shuffle_gen.get_state()
    # The plain fp32 single process keeps vae.losses.loss_terms (its numbers are the reference);
    # N processes or bf16 take each global batch's noise explicitly and compute -log p(x|z) and
    # KL in fp32 from the (autocast) network outputs.
    plain = not group.enabled and s.precision == "fp32"

    def batch(rows, step, part=slice(None)):
        """The images of a global batch (this rank's `part` of it), shifted and binarized if the
        run asks."""
        x = train_x[rows[part]]
        if cfg.shift:
            x = shift_images(x, shift_offsets(len(rows), cfg.shift, cfg.seed, step)[part])
        if cfg.binarize:
            x = binarize_images(x, len(rows), cfg.seed, step, part)
        return x

    objective = None
    if not plain:
        objective = ShardObjective(model, bf16=s.precision == "bf16")
        if group.enabled:
            try:  # DDP broadcasts rank 0's weights here
                objective = DistributedDataParallel(
                    objective, device_ids=[device.index] if device.type == "cuda" else None)
            except RuntimeError as exc:
                raise peer_lost(exc) from exc
    lr_of = lr_schedule(cfg, total_steps)
    eps_at_step = None  # set while a bf16 or N-process step has drawn its noise, not yet updated

    def status(state: str, **extra):
        elapsed = time.monotonic() - t0
        eta = (total_steps - step) * elapsed / steps_this_session if steps_this_session else math.inf
        if writes:
            run.write_status(state=state, pid=os.getpid(), epoch=epoch, epochs=cfg.epochs,
                             step=step, total_steps=total_steps, samples_per_s=rate,
                             eta_s=eta if math.isfinite(eta) else None, device=str(device),
                             world_size=group.world, precision=s.precision, **extra)
        return eta

    def save_resumable(completed_epoch: int, shuffle_state: torch.Tensor, eps_state=None):
        if writes:
            run.save_weights(model)
            _save_atomic(run.resume_file, {
                "optimizer": optimizer.state_dict(), "shuffle_rng": shuffle_state,
                "eps_rng": eps_gen.get_state() if eps_state is None else eps_state,
                "epoch": completed_epoch, "step": step})

    def fail(msg: str) -> str:
        status("failed", message=msg)
        if writes:
            print(f"\nerror: {msg}", file=sys.stderr)
        return "failed"

    def kept() -> str:
        if run.weights_file.exists():
            return "The last good weights (saved at the last epoch end or stop) were kept. "
        return "No epoch had finished, so there are no weights to keep. "

    def stopped(why: str, eps_state=None) -> str:
        save_resumable(epoch - 1, epoch_shuffle_state, eps_state)
        status("stopped", message=f"Stopped by {why} during epoch {epoch}; resumable.")
        progress.stream.write(f"\nstopped by {why}; resume with --resume {run.name}\n")
        return "stopped"

    if not group.enabled and (stop.signal or run.stop_file.exists()):
        # stopped while it started: nothing was trained or written yet, so nothing is saved; a
        # resume goes on from what the run held before (or starts over, without weights)
        why = stop.signal or "a stop request"
        status("stopped", message=f"Stopped by {why} before its first step (while it started); "
                                  "resumable.")
        progress.stream.write(f"\nstopped by {why} before its first step\n")
        return "stopped"
    status("running", message=s.note)
    # lines a killed session logged past the point this one goes on from are cut; no links
    with (run.open_metrics(resume_step=step) if writes else contextlib.nullcontext()) as metrics:
        def log(row: dict):
            if writes:
                metrics.write(_json_line(row))
                metrics.flush()

        try:
            for epoch in range(s.start_epoch, cfg.epochs + 1):
                model.train()
                epoch_shuffle_state = s.shuffle_gen.get_state()
                order = torch.randperm(len(train_x), generator=s.shuffle_gen).to(device)
                ep_sum = {"recon": 0.0, "kl": 0.0, "n": 0}
                first = s.skip if epoch == s.start_epoch else 0
                for i in range(first, steps_per_epoch):
                    rows = order[i * cfg.batch_size:(i + 1) * cfg.batch_size]
                    beta = beta_at(model_cfg, epoch, i / steps_per_epoch)
                    if lr_of is not None:
                        for g in optimizer.param_groups:
                            g["lr"] = lr_of(step)
                    if plain:
                        x = batch(rows, step)
                        terms = loss_terms(model, x, eps_gen)
                        loss = terms.objective(beta)
                        # one read of the two sums serves the NaN check and the metrics
                        recon_sum, kl_sum = torch.stack((terms.recon.detach().sum(),
                                                         terms.kl.detach().sum())).tolist()
                    else:
                        eps_at_step = eps_gen.get_state()  # the noise state `step` steps in,
                        # for a stop that comes before this step's update
                        eps = torch.randn((len(rows), model_cfg.latent_dim), generator=eps_gen,
                                          device=device)
                        part = group.shard(len(rows))
                        recon, kl_dims = objective(batch(rows, step, part), eps[part])
                        kl = kl_dims.sum(-1)
                        # the sum over this rank's images, scaled so DDP's mean over ranks is the
                        # global batch's mean
                        loss = (recon + beta * kl).sum() / (len(rows) / group.world)
                        # one all-reduce: the global sums for the metrics and the NaN check, and
                        # whether any rank was asked to stop (all ranks stop at the same step)
                        asked = bool(stop.signal) or (writes and run.stop_file.exists())
                        recon_sum, kl_sum, asked_n = group.all_sum(torch.stack((
                            recon.detach().sum(), kl.detach().sum(),
                            torch.tensor(float(asked), device=device)))).tolist()
                        if asked_n:  # before this step's update: resumable as of `step`
                            return stopped(stop.signal or "a stop request", eps_at_step)
                    if not math.isfinite(recon_sum + kl_sum):
                        where = " on some process" if group.enabled else ""
                        return fail(f"The loss became {recon_sum + kl_sum} at step {step + 1} "
                                    f"(epoch {epoch}){where}. " + kept()
                                    + "Try a lower learning rate.")
                    optimizer.zero_grad(set_to_none=True)
                    if group.enabled:
                        try:
                            loss.backward()  # DDP all-reduces the gradients in here
                        except RuntimeError as exc:
                            raise peer_lost(exc) from exc
                    else:
                        loss.backward()
                    optimizer.step()
                    step = s.step = step + 1
                    eps_at_step = None  # the generator's own state goes with `step` again
                    steps_this_session += 1
                    b = len(rows)
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
                        eta = status("running", message=s.note)
                        progress.update(step, epoch, cfg.epochs, rate, eta,
                                        (ep_sum["recon"] + ep_sum["kl"]) / ep_sum["n"])
                    if plain and (stop.signal or run.stop_file.exists()):
                        return stopped(stop.signal or "a stop request")

                eval_start = time.monotonic()
                eval_gen = torch.Generator(device=device).manual_seed(cfg.seed)
                if not group.enabled:  # fp32 always: the reported ELBO is never bf16
                    test = evaluate(model, s.test_x, generator=eval_gen)
                else:
                    test = evaluate_sharded(model, s.test_x, group, generator=eval_gen)
                wrong = "NaN or infinite" if not math.isfinite(test["neg_elbo"]) else \
                    _weights_problem(model)
                if wrong:
                    # the last step's update overflowed: the loss was finite, the weights are not
                    return fail(f"The weights became {wrong} during epoch {epoch} (test -ELBO "
                                f"{test['neg_elbo']}). " + kept() + "Try a lower learning rate.")
                elapsed = time.monotonic() - t0
                row = _train_row(step, epoch, rate, beta_at(model_cfg, epoch, 1.0), ep_sum)
                row.update({"kind": "epoch", "epoch_time": elapsed})
                row.update({f"test/{k}": v for k, v in test.items()})
                log(row)
                save_resumable(epoch, s.shuffle_gen.get_state())
                if writes and (epoch % cfg.snapshot_every == 0 or epoch == cfg.epochs):
                    run.save_snapshot(model, epoch)
                eta = status("running", message=s.note)
                progress.update(step, epoch, cfg.epochs, rate, eta, test["neg_elbo"], force=True,
                                split="test")
                # samples/s measures training: the window spanning this epoch end skips its
                # evaluation
                window["t"] += time.monotonic() - eval_start
        except PeerLost as exc:
            if writes:
                # This rank's weights and optimizer are those after `step` steps (a failed
                # all-reduce happens before the update), so they are saved as a stop would save them.
                save_resumable(epoch - 1, epoch_shuffle_state, eps_at_step)
                msg = (f"Stopped at step {step} (epoch {epoch}): {exc}. The state at that step was "
                       f"saved; resume with --resume {run.name}, on any number of processes.")
                status("stopped", message=msg)
            else:  # only process 0 writes: this one saved nothing, and process 0 may be the dead one
                msg = (f"Stopped at step {step} (epoch {epoch}): {exc}. This process saved "
                       "nothing (only process 0 writes the run); the run holds what process 0 "
                       f"last saved, at an epoch end or a stop. Resume with --resume {run.name}, "
                       "on any number of processes.")
            print(f"\nerror: (process {group.rank} of {group.world}) {msg}", file=sys.stderr)
            return "failed"

    done = f"Finished {cfg.epochs} epoch{'s' if cfg.epochs != 1 else ''}"
    status("finished", message=f"{done}; test -ELBO {test['neg_elbo']:.2f} nats/image.")
    progress.stream.write("\n")
    if writes:  # the line a terminal ends on: what came out, where it is, how to look at it
        print(f"{done}: test -ELBO {test['neg_elbo']:.2f} nats/image (recon {test['recon']:.2f} + "
              f"KL {test['kl']:.2f}). The run is in {run.path}; `make run` shows it at "
              f"http://127.0.0.1:8501/?run={run.name}", file=sys.stderr)
    return "finished"


def _weights_problem(model: VAE) -> str | None:
    """Why the weights cannot be saved as a run's (loading refuses them), or None: NaN or
    infinity, or a value beyond ±MAX_WEIGHT."""
    params = list(model.parameters())
    if not all(bool(torch.isfinite(p).all()) for p in params):
        return "NaN or infinite"
    if any(float(p.detach().abs().max()) > MAX_WEIGHT for p in params):
        return f"larger than ±{MAX_WEIGHT:g}"
    return None


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


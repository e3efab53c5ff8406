"""Rate and distortion's words and tables, built from the runs' points. No Streamlit here."""
from __future__ import annotations

import numpy as np

from vae import betas as vb
from vae.losses import ACTIVE_UNIT_THRESHOLD
from vae.run.status import HELD

SWEEP_BETAS = [0.0, 0.1, 0.3, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0]  # the sweep's choices
SWEEP_DEFAULT = [0.1, 1.0, 4.0, 16.0]  # from a clear code to collapse, in one short sweep
SWEEP_EPOCHS = 4
RUNNING = ("new",) + HELD  # a sweep run still on its way to a point
NOT_FINISHING = ("failed", "missing", "interrupted", "damaged")

INTRO = ("The loss is **reconstruction + beta · KL**. The KL is the *rate*: how many nats the code "
         "carries about x beyond the prior. The reconstruction term is the *distortion*: how badly "
         "x comes back. Beta chooses the trade: every run lands at one point of this plane. Among "
         "runs that differ in beta only, a lower beta lets the code carry more about x (more rate, "
         "less distortion) with codes farther from N(0, I); a higher beta pushes q(z|x) onto the "
         "prior, dim by dim, until the code says nothing about x (**posterior collapse**: KL near "
         "zero, reconstructions all alike). Between nearby betas the difference can be within "
         "noise; the β family below shows the whole range.")


def sweep_progress(states: dict[str, str]) -> tuple[float, str, list[str]]:
    """(fraction finished, the progress bar's words, the runs that will not finish)."""
    done = sum(s == "finished" for s in states.values())
    text = (f"Sweep: {done} of {len(states)} runs finished"
            + ("; the plane refreshes every few seconds" if done < len(states) else ""))
    return done / len(states), text, [n for n, s in states.items() if s in NOT_FINISHING]


def collapse_warning(collapsed: list[vb.RunPoint]) -> str:
    return ("**Posterior collapse** in " + ", ".join(
        f"**{p.name}** (beta {p.beta:g}: KL {p.kl:.2f} nats, {p.active_units} of "
        f"{p.latent_dim} active units)" for p in collapsed)
        + (". Their encoders ignore" if len(collapsed) > 1 else ". Its encoder ignores")
        + " x: q(z|x) is the prior for every input, so every reconstruction is the same "
          "average image.")


def unused_dims_note(partial: list[vb.RunPoint]) -> str:
    return ("Some latent dims are unused (their mu does not move with x): " + ", ".join(
        f"{p.name} uses {p.active_units} of {p.latent_dim}" for p in partial) + ".")


def points_table(points: list[vb.RunPoint]) -> list[dict]:
    """One row per run, by latent size then beta, so a collapsed run is the last of its size."""
    return [{"run": p.name, "beta": p.beta, "latent dim": p.latent_dim, "epoch": p.epoch,
             "rate (KL), nats": round(p.kl, 3), "distortion (recon), nats": round(p.recon, 2),
             "-ELBO, nats": round(p.kl + p.recon, 2), "active units": p.active_units,
             "inactive dims": p.latent_dim - p.active_units,
             "collapsed": "yes" if p.collapsed else "no"}
            for p in sorted(points, key=lambda p: (p.latent_dim, p.beta))]


def family_sentence(first: vb.RunPoint, last: vb.RunPoint) -> str:
    """The β family read from its lowest beta to its highest."""
    return (f"Same data ({first.dataset}), same {first.latent_dim}-D latent and network, "
            f"{first.epoch} epochs each; only β changes. From β = {first.beta:g} to "
            f"β = {last.beta:g} the KL falls from {first.kl:.3g} to {last.kl:.3g} nats, the "
            f"reconstruction error rises from {first.recon:.1f} to {last.recon:.1f} nats, and the "
            f"active units go from {first.active_units} to {last.active_units} of "
            f"{first.latent_dim}.")


def last_kl_per_dim(rows: list[dict], latent_dim: int) -> list[float]:
    """The last test epoch's KL per dim from a metrics log; zeros when none was logged."""
    return next((r["test/kl_per_dim"] for r in reversed(rows)
                 if r.get("kind") == "epoch" and "test/kl_per_dim" in r), [0.0] * latent_dim)


def first_of_each_class(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """The index of each class's first test image, classes without one left out."""
    labels = np.asarray(labels)
    return np.array([np.flatnonzero(labels == c)[0] for c in range(n_classes)
                     if (labels == c).any()])


def sweep_over(was_running: bool, states: dict[str, str]) -> bool:
    """The sweep was running when the page last drew and none of its runs is on its way now: time
    to stop refreshing."""
    return was_running and not any(s in RUNNING for s in states.values())


def plane_datasets(points: list[vb.RunPoint], active_dataset: str | None) -> tuple[list[str], str]:
    """The datasets on the plane, and the one shown first: the active run's where it has a point,
    else the first."""
    datasets = sorted({p.dataset for p in points})
    return datasets, active_dataset if active_dataset in datasets else datasets[0]


def left_off_captions(imported: list[str], damaged: list[str]) -> list[str]:
    """Why some runs are not on the plane (or may not be), one caption per reason."""
    out = []
    if imported:
        out.append("Imported runs have no training curves, so they are not on the plane: "
                   + ", ".join(imported) + ".")
    if damaged:
        out.append("Damaged runs (the **Runs** page says what is wrong); those whose config or "
                   "metrics cannot be read are not on the plane: " + ", ".join(damaged) + ".")
    return out


def collapse_legend() -> str:
    return ("**inactive dims**: dims whose mu does not move with x (Var over x of mu_d below "
            f"{ACTIVE_UNIT_THRESHOLD:g}); **active units** are the others. **collapsed**: every "
            "dim is inactive, so the whole posterior ignores x. A run with one active unit left "
            "is nearly, not fully, collapsed.")

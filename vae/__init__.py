"""The VAE engine: data, model, losses, training, runs. It never imports streamlit.

The names below are imported when first used, not with the package: `python -m vae.train` must
catch a Stop (SIGTERM) before PyTorch has loaded, which takes seconds on a small machine.
"""
import os

# Before PyTorch loads its OpenMP runtime (GNU libgomp in the CPU wheel): a thread that waits for
# work spins a short while (10,000 turns: microseconds), then sleeps, rather than spinning for
# long on a core that the dashboard, a browser or another trainer needs, or sleeping at once,
# which cost a machine of its own 10% (bench/README.md "The trainer's threads"). A user's own
# OMP_WAIT_POLICY or GOMP_SPINCOUNT is kept.
if "OMP_WAIT_POLICY" not in os.environ:
    os.environ.setdefault("GOMP_SPINCOUNT", "10000")

from .lazy import lazy_attributes  # noqa: E402  (after the OpenMP setting, on purpose)

_HOMES = {"DATASETS": "data", "Dataset": "data", "DatasetError": "data", "load_dataset": "data",
          "LossTerms": "losses", "evaluate": "losses", "iwae_bound": "losses",
          "loss_terms": "losses", "VAE": "model", "ConfigError": "model", "Posterior": "model",
          "VAEConfig": "model", "RunDir": "run", "RunError": "run", "TrainConfig": "run",
          "list_runs": "run"}

__all__ = list(_HOMES)


__getattr__ = lazy_attributes(__name__, _HOMES)

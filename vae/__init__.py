"""The VAE engine: data, model, losses, training, runs. It never imports streamlit.

The names below are imported when first used, not with the package: `python -m vae.train` must
catch a Stop (SIGTERM) before PyTorch has loaded, which takes seconds on a small machine.
"""
import os

# Before PyTorch loads its OpenMP runtime: a thread that waits for work sleeps rather than spins
# on a core that the dashboard, a browser or another trainer needs (see vae/threads.py).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .lazy import lazy_attributes  # noqa: E402  (after the OpenMP setting, on purpose)

_HOMES = {"DATASETS": "data", "Dataset": "data", "DatasetError": "data", "load_dataset": "data",
          "LossTerms": "losses", "evaluate": "losses", "iwae_bound": "losses",
          "loss_terms": "losses", "VAE": "model", "ConfigError": "model", "Posterior": "model",
          "VAEConfig": "model", "RunDir": "run", "RunError": "run", "TrainConfig": "run",
          "list_runs": "run"}

__all__ = list(_HOMES)


__getattr__ = lazy_attributes(__name__, _HOMES)

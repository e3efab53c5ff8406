"""The VAE engine: data, model, losses, training, runs. It never imports streamlit.

The names below are imported when first used, not with the package: `python -m vae.train` must
catch a Stop (SIGTERM) before PyTorch has loaded, which takes seconds on a small machine.
"""
import importlib
import importlib.util
import os

# Before PyTorch loads its OpenMP runtime: a thread that waits for work sleeps rather than spins
# on a core that the dashboard, a browser or another trainer needs (see vae/threads.py).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

_HOMES = {"DATASETS": "data", "Dataset": "data", "DatasetError": "data", "load_dataset": "data",
          "LossTerms": "losses", "evaluate": "losses", "iwae_bound": "losses",
          "loss_terms": "losses", "VAE": "model", "ConfigError": "model", "Posterior": "model",
          "VAEConfig": "model", "RunDir": "run", "RunError": "run", "TrainConfig": "run",
          "list_runs": "run"}

__all__ = list(_HOMES)


def __getattr__(name):
    if name in _HOMES:
        return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    if importlib.util.find_spec(f"{__name__}.{name}") is not None:  # `vae.x` before `import vae.x`
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

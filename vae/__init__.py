"""The VAE engine: data, model, losses, training, runs. It never imports streamlit."""
import os

# Before PyTorch loads its OpenMP runtime: a thread that waits for work sleeps rather than spins
# on a core that the dashboard, a browser or another trainer needs (see vae/threads.py).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .data import DATASETS, Dataset, DatasetError, load_dataset
from .losses import LossTerms, evaluate, iwae_bound, loss_terms
from .model import VAE, ConfigError, Posterior, VAEConfig
from .run import RunDir, RunError, TrainConfig, list_runs

__all__ = ["DATASETS", "Dataset", "DatasetError", "load_dataset", "LossTerms", "evaluate",
           "iwae_bound", "loss_terms", "VAE", "ConfigError", "Posterior", "VAEConfig", "RunDir",
           "RunError", "TrainConfig", "list_runs"]

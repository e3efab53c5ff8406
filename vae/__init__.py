"""The VAE engine: data, model, losses, training, runs. It never imports streamlit."""
from .data import DATASETS, Dataset, DatasetError, load_dataset
from .losses import LossTerms, evaluate, iwae_bound, loss_terms
from .model import VAE, ConfigError, Posterior, VAEConfig
from .run import RunDir, RunError, TrainConfig, list_runs

__all__ = ["DATASETS", "Dataset", "DatasetError", "load_dataset", "LossTerms", "evaluate",
           "iwae_bound", "loss_terms", "VAE", "ConfigError", "Posterior", "VAEConfig", "RunDir",
           "RunError", "TrainConfig", "list_runs"]

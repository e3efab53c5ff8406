"""What vae.import_model records in a run it imported (config.json's "imported_from") and the
formats it reads, in words: read by every page that lists runs, so no PyTorch here."""
from __future__ import annotations

from .run import RunDir, RunError

FORMATS = {
    "pytorch-examples": "pytorch/examples vae/main.py checkpoint (a torch.save'd state_dict)",
    "pythae": "pythae VAE or beta-VAE folder (model.pt + model_config.json, default MLP)",
    "module": "your own nn.Module (--module pkg.mod:factory --weights FILE, --trust-code)",
}


def imported_from(run: RunDir) -> dict | None:
    """The run's "imported_from" record, or None for a run this project trained."""
    try:
        record = run.read_raw_config().get("imported_from")
    except RunError:
        return None
    return record if isinstance(record, dict) else None

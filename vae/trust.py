"""Whether a run's model is Python code of its own (arch "code", vae.code_model) and whether the
user allowed running such code. Words and an environment variable, no PyTorch: the pages ask this
before they load any model, and vae.code_model exports the same names."""
from __future__ import annotations

import os

from .model_config import CODE_ARCH, VAEConfig

TRUST_ENV = "VAE_TRUST_CODE"


class CodeRefused(Exception):
    """The module cannot be built, trusted or used; the message says why."""


def code_trusted() -> bool:
    """Whether the user allowed running imported code (VAE_TRUST_CODE=1)."""
    return os.environ.get(TRUST_ENV) == "1"


def is_code_run(config: VAEConfig) -> bool:
    return config.arch == CODE_ARCH


def untrusted_reason(module: str) -> str:
    return (f"needs --trust-code: its model is the Python code {module}, and opening it runs that "
            "code, which can do anything your account can. Start the dashboard with "
            "`make run TRUST_CODE=1` (or VAE_TRUST_CODE=1) if you trust it.")

"""A VAE that runs its own Python code: "your own nn.Module" imported with --trust-code.

Where a module's layers map onto this engine's MLP or conv layout, vae.import_model converts it and
no code of the user's runs again. Where they do not (other activations, other kernels, a custom
likelihood network), the run keeps the module's own weights in model.safetensors, config.json's "model" says
arch "code", and its "imported_from" record names the factory (`pkg.mod:factory`) and the folder
it was imported from. Loading such a run builds the module with that factory, which runs the
user's code; so it loads only when the user said they trust it: VAE_TRUST_CODE=1 in the
environment (`make run TRUST_CODE=1`, or --trust-code on the command line). Otherwise the run is
listed, and every page says in one sentence why it does not open.

CodeVAE wraps the module in this engine's interface (encode -> Posterior, decode_logits,
decode_mean, neg_log_likelihood), so every computation on the server works on it. What cannot work
is the browser's decoder and encoder: they run this engine's layers in JavaScript, not Python, so
the sliders over z decode on the server when released, and the pages say so.
"""
from __future__ import annotations

import importlib
import os
import sys

import torch
from torch import nn

from .model import Posterior, VAE, VAEConfig
# who may run a model's code: no PyTorch needed to ask, so it lives in vae.trust
from .trust import CodeRefused, code_trusted, untrusted_reason

# Means are turned into logits for decode_logits; the clamp keeps an exact 0 or 1 finite.
MEAN_CLAMP = 1e-6


def build_module(spec: str, folder: str | None = None) -> nn.Module:
    """factory() of `pkg.mod:factory`, imported from `folder` (the working folder when None).
    Runs the user's code."""
    module_name, _, factory_name = str(spec).partition(":")
    if not module_name or not factory_name:
        raise CodeRefused(f"--module must be pkg.mod:factory, not {spec!r:.80}.")
    where = folder or os.getcwd()
    if where not in sys.path:
        sys.path.insert(0, where)
    try:
        factory = getattr(importlib.import_module(module_name), factory_name)
        model = factory()
    except Exception as exc:  # noqa: BLE001 - the user's code may raise anything
        raise CodeRefused(f"--module {spec}: {type(exc).__name__}: {str(exc)[:200]}") from exc
    if not isinstance(model, nn.Module) or not callable(getattr(model, "encode", None)) \
            or not callable(getattr(model, "decode", None)):
        raise CodeRefused(f"--module {spec} must return an nn.Module with encode(x) -> (mu, "
                          "logvar) or a Normal, and decode(z) -> logits or means.")
    return model


def module_posterior(model: nn.Module, x: torch.Tensor, spec: str):
    """(mu, log sigma^2) from the module's encode(x), whichever of the two forms it returns."""
    out = model.encode(x)
    if isinstance(out, torch.distributions.Normal):
        return out.loc, 2 * torch.log(out.scale)
    if isinstance(out, (tuple, list)) and len(out) == 2 and all(isinstance(t, torch.Tensor)
                                                                  for t in out):
        return out[0], out[1]
    raise CodeRefused(f"{spec}'s encode(x) returned {type(out).__name__}, not (mu, logvar) or a "
                      "torch.distributions.Normal.")


def decodes_means(out: torch.Tensor) -> bool:
    """Whether a decode(z) output holds means in [0, 1] (a sigmoid at its end) rather than logits:
    logits of a trained decoder fall far outside [0, 1] for most pixels."""
    return bool(((out >= 0) & (out <= 1)).all())


class CodeVAE(VAE):
    """The user's module behind this engine's interface. Built by load_code_model or the import."""

    def __init__(self, config: VAEConfig, net: nn.Module, spec: str, means: bool):
        nn.Module.__init__(self)  # none of VAE's own layers: the module is the model
        self.config, self.net, self.spec, self.means = config, net, spec, bool(means)
        if config.likelihood == "gaussian":
            # the module's own pixel noise scale if it has one, else unit variance
            own = getattr(net, "log_sigma_x", None)
            self.register_buffer("log_sigma_x", own.detach() if isinstance(own, torch.Tensor)
                                 else torch.zeros(()))

    def encode(self, x: torch.Tensor) -> Posterior:
        mu, logvar = module_posterior(self.net, x, self.spec)
        return Posterior(mu.reshape(len(x), -1), logvar.reshape(len(x), -1))

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        lead = z.shape[:-1]
        out = self.net.decode(z.reshape(-1, z.shape[-1])).reshape(-1, self.config.n_pixels)
        if self.means:
            out = torch.logit(out.clamp(MEAN_CLAMP, 1 - MEAN_CLAMP))
        return out.reshape(*lead, *self.config.image_shape)

    def state_dict(self, *args, **kwargs):
        return self.net.state_dict(*args, **kwargs)


def load_code_model(config: VAEConfig, record, state: dict[str, torch.Tensor]) -> CodeVAE:
    """The run's module, built by its factory and filled with its weights. CodeRefused when the
    user has not trusted code, or the module cannot be built or does not take the weights."""
    record = record if isinstance(record, dict) else {}  # config.json is a file: any JSON
    spec = str(record.get("module", "?"))[:200]
    if not code_trusted():
        raise CodeRefused(untrusted_reason(spec))
    folder = record.get("folder")
    net = build_module(spec, folder if isinstance(folder, str) else None)
    try:
        net.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    except (RuntimeError, KeyError, TypeError) as exc:
        raise CodeRefused(f"the weights do not fit {spec}: "
                          f"{str(exc).splitlines()[0][:240]}") from exc
    return CodeVAE(config, net.float().eval(), spec, bool(record.get("decodes_means"))).eval()

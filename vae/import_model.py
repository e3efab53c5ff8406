"""Import a VAE this project did not train, as an ordinary run folder.

    python -m vae.import_model SOURCE --dataset mnist-5k --name NAME [--root DIR]
    python -m vae.import_model --module pkg.mod:factory --weights FILE --trust-code --dataset ...

Three formats, told apart by the source:

1. pytorch/examples vae/main.py: a state_dict saved by torch.save, with fc1 (pixels -> hidden),
   fc21 and fc22 (hidden -> latent: mu and log sigma^2), fc3 (latent -> hidden), fc4 (hidden ->
   pixels) and a sigmoid on a Bernoulli likelihood. Any widths with that layout.
2. pythae VAE or beta-VAE folders: model.pt and model_config.json, with pythae's default MLP
   encoder and decoder. A folder with encoder.pkl or decoder.pkl is refused: those are pickled
   code, and loading them runs it.
3. Your own nn.Module: --module pkg.mod:factory builds it, --weights (.safetensors or .pt) fills
   it. This runs your code, so it needs --trust-code (or VAE_TRUST_CODE=1). Its layers must map
   onto this engine's MLP (Linear + ReLU encoder, two heads, a mirrored decoder): the mapping is
   verified by running both networks on test images before anything is written.

Every format becomes this engine's VAE: the run folder holds only config.json, model.safetensors
and status.json, so the dashboard never runs imported code and every page (the in-browser decoder
and encoder included) works on it. Checked before a byte is written: the file is what it claims to
be (a torch zip archive loaded with weights_only=True, never an arbitrary pickle), the weights'
names and shapes against the dataset's image size, a latent size of 1 to 64, finite values, the
likelihood; then the converted model must give the original's mu, log sigma^2 and decoded means
within 1e-5. A refusal is one message naming the mismatch and leaves nothing behind.

The record of where the run came from is an "imported_from" object at the top of config.json
(source file name, format, sha256), beside "model" and "train": the run schema reads only those
two, so trained runs, the .zip export and validate_run_folder need no change to carry it.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import shutil
import stat
import sys
import tempfile
import time
import zipfile
from dataclasses import asdict
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors_bytes
from torch import nn

from .data import DATASETS, DatasetError, load_dataset
from .losses import evaluate
from .model import VAE, ConfigError, VAEConfig
from .run import (DEFAULT_ROOT, MAX_JSON_BYTES, RunDir, RunError, TrainConfig, validate_name,
                   validate_run_folder, write_json_atomic)

FORMATS = {
    "pytorch-examples": "pytorch/examples vae/main.py checkpoint (a torch.save'd state_dict)",
    "pythae": "pythae VAE or beta-VAE folder (model.pt + model_config.json, default MLP)",
    "module": "your own nn.Module (--module pkg.mod:factory --weights FILE, --trust-code)",
}
MAX_SOURCE_BYTES = 4 * 100_000_000 + MAX_JSON_BYTES  # the largest model a run may hold, in float32
TOLERANCE = 1e-5  # the converted model must reproduce the original within this, per value
EXAMPLES_KEYS = ("fc1", "fc21", "fc22", "fc3", "fc4")
PYTHAE_KEYS = {"encoder.layers.0.0": "encoder.1", "encoder.embedding": "to_mu",
               "encoder.log_var": "to_logvar", "decoder.layers.0.0": "decoder.0",
               "decoder.layers.1.0": "decoder.2"}
PYTHAE_MODELS = {"VAEConfig": "VAE", "BetaVAEConfig": "BetaVAE"}
PYTHAE_LIKELIHOODS = {"bce": "bernoulli", "mse": "gaussian"}


class ImportRefused(Exception):
    """The source cannot be imported; the message names the mismatch."""


# --- reading sources without running them

def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _regular_file(path: Path, what: str, limit: int = MAX_SOURCE_BYTES) -> Path:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise ImportRefused(f"{what} {path} does not exist.") from None
    if stat.S_ISLNK(info.st_mode):
        raise ImportRefused(f"{what} {path} is a symbolic link; name the file itself.")
    if not stat.S_ISREG(info.st_mode):
        raise ImportRefused(f"{what} {path} is not a regular file.")
    if info.st_size > limit:
        raise ImportRefused(f"{what} {path} is {info.st_size:,} bytes, more than the {limit:,} "
                            "that the largest model a run may hold takes.")
    return path


def load_torch_weights(path: Path) -> dict:
    """What torch.save wrote at `path`, loaded with weights_only=True: tensors, dicts, lists and
    numbers, never an arbitrary object. The file must be torch's zip archive (every torch.save
    since 1.6); a bare pickle or another archive is refused before torch reads it, and the
    archive's records may not declare more bytes than the file can hold."""
    _regular_file(path, "The weights file")
    if not zipfile.is_zipfile(path):
        raise ImportRefused(f"{path.name} is not a torch checkpoint: torch.save writes a zip "
                            "archive, and this file is not one (a bare pickle is never loaded, "
                            "since unpickling can run code).")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportRefused(f"{path.name} is a damaged zip archive: {exc}.") from exc
    names = [i.filename for i in infos]
    if not any(n.endswith("/data.pkl") and n.count("/") == 1 for n in names):
        raise ImportRefused(f"{path.name} is a zip archive but not a torch checkpoint: it has no "
                            "<name>/data.pkl record (its entries: "
                            f"{', '.join(names[:5]) or 'none'}{'…' if len(names) > 5 else ''}).")
    declared = sum(i.file_size for i in infos)
    if declared > MAX_SOURCE_BYTES or any(i.compress_type != zipfile.ZIP_STORED for i in infos):
        # torch stores records uncompressed; a compressed record could inflate without bound
        raise ImportRefused(f"{path.name} is not a plain torch checkpoint: its records are "
                            "compressed or declare more bytes than any run's model.")
    try:
        # mmap: storages are views of the file, so a storage that declares more elements than its
        # record holds fails inside torch instead of being allocated
        return torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds for a hostile or torn file
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ImportRefused(f"{path.name} could not be loaded as weights only (nothing in it was "
                            f"run): {text[:240]}") from exc


def load_safetensors_weights(path: Path) -> dict:
    _regular_file(path, "The weights file")
    try:
        return load_safetensors_bytes(path.read_bytes())
    except (SafetensorError, ValueError, RuntimeError, OverflowError, KeyError, TypeError) as exc:
        raise ImportRefused(f"{path.name} is not a valid .safetensors file: "
                            f"{str(exc)[:200]}") from exc


def _read_json(path: Path, what: str) -> dict:
    _regular_file(path, what, MAX_JSON_BYTES)
    try:
        raw = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ImportRefused(f"{what} {path.name} is not JSON: {exc}.") from exc
    if not isinstance(raw, dict):
        raise ImportRefused(f"{what} {path.name} holds a JSON {type(raw).__name__}, not an object.")
    return raw


def _state_dict(obj, source: str) -> dict[str, torch.Tensor]:
    """The tensors of a loaded checkpoint: the object itself, or its state_dict/model_state_dict."""
    if isinstance(obj, dict):
        for key in ("model_state_dict", "state_dict"):
            if isinstance(obj.get(key), dict):
                obj = obj[key]
                break
    if not isinstance(obj, dict) or not obj:
        raise ImportRefused(f"{source} holds no state_dict (a mapping from layer names to "
                            "tensors).")
    bad = [k for k, v in obj.items() if not isinstance(k, str) or not isinstance(v, torch.Tensor)]
    if bad:
        raise ImportRefused(f"{source} holds {bad[0]!r:.60}, which is not a named tensor.")
    return obj


# --- the checks shared by every format

def _shape(state: dict, key: str) -> tuple[int, ...]:
    return tuple(state[key].shape)


def check_tensors(state: dict[str, torch.Tensor], expected: dict[str, tuple[int, ...]],
                  source: str) -> None:
    """Names and shapes exactly as expected (compared before any value is read, so a tensor that
    declares a huge shape is refused without being touched), then float and finite."""
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    if missing or extra:
        raise ImportRefused(f"{source} has other layers than expected: "
                            + "; ".join(p for p in (
                                f"missing {', '.join(missing[:6])}" if missing else "",
                                f"unexpected {', '.join(extra[:6])}" if extra else "") if p) + ".")
    for key, shape in expected.items():
        if _shape(state, key) != shape:
            raise ImportRefused(f"{source}: {key} has shape {list(_shape(state, key))}, expected "
                                f"{list(shape)}.")
    for key in expected:
        tensor = state[key]
        if not tensor.is_floating_point():
            raise ImportRefused(f"{source}: {key} holds {tensor.dtype}, not floating-point "
                                "weights.")
        bad = int((~torch.isfinite(tensor)).sum())
        if bad:
            raise ImportRefused(f"{source}: {key} holds {bad:,} NaN or infinite values.")


def _linear_widths(state: dict, keys: tuple[str, ...], source: str) -> list[tuple[int, int]]:
    """(out, in) of each named Linear layer, checked to be a 2-D weight with a matching bias,
    before any value is read."""
    found = []
    for key in keys:
        w, b = f"{key}.weight", f"{key}.bias"
        if w not in state or b not in state:
            raise ImportRefused(f"{source} has no {key} layer ({w} and {b}).")
        if state[w].dim() != 2 or state[b].dim() != 1 or state[b].shape[0] != state[w].shape[0]:
            raise ImportRefused(f"{source}: {key} is not a Linear layer (weight "
                                f"{list(state[w].shape)}, bias {list(state[b].shape)}).")
        found.append(tuple(state[w].shape))
    return found


def mlp_config(n_pixels: int, image_shape: tuple, hidden: int, latent: int, likelihood: str,
               source: str, beta: float = 1.0) -> VAEConfig:
    if n_pixels != image_shape[0] * image_shape[1] * image_shape[2]:
        raise ImportRefused(f"{source} takes images of {n_pixels} pixels, but the dataset's images "
                            f"are {'x'.join(map(str, image_shape))} = "
                            f"{image_shape[0] * image_shape[1] * image_shape[2]} pixels.")
    if not 1 <= latent <= 64:
        raise ImportRefused(f"{source} has a latent size of {latent}; this dashboard shows 1 to "
                            "64.")
    if likelihood not in ("bernoulli", "gaussian"):
        raise ImportRefused(f"{source} has the likelihood {likelihood!r}; only Bernoulli and "
                            "Gaussian are supported.")
    try:
        return VAEConfig(image_shape=tuple(image_shape), arch="mlp", hidden=(hidden,),
                         latent_dim=latent, likelihood=likelihood, beta=beta)
    except ConfigError as exc:
        raise ImportRefused(f"{source} does not fit this engine's model: {exc}") from exc


def expected_shapes(config: VAEConfig) -> dict[str, tuple[int, ...]]:
    with torch.device("meta"):
        return {k: tuple(v.shape) for k, v in VAE(config).state_dict().items()}


def build_model(config: VAEConfig, state: dict[str, torch.Tensor], source: str) -> VAE:
    """The engine's VAE holding `state` (the engine's names), checked first."""
    if config.likelihood == "gaussian" and "log_sigma_x" not in state:
        # pythae's "mse" and a module's Gaussian are N(x; mean, I): sigma_x = 1
        state = {**state, "log_sigma_x": torch.zeros(())}
    check_tensors(state, expected_shapes(config), source)
    model = VAE(config)
    model.load_state_dict({k: v.detach().float().contiguous() for k, v in state.items()})
    return model.eval()


# --- format 1: pytorch/examples vae/main.py

def is_examples_checkpoint(state: dict) -> bool:
    return all(f"{k}.weight" in state for k in EXAMPLES_KEYS)


def convert_examples(state: dict, image_shape: tuple, source: str) -> tuple[VAEConfig, dict]:
    (h, p), (d, h21), (d22, h22), (h3, d3), (p4, h4) = _linear_widths(state, EXAMPLES_KEYS, source)
    if not (h21 == h22 == h4 == h3 == h and d22 == d3 == d and p4 == p):
        raise ImportRefused(f"{source} is not the pytorch/examples layout: fc1 {p}->{h}, fc21 "
                            f"{h21}->{d}, fc22 {h22}->{d22}, fc3 {d3}->{h3}, fc4 {h4}->{p4} do not "
                            "chain.")
    config = mlp_config(p, image_shape, h, d, "bernoulli", source)
    names = {"fc1": "encoder.1", "fc21": "to_mu", "fc22": "to_logvar", "fc3": "decoder.0",
             "fc4": "decoder.2"}
    converted = {f"{names[k.split('.')[0]]}.{k.split('.')[1]}": v for k, v in state.items()}
    return config, converted


def examples_reference(state: dict, x: torch.Tensor, z: torch.Tensor):
    """The pytorch/examples network's own arithmetic (encode: relu(fc1) -> fc21, fc22; decode:
    sigmoid(fc4(relu(fc3(z))))), computed from the source tensors, for the final check."""
    f = {k: (state[f"{k}.weight"].float(), state[f"{k}.bias"].float()) for k in EXAMPLES_KEYS}
    h = torch.relu(nn.functional.linear(x.flatten(1), *f["fc1"]))
    mu, logvar = nn.functional.linear(h, *f["fc21"]), nn.functional.linear(h, *f["fc22"])
    means = torch.sigmoid(nn.functional.linear(torch.relu(nn.functional.linear(z, *f["fc3"])),
                                               *f["fc4"]))
    return mu, logvar, means


# --- format 2: pythae folders

def convert_pythae(folder: Path, image_shape: tuple) -> tuple[VAEConfig, dict, dict]:
    """(config, engine state, the pythae settings read) of a pythae VAE/beta-VAE folder."""
    source = f"the pythae folder {folder.name}"
    pickled = [n for n in ("encoder.pkl", "decoder.pkl") if os.path.lexists(folder / n)]
    if pickled:
        raise ImportRefused(f"{source} holds {' and '.join(pickled)}: pythae writes those for a "
                            "custom encoder or decoder as cloudpickled code, and loading them "
                            "would run that code. Only pythae's default MLP encoder and decoder "
                            "(no .pkl files) can be imported.")
    settings = _read_json(folder / "model_config.json", "The pythae config")
    name = settings.get("name")
    if name not in PYTHAE_MODELS:
        raise ImportRefused(f"{source} is a pythae {name!s:.40}; only VAE and beta-VAE "
                            f"({', '.join(PYTHAE_MODELS)}) can be imported.")
    for flag in ("uses_default_encoder", "uses_default_decoder"):
        if settings.get(flag) is False:
            raise ImportRefused(f"{source} says {flag} is false: a custom network needs its "
                                "pickled code, which is never loaded.")
    loss = settings.get("reconstruction_loss", "mse")
    if loss not in PYTHAE_LIKELIHOODS:
        raise ImportRefused(f"{source} uses the reconstruction loss {loss!r:.40}; only bce "
                            "(Bernoulli) and mse (Gaussian, sigma 1) map onto this engine.")
    input_dim = settings.get("input_dim")
    if (not isinstance(input_dim, list) or not all(isinstance(v, int) for v in input_dim)
            or tuple(input_dim) != tuple(image_shape)):
        raise ImportRefused(f"{source} was trained on images of shape {input_dim!r:.60}; the "
                            f"dataset's images are {list(image_shape)}.")
    beta = settings.get("beta", 1.0) if name == "BetaVAEConfig" else 1.0
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not 0 <= beta <= 1000:
        raise ImportRefused(f"{source} has beta {beta!r:.40}; it must be a number from 0 to 1000.")
    state = _state_dict(load_torch_weights(folder / "model.pt"), f"{source}'s model.pt")
    keys = tuple(PYTHAE_KEYS)
    (h, p), (d, h1), (d2, h2), (h3, d3), (p4, h4) = _linear_widths(state, keys, source)
    if not (h1 == h2 == h3 == h4 == h and d2 == d3 == d and p4 == p):
        raise ImportRefused(f"{source} is not pythae's default MLP: its layers do not chain.")
    latent = settings.get("latent_dim")
    if latent != d:
        raise ImportRefused(f"{source}'s model_config.json says latent_dim {latent!r:.20}, but its "
                            f"weights have {d}.")
    config = mlp_config(p, image_shape, h, d, PYTHAE_LIKELIHOODS[loss], source, float(beta))
    converted = {}
    for key, value in state.items():
        layer, _, kind = key.rpartition(".")
        if layer not in PYTHAE_KEYS or kind not in ("weight", "bias"):
            raise ImportRefused(f"{source} has a layer {key!r:.60} that pythae's default MLP does "
                                "not have.")
        converted[f"{PYTHAE_KEYS[layer]}.{kind}"] = value
    return config, converted, {"model": PYTHAE_MODELS[name], "reconstruction_loss": loss,
                               "beta": beta}


# --- format 3: your own nn.Module

def build_module(spec: str) -> nn.Module:
    """factory() of `pkg.mod:factory`, imported from the working folder. Runs the user's code."""
    module_name, _, factory_name = spec.partition(":")
    if not module_name or not factory_name:
        raise ImportRefused(f"--module must be pkg.mod:factory, not {spec!r:.80}.")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        factory = getattr(importlib.import_module(module_name), factory_name)
        model = factory()
    except Exception as exc:  # noqa: BLE001 - the user's code may raise anything
        raise ImportRefused(f"--module {spec}: {type(exc).__name__}: {str(exc)[:200]}") from exc
    if not isinstance(model, nn.Module) or not callable(getattr(model, "encode", None)) \
            or not callable(getattr(model, "decode", None)):
        raise ImportRefused(f"--module {spec} must return an nn.Module with encode(x) -> (mu, "
                            "logvar) or a Normal, and decode(z) -> logits or means.")
    return model


def _module_posterior(model: nn.Module, x: torch.Tensor, spec: str):
    out = model.encode(x)
    if isinstance(out, torch.distributions.Normal):
        return out.loc, 2 * torch.log(out.scale)
    if isinstance(out, (tuple, list)) and len(out) == 2 and all(isinstance(t, torch.Tensor)
                                                                  for t in out):
        return out[0], out[1]
    raise ImportRefused(f"{spec}'s encode(x) returned {type(out).__name__}, not (mu, logvar) or a "
                        "torch.distributions.Normal.")


def convert_module(model: nn.Module, spec: str, image_shape: tuple, likelihood: str,
                   x: torch.Tensor) -> tuple[VAEConfig, dict]:
    """The engine's MLP config and weights for a module whose Linear layers are, in order: an
    encoder chain from the pixels, two heads to the latent (mu, then log sigma^2, or the other way
    round: the check below tells), a decoder chain mirroring the encoder. Anything else is refused:
    the dashboard draws only this engine's layouts, and never runs imported code."""
    linears = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Linear)]
    others = sorted({type(m).__name__ for _, m in model.named_modules()
                     if not isinstance(m, (nn.Linear, nn.ReLU, nn.Sequential, nn.Flatten,
                                           nn.Sigmoid, nn.Identity, nn.ModuleList))
                     and m is not model})
    refuse = (f"{spec} does not map onto this engine's MLP (Linear + ReLU encoder, two Linear "
              "heads to mu and log sigma^2, a mirrored Linear + ReLU decoder); only modules with "
              "that layout can be imported, since the dashboard never runs imported code")
    if others:
        raise ImportRefused(f"{refuse}: it has {', '.join(others[:4])} layers.")
    n_pixels = image_shape[0] * image_shape[1] * image_shape[2]
    if len(linears) < 5 or len(linears) % 2 == 0:
        raise ImportRefused(f"{refuse}: it has {len(linears)} Linear layers.")
    k = (len(linears) - 3) // 2  # k encoder layers, two heads, k + 1 decoder layers
    enc, heads, dec = linears[:k], linears[k:k + 2], linears[k + 2:]
    widths = [n_pixels] + [m.out_features for _, m in enc]
    latent = heads[0][1].out_features
    chain_ok = (all(m.in_features == widths[i] for i, (_, m) in enumerate(enc))
                and all(m.in_features == widths[-1] and m.out_features == latent for _, m in heads)
                and [m.in_features for _, m in dec] == [latent, *reversed(widths[1:])]
                and [m.out_features for _, m in dec] == [*reversed(widths[1:]), n_pixels])
    if not chain_ok:
        shapes = ", ".join(f"{n} {m.in_features}->{m.out_features}" for n, m in linears)
        raise ImportRefused(f"{refuse}: its Linear layers are {shapes}.")
    try:
        config = VAEConfig(image_shape=tuple(image_shape), arch="mlp", hidden=tuple(widths[1:]),
                           latent_dim=latent, likelihood=likelihood)
    except ConfigError as exc:
        raise ImportRefused(f"{spec} does not fit this engine's model: {exc}") from exc
    engine = [f"encoder.{1 + 2 * i}" for i in range(k)] + ["to_mu", "to_logvar"] \
        + [f"decoder.{2 * i}" for i in range(len(dec))]
    state = {}
    for target, (_, layer) in zip(engine, linears):
        state[f"{target}.weight"], state[f"{target}.bias"] = layer.weight, layer.bias
    if any(v is None for v in state.values()):
        raise ImportRefused(f"{refuse}: a Linear layer has no bias.")
    with torch.no_grad():
        mu, _ = _module_posterior(model, x, spec)
        trial = build_model(config, state, spec)
        if (trial.encode(x).mu - mu).abs().max() > TOLERANCE:  # the heads are the other way round
            state["to_mu.weight"] = heads[1][1].weight
            state["to_logvar.weight"] = heads[0][1].weight
            state["to_mu.bias"], state["to_logvar.bias"] = heads[1][1].bias, heads[0][1].bias
    return config, {k: v.detach() for k, v in state.items()}


def module_reference(model: nn.Module, spec: str):
    def reference(x, z):
        mu, logvar = _module_posterior(model, x, spec)
        out = model.decode(z)
        if not isinstance(out, torch.Tensor):
            raise ImportRefused(f"{spec}'s decode(z) returned {type(out).__name__}, not a tensor.")
        out = out.reshape(len(z), -1)
        # decode may give logits or means: means lie in [0, 1], and the check below compares
        # whichever it gave with the engine's
        return mu, logvar, out
    return reference


# --- the import

def verify(model: VAE, reference, x: torch.Tensor, source: str, logits_ok: bool = False) -> float:
    """The largest difference between the engine's mu, log sigma^2, decoded means and the
    original's on test images and on z drawn around their codes; refused above TOLERANCE."""
    with torch.no_grad():
        q = model.encode(x)
        z = torch.cat([q.mu, torch.randn(len(x), model.config.latent_dim,
                                          generator=torch.Generator().manual_seed(0))])
        mu, logvar, out = reference(x, z)
        logits = model.decode_logits(z).reshape(len(z), -1)
        means = torch.sigmoid(logits)
        out = out.reshape(len(z), -1).float()
        gaps = {"mu": (q.mu - mu).abs().max().item(),
                "log sigma^2": (q.logvar - logvar).abs().max().item(),
                "decoded means": (means - out).abs().max().item()}
        if logits_ok:  # the module's decode gave logits, not means
            gaps["decoded means"] = min(gaps["decoded means"],
                                        (torch.sigmoid(out) - means).abs().max().item())
    worst = max(gaps, key=gaps.get)
    if not gaps[worst] <= TOLERANCE:
        raise ImportRefused(f"{source} converted onto this engine's MLP gives other {worst} than "
                            f"the original (by up to {gaps[worst]:.3g}, more than {TOLERANCE:g}): "
                            "its activations or output are not this engine's (ReLU, sigmoid).")
    return max(gaps.values())


def detect_format(source: Path | None, module: str | None) -> str:
    if module:
        return "module"
    if source is None:
        raise ImportRefused("name a SOURCE (a checkpoint file or a pythae folder), or --module and "
                            "--weights.")
    if os.path.islink(source):
        raise ImportRefused(f"{source} is a symbolic link; name the file or folder itself.")
    if source.is_dir():
        if (source / "model_config.json").exists() or (source / "model.pt").exists():
            return "pythae"
        raise ImportRefused(f"{source} is a folder without model.pt and model_config.json: not a "
                            "pythae model folder.")
    if source.is_file():
        return "pytorch-examples"
    raise ImportRefused(f"{source} does not exist.")


def import_model(source: str | os.PathLike | None, dataset: str, name: str,
                 root: str | os.PathLike, *, module: str | None = None,
                 weights: str | os.PathLike | None = None, trust_code: bool = False,
                 likelihood: str = "bernoulli", data_dir: str | None = None) -> RunDir:
    """Check `source`, convert it onto this engine's VAE and write it as the run root/name.
    ImportRefused (nothing written) when anything does not fit."""
    root = Path(root)
    source = Path(source) if source is not None else None
    try:
        validate_name(name)
    except RunError as exc:
        raise ImportRefused(str(exc)) from exc
    if os.path.lexists(root / name):
        raise ImportRefused(f"A run named {name!r} already exists in {root}; pick another --name.")
    if dataset not in DATASETS:
        raise ImportRefused(f"Unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}.")
    fmt = detect_format(source, module)
    try:
        data = load_dataset(dataset, data_dir)
    except DatasetError as exc:
        raise ImportRefused(f"The dataset {dataset} is not available: {exc}") from exc
    image_shape = data.image_shape
    x = torch.from_numpy(data.test_x[:64].copy())
    details: dict = {}
    if fmt == "pytorch-examples":
        label = source.name
        state = _state_dict(load_torch_weights(source), label)
        if not is_examples_checkpoint(state):
            absent = ", ".join(k for k in EXAMPLES_KEYS if f"{k}.weight" not in state)
            raise ImportRefused(f"{label} is not a pytorch/examples vae/main.py checkpoint: it has "
                                f"no {absent} layer (its tensors: {', '.join(list(state)[:6])}).")
        config, converted = convert_examples(state, image_shape, label)
        model = build_model(config, converted, label)
        verify(model, lambda xx, z: examples_reference(state, xx, z), x, label)
        files = [source]
    elif fmt == "pythae":
        label = f"the pythae folder {source.name}"
        config, converted, details = convert_pythae(source, image_shape)
        model = build_model(config, converted, label)
        verify(model, lambda xx, z: _pythae_reference(converted, xx, z), x, label)
        files = [source / "model.pt", source / "model_config.json"]
    else:
        trusted = trust_code or os.environ.get("VAE_TRUST_CODE") == "1"
        if not trusted:
            raise ImportRefused(f"--module {module} needs --trust-code: importing it runs that "
                                "module's Python code (its factory and its encode/decode), which "
                                "can do anything your account can. Pass --trust-code if you trust "
                                "it.")
        if weights is None:
            raise ImportRefused("--module needs --weights FILE (.safetensors or .pt).")
        weights = Path(weights)
        label = f"{module} with {weights.name}"
        raw = (load_safetensors_weights(weights) if weights.suffix == ".safetensors"
               else load_torch_weights(weights))
        state = _state_dict(raw, weights.name)
        for key, value in state.items():  # before the module sees them
            if value.is_floating_point() and not bool(torch.isfinite(value).all()):
                raise ImportRefused(f"{weights.name}: {key} holds NaN or infinite values.")
        net = build_module(module)
        try:
            net.load_state_dict(state, strict=True)
        except (RuntimeError, KeyError, TypeError) as exc:
            raise ImportRefused(f"{weights.name} does not fit --module {module}: "
                                f"{str(exc).splitlines()[0][:240]}") from exc
        net.eval()
        with torch.no_grad():
            config, converted = convert_module(net, module, image_shape, likelihood, x)
            model = build_model(config, converted, label)
            verify(model, module_reference(net, module), x, label, logits_ok=True)
        files = [weights]
        source = weights
    record = {"format": fmt, "description": FORMATS[fmt], "source": source.name,
              "sha256": sha256_of(files[0]), "imported": time.time(), **details}
    if fmt == "module":
        record["module"] = module
    if len(files) > 1:
        record["files"] = {f.name: sha256_of(f) for f in files}
    metrics = evaluate(model, torch.from_numpy(data.test_x.copy()),
                       generator=torch.Generator().manual_seed(0))
    return _write_run(root, name, config, dataset, data_dir, model, record, metrics)


def _pythae_reference(state: dict, x: torch.Tensor, z: torch.Tensor):
    """pythae's default MLP computed from its own tensors: Linear + ReLU, embedding and log_var
    heads; decoder Linear + ReLU, Linear + Sigmoid."""
    def lin(name, v):
        return nn.functional.linear(v, state[f"{name}.weight"].float(),
                                    state[f"{name}.bias"].float())
    h = torch.relu(lin("encoder.1", x.flatten(1)))
    means = torch.sigmoid(lin("decoder.2", torch.relu(lin("decoder.0", z))))
    return lin("to_mu", h), lin("to_logvar", h), means


def _write_run(root: Path, name: str, config: VAEConfig, dataset: str, data_dir: str | None,
               model: VAE, record: dict, metrics: dict) -> RunDir:
    """The run built in a hidden folder of the runs root, checked as the dashboard reads it, then
    renamed into place in one step: a failure leaves nothing behind."""
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".import-", dir=root))
    try:
        run = RunDir(tmp / name)
        run.path.mkdir()
        train = TrainConfig(dataset=dataset, data_dir=data_dir, epochs=1, device="cpu")
        write_json_atomic(run.config_file, {"model": config.to_dict(), "train": asdict(train),
                                            "created": time.time(), "imported_from": record})
        run.save_weights(model)
        run.write_status(state="finished",
                         message=f"Imported from {record['source']} ({FORMATS[record['format']]}); "
                                 f"test -ELBO {metrics['neg_elbo']:.2f} nats/image on {dataset}, "
                                 "measured at import. It has no training curves.")
        problems = validate_run_folder(run.path)
        if problems:
            raise ImportRefused("The imported run does not pass the run checks: "
                                + " ".join(problems))
        if os.path.lexists(root / name):
            raise ImportRefused(f"A run named {name!r} appeared in {root} meanwhile; pick another "
                                "--name.")
        os.rename(run.path, root / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return RunDir(root / name)


def imported_from(run: RunDir) -> dict | None:
    """The run's "imported_from" record, or None for a run this project trained."""
    try:
        record = run.read_raw_config().get("imported_from")
    except RunError:
        return None
    return record if isinstance(record, dict) else None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m vae.import_model",
        description="Import a VAE trained elsewhere as a run of this dashboard. Formats, detected "
                    "from SOURCE: " + "; ".join(f"{k}: {v}" for k, v in FORMATS.items()) + ".",
        epilog="Nothing is written unless every check passes; no pickle is ever unpickled.")
    p.add_argument("source", nargs="?", help="a pytorch/examples checkpoint (.pt/.pth) or a pythae "
                                             "model folder; leave out with --module")
    p.add_argument("--dataset", required=True, choices=list(DATASETS),
                   help="the dataset the model was trained on (its image size is checked)")
    p.add_argument("--data-dir", help="folder with the dataset's files, where it needs one")
    p.add_argument("--name", required=True, help="run name (1-64 letters, digits, '.', '_', '-')")
    p.add_argument("--root", default=None,
                   help="folder holding the runs (default: $VAE_RUNS_ROOT, else checkpoints/)")
    p.add_argument("--module", metavar="PKG.MOD:FACTORY",
                   help="your own nn.Module: factory() returns it, with encode(x) -> (mu, logvar) "
                        "or a Normal, and decode(z) -> logits or means")
    p.add_argument("--weights", help="with --module: its weights (.safetensors or .pt)")
    p.add_argument("--likelihood", default="bernoulli", choices=("bernoulli", "gaussian"),
                   help="with --module: p(x|z) (gaussian: sigma 1 on the decoded means)")
    p.add_argument("--trust-code", action="store_true",
                   help="allow --module to run its code (or set VAE_TRUST_CODE=1)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    root = Path(args.root or os.environ.get("VAE_RUNS_ROOT") or DEFAULT_ROOT)
    try:
        run = import_model(args.source, args.dataset, args.name, root, module=args.module,
                           weights=args.weights, trust_code=args.trust_code,
                           likelihood=args.likelihood, data_dir=args.data_dir)
    except (ImportRefused, RunError, DatasetError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"imported {run.name}: {run.path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

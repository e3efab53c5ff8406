"""Reading a VAE this project did not train, without running it, and mapping it onto this
engine's layers: the three formats of vae.import_model (its docstring says which).

Files are read as what they claim to be: a torch zip archive loaded with weights_only=True, never
an arbitrary pickle; safetensors; JSON within a size limit. Each converter returns this engine's
VAEConfig and its state_dict, and a reference: the original network's computation from its own
tensors (or its own code, for a trusted module), which vae.import_model.verify holds the converted
model to.
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
import zipfile
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors_bytes
from torch import nn

from .code_model import module_posterior
from .model import VAE, ConfigError, VAEConfig
from .run import MAX_JSON_BYTES


class ImportRefused(Exception):
    """The source cannot be imported; the message names the mismatch."""


class NotMappable(ImportRefused):
    """A module whose layers are not this engine's MLP: it can only run as its own code."""


MAX_SOURCE_BYTES = 4 * 100_000_000 + MAX_JSON_BYTES  # the largest model a run may hold, in float32
TOLERANCE = 1e-5  # the converted model must reproduce the original within this, per value
EXAMPLES_KEYS = ("fc1", "fc21", "fc22", "fc3", "fc4")
PYTHAE_KEYS = {"encoder.layers.0.0": "encoder.1", "encoder.embedding": "to_mu",
               "encoder.log_var": "to_logvar", "decoder.layers.0.0": "decoder.0",
               "decoder.layers.1.0": "decoder.2"}
PYTHAE_MODELS = {"VAEConfig": "VAE", "BetaVAEConfig": "BetaVAE"}
PYTHAE_LIKELIHOODS = {"bce": "bernoulli", "mse": "gaussian"}


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


def convert_module(model: nn.Module, spec: str, image_shape: tuple, likelihood: str,
                   x: torch.Tensor) -> tuple[VAEConfig, dict]:
    """This engine's config and weights for a module whose layers are one of its two layouts: the
    MLP (_mlp_layout) or, where the module has convolutions, the conv layout (_conv_layout). The
    two heads may be mu then log sigma^2 or the other way round: the check below tells. Anything
    else raises NotMappable: such a module can still be imported as its own code
    (vae.code_model)."""
    convolutional = any(isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) for m in model.modules())
    layout = _conv_layout if convolutional else _mlp_layout
    config, pairs, heads = layout(model, spec, tuple(image_shape), likelihood)
    state = {}
    for target, layer in pairs:
        if layer.bias is None:
            raise NotMappable(f"{spec} does not map onto this engine's {config.arch}: its layer "
                              f"{type(layer).__name__} has no bias.")
        state[f"{target}.weight"], state[f"{target}.bias"] = layer.weight, layer.bias
    with torch.no_grad():
        mu, _ = module_posterior(model, x, spec)
        trial = build_model(config, state, spec)
        if (trial.encode(x).mu - mu).abs().max() > TOLERANCE:  # the heads are the other way round
            state["to_mu.weight"], state["to_logvar.weight"] = heads[1].weight, heads[0].weight
            state["to_mu.bias"], state["to_logvar.bias"] = heads[1].bias, heads[0].bias
    return config, {k: v.detach() for k, v in state.items()}


def _only_layers(model: nn.Module, allowed: tuple, refuse: str) -> None:
    others = sorted({type(m).__name__ for m in model.modules()
                     if not isinstance(m, allowed) and m is not model})
    if others:
        raise NotMappable(f"{refuse}: it has {', '.join(others[:4])} layers.")


def _config(spec: str, **fields) -> VAEConfig:
    try:
        return VAEConfig(**fields)
    except ConfigError as exc:
        raise NotMappable(f"{spec} does not fit this engine's model: {exc}") from exc


def _mlp_layout(model: nn.Module, spec: str, image_shape: tuple, likelihood: str):
    """Linear layers in order: an encoder chain from the pixels, two heads to the latent, a
    decoder chain mirroring the encoder; ReLU between them."""
    refuse = (f"{spec} does not map onto this engine's MLP (Linear + ReLU encoder, two Linear "
              "heads to mu and log sigma^2, a mirrored Linear + ReLU decoder)")
    _only_layers(model, (nn.Linear, nn.ReLU, nn.Sequential, nn.Flatten, nn.Sigmoid, nn.Identity,
                         nn.ModuleList), refuse)
    linears = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Linear)]
    n_pixels = image_shape[0] * image_shape[1] * image_shape[2]
    if len(linears) < 5 or len(linears) % 2 == 0:
        raise NotMappable(f"{refuse}: it has {len(linears)} Linear layers.")
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
        raise NotMappable(f"{refuse}: its Linear layers are {shapes}.")
    config = _config(spec, image_shape=image_shape, arch="mlp", hidden=tuple(widths[1:]),
                     latent_dim=latent, likelihood=likelihood)
    engine = [f"encoder.{1 + 2 * i}" for i in range(k)] + ["to_mu", "to_logvar"] \
        + [f"decoder.{2 * i}" for i in range(len(dec))]
    return config, [(t, m) for t, (_, m) in zip(engine, linears)], (heads[0][1], heads[1][1])


# vae.model's conv layout: its layers' names in the engine, in the order a module registers them
CONV_ENGINE = ("encoder.0", "encoder.2", "to_mu", "to_logvar", "decoder.0", "decoder.3",
               "decoder.5")
CONV_KINDS = (nn.Conv2d, nn.Conv2d, nn.Linear, nn.Linear, nn.Linear, nn.ConvTranspose2d,
              nn.ConvTranspose2d)


def _conv_layout(model: nn.Module, spec: str, image_shape: tuple, likelihood: str):
    """Two Conv2d (4x4, stride 2, padding 1) with ReLU, two Linear heads, then a Linear + ReLU and
    two ConvTranspose2d (4x4, stride 2, padding 1) back to the image: vae.model's conv layout."""
    refuse = (f"{spec} does not map onto this engine's conv layout (two Conv2d 4x4 stride 2 + "
              "ReLU, two Linear heads, Linear + ReLU, two ConvTranspose2d 4x4 stride 2)")
    _only_layers(model, (*set(CONV_KINDS), nn.ReLU, nn.Sequential, nn.Flatten, nn.Unflatten,
                         nn.Sigmoid, nn.Identity, nn.ModuleList), refuse)
    layers = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d,
                                                           nn.ConvTranspose2d))]
    if tuple(type(m) for m in layers) != CONV_KINDS:
        raise NotMappable(f"{refuse}: its layers are "
                          f"{', '.join(type(m).__name__ for m in layers[:10])}.")
    conv1, conv2, head1, head2, fc, up1, up2 = layers
    c, h, w = image_shape
    c1, c2, latent = conv1.out_channels, conv2.out_channels, head1.out_features
    feat = c2 * (h // 4) * (w // 4)
    shaped = all(m.kernel_size == (4, 4) and m.stride == (2, 2) and m.padding == (1, 1)
                 and m.groups == 1 and m.dilation == (1, 1) and m.padding_mode == "zeros"
                 for m in (conv1, conv2, up1, up2)) \
        and up1.output_padding == (0, 0) and up2.output_padding == (0, 0)
    chained = (conv1.in_channels == c and conv2.in_channels == c1
               and head1.in_features == head2.in_features == feat == fc.out_features
               and head2.out_features == latent == fc.in_features
               and (up1.in_channels, up1.out_channels, up2.in_channels, up2.out_channels)
               == (c2, c1, c1, c))
    if not (shaped and chained):
        raise NotMappable(f"{refuse}: its kernel sizes, strides or channels are others.")
    config = _config(spec, image_shape=image_shape, arch="conv", hidden=(c1, c2),
                     latent_dim=latent, likelihood=likelihood)
    return config, list(zip(CONV_ENGINE, layers)), (head1, head2)


def module_reference(model: nn.Module, spec: str):
    def reference(x, z):
        mu, logvar = module_posterior(model, x, spec)
        out = model.decode(z)
        if not isinstance(out, torch.Tensor):
            raise ImportRefused(f"{spec}'s decode(z) returned {type(out).__name__}, not a tensor.")
        out = out.reshape(len(z), -1)
        # decode may give logits or means: means lie in [0, 1], and the check below compares
        # whichever it gave with the engine's
        return mu, logvar, out
    return reference


def pythae_reference(state: dict, x: torch.Tensor, z: torch.Tensor):
    """pythae's default MLP computed from its own tensors: Linear + ReLU, embedding and log_var
    heads; decoder Linear + ReLU, Linear + Sigmoid."""
    def lin(name, v):
        return nn.functional.linear(v, state[f"{name}.weight"].float(),
                                    state[f"{name}.bias"].float())
    h = torch.relu(lin("encoder.1", x.flatten(1)))
    means = torch.sigmoid(lin("decoder.2", torch.relu(lin("decoder.0", z))))
    return lin("to_mu", h), lin("to_logvar", h), means

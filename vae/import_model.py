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
   it. This runs your code, so it needs --trust-code (or VAE_TRUST_CODE=1). Where its layers map
   onto this engine's MLP (Linear + ReLU encoder, two heads, a mirrored decoder) or its conv
   layout (two 4x4 stride-2 convolutions, two heads, their mirror), it is converted,
   the mapping verified by running both networks on test images, and its code never runs again.
   Otherwise the run keeps the module's own weights and names its factory (vae.code_model): the
   dashboard opens it only when started with VAE_TRUST_CODE=1, and decodes it on the server.

Every format but an unmappable module becomes this engine's VAE: the run folder holds only
config.json, model.safetensors and status.json, so the dashboard never runs imported code and
every page (the in-browser decoder and encoder included) works on it. Checked before a byte is
written: the file is what it claims to be (a torch zip archive loaded with weights_only=True,
never an arbitrary pickle), the weights' names and shapes against the dataset's image size, a
latent size of 1 to 64, finite values, the likelihood; then the converted model must give the
original's mu, log sigma^2 and decoded means within 1e-5. A refusal is one message naming the
mismatch and leaves nothing behind. The file formats and converters are in vae/import_formats.py.

The record of where the run came from is an "imported_from" object at the top of config.json
(source file name, format, sha256), beside "model" and "train": the run schema reads only those
two, so trained runs, the .zip export and validate_run_folder need no change to carry it.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import torch

from .code_model import CodeVAE, build_module, decodes_means, module_posterior
from .data import DATASETS, DatasetError, load_dataset
from .import_formats import (TOLERANCE, ImportRefused, _state_dict, build_model, convert_examples,
                             convert_module, convert_pythae, examples_reference, EXAMPLES_KEYS,
                             is_examples_checkpoint, load_safetensors_weights, load_torch_weights,
                             module_reference, pythae_reference, sha256_of)
# the formats' names and a run's record of its import are read without PyTorch (vae.imported)
from .imported import FORMATS, imported_from  # noqa: F401
from .losses import evaluate
from .model import CODE_ARCH, VAE, ConfigError, VAEConfig
from .trust import CodeRefused, code_trusted
from .run import (DEFAULT_ROOT, RunDir, RunError, TrainConfig, validate_name, validate_run_folder,
                  write_json_atomic)

__all__ = ["FORMATS", "ImportRefused", "import_model", "imported_from", "main"]

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
        verify(model, lambda xx, z: pythae_reference(converted, xx, z), x, label)
        files = [source / "model.pt", source / "model_config.json"]
    else:
        config, model, details = _import_module(module, weights, image_shape, likelihood, x,
                                                trust_code or code_trusted())
        label = f"{module} with {Path(weights).name}"
        files = [Path(weights)]
        source = Path(weights)
    if isinstance(model, CodeVAE):
        details["decodes_means"] = model.means
    record = {"format": fmt, "description": FORMATS[fmt], "source": source.name,
              "sha256": sha256_of(files[0]), "imported": time.time(), **details}
    if fmt == "module":
        record["module"] = module
        if config.arch == CODE_ARCH:
            record["folder"] = os.getcwd()  # where build_module finds pkg.mod again
    if len(files) > 1:
        record["files"] = {f.name: sha256_of(f) for f in files}
    metrics = evaluate(model, torch.from_numpy(data.test_x.copy()),
                       generator=torch.Generator().manual_seed(0))
    return _write_run(root, name, config, dataset, data_dir, model, record, metrics)


def _import_module(module: str, weights, image_shape: tuple, likelihood: str, x: torch.Tensor,
                   trusted: bool) -> tuple[VAEConfig, VAE, dict]:
    """Format 3: the module built by its factory and filled with its weights; converted onto this
    engine's MLP where its layers map (verified), else kept as its own code (CodeVAE)."""
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
    try:
        net = build_module(module)
        net.load_state_dict(state, strict=True)
    except CodeRefused as exc:
        raise ImportRefused(str(exc)) from exc
    except (RuntimeError, KeyError, TypeError) as exc:
        raise ImportRefused(f"{weights.name} does not fit --module {module}: "
                            f"{str(exc).splitlines()[0][:240]}") from exc
    net.float().eval()
    try:
        with torch.no_grad():
            try:
                config, converted = convert_module(net, module, image_shape, likelihood, x)
                model = build_model(config, converted, label)
                verify(model, module_reference(net, module), x, label, logits_ok=True)
                return config, model, {}
            except ImportRefused as exc:
                why = str(exc)  # not this engine's layers: the module runs as its own code
            return (*_code_model(net, module, image_shape, likelihood, x, label),
                    {"not_mapped": why})
    except CodeRefused as exc:
        raise ImportRefused(str(exc)) from exc


def _code_model(net, module: str, image_shape: tuple, likelihood: str, x: torch.Tensor,
                label: str) -> tuple[VAEConfig, CodeVAE]:
    """The module as its own code, once its outputs have the shapes and values a VAE's have
    (nothing to verify a conversion against: the model is the module)."""
    mu, logvar = module_posterior(net, x, module)
    if mu.ndim != 2 or mu.shape != logvar.shape or mu.shape[0] != len(x):
        raise ImportRefused(f"{module}'s encode(x) gave mu {list(mu.shape)} and log sigma^2 "
                            f"{list(logvar.shape)} for {len(x)} images; both must be (images, "
                            "latent size).")
    try:
        config = VAEConfig(image_shape=tuple(image_shape), arch=CODE_ARCH, hidden=(),
                           latent_dim=int(mu.shape[1]), likelihood=likelihood)
    except ConfigError as exc:
        raise ImportRefused(f"{module} does not fit: {exc}") from exc
    z = torch.cat([mu, torch.randn(mu.shape, generator=torch.Generator().manual_seed(0))])
    out = net.decode(z)
    if not isinstance(out, torch.Tensor) or out.numel() != len(z) * config.n_pixels:
        shape = list(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ImportRefused(f"{module}'s decode(z) gave {shape} for {len(z)} codes; this dataset's "
                            f"images have {config.n_pixels} pixels ({list(image_shape)}).")
    if not (bool(torch.isfinite(mu).all()) and bool(torch.isfinite(logvar).all())
            and bool(torch.isfinite(out).all())):
        raise ImportRefused(f"{label} gives NaN or infinite values on test images.")
    return config, CodeVAE(config, net, module, decodes_means(out))


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
                        "or a Normal, and decode(z) -> logits or means; converted where its "
                        "layers map onto this engine's MLP or conv layout, else kept as its own code, which the "
                        "dashboard opens only when started with VAE_TRUST_CODE=1")
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
    if (imported_from(run) or {}).get("not_mapped"):
        print(f"{imported_from(run)['not_mapped']} It runs as its own code: the dashboard opens it "
              "with `make run TRUST_CODE=1`.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

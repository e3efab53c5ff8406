"""A VAE's settings (VAEConfig): its shape, layers, likelihood and beta, each checked for type
and range. Numbers and words only, no PyTorch: reading a run folder needs this and not the
model (vae.model builds the model from it; VAEConfig and ConfigError are importable from there
too)."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

ARCHS = ("mlp", "conv")  # what the trainer builds
# A model imported as its own Python code (vae/code_model.py): no layers of this engine; its
# weights are the module's, and loading it runs that code, so only when the user trusts it.
CODE_ARCH = "code"
LIKELIHOODS = ("bernoulli", "gaussian")
MAX_LAYERS = 8
MAX_CHANNELS = 4
MAX_SIDE = 1024
MAX_PARAMETERS = 100_000_000  # 400 MB of float32: far above any model this dashboard trains


class ConfigError(ValueError):
    """A configuration a user wrote is not valid; the message says why."""


@dataclass(frozen=True)
class VAEConfig:
    image_shape: tuple[int, int, int] = (1, 28, 28)
    arch: str = "mlp"
    hidden: tuple[int, ...] = (400,)  # MLP widths, or conv channels, encoder side; decoder mirrors
    latent_dim: int = 20
    likelihood: str = "bernoulli"  # bernoulli on logits for greyscale in [0,1]; gaussian, learned sigma
    beta: float = 1.0  # weights the KL in the training objective only, never in the reported ELBO
    kl_warmup_epochs: int = 0  # beta ramps linearly from 0 over this many epochs

    def __post_init__(self):
        # Every value is checked for its type before it is used: a config.json copied in from
        # elsewhere may hold 2.5, true or "abc" where a whole number belongs.
        problems = []
        shape = _whole_numbers(self.image_shape, "image shape", problems)
        hidden = _whole_numbers(self.hidden, "hidden sizes", problems)
        if shape is not None:
            object.__setattr__(self, "image_shape", shape)
        if hidden is not None:
            object.__setattr__(self, "hidden", hidden)
        if not isinstance(self.arch, str) or self.arch not in (*ARCHS, CODE_ARCH):
            problems.append(f"architecture must be one of {ARCHS}, not {self.arch!r}")
        if not isinstance(self.likelihood, str) or self.likelihood not in LIKELIHOODS:
            problems.append(f"likelihood must be one of {LIKELIHOODS}, not {self.likelihood!r}")
        if not _is_int(self.latent_dim) or not 1 <= self.latent_dim <= 64:
            problems.append(f"latent dim must be a whole number between 1 and 64, not "
                            f"{self.latent_dim!r}")
        if self.arch == CODE_ARCH:
            if hidden:
                problems.append("a model imported as code has no hidden sizes of this engine")
        elif hidden is not None and (not hidden or len(hidden) > MAX_LAYERS
                                   or any(h < 1 or h > 4096 for h in hidden)):
            problems.append(f"hidden sizes must be 1 to {MAX_LAYERS} widths of 1 to 4096 each, not "
                            f"{list(hidden)}")
        if shape is not None:
            if len(shape) != 3 or min(shape) < 1:
                problems.append(f"image shape must be (channels, height, width), not {shape}")
                shape = None
            elif shape[0] > MAX_CHANNELS or max(shape[1:]) > MAX_SIDE:
                problems.append(f"image shape must have at most {MAX_CHANNELS} channels and sides "
                                f"of at most {MAX_SIDE} pixels, not {shape}")
                shape = None
            elif self.arch == "conv" and (shape[1] % 4 or shape[2] % 4):
                problems.append("the conv architecture needs height and width divisible by 4 "
                                f"(two stride-2 layers); got {shape[1:]}")
        if self.arch == "conv" and hidden is not None and len(hidden) != 2:
            problems.append("the conv architecture takes two channel counts, e.g. 32,64")
        if not _is_real(self.beta) or not 0 <= self.beta <= 1000:
            problems.append(f"beta must be a number between 0 and 1000, not {self.beta!r}")
        if not _is_int(self.kl_warmup_epochs) or not 0 <= self.kl_warmup_epochs <= 10_000:
            problems.append(f"KL warm-up epochs must be a whole number from 0 to 10000 (it cannot be "
                            f"negative), not {self.kl_warmup_epochs!r}")
        if not problems and self.n_parameters > MAX_PARAMETERS:
            # counted before anything is allocated: [1, 100000, 100000] would need terabytes
            problems.append(f"the model would have {self.n_parameters:,} parameters; at most "
                            f"{MAX_PARAMETERS:,} are allowed")
        if problems:
            raise ConfigError("; ".join(problems) + ".")

    @property
    def n_parameters(self) -> int:
        """The parameter count of VAE(self), computed without building it. For a model imported as
        code it is not known before its code runs: the limit stands in for it."""
        if self.arch == CODE_ARCH:
            return MAX_PARAMETERS
        c, h, w = self.image_shape
        d, widths = self.latent_dim, list(self.hidden)
        if self.arch == "mlp":
            enc = _linear_params([c * h * w, *widths])
            dec = _linear_params([d, *reversed(widths), c * h * w])
            feat = widths[-1]
        else:
            c1, c2 = widths
            feat = c2 * (h // 4) * (w // 4)
            enc = (c * c1 * 16 + c1) + (c1 * c2 * 16 + c2)
            dec = (d * feat + feat) + (c2 * c1 * 16 + c1) + (c1 * c * 16 + c)
        return enc + dec + 2 * (feat * d + d) + (self.likelihood == "gaussian")

    @property
    def n_pixels(self) -> int:
        return math.prod(self.image_shape)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "VAEConfig":
        if not isinstance(d, dict):
            raise ConfigError(f"the model settings must be a JSON object, not {type(d).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ConfigError(f"unknown model settings {sorted(unknown)}")
        return cls(**d)


def parse_hidden(text: str | None, arch: str) -> tuple[int, ...]:
    """Hidden widths as a user writes them (--hidden, the Train form): "512,256"; empty means
    the architecture's default."""
    if not text:
        return (400,) if arch == "mlp" else (32, 64)
    try:
        values = tuple(int(v) for v in text.replace(" ", "").split(",") if v)
    except ValueError as exc:
        raise ConfigError(f"hidden sizes take comma-separated whole numbers like 512,256, not {text!r}") from exc
    if not values:
        raise ConfigError("hidden sizes need at least one width")
    return values



def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_real(value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _whole_numbers(values, what: str, problems: list[str]) -> tuple[int, ...] | None:
    """values as a tuple of ints, or None with a problem noted (2.5, true, "abc", not a list)."""
    if not isinstance(values, (list, tuple)) or len(values) > 64:
        problems.append(f"{what} must be a short list of whole numbers, not {values!r:.80}")
        return None
    bad = [v for v in values if not _is_int(v)]
    if bad:
        problems.append(f"{what} must be whole numbers, not {bad[0]!r:.40}")
        return None
    return tuple(int(v) for v in values)


def _linear_params(widths: list[int]) -> int:
    return sum(a * b + b for a, b in zip(widths[:-1], widths[1:]))

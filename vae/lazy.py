"""Names of a package imported when first used, not with the package (PEP 562): `python -m
vae.train` must catch a Stop before PyTorch has loaded, and PyTorch loads with the engine's
modules."""
from __future__ import annotations

import importlib
import importlib.util


def lazy_attributes(package: str, homes: dict[str, str]):
    """A module-level __getattr__ for `package`: homes maps a name to the submodule defining it;
    any submodule is reachable as an attribute too (`vae.x` before `import vae.x`)."""
    def __getattr__(name):
        if name in homes:
            return getattr(importlib.import_module(f".{homes[name]}", package), name)
        if importlib.util.find_spec(f"{package}.{name}") is not None:
            return importlib.import_module(f".{name}", package)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    return __getattr__

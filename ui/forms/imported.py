"""Runs imported by vae.import_model: what a page says where it would draw training curves, and
about runs whose model is imported code."""
from __future__ import annotations

from ui.forms.text import code, plain
from vae.imported import FORMATS, imported_from
from vae.run import RunDir


def no_curves_note(run: RunDir | None, what: str = "") -> str | None:
    """A sentence saying that the run was imported and so has no training curves (then `what`),
    or None for a run this project trained."""
    record = imported_from(run) if run is not None else None
    if record is None:
        return None
    fmt = record.get("format")  # the record is a file: its format may be any JSON value
    kind = FORMATS.get(fmt, "another tool") if isinstance(fmt, str) else "another tool"
    source = str(record.get("source", "?"))[:80]
    return (f"Run **{plain(run.name)}** was imported from {code(source)} ({plain(kind)}): "
            f"it was trained elsewhere, so it has no training curves{what}. Every view of the "
            "model itself works on it.")


def imported_names(runs) -> list[str]:
    return [r.name for r in runs if imported_from(r) is not None]


def untrusted_note(names: list[str]) -> str:
    """One sentence on the runs marked "needs --trust-code"."""
    listed = ", ".join(f"**{plain(n)}**" for n in names[:6]) + (" …" if len(names) > 6 else "")
    return (f"{listed} {'needs' if len(names) == 1 else 'need'} --trust-code: "
            f"{'its model is' if len(names) == 1 else 'their models are'} Python code imported "
            "with `vae.import_model --module`, and opening one runs that code. Start the "
            "dashboard with `make run TRUST_CODE=1` if you trust it.")

"""Keyboard for Presenter mode: a tiny v2 component that listens on the page and sends a step.

ArrowRight, PageDown and Space move one step on; ArrowLeft, PageUp and Shift+Space one back. Keys
typed into a field, a slider or a button keep their own meaning (Space on a focused Next button
already clicks it), and so do keys with Ctrl, Alt or Meta.
"""
from __future__ import annotations

from typing import Callable

import streamlit as st

NEXT_KEYS = ("ArrowRight", "PageDown", " ")
BACK_KEYS = ("ArrowLeft", "PageUp")

_JS = """
const NEXT = %(next)s, BACK = %(back)s;
export default function ({ setTriggerValue }) {
  const doc = window.document;
  if (window.__presenterKeys) doc.removeEventListener("keydown", window.__presenterKeys);
  const onKey = (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.altKey || e.metaKey || e.repeat) return;
    const t = e.target;
    if (t && t.closest && t.closest(
        "input, textarea, select, button, [role=slider], [contenteditable=true], [role=option]"))
      return;
    let step = 0;
    if (e.key === " ") step = e.shiftKey ? -1 : 1;
    else if (NEXT.includes(e.key)) step = 1;
    else if (BACK.includes(e.key)) step = -1;
    if (!step) return;
    e.preventDefault();
    setTriggerValue("step", step);
  };
  window.__presenterKeys = onKey;
  doc.addEventListener("keydown", onKey);
  return () => {
    doc.removeEventListener("keydown", onKey);
    if (window.__presenterKeys === onKey) delete window.__presenterKeys;
  };
}
""" % {"next": list(NEXT_KEYS).__repr__().replace("'", '"'),
       "back": list(BACK_KEYS).__repr__().replace("'", '"')}

_keys_component = st.components.v2.component("vae_presenter_keys", js=_JS)


def presenter_keys(key: str, on_step: Callable[[int], None]) -> None:
    """Mount the listener (no markup); on_step(+1 or -1) runs as a callback before the rerun."""
    def _changed():
        value = (st.session_state.get(key) or {}).get("step")
        if value in (1, -1):
            on_step(int(value))

    _keys_component(key=key, height=0, on_step_change=_changed)

"""A long computation on a page without blocking it: the job (ui.jobs) runs in its own thread, the
page shows its progress where the result will be, and reruns once when it ends. Meanwhile every
other control on the page answers (a script run is never held by the job)."""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import streamlit as st

from ui import jobs
from ui.forms.text import plain

POLL_S = 0.5


def result_or_progress(key: Hashable, fn: Callable[[Callable[[float], None]], Any], what: str):
    """fn(report)'s result once its job has ended; until then a progress bar that follows the job,
    and None. `what` names the work in the bar ("IWAE_k for 200 test images, k = 1000")."""
    job = jobs.submit(key, fn)
    if not job.done:
        _follow(job, what)
        return None
    if job.error is not None:
        jobs.forget(key)  # the next visit tries again
        st.error(plain(f"{what} failed: {job.error}"), icon=":material/error:")
        return None
    return job.result


@st.fragment(run_every=POLL_S)
def _follow(job: jobs.Job, what: str) -> None:
    """Reruns itself every POLL_S while the job runs; when it has ended, the whole page reruns and
    draws the result (this fragment is then not drawn, so its timer ends with it)."""
    if job.done:
        st.rerun()
    st.progress(job.fraction, text=plain(
        f"{what}: {job.fraction:.0%} after {job.elapsed:.0f} s. The rest of the page answers "
        "meanwhile; the result appears here when it is ready."))

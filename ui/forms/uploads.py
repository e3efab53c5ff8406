"""Uploads handled once and then let go.

Streamlit keeps an uploaded file's bytes in the server's memory, and in the session's widget state,
until the browser removes the file or the session ends. A page that has imported (or refused) an
upload needs it no longer: release_upload() drops it from the server, and the page draws the
uploader under a new key (upload_key), so it comes back empty rather than holding the old file.
"""
from __future__ import annotations

import streamlit as st
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.scriptrunner import get_script_run_ctx


def upload_key(name: str) -> str:
    """The uploader's widget key now: `name` and how many uploads it has let go of."""
    return f"{name}_{st.session_state.get(_generation(name), 0)}"


def release_upload(name: str) -> None:
    """Forget the file uploaded under upload_key(name): its bytes leave the server's upload store
    and the session state, and the next run draws a fresh, empty uploader."""
    key = upload_key(name)
    upload = st.session_state.get(key)
    files = upload if isinstance(upload, list) else [] if upload is None else [upload]
    ctx = get_script_run_ctx()
    # Only the in-memory store can remove one file (Streamlit's chat input does the same).
    if ctx is not None and isinstance(ctx.uploaded_file_mgr, MemoryUploadedFileManager):
        for file in files:
            ctx.uploaded_file_mgr.remove_file(session_id=ctx.session_id, file_id=file.file_id)
    st.session_state.pop(key, None)
    st.session_state[_generation(name)] = st.session_state.get(_generation(name), 0) + 1


def _generation(name: str) -> str:
    return f"_{name}_generation"

"""Pure figure builders: data in, a plotly Figure (or PNG bytes) out; no Streamlit, no session state."""

"""Views a presenter can take away: a Plotly chart whose camera button saves a 2x PNG named after
the view, and a download button for a picture the page already made."""
import streamlit as st


def chart(fig, key: str) -> None:
    st.plotly_chart(fig, theme="streamlit", key=key, config={
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "scale": 2, "filename": key}})


def png_download(label: str, png: bytes, name: str, key: str) -> None:
    st.download_button(f"PNG: {label}", png, file_name=f"{name}.png", mime="image/png",
                       icon=":material/download:", key=key)

"""The Draw page's name, which says what the active run's images are. Pure: no Streamlit."""
from __future__ import annotations

DIGIT_DATASETS = ("mnist", "mnist-5k", "digits")


def draw_title(dataset: str | None) -> str:
    """"Draw a digit" for a run trained on digits; "Draw an input" for anything else (clothes,
    your own images), or when the run's dataset cannot be read."""
    return "Draw a digit" if dataset in DIGIT_DATASETS else "Draw an input"

"""Text that came from a file (a run's config, status or metrics, a dataset's class names, an
uploaded zip's entry names, an exception quoting any of them), made safe to put in Markdown.

Streamlit renders st.markdown, st.caption, st.info/warning/error/success, st.toast, image captions
and widget labels as Markdown. A run folder is anyone's to write, so `![x](https://host/p.png)` in
its status message would make every viewer's browser fetch that URL, and `<img src=...>` would try
to. Every piece of such text goes through plain() (or code(), inside backticks) before it is joined
into Markdown.
"""
from __future__ import annotations

import re

MAX_CHARS = 2000  # longer text from a file is cut: a message is for reading, not for a dump

# CommonMark lets a backslash escape any ASCII punctuation character, which is then literal text.
# These can start markup anywhere in a line: images and links ([ ] !), HTML and autolinks (< >),
# code spans (`), emphasis (*), math ($), tables (|), strikethrough (~), entities (&) and
# Streamlit's directives ({ }). Parentheses, dots, dashes and colons are left as they are: they
# make no markup on their own, and shapes like (1, 28, 28) and names like status-list stay readable
# in the page's source.
_ANYWHERE = re.compile(r"([\\`*\[\]<>!$|~&{}])")
# "_" makes emphasis only where it is not inside a word (CommonMark's flanking rules), so
# epoch_0002 keeps its underscore and _this_ does not turn italic.
_LOOSE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# At the start of the text these open a block: a heading, a list, a quote, a rule ("1." too).
_BLOCK_START = re.compile(r"^(\s*\d*)([#+=.)-])")


def plain(value, max_chars: int = MAX_CHARS) -> str:
    """str(value) escaped so that Markdown shows it as the same characters, never as markup (no
    image, link or HTML tag can come out of it). Line breaks become spaces: a value from a file is
    one phrase inside a sentence of ours."""
    text = _ANYWHERE.sub(r"\\\1", _one_line(value, max_chars))
    text = _LOOSE_UNDERSCORE.sub(r"\\_", text)
    return _BLOCK_START.sub(r"\1\\\2", text, count=1)


def code(value, max_chars: int = MAX_CHARS) -> str:
    """str(value) as an inline code span: Markdown shows a code span's content literally, so only
    the fence needs care: one backtick longer than any run of backticks inside the value."""
    text = _one_line(value, max_chars)
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _one_line(value, max_chars: int) -> str:
    text = " ".join(str(value).splitlines())
    return text[:max_chars] + "…" if len(text) > max_chars else text


"""How tables and numbers are shown to readers, in notebooks and in the PDFs.

Tables are displayed as Markdown (not HTML) so that the same output reads in
JupyterLab and survives the Markdown -> Typst route into the PDF. md_table is
where table cells meet the escaping boundary (escape.py): every text cell and
header goes through escape.md_cell once, so that a `|`, `*`, `_`, `<`, `@` or
`$` in a source title is printed, not read as table syntax, emphasis, raw
HTML, a citation or maths. Only cells the product itself builds as raw
output (RawMarkup, e.g. a coloured verdict) pass through; the test is the
type, never the content. The HTML twin of a table (show_both) is built by
escape.html_table, under the same rule.
"""
from __future__ import annotations

import re

import pandas as pd
from IPython.display import Markdown, display

from .escape import RawMarkup, html_table, md_cell, md_text  # noqa: F401  (re-exported: the notebooks' imports)

_BREAK_AFTER = re.compile(r"([_/.:?&=,-])(?=\S)")

md_escape = md_cell        # the name the notebooks and earlier code use for a table cell


def breakable(value: object) -> object:
    """Long identifiers (file names, URLs) get zero-width break points, so that PDF table cells can wrap them."""
    if isinstance(value, str) and len(value) > 18 and not isinstance(value, RawMarkup):
        return _BREAK_AFTER.sub("\\1\u200b", value)
    return value


def md_table(frame: pd.DataFrame, columns: dict[str, str] | None = None, empty: str = "（无 none）") -> str:
    """A Markdown table of frame; columns maps column -> header (and picks and orders them)."""
    if frame is None or frame.empty:
        return empty
    shown = frame[list(columns)] if columns else frame
    if columns:
        shown = shown.rename(columns=columns)
    shown = shown.astype(object).where(shown.notna(), "").map(md_cell).map(breakable)
    shown.columns = [md_cell(c) for c in shown.columns]
    return shown.to_markdown(index=False, floatfmt="g")


def show(text: str) -> None:
    display(Markdown(text))


def show_table(frame: pd.DataFrame, columns: dict[str, str] | None = None, empty: str = "（无 none）") -> None:
    show(md_table(frame, columns, empty))


def show_both(markdown: str, html: str) -> None:
    """One output with a Markdown form (for the PDF route) and an HTML form (for JupyterLab).

    Both must already be escaped: markdown from md_table, html from escape.html_table (never to_html(escape=False)).
    """
    display({"text/markdown": markdown, "text/html": html}, raw=True)


def show_tables(frame_md: pd.DataFrame, frame_html: pd.DataFrame) -> None:
    """The same table as Markdown (PDF route) and HTML (JupyterLab), each escaped by its own format's function."""
    show_both(md_table(frame_md), html_table(frame_html))

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

from analysis.core.escape import RawMarkup, html_table, md_cell, md_text  # noqa: F401  (re-exported: the notebooks' imports)

md_escape = md_cell        # the name the notebooks and earlier code use for a table cell


def md_table(frame: pd.DataFrame, columns: dict[str, str] | None = None, empty: str = "（无 none）") -> str:
    """A Markdown table of frame; columns maps column -> header (and picks and orders them)."""
    if frame is None or frame.empty:
        return empty
    shown = frame[list(columns)] if columns else frame
    if columns:
        shown = shown.rename(columns=columns)
    shown = shown.astype(object).where(shown.notna(), "").map(md_cell)
    shown.columns = [md_cell(c) for c in shown.columns]
    return shown.to_markdown(index=False, floatfmt="g")


def named_indicators(frame: pd.DataFrame | None, cfg, column: str = "indicator") -> pd.DataFrame | None:
    """frame with each indicator id shown as its Chinese name and the id (社会消费品零售总额 (retail_sales)): an
    auditor reads the name the statistics bureau prints, and the id stays for finding the row in the CSVs."""
    if frame is None or column not in frame:
        return frame
    names = {i.id: f"{i.name_zh} ({i.id})" for i in cfg.indicators.values()}
    return frame.assign(**{column: frame[column].map(lambda v: names.get(v, v))})


def show(text: str) -> None:
    display(Markdown(text))


def show_table(frame: pd.DataFrame, columns: dict[str, str] | None = None, empty: str = "（无 none）") -> None:
    show(md_table(frame, columns, empty))


# Markdown for writers other than Typst (the Word route): the form of an output whose text/markdown holds raw Typst
PORTABLE_MIME = "text/x-portable-markdown"


def show_both(markdown: str, html: str, portable: str | None = None) -> None:
    """One output with a Markdown form (for the PDF route) and an HTML form (for JupyterLab).

    Both must already be escaped: markdown from md_table, html from escape.html_table (never to_html(escape=False)).
    portable: where markdown holds raw Typst (a Typst table, a set rule), the same content as plain Markdown for
    the Word route (render.portable_view); "" when it has nothing to show there.
    """
    data = {"text/markdown": markdown, "text/html": html}
    if portable is not None:
        data[PORTABLE_MIME] = portable
    display(data, raw=True)


def show_tables(frame_md: pd.DataFrame, frame_html: pd.DataFrame) -> None:
    """The same table as Markdown (PDF route) and HTML (JupyterLab), each escaped by its own format's function."""
    show_both(md_table(frame_md), html_table(frame_html))

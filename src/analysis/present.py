"""How tables and numbers are shown to readers, in notebooks and in the PDFs.

Tables are displayed as Markdown (not HTML) so that the same output reads in
JupyterLab and survives the Markdown -> Typst route into the PDF. md_table is
the escaping boundary for that format: text cells from the data (titles,
file names, messages, confirmation reasons) are backslash-escaped there, so
that a `|`, `*`, `_`, `<`, `@` or `$` in a source title is printed, not read
as table syntax, emphasis, raw HTML, a citation or maths. Only cells the
product itself builds as raw output (RawMarkup, e.g. a coloured verdict)
pass through; the test is the type, never the content, so a source title
that contains `{=typst}` is still escaped.
"""
from __future__ import annotations

import re

import pandas as pd
from IPython.display import Markdown, display

_BREAK_AFTER = re.compile(r"([_/.:?&=,-])(?=\S)")


class RawMarkup(str):
    """Markup built by the product (never from data) that a table must pass through unescaped."""


def md_escape(value: object) -> object:
    """A table cell: text from data made literal (md_text, one line); numbers and raw Typst cells left alone."""
    if isinstance(value, str) and not isinstance(value, RawMarkup):
        return md_text(value).replace("\n", " ")
    return value


def breakable(value: object) -> object:
    """Long identifiers (file names, URLs) get zero-width break points, so that PDF table cells can wrap them."""
    if isinstance(value, str) and len(value) > 18 and not isinstance(value, RawMarkup):
        return _BREAK_AFTER.sub("\\1\u200b", value)
    return value


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#+!|$@~^])")     # not ( ): JupyterLab's MathJax reads \( as maths


def md_text(value: object) -> str:
    """Text from the data (a source title, a file name) as literal Markdown: every markup character backslash-escaped.

    The briefing is Markdown that Pandoc turns into Typst, so a title holding
    `*`, `[`, `|`, `<`, `$` or `@` would otherwise become emphasis, a link, a
    table break, raw HTML, maths or a citation. Pandoc reads a backslash
    before any ASCII punctuation as that character, so escaping is lossless.
    """
    return _MD_SPECIAL.sub(r"\\\1", "" if value is None else str(value))


def md_table(frame: pd.DataFrame, columns: dict[str, str] | None = None, empty: str = "（无 none）") -> str:
    """A Markdown table of frame; columns maps column -> header (and picks and orders them)."""
    if frame is None or frame.empty:
        return empty
    shown = frame[list(columns)] if columns else frame
    if columns:
        shown = shown.rename(columns=columns)
    shown = shown.astype(object).where(shown.notna(), "").map(md_escape).map(breakable)
    return shown.to_markdown(index=False, floatfmt="g")


def show(text: str) -> None:
    display(Markdown(text))


def show_table(frame: pd.DataFrame, columns: dict[str, str] | None = None, empty: str = "（无 none）") -> None:
    show(md_table(frame, columns, empty))


def show_both(markdown: str, html: str) -> None:
    """One output with a Markdown form (for the PDF route) and an HTML form (for JupyterLab)."""
    display({"text/markdown": markdown, "text/html": html}, raw=True)

"""The escaping boundary: text from data shows itself, in every output format, and never acts as markup.

Raw files are typed by many hands; their free text (source titles,
publishers, notes, file names, URLs, confirmation reasons, indicator names
as printed) reaches Markdown that Pandoc turns into Typst (the PDFs), Typst
itself, and HTML (Data Docs, notebook outputs). A title holding `@海门发布`
became a Pandoc citation and killed the render; `` `...`{=typst} `` ran as
Typst in the official PDFs; `<script>` ran in an auditor's browser. So:

- one function per output format, in this module: md_text (Markdown read by
  Pandoc and JupyterLab), typst_text / typst_string (Typst markup / a Typst
  string literal), html_text (HTML text and attribute values), plot_text
  (matplotlib labels, where a pair of $ starts maths);
- every string from data passes through the function of the format it
  enters exactly once, where it enters it (a table cell, a sentence, a stored
  validation result), so it is neither live nor shown with stray backslashes;
- markup passes unescaped only when the product built it: RawMarkup, a str
  subclass. The type decides, never the content, so a title that happens to
  contain `{=typst}` or `<span>` is still text.

Pandoc's own reinterpretation (citations, maths, raw HTML/TeX, smart quotes)
is also switched off for the briefing Markdown (render.PANDOC_FORMAT), as a
second line behind this one.
"""
from __future__ import annotations

import html
import numbers
import re

import pandas as pd


class RawMarkup(str):
    """Markup built by the product (never from data) that must pass the escaping functions unchanged.

    Used for the coloured verdict cells (raw Typst in Markdown, or an HTML span); anything built from it by
    str operations is a plain str again, so data glued onto product markup is escaped, not trusted.
    """


# line breaks and control characters in data would end a Markdown line (a new line may start a list, a heading,
# a table row) or reach Typst/PDF as invisible bytes: one space each
_BREAKS = re.compile(r"[\r\n\u2028\u2029\u0085\x0b\x0c]+")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")

# ASCII punctuation Pandoc or CommonMark may read as markup; Pandoc (all_symbols_escapable) and CommonMark read a
# backslash before any ASCII punctuation as that character, so escaping is lossless. Not ( ): JupyterLab's MathJax
# reads \( as the start of maths. & stops entities (&lt;) being decoded; " and ' are safe (smart is off).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#+!|$@~^&=:-])")


def _one_line(value: object) -> str:
    text = "" if value is None else str(value)
    return _CONTROL.sub("", _BREAKS.sub(" ", text))


def md_text(value: object) -> str:
    """Text from data as literal Markdown (one line): every markup character backslash-escaped.

    For a sentence or list item the product writes around data (sources line, data notes, key messages).
    RawMarkup is returned unchanged (the product's own markup).
    """
    if isinstance(value, RawMarkup):
        return value
    return _MD_SPECIAL.sub(r"\\\1", _one_line(value))


def md_cell(value: object) -> object:
    """A Markdown table cell: numbers stay numbers (the table formats them), RawMarkup passes, anything else is
    text from data and goes through md_text once."""
    if value is None or isinstance(value, (RawMarkup, bool, numbers.Number)):
        return value
    return md_text(value)


# Typst markup: a backslash escapes any of these (and is itself escaped); letters and CJK never need it.
# / (comments), = - + (headings and lists at a line start, en dashes), . (the ... ellipsis), ' " (smart quotes),
# : (term lists) are included so that no sequence of them means anything.
_TYPST_SPECIAL = re.compile(r"([\\#$*_`<>@\[\]~/=+\-.'\":])")


def typst_text(value: object) -> str:
    """Text from data placed directly into Typst markup (content in [...]), shown literally."""
    if isinstance(value, RawMarkup):
        return value
    return _TYPST_SPECIAL.sub(r"\\\1", _one_line(value))


def typst_string(value: object) -> str:
    """Text from data as a Typst string literal, quotes included (for code: titles, metadata, rgb("...") arguments)."""
    text = _one_line(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def html_text(value: object) -> str:
    """Text from data in HTML (element content or a quoted attribute value): & < > " ' become entities.

    A `<script>`, an `onerror=` or a `javascript:` URL is then characters on the page, never a tag, an attribute
    or a link. RawMarkup (the product's own HTML) is returned unchanged.
    """
    if isinstance(value, RawMarkup):
        return value
    return html.escape("" if value is None else str(value), quote=True)


def html_cell(value: object) -> object:
    """An HTML table cell: numbers and RawMarkup pass, anything else is escaped once."""
    if value is None or isinstance(value, (RawMarkup, bool, numbers.Number)):
        return value
    return html_text(value)


def html_table(frame: pd.DataFrame, index: bool = False) -> str:
    """frame as an HTML table in which only RawMarkup cells are markup: headers and every other cell are escaped.

    pandas' to_html(escape=False) would pass data through unescaped, and escape=True would also escape the
    product's coloured verdict spans; this escapes by type, cell by cell, once.
    """
    shown = frame.astype(object).where(frame.notna(), "").map(html_cell)
    shown.columns = [html_cell(c) for c in shown.columns]
    return shown.to_html(index=index, escape=False, na_rep="")


def plot_text(value: object) -> str:
    """Text from the registry or data as a matplotlib label: `$` escaped, so that two of them are not read as maths."""
    return _one_line(value).replace("$", r"\$")


def escape_strings(value: object, escape=html_text) -> object:
    """value with every str inside (nested dicts, lists, tuples) passed through escape; other values unchanged.

    For structures rendered by someone else's templates (Great Expectations' stored validation results), so
    that each data string is escaped once before it reaches their HTML.
    """
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict):
        return {k: escape_strings(v, escape) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(escape_strings(v, escape) for v in value)
    return value

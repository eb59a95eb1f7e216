"""A briefing table written directly as Typst (a raw block in the Markdown), for column widths and section rows.

Why: a Markdown pipe table leaves the column widths to Typst's automatic layout, which squeezed the target names
of the status table into a narrow column of five-line cells while the short columns stayed wide, and it cannot
span a section heading across the row. Here the widths are fixed fractions chosen per table and a section row
spans every column, which is what keeps the full-data briefing within four pages.

The escaping boundary for Typst is here: every cell from data goes through escape.typst_text exactly once; only
cells the product itself builds as Typst code (TypstCode, e.g. a coloured verdict) pass as they are. The block is
fenced with more backticks than typst_text can leave in a row (it escapes every backtick), so no data can close it.
"""
from __future__ import annotations

from collections.abc import Sequence

from analysis.core.escape import RawMarkup, typst_text


class TypstCode(str):
    """Typst code the product wrote (never data): placed in a cell as it is."""


def unwrap_inline(cell: object) -> TypstCode | None:
    """The Typst code inside our inline raw markup `...`{=typst} (briefing.status_cell), or None for anything else."""
    if not isinstance(cell, RawMarkup) or not cell.endswith("{=typst}"):
        return None
    body = cell[: -len("{=typst}")]
    fence = "``" if body.startswith("``") else "`"
    return TypstCode(body[len(fence):-len(fence)])


def _cell(value: object) -> str:
    code = value if isinstance(value, TypstCode) else unwrap_inline(value)
    if code is not None:
        return f"[{code}]"
    if value is None or (isinstance(value, float) and value != value):
        return "[]"
    return f"[{typst_text(value)}]"


def typst_table(header: Sequence[str], rows: Sequence[Sequence[object] | str], widths: Sequence[float]) -> RawMarkup:
    """A Typst table as a Markdown raw block: header, rows, and section rows (a row given as a str spans all columns).

    widths are relative (fr); the look (strokes, header fill, 7.5 pt text) comes from look.typ's table rules.
    """
    n = len(header)
    lines = [f"#table(columns: ({', '.join(f'{w:g}fr' for w in widths)}),",
             "  table.header(" + ", ".join(_cell(h) for h in header) + "),"]
    for row in rows:
        if isinstance(row, str):
            lines.append(f"  table.cell(colspan: {n}, fill: luma(246), inset: (x: 4pt, y: 1.5pt))[#strong[{typst_text(row)}]],")
        else:
            lines.append("  " + ", ".join(_cell(v) for v in row) + ",")
    lines.append(")")
    fence = "`````"
    return RawMarkup(f"{fence}{{=typst}}\n" + "\n".join(lines) + f"\n{fence}")

"""A raw file as a grid of cell strings: encodings and CSV dialects, and the checks every cell gets.

Split from ingest.py (which turns the cells into observations) because
reading the file format is its own job: UTF-8 / GBK and delimiters for CSV;
control characters, footnote marks and over-long text in any cell. Workbooks
(.xlsx: cells as shown, what a spreadsheet can hide) are read by rawxlsx.py.
"""
from __future__ import annotations

import csv
import io
import re

from analysis.core.config import Config
from analysis.core.errors import InputError, Problem
from analysis.core.parse import DIGIT_LOOKALIKE_FIX, digit_lookalike, norm_key
from analysis.inputs.rawbytes import check_zip_is_workbook, refuse_mixed_encodings

# The template's sheets (scripts/make_template.py): figures go on DATA_SHEET; the others are
# instructions, the example row and the drop-down lists, and are never read as figures.
DATA_SHEET = "data"
EXAMPLE_SHEET = "example 示例"
HELP_SHEET = "说明 help"
LISTS_SHEET = "lists 选项"
TEMPLATE_AUX_SHEETS = {EXAMPLE_SHEET, HELP_SHEET, LISTS_SHEET}


def header_key(text: object) -> str:
    """Key for matching a header: case, spaces, underscores and hyphens do not count.

    "Source Title", "source-title" and "source_title" are the same column, and
    a header Excel wrapped onto two lines ("数值\n(原文)") is still 数值(原文);
    these are spellings, not guesses, so they are accepted without a word.
    """
    return re.sub(r"[\s_\-]+", "", norm_key(text))


def _column_index(cfg: Config) -> dict[str, str]:
    spec = cfg.settings["columns"]
    index = {header_key(c): c for c in spec["required"] + spec["optional"]}
    for canonical, aliases in spec["aliases"].items():
        index.update({header_key(a): canonical for a in aliases})
    return index


# ------------------------------------------------------------- file level --
def _decode(data: bytes, rel: str) -> str:
    """UTF-8 (with or without BOM), else GBK as Excel on Chinese Windows saves CSV."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError([Problem(rel, "is saved as UTF-16, which this suite does not read",
                                  "save it again as CSV UTF-8 (Excel: Save As > 'CSV UTF-8 (Comma delimited)')")])
    if data.startswith(b"PK\x03\x04") and b"xl/" in data[:65536]:
        raise InputError([Problem(rel, "is an Excel workbook (.xlsx) named .csv",
                                  "rename it to .xlsx (or save it from Excel as 'CSV UTF-8'); 请将扩展名改为 .xlsx")])
    # A few NUL bytes in a text file are reported cell by cell (cell_problems, with the position); many
    # are a binary file or UTF-16 without its byte-order mark.
    if data[:4096].count(b"\x00") > max(16, len(data[:4096]) // 20) or data.startswith((b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise InputError([Problem(rel, "is not a text table (it looks like a binary file: PDF, Word, Excel or an image)",
                                  "export the figures to CSV (UTF-8) with the columns in data/raw/README.md, or save the workbook as .xlsx")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        refuse_mixed_encodings(data, rel)
        try:
            # GB18030 is GBK plus the characters GBK lacks (䶮, emoji...): what Chinese Windows and WPS save
            return data.decode("gb18030")
        except UnicodeDecodeError:
            line = data[: utf8_error.start].count(b"\n") + 1
            raise InputError([Problem(rel, f"is neither UTF-8 nor GBK text (first unreadable byte on line {line})",
                                      "open it in a text editor or Excel and save it as CSV UTF-8; "
                                      "请用记事本或 Excel 另存为 CSV UTF-8", row=line)]) from None


def _check_xlsx_bytes(data: bytes, rel: str) -> None:
    """A file named .xlsx that is something else gets a fix for what it really is (an .xlsx is a zip file)."""
    if data.startswith(b"PK\x03\x04"):
        check_zip_is_workbook(data, rel)
        return
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError([Problem(rel, "is an old-format (.xls) or password-protected workbook saved under the name .xlsx",
                                  "open it in Excel or WPS, remove any password (File > Info > Protect Workbook), and save it as "
                                  "Excel Workbook (.xlsx); 请取消密码并另存为 .xlsx")])
    if data.startswith(b"%PDF"):
        raise InputError([Problem(rel, "is a PDF named .xlsx", "type the figures into the template data/templates/raw_release_template.xlsx")])
    head = data[:4096]
    if b"\x00" not in head and (b"," in head or b"\t" in head):
        raise InputError([Problem(rel, "is a text (CSV) file named .xlsx",
                                  "rename it to .csv (or open it in Excel and save it as .xlsx); 请将扩展名改为 .csv")])
    raise InputError([Problem(rel, "is not an .xlsx workbook (its content is not a zip file as .xlsx files are)",
                              "open it in Excel or WPS and save it as Excel Workbook (.xlsx), or export the sheet to CSV UTF-8")])


def _delimiter(text: str, known: dict[str, str] | None) -> tuple[str, str]:
    """(delimiter, text): Excel's "sep=;" first line, or a header that only makes sense split by ; or a tab.

    Excel in many locales saves "CSV" with semicolons; the header says which
    separator was meant, so the file is read as written instead of refused.
    """
    first, _, rest = text.partition("\n")
    m = re.fullmatch(r"\s*sep=(.)\s*", first)
    if m:
        return m.group(1), rest
    if known is not None and "," not in first:
        for sep in (";", "\t", "|"):
            if sum(header_key(h) in known for h in first.split(sep)) >= 3:
                return sep, text
    return ",", text


def _open_quote(line: str, sep: str) -> tuple[int, int] | None:
    """(column index, character offset) of the quote left open in one physical line, or None if all close."""
    column, start, quoted, i = 0, None, False, 0
    while i < len(line):
        ch = line[i]
        if quoted:
            if ch == '"':
                if line[i + 1:i + 2] == '"':
                    i += 1
                else:
                    quoted = False
        elif ch == '"':
            quoted, start = True, i
        elif ch == sep:
            column += 1
        i += 1
    return (line[:start].count(sep) if start is not None else column, start) if quoted and start is not None else None


def _cells_from_csv(text: str, rel: str, known: dict[str, str] | None = None, max_cell: int = 1_000_000,
                    max_rows: int | None = None) -> list[list[str]]:
    """The rows of a CSV text; a broken quote is reported with the row (and line) where it opened.

    The csv module's field limit (131,072 characters by default) is raised to
    max_cell: a long note is legitimate, and cell_problems reports a cell over
    the limit by its row and column. Rows are read one at a time so that an
    error names the record it happened in, not just "unexpected end of data".
    """
    original = text
    sep, text = _delimiter(text, known)
    skipped = 0 if text is original else 1          # Excel's "sep=;" line, dropped before reading
    csv.field_size_limit(max(csv.field_size_limit(), max_cell + 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    rows: list[list[str]] = []
    line_done = 0
    try:
        for row in reader:
            rows.append(row)
            line_done = reader.line_num
            if max_rows is not None and len(rows) > max_rows + 1:      # stop reading: 20 MB of line breaks is millions of rows
                raise InputError([Problem(rel, f"has more than the {max_rows:,} rows below the header a raw file may hold; "
                                               "it was not read further",
                                          "one file holds the figures of one publication: split it by publication, or delete "
                                          "rows that are not published figures (empty rows count too); the limit is "
                                          "limits.max_rows in config/settings.yaml (行数过多)")])
    except csv.Error as exc:
        record, line = len(rows) + 1, line_done + 1 + skipped
        lines = text.split("\n")
        first = lines[line_done].rstrip("\r") if line_done < len(lines) else ""
        opened = _open_quote(first, sep)
        header = rows[0] if rows else []
        column = None
        if opened is not None:
            index, offset = opened
            column = header[index] if index < len(header) and header[index] else f"column {index + 1}"
            value = first[offset:offset + 60]
            raise InputError([Problem(rel, f"a double quote opens a cell on line {line} and is never closed, so the rest of the file "
                                           f"would be read as one cell ({exc})",
                                      'close the quote, or delete it: a cell that holds a comma or a line break is written "like, this"; '
                                      'a quote inside a quoted cell is doubled ("")；请检查该行的引号是否成对',
                                      row=record, column=column, value=value)]) from None
        if "field larger than field limit" in str(exc):
            raise InputError([Problem(rel, f"has a cell longer than the {max_cell:,} characters a cell may hold (line {line})",
                                      "shorten it (a long text belongs in the document cited by source_url); if a quote opens "
                                      "the cell, check that it is closed; the limit is limits.max_cell_chars in config/settings.yaml",
                                      row=record, value=first[:60])]) from None
        raise InputError([Problem(rel, f"is not a readable CSV table at line {line} ({exc})",
                                  'check the quotes on that row: a cell that contains a comma or a line break must be in double '
                                  'quotes, and nothing may follow the closing quote; 请检查该行的引号',
                                  row=record, value=first[:60])]) from None
    return rows


# Control characters: never in a figure, a title or a note typed by a person; a NUL byte or an escape
# sequence in a cell is a broken export or an attack on whoever reads our outputs. Tab, line feed and
# carriage return are ordinary (a line break inside a cell).
# Bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069) are invisible and reorder the text
# around them as a reader sees it ("Trojan source"): a title would show something other than it holds.
# Tag characters (U+E0000-U+E007F) are invisible ASCII look-alikes used to hide text from a reader.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\U000e0000-\U000e007f]")
_CONTROL_MESSAGE = "holds a control character"


# The one column of long free text: the rest (titles, publishers, URLs, confirmed reasons) are printed in
# the briefings, the validation report and figures.csv, and have the shorter limit max_text_chars.
LONG_TEXT_COLUMNS = {"notes"}
# Columns read as numbers, years or dates: a footnote mark there would turn into a digit (parse.digit_lookalike).
NUMBER_COLUMNS = {"value", "growth_pct", "year", "period", "published"}


def cell_problems(cells: list[list[str]], rel: str, sheet: str | None, max_cell: int,
                  known: dict[str, str], max_text: int | None = None) -> list[Problem]:
    """Cells no figure, title or note can hold: control characters (NUL, ESC, ...) and text over the limit.

    Notes may hold max_cell characters, every other cell max_text (when given). Named by row,
    column (the header's column name), cell and the character's position, before any
    normalisation, so that what is reported is what the file holds.
    """
    short = min(max_cell, max_text) if max_text else max_cell
    problems: list[Problem] = []
    header: list[str] = []

    def column_name(c: int) -> str:
        name = header[c - 1] if c <= len(header) and header[c - 1] else _column_letter(c)
        return known.get(header_key(name), name)

    for r, row in enumerate(cells, start=1):
        for c, cell in enumerate(row, start=1):
            if not isinstance(cell, str) or not cell:
                continue
            mark = (digit_lookalike(cell) if header and not cell.isascii() and column_name(c) in NUMBER_COLUMNS
                    else None)
            if len(cell) <= short and mark is None and not _CONTROL.search(cell):
                continue
            column = column_name(c)
            limit = max_cell if column in LONG_TEXT_COLUMNS else short
            where = dict(row=r, column=column, sheet=sheet, cell=f"{_column_letter(c)}{r}")
            if mark is not None:
                problems.append(Problem(rel, f"holds the character {mark} (U+{ord(mark):04X}), a footnote or list mark that "
                                             "would be read as a digit",
                                        DIGIT_LOOKALIKE_FIX, value=cell, **where))
            m = _CONTROL.search(cell)
            if m:
                code = ord(m.group())
                label = {0: "NUL", 0x1b: "ESC", 0x7f: "DEL"}.get(code, "invisible tag character" if code >= 0xE0000
                                                                  else "bidirectional override" if code > 0x2000 else "")
                problems.append(Problem(rel, f"{_CONTROL_MESSAGE} U+{code:04X}{' (' + label + ')' if label else ''} "
                                             f"at character {m.start() + 1} of the cell",
                                        "delete the character (retype the cell; it is often left by a broken export or a copy "
                                        "from a terminal), then save as CSV UTF-8 or .xlsx; 请删除单元格中的控制字符",
                                        value=cell, **where))
            if len(cell) > limit:
                setting = "max_cell_chars" if limit == max_cell else "max_text_chars"
                problems.append(Problem(rel, f"is {len(cell):,} characters long, more than the {limit:,} a"
                                             f"{' notes' if column in LONG_TEXT_COLUMNS else ''} cell may hold",
                                        ("shorten it" if column in LONG_TEXT_COLUMNS else
                                         "shorten it: a title, publisher, address or reason is printed in the briefing; "
                                         "longer explanations go in the notes column")
                                        + f" (a long text belongs in the document cited by source_url); the limit is "
                                          f"limits.{setting} in config/settings.yaml; 内容过长",
                                        value=cell, **where))
        if not header and any(row):
            header = [h if isinstance(h, str) else "" for h in row]
    return problems


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(index)

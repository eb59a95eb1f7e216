"""A raw file as a grid of cell strings: encodings, CSV dialects, and workbooks read as the planner saw them.

Split from ingest.py (which turns the cells into observations) because
reading the file format is its own job: UTF-8 / GBK and delimiters for CSV;
for XLSX, cells as displayed (percent cells as shown, numbers to Excel's 15
digits, dates as dates) and refusal of what a spreadsheet can hide
(formulas without a saved result, error values, hidden rows, columns and
sheets, merged cells).
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from .config import Config
from .errors import InputError, Problem
from .parse import DIGIT_LOOKALIKE_FIX, digit_lookalike, norm_key
from .rawbytes import check_zip_is_workbook, refuse_mixed_encodings

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


def _check_unpacked_size(data: bytes, rel: str, max_mb: int) -> None:
    """An .xlsx whose unpacked content exceeds max_mb (a zip bomb, or a workbook of millions of cells) is refused unread."""
    import zipfile

    try:
        size = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return                          # load_workbook reports a broken file with its own message
    if size > max_mb * 2**20:
        raise InputError([Problem(rel, f"unpacks to {size / 2**20:,.0f} MB, more than the {max_mb} MB a workbook may hold; it was not read",
                                  "keep only the data sheet with the figures of one publication (delete other sheets, images and "
                                  "empty formatted rows), or export the sheet to CSV UTF-8; the limit is limits.max_xlsx_unpacked_mb "
                                  "in config/settings.yaml")])


def _decimal(value: float | int) -> Decimal:
    """A cell number to the 15 significant digits Excel shows and stores exactly (521.00000000000006 -> 521)."""
    return Decimal(format(value, ".15g")) if isinstance(value, float) else Decimal(value)


def _number_text(value: float | int) -> str:
    """A number as digits, without float noise or an exponent (1e-07 -> 0.0000001)."""
    text = format(_decimal(value).normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _shows_percent(number_format: str | None) -> tuple[bool, bool]:
    """(shows a % sign, scales by 100) for an Excel number format.

    A % outside quotes multiplies the stored value by 100 (0.021 shows 2.1%);
    a quoted or escaped % ("0.0"%"" or 0.0\\%) is only a sign. Both are read as
    the planner saw them, never as the stored fraction.
    """
    fmt = (number_format or "").split(";")[0]
    bare = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", fmt)
    literal = "%" in fmt and "%" not in bare
    return ("%" in bare or literal), "%" in bare


def _excel_cell(value: object, number_format: str | None = None) -> str:
    """One cell as the planner sees it: dates as 2024-01-11, percent cells as 2.1% (not 0.021)."""
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):          # a publication date: the day is what counts
        return value.strftime("%Y-%m-%d")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        percent, scaled = _shows_percent(number_format)
        if percent:
            shown = _decimal(value) * 100 if scaled else _decimal(value)
            text = format(shown.normalize(), "f")
            return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"
        return _number_text(value)
    return str(value)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(index)


def _looks_like_header(cells: list[object], known: dict[str, str], required: list[str]) -> bool:
    return any(known.get(header_key(c)) in required for c in cells if c is not None)


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet of the workbook holds a formula element (<f>); True when unsure."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            return any(_FORMULA_TAG.search(z.read(name)) for name in z.namelist()
                       if name.startswith("xl/worksheets/") and name.endswith(".xml"))
    except Exception:  # noqa: BLE001 - a broken file is reported by load_workbook with its own message
        return True


def _cells_from_xlsx(path: Path, rel: str, cfg: Config) -> tuple[list[list[str]], str, list[Problem]]:
    """The data sheet of a workbook as text cells, with the problems a spreadsheet can hide.

    Read twice: once for the values Excel cached (what the planner saw) and
    once for the formulas, so that a formula Excel never calculated (a file
    written by a script, or saved by a tool that does not compute) is
    reported instead of being read as an empty cell. Hidden rows, hidden
    columns, hidden or extra sheets with figures, merged cells and error
    values are reported, never read silently.
    """
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, data_only=True)
        # the second read (formulas) only where a sheet holds one: loading a workbook is most of the time a
        # big file takes (50,000 rows: about a minute per load)
        wb_formulas = load_workbook(path, data_only=False) if _has_formulas(path) else wb
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise InputError([Problem(rel, f"is not a readable .xlsx workbook ({type(exc).__name__})",
                                  "open it in Excel or WPS and save it again as .xlsx, or export the sheet to CSV UTF-8")]) from None
    problems: list[Problem] = []
    known = _column_index(cfg)
    required = cfg.settings["columns"]["required"]
    tables = [ws for ws in wb.worksheets if ws.title not in TEMPLATE_AUX_SHEETS]

    def first_row(ws) -> list[object]:
        for row in ws.iter_rows(max_row=min(ws.max_row, 50), values_only=True):
            if any(v not in (None, "") for v in row):
                return list(row)
        return []

    named = [ws for ws in wb.worksheets if norm_key(ws.title) in (DATA_SHEET, "数据")]   # Data, DATA, 数据
    if named:
        sheet = named[0]
    else:      # the first visible sheet with the raw-data header, else the first visible sheet
        visible = [ws for ws in tables if ws.sheet_state == "visible"] or tables or wb.worksheets
        sheet = next((ws for ws in visible if _looks_like_header(first_row(ws), known, required)), visible[0])
    name = sheet.title

    for ws in tables:
        if ws is sheet or not _looks_like_header(first_row(ws), known, required):
            continue
        hidden = " hidden" if ws.sheet_state != "visible" else ""
        problems.append(Problem(rel, f'the{hidden} sheet "{ws.title}" also holds a table of figures, but only sheet "{name}" is read',
                                f'move its rows to sheet "{name}" (or save them as their own file in data/raw/), then delete sheet "{ws.title}"; '
                                f'把该工作表的数据移到"{name}"表或另存为单独文件',
                                sheet=ws.title))
    if sheet.sheet_state != "visible":
        problems.append(Problem(rel, f'the sheet "{name}" that holds the figures is hidden',
                                "unhide it (Excel/WPS: right-click a sheet tab > Unhide / 取消隐藏) and check what it holds, then save",
                                sheet=name))

    rows, found = sheet_cells(sheet, wb_formulas[name], rel)
    problems += found
    wb.close()
    wb_formulas.close()
    return rows, name, problems


def sheet_cells(sheet, ws_f, rel: str) -> tuple[list[list[str]], list[Problem]]:
    """One worksheet as text cells (as shown), with what a spreadsheet can hide reported, never read silently.

    `sheet` is the worksheet loaded with cached values, `ws_f` the same sheet
    with formulas (the same object when the workbook holds none). Used for the
    raw-data sheet and for the sheets of department returns (returns.py).
    """
    name = sheet.title
    problems: list[Problem] = []
    # Read up to the last cell that holds something: a format applied to whole columns (or a stray
    # styled cell at XFD1048576) must not make us walk a million empty rows.
    filled = [(c.row, c.column) for ws in (sheet, ws_f) for c in ws._cells.values() if c.value not in (None, "")]
    last_row = max((r for r, _ in filled), default=0)
    last_col = max((c for _, c in filled), default=0)
    header: list[str] = []
    hidden_cols = {i for dim in sheet.column_dimensions.values() if dim.hidden and dim.min and dim.max
                   for i in range(dim.min, min(dim.max, last_col) + 1)}
    reported_cols: set[int] = set()
    rows: list[list[str]] = []
    for r, (cells, f_cells) in enumerate(zip(sheet.iter_rows(min_row=1, max_row=last_row, max_col=last_col),
                                             ws_f.iter_rows(min_row=1, max_row=last_row, max_col=last_col)), start=1):
        texts = []
        for c, (cell, f_cell) in enumerate(zip(cells, f_cells), start=1):
            column = header[c - 1] if c <= len(header) and header[c - 1] else _column_letter(c)
            where = dict(row=r, column=column, sheet=name, cell=f"{_column_letter(c)}{r}")
            if f_cell.data_type == "f" and cell.value is None:
                formula = f_cell.value if isinstance(f_cell.value, str) else getattr(f_cell.value, "text", "") or "(array formula)"
                problems.append(Problem(rel, "holds a formula with no saved result, so its value cannot be read",
                                        "open the file in Excel or WPS and save it (that stores the results), "
                                        "or type the value itself instead of the formula; 用 Excel/WPS 打开并保存，或直接输入数值",
                                        value=str(formula), **where))
            elif cell.data_type == "e":
                problems.append(Problem(rel, f"shows the Excel error {cell.value}",
                                        "correct the formula or type the value as printed; 请改正公式或直接输入数值",
                                        value=str(cell.value), **where))
            texts.append(_excel_cell(cell.value, cell.number_format) if cell.data_type != "e" else "")
        if not header and any(texts):
            header = list(texts)
        if any(texts) and sheet.row_dimensions[r].hidden:
            problems.append(Problem(rel, "is a hidden row (hidden or filtered out) that holds data",
                                    "unhide it (select the rows around it > right-click > Unhide / 取消隐藏, or clear the filter); "
                                    "keep it if it is a figure, delete it if not",
                                    value=" | ".join(t for t in texts if t)[:120], row=r, sheet=name))
        for c in hidden_cols - reported_cols:
            if c <= len(texts) and texts[c - 1]:
                reported_cols.add(c)
                problems.append(Problem(rel, f"column {_column_letter(c)} is hidden but holds data",
                                        "unhide it (select the columns around it > right-click > Unhide / 取消隐藏) and check it",
                                        row=r, column=header[c - 1] if c <= len(header) and header[c - 1] else _column_letter(c),
                                        sheet=name, cell=f"{_column_letter(c)}{r}", value=texts[c - 1]))
        rows.append(texts)
    for merged in [m for m in sheet.merged_cells.ranges if m.min_row <= last_row and m.min_col <= last_col]:
        problems.append(Problem(rel, f"has merged cells ({merged.coord}): only the first cell of a merged block holds the value",
                                "unmerge them (Merge & Center off / 取消合并) and type the value into every row it applies to",
                                row=merged.min_row, sheet=name, cell=merged.coord))
    return rows, problems

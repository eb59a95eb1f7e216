"""Workbooks (.xlsx) read as the planner saw them: cells as shown, and what a spreadsheet can hide refused.

Split from rawcells.py (red-team round 3, tests/synthetic_hostile/README_red_team.md), which keeps the
CSV side and the checks on cells of any format. Cells are read as displayed (percent cells as shown,
numbers to Excel's 15 digits, dates as dates); formulas without a saved result, error values, hidden
rows, columns and sheets, merged cells, and number formats that show another number than the cell
holds are reported, never read silently. Used for raw releases (ingest.py) and department returns
(returns.py).
"""
from __future__ import annotations

import io
import re
import zipfile
import zlib
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from analysis.core.config import Config
from analysis.core.errors import InputError, Problem
from analysis.core.parse import norm_key
from analysis.inputs.rawcells import DATA_SHEET, TEMPLATE_AUX_SHEETS, _column_index, _column_letter, header_key


def _check_unpacked_size(data: bytes, rel: str, max_mb: int) -> None:
    """An .xlsx whose unpacked content exceeds max_mb (a zip bomb, or a workbook of millions of cells) is refused unread."""
    try:
        size = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return                          # load_workbook reports a broken file with its own message
    if size > max_mb * 2**20:
        raise InputError([Problem(rel, f"unpacks to {size / 2**20:,.0f} MB, more than the {max_mb} MB a workbook may hold; it was not read",
                                  "keep only the data sheet with the figures of one publication (delete other sheets, images and "
                                  "empty formatted rows), or export the sheet to CSV UTF-8; the limit is limits.max_xlsx_unpacked_mb "
                                  "in config/settings.yaml")])


_ROW_END = re.compile(rb"</(?:\w+:)?row>")
_HOLDS_VALUE = re.compile(rb"<(?:\w+:)?(?:v|is|f)\b")        # a cell value, an inline string or a formula


def _sheet_parts(z) -> dict[str, str]:
    """Zip member of each sheet (worksheet or chart sheet) -> the sheet's name as its tab shows it."""
    rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    target = {m.group(1): m.group(2) for m in re.finditer(r'<Relationship\b[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels)}
    target.update({m.group(2): m.group(1) for m in re.finditer(r'<Relationship\b[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)})
    book = z.read("xl/workbook.xml").decode("utf-8", "replace")
    out = {}
    for m in re.finditer(r"<(?:\w+:)?sheet\b([^>]*)/?>", book):
        name, rid = re.search(r'\bname="([^"]*)"', m.group(1)), re.search(r'\b\w+:id="([^"]*)"', m.group(1))
        if name and rid and rid.group(1) in target:
            part = target[rid.group(1)].lstrip("/")
            out[part if part.startswith("xl/") else f"xl/{part}"] = _xml_unescape(name.group(1))
    return out


def _xml_unescape(text: str) -> str:
    from xml.sax.saxutils import unescape
    return unescape(text, {"&quot;": '"', "&apos;": "'"})


def check_workbook_parts(data: bytes, rel: str, max_rows: int) -> None:
    """What makes openpyxl fail, hang or fill the memory, refused before the workbook is loaded, with its own fix.

    - An XML part that declares a DOCTYPE or entities (entity expansion, "billion laughs", external entities):
      defusedxml refused it inside openpyxl as "not a readable .xlsx workbook (ValueError)"; now named.
    - A chart sheet with no chart in it (openpyxl and some exporters write one) made load_workbook fail with
      "AttributeError", reported as "not a readable .xlsx workbook" with no hint of the sheet to delete.
    - A sheet of more than max_rows rows was loaded whole before the row limit was checked: 100,000 rows took
      minutes and a gigabyte of memory. Rows holding a value are counted on the unpacked XML as it streams
      (empty formatted rows do not count), and reading stops at the limit.
    - A part whose content does not match its zip checksum or sizes (a download cut short, or a zip bomb whose
      directory lies about the sizes) is named as damaged; reading stops at the declared size.
    A file that is not a zip at all is left to load_workbook, which names it with its own message.
    """
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        names = set(z.namelist())
        parts = _sheet_parts(z) if {"xl/workbook.xml", "xl/_rels/workbook.xml.rels"} <= names else {}
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        return
    try:
        _check_parts(z, names, parts, rel, max_rows)
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise InputError([Problem(rel, f"is damaged: its zip content does not check out ({exc}); it was not read",
                                  "get the file again from where it came (a download or an e-mail attachment cut short?), or open "
                                  "it in Excel or WPS and save it again as .xlsx; 文件已损坏，请重新获取或另存")]) from None


def _check_parts(z, names: set[str], parts: dict[str, str], rel: str, max_rows: int) -> None:
    """Empty chart sheets, entity declarations and row counts (check_workbook_parts); zip errors are left to the caller."""
    for part in sorted(n for n in names if n.startswith("xl/chartsheets/") and n.endswith(".xml")):
        folder, _, file = part.rpartition("/")
        rels = f"{folder}/_rels/{file}.rels"
        # a chart sheet shows its chart through a drawing part; without one (or without the relationship
        # that leads to it) it is empty
        if not (re.search(rb"<(?:\w+:)?drawing\b", z.read(part)) and rels in names and b"/drawing" in z.read(rels)):
            sheet = parts.get(part, part.rsplit("/", 1)[-1])
            raise InputError([Problem(rel, f'has a chart sheet "{sheet}" with no chart in it, which stops the workbook from being '
                                           "read (an empty chart sheet, as some programs write it)",
                                      f'delete the sheet "{sheet}" (right-click its tab > Delete / 删除) and save; the figures go on '
                                      'sheet "data"; 请删除该空图表工作表后保存', sheet=sheet)])
    for part in sorted(n for n in names if n.endswith((".xml", ".rels"))):
        with z.open(part) as f:
            head = f.read(4096)
        if re.search(rb"<!(?:DOCTYPE|ENTITY)\b", head):
            raise InputError([Problem(rel, f"holds an XML document type declaration (<!DOCTYPE or <!ENTITY, in {part}), which Excel "
                                           "and WPS never write (an XML entity attack, or a file made by a broken tool); it was not read",
                                      "open the figures in Excel or WPS and save them as a new workbook (.xlsx), or type them into "
                                      "data/templates/raw_release_template.xlsx; 请在 Excel/WPS 中另存为新的 .xlsx 文件")])
    for part in sorted(n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")):
        if _rows_holding_values(z, part, stop_after=max_rows + 1) > max_rows + 1:
            sheet = parts.get(part, part.rsplit("/", 1)[-1])
            raise InputError([Problem(rel, f"has more than the {max_rows:,} rows below the header a raw file may hold "
                                           f'(sheet "{sheet}"); it was not read',
                                      "one file holds the figures of one publication: split it by publication, or delete rows "
                                      "that are not published figures; "
                                      "the limit is limits.max_rows in config/settings.yaml (行数过多)", sheet=sheet)])


def _rows_holding_values(z, part: str, stop_after: int) -> int:
    """Rows of a worksheet part that hold a value, counted as the XML streams (stops counting after stop_after).

    Only the last few bytes of a chunk are carried over (a tag cut by the chunk's end), never a whole row: a
    "row" of hundreds of megabytes without an end tag must not be copied again at every chunk.
    """
    rows, carry, has_value = 0, b"", False
    with z.open(part) as f:
        while chunk := f.read(1 << 20):
            *complete, last = _ROW_END.split(carry + chunk)
            for piece in complete:
                rows += bool(has_value or _HOLDS_VALUE.search(piece))
                has_value = False
            has_value = has_value or bool(_HOLDS_VALUE.search(last))
            carry = last[-16:]
            if rows > stop_after:
                break
    return rows


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


def scaled_by(number_format: str | None) -> int:
    """The power of 1,000 a number format divides the shown number by (0 for none).

    A comma after the last digit placeholder scales: "#,##0," shows 521000 as 521 and "0.0,," shows
    millions. A cell so formatted shows another number than it holds; a comma between placeholders
    ("#,##0") only groups thousands.
    """
    fmt = (number_format or "").split(";")[0]
    bare = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", fmt)
    m = re.search(r"[0#?](,+)(?![0#?,])", bare)
    return len(m.group(1)) if m else 0


def _excel_cell(value: object, number_format: str | None = None) -> str:
    """One cell as the planner sees it: dates as 2024-01-11, percent cells as 2.1% (not 0.021)."""
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):          # a publication date: the day is what counts
        if _excel_serial(value) is not None:          # a number under a date format: the number, reported in sheet_cells
            return _number_text(_excel_serial(value))
        return value.strftime("%Y-%m-%d")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        percent, scaled = _shows_percent(number_format)
        if percent:
            shown = _decimal(value) * 100 if scaled else _decimal(value)
            text = format(shown.normalize(), "f")
            return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"
        return _number_text(value)
    return str(value)


def _excel_serial(value: object) -> float | None:
    """The number Excel stores behind a date before 1910 (no publication is that old): a figure typed into a cell
    formatted as a date, e.g. 63.69 shown as 1900-03-03 16:33. None for any other value."""
    if not isinstance(value, (datetime, date)) or value.year >= 1910:
        return None
    moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    return round((moment - datetime(1899, 12, 30)).total_seconds() / 86400, 6)


def _looks_like_header(cells: list[object], known: dict[str, str], required: list[str]) -> bool:
    return any(known.get(header_key(c)) in required for c in cells if c is not None)


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet of the workbook holds a formula element (<f>); True when unsure."""
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
    problems += found + _linked_text_problems(sheet, rows, known, rel)
    wb.close()
    wb_formulas.close()
    return rows, name, problems


def _linked_text_problems(sheet, rows: list[list[str]], known: dict[str, str], rel: str) -> list[Problem]:
    """A source_url cell that shows link text ("海门区人民政府网站") while its hyperlink holds the address.

    Pasted from a web page, the cell shows the words and hides the address; it was refused as "not a web
    address" with no hint that the address is in the link. It is not read from the link (what is read is
    what the cell shows): the message gives the address to paste.
    """
    header = rows[0] if rows else []
    columns = [c for c, h in enumerate(header, start=1) if known.get(header_key(h)) == "source_url"]
    problems = []
    for c in columns:
        for r in range(2, len(rows) + 1):
            link = sheet.cell(r, c).hyperlink
            target = getattr(link, "target", None) or ""
            shown = rows[r - 1][c - 1] if c <= len(rows[r - 1]) else ""
            if target.lower().startswith(("http://", "https://")) and shown and not shown.lower().startswith(("http://", "https://")):
                problems.append(Problem(rel, f"shows the link text {shown!r} instead of the address its link goes to ({target})",
                                        "put the address itself in the cell (right-click > Edit Hyperlink, copy the address, and "
                                        "paste it as text); the title goes in source_title; 请在网址列填写网址本身，而不是链接文字",
                                        row=r, column="source_url", sheet=sheet.title, cell=f"{_column_letter(c)}{r}", value=shown))
    return problems


def sheet_cells(sheet, ws_f, rel: str, computed_numbers_ok: bool = False) -> tuple[list[list[str]], list[Problem]]:
    """One worksheet as text cells (as shown), with what a spreadsheet can hide reported, never read silently.

    `sheet` is the worksheet loaded with cached values, `ws_f` the same sheet
    with formulas (the same object when the workbook holds none). Used for the
    raw-data sheet and for the sheets of department returns (returns.py).
    computed_numbers_ok: a formula's saved number is read (a department's own return may total its rows); on a
    raw-data sheet it is refused, because a raw figure is typed as its publication prints it, never computed.
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
            elif (f_cell.data_type == "f" and not computed_numbers_ok and isinstance(cell.value, (int, float))
                  and not isinstance(cell.value, bool)):
                # =500*1.1 saved as 550: a number the spreadsheet computed, not the figure as printed (a planner's trial)
                formula = f_cell.value if isinstance(f_cell.value, str) else getattr(f_cell.value, "text", "") or "(array formula)"
                problems.append(Problem(rel, f"holds a formula ({formula}) and shows its result {_number_text(cell.value)}: "
                                             "a raw figure is typed as the publication prints it, never computed / "
                                             "单元格为公式，原始数据须按原文填写数字，不能计算得出",
                                        "type the figure as the source prints it (in Excel: copy the cell, then Paste "
                                        "Special > Values, and check it against the source); 请直接输入原文数字（可复制后"
                                        "“选择性粘贴—数值”，并与原文核对）", value=str(formula), **where))
            elif _excel_serial(cell.value) is not None:
                number = _number_text(_excel_serial(cell.value))
                problems.append(Problem(rel, f"is formatted as a date, so Excel shows the number {number} as "
                                             f"{cell.value:%Y-%m-%d} / 单元格设成了日期格式，数字{number}显示为日期",
                                        "format the cell as Number (or General) and check the figure against the source; "
                                        "请将单元格格式设为数值（或常规），并与原文核对", value=number, **where))
            elif cell.data_type == "e":
                problems.append(Problem(rel, f"shows the Excel error {cell.value}",
                                        "correct the formula or type the value as printed; 请改正公式或直接输入数值",
                                        value=str(cell.value), **where))
            elif (isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool)
                  and (k := scaled_by(cell.number_format))):
                shown = _number_text(float(_decimal(cell.value) / 1000 ** k))
                problems.append(Problem(rel, f"is formatted ({cell.number_format}) to show the number divided by "
                                             f"{1000 ** k:,}: it shows {shown} but holds {_number_text(cell.value)}",
                                        "format the cell as Number or General (no comma after the last 0) and type the figure "
                                        "as printed, in the unit of the unit column; 请将单元格格式设为常规或数值，按原文填写",
                                        value=_number_text(cell.value), **where))
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

"""What the bytes of a raw file or a return say about it before it is parsed: mixed encodings, a zip that is no workbook.

Split from rawcells.py (red-team round 2, tests/synthetic_hostile/README_red_team.md) to keep that module
to the grid of cells; rawcells._decode and rawcells._check_xlsx_bytes call these.
"""
from __future__ import annotations

import io
import re

from analysis.core.errors import InputError, Problem

_CJK = re.compile(r"[\u4e00-\u9fff]")


def refuse_mixed_encodings(data: bytes, rel: str) -> None:
    """Refuse a file whose lines are partly UTF-8 Chinese and partly not UTF-8 (rows pasted from a GBK file, or a
    damaged ending).

    Decoded as GBK as a whole, its UTF-8 rows became mojibake (海门 -> 娴烽棬)
    and were reported as unknown regions, indicators and units, hiding the
    one real fault. A GBK line is practically never valid UTF-8 holding a
    Chinese character, so both kinds of line in one file mean mixed encodings.
    """
    utf8_line = bad_line = None
    bom = data.startswith(b"\xef\xbb\xbf")
    if bom:                                       # the UTF-8 byte-order mark says UTF-8, whatever follows
        utf8_line = 1
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            text = line.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            bad_line = bad_line or (number, line, exc.start)
        else:
            if utf8_line is None and _CJK.search(text):
                utf8_line = number
        if utf8_line and bad_line:
            number, line, start = bad_line
            bom_note = " (it starts with the UTF-8 byte-order mark)" if bom and utf8_line == 1 else ""
            raise InputError([Problem(
                rel, f"mixes encodings: line {utf8_line} is UTF-8 text{bom_note} but line {number} holds bytes that are not UTF-8 "
                     f"(from character {len(line[:start].decode('utf-8', 'replace')) + 1}: "
                     f"{line[start:start + 8].hex(' ')}), so it is neither UTF-8 nor GBK as a whole",
                f"retype or re-paste line {number} (rows copied from a file saved as GBK/ANSI, or a damaged end of file), "
                "then save the whole file as CSV UTF-8; 文件混用了两种编码，请重新录入该行并另存为 CSV UTF-8",
                row=number, value=line[:start].decode("utf-8", "replace")[-60:])])


def check_zip_is_workbook(data: bytes, rel: str) -> None:
    """A zip file named .xlsx that holds no workbook (a Word document, a zipped folder) is named for what it is.

    load_workbook only said "OSError" or "KeyError" for these.
    """
    import zipfile

    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return                          # a damaged zip: load_workbook reports it with its own message
    if any(n.startswith("xl/") for n in names):
        return
    what = ("a Word document (.docx)" if any(n.startswith("word/") for n in names)
            else "a PowerPoint file (.pptx)" if any(n.startswith("ppt/") for n in names)
            else "an OpenDocument file (.ods/.odt)" if "mimetype" in names
            else "a zip archive")
    raise InputError([Problem(rel, f"is {what} named .xlsx, not an Excel workbook",
                              "type or copy the figures into the template data/templates/raw_release_template.xlsx and save "
                              "it as Excel Workbook (.xlsx), or export the sheet to CSV UTF-8; 请另存为 Excel 工作簿 (.xlsx)")])

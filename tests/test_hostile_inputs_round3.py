"""Red-team round 3 (tests/synthetic_hostile/README_red_team.md, "Round 3"): hostile and odd-but-valid inputs that
used to be read wrongly without a word, refused with a generic or misleading message, refused although valid, or
end in a traceback. Each test fails on the code before the round.

Every file is synthetic and made in tmp_path by the test itself. Each refused case names what the message must hold
(besides the file and "Fix:"); each valid case what must be read.
"""
from __future__ import annotations

import io
import math
import os
import shutil
import struct
import zipfile
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis.core import paths
from analysis.core.config import load_config
from analysis.core.errors import InputError
from analysis.core.quarters import Quarter
from conftest import HEADER, SYNTHETIC_DIR, synthetic_row, tree_digest
from hostile_helpers import TARGET_SHEET, assert_return_refused, csv_bytes, read_release, return_with

R = synthetic_row
_csv, _read, _return_with = csv_bytes, read_release, return_with


def _workbook(row: dict[str, str] | None = None, edit=None) -> bytes:
    """A raw workbook (sheet "data": the header and one synthetic row) as bytes; edit(wb, ws) changes it first."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "data"
    ws.append(HEADER)
    ws.append(list((row or R()).values()))
    if edit is not None:
        edit(wb, ws)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _scaled(wb, ws) -> None:
    ws["E2"] = 521000
    ws["E2"].number_format = "#,##0,"            # Excel shows 521


def _linked_title(wb, ws) -> None:
    ws["M2"] = "海门区人民政府网站"                  # pasted from a web page: the words show, the address hides in the link
    ws["M2"].hyperlink = "https://www.haimen.gov.cn/synthetic"


def _rezipped(data: bytes, change) -> bytes:
    """The workbook with change(name, bytes) applied to each part."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            z.writestr(info.filename, change(info.filename, source.read(info.filename)))
    return out.getvalue()


def _entity_bomb(data: bytes) -> bytes:
    """Nested entities (a "billion laughs") declared in the sheet's XML."""
    dtd = (b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
           + b"".join(f'<!ENTITY {c} "{("&" + p + ";") * 10}">'.encode() for p, c in zip("abcdefgh", "bcdefghi")) + b"]>")

    def change(name: str, part: bytes) -> bytes:
        if name != "xl/worksheets/sheet1.xml":
            return part
        body = part.split(b"?>", 1)[1] if part.startswith(b"<?xml") else part
        return dtd + body.replace(b"SYNTHETIC release for tests", b"&i;")
    return _rezipped(data, change)


def _bad_checksum(data: bytes) -> bytes:
    """The sheet's CRC-32 changed in both zip headers: a file cut or altered on its way."""
    b = bytearray(data)
    name = b"xl/worksheets/sheet1.xml"
    i = b.find(name)
    while i >= 0:
        for signature, offset in ((b"PK\x03\x04", 30), (b"PK\x01\x02", 46)):
            if b[i - offset:i - offset + 4] == signature:
                crc_at = i - offset + (14 if offset == 30 else 16)
                struct.pack_into("<I", b, crc_at, struct.unpack_from("<I", b, crc_at)[0] ^ 0xFFFF)
        i = b.find(name, i + 1)
    return bytes(b)


# case -> (file name, bytes, what the message must contain)
REFUSED: dict[str, tuple[str, bytes, list[str]]] = {
    # leftover 1 of round 2: refused by the clean step, not only by validation
    "address with a space": ("synthetic_url_space.csv", _csv([R(source_url="https://example.org/a b")]),
                             ['row 2, column "source_url", cell M2', "a space at character 22", "%20",
                              '(value: "https://example.org/a b")']),
    "address with a tab": ("synthetic_url_tab.csv", _csv([R(source_url="https://example.org/a\tb")]),
                           ['column "source_url"', "a space at character 22"]),
    "address with markup": ("synthetic_url_markup.csv", _csv([R(source_url='https://example.org/x"><b>y</b>')]),
                            ['column "source_url"', 'the character " at character 22']),
    "two addresses in one cell": ("synthetic_url_two.csv", _csv([R(source_url="https://a.example.org https://b.example.org")]),
                                  ['column "source_url"', "a space at character 22"]),
    # leftover 2: an empty chart sheet
    "chart sheet without a chart": ("synthetic_chartsheet.xlsx", _workbook(edit=lambda wb, ws: wb.create_chartsheet("chart", 0)),
                                    ['sheet "chart": has a chart sheet "chart" with no chart in it', "Delete", "删除"]),
    # workbooks
    "number format dividing by 1,000": ("synthetic_scaled.xlsx", _workbook(edit=_scaled),
                                        ['row 2, column "value", cell E2', "(#,##0,)", "shows 521 but holds 521000",
                                         "format the cell as Number"]),
    "XML entity expansion": ("synthetic_laughs.xlsx", _entity_bomb(_workbook()),
                             ["XML document type declaration", "xl/worksheets/sheet1.xml", "it was not read"]),
    "zip checksum that does not match": ("synthetic_crc.xlsx", _bad_checksum(_workbook()),
                                         ["is damaged", "Bad CRC-32", "get the file again"]),
    "link text in the address cell": ("synthetic_link.xlsx", _workbook(edit=_linked_title),
                                      ['row 2, column "source_url", cell M2', "shows the link text '海门区人民政府网站'",
                                       "(https://www.haimen.gov.cn/synthetic)", "Edit Hyperlink"]),
    # values
    "underscore inside a number": ("synthetic_underscore.csv", _csv([R(value="1_000", unit="万元")]),
                                   ['column "value"', 'is not one number: "_" stands between its digits', '(value: "1_000")'],),
    "a range": ("synthetic_range.csv", _csv([R(value="10-15")]), ['column "value"', 'is not one number: "-"']),
    "a dash for no figure": ("synthetic_dash.csv", _csv([R(value="—")]),
                             ['column "value"', "where there is no figure", "leave the value empty"]),
    "不详 for no figure": ("synthetic_buxiang.csv", _csv([R(value="不详")]), ['column "value"', "where there is no figure"]),
    "magnitude word the registry lacks": ("synthetic_baiyi.csv", _csv([R(value="5.21百亿", unit="")]),
                                          ['column "unit"', 'read as "百亿"', "value cell"]),
}


def _refused(run_cli, raw: Path, out: Path) -> str:
    before_raw, before_out = tree_digest(raw), tree_digest(out)
    code, stdout, stderr = run_cli("clean", "--as-of", "2025Q2", "--raw", str(raw), "--out", str(out))
    assert code == 2, stdout + stderr
    assert "Traceback" not in stdout + stderr and "Fix:" in stderr
    assert "nothing was written" in stderr and "未写入任何内容" in stderr
    assert tree_digest(raw) == before_raw, "raw files are never modified"
    assert tree_digest(out) == before_out, "a refused run leaves the previous output as it was"
    return stderr


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_hostile_file_is_refused_by_the_clean_step_naming_what_to_fix(case, tmp_path, run_cli, previous_output):
    name, data, needles = REFUSED[case]
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / name).write_bytes(data)
    shutil.copy(SYNTHETIC_DIR / "synthetic_valid_release.csv", raw)      # a good file beside it changes nothing
    stderr = _refused(run_cli, raw, previous_output)
    assert name in stderr
    for needle in needles:
        assert needle in stderr, f"{needle!r} missing from:\n{stderr}"


def test_a_symbolic_link_that_points_to_itself_is_refused_not_a_traceback(tmp_path, run_cli, previous_output):
    raw = tmp_path / "raw"
    raw.mkdir()
    os.symlink("synthetic_loop.csv", raw / "synthetic_loop.csv")
    stderr = _refused(run_cli, raw, previous_output)
    assert "synthetic_loop.csv: is a symbolic link, not a file" in stderr


def test_too_many_workbook_rows_are_refused_before_the_workbook_is_loaded(tmp_path, monkeypatch):
    """100,000 rows took two minutes and a gigabyte to load before the limit was checked: now counted on the XML."""
    from analysis.inputs.clean import run_clean

    folder = tmp_path / "config"
    shutil.copytree(paths.CONFIG_DIR, folder)
    settings = yaml.safe_load((folder / "settings.yaml").read_text(encoding="utf-8"))
    settings["limits"]["max_rows"] = 10
    (folder / "settings.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    raw = tmp_path / "raw"
    raw.mkdir()

    def more_rows(wb, ws) -> None:
        for i in range(11):
            ws.append(list(R(year=str(2000 + i)).values()))
    (raw / "synthetic_many_rows.xlsx").write_bytes(_workbook(edit=more_rows))

    def never(*args, **kwargs):
        raise AssertionError("the workbook was loaded")
    monkeypatch.setattr("openpyxl.load_workbook", never)
    with pytest.raises(InputError) as err:
        run_clean("2025Q2", raw_dir=raw, out_dir=tmp_path / "clean", config_dir=folder)
    assert ('synthetic_many_rows.xlsx, sheet "data": has more than the 10 rows below the header a raw file may hold '
            '(sheet "data"); it was not read') in str(err.value)


def test_empty_formatted_rows_do_not_count_towards_the_row_limit():
    """Only rows holding a value count: a sheet whose cells were given a fill far below the figures is still read."""
    from openpyxl.styles import PatternFill

    from analysis.inputs.rawxlsx import check_workbook_parts

    def formatted(wb, ws) -> None:
        for r in range(3, 40):
            ws.cell(r, 1).fill = PatternFill("solid", fgColor="FFFF00")
    check_workbook_parts(_workbook(edit=formatted), "synthetic_formatted.xlsx", max_rows=10)     # no InputError


def test_rows_are_counted_right_where_a_tag_is_cut_between_chunks():
    """The sheet XML streams in 1 MiB chunks: rows of odd lengths put row ends and value tags across every cut."""
    from analysis.inputs.rawxlsx import _rows_holding_values

    rows = []
    for i in range(4000):
        pad = "x" * (i % 997)
        rows.append(f'<row r="{i + 1}"><c r="A{i + 1}" t="inlineStr"><is><t>{pad}</t></is></c></row>' if i % 3
                    else f'<row r="{i + 1}"><c r="A{i + 1}" s="1"/><c r="B{i + 1}" s="{pad and 2}"/></row>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("xl/worksheets/sheet1.xml", "<worksheet><sheetData>" + "".join(rows) + "</sheetData></worksheet>")
        z.writestr("xl/worksheets/sheet2.xml", "<worksheet><sheetData><row><c><v>1</v></c>" + " " * 3_000_000)   # no end
        head = "<worksheet><sheetData><row><c><v>1</v></c>"
        first = head + " " * (2**20 - 3 - len(head)) + "</row>"                  # its end tag cut by the first chunk's end
        second = "<row><c>" + " " * (2 * 2**20 - 1 - len(first) - len("<row><c>")) + "<v>2</v></c></row>"  # "<v>" cut
        z.writestr("xl/worksheets/sheet3.xml", first + second + "<row><c s='1'/></row></sheetData></worksheet>")
    with zipfile.ZipFile(buffer) as z:
        assert _rows_holding_values(z, "xl/worksheets/sheet1.xml", stop_after=10**6) == sum(1 for i in range(4000) if i % 3)
        assert _rows_holding_values(z, "xl/worksheets/sheet2.xml", stop_after=10**6) == 0
        assert _rows_holding_values(z, "xl/worksheets/sheet3.xml", stop_after=10**6) == 2


# --------------------------------------------------------------------------------------------- valid, odd --
@pytest.mark.parametrize("unit", ["亿 元", "（亿元）", "(亿元)", "[亿元]"])
def test_a_unit_with_a_space_or_in_brackets_is_the_same_unit(unit, tmp_path, run_cli):
    obs = _read(run_cli, tmp_path, "synthetic_unit.csv", _csv([R(unit=unit, value="521")]))
    assert obs["value"].tolist() == [521.0] and obs["unit"].tolist() == ["亿元"]


def test_validation_checks_such_a_unit_as_the_registry_spells_it(tmp_path):
    """The clean step accepts "(亿元)"; the validation check of units must not refuse it as an unknown unit."""
    from analysis.inputs.clean import run_clean
    from analysis.checks.validate import prepare_tables

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "synthetic_unit.csv").write_bytes(_csv([R(unit="（亿元）", value="521")]))
    result = run_clean("2025Q2", raw_dir=raw, out_dir=tmp_path / "clean")
    table = prepare_tables(result, load_config(paths.CONFIG_DIR))["raw"]
    assert table["unit_printed"].tolist() == ["亿元"]


@pytest.mark.parametrize("typed", ["2023/2/1 9:30", "2023-02-01T09:30:00+08:00", "2023年2月1日 9:30:15"])
def test_a_publication_date_with_a_time_of_day_is_that_day(typed, tmp_path, run_cli):
    """Excel exports a date-time cell to CSV as "2023/2/1 9:30"; it used to be refused as "not a date"."""
    obs = _read(run_cli, tmp_path, "synthetic_time.csv", _csv([R(published=typed)]))
    assert [pd.Timestamp(d).date() for d in obs["published_date"]] == [date(2023, 2, 1)]


def test_minus_zero_is_read_as_zero_never_shown_as_minus_zero(tmp_path, run_cli):
    cfg = load_config(paths.CONFIG_DIR)
    ind = next(i for i in cfg.indicators.values() if not cfg.must_be_positive(i.id) and i.non_negative)
    obs = _read(run_cli, tmp_path, "synthetic_minus_zero.csv", _csv([R(indicator=ind.id, value="-0", unit=ind.unit)]))
    (value,) = obs["value"].tolist()
    assert value == 0 and math.copysign(1.0, value) == 1.0


@pytest.mark.parametrize("url", ["https://example.org/统计公报/2023.html", "https://example.org/a?b='c'&d=(1)&e=1|2"])
def test_addresses_a_browser_shows_are_still_read(url, tmp_path, run_cli):
    obs = _read(run_cli, tmp_path, "synthetic_url_ok.csv", _csv([R(source_url=url)]))
    assert obs["source_url"].tolist() == [url]


def test_an_address_keeps_its_tilde_and_loses_only_full_width_forms_and_invisible_characters(tmp_path, run_cli):
    """normalise_text unified "~" with "-" (for periods such as 1~9月) in addresses too: /~stats/ became /-stats/."""
    typed = "https：//example.org/~stats/2023\u200b.html "
    obs = _read(run_cli, tmp_path, "synthetic_url_tilde.csv", _csv([R(source_url=typed)]))
    assert obs["source_url"].tolist() == ["https://example.org/~stats/2023.html"]


# -------------------------------------------------------------------------------------------------- config --
def _config(tmp_path: Path, name: str, edit) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(paths.CONFIG_DIR, folder)
    path = folder / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


def _retail_target(edit):
    def change(data: dict) -> None:
        edit(next(t for t in data["targets"] if t.get("indicator") == "retail_sales"))
    return change


def _units(unit: str, factor: object):
    return lambda d: d["indicators"]["retail_sales"]["units"].__setitem__(unit, factor)


CONFIG_CASES = {
    "unit factor 0": ("indicators.yaml", _units("万元", 0),
                      ['column "retail_sales.units.万元"', "factor of unit 万元 is 0", "must be above 0"]),
    "negative unit factor": ("indicators.yaml", _units("万元", -0.0001), ["factor of unit 万元 is -0.0001"]),
    "unit factor a word": ("indicators.yaml", _units("万元", "ten"),
                           ['column "retail_sales.units.万元"', "is not a number", '(value: "ten")']),
    "two spellings of one unit": ("indicators.yaml", _units("亿元 ", 10), ["read as the same unit", "different factors"]),
    "a quoted false": ("indicators.yaml", lambda d: d["indicators"]["retail_sales"].__setitem__("non_negative", "false"),
                       ['column "retail_sales.non_negative"', "not true or false", "without quotes"]),
    "a region name under two regions": ("settings.yaml", lambda d: d["regions"]["南通"].append("海门区"),
                                        ['column "regions.南通"', "'海门区' is listed under both 海门 and 南通"]),
    "a status word under two codes": ("settings.yaml", lambda d: d["vocabulary"]["status"]["final"].append("预计"),
                                      ["'预计' is listed under both final and estimate"]),
    "a status without a rank": ("settings.yaml", lambda d: d["selection"]["status_rank"].pop("estimate"),
                                ['column "selection.status_rank.estimate"', "no whole-number rank for status estimate"]),
    "a quoted false switch in settings": ("settings.yaml", lambda d: d["selection"].__setitem__("include_unverified", "false"),
                                          ['column "selection.include_unverified"', "not true or false"]),
    "target year before base year": ("targets.yaml", _retail_target(lambda t: t.__setitem__("target_year", 2020)),
                                     ["target_year 2020 is before base_year 2021"]),
    "a quoted false headline": ("targets.yaml", _retail_target(lambda t: t.__setitem__("headline", "false")),
                                ["headline is 'false', not true or false"]),
}


@pytest.mark.parametrize("case", sorted(CONFIG_CASES))
def test_a_config_edit_read_wrongly_before_is_named_with_its_key(case, tmp_path):
    name, edit, needles = CONFIG_CASES[case]
    folder = _config(tmp_path, name, edit)
    with pytest.raises(InputError) as err:
        load_config(folder)
    text = str(err.value)
    assert f"config/{name}" in text.replace(os.sep, "/") and "Fix:" in text
    for needle in needles:
        assert needle in text, f"{needle!r} missing from:\n{text}"


def test_a_tab_after_a_yaml_value_is_white_space_not_an_error(tmp_path):
    folder = tmp_path / "config"
    shutil.copytree(paths.CONFIG_DIR, folder)
    path = folder / "settings.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("home_region: 海门", "home_region: 海门\t", 1), encoding="utf-8")
    assert load_config(folder).settings["home_region"] == "海门"


def test_a_tab_that_indents_is_still_refused_with_its_line(tmp_path):
    folder = tmp_path / "config"
    shutil.copytree(paths.CONFIG_DIR, folder)
    path = folder / "settings.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("\n  annual:", "\n\tannual:", 1), encoding="utf-8")
    with pytest.raises(InputError, match="never tabs"):
        load_config(folder)


# ------------------------------------------------------------------------------------------------- returns --


def _note_below(wb) -> None:
    ws = wb[TARGET_SHEET]
    ws.cell(ws.max_row + 2, 1, "填表说明：SYNTHETIC 实际新增40家")


def _copied_row(wb) -> None:
    ws = wb[TARGET_SHEET]
    row = ws.max_row + 1
    for j, cell in enumerate(ws[2], start=1):
        ws.cell(row, j, cell.value)
    ws.cell(row, 11, 45)


def _last_quarters_form(wb) -> None:
    for ws in wb.worksheets:
        ws.oddHeader.center.text = ws.oddHeader.center.text.replace("2025Q4", "2025Q3")


RETURN_CASES = {
    "a note typed below the table": (_note_below, ['row 9, column "目标编号 target", cell A9', "names no target",
                                                   "备注 comment", '(value: "填表说明：SYNTHETIC 实际新增40家")']),
    "a target returned twice in one file": (_copied_row, ["row 8", "tech_service_firms is returned twice in this file",
                                                          'also on sheet "目标 targets", row 2']),
    "last quarter's form": (_last_quarters_form, ["is the form sent for 2025Q3", "saved in the folder of 2025Q4",
                                                  "data/returns/2025Q3/", '(value: "台账 2025Q3")']),
    "an empty chart sheet": (lambda wb: wb.create_chartsheet("图", 0), ['has a chart sheet "图" with no chart in it']),
    "a sheet added with a note": (lambda wb: wb.create_sheet("补充说明").cell(1, 1, "SYNTHETIC 实际为40家"),
                                  ['sheet "补充说明", row 1, cell A1', "was added to the form", "备注 comment",
                                   '(value: "SYNTHETIC 实际为40家")']),
}


@pytest.mark.parametrize("case", sorted(RETURN_CASES))
def test_a_return_read_wrongly_before_is_refused_by_sheet_row_and_fix(case, tmp_path, cfg):
    assert_return_refused(tmp_path, cfg, *RETURN_CASES[case])


def _swap_evidence_and_comment(wb) -> None:
    ws = wb[TARGET_SHEET]
    for r in range(1, ws.max_row + 1):
        ws.cell(r, 14).value, ws.cell(r, 16).value = ws.cell(r, 16).value, ws.cell(r, 14).value


@pytest.mark.parametrize("edit", [lambda wb: wb.create_sheet("Sheet1"), _swap_evidence_and_comment],
                         ids=["an empty sheet added", "two input columns swapped"])
def test_a_return_changed_only_in_ways_that_lose_nothing_is_still_read(edit, tmp_path, cfg):
    from analysis.inputs.returns import read_returns

    table = read_returns(_return_with(tmp_path, edit), cfg, Quarter(2025, 4))
    assert table.loc[table["target"] == "tech_service_firms", "value"].tolist() == [38.0]


def test_a_return_of_minus_zero_is_zero(tmp_path, cfg):
    from analysis.inputs.returns import read_returns

    folder = _return_with(tmp_path, lambda wb: wb[TARGET_SHEET].__setitem__("K2", "-0"))
    table = read_returns(folder, cfg, Quarter(2025, 4))
    (value,) = table.loc[table["target"] == "tech_service_firms", "value"].tolist()
    assert value == 0 and math.copysign(1.0, value) == 1.0

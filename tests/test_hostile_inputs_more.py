"""Red-team round 2 (tests/synthetic_hostile/README_red_team.md): hostile inputs that used to be read wrongly
without a word, refused with a generic message, or end in a traceback.

Every file is synthetic and made in tmp_path by the test itself. Each case names what the message must hold
(besides the file and "Fix:") and, for files that are odd but valid, what must be read.
"""
from __future__ import annotations

import io
import shutil
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from analysis.core import paths
from analysis.core.config import load_config
from analysis.core.errors import InputError
from analysis.core.quarters import Quarter
from conftest import HEADER, SYNTHETIC_DIR, synthetic_row, tree_digest, write_release_workbook
from hostile_helpers import TARGET_SHEET, assert_return_refused, csv_bytes, read_release, return_with

R = synthetic_row
_csv, _read, _return_with = csv_bytes, read_release, return_with


def _mixed() -> bytes:
    """Row 2 in UTF-8, row 3 pasted from a GBK file."""
    return _csv([R()]) + _csv([R(year="2021", notes="合成数据")], encoding="gbk").split(b"\r\n", 1)[1]


def _docx() -> bytes:
    """A Word document's zip layout (synthetic, nearly empty)."""
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


# case -> (file name, bytes, what the message must contain)
REFUSED: dict[str, tuple[str, bytes, list[str]]] = {
    "superscript footnote in value": ("synthetic_sup.csv", _csv([R(value="521²")]),
                                      ['column "value"', "cell E2", "U+00B2", '(value: "521²")', "footnote"]),
    "superscript one in value": ("synthetic_sup1.csv", _csv([R(value="100¹")]), ['column "value"', "U+00B9"]),
    "circled digit in value": ("synthetic_circled.csv", _csv([R(value="①00")]), ['column "value"', "U+2460"]),
    "superscript in growth": ("synthetic_g_sup.csv", _csv([R(growth_pct="5.2²")]), ['column "growth_pct"', "U+00B2"]),
    "superscript in year": ("synthetic_year_sup.csv", _csv([R(year="202²")]), ['column "year"', "cell C2", "U+00B2"]),
    "space inside digits": ("synthetic_space_digits.csv", _csv([R(value="5 21")]),
                            ['row 2, column "value"', 'a space inside the number ("5 21")', "groups of three"]),
    "no-break space splitting a decimal": ("synthetic_nbsp.csv", _csv([R(value="52\u00a01.5")]),
                                           ['column "value"', 'a space inside the number ("52 1.5")']),
    "five-digit year named in the year column": ("synthetic_year_big.csv", _csv([R(year="99999")]),
                                                 ['row 2, column "year", cell C2', "four-digit year", '(value: "99999")']),
    "year with a fraction": ("synthetic_year_half.csv", _csv([R(year="2022.5")]),
                             ['column "year"', '(value: "2022.5")']),
    "UTF-8 and GBK rows mixed": ("synthetic_mixed.csv", _mixed(),
                                 ["row 3", "mixes encodings", "line 2 is UTF-8", "line 3", "ba a3", "CSV UTF-8"]),
    "UTF-8 file with a cut-off last character": ("synthetic_cut.csv", _csv([R(notes="合成")]) + b"\xe6\xb5",
                                                 ["mixes encodings", "line 3", "e6 b5"]),
    "invisible tag characters in a title": ("synthetic_tags.csv", _csv([R(source_title="SYNTHETIC \U000e0041\U000e0042 x")]),
                                            ['column "source_title"', "U+E0041", "invisible tag character"]),
    "name ending in a space after .csv": ("synthetic_trailing.csv ", _csv([R()]),
                                          ['does not end in .csv or .xlsx ("synthetic_trailing.csv ")', "start its name with _"]),
    "name ending in .csv.txt": ("synthetic_release.csv.txt", _csv([R()]), ["does not end in .csv or .xlsx", "rename it"]),
    "name ending in .xlsx.bak": ("synthetic_release.xlsx.bak", b"PK\x03\x04", ["does not end in .csv or .xlsx"]),
    "row longer than the header": ("synthetic_long_row.csv", _csv([[*R().values(), "", "stray, cell"]]),
                                   ["row 2, cell Q2", "has 17 cells but the header has 15", "column Q holds a value under no header",
                                    '(value: "stray, cell")', "双引号"]),
    "address without a site": ("synthetic_url_nohost.csv", _csv([R(source_url="https://")]),
                               ['column "source_url", cell M2', "names no site", '(value: "https://")']),
    "address urlsplit cannot read": ("synthetic_url_ipv6.csv", _csv([R(source_url="http://[::1")]),
                                     ['column "source_url"', "names no site"]),
    "header repeated below the figures": ("synthetic_header_twice.csv", _csv([R(), HEADER, R(year="2021")]),
                                          ["row 3: repeats the header row", '(value: "indicator, region, year, period")']),
    "UTF-8 byte-order mark before GBK rows": ("synthetic_bom_gbk.csv", b"\xef\xbb\xbf" + _csv([R()], encoding="gbk"),
                                              ["row 2", "mixes encodings", "byte-order mark", "line 2"]),
    "Word document named .xlsx": ("synthetic_docx.xlsx", _docx(), ["is a Word document (.docx) named .xlsx", "Excel Workbook"]),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_hostile_file_is_refused_with_file_row_column_value_and_fix(case, tmp_path, run_cli, previous_output):
    name, data, needles = REFUSED[case]
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / name).write_bytes(data)
    shutil.copy(SYNTHETIC_DIR / "synthetic_valid_release.csv", raw)      # a good file beside it changes nothing
    before_raw, before_out = tree_digest(raw), tree_digest(previous_output)

    code, stdout, stderr = run_cli("clean", "--as-of", "2025Q2", "--raw", str(raw), "--out", str(previous_output))

    assert code == 2, stdout + stderr
    assert "Traceback" not in stdout + stderr
    assert name in stderr and "Fix:" in stderr
    assert "nothing was written" in stderr and "未写入任何内容" in stderr, "the head says so in both languages"
    for needle in needles:
        assert needle in stderr, f"{needle!r} missing from:\n{stderr}"
    assert tree_digest(raw) == before_raw, "raw files are never modified"
    assert tree_digest(previous_output) == before_out, "a refused run leaves the previous output as it was"


def test_a_gb18030_file_with_characters_gbk_lacks_is_read(tmp_path, run_cli):
    """Chinese Windows and WPS save GB18030; a note with 䶮 or an emoji used to refuse the whole file."""
    obs = _read(run_cli, tmp_path, "synthetic_gb18030.csv", _csv([R(notes="合成 😀 䶮")], encoding="gb18030"))
    assert obs["notes"].tolist() == ["合成 😀 䶮"] and obs["value"].tolist() == [100.0]


@pytest.mark.parametrize("typed, value", [("1 234", 1234.0), ("1 234 567.5", 1234567.5), ("约 500", 500.0)])
def test_a_space_grouping_thousands_is_still_read(typed, value, tmp_path, run_cli):
    obs = _read(run_cli, tmp_path, "synthetic_space_ok.csv", _csv([R(value=typed)]))
    assert obs["value"].tolist() == [value]


def test_direction_marks_copied_with_an_indicator_name_are_invisible_like_zero_width_spaces(tmp_path, run_cli):
    obs = _read(run_cli, tmp_path, "synthetic_rlm.csv", _csv([R(indicator="\u200eretail_sales\u200f", region="海门\u061c")]))
    assert obs["indicator"].tolist() == ["retail_sales"] and obs["region"].tolist() == ["海门"]


def test_full_width_digits_are_still_digits(tmp_path, run_cli):
    obs = _read(run_cli, tmp_path, "synthetic_fw.csv", _csv([R(value="５２１．５", year="２０２２")]))
    assert obs["value"].tolist() == [521.5] and obs["year"].tolist() == [2022]


def test_a_footnote_mark_in_a_workbook_value_cell_is_refused(tmp_path):
    from openpyxl import Workbook

    from analysis.inputs.clean import run_clean

    raw = tmp_path / "raw"
    raw.mkdir()
    for name, row, cell, typed in (("synthetic_sup.xlsx", R(value="521²"), None, None),
                                   ("synthetic_year_cell.xlsx", R(year="2021"), "C2", 2021.5)):   # a year in a number cell
        wb = Workbook()
        ws = wb.active
        ws.title = "data"
        ws.append(HEADER)
        ws.append(list(row.values()))
        if cell:
            ws[cell] = typed
        wb.save(raw / name)
    with pytest.raises(InputError) as err:
        run_clean("2025Q2", raw_dir=raw, out_dir=tmp_path / "clean")
    text = str(err.value)
    assert 'synthetic_sup.xlsx, sheet "data", row 2, column "value", cell E2: holds the character ²' in text
    assert 'synthetic_year_cell.xlsx, sheet "data", row 2, column "year", cell C2: is not a four-digit year (value: "2021.5")' in text
    assert not (tmp_path / "clean").exists()


# ---------------------------------------------------------------------------- config --
def _config(tmp_path: Path, name: str, edit) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(paths.CONFIG_DIR, folder)
    path = folder / name
    path.write_bytes(edit(path.read_bytes()))
    return folder


def _replace_yaml_key(name: str, key: str, value: object):
    """Rewrite one top-level key of a registry (through yaml, so the test does not depend on its layout)."""
    def edit(data: bytes) -> bytes:
        loaded = yaml.safe_load(data.decode("utf-8"))
        loaded[key] = value
        return yaml.safe_dump(loaded, allow_unicode=True).encode("utf-8")
    return edit


def _nested(path: tuple[str, ...], value: object):
    def edit(data: bytes) -> bytes:
        loaded = yaml.safe_load(data.decode("utf-8"))
        node = loaded
        for key in path[:-1]:
            node = node[key] if not isinstance(node, list) else node[int(key)]
        node[path[-1] if not isinstance(node, list) else int(path[-1])] = value
        return yaml.safe_dump(loaded, allow_unicode=True).encode("utf-8")
    return edit


BOMB = b"".join([b"\nbomb_a: &a [x, x, x, x, x, x, x, x, x]\n"]
                + [f"bomb_{c}: &{c} [{', '.join(['*' + p] * 9)}]\n".encode() for p, c in zip("abcdefg", "bcdefgh")])

# case -> (file, edit of its bytes, what the message must contain)
CONFIG_CASES = {
    "duplicate top-level key": ("settings.yaml", lambda b: b + "\nhome_region: 南通\n".encode(),
                                ["config/settings.yaml, row", "'home_region' is given twice", "first on line"]),
    "duplicate nested key": ("settings.yaml", lambda b: b.replace(b"\nlimits:\n", b"\nlimits:\n  max_rows: 5\n", 1),
                             ["'max_rows' is given twice"]),
    "limit typed as a word": ("settings.yaml", _nested(("limits", "max_rows"), "many"),
                              ['column "limits.max_rows"', '(value: "many")', "positive whole number"]),
    "negative limit": ("settings.yaml", _nested(("limits", "max_rows"), -5), ['column "limits.max_rows"', '(value: "-5")']),
    "missing columns key": ("settings.yaml", lambda b: b.replace(b"\ncolumns:", b"\ncolumns_old:", 1),
                            ['column "columns"', 'the key "columns" is missing']),
    "regions as a list": ("settings.yaml", _replace_yaml_key("settings.yaml", "regions", ["a", "b"]),
                          ['column "regions"', "is a list, not a mapping"]),
    "home region not a region": ("settings.yaml", _replace_yaml_key("settings.yaml", "home_region", "上海"),
                                 ['column "home_region"', "is not one of the regions", '(value: "上海")']),
    "settings saved as GBK": ("settings.yaml", lambda b: b.decode("utf-8").encode("gb18030"),
                              ["config/settings.yaml, row", "is not UTF-8 text", "save it again as UTF-8"]),
    "alias bomb": ("settings.yaml", lambda b: b + BOMB, ["expands to more than 200,000 entries", "alias bomb"]),
    "bounds as a word": ("indicators.yaml", _nested(("indicators", "retail_sales", "bounds"), "abc"),
                         ['column "retail_sales"', "has bounds", "not [low, high] in numbers"]),
    "units as a list": ("indicators.yaml", _nested(("indicators", "retail_sales", "units"), ["亿元"]),
                        ['column "retail_sales"', "indicator retail_sales is incomplete"]),
    # a constant-price rate cannot make a current-price level (a statistician's review, 2026-12-07)
    "real growth with derivation": ("indicators.yaml", _nested(("indicators", "gdp", "derive_from_growth"), True),
                                    ['column "gdp"', "growth_basis: real and derive_from_growth", "remove derive_from_growth"]),
    "target value as a word": ("targets.yaml", _nested(("targets", "0", "value"), "ten"),
                               ['targets.yaml, column "target new_service_firms.value"', "is not a number", '(value: "ten")']),
    "targets as a mapping": ("targets.yaml", _replace_yaml_key("targets.yaml", "targets", {"a": 1}),
                             ['column "targets"', "is a dict, not a list"]),
}


@pytest.mark.parametrize("case", sorted(CONFIG_CASES))
def test_a_broken_config_file_is_named_with_its_key_and_fix(case, tmp_path):
    name, edit, needles = CONFIG_CASES[case]
    folder = _config(tmp_path, name, edit)
    with pytest.raises(InputError) as err:
        load_config(folder)
    text = str(err.value)
    assert "Fix:" in text
    for needle in needles:
        assert needle in text, f"{needle!r} missing from:\n{text}"


def test_a_folder_named_settings_yaml_is_a_message(tmp_path):
    folder = tmp_path / "config"
    shutil.copytree(paths.CONFIG_DIR, folder)
    (folder / "settings.yaml").unlink()
    (folder / "settings.yaml").mkdir()
    with pytest.raises(InputError) as err:
        load_config(folder)
    assert "settings.yaml: cannot be read (Is a directory)" in str(err.value)


def test_the_shipped_config_uses_anchors_and_still_loads():
    """The duplicate-key loader and the alias limit accept what the registries hold (indicators.yaml uses &anchors)."""
    cfg = load_config(paths.CONFIG_DIR)
    assert cfg.indicators["retail_sales"].factor("万元") is not None


# --------------------------------------------------------------------------- returns --


def _cell(ref: str, value: object):
    def edit(wb) -> None:
        wb[TARGET_SHEET][ref] = value
    return edit


RETURN_CASES = {
    "footnote mark in the value": (_cell("K2", "38²"), ['column "本期数值 value", cell K2', "U+00B2", '(value: "38²")']),
    "grey unit cell changed": (_cell("D2", "万家"), ['column "单位 unit", cell D2', "grey unit cell was changed", "put back 家"]),
    "date before the plan's base year": (_cell("L2", datetime(1999, 12, 31)),
                                         ['column "截至日期 as at", cell L2', "before the plan's base year", "1999-12-31"]),
    "column added with a note in it": (lambda wb: (wb[TARGET_SHEET].cell(1, 17, "说明 note"),
                                                   wb[TARGET_SHEET].cell(3, 17, "SYNTHETIC 实际有40家")),
                                       ['row 3, column "说明 note", cell Q3', "was added to the form", "备注 comment",
                                        '(value: "SYNTHETIC 实际有40家")']),
    "hidden targets sheet": (lambda wb: setattr(wb[TARGET_SHEET], "sheet_state", "hidden"),
                             [f'sheet "{TARGET_SHEET}": the sheet "{TARGET_SHEET}" is hidden', "Unhide"]),
}


@pytest.mark.parametrize("case", sorted(RETURN_CASES))
def test_a_hostile_return_is_refused_by_sheet_cell_value_and_fix(case, tmp_path, cfg):
    assert_return_refused(tmp_path, cfg, *RETURN_CASES[case])


def test_an_untouched_good_return_is_still_read(tmp_path, cfg):
    from analysis.inputs.returns import read_returns

    folder = _return_with(tmp_path, lambda wb: None)
    table = read_returns(folder, cfg, Quarter(2025, 4))
    assert table.loc[table["target"] == "tech_service_firms", "value"].tolist() == [38.0]


def test_a_value_cell_formatted_as_a_date_is_named_as_a_date(tmp_path):
    """521 in a cell Excel formats as a date shows 1901-06-04; the message used to speak of a unit "-06-04"."""
    from analysis.inputs.clean import run_clean

    raw = tmp_path / "raw"
    write_release_workbook(raw, "synthetic_value_date.xlsx", R(), lambda ws: ws.__setitem__("E2", datetime(1901, 6, 4)))
    with pytest.raises(InputError) as err:
        run_clean("2025Q2", raw_dir=raw, out_dir=tmp_path / "clean")
    text = str(err.value)
    # the number behind the date is named (a planner's trial: a fixed example date told them nothing), once
    assert 'row 2, column "value", cell E2: is formatted as a date, so Excel shows the number 521 as 1901-06-04' in text
    assert '(value: "521")' in text and "数字521显示为日期" in text
    assert "format the cell as Number" in text and 'unit "-06-04"' not in text and text.count("cell E2") == 1

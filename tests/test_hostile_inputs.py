"""Hostile and merely unlucky raw files (issue 11, points 4 and 5): each class is refused with a message
naming file, row, column and value, without a traceback, and nothing is written or changed.

The small files are in tests/synthetic_hostile/; links, pipes and big files are made in tmp_path by
the tests themselves (a 50,000-row file is not committed).
"""
from __future__ import annotations

import csv
import os
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
import yaml

from analysis.core import paths, storage
from analysis.inputs.clean import run_clean
from analysis.core.errors import InputError
from conftest import HEADER, synthetic_row, tree_digest, write_release, write_release_workbook

HOSTILE_DIR = Path(__file__).parent / "synthetic_hostile"

# file -> what the message must contain (besides the file name and "Fix:"), and what it must not
CASES: dict[str, tuple[list[str], list[str]]] = {
    "synthetic_hostile_value_zero.csv": (["row 3", 'column "value"', '(value: "0")', "must be above 0"], []),
    "synthetic_hostile_value_inf.csv": (["row 2", 'column "value"', '(value: "inf")', "not a finite number"], []),
    "synthetic_hostile_value_nan.csv": (["row 2", 'column "value"', '(value: "nan")', "not a finite number"], []),
    "synthetic_hostile_value_1e309.csv": (["row 2", 'column "value"', '(value: "1e309")', "scientific notation"],
                                          ['unit "e309"']),
    "synthetic_hostile_growth_minus_100.csv": (["row 2", 'column "growth_pct"', '(value: "-100")', "100% or more"],
                                               ["is empty and so is growth_pct"]),
    "synthetic_hostile_unbalanced_quote.csv": (["row 4", 'column "notes"', "line 4", "never closed",
                                                '(value: ""an open quote'], ["unexpected end of data with no row"]),
    "synthetic_hostile_nul_byte.csv": (["row 2", 'column "notes"', "cell O2", "U+0000 (NUL)", "character 6",
                                        '(value: "synth\\x00etic'], ["binary file"]),
    "synthetic_hostile_control_chars.csv": (["row 2", 'column "source_title"', "U+001B (ESC)", "\\x1b[31m"], []),
    "synthetic_hostile_bidi_override.csv": (["row 2", 'column "source_title"', "U+202E", "bidirectional"], []),
    "synthetic_hostile_duplicate_value_columns.csv": (["row 1", '"value" and "数值"', "keep one of the two columns"], []),
}


def _clean(run_cli, raw: Path, out: Path) -> tuple[int, str]:
    code, stdout, stderr = run_cli("clean", "--as-of", "2025Q2", "--raw", str(raw), "--out", str(out))
    assert "Traceback" not in stdout + stderr
    return code, stderr


def test_every_hostile_file_is_synthetic_and_present():
    """The refused-input cases are all there; every file of the shared corpus folder says it is synthetic
    (the folder also holds the escaping corpus of tests/test_escaping.py, files that must be read and shown)."""
    names = {p.name for p in HOSTILE_DIR.iterdir() if p.suffix in (".csv", ".xlsx")}
    assert set(CASES) <= names
    assert all("synthetic" in name for name in names)


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_file_is_refused_by_row_and_value_and_nothing_changes(name, tmp_path, run_cli):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(HOSTILE_DIR / name, raw / name)
    out = tmp_path / "clean"
    before = tree_digest(raw)

    code, stderr = _clean(run_cli, raw, out)

    assert code == 2, stderr
    assert name in stderr and "Fix:" in stderr
    needles, absent = CASES[name]
    for needle in needles:
        assert needle in stderr, f"{needle!r} missing from:\n{stderr}"
    for needle in absent:
        assert needle not in stderr, f"{needle!r} should not be in:\n{stderr}"
    assert tree_digest(raw) == before, "raw files are never modified"
    assert not out.exists(), "a refused input writes nothing"
    assert not list(tmp_path.glob(".clean-*"))


# ------------------------------------------------------------------ not regular files --
SECRET = "SECRET-LINE-never-shown,42"


def _link_cases(tmp_path: Path) -> dict[str, str]:
    """raw entry name -> what the message must say, each made in tmp_path/raw."""
    raw = tmp_path / "raw"
    raw.mkdir()
    outside = tmp_path / "target_elsewhere.csv"
    outside.write_text(SECRET + "\n", encoding="utf-8")
    write_release(raw, "synthetic_inside.csv", [synthetic_row()])
    os.symlink(outside, raw / "synthetic_link_outside.csv")
    os.symlink("/etc/passwd", raw / "synthetic_link_passwd.csv")
    os.symlink(raw / "synthetic_inside.csv", raw / "synthetic_link_inside.csv")
    os.symlink(tmp_path / "missing.csv", raw / "synthetic_link_dangling.csv")
    os.mkfifo(raw / "synthetic_fifo.csv")
    (raw / "synthetic_folder.csv").mkdir()
    return {"synthetic_link_outside.csv": "is a symbolic link", "synthetic_link_passwd.csv": "is a symbolic link",
            "synthetic_link_inside.csv": "is a symbolic link", "synthetic_link_dangling.csv": "is a symbolic link",
            "synthetic_fifo.csv": "is a named pipe (FIFO)", "synthetic_folder.csv": "is a folder"}


def test_links_pipes_and_folders_are_refused_unread(tmp_path, run_cli):
    expected = _link_cases(tmp_path)
    out = tmp_path / "clean"
    started = time.perf_counter()
    code, stderr = _clean(run_cli, tmp_path / "raw", out)
    assert time.perf_counter() - started < 60, "a FIFO must not block the run"
    assert code == 2
    for name, says in expected.items():
        assert f"{name}: {says}" in stderr, f"{name}: {says!r} missing from:\n{stderr}"
    assert "SECRET-LINE" not in stderr and "root:" not in stderr, "the target's content is never shown"
    assert "target_elsewhere" not in stderr and "/etc/passwd" not in stderr, "nor where the link points"
    assert stderr.startswith("6 problems"), stderr
    assert not out.exists()


def test_a_missing_raw_folder_is_an_input_error(tmp_path, run_cli):
    code, stderr = _clean(run_cli, tmp_path / "no_such_folder", tmp_path / "clean")
    assert code == 2 and "cannot be read as the raw-data folder" in stderr


# ------------------------------------------------------------------------------ limits --
def _config_with(tmp_path: Path, **limits: int) -> Path:
    """A copy of config/ with some limits lowered, so that limit tests need no huge files."""
    folder = tmp_path / "config"
    shutil.copytree(paths.CONFIG_DIR, folder)
    settings = yaml.safe_load((folder / "settings.yaml").read_text(encoding="utf-8"))
    settings["limits"].update(limits)
    (folder / "settings.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return folder


def test_limits_are_configured_with_their_reasons():
    text = (paths.CONFIG_DIR / "settings.yaml").read_text(encoding="utf-8")
    limits = yaml.safe_load(text)["limits"]
    assert set(limits) == {"max_file_mb", "max_xlsx_unpacked_mb", "max_rows", "max_cell_chars", "max_text_chars",
                           "problems_shown"}
    assert limits["max_cell_chars"] >= 200_000 and limits["problems_shown"] == 20


def test_a_too_big_file_is_refused_before_it_is_read(tmp_path, run_cli):
    raw = tmp_path / "raw"
    path = write_release(raw, "synthetic_too_big.csv", [synthetic_row()])
    with open(path, "r+b") as f:                 # sparse: 21 MB on paper, nothing to read
        f.truncate(21 * 2**20)
    code, stderr = _clean(run_cli, raw, tmp_path / "clean")
    assert code == 2
    assert "synthetic_too_big.csv: is 21.0 MB, larger than the 20 MB a raw file may be; it was not read" in stderr
    assert "limits.max_file_mb" in stderr


def test_too_many_rows_are_refused(tmp_path):
    raw = tmp_path / "raw"
    write_release(raw, "synthetic_many_rows.csv", [synthetic_row(year=str(2000 + i)) for i in range(12)])
    with pytest.raises(InputError) as err:
        run_clean("2025Q2", raw_dir=raw, out_dir=tmp_path / "clean", config_dir=_config_with(tmp_path, max_rows=10))
    assert "synthetic_many_rows.csv: has more than the 10 rows below the header" in str(err.value)
    assert not (tmp_path / "clean").exists()


def test_a_file_of_line_breaks_is_refused_without_reading_it_all(tmp_path, run_cli):
    raw = tmp_path / "raw"
    path = write_release(raw, "synthetic_blank_lines.csv", [synthetic_row()])
    with open(path, "ab") as f:
        f.write(b"\n" * (19 * 2**20))          # 19 MB of empty rows: under the size limit, 20 million rows
    started = time.perf_counter()
    code, stderr = _clean(run_cli, raw, tmp_path / "clean")
    assert code == 2 and "has more than the 50,000 rows below the header" in stderr
    assert time.perf_counter() - started < 30


def test_a_control_character_in_a_file_name_is_shown_escaped(tmp_path, run_cli):
    raw = tmp_path / "raw"
    write_release(raw, "synthetic_\x1b[31mred.csv", [synthetic_row(value="inf")])
    code, stderr = _clean(run_cli, raw, tmp_path / "clean")
    assert code == 2 and "\x1b" not in stderr and "synthetic_\\x1b[31mred.csv, row 2" in stderr


def test_an_xlsx_that_unpacks_too_big_is_refused_unread(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    with zipfile.ZipFile(raw / "synthetic_zip_bomb.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (3 * 2**20))
    with pytest.raises(InputError) as err:
        run_clean("2025Q2", raw_dir=raw, out_dir=tmp_path / "clean",
                  config_dir=_config_with(tmp_path, max_xlsx_unpacked_mb=2))
    assert "synthetic_zip_bomb.xlsx: unpacks to 3 MB, more than the 2 MB" in str(err.value)


def test_a_long_note_is_read_up_to_the_limit(tmp_path, run_cli):
    raw = tmp_path / "raw"
    note = "长" * 200_000 + ", with a comma"
    write_release(raw, "synthetic_long_note.csv", [synthetic_row(notes=note)])
    code, stderr = _clean(run_cli, raw, tmp_path / "clean")
    assert code == 0, stderr
    import pandas as pd
    obs = pd.read_parquet(tmp_path / "clean" / "observations.parquet")
    assert obs["notes"].iloc[0] == note


def test_a_cell_over_the_limit_names_its_row_and_column_and_is_not_printed_whole(tmp_path):
    raw = tmp_path / "raw"
    write_release(raw, "synthetic_long_cell.csv", [synthetic_row(), synthetic_row(year="2021", notes="x" * 5000)])
    with pytest.raises(InputError) as err:
        run_clean("2025Q2", raw_dir=raw, out_dir=tmp_path / "clean", config_dir=_config_with(tmp_path, max_cell_chars=1000))
    text = str(err.value)
    assert 'row 3, column "notes"' in text and "is 5,000 characters long, more than the 1,000" in text
    assert "x" * 200 not in text and "(5,000 characters)" in text


def test_a_title_is_held_to_the_shorter_limit_of_text_that_reaches_the_documents(tmp_path):
    raw = tmp_path / "raw"
    write_release(raw, "synthetic_long_title.csv", [synthetic_row(source_title="T" * 2001, notes="n" * 50_000)])
    with pytest.raises(InputError) as err:
        run_clean("2025Q2", raw_dir=raw, out_dir=tmp_path / "clean")
    text = str(err.value)
    assert 'row 2, column "source_title"' in text and "is 2,001 characters long, more than the 2,000" in text
    assert "limits.max_text_chars" in text and '"notes"' not in text and text.startswith("1 problem")


def test_only_the_first_20_problems_are_listed_and_the_rest_counted(tmp_path, run_cli):
    raw = tmp_path / "raw"
    write_release(raw, "synthetic_many_problems.csv",
                  [synthetic_row(year=str(1950 + i), value="六百") for i in range(70)])
    code, stderr = _clean(run_cli, raw, tmp_path / "clean")
    assert code == 2
    assert stderr.startswith("70 problems")
    assert "  20. " in stderr and "  21. " not in stderr
    assert "... and 50 more problems in 1 file not listed" in stderr and "limits.problems_shown" in stderr


@pytest.mark.slow
def test_a_big_valid_file_is_read_in_seconds_not_minutes(tmp_path):
    """50,000 valid rows: ingest 30 s and clean 154 s before issue 11, about 5 s and 11 s after (2 shared cores)."""
    raw = tmp_path / "raw"
    regions = ["海门", "南通", "通州", "海安"]
    indicators = [("retail_sales", "亿元"), ("gdp", "亿元"), ("tourist_visits", "万人次"), ("loan_balance", "亿元")]
    periods = ["全年", "1-3月", "1-6月", "1-9月"]
    rows = []
    for i in range(50_000):     # one publication per 400 rows: 25 years x 4 indicators x 4 periods, no repeats
        indicator, unit = indicators[i // 25 % 4]
        rows.append(synthetic_row(indicator=indicator, unit=unit, year=str(2000 + i % 25), period=periods[i // 100 % 4],
                                  value=str(100 + i % 97), region=regions[i // 400 % 4],
                                  source_url=f"https://example.org/synthetic/{i // 400}",
                                  published=f"{2001 + i % 25}-02-{1 + i // 400 % 27:02d}",
                                  status="final" if i % 2 else "preliminary"))
    write_release(raw, "synthetic_big_valid.csv", rows)
    started = time.perf_counter()
    result = run_clean("2025Q2", raw_dir=raw, out_dir=tmp_path / "clean")
    seconds = time.perf_counter() - started
    assert len(result.observations) == 50_000
    assert (result.observations["role"] == "selected").sum() == len(result.best[result.best["value"].notna() & ~result.best["derived"]])
    assert seconds < 120, f"50,000 rows took {seconds:.0f} s"


# ------------------------------------------------------------------ output folders --
def test_an_output_folder_holding_an_immutable_file_is_refused_and_nothing_is_left(tmp_path, run_cli):
    raw = tmp_path / "raw"
    shutil.copy(Path(__file__).parent / "synthetic" / "synthetic_valid_release.csv", raw.mkdir() or raw)
    out = tmp_path / "data" / "clean"
    assert _clean(run_cli, raw, out)[0] == 0
    pinned = out / "manifest.json"
    if subprocess.run(["chattr", "+i", str(pinned)], capture_output=True).returncode != 0:
        pytest.skip("this file system has no immutable flag (or chattr is missing)")
    try:
        before = tree_digest(out)
        code, stderr = _clean(run_cli, raw, out)
    finally:
        subprocess.run(["chattr", "-i", str(pinned)])
    assert code == 2
    assert "data/clean/manifest.json" in stderr and "chattr -i" in stderr and "nothing was changed" in stderr
    assert tree_digest(out) == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["clean"], "no .clean-old-* or .clean-new-* left behind"


def test_a_read_only_output_subfolder_is_refused_before_the_swap(tmp_path, monkeypatch):
    """As root chmod does not stop a write, so the check's view of permissions is what is tested."""
    target = tmp_path / "clean"
    (target / "sub").mkdir(parents=True)
    (target / "sub" / "x.csv").write_text("x")
    real_access = os.access
    monkeypatch.setattr(storage.os, "access",
                        lambda p, mode, **kw: False if Path(p) == target / "sub" else real_access(p, mode, **kw))
    with pytest.raises(InputError) as err:
        storage.check_writable(target)
    tmp = storage.new_staging_dir(target)
    with pytest.raises(InputError) as err2:
        storage.swap_in(tmp, target)
    for e in (err, err2):
        assert "clean/sub" in str(e.value) and "cannot write here" in str(e.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean"]
    assert (target / "sub" / "x.csv").read_text() == "x"


def test_the_rows_of_a_header_only_file_with_the_value_alias_twice(tmp_path):
    """Both value columns named, whichever comes first (the last one used to win silently)."""
    raw = tmp_path / "raw"
    raw.mkdir()
    with open(raw / "synthetic_alias_first.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["数值", *HEADER])
        w.writerow(["999", *synthetic_row().values()])
    with pytest.raises(InputError) as err:
        run_clean("2025Q2", raw_dir=raw, out_dir=tmp_path / "clean")
    assert 'the columns "数值" and "value" both hold value' in str(err.value)


def test_a_zero_number_cell_in_a_workbook_is_refused_like_in_a_csv(tmp_path):
    raw = tmp_path / "raw"
    write_release_workbook(raw, "synthetic_zero.xlsx", synthetic_row(),
                           lambda ws: ws.cell(2, HEADER.index("value") + 1, 0))     # a number cell, not text
    with pytest.raises(InputError) as err:
        run_clean("2025Q2", raw_dir=raw, out_dir=tmp_path / "clean")
    assert 'synthetic_zero.xlsx, sheet "data", row 2, column "value", cell E2: is 0' in str(err.value)


def test_a_table_written_into_an_immutable_folder_is_a_message_and_leaves_nothing(tmp_path):
    import pandas as pd

    folder = tmp_path / "scratch_clean"
    folder.mkdir()
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("this file system has no immutable flag (or chattr is missing)")
    try:
        with pytest.raises(InputError) as err:
            storage.write_table_atomic(folder, "forecasts", pd.DataFrame({"a": [1]}))
        left = list(folder.iterdir())
    finally:
        subprocess.run(["chattr", "-i", str(folder)])
    assert "scratch_clean: cannot write here" in str(err.value) and "chattr -i" in str(err.value)
    assert left == []

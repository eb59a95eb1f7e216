"""The command line and the lab (issue 10, point 7): every option checked before anything runs,
help that lists only what applies and says where outputs go, quarters read as planners type them,
no kernel noise, a Makefile that quotes what it passes to the shell."""
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from analysis.core import paths, quarters

from analysis.run import pipeline, replay
from analysis.cli import build_parser
from analysis.core.quarters import Quarter
from conftest import SYNTHETIC_DIR

ROOT = Path(__file__).resolve().parents[1]




@pytest.fixture
def helps(capsys):
    def get(command: str) -> str:
        with pytest.raises(SystemExit) as stop:
            build_parser().parse_args([command, "--help"])
        assert stop.value.code == 0
        return capsys.readouterr().out
    return get


@pytest.mark.parametrize("command, present, absent, where", [
    ("clean", ["--as-of", "--include-unverified"], ["--lang", "--engine", "--workers"], "data/clean/"),
    ("validate", ["--as-of", "--engine"], ["--lang", "--include-unverified", "--workers"], "reports/<as_of>.failed/"),
    ("run", ["--as-of", "--lang", "--engine"], ["--include-unverified", "--workers"], "history/<timestamp>/"),
    ("briefing", ["--as-of", "--lang", "--engine"], ["--include-unverified", "--workers"], "reports/<as_of>/"),
    ("replay", ["--from", "--to", "--workers", "--engine"], ["--lang", "--as-of", "--include-unverified"],
     "reports/replay_<from>_<to>/"),
])
def test_each_help_lists_only_its_options_and_says_where_outputs_go(helps, command, present, absent, where):
    text = helps(command)
    for option in present:
        assert option in text, option
    for option in absent:
        assert option not in text, option
    assert where in " ".join(text.split()), where


def test_replay_has_a_description(helps):
    text = helps("replay")
    assert "rerun past quarters" in text and "evolution.zh.pdf" in text and "evolution.en.pdf" in text


@pytest.mark.parametrize("text", ["2025q2", "2025Q2", " 2025q2 "])
def test_lower_case_quarters_are_accepted(text):
    assert Quarter.parse(text, day=date(2026, 11, 26)) == Quarter(2025, 2)


def test_the_quarter_in_progress_is_refused_with_a_message():
    today = date(2026, 11, 26)
    assert Quarter.parse("2026Q3", day=today) == Quarter(2026, 3)
    for label in ("2026Q4", "2026q4", "2027Q1"):
        with pytest.raises(ValueError) as err:
            Quarter.parse(label, day=today)
        assert "has not ended yet" in str(err.value) and "2026Q3" in str(err.value)


def test_the_cli_refuses_the_quarter_in_progress_using_the_clock(monkeypatch, run_cli, tmp_path):
    monkeypatch.setattr(quarters, "today", lambda: date(2026, 11, 26))
    code, _, err = run_cli("clean", "--as-of", "2026q4", "--out", str(tmp_path / "out"))
    assert code == 2 and "Traceback" not in err and "has not ended yet" in err and "2026Q3" in err
    assert "nothing was run or changed" in err
    assert not (tmp_path / "out").exists()


@pytest.fixture
def no_pipeline(monkeypatch):
    """Fail the test if a command got as far as running the pipeline."""
    def forbidden(*args, **kwargs):
        raise AssertionError("the pipeline must not start when an option is wrong")
    monkeypatch.setattr(pipeline, "run_quarter", forbidden)
    monkeypatch.setattr(replay, "replay", forbidden)


@pytest.mark.parametrize("lang, needle", [("", "no language given"), (",", "no language given"),
                                          ("zh,zh", "zh given more than once"), ("zh,,en", "empty entry"),
                                          ("fr", "unknown language 'fr'"), ("zh,EN", "unknown language 'EN'")])
def test_bad_language_lists_are_refused_and_nothing_runs(no_pipeline, run_cli, lang, needle):
    code, _, err = run_cli("run", "--as-of", "2025Q2", "--lang", lang)
    assert code == 2 and needle in err and "--lang" in err and "Traceback" not in err


def test_a_reversed_replay_range_is_refused(no_pipeline, run_cli, tmp_path):
    code, _, err = run_cli("replay", "--from", "2025Q2", "--to", "2024q4")
    assert code == 2 and "runs backwards" in err and "--from 2024Q4 --to 2025Q2" in err and "nothing was run" in err


def test_replay_refuses_a_reversed_range_before_writing(tmp_path):
    from analysis.core.errors import InputError
    with pytest.raises(InputError):
        replay.replay("2025Q2", "2024Q4", reports_dir=tmp_path / "reports")
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize("argv, full", [([], False), (["--full"], True)])
def test_replay_quarters_are_lean_unless_full_is_asked_for(monkeypatch, tmp_path, argv, full):
    from analysis.cli import main
    seen = {}

    def fake_replay(first, last, **kwargs):
        seen.update(kwargs)
        return tmp_path
    monkeypatch.setattr(replay, "replay", fake_replay)
    main(["replay", "--from", "2024Q4", "--to", "2025Q1", *argv])
    assert seen["full"] is full


@pytest.mark.parametrize("workers", ["0", "-1", "two"])
def test_worker_counts_are_checked_without_a_traceback(no_pipeline, capsys, workers):
    from analysis.cli import main
    with pytest.raises(SystemExit) as stop:
        main(["replay", "--from", "2024Q4", "--to", "2025Q1", "--workers", workers])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "--workers" in err and "Traceback" not in err


def test_the_kernel_encryption_warning_is_silenced(monkeypatch, tmp_path, capfd):
    monkeypatch.setattr(paths, "NOTEBOOKS_DIR", SYNTHETIC_DIR)
    pipeline.execute_notebook("synthetic_tiny_notebook.ipynb", tmp_path / "out.ipynb", {"x": 41})
    assert "42" in (tmp_path / "out.ipynb").read_text(encoding="utf-8")
    out, err = capfd.readouterr()
    assert "without encryption" not in out + err


needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def make_dry_run(*args: str) -> str:
    """The recipe lines make would run (nothing is executed; STAMP=Makefile skips the install step)."""
    return subprocess.run(["make", "-n", "-s", *args, "PY=echo", "STAMP=Makefile"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout


@needs_make
def test_make_briefing_quotes_as_of(tmp_path):
    evil = f"2025Q2; touch {tmp_path}/pwned"
    line = [x for x in make_dry_run("briefing", f"AS_OF={evil}").splitlines() if "analysis briefing" in x][0]
    assert evil not in line                      # the value never becomes part of the command text
    out = subprocess.run(["bash", "-c", line], env={**os.environ, "AS_OF": evil}, capture_output=True, text=True).stdout
    assert out.strip() == f"-m analysis briefing --as-of {evil}"      # one argument, passed on whole
    assert not (tmp_path / "pwned").exists()
    line = [x for x in make_dry_run("briefing").splitlines() if "analysis briefing" in x][0]
    env = {k: v for k, v in os.environ.items() if k != "AS_OF"}
    assert subprocess.run(["bash", "-c", line], env=env, capture_output=True, text=True).stdout.strip() == "-m analysis briefing"


@needs_make
def test_make_lab_starts_as_root_without_a_browser():
    line = [x for x in make_dry_run("lab").splitlines() if "jupyter lab" in x][0]
    out = subprocess.run(["bash", "-c", line], capture_output=True, text=True).stdout
    assert "--no-browser" in out and "--ip=127.0.0.1" in out
    assert ("--allow-root" in out) == (os.geteuid() == 0)

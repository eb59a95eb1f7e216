"""End to end: the quarterly pipeline on the shipped data, a broken raw file, and the replay."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

import analysis
from analysis.core import paths
from analysis.core.errors import InputError
from analysis.run.pipeline import run_quarter
from conftest import REPLAY_QUARTERS, SYNTHETIC_DIR, make_project, tree_digest

HEADLINE_NAMES = {"zh": ("社会消费品零售", "规模以上服务业重点行业营业收入", "接待游客"),
                  "en": ("Retail sales", "key above-designated-size service industries", "Tourist visits")}
# the monitoring words while the plan runs, the final evaluation's standard words after it ended (core.wording.FINAL_WORDS)
STATUS_WORDS = {"zh": ("已完成", "有望完成", "存在风险", "明显滞后", "数据不足", "尚未取得数据", "仅有未核实资料",
                       "完成", "未完成", "基本完成", "待统计数据确认", "暂无数据"),
                "en": ("achieved", "on track", "at risk", "off track", "insufficient data", "pending",
                       "awaiting the statistics", "too few figures", "no data yet")}


@pytest.fixture(scope="module")
def quarter(shipped_quarter):
    """The shipped 2025Q2 quarter, run once for the whole session (conftest.shipped_quarter): (folder, base)."""
    return shipped_quarter


def pdf_text(path) -> tuple[str, PdfReader]:
    reader = PdfReader(path)
    return "".join(p.extract_text() for p in reader.pages), reader


def test_the_quarter_folder_has_every_output(quarter):
    folder, *_ = quarter
    for name in ("briefing.zh.pdf", "briefing.en.pdf", "briefing.zh.docx", "briefing.en.docx", "validation/validation.pdf", "validation/data_docs/index.html",
                 "assessment.csv", "manifest.json", "notebooks/01_clean.ipynb", "notebooks/02_validate.ipynb",
                 "notebooks/03_forecast.ipynb", "notebooks/04_briefing.zh.ipynb", "notebooks/04_briefing.en.ipynb"):
        assert (folder / name).exists(), name
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["as_of"] == "2025Q2" and manifest["left_out"] == [] and manifest["rendering_engine"] in ("typst", "quarto")
    assert len(manifest["input_files"]) == len(list(paths.RAW_DIR.glob("*.csv")))
    assert all(len(h) == 64 for h in manifest["input_files"].values())
    assert {"git_commit", "packages", "started", "finished", "steps"} <= set(manifest)


def test_the_data_docs_index_sends_an_auditor_to_every_figure_s_source(quarter):
    """Data Docs list only failing rows: the index opens with where each figure is traced (figures.csv, whose links
    resolve from the page), and carries none of GE's tutorial cards (an auditor's trial, 2026-12-07)."""
    import re

    folder, *_ = quarter
    index = folder / "validation" / "data_docs" / "index.html"
    html = index.read_text(encoding="utf-8")
    assert "Where each figure comes from" in html and "数据来源追溯" in html
    links = set(re.findall(r'href="(\.\./[^"]+)"', html))
    assert {"../../figures.csv", "../validation.pdf"} <= links
    assert all((index.parent / link).resolve().exists() for link in links)
    assert "How to" not in html and "Team Site" not in html


def test_steps_that_run_side_by_side_print_whole_lines_with_their_own_numbers():
    """Two steps that end at the same moment: the second line waits until the first is printed (a progress
    callback that waits for a second caller never sees one), and each step gets its own number."""
    from analysis.run.pipeline import Steps

    both_inside = threading.Barrier(2, timeout=1.0)
    lines, overlaps = [], []

    def progress(line: str) -> None:
        try:
            both_inside.wait()
            overlaps.append(line)          # a second line was being printed at the same time
        except threading.BrokenBarrierError:
            pass
        lines.append(line)

    step = Steps(progress)
    threads = [threading.Thread(target=step, args=(name, lambda: None)) for name in ("02 validate", "03 forecast")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps == []
    assert sorted(int(re.match(r"  \[(\d+)\] ", line).group(1)) for line in lines) == [1, 2]
    assert [name for name, _ in step.done] == [re.sub(r"^  \[\d\] (.*): .*$", r"\1", line) for line in lines]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_briefing_pdf_reads_as_a_briefing(quarter, lang):
    folder, *_ = quarter
    text, reader = pdf_text(folder / f"briefing.{lang}.pdf")
    from conftest import body_pages
    assert 2 <= body_pages(folder / f"briefing.{lang}.pdf") <= 3 and len(reader.pages) <= body_pages(folder / f"briefing.{lang}.pdf") + 3
    squashed = text.replace("\n", "").replace(" ", "")
    for name in HEADLINE_NAMES[lang]:
        assert name.replace(" ", "") in squashed, name
    assert any(w.replace(" ", "") in squashed for w in STATUS_WORDS[lang])
    images = sum(len([x for x in p["/Resources"].get("/XObject", {}).values() if x.get_object()["/Subtype"] == "/Image"])
                 for p in reader.pages)
    assert images >= 1                       # the fan charts are embedded (one figure: a panel per headline target)
    for code in ("import ", "def ", "cfg =", "show(", "pd.read_csv"):
        assert code not in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_briefing_docx_is_editable_word_with_targets_table_and_charts(quarter, lang):
    """briefing.<lang>.docx (issue 15) opens in python-docx: headline targets as text, the status table as a Word
    table with a repeated header row and coloured verdict words, the fan charts as inline pictures."""
    from docx import Document
    from docx.oxml.ns import qn

    folder, *_ = quarter
    doc = Document(str(folder / f"briefing.{lang}.docx"))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    text = "".join(p.text for p in doc.paragraphs) + "".join(cells)
    squashed = text.replace(" ", "")
    for name in HEADLINE_NAMES[lang]:
        assert name.replace(" ", "") in squashed, name
    header = {"zh": ("目标（规划条目）", "依据", "研判"), "en": ("Target (plan item)", "Evidence", "Status")}[lang]
    status = next(t for t in doc.tables if all(h in [c.text for c in t.rows[0].cells] for h in header))
    assert status.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None      # a header row Word repeats
    verdicts = [c.text for row in status.rows[1:] for c in row.cells if c.text in STATUS_WORDS[lang]
                or any(c.text.startswith(w) for w in STATUS_WORDS[lang])]
    assert len(verdicts) >= 2                                             # the raw-Typst cells became words
    coloured = [r for row in status.rows[1:] for c in row.cells for p in c.paragraphs for r in p.runs
                if r.font.color is not None and r.font.color.rgb is not None and r.bold]
    assert coloured
    assert len(doc.inline_shapes) >= 1                                     # the fan charts (one figure, a panel each)
    page = doc.sections[0]                                                 # A4, GB/T 9704 margins (twips: whole mm)
    assert [round(x.mm) for x in (page.page_width, page.page_height, page.top_margin, page.bottom_margin,
                                  page.left_margin, page.right_margin)] == [210, 297, 37, 35, 28, 26]
    for code in ("import ", "def ", "cfg =", "show(", "{=typst}", "#text("):
        assert code not in text


def test_a_broken_raw_file_fails_clearly_and_keeps_the_last_reports(quarter, tmp_path):
    folder, tmp = quarter
    before = tree_digest(folder)
    raw = tmp_path / "raw"
    shutil.copytree(paths.RAW_DIR, raw)
    shutil.copy(SYNTHETIC_DIR / "synthetic_unknown_unit.csv", raw)
    with pytest.raises(InputError) as err:
        run_quarter("2025Q2", reports_dir=tmp / "reports", clean_dir=tmp / "clean", raw_dir=raw, progress=lambda *_: None)
    assert "synthetic_unknown_unit.csv, row 3" in str(err.value) and "Fix:" in str(err.value)
    assert tree_digest(folder) == before


def test_a_stopped_replay_lets_its_workers_go_at_once(tmp_path):
    """A replay cut short (Ctrl-C) marks its work folder: a worker waiting for the previous quarter stops waiting,
    and a quarter handed to a worker before the stop does not run (the worker would otherwise wait for ever,
    or run quarters nobody collects)."""
    from analysis.run.replay import STOPPED, _replay_one, _wait_for

    work = tmp_path / "work"
    (work / "done").mkdir(parents=True)
    (work / "done" / "2025Q1").touch()
    _wait_for(work / "done" / "2025Q1", work)                    # there: returns at once
    (work / STOPPED).touch()
    with pytest.raises(RuntimeError, match="stopped"):
        _wait_for(work / "done" / "2025Q2", work)
    job = ("2025Q3", str(tmp_path / "reports"), str(work), str(paths.RAW_DIR), "auto", "2025Q2", None, False)
    assert _replay_one(job)[:2] == ("2025Q3", "stopped")
    assert not (tmp_path / "reports").exists()
    shutil.rmtree(work)
    with pytest.raises(RuntimeError, match="stopped"):
        _wait_for(work / "done" / "2025Q2", work)


def started_replay(tmp_path) -> tuple[subprocess.Popen, Path, dict]:
    """`replay` of four quarters as a terminal starts it (its own process group, Ctrl-C not ignored), in a copy
    of the project; returned once its workers and their kernels run, with every process it started (and its
    command line)."""
    import psutil

    root = make_project(tmp_path / "p")
    env = {**os.environ, "PYTHONPATH": str(Path(analysis.__file__).resolve().parents[1]),
           "HAIMEN_MONITOR_ROOT": str(root), "XDG_RUNTIME_DIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "analysis", "replay", "--from", "2024Q3", "--to", "2025Q2"],
                            env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stdout.readline().startswith("Replaying")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        started = {}
        for child in psutil.Process(proc.pid).children(recursive=True):
            try:
                started[child] = " ".join(child.cmdline())
            except psutil.Error:
                pass
        if sum("ipykernel" in line for line in started.values()) >= 2:
            return proc, root, started                     # both workers have their kernels
        time.sleep(0.5)
    raise AssertionError("the replay's kernels did not start")


def assert_all_gone(processes: dict) -> None:
    import psutil

    def running(p) -> bool:
        try:
            return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(map(running, processes)):
        time.sleep(0.5)
    assert [line[:80] for p, line in processes.items() if running(p)] == []


@pytest.mark.slow
def test_ctrl_c_stops_a_replay_soon_with_a_message_and_leaves_nothing_behind(tmp_path):
    proc, root, started = started_replay(tmp_path)
    time.sleep(3)                                        # quarters are running
    os.killpg(proc.pid, signal.SIGINT)                   # a terminal's Ctrl-C: the whole process group
    t0 = time.monotonic()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert time.monotonic() - t0 < 45                   # the running quarters end at the stop marker, none starts
    assert "interrupted (Ctrl-C)" in err and "Traceback" not in err
    reports = root / "reports"
    assert not reports.exists() or [p.name for p in reports.iterdir()] == []      # no replay folder, no work folder
    assert_all_gone(started)                             # workers, their kernels, the resource tracker


@pytest.mark.slow
def test_a_killed_replay_leaves_no_worker_or_kernel_behind(tmp_path):
    """kill -9 (or the out-of-memory killer) gives the parent no chance to stop its workers: each worker sees
    that its parent is gone, shuts its kernel down and exits (replay._worker_start)."""
    proc, _, started = started_replay(tmp_path)
    proc.kill()
    proc.communicate(timeout=30)
    assert_all_gone({p: line for p, line in started.items() if "resource_tracker" not in line})


def test_replay_makes_one_folder_per_quarter_and_the_evolution_reports(replay_without_cache):
    import pandas as pd
    out = replay_without_cache                       # the session's replay of REPLAY_QUARTERS (conftest)
    first, last = REPLAY_QUARTERS
    assert (out / first / "briefing.zh.pdf").exists() and (out / last / "briefing.zh.pdf").exists()
    # lean quarters (docs/speed.md): the checks' results and the executed notebooks, not their restatements
    for label in REPLAY_QUARTERS:
        quarter = out / label
        checks = json.loads((quarter / "validation" / "results.json").read_text(encoding="utf-8"))
        assert checks["summary"]["checks"] > 0
        assert (quarter / "notebooks" / "02_validate.ipynb").exists()
        assert not (quarter / "validation" / "validation.pdf").exists()
        assert not (quarter / "validation" / "data_docs").exists()
        assert not list(quarter.glob("*.docx"))
        left_out = json.loads((quarter / "manifest.json").read_text(encoding="utf-8"))["left_out"]
        assert left_out == ["validation/validation.pdf", "validation/data_docs/",
                            "the coverage chart of notebooks/02_validate.ipynb", "briefing.zh.docx"]
        executed = (quarter / "notebooks" / "02_validate.ipynb").read_text(encoding="utf-8")
        assert "not built in a replay" in executed
        # the coverage chart is left out, and the notebook says where the same coverage is
        assert "image/png" not in executed and "01_clean shows the same coverage as a table" in executed
    history = pd.read_csv(out / "evolution.csv", encoding="utf-8-sig")
    drawn = history[["p_met", "projection_q50", "latest_value", "figure_value"]].notna().any(axis=1)
    with_data = set(history.loc[drawn, "target"])
    without = history[~history["target"].isin(with_data)].drop_duplicates("target")
    assert with_data and len(without)              # the shipped data have both kinds of target
    for lang, name in (("zh", "name_zh"), ("en", "name_en")):
        text, reader = pdf_text(out / f"evolution.{lang}.pdf")
        assert len(reader.pages) == 1 + len(with_data)          # the P(met) heatmap, then one page per target with data
        pages = [p.extract_text().replace("\n", " ") for p in reader.pages]
        for page in pages:
            assert first in page and last in page
        titles = " ".join(pages[1:])
        assert all(n in titles for n in history.loc[history["target"].isin(with_data), name].unique())
        assert not any(n in titles for n in without[name])
    assert (out / "arrivals.csv").exists()
    assert not (out.parent / first).exists()     # regular quarter folders are left alone


@pytest.mark.slow
def test_verdicts_end_to_end_on_a_synthetic_raw_folder(tmp_path):
    """Made-up releases (tests/synthetic_verdicts/) through the whole quarterly run, each with the verdict it must get.

    Run on a replay worker's pool of one kernel (01, 02 and 03 one after another in it): the verdicts a statistician
    expects (below) come out of that pool as they do out of a run's two kernels (the other whole-run tests)."""
    import pandas as pd

    from analysis.run.kernels import KernelPool
    from analysis.run.pipeline import KERNEL_ARGS

    raw = tmp_path / "raw"
    shutil.copytree(Path(__file__).parent / "synthetic_verdicts", raw)
    with KernelPool(paths.NOTEBOOKS_DIR, KERNEL_ARGS, lanes={}) as pool:         # a replay worker's pool
        folder = run_quarter("2025Q2", reports_dir=tmp_path / "reports", clean_dir=tmp_path / "clean", raw_dir=raw,
                             progress=lambda *_: None, langs=("zh",), pool=pool)
        assert pool.started == 1                  # 02 waited for the kernel 01 and 03 used, none was added
    rows = pd.read_csv(folder / "assessment.csv", encoding="utf-8-sig").set_index("target")
    expected = {
        "retail_sales_level": "achieved",              # final 2024 figure 660 > 650
        "retail_sales_growth": "broadly_achieved",     # printed 8.0, 11.1, 10.0 chain to 9.7 %: 10 % 左右 within 1 point (基本完成)
        "key_service_revenue_growth": "achieved",      # printed growth alone, chained: 25.7 %/yr
        "software_it_revenue_growth": "not_achieved",  # 50 / 10 / 40 against 30 % every year
        "key_service_projects": "not_achieved",        # 6 / 3 / 7 against at least 5 every year
        "new_service_firms": "achieved",               # 60 + 55 + 58 = 173 additions >= 170
        "tax_buildings_50m": "insufficient_data",      # only a 2020 figure: before the plan
        "tourist_visits": "pending",                   # 2024 only from an unverified page
    }
    got = {t: rows.loc[t, "verdict"] for t in expected}
    assert got == expected
    assert rows.loc["tourist_visits", "verdict_key"] == "pending_unverified"
    assert rows.loc["retail_sales_level", "figure_status"] == "final" and rows.loc["retail_sales_level", "figure_value"] == 660
    text, _ = pdf_text(folder / "briefing.zh.pdf")
    # figures still missing (tourist visits pending, an insufficient target): final monitoring, not an evaluation
    assert "终期监测（数据未齐）" in text.replace("\n", "") and "本期为终期评估" not in text.replace("\n", "")


# ------------------------------------------- issue 10: versions, staging, failures --
from datetime import datetime  # noqa: E402

from analysis.core import storage  # noqa: E402
from analysis.run.manifest import next_version  # noqa: E402
from analysis.checks.validate import ValidationFailed  # noqa: E402


def _publish(reports: Path, label: str, text: str, when: datetime) -> Path:
    """Publish a synthetic quarter folder the way run_quarter does (manifest with version, then swap)."""
    target = reports / label
    tmp = storage.new_staging_dir(target)
    (tmp / "synthetic_briefing.txt").write_text(text, encoding="utf-8")
    storage.write_json(tmp / "manifest.json", {"as_of": label, "version": next_version(target, when)})
    storage.publish_version(tmp, target)
    return target


def test_rerunning_a_quarter_keeps_every_earlier_version(tmp_path):
    reports = tmp_path / "reports"
    target = _publish(reports, "2025Q2", "first", datetime(2025, 8, 1, 9, 0, 0))
    _publish(reports, "2025Q2", "second", datetime(2025, 8, 2, 9, 0, 0))
    _publish(reports, "2025Q2", "third", datetime(2025, 8, 3, 9, 0, 0))
    assert (target / "synthetic_briefing.txt").read_text(encoding="utf-8") == "third"
    assert (target / "history" / "2025-08-01T09-00-00" / "synthetic_briefing.txt").read_text(encoding="utf-8") == "first"
    assert (target / "history" / "2025-08-02T09-00-00" / "synthetic_briefing.txt").read_text(encoding="utf-8") == "second"
    assert not (target / "history" / "2025-08-02T09-00-00" / "history").exists()     # no nesting
    version = json.loads((target / "manifest.json").read_text(encoding="utf-8"))["version"]
    assert version["number"] == 3 and version["published"] == "2025-08-03T09:00:00"
    assert version["replaces"] == {"number": 2, "published": "2025-08-02T09:00:00", "kept_in": "history/2025-08-02T09-00-00/"}
    assert [p.name for p in reports.iterdir()] == ["2025Q2"]                          # no staging left


def test_a_folder_from_before_versions_is_kept_too(tmp_path):
    old = tmp_path / "reports" / "2024Q4"
    old.mkdir(parents=True)
    (old / "synthetic_briefing.txt").write_text("sent to leadership", encoding="utf-8")
    storage.write_json(old / "manifest.json", {"as_of": "2024Q4", "finished": "2025-02-20T10:00:00"})
    target = _publish(tmp_path / "reports", "2024Q4", "rerun", datetime(2025, 3, 1))
    kept = target / "history" / "2025-02-20T10-00-00" / "synthetic_briefing.txt"
    assert kept.read_text(encoding="utf-8") == "sent to leadership"
    assert json.loads((target / "manifest.json").read_text(encoding="utf-8"))["version"]["number"] == 2


def test_published_folders_are_readable_by_the_team(tmp_path):
    target = _publish(tmp_path / "reports", "2025Q2", "x", datetime(2025, 8, 1))
    assert target.stat().st_mode & 0o777 == 0o755
    assert (target / "synthetic_briefing.txt").stat().st_mode & 0o777 == 0o644


def test_leftovers_of_killed_runs_are_cleaned_and_a_half_swap_is_undone(tmp_path):
    dead = 2 ** 22 + 12345            # above pid_max on ordinary systems: no such process
    (tmp_path / f".2025Q2-new-{dead}-ab12cd34").mkdir()
    (tmp_path / ".2025Q1-new-k3j4h5l6").mkdir()                     # mkdtemp name of older versions
    (tmp_path / f".2024Q4-old-{dead}-ab12cd34").mkdir()             # killed between the two renames
    (tmp_path / f".2024Q4-old-{dead}-ab12cd34" / "synthetic_briefing.txt").write_text("last good", encoding="utf-8")
    (tmp_path / f".clean-new-{os.getpid()}-ab12cd34").mkdir()       # a run still in progress (this process)
    (tmp_path / f".forecasts.csv.tmp-{dead}").write_text("half", encoding="utf-8")
    (tmp_path / "2025Q3").mkdir()
    storage.clean_leftovers(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".clean-new-{os.getpid()}-ab12cd34", "2024Q4", "2025Q3"]
    assert (tmp_path / "2024Q4" / "synthetic_briefing.txt").read_text(encoding="utf-8") == "last good"


@pytest.mark.skipif(shutil.which("chattr") is None, reason="chattr is not installed")
def test_an_immutable_target_gives_a_message_not_a_traceback(tmp_path):
    target = tmp_path / "reports" / "2025Q2"
    target.mkdir(parents=True)
    if subprocess.run(["chattr", "+i", str(target)], capture_output=True).returncode:
        pytest.skip("this filesystem has no immutable flag")
    try:
        with pytest.raises(InputError) as err:
            storage.check_writable(target)
        tmp = storage.new_staging_dir(target)
        with pytest.raises(InputError) as err2:
            storage.publish_version(tmp, target)
    finally:
        subprocess.run(["chattr", "-i", str(target)])
    for e in (err, err2):
        assert "cannot write here" in str(e.value) and "chattr -i" in str(e.value) and "nothing was changed" in str(e.value)
    assert sorted(p.name for p in target.parent.iterdir()) == ["2025Q2"]


def test_a_read_only_folder_gives_a_message(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(storage.os, "replace", refuse)
    with pytest.raises(InputError) as err:
        with storage.staged_dir(tmp_path / "clean") as tmp:
            (tmp / "x").write_text("x")
    assert "cannot write here: Permission denied" in str(err.value)
    assert [p.name for p in tmp_path.iterdir()] == []


def test_the_manifest_hashes_raw_files_config_and_every_output(quarter):
    folder, *_ = quarter
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["version"]["number"] == 1 and manifest["version"]["replaces"] is None
    assert set(manifest["config_files"]) == {f"config/{p.name}" for p in paths.CONFIG_DIR.glob("*.yaml")}
    assert {paths.relative(p) for p in paths.RAW_DIR.rglob("*") if p.is_file()} == set(manifest["raw_files"])
    outputs = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(manifest["outputs"]) == outputs and "briefing.zh.pdf" in outputs
    for name, digest in manifest["outputs"].items():
        assert storage.sha256(folder / name) == digest, name
    assert folder.stat().st_mode & 0o777 == 0o755


@pytest.mark.parametrize("full", [True, False], ids=["full", "replay-lean"])
def test_a_run_failing_at_validation_changes_nothing_but_the_failed_folder(quarter, tmp_path, full):
    """A lean run (a replay's quarters, no validation.pdf when the checks pass) still renders the PDF its message names."""
    folder, tmp = quarter
    reports, clean = tmp / "reports", tmp / "clean"
    before_report, before_clean = tree_digest(folder), tree_digest(clean)
    raw = tmp_path / "raw"
    shutil.copytree(Path(__file__).parent / "synthetic_verdicts", raw)
    shutil.copy(SYNTHETIC_DIR / "synthetic_ytd_falls_release.csv", raw)
    with pytest.raises(ValidationFailed) as err:
        run_quarter("2025Q2", reports_dir=reports, clean_dir=clean, raw_dir=raw, progress=lambda *_: None, langs=("zh",),
                    full=full)
    message = str(err.value)
    assert "2025Q2.failed/validation/validation.pdf" in message and "plausible.within_year" in message
    assert "nothing was written" not in message and "unchanged" in message
    assert tree_digest(folder) == before_report, "the published quarter must not change"
    assert tree_digest(clean) == before_clean, "data/clean must not change when the run fails"
    assert (reports / "2025Q2.failed" / "validation" / "validation.pdf").exists()
    leftovers = [p.name for d in (reports, tmp) for p in d.iterdir() if p.name.startswith(".")]
    assert leftovers == []


@pytest.mark.slow
def test_a_quarter_where_every_target_is_settled_or_unmodelled_still_runs(tmp_path):
    """The shipped data plus synthetic 2024 retail and tourism figures: no target keeps a projection (the retail and
    tourism targets are settled, the others have no model); the run must still publish, and assessment.csv keep
    every column."""
    import pandas as pd

    from analysis.model.assess import OPTIONAL_COLUMNS
    raw = tmp_path / "raw"
    shutil.copytree(paths.RAW_DIR, raw)
    for settled in (Path(__file__).parent / "synthetic_settled").glob("synthetic_settled_*.csv"):
        shutil.copy(settled, raw)          # 2024 figures for every indicator a target would project
    folder = run_quarter("2025Q2", reports_dir=tmp_path / "reports", clean_dir=tmp_path / "clean", raw_dir=raw,
                         progress=lambda *_: None, langs=("en",))
    rows = pd.read_csv(folder / "assessment.csv", encoding="utf-8-sig").set_index("target")
    assert rows.loc["retail_sales_level", "verdict"] == "not_achieved"        # 561.3 < 650, preliminary: settles
    assert rows["projection_q50"].isna().all() and set(OPTIONAL_COLUMNS) <= set(rows.columns)
    assert (folder / "briefing.en.pdf").exists()

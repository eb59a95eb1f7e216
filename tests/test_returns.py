"""Department returns (issue 13): forms out, returns in, their own rung of the evidence ladder, the chase list.

The returns are SYNTHETIC (tests/synthetic_returns/, made by make_synthetic_returns.py from the forms):
区科技局 complete, 区文广旅局 incomplete (good/), 区金融监管局 with typical slips (mistakes/).
"""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis.inputs.clean import run_clean
from analysis.model.departments import apply_returns, chase_list, unit_status
from analysis.core.errors import InputError
from analysis.inputs.forms import HELP_SHEET, LEGACY_SHEETS, MILESTONE_SHEET, STAT_SHEET, TARGET_SHEET, form_name, write_forms
from analysis.core.quarters import Quarter
from analysis.inputs.returns import read_returns
from conftest import tree_digest

SYN = Path(__file__).parent / "synthetic_returns"
Q = Quarter(2025, 4)
LEADS = {"区发改委", "区商务局", "区科技局", "区金融监管局", "区交通局", "区文广旅局", "区投资服务中心"}
# the synthetic returns were filled on the forms first sent (bilingual sheet names and headers), which still read
SYN_TARGET_SHEET = LEGACY_SHEETS[TARGET_SHEET]


@pytest.fixture(scope="module")
def forms(tmp_path_factory, cfg):
    out = tmp_path_factory.mktemp("forms")
    previous = pd.DataFrame([{"target": "tech_service_firms", "value": 20.0, "as_at": "2024-06-30",
                              "status_word": "=HYPERLINK(\"http://x\")", "completed": None}])
    return write_forms(cfg, Q, out, previous, {"tech_service_firms": "无公开数据"})


def test_forms_command_writes_one_workbook_per_lead_unit(run_cli, tmp_path, monkeypatch):
    from analysis.core import paths
    monkeypatch.setattr(paths, "REPORTS_DIR", tmp_path / "reports")
    monkeypatch.setattr(paths, "RETURNS_DIR", tmp_path / "returns")          # none yet: the first round
    code, out, err = run_cli("forms", "--as-of", "2025Q4")
    assert code == 0, err
    written = sorted((tmp_path / "reports" / "2025Q4" / "forms").glob("*.xlsx"))
    assert {p.stem.split("_")[-1] for p in written} == LEADS | {"区统计局"}      # and the statistics bureau's
    assert "8 workbooks" in out


def test_form_has_chinese_instructions_first_and_its_targets_prefilled(forms, cfg):
    wb = load_workbook(next(p for p in forms if p.stem.endswith("区科技局")))
    assert wb.sheetnames == [HELP_SHEET, TARGET_SHEET, MILESTONE_SHEET]
    help_text = "\n".join(str(c.value) for c in wb[HELP_SHEET]["A"] if c.value)
    assert "填报单位（牵头单位）：区科技局" in help_text and "未启动 / 推进中 / 已完成 / 已取消" in help_text
    # the plan ended on 2024-12-31: a 2025Q4 form asks for the values as at then (issue 24 point 2)
    assert "量化目标请填 2024年末（截至日期 2024-12-31）的数值" in help_text
    ws = wb[TARGET_SHEET]
    ids = [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)]
    assert ids == ["tech_service_firms", "tech_service_firms_100m", "tech_service_revenue",
                   "external_tech_service_projects", "tech_core_zone", "incubation_clusters"]
    row2 = [c.value for c in ws[2]]
    assert row2[2] == "累计培育规模以上科技服务业企业35家" and row2[5] == "不少于35家（2024年）"
    assert row2[6] == 20 and row2[7] == "2024-06-30"              # the last value the unit reported
    assert row2[8].startswith("'=")                               # text from a return never runs as a formula
    assert row2[9] == "无公开数据"                                  # what the last published briefing said


def test_form_protects_prefilled_cells_and_offers_drop_downs(forms):
    wb = load_workbook(next(p for p in forms if p.stem.endswith("区文广旅局")))
    for name in (TARGET_SHEET, MILESTONE_SHEET):
        ws = wb[name]
        assert ws.protection.sheet
        header = [c.value for c in ws[1]]
        locked = {h: ws.cell(2, j + 1).protection.locked for j, h in enumerate(header)}
        inputs = {"本期数值", "截至日期", "数据状态", "进展状态", "完成日期", "依据或文号", "联系人及电话", "备注"}
        assert {h for h, is_locked in locked.items() if not is_locked} == inputs & set(header)
        assert locked["目标编号"] and locked["条款"] and locked["上次状态"]
    lists = [dv.formula1 for dv in wb[MILESTONE_SHEET].data_validations.dataValidation if dv.type == "list"]
    assert lists == ['"未启动,推进中,已完成,已取消"']
    ws = wb[MILESTONE_SHEET]
    assert [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)] == [
        "culture_projects_2022", "culture_projects_2023", "culture_projects_2024", "culture_tourism_consumption_city"]


def test_good_returns_become_department_observations(cfg):
    ret = read_returns(SYN / "good", cfg, Q)
    assert set(ret["unit"]) == {"区科技局", "区文广旅局"}
    assert (ret["reliability"] == "department").all()
    row = ret.set_index("target").loc["tech_service_firms"]
    assert row["value"] == 38 and str(row["as_at"]) == "2024-12-31" and row["status"] == "reported"
    assert ret.set_index("target").loc["culture_projects_2022", "progress"] == "completed"


def test_a_return_with_mistakes_names_file_sheet_row_column_value_and_fix_and_changes_nothing(cfg, tmp_path):
    folder = tmp_path / "returns"
    for part in ("good", "mistakes"):
        shutil.copytree(SYN / part, folder, dirs_exist_ok=True)
    before = tree_digest(folder)
    with pytest.raises(InputError) as exc:
        read_returns(folder, cfg, Q)
    problems = exc.value.problems
    assert all(p.file.endswith("synthetic_台账_2025Q4_区金融监管局.xlsx") for p in problems)
    by_cell = {p.cell: p for p in problems}
    assert set(by_cell) == {"K2", "L3", "M4", "L5"}
    assert by_cell["K2"].value == "约3" and by_cell["K2"].column == "本期数值 value" and "digits only" in by_cell["K2"].fix
    assert by_cell["L3"].value == "2026-03-31" and "after the end of the quarter" in by_cell["L3"].message
    assert by_cell["M4"].value == "正式数" and "台账数" in by_cell["M4"].fix
    assert by_cell["L5"].row == 5 and by_cell["L5"].sheet == SYN_TARGET_SHEET      # named as the file names it
    assert "Fix:" in str(exc.value)
    assert tree_digest(folder) == before


def test_no_returns_folder_gives_an_empty_table(cfg, tmp_path):
    assert read_returns(tmp_path / "absent", cfg, Q).empty


@pytest.fixture(scope="module")
def clean_2025q4(tmp_path_factory):
    return run_clean("2025Q4", out_dir=tmp_path_factory.mktemp("clean"))


@pytest.fixture(scope="module")
def assessed(clean_2025q4, cfg):
    from analysis.model.assess import assess
    plain = assess(clean_2025q4, cfg).table
    returns = read_returns(SYN / "good", cfg, Q)
    return plain, assess(clean_2025q4, cfg, returns).table, returns


def test_a_filled_return_turns_no_public_data_into_a_verdict_marked_department(assessed):
    plain, with_returns, _ = assessed
    before, after = plain.set_index("target"), with_returns.set_index("target")
    for tid in ("tech_service_firms", "tech_service_firms_100m", "tech_core_zone", "culture_projects_2022"):
        assert before.loc[tid, "verdict_key"] == "no_public_data"
    assert after.loc["tech_service_firms", "verdict_key"] == "achieved_department"          # 38 >= 35
    assert after.loc["tech_service_firms_100m", "verdict_key"] == "not_achieved_department"  # 4 < 5
    assert after.loc["tech_service_firms", "verdict_zh"] == "已完成（部门报送）"
    assert after.loc["tech_service_firms", "figure_status"] == "department"                # 台账数
    assert after.loc["tech_service_revenue", "figure_status"] == "estimate, department"    # 预计数
    assert after.loc["culture_projects_2022", "verdict_key"] == "achieved_department"      # done 2022-12-20
    assert after.loc["culture_projects_2023", "verdict_key"] == "not_achieved_department"  # still 推进中 after 2023
    # targets no return covers are judged exactly as before
    untouched = after["return_obs_id"].isna()
    cols = ["verdict_key", "basis"]
    assert after.loc[untouched, cols].equals(before.loc[untouched[untouched].index, cols])


def test_a_return_never_overrides_a_published_statistic(clean_2025q4, cfg):
    from analysis.model.assess import assess
    plain = assess(clean_2025q4, cfg).table.set_index("target")
    published = plain[~plain["verdict_key"].isin(["no_public_data", "insufficient_data"])].index
    tid = published[0]
    fake = read_returns(SYN / "good", cfg, Q).iloc[[0]].assign(target=tid, value=1e9)
    after = assess(clean_2025q4, cfg, fake).table.set_index("target")
    assert after.loc[tid, "verdict_key"] == plain.loc[tid, "verdict_key"]
    assert after.loc[tid, "basis"] == plain.loc[tid, "basis"]


def test_chase_list_names_units_that_did_not_return_or_left_rows_empty(assessed, cfg):
    _, table, returns = assessed
    chase = chase_list(returns, cfg, Q).set_index("unit")
    assert set(chase.index) == LEADS - {"区科技局"}
    assert chase.loc["区文广旅局", "state"] == "incomplete"
    assert (chase.drop(index="区文广旅局")["state"] == "missing").all()
    status = unit_status(table, cfg).set_index("unit")
    assert status.loc["区科技局", "on_return"] == 6 and status.loc["区科技局", "achieved"] == 5


def test_no_returns_leave_the_assessment_exactly_as_it_was(assessed, cfg):
    plain, _, _ = assessed
    assert apply_returns(plain, read_returns(Path("/nonexistent"), cfg, Q), cfg, Q) is plain


def test_annex_and_briefing_line_name_the_units_to_chase_in_both_languages(assessed, cfg, tmp_path):
    from analysis.report.annex import chase_line, chase_note, sections, write_annex
    _, table, returns = assessed
    zh, en = chase_line(returns, cfg, Q, "zh"), chase_line(returns, cfg, Q, "en")
    assert "区金融监管局（未报送）" in zh and "区文广旅局（未填完）" in zh and "区科技局" not in zh
    assert "District Financial Supervision Bureau (missing)" in en and "Science and Technology" not in en
    assert chase_note(cfg, Q, "zh", tmp_path / "no_returns_yet") == ""          # the shipped state: no line at all
    text = "\n".join(sections(table, returns, cfg, Q, "en"))
    assert "## Chase list" in text and "## Milestones" in text and "achieved (department return)" in text
    [pdf] = write_annex(tmp_path, table, returns, cfg, Q, ("zh",), "typst")
    assert pdf.name == "departments.zh.pdf" and pdf.read_bytes().startswith(b"%PDF")


def test_a_folder_holding_only_the_forms_is_not_a_published_version(tmp_path):
    from analysis.core import storage
    (tmp_path / "2025Q4" / "forms").mkdir(parents=True)
    assert storage.current_version(tmp_path / "2025Q4") is None
    (tmp_path / "2025Q4" / "briefing.zh.pdf").write_bytes(b"%PDF")
    assert storage.current_version(tmp_path / "2025Q4")["number"] == 1


def test_last_verdicts_come_from_the_latest_published_assessment_up_to_the_quarter(tmp_path):
    from analysis.inputs.forms import last_verdicts
    for label, verdict in (("2025Q3", "无公开数据"), ("2025Q4", "已完成（部门报送）"), ("2026Q1", "later")):
        (tmp_path / label).mkdir()
        pd.DataFrame({"target": ["tech_core_zone"], "verdict_zh": [verdict]}).to_csv(
            tmp_path / label / "assessment.csv", index=False, encoding="utf-8-sig")
    assert last_verdicts(tmp_path, Q) == {"tech_core_zone": "已完成（部门报送）"}
    assert last_verdicts(tmp_path / "none", Q) == {}


def test_a_return_is_checked_like_a_raw_workbook_hidden_rows_merged_cells_stray_files(cfg, tmp_path):
    folder = tmp_path / "returns" / "2025Q4"
    folder.mkdir(parents=True)
    src = SYN / "good" / "2025Q4" / "synthetic_台账_2025Q4_区科技局.xlsx"
    wb = load_workbook(src)
    ws = wb[SYN_TARGET_SHEET]
    ws.row_dimensions[3].hidden = True
    ws.merge_cells("N6:O6")
    wb.save(folder / "synthetic_tampered.xlsx")
    (tmp_path / "returns" / "stray.xlsx").write_bytes(b"")
    with pytest.raises(InputError) as exc:
        read_returns(tmp_path / "returns", cfg, Q)
    messages = [(p.file.rsplit("/", 1)[-1], p.row, p.message) for p in exc.value.problems]
    assert ("stray.xlsx", None, "is not a quarter folder: returns are kept in data/returns/<quarter>/") in messages
    (tmp_path / "returns" / "stray.xlsx").unlink()
    with pytest.raises(InputError) as exc:
        read_returns(tmp_path / "returns", cfg, Q)
    found = {(p.row, p.sheet) for p in exc.value.problems}
    assert (3, SYN_TARGET_SHEET) in found and (6, SYN_TARGET_SHEET) in found
    assert any("hidden row" in p.message for p in exc.value.problems)
    assert any("merged cells" in p.message for p in exc.value.problems)


def test_one_return_never_settles_a_target_every_quarter_must_reach(assessed, cfg):
    plain, _, returns = assessed
    every_quarter = next(t.id for t in cfg.targets if t.per == "quarter")
    fake = returns[returns["kind"] == "target"].iloc[[0]].assign(target=every_quarter, value=99.0)
    after = apply_returns(plain, fake, cfg, Q).set_index("target")
    assert after.loc[every_quarter, "verdict_key"] == plain.set_index("target").loc[every_quarter, "verdict_key"]
    assert pd.isna(after.loc[every_quarter, "return_obs_id"])


# ------------------------------------------------ provenance: return figures have ids like published ones --
@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """run_assessment (the forecast notebook's step) with the synthetic returns: assessment.csv, figures.csv, returns.csv."""
    from analysis.model.assess import run_assessment
    out, clean = tmp_path_factory.mktemp("report"), tmp_path_factory.mktemp("clean_ra")
    run_assessment("2025Q4", out, clean_dir=clean, returns_dir=SYN / "good")
    read = {n: pd.read_csv(out / f"{n}.csv", encoding="utf-8-sig") for n in ("assessment", "figures", "returns")}
    return read["assessment"], read["figures"], read["returns"]


def test_every_return_read_is_a_row_of_figures_csv_with_an_r_id_file_sheet_row_unit_evidence_contact(written):
    _, figures, returns = written
    rows = figures[figures["reliability"] == "department"].set_index("figure_id")
    assert len(rows) == len(returns) == 10
    assert rows.index.str.fullmatch(r"R[a-z2-7]{6}").all()
    assert not figures["figure_id"].duplicated().any()
    assert not figures.loc[figures["reliability"] != "department", "figure_id"].str.startswith("R").any()
    for r in returns.itertuples():          # the same id in returns.csv and figures.csv, and the same row behind it
        f = rows.loc[r.figure_id]
        assert (f["raw_file"], f["raw_sheet"], int(f["raw_row"]), f["return_unit"], f["target"]) == (r.file, r.sheet, r.row, r.unit, r.target)
        assert (f["evidence"], f["contact"]) == ("SYNTHETIC test data", "synthetic contact")
    firms = rows[rows["target"] == "tech_service_firms"].iloc[0]
    assert (firms["value"], firms["unit"], firms["period"], firms["role"]) == (38.0, "家", "2024-12-31", "department")
    done = rows[rows["target"] == "culture_projects_2022"].iloc[0]
    assert done["status"] == "completed" and pd.isna(done["value"]) and done["period"].startswith("2022-")


def test_a_verdict_resting_on_a_return_cites_its_r_id_in_assessment_briefing_and_annex(written, cfg):
    from analysis.report.annex import sections
    from analysis.report.briefing import evidence_ids, evidence_text, has_figures, status_table
    from analysis.inputs.figures import cited_ids
    table, figures, returns = written
    on_return = table[table["return_obs_id"].notna()].set_index("target")
    assert len(on_return) == len(returns) == 10     # every synthetic return judges a target nothing published could
    rid = returns.set_index("target")["figure_id"]
    for tid, r in on_return.iterrows():
        assert r["figure_ids"] == rid[tid] and f"[{rid[tid]}]" in r["basis"]
    assert cited_ids(table) <= set(figures["figure_id"])              # every id the assessment cites resolves
    firms = on_return.loc["tech_service_firms"].copy()
    firms["target"] = "tech_service_firms"
    assert evidence_text(firms, cfg, "zh", ids=True).endswith(f"[{rid['tech_service_firms']}]")   # ids: annex, not body
    # the briefing's body names the figure without its id; the technical annex lists the ids per target
    evidence = status_table(table[has_figures(table)], cfg, "en")["Evidence"]
    assert evidence.str.contains("department return").any() and not evidence.str.contains(r"\[R").any()
    assert evidence_ids(table[has_figures(table)], "en")["Target-year figure"].str.contains(rid["tech_service_revenue"]).any()
    for lang in ("zh", "en"):
        annex = "\n".join(sections(table, read_returns(SYN / "good", cfg, Q), cfg, Q, lang))
        assert rid["tech_service_firms"] in annex and rid["culture_projects_2022"] in annex and "figures.csv" in annex


def _set_cells(path: Path, sheet: str, values: dict[str, object]) -> None:
    wb = load_workbook(path)
    for cell, v in values.items():
        wb[sheet][cell] = v
    wb.save(path)


def test_a_figure_typed_into_the_grey_last_value_cell_of_an_empty_row_is_refused(cfg, tmp_path):
    """The grey cell is never read: a figure typed there instead of in the value column would be lost."""
    folder = tmp_path / "returns"
    shutil.copytree(SYN / "good", folder)
    form = next((folder / "2025Q4").glob("*区文广旅局.xlsx"))
    _set_cells(form, SYN_TARGET_SHEET, {"G2": 125})             # museum_visits: value, date and status left empty
    with pytest.raises(InputError) as exc:
        read_returns(folder, cfg, Q)
    (p,) = exc.value.problems
    assert (p.cell, p.value, p.sheet) == ("G2", "125", SYN_TARGET_SHEET) and "last value" in p.column
    assert "value column" in p.fix and "sent with it empty" in p.message


def test_a_grey_last_value_as_the_form_was_sent_is_accepted_and_a_changed_one_is_not(cfg, tmp_path):
    """In the next quarter the form shows the figure returned before (38): left as sent, the empty row is fine."""
    folder = tmp_path / "returns"
    shutil.copytree(SYN / "good", folder)
    nxt = folder / "2026Q1"
    nxt.mkdir()
    form = nxt / "synthetic_台账_2026Q1_区科技局.xlsx"
    shutil.copy(next((folder / "2025Q4").glob("*区科技局.xlsx")), form)
    wb = load_workbook(form)                     # the 2026Q1 form says so in its page headers, as forms.py writes it
    for ws in wb.worksheets:
        ws.oddHeader.center.text = ws.oddHeader.center.text.replace("2025Q4", "2026Q1")
    wb.save(form)
    _set_cells(form, SYN_TARGET_SHEET, {"G2": 38, "K2": None, "L2": None, "M2": None})   # tech_service_firms: 38 in 2025Q4
    assert len(read_returns(folder, cfg, Quarter(2026, 1))) > 0
    _set_cells(form, SYN_TARGET_SHEET, {"G2": 41})
    with pytest.raises(InputError) as exc:
        read_returns(folder, cfg, Quarter(2026, 1))
    assert [(p.cell, p.value) for p in exc.value.problems] == [("G2", "41")]
    assert "sent with it 38" in exc.value.problems[0].message


# ------------------------------------------- issue 24 point 2: returns settle only what they can --
def _one_return(returns: pd.DataFrame, target: str, **changes) -> pd.DataFrame:
    """The synthetic return of target with its cells changed as a unit might have typed them."""
    row = returns[returns["target"] == target].iloc[[0]].copy()
    for key, value in changes.items():
        row[key] = [value]
    return row


def test_a_value_as_at_a_date_after_the_plan_period_is_shown_and_never_settles(assessed, cfg):
    from datetime import date

    plain, _, returns = assessed
    # 38 firms "as at 2025-12-31" for a 2022-2024 target (35): what happened in 2025, not by the end of 2024
    late = _one_return(returns, "tech_service_firms", as_at=date(2025, 12, 31))
    after = apply_returns(plain, late, cfg, Q).set_index("target")
    before = plain.set_index("target")
    assert after.loc["tech_service_firms", "verdict_key"] == before.loc["tech_service_firms", "verdict_key"] == "no_public_data"
    assert "after the plan period" in after.loc["tech_service_firms", "basis"]
    assert "2025-12-31" in after.loc["tech_service_firms", "basis"] and "2024-12-31" in after.loc["tech_service_firms", "basis"]
    # with the value as at the end of 2024 returned too (an earlier quarter's form), that one decides
    both = pd.concat([_one_return(returns, "tech_service_firms", as_at=date(2024, 12, 31), value=36.0, quarter="2025Q1"), late])
    decided = apply_returns(plain, both, cfg, Q).set_index("target")
    assert decided.loc["tech_service_firms", "verdict_key"] == "achieved_department"       # 36 >= 35 at the end of 2024
    assert decided.loc["tech_service_firms", "figure_value"] == 36.0


def test_figures_csv_marks_a_value_after_the_plan_period(cfg, assessed):
    from datetime import date

    from analysis.inputs.figures import return_rows

    _, _, returns = assessed
    late = _one_return(returns, "tech_service_firms", as_at=date(2025, 6, 30))
    row = return_rows(late, {t.id: t for t in cfg.targets})[0]
    assert row["role"] == "department_after_period"
    assert "never settles" in row["role_note"]


def test_an_estimate_return_says_estimate_and_is_pending_inside_the_estimate_revision_margin(assessed, cfg):
    plain, _, returns = assessed
    margin = float(cfg.settings["assessment"]["evidence"]["revision_margin_pct"]["estimate"])
    assert margin == 3.0          # the hand-made values below sit either side of 3 % from the line of 35
    far = _one_return(returns, "tech_service_firms", status="estimate", value=40.0)      # 14 % above 35
    after = apply_returns(plain, far, cfg, Q).set_index("target")
    assert after.loc["tech_service_firms", "verdict_key"] == "achieved_department_estimate"
    assert after.loc["tech_service_firms", "verdict_zh"] == "已完成（部门报送，预计数）"
    assert after.loc["tech_service_firms", "verdict_en"] == "achieved (department return, estimate)"
    assert after.loc["tech_service_firms", "figure_status"] == "estimate, department"
    short = _one_return(returns, "tech_service_firms", status="estimate", value=30.0)    # 14 % below
    assert apply_returns(plain, short, cfg, Q).set_index("target").loc["tech_service_firms", "verdict_key"] \
        == "not_achieved_department_estimate"
    close = _one_return(returns, "tech_service_firms", status="estimate", value=35.5)    # 1.4 % above: inside 3 %
    assert apply_returns(plain, close, cfg, Q).set_index("target").loc["tech_service_firms", "verdict_key"] == "pending_revision"
    firm = _one_return(returns, "tech_service_firms", status="reported", value=35.5)     # a 台账数 at the line settles
    assert apply_returns(plain, firm, cfg, Q).set_index("target").loc["tech_service_firms", "verdict_key"] == "achieved_department"


# ------------------------------- issue 26 point 7: the forms as sent today (Chinese only, ids hidden) read back --
def _synthetic_maker():
    """tests/synthetic_returns/make_synthetic_returns.py as a module: its FILLS and its fill()."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("make_synthetic_returns", SYN / "make_synthetic_returns.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _filled(tmp_path: Path, cfg, folder: str, quarter: Quarter = Q, fills: dict | None = None) -> Path:
    """The forms written today for quarter, filled as make_synthetic_returns fills the synthetic ones, in a returns folder."""
    maker = _synthetic_maker()
    forms = write_forms(cfg, quarter, tmp_path / "forms")
    out = tmp_path / "returns" / quarter.label
    out.mkdir(parents=True, exist_ok=True)
    for (part, unit), rows in (fills or maker.FILLS).items():
        if part == folder:
            dest = out / f"synthetic_{next(p for p in forms if p.stem.endswith(unit)).name}"
            shutil.copy(next(p for p in forms if p.stem.endswith(unit)), dest)
            maker.fill(dest, rows)
    return tmp_path / "returns"


def test_a_form_sent_today_and_filled_reads_back_exactly_as_the_forms_first_sent(cfg, tmp_path):
    """The same figures typed into today's form (Chinese headers, ids in a hidden column) and into the form first
    sent (tests/synthetic_returns/good) give the same observations, row for row."""
    old = read_returns(SYN / "good", cfg, Q)
    new = read_returns(_filled(tmp_path, cfg, "good"), cfg, Q)
    cols = ["target", "kind", "row", "unit", "value", "target_unit", "as_at", "status", "status_word", "progress",
            "completed", "evidence", "contact", "comment", "reliability", "period"]
    assert len(new) == len(old) == 10
    pd.testing.assert_frame_equal(new[cols].reset_index(drop=True), old[cols].reset_index(drop=True))
    assert set(new["sheet"]) == {TARGET_SHEET, MILESTONE_SHEET} and set(old["sheet"]) == set(LEGACY_SHEETS.values())


def test_slips_on_a_form_sent_today_are_named_by_its_chinese_headers(cfg, tmp_path):
    folder = _filled(tmp_path, cfg, "mistakes")
    with pytest.raises(InputError) as exc:
        read_returns(folder, cfg, Q)
    by_cell = {p.cell: p for p in exc.value.problems}
    assert set(by_cell) == {"K2", "L3", "M4", "L5"}                     # as on the forms first sent
    assert by_cell["K2"].column == "本期数值" and by_cell["M4"].column == "数据状态" and by_cell["L5"].sheet == TARGET_SHEET


def test_a_form_sent_for_another_quarter_is_known_by_its_chinese_page_header(cfg, tmp_path):
    folder = _filled(tmp_path, cfg, "good")
    (folder / "2025Q4").rename(folder / "2026Q1")            # the 2025年第四季度 forms, saved as 2026Q1's returns
    with pytest.raises(InputError) as exc:
        read_returns(folder, cfg, Quarter(2026, 1))
    assert {p.value for p in exc.value.problems} == {"台账 2025年第四季度"}
    assert all("is the form sent for 2025Q4" in p.message for p in exc.value.problems)


# value, the grey date as the form was sent (the period's end), status
PERIOD_FILLS = {("per", "区投资服务中心"): {f"investment_promotion_events@{y}Q{q}": (q % 2 + 1, Quarter(y, q).end, "台账数")
                                     for y in (2022, 2023, 2024) for q in (1, 2, 3, 4) if (y, q) != (2023, 3)},
                ("per", "区发改委"): {"key_service_projects@2022": (6, date(2022, 12, 31), "台账数"),
                                    "key_service_projects@2024": (4, date(2024, 12, 31), "预计数")}}


def test_each_period_of_a_target_asked_per_period_reads_back_to_its_period(cfg, tmp_path):
    returns = read_returns(_filled(tmp_path, cfg, "per", fills=PERIOD_FILLS), cfg, Q)
    events = returns[returns["target"] == "investment_promotion_events"].set_index("period")
    assert len(events) == 11 and "2023Q3" not in events.index             # the row left empty is not read
    assert events.loc["2022Q1", "value"] == 2 and events.loc["2022Q2", "value"] == 1
    assert str(events.loc["2024Q2", "as_at"]) == "2024-06-30" and str(events.loc["2022Q4", "as_at"]) == "2022-12-31"
    assert (events["unit"] == "区投资服务中心").all() and (events["status"] == "reported").all()
    projects = returns[returns["target"] == "key_service_projects"].set_index("period")
    assert projects["value"].to_dict() == {"2022": 6.0, "2024": 4.0} and projects.loc["2024", "status"] == "estimate"
    assert str(projects.loc["2022", "as_at"]) == "2022-12-31"
    # one value cannot settle a target every period must reach: the model keeps its public verdict (departments.py)
    assert returns.loc[returns["period"] == "", "target"].isin(["new_four_star_hotels"]).all()


def test_a_changed_period_date_or_an_unknown_period_is_refused(cfg, tmp_path):
    folder = _filled(tmp_path, cfg, "per", fills={("per", "区投资服务中心"): PERIOD_FILLS[("per", "区投资服务中心")]})
    form = next((folder / "2025Q4").glob("*区投资服务中心.xlsx"))
    _set_cells(form, TARGET_SHEET, {"L2": "2022-06-30", "A3": "investment_promotion_events@2026Q1"})
    with pytest.raises(InputError) as exc:
        read_returns(folder, cfg, Q)
    problems = {p.cell: p for p in exc.value.problems}
    assert set(problems) == {"L2", "A3"}
    assert "grey date cell was changed" in problems["L2"].message and "2022-03-31" in problems["L2"].fix
    assert "names a period (2026Q1)" in problems["A3"].message


def test_the_hidden_id_column_is_read_and_any_column_a_unit_hides_is_still_refused(cfg, tmp_path):
    folder = _filled(tmp_path, cfg, "good")
    form = next((folder / "2025Q4").glob("*区科技局.xlsx"))
    wb = load_workbook(form)
    wb[TARGET_SHEET].column_dimensions["A"].hidden = False            # a unit that shows the ids changes nothing
    wb.save(form)
    assert read_returns(folder, cfg, Q).set_index("target").loc["tech_service_firms", "value"] == 38
    wb[TARGET_SHEET].column_dimensions["P"].hidden = True             # a note hidden in the comment column is not
    wb[TARGET_SHEET]["P3"] = "SYNTHETIC 实际有40家"
    wb.save(form)
    with pytest.raises(InputError) as exc:
        read_returns(folder, cfg, Q)
    assert [p.message for p in exc.value.problems] == ["column P is hidden but holds data"]   # named at its header, P1


def _bureau_return(tmp_path: Path, cfg, values: dict[str, tuple]) -> Path:
    """The statistics bureau's 2025Q4 form with rows filled: row key -> (value, status, source)."""
    forms = write_forms(cfg, Q, tmp_path / "forms")
    folder = tmp_path / "returns" / Q.label
    folder.mkdir(parents=True)
    path = folder / f"synthetic_{form_name(Q, '区统计局')}"
    shutil.copy(next(p for p in forms if p.stem.endswith("区统计局")), path)
    wb = load_workbook(path)
    ws = wb[STAT_SHEET]
    col = {c.value: c.column for c in ws[1]}
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, 1).value in values:
            for header, v in zip(("数值", "数据状态", "来源文件或文号"), values[ws.cell(r, 1).value]):
                ws.cell(r, col[header], v)
    wb.save(path)
    return tmp_path / "returns"


def test_what_the_statistics_bureau_returns_reads_back_apart_from_the_department_returns(cfg, tmp_path):
    from analysis.inputs.returns import read_statistics
    folder = _bureau_return(tmp_path, cfg, {"retail_sales_growth@2022": (-2.1, "年报", "SYNTHETIC 2022年统计公报"),
                                            "retail_sales_growth@2023": ("8.5", "快报", "SYNTHETIC 统计月报2023年12期"),
                                            "new_service_firms@2024": (61, "快报", "SYNTHETIC 入库名单")})
    shutil.copytree(SYN / "good", tmp_path / "returns", dirs_exist_ok=True)
    stats = read_statistics(folder, cfg, Q).set_index(["target", "period"])
    assert len(stats) == 3 and (stats["unit"] == "区统计局").all()
    retail = stats.loc[("retail_sales_growth", "2022")]
    assert (retail["value"], retail["measure"], retail["status"], retail["status_word"]) == (-2.1, "growth_pct", "final", "年报")
    assert retail["indicator"] == "retail_sales" and str(retail["as_at"]) == "2022-12-31" and retail["target_unit"] == "%"
    assert stats.loc[("retail_sales_growth", "2023"), "status"] == "preliminary"
    firms = stats.loc[("new_service_firms", "2024")]
    assert (firms["value"], firms["measure"], firms["target_unit"]) == (61.0, "new_entries", "家")
    # the department returns read as before: the bureau's file beside them adds no row there
    cols = ["target", "kind", "row", "unit", "value", "as_at", "status", "progress", "completed"]
    assert read_returns(folder, cfg, Q)[cols].equals(read_returns(SYN / "good", cfg, Q)[cols])


def test_a_bureau_figure_without_source_or_status_or_a_negative_count_is_refused(cfg, tmp_path):
    from analysis.inputs.returns import read_statistics
    folder = _bureau_return(tmp_path, cfg, {"retail_sales_growth@2022": (9.1, "年报", None),
                                            "retail_sales_growth@2023": (8.5, "正式数", "SYNTHETIC 公报"),
                                            "new_service_firms@2023": (-3, "快报", "SYNTHETIC 入库名单")})
    with pytest.raises(InputError) as exc:
        read_statistics(folder, cfg, Q)
    messages = {(p.row, p.column): p.message for p in exc.value.problems}
    assert len(messages) == 3
    assert any(c == "来源文件或文号" and "no source document" in m for (_, c), m in messages.items())
    assert any(c == "数据状态" and "not a data status" in m for (_, c), m in messages.items())
    assert any(c == "数值" and "negative" in m for (_, c), m in messages.items())


def test_each_period_of_a_per_period_target_is_its_own_figure_not_superseded(cfg):
    """SYNTHETIC returns for 每季度1-2场 (one row per quarter, forms.py): both quarters' rows are figures in use
    (role department), and a second return of the same quarter supersedes only that quarter's row."""
    from datetime import date

    from analysis.inputs.figures import return_rows
    from analysis.inputs.returns import RETURN_COLUMNS

    def row(obs, quarter, period, value, day):
        r = dict.fromkeys(RETURN_COLUMNS, "")
        r.update(obs_id=obs, quarter=quarter, file="synthetic.xlsx", sheet="量化目标", row=3, unit="区商务局",
                 target="investment_promotion_events", kind="target", value=value, target_unit="场", as_at=day,
                 status="reported", period=period, completed=None)
        return r

    returns = pd.DataFrame([row("2023Q2/a.xlsx:量化目标:3", "2023Q2", "2023Q1", 2, date(2023, 3, 31)),
                            row("2023Q2/a.xlsx:量化目标:4", "2023Q2", "2023Q2", 1, date(2023, 6, 30)),
                            row("2023Q3/b.xlsx:量化目标:3", "2023Q3", "2023Q2", 2, date(2023, 6, 30))])
    targets = {t.id: t for t in cfg.targets}
    roles = {r["obs_id"]: r["role"] for r in return_rows(returns, targets)}
    assert roles == {"2023Q2/a.xlsx:量化目标:3": "department", "2023Q2/a.xlsx:量化目标:4": "department_superseded",
                     "2023Q3/b.xlsx:量化目标:3": "department"}


def _period_returns(values: dict[str, float], quarter: str = "2025Q1"):
    """SYNTHETIC per-quarter returns of 每季度1-2场 (investment_promotion_events), one row per period."""
    from datetime import date

    from analysis.inputs.returns import RETURN_COLUMNS
    from analysis.inputs.returns_form import period_end

    rows = []
    for i, (period, value) in enumerate(values.items()):
        r = dict.fromkeys(RETURN_COLUMNS, "")
        r.update(obs_id=f"{quarter}/synthetic.xlsx:量化目标:{i + 3}", quarter=quarter, file="synthetic.xlsx", sheet="量化目标",
                 row=i + 3, unit="区商务局", target="investment_promotion_events", kind="target", value=value,
                 target_unit="场", as_at=period_end(period, Quarter.from_label("2099Q4")), status="reported",
                 status_word="台账数", period=period, completed=None)
        rows.append(r)
    return pd.DataFrame(rows)


def test_a_per_quarter_target_is_judged_on_every_returned_quarter(cfg):
    from analysis.model.departments import judge_periods

    t = next(t for t in cfg.targets if t.id == "investment_promotion_events")
    every = {f"{y}Q{q}": 1.0 for y in (2022, 2023, 2024) for q in (1, 2, 3, 4)}
    assert judge_periods(t, _period_returns(every), cfg, Quarter.from_label("2025Q2"))[0] == "achieved_department"
    table = pd.DataFrame([{"target": t.id, "type": "count", "verdict": "no_public_data", "verdict_key": "no_public_data",
                           "verdict_zh": "无公开数据", "verdict_en": "no public data", "basis": ""}])
    judged = apply_returns(table, _period_returns(every), cfg, Quarter.from_label("2025Q2")).iloc[0]
    assert judged["verdict_key"] == "achieved_department" and judged["verdict_zh"] == "已完成（部门报送）"
    short = {**every, "2023Q3": 0.0}
    key, basis = judge_periods(t, _period_returns(short), cfg, Quarter.from_label("2025Q2"))
    assert key == "not_achieved_department" and "2023Q3: 0" in basis
    so_far = {p: v for p, v in every.items() if p <= "2023Q2"}        # every quarter ended by 2023Q2
    assert judge_periods(t, _period_returns(so_far), cfg, Quarter.from_label("2023Q2"))[0] == "on_track"



def test_a_year_still_running_is_not_judged_on_its_count_so_far(cfg):
    """力争每年纳入…不少于5个 (per year): at 2024Q2 the 2024 row holds 2 so far; only 2022 and 2023 are judged."""
    from analysis.model.departments import judge_periods

    t = next(t for t in cfg.targets if t.id == "key_service_projects")
    rows = _period_returns({"2022": 6.0, "2023": 5.0, "2024": 2.0}, quarter="2024Q2").assign(
        target="key_service_projects", unit="区发改委", target_unit="个")
    key, basis = judge_periods(t, rows, cfg, Quarter.from_label("2024Q2"))
    assert key == "on_track" and "2024" not in basis


def test_the_bureaus_growth_rates_settle_a_growth_target_and_are_cited_to_their_row(cfg, tmp_path):
    """SYNTHETIC bureau return on the shipped data: retail sales grew 8.0 % in 2023 and 5.0 % in 2024 (年报). With
    the published 3.0 % of 2022 the average is (1.03 x 1.08 x 1.05)^(1/3) - 1 = 5.3 %, short of the 9.0 % that
    "10 %左右" allows: not achieved, where the published figures alone leave it pending. The figure it rests on is
    in figures.csv with the bureau's file and row."""
    from analysis.core import paths
    from analysis.model.assess import run_assessment

    folder = _bureau_return(tmp_path, cfg, {"retail_sales_growth@2023": (8.0, "年报", "SYNTHETIC 统计公报2023"),
                                            "retail_sales_growth@2024": (5.0, "年报", "SYNTHETIC 统计公报2024")})
    before, _ = run_assessment(Q.label, tmp_path / "out0", clean_dir=tmp_path / "clean", raw_dir=paths.RAW_DIR,
                               returns_dir=tmp_path / "none")
    # the same clean folder: the returned file is an input, so the clean data is rebuilt with it
    after, result = run_assessment(Q.label, tmp_path / "out1", clean_dir=tmp_path / "clean", raw_dir=paths.RAW_DIR,
                                   returns_dir=folder)
    assert any("区统计局" in f for f in result.input_hashes)
    row0 = before.table.set_index("target").loc["retail_sales_growth"]
    row = after.table.set_index("target").loc["retail_sales_growth"]
    assert row0["verdict"] == "pending"
    assert row["verdict"] == "not_achieved", (row["verdict_key"], row["basis"])
    assert "5.3" in str(row["basis"])
    figures = pd.read_csv(tmp_path / "out1" / "figures.csv", dtype=str)
    bureau = figures[figures["raw_file"].fillna("").str.contains("区统计局")]
    assert set(bureau["period"]) == {"2023年", "2024年"} and bureau["raw_row"].notna().all()
    assert set(bureau["growth_pct"].astype(float)) == {8.0, 5.0} and set(bureau["status"]) == {"final"}

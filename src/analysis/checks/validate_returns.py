"""The department returns in the validation report: what was read, and a small Great Expectations suite on it.

returns.py already refuses a malformed return before anything runs (file,
sheet, row, column, value and fix), so these checks are not a second reader:
they let an auditor see, in validation.pdf and the Data Docs, that the
returns behind department-return verdicts were read and checked, and they
guard the table the assessment uses against a later change of the reader.
Four expectations on the table of returns read (one row per filled row of a
returned form, returns.read_returns):
- values are not negative (error; counts and totals are 0 or more);
- the as-at or completion date lies within the plan: from 1 January of its
  first year to the end of the report quarter (warning: a date before the
  plan is likely a typo of the year, but may be a count carried over);
- the data status or progress is a word of the form's drop-down (error);
- the unit is the lead unit of the target it answers (error; the unit is a
  known lead unit of the plan, responsible.py).
Without data/returns/ (the shipped state) there is no suite and no section:
the validation report is as before. The suite is one more table for the same
Great Expectations run (validate.run_checks), so it costs a fraction of a second.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from analysis.core import paths, storage
from analysis.core.config import Config
from analysis.inputs.forms import FIGURE_STATUS, MILESTONE_STATUS
from analysis.core.quarters import Quarter
from analysis.inputs.responsible import lead_units, responsibilities

TABLE = "returns"


def plan_start(cfg: Config) -> date:
    """The first day of the plan period (config: plan_years)."""
    return date(min(cfg.plan_years), 1, 1)


def returns_table(returns: pd.DataFrame) -> pd.DataFrame:
    """The table the checks run on: one row per return row, its value as a number and its day (as-at or completion)."""
    cols = ["figure_id", "obs_id", "file", "sheet", "row", "unit", "target", "kind", "value", "day", "status_word"]
    if returns is None or returns.empty:
        return pd.DataFrame(columns=cols)
    out = returns.copy()
    out["value"] = pd.to_numeric(out["value"], errors="coerce").astype(float)
    day = [a if k == "target" else c for k, a, c in zip(out["kind"], out["as_at"], out["completed"])]
    out["day"] = pd.to_datetime(pd.Series(day, index=out.index, dtype=object), errors="coerce")
    out["status_word"] = out["status_word"].fillna("").astype(str)
    return out[cols].reset_index(drop=True)


def define_return_checks(cfg: Config, as_of: Quarter) -> list:
    """The four checks on the returns table (validate.Check, in the order the report lists them)."""
    import great_expectations as gx

    from analysis.checks.check_tables import SEVERITY_GX, Check

    def check(id_, table, severity, zh, en, fix, expectation_cls, show, **kwargs) -> Check:      # as validate.define_checks
        exp = expectation_cls(**kwargs, severity=SEVERITY_GX[severity], meta={"check_id": id_, "title_zh": zh, "title_en": en},
                              description=f"[{id_} · {severity}] {zh} / {en}")
        return Check(id_, table, severity, zh, en, fix, exp, tuple(show))

    E = gx.expectations
    start = plan_start(cfg)
    show = ("figure_id", "unit", "target", "value", "day", "status_word")
    pairs = [(tid, r.lead) for tid, r in responsibilities(cfg).items()]
    return [
        check("returns.value_non_negative", TABLE, "error", "部门报送数值非负", "Department returns: values are not negative",
              "correct the value in the returned form (a count or total is 0 or more) and save it as a new return",
              E.ExpectColumnValuesToBeBetween, column="value", min_value=0, show=show),
        check("returns.day_in_plan", TABLE, "warning", f"部门报送日期在规划期内（{start.isoformat()}至报告季度末）",
              f"Department returns: dates lie within the plan ({start.isoformat()} to the end of the report quarter)",
              "check the year of the as-at or completion date with the unit that returned it",
              E.ExpectColumnValuesToBeBetween, column="day", min_value=pd.Timestamp(start).to_pydatetime(),
              max_value=pd.Timestamp(as_of.end).to_pydatetime(), show=show),
        check("returns.status_in_list", TABLE, "error", "部门报送状态属于下拉选项", "Department returns: status is one of the form's list",
              "choose the status from the form's drop-down (" + "/".join([*FIGURE_STATUS, *MILESTONE_STATUS]) + ")",
              E.ExpectColumnValuesToBeInSet, column="status_word", value_set=[*FIGURE_STATUS, *MILESTONE_STATUS], show=show),
        check("returns.unit_leads_target", TABLE, "error", "报送单位为该目标的牵头单位",
              "Department returns: the unit is the lead unit of the target it reports",
              "each unit returns its own form: the target belongs to another lead unit's form (responsible.py)",
              E.ExpectColumnPairValuesToBeInSet, column_A="target", column_B="unit", value_pairs_set=pairs, show=show),
    ]


def files_read(returns: pd.DataFrame, returns_dir: Path) -> pd.DataFrame:
    """One row per returned file read: quarter, file, unit, targets and milestones filled, SHA-256."""
    cols = ["quarter", "file", "unit", "targets", "milestones", "sha256"]
    if returns is None or returns.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for (quarter, rel), g in returns.groupby(["quarter", "file"], sort=True):
        path = Path(rel) if Path(rel).is_absolute() else paths.ROOT / rel
        rows.append({"quarter": quarter, "file": Path(rel).name, "unit": ", ".join(sorted(set(g["unit"]))),
                     "targets": int((g["kind"] == "target").sum()), "milestones": int((g["kind"] == "milestone").sum()),
                     "sha256": storage.sha256(path) if path.is_file() else ""})
    return pd.DataFrame(rows, columns=cols)


def units_returned(returns: pd.DataFrame, cfg: Config, as_of: Quarter) -> pd.DataFrame:
    """Every lead unit: rows it returned for the report quarter (0: nothing returned)."""
    this = returns[returns["quarter"] == as_of.label] if returns is not None and len(returns) else None
    counts = this["unit"].value_counts() if this is not None else pd.Series(dtype=int)
    return pd.DataFrame([{"unit": u, "rows": int(counts.get(u, 0))} for u in lead_units(cfg)])


def load_returns(cfg: Config, as_of: Quarter, returns_dir: Path | None = None) -> pd.DataFrame | None:
    """The returns up to as_of, or None when data/returns/ does not exist (no round started: no suite, no section)."""
    from analysis.inputs.returns import read_returns

    returns_dir = Path(returns_dir or paths.RETURNS_DIR)
    return read_returns(returns_dir, cfg, as_of) if returns_dir.is_dir() else None


def section(report, cfg: Config, as_of: Quarter, returns_dir: Path | None = None) -> str:
    """The validation report's section on department returns, as Markdown (data escaped once, by md_table/md_text).

    report is the ValidationReport of validate.validate (its `returns` are the returns it checked, or None).
    Lists the files read, the rows, the lead units that returned for the quarter, and the results of the suite.
    """
    from analysis.core.escape import md_text
    from analysis.core.present import md_table

    returns = getattr(report, "returns", None)
    if returns is None:
        return md_text("无部门台账（data/returns/ 不存在），未读取、未检查。 "
                       "No department returns: data/returns/ does not exist, so none were read or checked.")
    files = files_read(returns, Path(returns_dir or paths.RETURNS_DIR))
    # in groups of 16 hex digits: the PDF table wraps the digest at the spaces and keeps within the page
    shown = files.assign(sha256=[" ".join(h[i:i + 16] for i in range(0, len(h), 16)) for h in files["sha256"]])
    units = units_returned(returns, cfg, as_of)
    got = units[units["rows"] > 0]
    parts = [md_text(f"读取报送文件{len(files)}个、数据{len(returns)}行；{len(units)}个牵头单位中{len(got)}个报送了{as_of.label}台账。"
                     f" {len(files)} returned files read, {len(returns)} rows; {len(got)} of {len(units)} lead units "
                     f"returned their {as_of.label} form. Each row is a row of figures.csv (its R... figure id) and of "
                     "returns.csv. A malformed return stops the run before this report (returns.py): these checks re-check "
                     "the table the assessment uses."),
             md_table(shown, {"quarter": "季度 Quarter", "file": "文件 File", "unit": "报送单位 Unit",
                              "targets": "目标 Targets", "milestones": "节点 Milestones", "sha256": "SHA-256"},
                      empty="（无报送文件 no files returned yet）"),
             md_table(units, {"unit": "牵头单位 Lead unit", "rows": f"{as_of.label}报送行数 Rows returned"})]
    checks = report.results[report.results["table"] == TABLE]
    outcome = checks.assign(check=checks["title_zh"] + " / " + checks["title_en"],
                          result=["通过 pass" if ok else ("错误 ERROR" if sev == "error" else "警告 warning")
                                  for ok, sev in zip(checks["success"], checks["severity"])])
    parts.append(md_table(outcome, {"check": "检查 Check", "rows_checked": "检查行数 Rows", "rows_failing": "未通过 Failing",
                                  "result": "结果 Result"}))
    return "\n\n".join(parts)

"""Department returns in the assessment: their rung of the evidence ladder, status by lead unit, the chase list.

A return (returns.py, reliability `department`) is evidence for what no
statistics bureau publishes: counts of things built or designated, firms
cultivated, events held, and milestones. It never overrides a published
statistic: it is used only for a target whose public assessment found no
figure to judge by (no public data / insufficient data), and never for an
average-growth target (a growth rate is a statistic). The verdict it gives
says so: 已完成（部门报送）/ achieved (department return), and its figure is
marked `department` wherever it is shown.

The rules, as a planner would apply them:
- a value as at the end of the target year settles the target (met / not
  met against the plan's number); an earlier value that already meets it
  settles it as met (reached early); an earlier value short of it reads on
  track / at risk against the share of the plan period elapsed while the
  plan runs, and insufficient after it ended;
- a value as at a date after the target year (27 firms "as at 2025-12-31"
  for a 2022-2024 target) says what happened after the plan: it is shown
  (figures.csv role department_after_period, the basis) and never settles;
  the latest return inside the period decides (figures.deciding_returns);
- a 预计数 return is an estimate: "(department return, estimate)", pending
  within the estimate revision margin of the line, as a published 预计 is;
- a milestone completed by the end of its year is achieved; completed
  later, cancelled, or not completed when its year is over, not achieved;
  while its year runs, 推进中 is on track and 未启动 at risk.
The latest quarter's return for a target wins; earlier ones are history.
A target every quarter or year must reach (per: quarter / year, e.g. 每季度
组织1-2场) is asked for and shown, but one value cannot settle it: it keeps
its public verdict until the returns of every period can be read together
(not built yet).
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from analysis.core.config import Config, Target
from analysis.model.evidence import Figure, elapsed_share, meets, settle
from analysis.inputs.figures import after_period, deciding_returns, latest_returns, return_figure_id  # noqa: F401  (re-exported: annex and the tests read it here)
from analysis.inputs.forms import asked
from analysis.core.quarters import Quarter
from analysis.inputs.responsible import lead_units, responsibilities

OPEN_VERDICTS = ("no_public_data", "insufficient_data")
# settle() calls every return estimate-like (reliability department); a 台账数 says "department return", a 预计数
# "department return, estimate": it was an estimate when returned, as a published 预计 is, and carries its margin
DEPARTMENT_KEYS = {"achieved": "achieved_department", "achieved_estimate": "achieved_department",
                   "broadly_achieved": "broadly_achieved_department", "broadly_achieved_estimate": "broadly_achieved_department",
                   "not_achieved": "not_achieved_department", "not_achieved_estimate": "not_achieved_department"}
DEPARTMENT_ESTIMATE_KEYS = {"achieved_estimate": "achieved_department_estimate",
                            "broadly_achieved_estimate": "broadly_achieved_department_estimate",
                            "not_achieved_estimate": "not_achieved_department_estimate"}
RETURN_EXTRA_COLUMNS = ("return_unit", "return_obs_id", "return_file", "return_as_at", "return_progress")


def return_id(r: pd.Series) -> str:
    """The return's figure id (returns.csv has it; computed for a table read before the column existed)."""
    rid = r.get("figure_id")
    return rid if isinstance(rid, str) and rid else return_figure_id(r["obs_id"])


def _year_end(year: int) -> date:
    return date(year, 12, 31)


def judge_return(t: Target, r: pd.Series, cfg: Config, as_of: Quarter) -> tuple[str, str, dict]:
    """(verdict key, basis, figure columns) for a target from its department return."""
    ended = as_of.year > t.target_year
    # the return's figure id (R..., a row of figures.csv) travels in figure_ids like a published figure's: the
    # briefing cites it ([Rk4q7zm]) where it quotes the figure, and the basis names it for assessment.csv readers
    rid = return_id(r)
    where = f"department return of {r['unit']} ({r['file']}, sheet {r['sheet']}, row {int(r['row'])}) [{rid}]"
    ids = {"figure_obs_ids": r["obs_id"], "figure_ids": rid}
    if t.type == "milestone":
        progress, done = r["progress"], r["completed"]
        fig = {"figure_status": "department", "figure_period": str(done.year) if isinstance(done, date) else "", **ids}
        if progress == "completed" and done <= _year_end(t.target_year):
            return "achieved_department", f"completed on {done.isoformat()}: {where}", fig
        if progress == "completed":
            return "not_achieved_department", f"completed on {done.isoformat()}, after {t.target_year}: {where}", fig
        if progress == "cancelled":
            return "not_achieved_department", f"cancelled: {where}", fig
        if ended:
            return "not_achieved_department", f"not completed by the end of {t.target_year} ({r['status_word']}): {where}", fig
        return ("on_track" if progress == "in_progress" else "at_risk"), f"{r['status_word']}: {where}", fig
    as_at: date = r["as_at"]
    fig = Figure(float(r["value"]), str(as_at.year), status=r["status"] or "reported", reliability="department",
                 obs_ids=(r["obs_id"],), figure_ids=(rid,))
    # shown as 部门报送 / department return (an estimate says so too): never as a published figure (公布数)
    cols = {"figure_value": fig.value, "figure_period": fig.period,
            "figure_status": "estimate, department" if fig.status == "estimate" else "department", **ids}
    basis = f"{fig.value:g} {t.unit or ''} as at {as_at.isoformat()}, {where}".replace("  ", " ")
    if as_at >= _year_end(t.target_year) or bool(meets(fig.value, t)):
        key = settle(fig, t, cfg)       # a 预计数 within the estimate revision margin of the line: pending_revision
        keys = DEPARTMENT_ESTIMATE_KEYS if fig.status == "estimate" else DEPARTMENT_KEYS
        return keys.get(key, key), basis, cols
    if ended:
        return "insufficient_data", f"only a return as at {as_at.isoformat()}, before the end of {t.target_year}: {where}", cols
    share = elapsed_share(t, as_of)
    progress = fig.value / float(t.value) if t.value else np.nan
    key = "on_track" if np.isfinite(progress) and progress >= share else "at_risk"
    return key, f"{basis}; {progress:.0%} of the target with {share:.0%} of the plan period elapsed", cols


def apply_returns(table: pd.DataFrame, returns: pd.DataFrame, cfg: Config, as_of: Quarter) -> pd.DataFrame:
    """The assessment table with department returns judging the targets nothing published could judge.

    Returns the table unchanged (the same columns, the same values) when there are no returns.
    """
    if returns is None or returns.empty:
        return table
    targets = {t.id: t for t in cfg.targets}
    latest, deciding = latest_returns(returns), deciding_returns(returns, targets)
    verdicts = cfg.settings["assessment"]["verdicts"]
    out = table.copy()
    for col in RETURN_EXTRA_COLUMNS:
        if col not in out:
            out[col] = None
    for i, row in out.iterrows():
        tid = row["target"]
        if tid not in latest.index or row.get("verdict_key") not in OPEN_VERDICTS:
            continue
        t, r = targets[tid], (deciding.loc[tid] if tid in deciding.index else latest.loc[tid])
        if t.per:           # asked per quarter or year (one row per period): every period due must reach the line
            judged = judge_periods(t, returns[returns["target"] == tid], cfg, as_of)
            if judged is not None:
                key, basis = judged
                v = verdicts[key]
                out.loc[i, ["verdict", "verdict_key", "verdict_zh", "verdict_en", "basis", "return_unit"]] = \
                    [v.get("family", key), key, v["zh"], v["en"], basis, r["unit"]]
            continue
        if t.type == "avg_growth" or (t.type != "milestone" and (r["value"] is None or pd.isna(r["value"]))):
            continue
        if after_period(r, t):
            # only values after the period were returned: shown in the basis, the public verdict stands
            out.at[i, "basis"] = (f"{row.get('basis') or ''}; department return of {r['unit']}: {float(r['value']):g} "
                                  f"{t.unit or ''} as at {r['as_at'].isoformat()}, after the plan period (the target is "
                                  f"judged on the value as at {_year_end(t.target_year).isoformat()}) [{return_id(r)}]").lstrip("; ")
            continue
        key, basis, cols = judge_return(t, r, cfg, as_of)
        v = verdicts[key]
        updates = {"verdict": v.get("family", key), "verdict_key": key, "verdict_zh": v["zh"], "verdict_en": v["en"],
                   "basis": basis, **cols, "return_unit": r["unit"], "return_obs_id": r["obs_id"], "return_file": r["file"],
                   "return_as_at": r["as_at"].isoformat() if isinstance(r["as_at"], date) else "",
                   "return_progress": r["status_word"]}
        for col, value in updates.items():
            if col not in out:
                out[col] = None
            out.at[i, col] = value
    return out


def judge_periods(t: Target, rows: pd.DataFrame, cfg: Config, as_of: Quarter) -> tuple[str, str] | None:
    """(verdict key, basis) of a target asked per quarter or per year (每季度1-2场) from its returned periods, by the
    rule published counts follow (rules._read_per_period): one ended period short settles it as not achieved; every
    period of the plan reached settles it as achieved; while periods are still due it is on track if every ended
    period so far reached the line. None when no ended period was returned (the verdict stays as it was)."""
    from analysis.inputs.returns_form import period_end

    if "period" not in rows:
        return None
    rows = rows[rows["period"].fillna("").astype(str).ne("") & rows["value"].notna()]
    if rows.empty:
        return None
    last = rows.assign(_q=rows["quarter"].astype(str)).sort_values(["_q", "file", "row"], kind="stable")
    last = last.groupby("period", sort=False).tail(1).set_index("period")
    years = range(t.base_year + 1, t.target_year + 1)
    plan = [str(y) for y in years] if t.per == "year" else [f"{y}Q{q}" for y in years for q in range(1, 5)]
    # a period counts once it has ended (a year still running holds a count so far, not the year's count)
    ended = [p for p in plan if period_end(p, Quarter(9999, 4)) <= as_of.end]
    got = {p: last.loc[p] for p in ended if p in last.index}
    if not got:
        return None
    estimate = any(str(r["status"]) == "estimate" for r in got.values())
    short = [p for p, r in got.items() if not bool(meets(float(r["value"]), t))]
    listed = ", ".join(f"{p}: {float(got[p]['value']):g}" for p in sorted(got))
    basis = f"department returns per {t.per} ({listed} {t.unit or ''}); every {t.per} must reach {t.value:g}".replace("  ", " ")
    if short:
        return ("not_achieved_department_estimate" if estimate else "not_achieved_department"), basis
    if len(got) == len(plan):
        return ("achieved_department_estimate" if estimate else "achieved_department"), basis
    if as_of.year <= t.target_year and len(got) == len(ended):
        return "on_track", basis + "; every ended period so far reaches it"
    return None


# ------------------------------------------------------------- by unit --
def unit_status(table: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """One row per lead unit: how many of its targets sit in each verdict family, and how many rest on its return."""
    resp = responsibilities(cfg)
    frame = table.assign(lead=table["target"].map(lambda x: resp[x].lead))
    rows = []
    for unit in lead_units(cfg):
        mine = frame[frame["lead"] == unit]
        fam = mine["verdict"].value_counts()
        done = int(fam.get("achieved", 0) + fam.get("broadly_achieved", 0))      # 基本完成 counts as done here
        rows.append({"unit": unit, "targets": int((mine["type"] != "milestone").sum()),
                     "milestones": int((mine["type"] == "milestone").sum()),
                     "achieved": done, "not_achieved": int(fam.get("not_achieved", 0)),
                     "open": int(len(mine) - done - fam.get("not_achieved", 0)),
                     "on_return": int(mine["return_obs_id"].notna().sum()) if "return_obs_id" in mine else 0})
    return pd.DataFrame(rows)


def chase_list(returns: pd.DataFrame, cfg: Config, as_of: Quarter) -> pd.DataFrame:
    """Lead units whose return for as_of is missing or incomplete: unit, state, rows filled, rows expected, targets left."""
    resp = responsibilities(cfg)
    this = returns[returns["quarter"] == as_of.label] if returns is not None and len(returns) else pd.DataFrame(columns=["target"])
    rows = []
    for unit in lead_units(cfg):
        mine = [t for t in cfg.targets if resp[t.id].lead == unit and asked(t)]
        got = this[this["target"].isin([t.id for t in mine])]
        complete = set()
        for _, r in got.iterrows():
            if (r["kind"] == "milestone" and r["progress"]) or (r["kind"] == "target" and pd.notna(r["value"]) and r["status"]):
                complete.add(r["target"])
        left = [t.id for t in mine if t.id not in complete]
        if not left:
            continue
        rows.append({"unit": unit, "state": "missing" if got.empty else "incomplete", "filled": len(complete),
                     "expected": len(mine), "left": ", ".join(left)})
    return pd.DataFrame(rows, columns=["unit", "state", "filled", "expected", "left"])

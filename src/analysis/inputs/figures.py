"""Every number traceable: reports/<q>/figures.csv, one row per figure visible at the quarter.

A reader of the briefing sees a short id beside each figure ([Fk4q7zm]); the
same id is a row of figures.csv with the value, its status and reliability,
the source title and URL, and the raw file and row it was typed from. The id
is derived from the raw file name and row (the observation id of ingest.py),
never from a row position in a table, so it is the same in every quarter and
every rerun for as long as the raw row stays where it is. A level derived
from printed growth (clean.derive_levels) gets its own id (D...) from its
source row and its period, because it is a different number from the one
printed in that row. A department return (returns.py, reliability
`department`) gets an id of its own prefix (R...) from its quarter, file
name, sheet and row, and its row of figures.csv names the lead unit that
returned it, the sheet, the evidence (document number) and the contact:
an auditor traces a verdict resting on a return the way one resting on a
published figure is traced.
"""
from __future__ import annotations

import base64
import hashlib
import math
from pathlib import Path

import pandas as pd

from analysis.core import storage

FIGURE_COLUMNS = [
    "figure_id", "indicator", "indicator_zh", "indicator_en", "region", "period", "value", "unit", "growth_pct",
    "status", "reliability", "qualifier", "role", "role_note", "derivation", "source_title", "source_url",
    "published_date", "raw_file", "raw_row", "obs_id",
    # department returns only (R... ids): the sheet of the returned form, the unit that returned it, the target it
    # answers, the evidence or document number and the contact it gives (appended: older readers keep their columns)
    "raw_sheet", "return_unit", "target", "evidence", "contact",
]


def figure_id(obs_id: object, derived_period: str | None = None) -> str:
    """The stable public id of a figure (Fk4q7zm): F + a hash of its raw row's id; D... for a level derived for another period.

    Empty when there is no raw row (a growth index chained by the model, a placeholder).
    """
    if not isinstance(obs_id, str) or not obs_id:
        return ""
    key, prefix = (f"{obs_id}>{derived_period}", "D") if derived_period else (obs_id, "F")
    # 6 base32 characters (30 bits): short enough for a table cell, a clash unlikely below tens of thousands of rows
    # (figures_table refuses one); base32 has no 0/1/8/9, so nothing reads as O, l or B
    return prefix + base64.b32encode(hashlib.sha1(key.encode("utf-8")).digest()).decode("ascii")[:6].lower()


def derived_figure_id(obs_id: object, year: int, period_kind: str, period: str) -> str:
    """The id of a level derived from printed growth, as the assessment cites it (rules.py): a yearly level is
    keyed by its year ("2024"), the key the judgement knows; a year-to-date one by its period label."""
    return figure_id(obs_id, period if period_kind == "ytd" else str(int(year)))


def return_figure_id(obs_id: object) -> str:
    """The public id of a department return's row (Rk4q7zm): R + a hash of its id (quarter/file:sheet:row)."""
    if not isinstance(obs_id, str) or not obs_id:
        return ""
    return "R" + base64.b32encode(hashlib.sha1(obs_id.encode("utf-8")).digest()).decode("ascii")[:6].lower()


def _text(v: object) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


def latest_returns(returns: pd.DataFrame) -> pd.DataFrame:
    """One row per target: the latest quarter's return (rows are read oldest quarter first)."""
    if returns is None or returns.empty:
        return pd.DataFrame(columns=returns.columns if returns is not None else [])
    order = returns.assign(_q=returns["quarter"].astype(str)).sort_values(["_q", "file", "row"], kind="stable")
    return order.groupby("target", sort=False).tail(1).drop(columns="_q").set_index("target", drop=False)


def after_period(r, target) -> bool:
    """Whether a return's value is as at a date after its target's period (the end of the target year).

    A 2022-2024 target is met or not by the end of 2024: 27 firms as at 2025-12-31 say what happened in 2025,
    not whether 25 were cultivated by 2024. Such a value is shown ("after the plan period") and never settles.
    A milestone's return is judged by its completion date instead (departments.judge_return)."""
    as_at = r["as_at"] if isinstance(r, (dict, pd.Series)) else getattr(r, "as_at", None)
    kind = r["kind"] if isinstance(r, (dict, pd.Series)) else getattr(r, "kind", "target")
    if target is None or kind != "target" or not hasattr(as_at, "year"):
        return False
    return (as_at.year, as_at.month, as_at.day) > (int(target.target_year), 12, 31)


def deciding_returns(returns: pd.DataFrame, targets: dict[str, object]) -> pd.DataFrame:
    """One row per target: the latest quarter's return whose value falls in the target's period (after_period).

    What a verdict may rest on; a later quarter's value as at a date after the period is history to show, not
    evidence. A target with only such values has no row here."""
    if returns is None or returns.empty:
        return latest_returns(returns)
    keep = [not after_period(r, targets.get(r["target"])) for _, r in returns.iterrows()]
    return latest_returns(returns[keep])


def return_rows(returns: pd.DataFrame | None, targets: dict[str, object] | None = None, region: str = "") -> list[dict]:
    """figures.csv rows for department returns (returns.read_returns), one per filled row of a returned form.

    targets maps target id -> config.Target (for the indicator a count belongs to, if any). The period is the
    as-at date (a milestone: its completion date); the status is the data status (台账数 reported / 预计数
    estimate) or the milestone's progress. The latest quarter's return of a target whose value falls in the
    target's period has role `department` (what a verdict may rest on, deciding_returns); an earlier one
    `department_superseded`; a value as at a date after the period `department_after_period` (never settles).
    """
    if returns is None or returns.empty:
        return []
    targets = targets or {}
    latest = set(deciding_returns(returns, targets)["obs_id"])
    if "period" in returns and returns["period"].fillna("").astype(str).str.strip().ne("").any():
        # a target asked per quarter or year (forms.py: one row per period): each period's latest row is its own
        # figure, not superseded by another period's
        keep = [not after_period(r, targets.get(r["target"])) for _, r in returns.iterrows()]
        by_period = returns[keep].assign(target=lambda f: f["target"].astype(str) + "@" + f["period"].fillna("").astype(str))
        latest |= set(latest_returns(by_period)["obs_id"])
    rows = []
    for r in returns.itertuples(index=False):
        t = targets.get(r.target)
        day = r.as_at if r.kind == "target" else r.completed
        late = after_period(r, t)
        role = "department_after_period" if late else "department" if r.obs_id in latest else "department_superseded"
        note = {"department": "", "department_superseded": "; a later return of this target is used",
                "department_after_period": f"; as at a date after the target's period (end of {getattr(t, 'target_year', '')}): "
                                           "shown, never settles a verdict / 规划期后数值，不作为结论依据"}[role]
        title = f"部门台账 department return · {r.unit} · {r.quarter}"
        rows.append({
            "figure_id": return_figure_id(r.obs_id), "indicator": (getattr(t, "indicator", None) or ""), "region": region,
            "period": day.isoformat() if hasattr(day, "isoformat") else "",
            "value": r.value if r.kind == "target" else float("nan"), "unit": _text(r.target_unit),
            "growth_pct": float("nan"), "status": _text(r.status or r.progress), "reliability": "department",
            "qualifier": "", "role": role, "role_note": _text(r.status_word) + note,
            "derivation": "", "source_title": title, "source_url": "", "published_date": "", "raw_file": r.file,
            "raw_row": int(r.row), "obs_id": r.obs_id, "raw_sheet": r.sheet, "return_unit": r.unit, "target": r.target,
            "evidence": _text(r.evidence), "contact": _text(r.contact),
        })
    return rows


def figures_table(observations: pd.DataFrame, best: pd.DataFrame, names: dict[str, tuple[str, str]] | None = None,
                  returns: list[dict] | None = None) -> pd.DataFrame:
    """figures.csv: every raw row visible at the quarter (with its role in the best-value choice), every derived
    level, and every department return read up to the quarter (returns: rows made by return_rows).

    observations and best are CleanResult.observations / .best; names maps
    indicator -> (Chinese name, English name). Rows a quarter cannot see yet
    are left out, so the table is what that quarter's briefing could know.
    """
    names = names or {}
    obs = observations
    if "visible" in obs:
        obs = obs[obs["visible"].astype(bool)]
    rows = []
    for r in obs.itertuples(index=False):
        rows.append({
            "figure_id": figure_id(r.obs_id), "indicator": r.indicator, "region": r.region, "period": r.period,
            "value": r.value, "unit": r.unit, "growth_pct": r.growth_pct, "status": r.status,
            "reliability": r.reliability, "qualifier": _text(r.qualifier), "role": _text(getattr(r, "role", "")),
            "role_note": _text(getattr(r, "reason", "")), "derivation": "", "source_title": _text(r.source_title),
            "source_url": _text(r.source_url), "published_date": _text(r.published_date), "raw_file": r.file,
            "raw_row": int(r.row), "obs_id": r.obs_id,
        })
    by_obs = obs.set_index("obs_id") if len(obs) else obs
    derived = best[best["derived"].astype(bool)] if "derived" in best and len(best) else best.iloc[0:0]
    for r in derived.itertuples(index=False):
        src = by_obs.loc[r.obs_id] if r.obs_id in by_obs.index else None
        rows.append({
            "figure_id": derived_figure_id(r.obs_id, r.year, r.period_kind, r.period), "indicator": r.indicator, "region": r.region, "period": r.period,
            "value": r.value, "unit": r.unit, "growth_pct": float("nan"), "status": r.status, "reliability": r.reliability,
            "qualifier": _text(r.qualifier), "role": "derived",
            "role_note": "growth from " + figure_id(r.growth_obs_id) if _text(r.growth_obs_id) else "",
            "derivation": _text(r.derivation), "source_title": _text(r.source_title), "source_url": _text(r.source_url),
            "published_date": _text(r.published_date), "raw_file": src["file"] if src is not None else "",
            "raw_row": int(src["row"]) if src is not None else pd.NA, "obs_id": r.obs_id,
        })
    out = pd.DataFrame.from_records(rows, columns=FIGURE_COLUMNS)
    out["indicator_zh"] = out["indicator"].map(lambda i: names.get(i, ("", ""))[0])
    out["indicator_en"] = out["indicator"].map(lambda i: names.get(i, ("", ""))[1])
    out = out.sort_values(["indicator", "region", "period", "role", "figure_id"], ignore_index=True)
    if returns:         # after the published figures, in the order they were read (quarter, file, sheet, row)
        ret = pd.DataFrame.from_records(returns, columns=FIGURE_COLUMNS)
        ret["indicator_zh"] = ret["indicator"].map(lambda i: names.get(i, ("", ""))[0])
        ret["indicator_en"] = ret["indicator"].map(lambda i: names.get(i, ("", ""))[1])
        out = pd.concat([out, ret], ignore_index=True) if len(out) else ret
    clash = out["figure_id"][out["figure_id"].duplicated()]
    if len(clash):      # two raw rows hashing alike: never expected, but a silent clash would mis-cite a figure
        raise ValueError(f"figure id clash in figures.csv: {sorted(set(clash))}")
    return out


def write_figures(folder: Path, observations: pd.DataFrame, best: pd.DataFrame,
                  names: dict[str, tuple[str, str]] | None = None, returns: list[dict] | None = None) -> pd.DataFrame:
    """Write folder/figures.csv (UTF-8 with BOM, like the other CSVs, so Excel shows the Chinese)."""
    table = figures_table(observations, best, names, returns)
    storage.write_csv(table, Path(folder) / "figures.csv")
    return table


def cited_ids(assessment: pd.DataFrame) -> set[str]:
    """Every figure id assessment.csv cites (figure_ids and latest_figure_id)."""
    ids: set[str] = set()
    for col in ("figure_ids", "latest_figure_id"):
        if col in assessment:
            for cell in assessment[col].dropna().astype(str):
                ids |= {x.strip() for x in cell.split(";") if x.strip()}
    return ids

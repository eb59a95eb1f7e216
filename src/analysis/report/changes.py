"""What changed since the last published report: new and revised figures, verdict changes, P(met) moves.

A planner reads a briefing every quarter; what they need first is the
difference from the one they read last time. This module compares this
quarter's figures.csv and assessment.csv with those of the last published
report (the newest reports/<earlier quarter>/ holding an assessment.csv),
never with a staging folder, and returns one table (changes.csv) that feeds
the console summary and the briefing section 本季度变化 / What changed.

The functions take and return data frames; only previous_report and
write_changes touch the disk.
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from analysis.core import storage
from analysis.core.quarters import Quarter
from analysis.core.wording import fmt_value, shown_verdict
from analysis.inputs.figures import figure_id

P_MOVE = 0.05            # a P(met) move of 5 percentage points or more is reported
CHANGE_COLUMNS = [
    "change", "compared_with", "target", "indicator", "region", "period", "old", "new", "old_zh", "new_zh",
    "unit", "old_value", "new_value", "old_growth_pct", "new_growth_pct", "old_status", "new_status",
    "figure_id", "source_title", "source_url", "raw_file", "raw_row", "note",
    # what compared_with is: report (the previous quarter's published report), rebuilt (the previous quarter as the
    # data show it, no report of it published), version (the version of this quarter a rerun replaces)
    "against",
]
# which figure of an indicator, region and period is 'the' figure when several rows share it
_ROLE_RANK = {"selected": 0, "derived": 1, "growth_only": 2, "excluded": 3}


def _published(reports_dir: Path, quarter: Quarter) -> Path | None:
    folder = Path(reports_dir) / quarter.label
    return folder if (folder / "assessment.csv").exists() else None


def previous_report(reports_dir: Path, quarter: Quarter | str) -> Path | None:
    """The published report of the quarter before `quarter` (one holding assessment.csv), or None.

    What changed is always told against the previous quarter (issue 24 point 4): a rerun of 2025Q2 compares
    with 2025Q1, not with the 2025Q2 version it replaces (replaced_report gives that one, for its own line).
    Only plain quarter folders are reports; staging, failed and replay folders never are."""
    quarter = Quarter.parse(str(quarter)) if not isinstance(quarter, Quarter) else quarter
    return _published(reports_dir, quarter.previous())


def replaced_report(reports_dir: Path, quarter: Quarter | str) -> Path | None:
    """The published version of `quarter` itself, which a rerun replaces (None on a first run)."""
    quarter = Quarter.parse(str(quarter)) if not isinstance(quarter, Quarter) else quarter
    return _published(reports_dir, quarter)


def _num(v: object) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _same(a: object, b: object) -> bool:
    x, y = _num(a), _num(b)
    if x is None or y is None:
        return x is None and y is None
    return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)


def _status_marks(r: pd.Series) -> str:
    """estimate / reported, unverified / final, derived: the status with what makes a figure weaker."""
    marks = [str(r.get("status", "") or "")]
    if str(r.get("reliability", "")) not in ("", "official", "nan"):
        marks.append(str(r["reliability"]))
    if r.get("role") == "derived":
        marks.append("derived")
    return ", ".join(m for m in marks if m)


def _figure_text(r: pd.Series) -> str:
    """521 亿元 (reported) / growth 5.8% (reported): a figure in a changes.csv cell."""
    parts = []
    v, g = _num(r.get("value")), _num(r.get("growth_pct"))
    if v is not None:
        # a derived level (back-calculated from printed growth) is no printed figure: rounded, and marked as about
        about = "derived" in _status_marks(r)
        parts.append(f"{'≈' + fmt_value(v) if about else format(v, 'g')} {r.get('unit', '') or ''}".strip())
    if g is not None:
        parts.append(f"growth {g:g}%")
    return f"{', '.join(parts) or '—'} ({_status_marks(r)})"


def _revised(a: pd.Series, b: pd.Series) -> bool:
    """Another value or status; printed growth counts only where both print one (the growth may come from another row)."""
    if str(a["status"]) != str(b["status"]) or not _same(a["value"], b["value"]):
        return True
    ga, gb = _num(a["growth_pct"]), _num(b["growth_pct"])
    return ga is not None and gb is not None and not _same(ga, gb)


def headline_figures(figures: pd.DataFrame) -> pd.DataFrame:
    """One figure per indicator, region and period: the one the clean step chose (else growth only, else unverified)."""
    if figures is None or figures.empty:
        return pd.DataFrame(columns=list(figures.columns) if figures is not None else [])
    f = figures[figures["role"].isin(list(_ROLE_RANK))].copy()
    f["_rank"] = f["role"].map(_ROLE_RANK)
    f["period"] = f["period"].astype(str)
    f = f.sort_values(["indicator", "region", "period", "_rank"]).drop_duplicates(["indicator", "region", "period"])
    return f.drop(columns="_rank").reset_index(drop=True)


def _change_row(change: str, r: pd.Series | None, prev: pd.Series | None, note: str = "") -> dict:
    """One figure row of changes.csv: r the figure now (None: gone), prev the one in the last report (None: new)."""
    now_or_prev = r if r is not None else prev
    return {"change": change, "target": "", "indicator": now_or_prev["indicator"], "region": now_or_prev["region"],
            "period": now_or_prev["period"], "old": _figure_text(prev) if prev is not None else "",
            "new": _figure_text(r) if r is not None else "", "old_zh": "", "new_zh": "", "unit": now_or_prev["unit"],
            "old_value": prev["value"] if prev is not None else None, "new_value": r["value"] if r is not None else None,
            "old_growth_pct": prev["growth_pct"] if prev is not None else None,
            "new_growth_pct": r["growth_pct"] if r is not None else None,
            "old_status": _status_marks(prev) if prev is not None else "", "new_status": _status_marks(r) if r is not None else "",
            "figure_id": now_or_prev["figure_id"], "source_title": now_or_prev["source_title"],
            "source_url": now_or_prev["source_url"], "raw_file": now_or_prev["raw_file"], "raw_row": now_or_prev["raw_row"],
            "note": note}


GONE = ("withdrawn", "corrected")       # roles of a figure a correction row took out of use (inputs/corrections.py)


def figure_changes(now: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    """New figures (an indicator, region and period not in the last report), revised ones (other value or status),
    and figures taken out of use since: withdrawn or corrected by a correction row, or removed (their raw file or
    row is no longer there: a figure must never vanish without a word).

    Both inputs are figures.csv tables. A revised or corrected figure carries the new figure's id and source,
    so the reader sees where the new number comes from; a withdrawn or removed one its own id and source.
    """
    key = ["indicator", "region", "period"]
    a, b = headline_figures(now), headline_figures(before)
    by_id_now = now.drop_duplicates("figure_id").set_index("figure_id")
    heads_now = {tuple(r[k] for k in key): r for _, r in a.iterrows()}
    rows, handled = [], set()
    # figures of the last report no longer in use, by id (a derived D... level is not a raw row: it comes and goes)
    for _, prev in before[before["figure_id"].astype(str).str.match(r"^[FR]") & ~before["role"].isin(list(GONE) + ["withdrawal"])].iterrows():
        fid = prev["figure_id"]
        role_now = by_id_now.loc[fid, "role"] if fid in by_id_now.index else None
        if role_now not in GONE and role_now is not None:
            continue
        k = tuple(prev[c] for c in key)
        headline = k in heads_now and prev["role"] in _ROLE_RANK
        if role_now is None:
            rows.append(_change_row("removed_figure", None, prev, "its raw file or row is no longer in data/raw (or data/returns)"))
        else:
            reason = str(by_id_now.loc[fid, "role_note"] or "")
            rows.append(_change_row(f"{role_now}_figure", heads_now[k] if headline and role_now == "corrected" else None,
                                    prev, reason))
        handled.add(k)
    # a level derived from a figure taken out of use goes with it (D ids are keyed by their source's raw row)
    gone_now = {fid for fid, role in zip(now["figure_id"], now["role"]) if role in GONE}
    for _, prev in before[before["figure_id"].astype(str).str.startswith("D")].iterrows():
        source = figure_id(prev["obs_id"])
        if source in gone_now and prev["figure_id"] not in by_id_now.index:
            rows.append(_change_row(f"{by_id_now.loc[source, 'role']}_figure", None, prev, f"derived from {source}, "
                                    f"{by_id_now.loc[source, 'role']}: {by_id_now.loc[source, 'role_note'] or ''}".rstrip(": ")))
            handled.add(tuple(prev[c] for c in key))
    # a figure back in use after its withdrawal or correction row was taken out is restored, not new
    gone_before = {fid for fid, role in zip(before["figure_id"], before["role"]) if role in GONE}
    old = {tuple(r[k] for k in key): r for _, r in b.iterrows()}
    for k, r in heads_now.items():
        if k in handled:
            continue
        prev = old.get(k)
        source = figure_id(r["obs_id"]) if str(r["figure_id"]).startswith("D") else r["figure_id"]
        if prev is None and source in gone_before:
            rows.append(_change_row("restored_figure", r, None, f"{source} is in use again: the row that withdrew or "
                                                                 "corrected it is no longer in data/raw"))
        elif prev is None:
            rows.append(_change_row("new_figure", r, None))
        elif _revised(r, prev):
            rows.append(_change_row("revised_figure", r, prev, f"was {prev['figure_id']}" if prev["figure_id"] != r["figure_id"] else ""))
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


def verdict_changes(now: pd.DataFrame, before: pd.DataFrame, min_move: float = P_MOVE) -> pd.DataFrame:
    """Targets whose verdict changed (old -> new) and targets whose P(met) moved by min_move or more.

    Both inputs are assessment.csv tables; a move just under min_move is not
    listed (P(met) is stored to two decimals, so 0.05 means five points).
    """
    prev = before.set_index("target") if len(before) else before
    rows = []
    for _, r in now.iterrows():
        t = r["target"]
        p = prev.loc[t] if t in prev.index else None
        base = {"target": t, "indicator": r.get("indicator", "") or "", "region": "", "period": "",
                "figure_id": _first_id(r), "source_title": "", "source_url": "", "raw_file": "", "raw_row": pd.NA}
        old_key = "" if p is None else str(p.get("verdict_key", p.get("verdict", "")))
        new_key = str(r.get("verdict_key", r.get("verdict", "")))
        if old_key != new_key:
            # the words every table prints (wording.shown_verdict); when they stay the same (尚未取得数据 -> 仅有未核实资料
            # are both 待统计数据确认 once the plan has ended) the verdict did not change, only what it rests on
            shown = {lang: ("" if p is None else shown_verdict(p, lang), shown_verdict(r, lang)) for lang in ("zh", "en")}
            same = p is not None and shown["zh"][0] == shown["zh"][1]
            rows.append({**base, "change": "verdict_basis" if same else "verdict",
                         "old": p["verdict_en"] if same else shown["en"][0], "new": r["verdict_en"] if same else shown["en"][1],
                         "old_zh": p["verdict_zh"] if same else shown["zh"][0],
                         "new_zh": r["verdict_zh"] if same else shown["zh"][1],
                         "note": "new target" if p is None else
                         (f"still {shown['en'][1]}: " if same else "") + f"{old_key} -> {new_key}"})
        pn, po = _num(r.get("p_met")), None if p is None else _num(p.get("p_met"))
        if pn is not None and po is not None and abs(pn - po) >= min_move - 1e-9:
            rows.append({**base, "change": "p_met", "old": f"{po:.2f}", "new": f"{pn:.2f}", "old_zh": "", "new_zh": "",
                         "note": f"{100 * (pn - po):+.0f} points"})
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


def _first_id(r: pd.Series) -> str:
    for col in ("figure_ids", "latest_figure_id"):
        v = r.get(col)
        if isinstance(v, str) and v.strip():
            return v.strip()
    return ""


def changes_table(figures: pd.DataFrame, assessment: pd.DataFrame, prev_figures: pd.DataFrame | None,
                  prev_assessment: pd.DataFrame | None, compared_with: str | None, against: str = "report",
                  note: str = "") -> pd.DataFrame:
    """changes.csv rows against one earlier state, or one row saying there is nothing to compare / nothing changed."""
    if prev_assessment is None or compared_with is None:
        return pd.DataFrame([{"change": "first_report", "compared_with": "", "against": against,
                              "note": "first report, nothing to compare"}], columns=CHANGE_COLUMNS)
    parts = [verdict_changes(assessment, prev_assessment)]
    if prev_figures is not None:
        parts.insert(0, figure_changes(figures, prev_figures))
    out = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else \
        pd.DataFrame(columns=CHANGE_COLUMNS)
    if prev_figures is None:
        out = pd.concat([out, pd.DataFrame([{"change": "note", "note": f"{compared_with} has no figures.csv: "
                                             "figures not compared, verdicts only"}])], ignore_index=True)
    if out.empty:
        out = pd.DataFrame([{"change": "none", "note": note or "nothing changed"}], columns=CHANGE_COLUMNS)
    out["compared_with"], out["against"] = compared_with, against
    return out[CHANGE_COLUMNS]


def _read(path: Path) -> pd.DataFrame | None:
    return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=True) if path.exists() else None


def _version(folder: Path) -> tuple[str, str]:
    """(number, publication time) of a published report, from its manifest.json ("", "" when it has none)."""
    import json

    try:
        version = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8")).get("version") or {}
    except (OSError, ValueError):
        return "", ""
    return str(version.get("number", "")), str(version.get("published", ""))


def compare_with_published(folder: Path, quarter: Quarter | str, reports_dir: Path | None = None) -> pd.DataFrame:
    """The changes of folder/ (this run, possibly a staging or scratch folder): against the previous quarter, and,
    on a rerun, against the version of this quarter it replaces.

    The previous quarter is its published report in reports_dir (default: reports/); where there is none, the
    previous quarter as rebuilt from the data by the forecast step (folder/previous_quarter/, model/assess.py
    write_baseline), said so in `against`. Reports are looked up in reports_dir, never next to folder, so a
    staging folder is not mistaken for a report. Reads only.
    """
    from analysis.core import paths

    folder = Path(folder)
    quarter = Quarter.parse(str(quarter)) if not isinstance(quarter, Quarter) else quarter
    reports_dir = paths.REPORTS_DIR if reports_dir is None else Path(reports_dir)
    figures, assessment = _read(folder / "figures.csv"), _read(folder / "assessment.csv")
    prev, rebuilt = previous_report(reports_dir, quarter), folder / paths.BASELINE_DIR
    if prev is not None:
        parts = [changes_table(figures, assessment, _read(prev / "figures.csv"), _read(prev / "assessment.csv"), prev.name)]
    elif (rebuilt / "assessment.csv").exists():
        parts = [changes_table(figures, assessment, _read(rebuilt / "figures.csv"), _read(rebuilt / "assessment.csv"),
                               quarter.previous().label, against="rebuilt")]
    else:
        parts = [changes_table(figures, assessment, None, None, None)]
    replaced = replaced_report(reports_dir, quarter)
    if replaced is not None:
        number, published = _version(replaced)
        # compared_with names the version and when it was published: "2025Q2 v1, published 2025-08-14T16:22:05"
        parts.append(changes_table(figures, assessment, _read(replaced / "figures.csv"), _read(replaced / "assessment.csv"),
                                   f"{quarter.label} v{number or '?'}, published {published or 'earlier'}", against="version"))
    return pd.concat(parts, ignore_index=True)[CHANGE_COLUMNS]


def load_changes(folder: Path, quarter: Quarter | str) -> pd.DataFrame:
    """changes.csv of a report folder when the pipeline wrote one; otherwise (a notebook run by hand) computed in memory."""
    written = _read(Path(folder) / "changes.csv")
    return written if written is not None else compare_with_published(folder, quarter)


def write_changes(folder: Path, reports_dir: Path, quarter: Quarter | str) -> pd.DataFrame:
    """Compare folder/ with the last published report in reports_dir; write folder/changes.csv."""
    table = compare_with_published(folder, quarter, reports_dir)
    storage.write_csv(table, Path(folder) / "changes.csv")
    return table

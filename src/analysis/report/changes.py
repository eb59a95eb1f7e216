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
import re
from pathlib import Path

import pandas as pd

from analysis.core import storage
from analysis.core.quarters import Quarter

P_MOVE = 0.05            # a P(met) move of 5 percentage points or more is reported
CHANGE_COLUMNS = [
    "change", "compared_with", "target", "indicator", "region", "period", "old", "new", "old_zh", "new_zh",
    "unit", "old_value", "new_value", "old_growth_pct", "new_growth_pct", "old_status", "new_status",
    "figure_id", "source_title", "source_url", "raw_file", "raw_row", "note",
]
# which figure of an indicator, region and period is 'the' figure when several rows share it
_ROLE_RANK = {"selected": 0, "derived": 1, "growth_only": 2, "excluded": 3}
_QUARTER_DIR = re.compile(r"^\d{4}Q[1-4]$")


def previous_report(reports_dir: Path, quarter: Quarter | str) -> Path | None:
    """The report readers last received for this point (one holding assessment.csv), or None.

    That is the published version of `quarter` itself when the quarter is
    being rerun (what changed against what leaders already hold), else the
    newest earlier quarter. Folder names other than a plain quarter
    (2025Q1.failed, replay_..., hidden staging folders) are never published
    reports and are skipped; the run's own staging folder is never looked at.
    """
    quarter = Quarter.parse(str(quarter)) if not isinstance(quarter, Quarter) else quarter
    reports_dir = Path(reports_dir)
    if not reports_dir.is_dir():
        return None
    earlier = [Quarter.parse(p.name) for p in reports_dir.iterdir()
               if p.is_dir() and _QUARTER_DIR.match(p.name) and (p / "assessment.csv").exists()]
    earlier = [q for q in earlier if q <= quarter]
    return reports_dir / max(earlier).label if earlier else None


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
        parts.append(f"{v:g} {r.get('unit', '') or ''}".strip())
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


def figure_changes(now: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    """New figures (an indicator, region and period not in the last report) and revised ones (other value or status).

    Both inputs are figures.csv tables. A revised figure carries the new
    figure's id and source, so the reader sees where the new number comes from.
    """
    key = ["indicator", "region", "period"]
    a, b = headline_figures(now), headline_figures(before)
    old = {tuple(r[k] for k in key): r for _, r in b.iterrows()}
    rows = []
    for _, r in a.iterrows():
        prev = old.get(tuple(r[k] for k in key))
        if prev is None:
            change, was = "new_figure", ""
        elif _revised(r, prev):
            change, was = "revised_figure", _figure_text(prev)
        else:
            continue
        rows.append({"change": change, "target": "", "indicator": r["indicator"], "region": r["region"],
                     "period": r["period"], "old": was, "new": _figure_text(r), "old_zh": "", "new_zh": "",
                     "unit": r["unit"], "old_value": prev["value"] if prev is not None else None, "new_value": r["value"],
                     "old_growth_pct": prev["growth_pct"] if prev is not None else None, "new_growth_pct": r["growth_pct"],
                     "old_status": _status_marks(prev) if prev is not None else "", "new_status": _status_marks(r),
                     "figure_id": r["figure_id"], "source_title": r["source_title"], "source_url": r["source_url"],
                     "raw_file": r["raw_file"], "raw_row": r["raw_row"],
                     "note": f"was {prev['figure_id']}" if prev is not None and prev["figure_id"] != r["figure_id"] else ""})
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
            rows.append({**base, "change": "verdict", "old": "" if p is None else p["verdict_en"], "new": r["verdict_en"],
                         "old_zh": "" if p is None else p["verdict_zh"], "new_zh": r["verdict_zh"],
                         "note": "new target" if p is None else f"{old_key} -> {new_key}"})
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
                  prev_assessment: pd.DataFrame | None, compared_with: str | None) -> pd.DataFrame:
    """changes.csv: every change against the last report, or one row saying there is nothing to compare / nothing changed."""
    if prev_assessment is None or compared_with is None:
        return pd.DataFrame([{"change": "first_report", "compared_with": "",
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
        out = pd.DataFrame([{"change": "none", "note": "nothing changed"}], columns=CHANGE_COLUMNS)
    out["compared_with"] = compared_with
    return out[CHANGE_COLUMNS]


def _read(path: Path) -> pd.DataFrame | None:
    return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=True) if path.exists() else None


def compare_with_published(folder: Path, quarter: Quarter | str, reports_dir: Path | None = None) -> pd.DataFrame:
    """The changes of folder/ (this run, possibly a staging or scratch folder) against the last published report.

    The previous report is looked up in reports_dir (default: the published
    reports/), never next to `folder`, so a staging folder is not mistaken
    for a report. Reads only.
    """
    from analysis.core import paths

    folder = Path(folder)
    prev = previous_report(paths.REPORTS_DIR if reports_dir is None else reports_dir, quarter)
    return changes_table(_read(folder / "figures.csv"), _read(folder / "assessment.csv"),
                         _read(prev / "figures.csv") if prev else None, _read(prev / "assessment.csv") if prev else None,
                         prev.name if prev else None)


def load_changes(folder: Path, quarter: Quarter | str) -> pd.DataFrame:
    """changes.csv of a report folder when the pipeline wrote one; otherwise (a notebook run by hand) computed in memory."""
    written = _read(Path(folder) / "changes.csv")
    return written if written is not None else compare_with_published(folder, quarter)


def write_changes(folder: Path, reports_dir: Path, quarter: Quarter | str) -> pd.DataFrame:
    """Compare folder/ with the last published report in reports_dir; write folder/changes.csv."""
    table = compare_with_published(folder, quarter, reports_dir)
    storage.write_csv(table, Path(folder) / "changes.csv")
    return table


# ------------------------------------------------------------------ words --
def _counts(changes: pd.DataFrame) -> dict[str, int]:
    return changes["change"].value_counts().to_dict()


def console_summary(changes: pd.DataFrame, limit: int = 4) -> str:
    """A few lines for `python -m analysis run`: what changed against the last report."""
    c = _counts(changes)
    if "first_report" in c:
        return "What changed: first report, nothing to compare."
    prev = str(changes["compared_with"].iloc[0])
    if "none" in c:
        return f"What changed since {prev}: nothing (same figures, verdicts and P(met))."
    lines = [f"What changed since {prev}: verdict changes {c.get('verdict', 0)}, P(met) moves of 5 points or more "
             f"{c.get('p_met', 0)}, new figures {c.get('new_figure', 0)}, revised figures {c.get('revised_figure', 0)}"]
    order = {"verdict": 0, "p_met": 1, "revised_figure": 2}
    listed = changes[changes["change"].isin(list(order))].sort_values("change", key=lambda s: s.map(order), kind="stable")
    for _, r in listed.head(limit).iterrows():
        what = r["target"] if r["change"] != "revised_figure" else f"{r['indicator']} {r['region']} {r['period']}"
        lines.append(f"  {r['change']}: {what}: {r['old'] or '—'} -> {r['new']}"
                     + (f" [{r['figure_id']}]" if r["figure_id"] and r["change"] == "revised_figure" else ""))
    if len(listed) > limit:
        lines.append(f"  ... {len(listed) - limit} more in changes.csv")
    notes = changes[changes["change"] == "note"]
    lines += [f"  note: {n}" for n in notes["note"]]
    return "\n".join(lines)


def report_summary(folder: Path) -> str:
    """The console lines after a run: what changed (from folder/changes.csv)."""
    changes = _read(Path(folder) / "changes.csv")
    return console_summary(changes) if changes is not None else "What changed: no changes.csv in this report."


_PERIOD = re.compile(r"^(\d{4})年(?:(\d{1,2})-(\d{1,2})月)?$")


def period_words(period: object, lang: str) -> str:
    """A period label for the reader: 2025年1-6月 as printed in Chinese, '2025 Jan-Jun' in English."""
    text = str(period)
    m = _PERIOD.match(text)
    if lang == "zh" or not m:
        return text
    months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    return m.group(1) if not m.group(2) else f"{m.group(1)} {months[int(m.group(2)) - 1]}-{months[int(m.group(3)) - 1]}"


def briefing_section(changes: pd.DataFrame | None, assessment: pd.DataFrame, names: dict[str, str], lang: str,
                     home_region: str = "海门", limit: int = 4) -> str:
    """本季度变化 / What changed as one short paragraph: verdict changes and P(met) moves by name, revised figures
    with their source, new figures by id (a few; the rest and every source are in changes.csv / figures.csv).

    One paragraph, not a list, because the briefing has a page budget. Source
    titles, periods, units and statuses come from the raw files, so they are escaped (escape.md_text)
    before they enter the Markdown.
    """
    from analysis.core.wording import L, amount, fmt_p, fmt_pct, status_words
    from analysis.core.escape import md_text

    lead = L(lang, "**本季度变化**：", "**What changed**: ")
    if changes is None or changes.empty:
        return lead + L(lang, "本期未生成变化对照。", "no comparison was made for this quarter.")
    c = _counts(changes)
    if "first_report" in c:
        return lead + L(lang, "首份报告，无可比较的上期报告。", "first report, nothing to compare.")
    prev = md_text(changes["compared_with"].iloc[0])
    if "none" in c:
        return lead + L(lang, f"与{prev}报告相比，数据、研判和达标概率均无变化。",
                        f"nothing changed since the {prev} report (same figures, verdicts and P(met)).")
    by_target = assessment.set_index("target") if "target" in assessment else pd.DataFrame()
    sep = L(lang, "；", "; ")
    judged = []
    for t in dict.fromkeys(changes.loc[changes["change"].isin(["verdict", "p_met"]), "target"]):
        rows = changes[changes["target"] == t]
        name = t
        if t in by_target.index:
            r = by_target.loc[t]
            name = str(r.get("name_zh") or r.get("statement")) if lang == "zh" else str(r.get("name_en") or t)
        text = md_text(name) + L(lang, "：", ": ")
        v = rows[rows["change"] == "verdict"]
        if len(v):
            v = v.iloc[0]
            old = md_text(v["old_zh"] if lang == "zh" else v["old"]) or L(lang, "（新目标）", "(new target)")
            text += f"{old} → {md_text(v['new_zh'] if lang == 'zh' else v['new'])}"
        p = rows[rows["change"] == "p_met"]
        if len(p):
            p = p.iloc[0]
            move = L(lang, "达标概率", "P(met) ") + f"{fmt_p(float(p['old']))} → {fmt_p(float(p['new']))}"
            text += (L(lang, "（", " (") + move + L(lang, "）", ")")) if len(v) else move
        judged.append(text)
    parts = [lead + L(lang, f"与{prev}报告相比（全部见changes.csv），", f"since the {prev} report (all in changes.csv), ")]
    if judged:
        shown = judged[:limit] + ([L(lang, f"另{len(judged) - limit}项", f"{len(judged) - limit} more")] if len(judged) > limit else [])
        n_moves = int((changes["change"] == "p_met").sum())
        what_zh = "研判或达标概率（≥5个百分点）" if n_moves else "研判"
        parts.append(L(lang, f"{what_zh}变化{len(judged)}项：", f"{len(judged)} target{'s' if len(judged) != 1 else ''} changed verdict"
                             + (" or P(met) by 5 points or more: " if n_moves else ": ")) + sep.join(shown) + L(lang, "。", ". "))
    else:
        parts.append(L(lang, "研判和达标概率无明显变化（变动均<5个百分点）。", "no verdict changed and no P(met) moved by 5 points or more. "))
    revised = changes[changes["change"] == "revised_figure"]
    # in the briefing: printed figures of the home region (derived ones follow from them; all are in changes.csv)
    home = revised[(revised["region"] == home_region) & ~revised["figure_id"].astype(str).str.startswith("D")].head(2)
    if len(revised):
        def fig(value, growth, status, unit) -> str:
            v, g = _num(value), _num(growth)
            text = amount(v, str(unit), lang) if v is not None else \
                (L(lang, "增长", "growth ") + fmt_pct(g) if g is not None else "—")
            return md_text(text + L(lang, f"（{status_words(status, lang)}）", f" ({status_words(status, lang)})"))
        items = [f"{md_text(names.get(r['indicator'], r['indicator']))} {md_text(period_words(r['period'], lang))}"
                 + L(lang, "", ":") + f" {fig(r['old_value'], r['old_growth_pct'], r['old_status'], r['unit'])} → "
                 f"{fig(r['new_value'], r['new_growth_pct'], r['new_status'], r['unit'])} [{r['figure_id']}]"
                 for _, r in home.iterrows()]
        titles = "; ".join(md_text(t) for t in dict.fromkeys(home["source_title"].astype(str)))
        parts.append(L(lang, f"修订数据{len(revised)}项", f"{len(revised)} revised figure{'s' if len(revised) != 1 else ''}")
                     + (L(lang, "：", ": ") + sep.join(items) + L(lang, f"（来源：{titles}）", f" (source: {titles})")
                        if items else "") + L(lang, "。", ". "))
    new = changes[changes["change"] == "new_figure"]
    if len(new):
        # the examples: official figures first, printed before derived, the latest periods first
        home_new = new[new["region"] == home_region].assign(
            _unverified=lambda f: f["new"].astype(str).str.contains("unverified"),
            _derived=lambda f: f["figure_id"].astype(str).str.startswith("D"), _period=lambda f: f["period"].astype(str))
        home_new = home_new.sort_values(["_unverified", "_derived", "_period"], ascending=[True, True, False])
        items = [f"{md_text(names.get(r['indicator'], r['indicator']))} {md_text(period_words(r['period'], lang))} [{r['figure_id']}]"
                 for _, r in home_new.head(1 if lang == "zh" else 2).iterrows()]
        parts.append(L(lang, f"新增数据{len(new)}项", f"{len(new)} new figure{'s' if len(new) != 1 else ''}")
                     + (L(lang, "，如", ", e.g. ") + L(lang, "、", "; ").join(items) if items else "") + L(lang, "。", "."))
    elif not len(revised):
        parts.append(L(lang, "无新增或修订数据。", "No new or revised figures."))
    return "".join(parts).strip()

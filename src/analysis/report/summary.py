"""The briefing's overview tables: the count of verdicts (终期评估 style), and every target grouped by plan section.

Why a separate module: briefing.py words single targets; this one arranges many. The choices, for planners and
auditors:

- The verdict count (summary_table) counts the quantitative targets (milestones apart: they have no number to
  judge) by verdict family from assessment.csv: achieved and not achieved (estimate-based ones included, as the
  status table marks them), pending (awaiting the target-year figure, an official figure, or the final figure of an
  estimate), insufficient data, no public data. While the plan runs, on track / at risk / off track are counted
  too. Columns always shown: those of the plan's phase (ended: achieved, not achieved, pending, insufficient
  data, no public data; running: achieved, on track, at risk, off track, insufficient data, no public data); any
  other family is shown only when some target has it, so the row always adds up to the total.
- Targets are grouped by the plan's own sections (sections.py), in the plan's order; within a section, the
  registry's order. Targets without figures to show go into one compact block: one row per section, its targets
  listed after their status word (after the plan's end 暂无数据, as in the summary table; while it runs 无公开数据),
  none first, then 数据不足 (some data, too little to judge). In the PDF both tables are Typst (typst_table.py), with
  column widths chosen for the page; JupyterLab shows their HTML twins.
"""
from __future__ import annotations

import pandas as pd

from analysis.report.briefing import status_table
from analysis.core.config import Config
from analysis.core.escape import RawMarkup, html_text, md_text, typst_text
from analysis.inputs.sections import section_label, section_order
from analysis.report.typst_table import TypstCode, typst_table
from analysis.core.wording import FAMILY_WORDS, FINAL_WORDS, L, clause_ref, clause_text, target_label

# relative column widths in the PDF: the target and its evidence get the room, numbers and the verdict what they need
STATUS_WIDTHS = (2.5, 2.25, 1.45, 1.05, 1.05, 1.1)
NO_DATA_WIDTHS = (1.25, 6.0)

FAMILIES = FAMILY_WORDS      # family -> (zh, en), in reading order (core.wording, the catalogue)
ENDED = ("achieved", "not_achieved", "pending", "insufficient_data", "no_public_data")
RUNNING = ("achieved", "on_track", "at_risk", "off_track", "insufficient_data", "no_public_data")


def verdict_counts(table: pd.DataFrame) -> dict[str, int]:
    """Quantitative targets (milestones apart) by verdict family, in reading order; families of the plan's phase always."""
    plan = table[table["type"] != "milestone"]
    counts = plan["verdict"].value_counts()
    ended = bool(len(plan)) and bool(plan["plan_ended"].all())
    core = ENDED if ended else RUNNING
    return {f: int(counts.get(f, 0)) for f in FAMILIES if f in core or counts.get(f, 0)}


def summary_table(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One row: the number of quantitative targets and how many have each verdict (the 终期评估 overview)."""
    counts = verdict_counts(table)
    total = int((table["type"] != "milestone").sum())
    row = {L(lang, "量化目标", "Quantitative targets"): total}
    # after the plan's end the final evaluation's standard words (完成 / 待统计数据确认 / 暂无数据), as the text says them
    ended = bool(len(table)) and bool(table.loc[table["type"] != "milestone", "plan_ended"].all())
    row.update({L(lang, *(FINAL_WORDS if ended and f in FINAL_WORDS else FAMILIES)[f]): n for f, n in counts.items()})
    milestones = int((table["type"] == "milestone").sum())
    if milestones:
        row[L(lang, "另：节点任务", "Also: milestones")] = milestones
    return pd.DataFrame([row])


def _ordered(table: pd.DataFrame) -> pd.DataFrame:
    """The plan's order: by section, then as the registry lists them."""
    keyed = table.assign(_order=[section_order(c) for c in table["clause"]], _pos=range(len(table)))
    return keyed.sort_values(["_order", "_pos"]).drop(columns=["_order", "_pos"])


def _heading(text: str, html: bool) -> RawMarkup:
    """A section's name as a bold row of the table: our markup around text escaped once for its format."""
    return RawMarkup(f"<b>{html_text(text)}</b>" if html else f"**{md_text(text)}**")


def _grouped(table: pd.DataFrame, cfg: Config, lang: str, html: bool) -> tuple[list[str], list[tuple[str, list]]]:
    """The status table's header (clause joined to the target) and its rows, each with its section's label."""
    ordered = _ordered(table)
    detailed = status_table(ordered, cfg, lang, html)
    clause_col, target_col = L(lang, "条款", "Clause"), L(lang, "目标", "Target")
    named = L(lang, "目标（规划条目）", "Target (plan item)")
    # the leader's body cites the plan's item (第16条), never the clause code (二.1/16): the section is the group row
    marks = ["†" if str(shown).endswith("†") else "" for shown in detailed[clause_col]]
    detailed[named] = [f"{name}{L(lang, '（', ' (')}{ref}{L(lang, '）', ')')}{mark}" if ref else f"{name}{mark}"
                       for name, ref, mark in zip(detailed[target_col], [clause_ref(c, lang) for c in ordered["clause"]], marks)]
    columns = [named, *[c for c in detailed.columns if c not in (clause_col, target_col, named)]]
    labels = [section_label(c, lang) for c in ordered["clause"]]
    return columns, [(label, list(r)) for label, r in zip(labels, detailed[columns].itertuples(index=False))]


def grouped_status_table(table: pd.DataFrame, cfg: Config, lang: str, html: bool = False) -> pd.DataFrame:
    """status_table, grouped by plan section: a bold row names each section; the clause joins the target's name.

    The clause sits in the target's cell, not a column of its own, so the names and the evidence get the width.
    (The HTML form for JupyterLab; the PDF gets grouped_status_typst.)
    """
    columns, rows = _grouped(table, cfg, lang, html)
    out, last = [], None
    for label, values in rows:
        if label != last:
            out.append([_heading(label, html), *([""] * (len(columns) - 1))])
            last = label
        out.append(values)
    return pd.DataFrame(out, columns=columns)


def grouped_status_typst(table: pd.DataFrame, cfg: Config, lang: str) -> RawMarkup:
    """The same table for the PDF, as Typst: fixed column widths, a section row spanning the table."""
    columns, rows = _grouped(table, cfg, lang, html=False)
    out, last = [], None
    for label, values in rows:
        if label != last:
            out.append(label)
            last = label
        out.append(values)
    return typst_table(columns, out, STATUS_WIDTHS)


def _no_data_groups(table: pd.DataFrame, lang: str) -> list[tuple[str, list[tuple[str, list[str]]]]]:
    """Per plan section: [(status word, [target (clause), ...]), ...], 无公开数据 first, then 数据不足, then any other."""
    ordered = _ordered(table)
    words = _words(ordered)     # the summary table's words: after the plan's end 暂无数据, not 无公开数据
    out = []
    for label, group in ordered.groupby([section_label(c, lang) for c in ordered["clause"]], sort=False):
        parts = []
        for verdict, sub in group.groupby("verdict", sort=False):
            names = [target_label(r, lang) + L(lang, f"（{clause_text(r['clause'], lang)}）", f" ({clause_text(r['clause'], lang)})")
                     for _, r in sub.iterrows()]
            parts.append((L(lang, *words[verdict]) if verdict in words else verdict, names))
        order = [L(lang, *words["no_public_data"]), L(lang, *words["insufficient_data"])]
        parts.sort(key=lambda p: order.index(p[0]) if p[0] in order else len(order))
        out.append((label, parts))
    return out


def no_data_block(table: pd.DataFrame, lang: str, html: bool = True) -> pd.DataFrame:
    """Targets without figures to show, one row per plan section: "无公开数据：a；b 数据不足：c".

    html: the status words bold in HTML (JupyterLab); False gives plain text cells (md_table escapes them: the
    Word route).
    """
    sep, colon = L(lang, "；", "; "), L(lang, "：", ": ")
    rows = []
    for label, parts in _no_data_groups(table, lang):
        if html:
            cell = RawMarkup(" ".join(f"<b>{html_text(word)}</b>{colon}{html_text(sep.join(names))}" for word, names in parts))
        else:
            cell = " ".join(f"{word}{colon}{sep.join(names)}" for word, names in parts)
        rows.append({L(lang, "规划章节", "Plan section"): label, L(lang, "目标（条款）", "Targets (clause)"): cell})
    return pd.DataFrame(rows)


def no_data_typst(table: pd.DataFrame, lang: str) -> RawMarkup:
    """The same block for the PDF, as Typst: the status word bold, the names escaped once (typst_text)."""
    sep, colon = L(lang, "；", "; "), L(lang, "：", ": ")
    rows = []
    for label, parts in _no_data_groups(table, lang):
        cell = " ".join(f"#strong[{typst_text(word)}]{typst_text(colon)}{typst_text(sep.join(names))}" for word, names in parts)
        rows.append([label, TypstCode(cell)])
    return typst_table([L(lang, "规划章节", "Plan section"), L(lang, "目标（条款）", "Targets (clause)")], rows, NO_DATA_WIDTHS)


def _words(table: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """Status words by verdict family, as the summary table prints them: after the plan's end a final evaluation's."""
    ended = "plan_ended" in table and bool(len(table)) and bool(table["plan_ended"].all())
    return {**FAMILIES, **FINAL_WORDS} if ended else FAMILIES


def status_legend(rest: pd.DataFrame, lang: str) -> str:
    """One line that tells 数据不足 from 暂无数据 / 无公开数据, in the words the block below prints (plain text)."""
    w = _words(rest)
    few, none = L(lang, *w["insufficient_data"]), L(lang, *w["no_public_data"])
    return L(lang, f"{few}：有相关公开数据，但不足以研判（如缺少基期或某一年份）；{none}：没有任何海门公开数据（多需部门台账）。",
             f"{few[:1].upper() + few[1:]}: some published figures, too few to judge (e.g. no base year); {none}: no "
             "published Haimen figure at all (most need department returns).")


def no_data_sentence(rest: pd.DataFrame, lang: str) -> str:
    """The line over the block of targets without figures, counting quantitative targets and milestones apart, so
    that it reconciles with page 1 (which counts the quantitative targets only): "其余48项量化目标和5项节点任务…"."""
    milestones = int((rest["type"] == "milestone").sum()) if len(rest) else 0
    targets = len(rest) - milestones
    zh = "和".join(part for part in (f"{targets}项量化目标" if targets else "", f"{milestones}项节点任务" if milestones else "")
                  if part)
    en = " and ".join(part for part in (
        f"{targets} quantitative {'target' if targets == 1 else 'targets'}" if targets else "",
        f"{milestones} {'milestone' if milestones == 1 else 'milestones'}" if milestones else "") if part)
    verb = "has" if targets + milestones == 1 else "have"
    return L(lang, f"其余{zh}暂无可用的海门公开数据（按规划章节列出）。",
             f"The other {en} {verb} no usable published Haimen figure (by plan section).")

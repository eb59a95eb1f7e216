"""What changed, in words: the console lines after a run and the briefing's 本季度变化 / What changed paragraph.

Split from changes.py, which computes changes.csv; this module only reads that table (and the assessment for
target names) and writes text. Text from the raw files (titles, periods, units) is escaped once, here, with
escape.md_text before it enters the briefing's Markdown.
"""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pandas as pd

from analysis.report.changes import _num, _read
from analysis.core.wording import cn_date, period_words, target_label, term  # the one wording of a period (2025年1—6月 / Jan-Jun 2025)


def _counts(changes: pd.DataFrame) -> dict[str, int]:
    return changes["change"].value_counts().to_dict()


FIGURE_CHANGES = ("new_figure", "revised_figure", "corrected_figure", "withdrawn_figure", "removed_figure",
                  "restored_figure")
CONSOLE_WORDS = {"new_figure": "new", "revised_figure": "revised", "corrected_figure": "corrected",
                 "withdrawn_figure": "withdrawn", "removed_figure": "removed", "restored_figure": "restored"}


def _part(changes: pd.DataFrame, against: tuple[str, ...]) -> pd.DataFrame:
    """The rows against one earlier state (changes.csv written before the `against` column: all of them)."""
    if "against" not in changes:
        return changes if "report" in against else changes.iloc[0:0]
    return changes[changes["against"].fillna("report").isin(against)]


def _figure_line(r: pd.Series, names: dict[str, str]) -> str:
    what = f"{names.get(r['indicator'], r['indicator'])} {r['region']} {r['period']}"
    move = f": {r['old'] or '—'} -> {r['new'] or '—'}" if r["change"] in ("revised_figure", "corrected_figure") else ""
    why = f" ({r['note']})" if r["change"] in ("withdrawn_figure", "corrected_figure", "removed_figure", "restored_figure") \
        and r["note"] else ""
    return f"  {CONSOLE_WORDS[r['change']]}: {what} [{r['figure_id']}]{move}{why}"


def _summary_lines(part: pd.DataFrame, head: str, names: dict[str, str], limit: int) -> list[str]:
    c = _counts(part)
    if "none" in c:
        return [f"{head}: nothing (same figures, verdicts and P(met))."]
    counts = ", ".join(f"{CONSOLE_WORDS[k]} figures {c.get(k, 0)}" for k in FIGURE_CHANGES if c.get(k, 0) or k in FIGURE_CHANGES[:2])
    basis = f", verdicts unchanged on new evidence {c['verdict_basis']}" if c.get("verdict_basis") else ""
    lines = [f"{head}: verdict changes {c.get('verdict', 0)}{basis}, P(met) moves of 5 points or more "
             f"{c.get('p_met', 0)}, {counts}"]
    verdicts = part[part["change"].isin(["verdict", "p_met", "verdict_basis"])]
    for _, r in verdicts.head(limit).iterrows():
        lines.append(f"  {r['change'].replace('_', ' ')}: {r['target']}: {r['old'] or '—'} -> {r['new']}")
    if len(verdicts) > limit:
        lines.append(f"  ... {len(verdicts) - limit} more verdict changes in changes.csv")
    # every figure by name (issue 24 point 4): a planner sees what the run took in, and what it no longer uses
    figures = part[part["change"].isin(FIGURE_CHANGES)]
    order = {k: i for i, k in enumerate(("withdrawn_figure", "corrected_figure", "removed_figure", "restored_figure",
                                         "revised_figure", "new_figure"))}
    figures = figures.sort_values("change", key=lambda s: s.map(order), kind="stable")
    lines += [_figure_line(r, names) for _, r in figures.head(3 * limit).iterrows()]
    if len(figures) > 3 * limit:
        lines.append(f"  ... {len(figures) - 3 * limit} more figures in changes.csv")
    lines += [f"  note: {n}" for n in part.loc[part["change"] == "note", "note"]]
    return lines


def console_summary(changes: pd.DataFrame, limit: int = 4, names: dict[str, str] | None = None) -> str:
    """The lines after `python -m analysis run`: what changed against the previous quarter (its report, or the
    data as at that quarter when it has none), then, on a rerun, what this version revised since the one it replaces."""
    names = names or {}
    main = _part(changes, ("report", "rebuilt"))
    if main.empty or "first_report" in _counts(main):
        lines = ["What changed: first report, nothing to compare."]
    else:
        prev = str(main["compared_with"].iloc[0])
        rebuilt = "against" in main and (main["against"] == "rebuilt").any()
        head = (f"What changed since {prev} (rebuilt from the data as at {prev}: no report of it was published)"
                if rebuilt else f"What changed since the {prev} report")
        lines = _summary_lines(main, head, names, limit)
    version = _part(changes, ("version",))
    if len(version):
        lines += _summary_lines(version, f"This version revises {version['compared_with'].iloc[0]}", names, limit)
    return "\n".join(lines)


def report_summary(folder: Path) -> str:
    """The console lines after a run: what changed (from folder/changes.csv), figures named as figures.csv names them."""
    changes = _read(Path(folder) / "changes.csv")
    if changes is None:
        return "What changed: no changes.csv in this report."
    figures = _read(Path(folder) / "figures.csv")
    names = dict(zip(figures["indicator"], figures["indicator_zh"].fillna(""))) if figures is not None and "indicator_zh" in figures else {}
    return console_summary(changes, names={k: v for k, v in names.items() if v})


def briefing_section(changes: pd.DataFrame | None, assessment: pd.DataFrame, names: dict[str, str], lang: str,
                     home_region: str = "海门", limit: int = 4) -> str:
    """本季度变化 / What changed as one short paragraph: verdict changes and P(met) moves by name, revised figures
    with their source, new figures by name (a few; their ids and every source are in changes.csv / figures.csv:
    a leader's body carries no ids, issue 26).

    One paragraph, not a list, because the briefing has a page budget. Source
    titles, periods, units and statuses come from the raw files, so they are escaped (escape.md_text)
    before they enter the Markdown. Always against the previous quarter (its report, else the quarter rebuilt from
    the data, said so); a rerun adds a second paragraph, 本版修订, against the version it replaces.
    """
    from analysis.core.wording import L
    from analysis.core.escape import md_text

    lead = ""       # the section heading (三、本季度变化) says what this is: no bold lead-in repeating it
    if changes is None or changes.empty:
        return lead + L(lang, "本期未生成变化对照。", "No comparison was made for this quarter.")
    version = _part(changes, ("version",))
    tail = ("\n\n" + version_line(version, assessment, names, lang, home_region, limit)) if len(version) else ""
    changes = _part(changes, ("report", "rebuilt"))
    c = _counts(changes)
    if changes.empty or "first_report" in c:
        return lead + L(lang, "首份报告，无可比较的上期报告。", "First report, nothing to compare.") + tail
    label = str(changes["compared_with"].iloc[0])
    zh_q, en_q = (f"{label[:4]}年第{label[5]}季度", f"{label[:4]} Q{label[5]}") if re.fullmatch(r"\d{4}Q[1-4]", label) \
        else (md_text(label), md_text(label))
    rebuilt = "against" in changes and (changes["against"] == "rebuilt").any()
    # against a published report, or the previous quarter rebuilt from the data (no report of it): said so, in one bracket
    if rebuilt:
        against = (f"与{zh_q}相比", f"compared with {en_q} as rebuilt from the data available then",
                   "该季度未发布简报，比较基准为按当时已公布数据重新测算的结果", f"no {en_q} briefing was published")
    else:
        against = (f"与{zh_q}简报相比", f"since the {en_q} briefing", "", "")
    return _paragraph(changes, assessment, names, lang, home_region, limit, lead, *against) + tail


def edition(changes: pd.DataFrame | None) -> int | None:
    """This version's number when it replaces a published version of the same quarter (the 期号's 第N版), else None."""
    if changes is None or changes.empty:
        return None
    version = _part(changes, ("version",))
    if version.empty:
        return None
    label = str(version["compared_with"].iloc[0])          # "2025Q2 v1, published 2025-08-14T16:22:05"
    number = label.split(" v", 1)[1].split(",", 1)[0] if " v" in label else ""
    return int(number) + 1 if number.isdigit() else None


def version_line(version: pd.DataFrame, assessment: pd.DataFrame, names: dict[str, str], lang: str,
                 home_region: str = "海门", limit: int = 4) -> str:
    """本版修订 / This version: what a rerun changed against the version of the quarter it replaces (one line)."""
    from analysis.core.wording import L

    label = str(version["compared_with"].iloc[0])          # "2025Q2 v1, published 2025-08-14T16:22:05"
    number = label.split(" v", 1)[1].split(",", 1)[0] if " v" in label else "?"
    when = label.split("published ", 1)[1].replace("T", " ")[:16] if "published " in label else ""
    # the number and time come from our own manifest.json; anything else in their place is not shown
    number = number if number.isdigit() else "?"
    when = when if re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", when) else ""
    this = f"{int(number) + 1}" if number.isdigit() else "?"
    lead = L(lang, f"**本版修订**：本版（第{this}版）", f"**This version** ({this}): ")
    # a Chinese sentence dates the version the Chinese way (2025年8月20日9:05), never ISO (issue 26)
    stamp = datetime.strptime(when, "%Y-%m-%d %H:%M") if when else None
    zh = f"与第{number}版（{cn_date(stamp)}{stamp:%H:%M}发布）相比" if stamp else f"与第{number}版相比"
    en = f"since version {number} (published {when})" if when else f"since version {number}"
    return _paragraph(version, assessment, names, lang, home_region, limit, lead, zh, en, "", "")


def _paragraph(changes: pd.DataFrame, assessment: pd.DataFrame, names: dict[str, str], lang: str, home_region: str,
               limit: int, lead: str, against_zh: str, against_en: str, why_zh: str, why_en: str) -> str:
    """One paragraph of changes against one earlier state (the previous quarter, or the replaced version); why_*:
    what that state is, when it needs saying (a quarter rebuilt from the data), in the one bracket of the paragraph."""
    from analysis.core.wording import L, amount, fmt_p, fmt_pct, status_words
    from analysis.core.escape import md_text

    c = _counts(changes)
    if "none" in c:
        return lead + L(lang, f"{against_zh}{'（' + why_zh + '）' if why_zh else ''}，数据、研判和{term('p_met', 'zh')}均无变化。",
                        f"nothing changed {against_en} ({why_en + '; ' if why_en else ''}same figures, verdicts and P(met)).")
    by_target = assessment.set_index("target") if "target" in assessment else pd.DataFrame()
    sep = L(lang, "；", "; ")
    judged = []
    judged_targets = list(dict.fromkeys(changes.loc[changes["change"].isin(["verdict", "p_met"]), "target"]))
    for t in judged_targets:
        rows = changes[changes["target"] == t]
        text = md_text(_target_name(t, by_target, lang)) + L(lang, "：", ": ")
        v = rows[rows["change"] == "verdict"]
        if len(v):
            v = v.iloc[0]
            old = md_text(v["old_zh"] if lang == "zh" else v["old"]) or L(lang, "（新目标）", "(new target)")
            text += f"{old} → {md_text(v['new_zh'] if lang == 'zh' else v['new'])}"
        p = rows[rows["change"] == "p_met"]
        if len(p):
            p = p.iloc[0]
            move = L(lang, term("p_met", lang), "P(met) ") + f"{fmt_p(float(p['old']))} → {fmt_p(float(p['new']))}"
            text += (L(lang, "（", " (") + move + L(lang, "）", ")")) if len(v) else move
        judged.append(text)
    # the file with the details is named in the technical annex, not in the leader's body (issue 26)
    parts = [lead + L(lang, f"{against_zh}{'（' + why_zh + '）' if why_zh else ''}，",
                      f"{(against_en[:1].upper() + against_en[1:]) if not lead else against_en}"
                      f"{' (' + why_en + ')' if why_en else ''}, ")]
    if judged:
        shown = judged[:limit] + ([L(lang, f"另{len(judged) - limit}项", f"{len(judged) - limit} more")] if len(judged) > limit else [])
        n_moves = int((changes["change"] == "p_met").sum())
        what_zh = f"研判或{term('p_met', 'zh')}（≥5个百分点）" if n_moves else "研判"
        parts.append(L(lang, f"{what_zh}变化{len(judged)}项：", f"{len(judged)} target{'s' if len(judged) != 1 else ''} changed verdict"
                             + (" or P(met) by 5 points or more: " if n_moves else ": ")) + sep.join(shown) + L(lang, "。", ". "))
    else:
        parts.append(L(lang, f"研判均未变化，{term('p_met', 'zh')}变动均不足5个百分点。", "no verdict changed and no P(met) moved by 5 points or more. "))
    basis = _basis_items(changes, by_target, judged_targets, lang)
    if basis:
        # with no verdict changed these are among the unchanged ones ("其中"), else the others ("另有n项")
        n = int(((changes["change"] == "verdict_basis") & ~changes["target"].isin(judged_targets)).sum())
        lead_zh, lead_en = ("其中", "Of these, ") if not judged else \
            (f"另有{n}项研判不变：", f"{n} other verdict{'s' if n != 1 else ''} unchanged: ")
        parts.append(L(lang, lead_zh, lead_en) + sep.join(basis[:limit])
                     + (L(lang, "等", f" and {len(basis) - limit} more") if len(basis) > limit else "")
                     + L(lang, "。", ". "))
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
                 f"{fig(r['new_value'], r['new_growth_pct'], r['new_status'], r['unit'])}"
                 for _, r in home.iterrows()]
        titles = "; ".join(md_text(t) for t in dict.fromkeys(home["source_title"].astype(str)))
        parts.append(L(lang, f"修订数据{len(revised)}项", f"{len(revised)} revised figure{'s' if len(revised) != 1 else ''}")
                     + (L(lang, "：", ": ") + sep.join(items) + L(lang, f"（来源：{titles}）", f" (source: {titles})")
                        if items else "") + L(lang, "。", ". "))
    # new figures as published: a level derived from printed growth (D...) adds no publication (it is in changes.csv)
    new = changes[(changes["change"] == "new_figure") & ~changes["figure_id"].astype(str).str.startswith("D")]
    if len(new):
        # the examples: official figures first, printed before derived, the latest periods first
        home_new = new[new["region"] == home_region].assign(
            _unverified=lambda f: f["new"].astype(str).str.contains("unverified"),
            _derived=lambda f: f["figure_id"].astype(str).str.startswith("D"), _period=lambda f: f["period"].astype(str))
        home_new = home_new.sort_values(["_unverified", "_derived", "_period"], ascending=[True, True, False])
        # Chinese names the period first (2025年1—6月地区生产总值), English the indicator (GDP Jan-Jun 2025)
        items = [L(lang, f"{md_text(period_words(r['period'], lang))}{md_text(names.get(r['indicator'], r['indicator']))}",
                   f"{md_text(names.get(r['indicator'], r['indicator']))} {md_text(period_words(r['period'], lang))}")
                 for _, r in home_new.head(1).iterrows()]      # one example in both languages
        lead = L(lang, "：", ": ") if len(new) == 1 else L(lang, "，如", ", e.g. ")      # one figure is named, not exemplified
        # how many of them no verdict may rest on: "新增数据6项" alone reads as six published figures
        unverified = int(new["new"].astype(str).str.contains("unverified").sum())
        caveat = "" if not unverified or len(new) == 1 else \
            L(lang, f"（其中{unverified}项来源未经核实）", f" ({unverified} of them from unverified sources)")
        if unverified and len(new) == 1:
            caveat = L(lang, "（来源未经核实）", " (from an unverified source)")
        parts.append(L(lang, f"新增数据{len(new)}项", f"{len(new)} new figure{'s' if len(new) != 1 else ''}") + caveat
                     + (lead + L(lang, "、", "; ").join(items) if items else "") + L(lang, "。", "."))
    order = {"withdrawn_figure": 0, "corrected_figure": 1, "removed_figure": 2, "restored_figure": 3}
    gone = changes[changes["change"].isin(list(order))].sort_values("change", key=lambda s: s.map(order), kind="stable")
    if len(gone):
        # a figure taken out of use is named with its id and why (the correction row's reason), never silently
        # each item opens a sentence part after a full stop: English capitalised
        words = {"withdrawn_figure": ("撤回", "Withdrawn"), "corrected_figure": ("更正", "Corrected"),
                 "removed_figure": ("移除（原始文件或行已删除）", "Removed (its raw file or row is gone)"),
                 "restored_figure": ("恢复使用（撤回或更正行已删除）", "Restored (the row that withdrew or corrected it is gone)")}
        items = [L(lang, words[r["change"]][0], words[r["change"]][1]) + L(lang, "：", ": ")
                 + f"{md_text(names.get(r['indicator'], r['indicator']))} {md_text(period_words(r['period'], lang))}"
                 + (L(lang, "（", " (") + md_text(_reason(r["note"])) + L(lang, "）", ")")
                    if r["change"] not in ("removed_figure", "restored_figure") and _reason(r["note"]) else "")
                 for _, r in gone.head(limit).iterrows()]
        more = L(lang, f"等{len(gone)}项", f" and {len(gone) - limit} more") if len(gone) > limit else ""
        parts.append(" " + sep.join(items) + more + L(lang, "。", "."))
    elif not len(revised) and not len(new):
        parts.append(L(lang, "无新增或修订数据。", "No new or revised figures."))
    return "".join(parts).strip()


def _target_name(t: str, by_target: pd.DataFrame, lang: str) -> str:
    return target_label(by_target.loc[t], lang) if t in by_target.index else t


def _basis_items(changes: pd.DataFrame, by_target: pd.DataFrame, skip: list[str], lang: str) -> list[str]:
    """Targets whose printed verdict stayed the same while what stands beside it changed (verdict_basis rows: 尚未取得
    数据 -> 仅有未核实资料, both 待统计数据确认 after the plan's end), in words, never the internal labels: an unverified
    figure is no evidence, so the verdict's basis did not change; what is new is said as what it is."""
    from analysis.core.escape import md_text
    from analysis.core.wording import L, shown_verdict

    groups: dict[tuple[str, str], list[str]] = {}      # (printed verdict, what is new) -> target names
    for _, v in changes[(changes["change"] == "verdict_basis") & ~changes["target"].isin(skip)].iterrows():
        t = v["target"]
        word = shown_verdict(by_target.loc[t], lang) if t in by_target.index else ""
        new_key = str(v["note"]).rsplit("-> ", 1)[-1]
        what = (L(lang, "新见未经核实的目标年份数据（未采用）", "with a target-year figure from an unverified page (not used)")
                if new_key == "pending_unverified" else
                L(lang, "未经核实的目标年份数据已不再列出", "its unverified target-year figure no longer listed")
                if str(v["note"]).split(": ", 1)[-1].startswith("pending_unverified") else
                L(lang, f"现为“{v['new_zh']}”", f"now {v['new']}"))
        groups.setdefault((word, what), []).append(_target_name(t, by_target, lang))
    # targets in the same situation said once, together (a page budget, and a reader sees they share it)
    return [md_text(L(lang, "、".join(names) + f"仍为{word}，{'均' if len(names) > 1 else ''}{what}",
                      " and ".join(names) + f": still {word}, {'each ' if len(names) > 1 else ''}{what}"))
            for (word, what), names in groups.items()]


def _reason(note: object) -> str:
    """The why of a correction row, from a note such as "撤回 withdrawn by f.csv:3 [Fabc234]: 1-9月数误填为全年"."""
    text = "" if note is None or (isinstance(note, float) and note != note) else str(note)
    return text.split("]: ", 1)[1].strip() if "]: " in text else text.strip()

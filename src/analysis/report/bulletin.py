"""The briefing as a district office sends it up (简报 form, issue 26): masthead, overall judgement, action list, tail.

Why a module of its own: briefing.py words one target at a time; this one frames the whole document the way a
Chinese government 简报 is framed, so a staff member of the district development and reform commission can send
it up unchanged:

- 报头 (masthead): the series title in red, the issue number (期号: the quarter, 2025年第2期), the compiling unit and
  the date, then a red rule; 报尾 (tail): 报/送 and 印数. Words and units come from settings `briefing`, never
  from code, so an office renames its series without a release.
- 总体情况 (overall judgement): one paragraph a leader can read aloud: how many targets can be judged, how many wait
  for statistics, what the three headline targets stand at, and what must be collected. Every number is counted
  from assessment.csv; no probability is given a likelihood word that confidence does not allow.
- 数据收集工作安排 (action list): per lead unit, the targets without a figure, what to send and by when; growth-rate
  targets go to the statistics bureau, whoever leads the policy (the bureau prints the comparable growth).

Each function returns plain text or a DataFrame; the notebook escapes text once (md_text / md_table) and the
Typst markup of the masthead is built here from escaped strings (escape.typst_string).
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from analysis.core.config import Config
from analysis.core.escape import typst_string
from analysis.core.quarters import Quarter
from analysis.core.wording import L, cn_date, en_date, fmt_p, shown_verdict, term, zh_text

CN_NUMBERS = "一二三四五六七八九十"
STATISTICS_BUREAU = "区统计局"




def heading(n: int, zh: str, en: str, lang: str) -> str:
    """A numbered section heading: 一、总体情况 / 1. Overall."""
    return L(lang, f"{CN_NUMBERS[n - 1]}、{zh}", f"{n}. {en}")


def subheading(n: int, lang: str) -> str:
    """The number of an item under a section, one level below 一、: （一） / (a)."""
    return L(lang, f"（{CN_NUMBERS[n - 1]}）", f"({'abcdefghij'[n - 1]}) ")


def _words(cfg: Config) -> dict:
    return cfg.settings.get("briefing", {}) or {}


def masthead(cfg: Config, quarter: Quarter, issued: date, lang: str, edition: int | None = None) -> tuple[str, str]:
    """(Typst markup for the PDF, plain Markdown for Word/HTML) of the 报头: series title, 期号, unit and date, rule.

    期号 from the quarter and the version (issue 26): 2025年第2期, and 2025年第2期（第2版） for a rerun that replaces
    a published version (edition: this version's number, changes_words.edition)."""
    w = _words(cfg)
    title = L(lang, w.get("series_zh", "现代服务业发展监测简报"), w.get("series_en", "Service industry monitoring bulletin"))
    again = edition is not None and edition > 1
    number = L(lang, f"{quarter.year}年第{quarter.q}期" + (f"（第{edition}版）" if again else ""),
               f"No. {quarter.q}, {quarter.year}" + (f" (version {edition})" if again else ""))
    unit = L(lang, f"{w.get('publisher_zh', '')}编", f"Compiled by the {w.get('publisher_en', '')}")
    when = L(lang, cn_date(issued), en_date(issued))
    size, tracking = ("22pt", "0.06em") if lang == "zh" else ("17pt", "0em")      # spaced-out 简报 title in Chinese only
    typst = ("```{=typst}\n#set par(justify: false)\n#align(center)[#text(size: " + size + ", fill: rgb(\"#c00000\"), weight: \"bold\", "
             f"tracking: {tracking})[#{typst_string(title)}]]\n#v(-0.4em)\n#align(center)[#{typst_string(number)}]\n"
             f"#v(-0.2em)\n#grid(columns: (3fr, 1fr), align(left)[#{typst_string(unit)}], "
             f"align(right)[#{typst_string(when)}])\n"
             "#v(-0.6em)\n#line(length: 100%, stroke: 1.6pt + rgb(\"#c00000\"))\n```")
    portable = f"**{title}**\n\n{number}\n\n{unit}　　{when}\n\n---"
    return typst, portable


def title_line(cfg: Config, lang: str) -> str:
    """The document title: the plan's full name in 书名号, then what this is."""
    w = _words(cfg)
    return L(lang, f"《{w.get('plan_title_zh', '')}》目标完成情况监测", f"Progress on the Targets of the {w.get('plan_title_en', '')}")


def lead_in(cutoff: date, has_returns: bool, lang: str, table: pd.DataFrame | None = None, cfg: Config | None = None) -> str:
    """导语 in report form: why the office monitors and what follows, then what this issue rests on."""
    zh = "公开发布资料和部门报送数据" if has_returns else "公开发布资料"
    en = "published sources and department returns" if has_returns else "published sources only"
    head_zh = head_en = ""
    if table is not None and cfg is not None:
        n_t, n_m = int((table["type"] != "milestone").sum()), int((table["type"] == "milestone").sum())
        ended = bool(table["plan_ended"].all())
        unit = (cfg.settings.get("departments") or {}).get("collector", "")
        what_zh, what_en = ("终期监测", "a final review") if ended else ("季度监测", "quarterly monitoring")
        plan = (cfg.settings.get("briefing") or {}).get("plan_title_zh", "")
        named = f"《{plan}》（以下简称《行动计划》）" if plan else "《行动计划》"      # the short name introduced once
        head_zh = (f"为掌握{named}实施成效，{unit}对计划确定的{n_t}项量化目标和{n_m}项节点任务开展{what_zh}，"
                   "现将有关情况报告如下。")
        head_en = (f"To assess the Action Plan's results, the district DRC has carried out {what_en} of its {n_t} "
                   f"quantitative targets and {n_m} milestones (below). ")
    # the body names its annex here: a line of its own after the last table could fall alone onto a page
    return L(lang, head_zh + f"本期数据截至{cn_date(cutoff)}，仅采用{zh}；未经核实的网络资料只作参考，不作判定依据。"
                             "方法和来源见附件。",
             head_en + f"Data: {en}, as of {en_date(cutoff)}; unverified web pages are for reference only and never "
                       "decide a verdict. Data notes, methods and sources: see the annex.")


def _p_note(row: pd.Series, lang: str) -> str:
    p = row.get("p_met")
    if p is None or pd.isna(p) or row.get("verdict") not in ("pending", "on_track", "at_risk", "off_track"):
        return ""
    low = str(row.get("confidence", "low")) == "low"
    if low:             # the overall judgement a leader reads aloud carries no low-confidence percentage (section 二 has it)
        return ""
    return L(lang, f"（{term('p_met_nowcast', lang)}约{fmt_p(p)}" + (f"，{term('low_confidence', lang)}）" if low else "）"),
             f" (model estimate: about {fmt_p(p)} likely to be met" + (", low confidence)" if low else ")"))


def overall(table: pd.DataFrame, cfg: Config, names: dict[str, str], lang: str) -> str:
    """总体情况 after the period line (briefing_notes.period_line, which counts the verdicts): the headline targets in
    the standard words of a final evaluation, then what the office must still collect. Counted from assessment.csv."""
    plan = table[table["type"] != "milestone"]
    fam = plan["verdict"].value_counts()
    pending = int(fam.get("pending", 0))
    gaps = int(fam.get("insufficient_data", 0) + fam.get("no_public_data", 0))
    ended = bool(len(plan)) and bool(plan["plan_ended"].all())
    end = int(plan["target_year"].max()) if len(plan) else 0
    heads = table[table["headline"].astype(bool)]
    items = [f"{_name(r, names, lang)}{L(lang, '', ': ')}{shown_verdict(r, lang)}{_p_note(r, lang)}"
             for _, r in heads.iterrows()]
    text = L(lang, "核心目标：" + "；".join(items) + "。", "Headline targets: " + "; ".join(items) + ".")
    if ended and (pending or gaps):
        collector = (cfg.settings.get("departments") or {}).get("collector", "")
        text += L(lang, f"总体看，终期评估所需的{end}年数据尚未齐备，暂不能作出终期结论；请{STATISTICS_BUREAU}和各牵头单位"
                        f"按第{CN_NUMBERS[4]}部分报送{end}年数据，由{collector}汇总后形成终期评估。",
                  f" Overall, the {end} figures a final evaluation needs are not all in, so no final conclusion can be "
                  f"drawn yet; the statistics bureau and the lead units are asked to send the {end} figures listed "
                  "in section 5, for the district DRC to compile into the final evaluation.")
    return text


def _name(row: pd.Series, names: dict[str, str], lang: str) -> str:
    """A headline target by what it measures: the indicator's name as the bureau prints it, with the target year."""
    what = names.get(row["indicator"], row["name_zh"] if lang == "zh" else row["name_en"])
    if row["type"] == "avg_growth":
        return L(lang, f"{what}年均增长", f"{what}, average growth")
    return L(lang, f"{what}（{int(row['target_year'])}年）", f"{what} ({int(row['target_year'])})")


def action_list(table: pd.DataFrame, cfg: Config, due: date, lang: str) -> pd.DataFrame:
    """数据收集工作安排: per lead unit, the targets without a figure, what to send, by when; growth-rate targets
    (and every target whose figure the statistics bureau prints) under the bureau."""
    from analysis.inputs.responsible import lead_units, responsibilities

    resp = responsibilities(cfg)
    open_ = table[table["verdict"].isin(["no_public_data", "insufficient_data", "pending"])]
    rows: dict[str, list] = {}
    for _, r in open_.iterrows():
        unit = STATISTICS_BUREAU if r["type"] == "avg_growth" else resp[r["target"]].lead
        rows.setdefault(unit, []).append(r)
    order = [STATISTICS_BUREAU, *[u for u in lead_units(cfg) if u != STATISTICS_BUREAU]]
    out = []
    end = int(table["target_year"].max())
    for unit in [u for u in order if u in rows]:
        mine = rows[unit]
        milestones = sum(1 for r in mine if r["type"] == "milestone")
        growth = [r for r in mine if r["type"] == "avg_growth"]
        levels = [r for r in mine if r["type"] not in ("milestone", "avg_growth")]
        what = []
        # which figures, by name (a count alone tells a unit nothing): the first two, then how many in all
        for group, zh, en in ((growth, f"{end - 2}—{end}年各年同比增长（可比口径）", f"comparable growth {end - 2}-{end}, each year"),
                              (levels, f"{end}年数值及出处", f"{end} figures and sources")):
            if not group:
                continue
            named = list(dict.fromkeys(_short(r, cfg, lang) for r in group))
            head = L(lang, "、", "; ").join(named[:2])
            what.append(L(lang, f"{head}{'等' if len(named) > 2 else ''}{len(group)}项指标的{zh}",
                          f"{head}{' and others' if len(named) > 2 else ''} ({len(group)}): {en}"))
        if milestones:
            what.append(L(lang, f"{milestones}项节点任务的完成情况及完成日期", f"{milestones} milestone{'s' if milestones != 1 else ''}: status and completion date"))
        out.append({L(lang, "单位", "Unit"): unit if lang == "zh" else _unit_en(cfg, unit),
                    L(lang, "报送内容", "What to send"): L(lang, "；", "; ").join(what),
                    L(lang, "报送时限", "By"): L(lang, cn_date(due), en_date(due))})
    return pd.DataFrame(out)


def _short(row: pd.Series, cfg: Config, lang: str) -> str:
    """A target by what it measures (the indicator's name), for a list of what a unit must send."""
    ind = cfg.indicators.get(row["indicator"]) if row.get("indicator") else None
    if ind is None:
        return zh_text(row["name_zh"]) if lang == "zh" else str(row["name_en"])
    return zh_text(ind.name_zh) if lang == "zh" else ind.name_en


def _unit_en(cfg: Config, unit: str) -> str:
    from analysis.inputs.responsible import unit_en
    return unit_en(cfg, unit) if unit != STATISTICS_BUREAU else "District Statistics Bureau"


def tail(cfg: Config, lang: str, issued: date | None = None) -> tuple[str, str]:
    """(Typst, portable Markdown) of the 报尾: a rule, 报/送, the compiling unit with the date it is issued
    (印发, GB/T 9704's 版记) and 印数."""
    w = _words(cfg)
    lines = [L(lang, f"报：{w.get('report_to_zh', '')}", f"To: {w.get('report_to_en', '')}"),
             L(lang, f"送：{w.get('send_to_zh', '')}", f"Cc: {w.get('send_to_en', '')}")]
    printed = L(lang, f"{cn_date(issued)}印发", f"issued {en_date(issued)}") if issued else ""
    last = L(lang, f"{w.get('publisher_zh', '')}　　{printed}　　共印{w.get('copies', '')}份",
             f"{w.get('publisher_en', '')} · {printed + ' · ' if printed else ''}{w.get('copies', '')} copies")
    # the 版记 lines start at the margin: no first-line indent (render.BULLETIN_RULES indents the body's paragraphs)
    typst = ("```{=typst}\n#set par(first-line-indent: 0em)\n#v(1fr)\n#line(length: 100%, stroke: 0.8pt)\n#v(-0.5em)\n"
             + "\n".join(f"#text(size: 9pt)[#{typst_string(x)}]\\" for x in lines)
             + f"\n#line(length: 100%, stroke: 0.5pt)\n#v(-0.5em)\n#text(size: 9pt)[#{typst_string(last)}]\n"
             "#line(length: 100%, stroke: 0.8pt)\n```")
    portable = "\n\n".join(["---", *lines, last])
    return typst, portable

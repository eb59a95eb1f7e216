"""The words of the leadership briefing, Chinese first and English too, built from the assessment.

Pure functions from tables to Markdown: the notebook (04_briefing.ipynb) only
shows what these return, so the wording is tested and the same in every
quarter. Numbers follow Chinese conventions (亿元, 万人次, 个百分点).

Two kinds of return value, never mixed: plain text (evidence_text, target_label,
the cells of status_table: md_table escapes them) and Markdown (key_message,
table_notes; data_notes, sources_line, methods in briefing_notes.py: data inside them went through
escape.md_text exactly once, where the sentence was assembled).
"""
from __future__ import annotations

import pandas as pd

from analysis.core.config import Config
from analysis.core.escape import RawMarkup, html_text, md_text, typst_string, typst_text
from analysis.model.evidence import SETTLED_FAMILIES
from analysis.core.wording import (L, _get, amount, amount_range, clause_text, fmt_p, fmt_pct, fmt_value, period_text, period_words,
                                   shown_verdict, status_words, target_label, term, zh_text)


def p_phrase(row: pd.Series, lang: str) -> str:
    """P(met) in whole per cent, with a likelihood word only where confidence allows one."""
    p = _get(row, "p_met")
    if p is None:
        return ""
    if _get(row, "confidence") in (None, "low"):
        return L(lang, f"{fmt_p(p)}（{term('low_confidence', lang)}）", f"{fmt_p(p)} ({term('low_confidence', lang)})")
    return L(lang, f"{fmt_p(p)}（{row['likelihood_zh']}）", f"{fmt_p(p)} ({row['likelihood_en']})")


def p_line(row: pd.Series) -> tuple[str, str]:
    """The line P(met) counts, in words (zh, en): for a 左右/约 target the lower end of its tolerance, said so,
    since P(average >= 9.0 %) is not P(average >= 10 %)."""
    value, tol = float(row["target_value"]), _get(row, "tolerance") or 0.0
    growth = row["type"] == "avg_growth"
    unit = row.get("unit") or ""
    pct = growth or unit == "%"

    def shown(v: float, lang: str) -> str:
        return fmt_pct(v) if pct else amount(v, unit, lang)

    what_zh, what_en = ("年均增长", "average growth of ") if growth else ("", "")
    if row.get("comparison") == "about" and tol:
        low = value - float(tol)
        plan = f"{value:g}%" if pct else shown(value, "zh")          # the plan's own words: 10%左右
        return (f"达到{what_zh}{shown(low, 'zh')}及以上（即完成或基本完成“{plan}左右”）",
                f"of {what_en}{shown(low, 'en')} or more (achieved or broadly achieved: about {plan if pct else shown(value, 'en')})")
    if row.get("comparison") == ">":
        return f"超过{what_zh}{shown(value, 'zh')}", f"of {what_en or ''}more than {shown(value, 'en')}"
    return f"达到{what_zh}{shown(value, 'zh')}", f"of reaching {what_en}{shown(value, 'en')}"


def _unit(row: pd.Series, cfg: Config) -> str:
    ind = cfg.indicators.get(row["indicator"])
    return row["unit"] if row["type"] != "avg_growth" else (ind.unit if ind else "")


def evidence_text(row: pd.Series, cfg: Config, lang: str, ids: bool = False) -> str:
    """The figure the verdict rests on (or the latest figure), with its period and status: 2022年521亿元（预计数）.

    ids: the figure ids ([Fk4q7zm]) after it; a leader's body carries none (issue 26): they are listed in the
    technical annex (evidence_ids) and in figures.csv."""
    fv = _get(row, "figure_value")
    if fv is not None:
        # a published figure is quoted with its printed digits (never a derived one: 505.8252 is arithmetic)
        value = fmt_pct(fv) if row["type"] == "avg_growth" else amount(fv, row["unit"], lang,
                                                                        printed="derived" not in str(row["figure_status"]))
        period, status = period_text(row["figure_period"]), status_words(row["figure_status"], lang)
        if row["type"] == "avg_growth" and not row.get("per") and "-" in period:
            value = L(lang, f"年均增长{value}", f"average growth {value}")
    else:
        latest = _get(row, "latest_value")
        if latest is None:
            return "—"
        value, period = amount(latest, _unit(row, cfg), lang, printed=not row.get("latest_derived")), str(int(row["latest_year"]))
        rel = str(row.get("latest_reliability") or "")
        # a copy says so (转载): 2023年601.8万人次（公布数、转载）, never passed off as the official publication
        status = status_words(f"{row.get('latest_status', '')}" + (f", {rel}" if rel in ("secondary", "mirror", "aggregator") else ""), lang)
        if row.get("latest_derived"):
            status += L(lang, "、推算", ", derived")
    return L(lang, f"{period}年{value}（{status}）", f"{value} ({period_words(period, lang)}, {status})") + (cite(row, fv is not None) if ids else "")


def latest_text(row: pd.Series, cfg: Config, lang: str) -> str:
    """The latest figure from a usable source (evidence_text without the figure a verdict rests on)."""
    return evidence_text(row.drop(labels=["figure_value"], errors="ignore"), cfg, lang)


def cite(row: pd.Series, figure: bool = True) -> str:
    """The figure ids behind a figure as a short reference ' [Fk4q7zm]' to look up in figures.csv (empty if none).

    A chain of growth rates may rest on several rows: the first two ids and a count of the rest keep the cell short;
    assessment.csv lists them all.
    """
    cell = _get(row, "figure_ids" if figure else "latest_figure_id")
    # ids are generated (F/D + base32 letters and digits), never typed text, so they need no Markdown escaping
    ids = [x.strip() for x in str(cell).split(";") if x.strip()] if cell else []
    if not ids:
        return ""
    return " [" + ", ".join(ids[:2]) + (f" +{len(ids) - 2}" if len(ids) > 2 else "") + "]"


def census_between(row: pd.Series, cfg: Config) -> int | None:
    """The economic census between the latest figure and the target year of a re-benchmarked total (社零), if any:
    the latest level is on the old caliber, the target year's figure will be on the new one."""
    ind = cfg.indicators.get(str(row.get("indicator"))) if row.get("indicator") else None
    last = _get(row, "latest_year")
    if ind is None or not ind.rebenchmarked or last is None:
        return None
    years = [int(c) for c in (cfg.settings.get("forecast", {}).get("census_released") or {})]
    return next((c for c in sorted(years) if int(last) < c <= int(row["target_year"])), None)


def key_message(row: pd.Series, cfg: Config, lang: str) -> str:
    """One paragraph per headline target (Markdown): status, the figure it rests on, probability, the gap, the growth needed.

    The sentences are assembled as plain text (names and figures come from the registry and the raw files) and
    each is escaped once at the end; only the bold of the first one is our markup.
    """
    unit = _unit(row, cfg)
    # the headline sentence ends with its own stop, so the next sentence never runs on ("insufficient data Too few")
    # a final evaluation's standard words, as the overall judgement (一、) says them: the same target never reads
    # 待统计数据确认 there and 尚未取得数据 here (wording.shown_verdict); the sentences below say what is pending
    word = shown_verdict(row, lang)
    parts = [f"{target_label(row, lang)}：{word}。" if lang == "zh" else f"{target_label(row, lang)}: {word}."]
    key, family = row.get("verdict_key", row["verdict"]), row["verdict"]
    year = int(row["target_year"])
    if family in SETTLED_FAMILIES:
        parts.append(L(lang, f"依据：{evidence_text(row, cfg, lang)}。", f"Basis: {evidence_text(row, cfg, lang)}."))
    elif key == "pending_unverified":
        parts.append(L(lang, f"仅有来源未经核实的数据：{evidence_text(row, cfg, lang)}，仅作参考，不作为完成依据，待官方数据核实。",
                       f"Only a figure from an unverified source: {evidence_text(row, cfg, lang)}; an indication, not "
                       "evidence, until an official figure confirms it."))
    elif key == "pending_crosscheck":
        parts.append(L(lang, f"依据为转载数据：{evidence_text(row, cfg, lang)}，待与官方原文核对后判定（转载，待核对）。",
                       f"The figure comes from a copy: {evidence_text(row, cfg, lang)}; it decides once checked against "
                       "the official publication."))
    elif key == "pending_revision":
        margin = cfg.settings["assessment"]["evidence"]["revision_margin_pct"]["estimate"]
        parts.append(L(lang, f"{evidence_text(row, cfg, lang)}与目标的差距在预计数通常的修订幅度（{margin:g}%）以内，待正式数据公布后判定。",
                       f"{evidence_text(row, cfg, lang)} is within the usual revision of an estimate ({margin:g}%) of the "
                       "target: the final figure will decide."))
    elif key == "pending_rounding":
        parts.append(L(lang, f"{evidence_text(row, cfg, lang)}为取整数据，目标线落在其舍入范围内，待精确数据公布后判定。",
                       f"{evidence_text(row, cfg, lang)} is printed rounded, and the target line lies within its rounding: "
                       "an exact figure will decide."))
    elif key == "pending_publication":
        # the plan's end is said once, in 一、总体情况: here only what is missing
        parts.append(L(lang, f"本期尚未取得{year}年统计数据。", f"No {year} figure is in hand yet."))
    elif family in ("insufficient_data", "no_public_data") and not bool(row.get("plan_ended")):
        # (after the plan ended the standard word, 数据不足 / 暂无数据, already says it: no second sentence)
        parts.append(L(lang, "海门公开数据不足，无法研判。" if family == "insufficient_data" else "暂无海门公开数据，无法研判。", "Too few published Haimen figures to judge it." if family == "insufficient_data" else "No published Haimen figure."))
    if _get(row, "latest_expected_low") is not None:       # model/expected.py: the figure may be a slip
        parts.append(L(lang, f"{int(row['latest_year'])}年数据明显低于模型按此前年份的预计，请核实是否为1—N月累计数（见数据说明）。",
                       f"The {int(row['latest_year'])} figure is well below what the model expected from earlier years: "
                       "check whether it is a year-to-date figure (see the data notes)."))
    # P comes last, after what it rests on (the latest figure, the projection, the growth needed, the year-to-date
    # and neighbours' rates), as a district office writes it up: evidence first, the estimate's chance after it
    chance = None
    if _get(row, "p_met") is not None and family not in SETTLED_FAMILIES:
        line_zh, line_en = p_line(row)
        about = "" if fmt_p(_get(row, "p_met"))[:1] in "<>" else "about "     # as 约 says: P is rounded and simulated
        if bool(row.get("plan_ended")):     # the year is over: the models estimate a figure not yet in, not a future
            # 推算 (of a figure not yet in), as a statistics office says it, not a translated "现时估计" (nowcast)
            chance = L(lang, f"据模型推算，{line_zh}的可能性约为{p_phrase(row, lang)}。",
                       f"The models estimate the chance {line_en} at {about}{p_phrase(row, lang)}.")
        else:
            chance = L(lang, f"模型估计{line_zh}的可能性约为{p_phrase(row, lang)}。",
                       f"The models put the chance {line_en} at {about}{p_phrase(row, lang)}.")
    if family not in SETTLED_FAMILIES and key not in ("pending_unverified", "pending_crosscheck") \
            and _get(row, "latest_value") is not None:
        parts.append(L(lang, f"最新数据：{evidence_text(row, cfg, lang)}。", f"Latest figure: {evidence_text(row, cfg, lang)}."))
    elif key in ("pending_unverified", "pending_crosscheck") and _get(row, "latest_value") is not None:
        # the latest figure from a usable source beside the unverified one (2023年601.8万人次 next to 2024's 714)
        parts.append(L(lang, f"最新可用数据：{latest_text(row, cfg, lang)}。", f"Latest usable figure: {latest_text(row, cfg, lang)}."))
    q50 = _get(row, "projection_q50")
    if q50 is not None and family not in SETTLED_FAMILIES:
        if row["type"] == "avg_growth":
            parts.append(L(lang, f"预计{int(row['base_year'])}—{year}年年均增长{fmt_pct(q50)}"
                                 f"（80%预测区间{fmt_pct(row['projection_q10'])}至{fmt_pct(row['projection_q90'])}），目标{fmt_pct(row['target_value'])}。",
                           f"Projected average growth {int(row['base_year'])}-{year}: {fmt_pct(q50)} "
                           f"(80% band {fmt_pct(row['projection_q10'])} to {fmt_pct(row['projection_q90'])}) against {fmt_pct(row['target_value'])}."))
        else:
            # the gap from the median as printed (584亿元 against 650: 66, never 65.9 beside a rounded 584)
            gap = float(fmt_value(q50).replace(",", "")) - row["target_value"]
            # the gap is the median's, said so: the band may well hold the target (a leader must not read it as fact)
            band = amount_range(row["projection_q10"], row["projection_q90"], unit, lang)
            # 中值, not 预计: 预计(数) is a status of published figures, and this is the models' median
            parts.append(L(lang, f"经模型测算，{year}年中值约{fmt_value(q50, unit)}（80%预测区间为{band}），"
                                 f"较目标{'高' if gap >= 0 else '低'}{fmt_value(abs(gap), unit)}。",
                           f"Median projection for {year}: {amount(q50, unit, lang)} (80% band {band}), "
                           f"{amount(abs(gap), unit, lang)} {'above' if gap >= 0 else 'below'} the target."))
    need, actual = _get(row, "remaining_required_growth_pct"), _get(row, "actual_growth_pct")
    if need is not None and family not in SETTLED_FAMILIES and not bool(row.get("plan_ended")):
        text = L(lang, f"实现目标需此后年均增长{fmt_pct(need)}", f"Meeting it needs {fmt_pct(need)} a year from the latest figure on")
        if actual is not None:
            diff = need - actual
            text += L(lang, f"，比{int(row['base_year'])}年以来年均增速{fmt_pct(actual)}{'高' if diff >= 0 else '低'}{abs(diff):.1f}个百分点",
                      f", {abs(diff):.1f} percentage points {'above' if diff >= 0 else 'below'} the {fmt_pct(actual)} a year achieved since {int(row['base_year'])}")
        parts.append(text + L(lang, "。", "."))
    elif actual is not None and bool(row.get("plan_ended")) and family not in SETTLED_FAMILIES:
        # the plan states a level, not this rate: a rate from the base year is no "规划要求" (and its base may be
        # derived); what a final evaluation asks is the growth the last published figure still needed
        base, upto = int(row["base_year"]), int(row["progress_year"])
        # a rate of current-price levels (nominal): never 实际 (real); one year is a growth, not an average
        text = (L(lang, f"{upto}年增长{fmt_pct(actual)}", f"Growth in {upto}: {fmt_pct(actual)}") if upto - base == 1 else
                L(lang, f"{base}—{upto}年年均增长{fmt_pct(actual)}", f"Average growth {base}-{upto}: {fmt_pct(actual)} a year"))
        if _get(row, "base_derived") is True or _get(row, "base_derived") == 1:
            text += L(lang, f"（{base}年基数为按公布增速推算的数值）", f" (the {base} base is derived from printed growth)")
        if need is not None and _get(row, "latest_year") is not None:
            last = int(row["latest_year"])
            rest = f"{last + 1}—{year}年需年均增长" if year - last > 1 else f"{year}年需增长"
            # the base of the sum is the latest figure, named (not the derived base year's level just mentioned)
            base_words = (f"以{last}年{amount(float(row['latest_value']), unit, 'zh', printed=True)}为基数测算"
                          if _get(row, "latest_value") is not None and row["type"] != "avg_growth" else "按此计算")
            census = census_between(row, cfg)
            text += L(lang, f"；{base_words}，{rest}{fmt_pct(need)}方能达标",
                      f"; from the latest figure ({int(row['latest_year'])}), meeting the target required {fmt_pct(need)} a year")
            if census:      # the base and the target-year figure on two calibers: the rate is no growth (A11b)
                text += L(lang, f"（基数为{census}年经济普查前口径，该增速仅供参考）",
                          f" (the base predates the {census} economic census's re-benchmarking: indicative only)")
        ytd = _get(row, "latest_ytd_period")
        # what the nowcast rests on, beside P: a later year's year-to-date rate moves no figure of the target year
        if _get(row, "latest_ytd_growth_pct") is not None and ytd is not None and int(str(ytd)[:4]) <= year:
            text += L(lang, f"；{period_words(row['latest_ytd_period'], 'zh')}同比增长{fmt_pct(row['latest_ytd_growth_pct'])}",
                      f"; growth in {period_words(row['latest_ytd_period'], lang)}: {fmt_pct(row['latest_ytd_growth_pct'])} "
                      "year on year")
        text += peers_words(row, cfg, lang)
        parts.append(text + L(lang, "。", "."))
    if chance:
        parts.append(chance)
    # Chinese sentences follow each other without a space after 。; English ones with one
    return L(lang, "", " ").join([f"**{md_text(parts[0])}**", *(md_text(p) for p in parts[1:])])


def peers_words(row: pd.Series, cfg: Config, lang: str) -> str:
    """"；因尚未取得海门2023、2024年数据，测算时参考了周边地区增速：海安2023年增长6.0%（预计数、转载待核对）、南通
    2024年1—2月增长2.8%，并与海门自身趋势加权合并": what the comparator regions printed for the same indicator in
    the plan years. The rates the nowcast used (assessment.csv peer_obs_ids: model/peers.py) are said to be weighed
    in with Haimen's own trend (they move each path part of the way, not replace it), oldest year first; the others
    are a reference only. A copied figure says so (转载). Empty when none."""
    from analysis.model.peers import read_peer_growth

    found = read_peer_growth(row.get("peer_growth"))
    if not found:
        return ""
    cell = _get(row, "peer_obs_ids")
    used_ids = set(cell.split(",")) - {""} if isinstance(cell, str) else set()
    english = {name: next((a for a in reversed(aliases) if str(a).isascii()), name)
               for name, aliases in cfg.settings.get("regions", {}).items()}
    groups: dict[bool, list[str]] = {True: [], False: []}
    for p in sorted(found, key=lambda p: int(p["year"])):
        kinds = [k for k in (p["status"], p.get("reliability", "")) if k and k not in ("final", "reported", "preliminary",
                                                                                    "official", "department")]
        status = f"（{status_words(','.join(kinds), 'zh')}）" if kinds else ""
        groups[str(p.get("obs_id", "")) in used_ids].append(
            L(lang, f"{p['region']}{period_words(p['period'], 'zh')}增长{fmt_pct(p['growth_pct'])}{status}",
              f"{english.get(p['region'], p['region'])} {fmt_pct(p['growth_pct'])} in {period_words(p['period'], 'en')}"
              + (f" ({status_words(','.join(kinds), 'en')})" if kinds else "")))
    years = sorted({int(p["year"]) for p in found if str(p.get("obs_id", "")) in used_ids})

    def areas(used: bool) -> str:
        # 南通 is the city Haimen belongs to, not a 周边地区 beside it (a statistician's review): named as such
        city = any(p["region"] == "南通" for p in found if (str(p.get("obs_id", "")) in used_ids) == used)
        return L(lang, "南通市及周边地区" if city else "周边地区", "Nantong city and nearby areas" if city else "nearby areas")

    text = ""
    if groups[True]:
        text += L(lang, f"；因尚未取得海门{'、'.join(map(str, years))}年数据，测算时参考了{areas(True)}增速："
                  + "、".join(groups[True]) + "，并与海门自身趋势加权合并",
                  f"; as Haimen's {' and '.join(map(str, years))} figures are not yet available, the estimate also "
                  f"draws on growth in {areas(True)} (" + ", ".join(groups[True]) + "), weighted with Haimen's own trend")
    if groups[False]:
        text += L(lang, f"；{areas(False)}参考：" + "、".join(groups[False]),
                  f"; growth in {areas(False)}: " + ", ".join(groups[False]))
    return text


def status_cell(row: pd.Series, cfg: Config, lang: str, html: bool) -> str:
    """The verdict word in its colour: product markup (RawMarkup), built from the settings' own words only.

    The words and the colour are still escaped for the format they enter (settings are typed by people too): the
    markup is ours, the text inside it is shown as text. Typst's raw attribute needs the backtick-delimited code
    not to contain a backtick; typst_text escapes it.
    """
    text = shown_verdict(row, lang)
    colour = cfg.settings["assessment"]["verdicts"][row.get("verdict_key", row["verdict"])]["colour"]
    if html:
        return RawMarkup(f'<span style="color:{html_text(colour)};font-weight:bold">{html_text(text)}</span>')
    code = f'#text(fill: rgb({typst_string(colour)}), weight: "bold")[{typst_text(text)}]'
    fence = "``" if "`" in code else "`"
    return RawMarkup(f"{fence}{code}{fence}{{=typst}}")


def progress_text(row: pd.Series, lang: str = "zh") -> str:
    """Progress since the base year / 序时进度 on the compound path / the linear share, at the data year, which is
    named: after the plan's end the time elapsed is 100 %, and "序时进度33%" alone read as a contradiction."""
    progress = _get(row, "progress_ratio")
    if progress is None:
        return "—"
    expected = [x for x in (_get(row, "expected_compound_share"), _get(row, "expected_linear_share")) if x is not None]
    shares = " / ".join(f"{x:.0%}" for x in [progress, *expected])
    year = _get(row, "progress_year")
    return shares if year is None else L(lang, f"{int(year)}年：{shares}", f"{int(year)}: {shares}")


def status_table(table: pd.DataFrame, cfg: Config, lang: str, html: bool = False) -> pd.DataFrame:
    """Every target: clause, target, the figure its verdict rests on, progress against 序时进度, projection, P(met), status."""
    rows = []
    for _, r in table.iterrows():
        unit = r["unit"] if r["type"] != "avg_growth" else ""
        p = _get(r, "p_met")
        p_txt = fmt_p(p) + ("*" if p is not None and _get(r, "confidence") in (None, "low") else "")
        rows.append({
            L(lang, "条款", "Clause"): clause_text(r["clause"], lang) + ("†" if _get(r, "note") else ""),
            L(lang, "目标", "Target"): target_label(r, lang),
            # an unverified figure is no 依据: the latest usable figure, the unverified one said apart
            L(lang, "依据", "Evidence"): (latest_text(r, cfg, lang) + L(lang, f"（{period_text(r['figure_period'])}年仅有未核实资料）",
                                                                       f" ({period_text(r['figure_period'])}: unverified only)")
                                       if r.get("verdict_key") == "pending_unverified" and _get(r, "latest_value") is not None
                                       else evidence_text(r, cfg, lang)),
            term("progress", lang): progress_text(r, lang),
            L(lang, "预测", "Projection"): amount(_get(r, "projection_q50"), unit, lang) if r["type"] != "avg_growth" else fmt_pct(_get(r, "projection_q50")),
            term("p_met", lang): p_txt,
            L(lang, "研判", "Status"): status_cell(r, cfg, lang, html),
        })
    return pd.DataFrame(rows)


def table_notes(table: pd.DataFrame, lang: str) -> str:
    """What the table's columns and marks mean, and the registry's assumptions (†), as Markdown (escaped once)."""
    text = L(lang, "依据：研判所依据的数据（无则为最新数据）及其状态。进度/序时进度：所列年份自基期以来的目标进度 / 同年按所需增速复合计算的序时进度 / "
                   "线性序时进度。*为低置信度（数据点少、可用模型少或模型结果分歧大），仅供参考。",
             "Evidence: the figure the verdict rests on (else the latest) and its status. Progress / expected: at the year shown, progress since the "
             "base year / the share expected at that year on the compound path of the required growth / on the linear path. "
             "* Low confidence (few data points or models, or the models disagree); for reference only.")
    notes = table[table["note"].fillna("").astype(bool)] if "note" in table else table.iloc[0:0]
    if len(notes):
        text += L(lang, " †" + "；".join(sorted(set(notes["note"]))), " †" + " ".join(sorted(set(notes["note_en"].fillna("")))))
    return md_text(text)


def indicator_names(cfg: Config, lang: str) -> dict[str, str]:
    return {i: (zh_text(ind.name_zh) if lang == "zh" else ind.name_en) for i, ind in cfg.indicators.items()}


def has_figures(table: pd.DataFrame) -> pd.Series:
    """Targets with a published figure or a forecast to show in the detailed table."""
    shown = table["latest_value"].notna() | table["p_met"].notna()
    if "figure_value" in table:
        shown |= table["figure_value"].notna()
    return shown


def evidence_ids(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The technical annex's list of the figures each judged target rests on: target, figure, ids to look up in
    figures.csv (the body of the briefing names figures without ids)."""
    rows = []
    for _, r in table.iterrows():
        # two columns, so that each id is what its heading says: the latest usable figure the 依据 column of the
        # body quotes, and the target year's figure (for 仅有未核实资料 an unverified one: it decides nothing, it is named)
        latest = cite(r, False).strip(" []")
        target_year = cite(r, True).strip(" []") if _get(r, "figure_value") is not None else ""
        if target_year and str(r.get("verdict_key")) == "pending_unverified":   # named, and said to be unused
            target_year += L(lang, "（未核实，未采用）", " (unverified, not used)")
        if latest or target_year:
            rows.append({L(lang, "目标", "Target"): target_label(r, lang),
                         L(lang, "最新可用数据", "Latest usable figure"): latest or "—",
                         L(lang, "目标年数据", "Target-year figure"): target_year or "—"})
    return pd.DataFrame(rows)

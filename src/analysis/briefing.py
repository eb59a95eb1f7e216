"""The words of the leadership briefing, Chinese first and English too, built from the assessment.

Pure functions from tables to Markdown: the notebook (04_briefing.ipynb) only
shows what these return, so the wording is tested and the same in every
quarter. Numbers follow Chinese conventions (亿元, 万人次, 个百分点).

Two kinds of return value, never mixed: plain text (evidence_text, target_name,
the cells of status_table: md_table escapes them) and Markdown (key_message,
table_notes, data_notes, sources_line, methods: data inside them went through
escape.md_text exactly once, where the sentence was assembled).
"""
from __future__ import annotations

import json
import re

import pandas as pd

from . import paths
from .config import Config
from .escape import RawMarkup, html_text, md_text, typst_string, typst_text
from .wording import (EN_UNITS, STATUS_WORDS, L, _get, _n, _years, amount, clause_text, fmt_p, fmt_pct,  # noqa: F401
                      fmt_value, period_text, period_words, status_words)


def verdict_text(row: pd.Series, lang: str) -> str:
    return row["verdict_zh"] if lang == "zh" else row["verdict_en"]


def target_name(row: pd.Series, lang: str) -> str:
    """What the target measures, in full (社会消费品零售总额2024年突破650亿元), not the clause's shorthand."""
    zh = _get(row, "name_zh") or row["statement"]
    return zh if lang == "zh" else row["name_en"]


def p_phrase(row: pd.Series, lang: str) -> str:
    """P(met) in whole per cent, with a likelihood word only where confidence allows one."""
    p = _get(row, "p_met")
    if p is None:
        return ""
    if _get(row, "confidence") in (None, "low"):
        return L(lang, f"{fmt_p(p)}（低置信度，仅供参考）", f"{fmt_p(p)} (low confidence: the number alone)")
    return L(lang, f"{fmt_p(p)}（{row['likelihood_zh']}）", f"{fmt_p(p)} ({row['likelihood_en']})")


def _unit(row: pd.Series, cfg: Config) -> str:
    ind = cfg.indicators.get(row["indicator"])
    return row["unit"] if row["type"] != "avg_growth" else (ind.unit if ind else "")


def evidence_text(row: pd.Series, cfg: Config, lang: str) -> str:
    """The figure the verdict rests on (or the latest figure), with its period and status: 2022年521亿元（预计数）."""
    fv = _get(row, "figure_value")
    if fv is not None:
        value = fmt_pct(fv) if row["type"] == "avg_growth" else amount(fv, row["unit"], lang)
        period, status = period_text(row["figure_period"]), status_words(row["figure_status"], lang)
        if row["type"] == "avg_growth" and not row.get("per") and "-" in period:
            value = L(lang, f"年均增长{value}", f"average growth {value}")
    else:
        latest = _get(row, "latest_value")
        if latest is None:
            return "—"
        value, period = amount(latest, _unit(row, cfg), lang), str(int(row["latest_year"]))
        status = status_words(row.get("latest_status", ""), lang)
        if row.get("latest_derived"):
            status += L(lang, "、推算", ", derived")
    return L(lang, f"{period}年{value}（{status}）", f"{value} ({period_words(period, lang)}, {status})") + cite(row, fv is not None)


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


def key_message(row: pd.Series, cfg: Config, lang: str) -> str:
    """One paragraph per headline target (Markdown): status, the figure it rests on, probability, the gap, the growth needed.

    The sentences are assembled as plain text (names and figures come from the registry and the raw files) and
    each is escaped once at the end; only the bold of the first one is our markup.
    """
    unit = _unit(row, cfg)
    # the headline sentence ends with its own stop, so the next sentence never runs on ("insufficient data Too few")
    parts = [f"{target_name(row, lang)}：{verdict_text(row, lang)}。" if lang == "zh" else
             f"{target_name(row, lang)}: {verdict_text(row, lang)}."]
    key, family = row.get("verdict_key", row["verdict"]), row["verdict"]
    year = int(row["target_year"])
    if family in ("achieved", "not_achieved"):
        parts.append(L(lang, f"依据：{evidence_text(row, cfg, lang)}。", f"Basis: {evidence_text(row, cfg, lang)}."))
    elif key == "pending_unverified":
        parts.append(L(lang, f"仅有来源未经核实的数据：{evidence_text(row, cfg, lang)}，仅作参考，不作为完成依据，待官方数据核实。",
                       f"Only a figure from an unverified source: {evidence_text(row, cfg, lang)}; an indication, not "
                       "evidence, until an official figure confirms it."))
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
        parts.append(L(lang, f"规划期已于{year}年底结束，{year}年数据尚未公布。", f"The plan period ended in {year}; the {year} figure is not yet published."))
    elif family in ("insufficient_data", "no_public_data"):
        parts.append(L(lang, "海门公开数据不足，无法研判。" if family == "insufficient_data" else "暂无海门公开数据，无法研判。", "Too few published Haimen figures to judge it." if family == "insufficient_data" else "No published Haimen figure."))
    if _get(row, "p_met") is not None and family not in ("achieved", "not_achieved"):
        parts.append(L(lang, f"模型估计达标概率{p_phrase(row, lang)}。", f"The models put the chance of meeting it at {p_phrase(row, lang)}."))
    if family not in ("achieved", "not_achieved") and key != "pending_unverified" and _get(row, "latest_value") is not None:
        parts.append(L(lang, f"最新数据：{evidence_text(row, cfg, lang)}。", f"Latest figure: {evidence_text(row, cfg, lang)}."))
    q50 = _get(row, "projection_q50")
    if q50 is not None and family not in ("achieved", "not_achieved"):
        if row["type"] == "avg_growth":
            parts.append(L(lang, f"预计{int(row['base_year'])}-{year}年年均增长{fmt_pct(q50)}"
                                 f"（80%区间{fmt_pct(row['projection_q10'])}至{fmt_pct(row['projection_q90'])}），目标{fmt_pct(row['target_value'])}。",
                           f"Projected average growth {int(row['base_year'])}-{year}: {fmt_pct(q50)} "
                           f"(80% band {fmt_pct(row['projection_q10'])} to {fmt_pct(row['projection_q90'])}) against {fmt_pct(row['target_value'])}."))
        else:
            gap = q50 - row["target_value"]
            parts.append(L(lang, f"{year}年预测中位数{fmt_value(q50, unit)}（80%区间{fmt_value(row['projection_q10'])}至"
                                 f"{fmt_value(row['projection_q90'], unit)}），较目标{'高' if gap >= 0 else '低'}{fmt_value(abs(gap), unit)}。",
                           f"Median projection for {year}: {amount(q50, unit, lang)} (80% band {amount(row['projection_q10'], unit, lang)} "
                           f"to {amount(row['projection_q90'], unit, lang)}), {amount(abs(gap), unit, lang)} {'above' if gap >= 0 else 'below'} the target."))
    need, actual = _get(row, "remaining_required_growth_pct"), _get(row, "actual_growth_pct")
    if need is not None and family not in ("achieved", "not_achieved") and not bool(row.get("plan_ended")):
        text = L(lang, f"实现目标需此后年均增长{fmt_pct(need)}", f"Meeting it needs {fmt_pct(need)} a year from the latest figure on")
        if actual is not None:
            diff = need - actual
            text += L(lang, f"，比{int(row['base_year'])}年以来实际年均增速{fmt_pct(actual)}{'高' if diff >= 0 else '低'}{abs(diff):.1f}个百分点",
                      f", {abs(diff):.1f} percentage points {'above' if diff >= 0 else 'below'} the {fmt_pct(actual)} a year achieved since {int(row['base_year'])}")
        parts.append(text + L(lang, "。", "."))
    elif actual is not None and bool(row.get("plan_ended")) and family not in ("achieved", "not_achieved"):
        parts.append(L(lang, f"{int(row['base_year'])}-{int(row['progress_year'])}年实际年均增长{fmt_pct(actual)}，规划要求{fmt_pct(row['required_growth_pct'])}。",
                       f"Actual average growth {int(row['base_year'])}-{int(row['progress_year'])}: {fmt_pct(actual)} against the "
                       f"{fmt_pct(row['required_growth_pct'])} the plan needs."))
    return " ".join([f"**{md_text(parts[0])}**", *(md_text(p) for p in parts[1:])])


def status_cell(row: pd.Series, cfg: Config, lang: str, html: bool) -> str:
    """The verdict word in its colour: product markup (RawMarkup), built from the settings' own words only.

    The words and the colour are still escaped for the format they enter (settings are typed by people too): the
    markup is ours, the text inside it is shown as text. Typst's raw attribute needs the backtick-delimited code
    not to contain a backtick; typst_text escapes it.
    """
    text = verdict_text(row, lang)
    colour = cfg.settings["assessment"]["verdicts"][row.get("verdict_key", row["verdict"])]["colour"]
    if html:
        return RawMarkup(f'<span style="color:{html_text(colour)};font-weight:bold">{html_text(text)}</span>')
    code = f'#text(fill: rgb({typst_string(colour)}), weight: "bold")[{typst_text(text)}]'
    fence = "``" if "`" in code else "`"
    return RawMarkup(f"{fence}{code}{fence}{{=typst}}")


def progress_text(row: pd.Series) -> str:
    """Progress since the base year / 序时进度 on the compound path / the linear share, at the data year."""
    progress = _get(row, "progress_ratio")
    if progress is None:
        return "—"
    expected = [x for x in (_get(row, "expected_compound_share"), _get(row, "expected_linear_share")) if x is not None]
    return " / ".join(f"{x:.0%}" for x in [progress, *expected])


def status_table(table: pd.DataFrame, cfg: Config, lang: str, html: bool = False) -> pd.DataFrame:
    """Every target: clause, target, the figure its verdict rests on, progress against 序时进度, projection, P(met), status."""
    rows = []
    for _, r in table.iterrows():
        unit = r["unit"] if r["type"] != "avg_growth" else ""
        p = _get(r, "p_met")
        p_txt = fmt_p(p) + ("*" if p is not None and _get(r, "confidence") in (None, "low") else "")
        rows.append({
            L(lang, "条款", "Clause"): clause_text(r["clause"], lang) + ("†" if _get(r, "note") else ""),
            L(lang, "目标", "Target"): target_name(r, lang),
            L(lang, "依据", "Evidence"): evidence_text(r, cfg, lang),
            L(lang, "进度/序时", "Progress / expected"): progress_text(r),
            L(lang, "预测", "Projection"): amount(_get(r, "projection_q50"), unit, lang) if r["type"] != "avg_growth" else fmt_pct(_get(r, "projection_q50")),
            L(lang, "达标概率", "P(met)"): p_txt,
            L(lang, "研判", "Status"): status_cell(r, cfg, lang, html),
        })
    return pd.DataFrame(rows)


def table_notes(table: pd.DataFrame, lang: str) -> str:
    """What the table's columns and marks mean, and the registry's assumptions (†), as Markdown (escaped once)."""
    text = L(lang, "依据：研判所依据的数据（无则为最新数据）及其状态。进度/序时：自基期以来的目标进度 / 同一年份按所需增速复合计算的序时进度 / "
                   "线性序时进度；恰以所需增速增长的指标，进度等于复合序时进度。*：低置信度（数据点或模型少、模型分歧大），只列数字。",
             "Evidence: the figure the verdict rests on (else the latest) and its status. Progress / expected: progress since the "
             "base year / the share expected at that year on the compound path of the required growth / on the linear path. "
             "*: low confidence (few points or models, or models disagree): the number alone.")
    notes = table[table["note"].fillna("").astype(bool)] if "note" in table else table.iloc[0:0]
    if len(notes):
        text += L(lang, " †" + "；".join(sorted(set(notes["note"]))), " †" + " ".join(sorted(set(notes["note_en"].fillna("")))))
    return md_text(text)


def indicator_names(cfg: Config, lang: str) -> dict[str, str]:
    return {i: (ind.name_zh if lang == "zh" else ind.name_en) for i, ind in cfg.indicators.items()}


def validation_findings(validation: dict | None, lang: str, names: dict[str, str] | None = None) -> list[str]:
    """The failed validation checks as findings a reader understands ("5 figures have no publication date").

    Written from the failing rows each time, so a finding disappears when the data behind it is fixed; check ids
    and titles (the validation report's language) never reach the briefing. A check without a sentence of its own
    is counted in one closing pointer to the validation report.
    """
    if not validation:
        return []
    names = names or {}
    rows = validation.get("failing_rows", {})
    notes, other = [], 0
    for c in validation["checks"]:
        cid = c.get("check", "")
        if c["success"] or cid == "plausible.confirmed":      # confirmed figures have their own note
            continue
        n, failing = int(c["rows_failing"]), rows.get(cid, [])
        if cid == "raw.published":
            notes.append(L(lang, f"{n}项数据未注明发布日期，按时期结束后的通常发布滞后推定。",
                           f"{_n(n, 'figure has', 'figures have')} no publication date; the usual delay after the period is assumed."))
        elif cid == "raw.unverified":
            notes.append(L(lang, f"原始文件中共{n}项数据来自未经核实的来源（含其他地区和年份），均不进入模型。",
                           f"In all, {_n(n, 'figure', 'figures')} in the raw files (all regions and years) "
                           f"{'comes' if n == 1 else 'come'} from unverified sources; none enters the models."))
        elif cid == "raw.period_range":
            years = [r["period"] for r in failing if r.get("period")]
            shown = "、".join(map(str, years)) if lang == "zh" else ", ".join(period_words(y, lang) for y in years)
            notes.append(L(lang, f"{n}项数据年代较早（{shown}），仅作长期参照。",
                           f"{_n(n, 'figure is', 'figures are')} from long ago ({shown}) and only {'serves' if n == 1 else 'serve'} as a long-run anchor."))
        elif cid == "growth.consistent":
            items = [f"{names.get(r['indicator'], r['indicator'])} {period_words(r['period'], lang)}"
                     + L(lang, f"（公布{r['printed_growth_pct']:.1f}%，按水平值{r['implied_growth_pct']:.1f}%）",
                         f" (printed {r['printed_growth_pct']:.1f}%, from the levels {r['implied_growth_pct']:.1f}%)")
                     for r in failing]
            notes.append(L(lang, f"{n}项公布增速与前后两年水平值之比不一致，可能为可比口径：" + "；".join(items) + "。",
                           f"{_n(n, 'printed growth rate differs', 'printed growth rates differ')} from the ratio of the "
                           "printed levels, perhaps on a comparable basis: " + "; ".join(items) + "."))
        elif cid == "headline.base_and_later":
            items = [names.get(r["indicator"], r["indicator"]) for r in failing]
            notes.append(L(lang, f"{n}项核心指标缺少基期或此后年份的海门数据：" + "、".join(items) + "。",
                           f"{_n(n, 'headline indicator lacks', 'headline indicators lack')} a Haimen figure for the base "
                           "year or a later year: " + "; ".join(items) + "."))
        elif cid == "headline.missing_years":
            by = {}
            for r in failing:
                by.setdefault(names.get(r["indicator"], r["indicator"]), []).append(r["year"])
            items = [f"{k} {_years(v)}" for k, v in by.items()]
            notes.append(L(lang, "核心指标缺少以下年份的数据：" + "；".join(items) + "。",
                           "Headline indicators have no figure for: " + "; ".join(items) + "."))
        else:
            other += 1
    if other:
        notes.append(L(lang, f"另有{other}项数据检查提示问题，详见验证报告。",
                       f"{_n(other, 'other data check flags', 'other data checks flag')} problems: see the validation report."))
    return notes


def status_legend(lang: str) -> str:
    """One line that tells 数据不足 from 无公开数据 (Markdown, escaped once)."""
    return md_text(L(lang, "数据不足：有相关公开数据，但不足以研判（如缺少基期或某一年份）；无公开数据：没有任何海门公开数据（多需部门台账）。",
                     "Insufficient data (数据不足): some published figures, too few to judge (e.g. no base year); "
                     "no public data (无公开数据): no published Haimen figure at all (most need department returns)."))


def data_notes(table: pd.DataFrame, validation: dict | None, observations: pd.DataFrame, lang: str,
               region: str = "海门", since: int = 2021, names: dict[str, str] | None = None) -> list[str]:
    """Findings about the data, for a reader: the gaps, the unverified and estimated figures, the validation findings.

    Every sentence is counted from the data in hand (never a fixed sentence that goes stale when a source is
    added). Each note is written as plain text (names, periods, printed values and confirmation reasons come from
    the raw files) and escaped once, at the end, with md_text.

    Unverified and estimated figures are those of the home region for the plan's base year and later:
    the ones a reader of this briefing leans on.
    """
    notes = []
    names = names or {}
    observations = observations[(observations["region"] == region) & (observations["year"] >= since)]
    milestones = table[table["type"] == "milestone"]
    targets = table[table["type"] != "milestone"]
    no_data = targets[targets["verdict"] == "no_public_data"]
    thin = targets[targets["verdict"] == "insufficient_data"]
    notes.append(L(lang, f"规划共{len(targets)}项量化目标和{len(milestones)}项节点任务。量化目标中，{len(no_data)}项无海门公开数据，"
                         f"{len(thin)}项数据不足。缺失即为缺失，本简报不作插补。",
                   f"The plan sets {_n(len(targets), 'quantitative target', 'quantitative targets')} and "
                   f"{_n(len(milestones), 'milestone', 'milestones')}. Of the targets, {len(no_data)} have no published "
                   f"Haimen figure and {len(thin)} have too few figures to judge. Missing stays missing: nothing is interpolated."))
    excluded = observations[observations["role"] == "excluded"]
    if len(excluded):
        items = L(lang, "；", "; ").join(f"{names.get(r.indicator, r.indicator)} {period_words(r.period, lang, r.year)} {amount(r.value, r.unit, lang)}"
                          for r in excluded.itertuples())
        notes.append(L(lang, f"以下{len(excluded)}项数据来源未经核实，未用于模型：{items}。",
                       f"{_n(len(excluded), 'figure comes', 'figures come')} from unverified sources and "
                       f"{'is' if len(excluded) == 1 else 'are'} not used by the models: {items}."))
    estimates = observations[(observations["role"] == "selected") & (observations["status"] == "estimate")]
    if len(estimates):
        items = L(lang, "；", "; ").join(f"{names.get(r.indicator, r.indicator)} {period_words(r.period, lang, r.year)}" for r in estimates.itertuples())
        notes.append(L(lang, f"以下数据为预计数（统计数据发布前的估计）：{items}。",
                       f"These figures are estimates published before the year's statistics: {items}."))
    confirmed = (validation or {}).get("failing_rows", {}).get("plausible.confirmed", [])
    if confirmed:
        # figures that looked implausible but the raw file says why they are right: quote the reason
        items = "; ".join(dict.fromkeys(        # one figure may pass several checks: quoted once
            f"{names.get(r['indicator'], r['indicator'])} {period_words(r['period'], lang)} {r['value_printed']}"
            f" ({r['confirmed']})" for r in confirmed))
        notes.append(L(lang, f"以下数值看似异常，原始文件已注明核实理由：{items}。",
                       f"These figures look implausible but the raw file states why they are right: {items}."))
    notes += validation_findings(validation, lang, names)
    return [md_text(n) for n in notes]


def methods(cfg: Config, lang: str) -> str:
    """The methods appendix: data rules, models and their benchmark, the evidence ladder, the ended-plan rule, words."""
    a, f = cfg.settings["assessment"], cfg.settings["forecast"]
    margin = a["evidence"]["revision_margin_pct"]["estimate"]
    on, off = f"{a['p_on_track']:.0%}", f"{a['p_off_track']:.0%}"
    words = "；".join(f"≥{b['min']:.0%} {b['zh']}" for b in a["likelihood"]) if lang == "zh" else \
        "; ".join(f"≥{b['min']:.0%} {b['en']}" for b in a["likelihood"])
    return L(
        lang,
        f"**数据**：每个数字均来自公开出版物（`data/raw/`，逐行注明来源）；多个来源时按最终核实>初步核算>公布数>预计数、发布较新、官方优先择优，"
        f"未核实来源不进入模型。**模型**：对数尺度上的五个趋势模型（对数线性趋势、带漂移随机游走、阻尼趋势ARIMA(1,1,1)、Theta法、公布增速模型），"
        f"趋势每年阻尼{f['trend_damping']}，各{f['n_paths']}条随机路径，等权混合；缺失年份不插补。{benchmark_sentence(lang)}"
        f"**证据等级**：目标年的最终核实数、初步核算数或官方公布数（含忠实转载）判定已完成/未完成；预计数、推算数、约数判定为“（预计数）”，"
        f"与目标差距在{margin:g}%修订幅度以内时为待定；未核实来源只作参考（待核实）；“突破X”仅在X达标时判定完成；基期以前的数据不能证明完成。"
        f"**终期评估**：报告期晚于目标年时时间进度为100%，目标年数据未公布的标为“待公布”并列出达标概率；规划期内按达标概率≥{on}有望完成、"
        f"{off}-{on}存在风险、<{off}明显滞后。“左右”的容差只用于最终判定，所需增速按规划原数。概率用语（IPCC，仅在中、高置信度时使用）：{words}。",
        f"**Data**: every number comes from a public source (`data/raw/`, one per row); where sources differ, final > preliminary > "
        f"published > estimate, then the later and the official one; unverified sources never enter the models. **Models**: five trend "
        f"models on log levels (log-linear trend, random walk with drift, damped trend ARIMA(1,1,1), Theta, printed growth), damped by "
        f"{f['trend_damping']} a year, {f['n_paths']} seeded paths each, equal weights; missing years are not interpolated. "
        f"{benchmark_sentence(lang)}**Evidence ladder**: an official final, preliminary or published figure for the target year "
        f"settles achieved / not achieved; an estimate, derived or approximate figure settles it as \"(estimate)\", or leaves it pending "
        f"within {margin:g}% of the target; an unverified figure never settles it; \"exceeded X\" only when X meets the target; figures "
        f"from before the base year never do. **Ended plan**: after the target year the briefing is a final evaluation (time elapsed "
        f"100%); a target without its figure is pending, with the models' P(met). While the plan runs: P ≥{on} on track, {off}-{on} at "
        f"risk, <{off} off track. \"About\" tolerances enter only the met / not-met decision; required growth is the plan's. Likelihood "
        f"words (IPCC, only at medium or high confidence): {words}.",
    )


def benchmark_sentence(lang: str) -> str:
    """How the forecasts scored on the M3 yearly series, full and cut to Haimen-like histories.

    Quoted from benchmarks/results/sparse_summary.json, the committed result of
    benchmarks/sparse.py, never typed by hand; empty when the file is absent.
    """
    path = paths.ROOT / "benchmarks" / "results" / "sparse_summary.json"
    if not path.exists():
        return ""
    r = json.loads(path.read_text(encoding="utf-8"))
    full = r["patterns"]["full"]
    sparse = [v for k, v in r["patterns"].items() if k != "full"]
    lo, hi = min(v["cov80_h2"] for v in sparse), max(v["cov80_h2"] for v in sparse)
    naive = min(v["smape_naive"] - v["smape_ensemble"] for v in sparse)
    return L(lang, f"在M3竞赛{full['series']}个年度序列上检验：sMAPE {r['full_smape']:.1f}（朴素预测{full['smape_naive']:.1f}），"
                   f"80%/95%区间覆盖率{full['cov80_avg']:.0f}%/{full['cov95_avg']:.0f}%；截短为2-7个点或有缺年的序列上，"
                   f"第2年80%区间覆盖率{lo:.0f}%-{hi:.0f}%" + ("，精度均不低于朴素预测。" if naive >= 0 else "。"),
             f"Checked on the {full['series']} M3 yearly series: sMAPE {r['full_smape']:.1f} (naive {full['smape_naive']:.1f}), "
             f"80%/95% intervals cover {full['cov80_avg']:.0f}%/{full['cov95_avg']:.0f}%; on series cut to 2-7 points or with "
             f"gaps, the 80% interval covers {lo:.0f}-{hi:.0f}% two years ahead and the median is never less accurate than "
             f"the naive forecast{'' if naive >= 0 else ' (except on some cuts)'}. ")


def has_figures(table: pd.DataFrame) -> pd.Series:
    """Targets with a published figure or a forecast to show in the detailed table."""
    shown = table["latest_value"].notna() | table["p_met"].notna()
    if "figure_value" in table:
        shown |= table["figure_value"].notna()
    return shown


def period_line(table: pd.DataFrame, lang: str) -> str:
    """Where the plan period stands at as_of: running (time elapsed) or ended (a final evaluation)."""
    plan = table[table["type"] != "milestone"]
    if plan.empty:
        return ""
    end = int(plan["target_year"].max())
    ended = bool(plan["plan_ended"].all())
    share = float(plan["time_elapsed_share"].max())
    counts = plan["verdict"].value_counts()
    if ended:
        return L(lang, f"规划期已于{end}年12月31日结束（时间进度100%），本期为终期评估：{len(plan)}项量化目标中，"
                       f"已完成{counts.get('achieved', 0)}项，未完成{counts.get('not_achieved', 0)}项，待定或待公布"
                       f"{counts.get('pending', 0)}项，数据不足或无公开数据"
                       f"{counts.get('insufficient_data', 0) + counts.get('no_public_data', 0)}项。",
                 f"The plan period ended on 31 December {end} (time elapsed 100%): this is a final evaluation. Of "
                 f"{len(plan)} quantitative targets, {counts.get('achieved', 0)} achieved, {counts.get('not_achieved', 0)} not "
                 f"achieved, {counts.get('pending', 0)} pending, "
                 f"{counts.get('insufficient_data', 0) + counts.get('no_public_data', 0)} without enough data to judge.")
    return L(lang, f"规划期（至{end}年底）时间进度{share:.0%}。", f"Plan period (to the end of {end}): {share:.0%} of the time elapsed.")


SOURCE_TITLE_CHARS = 60     # a title longer than this is cut with … in the briefing (whole in figures.csv, validation.pdf)


def _clip(text: str, limit: int) -> str:
    """At most `limit` characters, cut with …: the page budget holds however long a publication's title is."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def sources_line(used: pd.DataFrame, names: dict[str, str], lang: str) -> str:
    """Each source of the headline figures once, and where to trace any number: its [id] in figures.csv.

    The figure ids beside every number say which source each figure comes
    from (figures.csv: title, URL, raw file and row), so the titles are
    listed once without repeating their figures: the briefing keeps its page budget.
    """
    # the short title (trailing remarks in brackets dropped: the full one is in figures.csv); data, so shown as text
    short = (re.sub(r"\s*[(（][^()（）]*[)）]\s*$", "", str(t)).strip() or str(t) for t in used["source_title"])
    titles = "; ".join(md_text(_clip(t, SOURCE_TITLE_CHARS)) for t in dict.fromkeys(short))
    return L(lang, "**核心指标数据来源**（[ ]内为数据编号，来源、网址、原始行见figures.csv）：",
             "**Sources of the headline figures** (the bracketed ids are rows of figures.csv in the report folder: source, "
             "URL, raw file and row): ") + titles

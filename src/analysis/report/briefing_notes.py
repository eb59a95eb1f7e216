"""The notes of the leadership briefing: what the data lack (data notes and the validation findings behind
them), the methods appendix with its benchmark sentence, where the plan period stands and which publications
the figures come from. Split from briefing.py (the key messages and the status table); the same rules hold:
Markdown out, data escaped once (escape.md_text) where the sentence is assembled.
"""
from __future__ import annotations

import json
import re

import pandas as pd

from analysis.core import paths
from analysis.core.config import Config
from analysis.core.escape import md_text
from analysis.core.wording import L, _n, _n_start, _years, amount, period_words


def validation_findings(validation: dict | None, lang: str, names: dict[str, str] | None = None,
                        real_basis: dict[str, str] | None = None) -> list[str]:
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
                           f"{_n_start(n, 'figure has', 'figures have')} no publication date; the usual delay after the period is assumed."))
        elif cid == "raw.unverified":
            notes.append(L(lang, f"原始文件中共{n}项数据来自未经核实的来源（含其他地区和年份），均不进入模型。",
                           f"In all, {_n(n, 'figure', 'figures')} in the raw files (all regions and years) "
                           f"{'comes' if n == 1 else 'come'} from unverified sources; none enters the models."))
        elif cid == "raw.period_range":
            years = [r["period"] for r in failing if r.get("period")]
            shown = "、".join(map(str, years)) if lang == "zh" else ", ".join(period_words(y, lang) for y in years)
            notes.append(L(lang, f"{n}项数据年代较早（{shown}），仅作长期参照。",
                           f"{_n_start(n, 'figure is', 'figures are')} from long ago ({shown}) and only {'serves' if n == 1 else 'serve'} as a long-run anchor."))
        elif cid == "growth.consistent":
            items = [f"{names.get(r['indicator'], r['indicator'])} {period_words(r['period'], lang)}"
                     + L(lang, f"（公布{r['printed_growth_pct']:.1f}%，按水平值{r['implied_growth_pct']:.1f}%）",
                         f" (printed {r['printed_growth_pct']:.1f}%, from the levels {r['implied_growth_pct']:.1f}%)")
                     for r in failing]
            # the explanation by what the printed rate measures: a real rate (GDP, value added at constant prices)
            # differs from a ratio of current-price levels by the price change, a nominal one by the comparable basis
            # said only of what the list holds (all real, all nominal, or both), and as possible causes, not as found:
            # a revision of either level (预计数, copies) may explain the gap as well (a statistician's review)
            real = {r["indicator"] for r in failing if (real_basis or {}).get(r["indicator"]) == "real"}
            nominal = {r["indicator"] for r in failing} - real
            zh_real, zh_nom = "地区生产总值、增加值的公布增速按可比价格计算（实际增速），水平值为现价，差异含价格因素", \
                "公布增速可能按可比口径（剔除统计范围变化）计算"
            en_real, en_nom = ("GDP and value-added growth is printed at constant prices (real) and levels at current "
                               "prices, so the gap includes price change"), "the printed rate may be on a comparable basis"
            why_zh = (f"其中{zh_real}；其余{zh_nom}" if real and nominal else zh_real if real else zh_nom) + "，也可能为数据修订所致"
            why_en = (f"{en_real}; elsewhere {en_nom}" if real and nominal else en_real if real else en_nom) + \
                ", or either level may have been revised"
            notes.append(L(lang, f"{n}项公布增速与相邻两年水平值之比不一致，{why_zh}：" + "；".join(items) + "。",
                           f"{_n_start(n, 'printed growth rate differs', 'printed growth rates differ')} from the ratio of the "
                           f"printed levels; {why_en}: " + "; ".join(items) + "."))
        elif cid == "headline.base_and_later":
            items = [names.get(r["indicator"], r["indicator"]) for r in failing]
            notes.append(L(lang, f"{n}项核心指标缺少基期或此后年份的海门数据：" + "、".join(items) + "。",
                           f"{_n_start(n, 'headline indicator lacks', 'headline indicators lack')} a Haimen figure for the base "
                           "year or a later year: " + "; ".join(items) + "."))
        elif cid == "headline.missing_years":
            by = {}
            for r in failing:
                by.setdefault(names.get(r["indicator"], r["indicator"]), []).append(r["year"])
            items = [f"{k} {_years(v, lang)}" for k, v in by.items()]
            # only verified figures count (an unverified one is an indication, listed in its own note)
            notes.append(L(lang, "核心指标缺少以下年份的可用（已核实来源）数据：" + "；".join(items) + "。",
                           "Headline indicators have no usable figure (from a verified source) for: " + "; ".join(items) + "."))
        else:
            other += 1
    if other:
        notes.append(L(lang, f"另有{other}项数据检查提示问题，详见验证报告。",
                       f"{_n_start(other, 'other data check flags', 'other data checks flag')} problems: see the validation report."))
    return notes


def data_notes(table: pd.DataFrame, validation: dict | None, observations: pd.DataFrame, lang: str,
               region: str = "海门", since: int = 2021, names: dict[str, str] | None = None,
               growth_basis: dict[str, str] | None = None) -> list[str]:
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
    gaps = len(no_data) or len(thin)       # "0 have no published figure and 0 have too few" says nothing: left out
    notes.append(L(lang, f"规划共{len(targets)}项量化目标和{len(milestones)}项节点任务。" + (
                             f"量化目标中，{len(no_data)}项无海门公开数据，{len(thin)}项数据不足；缺少的数据不作插补。" if gaps
                             else "各项量化目标均有公开数据可供研判。"),
                   f"The plan sets {_n(len(targets), 'quantitative target', 'quantitative targets')} and "
                   f"{_n(len(milestones), 'milestone', 'milestones')}. " + (
                       f"Of the targets, {_n(len(no_data), 'has', 'have')} no published Haimen figure and "
                       f"{_n(len(thin), 'has', 'have')} too few figures to judge; missing figures are not interpolated."
                       if gaps else "Every target has published figures to judge.")))
    excluded = observations[observations["role"] == "excluded"]
    if len(excluded):
        # a year never runs into a value in English ("GDP 2024 173 billion yuan"): "GDP 2024: 173 billion yuan"
        sep = L(lang, " ", ": ")
        items = L(lang, "；", "; ").join(f"{names.get(r.indicator, r.indicator)} {period_words(r.period, lang, r.year)}{sep}"
                                        f"{amount(r.value, r.unit, lang, printed=True)}" for r in excluded.itertuples())
        notes.append(L(lang, f"以下{len(excluded)}项数据来源未经核实，未用于模型：{items}。",
                       f"{_n_start(len(excluded), 'figure comes', 'figures come')} from unverified sources and "
                       f"{'is' if len(excluded) == 1 else 'are'} not used by the models: {items}."))
    estimates = observations[(observations["role"] == "selected") & (observations["status"] == "estimate")]
    if len(estimates):
        items = L(lang, "；", "; ").join(f"{names.get(r.indicator, r.indicator)} {period_words(r.period, lang, r.year)}" for r in estimates.itertuples())
        notes.append(L(lang, f"以下数据为预计数（统计数据发布前的估计）：{items}。",
                       f"These figures are estimates published before the year's statistics: {items}."))
    if "forecast_calibers" in table:
        chained = table.loc[pd.to_numeric(table["forecast_calibers"], errors="coerce") > 1, "indicator"]
        if len(chained):
            items = L(lang, "、", ", ").join(names.get(i, i) for i in dict.fromkeys(chained))
            notes.append(L(lang, f"{items}每次经济普查后按新口径重新核定，跨普查年份的水平值之比不作为增速：模型仅在同一"
                                 "普查周期内使用水平值变化，跨普查年份改用公布的可比增速；预计数、转载数据在趋势测算中的权重相应降低。"
                                 "新一次普查后发布的目标年份数据将按新口径核定，可能与按原口径衔接推算的数值有差异，预测区间未计入这一差异。",
                           f"{items}: re-benchmarked at each economic census, so a ratio of levels across a census year "
                           "is not read as growth; the models use level changes only within one census period and the "
                           "printed comparable growth across a census, and estimates and copied figures weigh less in "
                           "the trend. A target year's figure published after a newer census will be on its caliber "
                           "and may differ from one chained on the old caliber; the bands do not include that difference."))
    notes += _below_expected(table, lang, names)
    confirmed = (validation or {}).get("failing_rows", {}).get("plausible.confirmed", [])
    if confirmed:
        # figures that looked implausible but the raw file says why they are right: quote the reason
        items = L(lang, "；", "; ").join(dict.fromkeys(        # one figure may pass several checks: quoted once
            f"{names.get(r['indicator'], r['indicator'])} {period_words(r['period'], lang)}{L(lang, ' ', ': ')}{r['value_printed']}"
            + L(lang, f"（{r['confirmed']}）", f" ({r['confirmed']})") for r in confirmed))
        notes.append(L(lang, f"以下数值看似异常，原始文件已注明核实理由：{items}。",
                       f"These figures look implausible but the raw file states why they are right: {items}."))
    notes += validation_findings(validation, lang, names, growth_basis)
    return [md_text(n) for n in notes]


def _below_expected(table: pd.DataFrame, lang: str, names: dict[str, str]) -> list[str]:
    """The latest full-year levels below the model's 80 % band from earlier years (model/expected.py): a warning
    that names the likely slip (a 1-N月 figure typed as 全年, a unit); the figure still counts as published."""
    if "latest_expected_low" not in table:
        return []
    flagged = table[table["latest_expected_low"].notna()].drop_duplicates("indicator")
    if flagged.empty:
        return []
    unit = dict(zip(flagged["indicator"], flagged["latest_level_unit"]))
    items = L(lang, "；", "; ").join(
        f"{names.get(r.indicator, r.indicator)} {int(r.latest_year)}{L(lang, '年', ':')} "
        f"{amount(r.latest_value, unit.get(r.indicator, ''), lang, printed=True)}"
        + L(lang, f"（模型按此前年份预计约{amount(r.latest_expected_mid, unit.get(r.indicator, ''), lang)}，"
                  f"80%区间下限{amount(r.latest_expected_low, unit.get(r.indicator, ''), lang)}）",
            f" (the model expected about {amount(r.latest_expected_mid, unit.get(r.indicator, ''), lang)} from earlier "
            f"years, 80% band from {amount(r.latest_expected_low, unit.get(r.indicator, ''), lang)})")
        for r in flagged.itertuples())
    return [L(lang, f"以下全年数明显低于模型按此前年份的预计，请核实是否把1-N月累计数填作全年，或单位有误；"
                    f"未更正前仍按其公布状态参与研判：{items}。",
              f"These full-year figures are well below what the model expected from earlier years; check that none "
              f"is a year-to-date figure (Jan-N) typed as a full year, or has the wrong unit. Until corrected they "
              f"count as published: {items}.")]


def methods(cfg: Config, lang: str) -> str:
    """The methods appendix: data rules, models and their benchmark, the evidence ladder, the ended-plan rule, words."""
    a, f = cfg.settings["assessment"], cfg.settings["forecast"]
    margin = a["evidence"]["revision_margin_pct"]["estimate"]
    on, off = f"{a['p_on_track']:.0%}", f"{a['p_off_track']:.0%}"
    # the lowest band reads "<1%", not "≥0%" (it starts where the one above it ends)
    bands = a["likelihood"]
    lows = [f"≥{b['min']:.0%}" if b["min"] > 0 else f"<{bands[i - 1]['min']:.0%}" if i else "" for i, b in enumerate(bands)]
    words = "；".join(f"{lo} {b['zh']}" for lo, b in zip(lows, bands)) if lang == "zh" else \
        "; ".join(f"{lo} {b['en']}" for lo, b in zip(lows, bands))
    return L(
        lang,
        f"**数据**：每个数字均注明来源（原始数据文件逐行注明出处；网络资料另标“未核实”，不进入模型）；多个来源时依次按最终核实数、初步核算数、公布数、预计数的顺序，发布较新、官方来源优先择优，"
        f"未核实来源不进入模型。**模型**：对数尺度上的六个趋势模型（对数线性趋势、带漂移随机游走及其不阻尼形式、阻尼趋势模型、θ法、公布增速模型），"
        f"趋势每年阻尼{f['trend_damping']}（不阻尼形式除外），各{f['n_paths']}条随机路径，等权混合；缺失年份不插补。{benchmark_sentence(lang)}"
        f"**证据等级**：目标年的最终核实数、初步核算数或官方公布数（含经核对的转载）判定已完成/未完成；预计数、推算数、约数判定为“（预计数）”，"
        f"与目标差距在{margin:g}%修订幅度以内时为待定；未核实来源只作参考（仅有未核实资料）；原始资料仅表述为“突破X”的数据，仅在X本身达到目标时才能判定完成；基期以前的数据不能证明完成。"
        f"**终期评估**：报告期晚于目标年时时间进度为100%，目标年数据尚未取得的标为“待统计数据确认”并列出达标可能性；规划期内按达标可能性≥{on}有望完成、"
        f"{off}—{on}存在风险、<{off}明显滞后。“左右”“约”的目标达到规划数为已完成、在容差内为基本完成（增速、占比先按公布精度取一位小数再比较），达标可能性按容差下限计（完成或基本完成的可能性），所需增速按规划原数。可能性用语（仅在中、高置信度时使用）：{words}。",
        f"**Data**: every number names its source (`data/raw/`, one per row; web pages of unknown origin are marked unverified); where sources differ, final > preliminary > "
        f"published > estimate, then the later and the official one; unverified sources never enter the models. **Models**: six trend "
        f"models on log levels (log-linear trend, random walk with drift, damped and undamped, damped trend ARIMA(1,1,1), Theta, printed "
        f"growth), damped by {f['trend_damping']} a year (except the undamped one), {f['n_paths']} seeded paths each, equal weights; missing years are not interpolated. "
        f"{benchmark_sentence(lang)}**Evidence ladder**: an official final, preliminary or published figure for the target year "
        f"settles achieved / not achieved; an estimate, derived or approximate figure settles it as \"(estimate)\", or leaves it pending "
        f"within {margin:g}% of the target; an unverified figure never settles it; a figure printed as \"over X\" settles it only when X itself meets the target; figures "
        f"from before the base year never do. **Ended plan**: after the target year the briefing is a final evaluation (time elapsed "
        f"100%); a target without its figure is pending, with the models' P(met). While the plan runs: P ≥{on} on track, {off}-{on} at "
        f"risk, <{off} off track. An \"about\" target met at its number is achieved, within its tolerance broadly achieved "
        f"(rates are rounded to one decimal, as published, before the comparison); its P(met) counts the tolerance (achieved "
        f"or broadly achieved); required growth is the plan's. Likelihood "
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
    better = sum(v["smape_naive"] >= v["smape_ensemble"] for v in sparse)     # cuts where the median is no worse
    accuracy = L(lang, "，精度均不低于朴素预测。" if better == len(sparse) else
                 f"，{len(sparse)}种截短方式中有{better}种精度不低于朴素预测。",
                 " and the median is never less accurate than the naive forecast. " if better == len(sparse) else
                 f"; the median is at least as accurate as the naive forecast on {better} of the {len(sparse)} cuts. ")
    return L(lang, f"在国际预测竞赛（M3）{full['series']}个年度序列上检验：对称平均绝对百分比误差{r['full_smape']:.1f}（朴素预测{full['smape_naive']:.1f}），"
                   f"80%/95%区间覆盖率{full['cov80_avg']:.0f}%/{full['cov95_avg']:.0f}%；截短为2—7个点或有缺年的序列上，"
                   f"第2年80%区间覆盖率{lo:.0f}%—{hi:.0f}%" + accuracy,
             f"Checked on the {full['series']} M3 yearly series: sMAPE {r['full_smape']:.1f} (naive {full['smape_naive']:.1f}), "
             f"80%/95% intervals cover {full['cov80_avg']:.0f}%/{full['cov95_avg']:.0f}%; on series cut to 2-7 points or with "
             f"gaps, the 80% interval covers {lo:.0f}-{hi:.0f}% two years ahead" + accuracy) + second_collection_sentence(lang)


def second_collection_sentence(lang: str) -> str:
    """The record on a collection the widths were not fitted on (issue 27): M1 yearly's published hold-out, quoted
    from benchmarks/results/collections_summary.json (benchmarks/yearly_collections.py); empty when absent."""
    path = paths.ROOT / "benchmarks" / "results" / "collections_summary.json"
    if not path.exists():
        return ""
    m1 = json.loads(path.read_text(encoding="utf-8")).get("collections", {}).get("m1", {}).get("full")
    if not m1:
        return ""
    c, naive = m1["criteria"], m1["methods"]["naive"]["smape"]
    # the record of the probabilities themselves, said whichever way it goes (P(met) is the briefing's main output)
    skill = float(c["brier_skill"])
    return L(lang, f"在未参与参数拟合的M1竞赛{m1['series']}个年度序列上：对称平均绝对百分比误差{c['smape']:.1f}（朴素预测{naive:.1f}），"
                   f"80%/95%区间覆盖率{c['cov80_pooled']:.0f}%/{c['cov95_pooled']:.0f}%，达标可能性的准确度"
                   f"{'优于' if skill > 0 else '不及'}带漂移的随机游走（Brier技巧分{skill:.2f}）。",
             f"On the {m1['series']} M1 yearly series, which no width was fitted on: sMAPE {c['smape']:.1f} (naive {naive:.1f}), "
             f"80%/95% intervals cover {c['cov80_pooled']:.0f}%/{c['cov95_pooled']:.0f}%, and the probabilities score "
             f"{'better' if skill > 0 else 'worse'} than a random walk with drift's (Brier skill {skill:.2f}). ")


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
        open_ = int(counts.get("pending", 0))
        gaps = int(counts.get("insufficient_data", 0) + counts.get("no_public_data", 0))
        broad = int(counts.get("broadly_achieved", 0))
        # a final evaluation (终期评估) needs the target-year figures; until they are in it is final monitoring with
        # data still missing, and a reader must not take "0 achieved" for the result (issue 25)
        name_zh, name_en = (("终期监测（数据未齐）", "final monitoring (figures still missing)") if open_ or gaps
                            else ("终期评估", "a final evaluation"))
        # the standard words of a final evaluation (core.wording.FINAL_WORDS), as the table and the headline
        # paragraphs say them; how many of the pending rest on an unverified web page only is said apart
        unverified = int((plan["verdict_key"] == "pending_unverified").sum())
        # "2项（其中2项…）" reads as a slip: all of them is said as all of them
        detail = ("" if not unverified else
                  L(lang, "（目标年份数据均仅见于未经核实的网络资料）", " (all with a target-year figure only on unverified web pages)")
                  if unverified == open_ else
                  L(lang, f"（其中{unverified}项目标年份数据仅见于未经核实的网络资料）",
                    f" ({unverified} with a target-year figure only on unverified web pages)"))
        judged = int(counts.get('achieved', 0)) + broad + int(counts.get('not_achieved', 0))
        if not judged:      # "已完成0项" reads as "nothing achieved": say that nothing can be judged yet (issue 26)
            return L(lang, f"规划期已于{end}年12月31日结束，本期为{name_zh}：{len(plan)}项量化目标目前均未能作出是否完成的结论，"
                           f"其中{open_}项待统计数据确认{detail}，{gaps}项暂无数据或数据不足。",
                     f"The plan period ended on 31 December {end}; this is {name_en}. None of the {len(plan)} quantitative "
                     f"targets can yet be judged achieved or not achieved: {open_} await the statistics{detail}; "
                     f"{gaps} have no or too few published figures.")
        return L(lang, f"规划期已于{end}年12月31日结束（时间进度100%），本期为{name_zh}：{len(plan)}项量化目标中，"
                       f"已完成{counts.get('achieved', 0)}项，" + (f"基本完成{broad}项，" if broad else "") +
                       f"未完成{counts.get('not_achieved', 0)}项，待统计数据确认{open_}项{detail}，数据不足或暂无数据{gaps}项。",
                 f"The plan period ended on 31 December {end} (time elapsed 100%): this is {name_en}. Of "
                 f"{len(plan)} quantitative targets, {counts.get('achieved', 0)} achieved, "
                 + (f"{broad} broadly achieved, " if broad else "") +
                 f"{counts.get('not_achieved', 0)} not achieved, {open_} awaiting the statistics{detail}, {gaps} without "
                 "enough data to judge.")
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
    titles = L(lang, "；", "; ").join(md_text(_clip(t, SOURCE_TITLE_CHARS)) for t in dict.fromkeys(short))
    return L(lang, "**核心指标数据来源**（各数据的编号、网址和原始行见下表及figures.csv）：",
             "**Sources of the headline figures** (each figure's id, URL and raw row: the table below and figures.csv in "
             "the report folder): ") + titles

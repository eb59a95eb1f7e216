"""The words of the leadership briefing, Chinese first and English too, built from the assessment.

Pure functions from tables to Markdown: the notebook (04_briefing.ipynb) only
shows what these return, so the wording is tested and the same in every
quarter. Numbers follow Chinese conventions (亿元, 万人次, 个百分点).
"""
from __future__ import annotations

import math

import pandas as pd

from .config import Config


def L(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


# English readers get English magnitudes (52.1 billion yuan); the Chinese text keeps 521亿元 as printed
EN_UNITS = {"亿元": (0.1, "billion yuan"), "万元": (10, "thousand yuan"), "亿美元": (0.1, "billion US dollars"),
            "万人次": (0.01, "million visits"), "万人": (0.01, "million persons"), "人": (1, "persons"),
            "人次": (1, "person-times"), "家": (1, "firms"), "个": (1, ""), "项": (1, "projects"), "幢": (1, "buildings"),
            "场": (1, "events"), "万标箱": (0.01, "million TEU"), "万吨": (0.01, "million tonnes")}


def amount(v: float | None, unit: str, lang: str) -> str:
    """A value with its unit, in Chinese conventions (521亿元) or English ones (52.1 billion yuan)."""
    if lang == "zh" or not unit or unit == "%":
        return fmt_value(v, unit)
    factor, name = EN_UNITS.get(unit, (1, unit))
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return fmt_value(v * factor, f" {name}" if name else "")


def fmt_value(v: float | None, unit: str = "") -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    text = f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}" if abs(v) >= 1 else f"{v:.3g}"
    return f"{text}{unit}"


def fmt_pct(v: float | None) -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.1f}%"


def fmt_p(p: float | None) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "—"
    return "<1%" if p < 0.01 else ">99%" if p > 0.99 else f"{p:.0%}"


def _get(row: pd.Series, key: str):
    v = row.get(key)
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


STATUS_WORDS = {"estimate": ("预计数", "estimate"), "reported": ("公布数", "published"), "final": ("最终核实数", "final"),
                "preliminary": ("初步核算数", "preliminary"), "unverified": ("未核实数据", "unverified figure"),
                "printed growth": ("公布增速", "printed growth")}


def status_words(status: str, lang: str) -> str:
    parts = [STATUS_WORDS.get(s.strip(), (s.strip(), s.strip())) for s in str(status).split(",") if s.strip()]
    if "derived" in str(status):
        parts = [p for p in parts if p[0] != "derived"] + [("推算", "derived")]
    return "、".join(p[0] for p in parts) if lang == "zh" else ", ".join(p[1] for p in parts)


def verdict_text(row: pd.Series, lang: str) -> str:
    return row["verdict_zh"] if lang == "zh" else row["verdict_en"]


def key_message(row: pd.Series, cfg: Config, lang: str) -> str:
    """One paragraph per headline target: status, probability in words and numbers, the gap, the growth needed."""
    ind = cfg.indicators.get(row["indicator"])
    unit = row["unit"] if row["type"] != "avg_growth" else (ind.unit if ind else "")
    name = (ind.name_zh if lang == "zh" else ind.name_en) if ind else row["target"]
    head = f"**{row['statement'] if lang == 'zh' else row['name_en']}：{verdict_text(row, lang)}**" if lang == "zh" else \
        f"**{row['name_en']} ({row['statement']}): {verdict_text(row, lang)}**"
    parts = [head]
    p = _get(row, "p_met")
    if row["verdict"] in ("achieved", "not_achieved"):
        fv = _get(row, "figure_value")
        if row["type"] == "avg_growth" and fv is not None:
            what = L(lang, f"{int(row['base_year'])}-{int(row['target_year'])}年年均增长{fmt_pct(fv)}",
                     f"average growth {fmt_pct(fv)} in {int(row['base_year'])}-{int(row['target_year'])}")
        elif fv is not None:
            what = L(lang, f"{int(row['target_year'])}年{amount(fv, unit, lang)}", f"{amount(fv, unit, lang)} in {int(row['target_year'])}")
        else:
            what = row["basis"]
        parts.append(L(lang, f"依据：{what}（{status_words(row['figure_status'], 'zh')}）。",
                       f"Basis: {what} ({status_words(row['figure_status'], 'en')})."))
        if row["figure_status"] == "unverified" and p is not None:
            parts.append(L(lang, f"该数据来源未经核实；模型估计达标概率为{fmt_p(p)}（{row['likelihood_zh']}）。",
                           f"The figure's source is unverified; the models put the chance of meeting the target at {fmt_p(p)} ({row['likelihood_en']})."))
    elif row["verdict"] in ("on_track", "at_risk", "off_track"):
        parts.append(L(lang, f"达标概率{fmt_p(p)}（{row['likelihood_zh']}）。", f"Chance of meeting it: {fmt_p(p)} ({row['likelihood_en']})."))
    else:
        parts.append(L(lang, f"{name}暂无海门公开数据，无法研判。", f"No published Haimen figure for {name}: it cannot be judged."))
    latest, year = _get(row, "latest_value"), _get(row, "latest_year")
    if latest is not None:
        status = status_words(row.get("latest_status", ""), lang)
        if row.get("latest_derived"):
            status += L(lang, "、推算", ", derived")
        parts.append(L(lang, f"最新数据：{int(year)}年{amount(latest, unit, lang)}（{status}）。",
                       f"Latest figure: {amount(latest, unit, lang)} in {int(year)} ({status})."))
    q50 = _get(row, "projection_q50")
    if q50 is not None and row["verdict"] not in ("achieved", "not_achieved"):
        if row["type"] == "avg_growth":
            parts.append(L(lang, f"预计{int(row['base_year'])}-{int(row['target_year'])}年年均增长{fmt_pct(q50)}"
                                 f"（80%区间{fmt_pct(row['projection_q10'])}至{fmt_pct(row['projection_q90'])}），目标{fmt_pct(row['target_value'])}。",
                           f"Projected average growth {int(row['base_year'])}-{int(row['target_year'])}: {fmt_pct(q50)} "
                           f"(80% band {fmt_pct(row['projection_q10'])} to {fmt_pct(row['projection_q90'])}) against {fmt_pct(row['target_value'])}."))
        else:
            gap = q50 - row["target_value"]
            parts.append(L(lang, f"{int(row['target_year'])}年预测中位数{fmt_value(q50, unit)}（80%区间{fmt_value(row['projection_q10'])}至"
                                 f"{fmt_value(row['projection_q90'], unit)}），较目标{'高' if gap >= 0 else '低'}{fmt_value(abs(gap), unit)}。",
                           f"Median projection for {int(row['target_year'])}: {amount(q50, unit, lang)} (80% band {amount(row['projection_q10'], unit, lang)} "
                           f"to {amount(row['projection_q90'], unit, lang)}), {amount(abs(gap), unit, lang)} {'above' if gap >= 0 else 'below'} the target."))
    need, actual = _get(row, "remaining_required_growth_pct"), _get(row, "actual_growth_pct")
    if need is not None and row["verdict"] not in ("achieved", "not_achieved"):
        text = L(lang, f"实现目标需此后年均增长{fmt_pct(need)}", f"Meeting it needs {fmt_pct(need)} a year from the latest figure on")
        if actual is not None:
            diff = need - actual
            text += L(lang, f"，比{int(row['base_year'])}年以来实际年均增速{fmt_pct(actual)}{'高' if diff >= 0 else '低'}{abs(diff):.1f}个百分点",
                      f", {abs(diff):.1f} percentage points {'above' if diff >= 0 else 'below'} the {fmt_pct(actual)} a year achieved since {int(row['base_year'])}")
        parts.append(text + L(lang, "。", "."))
    return " ".join(parts)


def status_cell(row: pd.Series, cfg: Config, lang: str, html: bool) -> str:
    text = verdict_text(row, lang)
    colour = cfg.settings["assessment"]["verdicts"][row["verdict"]]["colour"]
    if html:
        return f'<span style="color:{colour};font-weight:bold">{text}</span>'
    return f'`#text(fill: rgb("{colour}"), weight: "bold")[{text}]`{{=typst}}'


def status_table(table: pd.DataFrame, cfg: Config, lang: str, html: bool = False) -> pd.DataFrame:
    """Every target: clause, target, latest value, progress against time elapsed, projection, P(met), status."""
    rows = []
    for _, r in table.iterrows():
        unit = r["unit"] if r["type"] != "avg_growth" else ""
        latest = _get(r, "latest_value")
        latest_txt = "—" if latest is None else f"{amount(latest, unit, lang)} ({int(r['latest_year'])})"
        progress = _get(r, "progress_ratio")
        elapsed = _get(r, "time_elapsed_share")
        prog_txt = "—" if progress is None else f"{progress:.0%} / {elapsed:.0%}" if elapsed is not None else f"{progress:.0%}"
        target_txt = r["statement"] if lang == "zh" else r["name_en"]
        rows.append({
            L(lang, "条款", "Clause"): r["clause"],
            L(lang, "目标", "Target"): target_txt,
            L(lang, "最新值", "Latest"): latest_txt,
            L(lang, "进度/序时", "Progress / time"): prog_txt,
            L(lang, "预测", "Projection"): amount(_get(r, "projection_q50"), unit, lang) if r["type"] != "avg_growth" else fmt_pct(_get(r, "projection_q50")),
            L(lang, "达标概率", "P(met)"): fmt_p(_get(r, "p_met")),
            L(lang, "研判", "Status"): status_cell(r, cfg, lang, html),
        })
    return pd.DataFrame(rows)


def indicator_names(cfg: Config, lang: str) -> dict[str, str]:
    return {i: (ind.name_zh if lang == "zh" else ind.name_en) for i, ind in cfg.indicators.items()}


def data_notes(table: pd.DataFrame, validation: dict | None, observations: pd.DataFrame, lang: str,
               region: str = "海门", since: int = 2021, names: dict[str, str] | None = None) -> list[str]:
    """Plain statements of the gaps, the unverified and estimated figures, and the validation warnings.

    Unverified and estimated figures are those of the home region for the plan's base year and later:
    the ones a reader of this briefing leans on.
    """
    notes = []
    names = names or {}
    observations = observations[(observations["region"] == region) & (observations["year"] >= since)]
    no_data = table[table["verdict"].isin(["insufficient_data", "no_public_data"])]
    notes.append(L(lang, f"全部{len(table)}项量化目标中，{len(no_data)}项暂无海门公开数据或数据不足以研判。"
                         "海门区统计公报未能获取，许多年份缺失；缺失即为缺失，本简报不作插补。",
                   f"Of the plan's {len(table)} quantitative targets, {len(no_data)} have no published Haimen figure, or too few to judge. "
                   "Haimen's statistical bulletins could not be reached, so many years are missing; missing stays missing, nothing is interpolated."))
    excluded = observations[observations["role"] == "excluded"]
    if len(excluded):
        items = "; ".join(f"{names.get(r.indicator, r.indicator)} {r.period} {amount(r.value, r.unit, lang)}" for r in excluded.itertuples())
        notes.append(L(lang, f"以下{len(excluded)}项数据来源未经核实，未用于模型：{items}。",
                       f"{len(excluded)} figures come from unverified sources and are not used by the models: {items}."))
    estimates = observations[(observations["role"] == "selected") & (observations["status"] == "estimate")]
    if len(estimates):
        items = "; ".join(f"{names.get(r.indicator, r.indicator)} {r.period}" for r in estimates.itertuples())
        notes.append(L(lang, f"以下数据为预计数（统计数据发布前的估计）：{items}。",
                       f"These figures are estimates published before the year's statistics: {items}."))
    if validation:
        failed = [c for c in validation["checks"] if not c["success"]]
        if failed:
            notes.append(L(lang, "数据验证提示（详见验证报告）：" + "；".join(f"{c['title_zh']}（{c['rows_failing']}行）" for c in failed) + "。",
                           "Validation warnings (see the validation report): "
                           + "; ".join(f"{c['title_en']} ({c['rows_failing']} rows)" for c in failed) + "."))
    return notes


def methods(cfg: Config, lang: str) -> str:
    a, f = cfg.settings["assessment"], cfg.settings["forecast"]
    words = "；".join(f"≥{b['min']:.0%} {b['zh']}" for b in a["likelihood"]) if lang == "zh" else \
        "; ".join(f"≥{b['min']:.0%} {b['en']}" for b in a["likelihood"])
    return L(
        lang,
        f"**数据**：每个数字均来自公开出版物（`data/raw/`，逐行注明来源）；同一数据有多个来源时，按最终核实>初步核算>公布数>预计数、"
        f"发布时间较新、官方优先的规则择优，未核实来源不参与。**模型**：对数尺度上的五个趋势模型（近{f['ols_window_years']}年对数线性趋势、"
        f"带漂移随机游走、阻尼趋势ARIMA(1,1,1)、Theta法、公布增速模型），趋势按每年{f['trend_damping']}阻尼，各生成{f['n_paths']}条随机路径，"
        f"等权混合；缺失年份不插补。在M3竞赛645个年度序列上检验（sMAPE 15.8，优于全部参赛方法；80%/95%区间覆盖率82%/95%）。"
        f"**研判**：目标年数据公布后判定已完成/未完成；此前按达标概率：≥{a['p_on_track']:.0%}有望完成，{a['p_off_track']:.0%}-{a['p_on_track']:.0%}存在风险，"
        f"<{a['p_off_track']:.0%}明显滞后。概率用语（IPCC）：{words}。进度分类（Eurostat）：实际/所需年均增速≥95%符合序时进度，60-95%需加快，"
        f"0-60%进展有限，<0背离目标。",
        f"**Data**: every number comes from a public publication (`data/raw/`, one source per row); where sources differ, final beats "
        f"preliminary beats published beats estimate, then the later and the official publication; unverified sources are left out. "
        f"**Models**: five trend models on the log scale (log-linear trend over the last {f['ols_window_years']} years, random walk with drift, "
        f"damped trend ARIMA(1,1,1), Theta, printed-growth model), trends damped by {f['trend_damping']} a year, {f['n_paths']} simulated paths each, "
        f"mixed with equal weights; missing years are not interpolated. Tested on the 645 yearly series of the M3 competition "
        f"(sMAPE 15.8, ahead of every entrant; 80%/95% intervals cover 82%/95%). **Judgement**: achieved / not achieved once the "
        f"target-year figure is published; before that by the chance of meeting the target: ≥{a['p_on_track']:.0%} on track, "
        f"{a['p_off_track']:.0%}-{a['p_on_track']:.0%} at risk, <{a['p_off_track']:.0%} off track. Probability words (IPCC): {words}. "
        f"Progress classes (Eurostat): actual / required average growth ≥95% on pace, 60-95% acceleration needed, 0-60% limited progress, "
        f"<0 moving away.",
    )


def compact_status_table(table: pd.DataFrame, cfg: Config, lang: str, html: bool = False) -> pd.DataFrame:
    """Targets without figures to show, two per row: clause, target, status (keeps the briefing short)."""
    cells = [(r["clause"], r["statement"] if lang == "zh" else r["name_en"], status_cell(r, cfg, lang, html))
             for _, r in table.iterrows()]
    rows = []
    for i in range(0, len(cells), 2):
        left, right = cells[i], cells[i + 1] if i + 1 < len(cells) else ("", "", "")
        rows.append(dict(zip([L(lang, "条款", "Clause"), L(lang, "目标", "Target"), L(lang, "研判", "Status"),
                              L(lang, "条款 ", "Clause "), L(lang, "目标 ", "Target "), L(lang, "研判 ", "Status ")],
                             [*left, *right])))
    return pd.DataFrame(rows)


def has_figures(table: pd.DataFrame) -> pd.Series:
    """Targets with a published figure or a forecast to show in the detailed table."""
    return table["latest_value"].notna() | table["p_met"].notna() | table["verdict"].isin(["achieved", "not_achieved"])

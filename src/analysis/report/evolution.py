"""The replay's evolution report: how each target's verdict, P(target met) and projection moved, quarter by quarter.

What a planner asks of a replay is "when did we learn what?": so every quarter of
the range is a column (also a quarter whose run failed, or where the target had
no P(met) because its figure was out), the quarter in which a new figure became
visible is marked and listed, and targets with nothing to draw in any quarter
are left out (counted on the first page) instead of filling pages with empty
axes. The first page is a heatmap of P(met) by target and quarter (heatmaps.py);
then one page per target with data, headline targets first. One PDF per
language: evolution.zh.pdf and evolution.en.pdf.

The first half prepares the data (which targets, which figures arrived when); the second draws the
pages. Per target, top to bottom: P(target met) by quarter with each point's value in whole per cent; a
strip of verdicts, one coloured cell per quarter with the verdict written out horizontally; the projection
of the target-year value (80 % band), the figure the verdict rests on once it is out, the latest published
figure (with its year) and the target; the quarters in which new figures arrived are marked with a dotted
line and listed under the charts.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.colors import to_rgb
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import PercentFormatter

from analysis.core import storage
from analysis.core.config import Config, load_config
from analysis.core.errors import InputError
from analysis.core.escape import plot_text
from analysis.report.heatmaps import CELL_WORDS, p_met_heatmap, wrap_cjk
from analysis.core.quarters import Quarter
from analysis.report.style import BAND_COLOUR, MUTED_COLOUR, TARGET_COLOUR, house_style
from analysis.core.wording import L, amount, clause_text, fmt_p, period_words, status_words, target_label

# columns of an assessment row that carry something to draw; a target none of them is set for in any quarter
# has no data for the evolution report
DATA_COLUMNS = ("p_met", "projection_q50", "latest_value", "figure_value")
RELIABILITY_WORDS = {"official": ("官方", "official"), "secondary": ("转载", "secondary copy"),
                     "mirror": ("转载待核对", "mirror, not cross-checked"), "aggregator": ("聚合网站", "aggregator site"),
                     "unverified": ("来源未核实", "unverified source"), "department": ("部门台账", "department return")}
ARRIVAL_COLUMNS = ["as_of", "indicator", "region", "period", "year", "value", "unit", "growth_pct", "status",
                   "reliability", "qualifier", "published_date", "figure_id", "source_title"]


def targets_with_data(history: pd.DataFrame) -> list[str]:
    """Targets that have something to draw in at least one quarter: headline targets first, then in plan order.

    history: the replay's evolution.csv (every quarter's assessment.csv, one row per target and quarter).
    """
    if history.empty:
        return []
    columns = [c for c in DATA_COLUMNS if c in history]
    has = history.groupby("target", sort=False)[columns].apply(lambda g: bool(g.notna().any().any()))
    order = list(dict.fromkeys(history["target"]))
    headline = history.groupby("target", sort=False)["headline"].any() if "headline" in history else pd.Series(dtype=bool)
    chosen = [t for t in order if has.get(t, False)]
    return sorted(chosen, key=lambda t: (not bool(headline.get(t, False)), order.index(t)))


def arrivals(observations: pd.DataFrame, quarters: list[str], region: str) -> pd.DataFrame:
    """The figures (raw rows) for region that first became visible in each quarter of the range.

    observations: rows with first_visible (clean.mark_visibility), as the replayed quarters read them:
    a row appears in the quarter whose inputs first contained it, so a figure published during 2024Q3
    after that quarter's reporting cut-off arrives in 2024Q4.
    """
    from analysis.inputs.figures import figure_id

    obs = observations[observations["first_visible"].isin(quarters) & (observations["region"] == region)]
    obs = obs[obs["value"].notna() | obs["growth_pct"].notna()]
    out = obs.assign(as_of=obs["first_visible"], figure_id=[figure_id(o) for o in obs["obs_id"]])
    out = out.reindex(columns=ARRIVAL_COLUMNS)
    order = {q: i for i, q in enumerate(quarters)}
    return out.sort_values(["as_of", "indicator", "year"], key=lambda s: s.map(order) if s.name == "as_of" else s,
                           kind="mergesort").reset_index(drop=True)


def read_arrivals(raw_dir: Path, cfg: Config, quarters: list[str]) -> pd.DataFrame:
    """arrivals() from the raw files: every row's first visible quarter under the configured reporting cut-off."""
    from analysis.inputs.clean import mark_visibility
    from analysis.inputs.ingest import ingest

    obs, _ = ingest(Path(raw_dir), cfg)
    cutoff_days = int(cfg.settings["reporting_cutoff_days_after_quarter_end"])
    marked = mark_visibility(obs, Quarter.from_label(quarters[-1]), cutoff_days)
    return arrivals(marked, quarters, cfg.settings["home_region"])


def arrival_text(row: pd.Series, lang: str) -> str:
    """One arrived figure as a reader scans it: 2023年 521亿元 (预计数 · 官方) [Fxxxxxx] / 2023: 52.1 billion yuan ..."""
    period = period_words(row["period"], lang, row.get("year"))
    parts = []
    if pd.notna(row["value"]):
        parts.append(amount(float(row["value"]), str(row["unit"]), lang))
    if pd.notna(row.get("growth_pct")):
        g = float(row["growth_pct"])
        parts.append(f"增长 {g:.1f}%" if lang == "zh" else f"growth {g:+.1f}%")
    source = RELIABILITY_WORDS.get(str(row["reliability"]), (str(row["reliability"]),) * 2)
    tags = [status_words(str(row["status"]), lang), source[0] if lang == "zh" else source[1]]
    sep = " " if lang == "zh" else ": "
    value = "，".join(parts) if lang == "zh" else ", ".join(parts)
    ident = f" [{row['figure_id']}]" if isinstance(row.get("figure_id"), str) and row["figure_id"] else ""
    return f"{period}{sep}{value} ({' · '.join(tags)}){ident}"


def quarter_frame(g: pd.DataFrame, quarters: list[str]) -> pd.DataFrame:
    """One target's rows indexed by every quarter of the range (a quarter without a row is all NaN)."""
    return g.drop_duplicates("as_of", keep="last").set_index("as_of").reindex(quarters)


def arrivals_or_none(raw_dir: Path, cfg: Config, quarters: list[str]) -> pd.DataFrame:
    """read_arrivals, or an empty table when the raw folder cannot be read (every quarter then failed, and
    outcomes.json says why): the pages are still drawn, without a second error."""
    try:
        return read_arrivals(raw_dir, cfg, quarters)
    except InputError:
        return pd.DataFrame(columns=ARRIVAL_COLUMNS)


def write_evolution(history: pd.DataFrame, quarters: list[str], raw_dir: Path, out_dir: Path,
                    langs: tuple[str, ...] = ("zh", "en"), cfg: Config | None = None) -> dict[str, list[str]]:
    """arrivals.csv and evolution.<lang>.pdf for each language in out_dir; returns lang -> the targets given a page.

    A raw folder that cannot be read gives an empty arrivals table (arrivals_or_none).
    """
    cfg = cfg or load_config()
    arrived = arrivals_or_none(raw_dir, cfg, quarters)
    storage.write_csv(arrived, Path(out_dir) / "arrivals.csv")
    return {lang: evolution_pdf(history, quarters, arrived, Path(out_dir) / f"evolution.{lang}.pdf", cfg, lang)
            for lang in langs}


# ------------------------------------------------------------------------------------------------ pages --
A4 = (8.27, 11.69)
ARRIVAL_COLOUR = "#0f766e"      # teal: apart from the blues of the data and the red of the target
MAX_ARRIVAL_LINES = 16


def evolution_pdf(history: pd.DataFrame, quarters: list[str], arrived: pd.DataFrame, pdf_path: Path, cfg: Config,
                  lang: str) -> list[str]:
    """Write the report for one language; return the targets that got a page (in page order, after the overview)."""
    house_style()
    title = L(lang, "季度回放：目标研判的演变", "Replay: how the target verdicts evolved")
    chosen = targets_with_data(history)
    with PdfPages(pdf_path, metadata={"Title": title}) as pdf:
        if not chosen:
            fig = plt.figure(figsize=A4)
            fig.text(0.5, 0.6, L(lang, "回放区间内没有可绘制的目标数据", "No target had data to draw in the replayed quarters"),
                     ha="center", fontsize=12)
            fig.text(0.5, 0.56, L(lang, "季度：", "Quarters: ") + ", ".join(quarters), ha="center", fontsize=9,
                     color=MUTED_COLOUR)
            pdf.savefig(fig)
            plt.close(fig)
            return []
        _save(pdf, _overview(history, chosen, quarters, cfg, lang, title))
        for target in chosen:
            g = quarter_frame(history[history["target"] == target], quarters)
            mine = arrived[arrived["indicator"] == g["indicator"].dropna().iloc[0]] if len(arrived) else arrived
            _save(pdf, _target_page(g, quarters, mine, cfg, lang))
    return chosen


def _save(pdf: PdfPages, fig) -> None:
    pdf.savefig(fig)
    plt.close(fig)


def _overview(history: pd.DataFrame, chosen: list[str], quarters: list[str], cfg: Config, lang: str, title: str):
    """Page 1: P(met) by target and quarter on an A4 page; the targets left out are counted under the grid."""
    p, cells, labels = [], [], []
    for target in chosen:
        g = quarter_frame(history[history["target"] == target], quarters)
        name = target_label(g.dropna(subset=["statement"]).iloc[-1], lang)
        # two lines at most, so that the grid gets most of the page's width (its cells hold words)
        lines = wrap_cjk(name, 14) if lang == "zh" else textwrap.wrap(name, 30)
        labels.append("\n".join(lines[:2]) + ("…" if len(lines) > 2 else ""))
        p.append(list(g["p_met"]))
        cells.append([_cell_word(v, lang) if pd.isna(pv) else "" for v, pv in zip(g["verdict"], g["p_met"])])
    fig = plt.figure(figsize=A4)
    fig.text(0.05, 0.965, title, fontsize=14, weight="bold", va="top")
    fig.text(0.05, 0.935, L(lang, f"{quarters[0]}至{quarters[-1]}各季度当时的判断：达标可能性P，按目标和季度",
                            f"As judged in each quarter, {quarters[0]} to {quarters[-1]}: P(target met) by target"),
             fontsize=10, va="top")
    height = min(0.7, 0.045 * len(chosen) + 0.02)
    top = 0.86
    ax = fig.add_axes((0.27, top - height, 0.62, height))
    cbar = fig.add_axes((0.905, top - min(height, 0.25), 0.012, min(height, 0.25)))
    p_met_heatmap(ax, pd.DataFrame(p, index=labels, columns=quarters),
                  pd.DataFrame(cells, index=labels, columns=quarters), lang, cbar_ax=cbar)
    left_out = history["target"].nunique() - len(chosen)
    on, off = (round(100 * float(cfg.settings["assessment"][k])) for k in ("p_on_track", "p_off_track"))
    note = L(lang,
             f"格内为当季估计的达标可能性P（整数百分比）：{on}%及以上为有望完成，低于{off}%为明显滞后。没有P的格写研判结论："
             f"已完成、未完成（目标年数据已公布）、待定、数据不足；“—”为该季度回放未得出结果。"
             f"另有{left_out}个目标在各季度均无可用数据，未列出。",
             f"Each cell is P(target met) as estimated that quarter, in whole per cent: {on}% or more is on track, below "
             f"{off}% off track. Cells without P give the verdict: achieved or not achieved (the target-year figure is "
             f"out), pending, insufficient data; “—” means the quarter's run gave no result. {left_out} targets had no usable "
             f"figure in any quarter and are left out.")
    # Chinese has no spaces to break at: its lines are cut by characters (break_long_words)
    fig.text(0.05, top - height - 0.03, textwrap.fill(note, 52 if lang == "zh" else 120), fontsize=8,
             color=MUTED_COLOUR, va="top", linespacing=1.5)
    return fig


def _cell_word(verdict: object, lang: str) -> str:
    if not isinstance(verdict, str):
        return "—"
    words = CELL_WORDS.get(verdict)
    return (words[0] if lang == "zh" else words[1]) if words else ""


def _target_page(g: pd.DataFrame, quarters: list[str], arrived: pd.DataFrame, cfg: Config, lang: str):
    """One target's A4 page. The x axis is the replay's quarter range itself (positions 0..n-1), never the
    quarters that happen to have a finite value: a quarter without P or projection (the figure is out, the
    run failed) is still a column, which is what stopped the old chart at 2024Q4."""
    first = g.dropna(subset=["statement"]).iloc[-1]
    n = len(quarters)
    x = np.arange(n)
    fig = plt.figure(figsize=A4)
    grid = fig.add_gridspec(4, 1, height_ratios=[3.0, 0.75, 3.2, 2.4], hspace=0.32, left=0.11, right=0.9,
                            top=0.88, bottom=0.03)
    a_p, a_v, a_val, a_txt = (fig.add_subplot(grid[i]) for i in range(4))
    _title(fig, first, lang)
    new_at = [i for i, q in enumerate(quarters) if len(arrived) and (arrived["as_of"] == q).any()]
    _p_panel(a_p, g, x, cfg, lang)
    _verdict_strip(a_v, g, n, cfg, lang)
    _value_panel(a_val, g, x, first, lang)
    for ax in (a_p, a_val):
        for i in new_at:
            ax.axvline(i, color=ARRIVAL_COLOUR, ls=":", lw=1.0, zorder=1)
        ax.set_xlim(-0.5, n - 0.5)
        ax.set_xticks(x, quarters, fontsize=7.5, rotation=0 if n <= 16 else 45)
        ax.grid(True, axis="y")
    a_val.scatter(new_at, [0.0] * len(new_at), marker="^", s=36, color=ARRIVAL_COLOUR, zorder=6, clip_on=False,
                  transform=a_val.get_xaxis_transform())
    handles, labels = a_val.get_legend_handles_labels()
    handles.append(Line2D([], [], color=ARRIVAL_COLOUR, ls=":", marker="^", lw=1.0))
    labels.append(L(lang, "新数据公布的季度", "quarter in which a new figure arrived"))
    a_txt.legend(handles, labels, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, 1.12), ncol=3)
    _arrival_list(a_txt, arrived, lang)
    return fig


def _title(fig, row: pd.Series, lang: str) -> None:
    fig.text(0.05, 0.965, plot_text(target_label(row, lang)), fontsize=12, weight="bold", va="top")
    clause = clause_text(row["clause"], lang) if isinstance(row.get("clause"), str) else ""
    sub = L(lang, f"规划条款 {clause} · 原文：{row['statement']}", f"Plan {clause}")
    fig.text(0.05, 0.935, plot_text(sub), fontsize=8.5, color=MUTED_COLOUR, va="top")


def _p_panel(ax, g: pd.DataFrame, x: np.ndarray, cfg: Config, lang: str) -> None:
    on, off = float(cfg.settings["assessment"]["p_on_track"]), float(cfg.settings["assessment"]["p_off_track"])
    p = g["p_met"].to_numpy(dtype=float)
    ax.axhspan(on, 1.0, color="#2e7d32", alpha=0.08, lw=0)
    ax.axhspan(0.0, off, color="#c62828", alpha=0.08, lw=0)
    ax.text(1.005, (on + 1) / 2, L(lang, "有望完成", "on track"), transform=ax.get_yaxis_transform(), fontsize=6.5,
            color="#2e7d32", va="center")
    ax.text(1.005, off / 2, L(lang, "明显滞后", "off track"), transform=ax.get_yaxis_transform(), fontsize=6.5,
            color="#c62828", va="center")
    ax.plot(x, p, marker="o", color=BAND_COLOUR, lw=1.4, ms=4, zorder=4)
    for xi, v in zip(x, p):
        if not np.isnan(v):
            ax.annotate(fmt_p(v), (xi, v), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=7)
    ax.set_ylim(-0.02, 1.08)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylabel(L(lang, "达标可能性P", "P(target met)"), fontsize=8.5)
    ax.set_title(L(lang, "达标可能性：各季度当时的判断", "Probability the target is met, as judged each quarter"),
                 fontsize=9.5)
    if np.isnan(p).all():
        ax.text(0.5, 0.5, L(lang, "各季度均未计算达标可能性（数据不足，或结果已公布）",
                            "No quarter computed P (too little data, or the outcome was already published)"),
                transform=ax.transAxes, ha="center", va="center", color=MUTED_COLOUR, fontsize=9)


def _verdict_strip(ax, g: pd.DataFrame, n: int, cfg: Config, lang: str) -> None:
    """One cell per quarter: the verdict's colour and its words, horizontal and wrapped to fit the cell."""
    colours = {k: v.get("colour", "#9ca3af") for k, v in cfg.settings["assessment"]["verdicts"].items()}
    width = max(4, int(62 / n)) if lang == "zh" else max(8, int(120 / n))
    for i, (key, zh, en) in enumerate(zip(g["verdict_key"], g["verdict_zh"], g["verdict_en"])):
        if isinstance(key, str):
            colour, text = colours.get(key, "#9ca3af"), str(zh if lang == "zh" else en)
        else:
            colour, text = "#ffffff", L(lang, "本季度无结果", "no result this quarter")
        ax.add_patch(Rectangle((i - 0.5, 0), 1, 1, facecolor=colour, edgecolor="white", lw=1.5,
                               hatch=None if isinstance(key, str) else "///"))
        ink = "white" if sum(to_rgb(colour)) < 1.9 else "#111827"
        ax.text(i, 0.5, textwrap.fill(plot_text(text), width), ha="center", va="center", fontsize=6.5, color=ink,
                linespacing=1.1)
    ax.set_xlim(-0.5, n - 0.5)
    ax.set_ylim(0, 1)
    ax.axis("off")
    ax.text(-0.5, 1.08, L(lang, "研判结论", "Verdict"), fontsize=8.5, transform=ax.transData, va="bottom")


def _value_panel(ax, g: pd.DataFrame, x: np.ndarray, row: pd.Series, lang: str) -> None:
    """The projection, the figure the verdict rests on, the latest published figure and the target, in one unit."""
    from analysis.report.charts import axis_unit, english_unit

    unit = str(row["unit"]) if isinstance(row["unit"], str) else ""
    factor = 1.0 if lang == "zh" or unit == "%" else float(english_unit(unit)[0])
    q10, q50, q90 = (g[c].to_numpy(dtype=float) * factor for c in ("projection_q10", "projection_q50", "projection_q90"))
    if not np.isnan(q50).all():
        ax.fill_between(x, q10, q90, color=BAND_COLOUR, alpha=0.2, lw=0, label=L(lang, "80% 区间", "80% band"))
        ax.plot(x, q50, marker="o", ms=3.5, color=BAND_COLOUR, lw=1.4,
                label=L(lang, "目标年预测中值", "median projection for the target year"))
    fig_v = g["figure_value"].to_numpy(dtype=float) * factor
    if not np.isnan(fig_v).all():
        ax.scatter(x, fig_v, marker="D", s=26, color=BAND_COLOUR, zorder=5,
                   label=L(lang, "研判所依据的数据", "figure the verdict rests on"))
    if row["type"] in ("level", "share"):
        latest = g["latest_value"].to_numpy(dtype=float) * factor
        if not np.isnan(latest).all():
            ax.scatter(x, latest, marker="o", s=22, facecolors="white", edgecolors=MUTED_COLOUR, zorder=4,
                       label=L(lang, "最新公布数（标注年份）", "latest published figure (its year)"))
            shown = None
            for xi, v, year in zip(x, latest, g["latest_year"]):
                if not np.isnan(v) and year != shown:
                    ax.annotate(f"{int(year)}", (xi, v), textcoords="offset points", xytext=(0, -11), ha="center",
                                fontsize=6.5, color=MUTED_COLOUR)
                    shown = year
    if pd.notna(row["target_value"]):
        year = f"{int(row['target_year'])}" if pd.notna(row.get("target_year")) else ""
        ax.axhline(float(row["target_value"]) * factor, color=TARGET_COLOUR, ls="--", lw=1.1,
                   label=L(lang, f"目标（{year}年）" if year else "目标", f"target ({year})" if year else "target"))
    ax.set_ylabel(plot_text(axis_unit(unit, lang) if unit else ""), fontsize=8.5)
    what = {"avg_growth": ("规划期年均增速", "Average annual growth over the plan"),
            "cumulative": ("规划期累计数", "Total over the plan period")}.get(row["type"], ("目标年数值", "Target-year value"))
    ax.set_title(L(lang, f"{what[0]}：预测与公布数", f"{what[1]}: projection and published figures"), fontsize=9.5)
    ax.margins(y=0.15)


def _arrival_list(ax, arrived: pd.DataFrame, lang: str) -> None:
    """Under the charts: each quarter's newly visible figures for this indicator, one line each."""
    ax.axis("off")
    ax.text(0, 0.9, L(lang, "各季度新公布的数据（海门）", "Figures as they arrived (Haimen)"), fontsize=9, weight="bold",
            va="top", transform=ax.transAxes)
    if arrived.empty:
        ax.text(0, 0.8, L(lang, "回放区间内没有新公布的数据。", "No new figure arrived in the replayed quarters."),
                fontsize=8, color=MUTED_COLOUR, va="top", transform=ax.transAxes)
        return
    lines = [(r["as_of"], arrival_text(r, lang)) for _, r in arrived.iterrows()]
    step = 0.78 / MAX_ARRIVAL_LINES
    for k, (quarter, text) in enumerate(lines[:MAX_ARRIVAL_LINES]):
        y = 0.8 - k * step
        ax.text(0, y, quarter, fontsize=7.5, color=ARRIVAL_COLOUR, va="top", transform=ax.transAxes)
        ax.text(0.1, y, plot_text(text), fontsize=7.5, va="top", transform=ax.transAxes)
    if len(lines) > MAX_ARRIVAL_LINES:
        more = len(lines) - MAX_ARRIVAL_LINES
        ax.text(0.1, 0.8 - MAX_ARRIVAL_LINES * step, L(lang, f"……另有 {more} 条，见 arrivals.csv",
                                                       f"... and {more} more, see arrivals.csv"),
                fontsize=7.5, color=MUTED_COLOUR, va="top", transform=ax.transAxes)

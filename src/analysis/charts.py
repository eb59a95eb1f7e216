"""Charts for the notebooks and PDFs: fan charts with the target line, in a CJK font.

Colours and marker meanings are fixed here so every chart reads the same way.
"""
from __future__ import annotations

from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import font_manager
from matplotlib.ticker import FuncFormatter

from .assess import IndicatorData
from .config import Target
from .escape import plot_text
import pandas as pd

BAND_COLOUR = "#1f5c99"
TARGET_COLOUR = "#c62828"
MARKERS = {  # figure kind -> (marker, face colour, label zh, label en)
    "official": ("o", BAND_COLOUR, "官方公布", "official"),
    "secondary": ("s", BAND_COLOUR, "转载", "secondary copy"),
    "estimate": ("o", "white", "预计数", "estimate"),
    "derived": ("D", "white", "推算值", "derived"),
    "unverified": ("^", "#9ca3af", "未核实", "unverified"),
}


@lru_cache(maxsize=1)
def use_cjk_font() -> str | None:
    """Point matplotlib at a Noto CJK font so Chinese labels are not empty boxes; None if there is none."""
    families = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Serif CJK SC")
    names = {f.name for f in font_manager.fontManager.ttflist}
    if not names & set(families):
        # matplotlib's font cache predates the font's installation: register the file directly
        from .errors import InputError
        from .render import find_cjk_font
        try:
            font_manager.fontManager.addfont(str(find_cjk_font()))
        except (InputError, OSError, RuntimeError):
            return None
        names = {f.name for f in font_manager.fontManager.ttflist}
    for family in families:
        if family in names:
            plt.rcParams["font.family"] = "sans-serif"
            plt.rcParams["font.sans-serif"] = [family, "DejaVu Sans"]
            plt.rcParams["axes.unicode_minus"] = False
            return family
    return None


def _kind(info_row) -> str:
    if info_row["reliability"] == "unverified":
        return "unverified"
    if info_row["derived"]:
        return "derived"
    if info_row["status"] == "estimate":
        return "estimate"
    return "official" if info_row["reliability"] == "official" else "secondary"


def fan_chart(t: Target, data: IndicatorData | None, bands: pd.DataFrame | None, unit: str, lang: str = "zh",
              title: str | None = None, first_year: int = 2012, ax=None):
    """Observed figures by status, the ensemble's 50/80/95 % bands and median, and the target.

    bands: the ensemble's path quantiles by future year (Forecast.quantiles() or data/clean/forecasts.parquet).
    ax: draw into this axes (a panel of a larger figure, headline_charts.py: the caller lays out and adds one
    legend); None makes a figure of its own.
    """
    use_cjk_font()
    zh = lang == "zh"
    own = ax is None
    fig, ax = plt.subplots(figsize=(6.4, 3.4), dpi=150) if own else (ax.figure, ax)
    ax.set_title(plot_text(title or (t.statement if zh else t.name_en)), fontsize=10 if own else 8, loc="left")
    plotted = set()
    if data is not None and len(data.levels):
        for year, value in data.levels.items():
            if year < first_year:
                continue
            kind = _kind(data.info.loc[year])
            marker, face, lzh, len_ = MARKERS[kind]
            ax.scatter([year], [value], marker=marker, facecolors=face, edgecolors=BAND_COLOUR, zorder=5, s=28,
                       label=(lzh if zh else len_) if kind not in plotted else None)
            plotted.add(kind)
        for _, u in data.unverified.iterrows():
            marker, face, lzh, len_ = MARKERS["unverified"]
            ax.scatter([u["year"]], [u["value"]], marker=marker, color=face, zorder=5, s=30,
                       label=(lzh if zh else len_) if "unverified" not in plotted else None)
            plotted.add("unverified")
    if bands is not None and len(bands) and data is not None:
        origin = int(bands.index.min()) - 1
        origin_value = data.levels[origin]
        years = [origin, *bands.index.astype(int)]
        cols = ["q0.025", "q0.1", "q0.25", "q0.5", "q0.75", "q0.9", "q0.975"]
        q = np.column_stack([np.full(7, origin_value), bands[cols].to_numpy().T])
        for (lo, hi), alpha, label in (((0, 6), 0.15, "95%"), ((1, 5), 0.25, "80%"), ((2, 4), 0.4, "50%")):
            ax.fill_between(years, q[lo], q[hi], color=BAND_COLOUR, alpha=alpha, lw=0,
                            label=(f"{label} 区间" if zh else f"{label} band"))
        ax.plot(years, q[3], color=BAND_COLOUR, lw=1.4, label="预测中位数" if zh else "median projection")
    goal = _target_path(t, data)
    if goal is not None:
        ax.plot(goal[0], goal[1], color=TARGET_COLOUR, lw=1.2, ls="--", label="目标" if zh else "target")
        ax.scatter([goal[0][-1]], [goal[1][-1]], color=TARGET_COLOUR, marker="*", s=70, zorder=6)
    if not plotted and (bands is None or not len(bands)):
        ax.text(0.5, 0.5, "暂无海门公开数据" if zh else "no published Haimen figure", transform=ax.transAxes,
                ha="center", va="center", color="#6b7280", fontsize=11 if own else 8)
    ax.set_ylabel(plot_text(axis_unit(unit, lang)))
    if not zh:
        # the data stay in the registry's unit; only the tick labels are in English magnitudes (52.1 billion yuan)
        factor = english_unit(unit)[0]
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v * factor:,.{_decimals(ax, factor)}f}"))
    ax.grid(alpha=0.25, lw=0.5)
    ax.spines[["top", "right"]].set_visible(False)
    ax.xaxis.get_major_locator().set_params(integer=True)
    if own:
        ax.legend(fontsize=7, frameon=False, loc="upper left", ncol=2)
        fig.tight_layout()
    return fig


def english_unit(unit: str) -> tuple[float, str]:
    """The factor and English name of a Chinese unit (亿元 -> 0.1, billion yuan); the unit itself if unknown."""
    from .briefing import EN_UNITS       # one table of units for text, tables and charts
    return EN_UNITS.get(unit, (1, unit))


def axis_unit(unit: str, lang: str) -> str:
    """The y-axis label: the unit as the reader's language names it (亿元 / billion yuan, 万人次 / million visits)."""
    if lang == "zh" or not unit:
        return unit
    return english_unit(unit)[1] or unit


def _decimals(ax, factor: float) -> int:
    """Enough decimals for the scaled tick step (0.5 billion needs one), never more than two."""
    ticks = ax.get_yticks()
    step = abs(ticks[1] - ticks[0]) * factor if len(ticks) > 1 else 1
    return 0 if step >= 1 else 1 if step >= 0.1 else 2


def _target_path(t: Target, data: IndicatorData | None):
    """The target as a line: the level in the target year, or for growth targets the required path from the base."""
    if t.type in ("level", "share"):
        return [t.base_year, t.target_year], [t.value, t.value]
    if t.type == "avg_growth" and data is not None and t.base_year in data.levels.index:
        years = np.arange(t.base_year, t.target_year + 1)
        base = data.levels[t.base_year]
        return years, base * (1 + t.value / 100) ** (years - t.base_year)
    return None


def evolution_pages(history: pd.DataFrame, pdf_path) -> None:
    """One page per headline target: P(target met) and the projection (with its 80 % band), quarter by quarter."""
    from matplotlib.backends.backend_pdf import PdfPages

    use_cjk_font()
    with PdfPages(pdf_path) as pdf:
        heads = history[history["headline"]] if len(history) else history
        if heads.empty:
            fig, ax = plt.subplots(figsize=(8.27, 5))
            ax.text(0.5, 0.5, "无可用的季度结果 No quarter produced an assessment", ha="center", va="center")
            ax.axis("off")
            pdf.savefig(fig)
            plt.close(fig)
            return
        for target, g in heads.groupby("target", sort=False):
            g = g.sort_values("as_of")
            fig, (a1, a2) = plt.subplots(2, 1, figsize=(8.27, 6.5), sharex=True)
            first = g.iloc[-1]
            fig.suptitle(f"{plot_text(first['statement'])}\n{plot_text(first['name_en'])}", fontsize=11, x=0.05, ha="left")
            x = list(g["as_of"])
            p = g["p_met"] if "p_met" in g else pd.Series([np.nan] * len(g))
            a1.plot(x, p, marker="o", color=BAND_COLOUR)
            a1.set_ylim(-0.02, 1.02)
            a1.set_ylabel("P(达标 met)")
            a1.axhspan(0.66, 1.0, color="#2e7d32", alpha=0.07)
            a1.axhspan(0.0, 0.33, color="#c62828", alpha=0.07)
            for xi, (v, vz) in enumerate(zip(g["verdict"], g["verdict_zh"])):
                a1.annotate(plot_text(vz), (xi, 0.02), fontsize=6, ha="center", rotation=90, color="#374151")
            if "projection_q50" in g and g["projection_q50"].notna().any():
                a2.plot(x, g["projection_q50"], marker="o", color=BAND_COLOUR, label="预测中位数 median")
                a2.fill_between(range(len(x)), g["projection_q10"], g["projection_q90"], color=BAND_COLOUR, alpha=0.2,
                                label="80% 区间 band")
            a2.axhline(first["target_value"], color=TARGET_COLOUR, ls="--", lw=1, label="目标 target")
            a2.set_ylabel(plot_text(first["unit"]))
            a2.legend(fontsize=7, frameon=False)
            if not g["p_met"].notna().any():
                a1.text(0.5, 0.5, "各季度均无法研判（数据不足） insufficient data in every quarter",
                        transform=a1.transAxes, ha="center", color="#6b7280")
            for ax in (a1, a2):
                ax.grid(alpha=0.25, lw=0.5)
                ax.spines[["top", "right"]].set_visible(False)
            a2.tick_params(axis="x", rotation=45, labelsize=7)
            fig.tight_layout()
            pdf.savefig(fig)
            plt.close(fig)

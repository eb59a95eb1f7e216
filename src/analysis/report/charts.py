"""Charts for the notebooks and PDFs: fan charts with the target line, in a CJK font.

Marker meanings are fixed here and colours, font and rcParams in style.py (the house style the heatmaps
and the evolution report share), so every chart reads the same way.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter

from analysis.model.assess import IndicatorData
from analysis.core.config import Target
from analysis.core.escape import plot_text
from analysis.report.style import BAND_COLOUR, TARGET_COLOUR, house_style, use_cjk_font  # noqa: F401 (use_cjk_font: still importable)
import pandas as pd

MARKERS = {  # figure kind -> (marker, face colour, label zh, label en)
    "official": ("o", BAND_COLOUR, "官方公布", "official"),
    "secondary": ("s", BAND_COLOUR, "转载", "secondary copy"),
    "estimate": ("o", "white", "预计数", "estimate"),
    "derived": ("D", "white", "推算值", "derived"),
    "unverified": ("^", "#9ca3af", "未核实", "unverified"),
}


def _kind(info_row) -> str:
    if info_row["reliability"] in ("unverified", "aggregator"):
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
    house_style()
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
        last = int(data.levels.index.max())
        if last >= first_year:          # the latest figure labelled with its value (a leader reads the number)
            shown = data.levels[last] * (1 if zh else english_unit(unit)[0])     # in the axis' own unit (52.1 billion)
            ax.annotate(f"{shown:,.4g}", (last, data.levels[last]), textcoords="offset points",
                        xytext=(0, -9), ha="center", fontsize=6.5, color="#374151")
        for _, u in data.unverified.iterrows():
            marker, face, lzh, len_ = MARKERS["unverified"]
            # above the target's star (a figure near the target would hide under it), with a dark edge on the band
            ax.scatter([u["year"]], [u["value"]], marker=marker, facecolors=face, edgecolors="#374151", linewidths=0.6,
                       zorder=7, s=30,
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
        ax.plot(years, q[3], color=BAND_COLOUR, lw=1.4, label="预测中值" if zh else "median projection")
    goal = _target_path(t, data)
    if goal is not None:
        # the dashed line alone: a marker at the target year read as a published result reaching the target (a
        # district-office reader, 2026-12-07)
        ax.plot(goal[0], goal[1], color=TARGET_COLOUR, lw=1.2, ls="--", label="目标" if zh else "target")
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
    from analysis.core.wording import EN_UNITS       # one table of units for text, tables and charts
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

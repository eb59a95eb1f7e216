"""The headline targets' fan charts side by side, in one figure with one legend, for page 1 of the briefing.

Why one figure: three charts stacked took two thirds of a page and pushed the last one onto page 2; side by side
at full text width they take about a fifth, so the key messages and their charts share page 1 (issue 12). A target
without any figure has no panel (the key message says so: no empty axes); titles name the indicator and its unit
on one line; the axis ends at the plan's end.
"""
from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import pandas as pd

from analysis.model.assess import indicator_data
from analysis.report.charts import MARKERS, _kind, english_unit, fan_chart, use_cjk_font
from analysis.core.config import Config
from analysis.core.escape import md_text, plot_text
from analysis.core.present import md_table
from analysis.core.wording import L, amount, amount_range, zh_text

WIDTH_IN, HEIGHT_IN = 7.0, 1.95     # the text width of an A4 page with 1.8 cm margins is about 6.85 in
FIRST_YEAR = 2012                   # fan_chart's first year: the panels show 2012 to the plan's end


def headline_panels(cfg: Config, result, bands: pd.DataFrame, lang: str) -> list[tuple]:
    """What each panel draws: (target, its figures, its ensemble bands or None, unit, title), the registry's order.

    Only what the pixels depend on, so that a quarter whose headline figures and forecasts did not change
    reuses the drawing of the quarter before (present.show_figure).
    """
    panels = []
    for t in cfg.headline_targets:
        b = bands[(bands["indicator"] == t.indicator) & (bands["member"] == "ensemble")].set_index("year")
        data = indicator_data(result, cfg, t.indicator)
        if data.levels.empty and data.unverified.empty and not len(b):
            continue        # no empty panel: the key message already says there is no figure (issue 26)
        ind = cfg.indicators[t.indicator]
        unit = ind.unit
        # one line a leader reads: what is measured and in what unit (the target is a labelled line in the panel)
        name = f"{zh_text(ind.name_zh)}（{unit}）" if lang == "zh" else f"{ind.name_en} ({english_unit(unit)[1] or unit})"
        panels.append((t, data, b if len(b) else None, unit, name))
    return panels


def headline_figure(cfg: Config, result, bands: pd.DataFrame, lang: str):
    """One row of panels, one per headline target (the registry's order), and a shared legend below them."""
    return draw_headline(headline_panels(cfg, result, bands, lang), lang)


def draw_headline(panels: list[tuple], lang: str):
    """The figure of headline_panels: one fan chart per panel, titles wrapped inside their panel, one legend."""
    use_cjk_font()
    fig, axes = plt.subplots(1, max(1, len(panels)), figsize=(WIDTH_IN, HEIGHT_IN), dpi=170, squeeze=False)
    handles: dict[str, object] = {}
    for ax, (t, data, b, unit, name) in zip(axes[0], panels):
        # titles wrap inside their panel (a CJK line holds fewer characters than a Latin one)
        fan_chart(t, data, b, unit=unit, lang=lang, title=name, first_year=FIRST_YEAR, ax=ax)
        if data.levels.empty and data.unverified.empty and b is None:
            # nothing to draw: the panel keeps its title and fan_chart's "no published Haimen figure", no empty axes
            ax.set_xticks([]), ax.set_yticks([]), ax.set_ylabel("")
            ax.spines[["left", "bottom"]].set_visible(False)
        lines = textwrap.wrap(plot_text(name), 20 if lang == "zh" else 40)
        ax.set_title("\n".join(lines[:2]), fontsize=7.5, loc="left")
        ax.set_ylabel("")                    # the unit is in the title, not on a rotated axis
        ax.set_xlim(right=t.target_year + 0.6)   # the plan's end: no fan past it
        ax.tick_params(labelsize=7)
        ax.yaxis.label.set_fontsize(7)
        for h, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, h)
    # the legend under the panels in as few rows as fit the figure's width: a row wider than the figure would widen
    # the saved image (tight bounding box), and the page would then shrink every label of it (English labels are
    # longer than Chinese ones)
    labels = [plot_text(k) for k in handles]
    renderer = fig.canvas.get_renderer()
    for ncol in range(max(1, min(len(handles), 10)), 0, -1):
        legend = fig.legend(list(handles.values()), labels, loc="lower center", ncol=ncol, fontsize=6.5, frameon=False,
                            handletextpad=0.3, columnspacing=0.9)
        box = legend.get_window_extent(renderer)
        if box.width <= 0.98 * fig.bbox.width or ncol == 1:
            break
        legend.remove()
    fig.tight_layout(rect=(0, min(0.4, box.height / fig.bbox.height + 0.01), 1, 1), w_pad=1.2)
    return fig


def panel_tables(panels: list[tuple], lang: str) -> str:
    """The figures behind each panel as Markdown tables, for the Word copy, where the chart is a picture (issue 26:
    "the charts as editable where Pandoc allows or with their data table beside them"; Pandoc writes no editable
    chart): per year the figure shown with its status, and the models' median and 80 % band where there is one."""
    parts = []
    for t, data, b, unit, name in panels:
        # the years the panel shows: from fan_chart's first year to the plan's end, where its axis ends
        years = sorted(y for y in set(int(y) for y in data.levels.index) | set(int(y) for y in (b.index if b is not None else []))
                       if FIRST_YEAR <= y <= t.target_year)
        rows = []
        for y in years:
            info = data.info.loc[y] if y in data.info.index else None
            # the kind the chart's marker shows (charts._kind: official, copy, estimate, derived), so the table and the
            # picture never call one figure two things
            status = "" if info is None else L(lang, *MARKERS[_kind(info)][2:])
            band = b.loc[y] if b is not None and y in b.index else None
            derived = info is not None and bool(info.get("derived"))     # a 推算 level: rounded, not as printed
            rows.append({
                "year": str(y), "status": status or "—",
                "value": amount(float(data.levels[y]), unit, lang, printed=not derived) if y in data.levels.index else "—",
                "median": amount(float(band["q0.5"]), unit, lang) if band is not None else "—",
                "band": amount_range(float(band["q0.1"]), float(band["q0.9"]), unit, lang) if band is not None else "—"})
        for _, u in data.unverified.iterrows():         # shown on the chart as such, never used
            if FIRST_YEAR <= int(u["year"]) <= t.target_year:
                rows.append({"year": str(int(u["year"])), "value": amount(float(u["value"]), unit, lang, printed=True),
                             "status": L(lang, *MARKERS["unverified"][2:]) + L(lang, "（未采用）", " (not used)"),
                             "median": "—", "band": "—"})
        title = L(lang, f"图1数据：{name}", f"Data of Figure 1: {name}")
        parts.append(f"**{md_text(title)}**\n\n" + md_table(pd.DataFrame(rows), {
            "year": L(lang, "年份", "Year"), "value": L(lang, "数据", "Figure"), "status": L(lang, "状态", "Status"),
            "median": L(lang, "模型中位数", "Model median"), "band": L(lang, "80%区间", "80% band")}))
    return "\n\n".join(parts)


"""The coverage matrix (indicator x year: the best kind of figure) on a small synthetic table whose answer is known,
and the seaborn heatmap that draws it, in the house style."""
import io
import warnings

import numpy as np
import pandas as pd

from analysis.checks.coverage import COVERAGE_ORDER, coverage_matrix, figure_category
from analysis.report.heatmaps import coverage_heatmap
from analysis.report.style import COVERAGE_COLOURS, house_style


def synthetic_observations() -> pd.DataFrame:
    """Made-up rows (synthetic, not real figures) for two indicators, each year set up for one rule."""
    rows = [
        # indicator, region, year, period_kind, value, status, reliability, visible
        ("ind_a", "海门", 2020, "annual", 1.0, "final", "official", True),       # official beats the copy
        ("ind_a", "海门", 2020, "annual", 1.0, "reported", "secondary", True),
        ("ind_a", "海门", 2021, "annual", 2.0, "reported", "secondary", True),   # a copy beats an official estimate
        ("ind_a", "海门", 2021, "annual", 2.0, "estimate", "official", True),
        ("ind_a", "海门", 2022, "annual", 3.0, "reported", "unverified", True),  # only an unverified source
        ("ind_a", "海门", 2023, "annual", 4.0, "reported", "unverified", True),  # the derived level (below) is better
        ("ind_b", "海门", 2020, "annual", 5.0, "estimate", "official", True),    # an estimate
        ("ind_b", "海门", 2021, "ytd", 6.0, "reported", "official", True),       # year to date: not a full year
        ("ind_b", "海门", 2022, "annual", 7.0, "final", "official", False),      # not yet published at as_of
        ("ind_b", "南通", 2023, "annual", 8.0, "final", "official", True),       # another region
        ("ind_b", "海门", 2023, "annual", np.nan, "reported", "official", True),  # printed growth only, no level
        ("ind_c", "海门", 2020, "year_end", 9.0, "reported", "department", True),  # a department return
    ]
    return pd.DataFrame(rows, columns=["indicator", "region", "year", "period_kind", "value", "status", "reliability",
                                       "visible"])


def synthetic_best() -> pd.DataFrame:
    return pd.DataFrame([("ind_a", "海门", 2023, "annual", 4.4, True), ("ind_b", "海门", 2021, "annual", np.nan, True)],
                        columns=["indicator", "region", "year", "period_kind", "value", "derived"])


def test_each_cell_is_the_best_kind_of_figure_that_year():
    m = coverage_matrix(synthetic_observations(), synthetic_best(), ["ind_a", "ind_b", "ind_c", "ind_d"], "海门",
                        [2020, 2021, 2022, 2023])
    expected = pd.DataFrame({2020: ["official", "estimate", "estimate", "missing"],
                             2021: ["secondary", "missing", "missing", "missing"],
                             2022: ["unverified", "missing", "missing", "missing"],
                             2023: ["derived", "missing", "missing", "missing"]},
                            index=["ind_a", "ind_b", "ind_c", "ind_d"])
    pd.testing.assert_frame_equal(m, expected)


def test_a_figure_category_follows_reliability_then_status():
    assert figure_category("official", "preliminary") == "official"
    assert figure_category("secondary", "estimate") == "estimate"
    assert figure_category("unverified", "estimate") == "unverified"
    assert figure_category("official", "final", derived=True) == "derived"


def test_the_coverage_heatmap_has_every_row_a_legend_per_category_and_every_glyph():
    assert house_style() is not None, "install fonts-noto-cjk (make setup does it as root)"
    m = coverage_matrix(synthetic_observations(), synthetic_best(), ["ind_a", "ind_b"], "海门", [2020, 2021])
    names = {"ind_a": ("合成指标甲", "Synthetic indicator A"), "ind_b": ("合成指标乙", "Synthetic indicator B")}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = coverage_heatmap(m, names, lang="zh")
        fig.savefig(io.BytesIO(), format="png")
    assert not [w for w in caught if "missing from" in str(w.message)]
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["合成指标甲", "合成指标乙"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2020", "2021"]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["官方", "转载", "预计数", "推算", "仅未核实", "缺失"]
    # each cell is painted in its category's colour: ind_a 2020 official, ind_b 2021 missing
    colours = ax.collections[0].get_facecolors()
    to_hex = [("#%02x%02x%02x" % tuple(int(round(c * 255)) for c in rgba[:3])) for rgba in colours]
    assert to_hex[0] == COVERAGE_COLOURS["official"] and to_hex[3] == COVERAGE_COLOURS["missing"]
    assert len(COVERAGE_ORDER) == len(legend)


def test_english_labels_are_english():
    m = coverage_matrix(synthetic_observations(), synthetic_best(), ["ind_a"], "海门", [2020])
    fig = coverage_heatmap(m, {"ind_a": ("合成指标甲", "Synthetic indicator A")}, lang="en")
    texts = [fig.axes[0].get_title(), *(t.get_text() for t in fig.axes[0].get_yticklabels()),
             *(t.get_text() for t in fig.legends[0].get_texts())]
    assert texts[1] == "Synthetic indicator A" and "official" in texts
    assert not any("\u4e00" <= ch <= "\u9fff" for text in texts for ch in text), texts


def test_a_heatmap_restores_the_house_style_after_a_reset():
    """A notebook may reset matplotlib; every figure function sets the house font and rcParams again."""
    import matplotlib

    matplotlib.rcdefaults()
    m = coverage_matrix(synthetic_observations(), synthetic_best(), ["ind_a"], "海门", [2020])
    coverage_heatmap(m, {"ind_a": ("合成指标甲", "Synthetic indicator A")}, lang="zh")
    assert "CJK" in matplotlib.rcParams["font.sans-serif"][0]
    assert matplotlib.rcParams["axes.spines.top"] is False and matplotlib.rcParams["axes.unicode_minus"] is False

"""The house style of every figure: one CJK font, one set of colours, one set of rcParams.

Fan charts (charts.py), the evolution report (evolution.py) and the seaborn
heatmaps (heatmaps.py) all call house_style() before drawing, so a chart in
the briefing, the replay's evolution report and the validation report read
the same way. Seaborn draws with matplotlib's rcParams, so the style is set
there once; sns.set_theme() is deliberately not called, since it would reset
the font and the sizes the briefing's page layout was measured with.
"""
from __future__ import annotations

from functools import lru_cache

import matplotlib
import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.colors import LinearSegmentedColormap

BAND_COLOUR = "#1f5c99"          # observed figures, projections and their bands
TARGET_COLOUR = "#c62828"        # the target line and star
MUTED_COLOUR = "#6b7280"         # notes such as "no published figure"
GRID_ALPHA, GRID_WIDTH = 0.25, 0.5

# Coverage of an indicator in a year, best first (coverage.COVERAGE_ORDER): the colour says how far a reader
# can lean on it. Official figures are the house blue, copies a lighter blue, estimates and derived levels
# amber tones, unverified-only a pale purple (the colour of "pending an official figure"), missing light grey.
COVERAGE_COLOURS = {
    "official": "#1f5c99",
    "secondary": "#7aa6d6",
    "estimate": "#f0b429",
    "derived": "#f7dc9c",
    "unverified": "#d9c8f0",
    "missing": "#eeeeee",
}

# P(target met) from red (0) through amber to green (1): the verdict colours of config/settings.yaml
# (off track #c62828, at risk #d97706, on track #2e7d32), so the heatmap and the verdict labels agree.
P_MET_CMAP = LinearSegmentedColormap.from_list("p_met", ["#c62828", "#f59e0b", "#fde68a", "#86c98a", "#2e7d32"])

HOUSE_RC = {
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlelocation": "left",
    "axes.unicode_minus": False,        # the CJK font has no U+2212 minus
    "legend.frameon": False,
    "grid.alpha": GRID_ALPHA,
    "grid.linewidth": GRID_WIDTH,
    "figure.dpi": 150,
}


@lru_cache(maxsize=1)
def use_cjk_font() -> str | None:
    """Point matplotlib at a Noto CJK font so Chinese labels are not empty boxes; None if there is none."""
    families = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Serif CJK SC")
    names = {f.name for f in font_manager.fontManager.ttflist}
    if not names & set(families):
        # matplotlib's font cache predates the font's installation: register the file directly
        from analysis.core.errors import InputError
        from analysis.core.fonts import find_cjk_font
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


def house_style() -> str | None:
    """Set the house rcParams and the CJK font (for matplotlib and seaborn alike); the font family, or None.

    Cheap to call before every figure: a notebook or a test that changed rcParams gets the house look back.
    """
    matplotlib.rcParams.update(HOUSE_RC)
    family = use_cjk_font()
    if family:
        matplotlib.rcParams["font.family"] = "sans-serif"
        matplotlib.rcParams["font.sans-serif"] = [family, "DejaVu Sans"]
    return family

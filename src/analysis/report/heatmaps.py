"""Seaborn heatmaps in the house style: data coverage (indicator x year) and P(target met) (target x quarter).

Both are grids a reader scans for a pattern (which years rest on estimates,
which targets slid over the quarters), which is what a heatmap is for; the
per-target detail stays in line charts (charts.py, evolution.py). Labels are
in the report's language: "zh", "en", or "bi" (both, for the bilingual
notebooks and the validation report). Text from the registry or data passes
escape.plot_text once, here.
"""
from __future__ import annotations

import re
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.patches import Patch

from analysis.checks.coverage import COVERAGE_ORDER, COVERAGE_WORDS
from analysis.core.escape import plot_text
from analysis.core.wording import FAMILY_WORDS
from analysis.report.style import COVERAGE_COLOURS, MUTED_COLOUR, P_MET_CMAP, house_style


def words(lang: str, zh: str, en: str) -> str:
    """A label in the report's language; "bi" gives both (中文 English), as the bilingual reports write them."""
    return zh if lang == "zh" else en if lang == "en" else f"{zh} {en}"


def coverage_heatmap(matrix: pd.DataFrame, names: dict[str, tuple[str, str]] | None = None, lang: str = "bi",
                     title: str | None = None):
    """matrix (coverage.coverage_matrix: indicator x year of categories) as a coloured grid with a legend.

    names maps indicator id -> (Chinese name, English name); rows are labelled with the name in the
    report's language (in "bi" the Chinese name and the id, as 01_clean's table does).
    """
    house_style()
    names = names or {}
    codes = matrix.apply(lambda col: col.map({c: i for i, c in enumerate(COVERAGE_ORDER)}))
    labels = []
    for ind in matrix.index:
        zh, en = names.get(ind, (ind, ind))
        text = zh if lang == "zh" else en if lang == "en" else f"{zh} ({ind})"
        labels.append(plot_text(text if len(text) <= 48 else text[:47] + "…"))
    rows, cols = matrix.shape
    fig, ax = plt.subplots(figsize=(6.6, 1.4 + 0.18 * rows))
    cmap = ListedColormap([COVERAGE_COLOURS[c] for c in COVERAGE_ORDER])
    norm = BoundaryNorm(np.arange(-0.5, len(COVERAGE_ORDER)), cmap.N)
    # the grid drawn directly (what sns.heatmap draws, without its trial drawing of the whole figure to test
    # whether tick labels overlap: a third of the chart's cost with 60-odd Chinese row labels, in every
    # quarter of a replay); row 0 at the top, empty (NaN) cells left blank, as seaborn does
    ax.pcolormesh(np.ma.masked_invalid(codes.astype(float).to_numpy()), cmap=cmap, norm=norm, edgecolors="white",
                  linewidth=0.6)
    ax.set_xlim(0, cols)
    ax.set_ylim(rows, 0)
    ax.set_xticks(np.arange(cols) + 0.5, labels=[str(c) for c in matrix.columns])
    ax.set_yticks(np.arange(rows) + 0.5, labels=labels)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.tick_params(axis="y", labelsize=7, length=0, rotation=0)
    ax.tick_params(axis="x", labelsize=7.5, length=0, rotation=0)
    ax.xaxis.tick_top()
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_title(plot_text(title) if title else words(lang, "数据覆盖（海门，全年数）", "Data coverage (Haimen, full years)"),
                 fontsize=10, loc="left", pad=18)
    handles = [Patch(facecolor=COVERAGE_COLOURS[c], edgecolor="#9ca3af", lw=0.4,
                     label=words(lang, *COVERAGE_WORDS[c])) for c in COVERAGE_ORDER]
    fig.legend(handles=handles, loc="lower center", ncol=3 if lang == "bi" else 6, fontsize=7,
               bbox_to_anchor=(0.5, 0.0), handlelength=1.2, columnspacing=1.2)
    fig.tight_layout(rect=(0, 0.045 if lang != "bi" else 0.06, 1, 1))
    return fig


# verdict family -> the words shown in a heatmap cell that has no P(met) (the figure is out, or no forecast):
# the verdict words of config/settings.yaml, so the grid and the briefing say the same thing
CELL_WORDS = {k: FAMILY_WORDS[k] for k in ("achieved", "broadly_achieved", "not_achieved", "pending",
                                          "insufficient_data", "no_public_data")}


_NO_BREAK = re.compile(r"[0-9A-Za-z.,%+\-]")


def wrap_cjk(text: str, width: int) -> list[str]:
    """Chinese text in lines of about width characters, never breaking inside a number or a Latin word.

    Chinese has no spaces to break at, so lines are cut by characters; "10%" or "650亿元" split as "1" / "0%"
    misreads, so a cut that would fall inside such a run moves before it. Lines are balanced (a 4-character
    word in 3-character lines gives 2 + 2, not 3 + 1).
    """
    text = text.strip()
    if len(text) <= width:
        return [text] if text else []
    n_lines = -(-len(text) // width)
    target = -(-len(text) // n_lines)
    lines, rest = [], text
    while len(rest) > width:
        cut = target
        while 0 < cut < len(rest) and _NO_BREAK.match(rest[cut - 1]) and _NO_BREAK.match(rest[cut]):
            cut -= 1
        if cut == 0:                                # one long run: cut it where it must be cut
            cut = width
        lines.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    return [*lines, rest] if rest else lines


def fit_words(text: str, per_line: int, lang: str) -> str:
    """text in lines of at most per_line characters: at spaces (Chinese: anywhere), a longer word hyphenated."""
    if lang == "zh":
        return "\n".join(wrap_cjk(text.replace(" ", ""), per_line)) or text
    words = []
    for word in text.split():
        while len(word) > per_line:
            words.append(word[:per_line - 1] + "-")
            word = word[per_line - 1:]
        words.append(word)
    return "\n".join(textwrap.wrap(" ".join(words), per_line, break_long_words=False, break_on_hyphens=True))


def p_met_heatmap(ax, p: pd.DataFrame, cells: pd.DataFrame, lang: str, cbar_ax=None) -> None:
    """Draw P(target met) by target (rows, already labelled) and quarter (columns) in whole per cent on ax.

    p holds P in [0, 1] or NaN (its index: the row labels, a newline in one a line break the caller chose);
    cells holds, where P is NaN, the word to show instead (a settled or
    pending verdict, too little data). The colour runs from off track (red) to on track (green); cells
    without P stay white with their word in grey. The caller owns the figure (the evolution report
    places the grid on an A4 page), so this draws on the axes it is given.
    """
    house_style()
    annot = p.map(lambda v: "" if pd.isna(v) else "<1%" if v < 0.01 else ">99%" if v > 0.99 else f"{v:.0%}")
    # the words of a cell without P are fitted to the cell: its width in points, Latin letters about half a
    # point size wide and CJK characters one (5.5 pt); a word longer than a line is hyphenated, never overflows
    cell_pt = ax.get_position().width * ax.figure.get_figwidth() * 72 / max(1, p.shape[1])
    word_size = 5.5
    per_line = max(2, int((cell_pt - 3) / (word_size * (1.0 if lang == "zh" else 0.5))))
    sns.heatmap(p.astype(float), ax=ax, cmap=P_MET_CMAP, vmin=0, vmax=1, annot=annot, fmt="",
                annot_kws={"fontsize": 7.5}, linewidths=0.8, linecolor="white", cbar=cbar_ax is not None,
                cbar_ax=cbar_ax, cbar_kws={"format": "{x:.0%}"},
                xticklabels=list(p.columns), yticklabels=["\n".join(map(plot_text, str(r).split("\n"))) for r in p.index])
    for i in range(p.shape[0]):
        for j in range(p.shape[1]):
            if pd.isna(p.iat[i, j]) and cells.iat[i, j]:
                ax.text(j + 0.5, i + 0.5, fit_words(plot_text(cells.iat[i, j]), per_line, lang), ha="center",
                        va="center", fontsize=word_size, color=MUTED_COLOUR, linespacing=1.0)
    for j in range(p.shape[1] + 1):          # white cells need a frame to read as cells
        ax.axvline(j, color="#e5e7eb", lw=0.6)
    for i in range(p.shape[0] + 1):
        ax.axhline(i, color="#e5e7eb", lw=0.6)
    ax.set_facecolor("white")
    ax.tick_params(axis="y", labelsize=7.5, length=0, rotation=0)
    # quarter labels ("2024Q3", about 24 pt at 7 pt) side by side only where a cell is wide enough for one
    ax.tick_params(axis="x", labelsize=7, length=0, rotation=0 if cell_pt >= 28 else 45)
    if cell_pt < 28:
        plt.setp(ax.get_xticklabels(), ha="left", rotation_mode="anchor")
    ax.xaxis.tick_top()
    ax.set_xlabel("")
    ax.set_ylabel("")
    if cbar_ax is not None:
        cbar_ax.set_ylabel("P(met)" if lang == "en" else "P（达标）", fontsize=8)
        cbar_ax.tick_params(labelsize=7)

"""Coverage: for each indicator and full year, the best kind of figure the data hold (official ... missing).

The categories come from the data model itself: a row's reliability (official,
secondary, unverified; department returns from the evidence ladder), its
status (final, preliminary, reported, estimate) and whether the clean step
derived it from printed growth. A cell shows the best category among every
figure visible for that indicator, region and year, best first:

    official    an official publication's final, preliminary or reported figure
    secondary   a faithful copy of one (news, an English-language mirror)
    estimate    a 预计 figure published before the year's statistics, or a department return
                (the evidence ladder settles both only "as an estimate")
    derived     a level the clean step derived from a neighbouring level and printed growth
    unverified  only an unverified source (aggregator, forum) prints one: excluded from best values
    missing     nothing published that we found

This is what an auditor asks first ("what is each verdict standing on?"), and
what 01_clean shows as a table and the validation report draws as a heatmap (heatmaps.py).
Year-to-date figures are left out: a cell is about the full year.
"""
from __future__ import annotations

import pandas as pd

COVERAGE_ORDER = ("official", "secondary", "estimate", "derived", "unverified", "missing")   # best first
COVERAGE_WORDS = {           # category -> (Chinese, English), as the legend and the tables say it
    "official": ("官方", "official"),
    "secondary": ("转载", "secondary copy"),
    "estimate": ("预计数", "estimate"),
    "derived": ("推算", "derived"),
    "unverified": ("仅未核实", "unverified only"),
    "missing": ("缺失", "missing"),
}


def figure_category(reliability: str, status: str, derived: bool = False) -> str:
    """The coverage category of one figure (see the module docstring for why each lands where it does)."""
    if derived:
        return "derived"
    if reliability == "unverified":
        return "unverified"
    if status == "estimate" or reliability == "department":
        return "estimate"
    return "secondary" if reliability in ("secondary", "mirror", "aggregator") else "official"


def coverage_matrix(observations: pd.DataFrame, best: pd.DataFrame, indicators: list[str], region: str,
                    years: list[int]) -> pd.DataFrame:
    """Indicator x year (rows in the order given, columns the years) of coverage categories.

    observations: every raw row (CleanResult.observations: indicator, region, year, period_kind, value,
    status, reliability and, when present, visible); rows not yet visible, year-to-date rows and rows
    without a level (growth only) do not count. best: the best-value table, whose derived rows are the only
    source of "derived" (a derived level is never a raw row).
    """
    rank = {c: i for i, c in enumerate(COVERAGE_ORDER)}
    cells: dict[tuple[str, int], str] = {}

    def offer(indicator: str, year: int, category: str) -> None:
        key = (indicator, int(year))
        if key not in cells or rank[category] < rank[cells[key]]:
            cells[key] = category

    obs = observations
    if "visible" in obs:
        obs = obs[obs["visible"].astype(bool)]
    obs = obs[(obs["region"] == region) & (obs["period_kind"] != "ytd") & obs["value"].notna()]
    for r in obs.itertuples(index=False):
        offer(r.indicator, r.year, figure_category(r.reliability, r.status))
    derived = best[(best["region"] == region) & (best["period_kind"] != "ytd") & best["value"].notna()
                   & best["derived"].astype(bool)]
    for r in derived.itertuples(index=False):
        offer(r.indicator, r.year, "derived")
    table = [[cells.get((ind, y), "missing") for y in years] for ind in indicators]
    return pd.DataFrame(table, index=list(indicators), columns=list(years))


def coverage_for(result, cfg, first_year: int = 2017, region: str | None = None) -> pd.DataFrame:
    """coverage_matrix for a CleanResult: every registry indicator, the home region, first_year to the last full year.

    first_year 2017: five years before the plan's base year 2021, the history the forecasts lean on; older
    figures (Haimen has a few from 2006-2015, used as long-run anchors) would add mostly empty columns, and
    every one of them is still listed in the validation report's selected-values table and in figures.csv.
    The last full year is the as_of year only when as_of is its fourth quarter: before that no full-year
    figure can exist, and a column that is empty by construction would read as a gap in the data.
    """
    last = result.as_of.year if result.as_of.q == 4 else result.as_of.year - 1
    years = list(range(first_year, last + 1))
    return coverage_matrix(result.observations, result.best, list(cfg.indicators), region or cfg.settings["home_region"],
                           years)

"""A full-year level far below what the years before it make likely: the model's second look at a planner's slip.

A year-to-date figure typed as 全年 and then relabelled 预计 with a confirmation (or simply a unit slip that stays
inside the plausibility band) passes every rule on the raw row. Its own history still knows better: each
indicator's latest full-year level in the plan period is compared with the ensemble's forecast for that year made
from the years before it only. A level below the lower edge of that forecast's 80 % band (the band the briefing's
charts show) is flagged in assessment.csv (latest_expected_low / _mid / latest_level_unit) and as a warning in the
briefing's data notes (briefing_notes). Why 80 % and not 95 %: Haimen's series are sparse and gappy, so the 95 %
band two years ahead reaches a third below the median; the October slip (438.5 against about 583 expected for
2024) sits near the 5 % quantile. A calibrated 80 % edge is crossed by one right figure in ten, which a note that
asks "is this a year-to-date figure?" can bear; a stop could not.

The flag never changes a verdict: the figure may be right (a real fall, a re-benchmarked series), and a verdict
rests on the figure with its status. The reader is told what the model expected and what the likely slip is.
Only levels typed as figures are checked (a level derived from printed growth is not typed), and only with at
least three earlier observed levels: with fewer the forecast band is too wide to say anything.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from analysis.core.config import Config
from analysis.model.forecast import InsufficientData, forecast_series
from analysis.model.series import ForecastSettings

# the 80 % band's lower edge, the median, and the indicator's unit (a growth target's own unit is %)
COLUMNS = ("latest_expected_low", "latest_expected_mid", "latest_level_unit")
LOW_QUANTILE = 0.10          # the lower edge of the 80 % band
MIN_EARLIER_LEVELS = 3


def expected_level(data, cfg: Config, year: int, model_series) -> tuple[float, float] | None:
    """(10 % quantile, median) of the ensemble's forecast for `year` from data's levels before it; None when
    too few earlier observed levels or no member can be fitted. model_series: assess.model_series (the levels
    the models may see), passed in because assess calls this module."""
    keep = data.levels.index < year
    earlier = replace(data, levels=data.levels[keep], info=data.info[data.info.index < year],
                      growth=data.growth[data.growth.index < year])
    series = model_series(earlier, cfg)
    if series.observed_levels().n < MIN_EARLIER_LEVELS:
        return None
    try:
        fc = forecast_series(series, year, ForecastSettings.from_config(cfg.settings), key=f"{data.indicator}/expected{year}")
    except InsufficientData:
        return None
    low, mid = np.quantile(fc.at(year), [LOW_QUANTILE, 0.5])
    return float(low), float(mid)


def latest_level_check(data, cfg: Config, first_year: int, last_year: int,
                       model_series) -> tuple[int, float, float, float] | None:
    """(year, level, expected low, expected median) for data's latest typed full-year level in first_year ..
    last_year when it lies below the expected low; None otherwise."""
    levels = data.levels[(data.levels.index >= first_year) & (data.levels.index <= last_year)]
    if levels.empty:
        return None
    year = int(levels.index.max())
    if bool(data.info.loc[year, "derived"]):
        return None
    expected = expected_level(data, cfg, year, model_series)
    if expected is None or not float(levels[year]) < expected[0]:
        return None
    return year, float(levels[year]), *expected


def flag_rows(table, checks: dict[str, tuple[int, float, float, float]], cfg: Config):
    """table with COLUMNS filled on the rows whose latest figure is a flagged level (same indicator and year)."""
    table = table.copy()
    for col in COLUMNS:
        table[col] = np.nan if col != "latest_level_unit" else ""
    for indicator, (year, _, low, mid) in checks.items():
        rows = (table["indicator"] == indicator) & (table["latest_year"] == year)
        table.loc[rows, "latest_expected_low"] = low
        table.loc[rows, "latest_expected_mid"] = mid
        table.loc[rows, "latest_level_unit"] = cfg.indicators[indicator].unit
    return table

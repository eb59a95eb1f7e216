"""Judge every target of the plan at an as_of quarter: the figures, the forecast, and the verdict.

This module gathers each indicator's figures (IndicatorData) and its
forecast (forecast.py, with year-to-date and neighbouring-area nowcasts and measurement error),
once per indicator, and hands every target to judge.py, which applies the
evidence ladder (evidence.py) and the rule of the target's type (rules.py):
achieved / not achieved only on a figure that may settle it, pending while
the figure is unverified, an estimate near the line or not yet in the data
after the plan ended, and on track / at risk / off track from P(met) while
the plan runs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.core import paths
from analysis.inputs.clean import CleanResult
from analysis.core.config import Config, Target
from analysis.core.wording import shown_verdict
from analysis.model.peers import add_peer_growth, peer_signal
from analysis.model.evidence import BAND_QUANTILES, BOUNDS, rounding_half_width, threshold  # noqa: F401  (threshold re-exported: the met / not-met line)
from analysis.core.excel import write_assessment_xlsx
from analysis.model.series import census_caliber
from analysis.model.forecast import (Forecast, ForecastSettings, InsufficientData, SeriesData, forecast_series,
                                     nowcast_with_peers, nowcast_with_ytd)
from analysis.model.expected import flag_rows, latest_level_check
from analysis.model.judge import Judgement, judge
from analysis.model.uncertainty import measurement_sd


# ------------------------------------------------------------------ inputs --
@dataclass(frozen=True)
class IndicatorData:
    """One indicator's yearly figures for one region, as the models and the judgement see them."""

    indicator: str
    levels: pd.Series                       # year -> level (best values; derived ones too where configured)
    growth: pd.Series                       # year -> printed growth %
    info: pd.DataFrame                      # year -> status, reliability, qualifier, derived, obs_id
    ytd: pd.DataFrame                       # year-to-date best values
    unverified: pd.DataFrame                # excluded unverified figures (year, value)
    lower_bounds: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))   # year -> 'more than' figure
    growth_info: pd.DataFrame = field(default_factory=pd.DataFrame)   # year -> status, reliability, qualifier, derived, obs_id
    lower_bound_ids: pd.Series = field(default_factory=lambda: pd.Series(dtype=str))   # year -> obs_id of the 'more than' figure
    lower_bound_info: pd.DataFrame = field(default_factory=pd.DataFrame)   # year -> status, reliability, ... of that figure

    @property
    def empty(self) -> bool:
        """Nothing published at all: no level, growth rate, lower bound, year-to-date or unverified figure."""
        return self.levels.empty and self.growth.empty and self.lower_bounds.empty and self.unverified.empty \
            and self.ytd.empty

    @property
    def last_year(self) -> int | None:
        return int(self.levels.index.max()) if len(self.levels) else None


def indicator_data(result: CleanResult, cfg: Config, indicator: str, region: str | None = None) -> IndicatorData:
    region = region or cfg.settings["home_region"]
    fcfg = cfg.settings["forecast"]
    best = result.best
    rows = best[(best["indicator"] == indicator) & (best["region"] == region)]
    annual = rows[rows["period_kind"] != "ytd"]
    annual = annual[annual["year"] >= int(fcfg["first_year"])]
    # a lower bound (突破 X) says only 'more than X': it can decide a verdict but is no level for the models
    with_level = annual[annual["value"].notna() & (fcfg["use_derived"] | ~annual["derived"])]
    bounds = with_level[with_level["qualifier"].isin(BOUNDS)]          # 突破/以上 X, 近 X: bounds, the qualifier says which
    with_level = with_level[~with_level["qualifier"].isin(BOUNDS)]
    levels = with_level.set_index("year")["value"].sort_index()
    with_growth = annual[annual["growth_pct"].notna()].set_index("year").sort_index()
    growth = with_growth["growth_pct"]
    growth_info = with_growth[["status", "reliability", "qualifier", "derived"]].assign(
        derived=False, obs_id=with_growth["growth_obs_id"].where(with_growth["growth_obs_id"].astype(bool), with_growth["obs_id"]))
    obs = result.observations
    # a printed rate is as final as the row that printed it: a January 预计 growth beside a final level from March
    # is an estimate (the best row's status is the level's)
    by_id = obs.drop_duplicates("obs_id").set_index("obs_id")
    for col in ("status", "reliability"):
        growth_info[col] = [by_id.at[g, col] if g in by_id.index else v for g, v in zip(growth_info["obs_id"], growth_info[col])]
    info = with_level.set_index("year")[["status", "reliability", "qualifier", "derived", "obs_id",
                                         "published_date"]].sort_index()
    # a figure printed rounded (取整) is exact only to half its last printed digit: 6.4 million visits is 635-645万
    info["rounding"] = [rounding_half_width(by_id.at[o, "value_printed"], v) if q == "rounded" and o in by_id.index else 0.0
                        for o, q, v in zip(info["obs_id"], info["qualifier"], levels.reindex(info.index))]
    unverified = obs[(obs["indicator"] == indicator) & (obs["region"] == region) & (obs["role"] == "excluded")
                     & (obs["period_kind"] != "ytd") & obs["value"].notna()][["year", "value", "obs_id", "qualifier"]]
    return IndicatorData(indicator, levels, growth, info, rows[rows["period_kind"] == "ytd"], unverified,
                         bounds.set_index("year")["value"].sort_index(), growth_info,
                         bounds.set_index("year")["obs_id"].sort_index(),
                         bounds.set_index("year")[["status", "reliability", "qualifier", "derived", "obs_id"]].sort_index())


def pandemic_dummies(cfg: Config, indicator: str) -> tuple[int, ...]:
    treatment = cfg.indicators[indicator].pandemic
    return tuple(cfg.settings["forecast"]["pandemic_years"]) if treatment == "dummy" else ()


def model_series(data: IndicatorData, cfg: Config) -> SeriesData:
    """The levels the models may see (pandemic years masked where the indicator says so), each with its
    derived flag and its revision sd (uncertainty.measurement_sd from status, reliability, qualifier, derived)."""
    levels, growth = data.levels, data.growth
    if cfg.indicators[data.indicator].pandemic == "mask":
        years = set(cfg.settings["forecast"]["pandemic_years"])
        levels = levels[~levels.index.isin(years)]
        growth = growth[~growth.index.isin(years)]
    info = data.info.reindex(levels.index)
    derived = info["derived"].fillna(False).astype(bool)
    sd = pd.Series([measurement_sd(r["status"], r["reliability"], r["qualifier"], bool(r["derived"]), cfg.settings)
                    for _, r in info.fillna({"derived": False}).iterrows()], index=levels.index, dtype=float)
    caliber = None
    if cfg.indicators[data.indicator].rebenchmarked:      # a new caliber from each economic census year on
        caliber = pd.Series(census_caliber(levels.index, cfg.settings["forecast"]["census_released"],
                                           info.get("published_date")), index=levels.index)
    return SeriesData.from_series(levels, growth, derived=derived, level_sd=sd, caliber=caliber,
                                  pandemic_dummy_years=pandemic_dummies(cfg, data.indicator))


def ytd_growth(data: IndicatorData, year: int) -> tuple[float, int] | None:
    """Year-to-date growth % of `year` from its latest year-to-date figure: (growth %, months) or None.

    Printed year-to-date growth where there is one, else the year-to-date
    level against last year's level for the same months. The previous full
    year need not be known: the nowcast applies the growth to each simulated
    path of that year.
    """
    this = data.ytd[data.ytd["year"] == year].sort_values("month_to")
    if this.empty:
        return None
    last = this.iloc[-1]
    months = int(last["month_to"])
    if pd.notna(last["growth_pct"]):
        return float(last["growth_pct"]), months
    prev = data.ytd[(data.ytd["year"] == year - 1) & (data.ytd["month_to"] == months)]
    if pd.notna(last["value"]) and len(prev) and pd.notna(prev.iloc[0]["value"]) and prev.iloc[0]["value"] > 0:
        return float(100 * (last["value"] / prev.iloc[0]["value"] - 1)), months
    return None


def build_forecast(data: IndicatorData, cfg: Config, last_year: int, key: str,
                   observations: pd.DataFrame | None = None) -> tuple[Forecast | None, str]:
    """Forecast to last_year; (None, reason) when it cannot be made.

    Each year not yet published moves with the news about it: the series' own year-to-date growth where there is
    one, else the growth neighbouring regions printed for that year (peers.peer_signal, from observations).
    """
    series = model_series(data, cfg)
    if series.n and series.years[-1] >= last_year:
        return None, "observed through the target year"
    settings = ForecastSettings.from_config(cfg.settings)
    try:
        fc = forecast_series(series, last_year, settings, key=key)
    except InsufficientData as exc:
        return None, str(exc)
    home, peers = str(cfg.settings.get("home_region", "")), cfg.settings["forecast"].get("peers", {})
    # a year with any home full-year figure (a level, a rate, a bound, even one the models do not see) is no year
    # for the neighbours' news; the home year-to-date figure comes first and the neighbours' rate refines it
    published = set(data.levels.index) | set(data.growth.index) | set(data.lower_bounds.index)
    for year in fc.years:
        # a printed full-year rate with no level (社零增长-5.8%) is the year's news, firmer than any year-to-date one
        full = data.growth.get(year) if year not in data.levels.index else None
        if ytd := (float(full), 12) if full is not None and pd.notna(full) else ytd_growth(data, year):
            fc = nowcast_with_ytd(fc, year, *ytd, settings, key=key)
        if observations is not None and year not in published and (
                peer := peer_signal(observations, home, data.indicator, year, fc.log_sd, cfg.settings)):
            fc = nowcast_with_peers(fc, year, peer.log_growth, peer.sd, key, settings.seed,
                                    tuple(r["obs_id"] for r in peer.rows), float(peers.get("max_surprise", 4.0)))
    return fc, ""


# ------------------------------------------------------------------- run --
@dataclass
class Assessment:
    table: pd.DataFrame                         # assessment.csv
    forecasts: pd.DataFrame                     # path quantiles per indicator, member and year
    judgements: dict[str, Judgement]
    series: dict[str, Forecast]                 # indicator -> forecast


@dataclass
class IndicatorModel:
    """One indicator's figures and forecast, shared by every target that reads it."""

    data: IndicatorData
    forecast: Forecast | None
    reason: str                                 # why there is no forecast
    origin_level: float | None                  # the level the paths start from
    n_points: int                               # yearly points (levels or printed growth) the models saw
    index_only: bool = False                    # the forecast runs on an index chained from printed growth


def growth_index_data(d: IndicatorData) -> IndicatorData | None:
    """Printed growth alone, as an index (100 the year before the latest run of consecutive rates) for the models.

    The usual form for 规模以上 revenue is a growth rate with no level; the
    chained index carries the growth targets (its ratios are the printed
    rates) and never a level target. Its points are marked derived.
    """
    years = d.growth.index.to_numpy(int)
    if len(years) == 0:
        return None
    breaks = np.where(np.diff(years) > 1)[0]
    run = years[breaks[-1] + 1:] if len(breaks) else years
    index = 100 * np.cumprod(1 + d.growth[run].to_numpy(float) / 100)
    levels = pd.Series(np.concatenate([[100.0], index]), index=np.concatenate([[run[0] - 1], run]))
    info = pd.DataFrame({"status": "reported", "reliability": "official", "qualifier": "", "derived": True,
                         "obs_id": ""}, index=levels.index)
    from dataclasses import replace
    return replace(d, levels=levels, info=info)


def model_indicator(result: CleanResult, cfg: Config, indicator: str, last_year: int) -> IndicatorModel:
    d = indicator_data(result, cfg, indicator)
    index = growth_index_data(d) if d.levels.empty else None
    modelled = index or d
    fc, reason = build_forecast(modelled, cfg, last_year, key=indicator, observations=result.observations)
    series = model_series(modelled, cfg)
    # independent points only: a level derived from printed growth restates that growth (and the level it came
    # from), so confidence counts the years with an observed level or a printed rate, never the derived ones
    years = set(series.observed_levels().years.tolist()) | set(series.growth_years.tolist())
    window = int(cfg.settings["assessment"].get("confidence_window_years", 10**6))
    points = len([y for y in years if y > max(years, default=0) - window])
    origin = float(series.values[-1]) if fc is not None and series.n and series.years[-1] == fc.origin else None
    return IndicatorModel(d, fc, reason, origin, points, index_only=index is not None)


def model_indicators(result: CleanResult, cfg: Config, last_years: dict[str, int]) -> dict[str, IndicatorModel]:
    """model_indicator for every indicator of last_years (indicator -> last year projected).

    Most registry indicators have no figure at all in a quarter (each costs some 25 pandas steps on empty
    tables for the same empty answer): the first such indicator is modelled in full and the others get a
    copy of its empty figures under their own name, with the same reason for having no forecast
    (tests/test_assess.py checks this against model_indicator for every indicator without figures).
    """
    import copy
    from dataclasses import replace

    present = set(result.best["indicator"]) | set(result.observations["indicator"])
    models: dict[str, IndicatorModel] = {}
    blank: IndicatorModel | None = None
    for ind, last in last_years.items():
        if ind in present or blank is None:
            models[ind] = model_indicator(result, cfg, ind, last)
            if ind not in present and models[ind].forecast is None and models[ind].data.empty:
                blank = models[ind]
            continue
        models[ind] = replace(blank, data=replace(copy.deepcopy(blank.data), indicator=ind))
    return models


def judge_target(t: Target, cfg: Config, result: CleanResult, m: IndicatorModel | None = None) -> Judgement:
    """The public assessment of one target at result.as_of (what assess() does for every target)."""
    if m is None and t.indicator:
        m = model_indicator(result, cfg, t.indicator, max(t.target_year, result.as_of.year))
    if m is None:
        return judge(t, cfg, result.as_of, None, None, "")
    fc, reason = m.forecast, m.reason
    if m.index_only and t.type != "avg_growth":
        fc, reason = None, "only printed growth is published: no level to project"
    return judge(t, cfg, result.as_of, m.data, fc, reason, origin_level=m.origin_level,
                 base_sd=base_level_sd(m.data, t, cfg), n_points=m.n_points)


# Columns that only some targets fill (a figure, a model, progress); assessment.csv always has them all.
OPTIONAL_COLUMNS = (
    "latest_year", "latest_value", "latest_status", "latest_reliability", "latest_derived", "latest_obs_id",
    "latest_figure_id", "base_value", "base_derived", "base_status", "required_growth_pct", "progress_ratio",
    "actual_growth_pct", "progress_year", "expected_linear_share", "expected_compound_share", "progress_vs_expected",
    "growth_ratio", "index_year", "remaining_required_growth_pct", "rate_unit", "latest_ytd_period",
    "latest_ytd_growth_pct", "sum_to_date", "sum_years",
    "progress_class", "progress_class_zh", "progress_class_en",
    *(f"projection_{k}" for k in BAND_QUANTILES), "projection_year", "p_met", "forecast_origin", "confidence",
    "members_used", "forecast_notes", "member_spread", "members_dropped", "member_p_met",
    "likelihood_zh", "likelihood_en", "anticipated_growth_pct", "anticipated_ratio",
    "figure_value", "figure_period", "figure_status", "figure_obs_ids", "figure_ids", "peer_growth", "peer_years",
    "peer_obs_ids", "forecast_calibers",
)


def assess(result: CleanResult, cfg: Config, returns: pd.DataFrame | None = None) -> Assessment:
    """Every target of the registry judged at result.as_of; department returns (returns.py) judge only what
    nothing published could (departments.apply_returns; none or an empty table: no change).
    """
    by_indicator: dict[str, list[Target]] = {}
    for t in cfg.targets:
        if t.indicator:
            by_indicator.setdefault(t.indicator, []).append(t)
    last_years = {ind: max(max(t.target_year for t in ts), result.as_of.year) for ind, ts in by_indicator.items()}
    models = model_indicators(result, cfg, last_years)
    judgements = {t.id: judge_target(t, cfg, result, models.get(t.indicator)) for t in cfg.targets}
    forecasts = {ind: m.forecast for ind, m in models.items() if m.forecast is not None and not m.index_only}
    table = pd.DataFrame([j.row for j in judgements.values()])
    # columns only some rows fill must exist even when no row does (every target settled by a figure, no model
    # left, no figure cited): the notebooks, the briefing, figures.csv checks and changes.py read them by name
    for col in OPTIONAL_COLUMNS:
        if col not in table:
            table[col] = np.nan
    # the latest typed level of each indicator against what its earlier years make likely (a 1-N月 figure typed
    # as 全年 passes every rule on the row); a warning for the reader, never a verdict (expected.py)
    first = min(t.base_year for t in cfg.targets if t.indicator) + 1
    checks = {ind: c for ind, m in models.items() if not m.data.levels.empty and not m.index_only
              and (c := latest_level_check(m.data, cfg, first, result.as_of.year, model_series))}
    table = flag_rows(table, checks, cfg)
    table = add_peer_growth(table, result.observations, cfg, result.as_of.year)   # context beside P (peers.py)
    if returns is not None and len(returns):
        from analysis.model.departments import apply_returns
        table = apply_returns(table, returns, cfg, result.as_of)
    # beside the detailed words, those every printed table uses: an auditor reconciles the briefing word for word
    table = table.assign(**{f"printed_{lang}": [shown_verdict(r, lang) for _, r in table.iterrows()] for lang in ("zh", "en")})
    return Assessment(table, forecast_table(forecasts, cfg), judgements, forecasts)


def base_level_sd(data: IndicatorData | None, t: Target, cfg: Config) -> float:
    """Log-scale measurement sd of a growth target's base-year level (an estimate or a derived level is uncertain)."""
    if data is None or t.type != "avg_growth" or t.base_year not in data.info.index:
        return 0.0
    info = data.info.loc[t.base_year]
    return measurement_sd(info["status"], info["reliability"], info["qualifier"], bool(info["derived"]), cfg.settings)


def forecast_table(forecasts: dict[str, Forecast], cfg: Config) -> pd.DataFrame:
    rows = []
    for ind, fc in forecasts.items():
        for member in ["ensemble", *fc.members]:
            q = fc.quantiles(None if member == "ensemble" else member)
            for year, r in q.iterrows():
                rows.append({"indicator": ind, "region": cfg.settings["home_region"], "member": member, "year": int(year),
                             "origin": fc.origin, **{c: float(v) for c, v in r.items()}})
    return pd.DataFrame(rows)


def _verdict_colours(cfg: Config) -> dict[str, str]:
    """Verdict key -> colour, so that assessment.xlsx colours verdicts as the briefing does."""
    return {key: v["colour"] for key, v in cfg.settings["assessment"]["verdicts"].items() if "colour" in v}




def write_baseline(result: CleanResult, cfg: Config, returns_dir: Path, out_dir: Path) -> Path:
    """assessment.csv and figures.csv as the previous quarter could have had them, into out_dir/previous_quarter/.

    What changed is always told against the previous quarter (issue 24 point 4). Where no report of that
    quarter was published, the same raw files and returns seen as at that quarter (publication dates and the
    report cut-off, as a replay sees them) give what it would have said; the briefing says it was rebuilt."""
    from analysis.inputs.clean import clean
    from analysis.inputs.figures import return_rows, write_figures
    from analysis.inputs.returns import read_returns
    from analysis.core import storage

    previous = result.as_of.previous()
    before = clean(result.observations, cfg, previous, result.input_hashes)
    returns = read_returns(returns_dir, cfg, previous)
    folder = Path(out_dir) / paths.BASELINE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    storage.write_csv(assess(before, cfg, returns).table, folder / "assessment.csv")
    write_figures(folder, before.observations, before.best, {i: (ind.name_zh, ind.name_en) for i, ind in cfg.indicators.items()},
                  return_rows(returns, {t.id: t for t in cfg.targets}, cfg.settings["home_region"]))
    (folder / "as_of.txt").write_text(previous.label + "\n", encoding="utf-8")
    return folder


def run_assessment(as_of: str | None, out_dir: Path, clean_dir: Path = paths.CLEAN_DIR,
                   raw_dir: Path = paths.RAW_DIR, returns_dir: Path = paths.RETURNS_DIR,
                   baseline: bool = False) -> tuple[Assessment, CleanResult]:
    """The forecast stage as the notebook runs it: assessment.csv and figures.csv into out_dir, forecasts into data/clean.

    Department returns in returns_dir (data/returns/<quarter>/, up to as_of) join the assessment and are written
    to out_dir/returns.csv; without any, nothing differs from a run before returns existed. baseline: also
    write the previous quarter as the data could show it (write_baseline; the pipeline asks when that quarter
    has no published report).
    """
    from analysis.core import storage
    from analysis.inputs.clean import load_or_run_clean
    from analysis.core.config import load_config

    from analysis.inputs.figures import write_figures

    result = load_or_run_clean(as_of, raw_dir=raw_dir, out_dir=clean_dir, returns_dir=returns_dir)
    cfg = load_config()
    from analysis.inputs.returns import read_returns
    returns = read_returns(returns_dir, cfg, result.as_of)
    a = assess(result, cfg, returns)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    if len(returns):
        storage.write_csv(returns, Path(out_dir) / "returns.csv")
    storage.write_csv(a.table, Path(out_dir) / "assessment.csv")
    # figures.csv travels with assessment.csv: every id the assessment cites is a row there (file, row, URL)
    # and every department return read (R... ids), which verdicts resting on a return cite like published figures
    from analysis.inputs.figures import return_rows
    write_figures(Path(out_dir), result.observations, result.best,
                  {i: (ind.name_zh, ind.name_en) for i, ind in cfg.indicators.items()},
                  return_rows(returns, {t.id: t for t in cfg.targets}, cfg.settings["home_region"]))
    storage.write_table_atomic(clean_dir, "forecasts", a.forecasts)
    write_assessment_xlsx(a.table, Path(out_dir) / "assessment.xlsx", _verdict_colours(cfg))
    if baseline:
        write_baseline(result, cfg, returns_dir, Path(out_dir))
    return a, result

"""Judge every target of the plan at an as_of quarter: where it stands, what it needs, how likely it is.

Two layers per target:
- deterministic: the latest figure, progress since the base year against
  the share of the plan period elapsed (序时进度), actual against required
  average growth with its Eurostat/Statistics Canada class, and the average
  growth the remaining years need;
- model: the ensemble's simulated paths (forecast.py) give the median and
  50/80/95 % bands for the target year and P(target met).
The verdict: achieved / not achieved once the target-year figure exists
(with its status: estimate, preliminary, final, or unverified when only an
unverified figure exists), otherwise on track / at risk / off track from
P(target met) with the thresholds in config/settings.yaml, or insufficient
data. Counts of things built and milestones get a status line, no forecast.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import paths
from .clean import CleanResult
from .config import Config, Target
from .forecast import Forecast, ForecastSettings, InsufficientData, SeriesData, forecast_series, nowcast_with_ytd
from .uncertainty import measurement_sd

BAND_QUANTILES = {"q025": 0.025, "q10": 0.10, "q25": 0.25, "q50": 0.50, "q75": 0.75, "q90": 0.90, "q975": 0.975}


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
    bounds = with_level[with_level["qualifier"] == "lower_bound"]
    with_level = with_level[with_level["qualifier"] != "lower_bound"]
    levels = with_level.set_index("year")["value"].sort_index()
    growth = annual[annual["growth_pct"].notna()].set_index("year")["growth_pct"].sort_index()
    info = with_level.set_index("year")[["status", "reliability", "qualifier", "derived", "obs_id"]].sort_index()
    obs = result.observations
    unverified = obs[(obs["indicator"] == indicator) & (obs["region"] == region) & (obs["role"] == "excluded")
                     & (obs["period_kind"] != "ytd") & obs["value"].notna()][["year", "value", "obs_id", "qualifier"]]
    return IndicatorData(indicator, levels, growth, info, rows[rows["period_kind"] == "ytd"], unverified,
                         bounds.set_index("year")["value"].sort_index())


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
    return SeriesData.from_series(levels, growth, derived=derived, level_sd=sd,
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


def build_forecast(data: IndicatorData, cfg: Config, last_year: int, key: str) -> tuple[Forecast | None, str]:
    """Forecast to last_year, each path moved by year-to-date growth where published; (None, reason) when it cannot be made."""
    series = model_series(data, cfg)
    if series.n and series.years[-1] >= last_year:
        return None, "observed through the target year"
    settings = ForecastSettings.from_config(cfg.settings)
    try:
        fc = forecast_series(series, last_year, settings, key=key)
    except InsufficientData as exc:
        return None, str(exc)
    for year in fc.years:
        ytd = ytd_growth(data, year)
        if ytd:
            fc = nowcast_with_ytd(fc, year, *ytd, settings, key=key)
    return fc, ""


# ------------------------------------------------------------------- rules --
def threshold(t: Target) -> float:
    """The value a figure must reach: the target, less the tolerance for 左右."""
    return float(t.value) - (float(t.tolerance) if t.comparison == "about" else 0.0)


def meets(values: np.ndarray | float, t: Target) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return values > t.value if t.comparison == ">" else values >= threshold(t)


def word(cfg: Config, p: float) -> tuple[str, str]:
    """IPCC calibrated likelihood words (Chinese, English) for a probability."""
    for band in cfg.settings["assessment"]["likelihood"]:
        if p >= band["min"]:
            return band["zh"], band["en"]
    return cfg.settings["assessment"]["likelihood"][-1]["zh"], cfg.settings["assessment"]["likelihood"][-1]["en"]


def status_from_p(cfg: Config, p: float) -> str:
    a = cfg.settings["assessment"]
    return "on_track" if p >= a["p_on_track"] else "at_risk" if p >= a["p_off_track"] else "off_track"


def progress_class(cfg: Config, ratio: float | None) -> tuple[str, str, str]:
    if ratio is None or not np.isfinite(ratio):
        return "", "", ""
    for band in cfg.settings["assessment"]["progress_classes"]:
        if ratio >= band["min"]:
            return band["code"], band["zh"], band["en"]
    return "", "", ""


def avg_growth_pct(ratio: float, years: int) -> float:
    return 100 * (ratio ** (1 / years) - 1) if years > 0 and ratio > 0 else np.nan


def chained(growth: pd.Series, first: int, last: int) -> float | None:
    """Product of (1 + g/100) over years first..last, or None if a year's printed growth is missing."""
    if last < first:
        return 1.0
    years = range(first, last + 1)
    if not all(y in growth.index for y in years):
        return None
    return float(np.prod([1 + growth[y] / 100 for y in years]))


# --------------------------------------------------------------- judgement --
@dataclass
class Judgement:
    """What the assessment says about one target (one row of assessment.csv)."""

    row: dict
    member_p: dict[str, float] = field(default_factory=dict)   # P(met) under each member alone


def _level_paths(t: Target, fc: Forecast, data: IndicatorData) -> dict[str, np.ndarray] | None:
    """Per member (and 'ensemble'): the quantity the target is judged on, per path."""
    out = {"ensemble": fc.paths, **fc.members}
    j = fc.years.index(t.target_year)
    if t.type in ("level", "share"):
        return {k: p[:, j] for k, p in out.items()}
    if t.type == "cumulative":
        past = range(t.base_year + 1, fc.origin + 1)
        if any(y not in data.levels.index for y in past):
            return None                   # a plan year's additions are unknown: the sum cannot be judged
        observed = sum(data.levels[y] for y in past)
        cols = [fc.years.index(y) for y in range(max(t.base_year + 1, fc.origin + 1), t.target_year + 1)]
        return {k: observed + p[:, cols].sum(axis=1) for k, p in out.items()}
    raise ValueError(t.type)


def _growth_paths(t: Target, fc: Forecast, data: IndicatorData) -> dict[str, np.ndarray] | None:
    """Average yearly growth base..target per path (or, for each_year targets, the lowest yearly growth)."""
    origin_level = data.levels[fc.origin]
    chain = chained(data.growth, t.base_year + 1, fc.origin)
    if chain is None:
        base = data.levels.get(t.base_year)
        if base is None:
            return None
        chain = origin_level / base
    out = {}
    j = fc.years.index(t.target_year)
    for k, p in {"ensemble": fc.paths, **fc.members}.items():
        if t.each_year:
            levels = np.column_stack([np.full(len(p), origin_level), p[:, : j + 1]])
            sim = 100 * (levels[:, 1:] / levels[:, :-1] - 1)
            printed = [data.growth[y] for y in range(t.base_year + 1, fc.origin + 1) if y in data.growth.index]
            out[k] = np.minimum(sim.min(axis=1), min(printed) if printed else np.inf)
        else:
            out[k] = 100 * ((chain * p[:, j] / origin_level) ** (1 / (t.target_year - t.base_year)) - 1)
    return out


def _deterministic(t: Target, data: IndicatorData) -> dict:
    """Latest figure, progress against time elapsed, actual vs required growth, growth still needed."""
    row: dict = {}
    observed = data.levels[data.levels.index <= t.target_year]
    if observed.empty:
        return row
    t_last = int(observed.index.max())
    latest = float(observed[t_last])
    info = data.info.loc[t_last]
    row.update(latest_year=t_last, latest_value=latest, latest_status=info["status"],
               latest_reliability=info["reliability"], latest_derived=bool(info["derived"]))
    span = t.target_year - t.base_year
    row["time_elapsed_share"] = min(max((t_last - t.base_year) / span, 0.0), 1.0) if span > 0 else np.nan
    base = data.levels.get(t.base_year)
    if t.type in ("level", "share"):
        goal = threshold(t)
        if t.target_year > t_last:
            row["remaining_required_growth_pct"] = avg_growth_pct(goal / latest, t.target_year - t_last)
        if base is not None and base > 0:
            row["base_value"] = float(base)
            required = avg_growth_pct(goal / base, span)
            row["required_growth_pct"] = required
            if t_last > t.base_year:
                actual = avg_growth_pct(latest / base, t_last - t.base_year)
                row["actual_growth_pct"] = actual
                row["progress_ratio"] = (latest - base) / (goal - base) if goal != base else np.nan
                row["growth_ratio"] = actual / required if required > 0 else np.nan
    elif t.type == "avg_growth":
        goal = threshold(t)
        row["required_growth_pct"] = goal
        chain = chained(data.growth, t.base_year + 1, t_last)
        if chain is None and base is not None and base > 0:
            chain = latest / base
        if chain is not None and t_last > t.base_year:
            row["base_value"] = float(base) if base is not None else np.nan
            actual = avg_growth_pct(chain, t_last - t.base_year)
            row["actual_growth_pct"] = actual
            row["growth_ratio"] = actual / goal if goal > 0 else np.nan
            index_goal = (1 + goal / 100) ** span
            row["progress_ratio"] = (chain - 1) / (index_goal - 1) if index_goal != 1 else np.nan
            if t.target_year > t_last:
                row["remaining_required_growth_pct"] = avg_growth_pct(index_goal / chain, t.target_year - t_last)
    return row


def judge(t: Target, cfg: Config, result: CleanResult, data: IndicatorData | None, fc: Forecast | None,
          fc_reason: str) -> Judgement:
    verdicts = cfg.settings["assessment"]["verdicts"]
    row = {"target": t.id, "clause": "/".join(t.clause), "statement": t.statement, "name_en": t.name_en,
           "headline": t.headline, "type": t.type, "indicator": t.indicator or "", "target_value": t.value,
           "target_value_max": t.value_max, "unit": t.unit or "", "comparison": t.comparison or "",
           "tolerance": t.tolerance, "base_year": t.base_year, "target_year": t.target_year, "as_of": result.as_of.label}
    judgement = Judgement(row)

    def verdict(code: str, basis: str, p: float | None = None, figure_status: str = "") -> Judgement:
        row.update(verdict=code, verdict_zh=verdicts[code]["zh"], verdict_en=verdicts[code]["en"], basis=basis,
                   figure_status=figure_status)
        if p is not None:
            row["p_met"] = float(p)
            row["likelihood_zh"], row["likelihood_en"] = word(cfg, p)
        return judgement

    if t.type == "milestone" or (t.type == "count" and (data is None or data.levels.empty)):
        return verdict("no_public_data", "no published figure on this target was found")
    if data is None or data.levels.empty and data.growth.empty and data.unverified.empty:
        return verdict("insufficient_data", "no published figure for this indicator")

    row.update(_deterministic(t, data))
    code, zh, en = progress_class(cfg, row.get("growth_ratio"))
    row.update(progress_class=code, progress_class_zh=zh, progress_class_en=en)

    if t.type == "count":
        latest = row.get("latest_value", np.nan)
        return verdict("achieved" if meets(latest, t) else "no_public_data",
                       f"latest count {latest:g} ({row.get('latest_year')})")

    figure = _target_year_figure(t, data)
    # the model layer, whenever a forecast reaches the target year
    paths = None
    if fc is not None and t.target_year in fc.years:
        paths = _growth_paths(t, fc, data) if t.type == "avg_growth" else _level_paths(t, fc, data)
    p = None
    if paths is not None:
        ens = paths["ensemble"]
        if figure is not None and figure[2] == "lower_bound" and (ens >= figure[0]).any():
            ens = ens[ens >= figure[0]]        # 'exceeded X': keep the paths that respect it
        met = meets(ens, t)
        p = float(met.mean())
        q = {k: float(np.quantile(ens, v)) for k, v in BAND_QUANTILES.items()}
        row.update({f"projection_{k}": v for k, v in q.items()})
        row.update(projection_year=t.target_year, p_met=p, forecast_origin=fc.origin,
                   members_used=", ".join(fc.members), forecast_notes="; ".join(fc.notes),
                   members_dropped="; ".join(f"{k}: {v}" for k, v in fc.dropped.items()))
        row["likelihood_zh"], row["likelihood_en"] = word(cfg, p)
        required = row.get("required_growth_pct")
        if t.type == "avg_growth":
            row["anticipated_growth_pct"] = q["q50"]
        elif t.type in ("level", "share") and row.get("base_value"):
            row["anticipated_growth_pct"] = avg_growth_pct(q["q50"] / row["base_value"], t.target_year - t.base_year)
        if required and required > 0 and row.get("anticipated_growth_pct") is not None:
            row["anticipated_ratio"] = row["anticipated_growth_pct"] / required
        judgement.member_p = {k: float(meets(v, t).mean()) for k, v in paths.items() if k != "ensemble"}
        row["member_p_met"] = "; ".join(f"{k}: {v:.2f}" for k, v in judgement.member_p.items())

    # the verdict: the published target-year figure decides; else the model's P(met)
    if figure is not None:
        value, status, qualifier = figure
        inconclusive = qualifier == "lower_bound" and not meets(value, t)   # 'exceeded X', X short of the target
        if not inconclusive:
            ok = bool(meets(value, t))
            what = (f"average growth {value:.1f}% {t.base_year}-{t.target_year}" if t.type == "avg_growth"
                    else f"{t.target_year} figure {'>' if qualifier == 'lower_bound' else ''}{value:g} {t.unit}")
            row["figure_value"] = value
            return verdict("achieved" if ok else "not_achieved", what, p=p, figure_status=status)
    if p is None:
        if fc is not None and paths is None:
            return verdict("insufficient_data", "a base-year level, a chain of printed growth or a plan year's figure is missing")
        return verdict("insufficient_data", fc_reason or "no forecast for the target year")
    basis = f"{len(fc.members)} model(s) from {fc.origin}"
    if figure is not None:
        basis += f"; the {t.target_year} figure is only a lower bound ({figure[0]:g})"
    return verdict(status_from_p(cfg, p), basis, p=p)


def _target_year_figure(t: Target, data: IndicatorData) -> tuple[float, str, str] | None:
    """(value, status, qualifier) of the published target-year figure the verdict rests on, if any.

    For average-growth targets the value is the average growth from the base year.
    Only an unverified figure: it is used, and its status says 'unverified'.
    """
    y = t.target_year
    if t.type == "avg_growth":
        span = y - t.base_year
        chain = chained(data.growth, t.base_year + 1, y)
        if chain is not None:
            return avg_growth_pct(chain, span), "printed growth", ""
        if y in data.levels.index and t.base_year in data.levels.index:
            return (avg_growth_pct(data.levels[y] / data.levels[t.base_year], span),
                    _status_label(data.info.loc[y]), "")
        return None
    if t.type in ("level", "share") and y in data.levels.index:
        info = data.info.loc[y]
        return float(data.levels[y]), _status_label(info), info["qualifier"]
    if t.type in ("level", "share") and y in data.lower_bounds.index:
        return float(data.lower_bounds[y]), "reported", "lower_bound"
    if t.type in ("level", "share"):
        unverified = data.unverified[data.unverified["year"] == y]
        if len(unverified):
            u = unverified.iloc[0]
            return float(u["value"]), "unverified", u["qualifier"]
    return None


def _status_label(info: pd.Series) -> str:
    label = info["status"]
    if info["derived"]:
        label += ", derived"
    if info["reliability"] == "unverified":
        label += ", unverified"
    return label


# ------------------------------------------------------------------- run --
@dataclass
class Assessment:
    table: pd.DataFrame                         # assessment.csv
    forecasts: pd.DataFrame                     # path quantiles per indicator, member and year
    judgements: dict[str, Judgement]
    series: dict[str, Forecast]                 # indicator -> forecast


def assess(result: CleanResult, cfg: Config) -> Assessment:
    """Every target of the registry judged at result.as_of."""
    by_indicator: dict[str, list[Target]] = {}
    for t in cfg.targets:
        if t.indicator:
            by_indicator.setdefault(t.indicator, []).append(t)
    data, forecasts, reasons = {}, {}, {}
    for ind, targets in by_indicator.items():
        d = indicator_data(result, cfg, ind)
        data[ind] = d
        last_year = max(max(t.target_year for t in targets), result.as_of.year)
        fc, reason = build_forecast(d, cfg, last_year, key=ind)
        reasons[ind] = reason
        if fc is not None:
            forecasts[ind] = fc
    judgements = {t.id: judge(t, cfg, result, data.get(t.indicator), forecasts.get(t.indicator),
                              reasons.get(t.indicator, "")) for t in cfg.targets}
    table = pd.DataFrame([j.row for j in judgements.values()])
    return Assessment(table, forecast_table(forecasts, cfg), judgements, forecasts)


def forecast_table(forecasts: dict[str, Forecast], cfg: Config) -> pd.DataFrame:
    rows = []
    for ind, fc in forecasts.items():
        for member in ["ensemble", *fc.members]:
            q = fc.quantiles(None if member == "ensemble" else member)
            for year, r in q.iterrows():
                rows.append({"indicator": ind, "region": cfg.settings["home_region"], "member": member, "year": int(year),
                             "origin": fc.origin, **{c: float(v) for c, v in r.items()}})
    return pd.DataFrame(rows)


def run_assessment(as_of: str | None, out_dir: Path, clean_dir: Path = paths.CLEAN_DIR,
                   raw_dir: Path = paths.RAW_DIR) -> tuple[Assessment, CleanResult]:
    """The forecast stage as the notebook runs it: assessment.csv into out_dir, forecasts into data/clean."""
    from . import storage
    from .clean import load_or_run_clean
    from .config import load_config

    result = load_or_run_clean(as_of, raw_dir=raw_dir, out_dir=clean_dir)
    a = assess(result, load_config())
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    a.table.to_csv(Path(out_dir) / "assessment.csv", index=False, encoding="utf-8-sig")
    storage.write_table_atomic(clean_dir, "forecasts", a.forecasts)
    return a, result

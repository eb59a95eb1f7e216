"""How each target type reads the published figures and the simulated paths (used by judge.py).

One reader per type, each returning a Reading: the figure a verdict may rest
on, or the paths the model layer counts, or why the target cannot be judged.
Rules that a reader of the briefing may ask about:

- average growth is chained from printed growth (可比口径) year by year; a
  year without printed growth may be bridged by the ratio of two published
  levels, except for panels whose membership changes every year (规模以上,
  限额以上: `panel: true` in config/indicators.yaml), where only printed
  growth counts. With some years published, P(met) comes from the remaining
  years; when the levels stop before the base year, the base level is taken
  from the simulated paths rather than spreading pre-plan growth over the plan;
  a target-year level known only as 'more than X' (突破 X) gives 'more than'
  a growth rate, which settles the growth target as it settles the level one;
- levels: the target-year figure; a year-to-date level of a flow that cannot
  fall, already meeting the target, is a floor for the year's paths;
- growth in every year (保持在...以上): every plan year's rate; a published
  year below the target settles it (on the firmest such figure: a final one
  before an estimate), a missing past year leaves it undecided;
- additions over the plan (培育, 新增, 累计): the sum of the plan years'
  additions; a partial sum already above the target settles it (additions
  cannot be negative); a missing past year leaves it undecided;
- stocks of things built (count): the latest figure from the base year to
  the target year; figures dated before the base year never achieve a target;
  a count below its target shows the gap;
- counts per year or per quarter (每年, 每季度): every period of the plan; only
  the target year's last periods not out yet: pending, not insufficient data.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from analysis.core.config import Config, Target
from analysis.model.forecast import Forecast, seed_for
from analysis.model.evidence import (BOUNDS, LOWER_BOUNDS, SETTLES_MET, SETTLES_NOT_MET, Figure, Reading, avg_growth_pct, combine, firmest_failure,
                       meets, settle, threshold)
from analysis.inputs.figures import figure_id
from analysis.core.quarters import Quarter



# ----------------------------------------------------------- figures --
def _figure(info: pd.Series, value: float, period: str, **kw) -> Figure:
    obs_id, derived = str(info.get("obs_id") or ""), bool(info.get("derived", False))
    rounding = float(info.get("rounding", 0.0) or 0.0)
    return Figure(float(value), period, str(info.get("status", "reported")), str(info.get("reliability", "official")),
                  str(info.get("qualifier", "") or ""), derived, (obs_id,) if obs_id else (),
                  (figure_id(obs_id, period if derived else None),) if obs_id else (),
                  **({"rounding": rounding} if rounding > 0 and "rounding" not in kw else {}), **kw)


def level_figure(data, year: int) -> Figure | None:
    if year in data.levels.index:
        return _figure(data.info.loc[year], data.levels[year], str(year))
    return None


def growth_figure(data, year: int) -> Figure | None:
    """Printed growth (%) of `year` over the year before."""
    if year in data.growth.index:
        return _figure(data.growth_info.loc[year], data.growth[year], str(year))
    return None


def target_year_level(data, year: int) -> Figure | None:
    """The best figure for a level in `year`: a published level, else a lower bound, else an unverified figure."""
    fig = level_figure(data, year)
    if fig is not None:
        return fig
    if year in data.lower_bounds.index:
        if year in data.lower_bound_info.index:     # its own status: '预计突破650' is an estimate
            return _figure(data.lower_bound_info.loc[year], data.lower_bounds[year], str(year))
        obs_id = str(data.lower_bound_ids.get(year, "") or "")
        return Figure(float(data.lower_bounds[year]), str(year), "reported", "official", "lower_bound", False,
                      (obs_id,) if obs_id else (), (figure_id(obs_id),) if obs_id else ())
    unverified = data.unverified[data.unverified["year"] == year]
    if len(unverified):
        u = unverified.iloc[0]
        return Figure(float(u["value"]), str(year), "reported", "unverified", str(u.get("qualifier", "") or ""),
                      False, (str(u["obs_id"]),), (figure_id(str(u["obs_id"])),))
    return None


def growth_index(data, first: int, last: int, panel: bool) -> tuple[float, list[Figure]] | None:
    """Level in `last` relative to `first`, chained year by year; None when a link is missing.

    Printed growth is preferred for every year; a missing year may be bridged
    by the ratio of two published levels (never for panels).
    """
    if last < first:
        return None
    reach: dict[int, tuple[float, list[Figure]]] = {first: (1.0, [])}
    for y in range(first + 1, last + 1):
        g = growth_figure(data, y)
        if g is not None and y - 1 in reach:
            idx, used = reach[y - 1]
            reach[y] = (idx * (1 + g.value / 100), used + [g])
            continue
        if panel or y not in data.levels.index or data.info.loc[y]["qualifier"] in BOUNDS:
            continue
        for x in range(y - 1, first - 1, -1):
            if x in reach and x in data.levels.index and data.levels[x] > 0:
                idx, used = reach[x]
                # a level ratio only fills a gap as an indication: the chain is labelled derived (settles "(estimate)")
                reach[y] = (idx * data.levels[y] / data.levels[x],
                            used + [replace(level_figure(data, x), derived=True), replace(level_figure(data, y), derived=True)])
                break
    return reach.get(last)


def broken_chain(data, first: int, last: int) -> str:
    """Why growth from `first` to `last` cannot be chained although the `last` figure is out (the basis says so,
    not "figure not yet in the data"): the years without printed growth, and the missing bridge level."""
    no_growth = [str(y) for y in range(first + 1, last + 1) if y not in data.growth.index]
    bridge = f"nor a {first} (base-year) level" if first not in data.levels.index else "nor levels on both sides"
    return (f"the {last} figure is out, but the growth since {first} cannot be chained: no printed growth for "
            f"{', '.join(no_growth)} {bridge} to bridge it")


def yearly_rate(data, year: int, panel: bool) -> Figure | None:
    """Growth (%) in one year: printed, or the ratio of two consecutive published levels (not for panels)."""
    g = growth_figure(data, year)
    if g is not None:
        return g
    if not panel and year in data.levels.index and year - 1 in data.levels.index and data.levels[year - 1] > 0:
        a, b = level_figure(data, year - 1), level_figure(data, year)
        return replace(combine([a, b], 100 * (b.value / a.value - 1), str(year)), derived=True)   # an indication
    return None


def lower_bound_growth(t: Target, data, panel: bool) -> Figure | None:
    """Average growth from the base year to a target year known only as 'more than X' (突破 X): itself a lower
    bound, chained to the last published level before it (level ratios: never for panels)."""
    if panel or t.target_year not in data.lower_bounds.index:
        return None
    top = target_year_level(data, t.target_year)
    if top is None or top.qualifier not in LOWER_BOUNDS:
        return None                     # 近 X (below X) gives no lower bound on growth
    for x in range(t.target_year - 1, t.base_year - 1, -1):
        if x in data.levels.index and data.levels[x] > 0 and not data.info.loc[x]["derived"] \
                and (found := growth_index(data, t.base_year, x, panel)):
            index, used = found
            last = level_figure(data, x)
            rate = avg_growth_pct(index * top.value / last.value, t.target_year - t.base_year)
            return replace(combine([*used, last, top], rate, f"{t.base_year}-{t.target_year}"), qualifier=top.qualifier)
    return None


SIGNS = {"lower_bound": ">", "at_least": "≥", "upper_bound": "<"}      # how a bound reads in the basis column


def describe(fig: Figure, t: Target) -> str:
    """The figure in words, for the basis column."""
    if t.type == "avg_growth" and t.each_year:
        return f"lowest yearly growth {fig.value:.1f}% in {fig.period}"
    if t.type == "avg_growth":
        return f"average growth {SIGNS.get(fig.qualifier, '')}{fig.value:.1f}% {fig.period}"
    if t.type == "cumulative":
        return f"additions {fig.period}: {fig.value:g} {t.unit}"
    sign = SIGNS.get(fig.qualifier, "")
    return f"{fig.period} figure {sign}{fig.value:g} {t.unit}"


# ------------------------------------------------------------ readers --
def read(t: Target, data, fc: Forecast | None, cfg: Config, as_of: Quarter, origin_level: float | None,
         base_sd: float, rng_key: str) -> Reading:
    if t.type in ("level", "share"):
        return _read_level(t, data, fc, cfg)
    if t.type == "avg_growth":
        panel = cfg.indicators[t.indicator].printed_growth_only      # panels and re-benchmarked totals alike
        if t.each_year:
            return _read_each_year(t, data, fc, cfg, panel, origin_level)
        return _read_avg_growth(t, data, fc, cfg, panel, origin_level, base_sd, rng_key)
    if t.type == "cumulative":
        return _read_additions(t, data, fc, cfg)
    if t.per:
        return _read_per_period(t, data, cfg, as_of)
    return _read_stock(t, data, cfg)


def _members(fc: Forecast) -> dict[str, np.ndarray]:
    return {"ensemble": fc.paths, **fc.members}


def year_to_date_floor(t: Target, data, cfg: Config) -> tuple[float, int] | None:
    """(level, months) of the target year's latest year-to-date figure where the year cannot end below it: a flow
    that cannot be negative (retail sales 1-9月 660 means the year is at least 660); else None."""
    ind = cfg.indicators[t.indicator]
    if ind.kind != "flow" or not ind.non_negative or data.ytd.empty:
        return None
    rows = data.ytd[(data.ytd["year"] == t.target_year) & data.ytd["value"].notna()]
    if rows.empty:
        return None
    last = rows.sort_values("month_to").iloc[-1]
    return float(last["value"]), int(last["month_to"])


def _read_level(t: Target, data, fc: Forecast | None, cfg: Config) -> Reading:
    y = t.target_year
    fig = target_year_level(data, y)
    reading = Reading(fig)
    key = settle(fig, t, cfg) if fig is not None and fig.qualifier in BOUNDS else "not a bound"
    if key in SETTLES_MET or key in SETTLES_NOT_MET:
        return reading      # 'more than X' meeting the target (or 'just below X' short of it) settles it: no P beside it
    if fc is not None and y in fc.years:
        j = fc.years.index(y)
        reading.paths = {k: p[:, j] for k, p in _members(fc).items()}
        if t.type == "share" or t.unit == "%":          # a share cannot pass 100 %, whatever the log-scale paths say
            reading.paths = {k: np.minimum(p, 100.0) for k, p in reading.paths.items()}
        floor = year_to_date_floor(t, data, cfg)
        if floor is not None and meets(floor[0], t):    # the nowcast moves paths by year-to-date growth only
            reading.paths = {k: np.maximum(p, floor[0]) for k, p in reading.paths.items()}
            reading.note = f"{y} 1-{floor[1]}月 {floor[0]:g} {t.unit}: the year cannot end below it"
    if key is None and fig.qualifier in LOWER_BOUNDS:   # a short lower bound: the paths must respect it
        reading.bound = fig.value
    return reading


def _read_avg_growth(t: Target, data, fc: Forecast | None, cfg: Config, panel: bool, origin_level: float | None,
                     base_sd: float, rng_key: str) -> Reading:
    cfg_seed = int(cfg.settings["forecast"]["seed"])
    span = t.target_year - t.base_year
    found = growth_index(data, t.base_year, t.target_year, panel)
    if found is not None:
        index, used = found
        return Reading(combine(used, avg_growth_pct(index, span), f"{t.base_year}-{t.target_year}"), years=span)
    bound = lower_bound_growth(t, data, panel)
    key = settle(bound, t, cfg, span) if bound is not None else "no bound"
    if key in SETTLES_MET:
        return Reading(bound, years=span)       # the level target's '突破 X' read as growth: settles it the same way
    reading = Reading(bound, years=span, bound=bound.value if key is None else None)
    hint = lower_bound_growth(t, data, cfg.indicators[t.indicator].panel) if bound is None else None
    if hint is not None:
        # a re-benchmarked total: '突破 X' over the base level is no comparable growth, so it settles nothing, but the
        # model's paths still respect it (the level target on the same figure is met: P must not say otherwise)
        reading = Reading(years=span, bound=hint.value,
                          note=f"levels give more than {hint.value:.1f}%/yr, an indication only (a total re-benchmarked "
                               "after a census: printed comparable growth decides)")
    if fc is None or t.target_year not in fc.years:
        if panel and not data.levels.empty:
            what = ("a panel whose membership changes every year (规模以上/限额以上)" if cfg.indicators[t.indicator].panel
                    else "a total re-benchmarked after a census (社零)")
            reading.insufficient = f"{what}: levels give no comparable growth; {broken_chain(data, t.base_year, t.target_year)}"
        elif t.target_year in data.levels.index or t.target_year in data.growth.index:
            reading.insufficient = broken_chain(data, t.base_year, t.target_year)
        return reading
    j = fc.years.index(t.target_year)
    if fc.origin < t.base_year:
        # the levels stop before the base year: the base level comes from the same simulated paths
        jb = fc.years.index(t.base_year)
        ratios = {k: p[:, j] / p[:, jb] for k, p in _members(fc).items()}
        reading.note = f"base year {t.base_year} taken from the simulated paths (data stop in {fc.origin})"
    else:
        # the model's P may lean on a level ratio of a re-benchmarked total as an indication (the paths are a model,
        # said so); only a true panel's levels give no growth at all
        known = growth_index(data, t.base_year, fc.origin, cfg.indicators[t.indicator].panel)
        if known is None or origin_level is None:
            reading.insufficient = (f"the growth from {t.base_year} to {fc.origin} is not published "
                                    "(no printed growth chain" + ("" if panel else " nor base-year level") + ")")
            return reading
        index, used = known
        noise = 1.0
        if base_sd > 0 and any(f.period == str(t.base_year) for f in used):   # the base level itself is uncertain
            rng = np.random.default_rng(seed_for(f"{rng_key}/base", cfg_seed))
            noise = np.exp(rng.standard_normal(max(len(p) for p in _members(fc).values())) * base_sd)
        ratios = {k: index * (p[:, j] / origin_level) * (noise[: len(p)] if np.ndim(noise) else noise)
                  for k, p in _members(fc).items()}
    reading.paths = {k: 100 * (np.clip(r, 1e-12, None) ** (1 / span) - 1) for k, r in ratios.items()}
    return reading


def _read_each_year(t: Target, data, fc: Forecast | None, cfg: Config, panel: bool,
                    origin_level: float | None) -> Reading:
    years = list(range(t.base_year + 1, t.target_year + 1))
    published = {y: f for y in years if (f := yearly_rate(data, y, panel)) is not None}
    failing = [f for f in published.values() if settle(f, t, cfg) in SETTLES_NOT_MET]
    if failing:
        return Reading(firmest_failure(failing, t, cfg), note=f"every year must reach {t.value:g}%")
    missing = [y for y in years if y not in published]
    period = f"{years[0]}-{years[-1]}"
    if not missing:
        low = min(published.values(), key=lambda f: f.value)
        return Reading(combine(list(published.values()), low.value, period), note=f"lowest in {low.period}")
    reading = Reading()
    future = fc is not None and origin_level is not None and all(y > fc.origin and y in fc.years for y in missing)
    if not future:
        reading.insufficient = f"growth in {', '.join(map(str, missing))} not published; every year must reach {t.value:g}%"
        return reading
    low_published = min((f.value for f in published.values()), default=np.inf)
    out = {}
    for k, p in _members(fc).items():
        levels = np.column_stack([np.full(len(p), origin_level), p])
        rates = 100 * (levels[:, 1:] / levels[:, :-1] - 1)
        cols = [fc.years.index(y) for y in missing]
        out[k] = np.minimum(rates[:, cols].min(axis=1), low_published)
    reading.paths = out
    return reading


def _read_additions(t: Target, data, fc: Forecast | None, cfg: Config) -> Reading:
    years = list(range(t.base_year + 1, t.target_year + 1))
    period = f"{years[0]}-{years[-1]}"
    published = {y: f for y in years if (f := level_figure(data, y)) is not None and f.qualifier not in BOUNDS}
    total = float(sum(f.value for f in published.values()))
    missing = [y for y in years if y not in published]
    if not missing:
        return Reading(combine(list(published.values()), total, period), years=1)
    done = [y for y in years if y in published]
    partial = combine(list(published.values()), total, f"{done[0]}-{done[-1]}" if done else period) if done else None
    non_negative = cfg.indicators[t.indicator].non_negative
    if partial is not None and non_negative and settle(partial, t, cfg) in SETTLES_MET:
        return Reading(partial, note=f"{', '.join(map(str, missing))} not yet in the data; additions cannot be negative")
    reading = Reading(note=f"additions published for {', '.join(map(str, done))}: {total:g} {t.unit}" if done else "")
    if fc is not None and all(y > fc.origin and y in fc.years for y in missing):
        cols = [fc.years.index(y) for y in missing]
        reading.paths = {k: total + p[:, cols].sum(axis=1) for k, p in _members(fc).items()}
    else:
        reading.insufficient = f"additions in {', '.join(map(str, missing))} not published (no silent zero)"
    return reading


def _read_stock(t: Target, data, cfg: Config) -> Reading:
    """Things built or designated by the target year: the latest count of the plan period (after the base year).

    A base-year count is the starting point, not an achievement of the plan. A count met before the target year
    settles the target only when it cannot fall (indicators.yaml `irreversible`: designations, titles, parks);
    a threshold count (营业收入超亿元企业) or firms that may leave are judged on the target-year figure."""
    window = data.levels[(data.levels.index > t.base_year) & (data.levels.index <= t.target_year)]
    if window.empty:
        before = data.levels[data.levels.index <= t.base_year]
        if len(before):
            y = int(before.index.max())
            return Reading(insufficient=f"only a figure from before the plan or its base year ({y}: {before[y]:g} "
                                        f"{t.unit}); figures dated before the plan period never achieve a target")
        fig = target_year_level(data, t.target_year)        # an unverified count, as an indication
        return Reading(fig) if fig is not None else Reading(insufficient="no count from the plan period")
    y = int(window.index.max())
    fig = level_figure(data, y)
    if y == t.target_year or (meets(fig.value, t) and cfg.indicators[t.indicator].irreversible):
        return Reading(fig)
    if meets(fig.value, t):
        return Reading(note=f"the {y} count {fig.value:g} {t.unit} ({fig.status_label}) meets the line, but this count "
                            f"can fall: the {t.target_year} figure decides", no_model_outlook="on_track")
    gap = threshold(t) - fig.value
    elapsed = (y - t.base_year) / (t.target_year - t.base_year)
    outlook = "on_track" if fig.value / threshold(t) >= elapsed else "at_risk"
    return Reading(note=f"latest count {fig.value:g} {t.unit} ({y}, {fig.status_label}), {gap:g} short of the target",
                   no_model_outlook=outlook)


def _period_counts(t: Target, data) -> dict[str, Figure]:
    """Count per plan period: years from the yearly figures, quarters from year-to-date differences."""
    years = range(t.base_year + 1, t.target_year + 1)
    if t.per == "year":
        return {str(y): f for y in years if (f := level_figure(data, y)) is not None}
    out = {}
    ytd = data.ytd.set_index(["year", "month_to"])["value"] if len(data.ytd) else pd.Series(dtype=float)
    ids = data.ytd.set_index(["year", "month_to"])["obs_id"] if len(data.ytd) else pd.Series(dtype=str)
    # the fourth quarter: a year's count of events is its 1-12月 count, which is read (and published) as 全年
    full = {y: f for y in years if (y, 12) not in ytd.index and (f := level_figure(data, y)) is not None}
    if full:
        ytd = pd.concat([ytd, pd.Series({(y, 12): f.value for y, f in full.items()}, dtype=float)])
        ids = pd.concat([ids, pd.Series({(y, 12): (f.obs_ids[0] if f.obs_ids else "") for y, f in full.items()}, dtype=object)])
    for y in years:
        for q in range(1, 5):
            now, before = (y, 3 * q), (y, 3 * q - 3)
            if now in ytd.index and (q == 1 or before in ytd.index):
                value = float(ytd[now]) - (float(ytd[before]) if q > 1 else 0.0)
                used = tuple(str(ids[k]) for k in ((now,) if q == 1 else (before, now)) if ids.get(k))
                out[f"{y}Q{q}"] = Figure(value, f"{y}Q{q}", obs_ids=used, figure_ids=tuple(figure_id(i) for i in used))
    return out


def _read_per_period(t: Target, data, cfg: Config, as_of: Quarter) -> Reading:
    years = range(t.base_year + 1, t.target_year + 1)
    periods = [str(y) for y in years] if t.per == "year" else [f"{y}Q{q}" for y in years for q in range(1, 5)]
    published = _period_counts(t, data)
    failing = [f for f in published.values() if settle(f, t, cfg) in SETTLES_NOT_MET]
    if failing:
        return Reading(firmest_failure(failing, t, cfg), note=f"every {t.per} must reach {t.value:g} {t.unit}")
    due = [p for p in periods if (Quarter(int(p[:4]), int(p[5]) if "Q" in p else 4) <= as_of)]
    missing = [p for p in due if p not in published]
    # the target year's last periods, after every published one, are not yet in the data (as a level's target-year
    # figure): pending once the plan has ended; a period missing before a published one, or in an earlier year, is a hole
    latest = [p for p in missing if p.startswith(str(t.target_year)) and all(p > q for q in published)]
    holes = [p for p in missing if p not in latest]
    if holes:
        return Reading(insufficient=f"no count for {', '.join(missing)}; every {t.per} must reach {t.value:g} {t.unit}")
    if missing:
        return Reading(note=f"every {t.per} published so far reaches {t.value:g} {t.unit} ({', '.join(missing)} "
                            "not yet in the data)", no_model_outlook="on_track")
    if len(due) == len(periods):
        low = min(published.values(), key=lambda f: f.value)
        return Reading(combine(list(published.values()), low.value, f"{periods[0]}-{periods[-1]}"),
                       note=f"lowest in {low.period}")
    return Reading(note=f"every {t.per} so far reaches {t.value:g} {t.unit}", no_model_outlook="on_track")

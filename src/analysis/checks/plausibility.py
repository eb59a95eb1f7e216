"""Plausibility checks: figures that are well-formed but cannot be right as typed.

A magnitude slip (5480 for 548), a year-to-date figure typed as a full year,
or a Nantong figure filed under Haimen passes every format check and then
reaches a verdict. These rules compare each figure with what surrounds it
(neighbouring years, its own printed growth, the same year's year-to-date
figures, the region's scale, the 100 % ceiling of a share) and report the
ones no real series would produce. Each rule is a function that takes data
frames and returns one row per comparison made, with `finding`:
- "ok": the figure is plausible;
- "implausible": an error; the run stops before any verdict;
- "confirmed": implausible, but the raw row's `confirmed` column gives a
  reason (e.g. a boundary change): a warning that quotes the reason.
Thresholds live in config/settings.yaml (validation.plausibility), so a rule
can be widened on principle without touching code or data. validate.py turns
each rule's table into one Great Expectations check.
"""
from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd

from analysis.core.config import Config

# column: the raw column the finding is about; shown: what that column holds (the stop message quotes it)
COLUMNS = ["obs_id", "file", "row", "column", "shown", "indicator", "region", "period", "value", "unit", "value_printed",
           "finding", "message", "confirmed"]
FIX = ("如为录入错误，请在原始文件中更正数值、单位、时期或地区；如数值与公布一致，请在该行 confirmed（确认说明）列写明理由，"
       "错误即降为警告并引用该理由 / correct the value, unit, period or region in the raw file if it is a typo; if the figure is right as "
       "published, write the reason in that row's `confirmed` column (确认说明), e.g. "
       "\"2023年起统计口径调整，见统计公报第3页\": the error then becomes a warning that quotes it")


def _settings(cfg: Config) -> dict:
    return cfg.settings.get("validation", {}).get("plausibility", {}) or {}


def growth_band(cfg: Config, indicator: str) -> tuple[float, float]:
    """Implied yearly growth band (%) for an indicator: per indicator, else per kind, else the default."""
    spec = _settings(cfg).get("neighbour_growth_pct", {}) or {}
    ind = cfg.indicators[indicator]
    band = ((spec.get("by_indicator") or {}).get(indicator) or (spec.get("by_kind") or {}).get(ind.kind)
            or spec.get("default") or [-50, 100])
    return float(band[0]), float(band[1])


def _confirmations(obs: pd.DataFrame) -> dict[str, str]:
    col = obs["confirmed"] if "confirmed" in obs else pd.Series("", index=obs.index)
    return dict(zip(obs["obs_id"], col.fillna("").astype(str).str.strip()))


def _frame(records: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame.from_records(records, columns=COLUMNS)
    out["finding"] = out["finding"].astype(object)
    return out


def _record(r, finding_ok: bool, message: str, confirmed: dict[str, str], column: str = "value") -> dict:
    reason = confirmed.get(r.obs_id, "")
    if finding_ok:
        finding = "ok"
    elif reason:
        finding, message = "confirmed", f"{message} — 已确认 confirmed: \"{reason}\""
    else:
        finding = "implausible"
    printed = f"{r.value_printed} {r.unit_printed}".strip()
    shown = printed if column == "value" else str(getattr(r, column))
    return {"obs_id": r.obs_id, "file": r.file, "row": int(r.row), "column": column, "shown": shown, "indicator": r.indicator,
            "region": r.region, "period": r.period, "value": r.value, "unit": r.unit,
            "value_printed": printed, "finding": finding,
            "message": message if not finding_ok else "", "confirmed": reason}


def checked_rows(obs: pd.DataFrame) -> pd.DataFrame:
    """Figures that compete for a best value at as_of: visible, with a level, not excluded as unverified."""
    return obs[obs["visible"] & obs["value"].notna() & obs["role"].isin(["selected", "superseded"])]


def references(best: pd.DataFrame) -> pd.DataFrame:
    """Published (not derived) best levels: the neighbours a figure is compared with.

    Derived levels are left out: they come from a published neighbour and its growth, so they would agree
    with a typo they were derived from.
    """
    return best[best["value"].notna() & ~best["derived"].astype(bool) & (best["value"] > 0)]


def _fmt(x: float) -> str:
    """Six significant digits in plain notation: a planner reads 5720000, never 5.72e+06 (the input rules refuse it)."""
    text = f"{x:.6g}"
    if "e" in text:
        text = f"{float(text):.0f}" if abs(x) >= 1 else f"{x:.12f}".rstrip("0")
    return text


def _ratio(a: float, b: float) -> str:
    """a as a multiple of b for a message; zero or negative values (refused elsewhere) must not crash the text."""
    if not b or not math.isfinite(a / b):
        return "not comparable with"
    r = a / b
    def plain(v: float) -> str:
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"
    return f"{plain(r)}x" if r >= 1 or r <= 0 else f"{plain(r)}x (1/{plain(1 / r)})"


def _yearly_growth(value: float, year: int, other: float, other_year: int) -> tuple[float, int]:
    """Implied growth in % a year between two levels (geometric over gaps), and the gap in years."""
    years = abs(int(year) - int(other_year))
    early, late = (other, value) if other_year < year else (value, other)
    if early <= 0 or late <= 0:                  # a zero level (refused as input elsewhere): no growth to speak of
        return (math.inf if early <= 0 else -100.0), years
    return 100 * ((late / early) ** (1 / years) - 1), years


# ------------------------------------------------------------------ rules --
def neighbour_years(obs: pd.DataFrame, best: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """A level against the nearest earlier and later years of the same indicator, region and period kind.

    Implied growth is geometric per year over gaps. A figure is implausible when it is out of the band against
    every nearest neighbour: a single slip sits apart from both sides, whereas a real break agrees with the
    years after it. A neighbour is not held against the figure when its row is confirmed (it explains the
    jump) or when it disagrees with the year beyond it too (it is the slip, reported on its own row).
    """
    confirmed = _confirmations(obs)
    ref = references(best)
    groups = {k: g.sort_values("year") for k, g in ref.groupby(["indicator", "region", "period_kind", "month_to"])}
    records = []
    for r in checked_rows(obs).itertuples():
        g = groups.get((r.indicator, r.region, r.period_kind, r.month_to))
        if g is None or r.value <= 0:
            continue
        lo, hi = growth_band(cfg, r.indicator)
        comparisons = []
        for side in (g[g["year"] < r.year].tail(1), g[g["year"] > r.year].head(1)):
            if side.empty:
                continue
            n = side.iloc[0]
            growth, years = _yearly_growth(r.value, r.year, n["value"], n["year"])
            inside = lo <= growth <= hi
            # the neighbour is the odd one out when it also disagrees with the year beyond it
            beyond = g[g["year"] < n["year"]].tail(1) if n["year"] < r.year else g[g["year"] > n["year"]].head(1)
            odd = not beyond.empty and not lo <= _yearly_growth(n["value"], n["year"], beyond.iloc[0]["value"],
                                                                 beyond.iloc[0]["year"])[0] <= hi
            text = (f"{_fmt(r.value)} is {_ratio(r.value, n['value'])} the {n['period']} level {_fmt(n['value'])}"
                    f" ({n['obs_id']}); implied growth {growth:+.0f} % a year" + (f" over {years} years" if years > 1 else ""))
            comparisons.append((inside, bool(confirmed.get(n["obs_id"])) or odd, text))
        if not comparisons:
            continue
        ok = any(inside for inside, _, _ in comparisons) or all(excused for _, excused, _ in comparisons)
        message = (f"与相邻年份相比变化异常，年均变化超出{lo:+g}%至{hi:+g}%的合理范围：是否数量级（10倍）、单位或时期有误？ / "
                   + "; ".join(t for inside, _, t in comparisons if not inside)
                   + f". A yearly change outside {lo:+g} % to {hi:+g} % is implausible for {r.indicator} "
                     "(validation.plausibility.neighbour_growth_pct): a slip of magnitude (10x), unit or period?")
        records.append(_record(r, ok, message, confirmed))
    return _frame(records)


def printed_growth(obs: pd.DataFrame, best: pd.DataFrame, cfg: Config, suspects: set[str] = frozenset()) -> pd.DataFrame:
    """A level against the previous year's level times its own printed growth.

    Comparable-basis growth differs from the level ratio by a point or two; a tolerance far beyond that
    (settings) leaves only slips. Panel indicators (membership changes yearly) are skipped, and so are
    comparisons whose previous level is itself implausible (suspects): that figure is the one to blame.
    """
    tol = float(_settings(cfg).get("printed_growth_tolerance_pct", 15))
    confirmed = _confirmations(obs)
    ref = references(best)
    index = {(r.indicator, r.region, r.period_kind, r.month_to, r.year): r for r in ref.itertuples()}
    records = []
    rows = checked_rows(obs)
    for r in rows[rows["growth_pct"].notna()].itertuples():
        if cfg.indicators[r.indicator].panel or r.growth_pct <= -100 or r.value <= 0:
            continue
        prev = index.get((r.indicator, r.region, r.period_kind, r.month_to, r.year - 1))
        if prev is None or prev.obs_id in suspects:
            continue
        expected = prev.value * (1 + r.growth_pct / 100)
        ok = abs(math.log(r.value / expected)) <= math.log(1 + tol / 100)
        message = (f"{_fmt(r.value)}与本行公布增速{r.growth_pct:+g}%不符：上年{_fmt(prev.value)}×(1{r.growth_pct:+g}%)"
                   f"={_fmt(round(expected, 2))}（容差±{tol:g}%） / "
                   f"{_fmt(r.value)} does not match its own printed growth {r.growth_pct:+g} %: {prev.period} level "
                   f"{_fmt(prev.value)} ({prev.obs_id}) x (1 {r.growth_pct:+g} %) = {_fmt(round(expected, 2))}, and "
                   f"{_fmt(r.value)} is {_ratio(r.value, expected)} that ({100 * (r.value / expected - 1):+.0f} %; "
                   f"tolerance ±{tol:g} %, validation.plausibility.printed_growth_tolerance_pct)")
        records.append(_record(r, ok, message, confirmed))
    return _frame(records)


def within_year(obs: pd.DataFrame, best: pd.DataFrame, cfg: Config, suspects: set[str] = frozenset()) -> pd.DataFrame:
    """Cumulative indicators (non-negative flows): no figure below an earlier year-to-date figure of its year.

    Covers a full year below its own 1-9月 figure (a 1-9月 figure typed as 全年) and year-to-date figures
    that fall within a year. The later figure is the one reported: it is the one that cannot be right,
    unless the earlier one is itself implausible (suspects: a 10x year-to-date slip is reported on its own row).
    """
    confirmed = _confirmations(obs)
    cumulative = {i for i, ind in cfg.indicators.items() if ind.kind == "flow" and ind.non_negative}
    ref = references(best)
    ref = ref[ref["indicator"].isin(cumulative) & ref["period_kind"].isin(["ytd", "annual"])]
    groups = {k: g for k, g in ref.groupby(["indicator", "region", "year"])}
    records = []
    rows = checked_rows(obs)
    for r in rows[rows["indicator"].isin(cumulative) & rows["period_kind"].isin(["ytd", "annual"])].itertuples():
        g = groups.get((r.indicator, r.region, r.year))
        if g is None:
            continue
        earlier = g[(g["month_to"] < r.month_to) & ~g["obs_id"].isin(suspects)]
        if earlier.empty:
            continue
        top = earlier.loc[earlier["value"].idxmax()]
        ok = r.value >= top["value"]
        what = "full-year" if r.period_kind == "annual" else "year-to-date"
        zh = (f"{'全年' if what == 'full-year' else '年内累计'}数值{_fmt(r.value)}低于同年{top['period']}累计值{_fmt(top['value'])}"
              f"（低{100 * (1 - r.value / top['value']):.0f}%）：累计值年内不会下降"
              + ("；是否把1-N月累计数误填为全年？" if what == "full-year" else "") + " / ")
        message = zh + (f"the {what} figure {_fmt(r.value)} is below the same year's {top['period']} figure "
                   f"{_fmt(top['value'])} ({top['obs_id']}) by {100 * (1 - r.value / top['value']):.0f} %: a cumulative "
                   "figure cannot fall within a year" + ("; is a year-to-date figure typed as 全年?" if what == "full-year" else ""))
        records.append(_record(r, ok, message, confirmed))
    return _frame(records)


def region_scale(obs: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """Every raw level against the scale band of its region (Haimen is not Nantong).

    Bands per indicator and region are in settings (validation.plausibility.region_bounds); the lower end of a
    flow is scaled down for year-to-date figures (1-2月 is a sixth of a year).
    """
    bands = _settings(cfg).get("region_bounds", {}) or {}
    confirmed = _confirmations(obs)
    records = []
    for r in obs[obs["value"].notna()].itertuples():
        band = (bands.get(r.indicator) or {}).get(r.region)
        if not band:
            continue
        lo, hi = float(band[0]), float(band[1])
        if r.period_kind == "ytd" and cfg.indicators[r.indicator].kind == "flow":
            lo = lo * r.month_to / 12
        ok = lo <= r.value <= hi
        how = (f"{_ratio(r.value, hi)} the upper end" if r.value > hi else
               f"{_ratio(r.value, lo)} the lower end" if lo > 0 else "below the lower end")
        message = (f"{_fmt(r.value)}{r.unit}超出{r.region}的合理范围（{_fmt(lo)}至{_fmt(hi)}{r.unit}）："
                   "是否误填了其他地区（如南通市）的数据，或单位有误？ / "
                   f"{_fmt(r.value)} {r.unit} is outside the plausible range for {r.region} "
                   f"({_fmt(lo)} to {_fmt(hi)} {r.unit}; validation.plausibility.region_bounds): {how}. "
                   "A figure for another region (e.g. 南通市 for 海门区), or a unit slip?")
        records.append(_record(r, ok, message, confirmed))
    return _frame(records)


def share_ceiling(obs: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """Shares and other percentages of a whole cannot exceed 100 %."""
    confirmed = _confirmations(obs)
    shares = {i for i, ind in cfg.indicators.items() if ind.kind == "share" or ind.unit == "%"}
    records = []
    for r in obs[obs["value"].notna() & obs["indicator"].isin(shares)].itertuples():
        ok = r.value <= 100
        message = (f"{_fmt(r.value)}%超过100%：占比不能超过整体（是否填入了增速或计数？小数点错位？） / "
                   f"{_fmt(r.value)} % is over 100 % by {_fmt(round(r.value - 100, 4))} points: a share cannot exceed the "
                   "whole (a growth rate or a count in the share's row? a misplaced decimal point?)")
        records.append(_record(r, ok, message, confirmed))
    return _frame(records)


def early_estimate(obs: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """A full-year 预计 of a flow published long before its year ends (before validation.plausibility.
    estimate_full_year_from, e.g. 12-01) is flagged: full-year estimates come in late December or January, and a
    1-N月 figure typed as 全年 and then relabelled 预计 to pass the publication-date stop is the usual slip
    (issue 24 point 1: 438.5亿元 published 2024-10-28 read as retail 2024). A source that does print an
    early full-year estimate is confirmed with its reason (`confirmed`), as every plausibility finding is."""
    start = str(_settings(cfg).get("estimate_full_year_from", "12-01"))
    month, day = (int(x) for x in start.split("-"))
    confirmed = _confirmations(obs)
    flows = {i for i, ind in cfg.indicators.items() if ind.kind == "flow"}
    rows = checked_rows(obs)
    rows = rows[(rows["period_kind"] == "annual") & (rows["status"] == "estimate") & rows["indicator"].isin(flows)
                & rows["published_date"].notna()]
    records = []
    for r in rows.itertuples():
        published = pd.Timestamp(r.published_date).date()
        window = date(int(r.year), month, day)
        ok = published >= window
        message = (f"{int(r.year)}年全年预计数发布于{published.isoformat()}，早于{window.isoformat()}：全年预计数一般在年末或次年初发布，"
                   f"是否把1-{published.month - 1 if published.month > 1 else 1}月等累计数误填为全年？如是，请将 period 改为“1-N月” / "
                   f"a full-year estimate for {int(r.year)} published on {published.isoformat()}, before {window.isoformat()}: "
                   "full-year estimates come out at the year's end or early the next year; is a year-to-date figure "
                   "(1-N月) typed as 全年? If so, write the period as printed, e.g. 1-9月")
        records.append(_record(r, ok, message, confirmed, column="period"))
    return _frame(records)


def plausibility_tables(obs: pd.DataFrame, best: pd.DataFrame, cfg: Config) -> dict[str, pd.DataFrame]:
    """Every rule's comparisons, keyed by table name, plus `plaus_confirmed`: the confirmed findings of all rules."""
    neighbours = neighbour_years(obs, best, cfg)
    scale = region_scale(obs, cfg)
    suspects = set(neighbours.loc[neighbours["finding"] != "ok", "obs_id"]) | set(scale.loc[scale["finding"] != "ok", "obs_id"])
    tables = {
        "plaus_neighbours": neighbours,
        "plaus_growth": printed_growth(obs, best, cfg, suspects),
        "plaus_within_year": within_year(obs, best, cfg, suspects),
        "plaus_region_scale": scale,
        "plaus_share": share_ceiling(obs, cfg),
        "plaus_early_estimate": early_estimate(obs, cfg),
    }
    rule = {"plaus_neighbours": "plausible.neighbour_years", "plaus_growth": "plausible.printed_growth",
            "plaus_within_year": "plausible.within_year", "plaus_region_scale": "plausible.region_scale",
            "plaus_share": "plausible.share_ceiling", "plaus_early_estimate": "plausible.early_estimate"}
    parts = [t.assign(rule=rule[name]) for name, t in tables.items() if not t.empty]
    every = pd.concat(parts, ignore_index=True) if parts else _frame([]).assign(rule=pd.Series(dtype=object))
    tables["plaus_confirmed"] = every.reset_index(drop=True)
    for name, t in tables.items():
        t["finding"] = t["finding"].astype(object)
        t["row"] = t["row"].astype(np.int64) if len(t) else t["row"]
    return tables

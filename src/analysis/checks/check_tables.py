"""The tables the validation checks run on, each a plain DataFrame derived from the clean result.

Checks that compare rows (growth against levels, coverage of the headline indicators, the
plausibility rules) need one row per comparison, so that Great Expectations reports the failing
comparisons themselves; every table carries `where` (raw file and row, or the row's key), which names
failing rows in Data Docs and results.json. validate.py defines the checks and runs them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.inputs.clean import CleanResult, rank_keys
from analysis.core.config import Config
from analysis.inputs.bureau import is_return_row
from analysis.inputs.corrections import action_for
from analysis.checks.plausibility import plausibility_tables


# One check: a Great Expectations expectation on one prepared table, with a severity and a fix (validate.py
# defines the data checks, validate_returns.py those on the returns; both build this class from here).
SEVERITY_GX = {"error": "critical", "warning": "warning"}


@dataclass(frozen=True)
class Check:
    id: str
    table: str
    severity: str              # "error" or "warning"
    title_zh: str
    title_en: str
    fix: str                   # what to do when it fails
    expectation: object        # a great_expectations Expectation
    show: tuple[str, ...]      # columns that identify a failing row for a reader


def _none_if_blank(s: pd.Series) -> pd.Series:
    return s.where(s.astype(str).str.strip() != "", None)


def prepare_tables(result: CleanResult, cfg: Config) -> dict[str, pd.DataFrame]:
    """The tables the checks run on, each a plain DataFrame derived from the clean result."""
    obs = result.observations
    if "correction" in obs:      # a 撤回 row names a figure to withdraw; it is no figure itself (inputs/corrections.py)
        obs = obs[obs["correction"].fillna("").map(action_for) != "withdraw"]
    # the statistics bureau's returned rows (inputs/bureau.py) were checked when read; these checks are of publications
    obs = obs[~obs["obs_id"].map(is_return_row)].copy()
    for col in ("source_title", "source_url", "published", "unit_printed", "reliability"):
        obs[col] = _none_if_blank(obs[col].fillna(""))
    obs.loc[obs["value"].isna(), "unit_printed"] = None        # growth-only rows print no unit
    inds = cfg.indicators
    # "(亿元)", "亿 元" or "MILLION YUAN" is the unit the registry spells 亿元 / million yuan (Indicator.unit_name), as clean read it
    obs["unit_printed"] = [(inds[i].unit_name(u) or u) if isinstance(u, str) else u
                           for i, u in zip(obs["indicator"], obs["unit_printed"])]
    obs["floor"] = [0.0 if inds[i].non_negative else np.nan for i in obs["indicator"]]
    obs["lower_bound"] = [inds[i].bounds[0] for i in obs["indicator"]]
    obs["upper_bound"] = [inds[i].bounds[1] for i in obs["indicator"]]
    obs["period_end"] = pd.to_datetime(obs["period_end"])
    obs["published_date"] = pd.to_datetime(obs["published_date"])
    if "confirmed" not in obs:                                   # clean data written before the column existed
        obs["confirmed"] = ""
    obs["confirmed"] = obs["confirmed"].fillna("").astype(str)
    visible = obs[obs["visible"]].reset_index(drop=True)

    clean = result.best.copy()
    clean["period_end"] = pd.to_datetime(clean["period_end"])
    tables = {
        "raw": obs.reset_index(drop=True),
        "visible": visible,
        "clean": clean.reset_index(drop=True),
        "growth_pairs": growth_pairs(result.best),
        "headline_coverage": headline_coverage(result, cfg),
        "headline_years": headline_years(result, cfg),
        "selection_ties": selection_ties(result.observations, cfg),
        **plausibility_tables(obs, result.best, cfg),
    }
    return {name: with_where(name, t) for name, t in tables.items()}


def with_where(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Add `where`: the raw file and row a table row stands for (or its key), which names failing rows in
    Data Docs and results.json instead of DataFrame index numbers."""
    frame = frame.copy()
    if frame.empty:
        frame["where"] = pd.Series(dtype=object)
    elif name in ("raw", "visible") or name.startswith("plaus_"):
        frame["where"] = frame["obs_id"].astype(str) + (" " + frame["rule"].astype(str) if "rule" in frame else "")
    elif name == "returns":           # department returns: the figure id and quarter/file:sheet:row
        frame["where"] = frame["figure_id"].astype(str) + " " + frame["obs_id"].astype(str)
    elif name == "clean":
        frame["where"] = [f"{o or 'derived'} ({i} {r} {p})" for o, i, r, p in
                          zip(frame["obs_id"], frame["indicator"], frame["region"], frame["period"])]
    else:
        keys = [c for c in ("target", "indicator", "region", "period", "year") if c in frame]
        frame["where"] = frame[keys].astype(str).agg(" ".join, axis=1)
    return frame


def growth_pairs(best: pd.DataFrame) -> pd.DataFrame:
    """Each printed growth rate next to the growth implied by two published (not derived) levels."""
    cols = ["indicator", "region", "period", "previous_period", "level", "previous_level",
            "printed_growth_pct", "implied_growth_pct", "gap_pp"]
    pub = best[best["value"].notna() & ~best["derived"]]
    index = {(r.indicator, r.region, r.period_kind, r.month_to, r.year): r for r in pub.itertuples()}
    rows = []
    for r in pub[pub["growth_pct"].notna()].itertuples():
        prev = index.get((r.indicator, r.region, r.period_kind, r.month_to, r.year - 1))
        if prev is None or prev.value == 0:
            continue
        implied = 100 * (r.value / prev.value - 1)
        rows.append([r.indicator, r.region, r.period, prev.period, r.value, prev.value, r.growth_pct,
                     round(implied, 2), round(implied - r.growth_pct, 2)])
    return pd.DataFrame(rows, columns=cols)


def _home_years(result: CleanResult, cfg: Config, indicator: str) -> list[int]:
    a = result.annual
    home = a[(a["indicator"] == indicator) & (a["region"] == cfg.settings["home_region"]) & a["value"].notna()]
    return sorted(home["year"].unique().tolist())


def headline_coverage(result: CleanResult, cfg: Config) -> pd.DataFrame:
    """Per headline target: does Haimen have a figure for the base year and a later one?"""
    rows = []
    for t in cfg.headline_targets:
        years = _home_years(result, cfg, t.indicator)
        later = [y for y in years if y > t.base_year]
        rows.append([t.id, t.indicator, t.base_year, ", ".join(map(str, years)) or "none",
                     t.base_year in years, bool(later), t.base_year in years and bool(later)])
    return pd.DataFrame(rows, columns=["target", "indicator", "base_year", "years_with_data",
                                       "has_base_year", "has_later_year", "has_base_and_later"])


def headline_years(result: CleanResult, cfg: Config) -> pd.DataFrame:
    """Per headline indicator and year from the base year to the last full year before as_of: is there a figure?"""
    last_full_year = result.as_of.year if result.as_of.q == 4 else result.as_of.year - 1
    rows = []
    for t in cfg.headline_targets:
        years = set(_home_years(result, cfg, t.indicator))
        for y in range(t.base_year, last_full_year + 1):
            rows.append([t.indicator, cfg.settings["home_region"], y, y in years])
    return pd.DataFrame(rows, columns=["indicator", "region", "year", "has_figure"])


TIE_COLUMNS = ["indicator", "region", "period", "obs_id", "file", "row", "column", "shown", "value_printed", "message", "finding"]


def selection_ties(obs: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """Figures of one indicator, region and period that disagree but that no selection rule tells apart.

    The clean step must then keep one by file name order (clean._why_lost: "tie on every rule"), and the
    verdict would depend on how the files are named. One row per figure that lost to another for its period
    (finding "ok": ranked by a rule, the reason quoted; "tie": nothing ranked them, naming the figure kept);
    equal values (the same figure printed twice) are no tie.
    """
    cand = obs[obs["role"].isin(["selected", "superseded"]) & obs["value"].notna()]
    rows = []
    if len(cand):
        keys = rank_keys(cand, cfg)
        cand = cand.assign(**{f"_k_{c}": keys[c] for c in keys.columns})
        key_cols = [f"_k_{c}" for c in keys.columns]
        for _, group in cand.groupby(["indicator", "region", "period"], sort=True):
            won = group[group["role"] == "selected"]
            if won.empty:
                continue
            w = won.iloc[0]
            for _, r in group[group["role"] == "superseded"].iterrows():
                same_rank = all(r[k] == w[k] or (pd.isna(r[k]) and pd.isna(w[k])) for k in key_cols)
                tie = same_rank and not np.isclose(r["value"], w["value"], rtol=1e-9, atol=0)
                message = (f"{r['value']:g}{r['unit']}与{w['value']:g}{w['unit']}（{w['obs_id']}）冲突，且状态、可靠性、"
                           f"发布日期均相同（{r['status']}、{r['reliability']}、{r['published_date']}），无法按规则取舍，"
                           f"研判将取决于文件名顺序 / {r['value']:g} {r['unit']} and {w['value']:g} {w['unit']} "
                           f"({w['obs_id']}) are both {r['status']}, {r['reliability']}, published {r['published_date']}: "
                           f"nothing ranks one above the other, so the verdict would follow the file names"
                           if tie else str(r["reason"]))
                rows.append([r["indicator"], r["region"], r["period"], r["obs_id"], r["file"], r["row"], "value",
                             r["value_printed"], r["value_printed"], message, "tie" if tie else "ok"])
    frame = pd.DataFrame(rows, columns=TIE_COLUMNS)
    frame["row"] = frame["row"].astype(np.int64) if len(frame) else frame["row"]
    return frame

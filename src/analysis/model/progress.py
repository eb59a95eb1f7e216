"""The deterministic layer of a verdict: the latest figure, progress against 序时进度, actual vs required growth.

Used by judge.py beside the model layer (model_layer.py) and the readers
(rules.py). Progress is shown on the compound path of the required growth,
((1+r)^t - 1)/((1+r)^T - 1), beside the linear share t/T; required growth is
the plan's own number (the 左右 tolerance only enters the met / not-met
decision); growth targets chain printed growth (rules.growth_index).
"""
from __future__ import annotations

import numpy as np

from analysis.core.config import Config, Target
from analysis.model.evidence import avg_growth_pct, compound_share
from analysis.inputs.figures import figure_id
from analysis.model.rules import growth_index


def deterministic(t: Target, data, cfg: Config) -> dict:
    """Latest figure, progress against 序时进度 (linear and compound), actual vs required growth, growth still needed.

    Required growth is the plan's own number; the 左右 tolerance only enters the met / not-met decision.
    """
    row: dict = {}
    span = t.target_year - t.base_year
    observed = data.levels[data.levels.index <= t.target_year]
    if not observed.empty:
        t_last = int(observed.index.max())
        info = data.info.loc[t_last]
        row.update(latest_year=t_last, latest_value=float(observed[t_last]), latest_status=info["status"],
                   latest_reliability=info["reliability"], latest_derived=bool(info["derived"]),
                   latest_obs_id=info["obs_id"],
                   latest_figure_id=figure_id(info["obs_id"], str(t_last) if info["derived"] else None) if info["obs_id"] else "")
    ytd = data.ytd[data.ytd["growth_pct"].notna()] if len(data.ytd) and "growth_pct" in data.ytd else data.ytd.iloc[0:0]
    if len(ytd):            # what the nowcast rests on besides the years: the latest year-to-date growth printed
        last = ytd.sort_values(["year", "month_to"]).iloc[-1]
        row.update(latest_ytd_period=str(last["period"]), latest_ytd_growth_pct=float(last["growth_pct"]))
    base = data.levels[t.base_year] if t.base_year in data.levels.index else None   # .get on an empty index: positional
    if base is not None and t.type in ("level", "share", "avg_growth"):
        row.update(base_value=float(base), base_derived=bool(data.info.loc[t.base_year]["derived"]),
                   base_status=data.info.loc[t.base_year]["status"])
    if span <= 0:
        return row
    if t.type == "share" and base is not None and "latest_year" in row:
        _share_progress(row, t, float(base))
    elif t.type in ("level", "share") and base is not None and base > 0 and "latest_year" in row:
        goal, t_last, latest = float(t.value), row["latest_year"], row["latest_value"]
        required = avg_growth_pct(goal / base, span)
        row["required_growth_pct"] = required
        if t.target_year > t_last:
            row["remaining_required_growth_pct"] = avg_growth_pct(goal / latest, t.target_year - t_last)
        if t_last > t.base_year:
            # progress from base to goal means something only when the base is short of the goal in the
            # target's direction; a base already past it (a share of 93 % against "over 90 %") would give
            # -900 %: no progress ratio then, the verdict rests on the figure itself
            toward = goal - base if t.comparison not in ("<", "<=") else base - goal
            _progress(row, t, required, t_last, (latest - base) / (goal - base) if toward > 0 else np.nan,
                      avg_growth_pct(latest / base, t_last - t.base_year))
    elif t.type == "share" and "latest_year" in row and t.target_year > row["latest_year"]:
        row.update(rate_unit="pp", remaining_required_growth_pct=(float(t.value) - row["latest_value"])
                   / (t.target_year - row["latest_year"]))
    elif t.type == "level" and "latest_year" in row and t.target_year > row["latest_year"]:
        row["remaining_required_growth_pct"] = avg_growth_pct(float(t.value) / row["latest_value"],
                                                              t.target_year - row["latest_year"])
    elif t.type == "avg_growth" and not t.each_year:
        g = float(t.value)
        row["required_growth_pct"] = g
        panel = cfg.indicators[t.indicator].printed_growth_only
        last_data = max([*data.levels.index, *data.growth.index], default=t.base_year)
        for y in range(min(t.target_year, int(last_data)), t.base_year, -1):
            found = growth_index(data, t.base_year, y, panel)
            if found is None:
                continue
            index, _ = found
            goal_index = (1 + g / 100) ** span
            _progress(row, t, g, y, (index - 1) / (goal_index - 1) if goal_index != 1 else np.nan,
                      avg_growth_pct(index, y - t.base_year))
            row["index_year"] = y
            if t.target_year > y:
                row["remaining_required_growth_pct"] = avg_growth_pct(goal_index / index, t.target_year - y)
            break
    elif t.type == "cumulative":
        plan = [y for y in range(t.base_year + 1, t.target_year + 1) if y in data.levels.index]
        if plan:
            done = float(sum(data.levels[y] for y in plan))
            row.update(progress_ratio=done / float(t.value), sum_to_date=done, sum_years=f"{plan[0]}-{plan[-1]}",
                       expected_linear_share=(max(plan) - t.base_year) / span)
    return row


def _share_progress(row: dict, t: Target, base: float) -> None:
    """A share moves in percentage points, not by compound growth: required, achieved and still-needed change in
    points a year (rate_unit "pp"; the *_growth_pct columns then hold points), progress on the linear path."""
    span = t.target_year - t.base_year
    goal, t_last, latest = float(t.value), row["latest_year"], row["latest_value"]
    required = (goal - base) / span
    row.update(rate_unit="pp", required_growth_pct=required)
    if t.target_year > t_last:
        row["remaining_required_growth_pct"] = (goal - latest) / (t.target_year - t_last)
    if t_last > t.base_year:
        linear = (t_last - t.base_year) / span
        toward = goal - base if t.comparison not in ("<", "<=") else base - goal
        progress = (latest - base) / (goal - base) if toward > 0 else np.nan
        actual = (latest - base) / (t_last - t.base_year)
        row.update(progress_ratio=progress, actual_growth_pct=actual, progress_year=t_last, expected_linear_share=linear,
                   expected_compound_share=linear, progress_vs_expected=progress / linear if linear else np.nan,
                   growth_ratio=actual / required if required > 0 else np.nan)


def _progress(row: dict, t: Target, required: float, t_last: int, progress: float, actual: float) -> None:
    span = t.target_year - t.base_year
    compound = compound_share(required, t_last - t.base_year, span)
    row.update(progress_ratio=progress, actual_growth_pct=actual, progress_year=t_last,
               expected_linear_share=(t_last - t.base_year) / span, expected_compound_share=compound,
               progress_vs_expected=progress / compound if compound else np.nan,
               growth_ratio=actual / required if required > 0 else np.nan)

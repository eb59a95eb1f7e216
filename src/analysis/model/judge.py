"""The verdict on one target: the rules a statistics bureau would sign, one per target type.

A verdict rests on a named figure with its status (the evidence ladder in
config/settings.yaml, assessment.evidence):

- a final, preliminary or published official figure (or a faithful secondary
  copy of one) for the target period settles it: achieved / not achieved;
- an estimate (预计), a figure derived from printed growth or an approximate
  one settles it as "(estimate)", unless its distance to the target is inside
  the usual estimate-to-final revision: then it is pending;
- an unverified figure never settles it: pending an official figure (仅有未核实资料),
  the figure shown as an indication and the model's P(met) kept;
- a lower-bound figure (突破 X) settles it only when X itself meets the target.

Without a settling figure, a plan that is still running is judged by the
model's P(met) (on track / at risk / off track); an ended plan (as_of after
the target year) is an evaluation: "target-year figure not yet in the data" (the suite knows only that none was entered),
with P(met) beside it. Each target type reads its figures by its own rule:
levels and shares (the target-year figure), average growth (chained printed
growth, or level ratios where the indicator is not a panel with changing
membership), growth in every year, additions over the plan period (培育 /
新增), stocks of things built (counts), counts per year or per quarter.
Figures dated before the base year never achieve a target. The 左右
tolerance applies only to the final met / not-met decision; required growth
is always the plan's own number.
"""
from __future__ import annotations

from analysis.core.config import Config, Target
from analysis.model.evidence import Judgement, elapsed_share, progress_class, settle, status_from_p
from analysis.model.forecast import Forecast
from analysis.core.quarters import Quarter
from analysis.model import model_layer, progress, rules

def judge(t: Target, cfg: Config, as_of: Quarter, data, fc: Forecast | None, fc_reason: str,
          origin_level: float | None = None, base_sd: float = 0.0, n_points: int = 0) -> Judgement:
    """One target at as_of: the row of assessment.csv, by the rule of the target's type and the evidence ladder.

    `data` is the indicator's IndicatorData (assess.py) or None; `origin_level`
    the level the forecast paths start from; `base_sd` the log-scale
    measurement sd of the base-year level (estimates, derived values);
    `n_points` the number of yearly points the models saw (for the confidence grade).
    """

    verdicts = cfg.settings["assessment"]["verdicts"]
    ended = as_of.year > t.target_year
    row = {"target": t.id, "clause": "/".join(t.clause), "statement": t.statement, "name_zh": t.name_zh,
           "name_en": t.name_en, "headline": t.headline, "type": t.type, "per": t.per or "",
           "indicator": t.indicator or "", "target_value": t.value, "target_value_max": t.value_max,
           "unit": t.unit or "", "comparison": t.comparison or "", "tolerance": t.tolerance, "base_year": t.base_year,
           "target_year": t.target_year, "as_of": as_of.label, "plan_ended": ended, "note": t.note or "",
           "note_en": t.note_en or "", "time_elapsed_share": elapsed_share(t, as_of)}
    judgement = Judgement(row)

    def verdict(key: str, basis: str, p: float | None = None) -> Judgement:
        v = verdicts[key]
        row.update(verdict=v.get("family", key), verdict_key=key, verdict_zh=v["zh"], verdict_en=v["en"], basis=basis)
        if p is not None and "p_met" not in row:
            row["p_met"] = round(float(p), 2)
        return judgement

    if t.type == "milestone":
        return verdict("no_public_data", "no published figure or department return on this milestone")
    if data is None or data.empty:
        # nothing at all published for Haimen (no level, rate, bound, year-to-date or unverified figure): "no public
        # data", for every type, as the briefing's legend defines it; "insufficient data" means figures exist
        # but are too few to judge (was: insufficient data for levels, shares and growth, a contradiction)
        return verdict("no_public_data", "no published Haimen figure for this indicator")

    row.update(progress.deterministic(t, data, cfg))
    code, zh, en = progress_class(cfg, row.get("growth_ratio"))
    row.update(progress_class=code, progress_class_zh=zh, progress_class_en=en)
    reading = rules.read(t, data, fc, cfg, as_of, origin_level, base_sd, rng_key=t.id)
    p = model_layer.model_layer(t, reading, fc, cfg, row, judgement, n_points)
    fig = reading.figure
    if fig is not None:
        row.update(figure_value=fig.value, figure_period=fig.period, figure_status=fig.status_label,
                   figure_obs_ids="; ".join(fig.obs_ids), figure_ids="; ".join(fig.figure_ids))
    key = settle(fig, t, cfg, reading.years) if fig is not None and not reading.insufficient else None
    what = rules.describe(fig, t) if fig is not None else ""
    if key is not None:
        if key == "pending_unverified":
            basis = f"only an unverified figure: {what} (an indication, not evidence)"
        elif key == "pending_crosscheck":
            basis = f"{what} from a copy not yet checked against the official publication (转载，待核对)"
        elif key == "pending_revision":
            basis = f"{what}: within the usual revision of an estimate from the target"
        elif key == "pending_rounding":
            basis = f"{what}: printed rounded (±{fig.rounding:.3g}), and the target line lies within the rounding"
        else:
            basis = what
        return verdict(key, basis + (f"; {reading.note}" if reading.note else ""), p)
    if reading.insufficient:
        return verdict("insufficient_data", reading.insufficient)
    lead = (f"{t.target_year} figure not yet in the data" if ended else "")
    if fig is not None:           # a short lower bound
        lead = (lead + "; " if lead else "") + f"{what}: only a lower bound"
    if p is None:
        if reading.no_model_outlook and not ended:
            return verdict(reading.no_model_outlook, reading.note or "against time elapsed; no model for counts")
        if ended and reading.note:
            return verdict("pending_publication", "; ".join(x for x in (lead, reading.note) if x))
        return verdict("insufficient_data", "; ".join(x for x in (lead, reading.note, fc_reason or "no forecast for the target year") if x))
    model = f"{len(fc.members)} model(s) from {fc.origin}" if fc is not None else "model"
    basis = "; ".join(x for x in (lead, model, reading.note) if x)
    if ended:
        return verdict("pending_publication", basis, p)
    return verdict(status_from_p(cfg, p), basis, p)

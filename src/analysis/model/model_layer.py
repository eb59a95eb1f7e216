"""The model layer of a verdict: P(target met), bands and the confidence grade from the paths a reader produced.

A target type's reader (rules.py) turns the simulated forecast paths into
paths of the quantity the target compares (a level, an average growth rate, a
sum of additions); here they become P(met), the 50/80/95 % bands, P(met)
under each model alone, and a confidence grade that decides whether P(met)
is worded as a likelihood (medium/high) or shown with "low confidence".
"""
from __future__ import annotations

import numpy as np

from analysis.core.config import Config, Target
from analysis.model.evidence import BAND_QUANTILES, Judgement, Reading, avg_growth_pct, meets, word
from analysis.model.forecast import Forecast


def confidence(cfg: Config, n_points: int, members: int, spread: float) -> str:
    """high / medium / low: how far the model's probability can be read as a likelihood."""
    for grade in ("high", "medium"):
        c = cfg.settings["assessment"]["confidence"][grade]
        if n_points >= c["min_points"] and members >= c["min_members"] and spread <= c["max_spread"]:
            return grade
    return "low"


def model_layer(t: Target, reading: Reading, fc: Forecast | None, cfg: Config, row: dict, judgement: Judgement,
                n_points: int) -> float | None:
    """P(met), bands, per-member P and the confidence grade from the paths a reader produced."""
    if reading.paths is None or fc is None:
        return None
    ens = reading.paths["ensemble"]
    if reading.bound is not None and (ens >= reading.bound).any():
        ens = ens[ens >= reading.bound]                  # 'exceeded X': keep the paths that respect it
    p = float(meets(ens, t).mean())
    q = {k: float(np.quantile(ens, v)) for k, v in BAND_QUANTILES.items()}
    row.update({f"projection_{k}": v for k, v in q.items()})
    judgement.member_p = {k: float(meets(v, t).mean()) for k, v in reading.paths.items() if k != "ensemble"}
    spread = max(judgement.member_p.values()) - min(judgement.member_p.values()) if judgement.member_p else 1.0
    grade = confidence(cfg, n_points, len(fc.members), spread)
    row.update(projection_year=t.target_year, p_met=round(p, 2), forecast_origin=fc.origin, confidence=grade,
               members_used=", ".join(fc.members), forecast_notes="; ".join(fc.notes), member_spread=round(spread, 2),
               members_dropped="; ".join(f"{k}: {v}" for k, v in fc.dropped.items()),
               member_p_met="; ".join(f"{k}: {v:.2f}" for k, v in judgement.member_p.items()),
               peer_years=",".join(str(y) for y in fc.peer_years if y <= t.target_year),
               peer_obs_ids=",".join(o for y, o in fc.peer_rows if y <= t.target_year), forecast_calibers=fc.calibers)
    if grade == "low":
        row["likelihood_zh"], row["likelihood_en"] = "低置信度", "low confidence"
    else:
        row["likelihood_zh"], row["likelihood_en"] = word(cfg, p)
    base = row.get("base_value")
    if t.type == "avg_growth":
        row["anticipated_growth_pct"] = q["q50"]
    elif t.type in ("level", "share") and base:
        row["anticipated_growth_pct"] = avg_growth_pct(q["q50"] / base, t.target_year - t.base_year)
    required = row.get("required_growth_pct")
    if required and required > 0 and row.get("anticipated_growth_pct") is not None:
        row["anticipated_ratio"] = row["anticipated_growth_pct"] / required
    return p

"""The evidence ladder: which published figure can settle a verdict, and how firmly.

A verdict rests on a named figure with its status (config/settings.yaml,
assessment.evidence): a final, preliminary or published official figure (or
a faithful secondary copy of one) settles it; an estimate (预计), a figure
derived from printed growth, an approximate figure or a department return
settles it as "(estimate)" unless its distance to the target is inside the
usual estimate-to-final revision, when it is pending; an unverified figure
never settles it (pending an official figure); a lower bound (突破 X) settles
it only when X itself meets the target. The 左右 tolerance enters only here,
in the met / not-met decision.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from analysis.core.config import Config, Target
from analysis.core.quarters import Quarter

BAND_QUANTILES = {"q025": 0.025, "q10": 0.10, "q25": 0.25, "q50": 0.50, "q75": 0.75, "q90": 0.90, "q975": 0.975}
STATUS_ORDER = ("estimate", "reported", "preliminary", "final")        # weakest first
RELIABILITY_ORDER = ("unverified", "aggregator", "mirror", "department", "secondary", "official")
# figures that give a bound, never a level (parse.py: the words): 突破/超过 X strict, 以上/不少于 X inclusive, 近/不足 X below
LOWER_BOUNDS = ("lower_bound", "at_least")
BOUNDS = (*LOWER_BOUNDS, "upper_bound")
SETTLES_NOT_MET = ("not_achieved", "not_achieved_estimate")
SETTLES_MET = ("achieved", "achieved_estimate", "broadly_achieved", "broadly_achieved_estimate")
# verdict families a figure settled (the briefing gives the figure, not a probability)
SETTLED_FAMILIES = ("achieved", "broadly_achieved", "not_achieved")


# ------------------------------------------------------------------ numbers --
def threshold(t: Target) -> float:
    """The value a figure must reach to count as met: the target, less the tolerance for 左右."""
    return float(t.value) - (float(t.tolerance) if t.comparison == "about" else 0.0)


# Figures are compared with the target at this many decimals: a rate computed from printed figures
# ((172.8 / 100) ** (1 / 3) - 1 = 19.999999999999996 %) or a converted unit (6,400,000人次 × 0.0001) must not miss or
# pass the line by floating-point noise; no printed figure carries nine decimals.
COMPARE_DECIMALS = 9


# Rates (growth, shares: unit %) are published to one decimal; a rate derived from printed figures is compared
# at that precision too, as an evaluator would print it: 8.99 % is 9.0 % and meets "10 % 左右" (9.0 and up).
PCT_DECIMALS = 1


def at_precision(values: np.ndarray | float, t: Target) -> np.ndarray:
    """values as an evaluator compares them: rates rounded half up to PCT_DECIMALS, anything else to
    COMPARE_DECIMALS (floating-point noise only). The scaled value is first rounded to six decimals, so that
    8.95 stored as 8.9499999999 rounds to 9.0 on every machine (no decision on the last bits)."""
    values = np.round(np.asarray(values, dtype=float), COMPARE_DECIMALS)
    if t.unit == "%" or t.type == "avg_growth":
        scale = 10.0 ** PCT_DECIMALS
        return np.floor(np.round(values * scale, 6) + 0.5) / scale
    return values


def meets(values: np.ndarray | float, t: Target) -> np.ndarray:
    """Met at the line: the target, less the 左右 tolerance (完成 or 基本完成)."""
    values = at_precision(values, t)
    if t.comparison == ">":
        return values > round(float(t.value), COMPARE_DECIMALS)
    return values >= round(threshold(t), COMPARE_DECIMALS)


def meets_number(values: np.ndarray | float, t: Target) -> np.ndarray:
    """Met at the number itself, without the 左右 tolerance: 完成 rather than 基本完成."""
    values = at_precision(values, t)
    if t.comparison == ">":
        return values > round(float(t.value), COMPARE_DECIMALS)
    return values >= round(float(t.value), COMPARE_DECIMALS)


def broadly(key: str, fig_value: float, t: Target) -> str:
    """An 'achieved' key of a 左右/约 target met only within its tolerance becomes its 基本完成 twin."""
    if key.startswith("achieved") and t.comparison == "about" and not bool(meets_number(fig_value, t)):
        return "broadly_" + key
    return key


def _line(t: Target) -> float:
    """The number a figure is compared with: the target (for '>'), else the target less its 左右 tolerance."""
    return round(float(t.value) if t.comparison == ">" else threshold(t), COMPARE_DECIMALS)


def bound_meets(bound: float, t: Target, strict: bool = True) -> bool:
    """Whether a lower bound settles the target as met.

    'More than X' (突破/超过/逾 X, strict) allows only values above X, so X at or above the line meets a '>' target
    as well as a '>=' one (a published '突破650亿元' meets '突破650亿元'). 'At least X' (X以上/不少于X, inclusive)
    allows X itself: it meets a '>=' target at X, a '>' target only above it. One rule for every target type
    that compares with a line: levels, growth rates built on a bound, counts."""
    x = float(at_precision(bound, t))
    if t.comparison == ">" and not strict:
        return bool(x > _line(t))
    return bool(x >= _line(t))


def upper_fails(bound: float, t: Target) -> bool:
    """Whether an upper bound (近/接近/不足 X: just below X) settles the target as not met: every value below X
    misses the line when X is at or below it (近118 against 达120)."""
    return bool(float(at_precision(bound, t)) <= _line(t))


def avg_growth_pct(ratio: float, years: int) -> float:
    return 100 * (ratio ** (1 / years) - 1) if years > 0 and ratio > 0 else np.nan


def compound_share(rate_pct: float, t: float, span: float) -> float:
    """Share of the way from base to target after t of span years on the compound path: ((1+r)^t-1)/((1+r)^T-1).

    A series growing exactly at the required rate is always 'on time' on this
    path; the conventional linear share t/T makes it read as lagging.
    """
    r = rate_pct / 100
    if span <= 0:
        return np.nan
    if abs(r) < 1e-12:
        return t / span
    return ((1 + r) ** t - 1) / ((1 + r) ** span - 1)


def elapsed_share(t: Target, as_of: Quarter) -> float:
    """Share of the plan period (end of base year to end of target year) elapsed at the end of the as_of quarter."""
    span = t.target_year - t.base_year
    if span <= 0:
        return np.nan
    now = as_of.year - 1 + as_of.q / 4                     # years since 1 Jan of year 0, at quarter end
    return float(min(max((now - t.base_year) / span, 0.0), 1.0))


# --------------------------------------------------------------- evidence --
@dataclass(frozen=True)
class Figure:
    """A published figure a verdict may rest on, with what makes it more or less final."""

    value: float
    period: str                          # "2024", "2022-2024"
    status: str = "reported"             # final, preliminary, reported, estimate, printed growth
    reliability: str = "official"
    qualifier: str = ""
    derived: bool = False
    obs_ids: tuple[str, ...] = ()
    figure_ids: tuple[str, ...] = ()     # ids in reports/<q>/figures.csv (figures.figure_id): what a reader looks up
    rounding: float = 0.0                # a rounded figure: half its last printed digit (assess.rounding_half_width)

    @property
    def status_label(self) -> str:
        label = self.status
        if self.qualifier == "approximately":
            label += ", approximate"
        if self.qualifier == "lower_bound":
            label += ", lower bound"
        if self.qualifier == "at_least":
            label += ", at least"
        if self.qualifier == "upper_bound":
            label += ", upper bound"
        if self.derived:
            label += ", derived"
        if self.reliability in ("unverified", "department", "mirror", "aggregator"):
            label += f", {self.reliability}"
        return label


def combine(figures: list[Figure], value: float, period: str, status: str | None = None) -> Figure:
    """One figure built from several (a sum, a chain of growth rates): as final as the weakest of them."""
    statuses = [f.status for f in figures if f.status in STATUS_ORDER]
    rels = [f.reliability for f in figures if f.reliability in RELIABILITY_ORDER]
    quals = {f.qualifier for f in figures}
    return Figure(value, period,
                  status or (min(statuses, key=STATUS_ORDER.index) if statuses else "reported"),
                  min(rels, key=RELIABILITY_ORDER.index) if rels else "official",
                  "approximately" if "approximately" in quals else "",
                  any(f.derived for f in figures), tuple(i for f in figures for i in f.obs_ids),
                  tuple(dict.fromkeys(i for f in figures for i in f.figure_ids)))


def distance(value: float, t: Target, years: int = 1) -> float:
    """Relative distance of a figure from the met / not-met line, in level terms (a 3 % revision moves it by 0.03)."""
    thr = threshold(t)
    if t.type == "avg_growth":
        return ((1 + value / 100) / (1 + thr / 100)) ** years - 1
    return value / thr - 1 if thr else np.inf


def settle(fig: Figure, t: Target, cfg: Config, years: int = 1) -> str | None:
    """The verdict key a figure supports on the evidence ladder, or None when it cannot decide (a short lower bound)."""
    ev = cfg.settings["assessment"]["evidence"]
    if fig.qualifier in LOWER_BOUNDS:
        ok = bound_meets(fig.value, t, strict=fig.qualifier == "lower_bound")
    elif fig.qualifier == "upper_bound":
        ok = False
    else:
        ok = bool(meets(fig.value, t))
    if fig.reliability in ev["never_settles"]:
        return "pending_unverified"
    if fig.reliability in ev.get("crosscheck_first", ()):
        return "pending_crosscheck"     # a mirror or aggregator: 转载，待核对 until checked against the original
    if fig.qualifier in LOWER_BOUNDS and not ok:
        return None                     # 'more than X' with X short of the line decides nothing
    if fig.qualifier == "upper_bound" and not upper_fails(fig.value, t):
        return None                     # 'just below X' with X above the line decides nothing
    if fig.rounding > 0 and bool(meets(fig.value - fig.rounding, t)) != bool(meets(fig.value + fig.rounding, t)):
        return "pending_rounding"       # the line lies inside the rounding of the printed figure
    margins = ev["revision_margin_pct"]
    kinds = [k for k, flag in (("estimate", fig.status == "estimate"), ("derived", fig.derived),
                               ("approximately", fig.qualifier == "approximately"),
                               ("department", fig.reliability == "department")) if flag]
    margin = max((float(margins.get(k, 0)) for k in kinds), default=0.0)
    if kinds:
        if abs(distance(fig.value, t, years)) * 100 < margin:
            return "pending_revision"
        return broadly("achieved_estimate", fig.value, t) if ok else "not_achieved_estimate"
    return broadly("achieved", fig.value, t) if ok else "not_achieved"


def firmest_failure(failing: list[Figure], t: Target, cfg: Config) -> Figure:
    """The figure an every-period target fails on: a firm one (final, preliminary, reported) before an estimate.

    One period short settles the target; when a final figure already fails, the
    verdict is "not achieved" on it, not "not achieved (estimate)" on a lower
    estimate of another period. Among figures equally firm, the lowest.
    """
    firm = [f for f in failing if settle(f, t, cfg) == "not_achieved"]
    return min(firm or failing, key=lambda f: f.value)


# ------------------------------------------------------------ judgement --
@dataclass
class Judgement:
    """What the assessment says about one target (one row of assessment.csv)."""

    row: dict
    member_p: dict[str, float] = field(default_factory=dict)   # P(met) under each member alone


@dataclass
class Reading:
    """What a target type's rule finds in the figures: a deciding figure, or paths for the model layer."""

    figure: Figure | None = None          # the figure the verdict rests on (or an indication)
    years: int = 1                        # years the figure spans (for the revision margin of growth)
    paths: dict[str, np.ndarray] | None = None
    bound: float | None = None            # a short lower bound: the paths must respect it
    insufficient: str = ""                # why the target cannot be judged from what is published
    note: str = ""                        # shown in the basis
    no_model_outlook: str = ""            # counts: on_track / at_risk by time elapsed (no model)




def status_from_p(cfg: Config, p: float) -> str:
    a = cfg.settings["assessment"]
    return "on_track" if p >= a["p_on_track"] else "at_risk" if p >= a["p_off_track"] else "off_track"


def word(cfg: Config, p: float) -> tuple[str, str]:
    """IPCC calibrated likelihood words (Chinese, English) for a probability."""
    for band in cfg.settings["assessment"]["likelihood"]:
        if p >= band["min"]:
            return band["zh"], band["en"]
    return cfg.settings["assessment"]["likelihood"][-1]["zh"], cfg.settings["assessment"]["likelihood"][-1]["en"]


def progress_class(cfg: Config, ratio: float | None) -> tuple[str, str, str]:
    """Eurostat / Statistics Canada class of actual against required average growth: (code, zh, en)."""
    if ratio is None or not np.isfinite(ratio):
        return "", "", ""
    for band in cfg.settings["assessment"]["progress_classes"]:
        if ratio >= band["min"]:
            return band["code"], band["zh"], band["en"]
    return "", "", ""


def rounding_half_width(printed: object, value: float) -> float:
    """Half a unit of the last printed digit of a rounded figure, in the canonical unit of value (0: unknown).

    "6.4" printed in millions and stored as 640万 has a last digit of 0.1 million: half of it is 5万. The
    printed number and the stored value give the unit factor, whatever the unit was.
    """
    m = re.search(r"[-+]?\d[\d,]*(?:\.(\d+))?", str(printed or ""))
    if not m:
        return 0.0
    number = float(m.group(0).replace(",", ""))
    if not number or not np.isfinite(value):
        return 0.0
    decimals = len(m.group(1) or "")
    return abs(0.5 * 10.0 ** (-decimals) * value / number)

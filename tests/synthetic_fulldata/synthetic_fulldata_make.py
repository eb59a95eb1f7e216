"""Write the synthetic full-data scenario: made-up figures for every target of config/targets.yaml that has an indicator.

Why: the shipped data cover only a handful of targets, so the briefing's layout is never tried at its largest (every
target with a figure, a projection and a verdict). This scenario is that worst case, and a scenario whose verdicts
are known by design (OUTCOMES below), so the briefing's summary counts can be checked against numbers that do not
come from the code under test.

Every file it writes is named synthetic_*, every row says "SYNTHETIC" in its source title and "synthetic test data" in
its notes; a raw folder holding such files makes every report built from it carry the watermark 示例数据 / synthetic
example (analysis.report.synthetic). Nothing here is a real figure.

Run from the repository root to regenerate the committed CSVs (deterministic; no randomness):
    .venv/bin/python tests/synthetic_fulldata/synthetic_fulldata_make.py

Design, judged at 2025Q2 (the plan ended with 2024):
- achieved: the 2024 figure (or the additions 2022-2024, or every year's figure) meets the target with room;
- not_achieved: it falls clearly short (about 20 % below, or growth 10 points below);
- pending: the series stops at 2023 (the 2024 figure "not yet published"), or the only 2024 figure is from an
  unverified source (tourism revenue);
- targets without an indicator in the registry (counts of things built, milestones) cannot receive published
  figures: they stay "no public data" (they need department returns).
"""
from __future__ import annotations

import csv
from pathlib import Path

import yaml

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
HEADER = ["indicator", "region", "year", "period", "value", "unit", "growth_pct", "qualifier", "status",
          "published", "reliability", "source_title", "source_url", "publisher", "notes"]
YEARS = range(2016, 2025)            # levels from 2016: enough points for every model

# target id -> designed outcome at 2025Q2 (achieved / not_achieved / pending / pending_unverified)
OUTCOMES = {
    "new_service_firms": "achieved", "new_producer_service_firms": "not_achieved",
    "key_service_revenue_growth": "not_achieved", "new_trade_hospitality_firms": "achieved",
    "retail_sales_growth": "pending", "retail_sales_level": "pending",
    "new_service_employees": "achieved", "tech_service_firms": "achieved", "tech_service_firms_100m": "achieved",
    "tech_service_revenue": "not_achieved", "external_tech_service_projects": "achieved",
    "software_it_firms": "achieved", "software_it_revenue_growth": "not_achieved",
    "new_software_it_employees": "achieved", "private_fund_managers": "achieved", "private_fund_aum": "pending",
    "loan_balance": "achieved", "new_transport_firms": "achieved", "container_throughput": "not_achieved",
    "port_cargo_throughput": "achieved", "rural_logistics_coverage": "achieved",
    "service_outsourcing_value": "pending", "service_outsourcing_firms": "achieved",
    "new_outsourcing_employees": "not_achieved", "ecommerce_growth": "achieved", "ecommerce_trainees": "achieved",
    "new_ecommerce_employees": "achieved", "flagship_first_stores": "achieved", "museum_visits": "pending",
    "culture_value_added": "achieved", "tourism_revenue": "pending_unverified", "tourist_visits": "achieved",
    "above_size_culture_firms": "achieved", "new_four_star_hotels": "achieved", "key_service_projects": "achieved",
    "tax_buildings_50m": "not_achieved",
    # counts of things built or designated, linked to indicators in issue 24 point 7
    "agglomeration_demo_zones": "achieved", "integration_benchmark_firms": "achieved",
    "leading_service_firms": "not_achieved", "tech_core_zone": "achieved", "incubation_clusters": "achieved",
    "national_industrial_internet_platform": "not_achieved", "provincial_internet_benchmark_firms": "achieved",
    "financial_regional_headquarters": "not_achieved", "provincial_logistics_park": "achieved",
    "feature_shopping_streets": "achieved", "night_economy_clusters": "achieved", "new_4a_scenic_area": "achieved",
    "new_provincial_resort": "not_achieved", "new_leisure_street": "achieved", "key_culture_park": "achieved",
    "culture_demo_bases": "not_achieved", "investment_promotion_events": "achieved",
}


def _row(indicator: str, year: int, value: float, unit: str, growth: float | None = None,
         reliability: str = "official", source: str = "statistical bulletin") -> dict[str, str]:
    return {"indicator": indicator, "region": "海门", "year": str(year), "period": "全年", "value": f"{value:g}",
            "unit": unit, "growth_pct": "" if growth is None else f"{growth:.1f}", "qualifier": "", "status": "final",
            "published": f"{year + 1}-02-20", "reliability": reliability,
            "source_title": f"SYNTHETIC {source} {year} (test data, not a real figure)",
            "source_url": f"https://example.org/synthetic/{indicator}/{year}", "publisher": "",
            "notes": "synthetic test data"}


INTEGER_UNITS = {"家", "个", "项", "幢", "场", "人", "人次"}


def _series(indicator: str, unit: str, end_value: float, growth_pct: float, last_year: int, **kw) -> list[dict]:
    """Levels 2016..last_year growing at growth_pct a year to end_value, with the printed growth beside each
    (not for whole-number counts: rounding small counts would make the printed growth disagree with the levels)."""
    rows, g = [], 1 + growth_pct / 100
    whole = unit in INTEGER_UNITS
    for y in YEARS:
        if y > last_year:
            break
        exact = end_value / g ** (last_year - y)
        value = round(exact) if whole else round(exact, 3 if end_value < 10 else 1)
        printed = growth_pct if y > YEARS[0] and not whole else None
        rows.append(_row(indicator, y, value, unit, printed, **kw))
    return rows


def rows_for(t: dict, indicator: dict, outcome: str) -> list[dict]:
    """The figures one target needs to get its designed outcome (only the target's own rule decides: see judge.py)."""
    ind, unit, value, kind = t["indicator"], indicator["unit"], float(t["value"]), t["type"]
    good = outcome == "achieved"
    if outcome in ("pending", "pending_unverified"):
        # the series stops at 2023: at 2025Q2 the plan has ended and the 2024 figure is not yet out
        end = 100.0 if kind == "avg_growth" else value * 0.93
        rows = _series(ind, unit, end, 6.0 if kind != "share" else 1.0, 2023)
        if outcome == "pending_unverified":
            rows.append(_row(ind, 2024, round(value * 1.05, 1), unit, reliability="unverified", source="Q&A page"))
        return rows
    if kind == "avg_growth":
        if t.get("comparison") == ">=":
            rate = value + 3 if good else value - 10       # every year above the bar, or every year below it
        else:
            rate = value if good else value - 10           # exactly the plan's rate, or 10 points short
        return _series(ind, unit, 100.0, rate, 2024)
    if kind == "cumulative":
        total = value if t.get("comparison") == "about" else value * (1.15 if good else 0.75)
        shares = (0.3, 0.33, 0.37)
        per_year = [round(total * s) if unit in INTEGER_UNITS else round(total * s, 2) for s in shares]
        return [_row(ind, y, v, unit) for y, v in zip((2022, 2023, 2024), per_year)]
    if kind == "count" and t.get("per") == "year":
        return [_row(ind, y, value + (1 if good else -2), unit) for y in (2022, 2023, 2024)]
    if kind == "count" and t.get("per") == "quarter":
        # year-to-date counts (1-3月 .. 全年): every quarter holds `value` events, or one fewer
        per_quarter = value if good else value - 1
        rows = []
        for y in (2022, 2023, 2024):
            for q, period in enumerate(("1-3月", "1-6月", "1-9月", "全年"), start=1):
                rows.append({**_row(ind, y, per_quarter * q, unit), "period": period})
        return rows
    if kind == "count":      # never below 0 (a count of 1 to reach falls short at 0)
        return [_row(ind, y, max(0.0, value + d), unit) for y, d in ((2022, -2), (2023, -1), (2024, 1 if good else -2))]
    if kind == "share":
        return _series(ind, unit, min(value + 3, 99.0) if good else value - 8, 1.0, 2024)
    return _series(ind, unit, value * (1.08 if good else 0.8), 6.0, 2024)     # a level: the 2024 figure decides


def main() -> None:
    targets = yaml.safe_load((ROOT / "config" / "targets.yaml").read_text(encoding="utf-8"))["targets"]
    indicators = yaml.safe_load((ROOT / "config" / "indicators.yaml").read_text(encoding="utf-8"))["indicators"]
    with_indicator = [t for t in targets if t.get("indicator")]
    missing = {t["id"] for t in with_indicator} - set(OUTCOMES)
    assert not missing, f"give these targets an outcome in OUTCOMES: {sorted(missing)}"
    rows, seen = [], set()
    # a level target first: where two targets share an indicator (retail sales), the level sets the series' size
    for t in sorted(with_indicator, key=lambda t: t["type"] != "level"):
        if t["indicator"] in seen:          # retail sales: one series serves both retail targets
            continue
        seen.add(t["indicator"])
        rows += rows_for(t, indicators[t["indicator"]], OUTCOMES[t["id"]])
    for old in HERE.glob("synthetic_*.csv"):
        old.unlink()
    with open(HERE / "synthetic_fulldata_release.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    with open(HERE / "synthetic_fulldata_design.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["target", "designed_outcome"])
        writer.writerows(sorted(OUTCOMES.items()))


if __name__ == "__main__":
    main()

"""Comparator regions' printed growth beside P (issue 25 point 7): context for the reader, never part of P."""
import json

import pandas as pd

from analysis.core.config import load_config
from analysis.model.peers import add_peer_growth, peer_growth, read_peer_growth
from analysis.report.briefing import peers_words


def synthetic_observations() -> pd.DataFrame:
    """Synthetic rows: what the clean step leaves for one indicator in four regions."""
    rows = [
        # region, year, period, month_to, growth, status, reliability, role, visible
        ("海门", 2024, "2024年1-6月", 6, 0.3, "reported", "official", "selected", True),      # home: never a peer
        ("南通", 2024, "2024年1-2月", 2, 2.8, "reported", "official", "selected", True),
        ("南通", 2024, "2024年1-7月", 7, 3.1, "reported", "official", "selected", False),     # not visible yet
        ("海安", 2023, "2023年", 12, 6.0, "estimate", "mirror", "selected", True),
        ("通州", 2023, "2023年", 12, 9.9, "reported", "unverified", "excluded", True),        # never used: not a peer
        ("海安", 2019, "2019年", 12, 7.0, "reported", "official", "selected", True),          # before the plan
        ("海安", 2022, "2022年", 12, 1.0, "reported", "official", "superseded", True),        # replaced: not a peer
    ]
    frame = pd.DataFrame(rows, columns=["region", "year", "period", "month_to", "growth_pct", "status", "reliability",
                                        "role", "visible"])
    frame["indicator"] = "retail_sales"
    return frame


def test_peers_are_the_used_visible_rates_of_other_regions_in_the_plan_years_newest_first():
    found = peer_growth(synthetic_observations(), "海门", "retail_sales", 2022, 2025)
    assert [(p["region"], p["period"], p["growth_pct"]) for p in found] == [("南通", "2024年1-2月", 2.8),
                                                                             ("海安", "2023年", 6.0)]
    assert peer_growth(synthetic_observations(), "海门", "gdp", 2022, 2025) == []
    assert len(peer_growth(synthetic_observations(), "海门", "retail_sales", 2022, 2025, limit=1)) == 1


def test_the_assessment_column_round_trips_and_is_empty_without_peers():
    cfg = load_config()
    table = pd.DataFrame({"target": ["a", "b", "c"], "indicator": ["retail_sales", "gdp", None],
                          "base_year": [2021, 2021, 2021]})
    out = add_peer_growth(table, synthetic_observations(), cfg, 2025)
    assert [len(read_peer_growth(c)) for c in out["peer_growth"]] == [2, 0, 0]
    assert out.loc[1, "peer_growth"] == "" and read_peer_growth(None) == [] and read_peer_growth("not json") == []
    assert json.loads(out.loc[0, "peer_growth"])[1]["status"] == "estimate"


def test_the_briefing_names_each_peer_with_its_period_and_an_estimate_as_such():
    cfg = load_config()
    row = pd.Series({"peer_growth": json.dumps(peer_growth(synthetic_observations(), "海门", "retail_sales", 2022, 2025),
                                               ensure_ascii=False)})
    assert peers_words(row, cfg, "zh") == "；周边参照：南通2024年1—2月增长2.8%、海安2023年增长6.0%（预计数）"
    assert peers_words(row, cfg, "en") == ("; growth in neighbouring areas: Nantong 2.8% in Jan-Feb 2024, "
                                           "Haian 6.0% in 2023 (estimate)")
    assert peers_words(pd.Series({"peer_growth": ""}), cfg, "zh") == ""

"""The target registry against the plan text (data/raw/plan/).

Every target's wording is the plan's, its value appears in each clause it
cites, and every Arabic number in a numbered clause is accounted for by a
target or by an entry in not_targets (names, grades, thresholds). Years
(2022年, 到2024年) are dates, not targets.
"""
import re

import pytest

from analysis.core import paths


def plan_clauses() -> dict[str, str]:
    """Clause id -> text: 二.1-二.3 for the goals, 1-33 for the numbered items of 三 and 四."""
    text = paths.PLAN_TEXT.read_text(encoding="utf-8")
    goals = text.split("二、发展目标")[1].split("三、重点领域")[0]
    items = text.split("三、重点领域")[1].split("五、保障措施")[0]
    clauses = {}
    for prefix, part in (("二.", goals), ("", items)):
        for m in re.finditer(r"^(\d+)\.(.*)$", part, flags=re.M):
            clauses[f"{prefix}{m.group(1)}"] = m.group(2)
    return clauses


CLAUSES = plan_clauses()


def fmt(v: float) -> str:
    return f"{v:g}"


def test_plan_has_the_expected_clauses():
    assert [c for c in CLAUSES if c.startswith("二.")] == ["二.1", "二.2", "二.3"]
    assert [int(c) for c in CLAUSES if not c.startswith("二.")] == list(range(1, 34))


def test_registry_covers_about_forty_targets_and_three_headlines(cfg):
    assert len(cfg.targets) >= 40
    assert {t.id for t in cfg.headline_targets} == {"retail_sales_level", "key_service_revenue_growth", "tourist_visits"}
    retail = next(t for t in cfg.targets if t.id == "retail_sales_level")
    assert (retail.value, retail.comparison, retail.target_year, retail.unit) == (650, ">", 2024, "亿元")
    revenue = next(t for t in cfg.targets if t.id == "key_service_revenue_growth")
    assert (revenue.type, revenue.value, revenue.comparison, revenue.base_year) == ("avg_growth", 25, "about", 2021)
    visits = next(t for t in cfg.targets if t.id == "tourist_visits")
    assert (visits.value, visits.comparison, visits.unit) == (640, ">", "万人次")


@pytest.mark.parametrize("target_id", [t for t in __import__("analysis.core.config", fromlist=["x"]).load_config().targets],
                         ids=lambda t: t.id)
def test_target_wording_and_value_are_in_its_clauses(target_id):
    t = target_id
    assert t.statement in CLAUSES[t.clause[0]], f"{t.id}: statement not found verbatim in clause {t.clause[0]}"
    if t.type == "milestone":
        return
    numbers = re.findall(r"\d+(?:\.\d+)?", t.statement)
    assert fmt(t.value) in numbers, f"{t.id}: value {t.value} is not in its statement"
    if t.value_max is not None:
        assert f"{fmt(t.value)}-{fmt(t.value_max)}" in t.statement
    for clause in t.clause:
        assert fmt(t.value) in re.findall(r"\d+(?:\.\d+)?", CLAUSES[clause]), f"{t.id}: {t.value} not in clause {clause}"


def test_every_number_in_a_clause_is_a_target_or_explained(cfg):
    missing = []
    for clause, text in CLAUSES.items():
        text = re.sub(r"20\d\d年", "", text)                     # dates
        for nt in cfg.not_targets:
            if nt["clause"] == clause:
                assert nt["text"] in text, f"not_targets entry {nt} is not in clause {clause}"
                text = text.replace(nt["text"], "")
        accounted = set()
        for t in cfg.targets:
            if clause in t.clause:
                accounted |= set(re.findall(r"\d+(?:\.\d+)?", t.statement.replace("2022年", "").replace("2023年", "").replace("2024年", "")))
        for number in re.findall(r"\d+(?:\.\d+)?", text):
            if number not in accounted:
                missing.append(f"clause {clause}: {number}")
    assert not missing, "numbers in the plan with no target: " + "; ".join(missing)


def test_every_target_unit_converts_to_its_indicator(cfg):
    for t in cfg.targets:
        if t.indicator and t.type not in ("avg_growth",):
            assert cfg.indicators[t.indicator].factor(t.unit) is not None, t.id


def test_about_targets_have_a_tolerance(cfg):
    abouts = [t for t in cfg.targets if t.comparison == "about"]
    assert {t.id for t in abouts} == {"key_service_revenue_growth", "retail_sales_growth", "flagship_first_stores"}
    assert all(t.tolerance and t.tolerance > 0 for t in abouts)


def test_every_name_says_what_it_measures(cfg):
    """A target read out of its clause must still say what is measured: 总量突破650亿元 alone names nothing."""
    for t in cfg.targets:
        if t.type == "milestone":
            continue
        assert f"{t.value:g}" in t.name_zh, t.id
        if t.indicator:
            ind = cfg.indicators[t.indicator]
            names = [ind.name_zh, *ind.aliases]
            stems = {n.removeprefix("新增").removeprefix("新培育").removeprefix("培育").removesuffix("数") for n in names}
            assert any(stem in t.name_zh for stem in stems), (t.id, t.name_zh, stems)


def test_plan_counts_53_targets_and_5_milestones(cfg):
    milestones = [t for t in cfg.targets if t.type == "milestone"]
    assert len(milestones) == 5 and len(cfg.targets) - len(milestones) == 53


def test_assumed_years_carry_a_note(cfg):
    """Clause 7 gives no year: the registry's 2024 is an assumption, said in both languages."""
    for tid in ("private_fund_managers", "private_fund_aum", "loan_balance", "container_throughput"):
        t = next(t for t in cfg.targets if t.id == tid)
        assert t.note and "2024" in t.note and t.note_en and "2024" in t.note_en, tid

"""Issue 24 point 7: every quantitative target reads an indicator of the registry, so a published figure or a
return can be entered for it; an unknown indicator names the nearest known ones and how to add one.

The figures are made up (synthetic releases under pytest's tmp_path); each expected verdict is worked out by hand
from the target's rule (config/targets.yaml, rules.py's docstring), not read off the code.
"""
import re

import pytest

from analysis.core.errors import InputError
from analysis.inputs.clean import run_clean
from analysis.inputs.ingest import ingest
from analysis.model.assess import assess
from conftest import synthetic_row, write_release

# the quantitative targets that had no indicator before this point (all of type count)
NEWLY_LINKED = ("agglomeration_demo_zones", "integration_benchmark_firms", "leading_service_firms", "tech_core_zone",
                "incubation_clusters", "national_industrial_internet_platform", "provincial_internet_benchmark_firms",
                "financial_regional_headquarters", "provincial_logistics_park", "feature_shopping_streets",
                "night_economy_clusters", "new_4a_scenic_area", "new_provincial_resort", "new_leisure_street",
                "key_culture_park", "culture_demo_bases", "investment_promotion_events")


def targets(cfg):
    return {t.id: t for t in cfg.targets}


# ------------------------------------------------------------------ the registry --
def test_every_quantitative_target_reads_an_indicator_of_the_registry(cfg):
    quantitative = [t for t in cfg.targets if t.type != "milestone"]
    assert len(quantitative) == 53
    missing = [t.id for t in quantitative if t.indicator is None]
    assert not missing, f"targets no figure can be entered for: {missing}"
    unknown = [(t.id, t.indicator) for t in quantitative if t.indicator not in cfg.indicators]
    assert not unknown
    # milestones stay without one (a return gives their progress, no number)
    assert all(t.indicator is None for t in cfg.targets if t.type == "milestone")


@pytest.mark.parametrize("tid", NEWLY_LINKED)
def test_a_newly_linked_count_target_has_a_count_indicator_in_its_own_unit(cfg, tid):
    t = targets(cfg)[tid]
    assert t.type == "count"
    ind = cfg.indicators[t.indicator]
    assert ind.kind == "count" and ind.non_negative
    assert ind.unit == t.unit and ind.factor(t.unit) == 1
    assert ind.bounds[0] == 0 and ind.bounds[1] >= 10 * t.value      # 0 is a count a return may give
    assert ind.name_zh and ind.name_en and ind.aliases
    # a planner reaches it by its Chinese name, its id and every alias
    for name in (ind.name_zh, ind.id, *ind.aliases):
        assert cfg.indicator_for(name) is ind, (tid, name)


@pytest.mark.parametrize("tid", NEWLY_LINKED)
def test_the_plans_own_wording_is_an_alias(cfg, tid):
    """Typing the plan's words (without the number: 培育形成两业融合标杆企业, 新增4A级旅游景区) finds the indicator."""
    t = targets(cfg)[tid]
    ind = cfg.indicators[t.indicator]
    plan_words = [re.sub(r"各?\d+(?:-\d+)?[个家场]", "", text) for text in (t.statement, t.name_zh)]
    assert any(alias in words for alias in ind.aliases for words in plan_words), (tid, plan_words, ind.aliases)


def test_additions_the_plan_asks_for_are_named_as_counts_since_the_plan_began(cfg):
    """A count target is judged on the latest count (a stock): where the plan asks for additions (再培育, 再创, 新增,
    引进), the indicator's name says the count runs from 2022, so nobody enters one year's additions."""
    for tid in ("financial_regional_headquarters", "provincial_logistics_park", "night_economy_clusters",
                "new_4a_scenic_area", "new_provincial_resort", "new_leisure_street"):
        ind = cfg.indicators[targets(cfg)[tid].indicator]
        assert "2022年以来累计" in ind.name_zh and "since 2022" in ind.name_en, tid


# ------------------------------------------------- a figure reaches the target's verdict --
def count_rows(indicator: str, unit: str, figures: dict[tuple[int, str], str]) -> list[dict[str, str]]:
    """Synthetic rows of one count: (year, period) -> value as printed, published after the period."""
    rows = []
    for (year, period), value in figures.items():
        months = 12 if period in ("全年", "年末") else int(period.split("-")[1].rstrip("月"))
        published = f"{year + 1}-02-01" if months == 12 else f"{year}-{months + 1:02d}-15"
        rows.append(synthetic_row(indicator=indicator, unit=unit, year=str(year), period=period, value=value,
                                  status="final", published=published,
                                  source_url=f"https://example.org/{year}-{months}"))
    return rows


def assessed(tmp_path, cfg, rows, as_of: str):
    write_release(tmp_path / "raw", "synthetic_counts.csv", rows)
    result = run_clean(as_of, raw_dir=tmp_path / "raw", out_dir=tmp_path / "clean", include_unverified=False)
    return result, assess(result, cfg).table.set_index("target")


def test_a_count_typed_in_the_plans_words_settles_its_target(tmp_path, cfg):
    # 新增4A级旅游景区1个: one new 4A area by the end of 2023 (final figure) meets ">= 1" a year early
    result, table = assessed(tmp_path, cfg, count_rows("新增4A级旅游景区", "个", {(2023, "年末"): "1"}), "2025Q2")
    obs = result.observations
    assert list(obs["indicator"]) == ["new_4a_scenic_area"] and list(obs["value"]) == [1.0]
    row = table.loc["new_4a_scenic_area"]
    assert row["indicator"] == "new_4a_scenic_area"
    assert row["verdict_key"] == "achieved" and row["verdict_zh"] == "已完成"
    assert row["figure_value"] == 1 and row["figure_period"] == "2023" and row["figure_status"] == "final"
    # the other two items of the same clause have their own indicators: this figure judges neither
    assert table.loc["new_provincial_resort", "verdict_key"] == "no_public_data"
    assert table.loc["new_leisure_street", "verdict_key"] == "no_public_data"


def test_a_count_short_of_its_target_is_not_achieved_at_the_end_and_at_risk_before(tmp_path, cfg):
    # 培育文化产业示范基地3家: 2 at the end of 2024 is one short
    _, table = assessed(tmp_path, cfg, count_rows("文化产业示范基地数", "家", {(2024, "年末"): "2"}), "2025Q2")
    row = table.loc["culture_demo_bases"]
    assert row["verdict_key"] == "not_achieved" and row["figure_value"] == 2 and row["figure_period"] == "2024"
    # while the plan runs (end of 2023: 2 of 3 years elapsed) 1 of 3 is a third of the way: at risk, gap 2
    _, table = assessed(tmp_path / "b", cfg, count_rows("culture_demo_bases", "家", {(2023, "年末"): "1"}), "2023Q4")
    row = table.loc["culture_demo_bases"]
    assert row["verdict_key"] == "at_risk" and "2 short of the target" in row["basis"]


def test_a_quarter_without_an_event_settles_the_per_quarter_target(tmp_path, cfg):
    # 每季度组织1-2场服务业招商活动: 1-3月 0 场 is a first quarter below 1 (quarters come from year-to-date counts)
    rows = count_rows("服务业招商活动", "场", {(2022, "1-3月"): "0", (2022, "1-6月"): "2"})
    _, table = assessed(tmp_path, cfg, rows, "2023Q4")
    row = table.loc["investment_promotion_events"]
    assert row["verdict_key"] == "not_achieved" and row["figure_period"] == "2022Q1" and row["figure_value"] == 0


def test_a_full_run_of_quarterly_counts_settles_the_per_quarter_target(tmp_path, cfg):
    # one event every quarter of 2022-2024 (year to date 1, 2, 3, 4): every quarter reaches 1 -> achieved
    figures = {(y, p): str(i) for y in (2022, 2023, 2024)
               for i, p in enumerate(("1-3月", "1-6月", "1-9月", "全年"), start=1)}
    _, table = assessed(tmp_path, cfg, count_rows("服务业招商活动", "场", figures), "2025Q2")
    assert table.loc["investment_promotion_events", "verdict_key"] == "achieved"


# ------------------------------------------------------------ an unknown indicator --
def unknown_indicator_problem(tmp_path, cfg, typed: str):
    write_release(tmp_path / "raw", "synthetic_unknown.csv", [synthetic_row(indicator=typed)])
    with pytest.raises(InputError) as exc:
        ingest(tmp_path / "raw", cfg)
    found = [p for p in exc.value.problems if p.column == "indicator"]
    assert len(found) == 1
    return found[0]


def test_an_unknown_indicator_names_the_nearest_and_how_to_add_one(tmp_path, cfg):
    p = unknown_indicator_problem(tmp_path, cfg, "社会消费品零售总")
    assert p.row == 2 and p.value == "社会消费品零售总" and p.file.endswith("synthetic_unknown.csv")
    assert p.message.startswith("不是已登记的指标") and p.message.endswith(" / is not a known indicator")
    zh, en = p.fix.split(" / ", 1)
    assert "社会消费品零售总额（retail_sales）" in zh and "社会消费品零售总额 (retail_sales)" in en
    for part in (zh, en):          # how to add one, in both languages: the entry and the target linked to it
        assert "config/indicators.yaml" in part and "config/targets.yaml" in part
        for key in ("name_zh", "aliases", "unit", "units", "kind", "bounds"):
            assert key in part, key
    text = str(p)                  # as the console prints it: file, row, column, value, fix
    assert 'row 2, column "indicator"' in text and '(value: "社会消费品零售总")' in text and "Fix: 最接近" in text


def test_the_nearest_indicators_are_at_most_three_best_first(tmp_path, cfg):
    # 规模以上科技服务业企业 (a year-end stock) is no alias of the firms cultivated: refused, but the nearest names
    # lead to them (新增规模以上科技服务业企业 is an alias of tech_service_firms, one prefix away)
    p = unknown_indicator_problem(tmp_path, cfg, "规模以上科技服务业企业")
    named = re.findall(r"（([a-z0-9_]+)）", p.fix.split(" / ", 1)[0])
    assert 1 <= len(named) <= 3 and named[0] == "tech_service_firms"
    assert len(set(named)) == len(named)
    # nothing near: no guess, still how to add one
    p = unknown_indicator_problem(tmp_path / "b", cfg, "qqqq")
    assert "最接近" not in p.fix and "did you mean" not in p.fix and "config/indicators.yaml" in p.fix

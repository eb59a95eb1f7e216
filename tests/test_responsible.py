"""Responsible units (issue 13): every target and milestone has the lead and partner units the plan names."""
import re

from analysis.core import paths
from analysis.inputs.responsible import lead_units, responsibilities

PLAN = paths.PLAN_TEXT.read_text(encoding="utf-8")


def item_text(clause: str) -> str:
    """The numbered item's line of the plan (parts 三 and 四), read here independently of the code under test."""
    items = PLAN.split("三、重点领域")[1].split("五、保障措施")[0]
    m = re.search(rf"^{clause}\.(.*)$", items, flags=re.M)
    assert m, f"item {clause} not in the plan"
    return m.group(1)


def test_every_target_and_milestone_has_a_lead_unit_from_its_own_clause(cfg):
    resp = responsibilities(cfg)
    assert set(resp) == {t.id for t in cfg.targets}
    for t in cfg.targets:
        r = resp[t.id]
        assert r.lead, t.id
        numbered = [c for c in t.clause if c.isdigit()]
        if not numbered:
            assert r.assumed and t.clause == ("二.3",), f"{t.id}: a target without a numbered item must be the one assumption"
            continue
        text = item_text(r.clause)
        assert r.clause == numbered[0], t.id
        # the names are the plan's, character for character, inside the parenthesis that ends the item
        assert text.rstrip().endswith(r.printed), t.id
        for name in (r.lead, *r.co_leads, *r.partners):
            assert name in r.printed, f"{t.id}: {name} not in {r.printed}"


def test_units_of_known_items_read_exactly_as_printed(cfg):
    resp = responsibilities(cfg)
    # item 2: (区科技局牵头,发改委、财政局、市监局、海鸿集团、各区镇配合)
    r = resp["tech_service_firms"]
    assert (r.lead, r.co_leads, r.partners) == ("区科技局", (), ("发改委", "财政局", "市监局", "海鸿集团", "各区镇"))
    # item 9: (区交通局牵头,各区镇配合)
    assert resp["port_cargo_throughput"].partners == ("各区镇",)
    # item 26 shares the lead by division of duties: (区发改委、住建局、商务局按职责分工负责,统计局、各区镇配合)
    r = resp["new_service_firms"]
    assert (r.clause, r.lead, r.co_leads, r.partners) == ("26", "区发改委", ("住建局", "商务局"), ("统计局", "各区镇"))
    # the employment goal (二.3) has no item: the collecting bureau of settings.yaml answers for it
    r = resp["new_service_employees"]
    assert r.assumed and r.lead == cfg.settings["departments"]["unassigned_lead"] and r.partners == ()


def test_every_lead_unit_has_an_english_name(cfg):
    names = cfg.settings["departments"]["names_en"]
    assert lead_units(cfg) and all(unit in names for unit in lead_units(cfg))

"""Who answers for each target: the lead and partner units the plan names after every numbered item.

Each numbered item of the plan (1-33 in parts 三 and 四) ends with the units
responsible for it, e.g. "（区科技局牵头，发改委、财政局、各区镇配合）": one
lead unit (牵头) and its partners (配合). Two items name several units that
share the lead "by division of duties" (区发改委、住建局、商务局按职责分工负责);
there the first named unit is the lead that receives the return form and
the others are co-leads, shown beside it.

The units are read from the plan text itself at run time (not copied into
config/targets.yaml), so the names are the plan's, character for character,
and a test checks that every target and milestone has them. A target is
answered for by the first numbered item among its clauses. A target whose
only clause is a goal of part 二 (二.3, new service-industry employment) has
no item of its own: the plan leaves it to every member of the service
leading group (五.(三)); its lead is config/settings.yaml
departments.unassigned_lead (the development-and-reform bureau, which
collects the returns), marked as an assumption.

The figures of some targets are statistics whoever leads their policy: the
growth rates (年均增长) and the counts of above-size firms newly entered in
the statistics database (规上入库). The statistics bureau (区统计局) returns
them on a form of its own (statistics_targets, forms.write_statistics_form).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from analysis.core import paths
from analysis.core.config import Config, Target
from analysis.core.errors import InputError, Problem

# "(区科技局牵头,发改委、财政局、各区镇配合)" or "(区发改委、住建局、商务局按职责分工负责,统计局、各区镇配合)"
_UNITS = re.compile(r"[（(](?P<lead>[^（）()]+?)(?P<how>牵头|按职责分工负责)(?:[,，、](?P<partners>[^（）()]*?)配合)?[）)]\s*$")
_ITEM = re.compile(r"^(\d+)\.(.*)$", flags=re.M)


@dataclass(frozen=True)
class Responsibility:
    """The units the plan names for one numbered item (names exactly as printed)."""

    clause: str                       # the item number ("2"), or "" when the plan names no item
    lead: str                         # 区科技局
    co_leads: tuple[str, ...] = ()    # units sharing the lead by division of duties (住建局, 商务局)
    partners: tuple[str, ...] = ()    # 配合: 发改委, 财政局, 各区镇
    printed: str = ""                 # the parenthesis as printed, for auditors
    assumed: bool = False             # the plan names no unit for the target: lead from settings


def _split(names: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in re.split(r"[、,，]", names) if n.strip())


def plan_items(text: str) -> dict[str, str]:
    """Item number -> text of the numbered items of parts 三 and 四 (the ones that name units)."""
    items = text.split("三、重点领域")[1].split("五、保障措施")[0]
    return {m.group(1): m.group(2) for m in _ITEM.finditer(items)}


def parse_units(item_text: str, clause: str) -> Responsibility | None:
    """The units at the end of one item, or None when the item names none."""
    m = _UNITS.search(item_text.strip())
    if not m:
        return None
    leads = _split(m.group("lead"))
    return Responsibility(clause, leads[0], leads[1:], _split(m.group("partners") or ""), m.group(0))


def read_plan_units(plan_text: Path = paths.PLAN_TEXT) -> dict[str, Responsibility]:
    """Item number -> its responsible units, read from the plan text; InputError when the text is missing."""
    rel = paths.relative(plan_text)
    try:
        text = Path(plan_text).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError([Problem(rel, f"cannot be read ({exc.strerror})",
                                  f"restore the plan text from the repository (git checkout -- {rel})")]) from None
    out = {}
    for clause, body in plan_items(text).items():
        r = parse_units(body, clause)
        if r is not None:
            out[clause] = r
    return out


def responsible_for(t: Target, cfg: Config, units: dict[str, Responsibility] | None = None) -> Responsibility:
    """The units answering for a target: those of the first numbered item it cites, else the assumed lead."""
    units = read_plan_units() if units is None else units
    for clause in t.clause:
        if clause in units:
            return units[clause]
    lead = str((cfg.settings.get("departments") or {}).get("unassigned_lead", "区发改委"))
    return Responsibility("", lead, assumed=True)


def responsibilities(cfg: Config, plan_text: Path = paths.PLAN_TEXT) -> dict[str, Responsibility]:
    """Target id -> its responsible units, for every target and milestone of the registry."""
    key = ("responsibilities", str(plan_text))
    if key not in cfg._memo:
        units = read_plan_units(plan_text)
        cfg._memo[key] = {t.id: responsible_for(t, cfg, units) for t in cfg.targets}
    return cfg._memo[key]


def lead_units(cfg: Config) -> list[str]:
    """Every lead unit that answers for at least one target, in the order of the plan's items."""
    seen: dict[str, None] = {}
    for t in cfg.targets:
        seen.setdefault(responsibilities(cfg)[t.id].lead, None)
    return list(seen)


def unit_en(cfg: Config, unit: str) -> str:
    """A unit's English name (settings.yaml departments.names_en); the Chinese name when none is given."""
    return str(((cfg.settings.get("departments") or {}).get("names_en") or {}).get(unit, unit))


# ------------------------------------------------------------------ the statistics bureau: data, not policy --
def statistics_unit(cfg: Config) -> str:
    """The statistics bureau (settings.yaml departments.statistics_unit; 区统计局 by default)."""
    return str((cfg.settings.get("departments") or {}).get("statistics_unit", "区统计局"))


def entry_target(t: Target) -> bool:
    """A target counted as above-size (规模以上) or above-quota (限额以上) enterprises added over the plan: what the
    statistics bureau counts as firms newly entered in its database (规上入库), year by year."""
    return t.type == "cumulative" and t.unit == "家" and any(w in (t.name_zh or t.statement) for w in ("规模以上", "限额以上"))


def statistics_targets(cfg: Config) -> list[Target]:
    """The targets whose figures the statistics bureau returns on its own form, whoever leads the policy: every
    average-growth rate (a growth rate is a statistic) and every 规上入库 count (entry_target), in plan order."""
    return [t for t in cfg.targets if t.type == "avg_growth" or entry_target(t)]

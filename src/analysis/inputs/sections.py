"""The plan's own sections, read from the plan text, so the briefing can group targets the way the plan does.

Why from the text: a planner reads the briefing beside the plan; grouping by the plan's own headings (二、发展目标
1.规模效益显著提升, 三、重点领域 (一)科技服务, 四、重点任务 (二)重点项目增效工程) lets them find each target where the
plan sets it. The Chinese names are the plan's words, parsed from data/raw/plan/; the English names are our
translation (SECTION_EN), keyed by the Chinese name so a wrong key shows up as a missing translation in the tests.

A target belongs to the section of the first clause the registry lists for it (config/targets.yaml: "二.1" is the
numbered goal 1 of part 二; a bare number is a numbered item of parts 三 or 四, which sit under a (一)...(八) heading).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from analysis.core import paths
from analysis.core.wording import clause_text

# our translation of the plan's headings (the plan has no English version)
SECTION_EN = {
    "发展目标": "Development goals", "重点领域": "Key sectors", "重点任务": "Key tasks",
    "规模效益显著提升": "Scale and returns", "载体能级显著提升": "Platforms and flagship firms",
    "就业带动显著提升": "Jobs",
    "科技服务": "Technology services", "软件和信息技术服务": "Software and IT services", "现代金融": "Modern finance",
    "现代物流": "Modern logistics", "服务外包": "Service outsourcing", "电子商务": "E-commerce",
    "现代商贸": "Modern commerce", "文化旅游": "Culture and tourism",
    "产业招商提质工程": "Investment promotion", "重点项目增效工程": "Key projects", "主体能级提升工程": "Stronger firms",
    "集聚效益扩大工程": "Service clusters", "两业融合提档工程": "Manufacturing-service integration",
    "人口集聚引领工程": "Drawing people in",
}
_CN = "一二三四五六七八九十"
_PART = re.compile(rf"^([{_CN}]+)、(.+?)\s*$")
_SUB = re.compile(rf"^[(（]([{_CN}]+)[)）]\s*(.+?)\s*$")
_GOAL = re.compile(r"^(\d+)\.\s*(.+?)。")
_ITEM = re.compile(r"^(\d+)\.")


@dataclass(frozen=True)
class Section:
    order: int          # position in the plan, for sorting
    ref: str            # the plan's numbering: 二.1, 三(一)
    part_zh: str        # 发展目标
    name_zh: str        # 规模效益显著提升

    def title(self, lang: str) -> str:
        """二.1 规模效益显著提升 / Sec. 2.1 Scale and returns (the part named too: 重点领域 · 科技服务)."""
        if lang == "zh":
            return f"{self.part_zh}·{self.name_zh}"
        return f"{SECTION_EN.get(self.part_zh, self.part_zh)}: {SECTION_EN.get(self.name_zh, self.name_zh)}"


def plan_sections(plan_text: Path = paths.PLAN_TEXT) -> dict[str, Section]:
    """Clause key -> Section: "二.1" for the numbered goals of part 二, "2" for numbered item 2 (under 三(一)).

    Cached by the text, not the path: a process that lives across runs (a replay worker, a pooled
    kernel, a JupyterLab session) sees an edited plan text at its next call."""
    return _plan_sections(Path(plan_text).read_text(encoding="utf-8"))


@lru_cache(maxsize=4)
def _plan_sections(text: str) -> dict[str, Section]:
    out: dict[str, Section] = {}
    part_num = part = sub = None
    order = 0
    for line in text.splitlines():
        line = line.strip()
        if m := _PART.match(line):
            part_num, part, sub = m.group(1), m.group(2), None
            continue
        if m := _SUB.match(line):
            order += 1
            sub = Section(order, f"{part_num}({m.group(1)})", part, m.group(2))
            continue
        if part_num == "二" and (m := _GOAL.match(line)):
            order += 1
            out[f"二.{m.group(1)}"] = Section(order, f"二.{m.group(1)}", part, m.group(2))
        elif sub is not None and (m := _ITEM.match(line)):
            out[m.group(1)] = sub
    return out


def section_of(clause: object, sections: dict[str, Section] | None = None) -> Section | None:
    """The section of a target from its clause ("二.1/26" -> 二.1; "19" -> 三(八) 文化旅游); None if not found."""
    sections = plan_sections() if sections is None else sections
    first = str(clause).split("/")[0].strip()
    return sections.get(first)


def section_label(clause: object, lang: str) -> str:
    """The section heading a target is listed under; its clause when the plan text has no such section."""
    s = section_of(clause)
    return s.title(lang) if s else clause_text(clause, lang)


def section_order(clause: object) -> int:
    s = section_of(clause)
    return s.order if s else 10_000

"""The as_of quarter: what a briefing for that quarter could have known.

A figure is visible at as_of when its period ends by the quarter's end and it
was published by the quarter's reporting cut-off (quarter end plus
`reporting_cutoff_days_after_quarter_end` from config/settings.yaml).
Rerunning an old quarter therefore shows what the briefing would have said then.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from analysis.core.parse import today

AS_OF_PATTERN = re.compile(r"(\d{4})[Qq]([1-4])")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    q: int

    @classmethod
    def from_label(cls, text: str) -> "Quarter":
        """Syntax only (YYYYQn, q or Q): for labels the suite wrote itself (manifests, first_visible)."""
        m = AS_OF_PATTERN.fullmatch(str(text).strip())
        if not m or not 2000 <= int(m.group(1)) <= 2100:
            raise ValueError(f"as_of must be a quarter written like 2025Q2 (year 2000-2100, quarter 1-4), not {text!r}")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def parse(cls, text: str, day: date | None = None) -> "Quarter":
        """Strict: YYYYQn (2025q2 is read as 2025Q2), and a quarter that has ended by `day` (default: today).

        The label reaches notebooks as a parameter, so nothing else may pass. A quarter still in
        progress is refused: its figures are not all published and a briefing would judge half a quarter.
        """
        quarter = cls.from_label(text)
        day = day or today()
        current = cls.containing(day)
        if quarter >= current:
            raise ValueError(f"as_of {quarter.label} has not ended yet (today is {day}, in {current.label}): "
                             f"the latest quarter that can be briefed is {current.previous().label} / "
                             f"{quarter.label} 尚未结束，最近可研判的季度为 {current.previous().label}")
        return quarter

    @classmethod
    def containing(cls, day: date) -> "Quarter":
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.q}"

    @property
    def end(self) -> date:
        month = 3 * self.q
        return date(self.year, month, calendar.monthrange(self.year, month)[1])

    def cutoff(self, days_after_end: int) -> date:
        return self.end + timedelta(days=days_after_end)

    def next(self) -> "Quarter":
        return Quarter(self.year + (self.q == 4), self.q % 4 + 1)

    def previous(self) -> "Quarter":
        return Quarter(self.year - (self.q == 1), (self.q - 2) % 4 + 1)

    def __str__(self) -> str:
        return self.label


def first_quarter_seeing(period_end: date, published: date, cutoff_days: int) -> Quarter:
    """The earliest quarter at which a figure with this period end and publication date is visible."""
    q = Quarter.containing(period_end)
    while q.cutoff(cutoff_days) < published:
        q = q.next()
    return q

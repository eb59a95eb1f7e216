"""Input problems a planner can fix, reported all at once and without a traceback.

Every problem names the file, row and column, the offending value, what is
wrong and how to fix it. The pipeline collects problems instead of stopping
at the first, so one run shows everything that needs mending.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    file: str
    message: str
    fix: str
    row: int | None = None        # spreadsheet row: the header is row 1
    column: str | None = None
    value: str | None = None
    sheet: str | None = None      # Excel files: the sheet read, so that a planner finds the cell
    cell: str | None = None       # Excel files: the cell reference as Excel shows it (E7)

    def __str__(self) -> str:
        where = [self.file]
        if self.sheet is not None:
            where.append(f'sheet "{self.sheet}"')
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f'column "{self.column}"')
        if self.cell:
            where.append(f"cell {self.cell}")
        shown = "" if self.value is None else f' (value: "{self.value}")'
        return f"{', '.join(where)}: {self.message}{shown}\n    Fix: {self.fix}"


# The head of a message about a command-line value: checked before anything runs.
OPTION_NOTE = "an option value is wrong; nothing was run or changed / 参数有误，未运行、未改动:"


@dataclass
class InputError(Exception):
    """Raised with every problem found; the CLI prints them and exits with status 2."""

    problems: list[Problem] = field(default_factory=list)
    # What the run did write, when it wrote something (a failed run's report): the default line
    # "nothing was written" must never be printed then, or the planner looks at the wrong report.
    note: str | None = None

    def __str__(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''}" + (
            f": {self.note}" if self.note else " in the input; nothing was written (data/raw and the previous outputs are unchanged):")
        return "\n".join([head, *(f"  {i}. {p}" for i, p in enumerate(self.problems, 1))])

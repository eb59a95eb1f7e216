"""Input problems a planner can fix, reported all at once and without a traceback.

Every problem names the file, row and column, the offending value, what is
wrong and how to fix it. The pipeline collects problems instead of stopping
at the first, so one run shows everything that needs mending.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# How many problems a message lists (settings.yaml limits.problems_shown; the CLI sets it from the config).
# The rest are counted: 206,611 problems printed in full were 45 MB that nobody could read.
PROBLEMS_SHOWN = 20
# A value is quoted up to this many characters: a 200,000-character note or a binary line must not
# flood the console (the count of characters is said instead).
VALUE_SHOWN = 120


def visible(text: str) -> str:
    """Text with control and other invisible characters written as escapes (\\x1b): a file name or cell
    holding an ANSI escape sequence or a line break must not recolour the console or fake a message line."""
    return "".join(c if c.isprintable() or c == " " else f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}"
                   for c in text)


def shown_value(value: str) -> str:
    """A cell value as a message quotes it: control characters made visible, long text cut with its length."""
    text = visible(value[: VALUE_SHOWN + 1])
    if len(value) > VALUE_SHOWN:
        text = f"{text[:VALUE_SHOWN]}… ({len(value):,} characters)"
    return text


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
        where = [visible(self.file)]
        if self.sheet is not None:
            where.append(f'sheet "{visible(self.sheet)}"')
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f'column "{shown_value(self.column)}"')
        if self.cell:
            where.append(f"cell {self.cell}")
        shown = "" if self.value is None else f' (value: "{shown_value(str(self.value))}")'
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
    shown: int | None = None      # problems listed (None: PROBLEMS_SHOWN); the rest are counted

    def __str__(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''}" + (
            f": {self.note}" if self.note else " in the input; nothing was written (data/raw and the previous outputs are unchanged) "
                                               f"/ 输入数据有 {n} 个问题，未写入任何内容（原始数据和已有输出均未改动）:")
        limit = max(1, self.shown if self.shown is not None else PROBLEMS_SHOWN)
        lines = [head, *(f"  {i}. {p}" for i, p in enumerate(self.problems[:limit], 1))]
        if n > limit:
            files = len({p.file for p in self.problems[limit:]})
            lines.append(f"  ... and {n - limit:,} more problem{'s' if n - limit != 1 else ''} in {files} file{'s' if files != 1 else ''} "
                         f"not listed / 另有 {n - limit:,} 个问题未列出: fix the ones above and run again "
                         "(the first problems usually explain the rest; the limit is limits.problems_shown in config/settings.yaml)")
        return "\n".join(lines)

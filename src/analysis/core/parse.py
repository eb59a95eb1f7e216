"""Pure parsers for the cells of a raw release: numbers, growth rates, periods, dates.

Each parser takes the text of one cell and returns a value or raises
CellError with what is wrong and how to fix it; ingest adds file, row and
column. Text is NFKC-normalised first, which turns full-width digits, the
full-width percent sign and full-width punctuation that Chinese input
methods produce into their ASCII forms.
"""
from __future__ import annotations

import calendar
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime


class CellError(ValueError):
    """A cell that cannot be read; carries the fix to show the user."""

    def __init__(self, message: str, fix: str, column: str | None = None):
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.column = column        # when the fault is in another cell than the one parsed (the year of a period)


_DASHES = dict.fromkeys(map(ord, "\u2212\u2013\u2014\u2015\uff0d\u301c~"), "-")
# Invisible characters that web pages and Excel leave in copied text (zero-width space and joiners,
# word joiner, a BOM inside a cell, soft hyphen): "value" with one of them must still be "value".
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# Left-to-right / right-to-left and Arabic letter marks: invisible, left by copying from web pages and
# right-to-left editors; unlike the overrides (refused in rawcells) they reorder nothing in a name.
_INVISIBLE.update(dict.fromkeys(map(ord, "\u200e\u200f\u061c"), None))
_DASHES.update(_INVISIBLE)


def digit_lookalike(text: str) -> str | None:
    """The first character that NFKC would turn into a digit without being one (², ¹, ①, ⑴, ₂, ½), or None.

    NFKC rightly reads full-width digits (５２１, category Nd) as 521, but it
    also turns a footnote mark into a digit: "521²" (footnote 2) became 5212
    and "①00" became 100, accepted as a figure without a word. Such a
    character in a number, year or date is refused instead (see
    data/raw/README.md).
    """
    if text.isascii():
        return None
    for ch in text:
        if not ch.isascii() and unicodedata.category(ch) in ("No", "Nl") and any(
                c.isdigit() for c in unicodedata.normalize("NFKC", ch)):
            return ch
    return None


DIGIT_LOOKALIKE_FIX = ("delete the footnote or list mark (², ①, ⑴ ...): type the figure in plain digits as printed, and put a "
                       "footnote in the notes column; 请删除上标或圈码等注释符号，只填数字，注释写入备注列")


_SPACES = re.compile(r"\s+")


def normalise_text(text: object) -> str:
    """NFKC, unify dashes and minus signs, trim and collapse inner white space."""
    if text is None:
        return ""
    return _normalise_str(str(text))


@lru_cache(maxsize=1 << 16)
def _normalise_str(text: str) -> str:
    """Cached: a big file repeats the same few words (region, status, unit) in every row."""
    s = unicodedata.normalize("NFKC", text).translate(_DASHES)
    return _SPACES.sub(" ", s).strip()


def normalise_url(text: object) -> str:
    """A web address as typed, with full-width forms made ASCII (https：// is https://) and invisible characters and
    white space at its ends removed, but no dash unified: "~" and "-" are different characters in an address
    (normalise_text turned https://example.org/~stats/ into /-stats/, a link to another page)."""
    if text is None:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", str(text)).translate(_INVISIBLE)).strip()


def norm_key(text: object) -> str:
    """Key for looking names up (aliases, units, vocabulary): normalised and case-folded."""
    return normalise_text(text).casefold()


def unit_key(text: object) -> str:
    """Key for matching a printed unit: norm_key without spaces and without one pair of enclosing brackets.

    Tables print units as "（亿元）" or "单位: 亿元" in a header, and planners copy "亿 元" or "(亿元)": the same unit,
    refused before. Spaces never tell two units apart ("million yuan" is "millionyuan" either way).
    """
    key = norm_key(text).replace(" ", "")
    m = re.fullmatch(r"\((.*)\)|\[(.*)\]", key)          # NFKC turned （） into ()
    return (m.group(1) if m.group(1) is not None else m.group(2)) if m else key


# ---------------------------------------------------------------- numbers --
_MAGNITUDES = ("万亿", "百万", "亿", "万", "千")
# qualifier words as Chinese statistics mean them: 约/左右 about; 突破/超过/逾/余 strictly more than; 以上/不少于 at
# least (inclusive); 近/接近/不足 just below (an upper bound: 近118 is less than 118, not about 118)
_APPROX_WORDS = ("大约", "约")
_APPROX_SUFFIX = ("左右",)
_LOWER_WORDS = ("突破", "超过", "超", "逾")
_LOWER_SUFFIX = ("余",)
_AT_LEAST_WORDS = ("不少于", "不低于", "至少")
_AT_LEAST_SUFFIX = ("以上",)
_UPPER_WORDS = ("接近", "将近", "近", "不足", "不到")
_UPPER_SUFFIX: tuple[str, ...] = ()
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_EXPONENT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)[eE][+-]?\d+")
_NOT_FINITE = {"inf", "infinity", "nan", "∞", "#num!", "#div/0!"}
# What tables print where there is no figure: dashes and dots, after normalise_text (— and － are "-", … is "...")
_PLACEHOLDER = re.compile(r"[-.·/]+|无|不详")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
# What a workbook cell formatted as a date shows (rawxlsx._excel_cell), spaces already removed
_DATE_LIKE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(\d{1,2}:\d{2}(:\d{2})?)?")
# Digits with spaces between them: only a thousands grouping (1 234 567.5) is a number; "5 21" is a typo
# or two cells run together, and removing the space silently made it 521.
_SPACED_DIGITS = re.compile(r"\d[\d.,]*(?: +[\d.,]*\d)+")
_SPACE_THOUSANDS = re.compile(r"\d{1,3}(?: \d{3})+(?:\.\d+)?")


def _check_spaces(s: str) -> None:
    """Refuse spaces inside a number unless they group thousands (s is normalised: one space at most)."""
    for m in _SPACED_DIGITS.finditer(s):
        if not _SPACE_THOUSANDS.fullmatch(m.group()):
            raise CellError(f'has a space inside the number ("{m.group()}")',
                            "write the number without spaces, as printed (e.g. 521 or 1352.37); a space may only separate "
                            "groups of three digits (1 352.37); 数字中间不应有空格")


def parse_number_text(raw: object) -> tuple[str, str, str]:
    """Split a value cell into (number text, trailing unit text, qualifier code).

    Accepts full-width digits, thousands separators (1,352.37), qualifier words
    (约500, 突破650, 20左右) and a magnitude or unit written after the number
    (521亿, 640万人次). Raises CellError for anything else.
    """
    spaced = normalise_text(raw)
    _check_spaces(spaced)
    s = spaced.replace(" ", "")
    qualifier = ""
    for words, suffix, code in ((_APPROX_WORDS, _APPROX_SUFFIX, "approximately"),
                                (_LOWER_WORDS, _LOWER_SUFFIX, "lower_bound"),
                                (_AT_LEAST_WORDS, _AT_LEAST_SUFFIX, "at_least"),
                                (_UPPER_WORDS, _UPPER_SUFFIX, "upper_bound")):
        for w in words:
            if s.startswith(w):
                s, qualifier = s[len(w):], code
                break
        for w in suffix:
            if s.endswith(w):
                s, qualifier = s[: -len(w)], code
    if s.casefold().lstrip("+-") in _NOT_FINITE:
        raise CellError("is not a finite number (inf / nan is what a program writes for a missing or broken result)",
                        "write the figure as the source prints it, in digits (e.g. 521); leave the cell empty if the source "
                        "gives no figure; 请填写原文数字")
    if _DATE_LIKE.fullmatch(s):
        raise CellError("is a date, not a number (Excel shows a number in a cell formatted as a date as 1901-06-04)",
                        "format the cell as Number (or General) and type the figure as printed; 请将单元格格式设为数值")
    if _EXPONENT.match(s):
        raise CellError("is written in scientific notation (1e5 = 100000; Excel shows a long number as 1.2E+11 in a narrow "
                        "column and saves only the digits shown)",
                        "write the figure in digits as the source prints it (e.g. 1352.37); in Excel, widen the column or "
                        "format the cell as Number before saving; 请按原文写出全部数字，不用科学计数法")
    if _PLACEHOLDER.fullmatch(s):
        raise CellError("is what statistical tables print where there is no figure (a dash, dots, 无 or 不详), not a figure",
                        "leave the value empty and give growth_pct if the source prints a growth rate; if it prints neither, "
                        "delete the row; 原文无数据时请留空数值或删除该行")
    m = re.match(r"^([+-]?[\d.,]+)(.*)$", s)
    if not m:
        raise CellError(
            "is not a number",
            "write the figure in digits as printed, e.g. 521 or 5.09; put the unit in the unit column",
        )
    number, rest = m.group(1), m.group(2)
    if re.match(r"[OoIl〇](?![A-Za-z])", rest):
        # 572.O / 1O5 / 52l: a letter typed for a digit, not a unit (the unit check would call it a unit "O")
        raise CellError(f'has the letter "{rest[0]}" where a digit belongs (the letter O for 0, or l / I for 1?) / '
                        f'数字中混入了字母"{rest[0]}"（是否把0输成了字母O、把1输成了l或I？）',
                        "retype the figure in digits as printed, e.g. 572.0; 请按原文重新输入数字")
    if re.search(r"\d", rest):
        # "1_000", "1'234" (Swiss grouping), "10-15" (a range), "5万3千": the rest used to be reported as a unit "_000"
        raise CellError(f'is not one number: "{rest[0]}" stands between its digits',
                        "write one number in digits as printed, e.g. 1234 or 1,234.5 (a comma may group thousands); a range "
                        "(10-15) is not a figure: give the figure printed, or leave the value empty; 请只填写一个数字")
    if "," in number:
        if not _THOUSANDS.match(number):
            raise CellError(
                "has a comma that is not a thousands separator",
                "use a point for decimals (1352.37), and commas only between groups of three digits (1,352.37)",
            )
        number = number.replace(",", "")
    if not _NUMBER.match(number):
        raise CellError("is not a number", "write one number in digits, e.g. 521 or 5.09")
    return number, rest, qualifier


def parse_growth(raw: object) -> float | None:
    """Year-on-year growth in percent: '3', '3%', '+3.0％', '-2.1', '增长3%', '下降2%'. Empty -> None."""
    spaced = normalise_text(raw)
    _check_spaces(spaced)
    s = spaced.replace(" ", "")
    if not s:
        return None
    sign = 1.0
    for word, sgn in (("增长", 1.0), ("下降", -1.0), ("减少", -1.0)):
        if s.startswith(word):
            s, sign = s[len(word):], sgn
    s = s.removesuffix("%").removesuffix("个百分点")
    if _EXPONENT.match(s) or s.casefold().lstrip("+-") in _NOT_FINITE:
        raise CellError("is not a growth rate written in digits (scientific notation, inf or nan)",
                        "write the printed growth in percent as a number, e.g. 3.1 or -2.5")
    if not _NUMBER.match(s) or not math.isfinite(float(s)):
        raise CellError(
            "is not a growth rate",
            "write the printed year-on-year growth in percent as a number, e.g. 3.1 or -2.5 (a % sign is fine)",
        )
    decimals = len(s.split(".", 1)[1]) if "." in s else 0
    if decimals >= 3 and abs(float(s)) < 1:
        # 0.058 for 5.8 %: a rate typed as a fraction passes every check of a level against its own growth, because a
        # 0.06 % growth is near any other small one (a planner's trial); statistics print growth to one or two decimals
        raise CellError(f"looks like a fraction, not a growth rate in per cent ({s} would mean {s} %, "
                        f"{float(s) * 100:.4g} % if it is a fraction) / 增速疑似按小数填写（{s}按百分数理解为{s}%）",
                        "write the growth in per cent as printed, e.g. 5.8 for 5.8 %; 请按原文以百分数填写增速，如5.8表示5.8%")
    return sign * float(s)


# ---------------------------------------------------------------- periods --
@dataclass(frozen=True)
class Period:
    year: int
    kind: str       # "annual", "ytd" (year to date) or "year_end"
    month_to: int   # last month covered: 12 for annual and year_end

    @property
    def end(self) -> date:
        return date(self.year, self.month_to, calendar.monthrange(self.year, self.month_to)[1])

    @property
    def label(self) -> str:
        """Canonical Chinese label: 2023年, 2023年1-9月, 2019年末."""
        if self.kind == "annual":
            return f"{self.year}年"
        if self.kind == "year_end":
            return f"{self.year}年末"
        return f"{self.year}年1-{self.month_to}月" if self.month_to > 1 else f"{self.year}年1月"


_NAMED_SPANS = {"一季度": 3, "第一季度": 3, "上半年": 6, "前三季度": 9, "H1": 6}
_PERIOD_HELP = ("write the period as 全年, 年末 or a year-to-date span such as 1-9月 "
                "(optionally with the year: 2024年1-9月, 2024Q3), and the year in the year column; "
                "时期请填写全年、年末或1-9月等累计时段，年份填在年份列")


def parse_period(period_raw: object, year_raw: object = "") -> Period:
    """Read a period from the period cell and, where the period has no year, the year cell.

    Quarter labels such as 2024Q3 are read as year to date (1-9月), the way
    Chinese statistics publish quarterly figures (前三季度).
    """
    p = normalise_text(period_raw).replace(" ", "")
    y_text = normalise_text(year_raw).replace(" ", "").removesuffix("年")
    if y_text.endswith(".0"):          # a year typed into an Excel number cell
        y_text = y_text[:-2]
    if y_text and not re.fullmatch(r"\d{4}", y_text):
        raise CellError("is not a four-digit year", "write the year as four digits, e.g. 2023", column="year")
    year_col = int(y_text) if y_text else None

    m = re.fullmatch(r"(\d{4})(?:年)?(.*)", p)
    year_in_period = int(m.group(1)) if m else None
    rest = m.group(2) if m else p
    q = re.fullmatch(r"[Qq]([1-4])", rest)

    if rest in ("", "全年", "1-12月", "年度"):
        kind, month_to = "annual", 12
    elif rest in ("年末", "年底", "末"):
        kind, month_to = "year_end", 12
    elif q:
        kind, month_to = "ytd", 3 * int(q.group(1))
    elif rest in _NAMED_SPANS:
        kind, month_to = "ytd", _NAMED_SPANS[rest]
    elif mm := re.fullmatch(r"1-(\d{1,2})月(?:份)?", rest):
        kind, month_to = "ytd", int(mm.group(1))
    elif rest in ("1月", "1月份"):
        kind, month_to = "ytd", 1
    else:
        raise CellError("is not a period this suite reads", _PERIOD_HELP)
    if not 1 <= month_to <= 12:
        raise CellError("names a month outside 1-12 / 月份超出1—12月", _PERIOD_HELP)
    if kind == "ytd" and month_to == 12:
        kind = "annual"

    if year_in_period and year_col and year_in_period != year_col:
        raise CellError(
            f"says {year_in_period} but the year column says {year_col}",
            "make the year column and the period agree (or leave the year out of the period)",
        )
    year = year_in_period or year_col
    if year is None:
        raise CellError("has no year", "put the year in the year column (e.g. 2023) or in the period (2023年1-9月)")
    if not 1949 <= year <= 2100:
        raise CellError(f"has the year {year}, which is out of range", "check the year for a typo",
                        column=None if year_in_period else "year")
    return Period(year, kind, month_to)


# ------------------------------------------------------------------ dates --
@dataclass(frozen=True)
class DateRange:
    """A publication date as precise as the source gives it: a day, a month or a year."""

    earliest: date
    latest: date

    @property
    def exact(self) -> bool:
        return self.earliest == self.latest


_TIME_OF_DAY = re.compile(r"(?<=[\d日])(?:\s+|T)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*(?:Z|[+-]\d{2}:?\d{2}))?$")


def parse_date(raw: object) -> DateRange | None:
    """'2020-06-01', '2020/6/1', '2020年6月1日', '2020-06', '2020年6月', '2020'. Empty -> None."""
    # A time of day after the date is dropped (the day is what counts): Excel exports a date-time cell to CSV as
    # "2023/2/1 9:30", and ISO text carries "T09:30:00+08:00"; both used to be refused as "not a date".
    s = _TIME_OF_DAY.sub("", normalise_text(raw)).replace(" ", "")
    if not s:
        return None
    s = s.removesuffix(".0")
    m = re.fullmatch(r"(\d{4})(?:[-/.年](\d{1,2})(?:[-/.月](\d{1,2})日?|月)?)?年?", s)
    if not m:
        if re.fullmatch(r"[2-7]\d{4}", s):      # Excel's day count (45302 = 2024-01-11) in a cell formatted as a number
            raise CellError("is not a date: it looks like an Excel date serial number shown as a number",
                            "format the cell as a date (yyyy-mm-dd), or type the date as text: 2024-01-11")
        raise CellError("is not a date", "write the publication date as 2024-01-11, or 2024-01, or just the year 2024")
    y, mo, d = int(m.group(1)), m.group(2), m.group(3)
    try:
        if d:
            day = date(y, int(mo), int(d))
            return DateRange(day, day)
        if mo:
            mo_i = int(mo)
            return DateRange(date(y, mo_i, 1), date(y, mo_i, calendar.monthrange(y, mo_i)[1]))
        return DateRange(date(y, 1, 1), date(y, 12, 31))
    except ValueError:
        raise CellError("is not a real calendar date", "check day and month (format 2024-01-11)") from None


def today() -> date:
    """The clock, in one place so that tests can see where 'now' comes from."""
    return datetime.now().date()

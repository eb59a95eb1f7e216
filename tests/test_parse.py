"""Cell parsers: what planners type into a raw file, read the way they meant it."""
from datetime import date

import pytest

from analysis.core.parse import CellError, parse_date, parse_growth, parse_number_text, parse_period


@pytest.mark.parametrize("text, expected", [
    ("521", ("521", "", "")),
    ("５２１．５", ("521.5", "", "")),              # full-width digits and point
    ("1,352.37", ("1352.37", "", "")),             # thousands separator
    ("521亿", ("521", "亿", "")),                  # magnitude written in the cell
    ("640万人次", ("640", "万人次", "")),
    ("约500", ("500", "", "approximately")),
    ("突破650", ("650", "", "lower_bound")),
    ("20左右", ("20", "", "approximately")),
    ("38.1%", ("38.1", "%", "")),
])
def test_number_cells_are_read_as_written(text, expected):
    assert parse_number_text(text) == expected


@pytest.mark.parametrize("text", ["六百", "abc", "1,35", "1.2.3", ""])
def test_non_numbers_are_rejected_with_a_fix(text):
    with pytest.raises(CellError) as err:
        parse_number_text(text)
    assert err.value.fix


@pytest.mark.parametrize("text, expected", [
    ("3", 3.0), ("3%", 3.0), ("+3.0％", 3.0), ("-2.1", -2.1), ("−2.1", -2.1), ("增长3%", 3.0), ("下降2%", -2.0), ("", None),
])
def test_growth_cells(text, expected):
    assert parse_growth(text) == expected


@pytest.mark.parametrize("period, year, kind, y, month_to", [
    ("全年", "2023", "annual", 2023, 12),
    ("2023", "", "annual", 2023, 12),
    ("2023年", "", "annual", 2023, 12),
    ("1-9月", "2024", "ytd", 2024, 9),
    ("2024年1-9月", "", "ytd", 2024, 9),
    ("2024年1—9月", "", "ytd", 2024, 9),
    ("2024Q3", "", "ytd", 2024, 9),            # quarterly figures are cumulative in Chinese statistics
    ("2024Q4", "", "annual", 2024, 12),
    ("上半年", "2025", "ytd", 2025, 6),
    ("1-12月", "2022", "annual", 2022, 12),
    ("年末", "2019", "year_end", 2019, 12),
    ("全年", "2023.0", "annual", 2023, 12),   # a year typed into an Excel number cell
])
def test_periods(period, year, kind, y, month_to):
    p = parse_period(period, year)
    assert (p.kind, p.year, p.month_to) == (kind, y, month_to)


def test_period_labels_and_end_dates():
    p = parse_period("1-2月", "2024")
    assert p.label == "2024年1-2月" and p.end == date(2024, 2, 29)
    assert parse_period("年末", "2019").label == "2019年末"


@pytest.mark.parametrize("period, year", [("第5季度", "2023"), ("1-13月", "2023"), ("全年", ""), ("2024年", "2023"), ("9月", "2023")])
def test_bad_periods_are_rejected(period, year):
    with pytest.raises(CellError):
        parse_period(period, year)


def test_dates_keep_their_precision():
    assert parse_date("2020-06-01").exact
    r = parse_date("2023")
    assert (r.earliest, r.latest) == (date(2023, 1, 1), date(2023, 12, 31))
    r = parse_date("2024年2月")
    assert (r.earliest, r.latest) == (date(2024, 2, 1), date(2024, 2, 29))
    assert parse_date("2020/6/1").earliest == date(2020, 6, 1)
    assert parse_date("") is None
    with pytest.raises(CellError):
        parse_date("2023-02-30")


@pytest.mark.parametrize("typed", ["572.O", "1O5", "52l", "3I"])
def test_a_letter_typed_for_a_digit_is_said_so_in_both_languages(typed):
    """572.O was reported as 'has the unit "O" after the number' (a planner's trial, 2026-12-07): a letter O, l or I
    against the digits is a digit mistyped, said in Chinese and English, with the fix."""
    from analysis.core.parse import CellError, parse_number_text

    with pytest.raises(CellError) as err:
        parse_number_text(typed)
    assert "where a digit belongs" in err.value.message and "数字中混入了字母" in err.value.message
    assert "retype the figure in digits" in err.value.fix and "请按原文重新输入数字" in err.value.fix


@pytest.mark.parametrize("typed", ["0.058", "-0.035", "0.163%", "增长0.058"])
def test_a_growth_rate_typed_as_a_fraction_is_refused(typed):
    """0.058 for 5.8 % went through every check and moved a headline P(met) (a planner's trial, 2026-12-07)."""
    with pytest.raises(CellError) as err:
        parse_growth(typed)
    assert "looks like a fraction" in err.value.message and "增速疑似按小数填写" in err.value.message
    assert "5.8 for 5.8 %" in err.value.fix


@pytest.mark.parametrize("typed, value", [("0.3", 0.3), ("0.25", 0.25), ("5.85", 5.85), ("-0.5", -0.5)])
def test_small_growth_printed_to_one_or_two_decimals_is_read(typed, value):
    assert parse_growth(typed) == value

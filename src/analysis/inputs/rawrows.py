"""One row of a raw file turned into one observation: vocabulary, units, numbers, periods, dates.

Split from ingest.py (files and the whole table) because the per-row rules are
their own job: every cell checked against the contract in data/raw/README.md,
every problem named by file, row, column and value with its fix.
"""
from __future__ import annotations

import difflib
import math
import os
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from analysis.core.config import Config
from analysis.core.errors import Problem
from analysis.inputs.corrections import HOW, ID_FORMAT, action_for
from analysis.core.parse import (CellError, DateRange, Period, norm_key, parse_date, parse_growth,
                    parse_number_text, parse_period, today)

# cell texts that say "yes" without saying why; a confirmation must give its reason (checked here, at ingest)
BARE_CONFIRMATIONS = {"yes", "y", "true", "1", "x", "ok", "confirmed", "是", "对", "已核实", "确认", "已确认", "核实",
                      "√", "✓", "✔"}
MAGNITUDE_PREFIXES = ("万亿", "百万", "亿", "万", "千")


@dataclass(frozen=True)
class RawTable:
    """A raw file read as text: canonical column names and cell strings, with spreadsheet row numbers."""

    file: str                         # path relative to the project, for messages
    rows: list[tuple[int, dict[str, str]]]
    sha256: str
    sheet: str | None = None          # Excel: the sheet read (messages name it)
    letters: dict[str, str] = field(default_factory=dict)   # Excel: canonical column -> column letter


def _assumed_publication(period: Period, stated: DateRange | None, lags: dict[str, int]) -> date:
    """Where the date is vague or missing: period end plus the configured lag, kept within what is stated."""
    lag = lags["ytd" if period.kind == "ytd" else "annual"]
    guess = period.end + timedelta(days=lag)
    if stated is None:
        return guess
    return min(max(guess, stated.earliest), stated.latest)


def _combined_unit(rest: str, unit_cell: str) -> str:
    """Unit text written after the number in the value cell, joined with the unit column."""
    if not rest:
        return unit_cell
    if not unit_cell:
        return rest
    if rest in MAGNITUDE_PREFIXES and not unit_cell.startswith(MAGNITUDE_PREFIXES):
        return rest + unit_cell
    if norm_key(rest) == norm_key(unit_cell):
        return unit_cell
    raise CellError(f'has the unit "{rest}" after the number but the unit column says "{unit_cell}" / '
                    f'数值后写有单位"{rest}"，与单位列的"{unit_cell}"不一致',
                    "write the number alone in the value column and the unit as printed in the unit column; "
                    "数值列只填数字，单位按原文填入单位列")


def _site(url: str) -> str:
    """The site an address names ("" for "https://" alone, or for an address urlsplit cannot read, such as "http://[x")."""
    try:
        return urlsplit(url.split()[0]).netloc
    except ValueError:
        return ""


# Characters a web address cannot hold as typed (RFC 3986; browsers percent-encode them): white space and
# " < > \ ^ ` { }. They end an address where it is written into HTML or Markdown, so they are refused rather than
# escaped. "|" stays accepted: browsers show it as typed, and it is escaped like any text (tests/test_escaping.py).
# Chinese characters in a path are fine (browsers show them so, and encode them when sent).
_NOT_IN_URL = set(' "<>\\^`{}')


def url_character_problem(url: str) -> str | None:
    """What makes url no address (a space, a quote, an angle bracket...), or None.

    A space used to pass the clean step and stop the run only at validation; two addresses pasted into one cell
    ("https://a https://b"), a title pasted after the address, or markup ("><script>) are such cases.
    """
    for i, ch in enumerate(url, start=1):
        if ch in _NOT_IN_URL:
            what = "a space" if ch == " " else f'the character {ch}'
            return f"it holds {what} at character {i}, which no web address holds"
    return None


def vocabulary_fix(cfg: Config, column: str, typed: str) -> str:
    """The fix for an unknown status, reliability or qualifier: every code with the words that mean it.

    Planners type Chinese (正式数, 初步数, 预计数); listing only the English
    codes made the accepted Chinese words invisible.
    """
    vocab = cfg.settings["vocabulary"][column]
    choices = "; ".join(f"{code} ({', '.join(w for w in words if w and w != code)})" if any(w and w != code for w in words)
                        else code for code, words in vocab.items())
    words = [w for code, ws in vocab.items() for w in [code, *ws] if w]
    close = difflib.get_close_matches(norm_key(typed), [norm_key(w) for w in words], n=1, cutoff=0.5)
    hint = f'did you mean "{close[0]}"? ' if close and typed else ""
    return (f"{hint}use one of: {choices} — the code or any of its words; 可填写代码或括号中的任一中文词 "
            f"(the words are listed under vocabulary.{column} in config/settings.yaml)")


def nearest_indicators(cfg: Config, typed: str, n: int = 3) -> list:
    """The known indicators whose id, Chinese name or an alias reads most like typed (difflib), best first, at most n.

    Kept per config and typed text: a file of 50,000 rows naming one unknown indicator asks once.
    """
    names_key = ("indicator_names",)
    if names_key not in cfg._memo:
        cfg._memo[names_key] = {norm_key(name): ind.id for ind in cfg.indicators.values()
                                for name in (ind.id, ind.name_zh, *ind.aliases)}
    key = ("nearest_indicators", norm_key(typed), n)
    found = cfg._memo.get(key)
    if found is None:
        names = cfg._memo[names_key]
        close = difflib.get_close_matches(norm_key(typed), list(names), n=len(names), cutoff=0.4)
        found = list(dict.fromkeys(names[c] for c in close))[:n]
        if len(cfg._memo) < 10_000:         # a file of thousands of different unknown names: ask each, keep no more
            cfg._memo[key] = found
    return [cfg.indicators[i] for i in found]


def unknown_indicator_fix(cfg: Config, typed: str) -> str:
    """The fix for an indicator name the registry does not know: the nearest known indicators (id and Chinese name)
    and how to add one (an entry in config/indicators.yaml and a target linked to it in config/targets.yaml)."""
    near = nearest_indicators(cfg, typed)
    zh_near = f"最接近的已登记指标：{'、'.join(f'{i.name_zh}（{i.id}）' for i in near)}。" if near else ""
    en_near = f"did you mean {', '.join(f'{i.name_zh} ({i.id})' for i in near)}? " if near else ""
    return (f"{zh_near}请改填 config/indicators.yaml 中的指标代码、中文名称或别名，或把该名称加入对应指标的 aliases；"
            "如为新指标，请在 config/indicators.yaml 中新增一项（name_zh、name_en、aliases、unit、units、kind、"
            "non_negative、bounds），并在 config/targets.yaml 中以 indicator: 将目标链接到该指标 / "
            f"{en_near}use an id, Chinese name or alias from config/indicators.yaml, or add this name to the aliases "
            "of the indicator it is; for a new indicator, add an entry to config/indicators.yaml (name_zh, name_en, "
            "aliases, unit, units, kind, non_negative, bounds) and link a target to it in config/targets.yaml "
            "(indicator: <id>)")


def normalise_row(table: RawTable, number: int, cells: dict[str, str], cfg: Config,
                  problems: list[Problem]) -> dict | None:
    """One raw row -> one observation (canonical codes and units), or None with problems appended."""
    start = len(problems)

    def bad(column: str, message: str, fix: str) -> None:
        letter = table.letters.get(column)
        problems.append(Problem(table.file, message, fix, row=number, column=column, value=cells.get(column, ""),
                                sheet=table.sheet, cell=f"{letter}{number}" if letter else None))

    def lookup(column: str, vocabulary: dict[str, str], what: str) -> str | None:
        code = vocabulary.get(norm_key(cells.get(column, "")))
        if code is None:
            bad(column, f"is not a known {what}", vocabulary_fix(cfg, column, cells.get(column, "")))
        return code

    corrects, correction = cells.get("corrects", "").strip(), cells.get("correction", "").strip()
    action = None
    if corrects or correction:       # a correction row (inputs/corrections.py): names a figure, says what and why
        action = action_for(correction)
        if action is None:
            bad("correction", "is empty" if not correction else "is not a kind of correction",
                "write 撤回 (withdraw: the figure is not used any more) or 更正 (correct: this row is the right figure); "
                "请填写“撤回”或“更正”")
        if not ID_FORMAT.match(corrects):
            bad("corrects", "is empty" if not corrects else "is not a figure id", HOW)
        if not cells.get("notes", "").strip():
            bad("notes", "is empty: a correction must say why", "write the reason in notes (e.g. \"1-9月数误填为全年数\", "
                "\"与统计公报核对，原值录入有误\"); it is quoted wherever the change is shown; 请在备注中写明更正原因")
        if action == "withdraw":
            return _withdrawal(table, number, cells, corrects, correction, problems, start, bad)
    ind = cfg.indicator_for(cells.get("indicator", ""))
    if ind is None and cells.get("indicator"):
        bad("indicator", "不是已登记的指标 / is not a known indicator", unknown_indicator_fix(cfg, cells["indicator"]))
    elif ind is None:
        bad("indicator", "为空 / is empty",
            "填写 config/indicators.yaml 中的指标代码、中文名称或别名 / "
            "give the indicator's id, Chinese name or alias from config/indicators.yaml")

    region = cfg.region_index().get(norm_key(cells.get("region", "")))
    if region is None:
        bad("region", "is not a known region", f"use one of {', '.join(cfg.settings['regions'])} or add the name under regions in config/settings.yaml")

    period = None
    try:
        period = parse_period(cells.get("period", ""), cells.get("year", ""))
    except CellError as e:
        bad(e.column or "period", e.message, e.fix)      # a bad year is named in the year column

    growth = None
    try:
        growth = parse_growth(cells.get("growth_pct", ""))
    except CellError as e:
        bad("growth_pct", e.message, e.fix)
    if growth is not None and growth <= -100 and ind is not None and cfg.must_be_positive(ind.id):
        bad("growth_pct", f"is {growth:g}%: a fall of 100% or more leaves no positive level of {ind.name_zh}, which must be above 0",
            "check the sign and the digits (a fall of 10% is -10); growth_pct holds the year-on-year change in percent; 请检查增长率")

    value = None
    unit_printed = cells.get("unit", "")
    qualifier_in_cell = ""
    if cells.get("value", ""):
        try:
            number_text, rest, qualifier_in_cell = parse_number_text(cells["value"])
            unit_printed = _combined_unit(rest, unit_printed)
        except CellError as e:
            bad("value", e.message, e.fix)
            number_text = None
        if number_text is not None and ind is not None:
            factor = ind.factor(unit_printed)
            if factor is None:
                # the unit read may come from the value cell ("5.21百亿": 百亿): say so, or the message names an empty cell
                from_value = f' (read as "{unit_printed}": the unit column with what follows the number in the value cell)' \
                    if unit_printed != cells.get("unit", "") else ""
                bad("unit", (f'is not a unit accepted for {ind.id} ({ind.name_zh})' if unit_printed else "is empty") + from_value,
                    f"use one of: {', '.join(ind.units)}; or add it with its factor under {ind.id}.units in config/indicators.yaml")
            else:
                try:
                    value = float(Decimal(number_text) * factor) + 0.0     # + 0.0: "-0" is 0, never shown as -0
                except InvalidOperation:
                    bad("value", "is not a number", "write the figure in digits")
                if value is not None and not math.isfinite(value):
                    bad("value", "is too large to be a figure (beyond what a number can hold)",
                        "write the figure as the source prints it, in the unit column's unit; 请检查数值")
                    value = None
                if value is not None and value < 0 and ind.non_negative:
                    bad("value", f"is negative, but {ind.name_zh} cannot be / {ind.name_zh}不能为负数",
                        "check the sign; a fall is written in growth_pct, not as a negative level; 请核对正负号，下降写在增速列")
                elif value is not None and value <= 0 and cfg.must_be_positive(ind.id):
                    bad("value", f"is {'0' if value == 0 else 'negative'}, but a level of {ind.name_zh} ({ind.id}) must be above 0 "
                                 "(its targets compare growth, and growth from 0 is undefined)",
                        "check the figure: write the level as printed (e.g. 521); if the source gives only a growth rate, "
                        "leave value empty and fill growth_pct; if no figure is published, delete the row; 数值必须大于0")
    elif growth is None:
        bad("value", "is empty and so is growth_pct", "give the figure as printed, or the printed growth rate, or both")

    qualifier = lookup("qualifier", cfg.vocabulary("qualifier"), "qualifier")
    if qualifier_in_cell and qualifier in (None, "exact"):
        qualifier = qualifier_in_cell
    if not cells.get("status", "").strip() and (cells.get("value") or cells.get("growth_pct")):
        # an empty status was read as reported (firmer than 预计数): an estimate left blank could settle a verdict
        bad("status", "is empty / 数据状态未填", "write the status the publication prints (预计数, 初步数, 正式数), or "
            "reported if it states none; 请填写原文标注的数据状态（预计数、初步数、正式数），原文未注明的填“公布数”")
    status = lookup("status", cfg.vocabulary("status"), "figure status")
    reliability = lookup("reliability", cfg.vocabulary("reliability"), "reliability grade") if cells.get("reliability") else None
    if not cells.get("reliability"):
        bad("reliability", "is empty / 可靠性等级未填", "grade the source: official (a government site), secondary (a copy or "
            "summary of an official text), unverified; 请填写来源可靠性：official（政府网站）、secondary（转载）或 unverified")

    for column, what, zh in (("source_title", "the title of the publication", "出处标题"),
                             ("source_url", "the address of the publication", "出处网址")):
        if not cells.get(column):
            bad(column, f"is empty / {zh}未填", f"every figure must cite its source: give {what}; 每个数据都须注明出处，请填写{zh}")
    url = cells.get("source_url", "")
    if url and not url.lower().startswith(("http://", "https://")):
        bad("source_url", "is not a web address / 不是网址", "give the full address starting with http:// or https://; "
            "请填写以 http:// 或 https:// 开头的完整网址")
    elif url and (odd := url_character_problem(url)):
        bad("source_url", f"is not a web address as typed: {odd}",
            "copy the address again from the browser's address bar: a browser writes a space as %20 and \" < > as "
            "%22 %3C %3E (e.g. https://www.haimen.gov.cn/art/2023/2/1/art_1.html); 请从浏览器地址栏重新复制网址")
    elif url and not _site(url):
        # "https://" alone, or "https:///path": no site to cite.
        bad("source_url", "is not a web address: it names no site after http(s)://",
            "copy the address again from the browser's address bar (e.g. https://www.haimen.gov.cn/...); "
            "请从浏览器地址栏重新复制网址")

    confirmed = cells.get("confirmed", "").strip()
    if confirmed and norm_key(confirmed) in {norm_key(w) for w in BARE_CONFIRMATIONS}:
        bad("confirmed", "says the figure is confirmed but not why",
            "write the reason the figure is right although it looks implausible (e.g. \"2023年起统计口径调整，见统计公报\"), "
            "or leave the cell empty")

    stated = None
    try:
        stated = parse_date(cells.get("published", ""))
    except CellError as e:
        bad("published", e.message, e.fix)

    now = today()
    if period is not None:
        if period.end > now:
            # blamed on the cell the year came from: the year column when the period (全年, 1-6月) names none
            year_cell = "period" if str(period.year) in cells.get("period", "") else "year"
            bad(year_cell, f"ends on {period.end}, after today ({now}): no figure can be published for it yet / "
                           f"时期晚于今天，尚不可能有该期数据", "check the year (a typo such as 2052 for 2025?); 请核对年份")
        if stated is not None and stated.earliest > now:
            bad("published", f"is after today ({now})", "check the publication date")
        if stated is not None and status != "estimate" and stated.latest < period.end:
            if period.kind == "annual":
                # the period first: a 1-9月 figure typed as 全年 is the usual slip (issue 24 point 1), not the status
                bad("period", f"全年数据的发布日期（{stated.latest}）早于该年结束（{period.end}）：是否把1-N月累计数误填为全年？ / "
                              f"is a full year, but the figure was published on {stated.latest}, before the year ends "
                              f"({period.end}): is a year-to-date figure (1-N月) typed as 全年?",
                    "如原文为年内累计数，请按原文填写时期，例如 period 填“1-9月”、year 填 "
                    f"{period.year}；如原文确为全年预计数，status 填“预计”（12月前发布的全年预计数还须在 confirmed 中写明原文依据） / "
                    f"if the source prints a year-to-date figure, write its period as printed, e.g. period 1-9月 and year "
                    f"{period.year}; if it really prints a full-year estimate, set status to 预计 (one published before "
                    "December also needs its reason in `confirmed`)")
            else:
                bad("published", f"发布日期早于该期结束（{period.end}），只有预计数可能提前发布 / is before the period ends "
                                 f"({period.end}); only an estimate (预计) can be published that early",
                    "请核对数据所属时期和发布日期，或将 status 改为“预计” / check the period and year of the figure and "
                    "the publication date, or mark the figure's status as 预计")

    if len(problems) > start or ind is None or period is None or region is None:
        return None
    published = _assumed_publication(period, stated, cfg.settings["publication_lag_days"]) if not (stated and stated.exact) else stated.earliest
    return {
        "obs_id": f"{os.path.basename(table.file)}:{number}", "file": table.file, "row": number,
        "indicator": ind.id, "indicator_printed": cells.get("indicator", ""), "region": region,
        "year": period.year, "period_kind": period.kind, "month_to": period.month_to, "period": period.label,
        "period_end": period.end, "value": value, "unit": ind.unit,
        "value_printed": cells.get("value", ""), "unit_printed": unit_printed, "growth_pct": growth,
        "qualifier": qualifier, "status": status, "reliability": reliability,
        "published": cells.get("published", ""), "published_date": published,
        "published_date_assumed": not (stated is not None and stated.exact),
        "source_title": cells.get("source_title", ""), "source_url": url,
        "publisher": cells.get("publisher", ""), "notes": cells.get("notes", ""), "confirmed": confirmed,
        "corrects": corrects, "correction": correction,
    }


def _withdrawal(table: RawTable, number: int, cells: dict[str, str], corrects: str, correction: str,
                problems: list[Problem], start: int, bad) -> dict | None:
    """A 撤回 row: which figure, why, and (optionally) from when; what it is about comes from the figure it names
    (corrections.complete_withdrawals). Its other cells are not read: a withdrawal is not a figure."""
    stated = None
    try:
        stated = parse_date(cells.get("published", ""))
    except CellError as e:
        bad("published", e.message, e.fix)
    if len(problems) > start:
        return None
    return {"obs_id": f"{os.path.basename(table.file)}:{number}", "file": table.file, "row": number,
            "indicator": None, "indicator_printed": cells.get("indicator", ""), "region": None, "year": None,
            "period_kind": None, "month_to": None, "period": None, "period_end": None, "value": None, "unit": None,
            "value_printed": "", "unit_printed": "", "growth_pct": None, "qualifier": None, "status": None,
            "reliability": None, "published": cells.get("published", ""),
            "published_date": stated.earliest if stated is not None else None,
            "published_date_assumed": stated is None or not stated.exact,
            "source_title": cells.get("source_title", ""), "source_url": cells.get("source_url", ""),
            "publisher": cells.get("publisher", ""), "notes": cells.get("notes", ""), "confirmed": "",
            "corrects": corrects, "correction": correction}

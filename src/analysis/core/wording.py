"""How numbers, units, periods, clause numbers, status words and the reports' terms are said in Chinese and English.

The wording catalogue (issue 26): the same wording serves the briefing, the
bulletin, changes.py and the charts, so a term, a number or a period reads the
same everywhere it is shown. The terms are the standard ones of Chinese
government reports (达标可能性, not the translated 达标概率; 完成难度较大, not a
climate report's 不太可能); TRANSLATED lists the phrases a reviewer found
translated rather than written, and a test keeps them out of every module and
out of the printed Chinese briefing. Whole sentences stay with the module that
builds them; their vocabulary comes from here. Plain text only (no Markdown):
callers escape where they assemble a sentence.
"""
from __future__ import annotations

import math
from decimal import Decimal
import re

import pandas as pd


def L(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


TERMS = {       # key -> (zh, en): the terms more than one module prints
    "p_met": ("达标可能性", "P(met)"),
    "p_met_nowcast": ("模型推算达标可能性", "model estimate: P(met)"),
    "low_confidence": ("低置信度，仅供参考", "low confidence; for reference only"),
    "progress": ("进度/序时进度", "Progress / expected"),
    "unverified": ("网络资料（未核实，未采用）", "web page (unverified, not used)"),
}

# verdict family -> (zh, en), in the order a final evaluation reads them: the table headings, the heatmap cells
FAMILY_WORDS = {
    "achieved": ("已完成", "achieved"), "broadly_achieved": ("基本完成", "broadly achieved"),
    "not_achieved": ("未完成", "not achieved"), "on_track": ("有望完成", "on track"), "at_risk": ("存在风险", "at risk"),
    "off_track": ("明显滞后", "off track"),
    "pending": ("尚待判定", "pending"),      # 仅有未核实资料, 尚未取得数据, 待定 (an estimate within its revision): one family
    "insufficient_data": ("数据不足", "insufficient data"),
    "no_public_data": ("无公开数据", "no public data"),
}

# the standard words of a final evaluation (终期评估) for a target whose plan has ended, by verdict family
FINAL_WORDS = {
    "achieved": ("完成", "achieved"), "broadly_achieved": ("基本完成", "broadly achieved"),
    "not_achieved": ("未完成", "not achieved"), "pending": ("待统计数据确认", "awaiting the statistics"),
    "insufficient_data": ("数据不足", "too few figures"), "no_public_data": ("暂无数据", "no data yet"),
}

def shown_verdict(row, lang: str) -> str:
    """The verdict as every printed table and sentence words it: after the plan's end the standard word of a final
    evaluation for its family (完成 / 待统计数据确认 / 暂无数据 ..., with （预计数） when an estimate settles it), while
    the plan runs the verdict's own words. The detailed words (仅有未核实资料, 尚未取得数据) stay in assessment.csv's
    verdict_zh / verdict_en: they say why a target is pending, not a different verdict (issue 26)."""
    key, family = str(row.get("verdict_key", "")), str(row.get("verdict", ""))
    if bool(row.get("plan_ended")) and family in FINAL_WORDS:
        estimate = "estimate" in key and family in ("achieved", "not_achieved")
        return L(lang, *FINAL_WORDS[family]) + L(lang, "（预计数）" if estimate else "", " (estimate)" if estimate else "")
    return str(row.get("verdict_zh" if lang == "zh" else "verdict_en", ""))


_MEASURE_WORDS = ("家", "个", "场", "幢", "项", "座", "处")
_GOAL_EN = {">": "over", ">=": "at least", "about": "about", "<": "under", "<=": "at most"}


def target_label(row, lang: str) -> str:
    """A target as every table and sentence names it. Chinese: the plan's words, which carry the goal
    (社会消费品零售总额2024年突破650亿元). English: the short name and the goal from the target's fields (Retail
    sales of consumer goods in 2024 (target: over 65 billion yuan)), so that an English reader is never told a
    target is pending without being told what it is. A milestone has no number: its name alone."""
    if lang == "zh":
        return zh_text(row.get("name_zh") or row.get("statement") or row.get("target", ""))
    name = str(row.get("name_en") or row.get("target", ""))
    value, top, unit = row.get("target_value"), row.get("target_value_max"), str(row.get("unit") or "")
    if value is None or pd.isna(value) or unit in ("", "nan"):
        return name
    if unit in _MEASURE_WORDS:          # 3家 / 1个 / 2场: the noun is in the name (3 zones, not 3 firms)
        unit = ""
    elif unit in ("万人", "万人次") and float(value) < 100:     # 2万人: 20,000 persons, not 0.02 million
        value, top, unit = float(value) * 1e4, (float(top) * 1e4 if top is not None and pd.notna(top) else top), unit[1:]
    goal = (f"{amount(float(value), unit, 'en')} to {amount(float(top), unit, 'en')}" if top is not None and pd.notna(top)
            else f"{_GOAL_EN.get(str(row.get('comparison')), '')} {amount(float(value), unit, 'en')}".strip())
    return f"{name} (target: {goal})"


# translated, not written, Chinese (issue 26): never printed; tests/test_bulletin.py scans the sources and the PDF
TRANSLATED = ("达标概率", "不太可能", "可能性相当", "很不可能", "几乎不可能", "缺失即为缺失", "忠实转载", "实际年均增长")


def cn_date(d) -> str:
    """2025年8月14日: the date as a Chinese document prints it (never ISO)."""
    return f"{d.year}年{d.month}月{d.day}日"


def en_date(d) -> str:
    return f"{d.day} {d.strftime('%B')} {d.year}"


_HALF_PARENS = re.compile(r"\(([^()]*[\u3400-\u9fff][^()]*)\)")
_CJK_COMMA = re.compile(r"(?<=[\u3400-\u9fff]),|,(?=[\u3400-\u9fff])")
_RANGE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)(?=\s*([年月]?))")


def zh_text(text: object) -> str:
    """A name or plan statement typed with half-width marks, as Chinese text prints it: 集装箱吞吐量（通海港区）,
    2022年，开工, 1～2个, 2022—2024年, 1—6月 (GB/T 15834: full-width brackets and commas, ～ for a range of
    quantities, — for a range of years or months). Digits' own marks (1,733 and 2.5) are left alone."""
    def dash(m: re.Match) -> str:
        a, b, unit = m.group(1), m.group(2), m.group(3)
        years = len(a) == 4 and len(b) == 4
        return f"{a}{'—' if years or unit else '～'}{b}"
    text = _HALF_PARENS.sub(r"（\1）", str(text))
    text = _CJK_COMMA.sub("，", text)
    return _RANGE.sub(dash, text)


def term(key: str, lang: str) -> str:
    """A catalogued term in the reader's language."""
    return L(lang, *TERMS[key])


# English readers get English magnitudes (52.1 billion yuan); the Chinese text keeps 521亿元 as printed
EN_UNITS = {"亿元": (0.1, "billion yuan"), "万元": (10, "thousand yuan"), "亿美元": (0.1, "billion US dollars"),
            "万人次": (0.01, "million visits"), "万人": (0.01, "million persons"), "人": (1, "persons"),
            "人次": (1, "person-times"), "家": (1, ""), "个": (1, ""), "项": (1, "projects"), "幢": (1, "buildings"),
            "场": (1, "events"), "万标箱": (0.01, "million TEU"), "万吨": (0.01, "million tonnes")}


def amount(v: float | None, unit: str, lang: str, printed: bool = False) -> str:
    """A value with its unit, in Chinese conventions (521亿元) or English ones (52.1 billion yuan).

    printed: a published figure quoted as evidence keeps every digit it was printed with (438.5亿元, 43.85 billion
    yuan), so that both languages quote the same number; model output is rounded for reading (fmt_value)."""
    fmt = fmt_printed if printed else fmt_value
    if lang == "zh":
        return fmt(v, unit).replace(",", "")      # a Chinese document writes 1733亿元, no thousands separator (issue 26)
    if not unit or unit == "%":
        return fmt(v, unit)
    factor, name = EN_UNITS.get(unit, (1, unit))
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return fmt(v * factor, f" {name}" if name else "")


def amount_range(lo: float, hi: float, unit: str, lang: str) -> str:
    """A band with its unit once, after the upper end: 479—700亿元 / 47.9–70 billion yuan."""
    first, last = amount(lo, unit, lang), amount(hi, unit, lang)
    if lang == "zh":
        return f"{first.removesuffix(unit.replace(',', ''))}—{last}"
    return f"{first.split(' ')[0]}–{last}"


def fmt_printed(v: float | None, unit: str = "") -> str:
    """A published figure with the digits it carries (438.5, 1,733, 7.14), float noise of a unit change removed."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    # every digit printed survives a unit change (140.57万标箱 -> 1.4057 million TEU, never 1.406): six decimals hold
    # a figure printed to two decimals in 万 and drop the float noise of the multiplication
    d = Decimal(repr(round(float(v), 6))).normalize()
    return f"{d:,f}{unit}"


def fmt_value(v: float | None, unit: str = "") -> str:
    """A number as a reader takes it in: three significant figures at most below 1,000 (72.9亿元, 7.29 billion yuan),
    whole numbers with thousands separators above (1,235), never more digits than the sources can carry."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    a = abs(v)
    text = (f"{v:,.0f}" if a >= 100 else f"{v:.1f}" if a >= 10 else f"{v:.2f}" if a >= 1 else f"{v:.3g}")
    if "." in text and a < 100:
        text = text.rstrip("0").rstrip(".")    # 52.0 -> 52, 7.10 -> 7.1: no trailing zeros a reader has to skip
    return f"{text}{unit}"


def fmt_pct(v: float | None) -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.1f}%"


def fmt_p(p: float | None) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "—"
    return "<1%" if p < 0.01 else ">99%" if p > 0.99 else f"{p:.0%}"


_CN_NUMERALS = {c: i for i, c in enumerate("一二三四五六七八九十", 1)}
_SECTION = re.compile(r"^([一二三四五六七八九十]+)(?:\.(\d+))?$")


def clause_ref(clause: object, lang: str) -> str:
    """The plan item a target comes from, as a leader's document cites it: 第16条 / item 16 (the section is the
    heading the target sits under); "" when the plan gives the target no numbered item."""
    items = [part.strip() for part in str(clause).split("/") if part.strip().isdigit()]
    if not items:
        return ""
    return L(lang, "第" + "、".join(items) + "条", "item " + ", ".join(items))


def clause_text(clause: object, lang: str) -> str:
    """The plan's clause reference: 二.1/26 in Chinese, "Sec. 2.1 / item 26" in English.

    Clauses are stored as the plan prints them (config/targets.yaml: a section like 二.1 and/or a numbered
    item); an English reader cannot read 二, so sections become Arabic and items are named as items.
    """
    text = str(clause)
    if lang == "zh":
        return text
    parts = []
    for part in text.split("/"):
        part = part.strip()
        m = _SECTION.match(part)
        if m:
            head = m.group(1)
            num = _CN_NUMERALS[head] if len(head) == 1 else (10 + _CN_NUMERALS.get(head[-1], 0) if head[0] == "十" else 0)
            parts.append(f"Sec. {num}" + (f".{m.group(2)}" if m.group(2) else ""))
        elif part.isdigit():
            parts.append(f"item {part}")
        elif part:
            parts.append(part)
    return " / ".join(parts)


_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
_PERIOD = re.compile(r"^\s*(\d{4})\s*年?\s*(?:(\d{1,2})\s*-\s*(\d{1,2})\s*月|(\d{1,2})\s*月|(全年|年末|年底))?\s*$")


def period_text(value) -> str:
    """A period label as written (2024, 2022-2024), also when a CSV round trip made 2024 a float."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def period_words(period: object, lang: str, year: object = None) -> str:
    """A period as the reader's language writes it: 2023年 / 2025年1-9月 in Chinese, "2023" / "Jan-Sep 2025" in English.

    Raw files write periods as the source prints them (2025年1-9月, 1-6月 with the year in its own column, 全年);
    English text must not carry 年 or 月, so the common shapes are translated and anything else is kept as typed.
    """
    text = period_text(period)
    if lang == "zh":       # a month range as Chinese official text writes it: 1—6月, not 1-6月
        return re.sub(r"(\d{1,2})\s*[-–~～至]\s*(\d{1,2})(\s*月)", r"\1—\2\3", text)
    if year is not None and re.fullmatch(r"\s*(\d{1,2}\s*-\s*\d{1,2}\s*月|\d{1,2}\s*月|全年|年末|年底)\s*", text):
        text = f"{period_text(year)}年{text}"
    m = _PERIOD.match(text)
    if not m:
        return text
    y, a, b, single, whole = m.groups()
    if a and b and 1 <= int(a) <= 12 and 1 <= int(b) <= 12:
        return f"{_MONTHS[int(a) - 1]}-{_MONTHS[int(b) - 1]} {y}"
    if single and 1 <= int(single) <= 12:
        return f"{_MONTHS[int(single) - 1]} {y}"
    if whole in ("年末", "年底"):
        return f"end of {y}"
    return y


def _get(row: pd.Series, key: str):
    v = row.get(key)
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


STATUS_WORDS = {"estimate": ("预计数", "estimate"), "reported": ("公布数", "published"), "final": ("最终核实数", "final"),
                "preliminary": ("初步核算数", "preliminary"), "unverified": ("网络资料，未核实，未采用", "web page, unverified, not used"),
                "printed growth": ("公布增速", "printed growth"), "approximate": ("约数", "approximate"),
                "lower bound": ("下限", "lower bound"), "at least": ("下限（含）", "at least"),
                "upper bound": ("上限（不足此数）", "upper bound"), "mirror": ("转载待核对", "mirror, not cross-checked"), "secondary": ("转载", "secondary copy"),
                "aggregator": ("聚合网站", "aggregator site"), "department": ("部门报送", "department return"),
                "derived": ("推算", "derived")}


def status_words(status: str, lang: str) -> str:
    words = [s.strip() for s in str(status).split(",") if s.strip()]
    if "unverified" in words:           # an unverified page is no 公布数: "网络资料（未核实，未采用）" (issue 26)
        words = [w for w in words if w not in ("reported", "final", "preliminary")]
    parts = [STATUS_WORDS.get(s, (s, s)) for s in words]
    return "、".join(p[0] for p in parts) if lang == "zh" else ", ".join(p[1] for p in parts)


def _n(count: int, one: str, many: str) -> str:
    """An English count with its noun in the right number (1 figure, 5 figures)."""
    return f"{count:,} {one if count == 1 else many}"


_WORDS = ("No", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten")


def _n_start(count: int, one: str, many: str) -> str:
    """_n at the start of a sentence: a number up to ten in words (Three figures…), as English prose writes it."""
    return f"{_WORDS[count] if 0 <= count <= 10 else format(count, ',')} {one if count == 1 else many}"


def _years(values, lang: str = "en") -> str:
    """Years as a short list: 2021, 2022 and 2023 -> 2021-2023; in Chinese 2021—2023年、2025年 (dash range, 、)."""
    ys = sorted({int(v) for v in values})
    runs, start = [], None
    for i, y in enumerate(ys):
        start = y if start is None else start
        if i + 1 == len(ys) or ys[i + 1] != y + 1:
            runs.append((str(y) if start == y else f"{start}-{y}") if lang != "zh"
                        else (f"{y}年" if start == y else f"{start}—{y}年"))
            start = None
    return ", ".join(runs) if lang != "zh" else "、".join(runs)

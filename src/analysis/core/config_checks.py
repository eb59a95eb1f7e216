"""What a YAML file under config/ may hold before the code relies on its shape (issue 11, red-team round 2).

config.py turns the registries into dataclasses; this module guards the
step before: the YAML itself (duplicate keys, an alias bomb) and the shape of
settings.yaml (a key renamed, a list where a mapping belongs, a limit typed as
a word). Each of these used to end in a KeyError, AttributeError or
ValueError traceback deep in a later stage, or, for a duplicate key, in the
last value winning without a word. Every problem names the file, the key
(as a dotted path in the column field), the value and the fix.
"""
from __future__ import annotations

import re
from typing import Any

import yaml

from analysis.core.errors import Problem
from analysis.core.parse import norm_key, unit_key

# The expanded size a config file may reach through anchors and aliases (&a / *a): the registries are
# a few thousand nodes; a "billion laughs" file is millions once a later stage walks or copies it.
MAX_EXPANDED_NODES = 200_000


class UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):   # type: ignore[misc]
    """SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last one silently).

    Built on libyaml's parser when PyYAML has it (it nearly always does): the three registries took 0.4 s
    to read with the pure-Python one, in every process and kernel of a run; the constructor (what a value
    becomes) is the same SafeConstructor either way."""


def _construct_unique_mapping(loader: UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[object, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":       # "<<: *defaults" merges, it is not a key
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            first = seen.setdefault(key, key_node.start_mark.line + 1)
        except TypeError:                                   # an unhashable key: the base constructor reports it
            continue
        if first != key_node.start_mark.line + 1:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} is given twice in one mapping (first on line {first}); only one can count",
                key_node.start_mark)
    return yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep=deep)


UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def expanded_size(data: Any, limit: int = MAX_EXPANDED_NODES) -> int:
    """Nodes the data holds once every alias is expanded (counted without expanding: shared objects are memoised)."""
    memo: dict[int, int] = {}

    def size(obj: Any) -> int:
        if not isinstance(obj, (dict, list)):
            return 1
        if id(obj) in memo:
            return memo[id(obj)]
        memo[id(obj)] = 1                                   # a recursive alias counts once
        items = list(obj.items()) if isinstance(obj, dict) else obj
        total = 1 + sum(size(k) + size(v) for k, v in items) if isinstance(obj, dict) else 1 + sum(size(v) for v in items)
        memo[id(obj)] = min(total, limit + 1)
        return memo[id(obj)]

    return size(data)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# settings.yaml: key -> (type the code relies on, what it holds). Keys read by every stage are required.
_SETTINGS_SHAPE: dict[str, tuple[type, str]] = {
    "reporting_cutoff_days_after_quarter_end": (int, "a whole number of days"),
    "publication_lag_days": (dict, "a mapping with annual and ytd (days)"),
    "selection": (dict, "a mapping"),
    "vocabulary": (dict, "a mapping with status, reliability and qualifier"),
    "regions": (dict, "a mapping from each region to its aliases"),
    "home_region": (str, "the name of one region"),
    "columns": (dict, "a mapping with required, optional and aliases"),
    "validation": (dict, "a mapping"),
    "forecast": (dict, "a mapping"),
    "assessment": (dict, "a mapping"),
}
_OPTIONAL_SHAPE: dict[str, tuple[type, str]] = {"limits": (dict, "a mapping of limits"), "departments": (dict, "a mapping"),
                                                 "briefing": (dict, "a mapping of the 简报 words (series, publisher, 报/送)")}


def settings_problems(settings: dict[str, Any], rel: str) -> list[Problem]:
    """The shape problems of settings.yaml that would otherwise surface as a traceback in a later stage."""
    problems: list[Problem] = []
    restore = f"restore it from the repository (git diff {rel} shows what changed); 请按仓库中的原文件恢复"

    def bad(key: str, message: str, fix: str, value: Any = None) -> None:
        problems.append(Problem(rel, message, fix, column=key, value=None if value is None else str(value)[:120]))

    for key, (kind, what) in {**_SETTINGS_SHAPE, **_OPTIONAL_SHAPE}.items():
        if key not in settings:
            if key in _SETTINGS_SHAPE:
                bad(key, f'the key "{key}" is missing', f"add {key}: ({what}); {restore}")
            continue
        value = settings[key]
        ok = _is_int(value) if kind is int else isinstance(value, kind)
        if not ok:
            bad(key, f'"{key}" is a {type(value).__name__}, not {what}', f"write {key} as {what}; {restore}", value)
    if problems:
        return problems
    for key in ("annual", "ytd"):
        value = settings["publication_lag_days"].get(key)
        if not _is_int(value) or value < 0:
            bad(f"publication_lag_days.{key}", "is not a whole number of days (0 or more)", "write e.g. 60", value)
    for key in ("status", "reliability", "qualifier"):
        vocab = settings["vocabulary"].get(key)
        if not isinstance(vocab, dict) or not all(isinstance(w, list) or w is None for w in vocab.values()):
            bad(f"vocabulary.{key}", "is not a mapping from each code to its list of words",
                f"write it as code: [word, word]; {restore}", vocab)
    columns = settings["columns"]
    for key, kind in (("required", list), ("optional", list), ("aliases", dict)):
        if not isinstance(columns.get(key), kind):
            bad(f"columns.{key}", f"is not a {kind.__name__}", f"write columns.{key} as a {kind.__name__}; {restore}",
                columns.get(key))
    if not all(isinstance(v, list) or v is None for v in settings["regions"].values()):
        bad("regions", "does not map each region to a list of aliases", f"write it as 海门: [海门区, Haimen]; {restore}")
    if settings["home_region"] not in settings["regions"]:
        bad("home_region", "is not one of the regions", f"use one of {', '.join(map(str, settings['regions']))}",
            settings["home_region"])
    for name, value in (settings.get("limits") or {}).items():
        if not _is_int(value) or value < 1:
            bad(f"limits.{name}", "is not a whole number of 1 or more", "write a positive whole number (see the comment "
                "above the limit for its reason); 请填写正整数", value)
    return problems or overlap_problems(settings, rel)


def registry_shape_problems(data: dict[str, Any], key: str, kind: type, rel: str) -> list[Problem]:
    """indicators.yaml must map ids to entries and targets.yaml list its targets: the loops rely on it."""
    value = data.get(key)
    if value is None or isinstance(value, kind):
        return []
    what = "a mapping from each id to its entry" if kind is dict else "a list of entries (- id: ...)"
    return [Problem(rel, f'"{key}" is a {type(value).__name__}, not {what}', f"write {key} as {what}; restore it from the "
                    "repository if unsure", column=key, value=str(value)[:120])]


def number_problems(spec: dict[str, Any], keys: tuple[str, ...], rel: str, owner: str) -> list[Problem]:
    """Keys of a registry entry that must be numbers when given (a target's value "ten" passed the clean step)."""
    return [Problem(rel, f"{owner}: {key} is not a number", f"write {key} in digits (e.g. 10 or 2.5), or delete the line",
                    column=f"{owner}.{key}", value=str(spec[key])[:120])
            for key in keys if spec.get(key) is not None
            and (isinstance(spec[key], bool) or not isinstance(spec[key], (int, float)))]


# --------------------------------------------------------------------------------- round 3 (README_red_team.md) --
_TRAILING_TAB = re.compile(r"[ \t]*\t[ \t]*$", re.MULTILINE)


def without_trailing_tabs(text: str) -> str:
    """The YAML text without tabs at the ends of lines (white space there means nothing).

    PyYAML refuses a tab after a value ("home_region: 海门<TAB>", left by an editor) as "found character '\\t'
    that cannot start any token"; a tab that indents a line is still refused, with its line.
    """
    return _TRAILING_TAB.sub("", text)


def _flag(value: Any) -> bool:
    return isinstance(value, bool)


_FLAGS = ("non_negative", "derive_from_growth", "panel")


def indicator_entry_problems(ind_id: str, spec: Any, rel: str) -> list[Problem]:
    """An indicator entry whose units or flags would be read wrongly without a word.

    - a factor of 0 or below turned every figure in that unit into 0 or a negative level; a word ("ten") was
      "indicator ... is incomplete (could not convert string to float)" without naming the unit;
    - two printed units that read alike (parse.unit_key: "亿元" and "亿元 ") with different factors: the first won;
    - non_negative: "false" (a string) is true in Python, so the flag was read the other way round.
    """
    if not isinstance(spec, dict):
        return []                    # reported by the caller as an incomplete entry
    problems: list[Problem] = []
    units = spec.get("units")
    if isinstance(units, dict):
        seen: dict[str, tuple[str, Any]] = {}
        for name, factor in units.items():
            where = dict(column=f"{ind_id}.units.{name}", value=str(factor)[:120])
            if isinstance(factor, bool) or not isinstance(factor, (int, float, str)):
                problems.append(Problem(rel, f"indicator {ind_id}: the factor of unit {name} is not a number",
                                        "write the factor to the canonical unit in digits (万元 to 亿元: 0.0001)", **where))
                continue
            try:
                number = float(factor)
            except ValueError:
                problems.append(Problem(rel, f"indicator {ind_id}: the factor of unit {name} is not a number",
                                        "write the factor to the canonical unit in digits (万元 to 亿元: 0.0001)", **where))
                continue
            if not number > 0 or number == float("inf"):
                problems.append(Problem(rel, f"indicator {ind_id}: the factor of unit {name} is {factor}, but a factor "
                                             "must be above 0 (it multiplies every figure printed in that unit)",
                                        "write the factor to the canonical unit, e.g. 万元 to 亿元: 0.0001", **where))
            key = unit_key(name)
            if key in seen and float(seen[key][1]) != number:
                problems.append(Problem(rel, f"indicator {ind_id}: the units {seen[key][0]!r} and {name!r} read as the same unit "
                                             f"but have different factors ({seen[key][1]} and {factor})",
                                        "keep one of the two (case, spaces and brackets do not tell units apart)", **where))
            seen.setdefault(key, (str(name), factor))
    for flag in _FLAGS:
        if flag in spec and not _flag(spec[flag]):
            problems.append(Problem(rel, f"indicator {ind_id}: {flag} is {spec[flag]!r}, not true or false",
                                    f"write {flag}: true or {flag}: false, without quotes (a quoted \"false\" reads as true)",
                                    column=f"{ind_id}.{flag}", value=str(spec[flag])[:120]))
    return problems


def target_entry_problems(spec: dict[str, Any], defaults: dict[str, Any], rel: str, owner: str) -> list[Problem]:
    """A target's flags must be true/false ("false" in quotes read as true: a headline target nobody meant),
    and its target year may not come before its base year (the required growth would be computed backwards)."""
    problems = [Problem(rel, f"{owner}: {flag} is {spec[flag]!r}, not true or false",
                        f"write {flag}: true or {flag}: false, without quotes", column=f"{owner}.{flag}", value=str(spec[flag])[:120])
                for flag in ("headline", "each_year") if flag in spec and not _flag(spec[flag])]
    target, base = spec.get("target_year", defaults.get("target_year")), spec.get("base_year", defaults.get("base_year"))
    if _is_int(target) and _is_int(base) and target < base:
        problems.append(Problem(rel, f"{owner}: target_year {target} is before base_year {base}",
                                "check both years (the plan's base year is 2021 and its last year 2024)",
                                column=f"{owner}.target_year", value=str(target)))
    return problems


def overlap_problems(settings: dict[str, Any], rel: str) -> list[Problem]:
    """Names that would be read as two things, ranks that leave a code out, switches that are not true/false.

    A region alias listed under two regions (海门区 under 南通 too), or a word under two status codes, went to
    whichever came last, without a word; a status code without a rank in selection.status_rank made the best-value
    choice compare a missing rank.
    """
    problems: list[Problem] = []
    owner: dict[str, str] = {}
    for region, aliases in settings["regions"].items():
        for alias in [region, *(aliases or [])]:
            key = norm_key(alias)
            if owner.get(key, region) != region:
                problems.append(Problem(rel, f"the region name {alias!r} is listed under both {owner[key]} and {region}",
                                        "keep each name under one region only", column=f"regions.{region}", value=str(alias)))
            owner.setdefault(key, region)
    for section, flag in (("selection", "include_unverified"), ("forecast", "use_derived")):
        value = (settings.get(section) or {}).get(flag)
        if flag in (settings.get(section) or {}) and not _flag(value):
            problems.append(Problem(rel, f"{section}.{flag} is {value!r}, not true or false",
                                    f"write {flag}: true or {flag}: false, without quotes (a quoted \"false\" reads as true)",
                                    column=f"{section}.{flag}", value=str(value)))
    ranks = settings.get("selection") or {}
    for field_name, rank_key in (("status", "status_rank"), ("reliability", "reliability_rank"), ("qualifier", "qualifier_rank")):
        words: dict[str, str] = {}
        vocab = settings["vocabulary"][field_name]
        for code, listed in vocab.items():
            for word in [code, *(listed or [])]:
                key = norm_key(word)
                if words.get(key, code) != code:
                    problems.append(Problem(rel, f"the word {word!r} is listed under both {words[key]} and {code}",
                                            "keep each word under one code only", column=f"vocabulary.{field_name}.{code}",
                                            value=str(word)))
                words.setdefault(key, code)
        rank = ranks.get(rank_key)
        if isinstance(rank, dict):
            for code in vocab:
                if not _is_int(rank.get(code)):
                    problems.append(Problem(rel, f"selection.{rank_key} gives no whole-number rank for {field_name} {code}",
                                            f"add {code}: <rank> under selection.{rank_key} (higher wins)",
                                            column=f"selection.{rank_key}.{code}", value=None if rank.get(code) is None
                                            else str(rank.get(code))))
    return problems

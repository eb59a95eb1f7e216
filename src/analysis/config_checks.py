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

from typing import Any

import yaml

from .errors import Problem

# The expanded size a config file may reach through anchors and aliases (&a / *a): the registries are
# a few thousand nodes; a "billion laughs" file is millions once a later stage walks or copies it.
MAX_EXPANDED_NODES = 200_000


class UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last one silently)."""


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
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


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
_OPTIONAL_SHAPE: dict[str, tuple[type, str]] = {"limits": (dict, "a mapping of limits"), "departments": (dict, "a mapping")}


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
    return problems


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

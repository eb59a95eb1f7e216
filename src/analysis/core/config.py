"""Load and check the YAML settings and registries under config/.

The registries are data, but the code depends on their shape, so they are
read into frozen dataclasses once and checked here: a typo in a YAML file
fails with the file and the key, not deep inside a later stage.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from analysis.core import paths
from analysis.core.config_checks import (MAX_EXPANDED_NODES, UniqueKeyLoader, expanded_size, indicator_entry_problems, number_problems,
                            registry_shape_problems, settings_problems, target_entry_problems, without_trailing_tabs)
from analysis.core.errors import InputError, Problem
from analysis.core.parse import norm_key, unit_key

INDICATOR_KINDS = {"flow", "stock", "count", "share"}
TARGET_TYPES = {"level", "avg_growth", "cumulative", "share", "count", "milestone"}
COMPARISONS = {">", ">=", "about"}
# settings.yaml limits, for a settings file without that block (the values and their reasons are there)
LIMIT_DEFAULTS = {"max_file_mb": 20, "max_xlsx_unpacked_mb": 200, "max_rows": 50000, "max_cell_chars": 1_000_000,
                  "max_text_chars": 2000,
                  "problems_shown": 20}


@dataclass(frozen=True)
class Indicator:
    id: str
    name_zh: str
    name_en: str
    unit: str                       # canonical unit
    units: dict[str, float]         # printed unit -> factor to the canonical unit
    kind: str
    non_negative: bool
    bounds: tuple[float, float]
    aliases: tuple[str, ...] = ()
    derive_from_growth: bool = False
    pandemic: str = "none"          # treatment of forecast.pandemic_years: none, mask or dummy
    panel: bool = False             # a panel whose membership changes every year (规模以上, 限额以上): no level-ratio growth
    # a count that cannot fall once reached (designations, titles, parks built): met before the target year, it stays
    # met; a threshold count (营业收入超亿元企业) or firms that may leave can fall, so only the target-year figure settles
    irreversible: bool = False
    # totals re-benchmarked after an economic census and rebuilt from a 限额以上 panel (社零): a ratio of two years'
    # levels is no comparable growth, so growth targets use printed growth only, as for panels
    rebenchmarked: bool = False
    # what printed growth measures: nominal (current prices, comparable basis) or real (constant prices: GDP, value
    # added); a gap between a real rate and the ratio of current-price levels is price, not basis
    growth_basis: str = "nominal"

    @property
    def printed_growth_only(self) -> bool:
        """Growth targets on printed (comparable) growth only: no level-ratio bridge (panels, re-benchmarked totals)."""
        return self.panel or self.rebenchmarked

    def unit_name(self, unit_printed: str) -> str | None:
        """The accepted unit (as config/indicators.yaml spells it) a printed unit is, or None (parse.unit_key:
        case, spaces and enclosing brackets do not count)."""
        key = unit_key(unit_printed)
        return next((name for name in self.units if unit_key(name) == key), None)

    def factor(self, unit_printed: str) -> Decimal | None:
        """Exact conversion factor for a printed unit, None when the unit is not accepted.

        Decimal keeps 5.09 million -> 509 exact instead of 509.00000000000006.
        """
        name = self.unit_name(unit_printed)
        return None if name is None else Decimal(str(self.units[name]))


@dataclass(frozen=True)
class Target:
    id: str
    clause: tuple[str, ...]
    statement: str
    name_en: str
    type: str
    target_year: int
    base_year: int
    value: float | None = None
    value_max: float | None = None
    unit: str | None = None
    comparison: str | None = None
    tolerance: float | None = None
    indicator: str | None = None
    headline: bool = False
    each_year: bool = False
    per: str | None = None
    note: str | None = None         # Chinese: an assumption the registry makes (e.g. an assumed year)
    note_en: str | None = None
    name_zh: str = ""               # what is measured, in full (the statement may lean on its clause)


@dataclass(frozen=True)
class Config:
    settings: dict[str, Any]
    indicators: dict[str, Indicator]
    targets: tuple[Target, ...]
    not_targets: tuple[dict[str, str], ...]
    plan_years: tuple[int, ...]
    config_dir: Path
    _alias_index: dict[str, str] = field(default_factory=dict, repr=False)
    # Lookup tables built once per config: ingest asks for them once per row, and rebuilding them
    # 50,000 times was most of the time a big file took (profile in tests/test_hostile_inputs.py).
    _memo: dict = field(default_factory=dict, repr=False, compare=False)

    def indicator_for(self, name: str) -> Indicator | None:
        """Indicator by id, Chinese or English name, or alias (as sources print it)."""
        ind_id = self._alias_index.get(norm_key(name))
        return self.indicators.get(ind_id) if ind_id else None

    def vocabulary(self, field_name: str) -> dict[str, str]:
        """Printed word -> code, for status, reliability and qualifier."""
        key = ("vocabulary", field_name)
        if key not in self._memo:
            vocab = self.settings["vocabulary"][field_name]
            self._memo[key] = {norm_key(word): code for code, words in vocab.items() for word in [code, *words]}
        return self._memo[key]

    def region_index(self) -> dict[str, str]:
        if "regions" not in self._memo:
            self._memo["regions"] = {norm_key(a): name for name, aliases in self.settings["regions"].items()
                                     for a in [name, *aliases]}
        return self._memo["regions"]

    @property
    def headline_targets(self) -> tuple[Target, ...]:
        return tuple(t for t in self.targets if t.headline)

    def limit(self, name: str) -> int:
        """A limit on one raw file (settings.yaml limits): a config written before limits existed gets the defaults."""
        return int((self.settings.get("limits") or {}).get(name, LIMIT_DEFAULTS[name]))

    def must_be_positive(self, indicator: str) -> bool:
        """Whether a level of this indicator must be above 0 (a 0 or negative level is then an input error).

        True where the indicator's plausible range starts above 0 (bounds in
        indicators.yaml), and where a target judges the level by ratios (level,
        share and average-growth targets divide by it and the models take its
        log): a 0 there used to end in a ZeroDivisionError inside the forecast
        notebook. Likewise where levels are derived from printed growth (L / (1 + g)).
        Counts whose range starts at 0 (new firms in a year) may be 0.
        """
        key = ("positive", indicator)
        if key not in self._memo:
            ind = self.indicators[indicator]
            self._memo[key] = ind.bounds[0] > 0 or ind.derive_from_growth or any(t.indicator == indicator and t.type in ("level", "share", "avg_growth")
                                                       for t in self.targets)
        return self._memo[key]


def _read_yaml(path: Path) -> dict[str, Any]:
    rel = paths.relative(path)
    if not path.exists():
        raise InputError([Problem(rel, "the file is missing", f"restore {rel} from the repository (git checkout -- {rel})")])
    try:
        raw = path.read_bytes()
    except OSError as exc:              # a folder named settings.yaml, a file that cannot be read
        raise InputError([Problem(rel, f"cannot be read ({exc.strerror})",
                                  f"make {rel} a readable file again: restore it from the repository (git checkout -- {rel}); "
                                  "请从仓库恢复该文件")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError([Problem(rel, f"is not UTF-8 text (an unreadable byte on line {line}; saved as GBK/ANSI?)",
                                  "save it again as UTF-8 (in Notepad: Save As > Encoding UTF-8); 请以 UTF-8 编码保存",
                                  row=line)]) from None
    try:
        data = yaml.load(without_trailing_tabs(text), Loader=UniqueKeyLoader)     # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError([Problem(rel, f"is not valid YAML: {getattr(exc, 'problem', exc)}",
                                  "fix the indentation (spaces, never tabs), the quoting or the repeated key at that line; "
                                  "请检查该行的缩进、引号或重复的键",
                                  row=(mark.line + 1) if mark else None)]) from None
    if not isinstance(data, dict):
        raise InputError([Problem(rel, "does not hold a YAML mapping", "restore the file from the repository")])
    if expanded_size(data) > MAX_EXPANDED_NODES:
        raise InputError([Problem(rel, f"expands to more than {MAX_EXPANDED_NODES:,} entries through its aliases (*name), "
                                       "far more than any registry holds (an alias bomb?)",
                                  "remove the aliases that repeat other aliases, or restore the file from the repository; "
                                  "请删除嵌套引用")])
    return data


def _indicators(data: dict[str, Any], rel: str) -> tuple[dict[str, Indicator], dict[str, str], list[Problem]]:
    problems: list[Problem] = []
    indicators: dict[str, Indicator] = {}
    index: dict[str, str] = {}
    for ind_id, spec in (data.get("indicators") or {}).items():
        found = indicator_entry_problems(ind_id, spec, rel)
        if found:
            problems += found
            continue
        try:
            ind = Indicator(
                id=ind_id, name_zh=spec["name_zh"], name_en=spec["name_en"], unit=spec["unit"],
                units={str(k): float(v) for k, v in spec["units"].items()}, kind=spec["kind"],
                non_negative=bool(spec["non_negative"]), bounds=tuple(spec["bounds"]),
                aliases=tuple(spec.get("aliases") or ()), derive_from_growth=bool(spec.get("derive_from_growth", False)),
                pandemic=str(spec.get("pandemic", "none")), panel=bool(spec.get("panel", False)),
                irreversible=bool(spec.get("irreversible", False)), rebenchmarked=bool(spec.get("rebenchmarked", False)),
                growth_basis=str(spec.get("growth_basis", "nominal")),
            )
            if ind.panel and ind.derive_from_growth:
                # a panel's printed growth is on comparable firms: a level derived from it is no level of the panel
                problems.append(Problem(rel, f"indicator {ind_id} is marked both panel and derive_from_growth, which "
                                             "contradict each other: a 规模以上/限额以上 panel's printed growth compares "
                                             "the same firms, so no level can be derived from it",
                                        "keep panel: true and remove derive_from_growth (or the reverse if the "
                                        "indicator is no panel)", column=ind_id))
            if ind.growth_basis == "real" and ind.derive_from_growth:
                # a constant-price rate applied to a current-price level gives no level of either kind
                problems.append(Problem(rel, f"indicator {ind_id} is marked both growth_basis: real and "
                                             "derive_from_growth, which contradict each other: its printed growth is at "
                                             "constant prices and its levels at current prices, so no level can be "
                                             "derived from the growth (实际增速不能用于推算现价水平值)",
                                        "remove derive_from_growth (or growth_basis: real if the printed growth is "
                                        "nominal)", column=ind_id))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            problems.append(Problem(rel, f"indicator {ind_id} is incomplete ({exc})",
                                    "give it name_zh, name_en, unit, units, kind, non_negative and bounds", column=ind_id))
            continue
        if (len(ind.bounds) != 2 or not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in ind.bounds)
                or ind.bounds[0] > ind.bounds[1]):
            problems.append(Problem(rel, f"indicator {ind_id} has bounds {list(spec['bounds'])!r}, not [low, high] in numbers",
                                    "write bounds: [low, high], e.g. [0, 5000], in the canonical unit", column=ind_id))
            continue
        if ind.kind not in INDICATOR_KINDS:
            problems.append(Problem(rel, f"indicator {ind_id} has kind {ind.kind!r}",
                                    f"use one of {sorted(INDICATOR_KINDS)}", column=ind_id))
        if ind.pandemic not in ("none", "mask", "dummy"):
            problems.append(Problem(rel, f"indicator {ind_id} has pandemic {ind.pandemic!r}",
                                    "use none, mask or dummy", column=ind_id))
        if ind.factor(ind.unit) != 1:
            problems.append(Problem(rel, f"indicator {ind_id}: its canonical unit {ind.unit} must have factor 1 in units",
                                    f"add '{ind.unit}: 1' to its units", column=ind_id))
        indicators[ind_id] = ind
        for name in (ind_id, ind.name_zh, ind.name_en, *ind.aliases):
            key = norm_key(name)
            if index.get(key, ind_id) != ind_id:
                problems.append(Problem(rel, f"the name {name!r} is used by both {index[key]} and {ind_id}",
                                        "keep each alias under one indicator only", column=ind_id))
            index[key] = ind_id
    return indicators, index, problems


def _targets(data: dict[str, Any], rel: str, indicators: dict[str, Indicator]) -> tuple[tuple[Target, ...], list[Problem]]:
    problems: list[Problem] = []
    defaults = data.get("defaults") or {}
    seen: set[str] = set()
    targets = []
    for spec in data.get("targets") or []:
        if not isinstance(spec, dict):
            problems.append(Problem(rel, "an entry of targets is not a mapping", "write each target as - id: ..., clause: ...",
                                    value=str(spec)[:120]))
            continue
        tid = spec.get("id", "?")
        bad_numbers = (number_problems(spec, ("value", "value_max", "tolerance"), rel, f"target {tid}")
                       + target_entry_problems(spec, defaults, rel, f"target {tid}"))
        if bad_numbers:
            problems += bad_numbers
            continue
        try:
            t = Target(
                id=tid, clause=tuple(str(c) for c in spec["clause"]), statement=spec["statement"],
                name_en=spec["name_en"], type=spec["type"],
                target_year=int(spec.get("target_year", defaults.get("target_year", 2024))),
                base_year=int(spec.get("base_year", defaults.get("base_year", 2021))),
                value=spec.get("value"), value_max=spec.get("value_max"), unit=spec.get("unit"),
                comparison=spec.get("comparison"), tolerance=spec.get("tolerance"), indicator=spec.get("indicator"),
                headline=bool(spec.get("headline", False)), each_year=bool(spec.get("each_year", False)),
                per=spec.get("per"), note=spec.get("note"), note_en=spec.get("note_en"),
                name_zh=str(spec.get("name_zh") or spec["statement"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(Problem(rel, f"target {tid} is incomplete ({exc})",
                                    "give it id, clause, statement, name_en and type", column=tid))
            continue
        if tid in seen:
            problems.append(Problem(rel, f"target id {tid} appears twice", "give every target its own id", column=tid))
        seen.add(tid)
        if t.type not in TARGET_TYPES:
            problems.append(Problem(rel, f"target {tid} has type {t.type!r}", f"use one of {sorted(TARGET_TYPES)}", column=tid))
        if t.per not in (None, "year", "quarter"):
            problems.append(Problem(rel, f"target {tid} has per {t.per!r}", "use per: year or per: quarter", column=tid))
        if t.type != "milestone":
            if t.value is None or t.unit is None or t.comparison not in COMPARISONS:
                problems.append(Problem(rel, f"target {tid} needs value, unit and comparison ({sorted(COMPARISONS)})",
                                        "complete the entry", column=tid))
            if t.comparison == "about" and t.tolerance is None:
                problems.append(Problem(rel, f"target {tid} says about (左右) but has no tolerance",
                                        "add tolerance: in the target's unit (percentage points for growth)", column=tid))
        if t.indicator is not None:
            ind = indicators.get(t.indicator)
            if ind is None:
                problems.append(Problem(rel, f"target {tid} reads unknown indicator {t.indicator!r}",
                                        "use an id from config/indicators.yaml", column=tid))
            elif t.unit != "%" and ind.factor(t.unit) is None:
                problems.append(Problem(rel, f"target {tid}: unit {t.unit} is not an accepted unit of {t.indicator}",
                                        "add it to the indicator's units or change the target's unit", column=tid))
        targets.append(t)
    return tuple(targets), problems


CONFIG_FILES = ("settings.yaml", "indicators.yaml", "targets.yaml")


def load_config(config_dir: Path = paths.CONFIG_DIR) -> Config:
    """Read settings.yaml, indicators.yaml and targets.yaml; raise InputError on any problem.

    Cached by the files' content, not only their folder: a process that lives across runs (a replay
    worker, a pooled kernel, a JupyterLab session) reads an edited file again at its next call.
    """
    config_dir = Path(config_dir)
    return _load_config(config_dir, _content_key(config_dir))


def _content_key(config_dir: Path) -> tuple[str | None, ...]:
    """SHA-256 of each config file (None when unreadable: _load_config reports that with its message)."""
    import hashlib

    key = []
    for name in CONFIG_FILES:
        try:
            key.append(hashlib.sha256((config_dir / name).read_bytes()).hexdigest())
        except OSError:
            key.append(None)
    return tuple(key)


@lru_cache(maxsize=8)
def _load_config(config_dir: Path, content_key: tuple[str | None, ...]) -> Config:
    """load_config's work, cached per folder and content."""
    settings = _read_yaml(config_dir / "settings.yaml")
    ind_data = _read_yaml(config_dir / "indicators.yaml")
    tgt_data = _read_yaml(config_dir / "targets.yaml")
    shape = (settings_problems(settings, paths.relative(config_dir / "settings.yaml"))
             + registry_shape_problems(ind_data, "indicators", dict, paths.relative(config_dir / "indicators.yaml"))
             + registry_shape_problems(tgt_data, "targets", list, paths.relative(config_dir / "targets.yaml")))
    if shape:
        raise InputError(shape)
    indicators, index, problems = _indicators(ind_data, paths.relative(config_dir / "indicators.yaml"))
    targets, tproblems = _targets(tgt_data, paths.relative(config_dir / "targets.yaml"), indicators)
    problems += tproblems
    if problems:
        raise InputError(problems)
    defaults = tgt_data.get("defaults") or {}
    return Config(
        settings=settings, indicators=indicators, targets=targets,
        not_targets=tuple(tgt_data.get("not_targets") or ()),
        plan_years=tuple(defaults.get("plan_years", (2022, 2023, 2024))),
        config_dir=config_dir, _alias_index=index,
    )

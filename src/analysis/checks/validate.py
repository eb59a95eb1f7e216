"""Data validation with Great Expectations: what was checked, what failed, and how bad it is.

Checks are defined here, in code, and versioned with it. Each is one Great
Expectations expectation on one prepared table, with a severity:
- error: the data cannot be trusted as it is; the pipeline stops after
  writing the report (ValidationFailed);
- warning: the data are usable but a reader must know (gaps, unverified or
  undated sources, growth that does not match the levels); warnings are
  carried into the briefing's data notes.
Checks that compare rows (growth against levels, coverage of the headline
indicators, the plausibility rules of plausibility.py: neighbouring years,
printed growth, year-to-date sequences, region scale, shares) first build a
small table with one row per comparison (check_tables.py), so that Great Expectations reports
the failing comparisons themselves. Every table carries `where` (raw file and
row, or the row's key), which names failing rows in Data Docs and
results.json. Usage analytics are off (set in analysis/__init__.py); the Data
Docs are rewritten by datadocs.py to read with no network and no links out.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.core import paths
from analysis.inputs.clean import CleanResult
from analysis.core.config import Config
from analysis.checks.datadocs import escape_stored_results, offline_copy, offline_violations, passed_with_warnings  # noqa: F401  (offline_violations: API)
from analysis.core.errors import InputError, Problem
from analysis.checks.check_tables import SEVERITY_GX, Check, prepare_tables, with_where  # noqa: F401  (with_where: used by validate_returns and tests)
from analysis.checks.plausibility import FIX as PLAUSIBILITY_FIX



@dataclass
class ValidationReport:
    as_of: str
    results: pd.DataFrame                       # one row per check
    failures: dict[str, pd.DataFrame] = field(default_factory=dict)   # check id -> failing rows
    returns: pd.DataFrame | None = None         # the department returns checked (None: no data/returns/)

    @property
    def errors(self) -> pd.DataFrame:
        return self.results[(self.results["severity"] == "error") & ~self.results["success"]]

    @property
    def warnings(self) -> pd.DataFrame:
        return self.results[(self.results["severity"] == "warning") & ~self.results["success"]]

    def to_json(self) -> dict:
        return {
            "as_of": self.as_of,
            "summary": summary(self),
            "checks": json.loads(self.results.to_json(orient="records", force_ascii=False)),
            "failing_rows": {k: json.loads(v.to_json(orient="records", force_ascii=False, date_format="iso"))
                             for k, v in self.failures.items()},
        }


class ValidationFailed(InputError):
    """An error-severity check failed: the report is written, the pipeline stops."""


# ---------------------------------------------------------- prepared tables --
# ------------------------------------------------------------------- checks --
# plausibility rules (plausibility.py): check id, table, title zh, title en; each an error unless confirmed
PLAUSIBILITY_CHECKS = [
    ("plausible.neighbour_years", "plaus_neighbours", "数值与相邻年份相符", "Levels agree with neighbouring years"),
    ("plausible.printed_growth", "plaus_growth", "数值与自身公布增速相符", "Levels agree with their own printed growth"),
    ("plausible.within_year", "plaus_within_year", "累计值年内不减（全年不低于年内累计）",
     "Cumulative figures do not fall within a year (full year not below year to date)"),
    ("plausible.region_scale", "plaus_region_scale", "数值符合该地区规模", "Values fit the region's scale"),
    ("plausible.share_ceiling", "plaus_share", "比重不超过100%", "Shares do not exceed 100 %"),
    ("plausible.early_estimate", "plaus_early_estimate", "全年预计数不早于年末发布",
     "Full-year estimates are not published long before the year ends"),
]


# a hard bound is what an indicator cannot take in any region: no `confirmed` reason passes it (unlike plausibility)
BOUND_FIX = ("请在原始文件中核对并更正数值及其单位（如亿元与万元、万人次与人次相差1万倍，是最常见的误填）；合理上下限（config/indicators.yaml 的 "
             "bounds）是该指标在任何地区都不可能超出的范围，填写确认说明不能放行，仅当指标定义改变时才调整 / correct the value "
             "or its unit in the raw file (a unit slip such as 亿元 for 万元 or 人次 for 万人次 is a factor of 10,000); the bounds in "
             "config/indicators.yaml are what the indicator cannot take in any region, so a `confirmed` reason does not "
             "pass them: change them only if the indicator's definition changed")
ROW_PROBLEMS = 5         # row-level problems listed per check; the rest are counted (all are in the validation report)


def define_checks(cfg: Config, as_of_end: pd.Timestamp, cutoff: pd.Timestamp, as_of_year: int) -> list[Check]:
    """Every check, in the order the report lists them."""
    import great_expectations as gx

    E = gx.expectations
    v = cfg.settings["validation"]
    required = cfg.settings["columns"]["required"]
    unit_pairs = [(i, u) for i, ind in cfg.indicators.items() for u in ind.units]
    canonical_pairs = [(i, ind.unit) for i, ind in cfg.indicators.items()]
    raw_id = ("obs_id", "file", "row", "indicator", "region", "period")
    tol = float(v["growth_tolerance_pp"])
    plaus_show = ("file", "row", "column", "shown", "value_printed", "message")

    def check(id_, table, severity, zh, en, fix, expectation_cls, show=raw_id, **kwargs) -> Check:
        exp = expectation_cls(**kwargs, severity=SEVERITY_GX[severity], meta={"check_id": id_, "title_zh": zh, "title_en": en},
                              description=f"[{id_} · {severity}] {zh} / {en}")
        return Check(id_, table, severity, zh, en, fix, exp, tuple(show))

    return [
        check("raw.columns", "raw", "error", "必填列齐全", "Required columns present",
              "add the missing column to the raw file (data/raw/README.md)",
              E.ExpectTableColumnsToMatchSet, column_set=required, exact_match=False),
        check("raw.value_numeric", "raw", "error", "数值为数字", "Values are numbers",
              "write values as numbers", E.ExpectColumnValuesToBeInTypeList, column="value", type_list=["float64", "float", "Float64"]),
        check("raw.source_title", "raw", "error", "每行注明来源标题", "Every row names its source",
              "give the publication's title in source_title", E.ExpectColumnValuesToNotBeNull, column="source_title"),
        check("raw.source_url", "raw", "error", "每行注明来源网址", "Every row gives the source's web address",
              "give the full http(s) address in source_url", E.ExpectColumnValuesToMatchRegex,
              column="source_url", regex=r"^https?://\S+$"),
        check("raw.reliability", "raw", "error", "每行有可靠性等级", "Every row has a reliability grade",
              "grade the source: official, secondary, mirror, aggregator or unverified", E.ExpectColumnValuesToBeInSet,
              column="reliability", value_set=["official", "secondary", "mirror", "aggregator", "unverified"]),
        check("raw.published", "raw", "warning", "每行有发布日期", "Every row gives a publication date or year",
              "find the publication date (or year) and add it; until then period end + lag is assumed",
              E.ExpectColumnValuesToNotBeNull, column="published", show=raw_id + ("source_url",)),
        check("raw.unverified", "raw", "warning", "未核实来源", "No figure comes from an unverified source",
              "find the official publication of the figure and add it as a release; unverified figures are excluded from best values",
              E.ExpectColumnValuesToNotBeInSet, column="reliability", value_set=["unverified"],
              show=raw_id + ("value", "unit", "source_url")),
        check("raw.units", "raw", "error", "单位属于该指标的允许单位", "Units are allowed for their indicator",
              "use a unit listed for the indicator in config/indicators.yaml", E.ExpectColumnPairValuesToBeInSet,
              column_A="indicator", column_B="unit_printed", value_pairs_set=unit_pairs,
              ignore_row_if="either_value_is_missing", show=raw_id + ("unit_printed",)),
        check("raw.lower_bound", "raw", "error", "数值不低于合理下限", "Values are not below the plausible range",
              BOUND_FIX,
              E.ExpectColumnPairValuesAToBeGreaterThanB, column_A="value", column_B="lower_bound", or_equal=True,
              ignore_row_if="either_value_is_missing", show=raw_id + ("value", "unit", "lower_bound")),
        check("raw.upper_bound", "raw", "error", "数值不高于合理上限", "Values are not above the plausible range",
              BOUND_FIX,
              E.ExpectColumnPairValuesAToBeGreaterThanB, column_A="upper_bound", column_B="value", or_equal=True,
              ignore_row_if="either_value_is_missing", show=raw_id + ("value", "unit", "upper_bound")),
        check("raw.non_negative", "raw", "error", "非负指标无负值", "Non-negative indicators are not negative",
              "check the sign; a fall belongs in growth_pct", E.ExpectColumnPairValuesAToBeGreaterThanB,
              column_A="value", column_B="floor", or_equal=True, ignore_row_if="either_value_is_missing",
              show=raw_id + ("value",)),
        check("raw.period_range", "raw", "warning", f"时期在{v['earliest_year']}年至报告季度之间",
              f"Periods lie between {v['earliest_year']} and the report quarter",
              "figures before the earliest year are kept as long-run anchors only; check the year if unintended",
              E.ExpectColumnValuesToBeBetween, column="year", min_value=int(v["earliest_year"]), max_value=as_of_year,
              show=raw_id + ("value", "unit")),
        check("visible.period_by_as_of", "visible", "error", "采用数据的时期不晚于报告季度", "Figures used end by the report quarter",
              "this is a defect of the visibility rule: report it", E.ExpectColumnValuesToBeBetween,
              column="period_end", max_value=as_of_end.to_pydatetime()),
        check("visible.published_by_cutoff", "visible", "error", "采用数据在截止日前发布", "Figures used were published by the report's cut-off date",
              "this is a defect of the visibility rule: report it", E.ExpectColumnValuesToBeBetween,
              column="published_date", max_value=cutoff.to_pydatetime(), show=raw_id + ("published_date",)),
        check("clean.unique", "clean", "error", "清洗数据键唯一", "One clean value per indicator, region and period",
              "this is a defect of the clean step: report it", E.ExpectCompoundColumnsToBeUnique,
              column_list=["indicator", "region", "period"], show=("indicator", "region", "period")),
        check("clean.no_ties", "selection_ties", "error", "同一时期的冲突数值可按规则取舍",
              "Conflicting figures for one period can be ranked by the selection rules",
              "correct the wrong figure, or give each the status and publication date it was printed with "
              "(the later or firmer one is then chosen); remove a row only if it is not a published figure",
              E.ExpectColumnValuesToNotBeInSet, column="finding", value_set=["tie"], show=plaus_show),
        check("clean.canonical_units", "clean", "error", "清洗数据使用标准单位", "Clean values are in canonical units",
              "this is a defect of the clean step: report it", E.ExpectColumnPairValuesToBeInSet,
              column_A="indicator", column_B="unit", value_pairs_set=canonical_pairs, show=("indicator", "period", "unit")),
        check("growth.consistent", "growth_pairs", "warning", "公布增速与水平值之比一致",
              f"Printed growth matches the ratio of the printed levels (within {tol:g} percentage point{'' if tol == 1 else 's'})",
              "growth on a comparable basis (可比口径) may differ legitimately; otherwise check both figures",
              E.ExpectColumnValuesToBeBetween, column="gap_pp", min_value=-tol, max_value=tol,
              show=("indicator", "region", "period", "level", "previous_level", "printed_growth_pct", "implied_growth_pct", "gap_pp")),
        *[check(id_, table, "error", zh, en, PLAUSIBILITY_FIX, E.ExpectColumnValuesToNotBeInSet, column="finding",
                value_set=["implausible"], show=plaus_show) for id_, table, zh, en in PLAUSIBILITY_CHECKS],
        check("plausible.confirmed", "plaus_confirmed", "warning", "已确认的异常数值", "Implausible-looking figures confirmed in the raw file",
              "nothing to do if the reason holds; the reason is quoted in the briefing's data notes",
              E.ExpectColumnValuesToNotBeInSet, column="finding", value_set=["confirmed"],
              show=("rule", "indicator", "region", "period", "confirmed") + plaus_show),
        check("headline.base_and_later", "headline_coverage", "warning", "核心指标有基年及以后数据",
              "Each headline indicator has Haimen data for the base year and a later year",
              "find the published Haimen figures (statistical bulletin, government work report) and add them",
              E.ExpectColumnValuesToBeInSet, column="has_base_and_later", value_set=[True],
              show=("target", "indicator", "base_year", "years_with_data")),
        check("headline.missing_years", "headline_years", "warning", "核心指标缺失年份", "Headline indicators have no missing years",
              "find the figure for the missing year and add it", E.ExpectColumnValuesToBeInSet,
              column="has_figure", value_set=[True], show=("indicator", "region", "year")),
    ]


# ---------------------------------------------------------------------- run --
def _context_config(site: Path):
    """An in-memory Great Expectations context with one local Data Docs site in `site`.

    A file context (mode="file") keeps its configuration in great_expectations.yml and re-reads and
    rewrites that YAML at nearly every call (adding a suite, running a checkpoint): over a third of the
    validation's time. The results, suites and the site are the same in memory; only the site is
    written to disk, as the file context's default local site would be (same builder and index, and
    the custom-styles file a file context scaffolds, so the pages are the same byte for byte).
    """
    import great_expectations as gx
    from great_expectations.data_context.types.base import (DataContextConfig, InMemoryStoreBackendDefaults,
                                                            ProgressBarsConfig)

    plugins = site.parent / "plugins"
    styles = plugins / "custom_data_docs" / "styles"
    styles.mkdir(parents=True, exist_ok=True)
    template = Path(gx.__file__).parent / "render" / "view" / "static" / "styles" / "data_docs_custom_styles_template.css"
    shutil.copyfile(template, styles / "data_docs_custom_styles.css")
    return DataContextConfig(
        plugins_directory=str(plugins),
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        progress_bars=ProgressBarsConfig(globally=False),
        data_docs_sites={"local_site": {
            "class_name": "SiteBuilder", "show_how_to_buttons": False,     # no GX tutorial cards for an auditor
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"}}})


def run_checks(tables: dict[str, pd.DataFrame], checks: list[Check], as_of: str, docs_dir: Path | None = None) -> ValidationReport:
    """Run every check with Great Expectations; build Data Docs into docs_dir when given."""
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    workdir = Path(tempfile.mkdtemp(prefix="gx-"))
    try:
        ctx = gx.get_context(project_config=_context_config(workdir / "site"), mode="ephemeral")
        # an in-memory context still writes its whole configuration out as YAML (into memory) after every suite,
        # data source and checkpoint added, 25 times a run: about 0.9 s of CPU, a third of the checks' time.
        # Nothing reads it back; results.json and the Data Docs pages are the same without it (checked).
        ctx._save_project_config = lambda *args, **kwargs: None
        source = ctx.data_sources.add_pandas("haimen")
        outcomes: dict[str, dict] = {}
        validations = []
        for table in dict.fromkeys(c.table for c in checks):
            suite = ctx.suites.add(gx.ExpectationSuite(name=f"{table}_checks"))
            for c in checks:
                if c.table == table:
                    suite.add_expectation(c.expectation)
            batch = source.add_dataframe_asset(table).add_batch_definition_whole_dataframe("whole")
            vd = ctx.validation_definitions.add(gx.ValidationDefinition(name=f"validate_{table}", data=batch, suite=suite))
            validations.append((vd, table))
        for vd, table in validations:
            # no per-checkpoint Data Docs action: the site is built once below (each build redoes every page)
            cp = ctx.checkpoints.add(gx.Checkpoint(name=f"checkpoint_{table}", validation_definitions=[vd],
                                                   actions=[], result_format={"result_format": "COMPLETE",
                                                                              "unexpected_index_column_names": ["where"]}))
            run = cp.run(batch_parameters={"dataframe": tables[table]}, run_id=RunIdentifier(run_name=as_of))
            for vr in run.run_results.values():
                for r in vr.results:
                    outcomes[r.expectation_config.meta["check_id"]] = {
                        "success": bool(r.success), "result": r.result,
                        "exception": r.exception_info.get("exception_message") if r.exception_info.get("raised_exception") else None,
                    }
        if docs_dir:
            warning_pages = passed_with_warnings(ctx)
            escape_stored_results(ctx)         # data values reach GE's HTML templates: escaped once, here
            ctx.build_data_docs()
            offline_copy(workdir / "site", Path(docs_dir), warning_pages)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return _report(tables, checks, outcomes, as_of)


def _report(tables, checks, outcomes, as_of) -> ValidationReport:
    rows, failures = [], {}
    for c in checks:
        out = outcomes[c.id]
        frame = tables[c.table]
        bad_index = out["result"].get("unexpected_index_list") or []
        if out["exception"]:
            success, n_failed = False, len(frame)
        else:
            success, n_failed = out["success"], len(bad_index) if bad_index else (0 if out["success"] else 1)
        if bad_index:
            where = {b["where"] if isinstance(b, dict) else frame["where"].get(b) for b in bad_index}
            failing = frame.loc[frame["where"].isin(where), ["where", *c.show]]
            failures[c.id] = failing.reset_index(drop=True)
        rows.append({"check": c.id, "severity": c.severity, "title_zh": c.title_zh, "title_en": c.title_en,
                     "table": c.table, "rows_checked": len(frame), "rows_failing": n_failed, "success": success,
                     "fix": c.fix, "exception": out["exception"] or ""})
    return ValidationReport(as_of, pd.DataFrame(rows), failures)


def summary(report: ValidationReport) -> dict[str, int]:
    r = report.results
    return {"checks": int(len(r)), "passed": int(r["success"].sum()),
            "warnings": int(len(report.warnings)), "errors": int(len(report.errors))}


def validate(result: CleanResult, cfg: Config, docs_dir: Path | None = None,
             returns: pd.DataFrame | None = None) -> ValidationReport:
    """Pure entry point apart from Data Docs: clean result in, report out.

    returns: the department returns read (returns.read_returns), checked by their own small suite
    (validate_returns.py); None (no data/returns/) adds nothing.
    """
    as_of = result.as_of
    cutoff_days = int(cfg.settings["reporting_cutoff_days_after_quarter_end"])
    checks = define_checks(cfg, pd.Timestamp(as_of.end), pd.Timestamp(as_of.cutoff(cutoff_days)), as_of.year)
    tables = prepare_tables(result, cfg)
    if returns is not None:
        from analysis.checks.validate_returns import TABLE, define_return_checks, returns_table
        checks += define_return_checks(cfg, as_of)
        tables[TABLE] = with_where(TABLE, returns_table(returns))
    report = run_checks(tables, checks, as_of.label, docs_dir)
    report.returns = returns
    return report


def raw_locator():
    """locate for raise_on_errors: a row's sheet, cell and text in its raw file, read only when a run stops."""
    from analysis.core.config import load_config
    from analysis.inputs.ingest import cell_of

    return lambda file, row, column: cell_of(file, row, column, load_config())


def _row_words(r: dict) -> str:
    """A failing raw row in words: a bound as a sentence, any other check as its fields."""
    fig = f"{r.get('indicator')} {r.get('region')} {r.get('period')}"
    for key, zh, en in (("upper_bound", "高于", "above"), ("lower_bound", "低于", "below")):
        if r.get(key) is not None and r.get("value") is not None:
            v, b, u = float(r["value"]), float(r[key]), r.get("unit") or ""
            v, b = format(v, ",.12g"), format(b, ",.12g")      # digits as typed, never 5.72e+06
            return (f"{fig}：{v}{u}{zh}该指标的合理{'上' if en == 'above' else '下'}限{b}{u} / {fig}: {v} {u} is "
                    f"{en} the indicator's {'upper' if en == 'above' else 'lower'} bound {b} {u}")
    return ", ".join(f"{k}={v}" for k, v in r.items() if k not in ("file", "row", "where", "obs_id") and v is not None)


def raise_on_errors(results: dict, report_path: str, locate=None) -> None:
    """Turn failed error-severity checks (from ValidationReport.to_json()) into the pipeline's stop message.

    locate(file, row, column) -> (sheet, cell, text as typed): where a row-level finding sits in its workbook (ingest.cell_of),
    so that a planner who typed the figure in Excel is sent to the cell, not only to the row.
    """
    problems = []
    failed = [row for row in results["checks"] if not row["success"] and row["severity"] == "error"]
    # a raw row that breaks a hard check (a bound) is named once, by that check: the plausibility findings on the same
    # row would add a second fix (a `confirmed` reason) that cannot pass it
    failed.sort(key=lambda row: row["check"].startswith("plausible."))
    named: set[tuple[str, int]] = set()
    for row in failed:
        failing = results["failing_rows"].get(row["check"], [])
        if failing and {"file", "row"} <= set(failing[0]):
            # row-level findings: one problem per figure, named by file, sheet, row, cell and the value as typed
            fresh = [r for r in failing if (str(r["file"]), int(r["row"])) not in named]
            for r in fresh[:ROW_PROBLEMS]:
                column = r.get("column") or ("value" if "value" in r else None)
                sheet, cell, typed = locate(r["file"], int(r["row"]), column or "value") if locate else (None,) * 3
                what = r.get("message") or _row_words(r)
                problems.append(Problem(r["file"], f"{what} [check {row['check']}: {row['title_zh']} / {row['title_en']}]",
                                        f"{row['fix']} (报告 report: {report_path})", row=int(r["row"]), column=column,
                                        value=typed or r.get("shown") or r.get("value_printed"), sheet=sheet, cell=cell))
            if len(fresh) > ROW_PROBLEMS:
                problems.append(Problem(report_path, f"check {row['check']}: {len(fresh) - ROW_PROBLEMS} more rows "
                                                     f"({row['title_en']} / {row['title_zh']})", row["fix"]))
            if not row["check"].startswith("plausible."):
                named |= {(str(r["file"]), int(r["row"])) for r in failing}
            continue
        sample = "; ".join(", ".join(f"{k}={v}" for k, v in rec.items()) for rec in failing[:3])
        problems.append(Problem(report_path, f"check {row['check']} failed ({row['title_en']} / {row['title_zh']}): "
                                             f"{row['rows_failing']} of {row['rows_checked']} rows"
                                             + (f", e.g. {sample}" if sample else ""), row["fix"]))
    if problems:
        raise ValidationFailed(problems)


def write_results(report: ValidationReport, path: Path) -> None:
    Path(path).write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")


def run_validation(as_of: str | None, out_dir: Path, clean_dir: Path = paths.CLEAN_DIR,
                   raw_dir: Path = paths.RAW_DIR, returns_dir: Path | None = None,
                   data_docs: bool = True) -> tuple[ValidationReport, "CleanResult"]:
    """The validation stage as the notebook runs it: clean data in, Data Docs and results.json out.

    data_docs=False (a replay's quarters): the same checks and results.json, no Data Docs site.

    Department returns (returns_dir, default data/returns/) join with their own suite when the folder exists.
    """
    from analysis.inputs.clean import load_or_run_clean
    from analysis.core.config import load_config
    from analysis.checks.validate_returns import load_returns

    result = load_or_run_clean(as_of, raw_dir=raw_dir, out_dir=clean_dir,
                               returns_dir=paths.RETURNS_DIR if returns_dir is None else returns_dir)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cfg = load_config()
    report = validate(result, cfg, docs_dir=out_dir / "data_docs" if data_docs else None, returns=load_returns(cfg, result.as_of, returns_dir))
    write_results(report, out_dir / "results.json")
    return report, result

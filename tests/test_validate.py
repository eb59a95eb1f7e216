"""Validation: every check fires, with its severity, on a synthetic dataset that breaks it;
on the shipped data the real warnings show; the report reads offline."""
import re
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from analysis.inputs.clean import CleanResult, run_clean
from analysis.run.pipeline import validate_quarter
from analysis.checks.validate import ValidationFailed, define_checks, offline_violations, prepare_tables, run_checks
from conftest import synthetic_row, write_release

AS_OF = "2025Q1"


@pytest.fixture(scope="module")
def base(tmp_path_factory, cfg) -> CleanResult:
    """A synthetic dataset that passes every check: the three headline indicators 2021-2024, a YTD pair,
    growth printed consistently with the levels."""
    tmp = tmp_path_factory.mktemp("base")
    rows = []
    levels = {"retail_sales": [500, 550, 605, 665.5], "key_service_revenue": [100, 125, 156.25, 195.3125],
              "tourist_visits": [450, 500, 560, 650]}
    for ind, vals in levels.items():
        for i, (year, v) in enumerate(zip(range(2021, 2025), vals)):
            growth = "" if i == 0 else f"{100 * (v / vals[i - 1] - 1):.4f}"
            rows.append(synthetic_row(indicator=ind, year=str(year), value=str(v), growth_pct=growth,
                                      unit="万人次" if ind == "tourist_visits" else "亿元",
                                      published=f"{year + 1}-01-20", source_url=f"https://example.org/{ind}/{year}"))
    rows.append(synthetic_row(indicator="retail_sales", year="2024", period="1-6月", value="320", published="2024-07-20",
                              source_url="https://example.org/ytd6"))
    rows.append(synthetic_row(indicator="retail_sales", year="2024", period="1-9月", value="490", published="2024-10-20",
                              source_url="https://example.org/ytd9"))
    write_release(tmp / "raw", "synthetic_headline_series.csv", rows)
    return run_clean(AS_OF, raw_dir=tmp / "raw", out_dir=tmp / "clean")


def checks_by_id(cfg, result):
    from analysis.core.quarters import Quarter
    q = Quarter.parse(AS_OF)
    cutoff = q.cutoff(int(cfg.settings["reporting_cutoff_days_after_quarter_end"]))
    return {c.id: c for c in define_checks(cfg, pd.Timestamp(q.end), pd.Timestamp(cutoff), q.year)}


def test_the_synthetic_base_passes_every_check(base, cfg):
    report = run_checks(prepare_tables(base, cfg), list(checks_by_id(cfg, base).values()), AS_OF)
    assert report.results["success"].all(), report.results[~report.results["success"]].to_string()


def _set(table, column, value, row=0):
    def mutate(tables):
        frame = tables[table].copy()
        if column not in frame or frame[column].dtype.kind in "fi" and not isinstance(value, (int, float)):
            frame[column] = frame[column].astype(object)
        frame.loc[frame.index[row], column] = value
        tables[table] = frame
    return mutate


def _drop_best(indicator, period):
    def mutate(result):
        best = result.best[~((result.best["indicator"] == indicator) & (result.best["period"] == period))]
        return replace(result, best=best.reset_index(drop=True))
    return mutate


def _edit_best(indicator, period, column, value):
    def mutate(result):
        best = result.best.copy()
        best.loc[(best["indicator"] == indicator) & (best["period"] == period), column] = value
        return replace(result, best=best)
    return mutate


def _drop_column(table, column):
    def mutate(tables):
        tables[table] = tables[table].drop(columns=column)
    return mutate


def _add_finding(table, finding):
    """A plausibility table with one more comparison, whose finding is given (the rules are tested in test_plausibility)."""
    def mutate(tables):
        row = {c: None for c in tables[table].columns} | {
            "obs_id": "synthetic.csv:9", "where": "synthetic.csv:9", "file": "synthetic.csv", "row": 9,
            "column": "value", "finding": finding, "message": "synthetic finding"}
        tables[table] = pd.concat([tables[table], pd.DataFrame([row])], ignore_index=True)
    return mutate


def _duplicate_first(table):
    def mutate(tables):
        tables[table] = pd.concat([tables[table], tables[table].iloc[[0]]], ignore_index=True)
    return mutate


# check id -> (severity, how to break the prepared tables, or how to break the clean result)
BREAKS = {
    "raw.columns": ("error", _drop_column("raw", "source_url"), None),
    "raw.value_numeric": ("error", _set("raw", "value", "abc"), None),
    "raw.source_title": ("error", _set("raw", "source_title", None), None),
    "raw.source_url": ("error", _set("raw", "source_url", "www.example.org/no-scheme"), None),
    "raw.reliability": ("error", _set("raw", "reliability", "rumour"), None),
    "raw.published": ("warning", _set("raw", "published", None), None),
    "raw.unverified": ("warning", _set("raw", "reliability", "unverified"), None),
    "raw.units": ("error", _set("raw", "unit_printed", "万辆"), None),
    "raw.lower_bound": ("error", _set("raw", "value", 0.001), None),
    "raw.upper_bound": ("error", _set("raw", "value", 1e9), None),
    "raw.non_negative": ("error", _set("raw", "value", -5.0), None),
    "raw.period_range": ("warning", _set("raw", "year", 1990), None),
    "visible.period_by_as_of": ("error", _set("visible", "period_end", pd.Timestamp("2030-12-31")), None),
    "visible.published_by_cutoff": ("error", _set("visible", "published_date", pd.Timestamp("2030-01-01")), None),
    "clean.unique": ("error", _duplicate_first("clean"), None),
    "clean.canonical_units": ("error", _set("clean", "unit", "万元"), None),
    "clean.no_ties": ("error", _add_finding("selection_ties", "tie"), None),
    "growth.consistent": ("warning", None, _edit_best("retail_sales", "2023年", "growth_pct", 30.0)),
    "plausible.neighbour_years": ("error", _add_finding("plaus_neighbours", "implausible"), None),
    "plausible.printed_growth": ("error", _add_finding("plaus_growth", "implausible"), None),
    "plausible.within_year": ("error", _add_finding("plaus_within_year", "implausible"), None),
    "plausible.region_scale": ("error", _add_finding("plaus_region_scale", "implausible"), None),
    "plausible.share_ceiling": ("error", _add_finding("plaus_share", "implausible"), None),
    "plausible.early_estimate": ("error", _add_finding("plaus_early_estimate", "implausible"), None),
    "plausible.confirmed": ("warning", _add_finding("plaus_confirmed", "confirmed"), None),
    "headline.base_and_later": ("warning", None, _drop_best("tourist_visits", "2021年")),
    "headline.missing_years": ("warning", None, _drop_best("retail_sales", "2023年")),
}


def test_every_defined_check_has_a_breaking_case(base, cfg):
    assert set(BREAKS) == set(checks_by_id(cfg, base))


@pytest.mark.parametrize("check_id", sorted(BREAKS))
def test_each_check_fires_with_its_severity(check_id, base, cfg):
    severity, break_tables, break_result = BREAKS[check_id]
    result = break_result(base) if break_result else base
    tables = prepare_tables(result, cfg)
    if break_tables:
        break_tables(tables)
    check = checks_by_id(cfg, base)[check_id]
    report = run_checks(tables, [check], AS_OF)
    row = report.results.iloc[0]
    assert not row["success"], f"{check_id} did not fire"
    assert row["severity"] == severity
    assert (report.errors if severity == "error" else report.warnings)["check"].tolist() == [check_id]


def test_growth_warning_shows_both_numbers(base, cfg):
    result = _edit_best("retail_sales", "2023年", "growth_pct", 30.0)(base)
    report = run_checks(prepare_tables(result, cfg), [checks_by_id(cfg, base)["growth.consistent"]], AS_OF)
    failing = report.failures["growth.consistent"].iloc[0]
    assert failing["printed_growth_pct"] == 30.0 and failing["implied_growth_pct"] == pytest.approx(10.0)


@pytest.fixture(scope="module")
def shipped_report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shipped")
    results = validate_quarter("2025Q2", reports_dir=tmp / "reports", clean_dir=tmp / "clean")
    assert Path(results["report_dir"]) == tmp / "reports" / "scratch" / "2025Q2" / "validation"   # never the published folder
    return results, Path(results["report_dir"])


def test_shipped_data_shows_its_real_warnings(shipped_report):
    results, _ = shipped_report
    failed = {c["check"]: c for c in results["checks"] if not c["success"]}
    assert results["summary"]["errors"] == 0
    plausible = [c for c in results["checks"] if c["check"].startswith("plausible.")]
    assert len(plausible) == 7 and all(c["success"] for c in plausible)     # the real figures are plausible
    assert {"raw.unverified", "headline.base_and_later", "headline.missing_years"} <= set(failed)
    assert all(c["severity"] == "warning" for c in failed.values())
    no_revenue = [r for r in results["failing_rows"]["headline.base_and_later"] if r["indicator"] == "key_service_revenue"]
    assert no_revenue and no_revenue[0]["years_with_data"] == "none"
    assert len(results["checks"]) == len(BREAKS)


def test_validation_pdf_is_chinese_and_complete(shipped_report):
    _, folder = shipped_report
    reader = PdfReader(folder / "validation.pdf")
    text = "".join(page.extract_text() for page in reader.pages)
    for heading in ("数据验证报告", "摘要 Summary", "检查明细 Checks", "未通过的行 Failing rows", "来源冲突", "推算数据",
                    "未核实数据", "SHA-256", "运行环境 Environment", "headline.missing_years"):
        assert heading in text, heading
    # the selected values the verdicts rest on, each with its raw file and row
    selected = text[text.index("采用的数值 Selected values"):text.index("排除的未核实数据")]
    assert "521" in selected and "2023_haimen_plan" in selected.replace("\n", "")
    # indicators by the name the statistics bureau prints, the id beside it (issue 24)
    flat = re.sub(r"\s", "", selected)          # a table cell wraps the name over two lines
    assert "社会消费品零售总额(retail_sales)" in flat
    fonts = {str(f["/BaseFont"]) for page in reader.pages for f in page["/Resources"]["/Font"].values()}
    assert any("NotoSansCJK" in f for f in fonts), fonts
    assert "import " not in text and "def " not in text      # no code


def test_validation_pdf_text_copies_out_whole(shipped_report):
    """Issue 24: ids, file names, URLs and hashes wrap in their cells without zero-width characters, so what an
    auditor copies out of the PDF is the id, the URL or the SHA-256 itself (a line break aside)."""
    import hashlib
    import subprocess

    from analysis.core.paths import ROOT

    _, folder = shipped_report
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(folder / "validation.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    invisible = re.findall(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]", text)
    assert not invisible, f"{len(invisible)} invisible characters"
    joined = re.sub(r"\s+", "", text)
    raw = sorted((ROOT / "data" / "raw").glob("*_haimen_*.csv"))
    assert raw
    for path in raw[:5]:
        assert hashlib.sha256(path.read_bytes()).hexdigest() in joined, path.name


def test_data_docs_read_offline(shipped_report):
    _, folder = shipped_report
    site = folder / "data_docs"
    assert (site / "index.html").exists()
    assert offline_violations(site) == []
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        for ref in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"#?]+)"', html):
            assert (page.parent / ref).resolve().exists(), f"{page.name} refers to missing {ref}"


def test_data_docs_name_rows_and_run_and_do_not_fail_warning_suites(shipped_report):
    """Issue 10 point 8: warning-only suites are not marked failed, failing rows are named by file and row,
    the run is named by as_of, and there is no newsletter footer or any link out."""
    _, folder = shipped_report
    site = folder / "data_docs"
    pages = {p.name: p.read_text(encoding="utf-8") for p in site.rglob("*.html")}
    raw_page = next(html for name, html in pages.items() if name == "haimen-raw.html")   # warnings only on shipped data
    assert "Passed with warnings" in raw_page and 'text-danger" aria-hidden="true"></i> Failed' not in raw_page
    assert "fa-times text-danger" not in raw_page          # failed warning expectations show a warning sign
    assert "2025-06-28_chaxiaohao_qa_unverified.csv:2" in raw_page       # file:row, not an index number
    assert all("2025Q2" in p.parts for p in (site / "validations").rglob("*.html"))   # run name = as_of
    assert "'run_name': '2025Q2'" in pages["index.html"] and "__none__" not in pages["index.html"]
    # the index row of the warning-only raw suite says so too, not 'Success' with a green tick
    row = re.search(r"\{'validation_success':(?:(?!\{'validation_success').)*?haimen-raw\.html'.*?\}",
                    pages["index.html"], flags=re.S).group(0)
    assert "Passed with warnings" in row and "text-success" not in row
    for name, html in pages.items():
        assert "newsletter" not in html.lower(), name
        assert not re.search(r'(href|src)="https?://', html), name
        # no tutorial snippet naming DataFrame index numbers (issue 24): rows are named by file and row instead
        assert "df.filter(" not in html and "To retrieve all unexpected values" not in html, name


@pytest.mark.slow
def test_an_error_stops_the_run_but_the_report_is_written(tmp_path):
    raw = tmp_path / "raw"
    # a year-to-date figure lower than an earlier one of the same year: passes ingest, fails validation
    write_release(raw, "synthetic_ytd_falls.csv", [
        synthetic_row(year="2024", period="1-6月", value="320", published="2024-07-20", source_url="https://example.org/a"),
        synthetic_row(year="2024", period="1-9月", value="300", published="2024-10-20", source_url="https://example.org/b"),
    ])
    with pytest.raises(ValidationFailed) as err:
        validate_quarter("2025Q1", reports_dir=tmp_path / "reports", clean_dir=tmp_path / "clean", raw_dir=raw)
    assert "plausible.within_year" in str(err.value) and "Fix:" in str(err.value)
    assert "synthetic_ytd_falls.csv, row 3" in str(err.value)
    assert (tmp_path / "reports" / "2025Q1.failed" / "validation" / "validation.pdf").exists()
    assert "2025Q1.failed/validation/validation.pdf" in str(err.value) and "nothing was written" not in str(err.value)
    assert not (tmp_path / "clean").exists() and not (tmp_path / "reports" / "2025Q1").exists()

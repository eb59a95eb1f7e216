"""The briefing at its largest (issue 12, points 1 and 4): four A4 pages, page 1 with the whole picture, grouped tables.

Two pipeline runs: the synthetic full-data scenario (tests/synthetic_fulldata/: a figure for every target that has an
indicator, verdicts known by design) and the shipped data, both in Chinese and English. Pages are read from the
PDFs themselves (pypdf for pages and images, pdftotext for the text of one page).
"""
from __future__ import annotations

import csv
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis.core import paths
from conftest import body_pages

FULLDATA = Path(__file__).parent / "synthetic_fulldata"
PAGE_BUDGET = 4


def _run(raw: Path, base: Path) -> Path:
    from analysis.run.pipeline import run_quarter
    return Path(run_quarter("2025Q2", reports_dir=base / "reports", clean_dir=base / "clean", raw_dir=raw,
                            progress=lambda *_: None))


@pytest.fixture(scope="module")
def fulldata(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("fulldata")
    raw = base / "raw"
    raw.mkdir()
    for release in FULLDATA.glob("synthetic_fulldata_release*.csv"):      # the design file is not a release
        shutil.copy(release, raw)
    return _run(raw, base)


@pytest.fixture(scope="module")
def shipped(shipped_quarter) -> Path:
    return shipped_quarter[0]          # the session's one run of the shipped quarter (conftest)


def page_text(pdf: Path, page: int | None = None) -> str:
    """pdftotext of one page (1-based) or of all; -layout keeps a table row on one line."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", "-layout", *pages, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def registry() -> list[dict]:
    return yaml.safe_load((paths.CONFIG_DIR / "targets.yaml").read_text(encoding="utf-8"))["targets"]


def design() -> dict[str, str]:
    with open(FULLDATA / "synthetic_fulldata_design.csv", encoding="utf-8", newline="") as f:
        return {r["target"]: r["designed_outcome"] for r in csv.DictReader(f)}


# ---------------------------------------------------------------- the full-data scenario ---

def test_the_scenario_gives_every_target_with_an_indicator_figures_to_judge(fulldata):
    rows = pd.read_csv(fulldata / "assessment.csv", encoding="utf-8-sig").set_index("target")
    with_indicator = [t["id"] for t in registry() if t.get("indicator")]
    assert sorted(design()) == sorted(with_indicator)          # the design covers them all
    thin = rows.loc[with_indicator, "verdict"].isin(["insufficient_data", "no_public_data"])
    assert not thin.any(), list(rows.loc[with_indicator][thin].index)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_full_data_briefing_fits_four_pages_with_the_headlines_on_page_one(fulldata, lang):
    from pypdf import PdfReader

    pdf = fulldata / f"briefing.{lang}.pdf"
    reader = PdfReader(pdf)
    # the worst case, every one of the 53 targets with figures (17 count targets became judgeable in issue 24
    # point 7): the leader's document before the technical annex keeps 4 pages in Chinese, 5 in English (longer
    # words); the annex (data notes, methods, ids) follows on its own pages (issue 26)
    budget = PAGE_BUDGET if lang == "zh" else PAGE_BUDGET + 1
    assert body_pages(pdf) <= budget, f"{body_pages(pdf)} pages before the annex"
    assert len(reader.pages) <= body_pages(pdf) + 3, f"{len(reader.pages)} pages"
    first = squash(page_text(pdf, 1))
    heads = [t for t in registry() if t.get("headline")]
    assert len(heads) == 3
    for t in heads:
        name = (t.get("name_zh") or t["statement"]) if lang == "zh" else t["name_en"]
        assert squash(name) in first, name                       # its key message is on page 1
    # the charts: the briefing's one chart image (the panels side by side) right after the key messages, on page
    # 1 or 2 (the 简报 masthead and 总体情况 take the top of page 1, issue 26); the watermark's image, the same on
    # every page, is set apart by appearing on every page
    def images(page) -> dict[bytes, object]:
        return {img.data: img for img in page.images}
    pages = [images(p) for p in reader.pages]
    common = set.intersection(*(set(p) for p in pages)) if pages else set()
    charts = [(i, img) for i, page in enumerate(pages) for data, img in page.items() if data not in common]
    assert len(charts) == 1 and charts[0][0] <= 1, [i for i, _ in charts]
    assert charts[0][1].image.width / charts[0][1].image.height > 2.5   # a row of panels, not one stacked chart


def test_headline_figure_has_one_panel_per_headline_target(fulldata, cfg):
    from analysis.core import storage
    from analysis.inputs.clean import load_or_run_clean
    from analysis.report.charts import english_unit
    from analysis.report.headline_charts import headline_figure

    clean = fulldata.parents[1] / "clean"
    result = load_or_run_clean("2025Q2", raw_dir=fulldata.parents[1] / "raw", out_dir=clean)
    fig = headline_figure(cfg, result, storage.read_table(clean, "forecasts"), "en")
    titles = [squash(ax.get_title(loc="left")) for ax in fig.axes]
    # one panel per headline target with figures, titled by its indicator and unit (issue 26)
    assert titles == [squash(f"{cfg.indicators[t.indicator].name_en} ({english_unit(cfg.indicators[t.indicator].unit)[1]})")
                      for t in cfg.headline_targets]


def test_a_headline_target_without_figures_gets_no_empty_panel(shipped_quarter, cfg):
    from analysis.core import storage
    from analysis.inputs.clean import load_or_run_clean
    from analysis.report.headline_charts import headline_panels

    base = Path(shipped_quarter[1])
    result = load_or_run_clean("2025Q2", out_dir=base / "clean")
    panels = headline_panels(cfg, result, storage.read_table(base / "clean", "forecasts"), "zh")
    ids = [p[0].id for p in panels]
    assert "key_service_revenue_growth" not in ids and ids        # no Haimen figure: a sentence, not an empty panel
    assert all("（" in p[4] and p[4].endswith("）") for p in panels)   # 社会消费品零售总额（亿元）


def test_every_page_of_a_synthetic_run_carries_the_watermark(fulldata):
    from pypdf import PdfReader

    for pdf in (fulldata / "briefing.zh.pdf", fulldata / "briefing.en.pdf", fulldata / "validation" / "validation.pdf"):
        for number in range(1, len(PdfReader(pdf).pages) + 1):
            text = page_text(pdf, number)
            assert "示例数据" in text and "synthetic example" in text, f"{pdf.name} page {number}"


def test_the_verdict_counts_on_page_one_match_the_scenario_s_design(fulldata):
    """Expected counts come from the scenario's design and the registry, not from the code that counts."""
    outcomes = list(design().values())
    targets = registry()
    expected = {
        "achieved": outcomes.count("achieved"),
        "not_achieved": outcomes.count("not_achieved"),
        "pending": outcomes.count("pending") + outcomes.count("pending_unverified"),
        "insufficient_data": 0,
        # no indicator in the registry: nothing can be published for it (counts of things built; milestones apart)
        "no_public_data": sum(1 for t in targets if not t.get("indicator") and t["type"] != "milestone"),
    }
    quantitative = sum(1 for t in targets if t["type"] != "milestone")
    milestones = len(targets) - quantitative
    assert sum(expected.values()) == quantitative
    rows = pd.read_csv(fulldata / "assessment.csv", encoding="utf-8-sig")
    counted = rows[rows["type"] != "milestone"]["verdict"].value_counts().to_dict()
    assert {k: v for k, v in expected.items() if v} == counted           # the assessment table agrees with the design
    # the summary row on page 1, in both languages: total, achieved, not achieved, pending, insufficient, none, milestones
    numbers = [quantitative, *expected.values(), milestones]
    line = re.compile(r"^\s*" + r"\s+".join(str(n) for n in numbers) + r"\s*$", flags=re.M)
    # an evaluation only once every target-year figure is in; with figures missing, final monitoring (issue 25)
    complete = not (expected.get("pending") or expected.get("insufficient_data") or expected.get("no_public_data"))
    # after the plan's end the final evaluation's standard words (core.wording.FINAL_WORDS, issue 26)
    for lang, words in (("zh", ("终期评估" if complete else "终期监测（数据未齐）", "完成", "未完成", "待统计数据确认", "数据不足",
                                "暂无数据")),
                        ("en", ("final evaluation" if complete else "final monitoring (figures still missing)", "achieved",
                                "not achieved", "awaiting the statistics", "too few figures", "no data yet"))):
        first = page_text(fulldata / f"briefing.{lang}.pdf", 1)
        assert line.search(first), (lang, numbers)
        assert all(squash(w) in squash(first) for w in words), lang


def test_targets_are_grouped_by_the_plan_s_sections(fulldata):
    text = squash(page_text(fulldata / "briefing.en.pdf"))
    order = ["Developmentgoals:Scaleandreturns", "Keysectors:Technologyservices", "Keysectors:Modernlogistics",
             "Keysectors:Cultureandtourism", "Keytasks:Keyprojects"]
    at = [text.find(s) for s in order]
    assert all(i >= 0 for i in at) and at == sorted(at), dict(zip(order, at))
    zh = squash(page_text(fulldata / "briefing.zh.pdf"))
    assert "发展目标·规模效益显著提升" in zh and "重点领域·文化旅游" in zh and "重点任务·重点项目增效工程" in zh


# ---------------------------------------------------------------- the shipped data ---

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_shipped_briefing_fits_four_pages_without_a_watermark(shipped, lang):
    from pypdf import PdfReader

    pdf = shipped / f"briefing.{lang}.pdf"
    # the 简报 itself on two pages in Chinese (three in English), the technical annex after it (issue 26)
    assert body_pages(pdf) <= (2 if lang == "zh" else 3), body_pages(pdf)
    assert len(PdfReader(pdf).pages) <= body_pages(pdf) + 3
    text = page_text(pdf)
    assert "示例数据" not in text and "synthetic example" not in text
    # the no-data block: one legend, the two words told apart in the words of the summary table (the plan has
    # ended: a final evaluation's 暂无数据 / no data yet), and grouped by section
    legend = ("数据不足：有相关公开数据，但不足以研判", "暂无数据：没有任何海门公开数据") if lang == "zh" else \
        ("Too few figures: some published figures", "no data yet: no published Haimen figure")
    assert all(squash(x) in squash(text) for x in legend)
    assert squash(text).count(squash(legend[0])) == 1


# ---------------------------------------------------------------- units ---

def test_watermark_rule():
    from analysis.report.synthetic import is_synthetic

    assert not is_synthetic(paths.RAW_DIR), "data/raw must hold no file named *synthetic*"
    assert is_synthetic(FULLDATA) and is_synthetic(Path(__file__).parent / "synthetic_hostile")


def test_every_target_has_a_plan_section_with_an_english_name(cfg):
    from analysis.inputs.sections import SECTION_EN, plan_sections, section_of

    sections = plan_sections()
    assert sections["二.1"].name_zh == "规模效益显著提升" and sections["二.1"].part_zh == "发展目标"
    assert sections["19"].name_zh == "文化旅游" and sections["23"].name_zh == "重点项目增效工程"
    for t in cfg.targets:
        s = section_of("/".join(t.clause))
        assert s is not None, t.id
        assert s.name_zh in SECTION_EN and s.part_zh in SECTION_EN, s
        assert not re.search(r"[\u4e00-\u9fff]", s.title("en")), s.title("en")


def test_summary_counts_while_the_plan_runs():
    from analysis.report.summary import summary_table

    table = pd.DataFrame({"type": ["level"] * 5 + ["milestone"], "plan_ended": [False] * 6,
                          "verdict": ["on_track", "on_track", "at_risk", "pending", "no_public_data", "no_public_data"]})
    row = summary_table(table, "en").iloc[0].to_dict()
    assert row == {"Quantitative targets": 5, "achieved": 0, "on track": 2, "at risk": 1, "off track": 0,
                   "pending": 1, "insufficient data": 0, "no public data": 1, "Also: milestones": 1}


def test_typst_table_cells_stay_text(tmp_path):
    """A cell cannot close the raw block, start Typst code or break the table (the escaping boundary is typst_table)."""
    import pypandoc
    import typst

    from analysis.report.render import PANDOC_FORMAT, find_cjk_font
    from analysis.report.typst_table import typst_table

    hostile = "````` ]) #pagebreak() `#x` $1$ *b* <a> @c \\ 海门"
    md = "before\n\n" + typst_table(["h1", "h2"], ["section ] #x", [hostile, "ok"]], (1, 1)) + "\n\nafter\n"
    src = pypandoc.convert_text(md, "typst", format=PANDOC_FORMAT)
    (tmp_path / "t.typ").write_text(src, encoding="utf-8")
    typst.compile(str(tmp_path / "t.typ"), output=str(tmp_path / "t.pdf"), font_paths=[str(find_cjk_font().parent)])
    text = page_text(tmp_path / "t.pdf")
    assert squash(hostile) in squash(text) and squash("section ] #x") in squash(text)
    assert "after" in text and text.count("\f") == 1                  # one page: no pagebreak ran


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_grouped_tables_list_every_target_once_in_the_plan_s_order(fulldata, cfg, lang):
    from analysis.core.wording import target_label as target_name
    from analysis.report.briefing import has_figures
    from analysis.inputs.sections import section_order
    from analysis.report.summary import grouped_status_table, no_data_block

    table = pd.read_csv(fulldata / "assessment.csv", encoding="utf-8-sig")
    shown, rest = table[has_figures(table)], table[~has_figures(table)]
    grouped = grouped_status_table(shown, cfg, lang)
    first = grouped.columns[0]
    data_rows = grouped[grouped.iloc[:, 1] != ""]                 # section rows have nothing but their name
    names = {target_name(r, lang): r["clause"] for _, r in table.iterrows()}
    # name (clause): the plan item in brackets at the end, when the target has one beyond its section
    listed = [re.sub(r"（第[^（）]*条）†?$| \(items? [^()]*\)†?$", "", str(cell)) for cell in data_rows[first]]
    assert sorted(listed) == sorted(target_name(r, lang) for _, r in shown.iterrows())
    orders = [section_order(names[n]) for n in listed]
    assert orders == sorted(orders)                                  # sections in the plan's order
    block = " ".join(str(c) for c in no_data_block(rest, lang).iloc[:, 1])
    for _, r in rest.iterrows():
        # with its goal in English too (a reader found the English list without the targets' values)
        assert block.count(html_escape(target_name(r, lang))) >= 1, target_name(r, lang)
    assert len(rest) + len(shown) == len(table)


def html_escape(text: str) -> str:
    import html
    return html.escape(text, quote=True)


def test_the_headline_chart_is_as_large_in_english_as_in_chinese(shipped):
    """A legend row wider than the figure widened the saved image (tight bounding box) and the page shrank every
    label of the English chart (a reader's trial, 2026-12-07): the legend wraps to the figure's width, so both
    languages' images have the same width in pixels."""
    import subprocess

    def first_image_width(pdf: Path) -> int:
        lines = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
        return int(next(line.split()[3] for line in lines.splitlines()[2:] if line.split()[2] == "image"))

    assert first_image_width(shipped / "briefing.en.pdf") == first_image_width(shipped / "briefing.zh.pdf")

"""End to end: the quarterly pipeline on the shipped data, a broken raw file, and the replay."""
import json
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from analysis import paths
from analysis.errors import InputError
from analysis.pipeline import replay, run_quarter
from conftest import SYNTHETIC_DIR, tree_digest

HEADLINE_NAMES = {"zh": ("社会消费品零售", "规模以上服务业重点行业营业收入", "接待游客"),
                  "en": ("Retail sales", "key above-size service industries", "Tourist visits")}
STATUS_WORDS = {"zh": ("已完成", "有望完成", "存在风险", "明显滞后", "数据不足", "待公布", "待核实"),
                "en": ("achieved", "on track", "at risk", "off track", "insufficient data", "pending")}


@pytest.fixture(scope="module")
def quarter(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pipeline")
    folder = run_quarter("2025Q2", reports_dir=tmp / "reports", clean_dir=tmp / "clean", progress=lambda *_: None)
    return folder, tmp


def pdf_text(path) -> tuple[str, PdfReader]:
    reader = PdfReader(path)
    return "".join(p.extract_text() for p in reader.pages), reader


def test_the_quarter_folder_has_every_output(quarter):
    folder, _ = quarter
    for name in ("briefing.zh.pdf", "briefing.en.pdf", "validation/validation.pdf", "validation/data_docs/index.html",
                 "assessment.csv", "manifest.json", "notebooks/01_clean.ipynb", "notebooks/02_validate.ipynb",
                 "notebooks/03_forecast.ipynb", "notebooks/04_briefing.zh.ipynb", "notebooks/04_briefing.en.ipynb"):
        assert (folder / name).exists(), name
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["as_of"] == "2025Q2" and manifest["rendering_engine"] in ("typst", "quarto")
    assert len(manifest["input_files"]) == len(list(paths.RAW_DIR.glob("*.csv")))
    assert all(len(h) == 64 for h in manifest["input_files"].values())
    assert {"git_commit", "packages", "started", "finished", "steps"} <= set(manifest)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_briefing_pdf_reads_as_a_briefing(quarter, lang):
    folder, _ = quarter
    text, reader = pdf_text(folder / f"briefing.{lang}.pdf")
    assert 2 <= len(reader.pages) <= 4
    squashed = text.replace("\n", "").replace(" ", "")
    for name in HEADLINE_NAMES[lang]:
        assert name.replace(" ", "") in squashed, name
    assert any(w.replace(" ", "") in squashed for w in STATUS_WORDS[lang])
    images = sum(len([x for x in p["/Resources"].get("/XObject", {}).values() if x.get_object()["/Subtype"] == "/Image"])
                 for p in reader.pages)
    assert images >= 2                       # the fan charts are embedded
    for code in ("import ", "def ", "cfg =", "show(", "pd.read_csv"):
        assert code not in text


def test_a_broken_raw_file_fails_clearly_and_keeps_the_last_reports(quarter, tmp_path):
    folder, tmp = quarter
    before = tree_digest(folder)
    raw = tmp_path / "raw"
    shutil.copytree(paths.RAW_DIR, raw)
    shutil.copy(SYNTHETIC_DIR / "synthetic_unknown_unit.csv", raw)
    with pytest.raises(InputError) as err:
        run_quarter("2025Q2", reports_dir=tmp / "reports", clean_dir=tmp / "clean", raw_dir=raw, progress=lambda *_: None)
    assert "synthetic_unknown_unit.csv, row 3" in str(err.value) and "Fix:" in str(err.value)
    assert tree_digest(folder) == before


def test_replay_makes_one_folder_per_quarter_and_the_evolution_page(tmp_path):
    out = replay("2024Q4", "2025Q1", workers=2, reports_dir=tmp_path / "reports", progress=lambda *_: None)
    assert (out / "2024Q4" / "briefing.zh.pdf").exists() and (out / "2025Q1" / "briefing.zh.pdf").exists()
    text, reader = pdf_text(out / "evolution.pdf")
    assert len(reader.pages) == 3                # one page per headline target
    squashed = text.replace("\n", "")
    assert "2024Q4" in squashed and "2025Q1" in squashed
    assert not (tmp_path / "reports" / "2024Q4").exists()     # regular quarter folders are left alone


def test_verdicts_end_to_end_on_a_synthetic_raw_folder(tmp_path):
    """Made-up releases (tests/synthetic_verdicts/) through the whole quarterly run, each with the verdict it must get."""
    import pandas as pd
    raw = tmp_path / "raw"
    shutil.copytree(Path(__file__).parent / "synthetic_verdicts", raw)
    folder = run_quarter("2025Q2", reports_dir=tmp_path / "reports", clean_dir=tmp_path / "clean", raw_dir=raw,
                         progress=lambda *_: None, langs=("zh",))
    rows = pd.read_csv(folder / "assessment.csv", encoding="utf-8-sig").set_index("target")
    expected = {
        "retail_sales_level": "achieved",              # final 2024 figure 660 > 650
        "retail_sales_growth": "achieved",             # (660/500)^(1/3) - 1 = 9.7 %: about 10 % within 1 point
        "key_service_revenue_growth": "achieved",      # printed growth alone, chained: 25.7 %/yr
        "software_it_revenue_growth": "not_achieved",  # 50 / 10 / 40 against 30 % every year
        "key_service_projects": "not_achieved",        # 6 / 3 / 7 against at least 5 every year
        "new_service_firms": "achieved",               # 60 + 55 + 58 = 173 additions >= 170
        "tax_buildings_50m": "insufficient_data",      # only a 2020 figure: before the plan
        "tourist_visits": "pending",                   # 2024 only from an unverified page
    }
    got = {t: rows.loc[t, "verdict"] for t in expected}
    assert got == expected
    assert rows.loc["tourist_visits", "verdict_key"] == "pending_unverified"
    assert rows.loc["retail_sales_level", "figure_status"] == "final" and rows.loc["retail_sales_level", "figure_value"] == 660
    text, _ = pdf_text(folder / "briefing.zh.pdf")
    assert "终期评估" in text.replace("\n", "")

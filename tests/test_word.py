"""The Word briefing (issue 15): the reference document's GB/T 9704 look, and the notebook -> .docx route.

The end-to-end check on the shipped data (headline targets, status table, charts in briefing.<lang>.docx)
is in test_pipeline.py; here a small synthetic executed notebook exercises the renderer quickly.
"""
from __future__ import annotations

import base64
import io
import subprocess
import sys
import zipfile

import nbformat
import pytest
from docx import Document
from docx.oxml.ns import qn
from PIL import Image

from analysis.core import paths
from analysis.core.escape import md_text
from analysis.report.render_word import REFERENCE_DOCX, render_docx

HOSTILE = 'SYNTHETIC <w:t>&"x"</w:t> @海门发布 `{=typst}` $1$'


def _png() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 175), "white").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _notebook(tmp_path, table_cell: str):
    """An executed notebook as 04_briefing leaves it: Markdown outputs, a status table, a chart (synthetic)."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("show(...)")
    table = ("| 目标 | 依据 | 研判 |\n|:--|:--|:--|\n"
             f"| 社会消费品零售总额2024年突破650亿元 | {md_text(HOSTILE)} | {table_cell} |\n")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"text/markdown": "# 合成简报 SYNTHETIC\n\n## 核心结论\n\n正文。"}),
        nbformat.v4.new_output("display_data", data={"image/png": _png(), "text/plain": "<Figure>"}),
        nbformat.v4.new_output("display_data", data={"text/markdown": table}),
        nbformat.v4.new_output("stream", name="stdout", text="print output never reaches the reader"),
    ]
    nb.cells = [cell]
    path = tmp_path / "synthetic_briefing.ipynb"
    nbformat.write(nb, path)
    return path


def test_verdict_cells_become_coloured_words_and_data_text_stays_text(tmp_path):
    verdict = '`#text(fill: rgb("#1a7f37"), weight: "bold")[已完成（预计数）\\:]`{=typst}'
    out = render_docx(_notebook(tmp_path, verdict), tmp_path / "b.docx", "zh")
    doc = Document(str(out))
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["目标", "依据", "研判"]
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert all(r.bold for c in table.rows[0].cells for p in c.paragraphs for r in p.runs)
    body = table.rows[1].cells
    assert body[1].text == HOSTILE                                    # shown literally, not as markup
    run = body[2].paragraphs[0].runs[0]
    assert run.text == "已完成（预计数）:" and run.bold and str(run.font.color.rgb) == "1A7F37"
    assert body[0].paragraphs[0].style.name == "Table Text"
    assert len(doc.inline_shapes) == 1
    assert doc.inline_shapes[0].width.mm == pytest.approx(156, abs=1)   # the chart takes the text width
    styles = {p.style.name for p in doc.paragraphs}
    assert {"Heading 1", "Heading 2"} <= styles
    text = "".join(p.text for p in doc.paragraphs)
    assert "print output" not in text and "show(" not in text


def test_raw_typst_other_than_a_verdict_stops_the_render(tmp_path):
    with pytest.raises(RuntimeError, match="raw Typst the Word briefing cannot show"):
        render_docx(_notebook(tmp_path, "`#place(top)[x]`{=typst}"), tmp_path / "b.docx", "zh")


def test_reference_document_is_gbt9704_a4_with_cjk_faces_and_page_numbers():
    doc = Document(str(REFERENCE_DOCX))
    page = doc.sections[0]
    assert [round(x.mm) for x in (page.page_width, page.page_height, page.top_margin, page.bottom_margin,
                                  page.left_margin, page.right_margin)] == [210, 297, 37, 35, 28, 26]
    styles = {s.name: s for s in doc.styles}

    def east_asia(name: str) -> str:
        return styles[name].element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))

    # the title in 方正小标宋简体 with 黑体 as its alternative (issue 26); section headings 黑体
    assert east_asia("Body Text") == "仿宋" and east_asia("Heading 1") == "方正小标宋简体" and east_asia("Heading 2") == "黑体"
    assert styles["Body Text"].font.size.pt == 16 and styles["Table Text"].font.size.pt == 10.5
    fonts = zipfile.ZipFile(REFERENCE_DOCX).read("word/fontTable.xml").decode("utf-8")
    assert 'w:name="仿宋"><w:altName w:val="Noto Serif CJK SC"' in fonts
    assert 'w:name="黑体"><w:altName w:val="Noto Sans CJK SC"' in fonts
    assert 'w:name="方正小标宋简体"><w:altName w:val="黑体"' in fonts
    first_row = styles["Table"].element.find(qn("w:tblStylePr"))
    assert first_row.get(qn("w:type")) == "firstRow" and first_row.find(".//" + qn("w:b")) is not None
    for footer in (page.footer, page.even_page_footer):
        assert "PAGE" in footer._element.xml and "—" in footer.paragraphs[0].text


def test_committed_reference_document_is_what_the_script_builds(tmp_path):
    """scripts/make_reference_docx.py is the source of templates/reference.docx: rebuild and compare every part."""
    out = tmp_path / "reference.docx"
    subprocess.run([sys.executable, str(paths.ROOT / "scripts" / "make_reference_docx.py"), str(out)], check=True,
                   capture_output=True)
    built, committed = zipfile.ZipFile(out), zipfile.ZipFile(REFERENCE_DOCX)
    assert built.namelist() == committed.namelist()
    for name in built.namelist():
        assert built.read(name) == committed.read(name), f"{name} differs: rerun scripts/make_reference_docx.py"


def test_rendering_never_changes_the_process_working_directory(tmp_path, monkeypatch):
    """The pipeline renders one language's PDF and Word file while the next language's notebook runs in another
    thread; a renderer that changed the process's directory (pypandoc.convert_file does, for Pandoc's run) could
    leave that thread in a temporary folder deleted a moment later (seen: FileNotFoundError from os.getcwd)."""
    import os

    from analysis.report.render import render_notebook

    moves = []
    monkeypatch.setattr(os, "chdir", lambda path: moves.append(path))
    nb = _notebook(tmp_path, "已完成")
    render_docx(nb, tmp_path / "b.docx", "zh")
    render_notebook(nb, tmp_path / "b.pdf", "zh", engine="typst")
    assert (tmp_path / "b.docx").stat().st_size > 0 and (tmp_path / "b.pdf").stat().st_size > 0
    assert moves == []


def test_the_word_briefing_has_its_title_and_compiling_unit_in_file_properties(tmp_path, cfg):
    out = render_docx(_notebook(tmp_path, "已完成"), tmp_path / "b.docx", "zh")
    props = Document(str(out)).core_properties
    assert props.title == "合成简报 SYNTHETIC"                        # the notebook's first heading
    assert props.author == cfg.settings["briefing"]["publisher_zh"]


def test_the_word_briefing_gives_each_chart_panel_its_figures_as_a_table(shipped_quarter):
    """Issue 26 point 8: Pandoc writes no editable chart, so in the Word copy the headline chart's figures follow it
    as tables (years 2012 to the plan's end, as the panels show them; unverified figures marked as such); the PDF,
    which has the chart, does not repeat them."""
    folder = shipped_quarter[0]
    doc = Document(str(folder / "briefing.zh.docx"))
    tables = [t for t in doc.tables if [c.text for c in t.rows[0].cells][:2] == ["年份", "数据"]]
    assert len(tables) == 2                                          # retail sales and tourist visits have figures
    years = {int(r.cells[0].text) for t in tables for r in t.rows[1:]}
    assert min(years) >= 2012 and max(years) == 2024
    cells = [c.text for t in tables for r in t.rows[1:] for c in r.cells]
    assert "521亿元" in cells and "未核实（未采用）" in cells
    # each figure named as the chart's marker names it: 2017's 377 is a copy (转载) there, so here too
    row_2017 = next(r for t in tables for r in t.rows[1:] if r.cells[0].text == "2017")
    assert [c.text for c in row_2017.cells[1:3]] == ["377亿元", "转载"]
    titles = [p.text for p in doc.paragraphs if p.text.startswith("图1数据：")]
    assert titles == ["图1数据：社会消费品零售总额（亿元）", "图1数据：接待游客（万人次）"]
    pdf = subprocess.run(["pdftotext", "-enc", "UTF-8", str(folder / "briefing.zh.pdf"), "-"], capture_output=True,
                         text=True, check=True).stdout
    assert "图1数据" not in pdf


def test_the_word_masthead_is_set_as_a_bulletins(shipped_quarter):
    """Issue 26: the 报头 in the Word copy as in the PDF: the series title centred in red at 一号 (26 pt), the 期号
    centred, unit and date on one line (a right tab), and a red rule, not Word's grey horizontal line."""
    doc = Document(str(shipped_quarter[0] / "briefing.zh.docx"))
    title, number, unit, rule = doc.paragraphs[:4]
    run = title.runs[0]
    assert title.text == "海门区现代服务业发展监测简报" and title.alignment == 1
    assert str(run.font.color.rgb) == "C00000" and run.font.size.pt == 26
    assert number.text == "2025年第2期" and number.alignment == 1
    assert unit.text == "海门区发展和改革委员会编\t2025年8月14日"
    border = rule._p.find(qn("w:pPr")).find(qn("w:pBdr")).find(qn("w:bottom"))
    assert border.get(qn("w:color")) == "C00000"

"""Executed briefing notebook -> editable Word document (briefing.<lang>.docx), beside the PDF.

Planners finish and submit reports in Word or WPS; a PDF alone makes them retype it (issue 15). The
document is made from the very Markdown that feeds Typst (render._markdown: nbconvert, inputs hidden),
so the PDF and the .docx cannot say different things; Pandoc (pypandoc-binary) writes the .docx with:

- templates/reference.docx: page, styles, footer page numbers in the manner of GB/T 9704 (A4, margins
  37/35/28/26 mm, 黑体 headings, 仿宋 body with Noto CJK named as the alternative, ruled tables whose
  header row is bold on grey and repeats on each page). Built by scripts/make_reference_docx.py;
- templates/docx.lua: the coloured verdict cells (raw Typst in the Markdown) become coloured bold Word
  runs, and the fan charts take the text width. Everything else is ordinary editable text and tables;
  the charts are the only images.

No font is needed on the machine that writes the file (Word picks the faces where it is opened), so this
route never stops for a missing CJK font. File > Properties gets the document's title and the compiling unit
(set_properties, after Pandoc: Pandoc's own title would print a second title paragraph). Not written: a watermark (a run on
synthetic data opens with a line saying so instead: synthetic.py). Outputs whose Markdown is raw Typst (the
briefing's Typst tables, set rules) carry a plain-Markdown twin that is used here (render.portable_view). The Word route is
the same whether or not Quarto is installed.
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import nbformat

from analysis.core import paths
from analysis.report.render import _markdown, portable_view, run_pandoc

TEMPLATES = paths.TEMPLATES_DIR
REFERENCE_DOCX = TEMPLATES / "reference.docx"
DOCX_FILTER = TEMPLATES / "docx.lua"


def render_docx(nb_path: Path, docx: Path, lang: str = "zh") -> Path:
    """Write the reader's view of an executed notebook to docx (Word), styled by templates/reference.docx."""
    docx = Path(docx)
    docx.parent.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(nb_path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="render-docx-") as tmp:
        tmp = Path(tmp)
        body, images = _markdown(portable_view(nb))      # pipe tables where the PDF has Typst ones
        for name, data in images.items():
            (tmp / name).write_bytes(data)
        (tmp / "report.md").write_text(body, encoding="utf-8")
        # column widths come from the cells' text (docx.lua), not from the Markdown source's dashes
        args = ["--standalone", f"--reference-doc={REFERENCE_DOCX}", f"--lua-filter={DOCX_FILTER}",
                f"--resource-path={tmp}"]
        if lang == "en":
            # proofing language of the Latin text; Chinese text is already zh-CN in the reference document
            # (Pandoc has no Chinese translation file and would warn on every run for lang=zh-CN)
            args += ["-M", "lang=en-GB"]
        run_pandoc(tmp / "report.md", "docx", docx.resolve(), args)
    set_properties(docx, _first_heading(body), _publisher(lang))
    return docx


def _first_heading(markdown: str) -> str:
    return next((line[2:].strip().replace("\\", "") for line in markdown.splitlines() if line.startswith("# ")), "")


def _publisher(lang: str) -> str:
    from analysis.core.config import load_config
    words = load_config().settings.get("briefing", {}) or {}
    return str(words.get("publisher_zh" if lang == "zh" else "publisher_en", ""))


def set_properties(docx: Path, title: str, author: str) -> None:
    """File > Properties as an office files a document: its title and the compiling unit (issue 26); and the 报头
    set as a 简报's (style_masthead). Written into the package in place, every other part and entry time unchanged
    (same inputs, same bytes)."""
    import html
    import io
    import re
    import zipfile

    data = Path(docx).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        entries = [(info, src.read(info.filename)) for info in src.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, blob in entries:
            if info.filename == "docProps/core.xml":
                xml = blob.decode("utf-8")
                for tag, value in (("dc:title", title), ("dc:creator", author)):
                    value = html.escape(value, quote=False)
                    if re.search(rf"<{tag}\b[^>]*/>|<{tag}\b[^>]*>.*?</{tag}>", xml, flags=re.S):
                        xml = re.sub(rf"<{tag}\b[^>]*/>|<{tag}\b[^>]*>.*?</{tag}>", f"<{tag}>{value}</{tag}>", xml, flags=re.S)
                    else:
                        xml = xml.replace("</cp:coreProperties>", f"<{tag}>{value}</{tag}></cp:coreProperties>")
                blob = xml.encode("utf-8")
            elif info.filename == "word/document.xml":
                blob = style_masthead(blob.decode("utf-8")).encode("utf-8")
            dst.writestr(info, blob)
    Path(docx).write_bytes(out.getvalue())


_PARA = r"<w:p>(?:(?!</w:p>).)*?</w:p>"
_NUMBER = re.compile(rf"({_PARA})\s*(<w:p>(?:(?!</w:p>).)*?<w:t[^>]*>(?:\d{{4}}年第\d+期|No\. \d+, \d{{4}})(?:(?!</w:p>).)*?</w:p>)"
                     rf"\s*({_PARA})\s*(<w:p><w:r><w:pict>(?:(?!</w:p>).)*?</w:pict></w:r></w:p>)", re.S)
TEXT_WIDTH_TWIPS = 8844      # A4 210 mm less the reference document's 28 + 26 mm side margins (GB/T 9704)


def style_masthead(xml: str) -> str:
    """The 报头 as a district office prints it (issue 26), which Pandoc's Markdown cannot say: the series title
    centred in red 小标宋 at 一号 (26 pt), the 期号 centred, the compiling unit at the left margin and the date at
    the right, and a red rule instead of Word's grey horizontal line. Found by its 期号 paragraph (masthead's
    portable form: title, number, unit and date, rule); a document without one is returned unchanged."""
    m = _NUMBER.search(xml)
    if not m:
        return xml
    title, number, unit, rule = m.groups()
    plain = '<w:pPr><w:jc w:val="center" /><w:ind w:firstLine="0" /><w:spacing w:after="120" /></w:pPr>'
    title = re.sub(r"<w:pPr>.*?</w:pPr>", plain, title, count=1, flags=re.S)
    title = re.sub(r"<w:rPr>.*?</w:rPr>", '<w:rPr><w:rFonts w:ascii="方正小标宋简体" w:hAnsi="方正小标宋简体" w:eastAsia="方正小标宋简体" />'
                   '<w:b /><w:bCs /><w:color w:val="C00000" /><w:sz w:val="52" /><w:szCs w:val="52" /></w:rPr>', title, flags=re.S)
    number = re.sub(r"<w:pPr>.*?</w:pPr>", plain, number, count=1, flags=re.S)
    unit = re.sub(r"<w:pPr>.*?</w:pPr>", f'<w:pPr><w:tabs><w:tab w:val="right" w:pos="{TEXT_WIDTH_TWIPS}" /></w:tabs>'
                  '<w:ind w:firstLine="0" /><w:spacing w:after="0" /></w:pPr>', unit, count=1, flags=re.S)
    unit = re.sub(r"<w:r><w:t xml:space=\"preserve\">　+</w:t></w:r>", "<w:r><w:tab /></w:r>", unit, count=1)
    rule = ('<w:p><w:pPr><w:pBdr><w:bottom w:val="single" w:sz="18" w:space="1" w:color="C00000" /></w:pBdr>'
            '<w:spacing w:after="240" /></w:pPr></w:p>')
    return xml[:m.start()] + title + number + unit + rule + xml[m.end():]

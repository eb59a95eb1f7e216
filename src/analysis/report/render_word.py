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
    """File > Properties as an office files a document: its title and the compiling unit (issue 26). Written into
    docProps/core.xml of the package in place, every other part and entry time unchanged (same inputs, same bytes)."""
    import html
    import re
    import zipfile

    data = Path(docx).read_bytes()
    import io
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
            dst.writestr(info, blob)
    Path(docx).write_bytes(out.getvalue())

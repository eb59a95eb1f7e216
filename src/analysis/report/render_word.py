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
route never stops for a missing CJK font. Not written: a document title in File > Properties (Pandoc
would also print it as a title paragraph; the notebook prints its own) and a watermark (a run on
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
    return docx

"""Regenerate src/analysis/templates/reference.docx, the Word styles of briefing.<lang>.docx (issue 15).

Run with the project's environment: .venv/bin/python scripts/make_reference_docx.py [output file]

Pandoc copies page setup, styles, footers and fonts from a "reference document" into every .docx it
writes. This script starts from Pandoc's own default (`pandoc --print-default-data-file reference.docx`,
from the pinned pypandoc-binary, so every style Pandoc uses exists) and restyles it with python-docx in the
manner of GB/T 9704-2012 (党政机关公文格式), which planners' Word/WPS documents follow:

- A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm (text block 156 x 225 mm);
- body 仿宋 三号 (16 pt) at a fixed 28 pt line pitch (22 lines a page), first line indented two characters;
- title 方正小标宋简体 二号 (22 pt) centred, 黑体 named as its alternative (方正小标宋 is often missing); headings 黑体 三号 (level 1),
  黑体 三号 without the larger gap (level 2), 黑体 四号 (level 3);
- lists as body text without the indent; charts centred, single-spaced (a fixed line would clip them);
- tables: 五号 (10.5 pt) single-spaced (style "Table Text"), a ruled grid, the header row bold on a grey ground and repeated on
  every page (Pandoc marks it as a header row);
- page numbers 四号 in the footer as "— 1 —", odd pages at the right, even pages at the left.

Fonts: the East Asian font of each style is named as Word and WPS on Chinese Windows name it (仿宋, 黑体), so
a planner's machine shows the official faces; the font table gives each an alternative name (Noto Serif /
Sans CJK SC) for machines without them. Latin text and digits use Times New Roman (body) and Arial (headings).

The output is byte-for-byte reproducible (fixed timestamps and document properties), so a test can check
that the committed file is what this script builds.
"""
from __future__ import annotations

import io
import sys
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path

import pypandoc
from lxml import etree
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "analysis" / "templates" / "reference.docx"

BODY_CJK, HEAD_CJK = "仿宋", "黑体"
# the document title in 小标宋 as a 公文 sets it; where 方正小标宋简体 is not installed Word and WPS take 黑体 (altName)
TITLE_CJK = "方正小标宋简体"
FALLBACK = {BODY_CJK: "Noto Serif CJK SC", HEAD_CJK: "Noto Sans CJK SC", TITLE_CJK: HEAD_CJK}
BODY_LATIN, HEAD_LATIN = "Times New Roman", "Arial"
FIXED_DATE = datetime(2026, 1, 1)


def set_fonts(rpr_owner, latin: str, cjk: str) -> None:
    """Latin, East Asian and complex-script faces of a style (python-docx's font.name sets only the Latin ones)."""
    rpr = rpr_owner.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]                       # drop the theme fonts, which would win over named ones
    for key, value in (("w:ascii", latin), ("w:hAnsi", latin), ("w:eastAsia", cjk), ("w:cs", latin)):
        fonts.set(qn(key), value)


def by_name(doc, name: str):
    """A style by its stored name (python-docx's doc.styles[...] translates some names and then warns)."""
    return next(s for s in doc.styles if (s.name or "").lower() == name.lower())


def style_paragraph(doc, name: str, size: float, latin: str, cjk: str, bold: bool = False, align=None,
                    before: float = 0, after: float = 0, line: float | None = None, indent_chars: int = 0) -> None:
    style = by_name(doc, name)
    set_fonts(style, latin, cjk)
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    fmt = style.paragraph_format
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if line:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(line)
    else:
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    if align is not None:
        fmt.alignment = align
    ppr = style.element.get_or_add_pPr()
    ind = ppr.find(qn("w:ind"))
    if ind is None:
        ind = OxmlElement("w:ind")
        ppr.append(ind)
    # explicit even when 0: styles based on Body Text would otherwise inherit its two-character indent
    ind.set(qn("w:firstLineChars"), str(indent_chars * 100))        # two characters, whatever the font size
    ind.set(qn("w:firstLine"), str(int(indent_chars * size * 20)))


def table_style(doc) -> None:
    """Pandoc's "Table" style: a ruled grid; the header row (firstRow) bold on a grey ground."""
    style = by_name(doc, "Table")
    tbl_pr = style.element.find(qn("w:tblPr"))
    tbl_pr.append(parse_xml(
        f'<w:tblBorders {nsdecls("w")}>' + "".join(
            f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
            for side in ("top", "left", "bottom", "right", "insideH", "insideV")) + "</w:tblBorders>"))
    for old in style.element.findall(qn("w:tblStylePr")):
        style.element.remove(old)
    style.element.append(parse_xml(
        f'<w:tblStylePr {nsdecls("w")} w:type="firstRow"><w:rPr><w:b/><w:bCs/></w:rPr>'
        '<w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="D9D9D9"/><w:vAlign w:val="center"/></w:tcPr>'
        "</w:tblStylePr>"))


def footer_numbers(doc) -> None:
    """Page numbers "— n —" in 四号: odd pages at the right, even pages at the left (GB/T 9704 7.5)."""
    doc.settings.odd_and_even_pages_header_footer = True
    section = doc.sections[0]
    for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT), (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        footer.is_linked_to_previous = False
        para = footer.paragraphs[0]
        para.alignment = align
        para.paragraph_format.first_line_indent = Pt(0)
        for text, field in (("— ", None), (None, "PAGE"), (" —", None)):
            if field:
                run = para.add_run()
                run._r.append(parse_xml(f'<w:fldChar {nsdecls("w")} w:fldCharType="begin"/>'))
                run = para.add_run()
                run._r.append(parse_xml(f'<w:instrText {nsdecls("w")} xml:space="preserve"> PAGE </w:instrText>'))
                run = para.add_run()
                run._r.append(parse_xml(f'<w:fldChar {nsdecls("w")} w:fldCharType="separate"/>'))
                run = para.add_run("1")
                run = para.add_run()
                run._r.append(parse_xml(f'<w:fldChar {nsdecls("w")} w:fldCharType="end"/>'))
            else:
                para.add_run(text)
        for run in para.runs:
            run.font.size = Pt(14)
            run.font.name = BODY_LATIN


def font_table(doc) -> None:
    """Declare 仿宋 and 黑体 with their GB2312 charset and a Noto CJK alternative name for machines without them."""
    part = next(rel.target_part for rel in doc.part.rels.values() if rel.reltype.endswith("/fontTable"))
    root = parse_xml(part.blob)
    for name, alt in FALLBACK.items():
        for old in root.findall(qn("w:font")):
            if old.get(qn("w:name")) == name:
                root.remove(old)
        root.append(parse_xml(
            f'<w:font {nsdecls("w")} w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/>'
            f'<w:family w:val="{"modern" if name == BODY_CJK else "swiss"}"/><w:pitch w:val="fixed"/></w:font>'))
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def build(out: Path) -> Path:
    """Write the reference document to out (reproducibly) and return out."""
    with tempfile.TemporaryDirectory(prefix="refdoc-") as tmp:
        base = Path(tmp) / "default.docx"
        pandoc = pypandoc.get_pandoc_path()
        import subprocess
        subprocess.run([pandoc, "-o", str(base), "--print-default-data-file", "reference.docx"], check=True)
        doc = Document(str(base))

    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(25)

    # document defaults: the body faces, so any style Pandoc uses that is not restyled below still shows 仿宋
    defaults = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = defaults.find(qn("w:rFonts"))
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for key, value in (("w:ascii", BODY_LATIN), ("w:hAnsi", BODY_LATIN), ("w:eastAsia", BODY_CJK), ("w:cs", BODY_LATIN)):
        fonts.set(qn(key), value)

    style_paragraph(doc, "Normal", 16, BODY_LATIN, BODY_CJK, line=28)
    for name in ("Body Text", "First Paragraph"):
        style_paragraph(doc, name, 16, BODY_LATIN, BODY_CJK, line=28, indent_chars=2, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    style_paragraph(doc, "Compact", 16, BODY_LATIN, BODY_CJK, line=28)   # tight lists (data notes)
    if not any((s.name or "") == "Table Text" for s in doc.styles):     # table cells (docx.lua puts them in it)
        doc.styles.add_style("Table Text", WD_STYLE_TYPE.PARAGRAPH).base_style = by_name(doc, "Normal")
    style_paragraph(doc, "Table Text", 10.5, BODY_LATIN, BODY_CJK)
    style_paragraph(doc, "Title", 22, HEAD_LATIN, TITLE_CJK, align=WD_ALIGN_PARAGRAPH.CENTER, before=0, after=14, line=36)
    style_paragraph(doc, "Subtitle", 16, BODY_LATIN, BODY_CJK, align=WD_ALIGN_PARAGRAPH.CENTER, after=14, line=28)
    style_paragraph(doc, "heading 1", 22, HEAD_LATIN, TITLE_CJK, align=WD_ALIGN_PARAGRAPH.CENTER, after=14, line=36)
    style_paragraph(doc, "heading 2", 16, HEAD_LATIN, HEAD_CJK, before=14, after=0, line=28)
    style_paragraph(doc, "heading 3", 16, HEAD_LATIN, HEAD_CJK, before=7, after=0, line=28)
    style_paragraph(doc, "heading 4", 14, HEAD_LATIN, HEAD_CJK, before=7, after=0, line=28)
    for name in ("Image Caption", "Table Caption", "Caption"):
        style_paragraph(doc, name, 10.5, BODY_LATIN, BODY_CJK, align=WD_ALIGN_PARAGRAPH.CENTER, after=6)
    # the charts (docx.lua puts them in it): single spacing, or the fixed 28 pt body line would clip them
    style_paragraph(doc, "Figure", 16, BODY_LATIN, BODY_CJK, align=WD_ALIGN_PARAGRAPH.CENTER, before=3, after=3)
    table_style(doc)
    footer_numbers(doc)
    font_table(doc)

    props = doc.core_properties
    props.author = props.last_modified_by = "haimen-plan-monitor"
    props.title, props.revision = "", 1
    props.created = props.modified = FIXED_DATE
    buffer = io.BytesIO()
    doc.save(buffer)
    return _reproducible_zip(buffer.getvalue(), out)


def _reproducible_zip(data: bytes, out: Path) -> Path:
    """Rewrite the package with fixed entry times and order, so two builds are the same bytes."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        names = src.namelist()
        order = ["[Content_Types].xml"] + sorted(n for n in names if n != "[Content_Types].xml")
        for name in order:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(name))
    return out


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))

"""Executed notebook -> PDF, with the same Typst look on both routes.

Route 1 (when `quarto` is on PATH): Quarto's Typst format, using _quarto.yml
at the project root. Route 2 (always available; Quarto is not on the package
registries our machines reach): nbconvert to Markdown with inputs hidden,
Pandoc (pypandoc-binary) to Typst, Typst (the `typst` package) to PDF. Both
include templates/look.typ and need a CJK font (Noto Sans CJK SC); without
one the run stops with a message saying how to install it.

Only what a reader should see reaches the PDF: code cells' inputs, printed
streams, errors and plain-text reprs are dropped; Markdown, tables and
images stay.
"""
from __future__ import annotations

import copy
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import nbformat

from analysis.core import paths
from analysis.core.errors import Problem
from analysis.core.escape import typst_string, typst_text
from analysis.core.fonts import CJK_FAMILIES, RenderError, find_cjk_font  # noqa: F401 (re-exported)
from analysis.report.synthetic import notebook_is_synthetic, watermark_typst

LOOK = paths.TEMPLATES_DIR / "look.typ"
KEEP_MIME = ("text/markdown", "image/png", "image/svg+xml", "image/jpeg")

# Pandoc's Markdown reader with every extension off that would reinterpret text and that our notebooks do not use
# (pandoc 3.9 names; `pandoc --list-extensions=markdown`). Data text is already escaped (escape.md_text); this is
# the second line: a character that slipped through cannot become a citation (@海门发布 -> "no bibliography"),
# maths ($...$), raw HTML/TeX/LaTeX macros, a footnote, a div or span, a line block, a metadata or title block,
# or smart punctuation. Kept: pipe tables and images (our tables and charts), all_symbols_escapable (the
# escaping relies on it), and raw_attribute, which only our own RawMarkup verdict cells use
# (`#text(...)[...]`{=typst}, briefing.status_cell); data cannot produce it because md_text escapes ` and {.
PANDOC_FORMAT = "markdown" + "".join(f"-{ext}" for ext in (
    "yaml_metadata_block", "pandoc_title_block", "citations", "tex_math_dollars", "tex_math_single_backslash",
    "tex_math_double_backslash", "raw_html", "raw_tex", "latex_macros", "smart", "native_divs", "native_spans",
    "markdown_in_html_blocks", "footnotes", "inline_notes", "example_lists", "superscript", "subscript", "strikeout",
    "bracketed_spans", "fenced_divs", "line_blocks", "definition_lists", "task_lists", "emoji", "autolink_bare_uris",
    "mark", "abbreviations", "alerts", "wikilinks_title_after_pipe", "wikilinks_title_before_pipe"))


# Per-language Typst rules after look.typ. In English, quotes and apostrophes would otherwise come from the CJK font,
# whose ’ and “” are full-width glyphs ("plan’ s" shows a gap): they are taken from a Latin font, and the text
# language is English (Latin line breaking and quotes). No hyphenation: a soft hyphen copied out of the PDF
# ("unver\u00adified") is an invisible character in the reader's text.
LANG_RULES = {
    "en": '#set text(lang: "en", region: none, hyphenate: false)\n'
          '#show regex("[\\u{2018}\\u{2019}\\u{201C}\\u{201D}]"): set text(font: ("DejaVu Sans", "Noto Sans CJK SC"))\n'
          '#show smartquote: set text(font: ("DejaVu Sans", "Noto Sans CJK SC"))\n'
          # the English pages in English only: the product's name and the page of pages
          '#set page(footer: context [#set text(size: 7.5pt, fill: luma(110)); Haimen service-industry plan monitor'
          ' #h(1fr) #counter(page).display("1 / 1", both: true)])\n',
    # Chinese pages as a 公文 numbers them: "— 1 —" centred, no English on the page (issue 26)
    "zh": '#set page(footer: context [#set text(size: 9pt); #h(1fr) — #counter(page).display() — #h(1fr)])\n'
          # headings in black as a 简报 prints them (the colour is for the English reader's screen), and in Hei
          # (sans) over a Song (serif) text, as a 公文 sets them (main_font)
          '#show heading: set text(fill: black, font: ("Noto Sans CJK SC", "Noto Serif CJK SC"))\n',
}


# A Chinese 简报 set as a 公文 is (song=True, the briefing only): the title centred in a Song bold (the nearest free
# face to 小标宋), no space Typst would add between 汉字 and digits ("53 项"), and every paragraph's first line
# indented by two characters. Tables and lists are not paragraphs, so they keep their own alignment.
BULLETIN_RULES = {
    "zh": '#set text(cjk-latin-spacing: none)\n'
          '#set par(first-line-indent: (amount: 2em, all: true))\n'
          '#show heading.where(level: 1): it => align(center, block(below: 0.9em)[#text(size: 16pt, weight: "bold", '
          'font: ("Noto Serif CJK SC", "Noto Sans CJK SC"), it.body)])\n',
}


def main_font(lang: str, found: Path) -> str:
    """The text face: for Chinese pages a Song (serif) face, as a 公文's text is set in 仿宋 (not a free font; Noto
    Serif CJK, installed with Noto Sans by fonts-noto-cjk, is the nearest), where it sits beside the font found;
    else, and for English pages, Noto Sans CJK."""
    if lang == "zh" and any(Path(found).parent.glob("NotoSerifCJK*")):
        return "Noto Serif CJK SC"
    return CJK_FAMILIES[0]


def _map_outputs(nb: nbformat.NotebookNode, change) -> nbformat.NotebookNode:
    """A copy of nb whose code cells keep change(output) for each output; an output mapped to None is left out."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell["outputs"] = [o for o in map(change, cell.get("outputs", [])) if o is not None]
    return nb


def portable_view(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook for writers other than Typst: an output's portable Markdown (present.show_both) replaces its
    Markdown, which holds raw Typst those writers drop; an output whose portable form is empty is left out."""
    from analysis.core.present import PORTABLE_MIME

    def portable(out):
        data = out.get("data", {})
        if PORTABLE_MIME in data:
            if not data[PORTABLE_MIME]:
                return None
            data["text/markdown"] = data[PORTABLE_MIME]
        return out
    return _map_outputs(nb, portable)


def reader_view(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook as a reader sees it: Markdown cells, and code outputs that are Markdown or images."""
    def shown(out):
        if out.get("output_type") not in ("display_data", "execute_result"):
            return None
        data = {k: v for k, v in out.get("data", {}).items() if k in KEEP_MIME}
        if not data:
            return None
        out["data"] = data
        return out
    return _map_outputs(nb, shown)


def _markdown(nb: nbformat.NotebookNode) -> tuple[str, dict[str, bytes]]:
    from nbconvert import MarkdownExporter

    exporter = MarkdownExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, resources = exporter.from_notebook_node(reader_view(nb))
    body = re.sub(r"!\[(png|svg|jpeg)\]\(", "![](", body)      # no 'png' captions under the charts
    return body, resources.get("outputs", {})


def run_pandoc(source: Path, to: str, output: Path, args: list[str]) -> None:
    """Pandoc (the pypandoc-binary executable) from source's folder, as a child process.

    Not pypandoc.convert_file: it changes the whole process's working directory while Pandoc runs, and the
    pipeline renders one language while the next one's notebook runs in another thread (papermill also saves
    relative to the working directory), so the two could leave the process in a deleted temporary folder.
    """
    import pypandoc

    done = subprocess.run([pypandoc.get_pandoc_path(), str(source), "--from", PANDOC_FORMAT, "--to", to,
                           "--output", str(output), *args], cwd=source.parent, capture_output=True, text=True,
                          timeout=600)
    if done.returncode:
        raise RuntimeError(f"Pandoc failed ({done.returncode}) on {source.name} -> {to}: {done.stderr.strip()}")


def _typst_route(nb: nbformat.NotebookNode, pdf: Path, lang: str, title: str | None, song: bool = False) -> None:
    import typst

    font = find_cjk_font()
    with tempfile.TemporaryDirectory(prefix="render-") as tmp:
        tmp = Path(tmp)
        body, images = _markdown(nb)
        for name, data in images.items():
            (tmp / name).write_bytes(data)
        (tmp / "report.md").write_text(body, encoding="utf-8")
        # --columns: no Markdown line counts as "long", so Pandoc leaves table widths to Typst (auto)
        args = ["--standalone", "--columns=100000", f"--include-in-header={LOOK}", "-V", "papersize=a4", "-V", f"lang={lang}",
                "-V", "page-numbering=1", "-V", f"mainfont={main_font(lang, font) if song else CJK_FAMILIES[0]}"]
        if lang == "en":
            # Latin lines need less leading than CJK ones (no full-height ideographs), and English words are longer: a
            # page then holds what the Chinese one does (the template's leading, 0.65em x linestretch, wins over look.typ)
            args += ["-V", "linestretch=0.88"]
        # look.typ sets Chinese conventions; an English document gets its language and Latin quotes (below)
        # a run on made-up data says so on every page (synthetic.py: the rule and why)
        mark = watermark_typst(tmp) if notebook_is_synthetic(nb) else ""
        rules = LANG_RULES.get(lang, "") + (BULLETIN_RULES.get(lang, "") if song else "")
        if song and title and lang != "zh":
            # a bulletin's English pages carry its series title, not the product's name (the Chinese ones: — n —)
            rules += ('#set page(footer: context [#set text(size: 7.5pt, fill: luma(110)); ' + typst_text(title)
                      + ' #h(1fr) #counter(page).display("1 / 1", both: true)])\n')
        (tmp / "lang.typ").write_text(rules + mark, encoding="utf-8")
        args += [f"--include-in-header={tmp / 'lang.typ'}"]
        if title:
            # the PDF's title (metadata, not printed): written into Typst by us, so escaped as a Typst string
            (tmp / "title.typ").write_text(f"#set document(title: {typst_string(title)})\n", encoding="utf-8")
            args += [f"--include-after-body={tmp / 'title.typ'}"]
        run_pandoc(tmp / "report.md", "typst", tmp / "report.typ", args)
        out = tmp / "report.pdf"
        typst.compile(str(tmp / "report.typ"), output=str(out), root=str(tmp), font_paths=[str(font.parent)])
        shutil.move(str(out), pdf)


def _quarto_route(nb_path: Path, pdf: Path, lang: str) -> None:
    with tempfile.TemporaryDirectory(prefix="render-") as tmp:
        tmp = Path(tmp)
        work = tmp / nb_path.name
        nb = nbformat.read(nb_path, as_version=4)
        nbformat.write(reader_view(nb), work)
        shutil.copy(paths.ROOT / "_quarto.yml", tmp / "_quarto.yml")
        mark = watermark_typst(tmp) if notebook_is_synthetic(nb) else ""
        (tmp / "look.typ").write_text(LOOK.read_text(encoding="utf-8") + mark, encoding="utf-8")
        subprocess.run(["quarto", "render", str(work), "--to", "typst", "-M", f"lang:{lang}"],
                       cwd=tmp, check=True, capture_output=True, text=True, timeout=600)
        shutil.move(str(work.with_suffix(".pdf")), pdf)


def choose_engine(engine: str = "auto") -> str:
    if engine not in ("auto", "quarto", "typst"):
        raise ValueError(f"engine must be auto, quarto or typst, not {engine!r}")
    if engine == "auto":
        return "quarto" if shutil.which("quarto") else "typst"
    if engine == "quarto" and not shutil.which("quarto"):
        raise RenderError([Problem("--engine quarto", "quarto is not on PATH",
                                   "install Quarto from quarto.org, or use --engine typst (no install needed)")])
    return engine


def render_notebook(nb_path: Path, pdf: Path, lang: str = "zh", engine: str = "auto", title: str | None = None,
                    song: bool = False) -> str:
    """Render an executed notebook to pdf; returns the engine used ("quarto" or "typst").

    song: set a Chinese document's text in a Song face (main_font), as the briefing a district office sends up;
    the technical reports keep the sans face (and the time a second CJK font costs to embed, 0.3 s a PDF)."""
    engine = choose_engine(engine)
    pdf = Path(pdf)
    pdf.parent.mkdir(parents=True, exist_ok=True)
    if engine == "quarto":
        _quarto_route(Path(nb_path), pdf, lang)
    else:
        _typst_route(nbformat.read(nb_path, as_version=4), pdf, lang, title, song)
    return engine

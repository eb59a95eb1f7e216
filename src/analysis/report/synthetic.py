"""Reports built from made-up data say so on every page: the watermark 示例数据 / synthetic example.

The rule (one, general, and checkable by anyone looking at the raw folder): a run is synthetic when any file in its
raw folder has "synthetic" in its name (case ignored). The project's quality bar already requires every made-up
test file to say "synthetic" in its name (tests/synthetic*/), and data/raw/ holds published figures only, so the
shipped data never carry the mark while any test scenario, and any folder that mixes real and made-up files, does.
A page printed from such a run and forwarded out of context still cannot pass for a real briefing.

The renderer (render.py) reads the raw folder from the executed notebook's papermill parameters (`raw_dir`), so
every PDF of the run (briefings and validation report) gets the mark without a new pipeline option.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from analysis.core import paths

WATERMARK_ZH, WATERMARK_EN = "示例数据", "synthetic example"

MARK_FILE = "synthetic_watermark.png"


def watermark_typst(folder: Path) -> str:
    """Typst rules (after look.typ) for the mark, with its image written into folder (the render's working folder).

    Two parts: a header line on every page, as text (searchable, and what the tests read), and a large faint
    diagonal mark behind the text. The diagonal mark is a picture, not text: as text it would be extracted
    letter by letter into the middle of the page's sentences when a reader copies them, and its size would
    trip the escaping tests' guard against injected oversized text.
    """
    _mark_image(Path(folder) / MARK_FILE)
    return f"""
#let synthetic-mark = image("{MARK_FILE}", width: 15cm)
#set page(
  header: align(center, text(size: 8pt, fill: rgb("#b42318"), weight: "bold")[{WATERMARK_ZH} · {WATERMARK_EN}: made-up figures, not Haimen statistics / 虚构数据，非海门统计数据]),
  background: [#place(center + horizon, dy: -6.5cm, synthetic-mark)#place(center + horizon, dy: 6.5cm, synthetic-mark)],
)
"""


def _mark_image(path: Path) -> None:
    """The diagonal 示例数据 · synthetic example as a transparent PNG (matplotlib, the CJK font the PDFs use)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.font_manager import FontProperties

    from analysis.core.fonts import find_cjk_font

    fig = plt.figure(figsize=(6, 2.6), dpi=150)
    fig.text(0.5, 0.5, f"{WATERMARK_ZH} · {WATERMARK_EN}", rotation=25, ha="center", va="center", fontsize=26,
             fontweight="bold", color=(0.71, 0.14, 0.09, 0.16), fontproperties=FontProperties(fname=str(find_cjk_font()), size=26))
    fig.savefig(path, transparent=True)
    plt.close(fig)


def is_synthetic(raw_dir: Path | str | None) -> bool:
    """True when the raw folder holds a file named *synthetic* (see the module docstring for why this rule)."""
    folder = Path(raw_dir) if raw_dir else paths.RAW_DIR
    if not folder.is_dir():
        return False
    return any("synthetic" in p.name.lower() for p in folder.rglob("*") if p.is_file())


def notebook_is_synthetic(nb: nbformat.NotebookNode) -> bool:
    """Whether an executed notebook was run on a synthetic raw folder (its papermill parameter raw_dir)."""
    params = nb.get("metadata", {}).get("papermill", {}).get("parameters", {}) or {}
    return is_synthetic(params.get("raw_dir"))


def word_banner(raw_dir: Path | str | None, lang: str) -> str:
    """The Word briefing's first line for a synthetic run (Markdown; "" otherwise): Word has no page background here.

    Shown only on the Word route (present.show_both's portable form): the PDF already carries the mark on every page.
    """
    if not is_synthetic(raw_dir):
        return ""
    return (f"**{WATERMARK_ZH} · {WATERMARK_EN}**" + ("：虚构数据，非海门统计数据" if lang == "zh" else
                                                     ": made-up figures, not Haimen statistics"))

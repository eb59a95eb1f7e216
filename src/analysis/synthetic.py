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

from . import paths

WATERMARK_ZH, WATERMARK_EN = "示例数据", "synthetic example"

# Typst, after look.typ: a header line on every page (searchable text) and a large faint diagonal mark behind the
# text. The diagonal mark is drawn at 22 pt: readable across the page, yet below the 25 pt the escaping tests use
# to catch injected oversized text.
WATERMARK_TYPST = f"""
#let synthetic-mark = rotate(-35deg, reflow: false, box(width: 16cm, align(center,
  text(size: 22pt, fill: rgb(180, 35, 24, 38), weight: "bold")[{WATERMARK_ZH} · {WATERMARK_EN}])))
#set page(
  header: align(center, text(size: 8pt, fill: rgb("#b42318"), weight: "bold")[{WATERMARK_ZH} · {WATERMARK_EN}: made-up figures, not Haimen statistics / 虚构数据，非海门统计数据]),
  background: [#place(center + horizon, dy: -6cm, synthetic-mark)#place(center + horizon, dy: 6cm, synthetic-mark)],
)
"""


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

"""Charts drawn once per set of inputs: the PNG of a chart is reused wherever the same inputs come back.

A chart is a function of its inputs, the code that draws it, matplotlib and the fonts: drawn once, its PNG
is reused wherever the same inputs come back (a rerun of a quarter; between replay quarters that saw the same
figures, every chart repeats). Text layout with CJK fonts is what makes a chart costly. PNG bytes, not pickles: a cached entry is data only. The key includes the digest of the whole
package's code (code_version), so any change to the code draws every chart again. The only cache the suite keeps
(data/cache/figures/): a cache of clean data and fitted forecasts saved nothing measurable and was removed
(benchmarks/results/pipeline.md).
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path

from functools import lru_cache

import pandas as pd
from IPython.display import display

from analysis.core import paths

def code_digest(package: Path) -> str:
    """SHA-256 over every .py file below package, with its path inside it."""
    h = hashlib.sha256()
    for p in sorted(Path(package).rglob("*.py")):
        h.update(p.relative_to(package).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


@lru_cache(maxsize=1)
def code_version() -> str:
    """The digest of the whole package (every stage folder, not only the one this module sits in): a change to
    any module's code makes new keys."""
    return code_digest(paths.PACKAGE_DIR)


def _drawing_environment() -> bytes:
    """Everything outside the arguments that changes the pixels: code, matplotlib, its settings, the fonts.

    The settings are read as the chart will see them: every chart of the suite starts by setting the house
    style (style.house_style), so they are read with it applied on top of the current ones (and put back).
    Read before it, the first chart of a kernel and every later one would have different keys.
    """
    import matplotlib
    from matplotlib import font_manager

    from analysis.report.style import house_style

    with matplotlib.rc_context():
        house_style()
        # the backend says where figures are shown, not how a saved PNG looks; before pyplot resolves it, it is a
        # sentinel object whose text is a memory address, so a kernel's first chart would miss every time
        settings = sorted((k, str(v)) for k, v in dict.items(matplotlib.rcParams) if k not in ("backend", "backend_fallback"))
    fonts = sorted(f.fname for f in font_manager.fontManager.ttflist)
    return json.dumps([code_version(), matplotlib.__version__, settings, fonts]).encode()


def _canonical(obj):
    """obj as plain tuples, strings and bytes that are equal exactly when the contents are.

    Tables by content (values, the type of every value of an object column, dtypes, labels), not by
    pickle: a table read back from the cache pickles differently from the same table computed, and
    would miss. Dataclasses (targets, an indicator's figures) by their fields. Other objects by pickle,
    which can only miss, never match two different inputs.
    """
    import dataclasses

    import numpy as np

    if obj is None or isinstance(obj, (bool, int, float, str, bytes, np.generic)):
        return (type(obj).__name__, repr(obj))
    if isinstance(obj, (pd.DataFrame, pd.Series)):
        frame = obj.to_frame() if isinstance(obj, pd.Series) else obj
        # the hash reads an object column's values as text: 1 and "1" differ only in their types
        kinds = [",".join(type(v).__name__ for v in frame.iloc[:, i]) if frame.iloc[:, i].dtype == object else ""
                 for i in range(frame.shape[1])]
        return (type(obj).__name__, getattr(obj, "name", None) if isinstance(obj, pd.Series) else None,
                _canonical(list(frame.columns)), [str(t) for t in frame.dtypes], _canonical(list(frame.index)),
                str(frame.index.dtype), kinds, pd.util.hash_pandas_object(frame, index=True).values.tobytes())
    if isinstance(obj, np.ndarray):
        return ("ndarray", str(obj.dtype), obj.shape, obj.tobytes() if obj.dtype != object else _canonical(obj.tolist()))
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return (type(obj).__qualname__, [(f.name, _canonical(getattr(obj, f.name))) for f in dataclasses.fields(obj)])
    if isinstance(obj, dict):
        return ("dict", [(_canonical(k), _canonical(v)) for k, v in obj.items()])
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [_canonical(v) for v in obj])
    if isinstance(obj, (set, frozenset)):
        return (type(obj).__name__, sorted(repr(_canonical(v)) for v in obj))
    return ("pickle", type(obj).__qualname__, pickle.dumps(obj, protocol=4))


def figure_key(draw, args: tuple, kwargs: dict) -> str | None:
    """The key of draw(*args, **kwargs)'s picture, or None when an argument cannot be serialised (then no reuse).

    Equal keys mean equal inputs (_canonical), so a hit can only ever give the same picture.
    """
    try:
        payload = pickle.dumps((draw.__module__, draw.__qualname__, _canonical(args), _canonical(sorted(kwargs.items()))),
                               protocol=4)
    except Exception:       # an argument that does not serialise: draw every time
        return None
    h = hashlib.sha256(payload)
    h.update(_drawing_environment())
    return h.hexdigest()


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def figure_png(draw, *args, cache_dir: Path | None = None, **kwargs) -> bytes:
    """PNG bytes of the figure draw(*args, **kwargs) returns, as Jupyter's inline backend would show it.

    draw must set the house style first (style.house_style), as every chart of the suite does: the key
    reads matplotlib's settings with it applied.

    With cache_dir, reused from cache_dir/figures/<key>.png when the same inputs were drawn before; the
    bytes are those a fresh drawing gives (tests/test_speed.py), so outputs do not depend on the cache.
    """
    import matplotlib.pyplot as plt
    from IPython.core.pylabtools import print_figure

    key = figure_key(draw, args, kwargs) if cache_dir is not None else None
    path = Path(cache_dir) / "figures" / f"{key}.png" if key else None
    if path is not None:
        try:
            png = path.read_bytes()
            if png.startswith(PNG_SIGNATURE):
                return png
        except OSError:
            pass
    fig = draw(*args, **kwargs)
    try:
        png = print_figure(fig, "png") or b""   # the inline backend's own call (tight box, the figure's dpi); b"": empty
    finally:
        plt.close(fig)
    if path is not None and png:
        _write_bytes(path, png)
    return png


def _write_bytes(path: Path, data: bytes) -> None:
    """Write atomically; a cache that cannot be written is skipped (it only saves time)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:          # the cache folder is not a folder (a file, a dangling link): skip quietly
            pass


def show_figure(draw, *args, cache_dir=None, **kwargs) -> None:
    """Show the figure draw(*args, **kwargs) returns, as a PNG, drawn once per set of inputs (cache.figure_png).

    The notebooks show every chart through here, whether or not a cache folder is given, so an executed
    notebook holds the same image bytes either way (the PDFs are built from those images).
    """
    from IPython.display import Image

    png = figure_png(draw, *args, cache_dir=Path(cache_dir) if cache_dir else None, **kwargs)
    if png:
        display(Image(data=png, format="png"))

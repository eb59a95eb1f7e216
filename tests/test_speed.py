"""Speed work must not change results: the chart cache and warm kernels."""
import json
import re
from pathlib import Path

import papermill as pm
import pytest

from analysis.report import chart_cache
from analysis.run.engine import ENGINE
from analysis.run.kernels import KernelPool
from analysis.run.replay import replay
from conftest import REPLAY_QUARTERS

# 2024Q1 and 2024Q2 see the same raw rows (nothing in data/raw was published between their cut-offs)
SAME_INPUTS = REPLAY_QUARTERS


def data_outputs(folder: Path) -> dict[str, bytes]:
    """Every CSV and JSON output of a replay (PDFs, notebooks, Data Docs and manifests carry times)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.suffix in (".csv", ".json") and p.name != "manifest.json" and "data_docs" not in p.parts}


def test_replay_outputs_are_byte_identical_with_the_chart_cache_on_and_off(tmp_path, replay_without_cache):
    store = tmp_path / "cache"
    # one worker: the second quarter starts after the first has drawn its charts, so it really reuses them
    on = replay(*SAME_INPUTS, workers=1, reports_dir=tmp_path / "on", cache_dir=store, progress=lambda *_: None)
    off = replay_without_cache                    # the same quarters, cache off (the session's replay, conftest)
    with_cache, without = data_outputs(on), data_outputs(off)
    assert json.loads(with_cache["outcomes.json"]) == {q: "ok" for q in SAME_INPUTS}
    assert {f"{q}/assessment.csv" for q in SAME_INPUTS} | {f"{q}/changes.csv" for q in SAME_INPUTS} <= set(with_cache)
    assert with_cache.keys() == without.keys()
    assert [k for k in with_cache if with_cache[k] != without[k]] == []
    # the charts the notebooks show (the PDFs are built from them): the same pixels, drawn or reused
    assert sorted((store / "figures").glob("*.png"))
    pictures_on, pictures_off = notebook_images(on), notebook_images(off)
    assert len(pictures_on) >= 2 * len(SAME_INPUTS) and pictures_on == pictures_off


def notebook_images(folder: Path) -> dict[str, list[str]]:
    """Every PNG (base64) each executed notebook of a replay shows, by notebook."""
    return {p.relative_to(folder).as_posix(): [o["data"]["image/png"] for c in json.loads(p.read_text(encoding="utf-8"))["cells"]
                                               for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
            for p in sorted(folder.rglob("*.ipynb"))}


def write_notebook(folder: Path) -> Path:
    """A synthetic notebook that would show leftovers of an earlier run: state, warnings, cell numbers."""
    cells = [
        ("x = 1  # synthetic parameters", ["parameters"]),
        ("import warnings\nwarnings.warn('synthetic warning, shown in every run')", []),
        ("print(globals().get('leftover', 'fresh namespace'), x + 0)\nleftover = 'stale'", []),
    ]
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {"tags": tags}, "outputs": [],
                     "source": src, "id": f"synthetic-{i}"} for i, (src, tags) in enumerate(cells)],
          "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
          "nbformat": 4, "nbformat_minor": 5}
    path = folder / "synthetic_state.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def outputs(path: Path) -> list:
    """Cell numbers and outputs; the name IPython gives a cell's code (kernel pid, hash) differs in every run."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [(c.get("execution_count"), re.sub(r"ipykernel_\d+/\d+\.py", "<cell>", json.dumps(c["outputs"])))
            for c in nb["cells"] if c["cell_type"] == "code"]


@pytest.mark.slow
def test_a_reused_kernel_runs_a_notebook_as_a_fresh_one_does(tmp_path):
    source = write_notebook(tmp_path)
    fresh = tmp_path / "fresh.ipynb"
    pm.execute_notebook(str(source), str(fresh), parameters={"x": 2}, progress_bar=False, kernel_name="python3")
    with KernelPool(tmp_path) as pool:
        runs = []
        for i in range(2):
            out = tmp_path / f"pooled{i}.ipynb"
            with pool.kernel(source.name) as km:
                pm.execute_notebook(str(source), str(out), parameters={"x": 2}, progress_bar=False,
                                    kernel_name="python3", engine_name=ENGINE, km=km)
            runs.append(outputs(out))
        assert pool.started == 1                      # the second run reused the first run's kernel
    expected = outputs(fresh)
    assert "fresh namespace 2" in json.dumps(expected) and "synthetic warning" in json.dumps(expected)
    assert runs == [expected, expected]


@pytest.mark.slow
def test_a_pooled_notebook_does_not_wait_for_a_silent_iopub(tmp_path, monkeypatch):
    """jupyter_client's wait_for_ready reads IOPub until it has been silent for 0.2 s, before every notebook. A
    pooled kernel is warm: the client nbclient gets (kernels.WarmKernelClient) does its own handshake instead,
    so the inherited wait must never run (it did, unnoticed, while only _async_wait_for_ready was overridden)."""
    from jupyter_client.asynchronous import AsyncKernelClient

    async def silence_wait(self, timeout=None):
        raise AssertionError("jupyter_client's IOPub silence wait ran for a pooled kernel")

    monkeypatch.setattr(AsyncKernelClient, "wait_for_ready", silence_wait)
    source, out = write_notebook(tmp_path), tmp_path / "pooled.ipynb"
    with KernelPool(tmp_path) as pool:
        with pool.kernel(source.name) as km:
            pm.execute_notebook(str(source), str(out), parameters={"x": 2}, progress_bar=False,
                                kernel_name="python3", engine_name=ENGINE, km=km)
    assert "fresh namespace 2" in json.dumps(outputs(out))     # ran to the end, its output kept


def write_notebooks_that_change_settings(folder: Path) -> tuple[Path, Path]:
    """Two synthetic notebooks: the first changes process-wide settings, the second shows them."""
    def notebook(name: str, sources: list[str]) -> Path:
        nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": src,
                         "id": f"synthetic-{i}"} for i, src in enumerate(sources)],
              "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
              "nbformat": 4, "nbformat_minor": 5}
        path = folder / name
        path.write_text(json.dumps(nb), encoding="utf-8")
        return path

    changer = notebook("synthetic_changer.ipynb", [
        "import os, sys, warnings\nimport pandas as pd\nimport matplotlib\nimport matplotlib.pyplot as plt",
        "pd.set_option('display.max_colwidth', 7)\nmatplotlib.rcParams['axes.titlelocation'] = 'right'\n"
        "warnings.simplefilter('ignore')\nos.environ['SYNTHETIC_LEFTOVER'] = '1'\nsys.path.append('/synthetic')\n"
        "os.chdir('/')\nleftover = 'stale'\nfig = plt.figure()",
    ])
    shower = notebook("synthetic_shower.ipynb", [
        "import os, sys, warnings\nimport pandas as pd\nimport matplotlib\nimport matplotlib.pyplot as plt",
        "print(pd.get_option('display.max_colwidth'), matplotlib.rcParams['axes.titlelocation'], "
        "os.environ.get('SYNTHETIC_LEFTOVER'), '/synthetic' in sys.path, os.path.basename(os.getcwd()), "
        "globals().get('leftover', 'fresh namespace'), plt.get_fignums())",
        "pd.DataFrame({'text': ['a synthetic long text to truncate']})",
        "warnings.warn('synthetic warning, shown in every run')",
    ])
    return changer, shower


@pytest.mark.slow
def test_a_kernel_reused_by_another_notebook_runs_it_as_a_fresh_one_does(tmp_path):
    changer, shower = write_notebooks_that_change_settings(tmp_path)
    fresh = tmp_path / "fresh.ipynb"
    pm.execute_notebook(str(shower), str(fresh), progress_bar=False, kernel_name="python3", cwd=str(tmp_path))
    with KernelPool(tmp_path) as pool:
        for source in (changer, shower):
            with pool.kernel(source.name) as km:
                pm.execute_notebook(str(source), str(tmp_path / f"pooled_{source.name}"), progress_bar=False,
                                    kernel_name="python3", engine_name=ENGINE, km=km)
        assert pool.started == 1                      # the shower ran in the changer's kernel
    expected = outputs(fresh)
    assert "50 center None False" in json.dumps(expected) and "synthetic warning" in json.dumps(expected)
    assert outputs(tmp_path / f"pooled_{shower.name}") == expected


def test_the_pipeline_notebooks_share_kernels_by_lane():
    from analysis.run.kernels import lane

    assert lane("01_clean.ipynb") == lane("03_forecast.ipynb") == lane("04_briefing.ipynb")
    assert lane("02_validate.ipynb") != lane("01_clean.ipynb")     # runs beside 03, imports Great Expectations
    one = KernelPool(Path("."), lanes={})                           # a replay worker's: every notebook in one kernel
    assert one.one_lane and not KernelPool(Path(".")).one_lane
    assert {one.lane(n) for n in ("01_clean.ipynb", "02_validate.ipynb", "03_forecast.ipynb")} == {"main"}


@pytest.mark.slow
def test_a_kernel_whose_notebook_failed_is_not_reused(tmp_path):
    source = write_notebook(tmp_path)
    with KernelPool(tmp_path) as pool:
        with pytest.raises(pm.PapermillExecutionError):
            with pool.kernel(source.name) as km:
                pm.execute_notebook(str(source), str(tmp_path / "bad.ipynb"), parameters={"x": "text"},
                                    progress_bar=False, kernel_name="python3", engine_name=ENGINE, km=km)
        assert not km.is_alive()
        with pool.kernel(source.name) as km2:
            assert km2 is not km


def test_a_warm_up_that_never_finishes_does_not_hold_the_run(tmp_path, monkeypatch):
    """A warm kernel that is neither ready nor dead (a hang seen once in the ready check) is abandoned after
    WARM_TIMEOUT for a kernel started on the spot; the run goes on with that one."""
    from concurrent.futures import Future
    from types import SimpleNamespace

    from analysis.run import kernels

    monkeypatch.setattr(kernels, "WARM_TIMEOUT", 0.2)
    pool = KernelPool(tmp_path)
    stuck: Future = Future()                            # never completes
    pool._idle["x"] = [stuck]
    fresh = SimpleNamespace(is_alive=lambda: True)       # a kernel manager that started and is running
    monkeypatch.setattr(pool, "lane", lambda notebook: "x")
    monkeypatch.setattr(pool, "_start", lambda notebook: fresh)
    monkeypatch.setattr(pool, "_recycle", lambda km, notebook: km)
    with pool.kernel("01_clean.ipynb") as km:
        assert km is fresh
    pool._starter.shutdown(wait=True)


# ------------------------------------------------------------------------------------ the figure cache --
def synthetic_bars(values: list[float], title: str = "synthetic"):
    """A small synthetic chart; calls counts how often it was really drawn."""
    import matplotlib.pyplot as plt

    from analysis.report.style import house_style

    house_style()               # as every chart of the suite does first (the contract of chart_cache.figure_png)
    synthetic_bars.calls += 1
    fig, ax = plt.subplots(figsize=(2, 1.5), dpi=80)
    ax.bar(range(len(values)), values)
    ax.set_title(title)
    return fig


synthetic_bars.calls = 0


def test_a_chart_is_drawn_once_per_set_of_inputs_and_reused_byte_for_byte(tmp_path):
    store = tmp_path / "cache"
    synthetic_bars.calls = 0
    fresh = chart_cache.figure_png(synthetic_bars, [1.0, 2.0, 3.0])                # no cache: drawn
    first = chart_cache.figure_png(synthetic_bars, [1.0, 2.0, 3.0], cache_dir=store)
    again = chart_cache.figure_png(synthetic_bars, [1.0, 2.0, 3.0], cache_dir=store)
    assert synthetic_bars.calls == 2                        # the third call read the picture, it did not draw
    assert fresh == first == again and fresh.startswith(chart_cache.PNG_SIGNATURE)
    other = chart_cache.figure_png(synthetic_bars, [1.0, 2.0, 3.5], cache_dir=store)
    titled = chart_cache.figure_png(synthetic_bars, [1.0, 2.0, 3.0], title="other title", cache_dir=store)
    assert synthetic_bars.calls == 4 and len({fresh, other, titled}) == 3
    assert len(list((store / "figures").glob("*.png"))) == 3


def test_the_first_chart_of_a_kernel_and_the_later_ones_share_a_key(tmp_path):
    import matplotlib

    synthetic_bars.calls = 0
    with matplotlib.rc_context():
        matplotlib.rcdefaults()             # a kernel before its first chart: no house style yet
        chart_cache.figure_png(synthetic_bars, [1.0, 2.0], cache_dir=tmp_path)    # draws, and sets the house style
        chart_cache.figure_png(synthetic_bars, [1.0, 2.0], cache_dir=tmp_path)    # the same picture: read back
    assert synthetic_bars.calls == 1


def test_a_changed_drawing_environment_or_a_damaged_entry_draws_again(tmp_path, monkeypatch):
    import matplotlib

    store = tmp_path / "cache"
    synthetic_bars.calls = 0
    chart_cache.figure_png(synthetic_bars, [1.0, 2.0], cache_dir=store)
    with matplotlib.rc_context({"axes.facecolor": "#eeeeee"}):      # a different house style: other pixels
        chart_cache.figure_png(synthetic_bars, [1.0, 2.0], cache_dir=store)
    assert synthetic_bars.calls == 2
    for entry in (store / "figures").glob("*.png"):
        entry.write_bytes(b"not a picture")
    png = chart_cache.figure_png(synthetic_bars, [1.0, 2.0], cache_dir=store)
    assert synthetic_bars.calls == 3 and png.startswith(chart_cache.PNG_SIGNATURE)
    monkeypatch.setattr(chart_cache, "code_version", lambda: "synthetic other code")
    chart_cache.figure_png(synthetic_bars, [1.0, 2.0], cache_dir=store)
    assert synthetic_bars.calls == 4


def test_an_argument_that_cannot_be_serialised_is_drawn_every_time(tmp_path):
    synthetic_bars.calls = 0
    class SyntheticTitle:           # an object the key does not know and that does not pickle
        def __str__(self) -> str:
            return "synthetic title"

        def __reduce__(self):
            raise TypeError("synthetic: cannot be pickled")

    title = SyntheticTitle()
    a = chart_cache.figure_png(synthetic_bars, [1.0], title=title, cache_dir=tmp_path)
    b = chart_cache.figure_png(synthetic_bars, [1.0], title=title, cache_dir=tmp_path)
    assert synthetic_bars.calls == 2 and a == b
    assert not (tmp_path / "figures").exists()


def test_a_figure_key_reads_tables_by_content():
    import pickle

    import pandas as pd

    frame = pd.DataFrame({"year": [2022, 2023], "value": [1.5, 2.5], "status": ["final", "estimate"]}).set_index("year")
    round_trip = pickle.loads(pickle.dumps(frame))        # as read back from the clean/forecast cache
    rebuilt = pd.concat([frame.iloc[:1], frame.iloc[1:]])  # the same content, built another way
    key = chart_cache.figure_key(synthetic_bars, (frame,), {})
    assert key == chart_cache.figure_key(synthetic_bars, (round_trip,), {}) == chart_cache.figure_key(synthetic_bars, (rebuilt,), {})
    changed = frame.assign(value=[1.5, 2.6])
    as_text = frame.assign(status=["final", 1])
    as_number = frame.assign(status=["final", "1"])
    keys = {key, chart_cache.figure_key(synthetic_bars, (changed,), {}), chart_cache.figure_key(synthetic_bars, (as_text,), {}),
            chart_cache.figure_key(synthetic_bars, (as_number,), {})}
    assert len(keys) == 4                                   # 1 and "1" are different inputs

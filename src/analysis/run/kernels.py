"""Warm Jupyter kernels for the pipeline's notebooks: start-up paid once per run, not once per notebook.

A fresh kernel costs about 0.5 s of CPU before a notebook's first line runs, and importing a notebook's
slice of the stack (pandas, matplotlib, seaborn, our package) another 2-2.5 s; Great Expectations
adds about 3 s more. A quarter runs five notebooks; a replay of 14 quarters ran seventy. A KernelPool
starts a kernel in the background while earlier steps run, imports there what the notebook imports
(its own import statements, read from the notebook), and hands the kernel over when the step starts.

Kernels are shared by *lane* (LANES), not by notebook: 01 clean, 03 forecast and both briefings run
one after the other in the "main" kernel, so the stack is imported once for them (modules stay in
sys.modules); 02 validate has its own kernel, because it runs beside 03 and imports Great
Expectations, which the other notebooks do not need (imported while 01 runs, off the critical path).

After a notebook finished without error, its kernel is reset in the background (the step ends at
once) and kept for the next notebook of its lane; after its first notebook it also imports what the
lane's other notebooks import (`KernelPool._recycle`). The reset: the namespace, In/Out and the execution counter are reset (`InteractiveShell.reset(new_session=
True)`, so cells are numbered from 1 again), figures closed, the warning registries cleared (so a
warning is shown in every executed copy, as in a fresh kernel), and the process-wide settings a
notebook can change are put back as they were when the kernel was warm (SNAPSHOT, RESET): pandas
options (01 sets display.max_colwidth), matplotlib rcParams (the house style), warning filters, the
working directory, environment variables and sys.path. A kernel whose notebook failed is shut down,
never reused. Every kernel dies with its pool (`close`), at the end of the run or replay worker that
made it.

Executed notebooks are the same as from a fresh kernel (tests compare them cell by cell, for the
same notebook run twice and for a notebook run after a different one); modules imported ahead of
time are what the notebooks would import anyway.
"""
from __future__ import annotations

import ast
import json
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from jupyter_client.asynchronous import AsyncKernelClient

# imports a notebook needs that its own import statements do not show (analysis.checks.validate imports GE lazily)
EXTRA_IMPORTS = {"02_validate.ipynb": "import great_expectations\nimport great_expectations.expectations\n"}
# notebooks that share a kernel (one after the other); a notebook not named here runs in the "main" lane
LANES = {"02_validate.ipynb": "validate"}
# run silently once a kernel is warm: what a fresh kernel's process-wide settings are, for RESET to restore
# (kept in a module of its own, since the user namespace is cleared by every reset). Then gc.freeze(): the
# objects alive now (the imported stack, Great Expectations' especially) are left out of every later garbage
# collection; IPython's reset runs a full collection, which took 1-2 s per notebook in 02's kernel otherwise,
# and pandas' work triggers collections too. They live as long as the kernel anyway. What notebooks leave
# behind is not frozen (RESET does not freeze), so a replay's kernels collect it as usual.
SNAPSHOT = """
import sys as _sys, os as _os, types as _types, warnings as _warnings
_state = _sys.modules.setdefault("_haimen_fresh_state", _types.ModuleType("_haimen_fresh_state"))
_state.filters, _state.cwd = list(_warnings.filters), _os.getcwd()
_state.environ, _state.path = dict(_os.environ), list(_sys.path)
with _warnings.catch_warnings():
    _warnings.simplefilter("ignore")
    if "pandas" in _sys.modules:
        from pandas._config.config import _registered_options as _opts
        _state.pandas = {_k: _sys.modules["pandas"].get_option(_k) for _k in _opts}
    if "matplotlib" in _sys.modules:
        _state.rc = _sys.modules["matplotlib"].rcParams.copy()
get_ipython().reset(new_session=True)    # the notebook starts in an empty namespace, as in a fresh kernel
__import__("gc").freeze()
"""
RESET = """
import sys as _sys, os as _os, warnings as _warnings
for _m in list(_sys.modules.values()):
    _d = getattr(_m, "__dict__", None)
    if isinstance(_d, dict):
        _d.pop("__warningregistry__", None)
_warnings.onceregistry.clear()
if "matplotlib.pyplot" in _sys.modules:
    _sys.modules["matplotlib.pyplot"].close("all")
_state = _sys.modules["_haimen_fresh_state"]
with _warnings.catch_warnings():
    _warnings.simplefilter("ignore")
    if hasattr(_state, "pandas"):
        _pd = _sys.modules["pandas"]
        for _k, _v in _state.pandas.items():
            if _pd.get_option(_k) is not _v and _pd.get_option(_k) != _v:
                _pd.set_option(_k, _v)
    if hasattr(_state, "rc"):
        _rc = _sys.modules["matplotlib"].rcParams
        _rc.update({_k: _v for _k, _v in _state.rc.items() if _rc[_k] != _v})
_warnings.filters[:] = _state.filters
_warnings._filters_mutated()
_os.chdir(_state.cwd)
_os.environ.clear()
_os.environ.update(_state.environ)
_sys.path[:] = _state.path
get_ipython().reset(new_session=True)    # last: it clears the names above too
"""


def lane(notebook: str, lanes: dict[str, str] = LANES) -> str:
    """The lane (shared kernel) a notebook runs in."""
    return lanes.get(notebook, "main")


def notebook_imports(path: Path) -> str:
    """The top-level import statements of a notebook's code cells (parameters cell aside), as source."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    lines = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code" or "parameters" in cell.get("metadata", {}).get("tags", []):
            continue
        try:
            tree = ast.parse("".join(cell["source"]))
        except SyntaxError:
            continue
        lines += [ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return "\n".join(dict.fromkeys(lines)) + "\n"


class WarmKernelClient(AsyncKernelClient):
    """The client nbclient gets for a pooled kernel: the handshake of wait_for_ready without its last step.

    jupyter_client's wait_for_ready ends by reading IOPub until it has been silent for 0.2 s. A pooled
    kernel is warm and idle, and nbclient ignores IOPub messages that answer other requests, so that
    wait only added 0.2 s before each notebook (five a quarter). What is kept: a kernel_info reply on
    the shell channel, and a message on IOPub, which shows the subscription is live (a cell's output
    published before it would be lost).
    """

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        import time
        from queue import Empty

        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                msg = None
            if msg is not None and msg["msg_type"] == "kernel_info_reply":
                try:
                    await self.iopub_channel.get_msg(timeout=0.2)
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(msg)
                    return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    # what nbclient calls: AsyncKernelClient binds wait_for_ready to the base class's function object, so an
    # override of _async_wait_for_ready alone is never used (it was not, until this line: 0.2 s per notebook)
    wait_for_ready = _async_wait_for_ready




WARM_TIMEOUT = 180   # seconds a notebook waits for its warm kernel (a warm-up takes 2-10 s) before starting its own


class KernelPool:
    """Kernels started ahead of need, one per lane (LANES), reused for the later notebooks of that lane.

    lanes={} puts every notebook in one kernel (`one_lane`): a replay worker's pool, where the other worker
    keeps the second core busy, so a second kernel's start-up and imports (about 4 s of CPU) buy nothing;
    the run then takes its notebooks one at a time (pipeline._run_stages)."""

    def __init__(self, notebooks_dir: Path, extra_arguments: list[str] | None = None, kernel_name: str = "python3",
                 lanes: dict[str, str] = LANES):
        self.notebooks_dir = Path(notebooks_dir)
        self.lanes = dict(lanes)
        self.extra_arguments = [*(extra_arguments or []), "--HistoryManager.hist_file=:memory:"]
        self.kernel_name = kernel_name
        self._idle: dict[str, list[Future]] = {}
        self._managers: list = []   # every kernel started, for close (a recycle cancelled by close holds one too)
        self._lane_imported: set[int] = set()
        self._lock = threading.Lock()
        self._starter = ThreadPoolExecutor(max_workers=4, thread_name_prefix="kernel-start")
        self.started = 0            # kernels started (for the benchmark: reuse means fewer than notebooks run)

    def __enter__(self) -> "KernelPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def lane(self, notebook: str) -> str:
        """The lane of notebook in this pool."""
        return lane(notebook, self.lanes)

    @property
    def one_lane(self) -> bool:
        """Every notebook runs in the same kernel, so they must run one at a time."""
        return all(key == "main" for key in self.lanes.values())

    def warm(self, notebook: str) -> None:
        """Start a kernel for notebook's lane in the background and import what notebook imports."""
        future = self._starter.submit(self._start, notebook)
        with self._lock:
            self._idle.setdefault(self.lane(notebook), []).append(future)
            self.started += 1

    def ensure(self, notebook: str) -> None:
        """Warm a kernel for notebook unless one of its lane is idle or starting already."""
        with self._lock:
            if self._idle.get(self.lane(notebook)):
                return
        self.warm(notebook)

    def wait_warm(self, timeout: float = WARM_TIMEOUT) -> None:
        """Wait until the kernels started ahead of need are ready (a failed warm-up shows at its notebook)."""
        with self._lock:
            futures = [f for idle in self._idle.values() for f in idle]
        for future in futures:
            try:
                future.result(timeout=timeout)
            except Exception:    # noqa: BLE001 - kernel() raises it, or starts another, when the notebook asks
                pass

    def _start(self, notebook: str, attempts: int = 2):
        """A started kernel that has imported what notebook imports; a kernel that dies meanwhile is replaced once."""
        from jupyter_client import KernelManager

        code = notebook_imports(self.notebooks_dir / notebook) + EXTRA_IMPORTS.get(notebook, "")
        for attempt in range(attempts):
            km = KernelManager(kernel_name=self.kernel_name, client_class=f"{__name__}.WarmKernelClient")
            with self._lock:
                self._managers.append(km)
            km.start_kernel(cwd=str(self.notebooks_dir), extra_arguments=self.extra_arguments)
            try:
                self._run(km, code, ready=False)   # an import that fails here fails again, visibly, in the notebook
                self._run(km, SNAPSHOT, check=True)
                return km
            except RuntimeError:
                self._shutdown(km)
                if attempt == attempts - 1:
                    raise

    @staticmethod
    def _run(km, code: str, timeout: float = 600, check: bool = False, ready: bool = True) -> None:
        """Run code silently (no output, no cell number); RuntimeError when the kernel dies or does not answer,
        or (check) when the code raised: a kernel whose reset failed must not be reused.

        ready: the kernel has answered before, so jupyter_client's wait_for_ready (at least 0.2 s, waiting for
        IOPub to fall silent) is skipped; only the shell reply is read, and requests queue until connected."""
        import queue
        import time

        kc = km.blocking_client()
        # a warm kernel is only asked to run code: the shell channel, no heartbeat or IOPub threads
        if ready:
            kc.start_channels(iopub=False, stdin=False, hb=False, control=False)
        else:
            kc.start_channels()
        try:
            if not ready:
                kc.wait_for_ready(timeout=120)
            msg_id = kc.execute(code, silent=True, store_history=False)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    reply = kc.get_shell_msg(timeout=0.5)
                except queue.Empty:
                    if not km.is_alive():
                        raise RuntimeError("the kernel died while warming up") from None
                    continue
                if reply["parent_header"].get("msg_id") == msg_id:
                    if check and reply["content"].get("status") != "ok":
                        raise RuntimeError(f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}")
                    return
            raise RuntimeError(f"the kernel did not answer within {timeout:.0f} s")
        finally:
            kc.stop_channels()

    @contextmanager
    def kernel(self, notebook: str) -> Iterator[object]:
        """A warm kernel manager for notebook; kept for the next notebook of its lane when the run succeeds."""
        key = self.lane(notebook)
        with self._lock:
            idle = self._idle.get(key)
            future = idle.pop(0) if idle else None
        if future is None:
            self.warm(notebook)
            with self._lock:
                future = self._idle[key].pop(0)
        try:
            km = future.result(timeout=WARM_TIMEOUT)
        except FutureTimeout:
            # a kernel that is neither ready nor dead after this long (seen once: the run hung in the ready
            # check) is abandoned for a fresh one started here, so a run is never held by a lost warm-up
            future.add_done_callback(lambda f: not f.cancelled() and f.exception() is None and self._shutdown(f.result()))
            km = self._start(notebook)
        if not km.is_alive():
            # died while idle (killed, out of memory): a kernel of a replay worker can wait
            # while other quarters run; a dead one is replaced here rather than failing the notebook
            self._shutdown(km)
            km = self._start(notebook)
        try:
            yield km
        except BaseException:
            self._shutdown(km)
            raise
        # reset in the background: the step that ran notebook ends now, the next notebook of the lane waits
        recycled = self._starter.submit(self._recycle, km, notebook)
        with self._lock:
            self._idle.setdefault(key, []).append(recycled)

    def _recycle(self, km, notebook: str):
        """km reset for the next notebook of its lane; a kernel that cannot be reset is replaced by a fresh one.

        After the first notebook a kernel ran, it also imports what the other notebooks of its lane import
        (03's and the briefings' after 01: while 02 runs, not in the briefing's first cell) and the settings
        are taken again (SNAPSHOT), so that what those imports set (warning filters of scipy, statsmodels,
        urllib3) is there in every later notebook, as it would be in a fresh kernel that imports them.
        """
        try:
            self._run(km, RESET, check=True)
            if id(km) not in self._lane_imported:
                self._lane_imported.add(id(km))
                self._run(km, self.lane_imports(self.lane(notebook)))
                self._run(km, SNAPSHOT, check=True)
            return km
        except Exception:        # noqa: BLE001 - a kernel that cannot be reset is not reused
            self._shutdown(km)
            return self._start(notebook)

    def lane_imports(self, key: str) -> str:
        """What the notebooks of lane key import (their own statements and EXTRA_IMPORTS), as source."""
        names = sorted(p.name for p in self.notebooks_dir.glob("*.ipynb") if self.lane(p.name) == key)
        lines = "".join(notebook_imports(self.notebooks_dir / n) + EXTRA_IMPORTS.get(n, "") for n in names).splitlines()
        return "\n".join(dict.fromkeys(line for line in lines if line)) + "\n"

    @staticmethod
    def _shutdown(km) -> None:
        try:
            if km.has_kernel:
                km.shutdown_kernel(now=True)
        except Exception:        # noqa: BLE001 - already gone
            pass

    def close(self) -> None:
        """Shut every kernel of the pool down (those still starting too; those not started yet never start)."""
        self._starter.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            managers, self._managers, self._idle = self._managers, [], {}
        # side by side: each waits about 0.1 s for its process to end, at the end of every run
        with ThreadPoolExecutor(max_workers=max(1, len(managers)), thread_name_prefix="kernel-stop") as stop:
            list(stop.map(self._shutdown, managers))

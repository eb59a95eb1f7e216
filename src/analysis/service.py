"""`python -m analysis serve`: a warm service that runs `run`, `briefing`, `validate` and `replay` for this project.

A repeated `python -m analysis run` spends about 10 s of CPU starting Python and importing the stack, in
the command's own process and in its two Jupyter kernels. The service pays that once: it imports the
stack, starts one KernelPool (kernels.py) and keeps both kernels warm between commands, and listens on a
Unix socket of its own (service_client.socket_path: one per project root and user, in a 0700 folder).
`python -m analysis run ...` in the same project hands its argv to it and prints what it sends back
(service_client.py); without a service the command runs in its own process, as before.

What it promises:
- the same command line (cli.main, with the same options) runs, with stdout and stderr streamed back, so
  the output, the files and the exit status are those of the command run without the service; a run
  uses the service's kernels (cli.KERNEL_POOL) and is as from fresh kernels (kernels.py resets them);
- a replay's worker processes (each with its warm kernel) are kept after the replay, for the next one
  (replay.KEPT_WORKERS): their start-up is about a fifth of a repeated 14-quarter replay's wall time. They
  are started by the first replay, not before (memory: about 0.6 GiB each), replaced when a replay asks
  for another number of workers (`--workers`; by default one per core) or a worker died, and stop with the
  service (a worker whose parent dies, even by kill -9, shuts its kernel down and exits: replay.worker_processes);
- never stale code: it records a fingerprint of the code at start (service_client.fingerprint); a
  client whose fingerprint differs is refused (it runs the command itself, after one line saying so)
  and the service stops. Config and data are read by every run (their caches are keyed by content);
- one command at a time, in arrival order (a client that waits is told so); only the whitelisted
  commands, as JSON of limited size (service_wire.read_request), from this user (the socket's folder is 0700; peer credentials
  are checked), never other code;
- foreground only: Ctrl-C stops it (a run in progress stops as an interrupted run does: nothing is
  published), and so does a given idle time (default 30 minutes), saying so.
What does not come back to the client: output written straight to a file descriptor by a child process
(the kernels, whose own log is kept quiet; Pandoc and Typst are run with their output captured) appears in
the service's terminal, and a crash's traceback starts in the service's frames.
Ctrl-C in the client does not stop a run the service has started: the run publishes whole or not at all
either way, so the service finishes it and stays usable; the client says so (service_client.INTERRUPTED).
"""
from __future__ import annotations

import os
import queue
import shlex
import signal
import socket
import sys
import threading
import time
import traceback
import warnings

from . import paths
from .errors import InputError, Problem
from .service_client import MAX_SOCKET_PATH, environment, fingerprint, is_stale, private_dir, socket_path
from .service_wire import Channel, EmptyRequest, Stream, peer_uid, printable, read_request

IDLE_MINUTES = 30.0
SEND_TIMEOUT = 60          # seconds a client may stop reading before its output is dropped (the run goes on)
SERVE_NOTE = "the warm service did not start; nothing was run or changed / 常驻服务未启动，未运行、未改动:"
STOPPED_DURING_RUN = ("the warm service was stopped (Ctrl-C or a signal in its terminal) during the command; a run publishes "
                      "whole or not at all (a stop that comes while it publishes waits for the end): "
                      "reports/<as_of>/manifest.json says which version is published; a replay publishes nothing "
                      "/ 常驻服务在运行中被停止；运行结果要么整体发布，要么不发布，请查看 reports/<as_of>/manifest.json；"
                      "回放不会发布任何结果\n")


def _import_stack() -> None:
    """What a run imports in this process (the notebooks' share is imported by the kernels)."""
    import importlib

    for name in ("papermill", *(f"{__package__}.{m}" for m in ("annex", "changes", "clean", "cli", "config", "ingest",
                                                               "pipeline", "provenance", "render", "render_word",
                                                               "returns", "validate"))):
        importlib.import_module(name)


def _cpu_seconds() -> tuple[float, dict[int, float]]:
    """CPU (user + system) of this process and its reaped children, and of each live descendant (the kernels)."""
    import resource

    own = sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
              for f in ("ru_utime", "ru_stime"))
    live: dict[int, float] = {}
    try:
        import psutil
        for proc in psutil.Process().children(recursive=True):
            try:
                t = proc.cpu_times()
                live[proc.pid] = t.user + t.system
            except psutil.Error:
                pass
    except ImportError:
        pass
    return own, live


def _resident_mib() -> float | None:
    """Resident memory of the service and its kernels together (None without psutil): shown after every
    command, so growth from run to run would be seen."""
    try:
        import psutil
    except ImportError:
        return None
    total = 0
    me = psutil.Process()
    for proc in (me, *me.children(recursive=True)):
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


def _cpu_delta(before: tuple[float, dict[int, float]], after: tuple[float, dict[int, float]]) -> float:
    return after[0] - before[0] + sum(t - before[1].get(pid, 0.0) for pid, t in after[1].items())


class Service:
    """The state of a running service: its kernels, what it was started from, the queue of waiting clients."""

    def __init__(self, idle_minutes: float, log):
        self.idle_minutes, self.log = idle_minutes, log
        self.path = socket_path()
        self.waiting: queue.Queue = queue.Queue()
        self.busy = False
        self.pool = self.listener = None
        self.replay_workers, self.replay_size = None, 0

    def start(self) -> None:
        """Check the socket's place, import the stack, warm the kernels, then listen."""
        if len(os.fsencode(str(self.path))) > MAX_SOCKET_PATH:
            raise InputError([Problem("serve", f"the socket path {self.path} is longer than {MAX_SOCKET_PATH} bytes",
                                      "set XDG_RUNTIME_DIR (or TMPDIR) to a shorter folder")], note=SERVE_NOTE)
        if not private_dir(self.path.parent, create=True):
            raise InputError([Problem("serve", f"{self.path.parent} is not a folder of this user closed to others",
                                      f"if it is yours: chmod 700 {self.path.parent}; if it is another user's: set XDG_RUNTIME_DIR "
                                      "(or TMPDIR) to a folder of your own")], note=SERVE_NOTE)
        if self.path.exists() or self.path.is_symlink():
            if not is_stale(self.path):
                raise InputError([Problem("serve", f"a warm service for {paths.ROOT} already listens on {self.path}",
                                          "use it (`python -m analysis run` does, by itself), or stop it with Ctrl-C "
                                          "in its terminal first")], note=SERVE_NOTE)
            self.path.unlink()
        from . import cli
        from .kernels import KernelPool
        from .pipeline import KERNEL_ARGS

        t0 = time.perf_counter()
        # taken before anything is imported: an edit saved during the warm-up must not pass for the code it runs
        self.fingerprint = fingerprint()
        self.log(f"Warm service for {paths.ROOT}: importing the stack and warming two kernels ... "
                 "/ 常驻服务启动中（导入依赖并预热两个内核）")
        _import_stack()        # before the kernels start: imports racing the pool's threads failed (KeyError)
        self.pool = KernelPool(paths.NOTEBOOKS_DIR, KERNEL_ARGS)
        self.pool.ensure("01_clean.ipynb")
        self.pool.ensure("02_validate.ipynb")
        self.pool.wait_warm()
        cli.KERNEL_POOL = self.pool
        from . import replay
        replay.KEPT_WORKERS = self.kept_workers
        if fingerprint() != self.fingerprint:
            raise InputError([Problem("serve", "the code, the notebooks or requirements.lock changed while the service was "
                                      "starting / 服务启动期间代码有改动", "start it again when the edit is saved")],
                             note=SERVE_NOTE)
        self.environment = environment()
        self.filters, self.environ, self.cwd = list(warnings.filters), dict(os.environ), os.getcwd()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(str(self.path))
        except OSError as exc:
            listener.close()
            raise InputError([Problem("serve", f"cannot listen on {self.path}: {exc.strerror}",
                                      "is another service starting for this project? Try again")], note=SERVE_NOTE) from None
        os.chmod(self.path, 0o600)
        listener.listen(16)
        self.listener, self.inode = listener, self.path.stat().st_ino
        threading.Thread(target=self._accept, name="service-accept", daemon=True).start()
        self.log(f"Ready in {time.perf_counter() - t0:.0f} s / 已就绪: listening on {self.path}; `python -m analysis run`, "
                 f"`briefing`, `validate` and `replay` in this project now run here. Stops after {self.idle_minutes:g} idle "
                 "minutes or Ctrl-C.")

    def _accept(self) -> None:
        """Take connections, read and check each request, queue it (telling the client when it must wait)."""
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return                     # the listener was closed: the service is stopping
            channel = Channel(conn)
            uid = peer_uid(conn)
            try:
                if uid is not None and uid != os.getuid():
                    raise ValueError(f"a connection from user id {uid}")
                request = read_request(conn)
            except EmptyRequest:                 # a probe (is_stale, a second `serve`): nothing to refuse
                channel.close()
                continue
            except Exception as exc:    # noqa: BLE001 - any request, however malformed, is refused; the loop goes on
                channel.send({"kind": "refused", "reason": "request", "detail": str(exc)[:200]})
                channel.close()
                self.log(f"[{time.strftime('%H:%M:%S')}] refused a request: {printable(str(exc)[:200])}")
                continue
            conn.settimeout(SEND_TIMEOUT)
            if self.busy or not self.waiting.empty():
                channel.send({"kind": "queued"})
            self.waiting.put((channel, request))

    def loop(self) -> None:
        """Serve waiting clients one at a time until the idle time passes or a client brings other code."""
        last = time.monotonic()
        idle = self.idle_minutes * 60
        while True:
            try:
                channel, request = self.waiting.get(timeout=max(0.0, idle - (time.monotonic() - last)))
            except queue.Empty:
                self.log(f"No command for {self.idle_minutes:g} minutes: stopped / 空闲 {self.idle_minutes:g} 分钟，已停止. "
                         "Start it again with `python -m analysis serve`.")
                return
            try:
                if not self.handle(channel, request):
                    return
            finally:
                channel.close()
                last = time.monotonic()

    def handle(self, channel: Channel, request: dict) -> bool:
        """Run one request; False when the service must stop (its code is out of date)."""
        command = printable(shlex.join(request["argv"]))
        if request["fingerprint"] != self.fingerprint:
            channel.send({"kind": "refused", "reason": "code"})
            self.log(f"[{time.strftime('%H:%M:%S')}] {command}: refused, the code changed since this service started; "
                     "stopping / 代码已改动，服务停止. Start it again with `python -m analysis serve`.")
            return False
        if request["environment"] != self.environment:
            channel.send({"kind": "refused", "reason": "environment"})
            self.log(f"[{time.strftime('%H:%M:%S')}] {command}: refused, run from another environment "
                     f"({request['environment']} here {self.environment})")
            return True
        if not channel.still_there():
            self.log(f"[{time.strftime('%H:%M:%S')}] {command}: not run, its client stopped waiting")
            return True
        self.busy = True
        channel.send({"kind": "start"})
        t0, cpu0 = time.perf_counter(), _cpu_seconds()
        try:
            status = self.run_command(channel, request["argv"])
        except KeyboardInterrupt:
            channel.send({"kind": "err", "text": STOPPED_DURING_RUN})
            channel.send({"kind": "exit", "status": 130})
            raise
        finally:
            self.busy = False
        wall, cpu = time.perf_counter() - t0, _cpu_delta(cpu0, _cpu_seconds())
        channel.send({"kind": "exit", "status": status, "wall": round(wall, 2), "cpu": round(cpu, 2)})
        from .memory import release_memory
        release_memory()
        rss = _resident_mib()
        self.log(f"[{time.strftime('%H:%M:%S')}] {command}: exit {status}, {wall:.1f} s wall, {cpu:.1f} s CPU "
                 f"(service and its kernels)" + (f", {rss:.0f} MiB resident" if rss is not None else "")
                 + (" (client left: output dropped)" if channel.gone else ""))
        return True

    def run_command(self, channel: Channel, argv: list[str]) -> int:
        """cli.main(argv) with stdout and stderr going to the client; its exit status (1 and the traceback on a crash)."""
        from . import cli

        self._fresh_process_state()
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = Stream(channel, "out"), Stream(channel, "err")
        try:
            return cli.main(list(argv))
        except SystemExit as exc:       # argparse: --help (0), a bad option (2, after its message)
            if exc.code is None or isinstance(exc.code, int):
                return exc.code or 0
            print(exc.code, file=sys.stderr)
            return 1
        except Exception:               # noqa: BLE001 - as `python -m analysis` would: the traceback and status 1
            traceback.print_exc()
            return 1
        finally:
            sys.stdout, sys.stderr = saved

    def _fresh_process_state(self) -> None:
        """What a command could have changed in this process, put back as at start; warnings shown again."""
        for module in list(sys.modules.values()):
            registry = getattr(module, "__dict__", {}).get("__warningregistry__") if module is not None else None
            if isinstance(registry, dict):
                registry.clear()
        warnings.filters[:] = self.filters
        warnings._filters_mutated()     # noqa: SLF001 - the registries cached under the old filters are void
        for key in [k for k in os.environ if k not in self.environ]:     # key by key: kernels may start meanwhile
            del os.environ[key]
        for key, value in self.environ.items():
            if os.environ.get(key) != value:
                os.environ[key] = value
        os.chdir(self.cwd)

    def kept_workers(self, count: int):
        """The replay's worker processes (replay.KEPT_WORKERS): kept from one replay to the next, replaced only
        when another number is asked for or a worker died (a replay that stopped or failed leaves them idle)."""
        # ProcessPoolExecutor says it is broken (a worker died) only through its _broken attribute
        if self.replay_workers is not None and (self.replay_size != count or getattr(self.replay_workers, "_broken", False)):
            self.drop_workers(wait=True)
        if self.replay_workers is None:
            from .replay import worker_processes
            self.replay_workers, self.replay_size = worker_processes(count), count
        return self.replay_workers

    def drop_workers(self, wait: bool) -> None:
        """Stop the kept replay workers (each shuts its kernel down as it exits); queued quarters are cancelled."""
        if self.replay_workers is not None:
            workers, self.replay_workers = self.replay_workers, None
            workers.shutdown(wait=wait, cancel_futures=True)

    def stop(self) -> None:
        """Stop listening, remove the socket (if it is still this service's), shut the kernels and replay workers down."""
        if self.listener is not None:
            self.listener.close()
            try:
                if self.path.stat().st_ino == self.inode:
                    self.path.unlink()
            except OSError:
                pass
        while not self.waiting.empty():            # clients still waiting run their commands themselves
            self.waiting.get_nowait()[0].close()
        if self.pool is not None:
            import logging

            # a run cut short by Ctrl-C still has notebooks running in threads; their kernels die now, and
            # asyncio would print a "Kernel died" traceback per notebook that tells the user nothing new
            logging.getLogger("asyncio").setLevel(logging.CRITICAL)
            self.pool.close()
        self.drop_workers(wait=True)
        from . import replay
        replay.KEPT_WORKERS = None


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def serve(idle_minutes: float = IDLE_MINUTES, log=None) -> None:
    """Run the warm service in the foreground until Ctrl-C, SIGTERM, idle_minutes without a command, or
    a client with other code; the socket is removed and the kernels shut down in every case."""
    terminal = sys.stdout          # while a command runs, sys.stdout goes to its client: the log must not follow it
    log = log or (lambda text: print(text, file=terminal, flush=True))
    service = Service(idle_minutes, log)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGINT, signal.default_int_handler)   # Ctrl-C stops it even when started in the background
    try:
        service.start()
        service.loop()
    except KeyboardInterrupt:
        log("Stopped / 已停止.")
    finally:
        service.stop()

"""The warm service (`python -m analysis serve`): the same outputs, messages and exit status as without it,
never stale code, no trouble from a dead service's socket file, and it stops when idle.

Every command runs as `python -m analysis ...` in a child process, in a temporary copy of the project
(HAIMEN_MONITOR_ROOT) with its own socket folder (XDG_RUNTIME_DIR), so no service of a real checkout is used.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

import analysis
from analysis import paths
from analysis.service_client import OUT_OF_DATE
from conftest import SYNTHETIC_DIR, make_project, tree_digest

SRC = str(Path(analysis.__file__).resolve().parents[1])
BAD_FILE = "synthetic_unknown_unit.csv"          # row 3 gives tourist visits in 万辆
BAD_MESSAGE = f'data/raw/{BAD_FILE}, row 3, column "unit"'


def environment(root: Path, runtime: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": SRC, "HAIMEN_MONITOR_ROOT": str(root), "XDG_RUNTIME_DIR": str(runtime)}


def socket_of(root: Path, runtime: Path) -> Path:
    """Where the service of root listens, as service_client computes it under that XDG_RUNTIME_DIR."""
    from analysis import service_client

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_RUNTIME_DIR", str(runtime))
        return service_client.socket_path(root)


def command(env: dict, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", *argv], env=env, cwd=env["HAIMEN_MONITOR_ROOT"],
                          capture_output=True, text=True, timeout=900)


class Served:
    """A `serve` child process and the lines it printed."""

    def __init__(self, env: dict, idle_minutes: str = "30"):
        self.lines: list[str] = []
        self.proc = subprocess.Popen([sys.executable, "-m", "analysis", "serve", "--idle-minutes", idle_minutes], env=env,
                                     cwd=env["HAIMEN_MONITOR_ROOT"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for(lambda line: line.startswith("Ready"), 600)

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, test, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [line for line in self.lines if test(line)]
            if found:
                return found[-1]
            if self.proc.poll() is not None and not any(test(line) for line in self.lines):
                time.sleep(0.5)            # the reader may still hold its last lines
                if not any(test(line) for line in self.lines):
                    raise AssertionError("the service stopped:\n" + "\n".join(self.lines))
            time.sleep(0.1)
        raise AssertionError("the service did not print the line expected:\n" + "\n".join(self.lines))

    def served(self, argv: str) -> int:
        """How many times the service logged a command line (its log line follows the client's exit)."""
        return sum(1 for line in self.lines if re.match(rf"\[[\d:]+\] {re.escape(argv)}: exit \d", line))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture(scope="module")
def project():
    work = Path(tempfile.mkdtemp(prefix="svc-"))     # short: a socket path must fit in about 100 bytes
    runtime = work / "run"
    runtime.mkdir(mode=0o700)
    root = make_project(work / "p")
    yield root, environment(root, runtime), runtime
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def service(project):
    root, env, runtime = project
    served = Served(env)
    yield served
    served.stop()


def data_outputs(folder: Path) -> dict[str, bytes]:
    """The CSV and JSON outputs of a quarter folder (the manifest and Data Docs carry times and random ids)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.suffix in (".csv", ".json") and p.name != "manifest.json" and "data_docs" not in p.parts
            and "history" not in p.relative_to(folder).parts}


def console(text: str) -> list[str]:
    """The console lines without what differs between any two runs: seconds, and the order and so the numbers
    of the steps that run side by side."""
    text = re.sub(r"\d+\.\d s", "<s>", re.sub(r"^  \[\d+\] ", "  [n] ", text, flags=re.M))
    return sorted(line for line in text.splitlines() if not line.startswith("Done in"))


def test_outputs_are_byte_identical_with_and_without_the_service(project, service, tmp_path):
    root, env, runtime = project
    argv = ("run", "--as-of", "2025Q2", "--lang", "zh")
    through = command(env, *argv)
    assert through.returncode == 0, through.stderr
    service.wait_for(lambda line: " ".join(argv) + ": exit 0" in line, 30)        # the service ran it
    # the same first run of the quarter in a second copy of the project, in the command's own process
    other = make_project(tmp_path / "p")
    alone = command(environment(other, runtime), *argv, "--no-service")
    assert alone.returncode == 0, alone.stderr
    assert service.served(" ".join(argv)) == 1
    served, own = data_outputs(root / "reports" / "2025Q2"), data_outputs(other / "reports" / "2025Q2")
    assert {"assessment.csv", "figures.csv", "changes.csv", "validation/results.json"} <= set(served)
    assert served.keys() == own.keys()
    assert [name for name in served if served[name] != own[name]] == []
    assert console(through.stdout) == console(alone.stdout) and through.stderr == alone.stderr


def replay_workers(pid: int) -> set[int]:
    """The replay worker processes a service keeps (multiprocessing's spawned children)."""
    import psutil

    return {p.pid for p in psutil.Process(pid).children() if "spawn_main" in " ".join(p.cmdline())}


def test_a_replay_through_the_service_keeps_its_workers_and_writes_what_it_writes_alone(project, service, tmp_path):
    root, env, runtime = project
    argv = ("replay", "--from", "2025Q1", "--to", "2025Q2", "--workers", "2")
    first = command(env, *argv)
    assert first.returncode == 0, first.stderr
    service.wait_for(lambda line: " ".join(argv) + ": exit 0" in line, 30)
    workers = replay_workers(service.proc.pid)
    assert len(workers) == 2                        # kept after the replay, for the next one
    second = command(env, *argv)
    assert second.returncode == 0, second.stderr
    service.wait_for(lambda _: service.served(" ".join(argv)) == 2, 30)
    assert replay_workers(service.proc.pid) == workers            # the same processes ran the second replay
    backwards = ("replay", "--from", "2025Q2", "--to", "2025Q1")
    assert command(env, *backwards).returncode == 2                # an option error
    service.wait_for(lambda line: " ".join(backwards) + ": exit 2" in line, 30)
    time.sleep(2)                                                  # a dropped worker would have exited by now
    assert replay_workers(service.proc.pid) == workers            # the error did not cost the kept workers
    other = make_project(tmp_path / "p")
    alone = command(environment(other, runtime), *argv, "--no-service")
    assert alone.returncode == 0, alone.stderr
    assert service.served(" ".join(argv)) == 2
    name = "reports/replay_2025Q1_2025Q2"
    served, own = data_outputs(root / name), data_outputs(other / name)
    assert {"evolution.csv", "outcomes.json", "2025Q2/assessment.csv", "2025Q2/changes.csv"} <= set(served)
    assert served.keys() == own.keys()
    assert [key for key in served if served[key] != own[key]] == []

    def seconds_out(text: str) -> list[str]:
        return sorted(re.sub(r"\d+ s\b", "<n> s", text).splitlines())
    assert seconds_out(second.stdout) == seconds_out(alone.stdout) and second.stderr == alone.stderr


def test_a_bad_raw_file_gives_the_same_message_and_status_through_the_service(project, service):
    root, env, _ = project
    shutil.copy(SYNTHETIC_DIR / BAD_FILE, root / "data" / "raw" / BAD_FILE)
    try:
        before = tree_digest(root / "reports") if (root / "reports").exists() else {}
        through = command(env, "run")
        service.wait_for(lambda line: "] run: exit 2" in line, 30)
        alone = command(env, "run", "--no-service")
    finally:
        (root / "data" / "raw" / BAD_FILE).unlink()
    assert through.returncode == alone.returncode == 2
    assert BAD_MESSAGE in through.stderr and "Fix:" in through.stderr
    assert (through.stdout, through.stderr) == (alone.stdout, alone.stderr)
    assert (tree_digest(root / "reports") if (root / "reports").exists() else {}) == before


def test_malformed_requests_are_refused_and_the_service_goes_on(project, service):
    """A JSON list once killed the thread that takes connections: every later command hung (review, 2026-11-27).
    Text from a command line is shown escaped in the service's terminal, and its own log never reaches a client."""
    root, env, runtime = project
    for raw in (b"[1, 2]\n", b'"run"\n', b"null\n", b"[" * 50_000 + b"\n", b"not json\n", b"\xff\xfe\n"):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(str(socket_of(root, runtime)))
            conn.sendall(raw)
            assert b'"refused"' in conn.makefile("rb").readline(), raw[:20]
    result = command(env, "run", "--as-of", "\x1b[2J2025Q2")
    assert result.returncode == 2 and "--as-of" in result.stderr
    line = service.wait_for(lambda text: "--as-of" in text and ": exit 2" in text, 30)
    assert "\x1b" not in line and "\\x1b" in line
    assert "refused a request" not in result.stdout + result.stderr


def test_a_suspended_service_does_not_hang_a_command(project, service):
    """kill -STOP (Ctrl-Z in its terminal): the command says so and runs in its own process."""
    from analysis.service_client import ANSWER_TIMEOUT, NOT_ANSWERING
    service.proc.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        result = command(env_of(project), "validate", "--help")
        waited = time.monotonic() - started
    finally:
        service.proc.send_signal(signal.SIGCONT)
    assert result.returncode == 0 and "usage:" in result.stdout
    assert NOT_ANSWERING in result.stderr and ANSWER_TIMEOUT <= waited < ANSWER_TIMEOUT + 30
    service.wait_for(lambda text: "validate --help: not run, its client stopped waiting" in text, 30)


def env_of(project) -> dict:
    return project[1]


def test_a_service_started_from_other_code_refuses_and_the_command_runs_without_it(project, service):
    """Last of the tests using the shared service: it stops it."""
    root, env, runtime = project
    notebook = root / "notebooks" / "04_briefing.ipynb"
    notebook.write_text(notebook.read_text(encoding="utf-8") + "\n", encoding="utf-8")     # the code changed
    shutil.copy(SYNTHETIC_DIR / BAD_FILE, root / "data" / "raw" / BAD_FILE)
    try:
        result = command(env, "run")
    finally:
        (root / "data" / "raw" / BAD_FILE).unlink()
    assert result.stderr.splitlines()[0] == OUT_OF_DATE
    assert result.returncode == 2 and BAD_MESSAGE in result.stderr      # run in the client's own process
    service.proc.wait(60)                                                # the stale service stopped
    assert any("refused, the code changed" in line for line in service.lines)
    assert not socket_of(root, runtime).exists()


def test_a_socket_file_left_by_a_dead_service_is_removed_and_the_command_runs_in_process(tmp_path):
    runtime = Path(tempfile.mkdtemp(prefix="svc-"))
    try:
        root = make_project(tmp_path / "p", raw=False)
        shutil.copy(SYNTHETIC_DIR / BAD_FILE, root / "data" / "raw" / BAD_FILE)
        stale = socket_of(root, runtime)
        stale.parent.mkdir(mode=0o700)
        dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        dead.bind(str(stale))                  # bound, never listening, closed: what a killed service leaves
        dead.close()
        assert stale.exists()
        result = command(environment(root, runtime), "run")
        assert result.returncode == 2 and BAD_MESSAGE in result.stderr
        assert "warm service" not in result.stderr                      # silently, as without a service
        assert not stale.exists()
    finally:
        shutil.rmtree(runtime, ignore_errors=True)


def test_the_service_stops_after_its_idle_time(tmp_path):
    runtime = Path(tempfile.mkdtemp(prefix="svc-"))
    try:
        root = make_project(tmp_path / "p", raw=False)
        served = Served(environment(root, runtime), idle_minutes="0.02")
        try:
            assert socket_of(root, runtime).exists()
            assert served.proc.wait(120) == 0
            served.wait_for(lambda line: line.startswith("No command for 0.02 minutes: stopped"), 10)
            assert not socket_of(root, runtime).exists()
        finally:
            served.stop()
    finally:
        shutil.rmtree(runtime, ignore_errors=True)


def test_a_long_lived_process_reads_an_edited_config_and_plan_text(tmp_path):
    """The service (and its kernels) live across runs: config and plan text must not be cached by path alone."""
    from analysis.config import load_config
    from analysis.sections import plan_sections

    config = tmp_path / "config"
    shutil.copytree(paths.CONFIG_DIR, config)
    assert load_config(config).settings["reporting_cutoff_days_after_quarter_end"] == 45
    settings = config / "settings.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        "reporting_cutoff_days_after_quarter_end: 45", "reporting_cutoff_days_after_quarter_end: 50"), encoding="utf-8")
    assert load_config(config).settings["reporting_cutoff_days_after_quarter_end"] == 50

    plan = tmp_path / "plan.txt"
    shutil.copy(paths.PLAN_TEXT, plan)
    assert plan_sections(plan)["二.1"].name_zh == "规模效益显著提升"
    plan.write_text(plan.read_text(encoding="utf-8").replace("1.规模效益显著提升。", "1.规模效益明显提升。"), encoding="utf-8")
    assert plan_sections(plan)["二.1"].name_zh == "规模效益明显提升"


def test_serve_and_the_no_service_option_are_in_the_help_and_a_bad_idle_time_is_refused(capsys):
    from analysis.cli import build_parser

    for argv in (["serve", "--help"], ["run", "--help"], ["validate", "--help"], ["replay", "--help"],
                 ["serve", "--idle-minutes", "0"]):
        with pytest.raises(SystemExit):
            build_parser().parse_args(argv)
    out, err = capsys.readouterr()
    assert "--idle-minutes" in out and out.count("--no-service") >= 3
    assert "0 is not a number of minutes" in err


def test_a_kernel_killed_while_the_pool_waits_is_replaced(tmp_path):
    """The service's kernels wait minutes between commands; one killed meanwhile (kill -9, out of memory)
    must not fail the next notebook."""
    import json

    import papermill as pm

    from analysis.kernels import ENGINE, KernelPool

    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "id": "synthetic-0",
                     "source": "print('synthetic notebook ran')"}],
          "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
          "nbformat": 4, "nbformat_minor": 5}
    source = tmp_path / "synthetic_print.ipynb"
    source.write_text(json.dumps(nb), encoding="utf-8")
    with KernelPool(tmp_path) as pool:
        pool.ensure(source.name)
        pool.wait_warm()
        with pool.kernel(source.name) as km:          # take the warm kernel, kill it, put it back idle
            pass
        pool.wait_warm()
        os.kill(km.provisioner.process.pid, signal.SIGKILL)
        km.provisioner.process.wait()
        with pool.kernel(source.name) as km2:
            pm.execute_notebook(str(source), str(tmp_path / "out.ipynb"), progress_bar=False, kernel_name="python3",
                                engine_name=ENGINE, km=km2)
        assert km2 is not km
    assert "synthetic notebook ran" in (tmp_path / "out.ipynb").read_text(encoding="utf-8")

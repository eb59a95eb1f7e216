"""The client side of the warm service (service.py): where a project's service listens, what it must match,
and `python -m analysis run` handed over to it with its output streamed back.

Kept light on purpose: `__main__` calls `run_via_service` before anything heavy is imported, and when no
service listens (no socket, or a socket file left by a dead service, which is removed) the command runs
in this process as before, silently. Only `run`, `briefing`, `validate` and `replay` are handed over (SERVED);
`--no-service` keeps a command in this process.

The wire: one JSON line from the client (MAX_REQUEST bytes at most), then JSON lines from the service
("queued", "start", "out"/"err" text, "exit" with the status; or "refused" before "start").
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import stat
import sys
import tempfile
from pathlib import Path

from . import paths

SERVED = ("run", "briefing", "validate", "replay")
NO_SERVICE = "--no-service"
PROTOCOL = 1
MAX_REQUEST = 64 * 1024
MAX_SOCKET_PATH = 100            # AF_UNIX allows 104-108 bytes, depending on the system
OUT_OF_DATE = ("warm service is out of date (code changed); running without it — restart `python -m analysis serve` "
               "/ 常驻服务已过期（代码已改动），本次不经服务运行；请重新启动 `python -m analysis serve`")
OTHER_ENVIRONMENT = ("warm service runs with another environment (quarto on PATH or TZ differ); running without it "
                     "/ 常驻服务的运行环境不同，本次不经服务运行")
BUSY = ("warm service is running another command; waiting for it (Ctrl-C stops waiting) "
        "/ 常驻服务正在执行其他命令，等待中")
INTERRUPTED = ("interrupted: the warm service finishes this command on its own (a run publishes reports/<as_of>/ and "
               "data/clean/ whole or not at all, a failure only reports/<as_of>.failed/; a replay publishes "
               "reports/replay_<from>_<to>/ when it finishes); its terminal shows when it is done. To stop the "
               "command itself, press Ctrl-C in the service's terminal. / 已中断：常驻服务会完成本次命令"
               "（整体发布或不发布；回放在全部完成时发布）；如需停止，请在服务的终端按 Ctrl-C。")
INTERRUPTED_QUEUED = "interrupted before the warm service started the command: nothing was run / 已中断，命令未执行"
NOT_ANSWERING = ("warm service is not answering (suspended or stuck?); running without it "
                 "/ 常驻服务无响应，本次不经服务运行")
ANSWER_TIMEOUT = 15      # seconds for a listening service to say "start" or "queued" (it does within milliseconds)
LOST = ("the warm service stopped during the command (its terminal says why); what the command had published "
        "stays as it was published / 常驻服务在运行中停止")


def socket_dir() -> Path:
    """This user's folder for service sockets: $XDG_RUNTIME_DIR (else the temp folder)/haimen-monitor-<uid>."""
    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    return Path(base) / f"haimen-monitor-{os.getuid()}"


def socket_path(root: Path | None = None) -> Path:
    """The socket of the service for project root (paths.ROOT, which honours HAIMEN_MONITOR_ROOT)."""
    root = Path(root if root is not None else paths.ROOT).resolve()
    return socket_dir() / f"{hashlib.sha256(str(root).encode()).hexdigest()[:16]}.sock"


def private_dir(folder: Path, create: bool = False) -> bool:
    """True when folder is a real directory of this user that no one else can enter (created 0700 if asked).

    Anyone who can reach the socket can make the service run a command as this user: a folder owned by
    someone else, a symbolic link or a folder open to others is not used.
    """
    if create and not folder.exists():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        st = folder.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077


def is_stale(path: Path) -> bool:
    """A socket file of this user that nothing listens on (its service died without removing it)."""
    try:
        st = path.lstat()
    except OSError:
        return False
    if not stat.S_ISSOCK(st.st_mode) or st.st_uid != os.getuid():
        return False
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    finally:
        probe.close()
    return False


def _files_digest(h, base: Path, label: str) -> None:
    if not base.is_dir():
        return
    for p in sorted(base.rglob("*")):
        rel = p.relative_to(base)
        if p.is_file() and "__pycache__" not in rel.parts and not any(part.startswith(".") for part in rel.parts):
            h.update(f"{label}/{rel.as_posix()}".encode() + b"\0" + p.read_bytes() + b"\0")


def fingerprint() -> str:
    """SHA-256 of the code a run would use: this package (templates and assets included), the notebooks,
    requirements.lock, _quarto.yml and the Python interpreter. Config and data are not in it: every run
    reads them again (config.load_config and sections.plan_sections are cached by content)."""
    h = hashlib.sha256()
    _files_digest(h, Path(__file__).resolve().parent, "src/analysis")
    _files_digest(h, paths.NOTEBOOKS_DIR, "notebooks")
    for name in ("requirements.lock", "_quarto.yml"):
        p = paths.ROOT / name
        h.update(name.encode() + b"\0" + (p.read_bytes() if p.is_file() else b"-") + b"\0")
    h.update(f"python\0{sys.executable}\0{sys.version}".encode())
    return h.hexdigest()


def environment() -> dict[str, str | None]:
    """What a run reads from its environment besides paths: the PDF route (quarto on PATH) and the time zone."""
    return {"quarto": shutil.which("quarto"), "TZ": os.environ.get("TZ")}


def run_via_service(argv: list[str]) -> int | None:
    """Hand a command to this project's warm service; its exit status, or None to run it in this process.

    None, silently: not a served command, --no-service, no service listening (a stale socket file is
    removed). None after one line on stderr: the service is out of date (it stops) or runs in another
    environment.
    """
    if not argv or argv[0] not in SERVED or NO_SERVICE in argv:
        return None
    path = socket_path()
    if len(os.fsencode(str(path))) > MAX_SOCKET_PATH or not path.exists() or not private_dir(path.parent):
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(str(path))
    except ConnectionRefusedError:
        conn.close()
        if is_stale(path):
            try:
                path.unlink()
            except OSError:
                pass
        return None
    except OSError:
        conn.close()
        return None
    with conn:
        request = {"protocol": PROTOCOL, "argv": list(argv), "fingerprint": fingerprint(), "environment": environment()}
        try:
            conn.sendall(json.dumps(request).encode() + b"\n")
        except OSError:
            return None
        return _stream(conn)


def _stream(conn: socket.socket) -> int | None:
    """Print what the service sends until its exit status; None when it refused or left before starting."""
    started = False
    conn.settimeout(ANSWER_TIMEOUT)      # until its first answer: a suspended service must not hang the command
    reader = conn.makefile("rb")
    try:
        for line in reader:
            conn.settimeout(None)        # a queued command may wait for minutes, a run take minutes
            frame = json.loads(line)
            kind = frame.get("kind")
            if kind == "out":
                sys.stdout.write(frame["text"])
                sys.stdout.flush()
            elif kind == "err":
                sys.stdout.flush()
                sys.stderr.write(frame["text"])
                sys.stderr.flush()
            elif kind == "start":
                started = True
            elif kind == "queued":
                print(BUSY, file=sys.stderr, flush=True)
            elif kind == "refused":
                note = {"code": OUT_OF_DATE, "environment": OTHER_ENVIRONMENT}.get(frame.get("reason"))
                if note:
                    print(note, file=sys.stderr, flush=True)
                return None
            elif kind == "exit":
                return int(frame["status"])
    except KeyboardInterrupt:
        print(f"\n{INTERRUPTED if started else INTERRUPTED_QUEUED}", file=sys.stderr, flush=True)
        return 130
    except TimeoutError:
        if not started:
            print(NOT_ANSWERING, file=sys.stderr, flush=True)
            return None              # the service skips a command whose client has gone (Channel.still_there)
    except (OSError, ValueError):
        pass
    if not started:
        return None                  # the service stopped before taking the command (idle, refused another one)
    print(LOST, file=sys.stderr, flush=True)
    return 1

"""What keeps published outputs whole when runs meet: one run at a time per clean folder, no interrupt mid-publish.

Two runs of one project (two terminals, or a run beside a notebook session) both clean leftover staging
folders, number the next version of reports/<as_of>/ and swap data/clean: side by side, one could remove the
other's staging folder or both publish "version 15", and one version would be lost from history/. A run
therefore holds an exclusive lock on the folder of its clean folder (data/ for `run` and `validate`; a replay's
quarters each have their own, so they still run side by side) from its first write to its publication; a
second run waits, and says so.

Publishing swaps data/clean, then reports/<as_of>/: Ctrl-C (or SIGTERM) between the two
would leave new clean data beside the old report. The signal is held until both are in place, then delivered.
"""
from __future__ import annotations

import signal
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from analysis.core import paths

WAITING = ("another run of this project is writing {folder} (another terminal); waiting for it "
           "to finish / 本项目另一运行正在写入 {folder}，等待其完成")


@contextmanager
def run_lock(clean_dir: Path, note=None) -> Iterator[None]:
    """Hold the lock of the folder that holds clean_dir for the block; when another run holds it, say so (note,
    default stderr) and wait.

    The lock is flock on that folder itself (data/ for data/clean): no lock file to create or clean up, and the
    system releases it when the holder dies, so a killed run never leaves the project locked. Where flock does
    not exist (not POSIX), runs are not serialised, as before.
    """
    import os
    try:
        import fcntl
    except ImportError:           # pragma: no cover - Windows
        yield
        return
    folder = Path(clean_dir).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        # a folder that cannot be made or opened: the run's own writability check (storage.check_writable) stops it
        # next, with the message that names the folder and the fix; no lock is needed for a run that cannot write
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            (note or (lambda text: print(text, file=sys.stderr, flush=True)))(WAITING.format(folder=paths.relative(Path(clean_dir))))
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)              # closing the descriptor releases the lock


@contextmanager
def interrupts_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block has finished, then arrive as they would have (main thread only;
    elsewhere Python delivers no signal anyway)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {s: signal.signal(s, lambda signum, frame: caught.append(signum)) for s in held}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        for signum in dict.fromkeys(caught):
            signal.raise_signal(signum)

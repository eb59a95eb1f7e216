"""Runs that meet: one run at a time per clean folder, and no Ctrl-C between the two swaps of a publication."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from analysis.run.guards import interrupts_held, run_lock

HOLD = ("import fcntl, os, sys, time\n"
        "fd = os.open(sys.argv[1], os.O_RDONLY); fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "print('held', flush=True); time.sleep(float(sys.argv[2]))\n")


@pytest.mark.slow
def test_a_second_run_waits_for_the_first_and_says_so(tmp_path):
    clean = tmp_path / "data" / "clean"
    clean.parent.mkdir(parents=True)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(clean.parent), "1.5"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"          # the other run holds data/ for 1.5 s from now
    held_at = time.monotonic()
    notes = []
    with run_lock(clean, note=notes.append):
        assert time.monotonic() - held_at >= 1.0, "entered while the other run still held the lock"
    assert len(notes) == 1 and "another run of this project" in notes[0] and "clean" in notes[0]
    holder.wait()


def test_a_free_lock_is_taken_silently_and_a_dead_holder_does_not_block(tmp_path):
    clean = tmp_path / "clean"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path), "60"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    holder.kill()                                               # killed mid-run: the system drops its lock
    holder.wait()
    notes = []
    with run_lock(clean, note=notes.append):
        pass
    assert notes == []
    assert sorted(p.name for p in tmp_path.iterdir()) == []     # no lock file left behind


def test_a_folder_that_cannot_be_made_is_left_to_the_writability_check(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the data folder should be", encoding="utf-8")
    with run_lock(blocked / "data" / "clean"):          # no OSError here: the run's own check names the problem
        pass


def test_ctrl_c_during_a_publication_arrives_after_it():
    # Python's own Ctrl-C handler, whatever an earlier test or library left installed (put back at the end)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        done = []
        with pytest.raises(KeyboardInterrupt):
            with interrupts_held():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)                                # the signal has arrived by now, and was held
                done.append("both swaps")
        assert done == ["both swaps"]
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler     # the handler is put back
    finally:
        signal.signal(signal.SIGINT, previous)

"""Writing outputs so that a failed run never leaves half a folder behind.

Everything is written into a temporary sibling folder first and swapped into
place only when complete; the previous folder survives any failure before
the swap. Staging folders are named `.<name>-new-<pid>-<random>` (and the
folder being replaced `.<name>-old-<pid>-<random>` for the instant of the
swap) so that the next start can tell leftovers of a dead process from a run
still in progress and remove them (`clean_leftovers`). Published folders get
ordinary permissions (0755/0644): the team reads them, mkdtemp's 0700 would hide
them. A folder that cannot be written (read-only, immutable) becomes an
InputError naming it, not a traceback. CSV copies are UTF-8 with BOM so that
Excel shows the Chinese text.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import stat
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from analysis.core.errors import InputError, Problem

if TYPE_CHECKING:             # pandas is imported where a table is read or written: a run's first
    import pandas as pd       # step (starting its kernels) does not wait for it (0.35 s)

STAGING = re.compile(r"^\.(?P<name>.+?)-(?P<kind>new|old)-(?P<pid>\d+)-[0-9a-f]+$")
LEGACY_STAGING = re.compile(r"^\.(?P<name>.+?)-(?P<kind>new|old)-[A-Za-z0-9_]+$")   # mkdtemp names of older versions
TMP_FILE = re.compile(r"^\..+\.tmp-(?P<pid>\d+)$")
HISTORY = "history"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def not_writable(path: Path, exc: OSError) -> InputError:
    """The message for a folder we may not write to (read-only mount, chmod, chattr +i)."""
    from analysis.core import paths

    shown = paths.relative(path)
    why = exc.strerror or str(exc)
    return InputError([Problem(shown, f"cannot write here: {why} / 无法写入",
                               f"make {shown} writable (chmod u+w, or chattr -i / chattr -a if it is immutable or append-only) "
                               "or choose another folder; nothing was changed / 未作任何改动")],
                      note="a folder cannot be written; nothing was changed (the previous outputs are as they were) / 目录无法写入，未作任何改动:")


def _staging_name(target: Path, kind: str) -> Path:
    return target.parent / f".{target.name}-{kind}-{os.getpid()}-{secrets.token_hex(4)}"


def clean_leftovers(folder: Path) -> list[str]:
    """Remove staging folders and temporary files that a killed run left in folder; return what was done.

    A `.<name>-old-*` folder whose <name> is missing was caught mid-swap: it is the last good
    version and is put back, not deleted. Folders of processes still running are left alone.
    """
    folder = Path(folder)
    done: list[str] = []
    if not folder.is_dir():
        return done
    for entry in sorted(folder.iterdir()):
        m = STAGING.match(entry.name)
        pid = int(m.group("pid")) if m else None
        if m is None:
            m = LEGACY_STAGING.match(entry.name)
        if m is None or not entry.is_dir():
            t = TMP_FILE.match(entry.name)
            if t and entry.is_file() and not _pid_alive(int(t.group("pid"))):
                entry.unlink(missing_ok=True)
                done.append(f"removed {entry.name}")
            continue
        if pid is not None and _pid_alive(pid):
            continue
        original = folder / m.group("name")
        try:
            if m.group("kind") == "old" and not original.exists():
                os.replace(entry, original)
                done.append(f"restored {original.name} from {entry.name}")
            else:
                shutil.rmtree(entry)
                done.append(f"removed {entry.name}")
        except OSError as exc:      # the leftover itself is named: it is what must be made deletable
            raise not_writable(entry, exc) from None
    return done


def make_readable(folder: Path) -> None:
    """Folders 0755, files 0644 (0755 when executable): what the team expects of a shared report."""
    folder = Path(folder)
    for p in [folder, *folder.rglob("*")]:
        if p.is_symlink():
            continue
        if p.is_dir():
            p.chmod(0o755)
        else:
            p.chmod(0o755 if p.stat().st_mode & stat.S_IXUSR else 0o644)


def new_staging_dir(target: Path) -> Path:
    """An empty folder next to target, named so that clean_leftovers recognises it."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = _staging_name(target, "new")
        tmp.mkdir()
    except OSError as exc:
        raise not_writable(target.parent, exc) from None
    return tmp


def swap_in(tmp: Path, target: Path) -> None:
    """Replace target by the finished folder tmp (two renames; clean_leftovers repairs a crash between them)."""
    tmp, target = Path(tmp), Path(target)
    try:
        _refuse_undeletable(target)
    except InputError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    make_readable(tmp)
    old = _staging_name(target, "old")
    try:
        if target.exists():
            os.replace(target, old)
        try:
            os.replace(tmp, target)
        except OSError:
            if old.exists():
                os.replace(old, target)
            raise
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise not_writable(target, exc) from None
    shutil.rmtree(old, ignore_errors=True)


_FS_IOC_GETFLAGS = 0x80086601          # Linux: read a file's attribute flags (lsattr)
_IMMUTABLE_OR_APPEND = 0x00000010 | 0x00000020


def _pinned(path: Path) -> bool:
    """Whether path is immutable or append-only (chattr +i / +a): it can then be neither renamed nor deleted.

    Linux only (an ioctl); elsewhere, or where the file system keeps no such flags, False.
    """
    try:
        import fcntl
        import struct

        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except (ImportError, OSError):
        return False
    try:
        flags = struct.unpack("l", fcntl.ioctl(fd, _FS_IOC_GETFLAGS, struct.pack("l", 0)))[0]
        return bool(flags & _IMMUTABLE_OR_APPEND)
    except OSError:
        return False
    finally:
        os.close(fd)


def undeletable(folder: Path) -> Path | None:
    """The first entry below folder that a run could not delete (immutable, or in a folder it may not write), or None.

    A published folder is replaced by renaming it aside and deleting it; an immutable file inside
    used to let the swap succeed and leave data/.clean-old-* behind for ever. Checked before the swap.
    """
    folder = Path(folder)
    if not folder.is_dir() or folder.is_symlink():
        return None
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        if _pinned(here) or ((dirs or files) and not os.access(here, os.W_OK | os.X_OK)):
            return here
        for name in files + [d for d in dirs if (here / d).is_symlink()]:
            if _pinned(here / name):
                return here / name
    return None


def _refuse_undeletable(target: Path) -> None:
    blocked = undeletable(target)
    if blocked is not None:
        raise not_writable(blocked, PermissionError(errno.EPERM, "it cannot be deleted or replaced (immutable or read-only)"))


def check_writable(target: Path) -> None:
    """Fail early, before minutes of work, when target or its parent cannot be changed (read-only, immutable)."""
    target = Path(target)
    for folder in ([target] if target.is_dir() else []) + [target.parent]:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = _staging_name(folder / "probe", "new")
            probe.mkdir()
            probe.rmdir()
        except OSError as exc:
            raise not_writable(folder, exc) from None
    _refuse_undeletable(target)


@contextmanager
def staged_dir(target: Path) -> Iterator[Path]:
    """Yield an empty temporary folder next to target; on success it replaces target in one rename."""
    tmp = new_staging_dir(target)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    swap_in(tmp, target)


# ------------------------------------------------------------ versions --
def _link_or_copy(src: str, dst: str) -> None:
    """Hard link (instant, no extra space) when the filesystem allows, else copy."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def version_stamp(when: datetime) -> str:
    """A folder name for a version: its publication time, without characters Windows refuses."""
    return when.strftime("%Y-%m-%dT%H-%M-%S")


def current_version(target: Path) -> dict | None:
    """{'number', 'published', 'stamp'} of the version published in target, or None when there is none.

    Folders written before versions were recorded count as version (number of history entries + 1),
    published at their manifest's 'finished' time (else the folder's modification time).
    """
    target = Path(target)
    if not target.is_dir():
        return None
    if not (target / "manifest.json").exists() and {p.name for p in target.iterdir()} <= {"forms"}:
        return None          # only the return forms sent before the quarter's first run (forms.py): nothing published yet
    manifest = {}
    try:
        manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    version = manifest.get("version") or {}
    published = version.get("published") or manifest.get("finished")
    when = datetime.fromisoformat(published) if published else datetime.fromtimestamp(target.stat().st_mtime)
    history = target / HISTORY
    number = version.get("number") or (len([p for p in history.iterdir() if p.is_dir()]) + 1 if history.is_dir() else 1)
    return {"number": int(number), "published": when.isoformat(timespec="seconds"), "stamp": version_stamp(when)}


def keep_history(tmp: Path, target: Path) -> str | None:
    """Put target's published version (and its history) under tmp/history/ before tmp replaces target.

    Files are hard-linked, so target stays whole until the swap and a crash loses nothing: the
    staging folder is only a second name for the same files. Returns the history folder of the
    replaced version (relative to the quarter folder), or None when nothing was published before.
    """
    tmp, target = Path(tmp), Path(target)
    previous = current_version(target)
    if previous is None:
        return None
    history = tmp / HISTORY
    if (target / HISTORY).is_dir():
        shutil.copytree(target / HISTORY, history, copy_function=_link_or_copy)
    history.mkdir(exist_ok=True)
    stamp = previous["stamp"]
    dest = history / stamp
    n = 2
    while dest.exists():
        dest = history / f"{stamp}-{n}"
        n += 1
    shutil.copytree(target, dest, copy_function=_link_or_copy, ignore=lambda d, names: [HISTORY] if Path(d) == target else [])
    return f"{HISTORY}/{dest.name}"


def publish_version(tmp: Path, target: Path) -> None:
    """Swap tmp in as target's new version, keeping the replaced one under target/history/<timestamp>/."""
    try:
        keep_history(tmp, target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise not_writable(Path(tmp).parent, exc) from None
    swap_in(tmp, target)


# -------------------------------------------------------------- hashes --
def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tree_hashes(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """SHA-256 of every file below folder (POSIX paths relative to it), top-level names in skip left out."""
    folder = Path(folder)
    return {p.relative_to(folder).as_posix(): sha256(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink() and p.relative_to(folder).parts[0] not in skip}   # a link is never read


def _json_default(obj: object) -> str:
    if isinstance(obj, (date, datetime)):
        return obj.isoformat()
    raise TypeError(f"cannot write {type(obj).__name__} to JSON")


def write_json(path: Path, data: dict) -> None:
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default) + "\n", encoding="utf-8")


def publish_tables(out_dir: Path, tables: dict[str, pd.DataFrame], manifest: dict) -> None:
    """Write each table as <name>.parquet and <name>.csv plus manifest.json, atomically."""
    with staged_dir(out_dir) as tmp:
        for name, frame in tables.items():
            frame.to_parquet(tmp / f"{name}.parquet", index=False)
            write_csv(frame, tmp / f"{name}.csv")
        write_json(tmp / "manifest.json", {**manifest, "written_at": datetime.now().isoformat(timespec="seconds"),
                                           "tables": sorted(tables)})


def read_table(out_dir: Path, name: str) -> pd.DataFrame:
    import pandas as pd

    return pd.read_parquet(Path(out_dir) / f"{name}.parquet")


def write_table_atomic(folder: Path, name: str, frame: pd.DataFrame) -> None:
    """Add or replace one table (parquet + csv) in an existing folder, each file swapped in whole."""
    folder = Path(folder)
    for suffix, write in ((".parquet", lambda p: frame.to_parquet(p, index=False)),
                          (".csv", lambda p: write_csv(frame, p))):
        tmp = folder / f".{name}{suffix}.tmp-{os.getpid()}"   # clean_leftovers removes it if the run dies
        try:
            folder.mkdir(parents=True, exist_ok=True)
            write(tmp)
            os.replace(tmp, folder / f"{name}{suffix}")
        except OSError as exc:      # a read-only or immutable folder (a notebook run by hand): a message, not a traceback
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass
            raise not_writable(folder, exc) from None


# ------------------------------------------------------ formula injection --
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _plain_number(text: str) -> bool:
    """-2.5, +3, -12%: a signed number, which a spreadsheet reads as a number and never runs."""
    digits = text[1:].removesuffix("%").replace(".", "", 1)
    return text[:1] in "+-" and digits.isascii() and digits.isdigit()


def formula_safe(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, prefixed with ' so it stays text.

    Raw files are typed or pasted by people and copied from web pages; a
    source title or note starting with =, +, -, @, tab or CR would become a
    live formula when a planner opens our CSV or XLSX output (OWASP CSV
    injection). A plain number written as text (-2.5, +3) is left alone:
    it is not a formula and changing it would change the figure.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _plain_number(value):
        return "'" + value
    return value


def formula_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of frame with every text cell passed through formula_safe (for CSV and XLSX writers)."""
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(formula_safe)
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Every CSV the product publishes: UTF-8 with BOM (Excel shows the Chinese) and formula-safe text cells."""
    formula_safe_frame(frame).to_csv(Path(path), index=False, encoding="utf-8-sig")

"""Reuse of clean data and fitted forecasts between quarters that see the same inputs (data/cache/).

A replay runs many quarters; between two consecutive quarters often nothing new was published, and
the clean step and the forecasts would redo identical work. What is reused, and why it is identical:

- the clean result (every observation with its role, the best values): a function of the raw rows,
  which of them are visible at as_of, the config and the code. The quarter label itself enters only
  through visibility (a row's `first_visible` is fixed by its dates), so quarters with the same
  visible rows get the same tables; the as_of of the result is set to the quarter asked for.
- the fitted forecasts per indicator (members, simulated paths, YTD nowcast): a function of the clean
  result, the config, the code and the last year projected (max of the target years and as_of's year),
  which is part of their key. The judgement of each target (elapsed share of the plan, verdict,
  required growth) depends on as_of and is always recomputed.

The key is the SHA-256 of: the SHA-256 of every raw file, the ids of the rows visible at as_of, the
bytes of every config/*.yaml, the include_unverified choice, and the code (every .py file of this
package), so changing any visible input, the config or the code makes a new key; old entries are
never read again. Entries are pickles (exact dtypes, so reused tables are byte-identical to computed
ones), written atomically by the suite itself; the folder is git-ignored and safe to delete at any
time. Do not copy cache files from elsewhere: a pickle runs code when loaded.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
from functools import lru_cache
from pathlib import Path

import pandas as pd

from analysis.core import paths

CACHE_DIR = paths.CACHE_DIR


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


def config_hashes(config_dir: Path = paths.CONFIG_DIR) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(config_dir).glob("*.yaml"))}


def visible_key(marked: pd.DataFrame, input_hashes: dict[str, str], include_unverified: bool,
                config_dir: Path = paths.CONFIG_DIR) -> str:
    """The key of what a quarter sees: raw files, rows visible at as_of (marked by mark_visibility), config, code."""
    visible = sorted(map(str, marked.loc[marked["visible"], "obs_id"]))
    payload = {"raw": dict(sorted(input_hashes.items())), "visible": visible, "config": config_hashes(config_dir),
               "include_unverified": bool(include_unverified), "code": code_version()}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def forecast_key(result, last_years: dict[str, int], config_dir: Path = paths.CONFIG_DIR) -> str:
    """The key of a quarter's fitted forecasts: its clean tables (whatever made them), config, code, last years."""
    h = hashlib.sha256()
    for frame in (result.observations, result.best):
        h.update(",".join(map(str, frame.columns)).encode() + b"\0")
        h.update(pd.util.hash_pandas_object(frame, index=True).values.tobytes())
    h.update(json.dumps({"config": config_hashes(config_dir), "code": code_version(),
                         "last_years": dict(sorted(last_years.items()))}, sort_keys=True).encode())
    return h.hexdigest()


def load(cache_dir: Path | None, kind: str, key: str):
    """The entry kind/key, or None when there is none (or no cache)."""
    if cache_dir is None:
        return None
    path = Path(cache_dir) / kind / f"{key}.pkl"
    try:
        with open(path, "rb") as f:
            return pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError):
        return None


def store(cache_dir: Path | None, kind: str, key: str, value) -> None:
    """Write kind/key atomically; a cache that cannot be written is skipped (it only saves time)."""
    if cache_dir is None:
        return
    folder = Path(cache_dir) / kind
    tmp = folder / f".{key}.pkl.tmp-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, folder / f"{key}.pkl")
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass

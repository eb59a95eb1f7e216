"""What a quarter's report was made from and of (manifest.json), and the version it publishes as."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from analysis.core import paths, storage
from analysis.core.quarters import Quarter


def next_version(target: Path, now: datetime) -> dict:
    """The version record of what is about to be published in target: number, time, what it replaces."""
    previous = storage.current_version(target)
    return {"number": (previous["number"] + 1) if previous else 1, "published": now.isoformat(timespec="seconds"),
            "replaces": None if previous is None else {
                "number": previous["number"], "published": previous["published"],
                "kept_in": f"{storage.HISTORY}/{previous['stamp']}/"}}


def manifest(quarter: Quarter, hashes: dict, started: datetime, engine: str, langs: list[str], steps: list,
             version: dict | None = None, out_dir: Path | None = None, raw_dir: Path = paths.RAW_DIR,
             config_dir: Path = paths.CONFIG_DIR, full: bool = True) -> dict:
    """What the quarter's report was made from and of: every raw file, config file and output with its SHA-256."""
    from analysis.core import provenance

    record = {"as_of": quarter.label, "version": version, "started": started.isoformat(timespec="seconds"),
            # a replay's lean quarter says what it left out on purpose (run_quarter's full=False)
            "left_out": [] if full else ["validation/validation.pdf", "validation/data_docs/",
                                         "the coverage chart of notebooks/02_validate.ipynb",
                                         *(f"briefing.{lang}.docx" for lang in langs)],
            "finished": datetime.now().isoformat(timespec="seconds"), "git_commit": provenance.git_commit(),
            "rendering_engine": engine, "languages": langs, "input_files": hashes,
            "raw_files": {paths.relative(Path(raw_dir) / k): v for k, v in storage.tree_hashes(raw_dir).items()},
            "config_files": {paths.relative(p): storage.sha256(p) for p in sorted(Path(config_dir).glob("*.yaml"))},
            "outputs": storage.tree_hashes(out_dir, skip=(storage.HISTORY, "manifest.json")) if out_dir else {},
            "packages": provenance.package_versions(), "steps": [{"step": s, "seconds": round(t, 2)} for s, t in steps]}
    if paths.RETURNS_DIR.is_dir():        # department returns (issue 13): what the annex and its verdicts rest on
        record["return_files"] = {paths.relative(paths.RETURNS_DIR / k): v for k, v in storage.tree_hashes(paths.RETURNS_DIR).items()}
    return record

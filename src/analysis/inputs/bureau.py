"""The statistics bureau's returned figures as observations, so that they are judged like published ones.

The bureau (区统计局) returns, on its own form (forms.write_statistics_form; returns.read_statistics), the
comparable growth of each year for the growth-rate targets and the firms newly entered in its database
(规上入库) for the entry targets, each with its status 快报 (preliminary) or 年报 (final) and the document it comes
from. These are official statistics not yet published, and exactly what the growth targets must be judged on
(printed comparable growth, issue 25), so they join the observations rather than the department returns'
gap-filling (departments.apply_returns): the evidence ladder, the rounding to printed precision, the 左右
tolerance and the selection between sources then treat them like any other figure.

The choices, written down (README "Returns"):
- reliability `official`, status from the form (快报 -> preliminary, 年报 -> final): a bureau figure outranks a
  预计 in a work report and yields to nothing but a later figure of equal or higher status (clean.select_best);
- published on the last day of the quarter whose folder holds the return (data/returns/<quarter>/): it is seen
  from that quarter on, never by a replay of an earlier one;
- they join at the clean step (clean.run_clean), so every notebook sees the same figures; the raw files are
  not touched, the Great Expectations suite checks the publications (check_tables leaves the returned rows to
  the checks made when they are read, returns_form.stat_row), and figures.csv cites them with their file and
  row like any other figure.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.core import paths
from analysis.core.config import Config
from analysis.core.quarters import Quarter
from analysis.inputs.ingest import OBSERVATION_COLUMNS


def statistics_observations(stats: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """The bureau's filled rows (returns.read_statistics) in the shape ingest gives raw rows (OBSERVATION_COLUMNS)."""
    rows = []
    for _, s in stats.iterrows():
        value = s.get("value")
        if value is None or (isinstance(value, float) and np.isnan(value)) or not str(s.get("status") or ""):
            continue
        ind = cfg.indicators[s["indicator"]]
        year, growth = int(s["period"]), s["measure"] == "growth_pct"
        received = Quarter.from_label(str(s["quarter"])).end
        evidence = str(s.get("evidence") or "").strip()
        rows.append({
            "obs_id": s["obs_id"], "file": s["file"], "row": int(s["row"]), "indicator": s["indicator"],
            "indicator_printed": ind.name_zh, "region": cfg.settings["home_region"], "year": year,
            "period_kind": "annual", "month_to": 12, "period": f"{year}年", "period_end": date(year, 12, 31),
            "value": np.nan if growth else float(value), "unit": ind.unit,
            "value_printed": "" if growth else f"{float(value):g}", "unit_printed": "" if growth else ind.unit,
            "growth_pct": float(value) if growth else np.nan, "qualifier": "exact", "status": s["status"],
            "reliability": "official", "published": received.isoformat(), "published_date": received,
            "published_date_assumed": False,
            "source_title": f"{s['unit']}报送（{s['quarter']}统计数据表）" + (f"：{evidence}" if evidence else ""),
            "source_url": "", "publisher": str(s["unit"]), "notes": str(s.get("comment") or ""),
            "confirmed": "", "corrects": "", "correction": ""})
    return pd.DataFrame(rows, columns=OBSERVATION_COLUMNS)


def is_return_row(obs_id: object) -> bool:
    """A row read from a returned form (its id quarter/file:sheet:row), not from data/raw (file:row)."""
    return isinstance(obs_id, str) and "/" in obs_id


def bureau_observations(returns_dir: Path, cfg: Config, as_of: Quarter) -> tuple[pd.DataFrame, dict[str, str]]:
    """The bureau's figures returned up to as_of as observations, and the hashes of every returned file (the clean
    data is current only while they are unchanged, like the raw files). InputError on any problem of any return."""
    from analysis.inputs.returns import read_statistics

    return statistics_observations(read_statistics(returns_dir, cfg, as_of), cfg), return_hashes(returns_dir)


def return_hashes(returns_dir: Path) -> dict[str, str]:
    """{file: sha256} of every file in every quarter folder of returns_dir (none: {})."""
    from analysis.inputs.ingest import file_sha256

    folder = Path(returns_dir)
    if not folder.is_dir():
        return {}
    return {paths.relative(p): file_sha256(p) for q in sorted(folder.iterdir()) if q.is_dir() and _quarter_name(q.name)
            for p in sorted(q.iterdir()) if p.is_file() and not p.name.startswith(("~$", "_", "."))}


def _quarter_name(name: str) -> bool:
    try:
        Quarter.from_label(name)
    except ValueError:
        return False
    return True

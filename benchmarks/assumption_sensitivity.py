"""How much the verdicts move when one assumption of docs/assumptions.md changes (issue 15).

    .venv/bin/python benchmarks/assumption_sensitivity.py [--quarters 2023Q2,2024Q2,2024Q4,2025Q2] [--out FILE]

For each quarter: clean the shipped data/raw and assess every target with config/ as committed (the
baseline); then, one variant at a time, the same with one setting changed (in a temporary copy of config/,
so the checkout is never touched) and count what changed against the baseline: verdicts (verdict_key),
confidence grades, and the largest move of P(met) in points. Settings read by the clean step (publication
lags) are run through the clean step again; the others reuse the baseline's clean data.
Writes benchmarks/results/assumption_sensitivity.md (cited by docs/assumptions.md).
"""
from __future__ import annotations

import argparse
import copy
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from analysis.core import paths  # noqa: E402
from analysis.model.assess import assess  # noqa: E402
from analysis.inputs.clean import run_clean  # noqa: E402
from analysis.core.config import load_config  # noqa: E402


def _set(tree: dict, dotted: str, value) -> None:
    keys = dotted.split(".")
    for k in keys[:-1]:
        tree = tree[k]
    if keys[-1] not in tree:
        raise KeyError(dotted)
    tree[keys[-1]] = value


def _scale_tolerances(targets: dict, factor: float) -> None:
    for t in targets["targets"]:
        if t.get("comparison") == "about":
            t["tolerance"] = t["tolerance"] * factor


WIDTH_ONE = {k: [1.0] * 6 for k in (2, 3, 6, 10)}

# (label, file, change, reruns the clean step); change is a dotted settings key and value, or a function
VARIANTS = [
    ("forecast.trend_damping 0.8 -> 1.0 (no damping)", "settings", ("forecast.trend_damping", 1.0), False),
    ("forecast.trend_damping 0.8 -> 0.6", "settings", ("forecast.trend_damping", 0.6), False),
    ("forecast.prior.own_weight 0.8 -> 1.0", "settings", ("forecast.prior.own_weight", 1.0), False),
    ("forecast.prior.own_weight 0.8 -> 0.4", "settings", ("forecast.prior.own_weight", 0.4), False),
    ("forecast.prior.decay 0.8 -> 1 (no decay)", "settings", ("forecast.prior.decay", 1.0), False),
    ("forecast.prior.persistence 0.3 -> 0 (none)", "settings", ("forecast.prior.persistence", 0.0), False),
    ("forecast.prior.log_sd 0.0648 -> 0.13 (x2)", "settings", ("forecast.prior.log_sd", 0.1296), False),
    ("forecast.prior.drift_decay 1 -> 0.8 (old growth counts less in the drift)", "settings",
     ("forecast.prior.drift_decay", 0.8), False),
    ("forecast.prior.drift_decay 1 -> 0.5 (the drift from the latest years)", "settings",
     ("forecast.prior.drift_decay", 0.5), False),
    ("forecast.prior.drift_mean 0.0404 -> 0", "settings", ("forecast.prior.drift_mean", 0.0), False),
    ("forecast.width_calibration.scale all 1 (off)", "settings", ("forecast.width_calibration.scale", WIDTH_ONE), False),
    ("forecast.measurement_sd.status.estimate 0.03 -> 0.06", "settings",
     ("forecast.measurement_sd.status.estimate", 0.06), False),
    ("forecast.ytd.rest_of_year_factor 1 -> 2", "settings", ("forecast.ytd.rest_of_year_factor", 2.0), False),
    ("forecast.use_derived true -> false", "settings", ("forecast.use_derived", False), False),
    ("assessment.evidence.revision_margin_pct.estimate 3 -> 0", "settings",
     ("assessment.evidence.revision_margin_pct.estimate", 0.0), False),
    ("assessment.evidence.revision_margin_pct.estimate 3 -> 6", "settings",
     ("assessment.evidence.revision_margin_pct.estimate", 6.0), False),
    ("assessment.p_on_track 0.66 -> 0.75, p_off_track 0.33 -> 0.25", "settings",
     lambda s: (_set(s, "assessment.p_on_track", 0.75), _set(s, "assessment.p_off_track", 0.25)), False),
    ("assessment.confidence.high.min_points 8 -> 12", "settings", ("assessment.confidence.high.min_points", 12), False),
    ("assessment.evidence.never_settles [unverified] -> [] (the rung off)", "settings",
     ("assessment.evidence.never_settles", []), False),
    ("selection.include_unverified false -> true", "settings", ("selection.include_unverified", True), True),
    ("targets.yaml tolerance (左右) x 0", "targets", lambda t: _scale_tolerances(t, 0.0), False),
    ("targets.yaml tolerance (左右) x 2", "targets", lambda t: _scale_tolerances(t, 2.0), False),
    ("publication_lag_days.annual 60 -> 120", "settings", ("publication_lag_days.annual", 120), True),
    # the old anchor points (issue 25): a 2005 预计 from a mirrored work report fixes much of the retail drift
    ("forecast.first_year 2000 -> 2012 (anchors before 2012 out)", "settings", ("forecast.first_year", 2012), False),
    ("forecast.first_year 2000 -> 2017 (anchors before 2017 out)", "settings", ("forecast.first_year", 2017), False),
    ("forecast.census_released -> {} (a ratio of levels across an economic census read as growth)", "settings",
     ("forecast.census_released", {}), False),
    ("forecast.peers.sd 0.04 -> 0.08 (a county strays twice as far from its neighbours)", "settings",
     ("forecast.peers.sd", 0.08), False),
    ("forecast.peers.enabled true -> false (neighbours' rates beside P only)", "settings",
     ("forecast.peers.enabled", False), False),
    ("forecast.measurement_sd.reliability.mirror 0.02 -> 0.10", "settings",
     ("forecast.measurement_sd.reliability.mirror", 0.10), False),
]


def _config_copy(folder: Path, file: str, change) -> Path:
    cfg_dir = folder / "config"
    shutil.copytree(paths.CONFIG_DIR, cfg_dir)
    path = cfg_dir / f"{file}.yaml"
    tree = yaml.safe_load(path.read_text(encoding="utf-8"))
    if callable(change):
        change(tree)
    else:
        _set(tree, *change)
    path.write_text(yaml.safe_dump(tree, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return cfg_dir


def compare(base: pd.DataFrame, other: pd.DataFrame) -> dict:
    b, o = base.set_index("target"), other.set_index("target")
    changed = [f"{t}: {b.at[t, 'verdict_key']} -> {o.at[t, 'verdict_key']}" for t in b.index
               if str(b.at[t, "verdict_key"]) != str(o.at[t, "verdict_key"])]
    conf = int(sum(str(b.at[t, "confidence"]) != str(o.at[t, "confidence"]) for t in b.index))
    dp = (o["p_met"] - b["p_met"]).abs()
    with_p = o[o["p_met"].notna()]
    return {"verdicts": changed, "confidence": conf,
            "max_dp": float(np.nanmax(dp.to_numpy())) * 100 if dp.notna().any() else float("nan"),
            "p": ", ".join(f"{t} {p:.0%}" for t, p in zip(with_p.index, with_p["p_met"]))}


def run(quarter: str, work: Path) -> list[tuple[str, dict, float]]:
    base_clean = run_clean(quarter, out_dir=work / "clean-base")
    base = assess(base_clean, load_config()).table
    with_p = base[base["p_met"].notna()]
    rows = [("baseline", {"verdicts": [], "confidence": 0, "max_dp": 0.0, "n_p": len(with_p),
                          "p": ", ".join(f"{t} {p:.0%} ({c})" for t, p, c in zip(with_p["target"], with_p["p_met"],
                                                                                 with_p["confidence"])),
                          "keys": base["verdict_key"].value_counts().to_dict()}, 0.0)]
    for i, (label, file, change, reclean) in enumerate(VARIANTS):
        t0 = time.perf_counter()
        folder = work / f"v{i}"
        cfg_dir = _config_copy(folder, file, change)
        cfg = load_config(cfg_dir)
        result = run_clean(quarter, out_dir=folder / "clean", config_dir=cfg_dir) if reclean else base_clean
        table = assess(result, cfg).table
        rows.append((label, compare(base, table), time.perf_counter() - t0))
        print(f"{quarter} {label}: {rows[-1][1]['verdicts'] or 'no verdict change'}; "
              f"max |dP| {rows[-1][1]['max_dp']:.0f} pts", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quarters", default="2023Q2,2024Q2,2024Q4,2025Q2")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "assumption_sensitivity.md"))
    args = parser.parse_args()
    lines = ["# Sensitivity of the verdicts to the assumptions (docs/assumptions.md)", "",
             f"Command: `.venv/bin/python benchmarks/assumption_sensitivity.py --quarters {args.quarters}` "
             f"on the shipped data/raw and config/ ({time.strftime('%Y-%m-%d')}).", "",
             "One setting changed at a time against the committed config/. Verdict changes name the target and "
             "its verdict_key before -> after; P(met) moves are the largest over all targets with a P(met), in "
             "percentage points; confidence = number of targets whose confidence grade changed.", ""]
    for quarter in args.quarters.split(","):
        with tempfile.TemporaryDirectory(prefix="sensitivity-") as tmp:
            rows = run(quarter, Path(tmp))
        base = rows[0][1]
        lines += [f"## {quarter}", "", f"Baseline verdicts: {base['keys']}; {base['n_p']} targets with a P(met): {base['p'] or 'none'}.", "",
                  "| change | verdicts changed | max abs P(met) move (pts) | confidence grades changed | P(met) after |",
                  "|---|---|---|---|---|"]
        for label, res, _ in rows[1:]:
            verdicts = "; ".join(res["verdicts"]) if res["verdicts"] else "none"
            dp = "—" if np.isnan(res["max_dp"]) else f"{res['max_dp']:.0f}"
            lines.append(f"| {label} | {verdicts} | {dp} | {res['confidence']} | {res.get('p', '')} |")
        lines.append("")
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print(args.out)


if __name__ == "__main__":
    main()

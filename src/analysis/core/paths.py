"""Every path the suite uses, in one place (cookiecutter-data-science style).

The project root is found from this file's location, so the package works
from a plain clone; HAIMEN_MONITOR_ROOT overrides it (tests, odd installs).
"""
from __future__ import annotations

import os
from pathlib import Path

# the package (src/analysis): its templates and assets, and what "the code" means for cache keys
PACKAGE_DIR = Path(__file__).resolve().parents[1]
TEMPLATES_DIR = PACKAGE_DIR / "templates"
ASSETS_DIR = PACKAGE_DIR / "assets"
ROOT = Path(os.environ.get("HAIMEN_MONITOR_ROOT", Path(__file__).resolve().parents[3]))
CONFIG_DIR = ROOT / "config"
DATA_DIR = ROOT / "data"
RAW_DIR = DATA_DIR / "raw"
CLEAN_DIR = DATA_DIR / "clean"
# charts drawn once per set of inputs (report/chart_cache.py, data/cache/figures/); git-ignored, safe to delete
CACHE_DIR = DATA_DIR / "cache"
RETURNS_DIR = DATA_DIR / "returns"      # department returns (台账), one folder per quarter (returns.py)
PLAN_TEXT = RAW_DIR / "plan" / "haimen_modern_service_plan_2022_2024.txt"
NOTEBOOKS_DIR = ROOT / "notebooks"
REPORTS_DIR = ROOT / "reports"
# Notebooks run by hand (JupyterLab) and `validate` write here, never into data/clean or a published
# reports/<quarter>/ folder: only a complete `run` publishes. Both folders are git-ignored.
SCRATCH_CLEAN_DIR = DATA_DIR / "scratch" / "clean"
SCRATCH_REPORTS_DIR = REPORTS_DIR / "scratch"
# inside a report folder: the previous quarter rebuilt from the data when it was never published (model/assess.py
# writes it, report/changes.py compares with it; here so that comparing does not import the model's stack)
BASELINE_DIR = "previous_quarter"


def relative(path: Path) -> str:
    """Path as a user should see it in messages: relative to the project when possible."""
    try:
        return str(Path(path).resolve().relative_to(ROOT.resolve()))
    except ValueError:
        return str(path)
    except (OSError, RuntimeError):     # a symbolic link that loops (a.csv -> a.csv): named as it is listed
        try:
            return str(Path(os.path.abspath(path)).relative_to(ROOT.resolve()))
        except ValueError:
            return str(path)

"""docs/assumptions.md (issue 15) cannot go stale silently: every setting and file it cites exists, and it is linked."""
from __future__ import annotations

import re

import pytest
import yaml

from analysis.core import paths

LOG = paths.ROOT / "docs" / "assumptions.md"
# a citation: `config/settings.yaml: forecast.prior.own_weight` (also targets.yaml)
CITED = re.compile(r"config/(settings|targets)\.yaml: ([A-Za-z_][\w.]*)")
FILES = re.compile(r"`((?:src|benchmarks|scripts|tests)/[\w/.]+\.(?:py|md|lua|typ))`")


def _has(tree, keys: list[str]) -> bool:
    """keys is a path into tree; a list matches when any of its items has the rest of the path."""
    if not keys:
        return True
    if isinstance(tree, list):
        return any(_has(item, keys) for item in tree)
    return isinstance(tree, dict) and keys[0] in tree and _has(tree[keys[0]], keys[1:])


def citations() -> list[tuple[str, str]]:
    return CITED.findall(LOG.read_text(encoding="utf-8"))


def test_the_log_cites_many_settings():
    keys = {k for f, k in citations() if f == "settings"}
    assert len(keys) >= 30
    for needed in ("publication_lag_days.annual", "forecast.trend_damping", "forecast.prior.own_weight",
                   "forecast.width_calibration.scale", "forecast.ytd.rest_of_year_factor",
                   "assessment.evidence.revision_margin_pct.estimate", "assessment.confidence.high",
                   "assessment.likelihood"):
        assert needed in keys, needed


@pytest.mark.parametrize("file", ["settings", "targets"])
def test_every_cited_key_exists(file):
    tree = yaml.safe_load((paths.CONFIG_DIR / f"{file}.yaml").read_text(encoding="utf-8"))
    cited = sorted({k for f, k in citations() if f == file})
    assert cited
    missing = [k for k in cited if not _has(tree, k.split("."))]
    assert not missing, f"docs/assumptions.md cites config/{file}.yaml keys that do not exist: {missing}"


def test_the_key_check_catches_a_missing_key():
    tree = yaml.safe_load((paths.CONFIG_DIR / "settings.yaml").read_text(encoding="utf-8"))
    assert _has(tree, ["forecast", "prior", "own_weight"])
    assert not _has(tree, ["forecast", "prior", "own_wieght"])
    assert not _has(tree, ["forecast", "trend_damping", "x"])


def test_every_cited_file_exists():
    files = set(FILES.findall(LOG.read_text(encoding="utf-8")))
    assert files
    assert [f for f in sorted(files) if not (paths.ROOT / f).exists()] == []


def test_the_log_is_linked_from_the_validation_report_and_readme():
    notebook = (paths.NOTEBOOKS_DIR / "02_validate.ipynb").read_text(encoding="utf-8")
    assert "docs/assumptions.md" in notebook
    assert "docs/assumptions.md" in (paths.ROOT / "README.md").read_text(encoding="utf-8")

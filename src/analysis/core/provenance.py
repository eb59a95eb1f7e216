"""Where a run came from: package versions and the git commit, for reports and manifests."""
from __future__ import annotations

import importlib.metadata
import platform
import subprocess

from analysis.core import paths

REPORTED_PACKAGES = ("pandas", "numpy", "great_expectations", "statsmodels", "scipy", "matplotlib", "seaborn",
                     "papermill", "nbconvert", "pypandoc-binary", "typst", "pyarrow", "openpyxl", "pyyaml")


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in REPORTED_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit() -> str:
    """The commit of the working tree, with '+changes' when it has uncommitted edits; 'unknown' outside git."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=paths.ROOT, capture_output=True, text=True,
                                check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=paths.ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return commit + ("+changes" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"

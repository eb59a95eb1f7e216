"""environment.yml (the conda route, issue 15) lists Quarto and pins nothing that disagrees with requirements.lock."""
from __future__ import annotations

import re

import yaml

from analysis.core import paths

# conda-forge names that differ from the PyPI name of the same package
CONDA_TO_PYPI = {"matplotlib-base": "matplotlib"}
NOT_IN_LOCK = {"python", "pip", "quarto"}      # the interpreter, the installer, and the one conda-only tool


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins() -> dict[str, str]:
    pins = {}
    for line in (paths.ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[_norm(name)] = version.strip()
    return pins


def conda_pins() -> dict[str, str | None]:
    env = yaml.safe_load((paths.ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert env["channels"] == ["conda-forge"]
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            name, _, version = re.split(r"(==|=)", dep, maxsplit=1) if "=" in dep else (dep, "", None)
            pins[_norm(name.strip())] = version.strip() if version else None
    return pins


def test_environment_lists_quarto_from_conda_forge():
    pins = conda_pins()
    assert "quarto" in pins and pins["quarto"].startswith("1.9")


def test_environment_pins_agree_with_requirements_lock():
    lock, conda = lock_pins(), conda_pins()
    checked = 0
    for name, version in conda.items():
        if name in NOT_IN_LOCK:
            continue
        pypi = _norm(CONDA_TO_PYPI.get(name, name))
        assert pypi in lock, f"environment.yml lists {name}, which requirements.lock does not pin"
        assert version == lock[pypi], f"environment.yml pins {name}={version}, requirements.lock {pypi}=={lock[pypi]}"
        checked += 1
    assert checked >= 10


def test_environment_installs_the_rest_from_the_lock_file():
    env = yaml.safe_load((paths.ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-r requirements.lock" in pip and "-e ." in pip

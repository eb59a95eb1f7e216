"""Fail early, with a message, when the interpreter is too old for the project."""
import sys

if sys.version_info < (3, 11):
    sys.exit(
        f"Python 3.11 or newer is needed; found {sys.version.split()[0]}. "
        "Install python3.11 (Debian/Ubuntu: apt-get install python3.11 python3.11-venv) "
        "and run: make PYTHON=python3.11 briefing"
    )

"""Where the CJK font lives: every chart and PDF needs one (Noto CJK), and a missing one is an input problem.

Kept below the stages (core) because the house style of charts (report.style), the synthetic-data watermark
and the PDF routes all look the font up; a failure says how to install it on each system.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

from analysis.core.errors import InputError, Problem

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Noto Sans CJK JP")
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".local/share/fonts",
             Path.home() / ".fonts", Path("/Library/Fonts"), Path.home() / "Library/Fonts")

class RenderError(InputError):
    """The PDF could not be made; says what is missing and how to get it."""


def find_cjk_font() -> Path:
    """A Noto CJK font file on this machine, or RenderError saying how to install one."""
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "family", "file"], capture_output=True, text=True, timeout=20).stdout
        for line in out.splitlines():
            if any(f in line for f in CJK_FAMILIES):
                return Path(line.split(":")[0])
    except (OSError, subprocess.SubprocessError):
        pass
    for folder in FONT_DIRS:
        if folder.exists():
            for f in folder.rglob("NotoS*CJK*"):
                return f
    raise RenderError([Problem("CJK font", "no Noto CJK font is installed, so Chinese text cannot be typeset",
                               "Debian/Ubuntu: sudo apt-get install fonts-noto-cjk (or run `make setup` as root); "
                               "Fedora: sudo dnf install google-noto-sans-cjk-fonts; macOS: brew install --cask font-noto-sans-cjk")])

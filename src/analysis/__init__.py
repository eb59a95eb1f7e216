"""Haimen modern service industry plan monitor (2022-2024).

The package holds all logic of the pipeline, one module per stage:
ingest (read raw releases) -> clean (choose best values) -> validate ->
forecast -> assess -> render. Notebooks import it; it never imports them.
"""
import os

# Great Expectations must never phone home: the suite runs offline.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

__version__ = "0.1.0"

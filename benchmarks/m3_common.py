"""What the M3 benchmarks share: one BLAS thread per worker, the import path, the horizon, the thresholds of
P(y >= c x last), the members scored, and the competition's error measures.

Imported first by m3_yearly.py, sparse.py and width_calibration.py (BLAS reads its thread count when numpy is
first imported, so this module sets it before importing numpy).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")     # the workers already use every core

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

H = 6                                                    # M3 yearly forecast horizon
THRESHOLDS = (0.8, 0.9, 1.0, 1.1, 1.25, 1.5)             # c in P(y[T+h] >= c x last)
MEMBER_NAMES = ("log_linear", "random_walk_drift", "random_walk_undamped", "damped_trend", "theta")


def smape(y: np.ndarray, f: np.ndarray) -> np.ndarray:
    """200·|y−f|/(|y|+|f|) per horizon (the M3 definition; average it for the competition's score)."""
    return 200 * np.abs(y - f) / (np.abs(y) + np.abs(f))


def mase(y: np.ndarray, f: np.ndarray, train: np.ndarray) -> float:
    """Mean absolute error scaled by the in-sample one-step naive MAE (non-seasonal)."""
    scale = np.mean(np.abs(np.diff(train)))
    return float(np.mean(np.abs(y - f)) / scale) if scale > 0 else np.nan

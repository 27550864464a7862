"""Tidy DataFrames of library results: the one place numbers become rows for charts and downloads."""
from __future__ import annotations

import pandas as pd
import torch

from playground import smoothing


def targets(num_classes: int, eps: float, convention: str = "uniform", true_class: int = 0) -> pd.DataFrame:
    """One-hot and smoothed targets of one sample, long format: class, target, probability."""
    labels = torch.tensor([true_class])
    onehot = smoothing.smooth_targets(labels, num_classes, 0.0, dtype=torch.float64)[0]
    smooth = smoothing.smooth_targets(labels, num_classes, eps, convention, dtype=torch.float64)[0]
    rows = []
    for name, vec in (("one-hot", onehot), (f"smoothed (ε={eps:g})", smooth)):
        rows += [{"class": c, "target": name, "probability": float(p), "true class": c == true_class}
                 for c, p in enumerate(vec)]
    return pd.DataFrame(rows)

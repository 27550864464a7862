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


def target_vs_prediction(names: list[str], targets: torch.Tensor, probs: torch.Tensor) -> pd.DataFrame:
    """Per model (rows of targets and probs, [models, K]): its target and predicted probability
    for each class, long format: model, kind, class, probability."""
    rows = []
    for i, name in enumerate(names):
        for kind, vec in (("target", targets[i]), ("prediction", probs[i])):
            rows += [{"model": name, "kind": kind, "class": c, "probability": float(p)}
                     for c, p in enumerate(vec)]
    return pd.DataFrame(rows)


HISTORY_METRICS = (("loss (NLL)", "train", "train_nll"), ("loss (NLL)", "test", "test_nll"),
                   ("accuracy", "train", "train_acc"), ("accuracy", "test", "test_acc"),
                   ("ECE", "train", "train_ece"), ("ECE", "test", "test_ece"))


def history(records: list[dict], names: list[str], max_points: int = 200) -> pd.DataFrame:
    """Engine history in long form (step, model, metric, split, value), keeping at most about
    max_points evaluations, evenly spaced, and always the latest."""
    stride = max(1, -(-len(records) // max_points))
    keep = records[::stride]
    if keep and keep[-1] is not records[-1]:
        keep = [*keep, records[-1]]
    rows = [{"step": rec["step"], "model": names[m["model"]], "metric": metric, "split": split,
             "value": m[key]}
            for rec in keep for m in rec["models"] for metric, split, key in HISTORY_METRICS]
    return pd.DataFrame(rows, columns=["step", "model", "metric", "split", "value"])

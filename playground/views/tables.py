"""Tidy DataFrames for the charts of the smoothing closed forms, the live run's history and the
point inspector."""
from __future__ import annotations

import pandas as pd
import torch

from playground.core import objectives, smoothing
from playground.engine.recorder import Evaluation


def targets(num_classes: int, eps: float, convention: str = "uniform", true_class: int = 0) -> pd.DataFrame:
    """One-hot and smoothed targets of one sample, long format: class, target, probability."""
    labels = torch.tensor([true_class])
    onehot = smoothing.smooth_targets(labels, num_classes, 0.0, dtype=torch.float64)[0]
    smooth = smoothing.smooth_targets(labels, num_classes, eps, convention, dtype=torch.float64)[0]
    rows = []
    for name, vec in (("one-hot", onehot), (f"smoothed ({smoothing.eps_label(eps)})", smooth)):
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


def history(records: list[Evaluation], names: list[str], max_points: int = 200) -> pd.DataFrame:
    """Engine history in long form (step, model, metric, split, value), keeping at most about
    max_points evaluations, evenly spaced, and always the latest."""
    stride = max(1, -(-len(records) // max_points))
    keep = records[::stride]
    if keep and keep[-1] is not records[-1]:
        keep = [*keep, records[-1]]
    rows = [{"step": rec.step, "model": names[m.model], "metric": metric, "split": split,
             "value": getattr(m, key)}
            for rec in keep for m in rec.models for metric, split, key in HISTORY_METRICS]
    return pd.DataFrame(rows, columns=["step", "model", "metric", "split", "value"])


def loss_curves(num_classes: int, eps_values: list[float], convention: str = "uniform",
                points: int = 400) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Smoothed loss against the true-class probability p, one curve per eps (p, loss, eps), and
    each curve's minimum (eps, q_true, min_loss): at p = q_t the loss equals H(q). Every row also
    carries eps_value, the number behind the label, so charts can colour by it."""
    p = torch.linspace(1e-3, 1 - 1e-6, points, dtype=torch.float64)
    optima = torch.tensor([smoothing.target_values(num_classes, e, convention)[0] for e in eps_values],
                          dtype=torch.float64)
    p = torch.cat([p, optima.clamp(1e-3, 1 - 1e-6)]).sort().values  # each minimum lies on its curve
    curves, minima = [], []
    for e in eps_values:
        loss = smoothing.loss_at_confidence(p, num_classes, e, convention)
        curves.append(pd.DataFrame({"p": p.numpy(), "loss": loss.numpy(), "eps": smoothing.eps_label(e),
                                    "eps_value": float(e)}))
        qt = smoothing.target_values(num_classes, e, convention)[0]
        minima.append({"eps": smoothing.eps_label(e), "eps_value": float(e), "q_true": qt,
                       "min_loss": smoothing.min_loss(num_classes, e, convention)})
    return pd.concat(curves, ignore_index=True), pd.DataFrame(minima)


def gradient_curves(num_classes: int, eps_values: list[float], convention: str = "uniform",
                    points: int = 400, max_gap: float = 14.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """||dL/dz|| and the signed true-logit gradient p - q_t against p and against the logit gap
    (true logit minus each equal other), one curve per eps; and per eps its marks: where the
    gradient is zero (p = q_t, gap = log(q_t/q_o)) and its limit as p -> 1. Both carry eps_value,
    the number behind the eps label."""
    gap = torch.linspace(-4.0, max_gap, points, dtype=torch.float64)
    p = smoothing.prob_from_gap(gap, num_classes)
    curves, marks = [], []
    for e in eps_values:
        curves.append(pd.DataFrame({
            "gap": gap.numpy(), "p": p.numpy(), "eps": smoothing.eps_label(e), "eps_value": float(e),
            "grad_norm": smoothing.logit_grad_norm(p, num_classes, e, convention).numpy(),
            "true_grad": smoothing.true_logit_grad(p, num_classes, e, convention).numpy()}))
        marks.append({"eps": smoothing.eps_label(e), "eps_value": float(e),
                      "q_true": smoothing.target_values(num_classes, e, convention)[0],
                      "optimal_gap": smoothing.optimal_logit_gap(num_classes, e, convention),
                      "limit": smoothing.saturated_grad_norm(num_classes, e, convention)})
    return pd.concat(curves, ignore_index=True), pd.DataFrame(marks)


def objective_gradient_curves(num_classes: int, pairs: list[tuple[str, float]], labels: list[str],
                              convention: str = "uniform", points: int = 400) -> pd.DataFrame:
    """||dL/dz|| against the true-class probability p (the others sharing 1 - p equally) for each
    objective (kind, value), from its closed form; one curve per label."""
    p = torch.linspace(0.0, 1.0, points, dtype=torch.float64)[1:-1]  # log p is infinite at 0 and 1
    return pd.concat([pd.DataFrame({
        "recipe": label, "p": p.numpy(),
        "grad_norm": objectives.get(kind).grad_norm_at(p, num_classes, value, convention).numpy()})
        for (kind, value), label in zip(pairs, labels)], ignore_index=True)

"""Calibration: reliability diagrams, confidence histograms and temperature scaling
(Guo et al. 2017), for comparing label smoothing with a temperature fitted after training."""
from __future__ import annotations

import math

import pandas as pd
import torch

from playground.core import metrics
from playground.core.smoothing import eps_label
from playground.core.validation import check_number


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor, start: float = 1.5) -> float:
    """The T > 0 minimising the NLL of softmax(logits / T), by LBFGS from T = start (as in Guo et
    al.'s reference code). It is optimised as log T, so it stays positive. Argmax never changes."""
    start = check_number("start", start, 1e-3, 1e3)
    z = logits.detach().double()
    y = labels.long()
    log_t = torch.tensor([math.log(start)], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200, tolerance_grad=1e-10, tolerance_change=1e-12,
                            line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(z / log_t.exp(), y)
        loss.backward()
        return loss

    opt.step(closure)
    t = float(log_t.detach().exp())
    if not math.isfinite(t):
        return start
    return t


def reliability_frame(probs: torch.Tensor, labels: torch.Tensor, name: str) -> pd.DataFrame:
    """15-bin reliability data for one model: bin edges, count, accuracy, confidence, gap."""
    rel = metrics.reliability(probs, labels)
    edges = rel.edges.tolist()
    return pd.DataFrame({
        "model": name, "lo": edges[:-1], "hi": edges[1:], "count": rel.count.numpy(),
        "accuracy": rel.accuracy.numpy(), "confidence": rel.confidence.numpy(),
        "gap": (rel.accuracy - rel.confidence).numpy(),
    })


def calibration_table(entries: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> pd.DataFrame:
    """ECE, MCE, NLL, accuracy and mean confidence per named (logits, labels)."""
    rows = []
    for name, (logits, labels) in entries.items():
        probs = torch.softmax(logits, -1)
        rel = metrics.reliability(probs, labels)
        rows.append({"model": name, "ECE": float(rel.ece), "MCE": float(rel.mce),
                     "NLL": float(metrics.nll(logits, labels)),
                     "accuracy": float(metrics.accuracy(logits, labels)),
                     "mean confidence": float(metrics.mean_confidence(probs))})
    return pd.DataFrame(rows)


def compare_with_temperature(val_logits: torch.Tensor, val_labels: torch.Tensor, test_logits: torch.Tensor,
                             test_labels: torch.Tensor, eps: list[float], seeds: list[int] | None = None
                             ) -> dict:
    """Müller et al. 2019, Table 3, on this data: per seed, fit T on the eps = 0 model's validation
    logits and score it on the test half beside every label-smoothed model.

    Returns "models" (one row per model and seed: method, eps, seed, ECE, MCE, NLL, accuracy, mean
    confidence; eps = TEMPERATURE marks the temperature-scaled model), "table" (their means over
    seeds) and "temperatures" (T per seed)."""
    seeds = list(range(len(eps))) if seeds is None else list(seeds)
    rows, temps = [], []
    for i, (e, seed) in enumerate(zip(eps, seeds)):
        rows.append({"method": f"label smoothing {eps_label(e)}", "eps": e, "seed": seed,
                     **_scores(test_logits[i], test_labels)})
        if e == 0.0:
            t = fit_temperature(val_logits[i], val_labels)
            temps.append(t)
            rows.append({"method": SCALED, "eps": TEMPERATURE, "seed": seed,
                         **_scores(test_logits[i] / t, test_labels)})
    frame = pd.DataFrame(rows)
    table = frame.drop(columns="seed").groupby(["method", "eps"], sort=False).mean().reset_index()
    return {"models": frame, "table": table, "temperatures": temps}


TEMPERATURE = -1.0  # the eps column's marker for the temperature-scaled eps = 0 model
SCALED = "temperature-scaled ε=0"


def _scores(logits: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    return calibration_table({"m": (logits, labels)}).iloc[0].drop("model").to_dict()


def diagram_frames(entries: dict[str, torch.Tensor], labels: torch.Tensor
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reliability bins and per-point confidences for named test logits, ready to draw."""
    bins, confidences = [], []
    for name, logits in entries.items():
        probs = torch.softmax(logits, -1)
        bins.append(reliability_frame(probs, labels, name))
        confidences.append(pd.DataFrame({"model": name, "confidence": probs.max(-1).values.numpy()}))
    return pd.concat(bins, ignore_index=True), pd.concat(confidences, ignore_index=True)

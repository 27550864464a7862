"""Metrics over stacked models: tensors are [..., N, K] logits or probabilities and [N] labels.
Per-sample functions return [..., N]; the others reduce over N, keeping the model dimensions."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from playground.core import objectives
from playground.core.validation import check_int, check_number

N_BINS = 15


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return (logits.argmax(-1) == labels).float().mean(-1)


def at_label(values: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """values[..., n, labels[n]]: each sample's entry for its true class."""
    return values.gather(-1, labels.expand(*values.shape[:-1]).unsqueeze(-1)).squeeze(-1)


def per_sample_nll(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return -at_label(torch.log_softmax(logits, dim=-1), labels)


def nll(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean negative log-likelihood of the true labels (cross-entropy with one-hot targets)."""
    return per_sample_nll(logits, labels).mean(-1)


def confidence(probs: torch.Tensor) -> torch.Tensor:
    """Top softmax probability of each sample."""
    return probs.max(-1).values


def mean_confidence(probs: torch.Tensor) -> torch.Tensor:
    return confidence(probs).mean(-1)


@dataclass(frozen=True)
class Reliability:
    """Per-bin counts, accuracy and mean confidence ([..., M]), with ECE and MCE ([...])."""
    edges: torch.Tensor
    count: torch.Tensor
    accuracy: torch.Tensor
    confidence: torch.Tensor
    ece: torch.Tensor
    mce: torch.Tensor


def reliability(probs: torch.Tensor, labels: torch.Tensor, n_bins: int = N_BINS) -> Reliability:
    """Guo et al. 2017: M equal bins ((m-1)/M, m/M]; a sample is in a bin when lo < conf <= hi."""
    n_bins = check_int("n_bins", n_bins, 1, 1000)
    conf, pred = probs.max(-1)
    correct = (pred == labels).to(probs.dtype)
    edges = torch.linspace(0, 1, n_bins + 1, dtype=probs.dtype, device=probs.device)
    # bucketize(right=False) gives i with edges[i-1] < conf <= edges[i] over the inner edges
    idx = torch.bucketize(conf.contiguous(), edges[1:-1].contiguous(), right=False)
    shape = (*conf.shape[:-1], n_bins)
    count = torch.zeros(shape, dtype=probs.dtype, device=probs.device).scatter_add_(
        -1, idx, torch.ones_like(conf))
    acc_sum = torch.zeros_like(count).scatter_add_(-1, idx, correct)
    conf_sum = torch.zeros_like(count).scatter_add_(-1, idx, conf)
    safe = count.clamp(min=1)
    acc, mean_conf = acc_sum / safe, conf_sum / safe
    gap = (acc - mean_conf).abs()
    n = conf.shape[-1]
    ece = (count / n * gap).sum(-1)
    mce = torch.where(count > 0, gap, torch.zeros_like(gap)).max(-1).values
    return Reliability(edges, count, acc, mean_conf, ece, mce)


def ece(probs: torch.Tensor, labels: torch.Tensor, n_bins: int = N_BINS) -> torch.Tensor:
    return reliability(probs, labels, n_bins).ece


def logit_gap(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Per sample: the true-class logit minus the largest other logit."""
    others = logits.scatter(-1, labels.expand(*logits.shape[:-1]).unsqueeze(-1), -math.inf)
    true = at_label(logits, labels)
    return true - others.max(-1).values


def logit_grad_norm(logits: torch.Tensor, labels: torch.Tensor, value, convention: str = "uniform",
                    kind="smoothing") -> torch.Tensor:
    """Per sample ||dL/dz||, the norm of the objective's gradient w.r.t. the logits, from its
    closed form (objectives): softmax(z) - q for label smoothing with eps = value, the default.

    value and kind are one each for [N, K] logits, or one each (or one per model) for [E, N, K].
    """
    return objectives.logit_grad(kind, logits, labels, value, convention).norm(dim=-1)


def entropy(probs: torch.Tensor) -> torch.Tensor:
    return -(probs * probs.clamp_min(1e-30).log()).sum(-1)


def boundary_blur(grid_probs: torch.Tensor, threshold: float = 0.75) -> dict[str, torch.Tensor]:
    """How blurred the class boundaries are over a grid covering the viewing box.

    uncertain_share: the share of grid cells whose top probability is below `threshold`.
    mean_entropy: predictive entropy over the grid, divided by log K so it lies in [0, 1].
    """
    threshold = check_number("threshold", threshold, 0.0, 1.0)
    k = grid_probs.shape[-1]
    return {
        "uncertain_share": (confidence(grid_probs) < threshold).float().mean(-1),
        "mean_entropy": entropy(grid_probs).mean(-1) / math.log(k),
    }


# each metric column's name in a sentence
METRIC_NAMES = {
    "train_acc": "training accuracy", "test_acc": "test accuracy", "test_nll": "test NLL",
    "test_ece": "test ECE", "test_mce": "test MCE", "mean_confidence": "mean confidence",
    "overconfidence": "over-confidence (confidence minus accuracy)",
    "mean_logit_gap": "mean training logit gap", "uncertain_share": "uncertain area",
    "mean_entropy": "mean entropy", "aurc": "AURC", "auroc": "AUROC of right against wrong",
    "ts_nll": "test NLL after temperature scaling", "ts_ece": "test ECE after temperature scaling",
    "tightness": "cluster tightness (spread within a class over the distance between classes)",
    "similar_share": "the share of the wrong-class probability on the similar class",
    "information": "information about the example (MKH's estimate, nats)",
    "pnorm_aurc": "AURC ranked by max z/‖z‖ₚ (uncentred, p tuned)",
    "pnorm_centred_aurc": "AURC ranked by MaxLogit-pNorm (centred, p tuned)",
}


def similar_share(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """[E]: over the test points of classes 0 and 1 (the close pair of similar_classes), the mean share
    of the wrong-class probability that goes to the other class of the pair, p(partner) / (1 − p(true)).
    It is 1 when the model puts all its doubt on the similar class and 1/(K − 1) when it spreads it
    evenly. Computed as a softmax over the wrong classes only, which stays exact when p(true) rounds to 1."""
    pair = (labels == 0) | (labels == 1)
    z = logits[:, pair].double()
    true = labels[pair]
    partner = 1 - true
    rows = torch.arange(len(true))
    wrong_only = z.clone()
    wrong_only[:, rows, true] = float("-inf")
    return torch.softmax(wrong_only, -1)[:, rows, partner].mean(-1)

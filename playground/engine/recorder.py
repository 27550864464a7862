"""Evaluations of an engine's models, as typed records, and the history of a run.

`measure(...)` computes one `Evaluation` from an engine's logits: train/test NLL, accuracy and
ECE and the training objective of every model. `History` keeps the evaluations of a run, thinned to half past
HISTORY_CAP so a long live run stays small.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from playground.core import metrics
from playground.core.objectives import SMOOTHING

HISTORY_CAP = 4000  # evaluations kept; past it the history is thinned to half


@dataclass(frozen=True)
class ModelEvaluation:
    model: int
    objective: str  # the kind of objective
    value: float  # its value (eps, beta or gamma)
    seed: int
    diverged: bool
    train_loss: float  # the training objective, distillation included
    train_nll: float
    train_acc: float
    test_nll: float
    test_acc: float
    train_ece: float
    test_ece: float

    @property
    def eps(self) -> float | None:
        """The smoothing eps, or None for another objective."""
        return self.value if self.objective == SMOOTHING else None


METRICS = ("train_loss", "train_nll", "train_acc", "test_nll", "test_acc", "train_ece", "test_ece")


@dataclass(frozen=True)
class Evaluation:
    step: int
    models: tuple[ModelEvaluation, ...]


@torch.no_grad()
def measure(step: int, train_logits: torch.Tensor, test_logits: torch.Tensor, train_loss: torch.Tensor,
            y_train: torch.Tensor, y_test: torch.Tensor, seeds: Sequence[int],
            objectives: Sequence[tuple[str, float]], diverged: Sequence[int]) -> Evaluation:
    """Every model now, from its logits [E, N, K] and training objective [E]: the engine passes its
    tensors in, so the recorder does not depend on the engine."""
    train_probs = torch.softmax(train_logits, -1)
    columns = {
        "train_loss": train_loss,
        "train_nll": metrics.nll(train_logits, y_train),
        "train_acc": metrics.accuracy(train_logits, y_train),
        "test_nll": metrics.nll(test_logits, y_test),
        "test_acc": metrics.accuracy(test_logits, y_test),
        "train_ece": metrics.ece(train_probs, y_train),
        "test_ece": metrics.ece(torch.softmax(test_logits, -1), y_test),
    }
    values = {k: v.cpu().tolist() for k, v in columns.items()}
    dead = set(diverged)
    return Evaluation(step, tuple(
        ModelEvaluation(i, kind, value, seeds[i], i in dead, **{k: values[k][i] for k in METRICS})
        for i, (kind, value) in enumerate(objectives)))


class History:
    """The evaluations of a run, oldest first."""

    def __init__(self):
        self.records: list[Evaluation] = []

    def append(self, evaluation: Evaluation) -> None:
        self.records.append(evaluation)
        if len(self.records) > HISTORY_CAP:  # keep every other record, evenly spread, and the latest
            self.records = [*self.records[:-1:2], self.records[-1]]

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i):
        return self.records[i]

    def __iter__(self):
        return iter(self.records)

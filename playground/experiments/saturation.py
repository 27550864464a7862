"""What happens near saturation: a one-hot and a smoothed model trained together, with
per-sample gradient norms, true-class probabilities and logit gaps recorded along the way."""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import torch

from playground.core import metrics, objectives
from playground.core.datasets import Dataset
from playground.core.smoothing import check_eps, optimal_logit_gap
from playground.core.validation import check_int, fail
from playground.engine.chunked import OnProgress, Progress, train_in_chunks
from playground.engine.engine import Engine, TrainConfig

MAX_STEPS = 20_000


def record(data: Dataset, config: TrainConfig, eps: float, snapshots: Sequence[int],
           gap_every: int = 25, on_progress: OnProgress | None = None
           ) -> dict[str, pd.DataFrame]:
    """Train models with eps 0 and `eps` on the training set.

    Returns "samples" (step, model, eps, index, p_true, grad_norm, logit_gap) at each snapshot
    step, "gaps" (step, model, eps, q10, q50, q90, mean, optimal): logit-gap quantiles every
    `gap_every` steps, with the finite optimum log(q_t/q_o) for eps > 0, and "diverged": the
    indices of models that diverged. on_progress gets (steps done, steps in all, seconds left)."""
    eps = check_eps(eps)
    steps = sorted({check_int("snapshot step", s, 0, MAX_STEPS) for s in snapshots})
    if not steps:
        fail("snapshots", snapshots, "must hold at least one step")
    gap_every = check_int("gap_every", gap_every, 1, MAX_STEPS)
    engine = Engine(data, [0.0, eps], config)
    x = engine.x_train
    y = engine.y_train.cpu()
    k = data.num_classes
    convention = engine.config.convention
    optimum = [optimal_logit_gap(k, e, convention) for e in engine.model_eps]
    samples, gaps = [], []
    ticks = sorted(set(steps) | set(range(0, steps[-1] + 1, gap_every)))
    for step in train_in_chunks(engine, steps[-1], Progress(steps[-1], on_progress), stops=ticks):
        logits = engine.predict(x.cpu().numpy()).logits
        gap = metrics.logit_gap(logits, y)
        for m, e in enumerate(engine.model_eps):
            q = torch.quantile(gap[m], torch.tensor([0.1, 0.5, 0.9]))
            gaps.append({"step": step, "model": m, "eps": e, "q10": float(q[0]), "q50": float(q[1]),
                         "q90": float(q[2]), "mean": float(gap[m].mean()), "optimal": optimum[m]})
        if step in steps:
            p = metrics.at_label(torch.softmax(logits, -1), y)
            g = metrics.logit_grad_norm(logits, y, engine.model_eps, convention)
            for m, e in enumerate(engine.model_eps):
                samples.append(pd.DataFrame({"step": step, "model": m, "eps": e, "index": range(len(y)),
                                             "p_true": p[m].numpy(), "grad_norm": g[m].numpy(),
                                             "logit_gap": gap[m].numpy()}))
    return {"samples": pd.concat(samples, ignore_index=True), "gaps": pd.DataFrame(gaps),
            "diverged": engine.diverged}


def summary(result: dict, names: list[str]) -> str:
    """What the measurement shows, in words, from its own numbers."""
    gaps, samples = result["gaps"], result["samples"]
    steps = sorted(gaps["step"].unique())
    median = gaps.pivot(index="step", columns="model", values="q50")
    last, mid = steps[-1], steps[len(steps) // 2]
    grad = samples[samples["step"] == samples["step"].max()].groupby("model")["grad_norm"].median()
    optimum = gaps.loc[gaps["model"] == 1, "optimal"].iloc[0]

    def trend(model: int) -> str:
        change = median.loc[last, model] - median.loc[mid, model]
        growing = change > 0.1 * abs(median.loc[mid, model]) + 0.1  # beyond 10% of where it was
        return (f"and still growing (+{change:.2f} over the last half of training)" if growing
                else f"and settled (changed {change:+.2f} over the last half of training)")

    return (
        f"After {last} steps the median logit gap of the {names[0]} model is {median.loc[last, 0]:.2f} "
        f"{trend(0)}, with a median gradient norm of {grad.loc[0]:.2e}. The {names[1]} model's median "
        f"gap is {median.loc[last, 1]:.2f} {trend(1)}; its optimum is log(q_t/q_o) = {optimum:.2f}. "
        f"Its median gradient norm is {grad.loc[1]:.2e}."
    )


def near_saturation(pairs: list[tuple[str, float]], labels: list[str], num_classes: int,
                    convention: str = "uniform", p: float = 0.99) -> str:
    """A sentence from the closed forms: each objective's ||dL/dz|| at a confident p, and which
    still push confidence up there (negative true-logit gradient) and which pull it back."""
    norms, pushing, pulling = [], [], []
    for (kind, value), label in zip(pairs, labels):
        objective = objectives.get(kind)
        norms.append(f"{label} {float(objective.grad_norm_at(p, num_classes, value, convention)):.4f}")
        signed = float(objective.true_logit_grad(p, num_classes, value, convention))
        (pushing if signed < 0 else pulling).append(label)
    said = [f"still pushing confidence up: {', '.join(pushing)}"] if pushing else []
    if pulling:
        said.append(f"pulling it back down: {', '.join(pulling)}")
    return (f"Near saturation, at p = {p:g} with K = {num_classes}, ‖∂L/∂z‖ is: {'; '.join(norms)}. "
            f"There, {'; '.join(said)}.")

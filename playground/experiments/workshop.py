"""The workshop's stations: one question each that a learner commits to before the answer is
revealed, a small run that measures the answer (a few seconds on a laptop's CPU), and sentences
computed from that run. Each station links to the page (and preset) that explores it further."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import altair as alt
import pandas as pd
import torch

from playground.core import smoothing
from playground.core.datasets import DatasetSpec
from playground.core.validation import check_int
from playground.engine.engine import TrainConfig
from playground.experiments import claims, presets, sweep
from playground.views import charts, tables


@dataclass(frozen=True)
class Reveal:
    chart: alt.TopLevelMixin
    sentences: list[str]
    seconds: float = 0.0


@dataclass(frozen=True)
class Station:
    title: str
    question: str
    choices: tuple[str, ...]
    correct: int  # index into choices
    page: str  # the page that explores it further, as its URL path
    query: str  # that page's link parameters
    measure: Callable[[], Reveal] = field(repr=False)

    def reveal(self) -> Reveal:
        start = time.perf_counter()
        result = self.measure()
        return Reveal(result.chart, result.sentences, time.perf_counter() - start)


def _fmt(values: pd.Series) -> str:
    return " → ".join(f"{v:.3f}" for v in values)


def _small_sweep(eps: tuple[float, ...], steps: int = 400, seeds: int = 3) -> pd.DataFrame:
    """Moons trained briefly at a few ε: enough to see what happens to the predictions."""
    config = sweep.SweepConfig(DatasetSpec(name="moons", n=400, noise=0.2),
                               TrainConfig(), eps, seeds, steps)
    models = sweep.run(config).models
    return models[~models["diverged"]]


def _targets_and_predictions() -> Reveal:
    eps = 0.2
    models = _small_sweep((0.0, eps))
    means = models.groupby("eps")[["mean_confidence", "test_acc"]].mean()
    q_true = smoothing.target_values(2, eps)[0]
    frame = pd.DataFrame([
        {"what": "target for the true class", "model": "one-hot", "value": 1.0},
        {"what": "target for the true class", "model": f"ε = {eps:g}", "value": q_true},
        *({"what": "mean predicted confidence (test)", "model": name,
           "value": means.loc[e, "mean_confidence"]}
          for name, e in (("one-hot", 0.0), (f"ε = {eps:g}", eps)))])
    chart = alt.Chart(frame).mark_bar().encode(
        x=alt.X("model:N", title=None, sort=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title="probability", scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("model:N", sort=None, legend=None), column=alt.Column("what:N", title=None),
        tooltip=["what:N", "model:N", alt.Tooltip("value:Q", format=".3f")]).properties(width=180, height=220)
    confidence = claims.paired(models, "mean_confidence", "eps", eps, 0.0, lower_is_better=True,
                               name="mean test confidence")
    return Reveal(chart, [
        f"The targets change: with ε = {eps:g} and K = 2 the true class's target is {q_true:.2f}, not 1.",
        f"The predictions follow through training. {confidence.sentence()} Nothing is done to the "
        "predictions directly."])


def _pytorch_convention() -> Reveal:
    k, eps = 4, 0.1
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(64, k, generator=gen, dtype=torch.float64) * 2
    labels = torch.randint(0, k, (64,), generator=gen)
    builtin = float(torch.nn.CrossEntropyLoss(label_smoothing=eps)(logits, labels))
    losses = {c: float(torch.nn.CrossEntropyLoss()(logits, smoothing.smooth_targets(labels, k, eps, c,
                                                                                   dtype=torch.float64)))
              for c in smoothing.CONVENTIONS}
    frame = pd.concat([tables.targets(k, eps, c).assign(target=lambda f, c=c: f["target"].where(
        f["target"] == "one-hot", "PyTorch: ε/K to all" if c == "uniform" else "ε/(K−1) to others"))
        for c in smoothing.CONVENTIONS]).drop_duplicates(["class", "target"])
    same = min(losses, key=lambda c: abs(losses[c] - builtin))
    q_uniform, q_other = smoothing.target_values(k, eps, "uniform")
    return Reveal(charts.targets_bar(frame), [
        f"Yes: `nn.CrossEntropyLoss(label_smoothing={eps:g})` on 64 random samples gives {builtin:.10f}.",
        f"Soft targets with ε/K = {q_other:.3f} on every class, the true one included (true class "
        f"{q_uniform:.3f}), give {losses['uniform']:.10f}; ε/(K−1) on the wrong classes only gives "
        f"{losses['others']:.10f}.",
        f"So PyTorch uses the {'ε/K-to-every-class' if same == 'uniform' else 'ε/(K−1)'} convention "
        f"(difference {abs(losses[same] - builtin):.1e})."])


def _confidence() -> Reveal:
    models = _small_sweep((0.0, 0.1, 0.2, 0.3))
    summary = sweep.summary_by_eps(models)
    shown = summary[summary["metric"].isin(["mean_confidence", "test_acc"])]
    means = models.groupby("eps")[["mean_confidence", "test_acc"]].mean()
    first, last = means.index[0], means.index[-1]
    return Reveal(charts.sweep_metrics_chart(shown, columns=2), [
        f"Mean test confidence at ε = {', '.join(f'{e:g}' for e in means.index)}: "
        f"{_fmt(means['mean_confidence'])}.",
        claims.paired(models, "mean_confidence", "eps", last, first, name="mean test confidence").sentence(),
        claims.paired(models, "test_acc", "eps", last, first, lower_is_better=False,
                      name="test accuracy").sentence(),
        "Smoothing lowers confidence; on its own that says nothing about whether the confidence was too "
        "high."])


def _saturation() -> Reveal:
    k, values = 3, [0.0, 0.1]
    curves, marks = tables.gradient_curves(k, values)
    p = torch.tensor([0.99], dtype=torch.float64)
    at = {e: float(smoothing.logit_grad_norm(p, k, e)[0]) for e in values}
    limit = marks.set_index("eps_value")["limit"]
    q_t = smoothing.target_values(k, values[1])[0]
    return Reveal(charts.gradient_chart(curves, marks), [
        f"At p = 0.99 on the true class (K = {k}), ‖∂L/∂z‖ is {at[0.0]:.4f} one-hot and {at[0.1]:.4f} with "
        f"ε = 0.1.",
        f"As p → 1 one-hot's gradient goes to {limit[0.0]:.4f}: a saturated point stops teaching. "
        f"Smoothed, it tends to {limit[0.1]:.4f} and points back down: confidence past q_t = {q_t:.3f} is "
        "pushed back."])


def _per_seed_chart(models: pd.DataFrame, metrics: dict[str, str]) -> alt.FacetChart:
    """Each seed's value of each metric, by ε: the spread shows what one seed alone would say."""
    frame = models.melt(id_vars=["eps", "seed"], value_vars=list(metrics), var_name="metric")
    frame["metric"] = frame["metric"].map(metrics)
    frame["ε"] = frame["eps"].map(lambda e: f"ε = {e:g}")
    return alt.Chart(frame).mark_point(filled=True, size=70).encode(
        x=alt.X("ε:N", title=None, sort=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
        color=alt.Color("ε:N", legend=None, sort=None), column=alt.Column("metric:N", title=None, sort=None),
        tooltip=["ε:N", "seed:Q", alt.Tooltip("value:Q", format=".3f")]
    ).resolve_scale(y="independent").properties(width=200, height=220)


# clean moons: the one-hot model is already as accurate as the data allow
CLEAN_MOONS = DatasetSpec(name="moons", n=1000, noise=0.2)
ACCURACY_RUN = sweep.SweepConfig(CLEAN_MOONS, TrainConfig(), (0.0, 0.1, 0.3), 5, 500)


def _accuracy() -> Reveal:
    models = sweep.run(ACCURACY_RUN).models
    models = models[~models["diverged"]]
    accuracy = [claims.paired(models, "test_acc", "eps", eps, 0.0, lower_is_better=False,
                              name="test accuracy") for eps in ACCURACY_RUN.eps[1:]]
    sentences = [c.sentence() for c in accuracy]
    means = models.groupby("eps")["test_nll"].mean()
    sentences.append(f"Test NLL: {_fmt(means)} at ε = {', '.join(f'{e:g}' for e in means.index)}.")
    sentences.append("Here smoothing raised accuracy clearly; other data on the ε sweep page do not."
                     if any(c.verdict == claims.HOLDS for c in accuracy) else
                     "So no: smoothing does not always improve accuracy; on clean data it mostly changes the "
                     "probabilities, not the decisions.")
    return Reveal(_per_seed_chart(models, {"test_acc": "test accuracy", "test_nll": "test NLL"}), sentences)


REVEAL_SEEDS = 3


def _calibration() -> Reveal:
    rows, sentences, helped = [], [], {}
    # the presets' configurations (their claims are decided on held-out seeds), on 3 seeds here so the
    # reveal takes seconds; the link opens the full preset
    for regime, config in (("small, noisy, trained long", presets.get("overconfident").config),
                           ("clean, separable", presets.get("clean").config)):
        models = sweep.run(replace(config, seeds=REVEAL_SEEDS)).models
        models = models[~models["diverged"]]
        means = models.groupby("eps")["test_nll"].mean()
        rows += [{"regime": regime, "ε": f"ε = {e:g}", "test NLL": v} for e, v in means.items()]
        compared = claims.paired(models, "test_nll", "eps", 0.2, 0.0, name="test NLL")
        helped[regime] = compared.verdict
        sentences.append(f"{regime.capitalize()} data: {compared.sentence()}")
    chart = alt.Chart(pd.DataFrame(rows)).mark_bar().encode(
        x=alt.X("ε:N", title=None, axis=alt.Axis(labelAngle=0)), y=alt.Y("test NLL:Q"),
        color=alt.Color("ε:N", legend=None), column=alt.Column("regime:N", title=None, sort=None),
        tooltip=["regime:N", "ε:N", alt.Tooltip("test NLL:Q", format=".3f")]
    ).properties(width=200, height=220)
    if helped["small, noisy, trained long"] == claims.HOLDS and helped["clean, separable"] == claims.OPPOSITE:
        sentences.append("So smoothing improves the probabilities where one-hot training is over-confident "
                         "and hurts where the model was calibrated already.")
    else:
        sentences.append(f"On {claims.seeds_phrase(REVEAL_SEEDS)} this run does not separate the two regimes "
                         "clearly; the presets' held-out evidence (10 seeds each) does.")
    ece = next((claims.stored(c) for c in presets.NOT_STATED if c.key == "overconfident/test_ece"), None)
    if ece is not None:
        sentences.append("The binned ECE of the over-confident regime, on the held-out seeds: "
                         + ece.sentence())
    sentences.append("Distillation and representations are measured on their own pages.")
    return Reveal(chart, sentences)


STATIONS: tuple[Station, ...] = (
    Station("Targets or predictions?", "Label smoothing changes…",
            ("the targets only; predictions stay as they were", "the predictions directly, at inference",
             "the targets, and through training the predictions"), 2, "labels", "labels_eps=0.2",
            _targets_and_predictions),
    Station("Is it built into PyTorch?",
            "Does PyTorch have label smoothing built in, and how does it spread ε?",
            ("no, you write the soft targets yourself", "yes: ε/K to every class, the true one included",
             "yes: ε/(K−1) to each wrong class only"), 1, "labels", "labels_k=4&labels_eps=0.1",
            _pytorch_convention),
    Station("Confidence", "Does label smoothing make a trained model more or less confident?",
            ("more confident", "less confident", "no change"), 1, "sweep",
            "sw_range=0.0&sw_range=0.3&sw_count=4",
            _confidence),
    Station("Gradients near saturation",
            "When the true class already has p close to 1, the gradient ‖∂L/∂z‖…",
            ("goes to 0, with or without smoothing", "goes to 0 one-hot, but not with smoothing",
             "grows without bound one-hot"), 1, "gradients", "", _saturation),
    Station("Accuracy", "Does label smoothing always improve accuracy?",
            ("yes, a little, always", "no: it can leave accuracy unchanged while hurting the probabilities",
             "no: it always lowers accuracy"), 1, "sweep", "sw_range=0.0&sw_range=0.3&sw_count=4", _accuracy),
    Station("Calibration", "When does label smoothing improve the test NLL, the score of the probabilities?",
            ("always", "when one-hot training is over-confident: small, noisy data trained long",
             "on clean, separable data", "never"), 1, "sweep", "preset=overconfident", _calibration),
)


def station(number: int) -> Station:
    """Station `number`, counted from 1 as links spell it (/workshop?station=3)."""
    return STATIONS[check_int("station", number, 1, len(STATIONS)) - 1]


ROUND_NAMES = {1: "first vote", 2: "revote"}


def results_frame(tallies: dict[int, dict[int, dict[str, int]]], learners: int) -> pd.DataFrame:
    """A room's results, one row per station, round and choice (every choice, none voted 0): the
    votes, the voters in that round, the room's learners and whether the choice is the right one.
    Counts only: no learner ids. `tallies` is station -> round -> choice -> votes (Rooms.tallies)."""
    rows = []
    for number, rounds in sorted(tallies.items()):
        if number > len(STATIONS):
            continue
        st = station(number)
        for rnd, counts in sorted(rounds.items()):
            voters = sum(counts.values())
            if rnd > 1 and not voters:
                continue  # no revote was held
            for i, choice in enumerate(st.choices):
                rows.append({"station": number, "title": st.title, "round": ROUND_NAMES[rnd],
                             "choice": choice, "votes": counts.get(choice, 0), "voters": voters,
                             "learners": learners, "right": i == st.correct})
    return pd.DataFrame(rows, columns=["station", "title", "round", "choice", "votes", "voters", "learners",
                                       "right"])

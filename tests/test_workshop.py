"""The workshop's stations: each reveal's sentences are computed from the run it measures, and
each station's keyed answer is the one its measurement shows."""
import pytest
import torch

from playground.core import smoothing
from playground.experiments import workshop
from playground.ui.shell.navigation import PAGES

pytestmark = pytest.mark.usefixtures("one_thread")  # as the server runs: one torch thread


@pytest.fixture(scope="module")
def reveals():
    shown = {n: workshop.station(n).reveal() for n in range(1, len(workshop.STATIONS) + 1)}
    for n, r in shown.items():
        print(f"station {n}: {r.seconds:.2f} s")
    return shown


def test_six_stations_each_with_a_keyed_answer_and_a_page():
    pages = {path.split("/")[-1].removesuffix(".py") for path, _, _ in PAGES}
    assert len(workshop.STATIONS) == 6
    for s in workshop.STATIONS:
        assert 0 <= s.correct < len(s.choices) and len(set(s.choices)) == len(s.choices)
        assert s.page in pages


def test_targets_change_and_predictions_follow(reveals):
    text = " ".join(reveals[1].sentences)
    assert "target is 0.90" in text and "Mean test confidence is lower at ε = 0.2 than at ε = 0" in text


def test_the_pytorch_station_measures_torchs_own_loss(reveals):
    k, eps = 4, 0.1
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(64, k, generator=gen, dtype=torch.float64) * 2
    labels = torch.randint(0, k, (64,), generator=gen)
    builtin = float(torch.nn.CrossEntropyLoss(label_smoothing=eps)(logits, labels))
    text = " ".join(reveals[2].sentences)
    assert f"{builtin:.10f}" in text and "uses the ε/K-to-every-class convention" in text
    assert workshop.station(2).choices[workshop.station(2).correct].startswith("yes: ε/K")


def test_confidence_falls_with_eps(reveals):
    assert reveals[3].sentences[1].startswith("Mean test confidence is lower at ε = 0.3 than at ε = 0")


@pytest.mark.parametrize("number", range(1, 7))
def test_every_reveal_charts_data(reveals, number):
    spec = reveals[number].chart.to_dict()
    rows = sum(len(v) for v in spec.get("datasets", {}).values())
    assert rows > 0, f"station {number} draws an empty chart"


def test_the_saturation_station_quotes_the_closed_form(reveals):
    limit = smoothing.saturated_grad_norm(3, 0.1)
    text = " ".join(reveals[4].sentences)
    assert f"tends to {limit:.4f}" in text and "goes to 0.0000" in text


def test_accuracy_is_not_always_improved_over_five_seeds(reveals):
    assert "5 seeds" in reveals[5].sentences[0] and "Test accuracy" in reveals[5].sentences[0]
    assert reveals[5].sentences[-1].startswith("So no")


def test_the_probabilities_improve_only_when_one_hot_is_over_confident(reveals):
    text = " ".join(reveals[6].sentences)
    assert "Small, noisy, trained long data: Test NLL is lower at ε = 0.2 than at ε = 0" in text
    assert "Clean, separable data: Test NLL is lower at ε = 0 than at ε = 0.2" in text
    assert "So smoothing improves the probabilities where one-hot training is over-confident" in text
    assert "The binned ECE of the over-confident regime, on the held-out seeds:" in text


def test_a_station_out_of_range_is_refused_by_name():
    with pytest.raises(ValueError, match="station"):
        workshop.station(7)

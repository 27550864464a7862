import pytest
import torch

from playground.core import calibration


def test_fit_temperature_recovers_a_known_temperature():
    gen = torch.Generator().manual_seed(0)
    true_logits = torch.randn(4000, 5, generator=gen, dtype=torch.float64) * 2
    labels = torch.multinomial(torch.softmax(true_logits, -1), 1, generator=gen).squeeze(-1)
    t = calibration.fit_temperature(true_logits * 3.0, labels)  # three times too confident
    assert t == pytest.approx(3.0, rel=0.08)
    assert calibration.fit_temperature(true_logits, labels) == pytest.approx(1.0, rel=0.08)


def test_temperature_never_changes_the_argmax_and_lowers_nll():
    gen = torch.Generator().manual_seed(1)
    logits = torch.randn(300, 3, generator=gen) * 6
    labels = torch.randint(0, 3, (300,), generator=gen)
    t = calibration.fit_temperature(logits, labels)
    assert torch.equal((logits / t).argmax(-1), logits.argmax(-1))
    before = calibration.calibration_table({"a": (logits, labels)}).iloc[0]
    after = calibration.calibration_table({"a": (logits / t, labels)}).iloc[0]
    assert after["NLL"] < before["NLL"] and after["accuracy"] == before["accuracy"]


def test_temperature_scaling_is_compared_with_both_models_seed_by_seed():
    from playground.experiments import sweep
    gen = torch.Generator().manual_seed(2)
    base = torch.randn(300, 3, generator=gen)
    scale = torch.tensor([6.0, 6.0, 6.0, 2.0, 2.0, 2.0])[:, None, None]
    logits = (base + 0.05 * torch.randn(6, 300, 3, generator=gen)) * scale  # each seed a little different
    labels = logits[0].argmax(-1)  # the ε = 0 models are right but far too sure: T fixes that
    labels[::3] = (labels[::3] + 1) % 3
    out = calibration.compare_with_temperature(logits[:, :150], labels[:150], logits[:, 150:], labels[150:],
                                               [0.0, 0.0, 0.0, 0.1, 0.1, 0.1], [0, 1, 2, 0, 1, 2])
    assert list(out["table"]["method"]) == ["label smoothing ε=0", calibration.SCALED,
                                            "label smoothing ε=0.1"]
    assert len(out["models"]) == 9 and len(out["temperatures"]) == 3
    against_plain, against_smoothing, temperature = sweep.temperature_verdict(out)
    means = out["table"].set_index("method")["ECE"]
    assert means[calibration.SCALED] < means["label smoothing ε=0"]
    assert against_plain.startswith(
        f"Test ECE is lower for {calibration.SCALED} than for label smoothing ε=0")
    assert "label smoothing ε=0.1" in against_smoothing and "3 seeds" in against_smoothing
    assert "T = " in temperature and "3 seeds" in temperature
    only_zero = calibration.compare_with_temperature(logits[:1, :150], labels[:150], logits[:1, 150:],
                                                     labels[150:], [0.0], [0])
    assert "needs ε = 0 and at least one ε > 0" in sweep.temperature_verdict(only_zero)[0]


def test_diagram_frames():
    logits = torch.tensor([[3.0, 0.0], [0.0, 3.0], [1.0, 0.0]])
    bins, confidences = calibration.diagram_frames({"m": logits}, torch.tensor([0, 0, 0]))
    assert bins["count"].sum() == 3 and len(bins) == 15 and len(confidences) == 3

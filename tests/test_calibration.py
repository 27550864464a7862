import pytest
import torch

from playground import calibration


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


def test_compare_with_temperature_reports_a_winner():
    gen = torch.Generator().manual_seed(2)
    logits = torch.randn(4, 200, 3, generator=gen) * torch.tensor([6.0, 6.0, 2.0, 1.0])[:, None, None]
    labels = torch.randint(0, 3, (200,), generator=gen)
    out = calibration.compare_with_temperature(logits[:, :100], labels[:100], logits[:, 100:], labels[100:],
                                               [0.0, 0.0, 0.1, 0.2])
    table = out["table"]
    assert list(table["method"]) == ["label smoothing ε=0", "ε=0 + temperature scaling",
                                     "label smoothing ε=0.1", "label smoothing ε=0.2"]
    assert len(out["temperatures"]) == 2 and "calibrates better" in out["verdict"]
    best = min(table.loc[table["eps"] != 0, "ECE"])
    assert f"{best:.4f}" in out["verdict"]


def test_diagram_frames():
    logits = torch.tensor([[3.0, 0.0], [0.0, 3.0], [1.0, 0.0]])
    bins, confidences = calibration.diagram_frames({"m": logits}, torch.tensor([0, 0, 0]))
    assert bins["count"].sum() == 3 and len(bins) == 15 and len(confidences) == 3

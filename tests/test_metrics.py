import math

import pytest
import torch

from playground.core import metrics as mx


def test_accuracy_and_nll_by_hand():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 0.0]])
    labels = torch.tensor([0, 0, 0])
    assert float(mx.accuracy(logits, labels)) == pytest.approx(2 / 3)
    by_hand = (math.log(1 + math.exp(-2)) + math.log(1 + math.exp(1)) + math.log(1 + math.exp(-3))) / 3
    assert float(mx.nll(logits, labels)) == pytest.approx(by_hand, rel=1e-6)


def test_reliability_by_hand():
    # confidences 0.9 (right), 0.9 (wrong), 0.65 (right), 0.4 (right, K=3); 15 bins
    probs = torch.tensor([[0.9, 0.1, 0.0], [0.9, 0.05, 0.05], [0.65, 0.25, 0.1], [0.4, 0.3, 0.3]])
    labels = torch.tensor([0, 1, 0, 0])
    r = mx.reliability(probs, labels)
    assert r.count.sum() == 4
    # 0.4 = 6/15 sits on an edge and belongs to the bin (5/15, 6/15]
    assert r.count[5] == 1 and r.count[9] == 1 and r.count[13] == 2
    assert float(r.accuracy[13]) == 0.5 and float(r.confidence[13]) == pytest.approx(0.9)
    ece = (2 / 4) * abs(0.5 - 0.9) + (1 / 4) * abs(1 - 0.65) + (1 / 4) * abs(1 - 0.4)
    assert float(r.ece) == pytest.approx(ece, rel=1e-6)
    assert float(r.mce) == pytest.approx(0.6, rel=1e-6)


def test_ece_batched_matches_per_model():
    gen = torch.Generator().manual_seed(0)
    probs = torch.softmax(torch.randn(4, 200, 3, generator=gen) * 3, -1)
    labels = torch.randint(0, 3, (200,), generator=gen)
    batched = mx.ece(probs, labels)
    for i in range(4):
        assert float(batched[i]) == pytest.approx(float(mx.ece(probs[i], labels)), abs=1e-6)


def test_logit_gap_and_grad_norm():
    logits = torch.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 1.0]])
    labels = torch.tensor([0, 0])
    assert mx.logit_gap(logits, labels).tolist() == [1.0, -5.0]
    g = mx.logit_grad_norm(logits, labels, 0.3)
    q = torch.tensor([1 - 0.3 + 0.1, 0.1, 0.1])
    assert float(g[0]) == pytest.approx(float((torch.softmax(logits[0], -1) - q).norm()), rel=1e-6)
    z = logits.clone().requires_grad_(True)
    torch.nn.CrossEntropyLoss(label_smoothing=0.3, reduction="sum")(z, labels).backward()
    assert g.tolist() == pytest.approx(z.grad.norm(dim=-1).tolist(), rel=1e-5)


def test_boundary_blur():
    sure = torch.tensor([[0.99, 0.01]] * 3 + [[0.6, 0.4]])
    blur = mx.boundary_blur(sure, threshold=0.75)
    assert float(blur["uncertain_share"]) == 0.25
    uniform = torch.full((10, 4), 0.25)
    assert float(mx.boundary_blur(uniform)["mean_entropy"]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="^threshold="):
        mx.boundary_blur(uniform, threshold=2)

import math

import pytest
import torch
from torch import nn

from playground.core import metrics, smoothing
from playground.core import objectives as ob

CASES = [("smoothing", e) for e in (-1.0, -0.5, -0.1, 0.0, 0.1, 0.5, 1.0)] + \
        [("confidence_penalty", b) for b in (0.0, 0.5, 2.0)] + [("focal", g) for g in (0.0, 0.5, 2.0)]


def random_batch(k: int = 4, b: int = 9, scale: float = 3.0, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(b, k, generator=gen, dtype=torch.float64) * scale
    return z, torch.randint(0, k, (b,), generator=gen)


def autograd_per_sample(kind, z, y, value, convention="uniform"):
    """Per-sample losses and each one's gradient, from the plain reference definition."""
    losses, grads = [], []
    for i in range(len(y)):
        zi = z[i:i + 1].clone().requires_grad_(True)
        loss = ob.reference_loss(kind, zi, y[i:i + 1], value, convention)
        loss.backward()
        losses.append(loss.detach())
        grads.append(zi.grad[0])
    return torch.stack(losses), torch.stack(grads)


@pytest.mark.parametrize("convention", ["uniform", "others"])
@pytest.mark.parametrize("kind,value", CASES)
def test_closed_form_matches_autograd(kind, value, convention):
    z, y = random_batch()
    loss, grad = ob.loss_and_grad(kind, z, y, value, convention)
    ref_loss, ref_grad = autograd_per_sample(kind, z, y, value, convention)
    assert torch.allclose(loss, ref_loss, atol=1e-12, rtol=1e-10)
    assert torch.allclose(grad, ref_grad, atol=1e-12, rtol=1e-10)
    assert torch.allclose(grad.sum(-1), torch.zeros(len(y), dtype=grad.dtype), atol=1e-12)


def test_closed_form_in_float32_matches_float64():
    z, y = random_batch(k=3, b=50, scale=6.0)
    for kind, value in CASES:
        l32, g32 = ob.loss_and_grad(kind, z.float(), y, value)
        l64, g64 = ob.loss_and_grad(kind, z, y, value)
        assert torch.allclose(l32.double(), l64, atol=1e-5, rtol=1e-5), kind
        assert torch.allclose(g32.double(), g64, atol=1e-6), kind


def test_stacked_models_with_mixed_kinds():
    """One call over [E, B, K] with a kind and value per model equals each model on its own."""
    z = torch.randn(5, 8, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) * 2
    y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    kinds = ["smoothing", "smoothing", "focal", "confidence_penalty", "smoothing"]
    values = [-0.2, 0.3, 2.0, 0.7, 0.0]
    loss, grad = ob.loss_and_grad(kinds, z, y, values)
    assert loss.shape == (5, 8) and grad.shape == (5, 8, 3)
    for i, (kind, value) in enumerate(zip(kinds, values)):
        ref_loss, ref_grad = autograd_per_sample(kind, z[i], y, value)
        assert torch.allclose(loss[i], ref_loss) and torch.allclose(grad[i], ref_grad)
    assert ob.segments(kinds) == [("smoothing", 0, 2), ("focal", 2, 3), ("confidence_penalty", 3, 4),
                                  ("smoothing", 4, 5)]


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.3, 1.0])
def test_reference_smoothing_is_torch_cross_entropy(eps):
    z, y = random_batch(k=5, b=20)
    torch_loss = nn.CrossEntropyLoss(label_smoothing=eps)(z, y)
    assert float(ob.reference_loss("smoothing", z, y, eps)) == pytest.approx(float(torch_loss), rel=1e-12)
    # "others" (fairseq): torch's CE on hand-built soft targets
    soft = torch.full((20, 5), eps / 4, dtype=torch.float64)
    soft[torch.arange(20), y] = 1 - eps
    expected = nn.CrossEntropyLoss()(z, soft)
    others = ob.reference_loss("smoothing", z, y, eps, "others")
    assert float(others) == pytest.approx(float(expected), rel=1e-12)


def test_reference_at_zero_is_cross_entropy():
    z, y = random_batch()
    ce = float(nn.CrossEntropyLoss()(z, y))
    for kind in ob.KINDS:
        assert float(ob.reference_loss(kind, z, y, 0.0)) == pytest.approx(ce, rel=1e-12)


def test_focal_gradient_is_finite_near_certainty():
    """(1 - p)^(gamma - 1) is infinite at p = 1; the closed form avoids it."""
    z = torch.tensor([[40.0, 0.0, 0.0], [20.0, 0.0, 0.0], [8.0, 0.0, 0.0]])
    y = torch.tensor([0, 0, 0])
    for gamma in (0.0, 0.5, 2.0):
        loss, grad = ob.loss_and_grad("focal", z, y, gamma)
        assert torch.isfinite(loss).all() and torch.isfinite(grad).all()
        _, ref = autograd_per_sample("focal", z[2:].double(), y[2:], gamma)
        assert torch.allclose(grad[2].double(), ref[0], atol=1e-7)
        # near p = 1 the others' gradients are p_o (1 - p)^gamma (1 + gamma) to first order
        # (the true class's own entry rounds to 0 in float32, as softmax - onehot does for CE)
        rest = 2 * math.exp(-20.0)
        expected = math.exp(-20.0) * rest ** gamma * (1 + gamma)
        assert float(grad[1, 1]) == pytest.approx(expected, rel=1e-4)
        assert float(ob.logit_grad("focal", z.double(), y, gamma)[1, 1]) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("k", [2, 3, 5])
@pytest.mark.parametrize("kind,value", CASES)
def test_equal_others_forms_match_autograd(kind, value, k):
    """loss_at, true_logit_grad and grad_norm_at against autograd at logits whose others are equal."""
    gaps = torch.tensor([-3.0, -0.5, 0.0, 0.7, 2.0, 5.0], dtype=torch.float64)
    p = smoothing.prob_from_gap(gaps, k)
    objective = ob.get(kind)
    for convention in ("uniform", "others"):
        for gap, pi in zip(gaps, p):
            z = torch.zeros(1, k, dtype=torch.float64)
            z[0, 0] = gap
            loss, grad = autograd_per_sample(kind, z, torch.tensor([0]), value, convention)
            assert float(objective.loss_at(pi, k, value, convention)) == \
                pytest.approx(float(loss[0]), abs=1e-10)
            assert float(objective.true_logit_grad(pi, k, value, convention)) == \
                pytest.approx(float(grad[0, 0]), abs=1e-10)
            assert float(objective.grad_norm_at(pi, k, value, convention)) == \
                pytest.approx(float(grad[0].norm()), abs=1e-10)


def test_smoothing_forms_agree_with_smoothing_module():
    p = torch.linspace(0, 1, 41, dtype=torch.float64)
    for eps in (0.0, 0.1, 0.4):
        for convention in ("uniform", "others"):
            assert torch.allclose(ob.get("smoothing").grad_norm_at(p, 3, eps, convention),
                                  smoothing.logit_grad_norm(p, 3, eps, convention))


def test_negative_smoothing_is_unbounded_below_and_never_settles():
    """Wei et al. 2022: targets beyond one-hot; the loss falls without bound as p -> 1 and the
    gradient on the true logit never reaches 0."""
    objective = ob.get("smoothing")
    q_true, q_other = smoothing.target_values(3, -0.4, lowest=-1.0)
    assert q_true > 1 and q_other < 0
    p = torch.tensor([0.9, 0.99, 0.999999, 1 - 1e-12], dtype=torch.float64)
    loss = objective.loss_at(p, 3, -0.4)
    assert bool((loss.diff() < 0).all()) and float(loss[-1]) < 0
    assert float(objective.loss_at(1.0, 3, -0.4)) == -math.inf
    assert bool((objective.true_logit_grad(torch.linspace(0, 1, 101), 3, -0.4) < 0).all())


def test_end_points_of_the_equal_others_forms():
    for kind, value in CASES:
        objective = ob.get(kind)
        for p in (0.0, 1.0):
            assert math.isfinite(float(objective.true_logit_grad(p, 3, value))), (kind, value, p)
    # one-hot CE, focal and the penalty all stop pushing at p = 1
    for kind, value in [("smoothing", 0.0), ("focal", 0.5), ("focal", 2.0), ("confidence_penalty", 1.0)]:
        assert float(ob.get(kind).grad_norm_at(1.0, 3, value)) == pytest.approx(0, abs=1e-12)
    assert float(ob.get("focal").true_logit_grad(0.0, 3, 2.0)) == -1.0


def test_metrics_grad_norm_routes_through_the_objective():
    z, y = random_batch(k=3, b=12)
    for kind, value in CASES:
        expected = autograd_per_sample(kind, z, y, value)[1].norm(dim=-1)
        assert torch.allclose(metrics.logit_grad_norm(z, y, value, kind=kind), expected)
    stacked = torch.stack([z, z * 0.5])
    both = metrics.logit_grad_norm(stacked, y, [0.1, 2.0], kind=["smoothing", "focal"])
    assert torch.allclose(both[1], autograd_per_sample("focal", z * 0.5, y, 2.0)[1].norm(dim=-1))
    assert torch.allclose(metrics.logit_grad_norm(stacked, y, [0.0, 0.2]),
                          torch.stack([metrics.logit_grad_norm(z, y, 0.0),
                                       metrics.logit_grad_norm(z * 0.5, y, 0.2)]))


def test_table_describes_each_objective():
    assert ob.KINDS == ("smoothing", "confidence_penalty", "focal")
    for kind in ob.KINDS:
        objective = ob.OBJECTIVES[kind]
        assert objective.name == kind and objective.parameter and objective.source
        assert objective.check(objective.lo) == objective.lo and objective.check(objective.hi) == objective.hi


@pytest.mark.parametrize("call,pattern", [
    (lambda: ob.get("mse"), r"^objective='mse' is not allowed: must be one of 'smoothing'"),
    (lambda: ob.get("focal").check(-1), r"^gamma=-1 is not allowed: must be a finite number in \[0.0, 10"),
    (lambda: ob.get("confidence_penalty").check(11), r"^beta=11 is not allowed: .*\[0.0, 10.0\]"),
    (lambda: ob.get("smoothing").check(-1.5), r"^eps=-1.5 is not allowed: .*\[-1.0, 1.0\]"),
    (lambda: ob.get("smoothing").check(float("nan")), r"^eps=nan"),
    (lambda: ob.reference_loss("focal", *random_batch(), -0.5), r"^gamma=-0.5"),
    (lambda: ob.check_objectives([("smoothing", 0.1), ("focal", -2)]), r"^objectives\[1\]\.gamma=-2"),
    (lambda: ob.check_objectives([("smoothing", 0.1), ("hinge", 1)]), r"^objectives\[1\] kind='hinge'"),
    (lambda: ob.check_objectives([("smoothing",)]), r"^objectives\[0\]="),
    (lambda: ob.check_objectives([]), r"^objectives=\[\]"),
    (lambda: ob.loss_and_grad("focal", torch.zeros(2, 3, 4, 5), torch.tensor([0]), 1.0), r"^logits="),
    (lambda: ob.loss_and_grad("focal", torch.zeros(3, 4), torch.tensor([0, 1]), 1.0), r"^labels="),
    (lambda: ob.loss_and_grad(["focal"], torch.zeros(2, 3, 4), torch.tensor([0, 1, 2]), 1.0), r"^kind="),
    (lambda: ob.get("focal").grad_norm_at(1.5, 3, 1.0), r"^p=1.5"),
])
def test_bad_arguments_are_named(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()

import math

import pytest
import torch
from torch import nn

from playground.core import smoothing as sm

# SCIENCE.md reference table: K, eps, q_t, optimal gap, H(q), ||g|| as p -> 1
REFERENCE = [
    (2, 0.1, 0.9500, 2.94444, 0.19852, 0.0707),
    (2, 0.2, 0.9000, 2.19722, 0.32508, 0.1414),
    (3, 0.1, 0.9333, 3.33220, 0.29114, 0.0816),
    (3, 0.2, 0.8667, 2.56495, 0.48509, 0.1633),
    (4, 0.1, 0.9250, 3.61092, 0.34878, 0.0866),
]


@pytest.mark.parametrize("k,eps,qt,gap,h,g1", REFERENCE)
def test_reference_values(k, eps, qt, gap, h, g1):
    assert sm.target_values(k, eps)[0] == pytest.approx(qt, abs=5e-5)
    assert sm.optimal_logit_gap(k, eps) == pytest.approx(gap, abs=5e-5)
    assert sm.min_loss(k, eps) == pytest.approx(h, abs=5e-5)
    assert sm.saturated_grad_norm(k, eps) == pytest.approx(g1, abs=5e-5)
    assert sm.saturated_grad_norm(k, eps) == pytest.approx(eps * math.sqrt((k - 1) / k))


def test_pytorch_k2_is_095_not_09():
    q = sm.smooth_targets(torch.tensor([0]), 2, 0.1)
    assert q.tolist()[0] == pytest.approx([0.95, 0.05])
    q = sm.smooth_targets(torch.tensor([0]), 3, 0.1, convention="others")
    assert q.tolist()[0] == pytest.approx([0.9, 0.05, 0.05])


@pytest.mark.parametrize("k", [2, 3, 7])
@pytest.mark.parametrize("eps", [0.0, 0.1, 0.35, 1.0])
def test_loss_matches_torch_cross_entropy(k, eps):
    gen = torch.Generator().manual_seed(k)
    logits = torch.randn(50, k, generator=gen, dtype=torch.float64)
    labels = torch.randint(0, k, (50,), generator=gen)
    ours = sm.smoothed_cross_entropy(logits, labels, eps)
    ref = nn.CrossEntropyLoss(label_smoothing=eps)(logits, labels)
    assert float(ours) == pytest.approx(float(ref), rel=1e-12)
    # the "others" convention equals CE on soft targets built by hand
    others = sm.smoothed_cross_entropy(logits, labels, eps, convention="others")
    q = torch.full((50, k), eps / (k - 1), dtype=torch.float64)
    q[torch.arange(50), labels] = 1 - eps
    assert float(others) == pytest.approx(float(nn.CrossEntropyLoss()(logits, q)), rel=1e-12)


def test_batched_eps_gives_one_loss_per_model():
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 20, 4, generator=gen)
    labels = torch.randint(0, 4, (20,), generator=gen)
    losses = sm.smoothed_cross_entropy(logits, labels, [0.0, 0.1, 0.5])
    for i, e in enumerate([0.0, 0.1, 0.5]):
        ref = nn.CrossEntropyLoss(label_smoothing=e)(logits[i], labels)
        assert float(losses[i]) == pytest.approx(float(ref), rel=1e-5)


@pytest.mark.parametrize("k,eps,conv", [(2, 0.1, "uniform"), (3, 0.2, "uniform"), (5, 0.3, "others"),
                                        (10, 0.05, "others")])
def test_minimum_found_by_numeric_optimisation(k, eps, conv):
    """Optimising free logits against one target reaches H(q) at the closed-form logit gap."""
    z = torch.zeros(1, k, dtype=torch.float64, requires_grad=True)
    labels = torch.tensor([0])
    opt = torch.optim.LBFGS([z], lr=1, max_iter=500, tolerance_grad=1e-14, tolerance_change=1e-16)

    def closure():
        opt.zero_grad()
        loss = sm.smoothed_cross_entropy(z, labels, eps, conv)
        loss.backward()
        return loss

    opt.step(closure)
    loss = float(sm.smoothed_cross_entropy(z.detach(), labels, eps, conv))
    assert loss == pytest.approx(sm.min_loss(k, eps, conv), abs=1e-9)
    gap = float((z[0, 0] - z[0, 1:].max()).detach())
    assert gap == pytest.approx(sm.optimal_logit_gap(k, eps, conv), abs=1e-5)


@pytest.mark.parametrize("k", [2, 3, 6])
@pytest.mark.parametrize("eps", [0.0, 0.1, 0.4])
def test_grad_norm_matches_autograd(k, eps):
    """Logits with the true class ahead by `gap` and equal others: the closed form equals autograd."""
    for gap in [-2.0, 0.0, 1.5, 4.0, 12.0]:
        z = torch.zeros(1, k, dtype=torch.float64)
        z[0, 0] = gap
        z.requires_grad_(True)
        nn.CrossEntropyLoss(label_smoothing=eps, reduction="sum")(z, torch.tensor([0])).backward()
        p = sm.prob_from_gap(gap, k)
        assert float(p) == pytest.approx(float(torch.softmax(z.detach(), -1)[0, 0]), rel=1e-12)
        assert float(sm.logit_grad_norm(p, k, eps)) == pytest.approx(float(z.grad.norm()), abs=1e-12)
        assert float(sm.true_logit_grad(p, k, eps)) == pytest.approx(float(z.grad[0, 0]), abs=1e-12)


def test_gradient_vanishes_at_q_true_and_flips_sign():
    qt = sm.target_values(3, 0.2)[0]
    assert float(sm.logit_grad_norm(qt, 3, 0.2)) == pytest.approx(0, abs=1e-12)
    assert float(sm.true_logit_grad(qt - 0.05, 3, 0.2)) < 0 < float(sm.true_logit_grad(qt + 0.05, 3, 0.2))
    assert float(sm.logit_grad_norm(0.999999, 3, 0.0)) < 1e-5  # one-hot: vanishes only as p -> 1


def test_convert_eps_gives_identical_targets():
    labels = torch.tensor([0, 2, 1])
    for k in (2, 3, 10):
        e_uniform = sm.convert_eps(0.2, k, "others", "uniform")
        assert e_uniform == pytest.approx(0.2 * k / (k - 1))
        assert torch.allclose(sm.smooth_targets(labels % k, k, 0.2, "others"),
                              sm.smooth_targets(labels % k, k, e_uniform, "uniform"))
        assert sm.convert_eps(e_uniform, k, "uniform", "others") == pytest.approx(0.2)


def test_edge_points():
    assert sm.optimal_logit_gap(3, 0.0) == math.inf
    assert sm.min_loss(3, 0.0) == 0.0
    assert sm.optimal_logit_gap(3, 1.0) == 0.0  # uniform at eps = 1
    assert sm.optimal_logit_gap(3, 2 / 3, "others") == pytest.approx(0.0, abs=1e-12)
    assert sm.optimal_logit_gap(3, 0.9, "others") < 0  # true class no longer the largest


@pytest.mark.parametrize("call,name", [
    (lambda: sm.smooth_targets(torch.tensor([0]), 2, 1.5), "eps"),
    (lambda: sm.smooth_targets(torch.tensor([0]), 2, -0.1), "eps"),
    (lambda: sm.smooth_targets(torch.tensor([0]), 2, float("nan")), "eps"),
    (lambda: sm.smooth_targets(torch.tensor([0]), 2, float("inf")), "eps"),
    (lambda: sm.smooth_targets(torch.tensor([0]), 1, 0.1), "num_classes"),
    (lambda: sm.smooth_targets(torch.tensor([0, 3]), 3, 0.1), "labels"),
    (lambda: sm.smooth_targets(torch.tensor([-1]), 3, 0.1), "labels"),
    (lambda: sm.smooth_targets(torch.tensor([0]), 3, 0.1, convention="fairseq"), "convention"),
    (lambda: sm.min_loss(2, 2.0), "eps"),
    (lambda: sm.optimal_logit_gap(0, 0.1), "num_classes"),
    (lambda: sm.logit_grad_norm(1.2, 3, 0.1), "p"),
    (lambda: sm.convert_eps(0.1, 3, "uniform", "bogus"), "convention"),
])
def test_bad_input_names_argument_value_and_range(call, name):
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    assert message.startswith(f"{name}=")
    assert "must" in message


@pytest.mark.parametrize("k,eps,conv", [(2, 0.1, "uniform"), (3, 0.2, "uniform"), (5, 0.3, "others")])
def test_loss_at_confidence_equals_the_loss_of_matching_logits(k, eps, conv):
    gaps = torch.tensor([-1.0, 0.5, 2.0, 6.0], dtype=torch.float64)
    p = sm.prob_from_gap(gaps, k)
    logits = torch.zeros(len(gaps), k, dtype=torch.float64)
    logits[:, 0] = gaps
    direct = sm.smoothed_cross_entropy(logits, torch.zeros(len(gaps), dtype=torch.long), eps, conv, "none")
    assert torch.allclose(sm.loss_at_confidence(p, k, eps, conv), direct)
    qt = sm.target_values(k, eps, conv)[0]
    assert float(sm.loss_at_confidence(qt, k, eps, conv)) == pytest.approx(sm.min_loss(k, eps, conv))


def test_class_weights_move_the_optimum_as_science_says():
    predicted = sm.weighted_optimum(2, 0.1, [0.1, 0.9])
    assert predicted.tolist() == pytest.approx([0.679, 0.321], abs=5e-4)
    assert sm.fit_weighted_optimum(2, 0.1, [0.1, 0.9]).tolist() == pytest.approx(predicted.tolist(), abs=1e-6)
    three = sm.weighted_optimum(3, 0.3, [1.0, 2.0, 0.5])
    fitted = sm.fit_weighted_optimum(3, 0.3, [1.0, 2.0, 0.5])
    assert fitted.tolist() == pytest.approx(three.tolist(), abs=1e-6)
    with pytest.raises(ValueError, match="^weights="):
        sm.weighted_optimum(3, 0.1, [1.0, -1.0, 1.0])


def test_three_torch_forms_agree_and_ignore_index_drops_rows():
    gen = torch.Generator().manual_seed(3)
    logits = torch.randn(16, 5, generator=gen, dtype=torch.float64)
    labels = torch.randint(0, 5, (16,), generator=gen)
    forms = sm.torch_loss_forms(logits, labels, 0.25)
    assert forms["soft_targets"] == pytest.approx(forms["label_smoothing"], abs=1e-12)
    assert forms["kl_plus_entropy"] == pytest.approx(forms["label_smoothing"], abs=1e-12)
    assert forms["label_smoothing"] == pytest.approx(float(sm.smoothed_cross_entropy(logits, labels, 0.25)))
    ignored = torch.arange(16) % 3 == 0
    parts = sm.ignore_index_forms(logits, labels, ignored, 0.25)
    assert parts["with_ignore_index"] == pytest.approx(parts["kept_rows_only"], abs=1e-12)
    assert parts["kept_rows_only"] != pytest.approx(forms["label_smoothing"])


def test_uniform_eps():
    assert sm.uniform_eps(4) == 1.0 and sm.uniform_eps(4, "others") == 0.75
    q = sm.smooth_targets(torch.tensor([0]), 4, sm.uniform_eps(4, "others"), "others")
    assert torch.allclose(q, torch.full((1, 4), 0.25))

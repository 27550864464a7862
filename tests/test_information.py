"""MKH's Gaussian estimate of the information the logits keep about the example index
(Müller, Kornblith & Hinton 2019, Section 4)."""
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from playground import information as inf
from playground.datasets import make_dataset
from playground.engine import Engine, TrainConfig

pytestmark = pytest.mark.usefixtures("one_thread")  # as the server runs: one torch thread


def two_examples(a, s):
    """Example 0 drawn at -a - s and -a + s, example 1 at a - s and a + s: means -a and a,
    pooled variance s^2."""
    return torch.tensor([[-a - s, -a + s], [a - s, a + s]], dtype=torch.float64).unsqueeze(-1)


def by_hand(a, s):
    """Each draw y = mu_x + d, d = +-s, adds log 2 - log(1 + exp(-2a(a - d)/s^2)) (the other
    example's Gaussian over its own at y); both examples alike by symmetry."""
    return sum(math.log(2) - math.log1p(math.exp(-2 * a * (a - d) / s**2)) for d in (s, -s)) / 2


@pytest.mark.parametrize("a,s", [(1.0, 1.0), (0.5, 1.0), (2.0, 0.5), (0.1, 2.0)])
def test_two_examples_match_the_hand_computed_value(a, s):
    assert float(inf.mutual_information(two_examples(a, s))) == pytest.approx(by_hand(a, s), rel=1e-12)


def test_the_value_at_a_equals_s_is_half_of_log_two_less_a_small_overlap():
    assert float(inf.mutual_information(two_examples(1.0, 1.0))) == pytest.approx(
        (math.log(2) - math.log(1 + math.exp(-4))) / 2, rel=1e-12)


def test_the_variance_is_pooled_over_examples():
    """Example 0 at -1 and 1 (mean 0), example 1 at 1 and 5 (mean 3): one shared variance
    (1 + 1 + 4 + 4) / 4 = 2.5, not each example's own."""
    y = torch.tensor([[-1.0, 1.0], [1.0, 5.0]], dtype=torch.float64).unsqueeze(-1)
    means, var = (0.0, 3.0), 2.5

    def term(v, own):
        g = [-((v - m) ** 2) / (2 * var) for m in means]
        return g[own] - math.log(sum(math.exp(x) for x in g) / 2)

    expected = sum(term(v, x) for x, row in enumerate(((-1.0, 1.0), (1.0, 5.0))) for v in row) / 4
    assert float(inf.mutual_information(y)) == pytest.approx(expected, rel=1e-12)


def test_batched_over_models_and_chunked_alike():
    y = torch.stack([two_examples(1.0, 1.0), two_examples(2.0, 0.5)])
    assert inf.mutual_information(y).tolist() == pytest.approx([by_hand(1.0, 1.0), by_hand(2.0, 0.5)])
    gen = torch.Generator().manual_seed(0)
    big = (torch.randn(3, 50, 8, 2, generator=gen, dtype=torch.float64)
           + torch.randn(3, 50, 1, 2, generator=gen, dtype=torch.float64))
    whole = inf.mutual_information(big)
    old, inf.CHUNK = inf.CHUNK, 64  # rows handled a few at a time give the same sums
    try:
        assert torch.allclose(inf.mutual_information(big), whole, rtol=1e-12)
    finally:
        inf.CHUNK = old
    assert torch.allclose(whole[1], inf.mutual_information(big[1]), rtol=1e-12)


def gaussian_examples(separation, n=20, draws=50, d=1, seed=0):
    gen = torch.Generator().manual_seed(seed)
    means = separation * torch.arange(n, dtype=torch.float64).reshape(n, 1, 1).expand(n, 1, d)
    return means + torch.randn(n, draws, d, generator=gen, dtype=torch.float64)


def test_more_separated_examples_carry_more_information_up_to_log_n():
    values = [float(inf.mutual_information(gaussian_examples(sep))) for sep in (0.0, 0.3, 1.0, 3.0, 10.0)]
    assert all(a < b for a, b in zip(values, values[1:]))
    assert values[-1] == pytest.approx(math.log(20), abs=1e-3)  # no overlap: the index is known
    assert values[-1] <= inf.max_information(20) + 1e-9


def test_identical_examples_carry_no_information():
    same = torch.randn(1, 40, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    assert float(inf.mutual_information(same.expand(10, 40, 3))) == pytest.approx(0.0, abs=1e-12)
    # drawn from one distribution, only the sampling noise of the means tells them apart
    assert 0 <= float(inf.mutual_information(gaussian_examples(0.0, draws=400))) < 0.03


def test_more_dimensions_of_separation_add_information():
    one = gaussian_examples(0.5, d=1)
    two = gaussian_examples(0.5, d=2)
    assert float(inf.mutual_information(two)) > float(inf.mutual_information(one))


def test_a_constant_dimension_is_left_out():
    y = two_examples(1.0, 1.0)
    padded = torch.cat([y, torch.full_like(y, 5.0)], dim=-1)
    assert float(inf.mutual_information(padded)) == pytest.approx(by_hand(1.0, 1.0))


def test_logit_difference():
    z = torch.tensor([[[1.0, 4.0, -2.0]]])
    assert inf.logit_difference(z, (1, 2)).tolist() == [[[6.0]]]
    assert inf.logit_difference(z, (0, 1)).shape == (1, 1, 1)


def test_noisy_inputs_are_seeded_and_have_the_asked_spread():
    x = np.array([[0.0, 0.0], [0.5, -0.5], [1.0, 1.0]], dtype=np.float32)
    a = inf.noisy_inputs(x, inf.MAX_DRAWS, 0.05, seed=3)
    assert a.shape == (3, inf.MAX_DRAWS, 2)
    assert torch.equal(a, inf.noisy_inputs(x, inf.MAX_DRAWS, 0.05, seed=3))
    assert not torch.equal(a, inf.noisy_inputs(x, inf.MAX_DRAWS, 0.05, seed=4))
    assert torch.allclose(a.mean(1), torch.as_tensor(x), atol=0.01)
    assert float((a - torch.as_tensor(x).unsqueeze(1)).std()) == pytest.approx(0.05, rel=0.05)


def test_logits_under_noise_reshape_back_to_examples_and_draws():
    source = SimpleNamespace(predict=lambda p: SimpleNamespace(logits=torch.as_tensor(p).unsqueeze(0) * 2))
    x = np.array([[0.0, 0.0], [1.0, 0.0]])
    logits = inf.logits_under_noise(source, x, 4, 0.01, seed=0)
    assert logits.shape == (1, 2, 4, 2)
    assert torch.allclose(logits[0] / 2, inf.noisy_inputs(x, 4, 0.01, seed=0))


@pytest.mark.parametrize("call,name", [
    (lambda: inf.mutual_information(torch.zeros(1, 4, 1)), "samples"),  # one example
    (lambda: inf.mutual_information(torch.zeros(3, 1, 1)), "samples"),  # one draw
    (lambda: inf.mutual_information(torch.zeros(3, 4)), "samples"),
    (lambda: inf.mutual_information(torch.full((3, 4, 1), float("nan"))), "samples"),
    (lambda: inf.logit_difference(torch.zeros(2, 3), (0, 0)), "classes"),
    (lambda: inf.logit_difference(torch.zeros(2, 3), (0, 3)), r"classes\[1\]"),
    (lambda: inf.logit_difference(torch.zeros(2, 3), (0, 1, 2)), "classes"),
    (lambda: inf.noisy_inputs(np.zeros((5, 2)), 1, 0.05), "draws"),
    (lambda: inf.noisy_inputs(np.zeros((5, 2)), 8, 0.0), "sigma"),
    (lambda: inf.noisy_inputs(np.zeros((5, 2)), 8, 0.6), "sigma"),
    (lambda: inf.noisy_inputs(np.zeros((5, 3)), 8, 0.05), "x"),
    (lambda: inf.noisy_inputs(np.zeros((5, 2)), 8, 0.05, seed=-1), "seed"),
    (lambda: inf.noisy_inputs(np.zeros((20_000, 2)), 16, 0.05), "draws"),
])
def test_bad_arguments_are_named(call, name):
    with pytest.raises(ValueError, match=rf"^{name}="):
        call()


def test_smoothing_erases_information_on_every_seed():
    """MKH, Section 4: with eps = 0.1 the logit difference of two classes under input noise says
    less about which training example went in than without smoothing (blobs, K = 3)."""
    data = make_dataset("blobs", n=300, num_classes=3, seed=0)
    engine = Engine(data, [0.0, 0.1], TrainConfig(hidden_layers=2, units=32, device="cpu"), n_seeds=3)
    engine.train(1000, evaluate=False)
    two = data.x_train[data.y_train < 2]
    mi = inf.model_information(engine, two, (0, 1), draws=16, sigma=0.05, seed=0)
    assert mi.shape == (6,) and (mi > 0).all() and (mi < math.log(len(two))).all()
    assert mi[3:].max() < mi[:3].min()

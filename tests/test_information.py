"""MKH's Gaussian estimate of the information the logits keep about the example index
(Müller, Kornblith & Hinton 2019, Section 4), as published, and the pooled-draws variant."""
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from scipy import stats

from playground.core import information as inf
from playground.core.datasets import make_dataset
from playground.engine.engine import Engine, TrainConfig

pytestmark = pytest.mark.usefixtures("one_thread")  # as the server runs: one torch thread


def f64(rows):
    return torch.tensor(rows, dtype=torch.float64)


# --- the published estimator: one outer draw per example ---------------------------------------

def test_mkh_matches_the_formula_worked_by_hand():
    """Example 0's draws -1, 1 (mu 0), example 1's 2, 4 (mu 3); outer draws 0.5 and 2: residuals
    0.5 and -1, so sigma^2 = (0.25 + 1) / 2 = 0.625, and each term is
    -r^2/(2 sigma^2) - log((1/2) sum_x' exp(-(y - mu_x')^2/(2 sigma^2)))."""
    var, means = 0.625, (0.0, 3.0)

    def term(y, own):
        g = [-((y - m) ** 2) / (2 * var) for m in means]
        return g[own] - math.log(sum(math.exp(v) for v in g) / 2)

    expected = (term(0.5, 0) + term(2.0, 1)) / 2
    got = inf.mkh_information(f64([[-1.0, 1.0], [2.0, 4.0]]), f64([0.5, 2.0]))
    assert float(got) == pytest.approx(expected, rel=1e-12)
    # the variance comes from the outer draws alone, not from the draws that give the means
    wider = inf.mkh_information(f64([[-9.0, 9.0], [-6.0, 12.0]]), f64([0.5, 2.0]))
    assert float(wider) == pytest.approx(expected, rel=1e-12)


def test_the_outer_sum_uses_the_one_draw_per_example():
    """Moving one example's outer draw onto the other example's mean changes the estimate, so the
    outer draws (and only they) are the y_x of the formula."""
    draws = f64([[-1.0, 1.0], [2.0, 4.0]])
    near = float(inf.mkh_information(draws, f64([0.1, 2.9])))
    swapped = float(inf.mkh_information(draws, f64([2.9, 2.9])))
    assert near > math.log(2) - 0.05 and swapped < near - 0.3


def test_well_separated_means_give_log_n():
    n = 50
    gen = torch.Generator().manual_seed(0)
    mu = 1000.0 * torch.arange(n, dtype=torch.float64)
    draws = mu[:, None] + torch.randn(n, 16, generator=gen, dtype=torch.float64)
    outer = mu + torch.randn(n, generator=gen, dtype=torch.float64)
    assert float(inf.mkh_information(draws, outer)) == pytest.approx(math.log(n), abs=1e-9)
    assert inf.max_information(n) == pytest.approx(math.log(n))


def test_identical_means_give_zero():
    gen = torch.Generator().manual_seed(1)
    shared = torch.randn(1, 8, generator=gen, dtype=torch.float64).expand(30, 8)  # every mu_x alike
    outer = torch.randn(30, generator=gen, dtype=torch.float64)
    assert float(inf.mkh_information(shared, outer)) == pytest.approx(0.0, abs=1e-12)


def test_no_spread_shrinks_the_gaussians_to_points():
    """sigma^2 = 0 (every outer draw on its own mean): examples with distinct means are told apart
    exactly (log N); two examples sharing a mean are not (log N - log 2 for each of them)."""
    assert float(inf.mkh_information(f64([[0.0], [1.0], [2.0]]), f64([0.0, 1.0, 2.0]))) == pytest.approx(
        math.log(3))
    got = float(inf.mkh_information(f64([[0.0], [0.0], [2.0], [3.0]]), f64([0.0, 0.0, 2.0, 3.0])))
    assert got == pytest.approx(math.log(4) - 2 * math.log(2) / 4)


def gaussian_channel(replicas, n, draws, s, seed=0):
    """mu_x ~ N(0, s^2), each draw of Y = mu_x + N(0, 1) noise: [R, N, L] draws and [R, N] outer."""
    gen = torch.Generator().manual_seed(seed)
    mu = s * torch.randn(replicas, n, generator=gen, dtype=torch.float64)
    noisy = mu[..., None] + torch.randn(replicas, n, draws + 1, generator=gen, dtype=torch.float64)
    return noisy[..., :draws], noisy[..., draws]


@pytest.mark.parametrize("s", [0.5, 1.0, 2.0])
def test_a_gaussian_channel_gives_its_closed_form(s):
    """Y = mu_x + N(0, 1) with mu_x ~ N(0, s^2): for large N and L, I(X; Y) -> (1/2) log(1 + s^2).
    Monte Carlo: one estimate at N = 2,000 has a spread (sd) of 0.010-0.021 nats over 60 seeds at
    these s, so the mean of 8 replicas has sd <= 0.0075; tolerance 0.03 nats (4 sd). L = 256 leaves
    a bias below 0.002 (the finite-L test below)."""
    draws, outer = gaussian_channel(8, 2000, 256, s)
    got = float(inf.mkh_information(draws, outer).mean())
    assert got == pytest.approx(0.5 * math.log1p(s * s), abs=0.03)


def finite_l(s, draws):
    """The large-N limit at finite L (noise variance 1): mu_x estimated from L draws is off by
    N(0, 1/L), so sigma^2 fits 1 + 1/L, the mixture of the estimated Gaussians has variance
    s^2 + 1/L + sigma^2, and the outer draws' own variance is s^2 + 1."""
    var = 1 + 1 / draws
    mixture = s * s + 1 / draws + var
    return -0.5 + 0.5 * math.log(mixture / var) + (s * s + 1) / (2 * mixture)


def test_few_draws_per_mean_bias_the_estimate_as_computed():
    """With L = 4 the estimate sits well below the closed form (0.69 against 0.80 at s = 2), where
    the finite-L limit puts it; same Monte Carlo tolerance as above."""
    draws, outer = gaussian_channel(8, 2000, 4, 2.0, seed=1)
    got = float(inf.mkh_information(draws, outer).mean())
    assert got == pytest.approx(finite_l(2.0, 4), abs=0.03)
    assert 0.5 * math.log1p(4.0) - got > 0.07


def test_mkh_batched_over_models_and_chunked_alike():
    draws, outer = gaussian_channel(3, 60, 5, 1.0, seed=2)
    whole = inf.mkh_information(draws, outer)
    assert whole.shape == (3,)
    old, inf.CHUNK = inf.CHUNK, 64  # rows handled a few at a time give the same sums
    try:
        assert torch.allclose(inf.mkh_information(draws, outer), whole, rtol=1e-12)
    finally:
        inf.CHUNK = old
    assert float(whole[1]) == pytest.approx(float(inf.mkh_information(draws[1], outer[1])), rel=1e-12)


# --- the pooled-draws variant ------------------------------------------------------------------

def two_examples(a, s):
    """Example 0 drawn at -a - s and -a + s, example 1 at a - s and a + s: means -a and a,
    pooled variance s^2."""
    return torch.tensor([[-a - s, -a + s], [a - s, a + s]], dtype=torch.float64).unsqueeze(-1)


def by_hand(a, s):
    """Each draw y = mu_x + d, d = +-s, adds log 2 - log(1 + exp(-2a(a - d)/s^2)) (the other
    example's Gaussian over its own at y); both examples alike by symmetry."""
    return sum(math.log(2) - math.log1p(math.exp(-2 * a * (a - d) / s**2)) for d in (s, -s)) / 2


@pytest.mark.parametrize("a,s", [(1.0, 1.0), (0.5, 1.0), (2.0, 0.5), (0.1, 2.0)])
def test_pooled_two_examples_match_the_hand_computed_value(a, s):
    assert float(inf.pooled_draws_information(two_examples(a, s))) == pytest.approx(by_hand(a, s), rel=1e-12)


def test_pooled_variance_is_pooled_over_examples_and_draws():
    """Example 0 at -1 and 1 (mean 0), example 1 at 1 and 5 (mean 3): one shared variance
    (1 + 1 + 4 + 4) / 4 = 2.5, and all four draws in the outer sum."""
    y = torch.tensor([[-1.0, 1.0], [1.0, 5.0]], dtype=torch.float64).unsqueeze(-1)
    means, var = (0.0, 3.0), 2.5

    def term(v, own):
        g = [-((v - m) ** 2) / (2 * var) for m in means]
        return g[own] - math.log(sum(math.exp(x) for x in g) / 2)

    expected = sum(term(v, x) for x, row in enumerate(((-1.0, 1.0), (1.0, 5.0))) for v in row) / 4
    assert float(inf.pooled_draws_information(y)) == pytest.approx(expected, rel=1e-12)


def test_the_pooled_variant_is_a_different_number():
    """Same draws: the published estimate (the first L - 1 draws for the means, the last as the
    outer draw) and the pooled one (all draws, both roles) differ."""
    draws, outer = gaussian_channel(1, 40, 7, 1.0, seed=3)
    every = torch.cat([draws, outer[..., None]], -1)
    published = float(inf.mkh_information(every[..., :-1], every[..., -1]))
    pooled = float(inf.pooled_draws_information(every.unsqueeze(-1)))
    assert abs(published - pooled) > 0.01


def test_pooled_batched_over_models_and_chunked_alike():
    y = torch.stack([two_examples(1.0, 1.0), two_examples(2.0, 0.5)])
    assert inf.pooled_draws_information(y).tolist() == pytest.approx([by_hand(1.0, 1.0), by_hand(2.0, 0.5)])
    gen = torch.Generator().manual_seed(0)
    big = (torch.randn(3, 50, 8, 2, generator=gen, dtype=torch.float64)
           + torch.randn(3, 50, 1, 2, generator=gen, dtype=torch.float64))
    whole = inf.pooled_draws_information(big)
    old, inf.CHUNK = inf.CHUNK, 64
    try:
        assert torch.allclose(inf.pooled_draws_information(big), whole, rtol=1e-12)
    finally:
        inf.CHUNK = old
    assert torch.allclose(whole[1], inf.pooled_draws_information(big[1]), rtol=1e-12)


def test_pooled_a_constant_dimension_is_left_out():
    y = two_examples(1.0, 1.0)
    padded = torch.cat([y, torch.full_like(y, 5.0)], dim=-1)
    assert float(inf.pooled_draws_information(padded)) == pytest.approx(by_hand(1.0, 1.0))


# --- from a model ------------------------------------------------------------------------------

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


def test_model_information_takes_the_two_classes_examples_only():
    """A 'model' whose logits are (x1, x2, 0): the estimate over points of classes 0, 1 and 2 is
    the one over the class-0 and class-1 points alone, computed from the same noisy draws."""
    source = SimpleNamespace(predict=lambda p: SimpleNamespace(
        logits=torch.cat([torch.as_tensor(p), torch.zeros(len(p), 1)], -1).unsqueeze(0)))
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (30, 2))
    labels = np.arange(30) % 3
    got = inf.model_information(source, x, labels, (0, 1), draws=8, sigma=0.1, seed=5)
    two = x[labels < 2]
    assert len(inf.two_class_examples(x, labels)) == len(two) == 20
    noisy = inf.noisy_inputs(two, 9, 0.1, seed=5).double()
    y = noisy[..., 0] - noisy[..., 1]
    assert got.shape == (1,)
    assert float(got[0]) == pytest.approx(float(inf.mkh_information(y[:, :8], y[:, 8])), rel=1e-5)
    assert "N = 20 training examples of classes 0 and 1" in inf.describe(20)
    assert f"log N = {math.log(20):.2f} nats" in inf.describe(20)


@pytest.mark.parametrize("call,name", [
    (lambda: inf.mkh_information(torch.zeros(1, 4), torch.zeros(1)), "mean_draws"),  # one example
    (lambda: inf.mkh_information(torch.zeros(3, 0), torch.zeros(3)), "mean_draws"),  # no draws
    (lambda: inf.mkh_information(torch.zeros(3, 4), torch.zeros(4)), "outer"),
    (lambda: inf.mkh_information(torch.zeros(3, 4), torch.zeros(3, 1)), "outer"),
    (lambda: inf.mkh_information(torch.full((3, 4), float("nan")), torch.zeros(3)), "mean_draws"),
    (lambda: inf.mkh_information(torch.zeros(3, 4), torch.full((3,), float("inf"))), "outer"),
    (lambda: inf.pooled_draws_information(torch.zeros(1, 4, 1)), "samples"),  # one example
    (lambda: inf.pooled_draws_information(torch.zeros(3, 1, 1)), "samples"),  # one draw
    (lambda: inf.pooled_draws_information(torch.zeros(3, 4)), "samples"),
    (lambda: inf.pooled_draws_information(torch.full((3, 4, 1), float("nan"))), "samples"),
    (lambda: inf.logit_difference(torch.zeros(2, 3), (0, 0)), "classes"),
    (lambda: inf.logit_difference(torch.zeros(2, 3), (0, 3)), r"classes\[1\]"),
    (lambda: inf.logit_difference(torch.zeros(2, 3), (0, 1, 2)), "classes"),
    (lambda: inf.two_class_examples(np.zeros((4, 2)), np.array([0, 2, 2, 2])), "classes"),  # 1 point
    (lambda: inf.two_class_examples(np.zeros((4, 2)), np.array([0, 1, 1])), "labels"),
    (lambda: inf.model_information(None, np.zeros((4, 2)), np.zeros(4), draws=0), "draws"),
    (lambda: inf.noisy_inputs(np.zeros((5, 2)), 1, 0.05), "draws"),
    (lambda: inf.noisy_inputs(np.zeros((5, 2)), 8, 0.0), "sigma"),
    (lambda: inf.noisy_inputs(np.zeros((5, 2)), 8, 0.6), "sigma"),
    (lambda: inf.noisy_inputs(np.zeros(5), 8, 0.05), "x"),  # rows of any width, but rows
    (lambda: inf.noisy_inputs(np.zeros((5, 2)), 8, 0.05, seed=-1), "seed"),
    (lambda: inf.noisy_inputs(np.zeros((20_000, 2)), 16, 0.05), "draws"),
])
def test_bad_arguments_are_named(call, name):
    with pytest.raises(ValueError, match=rf"^{name}="):
        call()


def test_smoothing_erases_information_paired_over_data_and_training_seeds():
    """MKH, Section 4, the qualitative result: the published estimate falls from eps = 0 to
    eps = 0.3 (blobs, K = 3, 300 points, a 2x32 network, 1,000 steps; classes 0 and 1, 140
    training examples). Seeds 0-5 vary the data and the training together; eps 0 and 0.3 share
    each seed's data and initial weights. Measured: paired differences -0.91 to -0.08 nats
    (mean -0.48); on seeds 100-105 and 1000-1005 likewise, every one negative (means -0.42 and
    -0.54). Asserted: the 95% t interval of the mean paired difference lies below 0."""
    differences = []
    for seed in range(6):
        data = make_dataset("blobs", n=300, num_classes=3, seed=seed)
        engine = Engine(data, [0.0, 0.3], TrainConfig(hidden_layers=2, units=32, device="cpu", seed=seed),
                        n_seeds=1)
        engine.train(1000, evaluate=False)
        mi = inf.model_information(engine, data.x_train, data.y_train, seed=seed)
        n = len(inf.two_class_examples(data.x_train, data.y_train))
        assert mi.shape == (2,) and (mi > 0).all() and (mi < math.log(n)).all()
        differences.append(float(mi[1] - mi[0]))
    d = np.array(differences)
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
    assert d.mean() + half < 0, d.round(3).tolist()

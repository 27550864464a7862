import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from playground.datasets import make_dataset
from playground.engine import Engine, TrainConfig, resolve_device
from playground.smoothing import min_loss

EPS = [0.0, 0.1, 0.3]


@pytest.fixture(scope="module")
def moons():
    return make_dataset("moons", n=200, noise=0.2, seed=1)


def train_reference(module: nn.Module, data, config: TrainConfig, eps: float, steps: int,
                    convention: str = "uniform") -> nn.Module:
    """The same model trained the plain way: torch.optim and torch's own loss."""
    x, y = torch.as_tensor(data.x_train), torch.as_tensor(data.y_train)
    k = data.num_classes
    if config.optimizer == "adam":
        opt = torch.optim.Adam(module.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    else:
        opt = torch.optim.SGD(module.parameters(), lr=config.lr, momentum=config.momentum,
                              weight_decay=config.weight_decay)
    if convention == "uniform":
        loss_fn = nn.CrossEntropyLoss(label_smoothing=eps)
        target = lambda idx: y[idx]  # noqa: E731
    else:  # fairseq's convention: CE on soft targets built by hand
        loss_fn = nn.CrossEntropyLoss()
        soft = torch.full((len(y), k), eps / (k - 1))
        soft[torch.arange(len(y)), y] = 1 - eps
        target = lambda idx: soft[idx]  # noqa: E731
    order, batches = torch.Generator().manual_seed(config.seed), []
    for _ in range(steps):
        if config.batch_size == 0:
            idx = torch.arange(len(y))
        else:
            if not batches:
                batches = list(torch.randperm(len(y), generator=order).split(config.batch_size))[::-1]
            idx = batches.pop()
        opt.zero_grad()
        loss_fn(module(x[idx]), target(idx)).backward()
        opt.step()
    return module


def max_param_diff(a: nn.Module, b: nn.Module) -> float:
    return max(float((p - q).detach().abs().max()) for p, q in zip(a.parameters(), b.parameters()))


CASES = [
    # Adam normalises each gradient coordinate, so rounding in near-zero ReLU gradients can be
    # amplified to a visible step; smooth activations are compared with Adam, ReLU with SGD.
    TrainConfig(optimizer="adam", activation="tanh", lr=0.02, units=8),
    TrainConfig(optimizer="adam", activation="gelu", lr=0.02, units=8, batch_size=32, weight_decay=0.01),
    TrainConfig(optimizer="adam", activation="sigmoid", lr=0.02, units=8, hidden_layers=3, batch_size=50),
    TrainConfig(optimizer="sgd", activation="relu", lr=0.1, units=8, momentum=0.9, weight_decay=0.001),
    TrainConfig(optimizer="sgd", activation="linear", lr=0.1, units=4, batch_size=16, momentum=0.5),
    TrainConfig(optimizer="sgd", activation="tanh", lr=0.3, hidden_layers=0, momentum=0.0),
]


@pytest.mark.parametrize("config", CASES, ids=lambda c: f"{c.optimizer}-{c.activation}-bs{c.batch_size}")
@pytest.mark.parametrize("convention", ["uniform", "others"])
def test_each_model_equals_torch_optim_on_torch_loss(moons, config, convention):
    config = replace(config, convention=convention, device="cpu")
    engine = Engine(moons, EPS, config, n_seeds=2)
    starts = [engine.to_module(i) for i in range(engine.n_models)]
    engine.train(25)
    for i, start in enumerate(starts):
        ref = train_reference(start, moons, config, engine.model_eps[i], 25, convention)
        assert max_param_diff(ref, engine.to_module(i)) < 1e-5, f"model {i} (eps {engine.model_eps[i]})"


def test_models_sharing_a_seed_start_identical(moons):
    engine = Engine(moons, EPS, TrainConfig(device="cpu"), n_seeds=2)
    assert engine.n_models == 6 and engine.model_eps == [0.0, 0.0, 0.1, 0.1, 0.3, 0.3]
    a, b, c = engine.to_module(0), engine.to_module(2), engine.to_module(1)
    assert max_param_diff(a, b) == 0.0  # same seed, other eps
    assert max_param_diff(a, c) > 0.0  # other seed
    engine.train(10)
    assert max_param_diff(engine.to_module(0), engine.to_module(2)) > 0.0  # eps changes training


def test_predict_matches_exported_module(moons):
    engine = Engine(moons, EPS, TrainConfig(units=12, activation="gelu", device="cpu"))
    engine.train(20)
    pts = np.random.default_rng(0).uniform(-1, 1, size=(40, 2)).astype(np.float32)
    out = engine.predict(pts)
    assert out.logits.shape == (3, 40, 2) and out.penultimate.shape == (3, 40, 12)
    assert torch.allclose(out.probs.sum(-1), torch.ones(3, 40))
    for i in range(3):
        module = engine.to_module(i)
        assert torch.allclose(module(torch.as_tensor(pts)), out.logits[i], atol=1e-5)
        assert torch.allclose(module[:-1](torch.as_tensor(pts)), out.penultimate[i], atol=1e-5)


def test_history_and_learning(moons):
    engine = Engine(moons, [0.0, 0.2], TrainConfig(lr=0.03, device="cpu"))
    first = engine.evaluate()
    engine.train(150)
    engine.train(150)
    assert [rec["step"] for rec in engine.history] == [0, 150, 300]
    last = engine.history[-1]["models"]
    assert all(m["train_acc"] > 0.85 and m["test_acc"] > 0.8 for m in last)
    assert all(m["train_nll"] < f["train_nll"] for m, f in zip(last, first["models"]))
    assert all(len(rec["models"]) == 2 for rec in engine.history)
    assert {"model", "eps", "test_ece", "train_ece", "diverged"} <= set(last[0])
    # the smoothed loss cannot go below its minimum H(q)
    assert last[1]["train_loss"] > min_loss(2, 0.2) > last[0]["train_loss"]


def test_divergence_freezes_only_the_broken_model(moons):
    engine = Engine(moons, EPS, TrainConfig(device="cpu"))
    engine.train(5)
    with torch.no_grad():
        engine.weights[-1][1].fill_(math.inf)  # break model 1 only
    frozen = [p.clone() for p in engine.to_module(1).parameters()]
    before = [engine.to_module(i) for i in (0, 2)]
    record = engine.train(10)
    assert engine.diverged == [1]
    assert [m["diverged"] for m in record["models"]] == [False, True, False]
    after = list(engine.to_module(1).parameters())
    assert all(torch.equal(a, b) for a, b in zip(frozen, after))
    for i, b in zip((0, 2), before):
        assert max_param_diff(b, engine.to_module(i)) > 0  # the others go on
        assert all(torch.isfinite(p).all() for p in engine.to_module(i).parameters())


def test_real_divergence_is_reported_not_raised(moons):
    engine = Engine(moons, [0.0, 0.1], TrainConfig(optimizer="sgd", lr=10.0, device="cpu"))
    record = engine.train(200)
    assert engine.diverged == [0, 1] and all(m["diverged"] for m in record["models"])
    linear = Engine(moons, [0.0], TrainConfig(optimizer="sgd", lr=10.0, activation="linear", device="cpu"))
    linear.train(200)
    assert linear.diverged == [0]  # this one really reaches NaN
    assert engine.predict(np.zeros((3, 2))).logits.shape == (2, 3, 2)


def test_set_eps_and_hyperparameters_mid_run(moons):
    engine = Engine(moons, [0.0, 0.0], TrainConfig(device="cpu"))
    engine.train(5)
    engine.set_eps([0.0, 0.4])
    engine.set_hyperparameters(lr=0.05, weight_decay=0.001)
    engine.train(5)
    assert engine.model_eps == [0.0, 0.4] and engine.config.lr == 0.05
    assert max_param_diff(engine.to_module(0), engine.to_module(1)) > 0


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="^device='cuda'.*no CUDA device"):
            resolve_device("cuda")


@pytest.mark.parametrize("kwargs,name", [
    ({"hidden_layers": 7}, "hidden_layers"), ({"units": 0}, "units"), ({"units": 257}, "units"),
    ({"activation": "swish"}, "activation"), ({"optimizer": "rmsprop"}, "optimizer"),
    ({"lr": 0}, "lr"), ({"lr": float("nan")}, "lr"), ({"weight_decay": -1}, "weight_decay"),
    ({"momentum": 1.0}, "momentum"), ({"batch_size": -1}, "batch_size"),
    ({"convention": "x"}, "convention"), ({"device": "tpu"}, "device"),
])
def test_bad_config_rejected(moons, kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name}="):
        Engine(moons, [0.1], TrainConfig(**kwargs))


def test_bad_eps_and_seeds_rejected(moons):
    with pytest.raises(ValueError, match=r"^eps\[1\]="):
        Engine(moons, [0.1, 1.2])
    with pytest.raises(ValueError, match="^eps="):
        Engine(moons, [])
    with pytest.raises(ValueError, match="^n_seeds="):
        Engine(moons, [0.1], n_seeds=0)
    engine = Engine(moons, [0.1], TrainConfig(device="cpu"))
    with pytest.raises(ValueError, match="^n_steps="):
        engine.train(-1)
    with pytest.raises(ValueError, match="^points="):
        engine.predict(np.zeros((3, 3)))


def test_history_is_thinned_past_its_cap(moons, monkeypatch):
    from playground import engine as engine_module
    monkeypatch.setattr(engine_module, "HISTORY_CAP", 10)
    engine = Engine(moons, [0.1], TrainConfig(device="cpu"))
    for _ in range(25):
        engine.train(1)
    steps = [rec["step"] for rec in engine.history]
    assert len(steps) <= 11 and steps[0] == 1 and steps[-1] == 25 and steps == sorted(steps)

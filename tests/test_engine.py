import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from playground.core import objectives
from playground.core.datasets import DatasetSpec, make_dataset
from playground.core.smoothing import min_loss
from playground.engine.engine import Engine, TrainConfig, resolve_device
from playground.engine.recorder import Evaluation, ModelEvaluation

EPS = [0.0, 0.1, 0.3]


@pytest.fixture(scope="module")
def moons():
    return make_dataset("moons", n=200, noise=0.2, seed=1)


def reference_batches(n: int, config: TrainConfig, steps: int):
    """The engine's mini-batch order, written plainly: the full batch, or consecutive slices of
    one seeded permutation per epoch."""
    order, batches = torch.Generator().manual_seed(config.seed), []
    for _ in range(steps):
        if config.batch_size == 0:
            yield torch.arange(n)
            continue
        if not batches:
            batches = list(torch.randperm(n, generator=order).split(config.batch_size))[::-1]
        yield batches.pop()


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
    for idx in reference_batches(len(y), config, steps):
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
    assert [rec.step for rec in engine.history] == [0, 150, 300]
    last = engine.history[-1].models
    assert all(m.train_acc > 0.85 and m.test_acc > 0.8 for m in last)
    assert all(m.train_nll < f.train_nll for m, f in zip(last, first.models))
    assert all(len(rec.models) == 2 for rec in engine.history)
    assert [m.eps for m in last] == [0.0, 0.2] and not any(m.diverged for m in last)
    # the smoothed loss cannot go below its minimum H(q)
    assert last[1].train_loss > min_loss(2, 0.2) > last[0].train_loss


def test_divergence_freezes_only_the_broken_model(moons):
    engine = Engine(moons, EPS, TrainConfig(device="cpu"))
    engine.train(5)
    with torch.no_grad():
        engine.weights[-1][1].fill_(math.inf)  # break model 1 only
    frozen = [p.clone() for p in engine.to_module(1).parameters()]
    before = [engine.to_module(i) for i in (0, 2)]
    record = engine.train(10)
    assert engine.diverged == [1]
    assert [m.diverged for m in record.models] == [False, True, False]
    after = list(engine.to_module(1).parameters())
    assert all(torch.equal(a, b) for a, b in zip(frozen, after))
    for i, b in zip((0, 2), before):
        assert max_param_diff(b, engine.to_module(i)) > 0  # the others go on
        assert all(torch.isfinite(p).all() for p in engine.to_module(i).parameters())


def test_real_divergence_is_reported_not_raised(moons):
    engine = Engine(moons, [0.0, 0.1], TrainConfig(optimizer="sgd", lr=10.0, device="cpu"))
    record = engine.train(200)
    assert engine.diverged == [0, 1] and all(m.diverged for m in record.models)
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
    from playground.engine import recorder
    monkeypatch.setattr(recorder, "HISTORY_CAP", 10)
    engine = Engine(moons, [0.1], TrainConfig(device="cpu"))
    for _ in range(25):
        engine.train(1)
    steps = [rec.step for rec in engine.history]
    assert len(steps) <= 11 and steps[0] == 1 and steps[-1] == 25 and steps == sorted(steps)


# ---- objectives, distillation and dropout ---------------------------------------------------
ACTIVATION_MODULES = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}


def train_on_reference_loss(module: nn.Module, data, config: TrainConfig, kind: str, value: float,
                            steps: int, masks=None, soft=None, temperature: float = 1.0,
                            alpha: float = 0.5) -> nn.Module:
    """torch.optim on objectives.reference_loss (or its distillation form), with the given dropout
    masks (masks[step][layer]: [B, units] scales) in place of nn.Dropout's own."""
    x, y = torch.as_tensor(data.x_train), torch.as_tensor(data.y_train)
    if config.optimizer == "adam":
        opt = torch.optim.Adam(module.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    else:
        opt = torch.optim.SGD(module.parameters(), lr=config.lr, momentum=config.momentum,
                              weight_decay=config.weight_decay)
    linears = [m for m in module if isinstance(m, nn.Linear)]
    act = ACTIVATION_MODULES.get(config.activation, nn.Identity)()

    def forward(xb, step):
        h = xb
        for layer, lin in enumerate(linears):
            h = lin(h)
            if layer < len(linears) - 1:
                h = act(h)
                if masks is not None:
                    h = h * masks[step][layer]
        return h

    for step, idx in enumerate(reference_batches(len(y), config, steps)):
        opt.zero_grad()
        logits = forward(x[idx], step)
        if soft is None:
            loss = objectives.reference_loss(kind, logits, y[idx], value, config.convention)
        else:
            loss = objectives.reference_distillation_loss(kind, logits, y[idx], value, soft[idx], temperature,
                                                          alpha, config.convention)
        loss.backward()
        opt.step()
    return module


def check_against_reference(engine, data, config, steps, **kwargs):
    starts = [engine.to_module(i) for i in range(engine.n_models)]
    engine.train(steps)
    for i, start in enumerate(starts):
        kind, value = engine.model_objectives[i]
        soft = None if engine.soft_targets is None else engine.soft_targets[i].cpu()
        ref = train_on_reference_loss(start, data, config, kind, value, steps, soft=soft, **kwargs)
        assert max_param_diff(ref, engine.to_module(i)) < 1e-5, f"model {i} ({kind} {value})"


OBJECTIVE_CONFIGS = [
    TrainConfig(optimizer="adam", activation="tanh", lr=0.02, units=8, weight_decay=0.01),
    TrainConfig(optimizer="adam", activation="gelu", lr=0.02, units=8, batch_size=32, weight_decay=0.01),
    TrainConfig(optimizer="sgd", activation="relu", lr=0.1, units=8, momentum=0.9, weight_decay=0.001),
    TrainConfig(optimizer="sgd", activation="tanh", lr=0.2, units=6, batch_size=50, momentum=0.5,
                weight_decay=0.01, convention="others"),
]
KIND_SLOTS = {
    "smoothing": [("smoothing", -0.3), ("smoothing", 0.0), ("smoothing", 0.2)],
    "confidence_penalty": [("confidence_penalty", b) for b in (0.0, 0.5, 2.0)],
    "focal": [("focal", 0.0), ("focal", 0.5), ("focal", 2.0)],
    "mixed": [("focal", 2.0), ("smoothing", 0.1), ("smoothing", -0.2), ("confidence_penalty", 0.3),
              ("focal", 0.5)],
}


@pytest.mark.parametrize("config", OBJECTIVE_CONFIGS,
                         ids=lambda c: f"{c.optimizer}-{c.activation}-bs{c.batch_size}")
@pytest.mark.parametrize("slots", list(KIND_SLOTS), ids=str)
def test_every_objective_equals_torch_optim_on_reference_loss(moons, config, slots):
    config = replace(config, device="cpu")
    engine = Engine(moons, objectives=KIND_SLOTS[slots], config=config, n_seeds=2)
    assert engine.model_objectives == [pair for pair in KIND_SLOTS[slots] for _ in range(2)]
    check_against_reference(engine, moons, config, 25)


def teacher_probs(data, temperature: float, n_models: int) -> torch.Tensor:
    """Soft targets from a small trained teacher: softmax(z_teacher / T) per model seed."""
    teacher = Engine(data, [0.0] * n_models, TrainConfig(units=8, lr=0.05, device="cpu"))
    teacher.train(30, evaluate=False)
    return torch.softmax(teacher.predict(data.x_train).logits / temperature, -1)


@pytest.mark.parametrize("optimizer,batch_size", [("adam", 0), ("sgd", 40)])
def test_distillation_equals_torch_optim_on_reference(moons, optimizer, batch_size):
    config = TrainConfig(optimizer=optimizer, activation="tanh", lr=0.05, units=8, batch_size=batch_size,
                         weight_decay=0.001, device="cpu")
    engine = Engine(moons, objectives=[("smoothing", 0.0), ("smoothing", 0.2), ("focal", 1.0)], config=config)
    temperature, alpha = 4.0, 0.7
    engine.set_soft_targets(teacher_probs(moons, temperature, 3), temperature=temperature, alpha=alpha)
    check_against_reference(engine, moons, config, 20, temperature=temperature, alpha=alpha)
    assert engine.diverged == []  # T^2 = 16 scales the loss, not the divergence test


def test_distillation_at_a_temperature_per_model_equals_each_models_reference(moons):
    config = TrainConfig(optimizer="adam", activation="tanh", lr=0.02, units=8, device="cpu")
    engine = Engine(moons, [0.0, 0.0, 0.1], config)
    temperatures = [1.0, 4.0, 2.0]
    q = torch.stack([teacher_probs(moons, t, 1)[0] for t in temperatures])
    engine.set_soft_targets(q, temperature=temperatures, alpha=0.8)
    starts = [engine.to_module(i) for i in range(3)]
    engine.train(20)
    for i, (start, t) in enumerate(zip(starts, temperatures)):
        kind, value = engine.model_objectives[i]
        ref = train_on_reference_loss(start, moons, config, kind, value, 20, soft=q[i], temperature=t,
                                      alpha=0.8)
        assert max_param_diff(ref, engine.to_module(i)) < 1e-5, f"model {i} at T={t}"
    with pytest.raises(ValueError, match="one per model"):
        engine.set_soft_targets(q, temperature=[1.0, 2.0], alpha=0.8)


def test_distillation_settings_mid_run_and_off(moons):
    """SGD without momentum carries no state across steps, so each phase can be checked alone."""
    config = TrainConfig(optimizer="sgd", momentum=0.0, units=8, lr=0.2, device="cpu")
    engine = Engine(moons, [0.0, 0.1], config)
    q = teacher_probs(moons, 2.0, 1)[0]  # one teacher for every model
    for temperature, alpha in [(2.0, 1.0), (2.0, 0.5), (None, None)]:
        if temperature is None:
            engine.set_soft_targets(None)
            assert engine.soft_targets is None
        else:  # the second phase changes alpha in place
            engine.set_soft_targets(q, temperature=temperature, alpha=alpha)
            assert engine.soft_targets.shape == (2, engine.n_train, 2)
        starts = [engine.to_module(i) for i in range(2)]
        record = engine.train(5)
        for i in range(2):
            soft = None if temperature is None else q
            ref = train_on_reference_loss(starts[i], moons, config, "smoothing", engine.model_eps[i], 5,
                                          soft=soft, temperature=temperature, alpha=alpha)
            assert max_param_diff(ref, engine.to_module(i)) < 1e-5, (temperature, alpha, i)
        assert not any(m.diverged for m in record.models)


def test_training_loss_includes_distillation(moons):
    engine = Engine(moons, objectives=[("confidence_penalty", 0.5)], config=TrainConfig(device="cpu"))
    engine.train(5, evaluate=False)
    q = teacher_probs(moons, 3.0, 1)
    engine.set_soft_targets(q, temperature=3.0, alpha=0.25)
    with torch.no_grad():
        logits = engine.to_module(0)(torch.as_tensor(moons.x_train))
    y = torch.as_tensor(moons.y_train)
    expected = objectives.reference_distillation_loss("confidence_penalty", logits, y, 0.5, q[0], 3.0, 0.25)
    assert engine.evaluation().models[0].train_loss == pytest.approx(expected.item(), rel=1e-5)


@pytest.mark.parametrize("config", [
    TrainConfig(optimizer="adam", activation="tanh", lr=0.02, units=8, dropout=0.3, weight_decay=0.01),
    TrainConfig(optimizer="sgd", activation="relu", lr=0.1, units=8, hidden_layers=3, dropout=0.5,
                batch_size=32, weight_decay=0.001),
], ids=["adam-tanh", "sgd-relu-bs32"])
def test_dropout_equals_a_fixed_mask_reference(moons, config):
    config = replace(config, device="cpu")
    engine = Engine(moons, objectives=[("smoothing", 0.1), ("focal", 2.0)], config=config, n_seeds=2)
    starts = [engine.to_module(i) for i in range(engine.n_models)]
    assert any(isinstance(m, nn.Dropout) for m in starts[0])
    masks = []
    for _ in range(15):
        engine.train(1, evaluate=False)
        masks.append(engine.last_dropout_scales)
    keep = 1 / (1 - config.dropout)
    first = masks[0][0]
    assert first.unique().tolist() == [0.0, pytest.approx(keep)]
    assert float((first == 0).float().mean()) == pytest.approx(config.dropout, abs=0.05)
    assert not torch.equal(masks[0][0], masks[1][0])  # fresh every step
    assert not torch.equal(first[0], first[1])  # and per model
    for i, start in enumerate(starts):
        kind, value = engine.model_objectives[i]
        ref = train_on_reference_loss(start, moons, config, kind, value, 15,
                                      masks=[[m[i] for m in step] for step in masks])
        assert max_param_diff(ref, engine.to_module(i)) < 1e-5, f"model {i}"
    # evaluation and prediction use no dropout
    out = engine.predict(moons.x_test)
    assert torch.equal(out.logits, engine.predict(moons.x_test).logits)
    module = engine.to_module(1).eval()
    assert torch.allclose(module(torch.as_tensor(moons.x_test)), out.logits[1], atol=1e-5)


def test_dropout_is_reproducible_from_the_seed(moons):
    config = TrainConfig(units=8, dropout=0.2, device="cpu", seed=3)
    a, b = Engine(moons, [0.1], config), Engine(moons, [0.1], config)
    a.train(10)
    b.train(10)
    assert max_param_diff(a.to_module(0), b.to_module(0)) == 0.0


def test_negative_smoothing_falls_below_zero_without_diverging(moons):
    engine = Engine(moons, objectives=[("smoothing", -0.5), ("smoothing", 0.0)],
                    config=TrainConfig(lr=0.05, device="cpu"))
    record = engine.train(400)
    loss = [m.train_loss for m in record.models]
    assert loss[0] < 0 < loss[1]  # unbounded below: the gap keeps growing
    assert engine.diverged == [] and record.models[0].eps == -0.5
    with torch.no_grad():
        engine.weights[-1][0].fill_(-math.inf)  # inf logits: the loss is NaN or -inf
    engine.train(1)
    assert engine.diverged == [0]


def test_set_objective_values_mid_run(moons):
    config = TrainConfig(optimizer="sgd", momentum=0.0, lr=0.2, units=8, device="cpu")
    engine = Engine(moons, objectives=[("focal", 0.0), ("confidence_penalty", 0.0)], config=config)
    engine.train(5)
    engine.set_objective_values([2.0, 1.5])
    assert engine.model_objectives == [("focal", 2.0), ("confidence_penalty", 1.5)]
    assert engine.model_eps == [None, None]
    with pytest.raises(ValueError, match=r"^values\[1\]=11"):
        engine.set_objective_values([1.0, 11])
    with pytest.raises(ValueError, match="^eps=.*every model to use label smoothing"):
        engine.set_eps([0.1, 0.1])
    check_against_reference(engine, moons, config, 5)  # the new values apply from the next step


def test_train_returns_the_typed_record_it_keeps(moons):
    engine = Engine(moons, objectives=[("smoothing", 0.1), ("focal", 1.0)], config=TrainConfig(device="cpu"))
    typed = engine.train(3)
    assert isinstance(typed, Evaluation) and isinstance(typed.models[0], ModelEvaluation)
    assert typed is engine.history[-1] and typed.step == 3
    focal = typed.models[1]
    assert focal.objective == "focal" and focal.value == 1.0 and focal.eps is None
    assert typed.models[0].eps == 0.1 and typed.models[0].objective == "smoothing"
    assert engine.evaluation().step == 3 and len(engine.history) == 2


def test_bad_objectives_and_distillation_rejected(moons):
    with pytest.raises(ValueError, match=r"^objectives\[1\]\.gamma=-1"):
        Engine(moons, objectives=[("smoothing", 0.1), ("focal", -1)])
    with pytest.raises(ValueError, match=r"^objectives="):
        Engine(moons)
    with pytest.raises(ValueError, match=r"^objectives=.*exactly one of"):
        Engine(moons, [0.1], objectives=[("focal", 1.0)])
    with pytest.raises(ValueError, match=r"^eps\[0\]=-1.5"):
        Engine(moons, [-1.5])
    with pytest.raises(ValueError, match=r"^dropout="):
        Engine(moons, [0.1], TrainConfig(dropout=0.95))
    engine = Engine(moons, [0.1, 0.2], TrainConfig(device="cpu"))
    n = engine.n_train
    with pytest.raises(ValueError, match=r"^soft targets=.*must have shape \[2, "):
        engine.set_soft_targets(torch.full((3, n, 2), 0.5))
    with pytest.raises(ValueError, match=r"^soft targets=.*sum to 1"):
        engine.set_soft_targets(torch.full((n, 2), 0.6))
    with pytest.raises(ValueError, match=r"^soft targets=.*probability"):
        engine.set_soft_targets(torch.tensor([[1.5, -0.5]] * n))
    with pytest.raises(ValueError, match=r"^temperature=0"):
        engine.set_soft_targets(torch.full((n, 2), 0.5), temperature=0)
    with pytest.raises(ValueError, match=r"^alpha=2"):
        engine.set_soft_targets(torch.full((n, 2), 0.5), alpha=2)
    assert engine.soft_targets is None


# ---- CUDA: the same under captured graphs (skipped without a GPU) ---------------------------
cuda_only = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")


@cuda_only
@pytest.mark.cuda
@pytest.mark.parametrize("batch_size", [0, 48])
def test_cuda_graphs_with_mixed_objectives_and_distillation(moons, batch_size):
    base = dict(units=16, activation="tanh", lr=0.02, batch_size=batch_size, weight_decay=0.001)
    slots = KIND_SLOTS["mixed"]
    gpu = Engine(moons, objectives=slots, config=TrainConfig(**base, device="cuda"), n_seeds=2)
    cpu = Engine(moons, objectives=slots, config=TrainConfig(**base, device="cpu"), n_seeds=2)
    for engine in (gpu, cpu):
        engine.train(10, evaluate=False)
    q = teacher_probs(moons, 2.0, gpu.n_models)
    for engine in (gpu, cpu):
        engine.set_soft_targets(q, temperature=2.0, alpha=0.5)
        engine.train(20)
        engine.set_objective_values([v * 0.5 for _, v in engine.model_objectives])
        engine.train(10)
    assert gpu.use_cuda_graphs and gpu._graphs and gpu.graph_error is None
    for i in range(gpu.n_models):
        for a, b in zip(gpu.to_module(i).parameters(), cpu.to_module(i).parameters()):
            assert torch.allclose(a, b, atol=2e-4), f"model {i}"


@cuda_only
@pytest.mark.cuda
def test_cuda_graph_dropout_draws_fresh_masks_and_matches_reference(moons):
    config = TrainConfig(units=8, activation="tanh", lr=0.02, dropout=0.3, device="cuda")
    engine = Engine(moons, objectives=[("smoothing", 0.1), ("focal", 2.0)], config=config)
    starts = [engine.to_module(i) for i in range(engine.n_models)]
    masks = []
    for _ in range(12):  # warm-up steps, the capture, then replays
        engine.train(1, evaluate=False)
        masks.append([m.cpu() for m in engine.last_dropout_scales])
    assert engine._graphs and engine.graph_error is None
    assert all(not torch.equal(a[0], b[0]) for a, b in zip(masks, masks[1:]))  # replays draw anew
    cpu_config = replace(config, device="cpu")
    for i, start in enumerate(starts):
        kind, value = engine.model_objectives[i]
        ref = train_on_reference_loss(start, moons, cpu_config, kind, value, 12,
                                      masks=[[m[i] for m in step] for step in masks])
        assert max_param_diff(ref, engine.to_module(i)) < 2e-4, f"model {i}"


# ---- one data set per seed: paired runs that vary the data seed, in one engine ---------------------

PER_SEED_OBJECTIVES = [("smoothing", 0.0), ("smoothing", 0.2), ("focal", 2.0), ("confidence_penalty", 0.5)]


def test_one_data_set_per_seed_trains_each_model_as_its_own_engine_would():
    """Model (slot, j) of a stacked engine on data seed 10 + j matches a one-seed engine on that data
    with training seed 10 + j (full batch, no dropout: nothing else is shared between models)."""
    seeds = (10, 11, 12)
    sets = [make_dataset("moons", n=120, noise=0.3, seed=s) for s in seeds]
    config = TrainConfig(hidden_layers=2, units=8, lr=0.05, seed=seeds[0])
    stacked = Engine(sets, config=config, n_seeds=len(seeds), objectives=PER_SEED_OBJECTIVES)
    stacked.train(60)
    got = stacked.history[-1].models
    for j, (s, d) in enumerate(zip(seeds, sets)):
        alone = Engine(d, config=replace(config, seed=s), objectives=PER_SEED_OBJECTIVES)
        alone.train(60)
        for slot, want in enumerate(alone.history[-1].models):
            model = got[slot * len(seeds) + j]
            assert model.seed == want.seed == s
            for metric in ("train_loss", "train_nll", "test_nll", "test_acc", "test_ece"):
                assert getattr(model, metric) == pytest.approx(getattr(want, metric), rel=1e-4, abs=1e-6), \
                    (slot, s, metric)
    # the data really differ per seed: otherwise the check above would pass on shared data too
    assert got[0].test_nll != pytest.approx(got[1].test_nll, rel=1e-3)


@pytest.mark.parametrize("name", ["blobs", "wine"])  # wine: 13 inputs, gathered per seed's batch
def test_one_data_set_per_seed_gives_each_seed_its_own_batches_and_dropout_masks(name):
    """With mini-batches and dropout too, seed index j draws its batch order and its masks as a
    one-seed engine of seed 10 + j would, so stacking changes no model's run."""
    seeds = (10, 11, 12)
    sets = [DatasetSpec(name, n=90, noise=0.3, num_classes=3 if name == "blobs" else None, seed=s).build()
            for s in seeds]
    config = TrainConfig(units=8, batch_size=16, dropout=0.2, seed=seeds[0])
    stacked = Engine(sets, eps=[0.0, 0.1], config=config, n_seeds=len(seeds))
    stacked.train(100, evaluate=False)
    views = [stacked.seed_view(j) for j in range(len(seeds))]
    for j, (s, d) in enumerate(zip(seeds, sets)):
        alone = Engine(d, eps=[0.0, 0.1], config=replace(config, seed=s))
        alone.train(100, evaluate=False)
        assert views[j].model_seed == alone.model_seed == [s, s] and views[j].model_eps == [0.0, 0.1]
        torch.testing.assert_close(views[j].predict(d.x_test).logits, alone.predict(d.x_test).logits,
                                   rtol=1e-4, atol=1e-5)
    # the seeds' streams differ: the same rows and masks for every seed would give equal models here
    shared = Engine([sets[0]] * 3, eps=[0.0, 0.1], config=config, n_seeds=3)
    shared.train(100, evaluate=False)
    first, second = (shared.seed_view(j).predict(sets[0].x_test).logits for j in (0, 1))
    assert (first - second).abs().max() > 1e-3


def test_a_seed_view_renumbers_its_models_and_their_divergence():
    sets = [make_dataset("moons", n=60, seed=s) for s in (0, 1)]
    engine = Engine(sets, eps=[0.0, 0.1, 0.2], config=TrainConfig(units=4), n_seeds=2)
    engine.objective.diverged[3] = True  # model 3 = slot 1, seed index 1
    view = engine.seed_view(1)
    assert view.models == [1, 3, 5] and view.diverged == [1] and engine.seed_view(0).diverged == []
    assert view.weights[0].shape[0] == 3 and view.predict(sets[1].x_test).logits.shape[0] == 3
    with pytest.raises(ValueError, match="seed index"):
        engine.seed_view(2)


@pytest.mark.parametrize("bad", ["count", "shape"])
def test_one_data_set_per_seed_must_match_the_seeds(bad):
    second = make_dataset("moons", n=100 if bad == "count" else 140, seed=1)
    sets = [make_dataset("moons", n=100, seed=0), second]
    with pytest.raises(ValueError, match="data"):
        Engine(sets, eps=[0.0], n_seeds=3 if bad == "count" else 2)


@pytest.mark.parametrize("name", ["wine", "digits"])
@pytest.mark.parametrize("config", [CASES[1], CASES[3]], ids=["adam-gelu-bs32", "sgd-relu"])
def test_many_inputs_and_classes_equal_torch_optim_on_torch_loss(name, config):
    """A table's 13 or 64 inputs and 3 or 10 classes train as nn.Linear layers would, every model."""
    data = DatasetSpec(name=name, seed=2).build()
    config = replace(config, device="cpu")
    engine = Engine(data, EPS, config)
    assert engine.parameter_store.shapes[0] == (data.features, config.units)
    starts = [engine.to_module(i) for i in range(engine.n_models)]
    engine.train(15)
    for i, start in enumerate(starts):
        ref = train_reference(start, data, config, engine.model_eps[i], 15, "uniform")
        assert max_param_diff(ref, engine.to_module(i)) < 1e-5, f"model {i} (eps {engine.model_eps[i]})"
    with pytest.raises(ValueError, match=rf"points=.*must have shape \[M, {data.features}\]"):
        engine.predict(np.zeros((3, 2), dtype=np.float32))

"""The CUDA path, captured graphs included. Skipped where there is no CUDA device; where there is
one, a broken path fails here loudly."""
import pytest
import torch

from playground.core.datasets import make_dataset
from playground.engine.engine import Engine, TrainConfig
from playground.experiments import bench

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine"),
]


@pytest.fixture(scope="module")
def data():
    return make_dataset("spirals", n=600, num_classes=3, seed=2)


@pytest.mark.parametrize("batch_size", [0, 64])
@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_cuda_graph_training_matches_cpu(data, batch_size, optimizer):
    base = dict(units=32, activation="tanh", optimizer=optimizer, lr=0.02, batch_size=batch_size)
    gpu = Engine(data, [0.0, 0.1, 0.3], TrainConfig(**base, device="cuda"), n_seeds=2)
    cpu = Engine(data, [0.0, 0.1, 0.3], TrainConfig(**base, device="cpu"), n_seeds=2)
    assert gpu.device.type == "cuda" and gpu.use_cuda_graphs
    gpu.train(40)
    cpu.train(40)
    assert gpu.graph_error is None and gpu._graphs, "no CUDA graph was captured"
    for i in range(gpu.n_models):
        for a, b in zip(gpu.to_module(i).parameters(), cpu.to_module(i).parameters()):
            assert torch.allclose(a, b, atol=2e-4), f"model {i}"
    g, c = gpu.history[-1].models, cpu.history[-1].models
    assert [m.train_acc for m in g] == pytest.approx([m.train_acc for m in c], abs=0.01)


def test_cuda_divergence_and_mid_run_changes(data):
    engine = Engine(data, [0.0, 0.1], TrainConfig(optimizer="sgd", lr=10.0, device="cuda"))
    engine.train(100)
    assert engine.diverged == [0, 1]
    engine = Engine(data, [0.0, 0.0], TrainConfig(device="cuda"))
    engine.train(10)
    engine.set_eps([0.0, 0.3])
    engine.set_hyperparameters(lr=0.05)
    engine.train(10)  # replayed graphs must see the new eps and lr
    cpu = Engine(data, [0.0, 0.0], TrainConfig(device="cpu"))
    cpu.train(10, evaluate=False)
    cpu.set_eps([0.0, 0.3])
    cpu.set_hyperparameters(lr=0.05)
    cpu.train(10)
    for a, b in zip(engine.to_module(1).parameters(), cpu.to_module(1).parameters()):
        assert torch.allclose(a, b, atol=2e-4)


def test_cuda_benchmark_runs():
    """The benchmark runs on the GPU; how much faster the engine is there is its figure, printed
    (scripts/gpu_check.sh records it), not a test."""
    result = bench.run(models=11, steps=20, repeats=1, device="cuda")
    print(f"\nCUDA engine ÷ naive: {result['ratio']:.2f}")
    assert result["device"] == "cuda" and result["models"] == 11
    assert result["naive_model_steps_per_s"] > 0 and result["engine_model_steps_per_s"] > 0

import json

from playground.experiments import bench


def test_bench_json_reports_both_rates(capsys):
    bench.main(["--models", "3", "--steps", "4", "--repeats", "1", "--device", "cpu", "--json"])
    result = json.loads(capsys.readouterr().out)
    for key in ("device", "models", "naive_model_steps_per_s", "engine_model_steps_per_s", "ratio"):
        assert key in result
    assert result["device"] == "cpu" and result["models"] == 3 and result["points"] == 1000
    assert result["naive_model_steps_per_s"] > 0 and result["engine_model_steps_per_s"] > 0
    assert result["ratio"] == result["engine_model_steps_per_s"] / result["naive_model_steps_per_s"]


def test_bench_trains_the_same_models_both_ways():
    """The baseline and the engine start from the same weights, so they do the same work."""
    import torch

    from playground.engine.engine import Engine, TrainConfig
    data = bench.benchmark_data()
    config = TrainConfig(hidden_layers=2, units=64, activation="tanh", lr=1e-2, device="cpu")
    naive = bench.naive_model(data, config)
    engine = Engine(data, [0.0], config)
    for a, b in zip(naive.parameters(), engine.to_module(0).parameters()):
        assert torch.equal(a, b)

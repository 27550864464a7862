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


def test_bench_on_digits_trains_64_inputs_and_10_classes(capsys):
    bench.main(["--models", "2", "--steps", "3", "--repeats", "1", "--device", "cpu", "--json",
                "--data", "digits"])
    result = json.loads(capsys.readouterr().out)
    assert (result["data"], result["inputs"], result["classes"], result["points"]) == ("digits", 64, 10, 1797)


def test_the_digits_sweep_is_the_sweep_pages_reference_sweep_on_the_digits(monkeypatch):
    ran = []
    monkeypatch.setattr(bench, "run_sweep", lambda config: ran.append(config))
    result = bench.sweep_run(repeats=1, device="cpu", data="digits")
    assert ran[0].dataset.name == "digits" and (len(ran[0].eps), ran[0].seeds, ran[0].steps) == (11, 3, 500)
    assert (result["models"], result["points"], result["inputs"]) == (33, 1797, 64)
    try:
        bench.sweep_run(repeats=1, device="cpu", data="wine")
    except ValueError as err:
        assert "data='wine'" in str(err) and "moons, digits" in str(err)
    else:
        raise AssertionError("an unknown data set was accepted")

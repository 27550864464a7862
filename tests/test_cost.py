"""The sweep cost model: fitted to timed runs, and the smaller run it offers fits the cap."""
import pytest

from playground.core.datasets import DatasetSpec
from playground.engine import cost
from playground.engine.engine import TrainConfig
from playground.experiments import sweep


@pytest.fixture(scope="module")
def model():
    return cost.measure("cpu", steps=5)


def test_the_estimate_grows_with_every_part_of_the_work(model):
    base = model.seconds(10, 100, 1000, [16, 16], 3)
    assert base > 0
    assert model.seconds(10, 200, 1000, [16, 16], 3) == pytest.approx(2 * base)
    assert model.seconds(10, 100, 1000, [16, 16], 3, runs=2) == pytest.approx(2 * base)
    assert model.seconds(20, 100, 1000, [16, 16], 3) > base
    assert model.seconds(10, 100, 2000, [16, 16], 3) > base
    assert model.seconds(10, 100, 1000, [64, 64], 3) > base


def test_the_estimate_is_within_a_factor_of_three_of_a_real_sweep(model):
    data = DatasetSpec(name="blobs", n=600, noise=0.2, label_noise=0.0, num_classes=3)
    grid = tuple(sweep.eps_grid(0, 0.5, 4))
    config = sweep.SweepConfig(data, TrainConfig(hidden_layers=2, units=32), grid, 2, 200)
    actual = sweep.run(config).seconds
    estimate = model.seconds(8, 200, 600, [32, 32], 3)
    assert actual / 3 < estimate < actual * 3


def test_past_the_cap_the_time_is_named_and_a_smaller_run_fits():
    model = cost.CostModel((1e-3, 1e-9, 0.0))
    seconds = model.seconds(21 * 10, 2000, 3000, [32] * 6, 10)
    with pytest.raises(ValueError, match=r"time='about [\d,]+ s on this server'.*at most 120 s"):
        cost.check_time(model, 120, 21 * 10, 2000, 3000, [32] * 6, 10)
    assert cost.check_time(model, 0, 21 * 10, 2000, 3000, [32] * 6, 10) == seconds  # 0: no cap
    seeds, steps = cost.smaller_run(model, 120, 21, 10, 2000, 3000, [32] * 6, 10,
                                    step_choices=(100, 200, 500, 1000, 2000, 5000))
    assert model.seconds(21 * seeds, steps, 3000, [32] * 6, 10) <= 120
    # the largest that fits: one more seed (or the next step count at one seed) would not
    assert seeds == 10 or model.seconds(21 * (seeds + 1), steps, 3000, [32] * 6, 10) > 120
    assert cost.smaller_run(model, 1e-6, 21, 10, 2000, 3000, [32] * 6, 10) is None

"""The PyTorch script of a run (playground/experiments/export.py) stands alone and reproduces the
run: its data equal the library's, bit for bit, for every data set; run in a subprocess, it prints
the engine's numbers for every objective and optimiser.

Tolerance: the script trains one nn.Sequential at a time with torch.optim, the engine all models
at once in stacked tensors; the sums are the same but not always in the same order, so after a few
hundred steps the numbers agree to about 1e-4 (test_engine checks the weights to rel 1e-4). Such
a difference can still move a test point that sits on a boundary: accuracy may then differ by that
one point, and ECE by what one point moves (at most 2 / n)."""
import re
import subprocess
import sys

import pytest

from playground.core.datasets import DATASETS, DatasetSpec
from playground.engine.engine import Engine, TrainConfig
from playground.experiments.export import pytorch_script

TOLERANCE = 2e-3  # NLL and the tightness, absolute


def assert_close(row: dict, acc: float, nll: float, ece: float, n_test: int) -> None:
    """The script's numbers against the playground's, on n_test test points."""
    one = 1 / n_test + 1e-6
    assert abs(float(row["nll"]) - nll) <= TOLERANCE, (row, nll)
    assert abs(float(row["acc"]) - acc) <= one, (row, acc)
    assert abs(float(row["ece"]) - ece) <= 2 * one + TOLERANCE, (row, ece)
LINE = re.compile(r"^(?P<name>.+), seed (?P<seed>\d+): accuracy (?P<acc>[-\d.]+), NLL (?P<nll>[-\d.na]+), "
                  r"ECE (?P<ece>[-\d.na]+), conf - acc (?P<gap>[-\d.na]+)"
                  r"(, tightness (?P<tight>[-\d.na]+))?$")
UPLOAD = DatasetSpec(points=[(x / 7, (x * 3 % 11) / 5, x % 3) for x in range(60)], seed=4)
WIDE_UPLOAD = DatasetSpec(points=[(x / 7, (x * 3 % 11) / 5, x % 4, -x, x % 3) for x in range(60)], seed=2)


def script_namespace(text: str) -> dict:
    namespace = {"__name__": "exported"}
    exec(compile(text, "exported.py", "exec"), namespace)  # noqa: S102 (our own generated code)
    return namespace


@pytest.mark.parametrize("data", [DatasetSpec(name, n=300, noise=0.25, seed=3) for name in DATASETS]
                         + [DatasetSpec("similar_classes", n=200, num_classes=4, gap=0.8, seed=5),
                            DatasetSpec("moons", n=200, label_noise=0.2, seed=9, test_fraction=0.25), UPLOAD,
                            WIDE_UPLOAD, DatasetSpec("digits", label_noise=0.1, seed=6)],
                         ids=lambda d: f"{d.name}{d.features}" + ("_noisy" if d.label_noise else ""))
def test_the_scripts_data_are_the_librarys(data):
    text = pytorch_script(data, TrainConfig(), [("smoothing", 0.1)], steps=1)
    x_train, y_train, x_test, y_test = script_namespace(text)["make_data"]()
    built = data.build()
    for ours, theirs in ((x_train, built.x_train), (y_train, built.y_train), (x_test, built.x_test),
                         (y_test, built.y_test)):
        assert ours.numpy().dtype == theirs.dtype and (ours.numpy() == theirs).all()


def run_script(text: str, tmp_path) -> list[dict]:
    path = tmp_path / "run.py"
    path.write_text(text)
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)  # not the checkout: the script must not need this project
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [m.groupdict() for m in map(LINE.match, done.stdout.splitlines()) if m]
    assert rows, done.stdout
    return rows


CASES = [  # every objective and optimiser, full batch and mini-batches, the conventions, dropout off
    ("spirals", TrainConfig(units=16, lr=0.01, seed=2), [("smoothing", 0.0), ("smoothing", 0.2)], 1),
    ("moons", TrainConfig(units=8, optimizer="sgd", lr=0.1, momentum=0.9, weight_decay=1e-3, seed=1),
     [("smoothing", -0.1), ("focal", 2.0)], 1),
    ("blobs", TrainConfig(hidden_layers=1, units=16, activation="relu", batch_size=32, seed=0),
     [("confidence_penalty", 0.5), ("smoothing", 0.1)], 2),
    ("similar_classes", TrainConfig(units=16, convention="others", activation="gelu", seed=4),
     [("smoothing", 0.3)], 1),
    ("digits", TrainConfig(units=16, seed=3), [("smoothing", 0.0), ("smoothing", 0.1)], 1),  # 64 inputs
]


@pytest.mark.parametrize("name, config, objectives, seeds", CASES, ids=[c[0] for c in CASES])
def test_the_script_prints_the_engines_numbers(name, config, objectives, seeds, tmp_path):
    data = DatasetSpec(name, n=400, noise=0.2, seed=config.seed)
    steps = 150
    rows = run_script(pytorch_script(data, config, objectives, steps, seeds), tmp_path)
    engine = Engine(data.build(), config=config, objectives=objectives, n_seeds=seeds)
    evaluation = engine.train(steps)
    assert len(rows) == len(evaluation.models) == len(objectives) * seeds
    for row, model in zip(rows, evaluation.models):  # both: objective by objective, seeds within
        assert int(row["seed"]) == model.seed
        assert_close(row, model.test_acc, model.test_nll, model.test_ece, len(data.build().y_test))


def test_a_bad_setting_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="steps"):
        pytorch_script(DatasetSpec(), TrainConfig(), [("smoothing", 0.1)], steps=0)
    with pytest.raises(ValueError, match=r"gamma=-1\.0"):
        pytorch_script(DatasetSpec(), TrainConfig(), [("focal", -1.0)], steps=10)


def test_the_live_pages_script_prints_the_numbers_the_page_shows(tmp_path):
    from playground.experiments.live import LiveRun
    from playground.ui.controls.train_controls import LiveSettings
    from playground.ui.live.live_state import live_script
    settings = LiveSettings(DatasetSpec("circles", n=400, noise=0.15, seed=6), TrainConfig(lr=0.03, seed=0),
                            objective_value=1.5, steps_per_update=10, discretize=False, show_test=True,
                            fade=False, kind="focal")
    run = LiveRun(settings.data.build(), settings.config, settings.objective_value, kind=settings.kind)
    run.advance(120)
    shown = run.headline()
    rows = run_script(live_script(run, settings), tmp_path)
    assert [r["name"] for r in rows] == ["label smoothing eps=0", "focal loss gamma=1.5"]
    for row, numbers in zip(rows, shown):
        assert_close(row, numbers["accuracy"], numbers["NLL"], numbers["ECE"], len(run.data.y_test))
        assert abs(float(row["gap"]) - numbers["over-confidence"]) <= 1 / len(run.data.y_test) + TOLERANCE


def test_the_sweeps_script_prints_its_metrics_table(tmp_path):
    from playground.experiments import sweep
    config = sweep.SweepConfig(DatasetSpec("xor", n=300, noise=0.1, seed=1), TrainConfig(units=8, seed=3),
                               (0.0, 0.25, 0.5), seeds=2, steps=100)
    table = sweep.run(config).models
    rows = run_script(sweep.script(config), tmp_path)
    assert len(rows) == len(table) == 6
    half = len(config.dataset.build().y_test) // 2  # the sweep measures on the test half
    for row, (_, model) in zip(rows, table.iterrows()):
        assert (int(row["seed"]), f"label smoothing eps={model.eps:g}") == (model.seed, row["name"])
        assert_close(row, model.test_acc, model.test_nll, model.test_ece, half)


def test_the_alternatives_script_prints_its_table_with_each_recipes_regularisers(tmp_path):
    from playground.experiments import compare
    recipes = (compare.Recipe("smoothing", 0.0), compare.Recipe("focal", 2.0),
               compare.Recipe("smoothing", 0.0, weight_decay=1e-3),
               compare.Recipe("smoothing", 0.1, dropout=0.2))
    config = compare.CompareConfig(DatasetSpec("blobs", n=300, noise=0.3, num_classes=4, seed=2),
                                   TrainConfig(units=16, seed=1), recipes, seeds=2, steps=120)
    table = compare.run(config).models
    rows = run_script(compare.script(config), tmp_path)
    assert len(rows) == len(table) == 8
    assert rows[4]["name"].endswith("+ weight decay 0.001") and rows[6]["name"].endswith("+ dropout 0.2")
    half = len(config.dataset.build().y_test) // 2
    for row, (_, model) in zip(rows, table.iterrows()):
        if model.dropout:  # the playground draws its own dropout masks: the same rate, other draws
            continue
        assert_close(row, model.test_acc, model.test_nll, model.test_ece, half)


def test_the_representations_script_prints_the_pages_tightness(tmp_path):
    from playground.experiments import tightening
    config = tightening.TighteningConfig(DatasetSpec("blobs", n=400, noise=0.3, num_classes=4, seed=3),
                                         TrainConfig(units=16, seed=2), classes=(0, 2, 3), eps=0.2,
                                         grid=(0.0, 0.2), seeds=2, steps=150)
    data = config.dataset.build()
    frame = tightening.tightness_frame(config, data, tightening.train_models(config, data))
    rows = run_script(tightening.script(config), tmp_path)
    assert len(rows) == len(frame) == 4
    for row, (_, model) in zip(rows, frame.iterrows()):
        assert row["tight"] is not None, row
        assert abs(float(row["tight"]) - model.tightness) <= TOLERANCE, (row, dict(model))


def test_the_distillation_script_prints_teachers_students_and_students_alone(tmp_path):
    from playground.experiments import distillation
    data = DatasetSpec("gaussian_quantiles", n=300, noise=0.0, num_classes=3, seed=1)
    config = distillation.DistillConfig(data, TrainConfig(units=16, lr=0.01, seed=0),
                                        TrainConfig(hidden_layers=1, units=8, lr=0.03, seed=0),
                                        eps=(0.0, 0.3), temperatures=(1.0, 4.0), alpha=0.9, seeds=2,
                                        steps=120)
    table = distillation.run(config).models
    rows = run_script(distillation.script(config), tmp_path)
    assert len(rows) == len(table) == 2 * 2 + 2 * 2 * 2 + 2
    assert rows[0]["name"] == "teacher eps=0" and rows[4]["name"] == "student of eps=0 at T=1"
    assert rows[-1]["name"] == "student alone"
    for row, (_, model) in zip(rows, table.iterrows()):
        assert int(row["seed"]) == model.seed
        assert_close(row, model.test_acc, model.test_nll, model.test_ece, len(data.build().y_test))

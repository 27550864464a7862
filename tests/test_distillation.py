"""Distillation: teachers at several ε, students per temperature, the student alone; and the
default regime's claim over 5 seeds."""

import math

import numpy as np
import pandas as pd
import pytest

from playground.core.datasets import DatasetSpec
from playground.engine.engine import TrainConfig
from playground.experiments import distillation
from playground.experiments.distillation import DistillConfig

pytestmark = pytest.mark.usefixtures("one_thread")  # as the server runs: one torch thread


@pytest.fixture(scope="module")
def default_run(one_thread):
    return distillation.run(DistillConfig())


def test_the_default_run_fits_well_and_says_what_its_paired_seeds_show(default_run):
    """Well-fit teachers; each sentence a paired comparison over the page's seeds (the held-out
    claims are tests/test_presets.py's)."""
    models = default_run.models
    assert models["seed"].nunique() == 5 and not models["diverged"].any()
    teachers = models[models["role"] == "teacher"]
    assert teachers["test_acc"].min() > 0.9  # teachers that fit well
    said = distillation.interpretation(models)
    temperatures = sorted(set(models.loc[models["role"] == "student", "temperature"]))
    assert len(said) == 2 + len(temperatures) + 2
    for line, t in zip(said[2:], temperatures):
        assert f"at T = {t:g}" in line.lower() or f"T = {t:g}" in line, line
        assert "95% t-interval" in line or "every one of the 5 seeds" in line, line
    assert "information" in said[1] and "Müller, Kornblith & Hinton" in said[-1]


def test_every_teacher_has_a_student_per_temperature_and_a_baseline():
    config = DistillConfig(
        DatasetSpec(name="blobs", n=200, noise=0.3, num_classes=3),
        TrainConfig(hidden_layers=1, units=8, device="cpu"),
        TrainConfig(hidden_layers=1, units=4, device="cpu"),
        (0.0, 0.2),
        (1.0, 3.0),
        0.5,
        2,
        30,
    )
    result = distillation.run(config)
    roles = result.models.groupby("role").size().to_dict()
    assert roles == {"teacher": 4, "student": 8, "alone": 2}
    students = result.models[result.models["role"] == "student"]
    assert sorted(set(students["temperature"])) == [1.0, 3.0] and sorted(set(students["eps"])) == [0.0, 0.2]
    assert set(result.student_images) == {(e, t) for e in (0.0, 0.2) for t in (1.0, 3.0)}
    assert result.teacher_test_logits.shape[0] == 4
    # MKH's estimate over the training examples of classes 0 and 1 only, in [0, log N]
    n = int(np.isin(result.data.y_train, (0, 1)).sum())
    assert n < len(result.data.y_train)
    assert f"N = {n} training examples of classes 0 and 1" in result.information_note
    info = result.models.loc[result.models["role"] == "teacher", "information"]
    assert len(info) == 4 and ((info >= 0) & (info <= math.log(n))).all()


def test_the_sentences_say_when_the_effect_does_not_show():
    rows = []
    for seed in range(3):
        rows += [
            {
                "role": "teacher",
                "eps": e,
                "temperature": None,
                "seed": seed,
                "test_acc": 0.9,
                "train_acc": 0.95,
                "test_nll": 0.3,
                "diverged": False,
            }
            for e in (0.0, 0.3)
        ]
        rows += [
            {
                "role": "student",
                "eps": e,
                "temperature": 2.0,
                "seed": seed,
                "test_acc": 0.8 + 0.01 * (e > 0) * (seed != 0),
                "train_acc": 0.8,
                "test_nll": 0.4,
                "diverged": False,
            }
            for e in (0.0, 0.3)
        ]
        rows.append(
            {
                "role": "alone",
                "eps": None,
                "temperature": None,
                "seed": seed,
                "test_acc": 0.79 + 0.01 * seed,
                "train_acc": 0.8,
                "test_nll": 0.4,
                "diverged": False,
            }
        )
    said = distillation.interpretation(pd.DataFrame(rows))
    assert "Student test accuracy at T = 2 is about the same for the ε = 0 teacher's student" in said[1]
    assert "the student alone" in said[2] and "about the same" in said[2]
    assert "does not show" in said[-1]


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="temperatures"):
        DistillConfig(temperatures=()).validated()
    with pytest.raises(ValueError, match="alpha"):
        DistillConfig(alpha=1.5).validated()

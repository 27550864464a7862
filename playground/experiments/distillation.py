"""Does a smoothed teacher make a worse student? (Müller, Kornblith & Hinton 2019, Section 4.)

Teachers at several ε train in one engine (ε × seed). One student engine distils every teacher
at every temperature: student (T, ε, seed) learns from teacher (ε, seed)'s probabilities at T
with Hinton et al.'s loss α·T²·CE(softmax(z/T), q_T) + (1 − α)·CE(z, y). A "student alone", the
same small network trained on the labels only, is the baseline every student is held to."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
import torch

from playground.core import information, metrics
from playground.core.datasets import Dataset, DatasetSpec
from playground.core.smoothing import check_eps_grid
from playground.core.validation import check_int, check_number, fail
from playground.engine.chunked import OnProgress, Progress, train_to
from playground.engine.engine import Engine, TrainConfig
from playground.experiments import claims
from playground.experiments.export import distillation_script
from playground.experiments.sweep import MAX_SEEDS, MAX_STEPS
from playground.views import render

RESOLUTION = 48
IMAGE_PX = 320
CHUNK = 200  # steps between progress reports
MAX_TEMPERATURES = 4
# Teachers that fit well without over-fitting (measured over 5 seeds: test accuracy 0.95–0.98 with
# training accuracy ~1): 4-class gaussian quantiles, a 2×32 network; a student with a tenth of its
# parameters (one layer of 8 units), so the teacher has something to teach.
DEFAULT_DATA = DatasetSpec(name="gaussian_quantiles", n=1000, noise=0.0, num_classes=4)
DEFAULT_TEACHER = TrainConfig(hidden_layers=2, units=32, lr=0.01)
DEFAULT_STUDENT = TrainConfig(hidden_layers=1, units=8, lr=0.03)


@dataclass(frozen=True)
class DistillConfig:
    """Everything that determines a distillation run's result; its JSON is the cache key."""
    PAGE: ClassVar[str] = "distillation"  # the page that runs it (claims.page_of)

    dataset: DatasetSpec = DEFAULT_DATA
    teacher: TrainConfig = DEFAULT_TEACHER
    student: TrainConfig = DEFAULT_STUDENT
    eps: tuple[float, ...] = (0.0, 0.1, 0.3)
    temperatures: tuple[float, ...] = (1.0, 2.0, 4.0)
    alpha: float = 0.9
    seeds: int = 5
    steps: int = 1500

    def validated(self) -> DistillConfig:
        eps = tuple(check_eps_grid(self.eps))
        if not 1 <= len(self.temperatures) <= MAX_TEMPERATURES:
            fail("temperatures", list(self.temperatures), f"choose 1 to {MAX_TEMPERATURES}")
        temperatures = tuple(check_number("temperature", t, 0.1, 20.0) for t in self.temperatures)
        return DistillConfig(
            self.dataset,
            self.teacher.validated(),
            self.student.validated(),
            eps,
            temperatures,
            check_number("alpha", self.alpha, 0.0, 1.0),
            check_int("seeds", self.seeds, 1, MAX_SEEDS),
            check_int("steps", self.steps, 1, MAX_STEPS),
        )

    @classmethod
    def from_key(cls, key: str) -> DistillConfig:
        raw = json.loads(key)
        return cls(
            DatasetSpec.from_dict(raw["dataset"]),
            TrainConfig(**raw["teacher"]),
            TrainConfig(**raw["student"]),
            tuple(raw["eps"]),
            tuple(raw["temperatures"]),
            raw["alpha"],
            raw["seeds"],
            raw["steps"],
        )

    def key(self) -> str:
        raw = asdict(self)
        raw["teacher"], raw["student"] = asdict(self.teacher), asdict(self.student)
        return json.dumps(raw, sort_keys=True)

    @property
    def engines(self) -> int:
        """Engine runs: the teachers, the students (every temperature in one), the students alone."""
        return 3


@dataclass
class DistillResult:
    config: DistillConfig
    data: Dataset
    models: pd.DataFrame  # one row per model: role (teacher / student / alone), eps, T, seed, metrics
    teacher_images: dict[float, bytes]  # ε -> first seed's boundary
    student_images: dict[tuple[float, float], bytes]  # (ε, T) -> first seed's boundary
    alone_image: bytes
    teacher_test_logits: torch.Tensor  # [len(eps) × seeds, N_test, K]
    seconds: float
    information_note: str  # what the teachers' "information" column is, with its settings and N


def run(config: DistillConfig, on_progress: OnProgress | None = None) -> DistillResult:
    """Teachers, then a student engine per temperature, then the students alone; report (done,
    total, seconds left) in steps over all engines."""
    config = config.validated()
    start = time.perf_counter()
    progress = Progress(config.steps * config.engines, on_progress, start)

    data = config.dataset.build()
    trained = train_models(config, data, progress)
    teachers, students, alone = trained.teachers, trained.students, trained.alone
    rows = models_frame(config, data, trained)
    examples = len(information.two_class_examples(data.x_train, data.y_train))
    grid = data.view_grid(RESOLUTION)
    first = [i * config.seeds for i in range(len(config.eps))]
    teacher_grid = teachers.predict(grid).probs
    picture = lambda probs: render.boundary_picture(probs, RESOLUTION, data, IMAGE_PX)  # noqa: E731
    teacher_images = {config.eps[i]: picture(teacher_grid[m]) for i, m in enumerate(first)}
    probs = students.predict(grid).probs
    block = len(config.eps) * config.seeds  # the students of one temperature
    student_images = {(config.eps[i], t): picture(probs[j * block + m])
                      for j, t in enumerate(config.temperatures) for i, m in enumerate(first)}
    alone_image = picture(alone.predict(grid).probs[0])
    return DistillResult(
        config,
        data,
        rows,
        teacher_images,
        student_images,
        alone_image,
        teachers.predict(data.x_test).logits,
        time.perf_counter() - start,
        information.describe(examples),
    )


@dataclass
class Trained:
    """The three engines of a run, or one seed's view of each (Engine.seed_view)."""
    teachers: Engine
    students: Engine  # slot (T, ε), model (T, ε, seed) learnt from teacher (ε, seed) at T
    alone: Engine

    def seed_view(self, j: int) -> Trained:
        return Trained(self.teachers.seed_view(j), self.students.seed_view(j), self.alone.seed_view(j))


def script(config: DistillConfig) -> str:
    """The page's run as a plain PyTorch script (export.distillation_script): teachers, students
    and students alone, printed in models_frame's order."""
    c = config.validated()
    return distillation_script(c.dataset, c.teacher, c.student, list(c.eps), list(c.temperatures), c.alpha,
                               c.steps, c.seeds, title=f"Distillation ({len(c.eps)} teachers' ε × "
                               f"{len(c.temperatures)} temperatures × {c.seeds} seeds)")


def train_models(config: DistillConfig, data: Dataset | list[Dataset], progress: Progress | None = None
                 ) -> Trained:
    """Teachers, the students that learn from them, and the students alone: config.seeds seeds on
    one data set, or one seed per data set (each student then learns its own seed's teacher on
    that seed's training points)."""
    seeds = config.seeds if isinstance(data, Dataset) else len(data)
    teachers = Engine(data, list(config.eps), config.teacher, n_seeds=seeds)
    train_to(teachers, config.steps, progress, CHUNK)
    teacher_train = teachers.logits(teachers.x_train)  # each teacher at its own training points
    # one engine for every student: slot (T, ε), model (T, ε, seed) learns from teacher (ε, seed)
    # at its own temperature
    students = Engine(data, [0.0] * len(config.temperatures) * len(config.eps), config.student, n_seeds=seeds)
    soft = torch.cat([torch.softmax(teacher_train / t, -1) for t in config.temperatures])
    students.set_soft_targets(soft, temperature=student_temperatures(config, seeds), alpha=config.alpha)
    train_to(students, config.steps, progress, CHUNK)
    alone = Engine(data, [0.0], config.student, n_seeds=seeds)
    train_to(alone, config.steps, progress, CHUNK)
    return Trained(teachers, students, alone)


def student_temperatures(config: DistillConfig, seeds: int) -> list[float]:
    """Each student model's T, in model order (T, ε, seed)."""
    return [t for t in config.temperatures for _ in config.eps for _ in range(seeds)]


def models_frame(config: DistillConfig, data: Dataset, trained: Trained) -> pd.DataFrame:
    """One row per model: the teachers with MKH's information estimate (over the training examples
    of two classes), the students with their teacher's ε and T, and the students alone."""
    teachers, seeds = trained.teachers, trained.teachers.n_seeds
    eps = teachers.model_eps * len(config.temperatures)
    return pd.concat([
        _measure(teachers, data, "teacher", None).assign(
            information=information.model_information(teachers, data.x_train, data.y_train).numpy()),
        _measure(trained.students, data, "student", None).assign(
            temperature=student_temperatures(config, seeds), eps=eps),
        _measure(trained.alone, data, "alone", None).assign(eps=np.nan),
    ], ignore_index=True)


def _measure(engine: Engine, data: Dataset, role: str, temperature: float | None) -> pd.DataFrame:
    logits = engine.predict(data.x_test).logits
    labels = torch.as_tensor(data.y_test)
    probs = torch.softmax(logits, -1)
    return pd.DataFrame(
        {
            "role": role,
            "eps": engine.model_eps,
            "temperature": temperature,
            "seed": engine.model_seed,
            "test_acc": metrics.accuracy(logits, labels).numpy(),
            "test_nll": metrics.nll(logits, labels).numpy(),
            "test_ece": metrics.ece(probs, labels).numpy(),
            "train_acc": metrics.accuracy(
                engine.predict(data.x_train).logits, torch.as_tensor(data.y_train)
            ).numpy(),
            "diverged": [m in set(engine.diverged) for m in range(engine.n_models)],
        }
    )


def interpretation(models: pd.DataFrame) -> list[str]:
    """Sentences from the numbers, each a paired comparison over the seeds (claims.paired): the
    teachers' information, the students of the smoothest teacher against those of the one-hot
    teacher at each temperature, and the best student against the student alone."""
    live = models[~models["diverged"]]
    teachers = live[live["role"] == "teacher"]
    alone = live[live["role"] == "alone"]
    if teachers.empty or alone.empty:
        return ["Too many models diverged to compare: lower the learning rates."]
    lo, hi = teachers["eps"].min(), teachers["eps"].max()
    if lo == hi:
        return [f"Only teachers at ε = {lo:g} trained: there is nothing to compare them with."]
    lines = [claims.paired(teachers, "test_acc", "eps", hi, lo, lower_is_better=False,
                           name="teacher test accuracy").sentence()]
    if "information" in teachers.columns:
        lines.append(claims.paired(teachers, "information", "eps", hi, lo,
                                   name="the teachers' information about the example (nats)").sentence())
    students = live[live["role"] == "student"]
    behind = []
    for t, group in students.groupby("temperature"):
        compared = claims.paired(group, "test_acc", "eps", lo, hi, lower_is_better=False,
                                 name=f"student test accuracy at T = {t:g}",
                                 a_name=f"the ε = {lo:g} teacher's student",
                                 b_name=f"the ε = {hi:g} teacher's student")
        behind.append(compared.verdict == claims.HOLDS)
        lines.append(compared.sentence())
    best = students.groupby(["eps", "temperature"])["test_acc"].mean().idxmax()
    top = students[(students["eps"] == best[0]) & (students["temperature"] == best[1])]
    both = pd.concat([top.assign(who="best"), alone.assign(who="alone")])
    lines.append(claims.paired(both, "test_acc", "who", "best", "alone", lower_is_better=False,
                               name="student test accuracy",
                               a_name=f"the best student (teacher ε = {best[0]:g}, T = {best[1]:g})",
                               b_name="the student alone").sentence())
    if behind and all(behind):
        lines.append("So here, as Müller, Kornblith & Hinton report, the smoothed teacher makes the worse "
                     "student at every temperature.")
    else:
        lines.append("So this run does not show Müller, Kornblith & Hinton's effect at every temperature: "
                     "their smoothed teachers made worse students on MNIST and CIFAR.")
    return lines


def summary(models: pd.DataFrame) -> pd.DataFrame:
    """Per role, ε and temperature: mean, min and max over seeds of each metric (long form)."""
    live = models[~models["diverged"]].copy()
    live["temperature"] = live["temperature"].fillna(0.0)
    live["eps"] = live["eps"].fillna(-1.0)
    long = live.melt(
        id_vars=["role", "eps", "temperature", "seed"],
        value_vars=["test_acc", "test_nll", "test_ece"],
        var_name="metric",
        value_name="score",
    )
    return (
        long.groupby(["role", "eps", "temperature", "metric"])["score"]
        .agg(["mean", "min", "max"])
        .reset_index()
    )

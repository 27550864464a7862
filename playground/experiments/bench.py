"""`python -m playground.experiments.bench`: the batched engine against a plain PyTorch loop, same work.

Baseline, as a tutorial writes it: for each eps, an nn.Sequential, torch.optim.Adam and
nn.CrossEntropyLoss(label_smoothing=eps), one eps after another. Engine: all models at once.
Default run: 11 eps values in [0, 0.5], N=1000, 3 classes, 2 hidden layers of 64 tanh units,
200 full-batch Adam steps at lr 1e-2. Prints model-steps/s for each and their ratio (medians).
--objective times another objective the same way: the plain loop then calls
objectives.reference_loss, and the values span OBJECTIVE_VALUES. --data digits times both on
scikit-learn's digits instead (all 1,797 images: 64 inputs, 10 classes).
--sweep times the sweep page's reference sweep (11 eps x 3 seeds x 500 steps), on moons or, with
--data digits, on the digits.
"""
from __future__ import annotations

import argparse
import copy
import json
import platform
import statistics
import time
from dataclasses import replace

import numpy as np
import torch
from torch import nn

from playground.core import objectives
from playground.core.datasets import Dataset, DatasetSpec, is_table, make_dataset
from playground.engine.engine import Engine, TrainConfig, resolve_device
from playground.experiments.sweep import SweepConfig
from playground.experiments.sweep import run as run_sweep

OBJECTIVE_VALUES = {"smoothing": (0.0, 0.5), "confidence_penalty": (0.0, 2.0), "focal": (0.0, 4.0)}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


BENCH_DATA = ("blobs", "digits")  # the engine benchmark's data; the sweep's: moons or digits


def benchmark_data(name: str = "blobs") -> Dataset:
    """Every point used for training: N=1000 blobs of 3 classes, or the 1,797 digits (64 inputs,
    10 classes)."""
    if name not in BENCH_DATA:
        raise ValueError(f"data={name!r} is not allowed: must be one of {', '.join(BENCH_DATA)}")
    data = (DatasetSpec(name=name, test_fraction=0.05).build() if is_table(name)
            else make_dataset(name, n=1000, num_classes=3, seed=0, test_fraction=0.05))
    x = np.concatenate([data.x_train, data.x_test])
    y = np.concatenate([data.y_train, data.y_test])
    return Dataset(data.name, data.num_classes, x, y, data.x_test, data.y_test, y)


def naive_model(data: Dataset, config: TrainConfig) -> nn.Sequential:
    """The tutorial's nn.Sequential, started from the engine's initial weights for this seed."""
    return Engine(data, [0.0], replace(config, device="cpu")).to_module(0)


def _plain_loss(kind: str, value: float):
    if kind == "smoothing":
        return nn.CrossEntropyLoss(label_smoothing=value)
    return lambda z, y: objectives.reference_loss(kind, z, y, value)


def naive_run(data: Dataset, eps: list[float], config: TrainConfig, steps: int, device: torch.device,
              kind: str = "smoothing") -> float:
    """Seconds for the plain loop: one model after another (eps: the objective's values)."""
    x = torch.as_tensor(data.x_train, device=device)
    y = torch.as_tensor(data.y_train, device=device)
    start_model = naive_model(data, config)
    _sync(device)
    start = time.perf_counter()
    for e in eps:
        model = copy.deepcopy(start_model).to(device)
        opt = torch.optim.Adam(model.parameters(), lr=config.lr)
        loss_fn = _plain_loss(kind, e)
        for _ in range(steps):
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
    _sync(device)
    return time.perf_counter() - start


def engine_run(data: Dataset, eps: list[float], config: TrainConfig, steps: int, device: torch.device,
               kind: str = "smoothing") -> float:
    """Seconds for the engine to train every model the same number of steps (set-up included)."""
    _sync(device)
    start = time.perf_counter()
    Engine(data, objectives=[(kind, e) for e in eps], config=config).train(steps, evaluate=False)
    _sync(device)
    return time.perf_counter() - start


def run(models: int = 11, steps: int = 200, repeats: int = 5, device: str = "auto",
        objective: str = "smoothing", data: str = "blobs") -> dict:
    kind = objectives.get(objective).name
    dev = resolve_device(device)
    config = TrainConfig(hidden_layers=2, units=64, activation="tanh", optimizer="adam", lr=1e-2,
                         device=dev.type)
    dataset = data
    data = benchmark_data(dataset)
    values = [float(v) for v in np.linspace(*OBJECTIVE_VALUES[kind], models)]
    engine_run(data, values, config, 5, dev, kind)  # warm-up: allocator, kernels, graph capture
    naive_run(data, values[:1], config, 5, dev, kind)
    naive_s, engine_s = [], []
    for _ in range(repeats):  # interleaved, so both see the same machine state
        naive_s.append(naive_run(data, values, config, steps, dev, kind))
        engine_s.append(engine_run(data, values, config, steps, dev, kind))
    work = models * steps
    naive = work / statistics.median(naive_s)
    fast = work / statistics.median(engine_s)
    cpu_name = platform.processor() or platform.machine()
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else cpu_name
    return {
        "device": dev.type, "device_name": name, "threads": torch.get_num_threads(), "objective": kind,
        "data": dataset, "inputs": data.features, "classes": data.num_classes,
        "models": models, "steps": steps, "points": len(data.y_train), "repeats": repeats,
        "naive_model_steps_per_s": naive, "engine_model_steps_per_s": fast, "ratio": fast / naive,
    }


SWEEP_DATA = {"moons": DatasetSpec(name="moons", n=1000, noise=0.2), "digits": DatasetSpec(name="digits")}


def sweep_run(repeats: int = 5, device: str = "auto", data: str = "moons") -> dict:
    """Seconds for the reference sweep (11 eps x 3 seeds x 500 steps, the sweep page's defaults
    otherwise) on moons (n = 1000) or the digits (1,797 images), training and measuring included;
    median of `repeats` after one warm-up."""
    if data not in SWEEP_DATA:
        raise ValueError(f"data={data!r} is not allowed: must be one of {', '.join(SWEEP_DATA)}")
    dev = resolve_device(device)
    config = SweepConfig(SWEEP_DATA[data], TrainConfig(device=dev.type))
    seconds = timed(lambda: run_sweep(config), repeats, dev)
    return {"device": dev.type, "data": data, "points": config.dataset.size,
            "inputs": config.dataset.features, "models": len(config.eps) * config.seeds,
            "steps": config.steps,
            "repeats": repeats, "seconds": seconds, "median_s": statistics.median(seconds)}


def timed(job, repeats: int, dev: torch.device) -> list[float]:
    """Seconds of `job()` per repeat, after one warm-up."""
    job()
    seconds = []
    for _ in range(repeats):
        _sync(dev)
        start = time.perf_counter()
        job()
        _sync(dev)
        seconds.append(time.perf_counter() - start)
    return seconds


def distillation_run(repeats: int = 3, device: str = "auto") -> dict:
    """Seconds for the reference distillation (the page's default: 3 teachers x 3 temperatures x
    5 seeds, teachers, students and students alone, 1,500 steps each, measuring included)."""
    from playground.experiments import distillation

    dev = resolve_device(device)
    base = distillation.DistillConfig()
    config = replace(base, teacher=replace(base.teacher, device=dev.type),
                     student=replace(base.student, device=dev.type))
    seconds = timed(lambda: distillation.run(config), repeats, dev)
    return {"device": dev.type, "teachers": len(config.eps), "temperatures": len(config.temperatures),
            "seeds": config.seeds, "steps": config.steps, "threads": torch.get_num_threads(),
            "repeats": repeats, "seconds": seconds, "median_s": statistics.median(seconds)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=11, help="number of eps values (E)")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--objective", default="smoothing", choices=objectives.KINDS,
                        help="the objective every model trains on (values spread over OBJECTIVE_VALUES)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--sweep", action="store_true",
                        help="time the reference sweep (11 eps x 3 seeds x 500 steps, moons) instead")
    parser.add_argument("--distillation", action="store_true",
                        help="time the reference distillation (3 teachers x 3 T x 5 seeds) instead")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--data", default=None, choices=sorted(set(BENCH_DATA) | set(SWEEP_DATA)),
                        help="the data: blobs (default) or digits; for --sweep, moons (default) or digits")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.distillation:
        result = distillation_run(min(args.repeats, 3), args.device)
        print(json.dumps(result) if args.json else
              f"distillation of {result['teachers']} teachers x {result['temperatures']} temperatures x "
              f"{result['seeds']} seeds on {result['device']} ({result['threads']} threads): median "
              f"{result['median_s']:.2f} s ({', '.join(f'{s:.2f}' for s in result['seconds'])})")
        return
    if args.sweep:
        try:
            result = sweep_run(args.repeats, args.device, args.data or "moons")
        except ValueError as err:
            parser.error(str(err))
        print(json.dumps(result) if args.json else
              f"sweep of {result['models']} models x {result['steps']} steps, {result['data']} "
              f"({result['points']:,} points of {result['inputs']} inputs) on {result['device']}: "
              f"median {result['median_s']:.2f} s ({', '.join(f'{s:.2f}' for s in result['seconds'])})")
        return
    try:
        result = run(args.models, args.steps, args.repeats, args.device, args.objective, args.data or "blobs")
    except ValueError as err:
        parser.error(str(err))
    if args.json:
        print(json.dumps(result))
        return
    print(f"device {result['device']} ({result['device_name']}), {result['threads']} threads, "
          f"{result['objective']}, {result['data']} ({result['inputs']} inputs, K={result['classes']}), "
          f"E={result['models']}, {result['steps']} steps, N={result['points']}, "
          f"median of {result['repeats']}")
    print(f"naive loop   {result['naive_model_steps_per_s']:10.0f} model-steps/s")
    print(f"engine       {result['engine_model_steps_per_s']:10.0f} model-steps/s")
    print(f"ratio        {result['ratio']:10.2f}x")


if __name__ == "__main__":
    main()

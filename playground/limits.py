"""Caps that keep one session from taking a shared server: work, memory, and GPU turns.

Work is models × steps × points; memory is the engine's estimated tensor footprint. A hosted
deployment sets them from the environment (PLAYGROUND_MAX_WORK, PLAYGROUND_MAX_MEMORY_MB,
PLAYGROUND_GPU_SLOTS); the defaults suit a laptop."""
from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from playground.validation import check_int, fail

FLOAT_BYTES = 4


@dataclass(frozen=True)
class Limits:
    max_work: int = 2_000_000_000  # models × steps × points for one run
    max_memory_bytes: int = 2 * 1024**3
    gpu_slots: int = 2  # engines training on the GPU at the same time, process-wide

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Limits:
        """Limits from environment variables; a malformed one is a ValueError naming it."""
        base = cls()
        work = check_int("PLAYGROUND_MAX_WORK", env.get("PLAYGROUND_MAX_WORK", base.max_work), 1, 10**15)
        memory = check_int("PLAYGROUND_MAX_MEMORY_MB",
                           env.get("PLAYGROUND_MAX_MEMORY_MB", base.max_memory_bytes // 1024**2), 1, 10**7)
        slots = check_int("PLAYGROUND_GPU_SLOTS", env.get("PLAYGROUND_GPU_SLOTS", base.gpu_slots), 1, 1024)
        return cls(work, memory * 1024**2, slots)


def engine_bytes(models: int, points: int, widths: list[int], num_classes: int) -> int:
    """Tensor memory of one engine: parameters with gradients and optimiser state (5 copies),
    and the activation buffers of a full batch (4 per layer: z, h, dh, dz)."""
    sizes = [2, *widths, num_classes]
    params = sum(i * o + o for i, o in zip(sizes[:-1], sizes[1:]))
    activations = sum(sizes[1:]) * points
    return FLOAT_BYTES * models * (5 * params + 4 * activations + 3 * num_classes * points)


def check_run(models: int, steps: int, points: int, widths: list[int], num_classes: int,
              limits: Limits, runs: int = 1) -> None:
    """ValueError when a run would exceed the work or memory cap. `runs`: how many runs of this
    size one request makes one after another (their work adds up; their memory does not)."""
    work = models * steps * points * runs
    if work > limits.max_work:
        times = f" × {runs} runs" if runs > 1 else ""
        fail("work", f"{models} models × {steps} steps × {points} points{times} = {work:,}",
             f"must be at most {limits.max_work:,} on this server; use fewer models, steps or points")
    memory = engine_bytes(models, points, widths, num_classes)
    if memory > limits.max_memory_bytes:
        fail("memory", f"{memory / 1024**2:,.0f} MB",
             f"must be at most {limits.max_memory_bytes / 1024**2:,.0f} MB on this server; "
             "use fewer models, units or points")


class DeviceGate:
    """A process-wide limit on engines training on the GPU at once: each training chunk on CUDA
    takes a slot and waits its turn, so sessions share the device fairly. CPU work is not gated."""

    def __init__(self, slots: int):
        self.slots = check_int("slots", slots, 1, 1024)
        self._semaphore = threading.BoundedSemaphore(self.slots)

    @contextmanager
    def hold(self, device_type: str):
        if device_type != "cuda":
            yield
            return
        with self._semaphore:
            yield


_gate = DeviceGate(Limits.gpu_slots)


def gpu_gate() -> DeviceGate:
    return _gate


def set_gpu_slots(slots: int) -> None:
    """Resize the process-wide gate (a server does this once, at start)."""
    global _gate
    if slots != _gate.slots:
        _gate = DeviceGate(slots)


if __name__ == "__main__":  # `python -m playground.limits`: check the environment before serving
    import sys

    try:
        print(Limits.from_env())
    except ValueError as err:
        sys.exit(f"Refusing to start: {err}")

"""Turns on a shared GPU: a process-wide limit on engines training on CUDA at once."""
from __future__ import annotations

import threading
from contextlib import contextmanager

from playground.core.validation import check_int

DEFAULT_SLOTS = 2  # engines training on the GPU at the same time, process-wide


class DeviceGate:
    """Each training chunk on CUDA takes a slot and waits its turn, so sessions share the device
    fairly. CPU work is not gated."""

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


_gate = DeviceGate(DEFAULT_SLOTS)


def gpu_gate() -> DeviceGate:
    return _gate


def set_gpu_slots(slots: int) -> None:
    """Resize the process-wide gate (a server does this once, at start)."""
    global _gate
    if slots != _gate.slots:
        _gate = DeviceGate(slots)

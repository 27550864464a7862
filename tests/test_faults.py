"""Faults a hosted GPU server meets: CUDA missing, or out of memory. Training falls back to the
CPU with a notice, and the page keeps working."""
import pytest
import torch

from playground.engine import engine as engine_module
from tests.test_app import open_page
from tests.test_app_sweep import small_sweep
from tests.test_app_train import step_shown

REAL_INIT = engine_module.Engine.__init__


@pytest.fixture
def gpu_that_runs_out_of_memory(monkeypatch):
    """A GPU that the app sees, but on which every engine runs out of memory."""
    def init(self, data, eps=None, config=None, *args, **kwargs):
        config = config or engine_module.TrainConfig()
        if config.device in ("cuda", "auto"):
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        REAL_INIT(self, data, eps, config, *args, **kwargs)

    monkeypatch.setattr(engine_module, "cuda_available", lambda: True)
    monkeypatch.setattr(engine_module.Engine, "__init__", init)


@pytest.fixture
def no_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


def test_live_page_out_of_memory_falls_back_to_cpu(gpu_that_runs_out_of_memory):
    at = open_page("app_pages/train.py")
    assert not at.exception, [e.value for e in at.exception]
    assert any("ran out of memory" in i.value and "CPU instead" in i.value for i in at.info)
    assert at.session_state["live"].engine.device.type == "cpu"
    at.button(key="step_once_btn").click().run()
    assert step_shown(at) == 10 and not at.exception


def test_live_page_out_of_memory_mid_run_restarts_on_cpu(monkeypatch):
    at = open_page("app_pages/train.py")
    at.button(key="step_once_btn").click().run()
    run = at.session_state["live"]

    def fail(steps):
        raise torch.OutOfMemoryError("CUDA out of memory (simulated)")

    monkeypatch.setattr(run, "advance", fail)
    at.button(key="step_once_btn").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("out of memory mid-run" in i.value for i in at.info)
    assert at.session_state["live"] is not run and at.session_state["live"].engine.device.type == "cpu"


def test_sweep_out_of_memory_falls_back_to_cpu(gpu_that_runs_out_of_memory):
    at = small_sweep(open_page("app_pages/sweep.py"), count=2, seeds=1)
    assert not at.exception, [e.value for e in at.exception]
    assert any("ran out of memory" in w.value for w in at.warning)
    assert any("2 models" in c.value for c in at.caption)


def test_cuda_unavailable_falls_back_to_cpu(no_cuda):
    at = open_page("app_pages/train.py")
    at.radio(key="dev").set_value("cuda").run()
    assert not at.exception
    assert any("no CUDA device" in i.value and "CPU instead" in i.value for i in at.info)
    assert at.session_state["live"].engine.device.type == "cpu"
    at = open_page("app_pages/sweep.py")
    assert not at.exception and not at.error  # "auto" quietly trains on the CPU

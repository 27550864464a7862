import threading
import time

import pytest
from streamlit.testing.v1 import AppTest

from playground.engine.gate import DeviceGate
from playground.serving import limits
from playground.ui.server.runtime import configure_process
from tests.conftest import APP_TIMEOUT_S
from tests.test_app import as_read, open_page


def test_limits_from_env_and_bad_env():
    got = limits.Limits.from_env({"PLAYGROUND_MAX_WORK": "1000", "PLAYGROUND_MAX_MEMORY_MB": "64",
                                  "PLAYGROUND_GPU_SLOTS": "3"})
    assert got == limits.Limits(1000, 64 * 1024**2, 3)
    assert limits.Limits.from_env({}) == limits.Limits()
    for name, value in (("PLAYGROUND_MAX_WORK", "lots"), ("PLAYGROUND_GPU_SLOTS", "0"),
                        ("PLAYGROUND_MAX_MEMORY_MB", "nan")):
        with pytest.raises(ValueError, match=f"^{name}="):
            limits.Limits.from_env({name: value})


def test_check_run_caps_work_and_memory():
    small = limits.Limits(max_work=10_000, max_memory_bytes=10**9)
    limits.check_run(2, 10, 500, [16, 16], 2, small)
    with pytest.raises(ValueError, match=r"^work=.*must be at most 10,000"):
        limits.check_run(2, 11, 500, [16, 16], 2, small)
    assert limits.engine_bytes(2, 1000, [256] * 6, 10) > limits.engine_bytes(1, 1000, [256] * 6, 10)
    with pytest.raises(ValueError, match="^memory="):
        limits.check_run(4096, 1, 20_000, [256] * 6, 10, limits.Limits(max_memory_bytes=2**20))


def test_device_gate_lets_only_its_slots_train_on_the_gpu_at_once():
    gate = DeviceGate(2)
    inside, peak, lock = [0], [0], threading.Lock()

    def work(device):
        with gate.hold(device):
            with lock:
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
            time.sleep(0.05)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=work, args=("cuda",)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 2
    peak[0] = 0
    threads = [threading.Thread(target=work, args=("cpu",)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] > 2  # the CPU is not gated


@pytest.fixture
def server_env(monkeypatch):
    """Set PLAYGROUND_* variables as a server's environment would, e.g. server_env(MAX_WORK=10)."""
    def configure(**values):
        for name, value in values.items():
            monkeypatch.setenv(f"PLAYGROUND_{name}", str(value))
        configure_process.clear()
    yield configure
    monkeypatch.undo()
    configure_process.clear()


@pytest.fixture
def tight_server(server_env):
    server_env(MAX_WORK=2 * 280 * 25)  # the live page's 2 models × 280 points


def submitted_sweep(**sliders):
    """The sweep page with these sidebar sliders changed and the form submitted."""
    at = open_page("app_pages/sweep.py")
    for key, value in sliders.items():
        (at.select_slider if key == "sw_steps" else at.slider)(key=key).set_value(value)
    at.sidebar.button[0].click()
    return at.run()


def test_live_page_pauses_at_the_work_cap(tight_server):
    at = open_page("app_pages/train.py")
    for _ in range(4):
        at.button(key="step_once_btn").click().run()
    assert not at.exception
    assert any("reached the server's cap of 25 steps" in w.value for w in at.warning)
    assert at.session_state["live"].step == 25  # the last chunk is cut at the cap: the counter says 25 too


def test_sweep_over_the_cap_gets_a_message(tight_server):
    at = open_page("app_pages/sweep.py")
    assert not at.exception
    assert at.error and "work=" in as_read(at.error[0].value)


@pytest.mark.parametrize("name,value", [("PLAYGROUND_MAX_WORK", "lots"), ("PLAYGROUND_SERVER_PAGE", "maybe"),
                                        ("PLAYGROUND_PUBLIC_URL", "playground.example.org")])
def test_a_malformed_setting_refuses_to_start_and_names_the_variable(name, value):
    import subprocess
    import sys
    env = {**__import__("os").environ, name: value}
    done = subprocess.run([sys.executable, "-m", "playground.serving.limits"], env=env, capture_output=True,
                          text=True)
    assert done.returncode != 0
    assert "Refusing to start" in done.stderr and name in done.stderr


def test_a_malformed_limit_is_a_message_on_every_page_not_a_traceback(server_env):
    """app.py checks the limits before it picks a page (no page is registered then, so the check
    is read from the first run of app.py, whichever page the address names)."""
    server_env(MAX_WORK="lots")
    at = AppTest.from_file("../app.py", default_timeout=APP_TIMEOUT_S)
    at.run()
    assert not at.exception
    assert any("misconfigured" in e.value and "PLAYGROUND_MAX_WORK" in as_read(e.value) for e in at.error)


def test_runs_of_one_request_add_up_against_the_work_cap():
    cap = limits.Limits(max_work=1000, max_memory_bytes=10**9, gpu_slots=1)
    limits.check_run(2, 10, 50, [4], 2, cap)  # 1,000: fits
    with pytest.raises(ValueError, match=r"× 2 runs = 2,000"):
        limits.check_run(2, 10, 50, [4], 2, cap, runs=2)


def test_the_label_noise_comparison_counts_against_the_cap(server_env):
    """33 models × 500 steps × 1,000 points fit 20 M; with the comparison's second sweep they do not."""
    server_env(MAX_WORK=20_000_000)
    at = submitted_sweep(sw_label_noise=0.2)
    assert not at.exception
    assert any("× 2 runs" in as_read(e.value) for e in at.error)


def test_the_process_memory_budget_is_shared_by_runs_in_flight():
    budget = limits.MemoryBudget(100)
    with pytest.raises(ValueError, match="budget of 0 MB for all runs"):  # larger than the whole budget
        with budget.reserve(101):
            pass
    held, started = threading.Event(), threading.Event()

    def first():
        with budget.reserve(60):
            started.set()
            held.wait(5)

    worker = threading.Thread(target=first)
    worker.start()
    started.wait(5)
    with pytest.raises(ValueError, match="must wait for other runs"):  # 60 + 60 > 100: refused after waiting
        with budget.reserve(60, wait_s=0.2):
            pass
    threading.Timer(0.2, held.set).start()  # the first run finishes: the second gets its turn
    t = time.monotonic()
    with budget.reserve(60, wait_s=5):
        assert budget.used == 60 and time.monotonic() - t >= 0.1
    worker.join()
    assert budget.used == 0


def test_the_budget_comes_from_the_environment():
    budget = limits.Limits.from_env({"PLAYGROUND_PROCESS_MEMORY_MB": "512"}).process_memory_bytes
    assert budget == 512 * 1024**2
    with pytest.raises(ValueError, match="PLAYGROUND_PROCESS_MEMORY_MB"):
        limits.Limits.from_env({"PLAYGROUND_PROCESS_MEMORY_MB": "0"})


def test_a_sweep_past_the_process_budget_gets_a_message(server_env):
    server_env(PROCESS_MEMORY_MB=1)
    at = submitted_sweep(sw_seeds=7)  # a sweep no other test has cached: it must train
    assert not at.exception
    assert any("budget of 1 MB for all runs" in as_read(e.value) for e in at.error)


def test_the_live_page_holds_its_memory_from_the_process_budget(server_env):
    server_env(PROCESS_MEMORY_MB=4)  # the default live run fits; 3,000 points of 6 × 256 units do not
    at = open_page("app_pages/train.py")
    assert not at.error
    at.slider(key="ds_n").set_value(3000)
    at.slider(key="net_layers").set_value(6)
    at.select_slider(key="net_units").set_value(256)
    at.run()
    assert not at.exception
    assert any("budget of 4 MB for all runs" in as_read(e.value) for e in at.error)


def test_a_sweep_past_the_time_cap_says_how_long_and_offers_a_smaller_one_that_runs(server_env):
    server_env(MAX_SECONDS=2)
    at = submitted_sweep(sw_seeds=10, sw_count=21, sw_steps=5000)
    assert not at.exception
    assert any("time='about" in as_read(e.value) and "at most 2 s" in as_read(e.value) for e in at.error)
    offer = at.button(key="smaller_run")
    assert "Run a smaller sweep" in offer.label
    at = offer.click().run(timeout=120)
    assert not at.exception and not at.error
    assert (at.slider(key="sw_seeds").value, at.select_slider(key="sw_steps").value) != (10, 5000)
    assert at.session_state["sw_count"] == 21  # the rest of the experiment stays as it was


def test_heavy_runs_are_admitted_in_order_at_most_slots_at_once():
    import threading

    from playground.serving.limits import HeavyQueue, heavy_slots

    assert heavy_slots(2) == 1 and heavy_slots(16) == 15 and heavy_slots(1) == 1
    queue = HeavyQueue(1)
    first, second, third = object(), object(), object()
    queue.enter(first)
    started = []
    threads = [threading.Thread(target=lambda t=t: (queue.enter(t), started.append(t)))
               for t in (second, third)]
    threads[0].start()
    while queue.place(second) is None:
        threading.Event().wait(0.01)
    threads[1].start()
    while queue.place(third) is None:
        threading.Event().wait(0.01)
    assert (queue.place(second), queue.place(third), started) == (1, 2, [])
    assert queue.running() == [first]
    queue.leave(first)
    threads[0].join(5)
    assert started == [second] and queue.place(third) == 1
    queue.leave(second)
    threads[1].join(5)
    assert started == [second, third] and queue.place(third) is None
    queue.leave(third)
    assert queue.running() == []


def test_a_waiting_run_is_told_when_it_should_start():
    """Two slots: runs of 10 s and 4 s left; two waiting ahead of 6 s and 5 s each take the first
    free slot (at 4 s, then at 10 s), so the next starts at min(4 + 6, 10 + 5) = 10 s."""
    from playground.serving.limits import HeavyQueue
    queue = HeavyQueue(2)
    running, ahead, mine = ["long", "short"], ["six", "five"], "mine"
    queue._running, queue._waiting = list(running), [*ahead, mine]  # as enter() leaves them
    left = {"long": 10.0, "short": 4.0}
    took = {"six": 6.0, "five": 5.0}
    assert queue.wait_estimate(mine, left.get, took.get) == 10.0
    assert queue.wait_estimate("six", left.get, took.get) == 4.0  # the first free slot
    assert queue.wait_estimate(mine, {"long": None, "short": 4.0}.get, took.get) is None  # unknown yet
    assert queue.wait_estimate("long", left.get, took.get) is None  # not waiting
    one = HeavyQueue(1)
    one._waiting = ["next"]
    assert one.wait_estimate("next", left.get, took.get) == 0.0  # a free slot: it starts now

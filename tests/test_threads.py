"""Training on a new thread, as a script run does it, keeps one core busy. Before
playground.ui.threads it kept two on a 2-core machine: torch.set_num_threads had reached only the
calling thread, and a second OpenMP thread spun (this script measured 1.99 cores then, 1.00 with
the module)."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# a fresh interpreter, as a server starts: the module first; training warmed up on one thread,
# then a new run's engine trained on another for 2 s; prints the cores the process kept busy
TRAIN_ON_A_THREAD = """
import playground.ui.threads
import threading, time, torch
torch.set_num_threads(1)  # what the server also calls, on its own thread only
from playground.datasets import make_dataset
from playground.engine import Engine, TrainConfig
data = make_dataset("moons", n=400, seed=0)
config = TrainConfig(lr=0.03, device="cpu")
warm = Engine(data, eps=[0.0, 0.1], config=config)
for _ in range(200):
    warm.train(10, evaluate=False)
engine = Engine(data, eps=[0.0, 0.1], config=config)
stop = []
def work():
    while not stop:
        engine.train(10, evaluate=False)
thread = threading.Thread(target=work)
wall, cpu = time.perf_counter(), time.process_time()
thread.start(); time.sleep(2); stop.append(1); thread.join()
assert engine.step > 100, "the training thread failed"
print((time.process_time() - cpu) / (time.perf_counter() - wall))
"""


def test_training_on_a_script_thread_keeps_one_core_busy():
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", TRAIN_ON_A_THREAD], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120, check=True)
    assert float(out.stdout.split()[-1]) < 1.25

"""Training on a new thread, as a script run does it, uses that thread alone. Before
playground.ui.shell.threads it did not: torch.set_num_threads had reached only the calling thread, and
a second OpenMP thread spun beside the training one (on 2 cores the process kept 1.99 cores busy,
1.00 with the module). Measured per thread, so how busy the machine is does not matter: a
spinning helper thread is scheduled as often as the training thread it spins for."""
import os
import subprocess
import sys

from tools.serve import ROOT

# a fresh interpreter, as a server starts: the module first; training warmed up on one thread,
# then a new run's engine trained a fixed number of steps on another; prints the CPU seconds of
# the training thread and of every other thread of the process meanwhile
TRAIN_ON_A_THREAD = """
import playground.ui.shell.threads
import os, threading, torch
torch.set_num_threads(1)  # what the server also calls, on its own thread only
from playground.core.datasets import make_dataset
from playground.engine.engine import Engine, TrainConfig

def cpu_by_thread():
    tick, out = os.sysconf("SC_CLK_TCK"), {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a thread that ended meanwhile
        out[int(tid)] = (int(fields[11]) + int(fields[12])) / tick
    return out

data = make_dataset("moons", n=400, seed=0)
config = TrainConfig(lr=0.03, device="cpu")
warm = Engine(data, eps=[0.0, 0.1], config=config)
for _ in range(200):
    warm.train(10, evaluate=False)
engine = Engine(data, eps=[0.0, 0.1], config=config)
before, seen = cpu_by_thread(), {}
def work():
    for _ in range(300):
        engine.train(10, evaluate=False)
    seen.update(cpu_by_thread(), me=threading.get_native_id())  # its threads, while they are alive
thread = threading.Thread(target=work)
thread.start(); thread.join()
assert engine.step == 3000, "the training thread failed"
me = seen.pop("me")
own = seen.pop(me)
print(own, sum(cpu - before.get(tid, 0.0) for tid, cpu in seen.items()))
"""


def test_training_on_a_script_thread_uses_that_thread_alone():
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", TRAIN_ON_A_THREAD], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300, check=True)
    own, others = map(float, out.stdout.split()[-2:])
    print(f"CPU while training on a new thread: {own:.2f} s on it, {others:.2f} s on all other threads")
    assert own > 0.1, "too little training to measure"
    assert others < 0.25 * own

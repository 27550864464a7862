"""One OpenMP/MKL thread per op, in every script thread; import it before anything loads PyTorch.

Streamlit runs each script run on a new thread. torch.set_num_threads reaches only the thread
that calls it, so on the others some ops still ran on OpenMP's default of one thread per core,
and the extra threads spun: on 2 cores that doubled the CPU of a live training step. The
environment, read once when PyTorch loads, reaches every thread. The models are small and
sessions run side by side, so one thread per op is also the fastest."""
import os

for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

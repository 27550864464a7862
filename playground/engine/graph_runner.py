"""Replays a training step as a captured CUDA graph, one graph per batch size.

A step is captured after a few eager warm-up runs on a side stream (lazy kernel and library set-up
must not happen during capture); from then on each call is one graph replay. The batch's row
indices go through a static device buffer per size, so the graph always reads the current batch.

Random numbers inside the graph (dropout noise) come from generators registered with each graph
(CUDAGraph.register_generator_state): replay advances their Philox offsets, so every replay draws
fresh noise. If capture fails, training goes on eagerly and `error` says why.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

WARMUP_STEPS = 3


class CudaGraphRunner:
    def __init__(self, device: torch.device, step: Callable[[torch.Tensor | None], None],
                 generators: Sequence[torch.Generator] = (), warmup_steps: int = WARMUP_STEPS):
        self.device = device
        self.step = step
        self.generators = list(generators)
        self.warmup_steps = warmup_steps
        self.graphs: dict[int, torch.cuda.CUDAGraph] = {}
        self.indices: dict[int, torch.Tensor] = {}
        self.warm: dict[int, int] = {}
        self.error: str | None = None
        self.enabled = True
        if self.generators and not hasattr(torch.cuda.CUDAGraph, "register_generator_state"):
            self._give_up("this PyTorch cannot register a generator with a CUDA graph")

    def _give_up(self, why) -> None:
        self.error = f"CUDA graph capture failed, training without graphs: {why}"
        self.enabled = False

    def reset(self) -> None:
        """Forget the captured graphs (the step's ops changed); the next calls warm up and capture again."""
        self.graphs.clear()
        self.warm.clear()

    def run(self, idx: torch.Tensor | None, size: int) -> None:
        """One training step on the batch with row indices idx (None: the whole training set)."""
        static = None
        if idx is not None:
            shape = idx.shape  # [B], or [n_seeds, B] with a batch per seed
            static = self.indices.setdefault(size, torch.empty(shape, dtype=torch.long, device=self.device))
            static.copy_(idx, non_blocking=True)
        graph = self.graphs.get(size)
        if graph is not None:
            graph.replay()
            return
        if self.warm.get(size, 0) < self.warmup_steps:
            side = torch.cuda.Stream(self.device)
            side.wait_stream(torch.cuda.current_stream(self.device))
            with torch.cuda.stream(side):
                self.step(static)
            torch.cuda.current_stream(self.device).wait_stream(side)
            self.warm[size] = self.warm.get(size, 0) + 1
            return
        try:
            graph = torch.cuda.CUDAGraph()
            for generator in self.generators:
                graph.register_generator_state(generator)
            with torch.cuda.graph(graph):
                self.step(static)
        except RuntimeError as err:  # keep training eagerly, and say why
            self._give_up(err)
            self.step(static)
            return
        self.graphs[size] = graph
        graph.replay()

"""The optimisers over a flat buffer: Adam's fused CPU step against its written-out step."""
import torch

from playground.engine.optimisers import Adam


def adam_run(fused: bool, frozen: torch.Tensor, steps: int = 20, lr: float = 0.03, wd: float = 0.01):
    gen = torch.Generator().manual_seed(0)
    params = torch.randn(64, generator=gen)
    opt = Adam(64, torch.device("cpu"), lr, wd)
    opt.fused = fused
    for _ in range(steps):
        opt.step(params, torch.randn(64, generator=gen), frozen)
    return params, opt


def test_the_fused_cpu_step_follows_the_written_out_step():
    none = torch.zeros(64, dtype=torch.bool)
    fused, f_opt = adam_run(True, none)
    written, w_opt = adam_run(False, none)
    start = torch.randn(64, generator=torch.Generator().manual_seed(0))
    assert (fused - start).abs().max() > 0.1  # it moved: 20 steps of about lr each
    torch.testing.assert_close(fused, written, rtol=1e-5, atol=1e-5)  # far below one step (lr)
    torch.testing.assert_close(f_opt.exp_avg_sq, w_opt.exp_avg_sq)
    assert float(f_opt.steps_taken) == float(w_opt.steps_taken) == 20


def test_frozen_entries_stay_where_they_are_and_the_rest_still_move():
    frozen = torch.arange(64) < 16
    start = torch.randn(64, generator=torch.Generator().manual_seed(0))
    params, _ = adam_run(True, frozen)
    assert torch.equal(params[:16], start[:16])
    assert (params[16:] - start[16:]).abs().min() > 0


def test_new_hyperparameters_reach_the_fused_step():
    gen = torch.Generator().manual_seed(1)
    params = torch.randn(8, generator=gen)
    grads = torch.randn(8, generator=gen)
    opt = Adam(8, torch.device("cpu"), 0.01, 0.0)
    opt.set_hyperparameters(0.5, 0.0)
    before = params.clone()
    opt.step(params, grads, torch.zeros(8, dtype=torch.bool))
    # Adam's first step moves every coordinate by lr against the sign of its gradient
    torch.testing.assert_close(before - params, 0.5 * grads.sign(), rtol=1e-4, atol=1e-4)

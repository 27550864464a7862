"""The template plane of Müller, Kornblith & Hinton 2019 (Section 2), and the tightness of the
classes' clusters in it."""
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from playground.core import representations as rep
from playground.core.datasets import make_dataset
from playground.engine.engine import Engine, TrainConfig

pytestmark = pytest.mark.usefixtures("one_thread")  # as the server runs: one torch thread


def random_templates(d=6, seed=0):
    return torch.randn(3, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@pytest.mark.parametrize("d", [2, 3, 7, 33])
def test_the_basis_is_orthonormal_and_the_templates_lie_in_the_plane(d):
    t = random_templates(d)
    origin, basis = rep.template_plane(t)
    assert origin.shape == (d,) and basis.shape == (2, d)
    assert torch.allclose(basis @ basis.T, torch.eye(2, dtype=torch.float64), atol=1e-12)
    coords = rep.project(t, origin, basis)
    assert torch.allclose(origin + coords @ basis, t, atol=1e-12)  # nothing of a template is lost
    assert torch.allclose(origin, t.mean(0))
    assert coords[2, 1] > 0 and abs(coords[0, 1] - coords[1, 1]) < 1e-12  # t0 -> t1 along the first axis


def test_the_templates_pairwise_distances_survive_projection():
    t = random_templates(10, seed=3)
    coords = rep.project(t, *rep.template_plane(t))
    assert torch.allclose(torch.pdist(coords), torch.pdist(t), atol=1e-12)


def test_a_points_off_plane_component_is_dropped():
    t = random_templates(5, seed=1)
    origin, basis = rep.template_plane(t)
    normal = torch.randn(5, generator=torch.Generator().manual_seed(9), dtype=torch.float64)
    normal -= basis.T @ (basis @ normal)  # orthogonal to the plane
    assert normal.norm() > 0.1
    moved = t + 3 * normal
    assert torch.allclose(rep.project(moved, origin, basis), rep.project(t, origin, basis), atol=1e-12)
    assert not torch.allclose(moved, t)


def test_projection_keeps_leading_dimensions():
    t = random_templates(4)
    origin, basis = rep.template_plane(t)
    x = torch.randn(2, 5, 4, dtype=torch.float64)
    assert rep.project(x, origin, basis).shape == (2, 5, 2)
    assert torch.allclose(rep.project(x, origin, basis)[1, 2], rep.project(x[1, 2], origin, basis))


@pytest.mark.parametrize("templates", [
    [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [2.0, 2.0, 2.0]],  # collinear
    [[1.0, 2.0], [1.0, 2.0], [3.0, 1.0]],  # two coincide
    [[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]],  # all coincide
    [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0 + 1e-13, 1e-13, 0.0]],  # collinear to float precision
])
def test_degenerate_templates_are_refused(templates):
    with pytest.raises(ValueError, match=r"^templates=.*span a plane"):
        rep.template_plane(templates)


@pytest.mark.parametrize("templates", [np.zeros((2, 4)), np.zeros((3, 1)), [[1.0, np.nan], [0, 1], [1, 0]]])
def test_malformed_templates_are_refused(templates):
    with pytest.raises(ValueError, match=r"^templates="):
        rep.template_plane(templates)


def test_bias_enters_as_an_extra_coordinate_so_templates_times_activations_are_the_logits():
    data = make_dataset("blobs", n=200, num_classes=4, seed=1)
    engine = Engine(data, [0.0, 0.1], TrainConfig(units=8, device="cpu"), n_seeds=2)
    engine.train(30, evaluate=False)
    pred = engine.predict(data.x_test)
    classes = (3, 0, 2)
    for i in range(engine.n_models):
        t = rep.model_templates(engine, i, classes)
        assert t.shape == (3, 9)
        logits = rep.augment(pred.penultimate[i]) @ t.T
        assert torch.allclose(logits, pred.logits[i][:, list(classes)].double(), atol=1e-5)


def test_plane_coordinates_of_an_engine_are_its_activations_projected():
    data = make_dataset("blobs", n=200, num_classes=3, seed=2)
    engine = Engine(data, [0.0], TrainConfig(units=8, device="cpu"), n_seeds=2)
    engine.train(20, evaluate=False)
    coords, template_coords = rep.plane_coordinates(engine, 1, (0, 1, 2), data.x_test)
    assert coords.shape == (len(data.x_test), 2) and template_coords.shape == (3, 2)
    t = rep.model_templates(engine, 1, (0, 1, 2))
    origin, basis = rep.template_plane(t)
    h = engine.predict(data.x_test).penultimate[1]
    assert torch.allclose(coords, rep.project(rep.augment(h), origin, basis))
    assert torch.allclose(torch.pdist(template_coords), torch.pdist(t), atol=1e-10)


def test_the_engine_facing_part_takes_any_object_shaped_like_an_engine():
    """Weights [E, H, K], biases [E, 1, K] and predict(points).penultimate [E, M, H]."""
    w = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])  # H = 2, K = 3
    b = torch.tensor([[[0.0, 0.0, 1.0]]])
    h = torch.tensor([[[2.0, 0.0], [0.0, 3.0]]])
    source = SimpleNamespace(weights=[w], biases=[b], predict=lambda x: SimpleNamespace(penultimate=h))
    coords, tc = rep.plane_coordinates(source, 0, (0, 1, 2), np.zeros((2, 2)))
    # templates e1, e2, e3 in R^3; activations [2, 0, 1] and [0, 3, 1]
    origin, basis = rep.template_plane(torch.eye(3, dtype=torch.float64))
    assert torch.allclose(coords, rep.project(torch.tensor([[2.0, 0, 1], [0, 3, 1]]), origin, basis))
    assert torch.pdist(tc).tolist() == pytest.approx([math.sqrt(2)] * 3)


def test_tightness_by_hand():
    coords = torch.tensor([[0.0, 1.0], [0.0, -1.0], [4.0, 1.0], [4.0, -1.0]])
    labels = torch.tensor([0, 0, 1, 1])
    assert float(rep.tightness(coords, labels)) == pytest.approx(1 / 4)  # spread 1, centres 4 apart
    # three classes: centres on an equilateral triangle of side 2, spread 0.5 and 1.5 by class
    tri = torch.tensor([[0.0, 0.0], [2.0, 0.0], [1.0, math.sqrt(3)]])
    pts = torch.cat([tri[0] + torch.tensor([[0.5, 0], [-0.5, 0]]),
                     tri[1] + torch.tensor([[0, 1.5], [0, -1.5]]),
                     tri[2] + torch.tensor([[0.5, 0], [-0.5, 0]])])
    assert float(rep.tightness(pts, [0, 0, 1, 1, 2, 2])) == pytest.approx((0.5 + 1.5 + 0.5) / 3 / 2)


def test_tightness_ignores_scale_rotation_and_shift_and_is_zero_for_collapsed_clusters():
    gen = torch.Generator().manual_seed(0)
    labels = torch.arange(90) % 3
    centres = torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
    coords = centres[labels] + 0.4 * torch.randn(90, 2, generator=gen, dtype=torch.float64)
    base = float(rep.tightness(coords, labels))
    assert 0.05 < base < 1
    angle = 0.7
    rotation = torch.tensor([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]],
                            dtype=torch.float64)
    moved = 7.5 * coords @ rotation.T + torch.tensor([3.0, -2.0])
    assert float(rep.tightness(moved, labels)) == pytest.approx(base)
    assert float(rep.tightness(centres[labels], labels)) == 0.0
    means = torch.stack([coords[labels == k].mean(0) for k in range(3)])[labels]
    shrunk = means + 0.01 * (coords - means)  # each point 100x closer to its class mean
    assert float(rep.tightness(shrunk, labels)) == pytest.approx(base / 100)


def test_tightness_is_batched_over_models():
    labels = torch.tensor([0, 0, 1, 1])
    one = torch.tensor([[0.0, 1.0], [0.0, -1.0], [4.0, 1.0], [4.0, -1.0]])
    two = torch.tensor([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    out = rep.tightness(torch.stack([one, two]), labels)
    assert out.shape == (2,) and out.tolist() == pytest.approx([0.25, 0.0])
    same = torch.zeros(4, 2)
    assert math.isnan(float(rep.tightness(same, labels)))  # all centres coincide: no scale to measure by


@pytest.mark.parametrize("call,name", [
    (lambda: rep.tightness(torch.zeros(4, 2), [0, 0, 0, 0]), "labels"),
    (lambda: rep.tightness(torch.zeros(4, 2), [0, 1, 0]), "labels"),
    (lambda: rep.tightness(torch.zeros(4, 3), [0, 1, 0, 1]), "coords"),
    (lambda: rep.project(torch.zeros(4, 3), torch.zeros(4), torch.zeros(2, 4)), "features"),
    (lambda: rep.templates(torch.zeros(4, 3), torch.zeros(3), (0, 1)), "classes"),
    (lambda: rep.templates(torch.zeros(4, 3), torch.zeros(3), (0, 1, 1)), "classes"),
    (lambda: rep.templates(torch.zeros(4, 3), torch.zeros(3), (0, 1, 3)), r"classes\[2\]"),
    (lambda: rep.templates(torch.zeros(4, 3), torch.zeros(2), (0, 1, 2)), "weight"),
])
def test_bad_arguments_are_named(call, name):
    with pytest.raises(ValueError, match=rf"^{name}="):
        call()


def test_smoothing_tightens_the_clusters_on_every_seed():
    """MKH, Figure 1, on blobs with K = 3 (2-32-32-3 tanh, 1,500 Adam steps, 3 seeds): the
    within-class spread over the distance between centres drops about 3x from eps 0 to 0.1."""
    data = make_dataset("blobs", n=600, num_classes=3, seed=0)
    engine = Engine(data, [0.0, 0.1], TrainConfig(hidden_layers=2, units=32, device="cpu"), n_seeds=3)
    engine.train(1500, evaluate=False)
    assert not engine.diverged
    t = rep.model_tightness(engine, (0, 1, 2), data.x_train, data.y_train)
    one_hot, smoothed = t[:3], t[3:]
    assert smoothed.max() < one_hot.min()
    assert one_hot.mean() / smoothed.mean() > 2

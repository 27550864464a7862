"""Penultimate-layer pictures after Müller, Kornblith & Hinton 2019, "When does label smoothing
help?", Section 2.

Pick three classes a, b, c. Their templates are the last layer's weight columns w_k with the bias
included: logit z_k = h·w_k + b_k = [h, 1]·[w_k, b_k], so each template is [w_k, b_k] in R^(H+1)
and each penultimate activation h becomes [h, 1] (`augment`). The three templates span an affine
plane; every activation is projected orthogonally onto it and drawn by its 2D coordinates.

Because the logits are inner products with the templates, the plane keeps what separates the
three classes: with smoothing the classes form tight, equally spaced clusters, each at the same
distance from the other classes' templates (MKH, Figure 1). `tightness` puts a number on it.

Tensors come back as float64 on the CPU; inputs may be torch tensors or anything array-like.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import torch

from playground.core.validation import check_int, fail

DEGENERATE = 1e-9  # smallest singular value / largest of the template differences: below it, no plane


class LastLayerSource(Protocol):
    """What plane_coordinates needs: an Engine, or anything shaped like one."""
    weights: list[torch.Tensor]  # per layer [E, fan_in, fan_out]
    biases: list[torch.Tensor]  # per layer [E, 1, fan_out]

    def predict(self, points): ...  # -> an object with .penultimate [E, M, H]


def _f64(x) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x
                           ).detach().to("cpu", torch.float64)


def augment(features) -> torch.Tensor:
    """[..., H] -> [..., H + 1]: a constant 1 appended, the input the bias multiplies."""
    h = _f64(features)
    return torch.cat([h, torch.ones(*h.shape[:-1], 1, dtype=h.dtype)], dim=-1)


def templates(weight, bias, classes: Sequence[int]) -> torch.Tensor:
    """Templates [3, H + 1] of three classes from one model's last layer: weight [H, K] (fan_in,
    fan_out, as the engine stores it) and bias [K] or [1, K]; row i is [w_{c_i}, b_{c_i}]."""
    w, b = _f64(weight), _f64(bias).reshape(-1)
    if w.dim() != 2 or b.shape[0] != w.shape[1]:
        fail("weight", f"shapes {tuple(w.shape)} and bias {tuple(b.shape)}", "must be [H, K] and [K]")
    picked = _check_classes(classes, w.shape[1])
    return torch.cat([w[:, picked].T, b[picked].unsqueeze(1)], dim=1)


def _check_classes(classes: Sequence[int], k: int) -> list[int]:
    picked = list(classes) if not isinstance(classes, (int, float)) else [classes]
    if len(picked) != 3:
        fail("classes", classes, "must name exactly three classes")
    picked = [check_int(f"classes[{i}]", c, 0, k - 1) for i, c in enumerate(picked)]
    if len(set(picked)) != 3:
        fail("classes", classes, "must name three different classes")
    return picked


def template_plane(templates) -> tuple[torch.Tensor, torch.Tensor]:
    """(origin [D], basis [2, D]) of the affine plane through three templates [3, D].

    origin is the templates' centroid; the basis is orthonormal, its first vector along
    t1 - t0 and its second the part of t2 - t0 orthogonal to it (so template 2 has a positive
    second coordinate). Collinear or coincident templates span no plane: ValueError."""
    t = _f64(templates)
    if t.dim() != 2 or t.shape[0] != 3 or t.shape[1] < 2:
        fail("templates", f"shape {tuple(t.shape)}", "must be [3, D] with D >= 2")
    if not torch.isfinite(t).all():
        fail("templates", "non-finite values", "must be finite")
    diffs = t[1:] - t[0]
    s = torch.linalg.svdvals(diffs)
    if s[0] == 0 or s[1] <= DEGENERATE * s[0]:
        fail("templates", f"singular values {s[0]:.3g}, {s[1]:.3g} of t1 - t0, t2 - t0",
             "must not be collinear or coincident: three templates must span a plane")
    e1 = diffs[0] / diffs[0].norm()  # t1 != t0 at rank 2
    w = diffs[1] - (diffs[1] @ e1) * e1
    return t.mean(0), torch.stack([e1, w / w.norm()])


def project(features, origin, basis) -> torch.Tensor:
    """Coordinates [..., 2] in the plane of points [..., D]: (x - origin) · basis_j. The part of
    x - origin orthogonal to the plane is dropped."""
    x, o, e = _f64(features), _f64(origin), _f64(basis)
    if e.dim() != 2 or e.shape[0] != 2 or o.shape != (e.shape[1],) or x.shape[-1] != e.shape[1]:
        fail("features", f"shape {tuple(x.shape)}",
             f"must end in D = {e.shape[-1]}, matching origin [D] and basis [2, D]")
    return (x - o) @ e.T


def tightness(coords, labels) -> torch.Tensor:
    """Within-class spread over between-class distance of points in the plane; lower is tighter.

    coords [..., N, 2] (leading dims: models), labels [N]. With c_k the mean of class k's points:
      within  = mean over the N points of ||p_n - c_{y_n}||
      between = mean over the pairs of classes {a, b} of ||c_a - c_b||
      tightness = within / between   ([...], float64)
    It ignores scale, rotation and translation, and is 0 when every class collapses to a point.
    Classes are those present in labels (at least two); nan where all centres coincide."""
    p, y = _f64(coords), torch.as_tensor(np.asarray(labels) if not isinstance(labels, torch.Tensor)
                                         else labels).cpu()
    if p.dim() < 2 or p.shape[-1] != 2:
        fail("coords", f"shape {tuple(p.shape)}", "must be [..., N, 2]")
    if y.dim() != 1 or y.shape[0] != p.shape[-2]:
        fail("labels", f"shape {tuple(y.shape)}", f"must be [N] with N = {p.shape[-2]} points")
    classes, index = torch.unique(y, return_inverse=True)
    if len(classes) < 2:
        fail("labels", classes.tolist(), "must hold at least two classes")
    onehot = torch.nn.functional.one_hot(index, len(classes)).to(p.dtype)  # [N, C]
    centres = (onehot.T @ p) / onehot.sum(0).unsqueeze(1)  # [..., C, 2]
    within = (p - centres[..., index, :]).norm(dim=-1).mean(-1)
    a, b = torch.triu_indices(len(classes), len(classes), offset=1)
    between = (centres[..., a, :] - centres[..., b, :]).norm(dim=-1).mean(-1)
    return torch.where(between > 0, within / between, torch.full_like(between, float("nan")))


def model_templates(source: LastLayerSource, model_index: int, classes: Sequence[int]) -> torch.Tensor:
    """Templates [3, H + 1] of model `model_index`'s last layer (bias appended)."""
    weight, bias = source.weights[-1], source.biases[-1]
    i = check_int("model_index", model_index, 0, weight.shape[0] - 1)
    return templates(weight[i], bias[i], classes)


def plane_coordinates(source: LastLayerSource, model_index: int, classes: Sequence[int], x
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """(coords [M, 2] of the points x [M, 2], template coords [3, 2]) for one model of an engine,
    in the plane through the templates of `classes`. x should hold points of those three classes
    (MKH use about 100 per class)."""
    t = model_templates(source, model_index, classes)
    origin, basis = template_plane(t)
    h = source.predict(x).penultimate[model_index]
    return project(augment(h), origin, basis), project(t, origin, basis)


def model_tightness(source: LastLayerSource, classes: Sequence[int], x, labels) -> torch.Tensor:
    """tightness [E] of every model's points x [M, 2] with labels [M], each in its own template plane."""
    h = augment(source.predict(x).penultimate)
    coords = []
    for i in range(h.shape[0]):
        origin, basis = template_plane(model_templates(source, i, classes))
        coords.append(project(h[i], origin, basis))
    return tightness(torch.stack(coords), labels)

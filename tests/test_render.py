import io

import numpy as np
import torch
from PIL import Image

from playground import render


def test_boundary_colours_follow_class_and_confidence():
    probs = torch.tensor([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0], [float("nan"), float("nan")]])
    rgb = render.boundary_rgb(probs, 2).reshape(4, 3).astype(int)
    blue, orange = render._rgb(render.PALETTE[0]), render._rgb(render.PALETTE[1])
    alpha = render.MAX_ALPHA
    assert np.allclose(rgb[0], [255 * (1 - alpha) + c * alpha for c in blue], atol=1)
    assert np.allclose(rgb[2], [255 * (1 - alpha) + c * alpha for c in orange], atol=1)
    assert rgb[1].min() > 230  # no preference: nearly white
    assert tuple(rgb[3]) == render.DIVERGED_GREY
    hard = render.boundary_rgb(torch.tensor([[0.6, 0.4]]), 1, discretize=True).reshape(3).astype(int)
    assert np.allclose(hard, rgb[0], atol=1)  # discretized: full strength whatever the confidence


def test_scene_draws_points_and_rings():
    boundary = np.full((10, 10, 3), 255, dtype=np.uint8)
    xy = np.array([[0.0, 0.0], [0.5, 0.5]], dtype=np.float32)
    plain = render.scene_jpeg(boundary, 1.0, xy, np.array([0, 1]), np.array([False, True]),
                             np.array([False, False]), None, size=100)
    ringed = render.scene_jpeg(boundary, 1.0, xy, np.array([0, 1]), np.array([False, True]),
                              np.array([True, False]), 1, size=100)
    a = np.asarray(Image.open(io.BytesIO(plain)))
    b = np.asarray(Image.open(io.BytesIO(ringed)))
    assert a.shape == (100, 100, 3)
    blue, orange = np.array(render._rgb(render.PALETTE[0])), np.array(render._rgb(render.PALETTE[1]))

    def nearest(pixel):  # JPEG is lossy: ask which class colour a pixel is closest to
        return min((np.abs(pixel.astype(int) - c).sum(), i) for i, c in enumerate((blue, orange)))[1]

    assert nearest(a[50, 50]) == 0  # the class-0 dot at the centre
    assert nearest(a[25, 75]) == 1  # the class-1 square at (0.5, 0.5): up and to the right
    assert np.abs(a[50, 50].astype(int) - blue).max() < 25
    assert (np.abs(b.astype(int) - a.astype(int)).max(-1) > 60).sum() > 50  # the rings


def test_data_url_round_trips():
    import base64
    jpeg = render.scene_jpeg(np.zeros((4, 4, 3), dtype=np.uint8), 1.0, np.zeros((0, 2)), np.zeros(0, int),
                           np.zeros(0, bool), np.zeros(0, bool), None, size=20)
    url = render.data_url(jpeg)
    assert url.startswith("data:image/jpeg;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == jpeg

import base64
import io

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from playground.views import palette, render

BLUE, ORANGE = (np.array(palette.rgb(c)) for c in palette.CLASS_COLOURS[:2])
WHITE = np.full((4, 4, 3), 255, dtype=np.uint8)


def decode(picture: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(picture))).astype(int)


def scene(xy, labels, is_test=None, wrong=None, picked=None, size=200, boundary=WHITE):
    xy, labels = np.asarray(xy, dtype=np.float32).reshape(-1, 2), np.asarray(labels, dtype=int)
    none = np.zeros(len(labels), dtype=bool)
    is_test = none if is_test is None else np.asarray(is_test)
    wrong = none if wrong is None else np.asarray(wrong)
    return decode(render.scene_jpeg(boundary, 1.0, xy, labels, is_test, wrong, picked, size=size))


def close(pixel, colour, tol=30):  # JPEG is lossy: near enough, channel by channel
    return np.abs(np.asarray(pixel) - np.asarray(colour)).max() < tol


def test_boundary_colours_follow_palette_and_confidence():
    probs = torch.tensor([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0], [float("nan"), float("nan")], [0.75, 0.25]])
    rgb = render.boundary_rgb(probs[:4], 2).reshape(4, 3).astype(int)
    alpha = render.MAX_ALPHA
    assert np.allclose(rgb[0], 255 * (1 - alpha) + BLUE * alpha, atol=1)
    assert np.allclose(rgb[2], 255 * (1 - alpha) + ORANGE * alpha, atol=1)
    assert rgb[1].min() > 230  # no preference: nearly white
    assert tuple(rgb[3]) == render.DIVERGED_GREY
    half = render.boundary_rgb(probs[4:], 1).reshape(3).astype(int)  # halfway from 1/K to 1
    mid = (render.MIN_ALPHA + render.MAX_ALPHA) / 2
    assert np.allclose(half, 255 * (1 - mid) + BLUE * mid, atol=1)
    hard = render.boundary_rgb(probs[4:], 1, discretize=True).reshape(3).astype(int)
    assert np.allclose(hard, rgb[0], atol=1)  # discretized: full strength whatever the confidence


def test_plot_area_sits_at_plot_origin_inside_margins():
    red = np.zeros((4, 4, 3), dtype=np.uint8)
    red[..., 0] = 220
    image = scene(np.zeros((0, 2)), [], size=100, boundary=red)
    left, top = render.plot_origin(100)
    width, height = render.picture_size(100)
    assert image.shape == (height, width, 3)
    assert width > 100 + left - 1 and height > 100 + top and left > 10  # room for the labels
    plot = image[top:top + 100, left:left + 100]
    assert all(close(p, (220, 0, 0)) for p in (plot[1, 1], plot[1, 98], plot[98, 1], plot[98, 98]))
    assert not close(image[top + 40, left - 4], (220, 0, 0))  # left of the plot: the margin
    assert not close(image[top + 100 + 4, left + 40], (220, 0, 0))  # below it


def test_ticks_and_labels_in_the_margins():
    size, box = 200, 1.25
    image = decode(render.scene_jpeg(WHITE, box, np.zeros((0, 2)), np.zeros(0, int), np.zeros(0, bool),
                                     np.zeros(0, bool), None, size=size))
    left, top = render.plot_origin(size)
    bottom = image[top + size + 1:]
    assert (bottom.max(-1) < 120).sum() > 40  # tick labels: dark text below the plot
    assert (image[top:top + size, :left - 1].max(-1) < 120).sum() > 40  # and left of it
    row = top + size + 1  # tick marks hang just below the axis line at x1 = -1, -0.5, 0, 0.5, 1
    for t in render.TICKS:
        assert image[row, round(left + (t + box) / (2 * box) * size)].max() < 150
    assert image[row, round(left + (0.25 + box) / (2 * box) * size)].min() > 220  # none between


def test_dots_and_squares_land_at_their_data_coordinates():
    image = scene([[0.0, 0.0], [0.5, 0.5]], [0, 1], is_test=[False, True], size=100)
    left, top = render.plot_origin(100)
    assert close(image[top + 50, left + 50], BLUE)  # the class-0 dot at the centre
    assert close(image[top + 25, left + 75], ORANGE)  # the class-1 square at (0.5, 0.5): up and right
    assert image[top + 75, left + 25].min() > 240  # nothing where there is no point


def test_crowded_dots_keep_their_class_colour():
    xy = np.random.default_rng(0).uniform(-0.2, 0.2, (1000, 2))  # a thousand overlapping dots
    image = scene(xy, np.zeros(1000, int), size=300)
    left, top = render.plot_origin(300)
    patch = image[top + 130:top + 170, left + 130:left + 170].reshape(-1, 3)
    assert close(patch.mean(0), BLUE, tol=45)  # white outlines would wash it out


def test_dots_shrink_as_points_grow():
    assert render.dot_radius(480, 100) == pytest.approx(480 / 110)
    assert render.dot_radius(480, 3000) == pytest.approx(480 / 170)
    assert render.dot_radius(480, 300) > render.dot_radius(480, 1000) > render.dot_radius(480, 3000)
    assert render.dot_radius(100, 5000) == 2.0


def test_mistake_ring_is_thin_and_grey():
    plain = scene([[0.0, 0.0]], [0], size=200)
    ringed = scene([[0.0, 0.0]], [0], wrong=[True], size=200)
    changed = np.abs(ringed - plain).max(-1) > 40
    r = render.dot_radius(200, 1)
    assert changed.sum() > 2 * np.pi * 2 * r * 0.5  # a ring is drawn, most of its way round
    assert changed.sum() < 2 * np.pi * 2 * r * 1.5  # but one pixel wide: the old one was two, in black
    assert ringed[changed].min(-1).mean() > 70  # grey, not black


def test_picked_point_gets_a_crosshair_not_a_ring():
    size = 200
    image = scene([[0.0, 0.0]], [0], picked=0, size=size)
    left, top = render.plot_origin(size)
    cx, cy, r = left + size // 2, top + size // 2, render.dot_radius(size, 1)
    arm = round(3 * r)
    for y, x in ((cy, cx - arm), (cy, cx + arm), (cy - arm, cx), (cy + arm, cx)):
        assert image[y, x].max() < 90  # the crosshair's four arms are black
    assert close(image[cy, cx], BLUE)  # the gap keeps the point's own colour
    diagonal = round(2 * r / np.sqrt(2))  # where a mistake ring would pass
    assert image[cy + diagonal, cx + diagonal].min() > 200


def colour_as_scenes_js(grid: dict, style: dict) -> np.ndarray:
    """scenes.js's colouring of a scene_grid, in numpy: [N, 3] (the browser rounds, numpy truncates)."""
    cls, level = grid["cls"], grid["alpha"].astype(float)
    diverged = level > style["levels"]
    a = np.where(diverged, 1.0, level / style["levels"])[:, None]
    colour = np.where(diverged[:, None], np.array(style["diverged"]), np.array(style["rgb"])[cls])
    return 255 * (1 - a) + colour * a


@pytest.mark.parametrize("discretize,faded", [(False, False), (True, False), (False, True)])
def test_a_browser_coloured_grid_matches_the_server_picture(discretize, faded):
    gen = torch.Generator().manual_seed(0)
    probs = torch.softmax(3 * torch.randn(64, 3, generator=gen), -1)
    probs[5] = float("nan")  # a diverged model's cell
    fade = torch.rand(64, generator=gen).numpy() if faded else None
    style = render.scene_style(3, 1.0)
    browser = colour_as_scenes_js(render.scene_grid(probs, discretize, fade=fade), style)
    server = render.boundary_rgb(probs, 8, discretize, fade=fade).reshape(64, 3).astype(float)
    assert np.abs(browser - server).max() <= 1.5  # quantised opacity, then rounding
    assert tuple(browser[5].round().astype(int)) == render.DIVERGED_GREY
    assert np.ptp(browser) > 100  # coloured cells and near-white ones: a real picture, not a flat one


def test_distance_fade_and_faded_boundary():
    grid = np.array([[0.0, 0.0], [0.1, 0.0], [1.0, 1.0], [-1.0, 1.0]], dtype=np.float32)
    fade = render.distance_fade(grid, np.array([[0.0, 0.0], [0.5, -0.5]], dtype=np.float32))
    assert fade[0] == pytest.approx(1.0, abs=1e-3)
    assert fade[1] == pytest.approx(np.exp(-(0.1 / 0.25) ** 2), abs=1e-3)
    assert fade[2] < 1e-3 and fade[3] < 1e-3
    probs = torch.tensor([[1.0, 0.0]] * 4)
    rgb = render.boundary_rgb(probs, 2, fade=fade).reshape(4, 3).astype(int)
    full = 255 * (1 - render.MAX_ALPHA) + BLUE * render.MAX_ALPHA
    assert np.allclose(rgb[0], full, atol=2)
    assert rgb[2].min() >= 250 and rgb[3].min() >= 250  # far from the data: white
    assert render.boundary_rgb(probs, 2, fade=fade, upsample=2).shape == (4, 4, 3)


def test_upsample_is_bilinear_and_smooth():
    x = torch.linspace(-1, 1, 8).repeat(8)  # one sharp left-right boundary on an 8 x 8 grid
    probs = torch.softmax(torch.stack([-6 * x, 6 * x], 1), -1)
    coarse = render.boundary_rgb(probs, 8).astype(int)
    fine = render.boundary_rgb(probs, 8, upsample=4).astype(int)
    assert fine.shape == (32, 32, 3)
    step = lambda image: np.abs(np.diff(image, axis=1)).max()  # noqa: E731
    assert step(fine) < step(coarse) / 2
    # the same as interpolating the probabilities with torch (bilinear, align_corners=False)
    planes = probs.T.reshape(1, 2, 8, 8)
    expected = F.interpolate(planes, scale_factor=4, mode="bilinear", align_corners=False)[0]
    assert np.abs(render.boundary_rgb(expected.reshape(2, -1).T, 32).astype(int) - fine).max() <= 1


@pytest.mark.parametrize("k", [3, 10])
def test_colour_key_shows_every_class_colour(k):
    png = render.colour_key_png(k, width=480)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width == 480 and 30 <= image.height <= 60
    pixels = {tuple(p) for p in np.asarray(image.convert("RGB")).reshape(-1, 3)}
    assert all(palette.rgb(c) in pixels for c in palette.class_colours(k))
    assert render.colour_key_png(k, width=480) is png  # cached


def test_data_url_round_trips():
    jpeg = render.scene_jpeg(np.zeros((4, 4, 3), dtype=np.uint8), 1.0, np.zeros((0, 2)), np.zeros(0, int),
                             np.zeros(0, bool), np.zeros(0, bool), None, size=20)
    url = render.data_url(jpeg)
    assert url.startswith("data:image/jpeg;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == jpeg


def test_a_packed_scene_unpacks_to_the_same_scene():
    """pack_scene's layout, read back as scenes.js reads it: every array at a 4-byte boundary."""
    xy = np.array([[0.5, -1.25], [2.0, 3.0], [-0.1, 0.2]], dtype=np.float32)
    scene = {"res": 2, "step": 7, "label": "one-hot", "xy": xy,
             "models": [{"cls": np.array([0, 1, 2, 1], np.uint8), "wrong": np.array([1, 0, 1], np.uint8)}]}
    packed = render.pack_scene(scene)
    back = render.unpack_scene(packed)
    assert back["res"] == 2 and back["step"] == 7 and back["label"] == "one-hot"
    assert np.array_equal(back["xy"].reshape(-1, 2), xy)
    assert np.array_equal(back["models"][0]["cls"], [0, 1, 2, 1])
    assert np.array_equal(back["models"][0]["wrong"], [1, 0, 1])
    size = int.from_bytes(packed[:4], "little")
    assert packed[4 + size:4 + size + (-size % 4)] == bytes(-size % 4)  # the header's padding
    assert len(packed) % 4 == 0  # every array padded to the next boundary

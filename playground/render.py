"""Decision boundaries as pictures: hue is the predicted class, intensity the confidence.

The live page shows each model as one finished picture (boundary, points, mistakes). A browser
swaps a picture far faster than it redraws thousands of chart marks, which is what lets the
page update many times a second.
"""
from __future__ import annotations

import base64
import io

import numpy as np
import torch
from PIL import Image, ImageDraw

# Tableau 10: distinct hues that stay readable when faded towards white
PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2",
           "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac"]
DIVERGED_GREY = (200, 200, 200)
MIN_ALPHA, MAX_ALPHA = 0.08, 0.85


def class_colours(num_classes: int) -> list[str]:
    return [PALETTE[c % len(PALETTE)] for c in range(num_classes)]


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def boundary_rgb(grid_probs: torch.Tensor, resolution: int, discretize: bool = False) -> np.ndarray:
    """[R, R, 3] uint8 image of grid probabilities [R*R, K] (row-major from the top).

    The top probability maps from 1/K (no preference) to 1 onto a fade from white to the
    class colour; `discretize` paints every cell at full strength. NaN (diverged) cells are grey.
    """
    probs = grid_probs.detach().float().cpu()
    k = probs.shape[-1]
    conf, pred = probs.max(-1)
    if discretize:
        strength = torch.ones_like(conf)
    else:
        strength = ((conf - 1 / k) / (1 - 1 / k)).clamp(0, 1)
    alpha = (MIN_ALPHA + (MAX_ALPHA - MIN_ALPHA) * strength).numpy()[:, None]
    colours = np.array([_rgb(c) for c in class_colours(k)], dtype=np.float32)
    rgb = 255 * (1 - alpha) + colours[pred.numpy()] * alpha
    rgb[~np.isfinite(conf.numpy())] = DIVERGED_GREY
    return np.clip(rgb, 0, 255).astype(np.uint8).reshape(resolution, resolution, 3)


def scene_jpeg(boundary: np.ndarray, box: float, xy: np.ndarray, labels: np.ndarray, is_test: np.ndarray,
              wrong: np.ndarray, picked: int | None = None, size: int = 360) -> bytes:
    """The live view as one JPEG: the boundary image scaled to size x size pixels, then the points
    (dots for training, squares for test, in their class colour), a black ring on each point the
    model gets wrong and a larger ring on the picked point.

    One finished picture per update is the cheapest thing a browser can redraw; JPEG at
    quality 90 is half the size of PNG for these smooth gradients and ten times faster to encode."""
    image = Image.fromarray(boundary, "RGB").resize((size, size), Image.BILINEAR)
    draw = ImageDraw.Draw(image)
    px = (xy[:, 0] + box) / (2 * box) * size
    py = (box - xy[:, 1]) / (2 * box) * size
    colours = [_rgb(c) for c in class_colours(int(labels.max()) + 1 if len(labels) else 1)]
    r = max(2.0, size / 110)
    for x, y, c, test in zip(px, py, labels, is_test):
        shape = draw.rectangle if test else draw.ellipse
        shape((x - r, y - r, x + r, y + r), fill=colours[c], outline=(255, 255, 255))
    for x, y in zip(px[wrong], py[wrong]):
        draw.ellipse((x - 2 * r, y - 2 * r, x + 2 * r, y + 2 * r), outline=(0, 0, 0), width=2)
    if picked is not None:
        x, y = px[picked], py[picked]
        draw.ellipse((x - 4 * r, y - 4 * r, x + 4 * r, y + 4 * r), outline=(0, 0, 0), width=3)
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=90, subsampling=0)  # full-resolution colour keeps dots true
    return buf.getvalue()


def data_url(picture: bytes, mime: str = "image/jpeg") -> str:
    """The picture inline as a data: URL. Inline pictures travel with the page update itself, so
    a fast live view never points the browser at a picture the server has already dropped."""
    return f"data:{mime};base64," + base64.b64encode(picture).decode("ascii")

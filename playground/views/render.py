"""Decision boundaries as pictures: hue is the predicted class, intensity the confidence.

The sweep, Alternatives and Distillation pages show each model as one finished picture
(boundary, points, mistakes): a browser swaps a picture far faster than it redraws thousands of
chart marks. The live page sends the same scene as small grids and packed points instead
(scene_grid, scene_points), which its browser component draws, so nothing is encoded per frame.
"""
from __future__ import annotations

import base64
import io
import json
import math
from functools import lru_cache

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from playground.core.datasets import BOX, Dataset
from playground.views import palette

DIVERGED_GREY = (200, 200, 200)
MIN_ALPHA, MAX_ALPHA = 0.08, 0.85
ALPHA_LEVELS = 254  # a browser-coloured cell's opacity, in steps of 1/254; 255 marks a diverged cell
TICKS = (-1.0, -0.5, 0.0, 0.5, 1.0)  # data coordinates; the data are scaled to |x| <= 1
TEXT_GREY = (60, 60, 60)
RING_GREY = (110, 110, 110)  # mid grey: a hundred mistake rings must not blacken the picture
CLASS_RGB = [palette.rgb(c) for c in palette.CLASS_COLOURS]
# a darker shade of the class colour: separates touching dots without hiding their colour
OUTLINE_RGB = [tuple(round(0.7 * v) for v in c) for c in CLASS_RGB]


def distance_fade(grid: np.ndarray, points: np.ndarray, scale: float = 0.25) -> np.ndarray:
    """[R*R] in [0, 1]: exp(-(d / scale)^2) of each grid cell's distance d to the nearest point.

    Far from the data a smoothed model's top class flips at low confidence, drawing streaks that
    say nothing about the data; fading them out keeps the eye on the region the model was fit to."""
    if len(points) == 0:
        return np.ones(len(grid), dtype=np.float32)
    cells = torch.as_tensor(np.asarray(grid), dtype=torch.float32)
    data = torch.as_tensor(np.asarray(points), dtype=torch.float32)
    # in chunks, so a large grid times many points never builds one huge distance matrix
    nearest = torch.cat([torch.cdist(chunk, data).min(1).values for chunk in cells.split(1024)])
    return torch.exp(-(nearest / scale) ** 2).numpy()


def boundary_rgb(grid_probs: torch.Tensor, resolution: int, discretize: bool = False,
                 fade: np.ndarray | torch.Tensor | None = None, upsample: int = 1) -> np.ndarray:
    """[R*u, R*u, 3] uint8 image of grid probabilities [R*R, K] (row-major from the top), u = upsample.

    The top probability maps from 1/K (no preference) to 1 onto a fade from white to the
    class colour; `discretize` paints every cell at full strength. `fade` [R*R] in [0, 1] scales
    that strength, so cells where it is 0 are white. `upsample` interpolates the probabilities
    bilinearly before colouring, so a coarse grid scaled up shows smooth edges, not stairs.
    NaN (diverged) cells are grey."""
    # numpy, one row per class: single-threaded, so it never waits on cores a training run holds
    probs = grid_probs.detach().float().cpu().numpy().T
    k = len(probs)
    fade = None if fade is None else np.asarray(fade, dtype=np.float32).reshape(1, -1)
    if upsample > 1:
        probs = _upsample(probs, resolution, upsample)
        fade = None if fade is None else _upsample(fade, resolution, upsample)
        resolution *= upsample
    pred, alpha, finite = _class_and_alpha(probs, discretize, fade)
    colours = np.array(CLASS_RGB[:k], dtype=np.float32)
    rgb = 255 * (1 - alpha[:, None]) + colours[pred] * alpha[:, None]
    rgb[~finite] = DIVERGED_GREY
    return np.clip(rgb, 0, 255).astype(np.uint8).reshape(resolution, resolution, 3)


def _class_and_alpha(probs: np.ndarray, discretize: bool, fade: np.ndarray | None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per cell of [K, N] probabilities: the predicted class, the opacity of its colour over
    white, and whether the cell is finite (a diverged model's are not)."""
    k = len(probs)
    conf, pred = probs.max(0), probs.argmax(0)
    strength = np.ones_like(conf) if discretize else np.clip((conf - 1 / k) / (1 - 1 / k), 0, 1)
    alpha = MIN_ALPHA + (MAX_ALPHA - MIN_ALPHA) * strength
    if fade is not None:
        alpha = alpha * np.clip(fade[0], 0, 1)
    return pred, alpha, np.isfinite(conf)


def _upsample(planes: np.ndarray, resolution: int, factor: int) -> np.ndarray:
    """Bilinear upsampling of [C, R*R] planes to [C, (R*factor)^2]. PIL's float resize computes
    exactly what torch's interpolate(mode="bilinear", align_corners=False) does, on one thread:
    torch's two threads stalled for milliseconds per call whenever another process held a core."""
    side = resolution * factor
    return np.stack([np.asarray(Image.fromarray(plane.reshape(resolution, resolution), "F")
                                .resize((side, side), Image.BILINEAR)).ravel() for plane in planes])


@lru_cache(maxsize=8)
def _font(px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=px)


def _font_px(size: int) -> int:
    return max(9, round(size / 40))


def _tick_label(value: float) -> str:
    return f"{value:g}"  # ASCII minus: the default font has no U+2212 glyph


def plot_origin(size: int) -> tuple[int, int]:
    """(left, top): where the size x size plot area sits inside a scene picture of that size."""
    font = _font(_font_px(size))
    label_width = max(math.ceil(font.getlength(_tick_label(t))) for t in TICKS)
    return label_width + 3 + _tick_length(size), _pad(size)


def _tick_length(size: int) -> int:
    return max(3, round(size / 120))


def _pad(size: int) -> int:
    return _font_px(size) // 2  # white around the top and right, so the frame does not touch the edge


def picture_size(size: int) -> tuple[int, int]:
    """(width, height) of a scene picture whose plot area is size x size."""
    left, top = plot_origin(size)
    bottom = _tick_length(size) + 3 + _font_px(size) + 2
    return left + size + _pad(size), top + size + bottom


@lru_cache(maxsize=8)
def _frame(size: int, box: float, axes: tuple[str, str] = ("x1", "x2")) -> Image.Image:
    """The static part of a scene: white margins, axis lines, ticks, tick labels and axis names.
    Drawn once per (size, box); each frame only pastes its plot in."""
    left, top = plot_origin(size)
    image = Image.new("RGB", picture_size(size), "white")
    draw = ImageDraw.Draw(image)
    font, tick = _font(_font_px(size)), _tick_length(size)
    right, bottom = left + size, top + size  # first pixel past the plot area
    draw.line((left - 1, top, left - 1, bottom), fill=TEXT_GREY)
    draw.line((left - 1, bottom, right - 1, bottom), fill=TEXT_GREY)
    for t in TICKS:
        x = left + (t + box) / (2 * box) * size
        y = top + (box - t) / (2 * box) * size
        draw.line((x, bottom, x, bottom + tick), fill=TEXT_GREY)
        draw.line((left - 1 - tick, y, left - 1, y), fill=TEXT_GREY)
        draw.text((x, bottom + tick + 2), _tick_label(t), font=font, fill=TEXT_GREY, anchor="mt")
        draw.text((left - tick - 3, y), _tick_label(t), font=font, fill=TEXT_GREY, anchor="rm")
    # axis names at the positive ends, in line with the tick labels, so they cost no extra margin
    neutral = palette.rgb(palette.NEUTRAL)
    draw.text((right, bottom + tick + 2), axes[0], font=font, fill=neutral, anchor="rt")
    draw.text((left - tick - 3, top), axes[1], font=font, fill=neutral, anchor="rt")
    return image


def dot_radius(size: int, num_points: int) -> float:
    """Radius of a point's dot: size/110 up to 300 points, shrinking (in log of the count) to
    size/170 at 3,000 so crowded data stay readable; never below 2 px."""
    crowding = min(max(math.log10(max(num_points, 1) / 300), 0.0), 1.0)
    return max(2.0, size / (110 + 60 * crowding))


def scene_points(xy: np.ndarray, labels: np.ndarray, is_test: np.ndarray) -> dict:
    """The points of a browser-drawn scene (scenes.js): float32 coordinates [N, 2], uint8 class and
    test flag."""
    return {"xy": np.asarray(xy, dtype=np.float32), "classes": np.asarray(labels, dtype=np.uint8),
            "test": np.asarray(is_test, dtype=np.uint8)}


def scene_grid(grid_probs: torch.Tensor, discretize: bool = False,
               fade: np.ndarray | torch.Tensor | None = None) -> dict:
    """One model's boundary for scenes.js to colour as boundary_rgb does, from grid probabilities
    [R*R, K]: per cell the predicted class and its colour's opacity in steps of 1/ALPHA_LEVELS
    (ALPHA_LEVELS + 1: diverged, grey), each uint8. Two bytes a cell, and no colour mixing on the
    server."""
    probs = grid_probs.detach().float().cpu().numpy().T
    fade = None if fade is None else np.asarray(fade, dtype=np.float32).reshape(1, -1)
    pred, alpha, finite = _class_and_alpha(probs, discretize, fade)
    level = np.where(finite, np.rint(alpha * ALPHA_LEVELS), ALPHA_LEVELS + 1).astype(np.uint8)
    return {"cls": pred.astype(np.uint8), "alpha": level}


def scene_model(grid: dict, wrong: np.ndarray, label: str) -> dict:
    """One model of a browser-drawn scene: its scene_grid, its mistakes (uint8) and its name."""
    return {**grid, "wrong": np.asarray(wrong, dtype=np.uint8), "label": label}


def pack_scene(scene: dict) -> bytes:
    """A scene as scenes.js reads it, in one binary message: a little-endian uint32 header length,
    the header (JSON: the scene with each array replaced by {"at": [offset, length]} into the
    body), zero padding to a 4-byte boundary, then the body, each array's raw bytes starting at a
    4-byte boundary. Raw bytes are a third smaller than base64 and Streamlit forwards them without
    encoding them as JSON again."""
    body = bytearray()

    def split(value):
        if isinstance(value, np.ndarray):
            raw = np.ascontiguousarray(value).tobytes()
            at = [len(body), len(raw)]
            body.extend(raw + bytes(-len(raw) % 4))
            return {"at": at}
        if isinstance(value, dict):
            return {k: split(v) for k, v in value.items()}
        if isinstance(value, list):
            return [split(v) for v in value]
        return value

    header = json.dumps(split(scene), separators=(",", ":")).encode()
    return len(header).to_bytes(4, "little") + header + bytes(-len(header) % 4) + bytes(body)


def unpack_scene(packed: bytes, floats: tuple[str, ...] = ("xy",)) -> dict:
    """pack_scene's inverse, as scenes.js does it: arrays come back as uint8, or float32 for the
    keys in `floats`."""
    size = int.from_bytes(packed[:4], "little")
    body = 4 + size + (-size % 4)

    def join(value, key=None):
        if isinstance(value, dict) and set(value) == {"at"}:
            start, length = value["at"]
            return np.frombuffer(packed[body + start:body + start + length],
                                 np.float32 if key in floats else np.uint8)
        if isinstance(value, dict):
            return {k: join(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [join(v) for v in value]
        return value

    return join(json.loads(packed[4:4 + size]))


def scene_style(num_classes: int, box: float, axes: tuple[str, str] = ("x1", "x2")) -> dict:
    """What scenes.js draws with: the viewing box, ticks, the axes' names, the class colours (for
    points, outlines and cells) and how cells are coloured."""
    return {"box": box, "ticks": list(TICKS), "axes": list(axes),
            "colours": [f"rgb{tuple(c)}" for c in CLASS_RGB[:num_classes]],
            "outlines": [f"rgb{tuple(c)}" for c in OUTLINE_RGB[:num_classes]],
            "rgb": [list(c) for c in CLASS_RGB[:num_classes]], "levels": ALPHA_LEVELS,
            "diverged": list(DIVERGED_GREY)}


def scene_jpeg(boundary: np.ndarray, box: float, xy: np.ndarray, labels: np.ndarray, is_test: np.ndarray,
               wrong: np.ndarray, picked: int | None = None, size: int = 360,
               axes: tuple[str, str] = ("x1", "x2")) -> bytes:
    """One model's scene as one JPEG: the boundary image scaled to a size x size plot area (at
    plot_origin(size), with ticked axes around it), then the points (dots for training, squares for
    test, in their class colour), a thin grey ring on each point the model gets wrong and a
    crosshair on the picked point.

    One finished picture per update is the cheapest thing a browser can redraw; JPEG at
    quality 90 is half the size of PNG for these smooth gradients and ten times faster to encode."""
    left, top = plot_origin(size)
    image = _frame(size, box, tuple(axes)).copy()
    image.paste(Image.fromarray(boundary, "RGB").resize((size, size), Image.BILINEAR), (left, top))
    draw = ImageDraw.Draw(image)
    px = (left + (xy[:, 0] + box) / (2 * box) * size).tolist()
    py = (top + (box - xy[:, 1]) / (2 * box) * size).tolist()
    classes, tests = np.asarray(labels).tolist(), np.asarray(is_test).tolist()  # lists: a fast loop
    r = dot_radius(size, len(px))

    def mark(i: int) -> None:
        x, y, c = px[i], py[i], classes[i]
        shape = draw.rectangle if tests[i] else draw.ellipse
        shape((x - r, y - r, x + r, y + r), fill=CLASS_RGB[c], outline=OUTLINE_RGB[c])

    for i in range(len(px)):
        mark(i)
    for i in np.flatnonzero(wrong):
        x, y = px[i], py[i]
        draw.ellipse((x - 2 * r, y - 2 * r, x + 2 * r, y + 2 * r), outline=RING_GREY, width=1)
    if picked is not None:
        # a crosshair, black on a white halo so it shows on any colour; the gap keeps the point
        # itself visible, and nothing else in the picture is a line
        x, y = px[picked], py[picked]
        gap, arm, width = 1.5 * r + 1, 4.5 * r, max(1, round(size / 240))
        for grow, colour in ((1, (255, 255, 255)), (0, (0, 0, 0))):
            for s in (-1, 1):
                ends = (s * (gap - grow), s * (arm + grow))
                draw.line((x + ends[0], y, x + ends[1], y), fill=colour, width=width + 2 * grow)
                draw.line((x, y + ends[0], x, y + ends[1]), fill=colour, width=width + 2 * grow)
        mark(picked)  # on top of any neighbour that overlaps it
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=90, subsampling=0)  # full-resolution colour keeps dots true
    return buf.getvalue()


def boundary_picture(grid_probs: torch.Tensor, resolution: int, data: Dataset, size: int = 360) -> bytes:
    """A trained model's boundary from its grid probabilities [R*R, K], under the training points,
    as one JPEG (the sweep's, the comparison's and distillation's picture of each model). Upsampled
    4x: the coarse grid scaled to a few hundred pixels would otherwise show stair-stepped edges."""
    none = np.zeros(len(data.y_train), dtype=bool)
    xy = data.plane.project(data.x_train)
    return scene_jpeg(boundary_rgb(grid_probs, resolution, upsample=4), BOX, xy, data.y_train,
                      none, none, None, size=size, axes=data.plane.axes)


@lru_cache(maxsize=32)
def colour_key_png(num_classes: int, width: int = 480) -> bytes:
    """A PNG strip explaining the boundary pictures: one swatch per class colour, and the ramp of
    strengths from confidence 1/K (white) to 1 (the full colour, shown here in neutral grey)."""
    font, height, swatch, pad = _font(12), 44, 12, 4
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    colours = palette.class_colours(num_classes)
    names = [f"class {c}" for c in range(num_classes)]
    if sum(swatch + 16 + font.getlength(n) for n in names) > width:
        names = [str(c) for c in range(num_classes)]  # many classes: the digits alone fit
    x, row, half = pad, pad + swatch // 2, swatch // 2
    for colour, name in zip(colours, names):
        draw.rectangle((x, row - half, x + swatch - 1, row + half - 1), fill=palette.rgb(colour))
        draw.text((x + swatch + 4, row), name, font=font, fill=TEXT_GREY, anchor="lm")
        x += swatch + 16 + font.getlength(name)
    row = height - pad - half
    low = f"{1 / num_classes:.2g}"
    draw.text((pad, row), f"confidence {low}", font=font, fill=TEXT_GREY, anchor="lm")
    start = pad + math.ceil(font.getlength(f"confidence {low}")) + 6
    end = min(width - pad - math.ceil(font.getlength("1")) - 6, start + 200)
    alpha = np.linspace(MIN_ALPHA, MAX_ALPHA, end - start)[None, :, None]
    ramp = 255 * (1 - alpha) + np.array(palette.rgb(palette.NEUTRAL)) * alpha
    ramp = np.broadcast_to(ramp, (swatch, end - start, 3)).astype(np.uint8)
    image.paste(Image.fromarray(np.ascontiguousarray(ramp), "RGB"), (start, row - half))
    # a light outline, so the ramp's white end stands out from the page
    draw.rectangle((start - 1, row - half - 1, end, row + half), outline=(200, 200, 200))
    draw.text((end + 6, row), "1", font=font, fill=TEXT_GREY, anchor="lm")
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def data_url(picture: bytes, mime: str = "image/jpeg") -> str:
    """The picture inline as a data: URL. Inline pictures travel with the page update itself, so
    a fast live view never points the browser at a picture the server has already dropped."""
    return f"data:{mime};base64," + base64.b64encode(picture).decode("ascii")


# ---- text alternatives ------------------------------------------------------------------------
# What a picture shows, in words, computed from the same grid (or the finished picture) a person
# sees: which class holds how much of the view and where, and how much of it is pale.

UNSURE_TOP = 0.75  # a cell is unsure below this top probability (metrics.boundary_blur's threshold)


def _where(rows: np.ndarray, cols: np.ndarray, side: int) -> str:
    """'on the left', 'in the upper right', 'in the middle': where cells (row 0 at the top) lie."""
    x = 2 * (cols.mean() + 0.5) / side - 1
    y = 1 - 2 * (rows.mean() + 0.5) / side
    across = "left" if x < -0.2 else "right" if x > 0.2 else ""
    up = "lower" if y < -0.2 else "upper" if y > 0.2 else ""
    if across and up:
        return f"in the {up} {across}"
    if across:
        return f"on the {across}"
    if up:
        return f"in the {'bottom' if up == 'lower' else 'top'} half"
    return "around the middle"


def describe_regions(cls: np.ndarray, strength: np.ndarray, num_classes: int,
                     diverged: np.ndarray | None = None) -> str:
    """One sentence about a square boundary picture: each class's share of the view and where it
    lies, largest first, then the share that is pale (top probability below UNSURE_TOP).

    cls [R, R]: the predicted class per cell, row 0 at the top; strength [R, R] in [0, 1]: how
    strongly the cell is coloured, 0 at a top probability of 1/K and 1 at 1; diverged [R, R]: the
    cells a diverged model left grey."""
    cls, strength = np.asarray(cls), np.asarray(strength, dtype=np.float32)
    side = cls.shape[0]
    finite = np.ones_like(cls, dtype=bool) if diverged is None else ~np.asarray(diverged, dtype=bool)
    if finite.mean() < 0.5:
        return "grey: the model diverged, so it predicts nothing"
    parts: list[str] = []
    shares = [(float(((cls == c) & finite).mean()), c) for c in range(num_classes)]
    for share, c in sorted(shares, key=lambda sc: (-sc[0], sc[1])):
        name = f"{palette.CLASS_COLOUR_NAMES[c]} (class {c})"
        if share < 0.005:
            parts.append(f"{name} nowhere")
            continue
        rows, cols = np.nonzero((cls == c) & finite)
        whole = "" if parts else " of the view"
        parts.append(f"{name} {share:.0%}{whole}, {_where(rows, cols, side)}")
    k = num_classes
    unsure = float(((strength < (UNSURE_TOP - 1 / k) / (1 - 1 / k)) & finite).mean())
    return "; ".join(parts) + f"; pale, where the top probability is below {UNSURE_TOP:g}: {unsure:.0%}"


def describe_scene_grid(grid: dict, resolution: int, num_classes: int) -> str:
    """describe_regions of a scene_grid (as the live canvas draws it)."""
    level = np.asarray(grid["alpha"]).reshape(resolution, resolution)
    alpha = level.astype(np.float32) / ALPHA_LEVELS
    strength = np.clip((alpha - MIN_ALPHA) / (MAX_ALPHA - MIN_ALPHA), 0, 1)
    return describe_regions(np.asarray(grid["cls"]).reshape(resolution, resolution), strength, num_classes,
                            diverged=level > ALPHA_LEVELS)


@lru_cache(maxsize=64)
def _plot_size(width: int, height: int) -> int | None:
    """The plot area's side in a scene picture of this size, or None for another picture."""
    for size in range(16, 4096):
        if picture_size(size) == (width, height):
            return size
        if picture_size(size)[0] > width:
            return None
    return None


@lru_cache(maxsize=256)
def describe_picture(picture: bytes, num_classes: int) -> str:
    """describe_regions of a finished scene picture (scene_jpeg): each pixel of its plot area,
    sampled on a grid, is read back as the class colour over white that it is closest to, and
    how strong that colour is."""
    image = Image.open(io.BytesIO(picture)).convert("RGB")
    size = _plot_size(*image.size)
    if size is None:
        raise ValueError(f"picture of size {image.size} is no scene picture of render.scene_jpeg")
    left, top = plot_origin(size)
    side = min(size, 64)
    # nearest, not an average: two class colours averaged at a boundary read as a third class
    plot = image.crop((left, top, left + size, top + size)).resize((side, side), Image.NEAREST)
    pixels = np.asarray(plot, dtype=np.float32).reshape(-1, 3)
    away = 255.0 - pixels  # from white
    colours = 255.0 - np.array(CLASS_RGB[:num_classes], dtype=np.float32)  # each class colour, from white
    alpha = np.clip(away @ colours.T / (colours ** 2).sum(1), 0, 1)  # [N, K]: the best mix with each
    residual = ((away[:, None, :] - alpha[:, :, None] * colours[None]) ** 2).sum(-1)
    cls = residual.argmin(1)
    best = alpha[np.arange(len(cls)), cls]
    grey = np.abs(pixels - np.array(DIVERGED_GREY, dtype=np.float32)).max(1) < 12
    strength = np.clip((best - MIN_ALPHA) / (MAX_ALPHA - MIN_ALPHA), 0, 1)
    return describe_regions(cls.reshape(side, side), strength.reshape(side, side), num_classes,
                            diverged=grey.reshape(side, side))


def boundary_alt(title: str, picture: bytes, num_classes: int) -> str:
    """A scene picture's alt text: its title, then what it shows."""
    return f"{title}: {describe_picture(picture, num_classes)}."


def colour_key_alt(num_classes: int) -> str:
    """colour_key_png's alt text."""
    classes = ", ".join(f"class {c} {name}" for c, name in
                        enumerate(palette.CLASS_COLOUR_NAMES[:num_classes]))
    return (f"Colour key of the boundary pictures: {classes}; the stronger a colour, the higher the top "
            f"probability, from 1/{num_classes} (white) to 1.")

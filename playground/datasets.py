"""2D toy datasets in one fixed viewing box, with seeded splits and training-label noise."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sklearn import datasets as skd
from sklearn.model_selection import train_test_split

from playground.validation import check_choice, check_int, check_number, fail

BOX = 1.25  # the viewing box is [-BOX, BOX]^2; data are scaled so their largest |coordinate| is 1
MAX_POINTS = 20_000
MAX_CLASSES = 10
# name -> (fixed K or None when K is a parameter, default K)
DATASETS = {
    "moons": (2, 2),
    "circles": (2, 2),
    "xor": (2, 2),
    "spirals": (None, 3),
    "blobs": (None, 3),
    "gaussian_quantiles": (None, 3),
}


@dataclass(frozen=True)
class Dataset:
    """Float32 points in the viewing box and int64 labels. `y_train_clean` is before label noise."""
    name: str
    num_classes: int
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    y_train_clean: np.ndarray

    @property
    def flipped(self) -> np.ndarray:
        """Mask of the training labels changed by label noise."""
        return self.y_train != self.y_train_clean


def classes_for(name: str, num_classes: int | None = None) -> int:
    """K for a dataset: fixed for the two-class shapes, the argument (checked) otherwise."""
    fixed, default = DATASETS[check_choice("name", name, DATASETS)]
    if fixed is not None:
        if num_classes not in (None, fixed):
            fail("num_classes", num_classes, f"{name} has exactly {fixed} classes")
        return fixed
    return check_int("num_classes", default if num_classes is None else num_classes, 2, MAX_CLASSES)


def _xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(-1, 1, size=(n, 2))
    x += np.sign(x) * 0.05  # keep a thin margin around the axes, as TensorFlow Playground does
    y = (x[:, 0] * x[:, 1] < 0).astype(np.int64)
    return x + rng.normal(0, noise, size=x.shape), y


def _spirals(n: int, k: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y = np.arange(n) % k
    r = rng.uniform(0.05, 1.0, size=n)
    theta = 2 * np.pi * y / k + 1.75 * np.pi * r
    x = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)
    return x + rng.normal(0, noise, size=x.shape), y.astype(np.int64)


def _raw(name: str, n: int, k: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if name == "moons":
        return skd.make_moons(n, noise=noise, random_state=seed)
    if name == "circles":
        return skd.make_circles(n, noise=noise, factor=0.5, random_state=seed)
    if name == "xor":
        return _xor(n, noise, rng)
    if name == "spirals":
        return _spirals(n, k, noise, rng)
    if name == "blobs":
        # noise widens the clusters: std 0.5 at noise 0, 2.5 at noise 1
        return skd.make_blobs(n, centers=k, cluster_std=0.5 + 2.0 * noise, random_state=seed)
    x, y = skd.make_gaussian_quantiles(n_samples=n, n_features=2, n_classes=k, random_state=seed)
    return x + rng.normal(0, noise, size=x.shape), y


def scale_to_box(x: np.ndarray) -> np.ndarray:
    """Centre on the middle of the bounding box and scale so the largest |coordinate| is 1."""
    centre = (x.max(0) + x.min(0)) / 2
    x = x - centre
    return x / max(float(np.abs(x).max()), 1e-12)


def flip_labels(y: np.ndarray, num_classes: int, fraction: float, seed: int) -> np.ndarray:
    """Move round(fraction * n) labels, chosen at random, to a random *other* class."""
    fraction = check_number("label_noise", fraction, 0.0, 1.0)
    rng = np.random.default_rng(seed)
    y = y.copy()
    idx = rng.choice(len(y), size=round(fraction * len(y)), replace=False)
    y[idx] = (y[idx] + rng.integers(1, num_classes, size=len(idx))) % num_classes
    return y


def make_dataset(name: str = "moons", n: int = 1000, noise: float = 0.2, num_classes: int | None = None,
                 seed: int = 0, test_fraction: float = 0.3, label_noise: float = 0.0) -> Dataset:
    """A seeded toy dataset. noise is in data units before scaling; n counts train + test points."""
    k = classes_for(name, num_classes)
    n = check_int("n", n, 20, MAX_POINTS)
    noise = check_number("noise", noise, 0.0, 1.0)
    seed = check_int("seed", seed, 0, 2**31 - 1)
    test_fraction = check_number("test_fraction", test_fraction, 0.05, 0.9)
    label_noise = check_number("label_noise", label_noise, 0.0, 1.0)
    x, y = _raw(name, n, k, noise, seed)
    return split_dataset(name, scale_to_box(np.asarray(x, dtype=np.float64)), np.asarray(y), k,
                         seed, test_fraction, label_noise)


def split_dataset(name: str, x: np.ndarray, y: np.ndarray, num_classes: int, seed: int,
                  test_fraction: float, label_noise: float) -> Dataset:
    """Stratified train/test split; label noise touches only the training labels."""
    n_test = math.ceil(test_fraction * len(y))
    if min(n_test, len(y) - n_test) < num_classes:
        fail("test_fraction", test_fraction,
             f"train and test need at least {num_classes} points each ({len(y)} points in all)")
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=test_fraction, random_state=seed,
                                              stratify=y)
    y_noisy = flip_labels(y_tr, num_classes, label_noise, seed + 1)
    f32 = lambda a: np.ascontiguousarray(a, dtype=np.float32)  # noqa: E731
    i64 = lambda a: np.ascontiguousarray(a, dtype=np.int64)  # noqa: E731
    return Dataset(name, num_classes, f32(x_tr), i64(y_noisy), f32(x_te), i64(y_te), i64(y_tr))


def grid_points(resolution: int = 60) -> np.ndarray:
    """Cell centres of a resolution x resolution grid over the viewing box, row-major from the top."""
    resolution = check_int("resolution", resolution, 2, 400)
    step = 2 * BOX / resolution
    centres = -BOX + step * (np.arange(resolution) + 0.5)
    gx, gy = np.meshgrid(centres, centres[::-1])
    return np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)

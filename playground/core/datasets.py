"""2D toy datasets in one fixed viewing box, with seeded splits and training-label noise."""
from __future__ import annotations

import dataclasses
import io
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn import datasets as skd
from sklearn.model_selection import train_test_split

from playground.core.validation import check_choice, check_int, check_number, fail

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
    "similar_classes": (None, 3),
}
# similar_classes: classes 0 and 1 sit `gap` apart (data units, before scaling into the box)
DEFAULT_GAP = 0.4
MAX_GAP = 2.0


def takes_k(name: str) -> bool:
    """Whether the dataset `name` takes its number of classes as a parameter."""
    return DATASETS[name][0] is None


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


def similar_centres(k: int, gap: float) -> np.ndarray:
    """[k, 2] blob centres for similar_classes, before scaling into the box. k - 1 sites lie evenly
    on the unit circle, the first at the top; classes 0 and 1 share the first site, placed
    gap/2 either side of it along the circle's tangent, and classes 2.. take the other sites."""
    k = check_int("num_classes", k, 2, MAX_CLASSES)
    gap = check_number("gap", gap, 0.0, MAX_GAP)
    angles = np.pi / 2 + 2 * np.pi * np.arange(k - 1) / (k - 1)
    sites = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    pair = sites[0] + np.array([[-gap / 2, 0.0], [gap / 2, 0.0]])  # the tangent at the top is horizontal
    return np.concatenate([pair, sites[1:]])


def _similar(n: int, k: int, noise: float, gap: float, rng: np.random.Generator
             ) -> tuple[np.ndarray, np.ndarray]:
    y = np.arange(n) % k
    std = 0.05 + 0.5 * noise  # 0.15 at the default noise 0.2: the close pair overlaps a little
    return similar_centres(k, gap)[y] + rng.normal(0, std, size=(n, 2)), y.astype(np.int64)


def _raw(name: str, n: int, k: int, noise: float, seed: int, gap: float = DEFAULT_GAP
         ) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if name == "moons":
        return skd.make_moons(n, noise=noise, random_state=seed)
    if name == "circles":
        return skd.make_circles(n, noise=noise, factor=0.5, random_state=seed)
    if name == "xor":
        return _xor(n, noise, rng)
    if name == "spirals":
        return _spirals(n, k, noise, rng)
    if name == "similar_classes":
        return _similar(n, k, noise, gap, rng)
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


@dataclass(frozen=True)
class DatasetSpec:
    """Everything that draws one dataset: a toy shape's settings, or the user's own points (then
    `points` holds (x1, x2, label) rows, `name` is "uploaded", and n, noise, num_classes and gap are
    unused). noise is in data units before scaling; n counts train + test points. gap (similar_classes
    only; None = DEFAULT_GAP) is the distance between the centres of classes 0 and 1 before scaling,
    with the other centres on the unit circle (similar_centres)."""
    name: str = "moons"
    n: int = 1000
    noise: float = 0.2
    num_classes: int | None = None
    seed: int = 0
    test_fraction: float = 0.3
    label_noise: float = 0.0
    gap: float | None = None
    points: tuple[tuple[float, float, int], ...] | None = None

    def __post_init__(self):
        if self.points is not None:  # rows as given (lists, arrays), kept as hashable tuples
            rows = tuple((float(a), float(b), int(c)) for a, b, c in self.points)
            object.__setattr__(self, "points", rows)
            object.__setattr__(self, "name", "uploaded")

    @classmethod
    def from_dict(cls, raw: dict) -> DatasetSpec:
        """The inverse of `as_dict` (a configuration's JSON)."""
        return cls(**raw)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    @property
    def is_upload(self) -> bool:
        return self.points is not None

    @property
    def size(self) -> int:
        """Points in all, train + test."""
        return len(self.points) if self.is_upload else self.n

    @property
    def classes(self) -> int:
        """K: the labels' count for an upload, the shape's K otherwise."""
        if self.is_upload:
            return int(max(row[2] for row in self.points)) + 1
        return classes_for(self.name, self.num_classes)

    def reseeded(self, seed: int) -> DatasetSpec:
        """The same settings drawn with `seed`; an upload keeps its own seed (its points are fixed)."""
        return self if self.is_upload else dataclasses.replace(self, seed=seed)

    def build(self) -> Dataset:
        """The dataset, every setting checked (ValueError naming it)."""
        if self.is_upload:
            rows = np.asarray(self.points, dtype=np.float64)
            return dataset_from_points(rows[:, :2], rows[:, 2].astype(np.int64), self.seed,
                                       self.test_fraction, self.label_noise)
        k = classes_for(self.name, self.num_classes)
        if self.gap is not None and self.name != "similar_classes":
            fail("gap", self.gap, f"only similar_classes takes gap, not {self.name}")
        gap = check_number("gap", DEFAULT_GAP if self.gap is None else self.gap, 0.0, MAX_GAP)
        n = check_int("n", self.n, 20, MAX_POINTS)
        noise = check_number("noise", self.noise, 0.0, 1.0)
        seed = check_int("seed", self.seed, 0, 2**31 - 1)
        test_fraction = check_number("test_fraction", self.test_fraction, 0.05, 0.9)
        label_noise = check_number("label_noise", self.label_noise, 0.0, 1.0)
        x, y = _raw(self.name, n, k, noise, seed, gap)
        return split_dataset(self.name, scale_to_box(np.asarray(x, dtype=np.float64)), np.asarray(y), k,
                             seed, test_fraction, label_noise)


def make_dataset(name: str = "moons", n: int = 1000, noise: float = 0.2, num_classes: int | None = None,
                 seed: int = 0, test_fraction: float = 0.3, label_noise: float = 0.0,
                 gap: float | None = None) -> Dataset:
    """A seeded toy dataset (DatasetSpec's fields, built)."""
    return DatasetSpec(name, n, noise, num_classes, seed, test_fraction, label_noise, gap).build()


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


# ---- the user's own points --------------------------------------------------------------------
CSV_COLUMNS = ("x1", "x2", "label")
MAX_UPLOAD_ROWS = 5_000
MAX_UPLOAD_BYTES = 1_000_000
MAX_COORDINATE = 1e6  # beyond this, scaling into the box overflows or loses the points' shape
MIN_SPREAD = 1e-6  # below this, the points are one point to float arithmetic
MAX_LABEL = 10**9  # labels are read as exact integers; 1e30 would overflow int64 and merge classes


def read_points_csv(raw: bytes, max_rows: int = MAX_UPLOAD_ROWS, max_classes: int = MAX_CLASSES
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Points and labels from CSV bytes with exactly the columns x1, x2, label.

    Labels may be any integers; their distinct values, sorted, become classes 0..K-1. Every
    problem is a ValueError that says what is wrong and where."""
    if len(raw) > MAX_UPLOAD_BYTES:
        fail("file", f"{len(raw):,} bytes", f"must be at most {MAX_UPLOAD_BYTES:,} bytes")
    if not raw.strip():
        fail("file", "empty", "must hold a header line x1,x2,label and at least one row")
    if b"\0" in raw:
        fail("file", "binary data", "must be a CSV text file with columns x1, x2, label")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        fail("file", "not UTF-8 text", "must be a CSV text file with columns x1, x2, label")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        fail("file", "unreadable CSV", f"must be comma-separated with a header line ({err})")
    columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in CSV_COLUMNS if c not in columns]
    extra = [c for c in columns if c not in CSV_COLUMNS]
    if missing or extra:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"unexpected {', '.join(extra)}"] if extra else [])
        fail("columns", columns, f"must be exactly x1, x2, label ({'; '.join(parts)})")
    frame.columns = columns
    if len(frame) == 0:
        fail("rows", 0, "the file must hold at least one data row")
    if len(frame) > max_rows:
        fail("rows", len(frame), f"the file must hold at most {max_rows:,} points")
    numbers = {}
    for column in CSV_COLUMNS:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            fail(f"{column} in row {row + 2}", frame[column].iloc[row], "must be a finite number")
        numbers[column] = values.to_numpy(dtype=float)
    for column in ("x1", "x2"):
        far = np.abs(numbers[column]) > MAX_COORDINATE
        if far.any():
            row = int(np.flatnonzero(far)[0])
            fail(f"{column} in row {row + 2}", frame[column].iloc[row],
                 f"must lie within ±{MAX_COORDINATE:g}")
    xy = np.stack([numbers["x1"], numbers["x2"]], axis=1)
    spread = float((xy.max(0) - xy.min(0)).max())
    if spread < MIN_SPREAD:
        fail("points", f"spread {spread:.3g}", f"must spread over at least {MIN_SPREAD:g} in x1 or x2")
    labels = numbers["label"]
    out_of_range = np.abs(labels) > MAX_LABEL
    if out_of_range.any():
        row = int(np.flatnonzero(out_of_range)[0])
        fail(f"label in row {row + 2}", frame["label"].iloc[row],
             f"must be a whole number within ±{MAX_LABEL:,}")
    if not np.all(labels == np.round(labels)):
        row = int(np.flatnonzero(labels != np.round(labels))[0])
        fail(f"label in row {row + 2}", frame["label"].iloc[row], "must be a whole number")
    classes, y = np.unique(labels.astype(np.int64), return_inverse=True)
    if len(classes) < 2:
        fail("label", f"only {classes.tolist()}", "the file must hold at least 2 different classes")
    if len(classes) > max_classes:
        fail("label", f"{len(classes)} classes", f"the file must hold at most {max_classes} classes")
    counts = np.bincount(y)
    if counts.min() < 2:
        fail("label", int(classes[counts.argmin()]), "every class must have at least 2 points")
    return xy, y.astype(np.int64)


def dataset_from_points(x: np.ndarray, y: np.ndarray, seed: int = 0, test_fraction: float = 0.3,
                        label_noise: float = 0.0, name: str = "uploaded") -> Dataset:
    """The user's points scaled into the viewing box and split like the toy datasets."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    k = int(y.max()) + 1
    return split_dataset(name, scale_to_box(x), y, k, check_int("seed", seed, 0, 2**31 - 1),
                         check_number("test_fraction", test_fraction, 0.05, 0.9),
                         check_number("label_noise", label_noise, 0.0, 1.0))


def points_csv(x: np.ndarray, y: np.ndarray, **columns) -> str:
    """CSV text with x1, x2, label and any further columns (e.g. predictions)."""
    frame = pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "label": y, **columns})
    return frame.to_csv(index=False)

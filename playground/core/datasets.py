"""The data sets: 2D toy shapes in one fixed viewing box, scikit-learn's bundled tables (digits,
wine, breast cancer, iris) standardised on their training split, and the user's own points, all
with seeded splits and training-label noise. `Dataset.plane` draws any of them in the box."""
from __future__ import annotations

import dataclasses
import functools
import io
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn import datasets as skd
from sklearn.model_selection import train_test_split

from playground.core.plane import Plane, plane_for
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
    "digits": (10, 10),
    "wine": (3, 3),
    "breast_cancer": (2, 2),
    "iris": (3, 3),
}
# scikit-learn's bundled tables: name -> (loader, rows, input features). They ship with
# scikit-learn, so nothing is downloaded; n, noise and gap do not apply to them.
TABLES = {
    "digits": (skd.load_digits, 1797, 64),  # 8x8 images of handwritten digits, 0..16 per pixel (row-major)
    "wine": (skd.load_wine, 178, 13),
    "breast_cancer": (skd.load_breast_cancer, 569, 30),
    "iris": (skd.load_iris, 150, 4),
}
# similar_classes: classes 0 and 1 sit `gap` apart (data units, before scaling into the box)
DEFAULT_GAP = 0.4
MAX_GAP = 2.0


def takes_k(name: str) -> bool:
    """Whether the dataset `name` takes its number of classes as a parameter."""
    return DATASETS[name][0] is None


def is_table(name: str) -> bool:
    """Whether `name` is one of scikit-learn's bundled tables (fixed rows, no shape settings)."""
    return name in TABLES


def features_of(name: str) -> int:
    """How many inputs each example of the data set `name` has."""
    return TABLES[name][2] if is_table(name) else 2


@dataclass(frozen=True)
class Dataset:
    """Float32 inputs [N, D] (a toy shape's points in the viewing box, a table's standardised) and
    int64 labels. `y_train_clean` is before label noise."""
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

    @property
    def features(self) -> int:
        """D, the inputs of each example."""
        return self.x_train.shape[1]

    @functools.cached_property
    def plane(self) -> Plane:
        """How the data are drawn in the viewing box: as they are for two inputs, else a PCA view."""
        return plane_for(self.x_train, np.concatenate([self.x_train, self.x_test]))

    def view_grid(self, resolution: int = 60) -> np.ndarray:
        """The inputs [resolution², D] under grid_points(resolution) in the drawing plane: where a
        boundary picture asks the model for its predictions."""
        return self.plane.lift(grid_points(resolution))


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
    """Everything that draws one dataset: a toy shape's settings, a bundled table's name (then n,
    noise and gap are unused), or the user's own points (then `points` holds (x1, .., xD, label)
    rows, `name` is "uploaded", and n, noise, num_classes and gap are unused). noise is in data
    units before scaling; n counts train + test points. gap (similar_classes only; None =
    DEFAULT_GAP) is the distance between the centres of classes 0 and 1 before scaling,
    with the other centres on the unit circle (similar_centres)."""
    name: str = "moons"
    n: int = 1000
    noise: float = 0.2
    num_classes: int | None = None
    seed: int = 0
    test_fraction: float = 0.3
    label_noise: float = 0.0
    gap: float | None = None
    points: tuple[tuple, ...] | None = None

    def __post_init__(self):
        if self.points is not None:  # rows as given (lists, arrays), kept as hashable tuples
            rows = tuple(tuple(float(v) for v in row[:-1]) + (int(row[-1]),) for row in self.points)
            object.__setattr__(self, "points", rows)
            object.__setattr__(self, "name", "uploaded")
        elif is_table(self.name):  # one spelling per table: the settings it does not take are unset
            object.__setattr__(self, "n", TABLES[self.name][1])
            object.__setattr__(self, "noise", 0.0)
            object.__setattr__(self, "gap", None)

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
        """Points in all, train + test (a table's n is its row count, set on creation)."""
        return len(self.points) if self.is_upload else self.n

    @property
    def features(self) -> int:
        """D, the inputs of each example."""
        return len(self.points[0]) - 1 if self.is_upload else features_of(self.name)

    @property
    def classes(self) -> int:
        """K: the labels' count for an upload, the shape's K otherwise."""
        if self.is_upload:
            return int(max(row[2] for row in self.points)) + 1
        return classes_for(self.name, self.num_classes)

    def reseeded(self, seed: int) -> DatasetSpec:
        """The same settings drawn with `seed` (a table's split and label noise, too); an upload keeps
        its own seed (its points are fixed)."""
        return self if self.is_upload else dataclasses.replace(self, seed=seed)

    def build(self) -> Dataset:
        """The dataset, every setting checked (ValueError naming it)."""
        if self.is_upload:
            rows = np.asarray(self.points, dtype=np.float64)
            return dataset_from_points(rows[:, :-1], rows[:, -1].astype(np.int64), self.seed,
                                       self.test_fraction, self.label_noise)
        k = classes_for(self.name, self.num_classes)
        if is_table(self.name):
            x, y = load_table(self.name)
            return split_dataset(self.name, x, y, k, check_int("seed", self.seed, 0, 2**31 - 1),
                                 check_number("test_fraction", self.test_fraction, 0.05, 0.9),
                                 check_number("label_noise", self.label_noise, 0.0, 1.0), standardise=True)
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


@functools.cache
def _table(name: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = TABLES[name][0](return_X_y=True)
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.int64)
    x.flags.writeable = y.flags.writeable = False  # shared by every caller
    return x, y


def load_table(name: str) -> tuple[np.ndarray, np.ndarray]:
    """A bundled table's raw inputs [N, D] (float64) and labels [N], as scikit-learn ships them."""
    return _table(check_choice("name", name, TABLES))


def raw_test_inputs(spec: DatasetSpec) -> np.ndarray:
    """A table's test inputs as scikit-learn ships them, before standardising (digits' pixels 0..16),
    in the order of `spec.build().x_test`: for pictures of the examples."""
    if not is_table(spec.name):
        fail("name", spec.name, f"must be one of the tables {', '.join(TABLES)}")
    x, y = load_table(spec.name)
    return train_test_split(x, y, test_size=spec.test_fraction, random_state=spec.seed, stratify=y)[1]


def standardised(x_train: np.ndarray, x_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both scaled by the training split's mean and standard deviation, feature by feature, as
    scikit-learn's StandardScaler does (a constant feature is centred and left at scale 1)."""
    mean = x_train.mean(0)
    std = x_train.std(0)
    std = np.where(std < 10 * np.finfo(np.float64).eps, 1.0, std)
    return (x_train - mean) / std, (x_test - mean) / std


def split_dataset(name: str, x: np.ndarray, y: np.ndarray, num_classes: int, seed: int,
                  test_fraction: float, label_noise: float, standardise: bool = False) -> Dataset:
    """Stratified train/test split, then (`standardise`) the inputs scaled on the training split
    only; label noise touches only the training labels."""
    n_test = math.ceil(test_fraction * len(y))
    if min(n_test, len(y) - n_test) < num_classes:
        fail("test_fraction", test_fraction,
             f"train and test need at least {num_classes} points each ({len(y)} points in all)")
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=test_fraction, random_state=seed,
                                              stratify=y)
    if standardise:
        x_tr, x_te = standardised(x_tr, x_te)
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
LABEL_COLUMN = "label"
MAX_UPLOAD_ROWS = 5_000
MAX_UPLOAD_FEATURES = 64  # as many as digits' pixels
MAX_UPLOAD_BYTES = 1_000_000
MAX_COORDINATE = 1e6  # beyond this, scaling into the box overflows or loses the points' shape
MIN_SPREAD = 1e-6  # below this, the points are one point to float arithmetic
MAX_LABEL = 10**9  # labels are read as exact integers; 1e30 would overflow int64 and merge classes
_CSV_SHAPE = "a CSV text file with a header line: feature columns (x1, x2, ...) and a label column"


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def read_points_csv(raw: bytes, max_rows: int = MAX_UPLOAD_ROWS, max_classes: int = MAX_CLASSES,
                    max_features: int = MAX_UPLOAD_FEATURES) -> tuple[np.ndarray, np.ndarray]:
    """Inputs [N, D] and labels [N] from CSV bytes: a `label` column and D >= 2 numeric feature
    columns, in any order and with any names (x1, x2, label is the simplest such file).

    Labels may be any integers; their distinct values, sorted, become classes 0..K-1. Every
    problem is a ValueError that names the row (as a spreadsheet numbers it, the header being row
    1) and the column."""
    if len(raw) > MAX_UPLOAD_BYTES:
        fail("file", f"{len(raw):,} bytes", f"must be at most {MAX_UPLOAD_BYTES:,} bytes")
    if not raw.strip():
        fail("file", "empty", f"must be {_CSV_SHAPE}, and at least one row")
    if b"\0" in raw:
        fail("file", "binary data", f"must be {_CSV_SHAPE}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        fail("file", "not UTF-8 text", f"must be {_CSV_SHAPE}")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, skipinitialspace=True, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        fail("file", "unreadable CSV", f"must be comma-separated with a header line ({err})")
    columns = [str(c).strip() for c in frame.columns]
    unnamed = [i for i, c in enumerate(columns) if not c or c.startswith("Unnamed:")]
    if unnamed:
        fail(f"column {unnamed[0] + 1}", "no name", "must have a name in the header line")
    if LABEL_COLUMN not in columns:
        fail("columns", columns, f"must include a column named {LABEL_COLUMN} (the class of each row)")
    features = [c for c in columns if c != LABEL_COLUMN]
    if not 2 <= len(features) <= max_features:
        fail("columns", f"{len(features)} feature columns", f"must be 2 to {max_features} besides label")
    frame.columns = columns
    if len(frame) == 0:
        fail("rows", 0, "the file must hold at least one data row")
    if len(frame) > max_rows:
        fail("rows", len(frame), f"the file must hold at most {max_rows:,} points")
    cells = frame.fillna("").apply(lambda col: col.str.strip())  # a short row's missing cells are blank
    blank = cells == ""
    numbers = cells.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    for j, column in enumerate(columns):  # the first bad cell, column by column
        if blank[column].any():
            row = _first(blank[column].to_numpy())
            need = "a label" if column == LABEL_COLUMN else f"a value in {column}"
            fail(f"{column} in row {row + 2}", "missing", f"must not be empty: every row needs {need}")
        bad = ~np.isfinite(numbers[:, j])
        if bad.any():
            row = _first(bad)
            fail(f"{column} in row {row + 2}", cells[column].iloc[row], "must be a finite number")
        if column != LABEL_COLUMN and (far := np.abs(numbers[:, j]) > MAX_COORDINATE).any():
            row = _first(far)
            fail(f"{column} in row {row + 2}", cells[column].iloc[row],
                 f"must lie within ±{MAX_COORDINATE:g}")
    x = numbers[:, [columns.index(c) for c in features]]
    spread = float((x.max(0) - x.min(0)).max())
    if spread < MIN_SPREAD:
        fail("points", f"spread {spread:.3g}", f"must spread over at least {MIN_SPREAD:g} in some column")
    labels = numbers[:, columns.index(LABEL_COLUMN)]
    if (out_of_range := np.abs(labels) > MAX_LABEL).any():
        row = _first(out_of_range)
        fail(f"label in row {row + 2}", cells[LABEL_COLUMN].iloc[row],
             f"must be a whole number within ±{MAX_LABEL:,}")
    if (fractional := labels != np.round(labels)).any():
        row = _first(fractional)
        fail(f"label in row {row + 2}", cells[LABEL_COLUMN].iloc[row], "must be a whole number")
    classes, y = np.unique(labels.astype(np.int64), return_inverse=True)
    if len(classes) < 2:
        fail("label", f"only {classes.tolist()}", "the file must hold at least 2 different classes")
    if len(classes) > max_classes:
        fail("label", f"{len(classes)} classes", f"the file must hold at most {max_classes} classes")
    counts = np.bincount(y)
    if counts.min() < 2:
        fail("label", int(classes[counts.argmin()]), "every class must have at least 2 points")
    return x, y.astype(np.int64)


def dataset_from_points(x: np.ndarray, y: np.ndarray, seed: int = 0, test_fraction: float = 0.3,
                        label_noise: float = 0.0, name: str = "uploaded") -> Dataset:
    """The user's points split like the other data sets: two inputs are scaled into the viewing
    box, as the toy shapes are; more are standardised on the training split, as the tables are."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    k = int(y.max()) + 1
    flat = x.shape[1] == 2
    return split_dataset(name, scale_to_box(x) if flat else x, y, k, check_int("seed", seed, 0, 2**31 - 1),
                         check_number("test_fraction", test_fraction, 0.05, 0.9),
                         check_number("label_noise", label_noise, 0.0, 1.0), standardise=not flat)


def points_csv(x: np.ndarray, y: np.ndarray, **columns) -> str:
    """CSV text with x1, .., xD, label and any further columns (e.g. predictions): a file the
    upload reads back."""
    inputs = {f"x{j + 1}": x[:, j] for j in range(x.shape[1])}
    frame = pd.DataFrame({**inputs, LABEL_COLUMN: y, **columns})
    return frame.to_csv(index=False)

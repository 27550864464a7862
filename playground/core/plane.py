"""How a data set's inputs [N, D] are drawn in the 2D viewing box.

Two inputs are drawn as they are. More are drawn in a PCA view: the plane through the training
mean spanned by the first two principal components of the training inputs. A boundary picture
then shows the model's predictions at the points of that plane (`lift`), and each example sits
at its projection onto it (`project`)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from playground.core.validation import fail


@dataclass(frozen=True)
class Plane:
    """x ↦ (x − origin) · basis / scale, and back. basis [D, 2] has orthonormal columns."""
    origin: np.ndarray  # [D]
    basis: np.ndarray  # [D, 2]
    scale: float
    explained: tuple[float, float] | None = None  # the components' shares of the variance (PCA only)

    @property
    def features(self) -> int:
        return len(self.origin)

    @property
    def is_identity(self) -> bool:
        return self.explained is None

    @property
    def axes(self) -> tuple[str, str]:
        """The names of the box's axes: the inputs', or the principal components'."""
        return ("x1", "x2") if self.is_identity else ("PC1", "PC2")

    def project(self, x: np.ndarray) -> np.ndarray:
        """Coordinates [N, 2] in the box of points x [N, D]."""
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.features:
            fail("x", f"array of shape {x.shape}", f"must have shape [N, {self.features}]")
        if self.is_identity:
            return x
        return ((x - self.origin) @ self.basis / self.scale).astype(np.float32)

    def lift(self, coords: np.ndarray) -> np.ndarray:
        """Inputs [M, D] at box coordinates [M, 2] (float32, the engine's type)."""
        coords = np.asarray(coords, dtype=np.float64)
        if self.is_identity:
            return coords.astype(np.float32)
        return (self.origin + (coords * self.scale) @ self.basis.T).astype(np.float32)

    def describe(self) -> str:
        """What the picture is, in a sentence, for the page to say ("" for two inputs)."""
        if self.is_identity:
            return ""
        a, b = self.explained
        return (f"PCA view of the {self.features} inputs: the plane through the training mean spanned by "
                f"their first two principal components ({a:.0%} and {b:.0%} of the variance). The colours "
                "are the model's predictions at the points of that plane (class as hue, confidence as "
                "strength); each example is drawn at its projection onto it, in its label's colour, so "
                "an example can sit on a colour its own prediction does not share.")


def plane_for(x_train: np.ndarray, x_all: np.ndarray) -> Plane:
    """The identity for two inputs; otherwise the PCA plane of x_train, scaled so the largest
    |coordinate| of x_all is 1. Each component's largest entry is positive, so the view is fixed."""
    x_train = np.asarray(x_train, dtype=np.float64)
    d = x_train.shape[1]
    if d == 2:
        return Plane(np.zeros(2), np.eye(2), 1.0)
    origin = x_train.mean(0)
    _, s, vt = np.linalg.svd(x_train - origin, full_matrices=False)
    basis = vt[:2].T.copy()
    signs = np.sign(basis[np.abs(basis).argmax(0), [0, 1]])
    basis *= np.where(signs == 0, 1.0, signs)
    coords = (np.asarray(x_all, dtype=np.float64) - origin) @ basis
    scale = max(float(np.abs(coords).max()), 1e-12)
    variance = s ** 2
    share = variance / max(float(variance.sum()), 1e-300)
    return Plane(origin, basis, scale, (float(share[0]), float(share[1])))

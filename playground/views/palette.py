"""The app's one visual system: which colour means what, on every page.

- Classes: a colour-blind-safe categorical palette (Okabe & Ito 2008, then three of Paul Tol's
  to reach ten), used for classes and nothing else.
- Models: one neutral pair, one-hot against smoothed.
- ε: one sequential scale (viridis over √ε, which spreads the common 0–0.3 apart), the same ε
  always the same colour.
- Recipes (objectives and regularisers side by side): cross-entropy keeps the one-hot grey,
  smoothing with ε > 0 keeps its ε colour, every other recipe one of a few dark tones.
"""
from __future__ import annotations

import math

from playground.core.objectives import is_cross_entropy

# Okabe–Ito without its black (black marks mistakes and picks), ordered so that neighbours differ
# in lightness as well as hue; then Tol's wine, olive and indigo.
CLASS_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9",
                 "#D55E00", "#F0E442", "#882255", "#999933", "#332288"]
ONE_HOT_COLOUR = "#9a9a9a"  # the baseline: light neutral grey
SMOOTH_COLOUR = "#262626"  # the smoothed model: near-black
MODEL_COLOURS = [ONE_HOT_COLOUR, SMOOTH_COLOUR]
NEUTRAL = "#5f6368"  # marks that are about no class, model or ε (bars of a count, reference lines)
MUTED_TEXT = "#5f6368"  # captions: 6.0:1 on white, 5.7:1 on the sidebar's grey (WCAG AA asks 4.5:1)
# what a person calls each class colour, for text alternatives of the pictures
CLASS_COLOUR_NAMES = ["blue", "orange", "green", "pink", "sky blue", "vermilion", "yellow", "wine", "olive",
                      "indigo"]

# viridis, sampled at 9 even stops; eps_colour interpolates between them
_VIRIDIS = ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c",
            "#28ae80", "#5ec962", "#addc30", "#fde725"]


def class_colours(num_classes: int) -> list[str]:
    """The first `num_classes` class colours (at most 10 classes)."""
    if not 1 <= num_classes <= len(CLASS_COLOURS):
        raise ValueError(f"num_classes={num_classes} is outside the palette's range 1..{len(CLASS_COLOURS)}")
    return CLASS_COLOURS[:num_classes]


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def eps_colour(eps: float) -> str:
    """ε's colour on the one sequential scale: viridis at √ε, ε clamped to [0, 1]."""
    t = math.sqrt(min(max(float(eps), 0.0), 1.0)) * (len(_VIRIDIS) - 1)
    i = min(int(t), len(_VIRIDIS) - 2)
    a, b = rgb(_VIRIDIS[i]), rgb(_VIRIDIS[i + 1])
    mix = [round(x + (y - x) * (t - i)) for x, y in zip(a, b)]
    return "#" + "".join(f"{c:02x}" for c in mix)


# dark tones for recipes that are no ε on the scale: confidence penalty, focal, negative smoothing,
# weight decay, dropout, combinations (in order of first use)
OTHER_RECIPE_COLOURS = ["#b2182b", "#7b3294", "#d95f02", "#1b7837", "#2166ac", "#262626"]


def recipe_colours(recipes: list[tuple[str, float, bool]]) -> list[str]:
    """One colour per recipe, given as (kind, value, regularised): the baseline grey, smoothing's
    ε colour, then the other tones in turn."""
    others = iter(OTHER_RECIPE_COLOURS * 2)
    colours = []
    for kind, value, regularised in recipes:
        if not regularised and is_cross_entropy(kind, value):
            colours.append(ONE_HOT_COLOUR)
        elif not regularised and kind == "smoothing" and value > 0:
            colours.append(eps_colour(value))
        else:
            colours.append(next(others))
    return colours

"""The user's own points: a CSV upload, checked by the library, with a clear message on failure."""
from __future__ import annotations

import streamlit as st

from playground.core.datasets import (
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_FEATURES,
    MAX_UPLOAD_ROWS,
    dataset_from_points,
    read_points_csv,
)
from playground.ui.shell.plain import escaped, quoted

UPLOAD_MB = MAX_UPLOAD_BYTES // 1_000_000  # the upload box says "1MB per file", as the library checks


def own_points(key: str, **split) -> list[list[float]] | None:
    """Rows [x1, .., xD, class] from an uploaded CSV, or None (no file, or a file that was refused:
    then the message says why and the chosen toy dataset stays in use). The file is also split
    as the page will split it (`split`: dataset_from_points' seed, test_fraction, label_noise), so
    a file that cannot be split is refused here, not after it was announced as in use."""
    upload = st.file_uploader(f"your own points: CSV with a label column and 2 to {MAX_UPLOAD_FEATURES} "
                              f"feature columns, e.g. x1, x2, label (≤ {MAX_UPLOAD_ROWS:,} rows)",
                              type=["csv", "txt"], key=key,
                              max_upload_size=UPLOAD_MB)
    if upload is None:
        return None
    try:
        x, y = read_points_csv(upload.getvalue())
        dataset_from_points(x, y, **split)
    except ValueError as err:
        st.error(f"Could not use {quoted(upload.name)}: {escaped(err)}. The dataset chosen above stays in "
                 "use.")
        return None
    view = "" if x.shape[1] == 2 else ", drawn in a PCA view"
    st.success(f"Using {quoted(upload.name)}: {len(y)} points of {x.shape[1]} features, {int(y.max()) + 1} "
               f"classes{view}.")
    return [[*map(float, row), int(c)] for row, c in zip(x, y)]

"""docs/library.md runs as written: its Python blocks, in order, in one namespace."""
import re
from pathlib import Path

import pytest

from playground import api

PAGE = Path(__file__).resolve().parents[1] / "docs" / "library.md"


def test_the_library_page_runs_as_written():
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.S)
    assert len(blocks) == 3
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(PAGE), "exec"), namespace)  # noqa: S102 (the docs' own code)
    metrics = namespace["run"].metrics()
    assert list(metrics["objective"]) == ["smoothing", "smoothing", "focal"]
    assert namespace["probabilities"].shape == (3, 1, 3)
    assert namespace["script"].startswith('"""Label Smoothing Playground')
    assert namespace["evidence"].comparison.seeds == tuple(range(200, 205))


def test_a_bad_argument_names_itself():
    with pytest.raises(ValueError, match=r"^n_samples=10 is not allowed"):
        api.load_dataset("moons", n_samples=10)
    with pytest.raises(ValueError, match="key='no/such/claim'"):
        api.evaluate_claim("no/such/claim")

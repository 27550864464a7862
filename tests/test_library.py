"""docs/library.md runs as written: its Python blocks, in order, in one namespace."""
import re
from pathlib import Path

import pytest

from playground import api

PAGE = Path(__file__).resolve().parents[1] / "docs" / "library.md"


def test_the_library_page_runs_as_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the page writes its example CSV where it runs
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.S)
    assert len(blocks) == 4
    namespace: dict = {}
    for i, block in enumerate(blocks):
        exec(compile(block, str(PAGE), "exec"), namespace)  # noqa: S102 (the docs' own code)
        if i == 0:
            metrics = namespace["run"].metrics()
            assert list(metrics["objective"]) == ["smoothing", "smoothing", "focal"]
            assert namespace["probabilities"].shape == (3, 1, 3)
    assert namespace["script"].startswith('"""Label Smoothing Playground')
    digits = namespace["digits"]
    assert digits.x_train.shape == (1257, 64) and namespace["xy"].shape == (540, 2)
    assert len(namespace["run"].metrics()) == 2 and namespace["run"].metrics()["test_acc"].min() > 0.8
    assert namespace["mine"].features == 3 and namespace["mine"].num_classes == 2
    assert namespace["evidence"].comparison.seeds == tuple(range(200, 205))


def test_a_bad_argument_names_itself():
    with pytest.raises(ValueError, match=r"^n_samples=10 is not allowed"):
        api.load_dataset("moons", n_samples=10)
    with pytest.raises(ValueError, match="key='no/such/claim'"):
        api.evaluate_claim("no/such/claim")
    with pytest.raises(ValueError, match=r"^x2 in row 3='q' is not allowed"):
        api.csv_dataset(b"x1,x2,label\n1,2,0\n3,q,1\n")

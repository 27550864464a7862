import numpy as np
import pytest

from playground import datasets as ds


@pytest.mark.parametrize("name", list(ds.DATASETS))
def test_well_formed_and_in_the_box(name):
    d = ds.make_dataset(name, n=300, noise=0.1, seed=3)
    k = ds.classes_for(name)
    assert d.num_classes == k
    assert d.x_train.dtype == np.float32 and d.y_train.dtype == np.int64
    assert d.x_train.shape == (len(d.y_train), 2) and d.x_test.shape == (len(d.y_test), 2)
    assert len(d.y_train) + len(d.y_test) == 300
    assert len(d.y_test) == pytest.approx(0.3 * 300, abs=1)
    both = np.concatenate([d.x_train, d.x_test])
    assert np.abs(both).max() == pytest.approx(1.0, abs=1e-6)  # scaled so the largest |coord| is 1
    assert np.abs(both).max() < ds.BOX
    assert set(np.unique(d.y_train)) == set(range(k)) == set(np.unique(d.y_test))
    assert not d.flipped.any()


@pytest.mark.parametrize("name", list(ds.DATASETS))
def test_deterministic_for_a_seed(name):
    a, b = ds.make_dataset(name, seed=7), ds.make_dataset(name, seed=7)
    c = ds.make_dataset(name, seed=8)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_train, b.y_train)
    assert not np.array_equal(a.x_train, c.x_train)


@pytest.mark.parametrize("name", ["spirals", "blobs", "gaussian_quantiles"])
def test_k_classes(name):
    d = ds.make_dataset(name, n=500, num_classes=5)
    assert d.num_classes == 5 and set(np.unique(d.y_train)) == set(range(5))


def test_label_noise_flips_that_share_of_training_labels_to_another_class():
    d = ds.make_dataset("blobs", n=1000, num_classes=4, label_noise=0.2, seed=1)
    assert d.flipped.sum() == round(0.2 * len(d.y_train))
    assert (d.y_train[d.flipped] != d.y_train_clean[d.flipped]).all()
    clean = ds.make_dataset("blobs", n=1000, num_classes=4, label_noise=0.0, seed=1)
    assert np.array_equal(clean.y_test, d.y_test)  # test labels are never touched
    assert np.array_equal(clean.y_train, d.y_train_clean)


def test_grid_covers_the_box_row_major_from_the_top():
    g = ds.grid_points(4)
    assert g.shape == (16, 2)
    assert g[0, 1] > g[-1, 1] and g[0, 0] < g[3, 0]
    assert np.abs(g).max() == pytest.approx(ds.BOX * 3 / 4)


@pytest.mark.parametrize("kwargs,name", [
    ({"name": "rings"}, "name"),
    ({"n": 5}, "n"),
    ({"n": 10**7}, "n"),
    ({"noise": -0.1}, "noise"),
    ({"noise": float("nan")}, "noise"),
    ({"seed": -1}, "seed"),
    ({"seed": 1.5}, "seed"),
    ({"test_fraction": 0.0}, "test_fraction"),
    ({"label_noise": 1.5}, "label_noise"),
    ({"name": "moons", "num_classes": 3}, "num_classes"),
    ({"name": "blobs", "num_classes": 1}, "num_classes"),
    ({"name": "blobs", "num_classes": 11}, "num_classes"),
    ({"name": "blobs", "n": 20, "num_classes": 10, "test_fraction": 0.05}, "test_fraction"),
])
def test_bad_parameters_rejected_clearly(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name}="):
        ds.make_dataset(**kwargs)

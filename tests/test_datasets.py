import numpy as np
import pytest

from playground.core import datasets as ds

SHAPES = [name for name in ds.DATASETS if not ds.is_table(name)]


@pytest.mark.parametrize("name", SHAPES)
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


GOOD_CSV = b"x1,x2,label\n0,0,3\n1,1,7\n2,0,3\n3,1,7\n4,0,3\n5,1,7\n6,0,3\n7,1,7\n8,0,3\n9,1,7\n"


def test_own_points_are_read_relabelled_scaled_and_split():
    x, y = ds.read_points_csv(GOOD_CSV)
    assert x.shape == (10, 2) and sorted(set(y.tolist())) == [0, 1]  # labels 3, 7 become classes 0, 1
    assert y[0] == 0 and y[1] == 1
    d = ds.dataset_from_points(x, y, seed=1)
    assert d.name == "uploaded" and d.num_classes == 2
    both = np.concatenate([d.x_train, d.x_test])
    assert np.abs(both).max() == pytest.approx(1.0)
    spec = ds.DatasetSpec(points=np.c_[x, y].tolist(), seed=1).build()
    assert np.array_equal(spec.x_train, d.x_train)


@pytest.mark.parametrize("raw,where,why", [
    (b"", "file", "header line"),
    (b"   \n", "file", "header line"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "file", "CSV text"),
    (bytes([0xff, 0xfe, 0x00, 0x41]), "file", "CSV text"),
    (b"\xff\xfe\xfd", "file", "CSV text"),
    (b"x1,x2,label\n", "rows", "at least one"),
    (b"x1,x2\n1,2\n", "columns", "named label"),
    (b"x1,label\n1,0\n2,1\n", "columns", "2 to 64 besides label"),
    (b"label," + b",".join(b"f%d" % j for j in range(65)) + b"\n", "columns", "2 to 64 besides label"),
    (b"a,b,c\n1,2,0\n", "columns", "named label"),
    (b"x1,,label\n1,2,0\n", "column 2", "a name"),
    (b"x1,x2,label\n1,2,0\n3,4\n", "label in row 3", "every row needs a label"),
    (b"x1,x2,x3,label\n1,2,3,0\n1,,3,1\n", "x2 in row 3", "every row needs a value in x2"),
    (b"x1,x2,x3,label\n1,2,3,0\n1,2,q,1\n", "x3 in row 3", "finite number"),
    (b"x1,x2,label\n1,two,0\n2,2,1\n", "x2 in row 2", "finite number"),
    (b"x1,x2,label\n1,2,0\n2,inf,1\n", "x2 in row 3", "finite number"),
    (b"x1,x2,label\n1,2,0\n,2,1\n", "x1 in row 3", "not be empty"),
    (b"x1,x2,label\n1,2,0.5\n2,2,1\n", "label in row 2", "whole number"),
    (b"x1,x2,label\n1,2,0\n2,2,0\n", "label", "at least 2 different"),
    (b"x1,x2,label\n" + b"".join(b"%d,%d,%d\n" % (i, i, i) for i in range(24)), "label", "at most 10"),
    (b"x1,x2,label\n1,2,0\n2,2,1\n3,3,1\n", "label", "at least 2 points"),
    (b"x1,x2,label\n" + b"1,2,0\n2,3,1\n" * 2600, "rows", "at most 5,000"),
    (b"x1,x2,label\n" + b"1.00000000000000000,2.00000000000000000,0\n" * 30000, "file", "at most 1,000,000"),
    (b'x1,x2,label\n"1,2,0\n', "file", "unreadable"),
    # far coordinates would overflow when scaled; tiny ones are one point; huge labels overflow int64
    (b"x1,x2,label\n1e308,2,0\n1,2,0\n3,4,1\n5,6,1\n", "x1 in row 2", "within ±1e+06"),
    (b"x1,x2,label\n" + b"".join(b"%de-300,1e-300,%d\n" % (i, i % 2) for i in range(1, 9)), "points",
     "spread over at least"),
    (b"x1,x2,label\n1,2,0\n2,3,0\n3,4,1e30\n4,5,1e30\n5,6,2e30\n6,7,2e30\n", "label in row 4",
     "within ±1,000,000,000"),
])
def test_bad_uploads_get_specific_messages(raw, where, why):
    with pytest.raises(ValueError) as info:
        ds.read_points_csv(raw)
    assert str(info.value).startswith(f"{where}=") and why in str(info.value)


def test_fuzzed_uploads_only_ever_raise_value_error():
    rng = np.random.default_rng(0)
    pieces = [b"x1", b"x2", b"label", b",", b"\n", b"1", b"-2.5", b"nan", b"inf", b"1e400", b"\x00", b"\xff",
              b'"', b";", b" ", b"\t", b"0", b"3", b"abc", b"\xe2\x82\xac", b"\r\n", b"x1,x2,label\n",
              b"[x](https://evil.example)", b"![](https://e.example/p.png)", b"**b**", b"1e30", b"1e-300"]
    accepted = 0
    for _ in range(200):
        raw = b"".join(rng.choice(pieces) for _ in range(rng.integers(0, 60)))
        if rng.random() < 0.5:
            raw = b"x1,x2,label\n" + raw
        try:
            x, y = ds.read_points_csv(raw)
        except ValueError as err:
            assert "=" in str(err) and "must" in str(err)
            assert len(str(err)) < 400  # a quoted cell is cut, never repeated whole
        else:
            accepted += 1
            assert np.isfinite(x).all() and len(np.unique(y)) >= 2
    assert accepted < 200


def test_a_file_that_reads_but_cannot_be_split_is_refused_before_it_is_used():
    """10 classes of 2 points read fine, but leave no stratified test split: the split check that
    own_points runs before announcing the file raises a ValueError naming test_fraction."""
    raw = b"x1,x2,label\n" + b"".join(b"%d,%d,%d\n" % (i, i * 7 % 5, i // 2) for i in range(20))
    x, y = ds.read_points_csv(raw)
    assert len(set(y.tolist())) == 10
    with pytest.raises(ValueError, match="test_fraction"):
        ds.dataset_from_points(x, y, test_fraction=0.3)


@pytest.mark.parametrize("k", [2, 3, 5, 10])
@pytest.mark.parametrize("gap", [0.0, 0.1, 0.4, 2.0])
def test_similar_classes_centres_put_classes_0_and_1_gap_apart(k, gap):
    c = ds.similar_centres(k, gap)
    assert c.shape == (k, 2)
    assert np.linalg.norm(c[0] - c[1]) == pytest.approx(gap, abs=1e-12)
    others = [np.linalg.norm(c[i] - c[j]) for i in range(k) for j in range(i + 1, k) if (i, j) != (0, 1)]
    if k > 2:  # every other pair is further apart than the close pair at its default gap
        assert min(others) > ds.DEFAULT_GAP


def test_similar_classes_keep_the_gap_in_the_data_up_to_the_box_scaling():
    """The class means keep the centres' geometry; scaling into the box changes only the unit,
    so the close pair's distance over a far pair's matches the centres' ratio."""
    for gap in (0.2, 0.8):
        d = ds.make_dataset("similar_classes", n=6000, noise=0.1, num_classes=3, gap=gap, seed=1)
        x, y = np.concatenate([d.x_train, d.x_test]), np.concatenate([d.y_train, d.y_test])
        means = np.stack([x[y == k].mean(0) for k in range(3)])
        c = ds.similar_centres(3, gap)
        ratio = np.linalg.norm(means[0] - means[1]) / np.linalg.norm(means[0] - means[2])
        assert ratio == pytest.approx(np.linalg.norm(c[0] - c[1]) / np.linalg.norm(c[0] - c[2]), abs=0.01)
    near = ds.make_dataset("similar_classes", n=600, num_classes=3, gap=0.1, seed=2)
    far = ds.make_dataset("similar_classes", n=600, num_classes=3, gap=1.5, seed=2)
    mean_gap = [np.linalg.norm(d.x_train[d.y_train == 0].mean(0) - d.x_train[d.y_train == 1].mean(0))
                for d in (near, far)]
    assert mean_gap[0] < mean_gap[1]


def test_similar_classes_default_gap_and_spec():
    a = ds.make_dataset("similar_classes", seed=4)
    b = ds.DatasetSpec(name="similar_classes", seed=4, gap=ds.DEFAULT_GAP).build()
    assert a.num_classes == 3 and np.array_equal(a.x_train, b.x_train)
    c = ds.DatasetSpec(name="similar_classes", seed=4, gap=1.0, num_classes=4).build()
    assert c.num_classes == 4 and not np.array_equal(c.x_train[:10], a.x_train[:10])
    assert ds.takes_k("similar_classes")


@pytest.mark.parametrize("kwargs,why", [
    ({"name": "similar_classes", "gap": -0.1}, r"\[0.0, 2.0\]"),
    ({"name": "similar_classes", "gap": 2.5}, r"\[0.0, 2.0\]"),
    ({"name": "similar_classes", "gap": float("nan")}, r"\[0.0, 2.0\]"),
    ({"name": "similar_classes", "gap": "wide"}, r"\[0.0, 2.0\]"),
    ({"name": "blobs", "gap": 0.4}, "only similar_classes"),
])
def test_similar_classes_gap_is_checked(kwargs, why):
    with pytest.raises(ValueError, match=rf"^gap=.*{why}"):
        ds.make_dataset(**kwargs)


TABLES = list(ds.TABLES)


@pytest.mark.parametrize("name", TABLES)
def test_a_table_is_split_like_the_shapes_and_standardised_on_its_training_split_only(name):
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler
    rows, features = ds.TABLES[name][1:]
    d = ds.DatasetSpec(name=name, seed=5).build()
    assert d.features == features and len(d.y_train) + len(d.y_test) == rows
    assert d.num_classes == ds.classes_for(name) and d.x_train.dtype == np.float32
    x, y = ds.load_table(name)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.3, random_state=5, stratify=y)
    scaler = StandardScaler().fit(x_tr)  # fitted on the training split alone
    np.testing.assert_allclose(d.x_train, scaler.transform(x_tr), atol=1e-5)
    np.testing.assert_allclose(d.x_test, scaler.transform(x_te), atol=1e-5)
    assert np.array_equal(d.y_train, y_tr) and np.array_equal(d.y_test, y_te)
    # the test split's own statistics are not used: its mean is not exactly 0
    assert np.abs(d.x_test.mean(0)).max() > 1e-3


def test_a_table_takes_no_shape_settings_and_reseeds_its_split():
    spec = ds.DatasetSpec(name="digits", n=300, noise=0.7)
    assert (spec.n, spec.noise, spec.size, spec.features) == (1797, 0.0, 1797, 64)
    assert spec == ds.DatasetSpec(name="digits")  # one spelling: one cache key, no retrain
    a, b = spec.build(), spec.reseeded(1).build()
    assert not np.array_equal(a.y_test, b.y_test)
    with pytest.raises(ValueError, match="num_classes=3.*exactly 10"):
        ds.DatasetSpec(name="digits", num_classes=3).build()


def test_the_pca_view_is_the_plane_of_the_first_two_components_through_the_training_mean():
    d = ds.DatasetSpec(name="wine").build()
    plane = d.plane
    assert not plane.is_identity and plane.axes == ("PC1", "PC2")
    np.testing.assert_allclose(plane.basis.T @ plane.basis, np.eye(2), atol=1e-10)
    centred = d.x_train - d.x_train.mean(0)
    _, s, vt = np.linalg.svd(centred.astype(np.float64), full_matrices=False)
    for j in range(2):  # each column is a principal direction, up to sign
        assert abs(abs(plane.basis[:, j] @ vt[j]) - 1) < 1e-6
    assert plane.explained[0] == pytest.approx(s[0] ** 2 / (s ** 2).sum(), rel=1e-6)
    both = np.concatenate([d.x_train, d.x_test])
    assert np.abs(plane.project(both)).max() == pytest.approx(1.0, abs=1e-5)
    # lifting then projecting returns the box coordinates; a lifted grid lies in the plane
    grid = ds.grid_points(12)
    np.testing.assert_allclose(plane.project(plane.lift(grid)), grid, atol=1e-5)
    assert d.view_grid(12).shape == (144, 13)
    assert "PCA view of the 13 inputs" in plane.describe()


def test_two_inputs_are_drawn_as_they_are():
    d = ds.make_dataset("moons", n=200)
    assert d.plane.is_identity and d.plane.describe() == "" and d.plane.axes == ("x1", "x2")
    assert d.plane.project(d.x_train) is d.x_train or np.array_equal(d.plane.project(d.x_train), d.x_train)
    assert np.array_equal(d.view_grid(10), ds.grid_points(10))


def test_an_upload_of_many_columns_is_read_in_any_column_order_and_standardised():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 5)) * [1, 10, 100, 0.1, 5]
    y = (x[:, 0] > 0).astype(int) + 2 * (x[:, 1] > 0)
    header = "label,a,b,c,d,e\n"
    raw = (header + "".join(f"{c},{','.join(map(str, row))}\n" for row, c in zip(x, y))).encode()
    got_x, got_y = ds.read_points_csv(raw)
    np.testing.assert_array_equal(got_x, x)
    np.testing.assert_array_equal(got_y, np.unique(y, return_inverse=True)[1])
    spec = ds.DatasetSpec(points=np.column_stack([got_x, got_y]))
    assert spec.features == 5 and spec.size == 60
    d = spec.build()
    assert d.features == 5 and not d.plane.is_identity
    np.testing.assert_allclose(d.x_train.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(d.x_train.std(0), 1, atol=1e-4)
    # the CSV a page downloads reads back as the same points
    again, labels = ds.read_points_csv(ds.points_csv(d.x_train, d.y_train).encode())
    np.testing.assert_allclose(again, d.x_train, atol=1e-6)
    assert np.array_equal(labels, d.y_train)

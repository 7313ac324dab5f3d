"""load_digits, the IDX reader, load_mnist (fabricated files, pickle, download, real data)."""

import gzip
import pickle

import numpy as np
import pytest
import torch

from infoplane.data import TrainTestSplit, load_digits, load_mnist, read_idx
from infoplane.data import loaders as loaders_module


def test_digits_split_shapes_ranges_and_stratification():
    data = load_digits()
    assert isinstance(data, TrainTestSplit)
    assert TrainTestSplit._fields == ("x_train", "y_train", "x_test", "y_test")
    assert data.x_train.shape == (1347, 64) and data.x_test.shape == (450, 64)
    assert data.x_train.dtype == torch.float32 and data.y_train.dtype == torch.int64
    x = torch.cat([data.x_train, data.x_test])
    assert float(x.min()) == 0.0 and float(x.max()) == 1.0
    from sklearn.datasets import load_digits as raw

    per_class = torch.bincount(torch.from_numpy(raw().target), minlength=10)
    counts = torch.bincount(data.y_test, minlength=10)
    assert (counts - 0.25 * per_class).abs().max() <= 1  # stratified: a quarter of each class
    assert np.allclose(np.sort(x.numpy().sum(1)), np.sort(raw().data.sum(1) / 16.0), atol=1e-4)


def test_digits_split_depends_only_on_seed():
    a, b, c = load_digits(seed=1), load_digits(seed=1), load_digits(seed=2)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    assert not torch.equal(a.x_train, c.x_train)


@pytest.mark.parametrize("kwargs, name", [({"test_fraction": 1.0}, "test_fraction"), ({"seed": -2}, "seed")])
def test_digits_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name}:"):
        load_digits(**kwargs)


def write_idx(path, array, compress=False):
    codes = {np.dtype(np.uint8): 0x08, np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D}
    header = bytes([0, 0, codes[array.dtype], array.ndim])
    header += b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    opener = gzip.open if compress else open
    with opener(path, "wb") as f:
        f.write(header + array.tobytes())


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("dtype", [np.uint8, ">i4", ">f4"])
def test_read_idx_round_trips(tmp_path, compress, dtype):
    rng = np.random.default_rng(0)
    array = (rng.random((3, 4, 5)) * 200).astype(dtype)
    path = tmp_path / ("a-idx3" + (".gz" if compress else ""))
    write_idx(path, array, compress)
    out = read_idx(path)
    assert out.shape == (3, 4, 5) and np.array_equal(out, array)


def test_read_idx_rejects_bad_files(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match=r"^path: .*\(bad magic number\)"):
        read_idx(tmp_path / "bad")
    (tmp_path / "short").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]))
    with pytest.raises(ValueError, match=r"^path: .* header says 5"):
        read_idx(tmp_path / "short")


def fabricate_mnist(root, n_train=6, n_test=4, compress=True):
    rng = np.random.default_rng(1)
    parts = {}
    for stem, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        suffix = ".gz" if compress else ""
        write_idx(root / f"{stem}-images-idx3-ubyte{suffix}", images, compress)
        write_idx(root / f"{stem}-labels-idx1-ubyte{suffix}", labels, compress)
        parts[stem] = (images, labels)
    return parts


@pytest.mark.parametrize("compress", [False, True])
def test_load_mnist_reads_idx_files(tmp_path, compress):
    parts = fabricate_mnist(tmp_path, compress=compress)
    data = load_mnist(tmp_path)
    assert data.x_train.shape == (6, 784) and data.x_test.shape == (4, 784)
    assert torch.allclose(data.x_train[2], torch.from_numpy(parts["train"][0][2].reshape(-1) / 255.0).float())
    assert data.y_test.tolist() == parts["t10k"][1].tolist()


def test_load_mnist_uses_environment_variable(tmp_path, monkeypatch):
    fabricate_mnist(tmp_path)
    monkeypatch.setenv("INFOPLANE_DATA", str(tmp_path))
    assert load_mnist().x_train.shape == (6, 784)


def test_load_mnist_reads_the_pickled_layout(tmp_path):
    rng = np.random.default_rng(2)
    split = lambda n: (rng.random((n, 784)).astype(np.float32), rng.integers(0, 10, n))  # noqa: E731
    train, valid, test = split(5), split(3), split(2)
    with gzip.open(tmp_path / "mnist.pkl.gz", "wb") as f:
        pickle.dump((train, valid, test), f)
    data = load_mnist(tmp_path)
    assert data.x_train.shape == (8, 784) and data.x_test.shape == (2, 784)
    assert torch.equal(data.y_train, torch.from_numpy(np.concatenate([train[1], valid[1]])))
    assert data.y_train.dtype == torch.int64


def test_load_mnist_missing_files_names_both_formats(tmp_path, monkeypatch):
    missing = r"^MNIST not found in .*train-images-idx3-ubyte.*mnist\.pkl\.gz"
    with pytest.raises(FileNotFoundError, match=missing):
        load_mnist(tmp_path)
    monkeypatch.delenv("INFOPLANE_DATA", raising=False)
    with pytest.raises(ValueError, match=r"^root: no folder given"):
        load_mnist()


def test_load_mnist_download_fetches_missing_idx_files(tmp_path, monkeypatch):
    source = tmp_path / "server"
    source.mkdir()
    fabricate_mnist(source)
    fetched = []

    def fake_urlretrieve(url, dest):
        name = url.rsplit("/", 1)[1]
        fetched.append(name)
        dest.write_bytes((source / name).read_bytes())

    monkeypatch.setattr(loaders_module.urllib.request, "urlretrieve", fake_urlretrieve)
    data = load_mnist(tmp_path / "mnist", download=True)
    assert len(fetched) == 4 and data.x_test.shape == (4, 784)


def test_real_mnist(mnist_root):
    data = load_mnist(mnist_root)
    assert data.x_train.shape == (60000, 784) and data.x_test.shape == (10000, 784)
    assert 0.0 <= float(data.x_train.min()) and float(data.x_train.max()) <= 1.0
    assert torch.bincount(data.y_test).tolist() == torch.bincount(data.y_test, minlength=10).tolist()
    assert 0.09 < float((data.y_train == 1).float().mean()) < 0.13  # ones are the commonest digit

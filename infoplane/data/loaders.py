"""Image datasets: the embedded scikit-learn digits and MNIST from local files."""

from __future__ import annotations

import gzip
import os
import pickle
import urllib.request
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from infoplane._validation import check_float, check_seed

MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
MNIST_PICKLE = "mnist.pkl.gz"
MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class TrainTestSplit(NamedTuple):
    """A train/test split: inputs ``(n, features)`` float32 in [0, 1], labels int64.

    Examples
    --------
    >>> from infoplane.data import TrainTestSplit, load_digits
    >>> isinstance(load_digits(), TrainTestSplit), TrainTestSplit._fields
    (True, ('x_train', 'y_train', 'x_test', 'y_test'))
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def load_digits(test_fraction: float = 0.25, seed: int = 0) -> TrainTestSplit:
    """The 8x8 handwritten digits embedded in scikit-learn, as a train/test split.

    1797 images of 64 pixels scaled from 0..16 to [0, 1], labels 0..9. The split is
    stratified by class and fixed by ``seed``.

    Parameters
    ----------
    test_fraction : float
        Fraction of the images held out for testing, in (0, 1).
    seed : int
        Seed of the shuffle that makes the split.

    Returns
    -------
    TrainTestSplit
        ``x_train`` (n_train, 64) float32, ``y_train`` (n_train,) int64, and the same
        for the test part.

    Examples
    --------
    >>> from infoplane.data import load_digits
    >>> data = load_digits()
    >>> tuple(data.x_train.shape), float(data.x_train.max()) <= 1.0
    ((1347, 64), True)
    """
    from sklearn.datasets import load_digits as sklearn_digits
    from sklearn.model_selection import train_test_split

    test_fraction = check_float(test_fraction, "test_fraction", low=0, high=1,
                                low_open=True, high_open=True)
    seed = check_seed(seed, limit=2**32)   # scikit-learn's random_state range
    bunch = sklearn_digits()
    x = (bunch.data / 16.0).astype(np.float32)
    y = bunch.target.astype(np.int64)
    if round(test_fraction * len(y)) < 10 or round((1 - test_fraction) * len(y)) < 10:
        raise ValueError(f"test_fraction: {test_fraction} leaves fewer than 10 images (one per class) "
                         "on one side of the split")
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=test_fraction, random_state=seed,
                                              stratify=y)
    return TrainTestSplit(*(torch.from_numpy(np.ascontiguousarray(a)) for a in (x_tr, y_tr, x_te, y_te)))


def _check_path(path: object, name: str) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name}: expected a path (str or os.PathLike), got {type(path).__name__}")
    return Path(path)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (the MNIST format), gzip'd or not, into a NumPy array.

    The header is two zero bytes, a type byte, the number of dimensions, then each
    dimension as a big-endian uint32; the data follow in row-major order.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from infoplane.data import read_idx
    >>> p = os.path.join(tempfile.mkdtemp(), "a-idx1-ubyte")
    >>> _ = open(p, "wb").write(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]))
    >>> read_idx(p).tolist()
    [7, 8, 9]
    """
    path = _check_path(path, "path")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"path: {path} is not an IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"path: {path} holds {len(raw) - header} data bytes, header says {expected}")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _find(root: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (root / name).is_file():
            return root / name
    return None


def _download_idx(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for stem in MNIST_FILES.values():
        if _find(root, stem) is None:
            urllib.request.urlretrieve(MNIST_MIRROR + stem + ".gz", root / (stem + ".gz"))


def load_mnist(root: str | os.PathLike | None = None, download: bool = False) -> TrainTestSplit:
    """MNIST (60 000 train, 10 000 test images of 28x28) from local files.

    Looks in ``root``, else in ``$INFOPLANE_DATA``, for either the four standard IDX
    files (``train-images-idx3-ubyte`` etc., optionally ``.gz``) or the classic pickled
    ``mnist.pkl.gz`` (its train and validation parts together form the 60 000 training
    images, so both formats give the same split sizes).

    Parameters
    ----------
    root : path, optional
        Folder with the files. Defaults to the ``INFOPLANE_DATA`` environment variable.
    download : bool
        Fetch the IDX files into ``root`` when they are missing (needs internet).

    Returns
    -------
    TrainTestSplit
        ``x`` of shape (n, 784), float32 in [0, 1]; labels int64.

    Examples
    --------
    >>> from infoplane.data import load_mnist
    >>> data = load_mnist("~/data/mnist")  # doctest: +SKIP
    """
    if root is None:
        root = os.environ.get("INFOPLANE_DATA")
        if not root:
            raise ValueError(
                "root: no folder given and INFOPLANE_DATA is not set; pass the folder that "
                f"holds the IDX files ({', '.join(MNIST_FILES.values())}, optionally .gz) "
                f"or {MNIST_PICKLE}")
    root = _check_path(root, "root").expanduser()
    found = {key: _find(root, stem) for key, stem in MNIST_FILES.items()}
    if not all(found.values()) and (root / MNIST_PICKLE).is_file():
        return _load_pickle(root / MNIST_PICKLE)
    if not all(found.values()) and download:
        _download_idx(root)
        found = {key: _find(root, stem) for key, stem in MNIST_FILES.items()}
    if not all(found.values()):
        raise FileNotFoundError(
            f"MNIST not found in {root}: expected the IDX files "
            f"{', '.join(MNIST_FILES.values())} (optionally .gz) or the pickled {MNIST_PICKLE}; "
            "pass download=True to fetch the IDX files")
    arrays = {key: read_idx(path) for key, path in found.items()}
    x_tr, x_te = (arrays[k].reshape(len(arrays[k]), -1).astype(np.float32) / 255.0
                  for k in ("train_images", "test_images"))
    y_tr, y_te = (arrays[k].astype(np.int64) for k in ("train_labels", "test_labels"))
    for images, labels, what in ((x_tr, y_tr, "train"), (x_te, y_te, "test")):
        if len(images) != len(labels):
            raise ValueError(f"root: {what} images ({len(images)}) and labels ({len(labels)}) differ")
    return TrainTestSplit(*(torch.from_numpy(a) for a in (x_tr, y_tr, x_te, y_te)))


def _load_pickle(path: Path) -> TrainTestSplit:
    with gzip.open(path, "rb") as f:
        train, valid, test = pickle.load(f, encoding="latin1")
    x_tr = np.concatenate([train[0], valid[0]]).astype(np.float32)
    y_tr = np.concatenate([train[1], valid[1]]).astype(np.int64)
    parts = (x_tr, y_tr, np.asarray(test[0], np.float32), np.asarray(test[1], np.int64))
    return TrainTestSplit(*(torch.from_numpy(np.ascontiguousarray(a)) for a in parts))

"""The information plane: record I(X;Z), I(Z;Y) and entropies of layers while training.

:class:`InformationPlane` is a training callback (:class:`infoplane.train.Callback`).
Every ``every`` epochs (or every ``every_steps`` optimizer steps) it passes a fixed
evaluation set through the model in evaluation mode, captures the chosen layers
(the model's latent ``model.z`` by default, any submodule by name through forward
hooks) and estimates, in nats, per layer:

===================  ==================================================================
column               quantity
===================  ==================================================================
``h_z``              H[Z], by the chosen estimator
``h_z_given_y``      H[Z|Y] = sum_y p(y) H[Z|y]
``h_z_given_x``      H[Z|X]: the entropy of the model's own noise (0 for zero-entropy
                     noise, closed form for Gaussian encoders), or of the noise the
                     recorder adds (``noise_entropy``)
``i_xz``             Preserved Information I(X;Z) = H[Z] - H[Z|X] (eq. 14)
``i_zy``             Preserved Relevant Information I(Z;Y)
``h_y_given_z``      Decoder Uncertainty H[Y|Z] = H[Y] - I(Z;Y) (eq. 17)
``i_xy_given_z``     Residual Information I(X;Y|Z) = H[Y|Z] - H[Y|X] (eq. 15)
``decoder_ce``       the network's cross-entropy on the evaluation set, an upper bound
                     H_theta[Y|Z] >= H[Y|Z] (Observation 4)
``train_accuracy``   accuracy on the evaluation set (drawn from the training data)
``test_accuracy``    accuracy on ``test_data`` when given
===================  ==================================================================

Estimators by name: ``"ksg"`` (Kozachenko-Leonenko entropies and the KSG-type
discrete-continuous I(Z;Y)), ``"gaussian"`` (log-determinant bounds), ``"binning"``
(Shwartz-Ziv & Tishby; Z is treated as discrete, so H[Z|X] = 0 and I(X;Z) = H[Z]) and
``"kde"`` (pairwise-distance mixture entropy of Kolchinsky & Tracey as used by Saxe
et al., where H[Z|X] is the entropy of the kernel noise). The estimators live in
:mod:`infoplane.estimators`.

The results form a tidy table, a list of dicts (one row per run, record and layer),
that :meth:`InformationPlane.save` writes to CSV or JSON and
:meth:`InformationPlane.load` reads back identically. The plotting functions take an
optional ``ax`` and return it.
"""

from __future__ import annotations

import csv
import json
import math
import re
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from infoplane._validation import check_int
from infoplane.bottleneck.noise import gaussian_std_for_entropy
from infoplane.train import Callback, FitState

ESTIMATORS = ("ksg", "gaussian", "binning", "kde")
QUANTITIES = ("i_xz", "i_zy", "h_z", "h_z_given_y", "h_z_given_x", "h_y", "h_y_given_z",
              "i_xy_given_z", "decoder_ce", "train_accuracy", "test_accuracy")
LABELS = {
    "i_xz": "I(X;Z)", "i_zy": "I(Z;Y)", "h_z": "H[Z]", "h_z_given_y": "H[Z|Y]",
    "h_z_given_x": "H[Z|X]", "h_y": "H[Y]", "h_y_given_z": "H[Y|Z]",
    "i_xy_given_z": "I(X;Y|Z)", "decoder_ce": "H_θ[Y|Z]",
    "train_accuracy": "train accuracy", "test_accuracy": "test accuracy",
}
AXES = {
    "tishby": ("i_xz", "i_zy", "Preserved Information I(X;Z)", "Preserved Relevant Information I(Z;Y)"),
    "kirsch": ("i_xz", "i_xy_given_z", "Preserved Information I(X;Z)", "Residual Information I(X;Y|Z)"),
}


# ---------------------------------------------------------------------------------------
# estimation
# ---------------------------------------------------------------------------------------

def _estimators():
    try:
        from infoplane import estimators
    except ImportError as err:  # pragma: no cover - the package always exists
        raise ImportError("infoplane.estimators is needed to estimate information") from err
    for name in ("entropy", "mutual_information_discrete"):
        if not hasattr(estimators, name):
            raise ImportError(f"infoplane.estimators.{name} is not available yet")
    return estimators


def _entropy(z: np.ndarray, estimator: str, k: int, options: dict) -> float:
    est = _estimators()
    if estimator == "ksg":
        return float(est.entropy(z, method="kl", k=k, **options))
    return float(est.entropy(z, method=estimator, **options))


def estimate_layer(z, y, estimator: str = "ksg", k: int = 3, h_z_given_x: float = 0.0,
                   label_entropy: float = 0.0, estimator_kwargs: dict | None = None,
                   ross: bool = False) -> dict[str, float]:
    """Information-plane quantities of one layer's activations, in nats.

    Parameters
    ----------
    z : array_like
        Activations ``(n, d)`` (NumPy or torch).
    y : array_like
        Integer labels ``(n,)``.
    estimator : {"ksg", "gaussian", "binning", "kde"}
    k : int
        Neighbours of the ``"ksg"`` estimators.
    h_z_given_x : float
        Known H[Z|X] in nats (the entropy of the noise on Z); I(X;Z) = H[Z] - H[Z|X].
    label_entropy : float
        H[Y|X] in nats (0 for labels that are a function of the input).
    estimator_kwargs : dict, optional
        Passed to :func:`infoplane.estimators.entropy`.
    ross : bool
        With ``"ksg"``, estimate I(Z;Y) by Ross's k-NN estimator
        (:func:`infoplane.estimators.mutual_information_discrete`) instead of
        H[Z] - H[Z|Y] (eq. 18) from the same Kozachenko-Leonenko entropies. The
        difference is the default: it is several times faster and keeps the table's
        identity I(Z;Y) = H[Z] - H[Z|Y] exact.

    Returns
    -------
    dict
        ``h_z``, ``h_z_given_y``, ``h_z_given_x``, ``i_xz``, ``i_zy``, ``h_y``,
        ``h_y_given_z``, ``i_xy_given_z``.

    Examples
    --------
    >>> import numpy as np
    >>> from infoplane.bottleneck.plane import estimate_layer
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 500)
    >>> z = rng.normal(size=(1000, 1)) + 8.0 * y[:, None]  # two far-apart classes
    >>> out = estimate_layer(z, y, estimator="gaussian")
    >>> round(out["h_y"], 4), out["i_zy"] > 0.6   # close to H[Y] = ln 2
    (0.6931, True)
    """
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator: expected one of {ESTIMATORS}, got {estimator!r}")
    z = z.detach().cpu().double().numpy() if isinstance(z, torch.Tensor) else np.asarray(z, dtype=float)
    if z.ndim == 1:
        z = z[:, None]
    y = y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
    y = y.reshape(-1)
    if z.ndim != 2 or z.shape[0] != y.shape[0]:
        raise ValueError(f"y: expected {z.shape[0]} labels to match z, got {y.shape[0]}")
    if not np.isfinite(z).all():
        raise ValueError("z: contains NaN or infinite activations")
    options = dict(estimator_kwargs or {})
    classes, counts = np.unique(y, return_counts=True)
    p = counts / counts.sum()
    h_y = float(-(p * np.log(p)).sum())
    h_z = _entropy(z, estimator, k, options)
    min_count = k + 1 if estimator == "ksg" else 2
    h_zy, weight = 0.0, 0.0
    for c, pc, nc in zip(classes, p, counts, strict=True):
        if nc >= min_count:
            h_zy += pc * _entropy(z[y == c], estimator, k, options)
            weight += pc
    h_zy = h_zy / weight if weight > 0 else h_z
    if estimator == "ksg" and ross:
        i_zy = float(_estimators().mutual_information_discrete(z, y, k=k))
    else:
        i_zy = h_z - h_zy
    i_zy = min(max(i_zy, 0.0), h_y)  # 0 <= I(Z;Y) <= H[Y]: clip estimator noise
    h_y_given_z = h_y - i_zy
    out = {"h_z": h_z, "h_z_given_y": h_zy, "h_z_given_x": h_z_given_x,
           "i_xz": h_z - h_z_given_x, "i_zy": i_zy, "h_y": h_y,
           "h_y_given_z": h_y_given_z, "i_xy_given_z": max(h_y_given_z - label_entropy, 0.0)}
    return {key: float(value) for key, value in out.items()}


# ---------------------------------------------------------------------------------------
# the recorder
# ---------------------------------------------------------------------------------------

class InformationPlane(Callback):
    """Training callback that records information-plane coordinates of chosen layers.

    Parameters
    ----------
    x, y : torch.Tensor
        The evaluation set (usually drawn from the training data): inputs and integer
        labels. At most ``max_samples`` of them are used, a fixed random subset.
    layers : sequence of str, optional
        Names of submodules (as in ``model.named_modules()``) whose outputs to record.
        Default: the model's latent ``model.z``, recorded as layer ``"z"``.
    estimator : {"ksg", "gaussian", "binning", "kde"}
        How entropies and I(Z;Y) are estimated (see the module docstring).
    every : int
        Record every ``every`` epochs.
    at_epochs : iterable of int, optional
        Record after exactly these epochs instead (e.g. log-spaced, dense early when
        trajectories move fast; see :func:`log_spaced_epochs`).
    every_steps : int, optional
        Record every ``every_steps`` optimizer steps instead.
    test_data : (x, y), optional
        Held-out data for ``test_accuracy``.
    max_samples : int
        Size cap of the evaluation subset (estimation cost grows with it).
    k : int
        Neighbours of the ``"ksg"`` estimators.
    noise_entropy : float, optional
        Add Gaussian noise of this entropy (nats per dimension; 0 = zero-entropy noise)
        to every captured activation before estimating, and use it as H[Z|X]. Needed
        for noise-free layers, whose differential entropy is otherwise meaningless
        (Kirsch, Lyle & Gal, sec. 6.1). The draw is fixed, so records differ only
        through the model.
    label_entropy : float
        H[Y|X] in nats for the Residual Information (0 for deterministic labels).
    run : str
        Name of the run, stored in every row.
    params : dict, optional
        Extra columns for every row (e.g. ``{"objective": "ib", "gamma": 0.1}``).
    seed : int
        Seed of the evaluation subset and of the added noise.
    estimator_kwargs : dict, optional
        Passed on to :func:`infoplane.estimators.entropy` (``bin_width`` for
        ``"binning"``, ``noise_variance`` for ``"kde"``).
    ross : bool
        Estimate I(Z;Y) with Ross's k-NN estimator (``"ksg"`` only); see
        :func:`estimate_layer`.

    Attributes
    ----------
    rows : list of dict
        The table recorded so far.
    seconds : float
        Time spent recording (to compare with the training time).

    Examples
    --------
    >>> import torch
    >>> from torch.utils.data import DataLoader, TensorDataset
    >>> from infoplane.bottleneck import InformationPlane, NoisyBottleneckClassifier, SurrogateIB
    >>> from infoplane.train import fit
    >>> x, y = torch.randn(200, 5), torch.arange(200) % 2
    >>> model = NoisyBottleneckClassifier(5, 2, hidden=(16,), latent_dim=2)
    >>> plane = InformationPlane(x, y, estimator="gaussian", run="demo", params={"gamma": 0.1})
    >>> _ = fit(model, SurrogateIB(0.1), DataLoader(TensorDataset(x, y), batch_size=50),
    ...         torch.optim.Adam(model.parameters()), epochs=3, callbacks=[plane], progress=False)
    >>> [row["epoch"] for row in plane.rows], plane.rows[0]["layer"]
    ([1, 2, 3], 'z')
    """

    def __init__(self, x: torch.Tensor, y: torch.Tensor, *, layers: Sequence[str] | None = None,
                 estimator: str = "ksg", every: int = 1, at_epochs: Iterable[int] | None = None,
                 every_steps: int | None = None,
                 test_data: tuple[torch.Tensor, torch.Tensor] | None = None, max_samples: int = 1000,
                 k: int = 3, noise_entropy: float | None = None, label_entropy: float = 0.0,
                 run: str = "run", params: dict | None = None, seed: int = 0,
                 estimator_kwargs: dict | None = None, ross: bool = False) -> None:
        if estimator not in ESTIMATORS:
            raise ValueError(f"estimator: expected one of {ESTIMATORS}, got {estimator!r}")
        x, y = torch.as_tensor(x), torch.as_tensor(y).reshape(-1)
        if x.shape[0] != y.shape[0]:
            raise ValueError(f"y: expected {x.shape[0]} labels to match x, got {y.shape[0]}")
        if y.is_floating_point():
            raise ValueError("y: expected integer class labels")
        self.max_samples = check_int(max_samples, "max_samples", minimum=2)
        gen = torch.Generator().manual_seed(check_int(seed, "seed", minimum=0))
        if x.shape[0] > self.max_samples:
            keep = torch.randperm(x.shape[0], generator=gen)[: self.max_samples].sort().values
            x, y = x[keep], y[keep]
        self.x, self.y = x, y.long()
        self.test_data = test_data
        self.layers = list(layers) if layers is not None else None
        self.estimator = estimator
        self.every = check_int(every, "every", minimum=1)
        self.at_epochs = None if at_epochs is None else {check_int(e, "at_epochs", minimum=0)
                                                          for e in at_epochs}
        self.every_steps = None if every_steps is None else check_int(every_steps, "every_steps", minimum=1)
        self.k = check_int(k, "k", minimum=1)
        self.noise_entropy = noise_entropy
        self.label_entropy = float(label_entropy)
        self.run = str(run)
        self.params = dict(params or {})
        self.seed = seed
        self.estimator_kwargs = dict(estimator_kwargs or {})
        self.ross = bool(ross)
        self.rows: list[dict] = []
        self.seconds = 0.0
        self._noise: dict[str, torch.Tensor] = {}
        self._noise_gen = torch.Generator().manual_seed(seed + 1)

    # -- training hooks --------------------------------------------------------------
    def on_step_end(self, state: FitState) -> None:
        """Record every ``every_steps`` optimizer steps (when set)."""
        if self.every_steps is not None and state.step % self.every_steps == 0:
            self.record(state.model, epoch=state.epoch, step=state.step)

    def on_epoch_end(self, state: FitState) -> None:
        """Record every ``every`` epochs (unless recording by steps)."""
        if self.every_steps is not None:
            return
        if (state.epoch in self.at_epochs) if self.at_epochs is not None else state.epoch % self.every == 0:
            self.record(state.model, epoch=state.epoch, step=state.step)

    # -- recording -------------------------------------------------------------------
    def _capture(self, model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        captured: dict[str, torch.Tensor] = {}
        handles = []
        if self.layers is not None:
            modules = dict(model.named_modules())
            for name in self.layers:
                if name not in modules:
                    raise ValueError(f"layers: model has no submodule {name!r}; "
                                     f"choose from {[n for n in modules if n]}")

                def hook(_module, _inputs, output, name=name):
                    out = output[0] if isinstance(output, (tuple, list)) else output
                    captured[name] = out.detach()

                handles.append(modules[name].register_forward_hook(hook))
        try:
            out = model(x)
        finally:
            for h in handles:
                h.remove()
        if isinstance(out, (tuple, list)):
            out = out[0]
        if self.layers is None:
            z = getattr(model, "z", None)
            if not isinstance(z, torch.Tensor):
                raise ValueError("layers: the model keeps no latent in model.z; name the layers to record")
            captured["z"] = z.detach()
        return out.detach(), captured

    def _accuracy(self, model, data) -> float:
        x, y = data
        device = next(model.parameters()).device
        out = model(torch.as_tensor(x).to(device))
        out = out[0] if isinstance(out, (tuple, list)) else out
        return float((out.argmax(-1).cpu() == torch.as_tensor(y).reshape(-1).cpu()).float().mean())

    def record(self, model: nn.Module, epoch: int = 0, step: int = 0) -> list[dict]:
        """Measure the model now and append one row per layer; returns the new rows.

        Call it before training to record the starting point (epoch 0).
        """
        if getattr(self, "x", None) is None:
            raise ValueError("model: this recorder was loaded from a table and has no evaluation data; "
                             "create a new InformationPlane to record")
        started = time.perf_counter()
        was_training = model.training
        model.eval()
        device = next(model.parameters()).device
        try:
            with torch.no_grad():
                x = self.x.to(device)
                out, captured = self._capture(model, x)
                decoder_ce = float(nn.functional.cross_entropy(out.float(), self.y.to(device)))
                train_acc = float((out.argmax(-1).cpu() == self.y).float().mean())
                test_acc = self._accuracy(model, self.test_data) if self.test_data is not None else None
                encoding_entropy = None
                if self.layers is None and hasattr(model, "encoding_entropy"):
                    encoding_entropy = float(model.encoding_entropy(x))
        finally:
            model.train(was_training)
        new_rows = []
        for name, act in captured.items():
            z = act.reshape(act.shape[0], -1).double().cpu()
            h_z_given_x = 0.0
            if self.estimator == "binning":
                pass  # binned activations of a deterministic net: H[Z|X] = 0
            elif self.noise_entropy is not None:
                if name not in self._noise or self._noise[name].shape != z.shape:
                    self._noise[name] = torch.randn(z.shape, generator=self._noise_gen, dtype=torch.float64)
                z = z + gaussian_std_for_entropy(self.noise_entropy) * self._noise[name]
                h_z_given_x = self.noise_entropy * z.shape[1]
            elif self.estimator == "kde":
                h_z_given_x = _kde_noise_entropy(self.estimator_kwargs, z.shape[1])
            elif encoding_entropy is not None:
                h_z_given_x = encoding_entropy
            values = estimate_layer(z.numpy(), self.y.numpy(), self.estimator, self.k, h_z_given_x,
                                    self.label_entropy, self.estimator_kwargs, self.ross)
            row = {"run": self.run, **self.params, "epoch": int(epoch), "step": int(step),
                   "layer": name, "dim": int(z.shape[1]), "n": int(z.shape[0]),
                   "estimator": self.estimator, **values, "decoder_ce": decoder_ce,
                   "train_accuracy": train_acc}
            if test_acc is not None:
                row["test_accuracy"] = test_acc
            new_rows.append(row)
        elapsed = time.perf_counter() - started
        self.seconds += elapsed
        for row in new_rows:
            row["seconds"] = elapsed
        self.rows.extend(new_rows)
        return new_rows

    def overhead(self, history: Sequence[dict]) -> float:
        """Recording time divided by the training time in ``history`` (from ``fit``).

        Examples
        --------
        >>> from infoplane.bottleneck.plane import InformationPlane
        >>> import torch
        >>> plane = InformationPlane(torch.zeros(4, 2), torch.tensor([0, 1, 0, 1]))
        >>> plane.seconds = 1.0
        >>> plane.overhead([{"seconds": 2.0}, {"seconds": 3.0}])
        0.2
        """
        train = sum(float(row.get("seconds", 0.0)) for row in history)
        return self.seconds / train if train > 0 else math.inf

    # -- table -----------------------------------------------------------------------
    def save(self, path) -> Path:
        """Write the table to ``path`` (``.csv`` or ``.json``); returns the path."""
        return save_table(self.rows, path)

    @classmethod
    def load(cls, path) -> InformationPlane:
        """Read a table written by :meth:`save` into a recorder that can plot it (not record).

        Examples
        --------
        >>> import os, tempfile, torch
        >>> from infoplane.bottleneck import InformationPlane
        >>> plane = InformationPlane(torch.zeros(4, 2), torch.tensor([0, 1, 0, 1]))
        >>> plane.rows = [{"run": "a", "epoch": 1, "i_xz": 0.5}]
        >>> p = plane.save(os.path.join(tempfile.mkdtemp(), "plane.csv"))
        >>> InformationPlane.load(p).rows == plane.rows
        True
        """
        plane = cls.__new__(cls)
        plane.rows = load_table(path)
        plane.seconds = 0.0
        plane.x = plane.y = None
        return plane

    def plot(self, ax=None, axes: str = "tishby", **kwargs):
        """Trajectories of the recorded rows; see :func:`plot_trajectories`."""
        return plot_trajectories(self.rows, ax=ax, axes=axes, **kwargs)


def log_spaced_epochs(epochs: int, count: int = 12) -> list[int]:
    """About ``count`` epochs from 1 to ``epochs``, spaced evenly in log scale (always 1 and ``epochs``).

    Examples
    --------
    >>> from infoplane.bottleneck.plane import log_spaced_epochs
    >>> log_spaced_epochs(30, 8)
    [1, 2, 3, 4, 7, 11, 18, 30]
    """
    epochs = check_int(epochs, "epochs", minimum=1)
    count = check_int(count, "count", minimum=1)
    grid = np.geomspace(1, epochs, num=min(count, epochs))
    return sorted({int(round(e)) for e in grid} | {1, epochs})


def _kde_noise_entropy(options: dict, dim: int) -> float:
    """Entropy of the Gaussian kernel noise of the KDE estimator (nats), d/2 ln(2 pi e s^2)."""
    for key in ("noise_variance", "variance", "bandwidth_variance"):
        if key in options:
            return 0.5 * dim * math.log(2 * math.pi * math.e * float(options[key]))
    for key in ("bandwidth", "sigma", "std"):
        if key in options:
            return 0.5 * dim * math.log(2 * math.pi * math.e * float(options[key]) ** 2)
    return 0.0


# ---------------------------------------------------------------------------------------
# tidy table I/O
# ---------------------------------------------------------------------------------------

_INT = re.compile(r"^[+-]?\d+$")


def _parse(cell: str):
    if _INT.match(cell):
        return int(cell)
    try:
        return float(cell)
    except ValueError:
        return cell


def save_table(rows: Sequence[dict], path) -> Path:
    """Write a list of dicts to CSV or JSON (by the suffix of ``path``).

    CSV cells hold ``repr`` of floats, so :func:`load_table` restores the same values
    (ints stay ints, floats floats, other values strings; a key missing from a row is
    written as an empty cell and left out again on loading).

    Examples
    --------
    >>> import os, tempfile
    >>> from infoplane.bottleneck.plane import save_table, load_table
    >>> rows = [{"run": "a", "epoch": 1, "h_z": 0.1 + 0.2}, {"run": "b", "epoch": 2, "h_z": -1e-300}]
    >>> load_table(save_table(rows, os.path.join(tempfile.mkdtemp(), "t.csv"))) == rows
    True
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise ValueError(f"path: expected a .csv or .json file name, got {path.name!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [dict(r) for r in rows]
    if suffix == ".json":
        path.write_text(json.dumps(rows, indent=1))
        return path
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else repr(row[c]) if isinstance(row[c], float)
                             else row[c] for c in columns])
    return path


def load_table(path) -> list[dict]:
    """Read a table written by :func:`save_table` (CSV or JSON)."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        return json.loads(path.read_text())
    with path.open(newline="") as f:
        reader = csv.reader(f)
        columns = next(reader, [])
        return [{c: _parse(v) for c, v in zip(columns, cells, strict=True) if v != ""} for cells in reader]


# ---------------------------------------------------------------------------------------
# plots
# ---------------------------------------------------------------------------------------

def _runs(rows: Iterable[dict], layer: str | None) -> dict[str, list[dict]]:
    runs: dict[str, list[dict]] = {}
    for row in rows:
        if layer is not None and row.get("layer") != layer:
            continue
        runs.setdefault(str(row.get("run", "run")), []).append(row)
    for name in runs:
        runs[name].sort(key=lambda r: (r.get("step", 0), r.get("epoch", 0)))
    return runs


def _color_key(rows: Sequence[dict], color_by: str | None) -> str | None:
    if color_by is not None:
        return color_by
    for key in ("gamma", "beta"):
        if any(key in r for r in rows):
            return key
    return None


def _run_colors(runs: dict[str, list[dict]], key: str | None, cmap: str):
    import matplotlib.pyplot as plt

    cm = plt.get_cmap(cmap)
    values = sorted({r[0][key] for r in runs.values() if key and key in r[0]})
    colors = {}
    for i, (name, rs) in enumerate(runs.items()):
        if key and key in rs[0]:
            rank = values.index(rs[0][key])
            colors[name] = cm(0.1 + 0.8 * rank / max(len(values) - 1, 1))
        else:
            colors[name] = plt.get_cmap("tab10")(i % 10)
    return colors


def _scale(base: float) -> tuple[float, str]:
    if base == math.e:
        return 1.0, "nats"
    if base == 2:
        return 1.0 / math.log(2), "bits"
    return 1.0 / math.log(base), f"log base {base:g}"


def plot_trajectories(rows: Sequence[dict], ax=None, axes: str = "tishby", layer: str | None = None,
                      color_by: str | None = None, cmap: str = "viridis", epoch_cmap: str = "Greys",
                      ib_bound: bool = True, ib_curve: Sequence[dict] | None = None,
                      base: float = math.e, legend: bool = True):
    """Information-plane trajectories, one line per run, coloured by ``color_by``.

    Parameters
    ----------
    rows : list of dict
        A table from :class:`InformationPlane` (several runs may be concatenated).
    ax : matplotlib Axes, optional
    axes : {"tishby", "kirsch"}
        Tishby: I(X;Z) against I(Z;Y). Kirsch: Preserved Information I(X;Z) against
        Residual Information I(X;Y|Z).
    layer : str, optional
        Only rows of this layer (default: all, so pass it when several were recorded).
    color_by : str, optional
        Column whose value colours each run (default ``"gamma"`` or ``"beta"`` when
        present); values are ranked, so log-spaced grids spread over the colormap.
    cmap, epoch_cmap : str
        Colormaps of the runs and of the epoch dots (light = early).
    ib_bound : bool
        Draw the exact IB curve of deterministic labels (I(Z;Y) = min(I(X;Z), H[Y]),
        dashed) using the table's H[Y].
    ib_curve : list of dict, optional
        Records of :func:`infoplane.info.ib_curve` (in nats) to overlay as well.
    base : float
        Units of the axes (e for nats, 2 for bits).
    legend : bool

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from infoplane.bottleneck.plane import plot_trajectories
    >>> rows = [{"run": "a", "gamma": 0.1, "epoch": e, "step": e, "i_xz": e, "i_zy": e / 2,
    ...          "i_xy_given_z": 2 - e / 2, "h_y": 2.0} for e in range(1, 4)]
    >>> plot_trajectories(rows, axes="kirsch").get_xlabel()
    'Preserved Information I(X;Z) [nats]'
    """
    import matplotlib.pyplot as plt

    if axes not in AXES:
        raise ValueError(f"axes: expected one of {sorted(AXES)}, got {axes!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    xkey, ykey, xlabel, ylabel = AXES[axes]
    scale, unit = _scale(base)
    runs = _runs(rows, layer)
    key = _color_key(rows, color_by)
    colors = _run_colors(runs, key, cmap)
    max_epoch = max((r.get("epoch", 0) for rs in runs.values() for r in rs), default=1) or 1
    for name, rs in runs.items():
        xs = [r[xkey] * scale for r in rs]
        ys = [r[ykey] * scale for r in rs]
        label = f"{key}={rs[0][key]:g}" if key and key in rs[0] else name
        ax.plot(xs, ys, "-", color=colors[name], lw=1.5, alpha=0.9, label=label, zorder=2)
        ax.scatter(xs, ys, c=[r.get("epoch", 0) for r in rs], cmap=epoch_cmap, vmin=-0.2 * max_epoch,
                   vmax=max_epoch, s=14, edgecolors=colors[name], linewidths=0.6, zorder=3)
    h_ys = [r["h_y"] for rs in runs.values() for r in rs if "h_y" in r]
    if ib_bound and h_ys:
        h_y = max(h_ys) * scale
        right = max([ax.get_xlim()[1], h_y * 1.2])
        xs = np.linspace(0, right, 100)
        bound = np.minimum(xs, h_y) if axes == "tishby" else np.maximum(h_y - xs, 0)
        ax.plot(xs, bound, "k--", lw=1, alpha=0.6, label="exact IB curve (deterministic Y)", zorder=1)
    if ib_curve:
        pts = sorted(ib_curve, key=lambda r: r["I_XT"])
        xs = [r["I_XT"] * scale for r in pts]
        ys = [r["I_TY"] * scale for r in pts]
        if axes == "kirsch":
            i_xy = max(r["I_TY"] for r in pts) * scale
            ys = [i_xy - v for v in ys]
        ax.plot(xs, ys, ":", color="crimson", lw=1.5, label="IB curve", zorder=1)
    ax.set_xlabel(f"{xlabel} [{unit}]")
    ax.set_ylabel(f"{ylabel} [{unit}]")
    if legend and runs:
        ax.legend(fontsize=7, loc="best")
    return ax


def plot_entropies(rows: Sequence[dict], quantity: str = "h_z", ax=None, layer: str | None = None,
                   color_by: str | None = None, cmap: str = "viridis", base: float = math.e,
                   legend: bool = True):
    """One column of the table against the epoch, one line per run.

    Parameters
    ----------
    rows : list of dict
    quantity : str
        A column, e.g. ``"h_z"``, ``"h_z_given_y"``, ``"i_zy"``, ``"test_accuracy"``.
    ax, layer, color_by, cmap, base, legend
        As in :func:`plot_trajectories` (accuracies are not rescaled by ``base``).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from infoplane.bottleneck.plane import plot_entropies
    >>> rows = [{"run": "a", "epoch": e, "h_z": 3.0 - e} for e in range(3)]
    >>> plot_entropies(rows).get_ylabel()
    'H[Z] [nats]'
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    runs = _runs(rows, layer)
    if not any(quantity in r for rs in runs.values() for r in rs):
        raise ValueError(f"quantity: no row has a column {quantity!r}")
    key = _color_key(rows, color_by)
    colors = _run_colors(runs, key, cmap)
    is_info = quantity not in ("train_accuracy", "test_accuracy")
    scale, unit = _scale(base) if is_info else (1.0, "")
    for name, rs in runs.items():
        pts = [(r.get("epoch", 0), r[quantity] * scale) for r in rs if quantity in r]
        label = f"{key}={rs[0][key]:g}" if key and key in rs[0] else name
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "-o", ms=2.5, color=colors[name], label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"{LABELS.get(quantity, quantity)}" + (f" [{unit}]" if is_info else ""))
    if legend and runs:
        ax.legend(fontsize=7, loc="best")
    return ax


def comparison_figure(rows: Sequence[dict], objectives: Sequence[str] | None = None,
                      layer: str | None = None, base: float = math.e):
    """The figure of ``infoplane compare``: one row of panels per objective.

    Columns: Tishby plane, Kirsch plane, H[Z] and H[Z|Y] against the epoch, test
    accuracy against the epoch (train accuracy when no test data were recorded).

    Returns
    -------
    matplotlib Figure

    Examples
    --------
    >>> from infoplane.bottleneck.plane import comparison_figure
    >>> rows = [{"run": f"ib-{g}", "objective": "ib", "gamma": g, "epoch": e, "i_xz": e * g,
    ...          "i_zy": e / 4, "i_xy_given_z": 1 - e / 4, "h_z": e * g, "h_z_given_y": 0.0,
    ...          "h_y": 1.0, "train_accuracy": 0.5} for g in (0.1, 1.0) for e in range(1, 4)]
    >>> len(comparison_figure(rows).axes)
    5
    """
    import matplotlib.pyplot as plt

    if objectives is None:
        objectives = list(dict.fromkeys(r.get("objective", "run") for r in rows))
    objectives = list(objectives)
    if not objectives:
        raise ValueError("rows: the table is empty")
    fig, axs = plt.subplots(len(objectives), 5, figsize=(22, 3.8 * len(objectives)), squeeze=False)
    for i, objective in enumerate(objectives):
        sub = [r for r in rows if r.get("objective", "run") == objective]
        if not sub:
            raise ValueError(f"objectives: no rows for objective {objective!r}")
        acc = "test_accuracy" if any("test_accuracy" in r for r in sub) else "train_accuracy"
        name = objective.upper()
        plot_trajectories(sub, ax=axs[i, 0], axes="tishby", layer=layer, base=base)
        plot_trajectories(sub, ax=axs[i, 1], axes="kirsch", layer=layer, base=base, legend=False)
        plot_entropies(sub, "h_z", ax=axs[i, 2], layer=layer, base=base, legend=False)
        plot_entropies(sub, "h_z_given_y", ax=axs[i, 3], layer=layer, base=base, legend=False)
        plot_entropies(sub, acc, ax=axs[i, 4], layer=layer, legend=False)
        for j, title in enumerate(("information plane (Tishby axes)", "information plane (Kirsch axes)",
                                   "latent entropy", "conditional latent entropy", acc.replace("_", " "))):
            axs[i, j].set_title(f"{name}: {title}", fontsize=10)
    fig.tight_layout()
    return fig

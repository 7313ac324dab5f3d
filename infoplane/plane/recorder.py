"""The information-plane recorder: I(X;Z), I(Z;Y) and entropies of layers while training.

:class:`InformationPlane` is a training callback (:class:`infoplane.train.Callback`).
Every ``every`` epochs (or at chosen epochs, or every ``every_steps`` optimizer steps)
it passes a fixed evaluation set through the model in evaluation mode and estimates,
in nats, per recorded layer:

===================  ==================================================================
column               quantity
===================  ==================================================================
``h_z``              H[Z], by the chosen estimator
``h_z_given_y``      H[Z|Y] = sum_y p(y) H[Z|y]
``h_z_given_x``      H[Z|X]: the closed-form entropy of the model's own Gaussian noise
                     (0 for zero-entropy noise; E_x of the Gaussian encoder's entropy),
                     or of the noise the recorder adds (``noise_entropy``), or of the
                     KDE kernel (``noise_variance``); 0 for a deterministic layer
``i_xz``             Preserved Information I(X;Z) = H[Z] - H[Z|X] (eq. 14)
``i_zy``             Preserved Relevant Information I(Z;Y)
``h_y_given_z``      Decoder Uncertainty H[Y|Z] = H[Y] - I(Z;Y) (eq. 17)
``i_xy_given_z``     Residual Information I(X;Y|Z) = H[Y|Z] - H[Y|X] (eq. 15)
``decoder_ce``       the network's cross-entropy on the evaluation set, an upper bound
                     H_theta[Y|Z] >= H[Y|Z] (Observation 4)
``train_accuracy``   accuracy on the evaluation set (drawn from the training data)
``test_accuracy``    accuracy on ``test_data`` when given
===================  ==================================================================

What the recorder reads from a model is declared, never guessed:

- with ``layers=None`` the model must follow :class:`LatentModel`: ``model.latent(x)``
  returns a :class:`~infoplane._gaussian.GaussianLatent` ``(z, mean, log_var)``, and
  H[Z|X] = E_x sum_i 1/2 (ln(2 pi e) + log_var_i) in closed form (``log_var=None``:
  a deterministic layer, H[Z|X] = 0 by the zero-entropy-noise convention). A model
  that also follows :class:`DecodesLatent` gives its predictions from that same
  latent (``model.decode(z)``), so one noise draw serves both; otherwise the
  predictions come from ``model(x)``. A model that follows
  :class:`KnowsInformationTerms` adds its own exact terms to the row.
- with ``layers=[...]`` the outputs of those submodules are captured by forward hooks
  (deterministic layers), and the predictions come from ``model(x)``.

``model(x)`` is used as the prediction if it is a tensor, else its first element
(logits or log-probabilities).

Estimators by name (:func:`infoplane.estimators.layer.estimate_layer`):

- ``"mixture"`` (the default): the exact Gaussian mixture of the layer's noise law on the
  evaluation set (:func:`infoplane.estimators.mixture_information`; Goldfeld et al.,
  ICML 2019). With X uniform over the n evaluation inputs, q(z) is the mixture of the n
  noise distributions around f(x_i), and I(X;Z), I(Z;Y) are Monte Carlo averages with
  standard errors (columns ``i_xz_se``, ``i_zy_se``) that respect I(X;Z) <= H(X) = ln n
  (column ``h_x``) and I(Z;Y) <= H[Y] by construction. The noise is the model's own
  (``log_var`` of its :class:`~infoplane._gaussian.GaussianLatent`: zero-entropy noise,
  a Gaussian encoder) or, for a deterministic layer, Gaussian noise the recorder adds
  (``noise_entropy`` per dimension, default 0: zero-entropy noise of variance
  1/(2 pi e); Saxe et al. 2018). Column ``noise`` says which (``"model"`` or
  ``"added"``, with ``noise_variance``).
- ``"kl"`` (Kozachenko-Leonenko entropies of the activations): with narrow noise around
  well-separated points it sees the spread of the points, not the mixture, and can
  report I(X;Z) far above ln n (Geiger 2021) -- kept to show that failure.
- ``"gaussian"`` (log-determinant bounds), ``"binning"`` (Shwartz-Ziv & Tishby; Z is
  treated as discrete, so H[Z|X] = 0 and I(X;Z) = H[Z]) and ``"kde"`` (pairwise-distance
  mixture entropy of Kolchinsky & Tracey as used by Saxe et al., where H[Z|X] is the
  entropy of the kernel noise).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import torch
from torch import nn

from infoplane._gaussian import LOG_2PIE, GaussianLatent, gaussian_entropy
from infoplane._validation import check_float, check_int
from infoplane.bottleneck.noise import gaussian_std_for_entropy
from infoplane.estimators.layer import ESTIMATORS, estimate_layer
from infoplane.plane.plots import plot_trajectories
from infoplane.plane.table import load_table, save_table
from infoplane.train import Callback, FitState

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["QUANTITIES", "ESTIMATORS", "LatentModel", "DecodesLatent", "KnowsInformationTerms",
           "InformationPlane", "log_spaced_epochs"]

#: Monte Carlo samples per evaluation input of the ``"mixture"`` estimator (``estimator_kwargs``
#: ``samples`` overrides): 600 inputs give 3000 samples and a standard error of ~0.005 nats.
MIXTURE_SAMPLES = 5

#: The information-plane columns of every row (nats; accuracies are fractions).
QUANTITIES = ("i_xz", "i_zy", "h_z", "h_z_given_y", "h_z_given_x", "h_x", "h_y", "h_y_given_z",
              "i_xy_given_z", "decoder_ce", "train_accuracy", "test_accuracy")


@runtime_checkable
class LatentModel(Protocol):
    """What the recorder reads from a model when no ``layers`` are named.

    ``latent(x)`` returns the latent of the batch ``x`` and the law of its noise as a
    :class:`~infoplane._gaussian.GaussianLatent` ``(z, mean, log_var)``: ``z`` and
    ``mean`` ``(n, d)``; ``log_var`` ``(n, d)`` or broadcastable (fixed noise), filled
    with :data:`~infoplane._gaussian.ZERO_ENTROPY_LOG_VAR` for zero-entropy noise, or
    ``None`` for a deterministic Z.
    """

    def latent(self, x: torch.Tensor) -> GaussianLatent:
        """The latent of ``x`` and the law of its noise."""


@runtime_checkable
class DecodesLatent(Protocol):
    """Optional: predictions (logits or log-probabilities) of a given latent ``z``.

    Lets the recorder score the very latent it measures (one noise draw for both).
    """

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Predictions ``(n, n_classes)`` of the latent ``z`` ``(n, d)``."""


@runtime_checkable
class KnowsInformationTerms(Protocol):
    """Optional: a model's own exact information terms of a batch, in nats.

    ``information_terms(x, y)`` returns a mapping of column names to 0-d tensors or
    floats, added to the row of the latent (e.g. IB-INN's L_X and L_Y).
    """

    def information_terms(self, x: torch.Tensor, y: torch.Tensor) -> Mapping[str, torch.Tensor | float]:
        """Named exact terms of the batch ``(x, y)`` in nats."""


def _prediction(output: Any) -> torch.Tensor:
    return output if isinstance(output, torch.Tensor) else output[0]


def _as_tensor(value: object, name: str) -> torch.Tensor:
    """``torch.as_tensor(value)`` of real numbers, else ValueError naming ``name``."""
    try:
        tensor = torch.as_tensor(value)
    except (TypeError, ValueError, RuntimeError) as err:
        raise ValueError(f"{name}: expected an array of numbers ({err})") from None
    if tensor.is_complex():
        raise ValueError(f"{name}: expected real numbers, got dtype {tensor.dtype}")
    return tensor


def _kde_noise_entropy(noise_variance: float, dim: int) -> float:
    """Entropy in nats of the KDE kernel noise N(0, s I) in ``dim`` dimensions, d/2 ln(2 pi e s)."""
    return 0.5 * dim * (LOG_2PIE + math.log(noise_variance))


class InformationPlane(Callback):
    """Training callback that records information-plane coordinates of chosen layers.

    Parameters
    ----------
    x, y : torch.Tensor
        The evaluation set (usually drawn from the training data): inputs and integer
        labels. At most ``max_samples`` of them are used, a fixed random subset.
    layers : sequence of str, optional
        Names of submodules (as in ``model.named_modules()``) whose outputs to record.
        Default: the model's latent, ``model.latent(x)`` (:class:`LatentModel`),
        recorded as layer ``"z"``.
    estimator : {"mixture", "kl", "gaussian", "binning", "kde"}
        How entropies and I(Z;Y) are estimated (see the module docstring); ``"mixture"``
        by default, bounded by ln n and H[Y].
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
        Neighbours of the ``"kl"`` estimators.
    noise_entropy : float, optional
        Add Gaussian noise of this entropy (nats per dimension; 0 = zero-entropy noise)
        to every captured activation before estimating, and use it as H[Z|X]. Needed
        for noise-free layers, whose differential entropy is otherwise meaningless
        (Kirsch, Lyle & Gal, sec. 6.1). The draw is fixed, so records differ only
        through the model. With ``"mixture"`` it is the variance of the mixture's
        components for deterministic layers (default 0: zero-entropy noise); a latent
        with its own noise keeps that noise, and giving ``noise_entropy`` for it is a
        ``ValueError``.
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
        ``"binning"``, ``noise_variance`` for ``"kde"``, where it is required and its
        kernel entropy is H[Z|X]).
    ross : bool
        Estimate I(Z;Y) with Ross's k-NN estimator (``"kl"`` only); see
        :func:`~infoplane.estimators.layer.estimate_layer`.

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
    >>> from infoplane.bottleneck import NoisyBottleneckClassifier, SurrogateIB
    >>> from infoplane.plane import InformationPlane
    >>> from infoplane.train import fit
    >>> x, y = torch.randn(200, 5), torch.arange(200) % 2
    >>> model = NoisyBottleneckClassifier(5, 2, hidden=(16,), latent_dim=2, seed=0)
    >>> plane = InformationPlane(x, y, estimator="gaussian", run="demo", params={"gamma": 0.1})
    >>> _ = fit(model, SurrogateIB(0.1), DataLoader(TensorDataset(x, y), batch_size=50),
    ...         torch.optim.Adam(model.parameters()), epochs=3, callbacks=[plane], progress=False)
    >>> [row["epoch"] for row in plane.rows], plane.rows[0]["layer"], plane.rows[0]["h_z_given_x"]
    ([1, 2, 3], 'z', 0.0)
    """

    def __init__(self, x: torch.Tensor, y: torch.Tensor, *, layers: Sequence[str] | None = None,
                 estimator: str = "mixture", every: int = 1, at_epochs: Iterable[int] | None = None,
                 every_steps: int | None = None,
                 test_data: tuple[torch.Tensor, torch.Tensor] | None = None, max_samples: int = 1000,
                 k: int = 3, noise_entropy: float | None = None, label_entropy: float = 0.0,
                 run: str = "run", params: dict[str, Any] | None = None, seed: int = 0,
                 estimator_kwargs: dict[str, Any] | None = None, ross: bool = False) -> None:
        if estimator not in ESTIMATORS:
            raise ValueError(f"estimator: expected one of {ESTIMATORS}, got {estimator!r}")
        x, y = _as_tensor(x, "x"), _as_tensor(y, "y").reshape(-1)
        if x.ndim == 0:
            raise ValueError("x: expected a batch of inputs (n, ...), got a scalar")
        if x.is_floating_point() and not bool(torch.isfinite(x).all()):
            raise ValueError("x: contains NaN or infinite values")
        if x.shape[0] != y.shape[0]:
            raise ValueError(f"y: expected {x.shape[0]} labels to match x, got {y.shape[0]}")
        if y.is_floating_point():
            raise ValueError("y: expected integer class labels")
        self.max_samples = check_int(max_samples, "max_samples", minimum=2)
        seed = check_int(seed, "seed", minimum=0)
        if seed >= 2**64:
            raise ValueError(f"seed: expected an integer in [0, 2**64) (torch's generators), got {seed}")
        gen = torch.Generator().manual_seed(seed)
        if x.shape[0] > self.max_samples:
            keep = torch.randperm(x.shape[0], generator=gen)[: self.max_samples].sort().values
            x, y = x[keep], y[keep]
        self.x, self.y = x, y.long()
        #: H(X) = ln(number of distinct evaluation inputs), the bound of I(X;Z) (nats)
        self.h_x = math.log(torch.unique(x.reshape(x.shape[0], -1), dim=0).shape[0])
        self.test_data = test_data
        self.layers = list(layers) if layers is not None else None
        self.estimator = estimator
        self.every = check_int(every, "every", minimum=1)
        self.at_epochs = None if at_epochs is None else {check_int(e, "at_epochs", minimum=0)
                                                          for e in at_epochs}
        self.every_steps = None if every_steps is None else check_int(every_steps, "every_steps", minimum=1)
        self.k = check_int(k, "k", minimum=1)
        self.noise_entropy = None if noise_entropy is None else check_float(noise_entropy, "noise_entropy")
        self.label_entropy = check_float(label_entropy, "label_entropy", low=0.0)
        self.run = str(run)
        self.params = dict(params or {})
        self.seed = seed
        self.estimator_kwargs = dict(estimator_kwargs or {})
        if estimator == "kde":
            if "noise_variance" not in self.estimator_kwargs:
                raise ValueError("estimator_kwargs: the kde estimator needs noise_variance (the kernel "
                                 "variance, whose entropy is H[Z|X])")
            self.estimator_kwargs["noise_variance"] = check_float(
                self.estimator_kwargs["noise_variance"], "noise_variance", low=0.0, low_open=True)
        if estimator == "mixture":
            unknown = set(self.estimator_kwargs) - {"samples", "max_elements"}
            if unknown:
                raise ValueError(f"estimator_kwargs: the mixture estimator takes samples and max_elements, "
                                 f"not {sorted(unknown)} (the noise comes from the model or noise_entropy)")
        self.ross = bool(ross)
        self.rows: list[dict[str, Any]] = []
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
        """Predictions of ``model(x)`` and the outputs of the named submodules (forward hooks)."""
        captured: dict[str, torch.Tensor] = {}
        handles = []
        modules = dict(model.named_modules())
        for name in self.layers or []:
            if name not in modules:
                raise ValueError(f"layers: model has no submodule {name!r}; "
                                 f"choose from {[n for n in modules if n]}")

            def hook(_module: nn.Module, _inputs: Any, output: Any, name: str = name) -> None:
                captured[name] = _prediction(output).detach()

            handles.append(modules[name].register_forward_hook(hook))
        try:
            out = _prediction(model(x))
        finally:
            for h in handles:
                h.remove()
        return out.detach(), captured

    @staticmethod
    def _latent(model: nn.Module, x: torch.Tensor) -> tuple[GaussianLatent, torch.Tensor]:
        """The model's declared latent and the predictions of that latent."""
        if not isinstance(model, LatentModel):
            raise TypeError(f"model: {type(model).__name__} has no latent(x) method (the LatentModel "
                            "protocol of infoplane.plane); name the submodules to record with layers=[...]")
        latent = model.latent(x)
        if not isinstance(latent, GaussianLatent):
            raise TypeError(f"model: latent(x) must return a GaussianLatent, got {type(latent).__name__}")
        out = model.decode(latent.z) if isinstance(model, DecodesLatent) else _prediction(model(x))
        return latent, out.detach()

    @staticmethod
    def _accuracy(model: nn.Module, data: tuple[torch.Tensor, torch.Tensor]) -> float:
        x, y = data
        device = next(model.parameters()).device
        x = torch.as_tensor(x).to(device)
        if isinstance(model, LatentModel) and isinstance(model, DecodesLatent):
            out = model.decode(model.latent(x).z)   # the same path as the evaluation set's predictions
        else:
            out = _prediction(model(x))
        return float((out.argmax(-1).cpu() == torch.as_tensor(y).reshape(-1).cpu()).float().mean())

    def record(self, model: nn.Module, epoch: int = 0, step: int = 0) -> list[dict[str, Any]]:
        """Measure the model now and append one row per layer; returns the new rows.

        Call it before training to record the starting point (epoch 0). Information
        quantities are in nats.
        """
        if getattr(self, "x", None) is None:
            raise ValueError("model: this recorder was loaded from a table and has no evaluation data; "
                             "create a new InformationPlane to record")
        started = time.perf_counter()
        was_training = model.training
        model.eval()
        device = next(model.parameters()).device
        exact_terms: dict[str, float] = {}
        try:
            with torch.no_grad():
                x = self.x.to(device)
                encoding_entropy = None
                noise_law: dict[str, GaussianLatent] = {}
                if self.layers is None:
                    latent, out = self._latent(model, x)
                    captured = {"z": latent.z.detach()}
                    if latent.log_var is not None:   # the model declares its noise
                        noise_law["z"] = latent
                        encoding_entropy = float(gaussian_entropy(latent.log_var).mean())
                else:
                    out, captured = self._capture(model, x)
                decoder_ce = float(nn.functional.cross_entropy(out.float(), self.y.to(device)))
                train_acc = float((out.argmax(-1).cpu() == self.y).float().mean())
                test_acc = self._accuracy(model, self.test_data) if self.test_data is not None else None
                if self.layers is None and isinstance(model, KnowsInformationTerms):
                    terms = model.information_terms(x, self.y.to(device))
                    exact_terms = {str(key): float(value) for key, value in terms.items()}
        finally:
            model.train(was_training)
        new_rows = []
        for name, act in captured.items():
            if self.estimator == "mixture":
                values, noise = self._mixture(name, act, noise_law.get(name))
            else:
                values, noise = self._estimate(name, act, encoding_entropy)
            z_dim = int(act.reshape(act.shape[0], -1).shape[1])
            row = {"run": self.run, **self.params, "epoch": int(epoch), "step": int(step),
                   "layer": name, "dim": z_dim, "n": int(act.shape[0]),
                   "estimator": self.estimator, **noise, **values, "h_x": self.h_x,
                   "decoder_ce": decoder_ce, "train_accuracy": train_acc}
            if test_acc is not None:
                row["test_accuracy"] = test_acc
            row.update(exact_terms)
            new_rows.append(row)
        elapsed = time.perf_counter() - started
        self.seconds += elapsed
        for row in new_rows:
            row["seconds"] = elapsed
        self.rows.extend(new_rows)
        return new_rows

    def _estimate(self, name: str, act: torch.Tensor,
                  encoding_entropy: float | None) -> tuple[dict[str, float], dict[str, Any]]:
        """Columns of one layer by a sample-based estimator, and what noise they assume."""
        z = act.reshape(act.shape[0], -1).double().cpu()
        h_z_given_x, noise = 0.0, {"noise": "none"}
        if self.estimator == "binning":
            pass  # binned activations of a deterministic net: H[Z|X] = 0
        elif self.noise_entropy is not None:
            if name not in self._noise or self._noise[name].shape != z.shape:
                self._noise[name] = torch.randn(z.shape, generator=self._noise_gen, dtype=torch.float64)
            std = gaussian_std_for_entropy(self.noise_entropy)
            z = z + std * self._noise[name]
            h_z_given_x = self.noise_entropy * z.shape[1]
            noise = {"noise": "added", "noise_variance": std**2}
        elif self.estimator == "kde":
            h_z_given_x = _kde_noise_entropy(self.estimator_kwargs["noise_variance"], z.shape[1])
            noise = {"noise": "kernel", "noise_variance": self.estimator_kwargs["noise_variance"]}
        elif encoding_entropy is not None:
            h_z_given_x, noise = encoding_entropy, {"noise": "model"}
        values = estimate_layer(z.numpy(), self.y.numpy(), self.estimator, self.k, h_z_given_x,
                                self.label_entropy, self.estimator_kwargs, self.ross)
        return values, noise

    def _mixture(self, name: str, act: torch.Tensor,
                 latent: GaussianLatent | None) -> tuple[dict[str, float], dict[str, Any]]:
        """Columns of one layer by the exact mixture of its noise law (model's own, or added)."""
        options = {"seed": self.seed + 2, "samples": MIXTURE_SAMPLES, **self.estimator_kwargs}
        y = self.y.numpy()
        if latent is not None:
            if self.noise_entropy is not None:
                raise ValueError("noise_entropy: the model's latent declares its own noise (log_var), "
                                 "which the mixture estimator uses; leave noise_entropy unset")
            mean = latent.mean.detach().reshape(act.shape[0], -1)
            log_var = latent.log_var.detach()
            if log_var.ndim > 2 or (log_var.ndim == 2 and log_var.shape[0] == mean.shape[0] > 1):
                log_var = log_var.reshape(mean.shape[0], -1)   # per input, like the mean
            log_var = torch.broadcast_to(log_var, mean.shape)
            values = estimate_layer(mean, y, "mixture", label_entropy=self.label_entropy,
                                    estimator_kwargs=options, log_var=log_var)
            return values, {"noise": "model"}
        variance = gaussian_std_for_entropy(self.noise_entropy or 0.0) ** 2
        values = estimate_layer(act.detach().reshape(act.shape[0], -1), y, "mixture",
                                label_entropy=self.label_entropy,
                                estimator_kwargs={**options, "noise_variance": variance})
        return values, {"noise": "added", "noise_variance": variance}

    def state_dict(self) -> dict[str, Any]:
        """The rows recorded so far, the time spent and the noise state, for checkpoints.

        :func:`infoplane.train.fit` saves it with every checkpoint and restores it on
        resume, so a resumed run's table holds the rows from before the checkpoint.
        """
        return {"rows": [dict(r) for r in self.rows], "seconds": self.seconds,
                "noise": {k: v.clone() for k, v in self._noise.items()},
                "noise_generator": self._noise_gen.get_state()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        self.rows = [dict(r) for r in state["rows"]]
        self.seconds = float(state["seconds"])
        self._noise = {k: v.clone() for k, v in state["noise"].items()}
        self._noise_gen.set_state(state["noise_generator"])

    def overhead(self, history: Sequence[Mapping[str, Any]]) -> float:
        """Recording time divided by the training time in ``history`` (from ``fit``).

        Examples
        --------
        >>> from infoplane.plane import InformationPlane
        >>> import torch
        >>> plane = InformationPlane(torch.zeros(4, 2), torch.tensor([0, 1, 0, 1]))
        >>> plane.seconds = 1.0
        >>> plane.overhead([{"seconds": 2.0}, {"seconds": 3.0}])
        0.2
        """
        train = sum(float(row.get("seconds", 0.0)) for row in history)
        return self.seconds / train if train > 0 else math.inf

    # -- table -----------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the table to ``path`` (``.csv`` or ``.json``); returns the path."""
        return save_table(self.rows, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> InformationPlane:
        """Read a table written by :meth:`save` into a recorder that can plot it (not record).

        Examples
        --------
        >>> import os, tempfile, torch
        >>> from infoplane.plane import InformationPlane
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

    def plot(self, ax: Axes | None = None, axes: str = "tishby", **kwargs: Any) -> Axes:
        """Trajectories of the recorded rows; see :func:`~infoplane.plane.plot_trajectories`."""
        return plot_trajectories(self.rows, ax=ax, axes=axes, **kwargs)


def log_spaced_epochs(epochs: int, count: int = 12) -> list[int]:
    """About ``count`` epochs from 1 to ``epochs``, spaced evenly in log scale (always 1 and ``epochs``).

    Examples
    --------
    >>> from infoplane.plane import log_spaced_epochs
    >>> log_spaced_epochs(30, 8)
    [1, 2, 3, 4, 7, 11, 18, 30]
    """
    epochs = check_int(epochs, "epochs", minimum=1)
    count = check_int(count, "count", minimum=1)
    grid = np.geomspace(1, epochs, num=min(count, epochs))
    return sorted({int(round(e)) for e in grid} | {1, epochs})

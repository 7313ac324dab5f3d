"""Fuzz the public API: every call raises a named ValueError/TypeError or returns finite numbers.

A table (:data:`SPECS`) lists each public function and class of ``infoplane.info``,
``estimators``, ``metrics``, ``data``, ``bottleneck``, ``inn``, ``plane`` and ``train``
(their ``__all__``, plus the functions of the ``examples``, ``ood`` and
``inverse_kinematics`` modules they export) with hypothesis strategies for a valid call,
and for each argument a set of perturbations: degenerate arrays (empty, NaN, inf,
complex, int, float16, wrong ndim, huge and tiny values, repeated rows), wrong types
(strings, None, lists, booleans) and bad scalars (NaN, inf, negative, zero, 2**64).
Each example perturbs at most one argument of a valid call, so a failure points at one
argument. The contract checked (DESIGN.md, issue 12):

- the call returns, and every number in what it returns (floats, arrays, tensors, the
  parameters of a module, nested in dicts, tuples, lists and dataclasses) is finite; or
- it raises ``ValueError`` or ``TypeError`` whose message starts with ``name:``, where
  ``name`` is one of the function's parameters (or a documented alias, such as the
  fields of a batch for a loss).

Any other exception, a message without the argument's name, or a NaN in an answer fails
the test. Each function runs a handful of examples, so the file takes a few seconds.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import numbers
import re
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from strategies import distributions, pmfs, samples

import infoplane.bibae as bibae
import infoplane.bottleneck as bn
import infoplane.data as data
import infoplane.estimators as est
import infoplane.info as info
import infoplane.inn as inn
import infoplane.metrics as metrics
import infoplane.plane as plane
import infoplane.train as train
from infoplane.data import inverse_kinematics as ik
from infoplane.data import ood
from infoplane.info import examples

EXAMPLES = 8   # per function: the whole file stays within a few seconds
LEAD = re.compile(r"^([A-Za-z_][\w.\[\] ]*):")


# ------------------------------------------------------------------ perturbations

class Bad:
    """A named perturbation of a valid argument (named, so a failing example reads well)."""

    def __init__(self, label: str, f: Callable[[Any], Any]) -> None:
        self.label, self.f = label, f

    def __call__(self, value: Any) -> Any:
        return self.f(value)

    def __repr__(self) -> str:
        return self.label


def _const(label: str, value: Any) -> Bad:
    return Bad(label, lambda _v: value)


def _np(v: Any) -> np.ndarray:
    return v.detach().cpu().numpy() if isinstance(v, torch.Tensor) else np.asarray(v)


def _like(v: Any, a: np.ndarray) -> Any:
    """``a`` as the same kind (tensor or array) as ``v``."""
    return torch.as_tensor(a) if isinstance(v, torch.Tensor) else a


def _set_flat(value: float, where: int) -> Callable[[Any], Any]:
    def f(v: Any) -> Any:
        a = _np(v)
        a = a.astype(a.dtype if
            isinstance(v, torch.Tensor) and a.dtype.kind == "f" else np.float64, copy=True)
        if a.size:
            a.flat[where] = value
        return _like(v, a)
    return f


def _complex(v: Any) -> Any:
    if isinstance(v, torch.Tensor):
        return v.to(torch.complex128) + 1j
    return np.asarray(v, dtype=np.float64) + 1j


def _int(v: Any) -> Any:
    if isinstance(v, torch.Tensor):
        return v.round().to(torch.int64)
    return np.round(np.asarray(v, dtype=np.float64)).astype(np.int64)


def _scale(factor: float) -> Callable[[Any], Any]:
    def f(v: Any) -> Any:
        if isinstance(v, torch.Tensor):
            return v.double() * factor if v.is_floating_point() else v
        return np.asarray(v, dtype=np.float64) * factor
    return f


def _shift(offset: float) -> Callable[[Any], Any]:
    def f(v: Any) -> Any:
        if isinstance(v, torch.Tensor):
            return v.double() + offset if v.is_floating_point() else v
        return np.asarray(v, dtype=np.float64) + offset
    return f


def _swap_kind(v: Any) -> Any:
    return torch.as_tensor(np.asarray(v)) if not isinstance(v, torch.Tensor) else v.detach().cpu().numpy()


def _cols0(v: Any) -> Any:
    return v[:, :0] if getattr(v, "ndim", 0) >= 2 else v[:0]


def _repeat(v: Any) -> Any:
    if isinstance(v, torch.Tensor):
        return v.repeat_interleave(3, dim=0) if v.ndim else v
    a = np.asarray(v)
    return np.repeat(a, 3, axis=0) if a.ndim else a


#: Perturbations of an array or tensor argument (samples, logits, pmfs, ...).
ARRAY = [
    Bad("nan", _set_flat(float("nan"), 0)), Bad("inf", _set_flat(float("inf"), -1)),
    Bad("-inf", _set_flat(-float("inf"), 0)), Bad("complex", _complex), Bad("int", _int),
    Bad("float16", lambda v: v.half() if isinstance(v, torch.Tensor) else np.asarray(v).astype(np.float16)),
    Bad("float32", lambda v: v.float() if isinstance(v, torch.Tensor) else np.asarray(v).astype(np.float32)),
    Bad("empty", lambda v: v[:0]), Bad("no-columns", _cols0),
    Bad("flat", lambda v: v.reshape(-1)), Bad("extra-axis", lambda v: v[None]),
    Bad("scalar", lambda v: v.reshape(-1)[:1].reshape(())),
    Bad("huge", _scale(1e300)), Bad("tiny", _scale(1e-300)), Bad("shifted", _shift(1e8)),
    Bad("zeros", lambda v: v * 0), Bad("repeated-rows", _repeat),
    Bad("other-kind", _swap_kind), Bad("list", lambda v: _np(v).tolist()),
    _const("string", "abc"), _const("None", None), _const("number", 3.0),
    _const("ragged", [[1.0, 2.0], [3.0]]), _const("strings", [["a", "b"], ["c", "d"]]),
]

#: Perturbations of a real-number argument.
FLOAT = [_const(repr(v), v) for v in (float("nan"), float("inf"), -float("inf"), -1.0, 0.0, 1e300, 1e-300,
                                      -1e-300, 2.0, 1.0, 0.5,
                                          "a", None, True, 1 + 1j, [1.0], np.float32(0.5))]
#: Perturbations of a (small) integer argument: counts, sizes, k.
INT = [_const(repr(v), v) for v in (-1, 0, 1, 2, 2.5, 3.0, "3", None, True, np.int64(2), 1 + 0j, [2])]
#: Perturbations of a seed.
SEED = [_const(repr(v), v) for v in (-1, 2**64, 2**63, 2.5, "0", True, np.int64(3), np.uint64(2**63))]
#: Perturbations of a string option.
STR = [_const(repr(v), v) for v in ("", "nope", "KL", None, 3, b"kl", ["kl"])]
#: Perturbations of a base of logarithms.
BASE = [_const(repr(v), v) for v in (1, 1.0, 0, -2.0, float("nan"), float("inf"), 1e-300, 1e300, "2",
                                     None, True, 2, 10.0)]
#: Perturbations of a boolean flag.
BOOL = [_const(repr(v), v) for v in ("yes", None, 2, np.bool_(True))]
#: Perturbations of an object that should be a callable / module / Distribution.
OBJECT = [_const(repr(v), v) for v in (None, "abc", 3, [1, 2], object())]
#: Perturbations of a sequence of positive ints (hidden widths, shapes).
SIZES = [_const(repr(v), v) for v in ((), (0,), (-1,), (2.5,), 8, "8", None, (True,), [4], (2**64,))]


# ------------------------------------------------------------------ the contract

def _finite(value: Any, where: str = "result", depth: int = 0) -> None:
    """Every number in ``value`` is finite (recursively); strings, None and plots pass."""
    assert depth < 12, where
    if value is None or isinstance(value, (str, bytes, bool, np.bool_, Path, torch.dtype, torch.device)):
        return
    if isinstance(value, (complex, np.complexfloating)):
        raise AssertionError(f"{where} is complex: {value!r}")
    if isinstance(value, numbers.Number):
        assert math.isfinite(float(value)), f"{where} = {value!r}"
        return
    if isinstance(value, torch.Tensor):
        assert not value.is_complex(), f"{where} is a complex tensor"
        if value.is_floating_point():
            assert bool(torch.isfinite(value).all()), f"{where} holds non-finite values: {value}"
        return
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "c":
            raise AssertionError(f"{where} is a complex array")
        if value.dtype.kind == "f":
            assert bool(np.isfinite(value).all()), f"{where} holds non-finite values: {value}"
        elif value.dtype.kind == "O":
            for i, item in enumerate(value.flat):
                _finite(item, f"{where}.flat[{i}]", depth + 1)
        return
    if isinstance(value, torch.nn.Module):
        for name, t in [*value.named_parameters(), *value.named_buffers()]:
            _finite(t, f"{where}.{name}", depth + 1)
        return
    if isinstance(value, info.Distribution):
        _finite(np.asarray(value.pmf), f"{where}.pmf", depth + 1)
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            _finite(v, f"{where}[{k!r}]", depth + 1)
        return
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _finite(v, f"{where}[{i}]", depth + 1)
        return
    if dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            _finite(getattr(value, f.name), f"{where}.{f.name}", depth + 1)
        return
    # anything else (matplotlib axes, sympy expressions, callables): no numbers to check


def _parameters(func: Callable) -> set[str]:
    target = func.__init__ if inspect.isclass(func) else func
    try:
        return set(inspect.signature(target).parameters) - {"self"}
    except (TypeError, ValueError):
        return set()


def _nonfinite_input(value: Any) -> bool:
    try:
        a = _np(value)
        return a.dtype.kind in "fc" and not bool(np.isfinite(a).all())
    except (TypeError, ValueError, RuntimeError):
        return False


def _check(spec: Spec, kwargs: dict[str, Any]) -> None:
    allowed = (_parameters(spec.func) | set(spec.aliases)) - {"args", "kwargs"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = spec.call(**kwargs)
    except spec.errors:
        return
    except (ValueError, TypeError) as err:
        message = str(err)
        match = LEAD.match(message)
        assert match is not None, f"{type(err).__name__} does not start with an argument's name: {message!r}"
        # "weights.pad: ..." names the field pad of weights: either part may be the argument
        parts = [p for p in re.split(r"[\[\]. ]", match.group(1)) if p]
        lead = next((p for p in parts if p in allowed), parts[0])
        assert lead in allowed, (f"{type(err).__name__} names {lead!r}, not one of "
                                 f"{sorted(allowed)}: {message!r}")
        return
    finally:
        _close_figures()
    if spec.passthrough and any(_nonfinite_input(v) for v in kwargs.values()):
        return
    if spec.infinite_ok and isinstance(out, float) and math.isinf(out):
        return
    _finite(out)


def _close_figures() -> None:
    import sys
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@dataclasses.dataclass
class Spec:
    """One public callable: how to call it, valid arguments and their perturbations.

    ``valid`` maps each argument to a strategy of valid values (or is a strategy of the
    whole dict, when arguments depend on each other); ``bad`` maps arguments to their
    perturbations; ``call(**kwargs)`` makes the call (default: ``func(**kwargs)``);
    ``aliases`` are further names a message may lead with (the parts of a batch).
    """

    name: str
    func: Callable
    valid: Mapping[str, st.SearchStrategy] | st.SearchStrategy
    bad: Mapping[str, list[Bad]]
    call: Callable[..., Any] | None = None
    aliases: tuple[str, ...] = ()
    examples: int = EXAMPLES
    #: further exceptions that are the right answer (FileNotFoundError for a missing file)
    errors: tuple[type[BaseException], ...] = ()
    #: a plain forward pass (DESIGN.md): NaN or inf in the input may come out as NaN or inf
    passthrough: bool = False
    #: an infinite float is a documented answer (gamma = 0 stands for beta = inf)
    infinite_ok: bool = False

    def __post_init__(self) -> None:
        if self.call is None:
            self.call = self.func

    def strategy(self) -> st.SearchStrategy:
        base = self.valid if isinstance(self.valid, st.SearchStrategy) else st.fixed_dictionaries(self.valid)
        if not self.bad:
            return base
        options = st.sampled_from(sorted(self.bad)).flatmap(
            lambda name: st.tuples(st.just(name), st.sampled_from(self.bad[name])))
        # three times in four one argument is perturbed; otherwise the valid call itself
        return st.tuples(base, st.one_of(options, options, options, st.none()))


# ------------------------------------------------------------------ valid arguments

def J(value: Any) -> st.SearchStrategy:
    return st.just(value)


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def x_samples(n: int | None = None, d: int | None = None, min_samples: int = 8, max_samples: int = 16,
              max_features: int = 2, unique: bool = True) -> st.SearchStrategy:
    return samples(n_samples=n, n_features=d, min_samples=min_samples, max_samples=max_samples,
                   max_features=max_features, unique=unique)


@st.composite
def paired(draw: st.DrawFn, names: tuple[str, ...] = ("x", "y"), min_samples: int = 8, max_samples: int = 16,
           labels: str | None = None, n_labels: int = 3) -> dict[str, Any]:
    """Same-length sample arrays for ``names`` (and integer labels for ``labels``)."""
    n = draw(st.integers(min_samples, max_samples))
    out = {name: draw(x_samples(n=n)) for name in names}
    if labels is not None:
        out[labels] = np.arange(n) % n_labels
    return out


def t_samples(n: int = 12, d: int = 3, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, d, generator=_gen(seed))


@st.composite
def logits_labels(draw: st.DrawFn, n_classes: int = 3) -> dict[str, Any]:
    n = draw(st.integers(2, 10))
    z = draw(samples(n_samples=n, n_features=n_classes, bound=5.0))
    return {"logits": torch.as_tensor(z, dtype=torch.float32),
            "y": torch.as_tensor(np.arange(n) % n_classes)}


@st.composite
def pz_labels(draw: st.DrawFn, n_categories: int = 4, n_classes: int = 3) -> dict[str, Any]:
    n = draw(st.integers(2, 10))
    w = draw(samples(n_samples=n, n_features=n_categories, bound=3.0))
    return {"pz_given_x": torch.softmax(torch.as_tensor(w), 1),
        "y": torch.as_tensor(np.arange(n) % n_classes)}


def rows_strategy() -> st.SearchStrategy:
    row = st.fixed_dictionaries({
        "run": st.sampled_from(["a", "b"]), "epoch": st.integers(0, 5), "layer": J("z"),
        "i_xz": st.floats(0, 3), "i_zy": st.floats(0, 1), "h_z": st.floats(-2, 3),
        "h_z_given_x": st.floats(-1, 1), "h_z_given_y": st.floats(-2, 2), "h_y": J(1.0),
        "h_y_given_z": st.floats(0, 1), "i_xy_given_z": st.floats(0, 1), "decoder_ce": st.floats(0, 2),
        "train_accuracy": st.floats(0, 1), "test_accuracy": st.floats(0, 1),
    })
    return st.lists(row, min_size=1, max_size=4)


def _dist2() -> st.SearchStrategy:
    return distributions(n_variables=2, max_outcomes=3)


def _dist3() -> st.SearchStrategy:
    return distributions(n_variables=3, max_outcomes=2)


DIST_BAD = OBJECT + [_const("pmf-array", np.array([[0.5, 0.0], [0.0, 0.5]]))]
NAMES_BAD = [_const(repr(v), v) for v in ("Q", "", None, 3, ["X", "X"], "XX", ("X", 1))]
PMF_BAD = ARRAY + [Bad("unnormalised", lambda v: _np(v) * 3), Bad("negative", lambda v: -_np(v))]


# ------------------------------------------------------------------ small models and batches

def _noisy() -> bn.NoisyBottleneckClassifier:
    return bn.NoisyBottleneckClassifier(3, 3, hidden=(4,), latent_dim=2, noise_entropy=-1.0,
                                        generator=_gen(), seed=0)


def _gauss() -> bn.GaussianEncoderClassifier:
    return bn.GaussianEncoderClassifier(3, 3, hidden=(4,), latent_dim=2, generator=_gen(), seed=0)


def _categorical() -> bn.CategoricalBottleneckClassifier:
    return bn.CategoricalBottleneckClassifier(3, 3, n_categories=4, hidden=(4,), seed=0)


def _cinn() -> inn.CINN:
    return inn.CINN(3, n_classes=3, n_blocks=1, hidden=(4,), seed=0)


def _ibinn() -> Any:
    return inn.IBINN(3, n_classes=3, n_blocks=1, hidden=(4,), seed=0)


def _inverse() -> inn.InverseINN:
    return inn.InverseINN(2, 1, 1, n_blocks=1, hidden=(4,), seed=0)


def _cvae() -> bibae.BIBAE:
    return bibae.BIBAE.conditional_mlp(2, 1, latent_dim=1, hidden=(4,), seed=0)


def class_batch() -> dict[str, Any]:
    return {"x": J(t_samples(9, 3)), "y": J(torch.arange(9) % 3)}


def inverse_batch() -> dict[str, Any]:
    return {"x": J(t_samples(9, 2)), "y": J(t_samples(9, 1, seed=1))}


LABELS_BAD = [Bad("out-of-range", lambda v: v + 3), Bad("negative", lambda v: v - 3),
              Bad("float", lambda v: v.double() if isinstance(v, torch.Tensor) else np.asarray(v, float)),
              Bad("short", lambda v: v[:-1]), Bad("2-d", lambda v: v[:, None]), Bad("empty", lambda v: v[:0]),
              _const("None", None), _const("string", "abc")]


def loss_spec(name: str, loss: Callable[[], Any], model: Callable[[], torch.nn.Module], batch: dict,
              aliases: tuple[str, ...] = ("x", "y", "z", "labels", "logits"), func: Any = None) -> Spec:
    """A loss called as ``loss(model, (x, y))`` with the batch's parts perturbed."""
    def call(x: Any, y: Any, model_: Any = None) -> Any:
        return loss()(model() if model_ is None else model_, (x, y))
    bad = {"x": ARRAY, "y": ARRAY + LABELS_BAD, "model_": OBJECT}
    return Spec(name, func if func is not None else loss, {**batch, "model_": st.none()}, bad, call=call,
                aliases=(*aliases, "model", "batch"))


def model_spec(name: str, cls: type, valid: dict[str, st.SearchStrategy], bad: dict[str, list[Bad]],
               x: torch.Tensor | None = None) -> Spec:
    """A constructor; with ``x``, the built model's forward pass on it must be finite too."""
    def call(**kwargs: Any) -> Any:
        model = cls(**kwargs)
        if x is None:
            return model
        with torch.no_grad():
            return model, model(x)
    # with ``x``: a valid change of a size (dims=(4,)) makes x the wrong shape, a named error
    return Spec(name, cls, valid, bad, call=call, aliases=("x",) if x is not None else ())


# ------------------------------------------------------------------ the table

def _specs() -> list[Spec]:
    s: list[Spec] = []
    add = s.append
    i3 = st.integers(1, 3)

    # ---- info: distributions and measures (nats by default)
    add(Spec("info.Distribution", info.Distribution,
             {"p": pmfs(n_variables=2, max_outcomes=3), "names": J("XY"), "atol": J(1e-6)},
             {"p": PMF_BAD, "names": NAMES_BAD, "atol": FLOAT}))
    for fname in ("entropy", "total_correlation", "dual_total_correlation", "interaction_information",
                  "co_information"):
        add(Spec(f"info.{fname}", getattr(info, fname), {"dist": _dist3(), "base": J(2.0)},
                 {"dist": DIST_BAD, "base": BASE}))
    add(Spec("info.conditional_entropy", info.conditional_entropy,
             {"dist": _dist3(), "variables": J("X"), "given": J("Y"), "base": J(2.0)},
             {"dist": DIST_BAD, "variables": NAMES_BAD, "given": NAMES_BAD, "base": BASE}))
    add(Spec("info.mutual_information", info.mutual_information,
             {"dist": _dist3(), "x": J("X"), "y": J("Y"), "given": st.sampled_from([None, "Z"])},
             {"dist": DIST_BAD, "x": NAMES_BAD, "y": NAMES_BAD, "given": NAMES_BAD}))
    add(Spec("info.conditional_mutual_information", info.conditional_mutual_information,
             {"dist": _dist3(), "x": J("X"), "y": J("Y"), "given": J("Z"), "base": J(2.0)},
             {"dist": DIST_BAD, "x": NAMES_BAD, "given": NAMES_BAD, "base": BASE}))
    add(Spec("info.information", info.information,
             {"dist": _dist3(), "groups": J(["X", "Y"]), "given": J("Z")},
             {"dist": DIST_BAD, "groups": NAMES_BAD + [_const("one-group", ["X"])], "given": NAMES_BAD}))
    for fname in ("kl_divergence", "cross_entropy"):
        add(Spec(f"info.{fname}", getattr(info, fname),
                 {"p": J(np.array([0.5, 0.25, 0.25])), "q": pmfs(shape=(3,), allow_zero=False)},
                 {"p": PMF_BAD, "q": PMF_BAD, "base": BASE}))
    add(Spec("info.entropy_torch", info.entropy_torch,
             {"p": pmfs(shape=(4,)).map(torch.as_tensor), "base": J(2.0)},
             {"p": PMF_BAD, "base": BASE, "dim": INT}))
    add(Spec("info.conditional_entropy_torch", info.conditional_entropy_torch,
             {"pxy": pmfs(shape=(2, 3)).map(torch.as_tensor)}, {"pxy": PMF_BAD, "base": BASE}))
    add(Spec("info.mutual_information_torch", info.mutual_information_torch,
             {"pxy": pmfs(shape=(2, 3)).map(torch.as_tensor)}, {"pxy": PMF_BAD, "base": BASE}))
    add(Spec("info.atoms", info.atoms, {"dist": _dist3()}, {"dist": DIST_BAD, "base": BASE}))
    exprs = st.sampled_from(["H[X] + H[Y]", "I[X;Y|Z] - H[X,Y]", "2*H[X] / 3 - (I[X;Y])", "H[X|Y,Z]"])
    bad_exprs = [_const(repr(v), v) for v in (
        "H[X] + 0*(lambda: 0).__globals__", "__import__('os')", "H[X", "H[Q]", "I[X]", "H[X] ** 2",
        "beta", "", None, 3, "H[X]]", "H[X] + ", "exp(H[X])")]
    add(Spec("info.evaluate", info.evaluate, {"dist": _dist3(), "expr": exprs, "base": J(2.0)},
             {"dist": DIST_BAD, "expr": bad_exprs, "base": BASE}))
    add(Spec("info.decompose", info.decompose, {"expr": exprs, "names": J("XYZ")},
             {"expr": bad_exprs, "names": NAMES_BAD}))
    add(Spec("info.identical", info.identical,
             {"expr_a": J("I[X;Y]"), "expr_b": J("H[X] - H[X|Y]"), "assume": st.sampled_from(
                 [(), ("I[X;Y] = beta",), ("H[X|Y] = 0",)])},
             {"expr_a": bad_exprs, "expr_b": bad_exprs,
              "assume": bad_exprs + [_const("no-equals", ("H[X]",)),
                  _const("two-equals", ("H[X] = 1 = 2",))]}))
    add(Spec("info.mickey_mouse", info.mickey_mouse,
             {"pxy": J(examples.mickey_mouse_model()[0]), "encoder": J(examples.mickey_mouse_model()[1])},
             {"pxy": DIST_BAD, "encoder": ARRAY, "base": BASE}, examples=6))
    add(Spec("info.information_bottleneck", info.information_bottleneck,
             {"pxy": pmfs(shape=(3, 2), allow_zero=False), "beta": st.floats(0.5, 20), "max_iter": J(50),
              "n_clusters": J(2)},
             {"pxy": PMF_BAD, "beta": FLOAT, "alpha": FLOAT, "n_clusters": INT, "tol": FLOAT, "seed": SEED,
              "base": BASE, "init": ARRAY}, examples=8))
    add(Spec("info.ib_curve", info.ib_curve,
             {"pxy": pmfs(shape=(3, 2), allow_zero=False), "betas": J(np.array([1.0, 5.0])),
                 "max_iter": J(30),
              "restarts": J(1)},
             {"pxy": PMF_BAD, "betas": ARRAY + OBJECT, "alpha": FLOAT, "restarts": INT, "seed": SEED,
              "base": BASE}, examples=6))
    add(Spec("info.plot_ib_curve", info.plot_ib_curve,
             {"curve": J(info.ib_curve(np.array([[0.4, 0.1], [0.1, 0.4]]), [1.0, 5.0], max_iter=30,
                                       restarts=1))},
             {"curve": OBJECT + [_const("empty", [])], "label": OBJECT}, examples=4))
    channel_matrices = st.integers(1, 4).flatmap(lambda nx: st.integers(1, 4).flatmap(
        lambda ny: st.lists(pmfs(shape=(ny,)), min_size=nx, max_size=nx).map(np.array)))
    add(Spec("info.channel_capacity", info.channel_capacity,
             {"p_y_given_x": channel_matrices, "max_iter": J(200)},
             {"p_y_given_x": PMF_BAD + OBJECT, "tol": FLOAT, "max_iter": INT, "base": BASE}))
    add(Spec("info.rate_distortion_curve", info.rate_distortion_curve,
             {"p_x": pmfs(shape=(3,)), "distortion": J(1.0 - np.eye(3)),
              "betas": J(np.array([0.5, 3.0])), "max_iter": J(200)},
             {"p_x": PMF_BAD + OBJECT, "distortion": ARRAY + OBJECT, "betas": ARRAY + OBJECT,
              "tol": FLOAT, "max_iter": INT, "base": BASE}))
    add(Spec("info.pid", info.pid,
             {"dist": _dist3(), "sources": J(("X", "Y")), "target": J("Z"),
              "measure": st.sampled_from(["imin", "mmi", "broja"])},
             {"dist": DIST_BAD, "sources": NAMES_BAD + [_const("one-source", ("X",))],
              "target": NAMES_BAD + [_const("a-source", "X")], "measure": STR, "base": BASE}, examples=8))
    add(Spec("info.plot_pid", info.plot_pid,
             {"result": J(info.pid(examples.and_gate(), ("X", "Y"), "Z"))},
             {"result": OBJECT, "kind": STR, "decimals": INT}, examples=3))
    for fname in ("plot_atoms", "plot_idiagram"):
        add(Spec(f"info.{fname}", getattr(info, fname),
                 {"dist": _dist2(), "shade": st.sampled_from([None, "I[X;Y]"])},
                 {"dist": DIST_BAD, "shade": bad_exprs, "base": BASE, "decimals": INT}, examples=4))
    # info.examples
    add(Spec("examples.binary_entropy", examples.binary_entropy, {"p": st.floats(0, 1)},
             {"p": FLOAT, "base": BASE}))
    for fname in ("and_gate", "xor"):
        add(Spec(f"examples.{fname}", getattr(examples, fname), {"names": J("XYZ")}, {"names": NAMES_BAD}))
    for fname, a, b in (("giant_bit", "n", "k"), ("n_mod_m", "n", "m")):
        add(Spec(f"examples.{fname}", getattr(examples, fname), {a: st.integers(1, 3), b: st.integers(2, 3)},
                 {a: INT, b: INT, "names": NAMES_BAD}))
    for fname in ("mickey_mouse_model", "mickey_mouse_values"):
        add(Spec(f"examples.{fname}", getattr(examples, fname),
                 {"label_noise": st.floats(0, 0.5), "encoder_noise": st.floats(0, 0.5)},
                 {"label_noise": FLOAT, "encoder_noise": FLOAT}))

    # ---- estimators (nats)
    kl_opts = {"k": INT, "seed": SEED, "jitter": BOOL, "base": BASE}
    add(Spec("estimators.entropy", est.entropy,
             {"x": x_samples(), "method": st.sampled_from(["kl", "gaussian", "discrete"])},
             {"x": ARRAY, "method": STR, "k": INT, "seed": SEED, "base": BASE, "metric": STR,
              "bin_width": FLOAT, "noise_variance": FLOAT}))
    add(Spec("estimators.kozachenko_leonenko", est.kozachenko_leonenko, {"x": x_samples()},
             {"x": ARRAY, "k": INT, "seed": SEED, "jitter": BOOL, "metric": STR, "backend": STR}))
    add(Spec("estimators.binning_entropy", est.binning_entropy,
             {"x": x_samples(), "bin_width": st.floats(0.1, 2)}, {"x": ARRAY, "bin_width": FLOAT}))
    add(Spec("estimators.discrete_entropy", est.discrete_entropy,
             {"symbols": x_samples(unique=False).map(np.round)}, {"symbols": ARRAY, "base": BASE}))
    add(Spec("estimators.gaussian_entropy_bound", est.gaussian_entropy_bound, {"x": x_samples()},
             {"x": ARRAY, "diagonal": BOOL}))
    add(Spec("estimators.kde_entropy_bound", est.kde_entropy_bound,
             {"x": x_samples(), "noise_variance": st.floats(0.01, 1)},
             {"x": ARRAY, "noise_variance": FLOAT, "bound": STR, "max_bytes": INT}))
    add(Spec("estimators.conditional_entropy", est.conditional_entropy, paired(("x",), labels="labels"),
             {"x": ARRAY, "labels": ARRAY + LABELS_BAD, "method": STR, "base": BASE}))
    add(Spec("estimators.mutual_information", est.mutual_information, paired(),
             {"x": ARRAY, "y": ARRAY, "method": STR, **kl_opts, "standardize": BOOL, "backend": STR}))
    add(Spec("estimators.mutual_information_discrete", est.mutual_information_discrete,
             paired(("x",), labels="labels"), {"x": ARRAY, "labels": ARRAY + LABELS_BAD, **kl_opts}))
    add(Spec("estimators.conditional_mutual_information", est.conditional_mutual_information,
             paired(("x", "y", "z")), {"x": ARRAY, "y": ARRAY, "z": ARRAY, **kl_opts}))
    add(Spec("estimators.multi_information", est.multi_information,
             paired(("a", "b", "c")).map(lambda d: {"variables": [d["a"], d["b"], d["c"]]}),
             {"variables": OBJECT + [Bad("one", lambda v: v[:1]),
                                     Bad("nan-member", lambda v: [_set_flat(float("nan"), 0)(v[0]), *v[1:]]),
                                     Bad("short-member", lambda v: [v[0][:-1], *v[1:]])],
              "k": INT, "method": STR, "base": BASE}))
    add(Spec("estimators.mixture_information", est.mixture_information,
             paired(("mean", "log_var"), labels="y").map(lambda d: {**d, "samples": 3}),
             {"mean": ARRAY, "log_var": ARRAY, "y": ARRAY + LABELS_BAD, "noise_variance": FLOAT,
              "samples": INT, "seed": SEED, "max_elements": INT}))
    for critic in ("SeparableCritic", "JointCritic"):
        add(model_spec(f"estimators.{critic}", getattr(est, critic),
                       {"x_dim": J(3), "y_dim": J(2), "hidden": J((4,))},
                       {"x_dim": INT, "y_dim": INT, "hidden": SIZES, "activation": STR, "seed": SEED}))
    add(Spec("estimators.MutualInformationLoss", est.MutualInformationLoss,
             {"bound": st.sampled_from(["infonce", "nwj", "mine", "smile"])},
             {"bound": STR, "clip": FLOAT, "momentum": FLOAT}))
    add(Spec("estimators.neural_mutual_information", est.neural_mutual_information,
             {"x": J(t_samples(64, 2)), "y": J(t_samples(64, 1, seed=1)),
              "bound": st.sampled_from(["infonce", "nwj", "mine", "smile"]), "batch_size": J(16),
              "steps": J(3), "hidden": J((4,)), "embed_dim": J(2), "seed": J(0)},
             {"x": ARRAY, "y": ARRAY, "bound": STR, "critic": STR, "batch_size": INT, "steps": INT,
              "lr": FLOAT, "hidden": SIZES, "eval_fraction": FLOAT, "seed": SEED, "base": BASE},
             examples=4))
    add(Spec("estimators.estimate_layer", est.estimate_layer, paired(("z",), labels="y"),
             {"z": ARRAY, "y": ARRAY + LABELS_BAD, "estimator": STR, "k": INT, "h_z_given_x": FLOAT,
              "label_entropy": FLOAT, "estimator_kwargs": OBJECT, "ross": BOOL}))

    def uncertainty(estimator: Any, x: Any, y: Any, **kw: Any) -> Any:
        return est.estimate_uncertainty(estimator, x, y, **kw)
    add(Spec("estimators.estimate_uncertainty", est.estimate_uncertainty,
             {"estimator": J(est.mutual_information), "x": x_samples(n=20), "y": x_samples(n=20),
              "n_resamples": J(3), "n_shuffles": J(3)},
             {"estimator": OBJECT, "x": ARRAY, "n_resamples": INT, "n_shuffles": INT, "level": FLOAT,
              "fraction": FLOAT, "shuffle_arg": INT, "seed": SEED},
             call=uncertainty, examples=6,
             aliases=("arrays", "x", "y")))   # the arrays are the estimator's x and y

    # ---- metrics
    add(Spec("metrics.bits_per_dim", metrics.bits_per_dim,
             {"nll": st.floats(-10, 100), "n_dims": st.integers(1, 10)},
             {"nll": FLOAT + ARRAY[:4], "n_dims": INT, "bin_width": FLOAT}))
    add(Spec("metrics.nll_from_bits_per_dim", metrics.nll_from_bits_per_dim,
             {"bpd": st.floats(-10, 10), "n_dims": st.integers(1, 10)},
             {"bpd": FLOAT, "n_dims": INT, "bin_width": FLOAT}))
    grid_points = st.builds(lambda g: 0.25 * torch.randint(-4, 5, (12, 3), generator=_gen(g)).float(),
                            st.integers(0, 5))
    normal = torch.distributions.Normal(0.0, 1.0)
    add(Spec("metrics.discrete_bits_per_dim", metrics.discrete_bits_per_dim,
             {"log_prob": J(lambda v: normal.log_prob(v.float()).flatten(1).sum(1)),
              "x": grid_points, "bin_width": J(0.25), "draws": st.integers(1, 3),
              "noise_std": st.none() | st.floats(0.05, 1.0), "generator": J(None)},
             {"log_prob": OBJECT, "x": ARRAY, "bin_width": FLOAT, "draws": INT, "noise_std": FLOAT,
              "generator": OBJECT, "batch_size": INT}))
    add(Spec("metrics.diagonal_gaussian_nll", metrics.diagonal_gaussian_nll,
             {"x_train": x_samples(d=2), "x_test": x_samples(d=2)},
             {"x_train": ARRAY, "x_test": ARRAY, "min_var": FLOAT}))
    kern = {"kernel": STR, "bandwidths": FLOAT + [_const("empty", ()), _const("mixed", (1.0, float("nan")))]}
    add(Spec("metrics.kernel_matrix", metrics.kernel_matrix,
             {"a": x_samples(d=2), "b": x_samples(d=2)}, {"a": ARRAY, "b": ARRAY, **kern}))
    add(Spec("metrics.mmd", metrics.mmd, {"a": x_samples(d=2), "b": x_samples(d=2)},
             {"a": ARRAY, "b": ARRAY, **kern, "estimator": STR, "max_elements": INT}))
    post = st.builds(lambda g: torch.randn(3, 20, 2, generator=_gen(g)), st.integers(0, 5))
    add(Spec("metrics.posterior_mmd", metrics.posterior_mmd, {"samples": post, "reference": post},
             {"samples": ARRAY, "reference": ARRAY, **kern, "estimator": STR}))
    add(Spec("metrics.map_mean_shift", metrics.map_mean_shift,
             {"samples": post, "bandwidth": st.none() | st.floats(0.2, 2), "max_iter": J(20)},
             {"samples": ARRAY, "bandwidth": FLOAT, "n_starts": INT, "max_iter": INT, "tol": FLOAT}))
    add(Spec("metrics.posterior_calibration_error", metrics.posterior_calibration_error,
             {"samples": J(torch.randn(30, 40, 2, generator=_gen(1))),
              "truth": J(torch.randn(30, 2, generator=_gen(2)))},
             {"samples": ARRAY, "truth": ARRAY, "alphas": ARRAY + FLOAT}))
    add(Spec("metrics.resimulation_error", metrics.resimulation_error,
             {"forward": J(ik.forward), "samples": J(ik.sample_prior(10, seed=0)[:, None, :]),
              "y_star": J(ik.forward(ik.sample_prior(10, seed=0)))},
             {"forward": OBJECT, "samples": ARRAY, "y_star": ARRAY}))
    probs = st.builds(lambda g: torch.softmax(torch.randn(20, 3, generator=_gen(g)), 1).numpy(),
                      st.integers(0, 5))
    labels20 = J(np.arange(20) % 3)
    add(Spec("metrics.calibration_errors", metrics.calibration_errors, {"probs": probs, "labels": labels20},
             {"probs": PMF_BAD, "labels": ARRAY + LABELS_BAD, "variant": STR, "bins": INT + ARRAY[:4],
              "min_count": INT, "bin_confidence": STR}))
    add(Spec("metrics.calibration_floor", metrics.calibration_floor, {"probs": probs, "draws": J(3)},
             {"probs": PMF_BAD, "variant": STR, "bins": INT + ARRAY[:4], "min_count": INT, "draws": INT,
              "seed": INT, "bin_confidence": STR}))
    add(Spec("metrics.overconfidence", metrics.overconfidence, {"probs": probs, "labels": labels20},
             {"probs": PMF_BAD, "labels": ARRAY + LABELS_BAD, "threshold": FLOAT}))
    add(Spec("metrics.plot_reliability", metrics.plot_reliability,
             {"result": J(metrics.calibration_errors(np.full((6, 2), 0.5), np.arange(6) % 2))},
             {"result": OBJECT, "label": OBJECT}, examples=4))
    add(Spec("metrics.entropy_increase", metrics.entropy_increase, {"probs_in": probs, "probs_ood": probs},
             {"probs_in": PMF_BAD, "probs_ood": PMF_BAD}))
    add(Spec("metrics.prediction_entropy", metrics.prediction_entropy, {"probs": probs}, {"probs": PMF_BAD}))
    scores = x_samples(d=1, unique=False).map(lambda a: a[:, 0])
    add(Spec("metrics.roc_auc", metrics.roc_auc, {"in_scores": scores, "ood_scores": scores},
             {"in_scores": ARRAY, "ood_scores": ARRAY, "ood_higher": BOOL}))
    add(Spec("metrics.fpr_at_tpr", metrics.fpr_at_tpr, {"in_scores": scores, "ood_scores": scores},
             {"in_scores": ARRAY, "ood_scores": ARRAY, "tpr": FLOAT, "ood_higher": BOOL}))
    add(Spec("metrics.p_values", metrics.p_values, {"reference": scores, "scores": scores},
             {"reference": ARRAY, "scores": ARRAY, "test": STR}))

    # ---- data
    add(Spec("data.load_digits", data.load_digits, {"test_fraction": st.floats(0.1, 0.9)},
             {"test_fraction": FLOAT, "seed": SEED}, examples=4))
    add(Spec("data.load_mnist", data.load_mnist, {"root": J("/nonexistent/mnist")},
             {"root": OBJECT}, examples=4, errors=(FileNotFoundError,)))   # never download=True here
    add(Spec("data.read_idx", data.read_idx, {"path": J("/nonexistent/file.idx")}, {"path": OBJECT},
             examples=4, errors=(FileNotFoundError,)))
    add(Spec("data.correlated_gaussians", data.correlated_gaussians,
             {"n": st.integers(1, 20), "d": i3, "rho": st.floats(-0.9, 0.9)},
             {"n": INT, "d": INT, "rho": FLOAT, "seed": SEED}))
    add(Spec("data.correlation_for_mi", data.correlation_for_mi, {"mi": st.floats(0, 5), "d": i3},
             {"mi": FLOAT, "d": INT}))
    add(Spec("data.half_cube", data.half_cube, {"t": x_samples()}, {"t": ARRAY}))
    add(Spec("data.spiral", data.spiral, {"x": x_samples(d=3), "speed": st.floats(-2, 2)},
             {"x": ARRAY, "speed": FLOAT}))
    add(Spec("data.student_t_pairs", data.student_t_pairs,
             {"n": st.integers(1, 20), "d": i3, "rho": st.floats(-0.9, 0.9), "nu": st.floats(0.1, 50)},
             {"n": INT, "d": INT, "rho": FLOAT, "nu": FLOAT, "seed": SEED}))
    add(Spec("data.student_t_mutual_information", data.student_t_mutual_information,
             {"d": i3, "rho": st.floats(-0.9, 0.9), "nu": st.floats(0.1, 1e6)},
             {"d": INT, "rho": FLOAT, "nu": FLOAT}))
    add(Spec("data.eight_modes", data.eight_modes, {"n": st.integers(1, 20)}, {"n": INT, "seed": SEED}))
    add(Spec("data.twelve_bit_task", data.twelve_bit_task, {}, {}, examples=1))
    add(Spec("ik.sample_prior", ik.sample_prior, {"n": st.integers(1, 20)}, {"n": INT, "seed": SEED}))
    for fname in ("log_prior", "joint_positions", "forward"):
        add(Spec(f"ik.{fname}", getattr(ik, fname), {"x": J(ik.sample_prior(6, seed=1))}, {"x": ARRAY}))
    images = J(torch.rand(4, 64, generator=_gen()))
    add(Spec("ood.add_noise", ood.add_noise, {"x": images, "std": st.floats(0, 1)},
             {"x": ARRAY, "std": FLOAT, "seed": SEED}))
    add(Spec("ood.invert", ood.invert, {"x": images}, {"x": ARRAY}))
    add(Spec("ood.rotate", ood.rotate, {"x": images, "shape": J((8, 8)),
        "degrees": st.sampled_from([90, 180])},
             {"x": ARRAY, "shape": SIZES, "degrees": INT + [_const("45", 45)]}))
    add(Spec("ood.resize", ood.resize, {"x": images, "shape": J((8, 8)), "size": J((4, 4))},
             {"x": ARRAY, "shape": SIZES, "size": SIZES}))
    add(Spec("ood.mnist_as_digits", ood.mnist_as_digits, {"x": J(torch.rand(2, 784, generator=_gen()))},
             {"x": ARRAY}))
    add(Spec("ood.digits_as_mnist", ood.digits_as_mnist, {"x": images}, {"x": ARRAY}))
    add(Spec("ood.ood_sets", ood.ood_sets, {"x": images, "shape": J((8, 8))},
             {"x": ARRAY, "shape": SIZES, "noise_std": FLOAT, "seed": SEED}, examples=6))

    # ---- bottleneck: helpers, losses, objectives, models
    add(Spec("bottleneck.gaussian_entropy_for_std", bn.gaussian_entropy_for_std,
        {"std": st.floats(1e-3, 1e3)},
             {"std": FLOAT}))
    add(Spec("bottleneck.gaussian_std_for_entropy", bn.gaussian_std_for_entropy,
             {"entropy": st.floats(-10, 10)}, {"entropy": FLOAT + [_const("1000", 1000.0)]}))
    add(Spec("bottleneck.l2_activation", bn.l2_activation, {"z": J(t_samples())}, {"z": ARRAY}))
    add(Spec("bottleneck.log_var", bn.log_var, {"z": J(t_samples())}, {"z": ARRAY, "eps": FLOAT}))
    add(Spec("bottleneck.conditional_log_var", bn.conditional_log_var,
             {"z": J(t_samples()), "y": J(torch.arange(12) % 3)}, {"z": ARRAY, "y": ARRAY + LABELS_BAD,
                                                                   "eps": FLOAT}))
    for fname in ("decoder_cross_entropy", "prediction_cross_entropy"):
        add(Spec(f"bottleneck.{fname}", getattr(bn, fname), logits_labels(),
                 {"logits": ARRAY, "y": ARRAY + LABELS_BAD}))
    add(Spec("bottleneck.gaussian_kl", bn.gaussian_kl,
        {"mu": J(t_samples()), "log_var": J(t_samples(seed=1))},
             {"mu": ARRAY, "log_var": ARRAY, "mu2": ARRAY, "log_var2": ARRAY}))
    regs = st.sampled_from(["log_var", "conditional_log_var", "l2"])
    add(Spec("bottleneck.convert_beta", bn.convert_beta,
             {"value": st.floats(0.01, 10), "source": J("gamma"), "target": J("beta")},
             {"value": FLOAT, "source": STR, "target": STR}))
    add(Spec("bottleneck.gamma_to_beta", bn.gamma_to_beta,
             {"gamma": st.floats(0.01, 10), "regularizer": regs},
             {"gamma": FLOAT, "regularizer": STR}, infinite_ok=True))
    add(Spec("bottleneck.beta_to_gamma", bn.beta_to_gamma, {"beta": st.floats(0.01, 10), "regularizer": regs},
             {"beta": FLOAT, "regularizer": STR}))
    for fname in ("empirical_joint", "categorical_decoder_uncertainty"):
        add(Spec(f"bottleneck.{fname}", getattr(bn, fname), pz_labels(),
                 {"pz_given_x": PMF_BAD, "y": ARRAY + LABELS_BAD, "n_classes": INT}))
    add(Spec("bottleneck.categorical_cross_entropies", bn.categorical_cross_entropies,
             pz_labels().map(lambda d: {**d, "decoder_log_probs": torch.log_softmax(torch.zeros(4, 3), 1)}),
             {"pz_given_x": PMF_BAD, "decoder_log_probs": ARRAY, "y": ARRAY + LABELS_BAD}))
    add(Spec("bottleneck.mlp", bn.mlp, {"sizes": J((3, 4, 2))},
             {"sizes": SIZES, "activation": STR, "last_activation": BOOL}))
    add(model_spec("bottleneck.GaussianNoise", bn.GaussianNoise, {"entropy": st.floats(-3, 3)},
                   {"entropy": FLOAT, "at_eval": BOOL, "generator": OBJECT}, x=t_samples()))
    add(model_spec("bottleneck.ZeroEntropyNoise", bn.ZeroEntropyNoise, {},
                   {"at_eval": BOOL, "generator": OBJECT}, x=t_samples()))
    x3 = t_samples(5, 3)
    common = {"in_features": INT, "n_classes": INT, "hidden": SIZES, "activation": STR, "seed": SEED}
    add(model_spec("bottleneck.NoisyBottleneckClassifier", bn.NoisyBottleneckClassifier,
                   {"in_features": J(3), "n_classes": J(3), "hidden": J((4,)), "latent_dim": J(2),
                    "noise_entropy": st.none() | st.floats(-3, 1)},
                   {**common, "latent_dim": INT, "noise_entropy": FLOAT, "generator": OBJECT}, x=x3))
    add(model_spec("bottleneck.GaussianEncoderClassifier", bn.GaussianEncoderClassifier,
                   {"in_features": J(3), "n_classes": J(3), "hidden": J((4,)), "latent_dim": J(2),
                    "marginal": st.sampled_from(["standard", "mixture"]), "n_components": J(2)},
                   {**common, "latent_dim": INT, "marginal": STR, "n_components": INT, "min_log_var": FLOAT,
                    "generator": OBJECT}, x=x3))
    add(model_spec("bottleneck.CategoricalBottleneckClassifier", bn.CategoricalBottleneckClassifier,
                   {"in_features": J(3), "n_classes": J(3), "hidden": J((4,)), "n_categories": J(4)},
                   {**common, "n_categories": INT}, x=x3))
    for cname, valid in (("CrossEntropyObjective", {}), ("SurrogateIB", {"gamma": J(0.5)}),
                         ("SurrogateDIB", {"gamma": J(0.5)}), ("SurrogateObjective", {"gamma": J(0.5)}),
                         ("VIB", {"beta": J(0.1)}), ("CEB", {"gamma": J(1.0)})):
        bad = {k: FLOAT for k in valid}
        bad["samples"] = INT
        if cname.startswith("Surrogate"):
            bad["regularizer"] = STR
        add(Spec(f"bottleneck.{cname}", getattr(bn, cname), valid, bad))
    add(Spec("bottleneck.CategoricalObjective", bn.CategoricalObjective, {}, {"target": STR}))
    add(loss_spec("bottleneck.CrossEntropyObjective()", bn.CrossEntropyObjective, _noisy, class_batch()))
    add(loss_spec("bottleneck.SurrogateIB()", lambda: bn.SurrogateIB(0.5), _noisy, class_batch()))
    add(loss_spec("bottleneck.SurrogateDIB()", lambda: bn.SurrogateDIB(0.5), _noisy, class_batch()))
    add(loss_spec("bottleneck.VIB()", lambda: bn.VIB(0.1), _gauss, class_batch()))
    add(loss_spec("bottleneck.CEB()", lambda: bn.CEB(1.0), _gauss, class_batch()))
    add(loss_spec("bottleneck.CategoricalObjective()", bn.CategoricalObjective, _categorical, class_batch(),
                  aliases=("x", "y", "pz_given_x", "labels")))

    # ---- inn: blocks, flows, models, losses
    d4 = J((4,))
    dims_bad = SIZES + [_const("image-2d", (4, 4))]
    for cname, extra, extra_bad in (
            ("ActNorm", {}, {}), ("AffineCoupling", {"clamp": J(2.0)}, {"clamp": FLOAT, "split": INT}),
            ("Permutation", {}, {"seed": SEED}), ("RandomOrthogonal", {}, {"seed": SEED}),
            ("Flatten", {}, {})):
        add(model_spec(f"inn.{cname}", getattr(inn, cname), {"dims_in": d4, **extra},
                       {"dims_in": dims_bad, "cond_dims": SIZES, **extra_bad}, x=None))
    add(model_spec("inn.ConditionalAffineCoupling", inn.ConditionalAffineCoupling,
                   {"dims_in": d4, "cond_dims": J((2,))},
                   {"dims_in": dims_bad, "cond_dims": SIZES, "clamp": FLOAT, "split": INT}))
    for cname in ("HaarDownsampling", "HaarUpsampling"):
        add(model_spec(f"inn.{cname}", getattr(inn, cname),
                       {"dims_in": J((1, 4, 4) if cname == "HaarDownsampling" else (4, 2, 2))},
                       {"dims_in": dims_bad, "scale": FLOAT}))
    add(model_spec("inn.AsinhStretch", inn.AsinhStretch, {"dims_in": d4, "scale": J(1e-3)},
                   {"dims_in": dims_bad, "cond_dims": SIZES, "scale": FLOAT, "low": FLOAT, "high": FLOAT},
                   x=None))
    add(model_spec("inn.Reshape", inn.Reshape, {"dims_in": d4, "shape": J((2, 2))},
                   {"dims_in": dims_bad, "shape": SIZES}))
    add(model_spec("inn.Split", inn.Split, {"dims_in": d4, "keep": J(2)}, {"dims_in": dims_bad, "keep": INT}))

    def block_call(block: Any, x: Any, rev: bool = False) -> Any:
        return block()(x, rev=rev)
    for cname, make in (("ActNorm", lambda: inn.ActNorm((4,))),
                        ("AffineCoupling", lambda: inn.AffineCoupling((4,))),
                        ("RandomOrthogonal", lambda: inn.RandomOrthogonal((4,))),
                        ("Permutation", lambda: inn.Permutation((4,))),
                        ("AsinhStretch", lambda: inn.AsinhStretch((4,), scale=1e-3))):
        add(Spec(f"inn.{cname}()", getattr(inn, cname), {"block": J(make), "x": J(t_samples(6, 4)),
                                                         "rev": st.booleans()},
                 {"x": ARRAY}, call=block_call, aliases=("x", "x_or_z", "z", "inputs"),
                 passthrough=cname != "ActNorm"))   # ActNorm's data-dependent init refuses NaN (item 4)
    add(Spec("inn.mlp_subnet", inn.mlp_subnet, {"hidden": J((4,))}, {"hidden": SIZES}))
    add(Spec("inn.conv_subnet", inn.conv_subnet, {"hidden": J((4,))}, {"hidden": SIZES, "kernel_size": INT}))
    add(model_spec("inn.SequenceINN", inn.SequenceINN, {"dims": st.sampled_from([3, (3,)])},
                   {"dims": dims_bad + INT, "latent": OBJECT}))
    add(model_spec("inn.CINN", inn.CINN,
        {"dims": J(3), "n_classes": J(3), "n_blocks": J(1), "hidden": J((4,))},
                   {"dims": dims_bad, "n_classes": INT, "n_blocks": INT, "hidden": SIZES, "clamp": FLOAT,
                    "noise": FLOAT, "noise_kind": STR, "n_features": INT, "seed": SEED}))
    add(model_spec("inn.IBINN", inn.IBINN,
        {"dims": J(3), "n_classes": J(3), "n_blocks": J(1), "hidden": J((4,))},
                   {"dims": dims_bad, "n_classes": INT, "n_blocks": INT, "hidden": SIZES, "clamp": FLOAT,
                    "stretch": FLOAT, "sigma": FLOAT, "mu_init": FLOAT, "class_priors": ARRAY, "seed": SEED},
                   x=t_samples(5, 3)))
    add(model_spec("inn.InverseINN", inn.InverseINN,
                   {"x_dim": J(2), "y_dim": J(1), "latent_dim": J(1), "n_blocks": J(1), "hidden": J((4,))},
                   {"x_dim": INT, "y_dim": INT, "latent_dim": INT, "total_dim": INT, "n_blocks": INT,
                    "hidden": SIZES, "clamp": FLOAT, "mixing": STR, "y_loss": STR, "seed": SEED}))
    add(model_spec("bibae.BIBAE.conditional_mlp", bibae.BIBAE.conditional_mlp,
                   {"x_dim": J(2), "y_dim": J(1), "latent_dim": J(1), "hidden": J((4,))},
                   {"x_dim": INT, "y_dim": INT, "latent_dim": INT, "hidden": SIZES, "seed": SEED}))
    add(model_spec("inn.FeedForwardClassifier", inn.FeedForwardClassifier,
                   {"dims": J(3), "n_classes": J(3), "n_blocks": J(1), "hidden": J((4,))},
                   {"dims": dims_bad, "n_classes": INT, "n_blocks": INT, "hidden": SIZES, "stretch": FLOAT,
                    "seed": SEED}, x=t_samples(5, 3)))
    add(model_spec("inn.INNSoftmaxClassifier", inn.INNSoftmaxClassifier,
                   {"dims": J(3), "n_classes": J(3), "n_blocks": J(1), "hidden": J((4,))},
                   {"dims": dims_bad, "n_classes": INT, "seed": SEED}, x=t_samples(5, 3)))
    add(Spec("inn.InverseLossWeights", inn.InverseLossWeights, {},
             {k: FLOAT for k in ("y", "z", "x", "pad", "rec")}))
    add(Spec("inn.InverseINNLoss", inn.InverseINNLoss, {},
             {"weights": OBJECT, "bandwidths_z": FLOAT, "bandwidths_x": FLOAT, "kernel": STR,
              "y_noise": FLOAT, "pad_noise": FLOAT, "ramp_start": FLOAT, "ramp_until": FLOAT, "seed": SEED}))
    add(Spec("bibae.squared_error_log_scale", bibae.squared_error_log_scale, {"weight": J(15.0)},
             {"weight": FLOAT}))
    add(Spec("inn.IBINNLoss", inn.IBINNLoss, {},
        {"gamma": FLOAT, "label_smoothing": FLOAT, "bin_width": FLOAT}))
    add(Spec("inn.ClassifierLoss", inn.ClassifierLoss, {}, {"label_smoothing": FLOAT}))
    add(loss_spec("inn.conditional_nll_loss", lambda: inn.conditional_nll_loss, _cinn, class_batch(),
                  func=inn.conditional_nll_loss))
    add(loss_spec("inn.class_nll_loss", lambda: inn.class_nll_loss, _ibinn, class_batch(),
                  func=inn.class_nll_loss))
    add(loss_spec("inn.IBINNLoss()", lambda: inn.IBINNLoss(generator=_gen()), _ibinn, class_batch()))
    add(loss_spec("inn.ClassifierLoss()", inn.ClassifierLoss,
                  lambda: inn.FeedForwardClassifier(3, 3, n_blocks=1, hidden=(4,), seed=0), class_batch()))
    add(loss_spec("inn.InverseINNLoss()", lambda: inn.InverseINNLoss(seed=0), _inverse, inverse_batch()))
    add(loss_spec("bibae.BIBAE.conditional_mlp: bibae.vae()", lambda: bibae.vae(seed=0), _cvae,
                  inverse_batch(), func=bibae.vae))
    add(Spec("inn.abc_rejection", inn.abc_rejection,
             {"forward": J(ik.forward), "sample_prior": J(ik.sample_prior),
              "y_star": J(ik.forward(ik.sample_prior(1, seed=3))[0]), "n_samples": J(5), "quantile": J(0.1),
              "batch_size": J(100), "max_simulations": J(1000)},
             {"forward": OBJECT, "sample_prior": OBJECT, "y_star": ARRAY, "n_samples": INT, "quantile": FLOAT,
              "epsilon": FLOAT, "batch_size": INT}, examples=6))

    # ---- plane
    add(Spec("plane.InformationPlane", plane.InformationPlane,
             {"x": J(t_samples(12, 3)), "y": J(torch.arange(12) % 3)},
             {"x": ARRAY, "y": ARRAY + LABELS_BAD, "estimator": STR, "every": INT, "every_steps": INT,
              "max_samples": INT, "k": INT, "noise_entropy": FLOAT, "label_entropy": FLOAT, "seed": SEED,
              "layers": OBJECT, "at_epochs": OBJECT, "run": OBJECT}))

    def record(model: Any, x: Any, y: Any, estimator: str = "kl") -> Any:
        options = {"bin_width": 0.5} if estimator == "binning" else None
        return plane.InformationPlane(x, y, estimator=estimator, k=2, estimator_kwargs=options).record(
            model(), epoch=1)
    add(Spec("plane.InformationPlane.record", plane.InformationPlane,
             {"model": st.sampled_from([_noisy, _gauss, _ibinn]), "x": J(t_samples(12, 3)),
              "y": J(torch.arange(12) % 3),
              "estimator": st.sampled_from(["mixture", "kl", "gaussian", "binning"])},
             {"x": ARRAY, "y": LABELS_BAD, "estimator": STR}, call=record,
                 aliases=("model", "z"), examples=8))
    add(Spec("plane.log_spaced_epochs", plane.log_spaced_epochs,
             {"epochs": st.integers(1, 50), "count": st.integers(1, 12)}, {"epochs": INT, "count": INT}))
    add(Spec("plane.plot_trajectories", plane.plot_trajectories, {"rows": rows_strategy()},
             {"rows": OBJECT + [_const("empty", [])], "axes": STR, "base": BASE, "layer": STR,
              "color_by": STR}, examples=6))
    add(Spec("plane.plot_entropies", plane.plot_entropies, {"rows": rows_strategy()},
             {"rows": OBJECT + [_const("empty", [])], "quantity": STR, "base": BASE}, examples=6))
    add(Spec("plane.comparison_figure", plane.comparison_figure, {"rows": rows_strategy()},
             {"rows": OBJECT + [_const("empty", [])], "base": BASE}, examples=4))
    add(Spec("plane.describe_estimates", plane.describe_estimates, {"rows": rows_strategy()},
             {"rows": OBJECT, "base": BASE}, examples=6))

    def table_roundtrip(rows: Any, path: Any = None) -> Any:
        import tempfile
        target = Path(tempfile.mkdtemp()) / "t.csv" if path is None else path
        plane.save_table(rows, target)
        back = plane.load_table(target)
        if path is None:
            assert back == [dict(r) for r in rows] or len(back) == len(rows)
        return back
    add(Spec("plane.save_table", plane.save_table, {"rows": rows_strategy()},
             {"rows": OBJECT + [_const("empty", [])],
              "path": OBJECT}, call=table_roundtrip, examples=6))
    add(Spec("plane.load_table", plane.load_table, {"path": J("/nonexistent/t.csv")}, {"path": OBJECT},
             examples=4, errors=(FileNotFoundError,)))

    # ---- train helpers
    def fit_call(epochs: Any = 1, clip_grad_norm: Any = None, optimizer: Any = "sgd", callbacks: Any = (),
                 scheduler: Any = None, train_loader: Any = None, device: Any = "cpu") -> Any:
        model = torch.nn.Linear(2, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1) if optimizer == "sgd" else optimizer
        loader = [(torch.ones(4, 2),)] if train_loader is None else train_loader

        def loss(m: Any, b: Any) -> Any:
            out = m(b[0]).pow(2).mean()
            return out, {"out": out}
        return train.fit(model, loss, loader, opt, epochs, clip_grad_norm=clip_grad_norm, callbacks=callbacks,
                         scheduler=scheduler, device=device, progress=False)
    add(Spec("train.fit", train.fit, {"epochs": st.integers(0, 2)},
             {"epochs": INT, "clip_grad_norm": FLOAT, "optimizer": OBJECT, "callbacks": OBJECT,
              # not "abc" or [1, 2]: fit hands each batch to the loss, and this test's loss indexes it
              "scheduler": OBJECT, "train_loader": [_const("int", 3), _const("object", object()),
                                                    _const("empty", [])],
              "device": STR + [_const("cuda", "cuda" if not torch.cuda.is_available() else "cpu")]},
             call=fit_call, aliases=("loss_fn",)))

    def evaluate_call(model: Any = "linear", loader: Any = None, device: Any = None) -> Any:
        net = torch.nn.Linear(2, 1) if model == "linear" else model
        batches = [(torch.ones(3, 2),)] if loader is None else loader
        return train.evaluate_loss(net, lambda m, b: (m(b[0]).pow(2).mean(), {}), batches, device)
    add(Spec("train.evaluate_loss", train.evaluate_loss, {},
             {"model": OBJECT + [_const("identity", torch.nn.Identity())],
                 "loader": [_const("int", 3), _const("object", object()), _const("empty", [])],
              "device": STR}, call=evaluate_call))

    class _Target:
        weight = 0.0
    add(Spec("train.Schedule", train.Schedule, {"target": J(_Target()), "attribute": J("weight"),
                                                "values": J(lambda p: p)},
             {"target": OBJECT, "attribute": STR, "values": OBJECT}))
    add(Spec("train.to_device", train.to_device, {"batch": J((torch.zeros(2), {"y": torch.ones(1)}, "tag")),
                                                  "device": J(torch.device("cpu"))}, {}))
    return s


SPECS = _specs()


def test_every_perturbed_argument_is_a_parameter() -> None:
    """The table itself: a perturbed name the function does not take would test nothing."""
    wrong = []
    for spec in SPECS:
        names = _parameters(spec.call)
        if "kw" in names or "kwargs" in names:   # a wrapper passing keywords on to the function
            names |= _parameters(spec.func)
        wrong += [f"{spec.name}: {name}" for name in spec.bad if name not in names]
    assert not wrong, wrong


def test_the_table_covers_every_public_name() -> None:
    """Every public function and class of the packages' ``__all__`` has a row (or is data)."""
    covered = {spec.func for spec in SPECS}
    exempt = {
        # data, protocols, exceptions and result containers: nothing to call with bad input
        est.SmallSampleWarning, est.Uncertainty, metrics.CalibrationResult, metrics.CalibrationFloor,
        metrics.DiscreteBitsPerDim,
        data.TrainTestSplit, bn.BottleneckOutput, bn.GaussianEncoderOutput, bn.CategoricalOutput,
        inn.ABCResult, inn.InvertibleBlock, plane.LatentModel, plane.DecodesLatent,
        plane.KnowsInformationTerms, info.PIDResult, train.Callback, train.DivergenceError, train.FitState,
        train.load_checkpoint, train.save_checkpoint,   # exercised by tests/test_resume.py
    }
    missing = []
    for module in (info, est, metrics, data, bn, inn, plane, train, examples, ood):
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if inspect.isclass(obj) and issubclass(obj, (Warning, Exception)):
                continue   # warnings and exceptions are raised, not called with bad input
            if dataclasses.is_dataclass(obj) and name.endswith(("Result", "Estimate")):
                continue   # results that functions return (checked as their returns)
            if any(obj is e for e in exempt) or any(obj is c for c in covered):
                continue
            missing.append(f"{module.__name__}.{name}")
    assert not missing, f"public names without a fuzz row: {missing}"


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_bad_input_is_a_named_error_or_a_finite_answer(spec: Spec) -> None:
    strategy = spec.strategy()

    # no shrinking: the inputs are small already, and the quick suite must stay quick
    @settings(max_examples=spec.examples, deadline=None, database=None, derandomize=True,
              phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(drawn: Any) -> None:
        if spec.bad:
            kwargs, perturb = drawn
            kwargs = dict(kwargs)
            if perturb is not None:
                name, bad = perturb
                # an optional argument left out of the valid call is perturbed from a generic array
                kwargs[name] = bad(kwargs[name] if name in kwargs else t_samples())
        else:
            kwargs = dict(drawn)
        _check(spec, kwargs)

    run()


NAN = ARRAY[0]
assert repr(NAN) == "nan"
DOORS = [spec for spec in SPECS
         if spec.name.startswith(("estimators.", "metrics.")) or spec.name.endswith("()")
         or spec.name in ("inn.conditional_nll_loss", "inn.class_nll_loss")]
DOORS = [spec for spec in DOORS if not spec.passthrough and any(NAN in bad for bad in spec.bad.values())]


@pytest.mark.parametrize("spec", DOORS, ids=lambda spec: spec.name)
def test_nan_input_is_a_value_error_at_the_door(spec: Spec) -> None:
    """Every loss and estimator refuses NaN in each array argument with a ValueError naming it.

    The deterministic counterpart of the fuzz test for one perturbation that matters most:
    a NaN input never becomes a NaN answer (nor a DivergenceError of a healthy model).
    """
    base = spec.valid if isinstance(spec.valid, st.SearchStrategy) else st.fixed_dictionaries(spec.valid)

    @settings(max_examples=1, deadline=None, database=None, derandomize=True, phases=(Phase.generate,),
              suppress_health_check=list(HealthCheck))
    @given(base)
    def run(valid: Any) -> None:
        failures = []
        allowed = _parameters(spec.func) | set(spec.aliases)
        for name in sorted(spec.bad):
            if NAN not in spec.bad[name] or name not in valid:
                continue
            kwargs = {**valid, name: NAN(valid[name])}
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    spec.call(**kwargs)
            except ValueError as err:
                lead = LEAD.match(str(err))
                if lead is None or not ({p for p in re.split(r"[\[\]. ]", lead.group(1)) if p} & allowed):
                    failures.append(f"{name}=nan: ValueError without the argument's name: {err}")
                continue
            except Exception as err:  # noqa: BLE001 - reported below, with its type
                failures.append(f"{name}=nan: {type(err).__name__}: {err}")
                continue
            failures.append(f"{name}=nan: returned instead of raising ValueError")
        assert not failures, failures

    run()

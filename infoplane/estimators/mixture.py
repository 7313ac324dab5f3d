"""Information-plane quantities of a layer with known Gaussian noise, by the exact mixture (nats).

For Z = f(X) + noise with a known noise law, Z given the evaluation input x_i is
N(mu_i, diag s_i^2), and with X uniform over the n evaluation inputs the marginal of Z is
the finite mixture q(z) = (1/n) sum_j N(z; mu_j, diag s_j^2) (Goldfeld et al., ICML 2019;
Geiger 2021). Then, with no k-NN estimate anywhere:

- H[Z|X] = (1/n) sum_i sum_d 1/2 (ln(2 pi e) + ln s_id^2), in closed form;
- I(X;Z) = E_i E_{z ~ N(mu_i, s_i^2)} [log N(z; mu_i, s_i^2) - log q(z)], by Monte Carlo over
  samples of the mixture with a logsumexp over its n components. Each sample's term is
  at most ln n, so the estimate respects I(X;Z) <= H(X) = ln n by construction;
- I(Z;Y) = E_i E_z [log q(z | y_i) - log q(z)] with q(z|y) the mixture of the components of
  class y; each term is at most ln(n / n_y), so I(Z;Y) <= H(Y) holds sample by sample;
- H[Z] = H[Z|X] + I(X;Z) and H[Z|Y] = H[Z] - I(Z;Y).

Each Monte Carlo quantity comes with its standard error (samples are independent). The
component log-densities are computed in chunks of samples against all n components, in
float64 on the inputs' device, from coordinates centred on the mean of the mu_i, so n = 1e4
components fit in memory and the result does not move when the data are shifted.

Examples
--------
>>> import numpy as np
>>> from infoplane.estimators.mixture import mixture_information
>>> means = np.array([[0.0], [100.0]])                  # two inputs, far apart
>>> est = mixture_information(means, noise_variance=1.0, samples=200, seed=0)
>>> round(est.i_xz, 6), round(float(np.log(2)), 6)      # Z tells them apart: I(X;Z) = ln 2
(0.693147, 0.693147)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from infoplane._gaussian import LOG_2PI, LOG_2PIE
from infoplane._validation import check_float, check_int, check_seed

__all__ = ["MixtureEstimate", "mixture_information"]


@dataclass(frozen=True)
class MixtureEstimate:
    """The exact-mixture estimates (nats) with their standard errors and bounds.

    ``i_xz <= bound_xz = ln n`` and ``i_zy <= h_y`` hold by construction.
    """

    i_xz: float
    i_zy: float | None
    h_z: float
    h_z_given_x: float
    h_z_given_y: float | None
    se_i_xz: float
    se_i_zy: float | None
    h_y: float | None
    bound_xz: float
    n: int
    samples: int


def _as_tensor(x: object, name: str, device: torch.device | None) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        if x.is_complex():
            raise ValueError(f"{name}: expected real numbers, got dtype {x.dtype}")
        t = x.detach().to(torch.float64)
    else:
        try:
            arr = np.asarray(x)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{name}: expected an array of real numbers ({err})") from None
        if np.iscomplexobj(arr) or arr.dtype.kind not in "biuf":
            raise ValueError(f"{name}: expected an array of real numbers, got dtype {arr.dtype}")
        t = torch.as_tensor(arr.astype(np.float64))
    if device is not None:
        t = t.to(device)
    if not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name}: contains NaN or infinite values")
    return t


def mixture_information(mean: object, log_var: object = None, y: object = None, *,
                        noise_variance: float | None = None, samples: int = 20, seed: int = 0,
                        max_elements: int = 2**24,
                        device: str | torch.device | None = None) -> MixtureEstimate:
    """I(X;Z), I(Z;Y), H[Z], H[Z|X], H[Z|Y] of Z | x_i ~ N(mean_i, diag exp(log_var_i)), in nats.

    Parameters
    ----------
    mean : array (n, d)
        The noise-free part of the layer, mu_i = f(x_i), for the n evaluation inputs.
    log_var : array broadcastable to (n, d), optional
        The log-variance of the noise per input and dimension (a Gaussian encoder), or
        one per dimension; give this or ``noise_variance``.
    y : array (n,), optional
        Labels of the inputs, for I(Z;Y) and H[Z|Y].
    noise_variance : float, optional
        One variance s^2 for every input and dimension (e.g. 1/(2 pi e): zero-entropy noise).
    samples : int
        Monte Carlo samples drawn from each component (n * samples in all).
    seed : int
        Seed of the samples (a CPU generator; the global RNG is left alone).
    max_elements : int
        Largest (samples x components x dims) block computed at once.
    device : str or torch.device, optional
        Where to compute; default the device of a tensor ``mean``, else the CPU.

    Returns
    -------
    MixtureEstimate
    """
    dev = torch.device(device) if device is not None else (
        mean.device if isinstance(mean, torch.Tensor) else torch.device("cpu"))
    mu = _as_tensor(mean, "mean", dev)
    if mu.ndim == 1:
        mu = mu[:, None]
    if mu.ndim != 2 or mu.shape[0] < 2 or mu.shape[1] < 1:
        raise ValueError(f"mean: expected shape (n >= 2, d), got {tuple(mu.shape)}")
    n, d = mu.shape
    if (log_var is None) == (noise_variance is None):
        raise ValueError("noise_variance: give exactly one of log_var and noise_variance")
    if noise_variance is not None:
        variance = check_float(noise_variance, "noise_variance", low=0.0, low_open=True)
        lv = torch.full((n, d), math.log(variance), dtype=torch.float64, device=dev)
    else:
        lv = _as_tensor(log_var, "log_var", dev)
        try:
            lv = torch.broadcast_to(lv, (n, d)).clone()
        except RuntimeError:
            raise ValueError(f"log_var: shape {tuple(lv.shape)} does not broadcast to {(n, d)}") from None
    samples = check_int(samples, "samples", minimum=1)
    seed = check_seed(seed)
    max_elements = check_int(max_elements, "max_elements", minimum=1)
    labels = None
    if y is not None:
        raw = y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
        if raw.dtype.kind not in "biu":
            raise ValueError(f"y: expected integer class labels, got dtype {raw.dtype}")
        labels = torch.as_tensor(raw.reshape(-1).astype(np.int64))
        if labels.shape[0] != n:
            raise ValueError(f"y: expected {n} labels to match mean, got {labels.shape[0]}")
        if labels.is_floating_point() or labels.is_complex():
            raise ValueError("y: expected integer class labels")
        _, labels = torch.unique(labels, return_inverse=True)
        labels = labels.to(dev)

    centre = mu.mean(0, keepdim=True)          # shift invariance: every distance from here
    mu = mu - centre
    inv_var = torch.exp(-lv)
    # log N(z; mu_j, s_j^2)
    #   = -1/2 [sum_d z^2 / v_jd - 2 z.(mu_j / v_j) + sum_d mu_jd^2 / v_jd + log v_j + d ln 2 pi]
    const = -0.5 * ((mu * mu * inv_var).sum(1) + lv.sum(1) + d * LOG_2PI)          # (n,)
    if not bool(torch.isfinite(const).all()) or not bool(torch.isfinite(inv_var).all()):
        raise ValueError("mean: the spread of the means relative to the noise overflows float64; "
                         "rescale the layer or use a larger noise variance")
    weighted_mu = mu * inv_var                                                       # (n, d)
    gen = torch.Generator().manual_seed(seed)
    owner = torch.arange(n, device=dev).repeat_interleave(samples)
    eps = torch.randn(n * samples, d, generator=gen, dtype=torch.float64).to(dev)
    z_all = mu[owner] + torch.exp(0.5 * lv[owner]) * eps
    chunk = max(1, max_elements // max(n * d, 1))

    # With one variance per dimension for every component (fixed noise, the common case), the
    # term -1/2 sum_d z_d^2 / v_d is the same for all components of a sample and cancels in every
    # difference of log-densities used below (own - log q, log q(z|y) - log q): it is left out.
    shared_variance = bool((lv == lv[:1]).all())

    def component_log_prob(z: torch.Tensor, comps: slice | torch.Tensor) -> torch.Tensor:
        """log N(z; mu_j, s_j^2) (up to a per-sample constant when variances are shared), (m, |comps|)."""
        out = torch.addmm(const[comps], z, weighted_mu[comps].T)
        if not shared_variance:
            out.addmm_(z * z, inv_var[comps].T, alpha=-0.5)
        return out

    xz_terms, log_q_terms = [], []
    log_n = math.log(n)
    for start in range(0, n * samples, chunk):
        z = z_all[start:start + chunk]
        who = owner[start:start + chunk]
        comp = component_log_prob(z, slice(None))                                    # (m, n)
        own = comp.gather(1, who[:, None]).squeeze(1)
        log_q = torch.logsumexp(comp, dim=1) - log_n
        xz_terms.append((own - log_q).clamp(max=log_n))   # <= ln n exactly, not just up to rounding
        log_q_terms.append(log_q)
    zy_terms = []
    if labels is not None:
        # log q(z | y) = logsumexp over the components of the sample's class - ln n_y: one block
        # per class (samples of class c against the n_c components of class c), 1/K of the work
        counts = torch.bincount(labels).to(torch.float64)
        log_q_all = torch.cat(log_q_terms)
        sample_class = labels[owner]
        for c in range(counts.numel()):
            comps = torch.nonzero(labels == c).squeeze(1)
            rows = torch.nonzero(sample_class == c).squeeze(1)
            step = max(1, max_elements // max(comps.numel() * d, 1))
            for start in range(0, rows.numel(), step):
                idx = rows[start:start + step]
                log_q_y = torch.logsumexp(component_log_prob(z_all[idx], comps), dim=1) - counts[c].log()
                zy_terms.append((log_q_y - log_q_all[idx]).clamp(max=log_n - float(counts[c].log())))
    xz = torch.cat(xz_terms)
    if not bool(torch.isfinite(xz).all()):
        raise ValueError("log_var: the noise is too narrow for float64 at this spread of the means "
                         "(a log-density underflows); use a larger noise variance")
    total = xz.numel()
    h_z_given_x = float((0.5 * (LOG_2PIE + lv)).sum(1).mean())
    i_xz = float(xz.mean())
    se_xz = float(xz.std()) / math.sqrt(total) if total > 1 else 0.0
    h_z = h_z_given_x + i_xz
    i_zy = se_zy = h_y = h_zy = None
    if labels is not None:
        zy = torch.cat(zy_terms)
        i_zy = float(zy.mean())
        se_zy = float(zy.std()) / math.sqrt(total) if total > 1 else 0.0
        p = counts / counts.sum()
        h_y = float(-(p * p.log()).sum())
        h_zy = h_z - i_zy
    return MixtureEstimate(i_xz=i_xz, i_zy=i_zy, h_z=h_z, h_z_given_x=h_z_given_x, h_z_given_y=h_zy,
                           se_i_xz=se_xz, se_i_zy=se_zy, h_y=h_y, bound_xz=log_n, n=n, samples=samples)

"""estimators.neural: variational MI bounds against brute force, closed forms, repeated seeds and KSG."""

from __future__ import annotations

import copy
import math
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from infoplane.data.toys import correlated_gaussians, correlation_for_mi, half_cube, spiral, student_t_pairs
from infoplane.estimators.ksg import mutual_information
from infoplane.estimators.neural import (
    JointCritic,
    MutualInformationLoss,
    SeparableCritic,
    _js,
    infonce_bound,
    mine_bound,
    neural_mutual_information,
    nwj_bound,
    smile_bound,
)
from infoplane.train import fit

# --------------------------------------------------------------------------- bounds vs brute force

def score_matrix(n: int = 7, seed: int = 0) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    s = rng.normal(size=(n, n)) + np.diag(rng.uniform(1, 3, size=n))
    return torch.tensor(s, dtype=torch.float64)


def brute(scores: torch.Tensor, clip: float = 5.0) -> dict[str, float]:
    """Each bound's formula with explicit loops over the pairs (NumPy, float64)."""
    s = scores.numpy()
    n = len(s)
    diag = np.mean([s[i, i] for i in range(n)])
    off = [s[i, j] for i in range(n) for j in range(n) if i != j]
    nce = np.mean([s[i, i] - math.log(np.mean([math.exp(s[i, j]) for j in range(n)])) for i in range(n)])
    return {
        "infonce": nce,
        "nwj": diag - np.mean([math.exp(v - 1) for v in off]),
        "mine": diag - math.log(np.mean([math.exp(v) for v in off])),
        "smile": diag - math.log(np.mean([math.exp(min(max(v, -clip), clip)) for v in off])),
        "js": -np.mean([math.log1p(math.exp(-s[i, i])) for i in range(n)])
              - np.mean([math.log1p(math.exp(v)) for v in off]),
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bounds_match_a_brute_force_recomputation(seed: int) -> None:
    s = score_matrix(seed=seed) * 2.0      # some entries beyond the clip of 5
    want = brute(s, clip=2.5)
    assert float(infonce_bound(s)) == pytest.approx(want["infonce"], abs=1e-12)
    assert float(nwj_bound(s)) == pytest.approx(want["nwj"], abs=1e-12)
    assert float(mine_bound(s)) == pytest.approx(want["mine"], abs=1e-12)
    assert float(smile_bound(s, clip=2.5)) == pytest.approx(want["smile"], abs=1e-12)
    assert float(_js(s)) == pytest.approx(want["js"], abs=1e-12)


def test_the_loss_reports_the_bound_it_names() -> None:
    s = score_matrix(9, seed=3)
    want = brute(s)
    fixed = FixedScores(s)
    for bound in ("infonce", "nwj", "mine", "smile"):
        loss, terms = MutualInformationLoss(bound)(fixed, (torch.zeros(9, 1), torch.zeros(9, 1)))
        assert float(terms["mi"]) == pytest.approx(want[bound], abs=1e-12), bound
        assert not terms["mi"].requires_grad and loss.requires_grad


def test_infonce_never_exceeds_log_batch_size() -> None:
    gen = torch.Generator().manual_seed(0)
    for n in (2, 5, 64):
        for scale in (1.0, 10.0, 1e3):
            s = torch.randn(n, n, generator=gen, dtype=torch.float64) * scale
            assert float(infonce_bound(s)) <= math.log(n) + 1e-12
        # a critic that separates perfectly reaches the ceiling
        assert float(infonce_bound(1e3 * torch.eye(n, dtype=torch.float64))) == pytest.approx(math.log(n))


def test_smile_without_clipping_is_dv_and_nwj_stays_below_dv() -> None:
    s = score_matrix(6, seed=4) * 3
    assert float(smile_bound(s, clip=math.inf)) == pytest.approx(float(mine_bound(s)), abs=1e-12)
    # DV is invariant to shifting the critic; NWJ(f + 1) <= DV(f) since log z <= z / e
    assert float(mine_bound(s + 4.0)) == pytest.approx(float(mine_bound(s)), abs=1e-12)
    assert float(nwj_bound(s + 1.0)) <= float(mine_bound(s)) + 1e-12     # NWJ <= DV for the same f


# --------------------------------------------------------------------------- critics

class FixedScores(nn.Module):
    """A "critic" whose score matrix is a parameter: gradients land on the scores themselves."""

    def __init__(self, scores: torch.Tensor) -> None:
        super().__init__()
        self.s = nn.Parameter(scores.clone())

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.s


def test_joint_critic_matches_the_concatenated_pairs() -> None:
    critic = JointCritic(3, 2, hidden=(16, 8), seed=0).double()
    gen = torch.Generator().manual_seed(1)
    x, y = torch.randn(6, 3, generator=gen, dtype=torch.float64), torch.randn(6, 2, generator=gen,
                                                                               dtype=torch.float64)
    with torch.no_grad():
        want = torch.stack([torch.stack([critic.net(torch.cat([x[i], y[j]]))[0] for j in range(6)])
                            for i in range(6)])
        torch.testing.assert_close(critic(x, y), want, rtol=0, atol=1e-12)


def test_separable_critic_is_an_inner_product_of_embeddings() -> None:
    critic = SeparableCritic(3, 2, hidden=(16,), embed_dim=4, seed=0).double()
    x, y = torch.randn(5, 3, dtype=torch.float64), torch.randn(5, 2, dtype=torch.float64)
    with torch.no_grad():
        want = torch.stack([torch.stack([critic.g(x[i]) @ critic.h(y[j]) for j in range(5)])
                            for i in range(5)])
        torch.testing.assert_close(critic(x, y), want, rtol=0, atol=1e-12)


def test_seeded_critics_repeat_and_leave_the_global_rng_alone() -> None:
    before = torch.get_rng_state()
    a, b = SeparableCritic(3, 3, seed=5), SeparableCritic(3, 3, seed=5)
    c = JointCritic(3, 3, seed=5)
    assert torch.equal(torch.get_rng_state(), before)
    for (name, p), q in zip(a.named_parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q), name
    assert not torch.equal(SeparableCritic(3, 3, seed=6).g[0].weight, a.g[0].weight)
    assert c.net[0].weight.shape == (256, 6)


@pytest.mark.parametrize("bound", ["infonce", "nwj", "mine", "smile"])
@pytest.mark.parametrize("kind", ["separable", "joint"])
def test_every_parameter_gets_a_finite_nonzero_gradient(bound: str, kind: str) -> None:
    critic = (SeparableCritic(3, 2, hidden=(8, 8), embed_dim=4, seed=0) if kind == "separable"
              else JointCritic(3, 2, hidden=(8, 8), seed=0))
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(32, 3, generator=gen)
    y = x[:, :2] + 0.5 * torch.randn(32, 2, generator=gen)
    loss, _ = MutualInformationLoss(bound)(critic, (x, y))
    loss.backward()
    for name, p in critic.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("kind", ["separable", "joint"])
def test_critics_and_loss_round_trip_through_pickle_and_deepcopy(kind: str) -> None:
    critic = (SeparableCritic(2, 2, hidden=(8,), seed=0) if kind == "separable"
              else JointCritic(2, 2, (8,), seed=0))
    loss = MutualInformationLoss("mine")
    x, y = torch.randn(10, 2), torch.randn(10, 2)
    loss(critic, (x, y))                          # moves the moving average off its start
    for clone, lclone in ((pickle.loads(pickle.dumps(critic)), pickle.loads(pickle.dumps(loss))),
                          (copy.deepcopy(critic), copy.deepcopy(loss))):
        torch.testing.assert_close(clone(x, y), critic(x, y), rtol=0, atol=0)
        assert torch.equal(lclone.log_ema, loss.log_ema) and int(lclone.ema_steps) == 1


# --------------------------------------------------------------------------- the loss's gradients

def score_grad(loss_fn: MutualInformationLoss, s: torch.Tensor) -> torch.Tensor:
    fixed = FixedScores(s)
    loss, _ = loss_fn(fixed, (torch.zeros(len(s), 1), torch.zeros(len(s), 1)))
    loss.backward()
    return fixed.s.grad


def test_mine_gradient_uses_the_moving_average_of_the_partition_function() -> None:
    n, m = 6, 0.8
    s1, s2 = score_matrix(n, seed=5), score_matrix(n, seed=6)
    loss_fn = MutualInformationLoss("mine", momentum=m)
    score_grad(loss_fn, s1)
    off = ~torch.eye(n, dtype=torch.bool)
    z1, z2 = s1.exp()[off].mean(), s2.exp()[off].mean()
    assert float(loss_fn.log_ema.exp()) == pytest.approx(float(z1), rel=1e-12)     # starts at batch 1
    grad = score_grad(loss_fn, s2)
    ema = m * z1 + (1 - m) * z2                                                   # linear-space EMA
    assert float(loss_fn.log_ema.exp()) == pytest.approx(float(ema), rel=1e-12)
    # d(-loss)/dS_ij = [i = j] / n - [i != j] e^{S_ij} / (n (n - 1) EMA)  (Belghazi et al. Sec. 3.2)
    want = torch.where(off, -s2.exp() / (n * (n - 1) * ema), torch.full_like(s2, 1.0 / n))
    torch.testing.assert_close(-grad, want, rtol=1e-10, atol=1e-14)
    with torch.no_grad():                          # evaluation leaves the average alone
        loss_fn(FixedScores(s1), (torch.zeros(n, 1), torch.zeros(n, 1)))
    assert int(loss_fn.ema_steps) == 2


def test_mine_without_momentum_is_the_dv_gradient_and_smile_trains_on_js() -> None:
    s = score_matrix(5, seed=7).requires_grad_()
    (dv_grad,) = torch.autograd.grad(mine_bound(s), s)
    torch.testing.assert_close(-score_grad(MutualInformationLoss("mine", momentum=0.0), s.detach()), dv_grad)
    (js_grad,) = torch.autograd.grad(_js(s), s)
    torch.testing.assert_close(-score_grad(MutualInformationLoss("smile"), s.detach()), js_grad)
    (nwj_grad,) = torch.autograd.grad(nwj_bound(s), s)
    torch.testing.assert_close(-score_grad(MutualInformationLoss("nwj"), s.detach()), nwj_grad)


def test_mine_moving_average_survives_a_fit_checkpoint(tmp_path: Path) -> None:
    """The loss is a module: fit saves its moving average, and a resumed run is bit-identical."""
    x, y, _ = correlated_gaussians(256, 2, correlation_for_mi(0.5, 2), seed=0)
    data = TensorDataset(torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32))

    def run(epochs: int, resume: bool) -> tuple[SeparableCritic, MutualInformationLoss]:
        critic = SeparableCritic(2, 2, hidden=(8,), embed_dim=4, seed=0)
        loss_fn = MutualInformationLoss("mine")
        loader = DataLoader(data, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
        opt = torch.optim.Adam(critic.parameters(), lr=1e-2)
        fit(critic, loss_fn, loader, opt, epochs, checkpoint_path=tmp_path / "ck.pt",
            resume_from=tmp_path / "ck.pt" if resume else None, progress=False, device="cpu")
        return critic, loss_fn

    straight, straight_loss = run(2, resume=False)
    run(1, resume=False)
    resumed, resumed_loss = run(2, resume=True)
    assert int(resumed_loss.ema_steps) == 16
    assert torch.equal(resumed_loss.log_ema, straight_loss.log_ema)
    for p, q in zip(straight.parameters(), resumed.parameters(), strict=True):
        assert torch.equal(p, q)


# --------------------------------------------------------------------------- the Done-when

# d = 5 per side, true MI 2 nats (rho = 0.7421), batch 512: n = 6144 samples, 4608 train the
# critic (300 steps), 1536 give the three held-out batches of the estimate. Offline, seeds 0-2
# of this configuration gave relative errors (%): InfoNCE -3.7 -4.5 +0.5, NWJ -5.7 -6.4 -2.6,
# MINE -5.7 -6.0 -1.9, SMILE -4.3 -5.2 -1.7: all well inside the bands (10 %, 15 %).
DONE_WHEN = {"infonce": 0.10, "smile": 0.10, "nwj": 0.15, "mine": 0.15}


@pytest.mark.parametrize("bound", list(DONE_WHEN))
def test_correlated_gaussians_d5_two_nats_at_batch_512(bound: str) -> None:
    x, y, exact = correlated_gaussians(6144, 5, correlation_for_mi(2.0, 5), seed=0)
    assert exact == pytest.approx(2.0)
    est = neural_mutual_information(x, y, bound, batch_size=512, steps=300, seed=0, device="cpu")
    assert abs(est.mi - exact) <= DONE_WHEN[bound] * exact, (bound, est.mi)
    if bound == "infonce":
        assert est.limit == pytest.approx(math.log(512))
        assert (est.batch_values <= est.limit + 1e-6).all()


# d = 20 per side, I = 2 nats, InfoNCE at batch 256, 600 steps, critic 128 -> 32, n = 32768.
# Offline, seeds 0-4: estimates 1.785 1.775 1.757 1.763 1.766 (error mean -0.231, sd 0.011,
# max |error| 0.243): tolerance 0.243 + 3 * 0.011 = 0.28. The bias is the critic overfitting
# its 24576 training pairs (their bound reads 1.90-1.95), which the held-out estimate shows;
# KSG, on these samples, reads about 0.6 (benchmarks/neural_mi.py), so it is left out here.
def test_correlated_gaussians_d20() -> None:
    x, y, exact = correlated_gaussians(32_768, 20, correlation_for_mi(2.0, 20), seed=0)
    est = neural_mutual_information(x, y, "infonce", batch_size=256, steps=600, lr=1e-3, hidden=(128,),
                                    seed=0, device="cpu")
    assert abs(est.mi - exact) <= 0.28, est.mi
    assert est.mi <= est.trace[-1]["mi"] + 3 * est.stderr     # held-out <= training: not optimistic


# --------------------------------------------------------------------------- benchmark-mi tasks

def task(name: str, seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    """The benchmark-mi tasks of Czyz et al. (2023) (infoplane.data.toys): a diffeomorphism
    of X (or Y) leaves I(X;Y) unchanged."""
    n = 8192
    if name == "half-cube":
        x, y, mi = correlated_gaussians(n, 3, correlation_for_mi(1.0, 3), seed=seed)
        return half_cube(x), half_cube(y), mi
    if name == "spiral":
        x, y, mi = correlated_gaussians(n, 3, correlation_for_mi(1.0, 3), seed=seed)
        return spiral(x), y, mi
    if name == "student-t":
        return student_t_pairs(n, 2, 0.8, 5.0, seed=seed)
    x, y, mi = student_t_pairs(n, 2, 0.8, 2.0, seed=seed)       # "asinh": asinh of a t with nu = 2
    return np.arcsinh(x), np.arcsinh(y), mi


# Tolerances from repeated seeds. Offline, each task below was run with seeds 0-4 (the data
# and the estimator both seeded by s; the configuration of this test: n = 8192, 6144 train,
# batch 256, 600 steps, Adam lr 1e-3, a separable critic 128 -> 32, held-out estimate), and
# KSG (k = 3) on the same samples. Error = estimate - truth (nats), mean and sd over the
# five seeds; tolerance = max |error| + 3 sd, rounded up to 0.01:
#   task       bound    truth   neural: mean    sd   max|e|  tol | KSG: mean    sd    tol
#   half-cube  nwj      1.0000        -0.125 0.055   0.215  0.38 |     -0.092 0.015  0.16
#   student-t  smile    1.0724        -0.029 0.042   0.081  0.21 |     +0.015 0.012  0.07
#   asinh      infonce  1.2148        -0.083 0.028   0.114  0.20 |     +0.019 0.020  0.11
#   spiral     infonce  1.0000        -0.180 0.021   0.208  0.28 |     -0.121 0.009  0.17
# (half-cube and spiral are biased low for both estimators, as in Czyz et al. 2023; NWJ on
# the half-cube is the noisiest.) Both must also agree with each other within the sum.
TASKS = {"half-cube": ("nwj", 0.38, 0.16), "student-t": ("smile", 0.21, 0.07),
         "asinh": ("infonce", 0.20, 0.11), "spiral": ("infonce", 0.28, 0.17)}


@pytest.mark.parametrize("name", list(TASKS))
def test_invertible_transforms_keep_the_known_mi(name: str) -> None:
    bound, tol, ksg_tol = TASKS[name]
    x, y, exact = task(name, seed=0)
    est = neural_mutual_information(x, y, bound, batch_size=256, steps=600, lr=1e-3, hidden=(128,),
                                    seed=0, device="cpu")
    ksg = mutual_information(x, y, k=3)
    assert abs(est.mi - exact) <= tol, (name, est.mi, exact)
    assert abs(ksg - exact) <= ksg_tol, (name, ksg, exact)
    assert abs(est.mi - ksg) <= tol + ksg_tol


# --------------------------------------------------------------------------- the estimator


def small(x: object, y: object, **kw: object) -> object:
    """A quick run: a small critic, few steps (checks of wiring, not of accuracy)."""
    args = {"batch_size": 64, "steps": 40, "hidden": (16,), "embed_dim": 4, "log_every": 10, "seed": 0,
            "device": "cpu"} | kw
    return neural_mutual_information(x, y, **args)


def test_same_seed_same_result_and_the_global_rng_is_untouched() -> None:
    x, y, _ = correlated_gaussians(1024, 2, correlation_for_mi(0.5, 2), seed=1)
    before = torch.get_rng_state()
    a, b = small(x, y, seed=3), small(x, y, seed=3)
    assert torch.equal(torch.get_rng_state(), before)
    assert a.mi == b.mi and a.stderr == b.stderr and a.trace == b.trace
    for p, q in zip(a.critic.parameters(), b.critic.parameters(), strict=True):
        assert torch.equal(p, q)
    assert small(x, y, seed=4).mi != a.mi


def test_result_fields_trace_and_held_out_batches() -> None:
    x, y, _ = correlated_gaussians(1024, 2, correlation_for_mi(0.5, 2), seed=2)
    est = small(x, y, steps=35)
    assert [row["step"] for row in est.trace] == [10, 20, 30, 35]
    assert (est.n_train, est.n_eval, len(est.batch_values)) == (768, 256, 4)
    assert est.mi == pytest.approx(est.batch_values.mean(), abs=1e-12)
    assert est.stderr == pytest.approx(est.batch_values.std(ddof=1) / 2, abs=1e-12)
    assert est.limit == pytest.approx(math.log(64)) and est.unit == "nats"
    assert small(x, y, bound="nwj").limit is None


def test_base_two_reports_bits() -> None:
    x, y, _ = correlated_gaussians(1024, 1, correlation_for_mi(0.5, 1), seed=2)
    nats, bits = small(x, y), small(x, y, base=2)
    assert bits.mi == pytest.approx(nats.mi / math.log(2), rel=1e-12)
    assert bits.limit == pytest.approx(6.0) and bits.unit == "bits"


def test_without_held_out_data_the_estimate_averages_the_last_epochs() -> None:
    x, y, _ = correlated_gaussians(512, 1, correlation_for_mi(0.5, 1), seed=2)
    est = small(x, y, eval_fraction=0.0, steps=100)
    last = [row["mi"] for row in est.trace][-2:]          # the last fifth of 10 epochs
    assert est.n_eval == 0 and len(est.batch_values) == 0
    assert est.mi == pytest.approx(np.mean(last), abs=1e-12)


def test_a_module_critic_is_trained_in_place() -> None:
    class Bilinear(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.zeros(1, 1))

        def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return x @ self.w @ y.T

    x, y, exact = correlated_gaussians(2048, 1, correlation_for_mi(0.5, 1), seed=3)
    critic = Bilinear()
    est = small(x, y, critic=critic, steps=150, lr=0.05)
    assert est.critic is critic and float(critic.w.detach()) > 0.3      # learned the sign of the correlation
    assert 0.2 < est.mi < exact + 3 * est.stderr               # a lower bound: x y alone is not log p/q


def test_torch_inputs_and_a_joint_critic() -> None:
    x, y, exact = correlated_gaussians(1024, 1, correlation_for_mi(0.5, 1), seed=4)
    est = small(torch.from_numpy(x), torch.from_numpy(y), critic="joint", bound="smile", steps=200, lr=5e-3)
    assert isinstance(est.critic, JointCritic) and next(est.critic.parameters()).device.type == "cpu"
    assert abs(est.mi - exact) < 0.2


def test_bad_input_is_named_at_the_door() -> None:
    x, y, _ = correlated_gaussians(256, 1, correlation_for_mi(0.5, 1), seed=0)
    cases = [
        ({"y": y[:-1]}, ValueError, r"^y:"),
        ({"x": np.full((256, 1), np.nan)}, ValueError, r"^x:"),
        ({"x": np.zeros((256, 0))}, ValueError, r"^x:"),
        ({"bound": "dv"}, ValueError, r"^bound:"),
        ({"critic": "deep"}, ValueError, r"^critic:"),
        ({"critic": 3}, TypeError, r"^critic:"),
        ({"batch_size": 1}, ValueError, r"^batch_size:"),
        ({"batch_size": 100}, ValueError, r"^batch_size:"),      # held-out part < two batches
        ({"batch_size": 300, "eval_fraction": 0.0}, ValueError, r"^batch_size:"),   # > n
        ({"steps": 0}, ValueError, r"^steps:"),
        ({"steps": 10, "eval_fraction": 0.0}, ValueError, r"^steps:"),
        ({"lr": 0.0}, ValueError, r"^lr:"),
        ({"hidden": 16}, ValueError, r"^hidden:"),
        ({"embed_dim": 0}, ValueError, r"^embed_dim:"),
        ({"clip": -1.0}, ValueError, r"^clip:"),
        ({"momentum": 1.0}, ValueError, r"^momentum:"),
        ({"eval_fraction": 1.0}, ValueError, r"^eval_fraction:"),
        ({"log_every": 0}, ValueError, r"^log_every:"),
        ({"standardize": "yes"}, ValueError, r"^standardize:"),
        ({"seed": -1}, ValueError, r"^seed:"),
        ({"base": 1.0}, ValueError, r"^base:"),
    ]
    for change, error, match in cases:
        args = {"x": x, "y": y, "batch_size": 32, "steps": 20, "log_every": 10} | change
        with pytest.raises(error, match=match):
            neural_mutual_information(**args)
    class Paired(nn.Module):                                # scores of the n pairs only: wrong
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.ones(()))

        def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return self.w * (x * y).sum(1)

    with pytest.raises(ValueError, match=r"^critic:"):        # a critic must return the (n, n) matrix
        small(x, y, critic=Paired(), batch_size=32)
    with pytest.raises(ValueError, match=r"^scores:"):
        infonce_bound(torch.zeros(3, 4))
    with pytest.raises(ValueError, match=r"^scores:"):
        mine_bound(torch.zeros(1, 1))
    with pytest.raises(ValueError, match=r"^scores:"):
        nwj_bound(torch.full((2, 2), math.nan))
    with pytest.raises(TypeError, match=r"^scores:"):
        smile_bound(np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"^hidden:"):
        JointCritic(2, 2, hidden=())
    with pytest.raises(ValueError, match=r"^x_dim:"):
        SeparableCritic(0, 2)
    with pytest.raises(ValueError, match=r"^y:"):
        SeparableCritic(2, 2)(torch.zeros(3, 2), torch.zeros(4, 2))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_agrees_with_the_cpu() -> None:
    critic = SeparableCritic(3, 3, hidden=(32,), seed=0)
    joint = JointCritic(3, 3, hidden=(32,), seed=0)
    x, y = torch.randn(128, 3), torch.randn(128, 3)
    for c in (critic, joint):
        cpu = c(x, y)
        gpu = copy.deepcopy(c).to("cuda")(x.to("cuda"), y.to("cuda")).cpu()
        torch.testing.assert_close(gpu, cpu, rtol=1e-4, atol=1e-4)
        for bound in (infonce_bound, nwj_bound, mine_bound, smile_bound):
            assert float(bound(gpu.to("cuda"))) == pytest.approx(float(bound(cpu)), abs=1e-4)
    xs, ys, exact = correlated_gaussians(4096, 2, correlation_for_mi(1.0, 2), seed=0)
    on_cpu = neural_mutual_information(xs, ys, batch_size=256, steps=300, seed=0, device="cpu")
    on_gpu = neural_mutual_information(xs, ys, batch_size=256, steps=300, seed=0, device="cuda")
    assert next(on_gpu.critic.parameters()).device.type == "cuda"
    assert abs(on_gpu.mi - on_cpu.mi) < 0.1 and abs(on_gpu.mi - exact) < 0.2   # same batches, same init

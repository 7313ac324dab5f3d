"""Exact measures: closed forms, identities on random distributions, dit agreement, torch."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import channels, distributions, pmfs

from infoplane.info import (
    Distribution,
    co_information,
    conditional_entropy,
    conditional_entropy_torch,
    conditional_mutual_information,
    cross_entropy,
    dual_total_correlation,
    entropy,
    entropy_torch,
    examples,
    information,
    interaction_information,
    kl_divergence,
    mutual_information,
    mutual_information_torch,
    total_correlation,
)
from infoplane.info.measures import JointEntropies, subset_entropies

LN2 = math.log(2)
XOR = examples.xor()
GIANT = examples.giant_bit()


# ---------------------------------------------------------------- closed forms
def test_xor_and_giant_bit_closed_forms():
    assert co_information(XOR, base=2) == pytest.approx(-1.0, abs=1e-12)
    assert interaction_information(XOR, base=2) == pytest.approx(1.0, abs=1e-12)
    assert co_information(GIANT, base=2) == pytest.approx(1.0, abs=1e-12)
    assert interaction_information(GIANT, base=2) == pytest.approx(-1.0, abs=1e-12)
    # XOR: pairwise independent, each pair determines the third
    assert mutual_information(XOR, "X", "Y", base=2) == pytest.approx(0.0, abs=1e-12)
    assert conditional_mutual_information(XOR, "X", "Y", "Z", base=2) == pytest.approx(1.0)
    assert total_correlation(XOR, base=2) == pytest.approx(1.0)
    assert dual_total_correlation(XOR, base=2) == pytest.approx(2.0)
    assert total_correlation(GIANT, base=2) == pytest.approx(2.0)
    assert dual_total_correlation(GIANT, base=2) == pytest.approx(1.0)


@pytest.mark.parametrize("k", [1, 2, 3, 7])
def test_uniform_entropy_is_log_k(k):
    d = Distribution(np.full(k, 1 / k), "X")
    assert entropy(d) == pytest.approx(math.log(k), abs=1e-12)
    assert entropy(d, base=2) == pytest.approx(math.log2(k), abs=1e-12)


@given(distributions(n_variables=2))
def test_independent_variables_have_zero_information(d):
    product = Distribution(np.outer(d.marginal("X").pmf, d.marginal("Y").pmf), "XY")
    assert mutual_information(product, "X", "Y") == pytest.approx(0.0, abs=1e-12)
    assert total_correlation(product) == pytest.approx(0.0, abs=1e-12)
    assert entropy(product) == pytest.approx(entropy(product, "X") + entropy(product, "Y"))


@given(st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_bijection_information_equals_entropy(k, seed):
    rng = np.random.default_rng(seed)
    px = rng.dirichlet(np.ones(k))
    d = Distribution(np.diag(px)[:, rng.permutation(k)], "XY")
    h = entropy(d, "X")
    assert mutual_information(d, "X", "Y") == pytest.approx(h, abs=1e-12)
    assert entropy(d, "Y") == pytest.approx(h, abs=1e-12)
    assert conditional_entropy(d, "Y", "X") == pytest.approx(0.0, abs=1e-12)


def test_kl_and_cross_entropy_closed_forms():
    p, q = 0.3, 0.6
    exact = p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))
    assert kl_divergence([p, 1 - p], [q, 1 - q]) == pytest.approx(exact)
    assert kl_divergence([p, 1 - p], [q, 1 - q], base=2) == pytest.approx(exact / LN2)
    exact_ce = -p * math.log(q) - (1 - p) * math.log(1 - q)
    assert cross_entropy([p, 1 - p], [q, 1 - q]) == pytest.approx(exact_ce)
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert kl_divergence([1.0, 0.0], [0.5, 0.5], base=2) == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"^q:"):
        kl_divergence([0.5, 0.5], [0.5, 0.25, 0.25])
    with pytest.raises(ValueError, match=r"^p:"):
        cross_entropy([0.5, 0.6], [0.5, 0.5])


@st.composite
def pmf_pairs(draw):
    """A Distribution d and a strictly positive q on the same alphabets."""
    d = draw(distributions(min_variables=1, max_variables=2))
    return d, Distribution(draw(pmfs(shape=d.shape, allow_zero=False)), d.names)


@given(pmf_pairs())
def test_cross_entropy_is_entropy_plus_kl(pair):
    d, qd = pair
    p, q = d.pmf.ravel(), qd.pmf.ravel()
    s = p > 0
    assert kl_divergence(d, qd) == pytest.approx(float(np.sum(p[s] * np.log(p[s] / q[s]))), abs=1e-10)
    assert cross_entropy(d, qd) == pytest.approx(entropy(d) + kl_divergence(d, qd), abs=1e-10)
    assert kl_divergence(d, qd) >= 0.0
    assert kl_divergence(d, d) == pytest.approx(0.0, abs=1e-12)


# ---------------------------------------------------------------- identities
@given(distributions(n_variables=3))
def test_chain_rules(d):
    h = entropy(d)
    assert h == pytest.approx(entropy(d, "X") + entropy(d, "Y", given="X") + entropy(d, "Z", given="XY"),
                              abs=1e-10)
    assert mutual_information(d, "X", ["Y", "Z"]) == pytest.approx(
        mutual_information(d, "X", "Y") + mutual_information(d, "X", "Z", given="Y"), abs=1e-10)
    assert co_information(d) == pytest.approx(
        mutual_information(d, "X", "Y") - mutual_information(d, "X", "Y", given="Z"), abs=1e-10)


@given(distributions(min_variables=2, max_variables=4))
def test_one_and_two_variable_quantities_are_non_negative(d):
    names = d.names
    for a in names:
        rest = [n for n in names if n != a]
        assert entropy(d, a) >= -1e-12
        assert entropy(d, a, given=rest) >= -1e-12
        for b in rest:
            others = [n for n in rest if n != b]
            assert mutual_information(d, a, b) >= -1e-12
            if others:
                assert mutual_information(d, a, b, given=others) >= -1e-12
                assert mutual_information(d, a, b, given=others[:1]) >= -1e-12
    assert total_correlation(d) >= -1e-12
    assert dual_total_correlation(d) >= -1e-12


@st.composite
def markov_chains(draw):
    """p(x) p(y|x) p(z|y) from shrinkable pmfs and channels."""
    px = draw(distributions(n_variables=1, max_outcomes=5))
    d = px.add_channel(draw(channels(px.shape, min_outcomes=2, max_outcomes=4)), "X", "Y")
    return d.add_channel(draw(channels(d.shape[1:2], min_outcomes=2, max_outcomes=4)), "Y", "Z")


@given(markov_chains())
def test_data_processing_on_markov_chains(d):
    assert mutual_information(d, "X", "Z", given="Y") == pytest.approx(0.0, abs=1e-10)
    assert mutual_information(d, "X", "Z") <= mutual_information(d, "X", "Y") + 1e-12
    assert mutual_information(d, "X", "Z") <= mutual_information(d, "Y", "Z") + 1e-12


@pytest.mark.parametrize("base", [2, 3, 10])
@pytest.mark.parametrize("j", [1, 2, 3])
def test_uniform_over_base_to_the_j_has_j_units(base, j):
    d = Distribution(np.full((base,) * j, 1.0 / base**j), "XYZ"[:j])
    assert entropy(d, base=base) == pytest.approx(j, abs=1e-12)
    assert total_correlation(d, base=base) == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=20)
@given(distributions(min_variables=1, max_variables=3), st.sampled_from([2, 10, "e"]))
def test_units_agree_with_dit(d, base):
    dit = pytest.importorskip("dit")
    theirs = dit.Distribution.from_ndarray(d.pmf)
    theirs.set_base(base)
    ours = entropy(d, base=math.e if base == "e" else base)
    assert ours == pytest.approx(dit.multivariate.entropy(theirs), abs=1e-9)


def test_subset_entropies_match_direct_marginals():
    d = Distribution(np.random.default_rng(0).dirichlet(np.ones(60)).reshape(2, 3, 2, 5), "ABCD")
    h = subset_entropies(d)
    for mask in range(1, 16):
        names = [d.names[i] for i in range(4) if mask >> i & 1]
        p = d.marginal(names).pmf.ravel()
        p = p[p > 0]
        assert h[mask] == pytest.approx(-(p * np.log(p)).sum(), abs=1e-12)


# ---------------------------------------------------------------- dit
@pytest.mark.parametrize("n", [3, 4])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agrees_with_dit(n, seed):
    dit = pytest.importorskip("dit")
    from dit.multivariate import coinformation
    from dit.multivariate import dual_total_correlation as dit_dtc
    from dit.multivariate import entropy as dit_h
    from dit.multivariate import interaction_information as dit_ii
    from dit.multivariate import total_correlation as dit_tc

    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(2, 4, size=n))
    p = rng.dirichlet(np.full(int(np.prod(shape)), 0.7)).reshape(shape)
    ours = Distribution(p, "XYZW"[:n])
    theirs = dit.Distribution.from_ndarray(p)
    theirs.set_base(2)
    names = ours.names
    assert entropy(ours, base=2) == pytest.approx(dit_h(theirs), abs=1e-9)
    assert entropy(ours, "X", given="YZ", base=2) == pytest.approx(dit_h(theirs, [0], [1, 2]), abs=1e-9)
    assert mutual_information(ours, "X", "Y", base=2) == pytest.approx(
        coinformation(theirs, [[0], [1]]), abs=1e-9)
    assert mutual_information(ours, ["X", "Y"], "Z", given=names[3:], base=2) == pytest.approx(
        coinformation(theirs, [[0, 1], [2]], list(range(3, n))), abs=1e-9)
    assert co_information(ours, base=2) == pytest.approx(coinformation(theirs), abs=1e-9)
    assert co_information(ours, "XYZ", base=2) == pytest.approx(
        coinformation(theirs, [[0], [1], [2]]), abs=1e-9)
    assert interaction_information(ours, base=2) == pytest.approx(dit_ii(theirs), abs=1e-9)
    assert total_correlation(ours, base=2) == pytest.approx(dit_tc(theirs), abs=1e-9)
    assert dual_total_correlation(ours, base=2) == pytest.approx(dit_dtc(theirs), abs=1e-9)
    assert total_correlation(ours, "XY", given="Z", base=2) == pytest.approx(
        dit_tc(theirs, [[0], [1]], [2]), abs=1e-9)


# ---------------------------------------------------------------- torch
@given(distributions(n_variables=2, max_outcomes=4))
def test_torch_versions_match_numpy(d):
    t = torch.tensor(d.pmf, dtype=torch.float64)
    assert float(entropy_torch(t.flatten())) == pytest.approx(entropy(d), abs=1e-10)
    assert float(conditional_entropy_torch(t, base=2)) == pytest.approx(entropy(d, "Y", given="X", base=2),
                                                                        abs=1e-10)
    assert float(mutual_information_torch(t)) == pytest.approx(mutual_information(d, "X", "Y"), abs=1e-10)


def test_torch_batched_and_differentiable():
    logits = torch.randn(2, 3, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0))

    def mi_of_logits(z):
        return mutual_information_torch(torch.softmax(z.flatten(-2), -1).view_as(z)).sum()

    assert torch.autograd.gradcheck(mi_of_logits, (logits.clone().requires_grad_(),))
    assert torch.autograd.gradcheck(lambda z: entropy_torch(torch.softmax(z, -1)).sum(),
                                    (logits.clone().requires_grad_(),))
    assert torch.autograd.gradcheck(
        lambda z: conditional_entropy_torch(torch.softmax(z.flatten(-2), -1).view_as(z)).sum(),
        (logits.clone().requires_grad_(),))
    batch = torch.softmax(logits.flatten(-2), -1).view_as(logits)
    singles = torch.stack([mutual_information_torch(b) for b in batch])
    assert torch.allclose(mutual_information_torch(batch), singles)


def test_torch_zero_probabilities_have_finite_gradient():
    p = torch.tensor([[0.5, 0.0], [0.0, 0.5]], dtype=torch.float64, requires_grad=True)
    mutual_information_torch(p, base=2).backward()
    assert torch.isfinite(p.grad).all()
    with pytest.raises(ValueError, match=r"^pxy:"):
        mutual_information_torch(torch.tensor([0.5, 0.5]))
    with pytest.raises(ValueError, match=r"^p: probabilities must be non-negative"):
        entropy_torch(torch.tensor([1.5, -0.5]))
    with pytest.raises(ValueError, match=r"^p:"):
        entropy_torch(np.array([0.5, 0.5]))


def test_bad_arguments_raise_value_errors():
    with pytest.raises(ValueError, match=r"^base:"):
        entropy(XOR, base=1)
    with pytest.raises(ValueError, match=r"^y: unknown variables"):
        mutual_information(XOR, "X", "Q")
    with pytest.raises(ValueError, match=r"^x: unknown variables"):
        mutual_information(XOR, ["Q"], "X")
    with pytest.raises(ValueError, match=r"^variables: unknown variables"):
        entropy(XOR, "Q")
    with pytest.raises(ValueError, match=r"^given: unknown variables"):
        entropy(XOR, "X", given="Q")
    with pytest.raises(ValueError, match=r"^dist:"):
        entropy(np.ones(2) / 2)
    with pytest.raises(ValueError, match=r"^given:"):
        conditional_mutual_information(XOR, "X", "Y", None)
    with pytest.raises(ValueError, match=r"^groups:"):
        information(XOR, "XY")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_torch_versions_agree_on_cuda_and_cpu():
    logits = torch.randn(5, 4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    p = torch.softmax(logits.flatten(-2), -1).view_as(logits)
    for f in (mutual_information_torch, conditional_entropy_torch):
        cpu, cuda = f(p, base=2), f(p.cuda(), base=2)
        assert cuda.device.type == "cuda"
        torch.testing.assert_close(cuda.cpu(), cpu, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(entropy_torch(p.cuda().float()).cpu(), entropy_torch(p.float()),
                               rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- issue 12 regressions


def test_torch_measures_refuse_non_pmfs_by_name():
    # issue 12, item 11: entropy_torch(tensor([.75, 2.25])) was -1.61 and an empty pmf 0
    with pytest.raises(ValueError, match=r"^p: each pmf must sum to 1"):
        entropy_torch(torch.tensor([0.75, 2.25]))
    with pytest.raises(ValueError, match=r"^p: a pmf needs at least one outcome"):
        entropy_torch(torch.empty(0))
    with pytest.raises(ValueError, match=r"^p: a pmf needs at least one outcome"):
        entropy_torch(torch.empty(3, 0))
    with pytest.raises(ValueError, match=r"^p: each pmf must sum to 1"):
        entropy_torch(torch.tensor([[0.5, 0.5], [1.0, 0.0]]), dim=0)  # columns sum to 1.5, 0.5
    with pytest.raises(ValueError, match=r"^p: probabilities must be non-negative"):
        entropy_torch(torch.tensor([1.25, -0.25]))
    for f in (conditional_entropy_torch, mutual_information_torch):
        with pytest.raises(ValueError, match=r"^pxy: each pmf must sum to 1"):
            f(torch.ones(2, 2))
        with pytest.raises(ValueError, match=r"^pxy: each pmf must sum to 1"):
            f(torch.stack([torch.full((2, 2), 0.25), torch.full((2, 2), 0.5)]))  # one bad batch entry
        with pytest.raises(ValueError, match=r"^pxy: a pmf needs at least one outcome"):
            f(torch.empty(3, 0, 2))
        with pytest.raises(ValueError, match=r"^pxy: probabilities must be non-negative"):
            f(torch.tensor([[0.75, -0.25], [0.25, 0.25]]))
    with pytest.raises(ValueError, match=r"^dim: axis 3 is out of range"):
        entropy_torch(torch.tensor([0.5, 0.5]), dim=3)


def test_torch_measures_accept_pmfs_within_float_rounding():
    # softmax rows in float32 sum to 1 only up to rounding; float16 more coarsely
    p = torch.softmax(torch.randn(64, 1000, generator=torch.Generator().manual_seed(0)), -1)
    assert torch.allclose(entropy_torch(p), entropy_torch(p.double()).float(), atol=1e-4)
    q = torch.softmax(torch.randn(8, 10, generator=torch.Generator().manual_seed(1)), -1).half()
    assert torch.isfinite(entropy_torch(q)).all()
    joint = p[:8, :10] / p[:8, :10].sum()
    assert math.isfinite(float(mutual_information_torch(joint)))
    # the sum is checked, not renormalised: values equal the formula on the given entries
    assert float(entropy_torch(torch.tensor([0.5, 0.5 + 1e-9], dtype=torch.float64))) == pytest.approx(
        math.log(2), abs=1e-8)


def test_complex_pmfs_are_refused_by_name():
    # issue 12, item 6
    with pytest.raises(ValueError, match=r"^p: expected real numbers"):
        kl_divergence([0.5 + 0j, 0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match=r"^q: expected real numbers"):
        cross_entropy([0.5, 0.5], np.array([0.5, 0.5]) + 1j)
    with pytest.raises(ValueError, match=r"^p: expected a floating-point tensor"):
        entropy_torch(torch.tensor([0.5, 0.5], dtype=torch.complex64))
    with pytest.raises(ValueError, match=r"^dist: expected real numbers"):
        JointEntropies(np.full(2, 0.5) + 0j)

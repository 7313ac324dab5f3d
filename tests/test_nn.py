"""infoplane._nn: the MLP builder, seeded noise and seeded initialisation."""

from __future__ import annotations

import pytest
import torch

from infoplane._nn import mlp, randn, seeded


def test_seeded_gives_the_same_weights_and_leaves_the_global_rng_alone() -> None:
    torch.manual_seed(123)
    before = torch.get_rng_state()
    with seeded(7):
        a = mlp([3, 5, 2])
    after = torch.get_rng_state()
    assert torch.equal(before, after)
    with seeded(7):
        b = mlp([3, 5, 2])
    with seeded(8):
        c = mlp([3, 5, 2])
    for (name, pa), pb, pc in zip(a.named_parameters(), b.parameters(), c.parameters(), strict=True):
        assert torch.equal(pa, pb), name
        if name.endswith("weight"):
            assert not torch.equal(pa, pc), name
    # the same weights as seeding the global generator by hand
    torch.manual_seed(7)
    d = mlp([3, 5, 2])
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), d.parameters(), strict=True))


def test_seeded_none_uses_the_global_rng() -> None:
    torch.manual_seed(5)
    with seeded(None):
        a = torch.rand(3)
    torch.manual_seed(5)
    assert torch.equal(a, torch.rand(3))


def test_seeded_rejects_bad_seeds() -> None:
    with pytest.raises(ValueError, match=r"^seed:"), seeded(-1):
        pass


def test_randn_with_a_generator_is_reproducible_and_matches_torch() -> None:
    like = torch.zeros(1, dtype=torch.float64)
    a = randn((4,), like, torch.Generator().manual_seed(3))
    assert a.dtype == torch.float64
    assert torch.equal(a, torch.randn(4, generator=torch.Generator().manual_seed(3), dtype=torch.float64))


def test_mlp_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"^activation:"):
        mlp([2, 2], activation="swish")
    with pytest.raises(ValueError, match=r"^sizes:"):
        mlp([2])
    with pytest.raises(ValueError, match=r"^sizes:"):
        mlp([2, 0, 1])

"""infoplane.device() and infoplane.seed_everything()."""

import random

import numpy as np
import pytest
import torch

import infoplane as ip


def test_device_falls_back_to_cpu_without_cuda(monkeypatch):
    monkeypatch.delenv("INFOPLANE_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert ip.device() == torch.device("cpu")


def test_device_picks_cuda_when_available(monkeypatch):
    monkeypatch.delenv("INFOPLANE_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert ip.device().type == "cuda"


def test_environment_variable_overrides(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv("INFOPLANE_DEVICE", "cpu")
    assert ip.device() == torch.device("cpu")
    assert ip.device("cpu") == torch.device("cpu")


def test_a_torch_device_is_accepted_as_is():
    assert ip.device(torch.device("cpu")) == torch.device("cpu")


def test_empty_environment_variable_means_unset(monkeypatch):
    monkeypatch.setenv("INFOPLANE_DEVICE", "")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert ip.device() == torch.device("cpu")


@pytest.mark.parametrize("name", ["gpu0", "not a device"])
def test_bad_device_name_is_a_value_error(name):
    with pytest.raises(ValueError, match=rf"^device: '{name}' is not a torch device string"):
        ip.device(name)


def test_bad_environment_variable_is_a_value_error_naming_device(monkeypatch):
    monkeypatch.setenv("INFOPLANE_DEVICE", "gpu0")
    with pytest.raises(ValueError, match=r"^device: 'gpu0' is not a torch device string"):
        ip.device()


@pytest.mark.parametrize("name", [0, 1.5, ["cpu"]])
def test_device_of_a_wrong_type_is_a_type_error(name):
    with pytest.raises(TypeError, match=r"^device: expected a device string or torch.device"):
        ip.device(name)


@pytest.mark.parametrize("name", ["cuda", "cuda:1", torch.device("cuda")])
def test_cuda_without_cuda_is_a_value_error(monkeypatch, name):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=r"^device: 'cuda(:1)?' was asked for but CUDA is not available"):
        ip.device(name)


def test_a_cuda_index_past_the_last_gpu_is_a_value_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert ip.device("cuda:1") == torch.device("cuda:1")
    with pytest.raises(ValueError, match=r"^device: 'cuda:2' names GPU 2, but there are 2 \(0-1\)"):
        ip.device("cuda:2")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_real_cuda_is_chosen_by_default_and_computes_like_the_cpu(monkeypatch):
    monkeypatch.delenv("INFOPLANE_DEVICE", raising=False)
    dev = ip.device()
    assert dev.type == "cuda"
    gen = ip.seed_everything(0)
    x = torch.randn(64, 8, generator=gen)
    assert torch.allclose((x.to(dev) @ x.T.to(dev)).cpu(), x @ x.T, rtol=1e-4, atol=1e-4)


def test_seed_everything_repeats_all_generators():
    def draw():
        gen = ip.seed_everything(123)
        return (random.random(), np.random.rand(), torch.rand(3).tolist(),  # noqa: NPY002
                torch.rand(2, generator=gen).tolist())

    first, second = draw(), draw()
    assert first == second
    ip.seed_everything(124)
    assert torch.rand(3).tolist() != first[2]


def test_seed_everything_returns_a_generator_seeded_like_torch():
    gen = ip.seed_everything(7)
    fresh = torch.Generator().manual_seed(7)
    assert torch.equal(torch.rand(5, generator=gen), torch.rand(5, generator=fresh))


def test_seed_everything_accepts_numpy_integers_and_the_largest_seed():
    a = ip.seed_everything(np.int64(5))
    b = ip.seed_everything(5)
    assert torch.equal(torch.rand(3, generator=a), torch.rand(3, generator=b))
    ip.seed_everything(2**64 - 1)  # torch's generators take seeds below 2**64


@pytest.mark.parametrize("seed", [-1, 1.5, "3", True, 2**64, None])
def test_seed_everything_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match=r"^seed: expected an integer in \[0, 2\*\*64\)"):
        ip.seed_everything(seed)

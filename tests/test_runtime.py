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


@pytest.mark.parametrize("name", ["gpu0", "not a device"])
def test_bad_device_name_is_a_value_error(name):
    with pytest.raises(ValueError, match="device"):
        ip.device(name)


def test_cuda_without_cuda_is_a_value_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="CUDA is not available"):
        ip.device("cuda")


def test_seed_everything_repeats_all_generators():
    def draw():
        gen = ip.seed_everything(123)
        return (random.random(), np.random.rand(), torch.rand(3).tolist(),  # noqa: NPY002
                torch.rand(2, generator=gen).tolist())

    first, second = draw(), draw()
    assert first == second
    ip.seed_everything(124)
    assert torch.rand(3).tolist() != first[2]


@pytest.mark.parametrize("seed", [-1, 1.5, "3", True])
def test_seed_everything_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match="seed"):
        ip.seed_everything(seed)

"""The information-plane recorder: the declared protocol, layers, closed-form H[Z|X], schedules, digits."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import infoplane as ip
from infoplane._gaussian import ZERO_ENTROPY_LOG_VAR, GaussianLatent
from infoplane.bottleneck import GaussianEncoderClassifier, NoisyBottleneckClassifier, SurrogateIB
from infoplane.data import load_digits
from infoplane.estimators import entropy
from infoplane.plane import (
    DecodesLatent,
    InformationPlane,
    KnowsInformationTerms,
    LatentModel,
    log_spaced_epochs,
)
from infoplane.train import fit


@pytest.fixture(autouse=True)
def _quiet_small_sample_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _toy(n=300, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 6, generator=gen)
    y = (x[:, 0] > 0).long() + 2 * (x[:, 1] > 0).long()
    return x, y


def test_records_the_named_layers_and_their_activations():
    x, y = _toy()
    model = NoisyBottleneckClassifier(6, 4, hidden=(16, 12), latent_dim=3, noise_entropy=None, seed=0)
    plane = InformationPlane(x, y, layers=["encoder.1", "encoder.3", "decoder"], estimator="gaussian")
    rows = plane.record(model, epoch=0)
    assert [r["layer"] for r in rows] == ["encoder.1", "encoder.3", "decoder"]
    assert [r["dim"] for r in rows] == [16, 12, 4]
    with torch.no_grad():
        h1 = model.encoder[:2](x)
        logits = model(x).logits
    # the recorded entropy is the Gaussian entropy of exactly that layer's activations
    assert rows[0]["h_z"] == pytest.approx(entropy(h1.double().numpy(), "gaussian"), rel=1e-9)
    assert rows[2]["h_z"] == pytest.approx(entropy(logits.double().numpy(), "gaussian"), rel=1e-9)
    assert rows[0]["train_accuracy"] == pytest.approx(float((logits.argmax(1) == y).float().mean()))
    assert rows[0]["decoder_ce"] == pytest.approx(float(F.cross_entropy(logits, y)), rel=1e-5)
    with pytest.raises(ValueError, match=r"^layers:"):
        InformationPlane(x, y, layers=["nope"]).record(model)


def test_default_layer_is_the_declared_latent_scored_from_one_draw():
    x, y = _toy()
    make = lambda: NoisyBottleneckClassifier(6, 4, hidden=(16,), latent_dim=2, seed=1,  # noqa: E731
                                             generator=torch.Generator().manual_seed(7))
    model, twin = make(), make()
    assert isinstance(model, LatentModel) and isinstance(model, DecodesLatent)
    model.train()
    (row,) = InformationPlane(x, y, test_data=(x[:50], y[:50]), estimator="gaussian").record(model)
    assert model.training  # the recorder restores the mode
    assert row["layer"] == "z" and row["dim"] == 2
    # replay on an identical model: the latent of x, its logits, then the test set
    twin.eval()
    with torch.no_grad():
        latent = twin.latent(x)
        logits = twin.decode(latent.z)
        test_logits = twin(x[:50]).logits
    assert row["h_z"] == pytest.approx(entropy(latent.z.double().numpy(), "gaussian"), rel=1e-12)
    assert row["decoder_ce"] == pytest.approx(float(F.cross_entropy(logits, y)), rel=1e-6)
    assert row["train_accuracy"] == float((logits.argmax(1) == y).float().mean())
    assert row["test_accuracy"] == float((test_logits.argmax(1) == y[:50]).float().mean())
    # zero-entropy noise: H[Z|X] = 0 exactly and I(X;Z) = H[Z]
    assert row["h_z_given_x"] == 0.0 and row["i_xz"] == row["h_z"]
    p = np.bincount(y.numpy()) / len(y)
    assert row["h_y"] == pytest.approx(float(-(p * np.log(p)).sum()))
    by_class = sum(np.mean(y.numpy() == c) * entropy(latent.z[y == c].double().numpy(), "gaussian")
                   for c in range(4))
    assert row["h_z_given_y"] == pytest.approx(by_class, rel=1e-9)


def test_a_model_without_a_latent_is_a_type_error_naming_model():
    x, y = _toy(n=20)
    plain = nn.Sequential(nn.Linear(6, 4))
    assert not isinstance(plain, LatentModel)
    with pytest.raises(TypeError, match=r"^model:"):
        InformationPlane(x, y).record(plain)

    class WrongLatent(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(6, 4)

        def forward(self, x):
            return self.lin(x)

        def latent(self, x):
            return self.lin(x)   # a tensor, not a GaussianLatent

    with pytest.raises(TypeError, match=r"^model:"):
        InformationPlane(x, y).record(WrongLatent())


def test_gaussian_encoder_uses_its_closed_form_encoding_entropy():
    x, y = _toy()
    model = GaussianEncoderClassifier(6, 4, hidden=(16,), latent_dim=3, seed=0)
    (row,) = InformationPlane(x, y, estimator="gaussian").record(model)
    with torch.no_grad():
        out = model.encoder(x)
    normal = torch.distributions.Normal(out[:, :3], (0.5 * out[:, 3:].clamp(-12, 10)).exp())
    expected = float(normal.entropy().sum(1).mean())            # peer: torch.distributions
    assert row["h_z_given_x"] == pytest.approx(expected, rel=1e-6)
    deterministic = GaussianEncoderClassifier(6, 4, hidden=(16,), latent_dim=3, seed=0, sample_at_eval=False)
    (row,) = InformationPlane(x, y, estimator="gaussian").record(deterministic)
    assert row["h_z_given_x"] == 0.0            # Z = mean: the deterministic-layer convention


def test_the_default_mixture_estimator_uses_the_declared_noise_law():
    from infoplane.estimators import mixture_information

    x, y = _toy()
    model = GaussianEncoderClassifier(6, 4, hidden=(16,), latent_dim=3, seed=0)
    plane = InformationPlane(x, y, seed=5)
    (row,) = plane.record(model)
    model.eval()
    with torch.no_grad():
        latent = model.latent(x)
    ref = mixture_information(latent.mean, latent.log_var, y, seed=7, samples=5)   # seed + 2; 5 samples
    assert (row["estimator"], row["noise"]) == ("mixture", "model")
    assert row["i_xz"] == pytest.approx(ref.i_xz, rel=1e-12)
    assert row["i_zy"] == pytest.approx(ref.i_zy, rel=1e-12)
    assert row["h_z_given_x"] == pytest.approx(ref.h_z_given_x, rel=1e-12)
    assert row["i_xz_se"] == pytest.approx(ref.se_i_xz, rel=1e-12)
    assert row["h_x"] == pytest.approx(math.log(len(x)), abs=1e-12)
    with pytest.raises(ValueError, match=r"^noise_entropy:"):
        InformationPlane(x, y, noise_entropy=0.0).record(model)


class _FixedPoints(nn.Module):
    """x -> one of a few far-apart points (its class), with zero-entropy noise declared."""

    def __init__(self, points: torch.Tensor, noise: bool = True) -> None:
        super().__init__()
        self.points = nn.Parameter(points, requires_grad=False)
        self.noise = noise

    def latent(self, x):
        mean = self.points[x[:, 0].long()]
        log_var = torch.full_like(mean, ZERO_ENTROPY_LOG_VAR) if self.noise else None
        return GaussianLatent(mean, mean, log_var)

    def forward(self, x):
        return torch.nn.functional.one_hot(x[:, 0].long(), len(self.points)).float()


def test_well_separated_components_reach_the_closed_form_limit():
    """Components far apart: H[Z] -> ln n + H[noise] = ln n, I(X;Z) -> ln n and I(Z;Y) -> H[Y]."""
    n = 6
    points = torch.arange(n, dtype=torch.float64)[:, None] * torch.tensor([[100.0, -50.0]])
    x = torch.stack([torch.arange(n, dtype=torch.float64), torch.zeros(n, dtype=torch.float64)], 1)
    y = torch.tensor([0, 0, 0, 1, 1, 2])
    (row,) = InformationPlane(x, y).record(_FixedPoints(points))
    p = np.array([3, 2, 1]) / 6
    assert row["h_z_given_x"] == pytest.approx(0.0, abs=1e-12)
    assert row["h_z"] == pytest.approx(math.log(n), abs=1e-9)
    assert row["i_xz"] == pytest.approx(math.log(n), abs=1e-9) and row["i_xz_se"] < 1e-9
    assert row["i_zy"] == pytest.approx(float(-(p * np.log(p)).sum()), abs=1e-9)
    # the same points without declared noise: the recorder adds zero-entropy noise and says so
    (row,) = InformationPlane(x, y).record(_FixedPoints(points, noise=False))
    assert (row["noise"], row["noise_variance"]) == ("added", pytest.approx(1 / (2 * math.pi * math.e)))
    assert row["i_xz"] == pytest.approx(math.log(n), abs=1e-9)
    (row,) = InformationPlane(x, y, noise_entropy=1.0).record(_FixedPoints(points, noise=False))
    assert row["h_z_given_x"] == pytest.approx(2.0, rel=1e-12)        # 1 nat per dimension
    assert row["noise_variance"] == pytest.approx(math.exp(2.0) / (2 * math.pi * math.e), rel=1e-12)


def test_mixture_on_hooked_deterministic_layers_adds_stated_noise():
    x, y = _toy()
    model = NoisyBottleneckClassifier(6, 4, hidden=(16,), latent_dim=3, noise_entropy=None, seed=0)
    rows = InformationPlane(x, y, layers=["encoder.1"]).record(model)
    assert rows[0]["noise"] == "added" and rows[0]["i_xz"] <= math.log(len(x)) + 2 * rows[0]["i_xz_se"]
    with pytest.raises(ValueError, match=r"^estimator_kwargs:"):
        InformationPlane(x, y, estimator_kwargs={"bin_width": 0.5})


def test_model_information_terms_join_the_row():
    x, y = _toy(n=40)

    class Exact(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(6, 4)

        def forward(self, x):
            return self.lin(x)

        def latent(self, x):
            z = self.lin(x)
            return GaussianLatent(z, z, None)

        def information_terms(self, x, y):
            return {"l_x": torch.tensor(1.25), "l_y": 0.5}

    model = Exact()
    assert isinstance(model, KnowsInformationTerms) and not isinstance(model, DecodesLatent)
    (row,) = InformationPlane(x, y, estimator="gaussian").record(model)
    assert row["l_x"] == 1.25 and row["l_y"] == 0.5
    with torch.no_grad():
        assert row["decoder_ce"] == pytest.approx(float(F.cross_entropy(model(x), y)), rel=1e-6)


def test_added_noise_on_a_constant_layer_gives_zero_preserved_information():
    x, y = _toy(n=2000)
    model = NoisyBottleneckClassifier(6, 4, hidden=(8,), latent_dim=2, noise_entropy=None, seed=0)
    with torch.no_grad():
        for p in model.encoder.parameters():
            p.zero_()  # Z_hat = 0 for every input
    (row,) = InformationPlane(x, y, noise_entropy=0.5, max_samples=2000).record(model)
    assert row["h_z_given_x"] == pytest.approx(1.0)           # 2 dims x 0.5 nats
    assert row["h_z"] == pytest.approx(1.0, abs=0.1)          # only the noise is left
    assert abs(row["i_xz"]) < 0.1 and row["i_zy"] < 0.05


def test_kde_uses_the_kernel_noise_as_encoding_entropy():
    x, y = _toy()
    model = NoisyBottleneckClassifier(6, 4, hidden=(8,), latent_dim=3, noise_entropy=None, seed=0)
    (row,) = InformationPlane(x, y, estimator="kde", estimator_kwargs={"noise_variance": 0.1}).record(model)
    assert row["h_z_given_x"] == pytest.approx(1.5 * math.log(2 * math.pi * math.e * 0.1), rel=1e-12)
    with torch.no_grad():
        z = model.encoder(x).double().numpy()
    assert row["h_z"] == pytest.approx(entropy(z, "kde", noise_variance=0.1), rel=1e-12)
    with pytest.raises(ValueError, match=r"^estimator_kwargs:"):
        InformationPlane(x, y, estimator="kde", estimator_kwargs={"variance": 0.1})
    with pytest.raises(ValueError, match=r"^noise_variance:"):
        InformationPlane(x, y, estimator="kde", estimator_kwargs={"noise_variance": 0.0})


def test_schedules_of_recording():
    x, y = _toy(n=64)
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    model = NoisyBottleneckClassifier(6, 4, hidden=(8,), latent_dim=2, seed=0)
    by_steps = InformationPlane(x, y, estimator="gaussian", every_steps=3)
    at = InformationPlane(x, y, estimator="gaussian", at_epochs=[1, 3])
    every = InformationPlane(x, y, estimator="gaussian", every=2)
    fit(model, SurrogateIB(0.1), loader, torch.optim.Adam(model.parameters()), epochs=4,
        callbacks=[by_steps, at, every], progress=False, device="cpu")
    assert [r["step"] for r in by_steps.rows] == [3, 6, 9, 12, 15]
    assert [r["epoch"] for r in at.rows] == [1, 3]
    assert [r["epoch"] for r in every.rows] == [2, 4]
    assert log_spaced_epochs(50)[0] == 1 and log_spaced_epochs(50)[-1] == 50
    assert by_steps.overhead([{"seconds": by_steps.seconds * 10}]) == pytest.approx(0.1)


def test_loaded_recorder_plots_but_does_not_record(tmp_path):
    x, y = _toy()
    model = NoisyBottleneckClassifier(6, 4, hidden=(8,), latent_dim=2, seed=0)
    plane = InformationPlane(x, y, run="ib γ=0.1", params={"objective": "ib", "gamma": 0.1},
                             test_data=(x, y), estimator="gaussian")
    plane.record(model, epoch=0)
    plane.record(model, epoch=1, step=5)
    loaded = InformationPlane.load(plane.save(tmp_path / "plane.csv"))
    assert loaded.rows == plane.rows
    with pytest.raises(ValueError, match=r"^model:"):
        loaded.record(model)
    assert loaded.plot().get_lines()


def _train_digits(gamma: float, epochs: int):
    data = load_digits()
    gen = ip.seed_everything(0)
    model = NoisyBottleneckClassifier(64, 10, hidden=(64,), latent_dim=4)
    plane = InformationPlane(data.x_train, data.y_train, max_samples=500, at_epochs=[epochs],
                             run=f"gamma={gamma}", params={"gamma": gamma})
    loader = DataLoader(TensorDataset(data.x_train, data.y_train), batch_size=128, shuffle=True,
                        generator=gen)
    fit(model, SurrogateIB(gamma), loader, torch.optim.Adam(model.parameters(), lr=3e-3), epochs=epochs,
        callbacks=[plane], progress=False, device="cpu")
    return plane.rows[-1]


def test_larger_gamma_ends_with_smaller_latent_entropy_on_digits():
    small, large = _train_digits(0.003, 15), _train_digits(0.3, 15)
    assert small["estimator"] == "mixture" and small["noise"] == "model"   # zero-entropy noise, declared
    for row in (small, large):                      # the exact mixture's bounds: ln n and H[Y]
        assert row["h_x"] == pytest.approx(math.log(500), abs=1e-12)
        assert row["i_xz"] <= row["h_x"] + 2 * row["i_xz_se"]
        assert row["i_zy"] <= row["h_y"] + 2 * row["i_zy_se"]
        assert row["h_z_given_x"] == pytest.approx(0.0, abs=1e-6)   # float32 log-variances
    assert large["h_z"] < small["h_z"] - 1.0        # 3.2 against 6.2 nats
    assert large["h_z_given_y"] < small["h_z_given_y"]
    assert small["train_accuracy"] > 0.7            # the small-gamma net did learn


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_and_cpu_records_agree():
    x, y = _toy()
    cpu = GaussianEncoderClassifier(6, 4, hidden=(16,), latent_dim=3, seed=0,
                                    generator=torch.Generator().manual_seed(1))
    gpu = GaussianEncoderClassifier(6, 4, hidden=(16,), latent_dim=3, seed=0,
                                    generator=torch.Generator().manual_seed(1)).cuda()
    (a,) = InformationPlane(x, y, estimator="gaussian").record(cpu)
    (b,) = InformationPlane(x, y, estimator="gaussian").record(gpu)
    for key in ("h_z", "h_z_given_y", "h_z_given_x", "i_zy", "decoder_ce"):
        assert a[key] == pytest.approx(b[key], rel=1e-4, abs=1e-5), key


def test_bad_arguments_name_themselves():
    x, y = _toy(n=10)
    with pytest.raises(ValueError, match=r"^estimator:"):
        InformationPlane(x, y, estimator="mine")
    with pytest.raises(ValueError, match=r"^estimator:"):
        InformationPlane(x, y, estimator="ksg")      # the old name of "kl"
    with pytest.raises(ValueError, match=r"^y:"):
        InformationPlane(x, y[:5])
    with pytest.raises(ValueError, match=r"^y:"):
        InformationPlane(x, y.float())
    with pytest.raises(ValueError, match=r"^every:"):
        InformationPlane(x, y, every=0)
    with pytest.raises(ValueError, match=r"^max_samples:"):
        InformationPlane(x, y, max_samples=1)


def test_a_resumed_run_keeps_the_rows_recorded_before_the_checkpoint(tmp_path) -> None:
    from torch.utils.data import DataLoader, TensorDataset

    from infoplane.bottleneck import NoisyBottleneckClassifier, SurrogateIB
    from infoplane.train import fit

    x, y = torch.randn(120, 5, generator=torch.Generator().manual_seed(0)), torch.arange(120) % 2

    def run(epochs: int, resume: bool) -> list[dict]:
        model = NoisyBottleneckClassifier(5, 2, hidden=(8,), latent_dim=2, seed=0,
                                          generator=torch.Generator().manual_seed(1))
        plane = InformationPlane(x, y, estimator="gaussian", noise_entropy=0.5)
        loader = DataLoader(TensorDataset(x, y), batch_size=40, shuffle=True,
                            generator=torch.Generator().manual_seed(2))
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        fit(model, SurrogateIB(0.1), loader, opt, epochs=epochs, callbacks=[plane], progress=False,
            checkpoint_path=tmp_path / "ckpt.pt", resume_from=(tmp_path / "ckpt.pt") if resume else None)
        return [{k: v for k, v in r.items() if k != "seconds"} for r in plane.rows]

    straight = run(4, resume=False)
    run(2, resume=False)
    resumed = run(4, resume=True)
    assert [r["epoch"] for r in resumed] == [1, 2, 3, 4]
    assert resumed == straight


@pytest.mark.parametrize("name, value", [("label_entropy", math.nan), ("label_entropy", -1.0),
                                         ("noise_entropy", "a"), ("noise_entropy", math.inf)])
def test_unvalidated_entropies_are_refused(name, value):
    x, y = _toy(50)
    with pytest.raises(ValueError, match=rf"^{name}:"):
        InformationPlane(x, y, **{name: value})


@pytest.mark.parametrize("name, x, y", [("y", torch.zeros(2, 3), [[0, 1], [1]]), ("x", ["a", "b"], [0, 1]),
                                        ("x", torch.zeros(2, 3) * 1j, [0, 1])])
def test_data_that_is_not_an_array_of_numbers_names_the_argument(name, x, y):
    with pytest.raises(ValueError, match=rf"^{name}:"):
        InformationPlane(x, y)

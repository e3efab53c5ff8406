"""A real pythae VAE folder (tests/fixtures/pythae_vae, made by make_pythae_fixture.py) imports, and
the dashboard's test -ELBO of it equals pythae's own evaluation within the noise of drawing z."""
import json
import pickle
import re
import shutil
from pathlib import Path

import pytest
import torch

from vae.data import load_dataset
from vae.import_model import ImportRefused, import_model, imported_from
from vae.losses import evaluate
from vae.run import validate_run_folder

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "pythae_vae"


def test_the_pythae_folder_imports_and_its_elbo_matches_pythaes(tmp_path):
    run = import_model(FIXTURE, "mnist-5k", "pythae", tmp_path)
    assert validate_run_folder(run.path) == []
    config, _ = run.read_config()
    assert (config.hidden, config.latent_dim, config.likelihood) == ((512,), 4, "bernoulli")
    record = imported_from(run)
    assert record["format"] == "pythae" and record["model"] == "VAE"
    assert set(record["files"]) == {"model.pt", "model_config.json"}
    pythae = json.loads((FIXTURE / "pythae_eval.json").read_text())
    x = torch.from_numpy(load_dataset("mnist-5k").test_x.copy())
    model = run.load_model()
    draws = [evaluate(model, x, generator=torch.Generator().manual_seed(s)) for s in range(20)]
    ours = {k: sum(d[k] for d in draws) / len(draws) for k in ("neg_elbo", "recon", "kl")}
    # each side's mean over 20 draws has a standard error near 0.05 nats (pythae_eval.json's
    # loss_std_over_draws / sqrt(20)); 0.5 nats is ten of them
    assert abs(ours["neg_elbo"] - pythae["loss"]) < 0.5, (ours, pythae)
    assert abs(ours["kl"] - pythae["kl"]) < 0.1
    assert f"{pythae['loss']:.0f}"[:2] in run.read_status()["message"]


def copy_fixture(tmp_path) -> Path:
    folder = tmp_path / "src" / "pythae_vae"
    shutil.copytree(FIXTURE, folder)
    return folder


class Payload:
    def __reduce__(self):
        return (exec, ("open('EXECUTED', 'w').write('x')",))


def test_a_folder_with_pickled_code_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = copy_fixture(tmp_path)
    (folder / "encoder.pkl").write_bytes(pickle.dumps(Payload()))
    with pytest.raises(ImportRefused, match="encoder.pkl.*cloudpickled code.*run that code"):
        import_model(folder, "mnist-5k", "p", tmp_path / "runs")
    assert not (tmp_path / "EXECUTED").exists()
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


@pytest.mark.parametrize("change, words", [
    ({"latent_dim": 5}, "latent_dim 5, but its weights have 4"),
    ({"input_dim": [1, 8, 8]}, "images of shape [1, 8, 8]"),
    ({"reconstruction_loss": "l1"}, "only bce"),
    ({"name": "VQVAEConfig"}, "only VAE and beta-VAE"),
    ({"uses_default_encoder": False}, "uses_default_encoder is false"),
])
def test_a_config_that_does_not_fit_is_refused(tmp_path, change, words):
    folder = copy_fixture(tmp_path)
    settings = json.loads((folder / "model_config.json").read_text())
    (folder / "model_config.json").write_text(json.dumps({**settings, **change}))
    with pytest.raises(ImportRefused, match=re.escape(words)):
        import_model(folder, "mnist-5k", "p", tmp_path / "runs")
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_mse_becomes_a_gaussian_of_sigma_one_and_beta_vae_keeps_its_beta(tmp_path):
    folder = copy_fixture(tmp_path)
    settings = json.loads((folder / "model_config.json").read_text())
    (folder / "model_config.json").write_text(json.dumps(
        {**settings, "name": "BetaVAEConfig", "beta": 4.0, "reconstruction_loss": "mse"}))
    run = import_model(folder, "mnist-5k", "beta", tmp_path / "runs")
    config, _ = run.read_config()
    assert (config.likelihood, config.beta) == ("gaussian", 4.0)
    assert run.load_model().log_sigma_x.item() == 0.0

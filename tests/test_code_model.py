"""Runs whose model is imported Python code (vae.code_model): they open only when the user trusts
code, then give the module's own numbers; the trainer, the HTML export and the browser's decoder
say why they do not take them."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from tests.import_fixtures import make_leaky_means, make_tanh
from ui.components.decoder import encode_payload, runs_in_browser
from ui.export import CODE_RUN_PROBLEM, ExportError, export_html, export_problem
from vae.archive import import_run, pack_run
from vae.code_model import CodeVAE
from vae.trust import TRUST_ENV
from vae.data import load_dataset
from vae.import_model import import_model
from vae.losses import evaluate
from vae.model import VAE, ConfigError, VAEConfig
from vae.run import NeedsTrust, RunDir, RunError

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def x():
    return torch.from_numpy(load_dataset("mnist-5k").test_x[:100].copy())


FACTORIES = {"make_tanh": make_tanh, "make_leaky_means": make_leaky_means}


def _import(tmp_path, factory, name="mine") -> tuple[RunDir, torch.nn.Module]:
    net = FACTORIES[factory]()
    save_file(net.state_dict(), tmp_path / f"{name}.safetensors")
    run = import_model(None, "mnist-5k", name, tmp_path / "runs",
                       module=f"tests.import_fixtures:{factory}",
                       weights=tmp_path / f"{name}.safetensors", trust_code=True)
    return run, net.eval()


@pytest.fixture
def in_project(monkeypatch):
    monkeypatch.chdir(PROJECT)
    monkeypatch.delenv(TRUST_ENV, raising=False)
    return monkeypatch


def test_a_code_run_opens_only_when_code_is_trusted(tmp_path, in_project):
    run, _ = _import(tmp_path, "make_tanh")
    with pytest.raises(NeedsTrust) as exc:
        run.load_model()
    assert exc.value.reason.startswith("needs --trust-code: its model is the Python code "
                                       "tests.import_fixtures:make_tanh")
    assert "make run TRUST_CODE=1" in str(exc.value)
    in_project.setenv(TRUST_ENV, "1")
    assert isinstance(run.load_model(), CodeVAE)


def test_a_trusted_code_run_gives_the_modules_own_numbers(tmp_path, in_project, x):
    run, net = _import(tmp_path, "make_tanh")
    in_project.setenv(TRUST_ENV, "1")
    model = run.load_model()
    with torch.no_grad():
        q = net.encode(x)
        mine = model.encode(x)
        assert torch.equal(mine.mu, q.loc)
        assert (mine.std - q.scale).abs().max() < 1e-6
        logits = model.decode_logits(mine.mu)
        assert logits.shape == (100, 1, 28, 28)
        assert torch.equal(logits.reshape(100, -1), net.decode(q.loc))
        # the import measured the same -ELBO the dashboard computes now
        again = evaluate(model, x, generator=torch.Generator().manual_seed(0))
    assert torch.isfinite(torch.tensor(again["neg_elbo"]))


def test_a_module_that_decodes_means(tmp_path, in_project, x):
    """LeakyReLU and a sigmoid at the end: decode gives means, kept within 1e-6 as logits."""
    run, net = _import(tmp_path, "make_leaky_means")
    in_project.setenv(TRUST_ENV, "1")
    model = run.load_model()
    assert model.means and run.read_raw_config()["imported_from"]["decodes_means"] is True
    with torch.no_grad():
        z = torch.randn(50, 3, generator=torch.Generator().manual_seed(1))
        assert (model.decode_mean(z).reshape(50, -1) - net.decode(z)).abs().max() < 1e-5


def test_the_browser_and_the_html_export_do_not_take_code(tmp_path, in_project):
    run, _ = _import(tmp_path, "make_tanh")
    assert export_problem(run) == CODE_RUN_PROBLEM  # without loading: no code runs for this
    in_project.setenv(TRUST_ENV, "1")
    model = run.load_model()
    assert not runs_in_browser(model)
    with pytest.raises(ValueError, match="not imported Python code"):
        encode_payload(model)
    with pytest.raises(ExportError, match="imported Python code"):
        export_html(run)


@pytest.mark.slow
def test_the_trainer_refuses_to_resume_a_code_run(tmp_path, in_project):
    run, _ = _import(tmp_path, "make_tanh")
    out = subprocess.run([sys.executable, "-m", "vae.train", "--resume", run.name, "--root",
                          str(run.path.parent), "--threads", "1"], capture_output=True,
                         text=True, cwd=PROJECT, timeout=300)
    assert out.returncode == 2
    assert "is Python code imported with --module; the trainer trains only" in out.stderr
    assert "Traceback" not in out.stderr


def test_a_code_run_survives_the_zip_round_trip_still_untrusted(tmp_path, in_project):
    run, _ = _import(tmp_path, "make_tanh")
    again = import_run(pack_run(run), tmp_path / "b").run
    with pytest.raises(NeedsTrust):
        again.load_model()
    in_project.setenv(TRUST_ENV, "1")
    assert isinstance(again.load_model(), CodeVAE)


def test_the_code_arch_is_not_a_trainable_config():
    with pytest.raises(ConfigError, match="no hidden sizes"):
        VAEConfig(arch="code", hidden=(400,))
    with pytest.raises(ConfigError, match="built from its own module"):
        VAE(VAEConfig(arch="code", hidden=()))


def test_a_code_run_whose_record_is_not_an_object_says_so(tmp_path, in_project):
    """config.json is a file: an "imported_from" that is not an object is a sentence, not a
    traceback, with or without trust."""
    import json
    run, _ = _import(tmp_path, "make_tanh")
    raw = run.read_raw_config()
    raw["imported_from"] = "somewhere"
    run.config_file.write_text(json.dumps(raw))
    with pytest.raises(NeedsTrust, match="needs --trust-code"):
        run.load_model()
    in_project.setenv(TRUST_ENV, "1")
    with pytest.raises(RunError, match="own code fails: --module must be pkg.mod:factory"):
        run.load_model()

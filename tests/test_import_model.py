"""vae.import_model: a VAE trained elsewhere becomes an ordinary run, or is refused, leaving
nothing behind."""
import json
import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from tests.import_fixtures import ExamplesVAE, make_two_layer, train_examples
from vae.archive import import_run, pack_run
from vae.data import load_dataset
from vae.import_model import ImportRefused, imported_from, import_model, main
from vae.run import RunDir, validate_run_folder

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def mnist():
    return load_dataset("mnist-5k")


@pytest.fixture(scope="session")
def examples_checkpoint(tmp_path_factory, mnist):
    """A pytorch/examples VAE trained two epochs on mnist-5k's training set, as its script does."""
    torch.set_num_threads(1)
    model = train_examples(torch.from_numpy(mnist.train_x.copy()), epochs=2)
    path = tmp_path_factory.mktemp("examples") / "vae.pt"
    torch.save(model.state_dict(), path)
    return path, model


def leftovers(root: Path) -> list[str]:
    return sorted(os.listdir(root)) if root.exists() else []


def test_examples_checkpoint_matches_the_original_network(examples_checkpoint, mnist, tmp_path):
    path, original = examples_checkpoint
    run = import_model(path, "mnist-5k", "examples", tmp_path)
    assert validate_run_folder(run.path) == []
    assert sorted(os.listdir(run.path)) == ["config.json", "model.safetensors", "status.json"]
    model = run.load_model()
    x = torch.from_numpy(mnist.test_x.copy())
    with torch.no_grad():
        mu, logvar = original.encode(x.view(-1, 784))
        q = model.encode(x)
        z = torch.randn(500, 20, generator=torch.Generator().manual_seed(5))
        assert (q.mu - mu).abs().max() < 1e-5
        assert (q.logvar - logvar).abs().max() < 1e-5
        assert (model.decode_mean(z).reshape(500, -1) - original.decode(z)).abs().max() < 1e-5
    record = imported_from(run)
    assert record["format"] == "pytorch-examples" and record["source"] == "vae.pt"
    import hashlib
    assert record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    status = run.read_status()
    assert status["state"] == "finished" and "Imported from vae.pt" in status["message"]
    assert "no training curves" in status["message"]
    assert run.read_metrics() == []


def test_other_widths_with_that_layout_import(mnist, tmp_path):
    model = ExamplesVAE(784, hidden=37, latent=2)
    torch.save(model.state_dict(), tmp_path / "small.pth")
    run = import_model(tmp_path / "small.pth", "mnist-5k", "small", tmp_path / "runs")
    config, _ = run.read_config()
    assert (config.hidden, config.latent_dim, config.likelihood) == ((37,), 2, "bernoulli")
    x = torch.from_numpy(mnist.test_x[:100].copy())
    with torch.no_grad():
        assert (run.load_model().encode(x).mu - model.encode(x.view(-1, 784))[0]).abs().max() < 1e-5


def test_the_imported_run_survives_the_zip_export_with_its_record(examples_checkpoint, tmp_path):
    run = import_model(examples_checkpoint[0], "mnist-5k", "zipped", tmp_path / "a")
    again = import_run(pack_run(run), tmp_path / "b").run
    assert imported_from(again)["sha256"] == imported_from(run)["sha256"]
    assert again.read_status()["state"] == "finished"


def refused(words, *args, root, **kwargs):
    with pytest.raises(ImportRefused) as exc:
        import_model(*args, root=root, **kwargs)
    assert words in str(exc.value), str(exc.value)
    assert [n for n in leftovers(root) if n != "src"] == []  # nothing left behind
    return str(exc.value)


def test_wrong_image_size_is_refused_naming_the_mismatch(tmp_path):
    torch.save(ExamplesVAE(64, 20, 2).state_dict(), tmp_path / "digits8.pt")
    message = refused("64 pixels", tmp_path / "digits8.pt", "mnist-5k", "x", root=tmp_path / "r")
    assert "28x28" in message


def test_nan_weights_are_refused(tmp_path):
    state = ExamplesVAE(784, 20, 2).state_dict()
    state["fc4.bias"][3] = float("nan")
    torch.save(state, tmp_path / "nan.pt")
    refused("NaN", tmp_path / "nan.pt", "mnist-5k", "x", root=tmp_path / "r")


def test_latent_size_out_of_range_is_refused(tmp_path):
    torch.save(ExamplesVAE(784, 20, 65).state_dict(), tmp_path / "wide.pt")
    refused("latent size of 65", tmp_path / "wide.pt", "mnist-5k", "x", root=tmp_path / "r")


def test_a_state_dict_of_another_network_is_refused(tmp_path):
    torch.save({"conv.weight": torch.zeros(3, 1, 3, 3)}, tmp_path / "other.pt")
    refused("not a pytorch/examples", tmp_path / "other.pt", "mnist-5k", "x", root=tmp_path / "r")


def test_layers_that_do_not_chain_are_refused(tmp_path):
    state = ExamplesVAE(784, 20, 2).state_dict()
    state["fc3.weight"] = torch.zeros(20, 3)
    torch.save(state, tmp_path / "bad.pt")
    refused("do not chain", tmp_path / "bad.pt", "mnist-5k", "x", root=tmp_path / "r")


class Payload:
    def __reduce__(self):
        return (os.system, (f"touch {Path(os.environ['PAYLOAD_MARK'])}",))


def test_a_pickle_payload_never_executes(tmp_path, monkeypatch):
    mark = tmp_path / "executed"
    monkeypatch.setenv("PAYLOAD_MARK", str(mark))
    state = ExamplesVAE(784, 20, 2).state_dict()
    # inside a real torch archive: torch.load(weights_only=True) refuses the global
    torch.save({**state, "extra": Payload()}, tmp_path / "evil.pt")
    refused("weights only", tmp_path / "evil.pt", "mnist-5k", "x", root=tmp_path / "r")
    # and as a bare pickle, the legacy format: never handed to torch.load at all
    (tmp_path / "bare.pt").write_bytes(pickle.dumps(Payload()))
    refused("not a torch checkpoint", tmp_path / "bare.pt", "mnist-5k", "x", root=tmp_path / "r")
    assert not mark.exists()


def test_a_zip_that_is_not_a_torch_archive_is_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "notes.pt", "w") as z:
        z.writestr("readme.txt", "hello")
    refused("not a torch checkpoint", tmp_path / "notes.pt", "mnist-5k", "x", root=tmp_path / "r")
    (tmp_path / "junk.pt").write_bytes(os.urandom(4096))
    refused("not a torch checkpoint", tmp_path / "junk.pt", "mnist-5k", "x", root=tmp_path / "r")


def test_a_huge_declared_shape_is_refused_before_it_is_read(tmp_path):
    state = ExamplesVAE(784, 20, 2).state_dict()
    # 2 x 10^10 elements declared over single stored floats, in a layout that chains: reading
    # them would need 80 GB, and the pixel count is refused before any value is touched
    n = 10**9
    state["fc1.weight"] = torch.zeros(1).expand(20, n)
    state["fc4.weight"] = torch.zeros(1).expand(n, 20)
    state["fc4.bias"] = torch.zeros(1).expand(n)
    torch.save(state, tmp_path / "huge.pt")
    assert (tmp_path / "huge.pt").stat().st_size < 1_000_000
    refused(f"takes images of {n} pixels", tmp_path / "huge.pt", "mnist-5k", "x",
            root=tmp_path / "r")


def test_a_storage_declaring_more_bytes_than_its_record_is_refused(tmp_path):
    """A hand-edited archive whose storage claims 10^11 floats over a 16-byte record."""
    torch.save({"fc1.weight": torch.zeros(4)}, tmp_path / "small.pt")
    with zipfile.ZipFile(tmp_path / "small.pt") as src, \
            zipfile.ZipFile(tmp_path / "lying.pt", "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("data.pkl"):
                # the storage's element count is pickled as a small int after 'cpu'
                marker = b"X\x03\x00\x00\x00cpuq"
                at = data.index(marker)
                head = data[:at + len(marker) + 1]
                rest = data[at + len(marker) + 1:]
                assert rest[:2] == b"K\x04", rest[:8]  # BININT1 4
                data = head + b"\x8a\x05" + (10**11).to_bytes(5, "little") + rest[2:]
            dst.writestr(info, data)
    import resource
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # the storage is mapped from its 16-byte record, never allocated at its declared 400 GB; the
    # file is then refused for what it holds
    refused("not a pytorch/examples", tmp_path / "lying.pt", "mnist-5k", "x", root=tmp_path / "r")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 1_000_000  # KiB


def test_a_symlinked_source_is_refused(examples_checkpoint, tmp_path):
    (tmp_path / "link.pt").symlink_to(examples_checkpoint[0])
    refused("symbolic link", tmp_path / "link.pt", "mnist-5k", "x", root=tmp_path / "r")


def test_an_existing_name_and_a_bad_name_are_refused(examples_checkpoint, tmp_path):
    import_model(examples_checkpoint[0], "mnist-5k", "taken", tmp_path)
    with pytest.raises(ImportRefused, match="already exists"):
        import_model(examples_checkpoint[0], "mnist-5k", "taken", tmp_path)
    with pytest.raises(ImportRefused, match="not allowed"):
        import_model(examples_checkpoint[0], "mnist-5k", "../up", tmp_path)


# --- format 3: your own nn.Module

def test_a_mappable_module_imports_with_trust_code(mnist, tmp_path, monkeypatch):
    monkeypatch.chdir(PROJECT)
    net = make_two_layer()
    save_file(net.state_dict(), tmp_path / "mine.safetensors")
    with pytest.raises(ImportRefused, match="needs --trust-code: importing it runs"):
        import_model(None, "mnist-5k", "mine", tmp_path / "runs",
                     module="tests.import_fixtures:make_two_layer",
                     weights=tmp_path / "mine.safetensors")
    assert leftovers(tmp_path / "runs") == []
    run = import_model(None, "mnist-5k", "mine", tmp_path / "runs",
                       module="tests.import_fixtures:make_two_layer",
                       weights=tmp_path / "mine.safetensors", trust_code=True)
    config, _ = run.read_config()
    assert config.hidden == (64, 32) and config.latent_dim == 3
    x = torch.from_numpy(mnist.test_x[:200].copy())
    model = run.load_model()
    with torch.no_grad():
        q = net.encode(x)
        assert (model.encode(x).mu - q.loc).abs().max() < 1e-5
        z = q.loc
        assert (model.decode_logits(z).reshape(200, -1) - net.decode(z)).abs().max() < 1e-5
    assert imported_from(run)["module"] == "tests.import_fixtures:make_two_layer"


def test_a_module_whose_layers_do_not_map_imports_as_its_own_code(tmp_path, monkeypatch):
    """Tanh layers are not this engine's: the run keeps the module's weights and names its
    factory, and opening it needs trust."""
    monkeypatch.chdir(PROJECT)
    from tests.import_fixtures import make_tanh
    net = make_tanh()
    torch.save(net.state_dict(), tmp_path / "tanh.pt")
    refused("needs --trust-code", None, "mnist-5k", "t", root=tmp_path / "runs",
            module="tests.import_fixtures:make_tanh", weights=tmp_path / "tanh.pt")
    run = import_model(None, "mnist-5k", "t", tmp_path / "runs",
                       module="tests.import_fixtures:make_tanh", weights=tmp_path / "tanh.pt",
                       trust_code=True)
    config, _ = run.read_config()
    record = imported_from(run)
    assert config.arch == "code" and config.latent_dim == 3 and config.hidden == ()
    assert record["module"] == "tests.import_fixtures:make_tanh" and "Tanh" in record["not_mapped"]
    assert record["folder"] == str(PROJECT) and record["decodes_means"] is False
    assert validate_run_folder(run.path) == []  # a sound run, only not trusted
    assert set(run.check_weights(run.weights_file, config)) == set(net.state_dict())


# --- the command line

@pytest.mark.slow
def test_cli_honours_vae_runs_root_and_says_why_it_refuses(examples_checkpoint, tmp_path):
    env = {**os.environ, "VAE_RUNS_ROOT": str(tmp_path / "env-root"), "OMP_NUM_THREADS": "1"}
    ok = subprocess.run([sys.executable, "-m", "vae.import_model", str(examples_checkpoint[0]),
                         "--dataset", "mnist-5k", "--name", "cli"], cwd=PROJECT, env=env,
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "env-root" / "cli" / "model.safetensors").exists()
    bad = subprocess.run([sys.executable, "-m", "vae.import_model", "--module", "x:y",
                          "--weights", "w.pt", "--dataset", "mnist-5k", "--name", "m"],
                         cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "needs --trust-code" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_help_names_the_three_formats(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "pytorch/examples" in out and "pythae" in out and "--trust-code" in out


@pytest.mark.slow
def test_train_cli_honours_vae_runs_root(tmp_path):
    env = {**os.environ, "VAE_RUNS_ROOT": str(tmp_path), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "vae.train", "--dataset", "digits",
                           "--epochs", "1", "--latent-dim", "2", "--hidden", "16", "--name",
                           "envrun", "--quiet"],
                          cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert RunDir(tmp_path / "envrun").read_status()["state"] == "finished"
    assert json.loads((tmp_path / "envrun" / "config.json").read_text())["train"]["epochs"] == 1


def test_a_module_in_the_conv_layout_converts_and_runs_in_the_browser(mnist, tmp_path,
                                                                        monkeypatch):
    monkeypatch.chdir(PROJECT)
    monkeypatch.delenv("VAE_TRUST_CODE", raising=False)
    from tests.import_fixtures import make_conv
    from ui.components.decoder import decode_payload, encode_payload, runs_in_browser
    net = make_conv().eval()
    save_file(net.state_dict(), tmp_path / "conv.safetensors")
    run = import_model(None, "mnist-5k", "conv", tmp_path / "runs",
                       module="tests.import_fixtures:make_conv",
                       weights=tmp_path / "conv.safetensors", trust_code=True)
    config, _ = run.read_config()
    assert config.arch == "conv" and config.hidden == (8, 16) and config.latent_dim == 4
    assert "not_mapped" not in imported_from(run)
    model = run.load_model()  # no trust needed: no code of the module runs again
    assert runs_in_browser(model)
    x = torch.from_numpy(mnist.test_x[:100].copy())
    with torch.no_grad():
        mu, logvar = net.encode(x)
        q = model.encode(x)
        assert (q.mu - mu).abs().max() < 1e-5 and (q.logvar - logvar).abs().max() < 1e-5
        means = model.decode_mean(mu)
        assert (means - net.decode(mu)).abs().max() < 1e-5
    browser = decode_payload(encode_payload(model), mu[:5].numpy())
    assert abs(browser.reshape(5, -1) - means[:5].reshape(5, -1).numpy()).max() < 1e-4

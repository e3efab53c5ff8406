"""Issue 12, pages: a runs root full of hostile and broken run folders (built in a temporary
folder) leaves every page free of exceptions. Each damaged run is named with what is wrong, the
good run beside them works, Stop never signals a stranger, downloads and Delete refuse links."""
import json
import math
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file
from streamlit.testing.v1 import AppTest

from tests.conftest import PROJECT, page_app
from vae.model import VAE, VAEConfig
from vae.run import DEFAULT_ROOT, RunDir
from ui.sections.runs import DELETE_OPEN

GOOD = "mnist5k-2d"
MODEL_PAGES = ("latent", "reconstructions", "generate", "explain", "replay", "presenter")
RUN_PAGES = ("train", "runs", "rate_distortion")


def _config(run: Path, section: str, **values):
    raw = json.loads((run / "config.json").read_text())
    raw[section].update(values)
    (run / "config.json").write_text(json.dumps(raw))


def _append(run: Path, line: bytes):
    with (run / "metrics.jsonl").open("ab") as f:
        f.write(line + b"\n")


def _save_8x8_weights(run: Path):
    """Weights for 8x8 images in the run's own architecture (hidden sizes, latent), so that the
    image size is the one thing that differs from the run's config and dataset."""
    model_cfg, _ = RunDir(run).read_config()
    state = VAE(VAEConfig(image_shape=(1, 8, 8), latent_dim=model_cfg.latent_dim,
                          hidden=model_cfg.hidden)).state_dict()
    save_file({k: v.contiguous() for k, v in state.items()}, str(run / "model.safetensors"))


def corrupt_epoch(good: Path) -> int:
    """The snapshot that snapshot-odd corrupts: one in the middle (Replay reads the first and last
    to frame its plot, so a corrupt one there is refused for the whole run, not per frame)."""
    return RunDir(good).snapshot_epochs()[1]


def build_hostile_root(root: Path, stranger_pid: int) -> dict[str, str]:
    """The good shipped run and one folder per attack of issue 12; returns {run: what it tries}."""
    good = DEFAULT_ROOT / GOOD
    if not (good / "model.safetensors").exists():
        pytest.skip(f"the shipped run {good} is missing: `make shipped-runs`")
    root.mkdir(parents=True)
    shutil.copytree(good, root / GOOD)
    outside = root.parent / "outside"
    outside.mkdir()
    (outside / "secret.bin").write_bytes(b"SECRET-OUTSIDE-THE-RUNS-ROOT")

    def copy(name: str) -> Path:
        shutil.copytree(good, root / name)
        return root / name

    attacks = {}

    def attack(name: str, what: str) -> Path:
        attacks[name] = what
        return copy(name)

    (attack("status-list", "status.json [1, 2]") / "status.json").write_text("[1, 2]")
    (attack("status-utf8", "status.json not UTF-8") / "status.json").write_bytes(b"\xff\xfe{}")
    _append(attack("metrics-list", "a metrics line [1,2,3]"), b"[1,2,3]")
    _append(attack("metrics-ff", "a metrics line 0xff"), b"\xff")
    _append(attack("metrics-epoch-three", 'a metrics line with "epoch":"three"'),
            b'{"kind": "epoch", "step": 961, "epoch": "three", "test/recon": 1, "test/kl": 1, '
            b'"test/neg_elbo": 2}')
    _append(attack("metrics-no-epoch", "an epoch row without epoch"),
            b'{"kind": "epoch", "step": 961, "test/recon": 1, "test/kl": 1, "test/neg_elbo": 2}')
    (attack("config-deep", "config.json nested 100,000 deep") / "config.json").write_text(
        '{"model": ' + "[" * 100_000 + "]" * 100_000 + ', "train": {}}')
    _config(attack("config-latent-float", "latent_dim 2.5"), "model", latent_dim=2.5)
    _config(attack("config-latent-true", "latent_dim true"), "model", latent_dim=True)
    _config(attack("config-seed-abc", 'seed "abc"'), "train", seed="abc")
    _config(attack("config-seed-huge", "seed 1e30"), "train", seed=1e30)
    _config(attack("config-batch-float", "batch_size 1.5"), "train", batch_size=1.5)
    _config(attack("config-huge-image", "image_shape [1, 100000, 100000]"), "model",
            image_shape=[1, 100000, 100000])
    _save_8x8_weights(attack("weights-wrong-image", "weights of 8x8 images, config of 28x28"))
    run = attack("dataset-mismatch", "a config of 8x8 images on MNIST's 28x28")
    _config(run, "model", image_shape=[1, 8, 8])
    _save_8x8_weights(run)
    run = attack("weights-nan", "NaN weights")
    state = load_file(str(run / "model.safetensors"))
    state["to_mu.weight"][0, 0] = math.nan
    save_file(state, str(run / "model.safetensors"))
    corrupt = RunDir(good).snapshot_file(corrupt_epoch(good)).name
    run = attack("snapshot-odd", f"snapshots epoch_abc and a corrupt {corrupt}")
    (run / "snapshots" / "epoch_abc.safetensors").write_bytes(b"junk")
    (run / "snapshots" / corrupt).write_bytes(b"\x05" + b"\0" * 7 + b"junk!")
    run = attack("link-weights", "model.safetensors linking outside the root")
    (run / "model.safetensors").unlink()
    (run / "model.safetensors").symlink_to(outside / "secret.bin")
    attacks["link-run"] = "a run folder that is a link"
    (root / "link-run").symlink_to(root / GOOD, target_is_directory=True)
    run = attack("stranger-pid", "status running with a stranger's pid")
    RunDir(run).write_status(state="running", pid=stranger_pid, epoch=12, epochs=30, step=384,
                             total_steps=960)
    run = attack("pid-1", "status running with pid 1")
    RunDir(run).write_status(state="running", pid=1, epoch=12, epochs=30)
    run = attack("killed-early", "killed in its first epoch: no weights")
    for name in ("model.safetensors", "resume.pt"):
        (run / name).unlink(missing_ok=True)
    shutil.rmtree(run / "snapshots")
    RunDir(run).write_status(state="running", pid=2**22 + 4321, epoch=1, epochs=30, step=20,
                             total_steps=960)
    (run / "metrics.jsonl").write_text("\n".join((run / "metrics.jsonl").read_text()
                                                 .splitlines()[:1]) + "\n")
    return attacks


@pytest.fixture(scope="module")
def stranger():
    """An unrelated process whose pid a hostile status.json names."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    yield proc
    proc.kill()
    proc.wait()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, stranger) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("hostile") / "runs"
    return root, build_hostile_root(root, stranger.pid)


@pytest.fixture
def hostile_root(hostile, monkeypatch) -> Path:
    monkeypatch.setenv("VAE_RUNS_ROOT", str(hostile[0]))
    return hostile[0]


@pytest.fixture
def own_hostile_root(tmp_path, stranger, monkeypatch) -> Path:
    """A private hostile root, for tests that press buttons that write."""
    root = tmp_path / "runs"
    build_hostile_root(root, stranger.pid)
    monkeypatch.setenv("VAE_RUNS_ROOT", str(root))
    return root


def texts(at) -> str:
    return "\n".join(e.value for kind in (at.error, at.warning, at.info, at.caption, at.markdown)
                     for e in kind if isinstance(e.value, str))


def no_exception(at):
    assert not at.exception, [e.value for e in at.exception]


# ------------------------------------------------- the good run works beside all the bad ones

@pytest.mark.parametrize("page", RUN_PAGES + ("latent", "replay"))
def test_the_good_run_works_and_every_damaged_run_is_named(hostile_root, hostile, page):
    at = page_app(page, GOOD, timeout=120).run()
    no_exception(at)
    if page in ("train", "runs"):
        table = at.dataframe[0].value
        listed = set(table["run"])
        assert set(hostile[1]) <= listed and GOOD in listed, "a damaged run was left out"
        status = dict(zip(table["run"], table["status"]))
        assert status[GOOD] == "finished"
        for name in ("status-list", "status-utf8", "metrics-list", "metrics-ff", "config-deep",
                     "metrics-epoch-three", "metrics-no-epoch", "config-seed-abc", "link-run",
                     "link-weights"):
            assert status[name] == "damaged", (name, status[name])
        words = texts(at)
        assert "status-list** is damaged" in words and "JSON list" in words
        assert "nested too deeply" in words and "1 line skipped" in words
    if page == "rate_distortion":
        assert "status-list" in texts(at) and "config-deep" in texts(at)


def test_the_sidebar_lists_damaged_runs_and_says_what_is_wrong(hostile_root):
    at = AppTest.from_file(str(PROJECT / "dashboard.py"), default_timeout=120)
    at.query_params["run"] = "metrics-ff"
    at.run()
    no_exception(at)
    box = at.sidebar.selectbox[0]
    assert box.value == "metrics-ff"
    assert box.format_func("metrics-ff") == "metrics-ff · damaged"
    assert box.format_func(GOOD) == GOOD
    assert any("1 line skipped" in w.value for w in at.sidebar.warning)


# -------------------------------------------- each damaged run, active: a message, no traceback

MODEL_BREAKERS = ("config-deep", "config-latent-float", "config-latent-true", "config-seed-abc",
                  "config-seed-huge", "config-batch-float", "config-huge-image",
                  "weights-wrong-image", "dataset-mismatch", "weights-nan", "link-weights",
                  "link-run", "killed-early")
WORDS = {"config-deep": "nested too deeply", "config-latent-float": "latent dim",
         "config-latent-true": "latent dim", "config-seed-abc": "seed",
         "config-seed-huge": "seed", "config-batch-float": "batch size",
         "config-huge-image": "image shape", "weights-wrong-image": "does not match config.json",
         "dataset-mismatch": "images of shape", "weights-nan": "NaN or infinite",
         "link-weights": "symbolic link", "link-run": "symbolic link",
         "killed-early": "no weights yet"}


@pytest.mark.parametrize("page", MODEL_PAGES)
@pytest.mark.parametrize("name", MODEL_BREAKERS)
def test_a_run_that_cannot_be_opened_says_why_on_every_model_page(hostile_root, name, page):
    at = page_app(page, name, timeout=120).run()
    no_exception(at)
    assert any(WORDS[name] in e.value for e in at.error), (page, [e.value for e in at.error])


@pytest.mark.parametrize("page", RUN_PAGES + ("replay",))
@pytest.mark.parametrize("name", ["status-list", "status-utf8", "metrics-list", "metrics-ff",
                                  "metrics-epoch-three", "metrics-no-epoch", "snapshot-odd",
                                  "stranger-pid", "pid-1", *MODEL_BREAKERS])
def test_every_damaged_run_active_on_the_run_pages(hostile_root, name, page):
    at = page_app(page, name, timeout=120).run()
    no_exception(at)


def test_replay_skips_an_oddly_named_snapshot_and_explains_a_corrupt_one(hostile_root):
    at = page_app("replay", "snapshot-odd", timeout=120).run()
    no_exception(at)
    slider = at.select_slider[0] if at.select_slider else at.slider[0]
    assert "abc" not in str(slider.options if hasattr(slider, "options") else "")
    epoch = corrupt_epoch(hostile_root / GOOD)
    slider.set_value(epoch).run()
    no_exception(at)
    name = RunDir(hostile_root / GOOD).snapshot_file(epoch).name
    assert any(name in e.value and "corrupt" in e.value for e in at.error), \
        [e.value for e in at.error]


# ------------------------------------------------------------- Stop, Mark stopped, Resume

def test_a_strangers_pid_gets_no_stop_button_and_can_be_marked_stopped(own_hostile_root, stranger):
    at = page_app("train", "stranger-pid", timeout=120).run()
    no_exception(at)
    labels = [b.label for b in at.button]
    assert "Stop" not in labels, "a Stop button for a run nobody trains"
    assert "was interrupted" in texts(at) and f"pid {stranger.pid}" in texts(at)
    assert "that state is stale" in texts(at)
    [b for b in at.button if b.label == "Mark stopped"][0].click().run()
    no_exception(at)
    assert RunDir(own_hostile_root / "stranger-pid").read_status()["state"] == "stopped"
    assert stranger.poll() is None, "the stranger was signalled"


def test_a_damaged_status_can_be_marked_stopped(own_hostile_root):
    at = page_app("train", "status-utf8", timeout=120).run()
    no_exception(at)
    assert any("not UTF-8" in e.value for e in at.error)
    [b for b in at.button if b.label == "Mark stopped"][0].click().run()
    no_exception(at)
    assert RunDir(own_hostile_root / "status-utf8").read_status()["state"] == "stopped"


@pytest.mark.slow
def test_resume_errors_are_shown_not_swallowed(own_hostile_root):
    run = RunDir(own_hostile_root / "stranger-pid")
    run.resume_file.write_bytes(b"not a resume state")
    at = page_app("train", "stranger-pid", timeout=120).run()
    [b for b in at.button if b.label == "Resume"][0].click().run()
    # the launch returns at once; the trainer reads resume.pt after importing torch and loading
    # the data (seconds on a loaded 2-core machine), then exits with its words
    deadline = time.monotonic() + 120
    while not any("resume.pt" in e.value for e in at.error) and time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
        no_exception(at)
    assert any(("Could not resume" in e.value or "did not start" in e.value)
               and "resume.pt is corrupt" in e.value for e in at.error), [e.value for e in at.error]
    assert RunDir(own_hostile_root / "stranger-pid").read_status()["state"] == "interrupted"


def test_a_run_killed_in_its_first_epoch_says_resume_starts_over(hostile_root):
    at = page_app("train", "killed-early", timeout=120).run()
    no_exception(at)
    assert "Resume starts it again from epoch 1" in texts(at)


# -------------------------------------------------------------------- downloads and Delete

def test_a_weights_link_is_not_offered_for_download(hostile_root):
    at = page_app("runs", "link-weights", timeout=120).run()
    no_exception(at)
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Weights (model.safetensors)" not in labels and "Config (config.json)" in labels
    assert any("Not offered for download" in w.value and "symbolic link" in w.value
               for w in at.warning)


def test_deleting_a_run_folder_that_is_a_link_says_why(own_hostile_root):
    at = page_app("runs", "link-run", timeout=120).run()
    no_exception(at)
    at.session_state[DELETE_OPEN] = True  # a person opens "Delete this run" first
    at.run()
    at.text_input(key="confirm_delete").set_value("link-run").run()
    [b for b in at.button if b.label == "Delete"][0].click().run()
    no_exception(at)
    assert any("deletes only real folders" in e.value for e in at.error)
    assert (own_hostile_root / "link-run").is_symlink() and (own_hostile_root / GOOD).is_dir()


def test_a_run_whose_config_is_damaged_can_still_be_deleted(own_hostile_root):
    at = page_app("runs", "config-deep", timeout=120).run()
    at.session_state[DELETE_OPEN] = True  # a person opens "Delete this run" first
    at.run()
    at.text_input(key="confirm_delete").set_value("config-deep").run()
    [b for b in at.button if b.label == "Delete"][0].click().run()
    no_exception(at)
    assert not (own_hostile_root / "config-deep").exists()

"""Your own images: a folder per class or an .npz, greyscale or colour, checked file by file, split with
a recorded seed, and trained on from the CLI. Real images only (tests/image_fixtures.py)."""
import io
import json
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from tests.image_fixtures import colour_folder, digit_folder, sample_patches, write_folder
from vae.data import (MAX_SOURCE_SIDE, MIN_PER_CLASS, DatasetError, data_options, dataset_for,
                      load_dataset)
from vae.run import RunDir
from vae.train import main


@pytest.fixture(scope="module")
def colour(tmp_path_factory):
    return colour_folder(tmp_path_factory.mktemp("colour") / "photos")


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    return digit_folder(tmp_path_factory.mktemp("digits") / "digits")


@pytest.fixture
def patches():
    return sample_patches(per_class=12, size=16)


def refused(path, *words, name="folder", **options) -> str:
    with pytest.raises(DatasetError) as err:
        load_dataset(name, path, **options)
    for w in words:
        assert w in str(err.value), str(err.value)
    return str(err.value)


# ------------------------------------------------------------------------------------ folders

def test_colour_folder_loads_as_three_channels_with_class_names_from_folders(colour):
    ds = load_dataset("folder", colour)
    assert ds.class_names == ("china", "flower")
    assert ds.image_shape == (3, 16, 16)
    assert len(ds.train_x) == 64 and len(ds.test_x) == 16  # 20 % of each class of 40
    assert np.bincount(ds.test_y).tolist() == [8, 8]
    assert ds.train_x.dtype == np.float32 and 0 <= ds.train_x.min() and ds.train_x.max() <= 1
    # the pixels are the photographs' own: a patch's channels differ (colour kept, not greyed)
    assert np.abs(ds.train_x[:, 0] - ds.train_x[:, 2]).mean() > 0.02


def test_greyscale_folder_loads_as_one_channel(digits):
    ds = load_dataset("folder", digits)
    assert ds.image_shape == (1, 28, 28) and ds.class_names == ("1", "7")


def test_split_follows_its_seed(colour):
    a = load_dataset("folder", colour, split_seed=0)
    b = load_dataset("folder", colour, split_seed=0)
    c = load_dataset("folder", colour, split_seed=1)
    assert np.array_equal(a.test_x, b.test_x)
    assert not np.array_equal(a.test_x, c.test_x)
    assert len(load_dataset("folder", colour, test_fraction=0.5).test_x) == 40


def test_image_size_resizes_every_image(colour):
    assert load_dataset("folder", colour, image_size=8).image_shape == (3, 8, 8)


def test_one_wrapping_folder_is_looked_through(tmp_path, patches):
    write_folder(tmp_path / "export" / "photos", patches)
    assert load_dataset("folder", tmp_path / "export").class_names == ("china", "flower")


def test_a_non_image_file_is_named(tmp_path, patches):
    root = write_folder(tmp_path / "d", patches)
    (root / "china" / "notes.txt").write_text("not a picture")
    (root / "flower" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    message = refused(root, "2 files", "china/notes.txt (not an image)", "flower/broken.png")
    assert "\n" not in message


def test_mixed_sizes_are_refused_unless_an_image_size_is_chosen(tmp_path, patches):
    root = write_folder(tmp_path / "d", patches)
    big = sample_patches(per_class=2, size=24)["china"][0]
    Image.fromarray(big).save(root / "china" / "big.png")
    refused(root, "different sizes", "16x16", "24x24 (china/big.png)", "--image-size")
    assert load_dataset("folder", root, image_size=16).image_shape == (3, 16, 16)


def test_one_class_only_is_refused(tmp_path, patches):
    root = write_folder(tmp_path / "d", {"china": patches["china"]})
    refused(root, "one class only", "china")


def test_too_few_images_are_refused(tmp_path, patches):
    root = write_folder(tmp_path / "d", {"china": patches["china"],
                                         "flower": patches["flower"][:MIN_PER_CLASS - 2]})
    refused(root, "Too few images", "flower (3)", f"at least {MIN_PER_CLASS}")


def test_files_beside_the_class_folders_are_refused(tmp_path, patches):
    root = write_folder(tmp_path / "d", patches)
    Image.fromarray(patches["china"][0]).save(root / "loose.png")
    refused(root, "loose.png", "one sub-folder per class")


def test_a_giant_picture_is_refused_before_it_is_decoded(tmp_path, patches):
    root = write_folder(tmp_path / "d", patches)
    Image.new("L", (MAX_SOURCE_SIDE + 1, 1)).save(root / "china" / "wide.png")
    refused(root, "china/wide.png", f"at most {MAX_SOURCE_SIDE} a side")


def test_hidden_and_macos_files_are_skipped(tmp_path, patches):
    root = write_folder(tmp_path / "d", patches)
    (root / ".DS_Store").write_bytes(b"Bud1")
    (root / "china" / "._0000.png").write_bytes(b"\0\5\26\7")
    assert len(load_dataset("folder", root).train_x) == 20


def test_a_missing_folder_and_a_missing_data_dir_say_so(tmp_path):
    refused(tmp_path / "nope", "is not a folder")
    refused(None, "needs its path (--data-dir")


def test_settings_of_your_own_images_are_refused_for_a_built_in_set():
    with pytest.raises(DatasetError, match="image size apply to your own images"):
        data_options("mnist-5k", image_size=16)
    assert data_options("folder") == {"image_size": None, "split_seed": 0, "test_fraction": 0.2}


# ---------------------------------------------------------------------------------------- npz

def save_npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def test_npz_channels_last_with_labels_and_class_names(tmp_path, patches):
    x = np.concatenate([patches["china"], patches["flower"]])  # (24, 16, 16, 3) uint8
    y = np.repeat([0, 1], 12)
    path = save_npz(tmp_path / "p.npz", x=x, y=y, class_names=np.array(["china", "flower"]))
    ds = load_dataset("npz", path)
    assert ds.image_shape == (3, 16, 16) and ds.class_names == ("china", "flower")
    assert len(ds.train_x) + len(ds.test_x) == 24
    originals = np.moveaxis(x, -1, 1) / 255.0  # every image arrives whole, channels first
    for img in np.concatenate([ds.train_x, ds.test_x]):
        assert np.isclose(originals, img, atol=1e-6).all(axis=(1, 2, 3)).any()


def test_npz_without_labels_is_one_class(tmp_path, patches):
    ds = load_dataset("npz", save_npz(tmp_path / "p.npz", x=patches["china"][..., 0]),
                      image_size=8)
    assert ds.image_shape == (1, 8, 8) and ds.class_names == ("all images",)


@pytest.mark.parametrize("arrays, words", [
    ({"images": np.zeros((20, 8, 8), np.uint8)}, ("not an array named x",)),
    ({"x": np.full((20, 8, 8), 2.0)}, ("floats from 2", "[0, 1]")),
    ({"x": np.zeros((20, 8, 8), np.uint8), "y": np.zeros(3, int)}, ("y has shape (3,)",)),
    ({"x": np.zeros((20, 5, 8, 8), np.uint8)}, ("x has shape (20, 5, 8, 8)",)),
    ({"x": np.zeros((3, 8, 8), np.uint8)}, ("holds 3 images",)),
], ids=["no-x", "floats-out-of-range", "y-length", "five-channels", "too-few"])
def test_bad_npz_files_are_named(tmp_path, arrays, words):
    refused(save_npz(tmp_path / "bad.npz", **arrays), *words, name="npz")


def test_npz_with_a_pickled_object_array_is_refused_unread(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, x=np.array([{"a": 1}] * 20, dtype=object))
    refused(path, "Python objects", "never a pickle", name="npz")


def test_npz_whose_header_claims_a_huge_array_is_refused(tmp_path):
    header = io.BytesIO()  # a valid .npy header for 10^10 bytes, followed by 64 of them
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False,
                                                  "shape": (10**10,)})
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("x.npy", header.getvalue() + bytes(64))
    refused(path, "x has shape (10000000000,)", "more than", name="npz")


# ------------------------------------------------------------------------------- CLI and a run

def test_train_one_epoch_on_colour_photos_records_the_data_settings(tmp_path, colour):
    root = tmp_path / "runs"
    code = main(["--dataset", "folder", "--data-dir", str(colour), "--image-size", "12",
                 "--split-seed", "3", "--epochs", "1", "--hidden", "64", "--latent-dim", "2",
                 "--likelihood", "gaussian", "--batch-size", "16", "--root", str(root),
                 "--name", "photos", "--quiet", "--device", "cpu"])
    assert code == 0
    run = RunDir(root / "photos")
    raw = json.loads(run.config_file.read_text())
    assert raw["model"]["image_shape"] == [3, 12, 12]
    assert raw["train"]["dataset"] == "folder" and raw["train"]["data_dir"] == str(colour)
    assert (raw["train"]["image_size"], raw["train"]["split_seed"],
            raw["train"]["test_fraction"]) == (12, 3, 0.2)
    assert run.read_status()["state"] == "finished"
    epoch = [r for r in run.read_metrics() if r["kind"] == "epoch"][0]
    assert np.isfinite(epoch["test/neg_elbo"])
    _, train_cfg = run.read_config()
    data = dataset_for(train_cfg)  # what the pages load: the same split and size
    assert data.class_names == ("china", "flower")
    model = run.load_model()
    with torch.no_grad():
        out = model.decode_mean(model.encode(torch.from_numpy(data.test_x.copy())).mu)
    assert out.shape == (16, 3, 12, 12)


def test_cli_refuses_a_bad_folder_and_leaves_no_run(tmp_path, patches, capsys):
    root = write_folder(tmp_path / "d", {"china": patches["china"]})
    code = main(["--dataset", "folder", "--data-dir", str(root), "--epochs", "1",
                 "--root", str(tmp_path / "runs"), "--name", "x", "--quiet"])
    assert code == 2
    assert "one class only" in capsys.readouterr().err
    assert not (tmp_path / "runs" / "x").exists()


def test_cli_refuses_image_size_for_a_built_in_set(tmp_path, capsys):
    code = main(["--dataset", "digits", "--image-size", "16", "--epochs", "1",
                 "--root", str(tmp_path / "runs"), "--name", "x", "--quiet"])
    assert code == 2
    assert "apply to your own images" in capsys.readouterr().err


# ------------------------------------------------------------ the Train page's form and .zip upload

def form_values(**changes):
    from ui.forms.train import DEFAULTS
    return {**DEFAULTS, "precision": "fp32", "image_size": None, **changes}


def test_form_reads_your_folder_and_passes_the_image_size(colour):
    from ui.forms.train import validate
    options, problems = validate(form_values(dataset="folder", data_dir=str(colour),
                                             image_size=8, name="mine"), set())
    assert problems == []
    assert (options["dataset"], options["data-dir"], options["image-size"]) == \
        ("folder", str(colour), 8)


def test_form_names_the_bad_file_of_your_folder(tmp_path, patches):
    from ui.forms.train import validate
    root = write_folder(tmp_path / "d", patches)
    (root / "flower" / "readme.md").write_text("# flowers")
    options, problems = validate(form_values(dataset="folder", data_dir=str(root)), set())
    assert options == {} and any("flower/readme.md (not an image)" in p for p in problems)


def test_form_refuses_an_image_size_for_a_built_in_set():
    from ui.forms.train import validate
    _, problems = validate(form_values(dataset="digits", image_size=16), set())
    assert any("Image size applies to your own images only" in p for p in problems)


def zipped(root) -> bytes:
    from tests.image_fixtures import zip_folder
    return zip_folder(root, top="my photos")


def test_an_image_zip_is_unpacked_checked_and_reused(tmp_path, colour):
    from vae.archive import import_image_zip
    data = zipped(colour)
    dest = tmp_path / "runs" / ".datasets"
    folder = import_image_zip(data, dest, source="my photos.zip")
    assert folder.parent == dest and folder.name.startswith("my-photos-")
    assert load_dataset("folder", folder).class_names == ("china", "flower")
    assert import_image_zip(data, dest, source="again.zip") == folder  # the same zip: reused
    assert [p.name for p in dest.iterdir()] == [folder.name]


@pytest.mark.parametrize("spoil, words", [
    (lambda root: (root / "china" / "notes.txt").write_text("x"), ("china/notes.txt",
                                                                   "not an image")),
    (lambda root: __import__("shutil").rmtree(root / "flower"), ("one class only",)),
    (lambda root: Image.fromarray(np.zeros((24, 24, 3), np.uint8)).save(root / "china" / "x.png"),
     ("different sizes",)),
], ids=["non-image", "one-class", "mixed-sizes"])
def test_a_hostile_image_zip_is_refused_and_leaves_nothing(tmp_path, patches, spoil, words):
    from vae.archive import import_image_zip
    root = write_folder(tmp_path / "src", patches)
    spoil(root)
    dest = tmp_path / "runs" / ".datasets"
    with pytest.raises(DatasetError) as err:
        import_image_zip(zipped(root), dest, source="up.zip")
    for w in words:
        assert w in str(err.value)
    assert "up.zip" in str(err.value) and ".import-" not in str(err.value)
    assert list(dest.iterdir()) == []


def test_an_image_zip_with_a_link_or_a_slip_is_refused(tmp_path, patches):
    import stat as st_mode
    from vae.archive import ArchiveError, import_image_zip
    data = zipped(write_folder(tmp_path / "src", patches))
    for name, attr in (("../../evil.png", 0o644), ("china/link.png", st_mode.S_IFLNK | 0o777)):
        buf = io.BytesIO(data)
        with zipfile.ZipFile(buf, "a") as zf:
            info = zipfile.ZipInfo(name)
            info.external_attr = attr << 16
            zf.writestr(info, b"/etc/passwd")
        with pytest.raises(ArchiveError):
            import_image_zip(buf.getvalue(), tmp_path / "runs" / ".datasets", source="up.zip")
    assert not (tmp_path / "runs" / ".datasets").exists() or \
        list((tmp_path / "runs" / ".datasets").iterdir()) == []

"""Each loader on real files, and on broken ones: a broken file raises DatasetError naming the file."""
import gzip
import struct

import numpy as np
import pytest

from tests.conftest import FASHION_DIR, NEEDS_FASHION
from vae.data import DATASETS, DatasetError, load_dataset, read_idx, stratified_split

IDX_NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def idx_bytes(array: np.ndarray) -> bytes:
    """LeCun's IDX format for a uint8 array: 00 00 08 rank, big-endian dims, then the data."""
    return (bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
            + array.astype(np.uint8).tobytes())


@pytest.fixture(scope="module")
def mnist5k():
    return load_dataset("mnist-5k")


@pytest.fixture(scope="module")
def mnist5k_uint8(mnist5k):
    """The real mnist-5k digits back as uint8 images and labels, as MNIST's own files hold them."""
    def u8(x):
        return np.rint(x[:, 0] * 255).astype(np.uint8)
    return u8(mnist5k.train_x), mnist5k.train_y, u8(mnist5k.test_x), mnist5k.test_y


@pytest.fixture(scope="module")
def idx_gz(mnist5k_uint8):
    return {name: gzip.compress(idx_bytes(array), compresslevel=1)
            for name, array in zip(IDX_NAMES, mnist5k_uint8)}


@pytest.fixture
def idx_dir(tmp_path, idx_gz):
    """A folder with the four MNIST IDX .gz files, written from real mnist-5k digits."""
    for name, raw in idx_gz.items():
        (tmp_path / name).write_bytes(raw)
    return tmp_path


# ------------------------------------------------------------------------------- real files load

def test_mnist5k_is_4000_train_1000_test_stratified(mnist5k):
    assert mnist5k.train_x.shape == (4000, 1, 28, 28) and mnist5k.test_x.shape == (1000, 1, 28, 28)
    assert mnist5k.train_x.dtype == np.float32
    assert 0.0 <= mnist5k.train_x.min() and mnist5k.train_x.max() <= 1.0
    assert np.bincount(mnist5k.train_y).tolist() == [400] * 10
    assert np.bincount(mnist5k.test_y).tolist() == [100] * 10
    assert mnist5k.image_shape == (1, 28, 28)


def test_split_is_reproducible_disjoint_and_seeded(mnist5k):
    labels = np.repeat(np.arange(10), 500)
    train, test = stratified_split(labels, 0.2, seed=0)
    again_train, again_test = stratified_split(labels, 0.2, seed=0)
    assert np.array_equal(train, again_train) and np.array_equal(test, again_test), "not reproducible"
    assert len(np.intersect1d(train, test)) == 0, "train and test share images"
    assert len(train) + len(test) == len(labels)
    other_train, _ = stratified_split(labels, 0.2, seed=1)
    assert not np.array_equal(train, other_train), "the seed does not change the split"
    # and the loader gives the same split on every load: no image in both halves
    flat_train = {row.tobytes() for row in mnist5k.train_x.reshape(4000, -1)}
    assert sum(row.tobytes() in flat_train for row in mnist5k.test_x.reshape(1000, -1)) <= 5


def test_loaded_arrays_are_read_only(mnist5k):
    with pytest.raises(ValueError):
        mnist5k.train_x[0, 0, 0, 0] = 1.0


def test_digits_8x8_stratified_80_20():
    ds = load_dataset("digits")
    assert ds.train_x.shape[1:] == (1, 8, 8) and ds.image_shape == (1, 8, 8)
    assert len(ds.train_x) + len(ds.test_x) == 1797
    assert len(ds.test_x) == pytest.approx(0.2 * 1797, abs=10)
    assert 0.0 <= ds.train_x.min() and ds.train_x.max() <= 1.0
    ratio = np.bincount(ds.test_y) / np.bincount(ds.train_y)
    assert np.all(np.abs(ratio - 0.25) < 0.03), f"classes not split in proportion: {ratio}"


@NEEDS_FASHION
def test_fashion_mnist_from_system_files():
    ds = load_dataset("fashion-mnist")
    assert ds.train_x.shape == (60000, 1, 28, 28) and ds.test_x.shape == (10000, 1, 28, 28)
    assert np.bincount(ds.test_y).tolist() == [1000] * 10
    assert ds.class_names[0] == "T-shirt/top" and len(ds.class_names) == 10
    assert 0.0 <= ds.test_x.min() and ds.test_x.max() == 1.0


@NEEDS_FASHION
def test_fashion_mnist_from_a_given_folder(tmp_path):
    for name in IDX_NAMES:
        (tmp_path / name).symlink_to(FASHION_DIR / name)
    ds = load_dataset("fashion-mnist", tmp_path)
    assert len(ds.train_x) == 60000


def test_mnist_from_idx_gz_files(idx_dir, mnist5k):
    ds = load_dataset("mnist", idx_dir)
    assert ds.name == "mnist" and ds.image_shape == (1, 28, 28)
    assert np.allclose(ds.train_x, mnist5k.train_x, atol=1e-6)
    assert np.array_equal(ds.test_y, mnist5k.test_y)


def test_mnist_from_keras_npz(tmp_path, mnist5k_uint8, mnist5k):
    x_train, y_train, x_test, y_test = mnist5k_uint8
    np.savez(tmp_path / "mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    by_folder = load_dataset("mnist", tmp_path)
    by_file = load_dataset("mnist", tmp_path / "mnist.npz")
    for ds in (by_folder, by_file):
        assert ds.train_x.shape == (4000, 1, 28, 28) and ds.train_y.dtype == np.int64
        assert np.allclose(ds.test_x, mnist5k.test_x, atol=1e-6)


def test_mnist_from_environment_variable(idx_dir, monkeypatch):
    monkeypatch.setenv("VAE_MNIST_DIR", str(idx_dir))
    assert len(load_dataset("mnist").test_x) == 1000


# ------------------------------------------------------------------------------- broken files

def expect_error(name, data_dir, *words):
    with pytest.raises(DatasetError) as info:
        load_dataset(name, data_dir)
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} missing from the message: {message}"
    return message


def test_bad_magic_number(idx_dir):
    path = idx_dir / "train-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(b"\x12\x34\x08\x01" + gzip.decompress(path.read_bytes())[4:]))
    expect_error("mnist", idx_dir, str(path), "bad magic number 12340801")


def test_truncated_idx(idx_dir):
    path = idx_dir / "t10k-images-idx3-ubyte.gz"
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[:-784]))
    expect_error("mnist", idx_dir, str(path), "truncated")


def test_idx_truncated_inside_its_header(idx_dir):
    path = idx_dir / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(b"\x00\x00\x08\x03\x00\x00"))
    expect_error("mnist", idx_dir, str(path), "truncated inside its header")


def test_truncated_gzip(idx_dir):
    path = idx_dir / "train-images-idx3-ubyte.gz"
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    expect_error("mnist", idx_dir, str(path), "not a readable gzip file")


def test_not_a_gzip_file(idx_dir):
    path = idx_dir / "train-images-idx3-ubyte.gz"
    path.write_bytes(b"<html>404 Not Found</html>")
    expect_error("mnist", idx_dir, str(path), "not a readable gzip file")


def test_label_count_does_not_match_images(idx_dir, mnist5k_uint8):
    path = idx_dir / "train-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(mnist5k_uint8[1][:-1])))
    expect_error("mnist", idx_dir, str(path), "3999", "4000 images")


def test_images_of_the_wrong_rank(idx_dir, mnist5k_uint8):
    path = idx_dir / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(mnist5k_uint8[2].reshape(1000, 784))))
    expect_error("mnist", idx_dir, str(path), "(1000, 784)", "expected (N, rows, cols)")


def test_missing_idx_file(idx_dir):
    (idx_dir / "t10k-labels-idx1-ubyte.gz").unlink()
    expect_error("mnist", idx_dir, "t10k-labels-idx1-ubyte.gz", "not found")


def test_uncompressed_idx_reads_too(tmp_path, mnist5k_uint8):
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(idx_bytes(mnist5k_uint8[1]))
    assert np.array_equal(read_idx(path), mnist5k_uint8[1])


def test_npz_missing_keys(tmp_path, mnist5k_uint8):
    np.savez(tmp_path / "mnist.npz", x_train=mnist5k_uint8[0], y_train=mnist5k_uint8[1])
    expect_error("mnist", tmp_path, str(tmp_path / "mnist.npz"), "x_test, y_test")


def test_npz_wrong_shapes(tmp_path, mnist5k_uint8):
    x_train, y_train, x_test, y_test = mnist5k_uint8
    np.savez(tmp_path / "mnist.npz", x_train=x_train, y_train=y_train[:10], x_test=x_test,
             y_test=y_test)
    expect_error("mnist", tmp_path, str(tmp_path / "mnist.npz"), "y_train (10,)")


def test_truncated_npz(tmp_path, mnist5k_uint8):
    x_train, y_train, x_test, y_test = mnist5k_uint8
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    path.write_bytes(path.read_bytes()[:100_000])
    expect_error("mnist", tmp_path, str(path), "not a readable .npz file")


def test_npy_renamed_npz(tmp_path, mnist5k_uint8):
    path = tmp_path / "mnist.npz"
    with open(path, "wb") as f:
        np.save(f, mnist5k_uint8[0])
    expect_error("mnist", tmp_path, str(path), "not an .npz archive")


def test_mnist_folder_without_files(tmp_path):
    expect_error("mnist", tmp_path, str(tmp_path), "No MNIST files", "mnist.npz")


def test_mnist_without_any_folder(monkeypatch):
    monkeypatch.delenv("VAE_MNIST_DIR", raising=False)
    expect_error("mnist", None, "--data-dir", "VAE_MNIST_DIR")


def test_missing_dirs(tmp_path):
    missing = tmp_path / "nowhere"
    expect_error("mnist", missing, str(missing))
    expect_error("fashion-mnist", missing, str(missing), "apt-get install dataset-fashion-mnist")
    expect_error("mnist-5k", missing, str(missing / "mnist_5k.csv.gz"), "not found")


def test_unknown_dataset_name():
    message = expect_error("cifar10", None, "'cifar10'")
    assert all(name in message for name in DATASETS), message


def test_broken_mnist5k_csv(tmp_path):
    (tmp_path / "mnist_5k.csv.gz").write_bytes(gzip.compress(b"1,2,3\n4,5,6\n"))
    expect_error("mnist-5k", tmp_path, "mnist_5k.csv.gz", "(2, 3)", "784 pixels")

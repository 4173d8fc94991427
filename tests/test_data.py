"""IDX parsing, validation of corrupt files, source order and download."""

from __future__ import annotations

import functools
import hashlib
import http.server
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from fmtui.core import data
from fmtui.core.data import FILES, DataError
from tests.idx_fixtures import write_dataset

TRAIN_IMAGES = FILES["train_images"]
TRAIN_LABELS = FILES["train_labels"]


@pytest.mark.parametrize("gz", [False, True])
def test_reads_raw_and_gz(tmp_path: Path, gz: bool) -> None:
    directory = write_dataset(tmp_path / "d", n_train=300, n_test=100, gz=gz)
    images, labels = data.read_split(directory, "train", require_full=False)
    assert images.shape == (300, 784) and images.dtype == torch.uint8
    assert labels.shape == (300,) and int(labels.max()) == 9
    ds = data.load(data.DataSource("explicit", directory), "cpu", require_full=False)
    assert ds.n_train == 300 and ds.n_test == 100
    assert float(ds.train_x.max()) <= 1.0 and ds.train_x.dtype == torch.float32


def test_full_size_required_by_default(fixture_dir: Path) -> None:
    with pytest.raises(DataError, match="Fashion-MNIST train set has 60000"):
        data.read_split(fixture_dir, "train", require_full=True)


def _corrupt(directory: Path, name: str, payload: bytes) -> Path:
    path = directory / name
    path.write_bytes(payload)
    return path


def _header(n: int) -> bytes:
    return struct.pack(">IIII", 0x803, n, 28, 28)


@pytest.mark.parametrize(
    ("name", "make", "needle"),
    [
        (TRAIN_IMAGES, lambda raw: b"", "truncated"),
        (TRAIN_IMAGES, lambda raw: raw[:1000], "truncated"),
        (TRAIN_IMAGES, lambda raw: raw + b"junk", "longer than its header"),
        (TRAIN_IMAGES, lambda raw: b"\x00\x00\x08\x01" + raw[4:], "magic number"),
        (
            TRAIN_IMAGES,
            lambda raw: struct.pack(">IIII", 0x803, 600, 32, 32) + raw[16:],
            "expected 28x28",
        ),
        (TRAIN_IMAGES, lambda raw: _header(0), "holds no items"),
        (TRAIN_LABELS, lambda raw: raw[:-1] + b"\x0c", "labels must be 0–9"),
        (TRAIN_LABELS, lambda raw: struct.pack(">II", 0x801, 599) + raw[8:-1], "holds 600 images"),
        (TRAIN_IMAGES, lambda raw: bytes(range(256)) * 10, "magic number"),
    ],
)
def test_corrupt_files_get_one_clear_message(fixture_dir: Path, name: str, make, needle) -> None:
    path = fixture_dir / name
    _corrupt(fixture_dir, name, make(path.read_bytes()))
    with pytest.raises(DataError) as info:
        data.read_split(fixture_dir, "train", require_full=False)
    message = str(info.value)
    assert needle in message
    assert name in message
    assert "--data-dir" in message and "apt-get install dataset-fashion-mnist" in message


def test_missing_file_is_named(fixture_dir: Path) -> None:
    (fixture_dir / FILES["test_labels"]).unlink()
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.*missing"):
        data.load(data.DataSource("explicit", fixture_dir), require_full=False)


@pytest.mark.parametrize("payload", [b"not gzip at all", None])
def test_corrupt_gzip(tmp_path: Path, payload: bytes | None) -> None:
    directory = write_dataset(tmp_path / "d", gz=True)
    path = directory / (TRAIN_IMAGES + ".gz")
    raw = path.read_bytes()
    path.write_bytes(payload if payload is not None else raw[: len(raw) // 2])
    with pytest.raises(DataError, match="gzip file is corrupt or truncated"):
        data.read_split(directory, "train", require_full=False)


def test_source_order(tmp_path: Path) -> None:
    explicit = write_dataset(tmp_path / "explicit")
    debian = write_dataset(tmp_path / "debian")
    env = {"FMTUI_CACHE_DIR": str(tmp_path / "cache")}
    assert data.locate(explicit, env, debian) == data.DataSource("explicit", explicit)
    env_dir = {**env, "FMTUI_DATA_DIR": str(explicit)}
    assert data.locate(None, env_dir, debian).kind == "explicit"
    assert data.locate(None, env, debian) == data.DataSource("debian", debian)
    cache = write_dataset(tmp_path / "cache" / "fashion-mnist", gz=True)
    assert data.locate(None, env, tmp_path / "nowhere") == data.DataSource("cache", cache)
    with pytest.raises(DataError, match="does not exist"):
        data.locate(tmp_path / "missing", env, debian)


def test_offline_with_nothing_local_is_a_clear_message_not_a_hang(tmp_path: Path) -> None:
    env = {"FMTUI_CACHE_DIR": str(tmp_path / "cache")}
    started = time.monotonic()
    with pytest.raises(DataError) as info:
        data.resolve(
            env=env, debian_dir=tmp_path / "none", mirrors=("http://127.0.0.1:9/",), timeout=2
        )
    assert time.monotonic() - started < 10
    assert "Could not download train-images-idx3-ubyte.gz" in str(info.value)
    assert "apt-get install dataset-fashion-mnist" in str(info.value)
    with pytest.raises(DataError, match="No local copy"):
        data.resolve(env=env, debian_dir=tmp_path / "none", allow_download=False)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A loopback HTTP server holding gzipped fixture files."""
    root = write_dataset(tmp_path / "served", gz=True)
    sums = {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in root.iterdir()}
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", sums
    server.shutdown()
    server.server_close()


def test_download_reports_progress_and_lands_in_cache(tmp_path: Path, served) -> None:
    url, sums = served
    env = {"FMTUI_CACHE_DIR": str(tmp_path / "cache")}
    seen: list[tuple[str, int, int | None]] = []
    target = tmp_path / "cache" / "fashion-mnist"
    source = data.download(target, lambda *a: seen.append(a), 5, (url,), sums)
    assert source.kind == "download"
    assert {name for name, _, _ in seen} == set(sums)
    last = [s for s in seen if s[0] == "train-images-idx3-ubyte.gz"][-1]
    assert last[1] == last[2]
    assert data.locate(None, env, tmp_path / "none").kind == "cache"
    images, _ = data.read_split(source.directory, "train", require_full=False)
    assert images.shape[0] == 600


def test_download_rejects_a_bad_checksum(tmp_path: Path, served) -> None:
    url, sums = served
    bad = {name: "0" * 32 for name in sums}
    target = tmp_path / "cache"
    with pytest.raises(DataError, match="checksum mismatch"):
        data.download(target, None, 5, (url,), bad)
    assert not any(p.suffix == ".gz" for p in target.iterdir())


def test_split_is_fixed_and_disjoint(fixture_source: data.DataSource) -> None:
    ds = data.load(fixture_source, require_full=False)
    train_a, val_a = ds.split(0.1, 0)
    train_b, val_b = ds.split(0.1, 0)
    assert torch.equal(val_a, val_b) and len(val_a) == 60
    assert not set(train_a.tolist()) & set(val_a.tolist())
    assert not torch.equal(ds.split(0.1, 1)[1], val_a)


def test_status_lines(tmp_path: Path, fixture_dir: Path) -> None:
    lines, found = data.status_lines(fixture_dir, {}, tmp_path / "none", require_full=False)
    assert found and "ok, 600 train / 200 test" in lines[0]
    gzip_path = tmp_path / "broken"
    write_dataset(gzip_path)
    (gzip_path / TRAIN_IMAGES).write_bytes(b"xx")
    lines, found = data.status_lines(gzip_path, {}, tmp_path / "none", require_full=False)
    assert not found and "INVALID" in lines[0]

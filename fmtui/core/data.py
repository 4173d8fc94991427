"""Provides Fashion-MNIST: finding, downloading, validating and loading it as tensors.

The IDX files are parsed here rather than with torchvision's reader because that
reader stops on `assert` (a stack trace for the user) and does not read `.gz`; the
header checks below turn every bad file into one message that names it.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import threading
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fmtui import paths

if TYPE_CHECKING:  # torch loads only where tensors are made: `data status` stays light
    import torch

CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
FULL_SIZES = {"train": 60000, "test": 10000}
IMAGE_MAGIC = 0x00000803
LABEL_MAGIC = 0x00000801
ROWS = COLS = 28
# torchvision.datasets.FashionMNIST's mirror and checksums.
MIRRORS = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
MD5 = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
HINT = (
    "Point fmtui at a folder holding the four Fashion-MNIST IDX files with --data-dir DIR "
    "or FMTUI_DATA_DIR, or install them with `apt-get install dataset-fashion-mnist`."
)

ProgressCallback = Callable[[str, int, int | None], None]


class DataError(Exception):
    """A data problem the user can act on; the message says what and what to do."""


@dataclass(frozen=True)
class DataSource:
    """Where the four files were found: `kind` is explicit, debian, cache or download."""

    kind: str
    directory: Path


def find_file(directory: Path, base: str) -> Path | None:
    """The raw or gzipped IDX file `base` in `directory`, raw preferred."""
    for name in (base, base + ".gz"):
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def has_all_files(directory: Path) -> bool:
    return directory.is_dir() and all(find_file(directory, b) for b in FILES.values())


# The largest valid IDX file: the 60000 training images after their 16-byte header.
MAX_IDX_BYTES = 16 + FULL_SIZES["train"] * ROWS * COLS


def _read_bytes(path: Path) -> bytes:
    """The (decompressed) bytes of an IDX file, never more than MAX_IDX_BYTES + 1 read:
    a gzip bomb or a huge file is refused without filling memory."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                data = fh.read(MAX_IDX_BYTES + 1)
        else:
            with path.open("rb") as fh:
                data = fh.read(MAX_IDX_BYTES + 1)
        if len(data) > MAX_IDX_BYTES:
            raise DataError(
                f"{path}: holds more than {MAX_IDX_BYTES:,} bytes"
                f"{' when decompressed' if path.suffix == '.gz' else ''}, more than any "
                f"Fashion-MNIST IDX file. {HINT}"
            )
        return data
    except (gzip.BadGzipFile, EOFError, zlib.error) as err:
        raise DataError(f"{path}: the gzip file is corrupt or truncated ({err}). {HINT}") from None
    except OSError as err:
        raise DataError(f"{path}: cannot be read ({err.strerror or err}). {HINT}") from None


def check_idx(path: Path, kind: str) -> tuple[bytes, int, int]:
    """Read and validate one IDX file; `kind` is 'images' or 'labels'.

    Returns the file's bytes, its item count and its header length. Needs no torch, so
    `fmtui data status` checks the files without loading it.
    """
    data = _read_bytes(path)
    magic_expected, ndims = (IMAGE_MAGIC, 3) if kind == "images" else (LABEL_MAGIC, 1)
    header_len = 4 + 4 * ndims
    if len(data) < header_len:
        raise DataError(
            f"{path}: file is truncated ({len(data)} bytes, shorter than the IDX header). {HINT}"
        )
    (magic,) = struct.unpack(">I", data[:4])
    if magic != magic_expected:
        raise DataError(
            f"{path}: not an IDX {kind} file (magic number {magic:#010x}, "
            f"expected {magic_expected:#010x}). {HINT}"
        )
    dims = struct.unpack(f">{ndims}I", data[4:header_len])
    if kind == "images" and dims[1:] != (ROWS, COLS):
        raise DataError(f"{path}: images are {dims[1]}x{dims[2]}, expected {ROWS}x{COLS}. {HINT}")
    count = dims[0]
    if count == 0:
        raise DataError(f"{path}: the file holds no items. {HINT}")
    expected_len = header_len + count * (ROWS * COLS if kind == "images" else 1)
    if len(data) != expected_len:
        state = "truncated" if len(data) < expected_len else "longer than its header says"
        raise DataError(
            f"{path}: file is {state} ({len(data)} bytes, header promises {expected_len}). {HINT}"
        )
    if kind == "labels" and max(data[header_len:]) > 9:
        raise DataError(f"{path}: labels must be 0–9, found {max(data[header_len:])}. {HINT}")
    return data, count, header_len


def parse_idx(path: Path, kind: str) -> torch.Tensor:
    """Read and validate one IDX file; `kind` is 'images' or 'labels'. Returns uint8."""
    import torch

    data, count, header_len = check_idx(path, kind)
    tensor = torch.frombuffer(bytearray(data), dtype=torch.uint8, offset=header_len)
    return tensor.view(count, ROWS * COLS) if kind == "images" else tensor


def _split_paths(directory: Path, split: str) -> tuple[Path, Path]:
    images_base = FILES[f"{split}_images"]
    labels_base = FILES[f"{split}_labels"]
    images_path = find_file(directory, images_base)
    labels_path = find_file(directory, labels_base)
    for base, found in ((images_base, images_path), (labels_base, labels_path)):
        if found is None:
            raise DataError(f"{directory / base}(.gz): file is missing. {HINT}")
    assert images_path is not None and labels_path is not None
    return images_path, labels_path


def _check_counts(
    split: str, images_path: Path, labels_path: Path, n_images: int, n_labels: int, full: bool
) -> None:
    if n_images != n_labels:
        raise DataError(
            f"{images_path}: holds {n_images} images but {labels_path.name} holds "
            f"{n_labels} labels. {HINT}"
        )
    if full and n_images != FULL_SIZES[split]:
        raise DataError(
            f"{images_path}: holds {n_images} images, the Fashion-MNIST {split} set has "
            f"{FULL_SIZES[split]}. {HINT}"
        )


def check_split(directory: Path, split: str, require_full: bool) -> int:
    """Validate the train or test split's two files without torch; returns its size."""
    images_path, labels_path = _split_paths(directory, split)
    _data, n_images, _ = check_idx(images_path, "images")
    _data, n_labels, _ = check_idx(labels_path, "labels")
    _check_counts(split, images_path, labels_path, n_images, n_labels, require_full)
    return n_images


def read_split(
    directory: Path, split: str, require_full: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """Images (N×784 uint8) and labels (N uint8) of the train or test split, validated."""
    images_path, labels_path = _split_paths(directory, split)
    images = parse_idx(images_path, "images")
    labels = parse_idx(labels_path, "labels")
    n_images, n_labels = int(images.shape[0]), int(labels.shape[0])
    _check_counts(split, images_path, labels_path, n_images, n_labels, require_full)
    return images, labels


def locate(
    data_dir: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    debian_dir: Path = paths.DEBIAN_DATA_DIR,
) -> DataSource | None:
    """Find the data: --data-dir, FMTUI_DATA_DIR, the Debian package, the cache; else None.

    An explicitly named directory is final: when it lacks the files that is an error,
    not a reason to quietly use another copy.
    """
    env = dict(os.environ if env is None else env)
    explicit = Path(data_dir).expanduser() if data_dir else paths.data_dir_override(env)
    if explicit is not None:
        if explicit.exists() and not explicit.is_dir():
            raise DataError(f"{explicit}: is a file, not a folder. {HINT}")
        if not explicit.is_dir():
            raise DataError(f"{explicit}: data directory does not exist. {HINT}")
        return DataSource("explicit", explicit)
    if has_all_files(debian_dir):
        return DataSource("debian", debian_dir)
    cache = paths.cache_data_dir(env)
    if has_all_files(cache):
        return DataSource("cache", cache)
    return None


def download(
    target: Path,
    progress: ProgressCallback | None = None,
    timeout: float = 20.0,
    mirrors: tuple[str, ...] = MIRRORS,
    checksums: Mapping[str, str] = MD5,
) -> DataSource:
    """Download the four gzipped files into `target`, checking their MD5 sums.

    Each file is written to a temporary name and renamed when complete, so an
    interrupted download never leaves a file that looks whole.
    """
    target.mkdir(parents=True, exist_ok=True)
    for name, md5 in checksums.items():
        dest = target / name
        if dest.is_file() and _md5(dest) == md5:
            continue
        errors = []
        for mirror in mirrors:
            try:
                _fetch(mirror + name, dest, md5, progress, timeout)
                break
            except (urllib.error.URLError, OSError, ValueError) as err:
                errors.append(f"{mirror}: {getattr(err, 'reason', err)}")
        else:
            raise DataError(
                f"Could not download {name} ({'; '.join(errors)}). No local copy of "
                f"Fashion-MNIST was found either. {HINT}"
            )
    return DataSource("download", target)


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch(
    url: str, dest: Path, md5: str, progress: ProgressCallback | None, timeout: float
) -> None:
    part = dest.with_name(dest.name + ".part")
    digest = hashlib.md5()
    with urllib.request.urlopen(url, timeout=timeout) as response, part.open("wb") as out:
        total = response.length
        done = 0
        while chunk := response.read(1 << 16):
            out.write(chunk)
            digest.update(chunk)
            done += len(chunk)
            if progress is not None:
                progress(dest.name, done, total)
    if digest.hexdigest() != md5:
        part.unlink(missing_ok=True)
        raise ValueError(f"checksum mismatch for {dest.name}")
    os.replace(part, dest)


def resolve(
    data_dir: Path | str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    allow_download: bool = True,
    progress: ProgressCallback | None = None,
    timeout: float = 20.0,
    debian_dir: Path = paths.DEBIAN_DATA_DIR,
    mirrors: tuple[str, ...] = MIRRORS,
) -> DataSource:
    """`locate`, falling back to a download into the cache."""
    source = locate(data_dir, env, debian_dir)
    if source is not None:
        return source
    if not allow_download:
        raise DataError(f"No local copy of Fashion-MNIST was found. {HINT}")
    return download(paths.cache_data_dir(env), progress, timeout, mirrors)


@dataclass(frozen=True)
class Dataset:
    """The whole data set resident on one device, pixels scaled to [0, 1]."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    source: DataSource
    device: torch.device

    @property
    def n_train(self) -> int:
        return int(self.train_x.shape[0])

    @property
    def n_test(self) -> int:
        return int(self.test_x.shape[0])

    def split(self, val_fraction: float, split_seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Fixed train/validation indices: the same for every run with the same seed."""
        import torch

        gen = torch.Generator().manual_seed(split_seed)
        order = torch.randperm(self.n_train, generator=gen)
        n_val = max(1, round(self.n_train * val_fraction))
        if n_val >= self.n_train:
            raise DataError(
                f"val_fraction {val_fraction:g} leaves no training data out of {self.n_train} items"
            )
        return order[n_val:].to(self.device), order[:n_val].to(self.device)


_cache: dict[tuple[str, str, bool], Dataset] = {}
_cache_lock = threading.Lock()


def load(
    source: DataSource, device: torch.device | str = "cpu", require_full: bool = True
) -> Dataset:
    """Validate and load the four files onto `device`; cached per process."""
    import torch

    device = torch.device(device)
    key = (str(source.directory.resolve()), str(device), require_full)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
        train_x, train_y = read_split(source.directory, "train", require_full)
        test_x, test_y = read_split(source.directory, "test", require_full)
        dataset = Dataset(
            train_x=(train_x.to(device, torch.float32) / 255.0).contiguous(),
            train_y=train_y.to(device, torch.int64),
            test_x=(test_x.to(device, torch.float32) / 255.0).contiguous(),
            test_y=test_y.to(device, torch.int64),
            source=source,
            device=device,
        )
        _cache[key] = dataset
        return dataset


def resident(
    data: DataSource | Dataset, device: torch.device, require_full: bool = True
) -> Dataset:
    """The data set resident on `device`: loaded, or an already loaded one moved there."""
    if not isinstance(data, Dataset):
        return load(data, device, require_full)
    if data.device == device:
        return data
    return Dataset(
        data.train_x.to(device),
        data.train_y.to(device),
        data.test_x.to(device),
        data.test_y.to(device),
        data.source,
        device,
    )


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def status_lines(
    data_dir: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    debian_dir: Path = paths.DEBIAN_DATA_DIR,
    require_full: bool = True,
) -> tuple[list[str], bool]:
    """What `fmtui data status` prints, and whether a usable data set was found."""
    env = dict(os.environ if env is None else env)
    explicit = Path(data_dir).expanduser() if data_dir else paths.data_dir_override(env)
    candidates = []
    if explicit is not None:
        candidates.append(("--data-dir / FMTUI_DATA_DIR", explicit))
    candidates.append(("Debian package", debian_dir))
    candidates.append(("download cache", paths.cache_data_dir(env)))
    lines = []
    chosen = False
    for label, directory in candidates:
        if not has_all_files(directory):
            missing = [b for b in FILES.values() if not find_file(directory, b)]
            state = (
                f"missing {', '.join(missing)}"
                if directory.is_dir()
                else "is a file, not a folder"
                if directory.exists()
                else "not present"
            )
            lines.append(f"{label:28} {directory}: {state}")
            if explicit is not None and directory == explicit:
                break
            continue
        try:
            sizes = [check_split(directory, s, require_full) for s in ("train", "test")]
        except DataError as err:
            lines.append(f"{label:28} {directory}: INVALID — {err}")
            if explicit is not None and directory == explicit:
                break
            continue
        mark = "" if chosen else "  <- used"
        lines.append(f"{label:28} {directory}: ok, {sizes[0]} train / {sizes[1]} test{mark}")
        chosen = True
        if explicit is not None and directory == explicit:
            break
    if not chosen and explicit is not None:
        # A named folder is final (see `locate`): nothing is downloaded in its place.
        lines.append(
            f"No usable copy in {explicit}; `fmtui run` with this folder stops with an "
            f"error and downloads nothing. {HINT}"
        )
    elif not chosen:
        lines.append(
            f"No usable copy found; `fmtui run` would try to download into "
            f"{paths.cache_data_dir(env)}. {HINT}"
        )
    return lines, chosen

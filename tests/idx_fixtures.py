"""Provides small, learnable Fashion-MNIST-shaped IDX files for tests."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from fmtui.core.data import FILES


def idx_images(images: np.ndarray) -> bytes:
    n = images.shape[0]
    return struct.pack(">IIII", 0x00000803, n, 28, 28) + images.astype(np.uint8).tobytes()


def idx_labels(labels: np.ndarray) -> bytes:
    return struct.pack(">II", 0x00000801, labels.shape[0]) + labels.astype(np.uint8).tobytes()


def make_arrays(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Images whose class is written as a bright band at a class-specific row."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % 10)
    images = rng.integers(0, 60, size=(n, 28, 28))
    for i, label in enumerate(labels):
        row = 2 + 2 * int(label)
        images[i, row : row + 2, 4:24] = rng.integers(180, 255, size=(2, 20))
    return images, labels


def write_dataset(directory: Path, n_train: int = 600, n_test: int = 200, gz: bool = False) -> Path:
    """Write the four IDX files (raw or .gz) into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    parts = {}
    for split, n, seed in (("train", n_train, 1), ("test", n_test, 2)):
        images, labels = make_arrays(n, seed)
        parts[FILES[f"{split}_images"]] = idx_images(images)
        parts[FILES[f"{split}_labels"]] = idx_labels(labels)
    for base, payload in parts.items():
        if gz:
            (directory / (base + ".gz")).write_bytes(gzip.compress(payload))
        else:
            (directory / base).write_bytes(payload)
    return directory

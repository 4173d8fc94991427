"""Epoch time of the fmtui engine vs the torchvision tutorial pipeline, side by side.

Both train the report's best network (784-384-512-10, ReLU, Adam 1e-3, batch 64)
for one epoch on the same 54,000 training images, the same device and the same
thread count, alternating so that machine noise hits both alike. Prints the median
epoch times and the ratio engine/tutorial, and how long the engine takes to
evaluate the 10,000 test images relative to an epoch.

    python benchmarks/epoch_speed.py [--data-dir DIR] [--repeats 3] [--device cpu]
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms

from fmtui.core import data, train
from fmtui.core.model import build_model
from fmtui.core.spec import RunSpec


def tutorial_root(source: data.DataSource, tmp: Path) -> Path:
    """torchvision's FashionMNIST wants raw IDX files under ROOT/FashionMNIST/raw."""
    raw = tmp / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for base in data.FILES.values():
        found = data.find_file(source.directory, base)
        assert found is not None
        if found.suffix == ".gz":
            with gzip.open(found) as src, (raw / base).open("wb") as dst:
                shutil.copyfileobj(src, dst)
        else:
            shutil.copy(found, raw / base)
    return tmp


def tutorial_epoch(loader: DataLoader, spec: RunSpec, device: torch.device) -> float:
    model = build_model(spec, torch.Generator().manual_seed(0)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=spec.lr)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    model.train()
    for x, y in loader:
        x, y = x.to(device).flatten(1), y.to(device)
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def engine_epoch(spec: RunSpec, dataset: data.Dataset) -> tuple[float, float]:
    """(epoch seconds as the engine reports them, test-set evaluation seconds)."""
    result = train.train_run(spec, dataset)
    assert result.status == "completed", result.error
    model = build_model(spec, torch.Generator().manual_seed(0)).to(dataset.device)
    start = time.perf_counter()
    train.evaluate(model, dataset.test_x, dataset.test_y)
    if dataset.device.type == "cuda":
        torch.cuda.synchronize()
    return result.epochs[0].seconds, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    source = data.resolve(args.data_dir, allow_download=False)
    device, _ = train.resolve_device(args.device)
    spec = RunSpec(layers=(384, 512), epochs=1, patience=0, device=str(device))
    dataset = data.load(source, device)
    train_idx, _ = dataset.split(spec.val_fraction, spec.split_seed)

    with tempfile.TemporaryDirectory() as tmp:
        root = tutorial_root(source, Path(tmp))
        tv = datasets.FashionMNIST(root, train=True, transform=transforms.ToTensor())
        loader = DataLoader(Subset(tv, train_idx.cpu().tolist()), batch_size=64, shuffle=True)
        engine, tutorial, evals = [], [], []
        for i in range(args.repeats):
            e, ev = engine_epoch(spec, dataset)
            t = tutorial_epoch(loader, spec, device)
            engine.append(e)
            evals.append(ev)
            tutorial.append(t)
            print(f"repeat {i + 1}: engine {e:.2f}s  tutorial {t:.2f}s  test eval {ev:.3f}s")

    e_med, t_med, ev_med = map(statistics.median, (engine, tutorial, evals))
    print(
        f"device {device} ({train.environment(device, None)['device_name']}), "
        f"{torch.get_num_threads()} threads, torch {torch.__version__}"
    )
    print(
        f"median epoch: engine {e_med:.2f}s, tutorial {t_med:.2f}s, "
        f"ratio engine/tutorial {e_med / t_med:.3f}"
    )
    print(f"test-set evaluation: {ev_med:.3f}s = {ev_med / e_med:.1%} of an engine epoch")


if __name__ == "__main__":
    main()

"""How the journal's costs grow with its size: 100 entries against 1,000.

Builds two journals in a temporary folder through the Journal API (no training): 10%
of the entries are 147-run grids (21 arms × 7 seeds, 15 epochs each), the rest 6-run
experiments (2 arms × 3 seeds); every run carries what a real one does (per-epoch
metrics, a 10×10 confusion matrix, per-class accuracy, 16 misclassified examples, the
environment). For each journal it measures, each in a fresh process:

- `fmtui journal list`: wall time and peak memory (the child's maximum resident set);
- app first paint: from `make_app` to the browser's first screenful of rows painted
  (the rows a user sees, headless `run_test`, 120×40), and to every entry being in the
  table (the browser adds rows below the first screenful in chunks);
- a per-epoch save: the median of `--epochs` saves through `ExperimentRecorder`, as
  training makes them (the journal then holds one more entry);
- opening a 147-run entry: `Journal.get`, the median of 5.

in `--rounds` rounds (5), the two sizes taking turns, and prints both sizes' medians
side by side with the growth 1,000 / 100 of each figure: the median of each round's
own ratio, so load drifting on a shared machine reaches both sizes alike.
The same script measures older code: `PYTHONPATH=/path/to/old/checkout python
benchmarks/journal_scale.py` builds and measures with whatever `fmtui` it imports.

    python benchmarks/journal_scale.py [--sizes 100 1000] [--epochs 30] [--rounds 5]
                                       [--keep DIR]

With `--keep DIR` a journal already there from an earlier run is measured again
instead of rebuilt (the per-epoch saves leave one more entry in it each time).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, os.environ.get("PYTHONPATH", "").split(os.pathsep)[0] or str(ROOT))

GRID_ARMS, GRID_SEEDS, SMALL_ARMS, SMALL_SEEDS, EPOCHS = 21, 7, 2, 3, 15
ENV = {
    "fmtui": "0.1.0",
    "torch": "2.14.1",
    "python": "3.12.3",
    "device": "cpu",
    "device_name": "AMD EPYC 9654 96-Core Processor",
    "threads": 2,
    "cpu_flags": "avx2 avx512f avx512bw avx512vl fma",
    "engine": "sequential",
    "group_size": 1,
    "precision": "fp32",
    "deterministic": True,
    "data_sha256": "9f1c0c4e" * 8,
}


def make_run(rng: random.Random, arm: str, layers: list[int], repeat: int) -> dict[str, Any]:
    from fmtui.core.spec import RunSpec

    spec = RunSpec(layers=tuple(layers), epochs=EPOCHS, seed=repeat).to_dict()
    acc = 0.86 + rng.random() * 0.04
    epochs = []
    for n in range(1, EPOCHS + 1):
        val = min(0.99, acc - 0.05 / n + rng.random() * 0.002)
        epochs.append(
            {
                "epoch": n,
                "train_loss": 0.6 / n + rng.random() * 0.01,
                "train_acc": min(0.99, val + 0.01),
                "val_loss": 0.5 / n + 0.2,
                "val_acc": val,
                "seconds": 4.0 + rng.random(),
            }
        )
    confusion = [[0] * 10 for _ in range(10)]
    for i in range(10):
        right = int(1000 * (acc - 0.05 + rng.random() * 0.1))
        confusion[i][i] = min(1000, right)
        for _ in range(1000 - confusion[i][i]):
            confusion[i][rng.randrange(10)] += 1
    return {
        "arm": arm,
        "repeat": repeat,
        "spec": spec,
        "status": "completed",
        "error": None,
        "device": "cpu",
        "parameters": 784 * layers[0] + 10 * layers[-1],
        "environment": ENV,
        "epochs": epochs,
        "best_epoch": EPOCHS,
        "stopped_early": False,
        "test_loss": 0.33,
        "test_acc": acc,
        "per_class_acc": [confusion[i][i] / 1000 for i in range(10)],
        "confusion": confusion,
        "misclassified": [[rng.randrange(10_000), rng.randrange(10), rng.randrange(10)]] * 16,
        "duration_s": 65.0,
    }


def make_entry(rng: random.Random, index: int) -> Any:
    from fmtui.core.journal import Entry

    grid = index % 10 == 0
    arms = [(f"w{64 * (a + 1)}", [64 * (a + 1), 256]) for a in range(GRID_ARMS if grid else 2)]
    seeds = GRID_SEEDS if grid else SMALL_SEEDS
    runs = [make_run(rng, name, layers, s) for name, layers in arms for s in range(seeds)]
    return Entry(
        title=f"{'Grid of widths' if grid else 'Width vs baseline'} #{index}",
        objective="Find how width changes test accuracy. " * 3,
        hypothesis="Wider first layers reach higher accuracy, up to a plateau.",
        methodology="Trained the arms with adam, batch 64, 15 epochs; seeds per arm.",
        results="Arm w256 achieved the highest test accuracy.",
        evaluation="Within seed noise above 256 units.",
        conclusion="Use 256.",
        tags=["width", "grid" if grid else "ab"],
        status="completed",
        runs=runs,
        verdict="supported" if index % 3 else "inconclusive",
    )


def build(path: Path, count: int) -> int:
    """A journal of `count` entries; returns the id of a 147-run grid entry."""
    from fmtui.core.journal import Journal

    rng = random.Random(count)
    with Journal(path) as journal:
        for start in range(0, count, 50):
            journal.add_many([make_entry(rng, i) for i in range(start, min(count, start + 50))])
        return next(e.id or 0 for e in journal.all() if len(e.runs) == GRID_ARMS * GRID_SEEDS)


def grid_entry(path: Path) -> int:
    """The id of a 147-run grid entry of a journal kept from an earlier run."""
    from fmtui.core.journal import Journal

    with Journal(path, read_only=True) as journal:
        return next(e.id or 0 for e in journal.all() if e.title.startswith("Grid of widths"))


def entry_count(path: Path) -> int:
    from fmtui.core.journal import Journal

    with Journal(path, read_only=True) as journal:
        return len(journal)


RSS_WRAPPER = """
import resource, subprocess, sys, time
t = time.perf_counter()
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
wall = time.perf_counter() - t
print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
"""


def journal_list(path: Path) -> tuple[float, float]:
    """Wall seconds and peak MB of `fmtui journal list`, in a child of a child."""
    argv = [sys.executable, "-m", "fmtui", "--journal", str(path), "journal", "list"]
    out = subprocess.run(
        [sys.executable, "-c", RSS_WRAPPER, *argv], capture_output=True, text=True, check=True
    )
    wall, mb = out.stdout.split()
    return float(wall), float(mb)


def in_child(func: str, *args: Any) -> Any:
    """Run one of this module's measurements in a fresh interpreter; its JSON result."""
    code = (
        f"import json, sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
        f"import journal_scale as b; print(json.dumps(b.{func}(*json.loads(sys.argv[1]))))"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            json.dumps([str(a) if isinstance(a, Path) else a for a in args]),
        ],
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.splitlines()[-1])


def first_paint(path: str, count: int) -> list[float]:
    """Seconds from building the app to the browser's first screenful of rows painted,
    and to its table holding all `count` rows (then painted too)."""
    from textual.widgets import DataTable

    from fmtui.app import make_app

    async def painted(table: DataTable) -> float:
        await asyncio.wait_for(table.wait_for_refresh(), 10)
        return time.perf_counter() - start

    async def watch(app: Any) -> list[float]:
        """Poll beside the app from its start: `run_test` hands over only once the
        screen has settled, by when the chunks below the first screenful are in too."""
        screenful: float | None = None
        while True:
            await asyncio.sleep(0.005)
            try:
                table = app.screen.query_one("#entries", DataTable)
            except Exception:  # noqa: BLE001 - no screen, or not the browser, yet
                continue
            if not table.is_mounted:
                continue
            if table.row_count >= count:
                done = await painted(table)
                return [done if screenful is None else screenful, done]
            visible = table.size.height - 1  # less the header
            if screenful is None and 0 < visible <= table.row_count:
                screenful = await painted(table)

    async def measure() -> list[float]:
        app = make_app(path, devices=[("cpu", "CPU")], blink=False, live_clock=False)
        watcher = asyncio.create_task(watch(app))
        async with app.run_test(size=(120, 40)):
            return await watcher

    start = time.perf_counter()
    return asyncio.run(measure())


def epoch_saves(path: str, epochs: int) -> float:
    """Median milliseconds of one per-epoch save through the recorder."""
    from fmtui.core import events
    from fmtui.core.journal import Entry, Journal
    from fmtui.core.record import ExperimentRecorder
    from fmtui.core.spec import Arm, ExperimentSpec, RunSpec

    experiment = ExperimentSpec(arms=(Arm("a", RunSpec(epochs=epochs)),), seeds=1)
    with Journal(path) as journal:
        recorder = ExperimentRecorder(journal, Entry(title="timed"), experiment)
        recorder.start()
        spec = experiment.runs()[0].spec
        recorder.on_event(events.RunStarted("a", 0, spec, "cpu", 10, dict(ENV), 900))
        times = []
        for n in range(1, epochs + 1):
            metrics = events.EpochMetrics(n, 0.5, 0.8, 0.4, 0.85, 4.0)
            event = events.EpochEnd("a", 0, metrics, best_epoch=n, patience_left=None)
            start = time.perf_counter()
            recorder.on_event(event)
            times.append(time.perf_counter() - start)
        assert recorder.write_error is None, recorder.write_error
        # Ended as a cancel would end it: no entry is left `running` for the next app
        # start to mark interrupted (a write of the whole index, in the next round).
        recorder.finish(cancelled=True)
    return statistics.median(times) * 1000


def open_entry(path: str, entry_id: int) -> float:
    """Median seconds of `Journal.get` of one entry (a 147-run grid)."""
    from fmtui.core.journal import Journal

    with Journal(path, read_only=True) as journal:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            entry = journal.get(entry_id)
            times.append(time.perf_counter() - start)
        assert len(entry.runs) == GRID_ARMS * GRID_SEEDS and entry.runs[0]["epochs"]
    return statistics.median(times)


def prepare(folder: Path, count: int) -> tuple[Path, int, int]:
    """The journal of `count` entries (built, or reused with --keep): path, rows, grid id."""
    path = folder / f"journal-{count}.json"
    start = time.perf_counter()
    grid_id = grid_entry(path) if path.exists() else build(path, count)
    built = time.perf_counter() - start
    rows = entry_count(path)
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and str(count) in p.name)
    logs = path.with_name(path.name + ".runs")
    if logs.is_dir():
        size += sum(p.stat().st_size for p in logs.iterdir())
    print(
        f"{rows} entries ready in {built:.1f} s: index {path.stat().st_size / 1e6:.1f} MB, "
        f"all files {size / 1e6:.1f} MB",
        flush=True,
    )
    return path, rows, grid_id


def one_round(path: Path, rows: int, grid_id: int, epochs: int) -> dict[str, float]:
    """Every figure once, each in a fresh process."""
    wall, mb = journal_list(path)
    screenful, filled = in_child("first_paint", str(path), rows)
    return {
        "journal list (s)": wall,
        "journal list (MB)": mb,
        "first paint (s)": screenful,
        "all rows in table (s)": filled,
        "open 147-run entry (s)": in_child("open_entry", str(path), grid_id),
        "per-epoch save (ms)": in_child("epoch_saves", str(path), epochs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[100, 1000])
    parser.add_argument("--epochs", type=int, default=30, help="per-epoch saves timed")
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="rounds of every figure (medians), each figure in a fresh process",
    )
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    args = parser.parse_args()
    import fmtui

    print(f"fmtui from {Path(fmtui.__file__).parent}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        journals = [prepare(folder, n) for n in args.sizes]
        # The sizes take turns, round after round, so load drifting on a shared machine
        # reaches both alike; the growth is the median of each round's own ratio.
        rounds = [
            [one_round(*journal, args.epochs) for journal in journals] for _ in range(args.rounds)
        ]
    print(f"\n{'figure':<24} {args.sizes[0]:>10} {args.sizes[1]:>10} {'growth':>8}")
    for name in rounds[0][0]:
        small = statistics.median(r[0][name] for r in rounds)
        large = statistics.median(r[1][name] for r in rounds)
        ratios = [r[1][name] / r[0][name] for r in rounds if r[0][name]]
        ratio = statistics.median(ratios) if ratios else float("nan")
        print(f"{name:<24} {small:>10.3f} {large:>10.3f} {ratio:>7.2f}×")


if __name__ == "__main__":
    main()

"""UI latency while real training runs, and training speed with vs without the UI.

In one process, alternating: the report's best network trained by the engine alone,
then the same run launched from the app (headless, 120×40, the training screen with
live charts) while messages are posted to the app's queue at random intervals (a
key press waits in that same queue) and the user switches to the journal and back
now and then. Prints p50/p95/max latency (training vs idle) and training throughput
with the UI relative to without.

    python benchmarks/ui_latency.py [--data-dir DIR] [--repeats 2] [--epochs 1]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fmtui.app import core_trainer, make_app  # noqa: E402
from fmtui.core import data, train  # noqa: E402
from fmtui.core.journal import Entry  # noqa: E402
from fmtui.core.spec import Arm, ExperimentSpec, RunSpec  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def ping(app) -> float:
    """Seconds from posting to the app's message queue (as a key press is) to handling.

    `Pilot.press` waits for the app to go idle, which it never does while training
    events stream in; a callback queued like a key event measures what a key waits.
    """
    done = asyncio.Event()
    start = time.perf_counter()
    seen: list[float] = []

    def handled() -> None:
        seen.append(time.perf_counter() - start)
        done.set()

    app.call_later(handled)
    await asyncio.wait_for(done.wait(), timeout=10)
    return seen[0]


async def sample(app, rng: random.Random, out: list[float], until) -> None:
    """Pings at random intervals, plus a screen switch now and then, until `until()`."""
    from fmtui.screens.browser import BrowserScreen

    while not until():
        await asyncio.sleep(rng.uniform(0.01, 0.1))
        out.append(await ping(app))
        if rng.random() < 0.03:  # journal and back, as a user would while waiting
            app.back_to_browser() if not isinstance(app.screen, BrowserScreen) else (
                app.open_training() if app.live else None
            )


async def with_ui(
    source: data.DataSource, spec: RunSpec, folder: Path, rng: random.Random
) -> tuple[list[float], list[float], float]:
    """(latencies while training, latencies idle, seconds per epoch with the UI)."""
    app = make_app(
        folder / f"journal-{time.time_ns()}.json", trainer=core_trainer(source.directory)
    )
    training, idle = [], []
    async with app.run_test(size=(120, 40)) as pilot:
        for n in range(6):
            app.journal.add(Entry(title=f"earlier entry {n}"))
        entry = Entry(title="latency benchmark")
        app.journal.add(entry)
        await pilot.pause()
        experiment = ExperimentSpec(arms=(Arm("bench", spec),))
        deadline = time.perf_counter() + 3
        await sample(app, rng, idle, lambda: time.perf_counter() > deadline)
        app.launch(entry, experiment)
        state = app.live[entry.id or 0]
        while state.step == 0 and state.status in ("queued", "running"):
            await asyncio.sleep(0.05)  # data loaded and the first steps taken
        await sample(app, rng, training, lambda: state.status not in ("queued", "running"))
        await app.workers.wait_for_complete()
        epochs = state.runs[0].epochs
    app.journal.close()
    return training, idle, statistics.fmean(e.seconds for e in epochs)


def without_ui(source: data.DataSource, spec: RunSpec) -> float:
    result = train.train_run(spec, source)
    assert result.status == "completed", result.error
    return statistics.fmean(e.seconds for e in result.epochs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    source = data.resolve(args.data_dir, allow_download=False)
    spec = RunSpec(layers=(384, 512), epochs=args.epochs, patience=0, device=args.device)
    data.load(source, train.resolve_device(args.device)[0])  # load once, for both sides
    rng = random.Random(0)
    training, idle, plain, ui = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            plain.append(without_ui(source, spec))
            t, d, s = asyncio.run(with_ui(source, spec, Path(tmp), rng))
            training += t
            idle += d
            ui.append(s)
            print(
                f"repeat {i + 1}: epoch {plain[-1]:.2f}s alone, {s:.2f}s with the UI; "
                f"{len(t)} messages timed during training",
                flush=True,
            )
    ms = 1000
    for label, values in (("training", training), ("idle", idle)):
        print(
            f"message latency {label:8}: p50 {percentile(values, 0.5) * ms:5.1f} ms  "
            f"p95 {percentile(values, 0.95) * ms:5.1f} ms  max {max(values) * ms:5.1f} ms  "
            f"(n={len(values)})"
        )
    ratio = statistics.median(plain) / statistics.median(ui)
    print(
        f"training throughput with the UI / without: {ratio:.3f} "
        f"(epoch {statistics.median(ui):.2f}s vs {statistics.median(plain):.2f}s, "
        f"{threading.active_count()} threads alive at the end)"
    )


if __name__ == "__main__":
    main()

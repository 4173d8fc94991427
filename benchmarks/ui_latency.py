"""UI latency while real training runs, and training speed with vs without the UI.

One process, one training run: the app (headless, 120×40) launches the report's
best network (784-384-512-10, batch 64) on the real data, and it trains in the app's
child process as it always does. While it trains, the benchmark alternates phases of
a few seconds:

- with the UI: the app runs as a user has it — the training screen with its live
  charts, a message posted to the app's queue at random intervals (a key press
  waits in that same queue; the time until it is handled is its latency), and a
  switch to the journal or back every `--switch-every` seconds on average;
- without the UI: the app's event loop is held, so nothing is drawn or handled —
  the same training, with no UI work beside it.

Training speed in each phase comes from the child's own progress reports (samples
per second over every 100 steps; only windows wholly inside a phase count, so the
evaluation between epochs is left out). Phases run in pairs, alternating which comes
first; the ratio of each pair compares two stretches of the same run a few seconds
apart, which cancels most of the drift of a shared machine.

Prints p50/p95/max latency (idle, before the launch, and during training), the
throughput ratio of each pair, their median, and this process's CPU use in each kind
of phase. Latency in a UI phase is sampled from `--settle` seconds after the loop is
released: the backlog a held loop leaves is the benchmark's doing, not the app's.

    python benchmarks/ui_latency.py [--data-dir DIR] [--pairs 12] [--phase 2.5]
                                    [--switch-every 10]
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
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fmtui.app import Trainer, make_app, make_trainer  # noqa: E402
from fmtui.core import data, train  # noqa: E402
from fmtui.core.journal import Entry  # noqa: E402
from fmtui.core.spec import Arm, ExperimentSpec, RunSpec  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass(frozen=True)
class Window:
    """Steps between two progress reports of the child: when and how many samples."""

    start: float
    end: float
    samples: int


@dataclass
class Phase:
    ui: bool
    start: float
    end: float
    cpu_s: float

    def rate(self, windows: list[Window]) -> float | None:
        """Samples per second over the windows wholly inside this phase."""
        inside = [w for w in windows if w.start >= self.start and w.end <= self.end]
        seconds = sum(w.end - w.start for w in inside)
        return sum(w.samples for w in inside) / seconds if seconds > 0 else None


def timed_trainer(source: data.DataSource, batch_size: int, windows: list[Window]) -> Trainer:
    """The app's own trainer, noting each progress report's window as it arrives."""
    inner = make_trainer(source.directory)
    last_step: dict[tuple[str, int, int], int] = {}

    def run(
        experiment: ExperimentSpec,
        on_event: train.EventCallback,
        cancel: threading.Event,
        skip: threading.Event,
    ) -> list[train.RunResult]:
        def relay(event: train.Event) -> None:
            if isinstance(event, train.Progress) and event.samples_per_s > 0:
                now = time.perf_counter()
                key = (event.arm, event.repeat, event.epoch)
                samples = (event.step - last_step.get(key, 0)) * batch_size
                last_step[key] = event.step
                windows.append(Window(now - samples / event.samples_per_s, now, samples))
            on_event(event)

        return inner(experiment, relay, cancel, skip)

    return run


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


async def use(app, rng: random.Random, out: list[float], until: float, switch_every: float) -> None:
    """Pings at random intervals until `until`; a screen switch every `switch_every`
    seconds on average (journal, then back to the training screen)."""
    from fmtui.screens.browser import BrowserScreen

    while time.perf_counter() < until:
        pause = rng.uniform(0.01, 0.1)
        await asyncio.sleep(pause)
        out.append(await ping(app))
        if switch_every > 0 and rng.random() < pause / switch_every:
            if isinstance(app.screen, BrowserScreen):
                app.open_training()
            else:
                app.back_to_browser()


async def benchmark(
    source: data.DataSource, args: argparse.Namespace, folder: Path
) -> tuple[list[float], list[float], list[Phase], list[Window]]:
    spec = RunSpec(layers=(384, 512), epochs=1000, patience=0, device=args.device)
    windows: list[Window] = []
    app = make_app(folder / "journal.json", trainer=timed_trainer(source, spec.batch_size, windows))
    rng = random.Random(0)
    idle: list[float] = []
    training: list[float] = []
    phases: list[Phase] = []
    async with app.run_test(size=(120, 40)) as pilot:
        for n in range(6):
            app.journal.add(Entry(title=f"earlier entry {n}"))
        entry = Entry(title="latency benchmark")
        app.journal.add(entry)
        await pilot.pause()
        await use(app, rng, idle, time.perf_counter() + 3, 0)
        app.launch(entry, ExperimentSpec(arms=(Arm("bench", spec),)))
        while len(windows) < 3:  # data loaded and the first steps taken
            await asyncio.sleep(0.05)
        order = [(True, False) if i % 2 == 0 else (False, True) for i in range(args.pairs)]
        for ui in (side for pair in order for side in pair):
            start, cpu = time.perf_counter(), time.process_time()
            if ui:
                await asyncio.sleep(args.settle)  # let the app catch up after a hold
                await use(app, rng, training, start + args.phase, args.switch_every)
            else:
                time.sleep(args.phase)  # holds the app's event loop: no UI work at all
            phases.append(Phase(ui, start, time.perf_counter(), time.process_time() - cpu))
        app.cancel_experiment(entry.id or 0)
        await app.workers.wait_for_complete()
    app.journal.close()
    return idle, training, phases, windows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--pairs", type=int, default=12)
    parser.add_argument("--phase", type=float, default=2.5, help="seconds per phase")
    parser.add_argument("--settle", type=float, default=0.3)
    parser.add_argument(
        "--switch-every",
        type=float,
        default=10.0,
        help="mean seconds between switches to the journal or back (0: never)",
    )
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    source = data.resolve(args.data_dir, allow_download=False)
    with tempfile.TemporaryDirectory() as tmp:
        idle, training, phases, windows = asyncio.run(benchmark(source, args, Path(tmp)))
    ratios = []
    for i in range(0, len(phases), 2):
        pair = {p.ui: p for p in phases[i : i + 2]}
        with_ui, without = pair[True].rate(windows), pair[False].rate(windows)
        if with_ui is None or without is None:
            print(f"pair {i // 2 + 1}: too few progress reports inside a phase")
            continue
        ratios.append(with_ui / without)
        print(
            f"pair {i // 2 + 1}: {with_ui:7.0f} samples/s with the UI, {without:7.0f} "
            f"without (ratio {ratios[-1]:.3f})"
        )
    ms = 1000
    for label, values in (("idle", idle), ("training", training)):
        print(
            f"message latency {label:8}: p50 {percentile(values, 0.5) * ms:5.1f} ms  "
            f"p95 {percentile(values, 0.95) * ms:5.1f} ms  max {max(values) * ms:5.1f} ms  "
            f"(n={len(values)})"
        )

    def cpu(ui: bool) -> float:
        chosen = [p for p in phases if p.ui == ui]
        return sum(p.cpu_s for p in chosen) / sum(p.end - p.start for p in chosen)

    print(
        f"training throughput with the UI / without: median {statistics.median(ratios):.3f} "
        f"over {len(ratios)} pairs (range {min(ratios):.3f}–{max(ratios):.3f})"
    )
    print(
        f"this process's CPU: {cpu(True):.1%} of a core with the UI, {cpu(False):.1%} "
        f"with the loop held (relaying events, saving the journal); "
        f"{threading.active_count()} threads alive at the end"
    )


if __name__ == "__main__":
    main()

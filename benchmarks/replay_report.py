"""Replays the seed report's twelve experiments with 3 seeds per arm and times them.

The report (seed/000_393ed98be3ef1edf.txt) ran each arm once; here every arm runs
with several seeds, through the same executor `fmtui run` uses (so `--batch-models`
decides how runs are grouped), and each experiment prints its arms' mean ± sd test
accuracy and its wall time. Epochs are as in the report; `--quick` trains 1 epoch
per run, for a CI-sized check that the whole replay works.

    python benchmarks/replay_report.py [--quick] [--seeds 3] [--batch-models auto]
        [--device auto] [--data-dir DIR] [--only 1,3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime

from fmtui.core import data, train
from fmtui.core.spec import Arm, ExperimentSpec, RunSpec, grid_arms, layer_arms, parse_grid

# The report's set-up: 784-h1-h2-10 ReLU MLP, Adam 1e-3, batch 64; its early entries
# trained for 3 epochs without early stopping, and from entry 6 on for up to 20
# epochs with early stopping.
REPORT = RunSpec(layers=(384, 512), epochs=3, patience=0)
STOPPING = REPORT.with_changes(epochs=20, patience=3)


def experiments() -> list[tuple[str, tuple[Arm, ...]]]:
    """(title, arms) for each journal entry of the report, baseline arm first."""
    three_layer = [
        (512, 348, 512),
        (256, 512, 256),
        (384, 256, 512),
        (512, 384, 384),
        (256, 384, 512),
        (512, 512, 256),
    ]
    return [
        ("Hidden units 16..1024 (grid)", grid_arms(parse_grid("16..1024x16..1024"), REPORT)),
        ("Hidden units 384..640 (grid)", grid_arms(parse_grid("384,512,640x384,512,640"), REPORT)),
        (
            "Epochs 5 vs 3, 512x384 vs 384x512",
            (
                Arm("512x384 e3", REPORT.with_changes(layers=(512, 384))),
                Arm("512x384 e5", REPORT.with_changes(layers=(512, 384), epochs=5)),
                Arm("384x512 e5", REPORT.with_changes(epochs=5)),
            ),
        ),
        ("Epochs 5 vs 3", (Arm("e3", REPORT), Arm("e5", REPORT.with_changes(epochs=5)))),
        (
            "Epochs 10 vs 5",
            (Arm("e5", REPORT.with_changes(epochs=5)), Arm("e10", REPORT.with_changes(epochs=10))),
        ),
        (
            "Epochs up to 20 with early stopping vs 5",
            (Arm("e5", REPORT.with_changes(epochs=5)), Arm("e20 early stop", STOPPING)),
        ),
        (
            "Batch 32 vs 64",
            (Arm("b64", STOPPING), Arm("b32", STOPPING.with_changes(batch_size=32))),
        ),
        (
            "Batch 128 vs 64",
            (Arm("b64", STOPPING), Arm("b128", STOPPING.with_changes(batch_size=128))),
        ),
        (
            "Learning rate 1e-4 vs 1e-3",
            (Arm("1e-3", STOPPING), Arm("1e-4", STOPPING.with_changes(lr=1e-4))),
        ),
        (
            "Learning rate 1e-2 vs 1e-3",
            (Arm("1e-3", STOPPING), Arm("1e-2", STOPPING.with_changes(lr=1e-2))),
        ),
        ("Three hidden layers", layer_arms([(384, 512), *three_layer], STOPPING)),
        (
            "Adam vs SGD",
            (
                Arm("adam", STOPPING),
                Arm("sgd", STOPPING.with_changes(optimizer="sgd", momentum=0.0)),
            ),
        ),
    ]


def quick(arms: tuple[Arm, ...]) -> tuple[Arm, ...]:
    return tuple(Arm(a.name, a.spec.with_changes(epochs=1)) for a in arms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 epoch per run")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--batch-models", default="auto")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--data-dir")
    parser.add_argument("--only", help="entry numbers to run, like 1,3 (default: all)")
    args = parser.parse_args()
    source = data.resolve(args.data_dir, allow_download=False)
    chosen = {int(n) for n in args.only.split(",")} if args.only else None
    started = time.perf_counter()
    total_runs = 0
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, batch-models {args.batch_models}, "
        f"{args.seeds} seeds per arm{', quick (1 epoch)' if args.quick else ''}"
    )
    for number, (title, arms) in enumerate(experiments(), start=1):
        if chosen and number not in chosen:
            continue
        arms = tuple(Arm(a.name, a.spec.with_changes(device=args.device)) for a in arms)
        experiment = ExperimentSpec(
            quick(arms) if args.quick else arms, seeds=args.seeds, batch_models=args.batch_models
        )
        t0 = time.perf_counter()
        results = train.run_experiment(experiment, source, progress_every=10**9)
        total_runs += len(results)
        engines = sorted({r.environment.get("engine", "?") for r in results})
        print(
            f"{number:2d}. {title}: {len(results)} runs in {time.perf_counter() - t0:.0f} s "
            f"({', '.join(engines)})"
        )
        for arm in experiment.arms:
            accs = [r.test_acc for r in results if r.arm == arm.name and r.test_acc is not None]
            if accs:
                sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
                print(f"      {arm.name:<18} {statistics.fmean(accs):.4f} ± {sd:.4f}")
    print(f"total: {total_runs} runs in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

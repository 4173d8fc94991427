"""Model-epochs per second, batched engine vs sequential, side by side in one process.

Cases: (a) 3 seeds of 784-384-512-10, (b) the 4×4 width grid 16..128, and on CUDA
(c) the 7×7 grid 16..1024 × 3 seeds. Each case trains one epoch per run through the
real engines (training, validation, test evaluation included): one by one, and as
`--batch-models auto` plans it (padded blocks where they pay), alternating so that
machine noise hits both alike, and prints the median rates and their ratio, by wall
time and by this process's CPU time. With one torch thread the CPU-time rate is what
an otherwise idle machine would give; on a machine shared with other work it is the
steadier of the two (waiting for a core is not counted). Beside the ratio of the
medians it prints the median of each repeat's own ratio, which load that drifts
between repeats distorts less.

    python benchmarks/many_models.py [--data-dir DIR] [--repeats 3] [--device cpu]
        [--cases a,b,c] [--train-images N] [--threads N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime

import torch

from fmtui.core import batch_plan, data, train
from fmtui.core.batched import train_group
from fmtui.core.spec import ExperimentSpec, RunSpec, grid_arms, layer_arms, parse_grid


def case_runs(case: str, device: str) -> ExperimentSpec:
    base = RunSpec(epochs=1, patience=0, device=device)
    if case == "a":
        return ExperimentSpec(layer_arms([(384, 512)], base), seeds=3)
    if case == "b":
        return ExperimentSpec(grid_arms(parse_grid("16..128x16..128"), base), seeds=1)
    return ExperimentSpec(grid_arms(parse_grid("16..1024x16..1024"), base), seeds=3)


def sequential_rate(experiment: ExperimentSpec, dataset: data.Dataset) -> tuple[float, float]:
    """Model-epochs per second of wall time and of CPU time, one run after another."""
    runs = experiment.runs()
    start, cpu = time.perf_counter(), time.process_time()
    for run in runs:
        result = train.train_run(run.spec, dataset, progress_every=10**9)
        assert result.status == "completed", result.error
    return _rates(len(runs), start, cpu)


def _rates(count: int, start: float, cpu: float) -> tuple[float, float]:
    wall_s, cpu_s = time.perf_counter() - start, time.process_time() - cpu
    return count / wall_s, count / max(cpu_s, 1e-9)


def batched_rate(
    experiment: ExperimentSpec, dataset: data.Dataset, memory: int
) -> tuple[float, float]:
    """The rates with `--batch-models auto`'s plan (runs it leaves alone train alone)."""
    runs = experiment.runs()
    device_type = dataset.device.type
    groups = batch_plan.plan(runs, "auto", device_type=device_type, memory_bytes=memory)
    start, cpu = time.perf_counter(), time.process_time()
    for group in groups:
        if group.engine == "sequential":
            results = [train.train_run(group.runs[0].spec, dataset, progress_every=10**9)]
        else:
            results = train_group(
                list(group.runs),
                dataset,
                group.widths,
                block_widths=group.stacked_widths(),
                progress_every=10**9,
            )
        assert all(r.status == "completed" for r in results), results[0].error
    return _rates(len(runs), start, cpu)


def _rounded(values: list[float]) -> list[float]:
    return [round(v, 3) for v in values]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--cases", default="a,b,c")
    parser.add_argument(
        "--train-images",
        type=int,
        default=0,
        help="train on the first N real training images only (shorter epochs on a busy CPU)",
    )
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device, _ = train.resolve_device(args.device)
    dataset = data.load(data.resolve(args.data_dir, allow_download=False), device)
    if args.train_images:
        n = args.train_images
        dataset = data.Dataset(
            dataset.train_x[:n],
            dataset.train_y[:n],
            dataset.test_x,
            dataset.test_y,
            dataset.source,
            device,
        )
    from fmtui.core.executor import memory_budget, precision

    kind = precision(device)
    memory = memory_budget(device)
    name = train.environment(device, None)["device_name"]
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {name} ({device}), torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, {kind}, {args.repeats} alternating repeats, "
        f"{dataset.n_train} training images",
        flush=True,
    )
    for case in args.cases.split(","):
        if case == "c" and device.type != "cuda":
            print("(c) skipped: needs a CUDA device")
            continue
        experiment = case_runs(case, str(device))
        auto = batch_plan.describe(
            batch_plan.plan(experiment.runs(), "auto", device_type=device.type, memory_bytes=memory)
        )
        seq, bat = [], []
        for _ in range(args.repeats):
            seq.append(sequential_rate(experiment, dataset))
            bat.append(batched_rate(experiment, dataset, memory))
        print(f"({case}) {len(experiment.runs())} runs; auto plans: {auto}", flush=True)
        for clock, i in (("wall", 0), ("CPU", 1)):
            s, b = statistics.median(r[i] for r in seq), statistics.median(r[i] for r in bat)
            # Each repeat's own ratio: load that drifts over minutes hits a repeat's two
            # engines alike, so their median is steadier than the ratio of medians.
            paired = statistics.median(bb[i] / ss[i] for ss, bb in zip(seq, bat, strict=True))
            print(
                f"     by {clock} time: sequential {s:.3f} model-epochs/s, batched {b:.3f}, "
                f"ratio {b / s:.2f}x (median of each repeat's ratio {paired:.2f}x); "
                f"each repeat: sequential {_rounded([r[i] for r in seq])}, "
                f"batched {_rounded([r[i] for r in bat])}",
                flush=True,
            )


if __name__ == "__main__":
    main()

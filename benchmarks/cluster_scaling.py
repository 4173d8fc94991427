"""Time the same 8-run experiment on a local Dask cluster of 1 and of 2 workers.

Each worker is a process with one thread (and one torch thread). Clusters of both
sizes are started alternately (ABBA order) so that the machine's speed changes hit
both alike; each worker first trains a tiny run (loading torch, the engine and the
data set), so the timings are of training alone. Prints the wall time per round
and the median speed-up.

    python benchmarks/cluster_scaling.py                # real data, 8 runs of 1 epoch
    python benchmarks/cluster_scaling.py --rounds 2 --layers 128
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from typing import Any

from distributed import LocalCluster

from fmtui.core.cluster import connect, run_on_cluster
from fmtui.core.spec import Arm, ExperimentSpec, RunSpec, parse_layers


def _run(client: Any, experiment: ExperimentSpec, args: argparse.Namespace) -> list[Any]:
    return run_on_cluster(
        experiment,
        lambda _event: None,
        threading.Event(),
        threading.Event(),
        client=client,
        data_dir=args.data_dir,
        require_full=not args.allow_subset,
    )


def time_cluster(workers: int, experiment: ExperimentSpec, args: argparse.Namespace) -> float:
    with LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        client = connect(cluster.scheduler_address)
        try:
            # A first tiny run per worker: imports, the data set and the engine load once.
            warm = RunSpec(layers=(8,), epochs=1, patience=0, device="cpu")
            _run(client, ExperimentSpec(arms=(Arm("warm", warm),), seeds=workers), args)
            start = time.perf_counter()
            results = _run(client, experiment, args)
            elapsed = time.perf_counter() - start
        finally:
            client.close()
    statuses = {r.status for r in results}
    if statuses != {"completed"} or len(results) != args.runs:
        raise SystemExit(f"runs did not all complete: {sorted(statuses)}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--layers", default="384,512")
    parser.add_argument("--rounds", type=int, default=2, help="ABBA rounds (each: 1, 2, 2, 1)")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--allow-subset", action="store_true")
    args = parser.parse_args()

    base = RunSpec(layers=parse_layers(args.layers), epochs=args.epochs, patience=0, device="cpu")
    experiment = ExperimentSpec(arms=(Arm("bench", base),), seeds=args.runs)
    times: dict[int, list[float]] = {1: [], 2: []}
    for round_ in range(args.rounds):
        for workers in (1, 2, 2, 1):
            seconds = time_cluster(workers, experiment, args)
            times[workers].append(seconds)
            print(f"round {round_ + 1}: {workers} worker(s): {seconds:6.1f} s", flush=True)
    one, two = statistics.median(times[1]), statistics.median(times[2])
    print(f"\n{args.runs} runs of {args.layers}, {args.epochs} epoch(s), 1 thread per worker")
    print(f"median 1 worker: {one:.1f} s   2 workers: {two:.1f} s   speed-up: {one / two:.2f}x")


if __name__ == "__main__":
    main()

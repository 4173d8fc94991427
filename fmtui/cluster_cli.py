"""Provides the command line's cluster parts: `fmtui run --cluster` and `fmtui cluster local`."""

from __future__ import annotations

import argparse
import os
import threading
from dataclasses import dataclass
from typing import Any, TextIO

from fmtui.core import events
from fmtui.core.cluster import INSTALL_HINT, ClusterError, connect, run_on_cluster
from fmtui.core.spec import SpecError, parse_int

MAX_RETRIES = 10


@dataclass
class ClusterSession:
    """A connected cluster and how `fmtui run` uses it."""

    client: Any
    retries: int

    def run(
        self,
        experiment: Any,
        on_event: events.EventCallback,
        cancel: threading.Event,
        data_dir: str | None,
        allow_subset: bool,
    ) -> list[events.RunResult]:
        return run_on_cluster(
            experiment,
            on_event,
            cancel,
            threading.Event(),
            client=self.client,
            data_dir=data_dir,
            require_full=not allow_subset,
            retries=self.retries,
        )

    def close(self) -> None:
        self.client.close()


def cluster_address(args: argparse.Namespace) -> str | None:
    """`--cluster` (the command's, else fmtui's), else FMTUI_CLUSTER, else None (this machine)."""
    address = (
        getattr(args, "cluster", None)
        or getattr(args, "app_cluster", None)
        or os.environ.get("FMTUI_CLUSTER", "")
    )
    return address.strip() or None


def open_cluster(args: argparse.Namespace) -> ClusterSession | None:
    """Connect to the cluster `fmtui run` names; None when it trains here."""
    try:
        retries = parse_int("retries", args.retries, 0, MAX_RETRIES)
    except SpecError as err:
        raise ClusterError(f"--retries: {err.message}") from None
    address = cluster_address(args)
    if address is None:
        return None
    return ClusterSession(connect(address), retries)


def cmd_cluster_local(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Start a scheduler and workers here; print the address; stop on Ctrl-C."""
    try:
        workers = parse_int("workers", args.workers, 1, 64)
        threads = parse_int("threads", args.threads, 1, 64)
        port = parse_int("port", args.port, 0, 65535)
    except SpecError as exc:
        print(f"fmtui cluster local: --{exc.field}: {exc.message}", file=err)
        return 2
    try:
        from distributed import LocalCluster
    except ImportError:
        print(f"fmtui cluster local: needs Dask; {INSTALL_HINT}", file=err)
        return 2
    try:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=threads,
            processes=True,
            scheduler_port=port,
            dashboard_address=None,
        )
    except OSError as exc:
        print(f"fmtui cluster local: cannot start the scheduler: {exc}", file=err)
        return 2
    print(f"cluster ready: {cluster.scheduler_address}", file=out, flush=True)
    print(
        f"train on it with: fmtui run --cluster {cluster.scheduler_address} …  (Ctrl-C stops it)",
        file=err,
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        cluster.close()
    return 0

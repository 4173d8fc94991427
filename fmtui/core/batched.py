"""Provides the batched engine: a group of K runs trained in one loop on stacked tensors.

Each run keeps what makes it that run: its seed's initialisation and data order
(every run draws its own permutation, so a step gathers a (K, B) index batch), its
dropout stream, its hyperparameters, its early stopping, its divergence and its
cancel. A run that stops leaves the stack (its best state kept), so the others go on
without paying for it. Events are today's per-run events; they are released run by
run in launch order (the first unfinished run live, the others as soon as every run
before them has finished), so that consumers that follow one run at a time see the
same stream as from the sequential engine.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from typing import Any

import torch

from fmtui.core import data as data_mod
from fmtui.core import events, single_run
from fmtui.core.batched_loop import CancelLike, EpochLoop, Relay, RunBook
from fmtui.core.blocked_model import Stack, build_stack
from fmtui.core.graphed_step import SteppingEngine, graphs_unsupported
from fmtui.core.model import parameter_count
from fmtui.core.run_end import build_result, test_outcome
from fmtui.core.spec import PlannedRun
from fmtui.core.stacked_optim import make_stacked_optimizer, shared_hyperparameters
from fmtui.core.status import RunStatus


class GroupTrainer:
    """Trains `runs` (one group from the planner) together; see `train_group`."""

    def __init__(
        self,
        runs: Sequence[PlannedRun],
        data: data_mod.DataSource | data_mod.Dataset,
        widths: Sequence[int],
        *,
        on_event: events.EventCallback | None = None,
        cancel: CancelLike | None = None,
        cancel_current: threading.Event | None = None,
        run_cancels: Sequence[CancelLike | None] | None = None,
        require_full: bool = True,
        progress_every: int = 50,
        engine: dict[str, Any] | None = None,
        graphs: bool = True,
        block_widths: Sequence[Sequence[int]] | None = None,
    ) -> None:
        self.planned = list(runs)
        self.graphs = graphs
        self.data = data
        self.widths = tuple(widths)
        # Each run's stacked widths: the widths of its block (by default, the group's).
        self.block_widths = [tuple(w) for w in block_widths or [self.widths] * len(self.planned)]
        if len(self.block_widths) != len(self.planned):
            raise ValueError("block_widths needs one entry per run")
        self.relay = Relay(len(self.planned), on_event or (lambda _e: None))
        self.cancel = cancel or threading.Event()
        self.cancel_current = cancel_current
        self.run_cancels = list(run_cancels or [None] * len(self.planned))
        self.require_full = require_full
        self.progress_every = progress_every
        self.engine = dict(engine or {})
        self.results: dict[int, events.RunResult] = {}
        self.clock = time.perf_counter()
        self.shared_s = 0.0
        self.unfinished = len(self.planned)
        self.env: dict[str, Any] = {}
        self.device_name = self.planned[0].spec.device
        self.model: Stack | None = None

    # ------------------------------------------------------------ results

    def finish_run(
        self, run: RunBook, status: RunStatus, error: str | None = None, **extra: Any
    ) -> None:
        images = extra.pop("images", ())
        result = build_result(
            run.planned.arm,
            run.planned.repeat,
            run.spec,
            status,
            error,
            book=run.book,
            device=self.device_name,
            parameters=parameter_count(run.spec),
            environment=self._env_of(run.index),
            duration_s=self._share(),
            **extra,
        )
        self.unfinished -= 1
        self.results[run.index] = result
        self.relay(run.index, events.RunFinished(result, images))

    def _env_of(self, index: int) -> dict[str, Any]:
        """The group's environment, with `padded_to` the widths of run `index`'s block."""
        env = dict(self.env)
        if env.get("padded_to") is not None and len(set(self.block_widths)) > 1:
            widths = self.block_widths[index]
            padded = any(
                self.planned[i].spec.layers != widths
                for i, w in enumerate(self.block_widths)
                if w == widths
            )
            env["padded_to"] = list(widths) if padded else None
        return env

    def _share(self) -> float:
        """The group's time so far split fairly: each stretch of wall time is divided
        among the runs still unfinished in it, so the runs' durations sum to the
        group's time and none is counted K-fold (the environment says `group share`)."""
        now = time.perf_counter()
        self.shared_s += (now - self.clock) / max(1, self.unfinished)
        self.clock = now
        return self.shared_s

    def complete_run(
        self, run: RunBook, slot: int, dataset: data_mod.Dataset, stopped: bool
    ) -> None:
        """Test a finished run on its best (or last) state, as the sequential engine does."""
        assert self.model is not None
        module = self.model.module(slot, run.book.state_to_test(run.spec))
        evaluated = single_run.evaluate(module, dataset.test_x, dataset.test_y)
        outcome = test_outcome(*evaluated, dataset)
        if outcome is None:
            self.finish_run(run, RunStatus.DIVERGED, "test loss is non-finite")
            return
        fields, images = outcome
        self.finish_run(run, RunStatus.COMPLETED, stopped_early=stopped, images=images, **fields)

    # ------------------------------------------------------------ the loop

    def run(self) -> list[events.RunResult]:
        """Train every run to its end; never raises. Results in the group's order."""
        runs: list[RunBook] = []
        try:
            dataset, device = self._setup()
            runs = self._start_runs(device)
            self._train(runs, dataset, device)
        except (single_run.DeviceError, data_mod.DataError) as err:
            self._fail_all(runs, str(err))
        except Exception as err:  # noqa: BLE001 - the caller must never see a crash
            self._fail_all(runs, f"{type(err).__name__}: {err}")
        return [self.results[i] for i in sorted(self.results)]

    def _fail_all(self, runs: list[RunBook], error: str) -> None:
        if not runs:
            runs = [RunBook(i, p, torch.Generator(), None) for i, p in enumerate(self.planned)]
        for run in runs:
            if run.index not in self.results:
                self.finish_run(run, RunStatus.FAILED, error)

    def _setup(self) -> tuple[data_mod.Dataset, torch.device]:
        spec = self.planned[0].spec
        device, note = single_run.resolve_device(spec.device)
        self.device_name = str(device)
        self.env = single_run.environment(device, note)
        dataset = data_mod.resident(self.data, device, self.require_full)
        self.env["data"] = str(dataset.source.directory)
        self.env["data_sizes"] = [dataset.n_train, dataset.n_test]
        self.env.update(self.engine)
        self.env["duration_basis"] = "group share"
        return dataset, device

    def _start_runs(self, device: torch.device) -> list[RunBook]:
        """The runs in stack order (block after block; each keeps its launch index)."""
        runs = [
            RunBook(i, p, torch.Generator(device=device).manual_seed(p.spec.seed), c)
            for i, (p, c) in enumerate(zip(self.planned, self.run_cancels, strict=True))
        ]
        first = {w: i for i, w in reversed(list(enumerate(self.block_widths)))}
        runs.sort(key=lambda r: (first[self.block_widths[r.index]], r.index))
        self.model = build_stack(
            [r.spec for r in runs],
            [self.block_widths[r.index] for r in runs],
            device,
            [r.generator for r in runs],
        )
        return runs

    def _train(self, runs: list[RunBook], dataset: data_mod.Dataset, device: torch.device) -> None:
        assert self.model is not None
        spec = runs[0].spec
        train_idx, val_idx = dataset.split(spec.val_fraction, spec.split_seed)
        n_train = int(train_idx.shape[0])
        bs = min(spec.batch_size, n_train)
        steps = math.ceil(n_train / bs)
        specs = [r.spec for r in runs]
        why_not = graphs_unsupported(device, self.model, shared_hyperparameters(specs))
        use_graphs = self.graphs and why_not is None
        self.env["graphs"] = use_graphs
        if device.type == "cuda" and not use_graphs:
            self.env["graphs_note"] = why_not or "turned off"
        for run in runs:
            self.relay(
                run.index,
                events.RunStarted(
                    run.planned.arm,
                    run.planned.repeat,
                    run.spec,
                    self.device_name,
                    parameter_count(run.spec),
                    self._env_of(run.index),
                    steps,
                ),
            )
        optimizer = make_stacked_optimizer(
            self.model.parameters(), specs, use_graphs, self.model.parameter_specs()
        )
        loop = EpochLoop(self, runs, optimizer, dataset, train_idx, val_idx, bs, steps)
        loop.stepping = SteppingEngine(
            self.model, optimizer, dataset.train_x, dataset.train_y, bs, use_graphs
        )
        for epoch in range(1, spec.epochs + 1):
            if not loop.active:
                break
            loop.epoch(epoch)
            if loop.stepping.failure:  # said in the runs that finish from now on
                self.env["graphs"] = False
                self.env["graphs_note"] = f"capture failed, eager: {loop.stepping.failure}"
        for slot, run in enumerate(loop.active):  # reached the last epoch
            if run.index not in self.results:
                self.complete_run(run, slot, dataset, stopped=False)


def train_group(
    runs: Sequence[PlannedRun],
    data: data_mod.DataSource | data_mod.Dataset,
    widths: Sequence[int] | None = None,
    **options: Any,
) -> list[events.RunResult]:
    """Train a group of runs in one stacked loop; one `RunResult` per run, in order.

    `widths` are the stacked hidden widths (at least every run's own; default their
    maximum). Options: on_event, cancel (the whole group), cancel_current (the run being
    shown), run_cancels (one per run), require_full, progress_every, engine (what
    to record in each run's environment), block_widths (one per run: the widths of its
    block, when the group is stacked in blocks padded separately; see `BlockedMLP`).
    """
    from fmtui.core.batch_plan import group_key

    keys = {group_key(r.spec) for r in runs}
    if len(keys) > 1:
        raise ValueError(
            "runs in one group must agree on batch_size, epochs, activation, depth, "
            "optimizer, device, val_fraction and split_seed"
        )
    if widths is None:
        widths = tuple(max(w) for w in zip(*(r.spec.layers for r in runs), strict=True))
    return GroupTrainer(runs, data, widths, **options).run()

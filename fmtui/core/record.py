"""Provides the bridge from training events to a journal entry, saved as training goes.

The entry is saved when a run starts, after every epoch and when a run ends, so a
crash or kill loses at most the epoch in progress. A failed save never stops
training: the entry stays complete in memory, the error is kept for the caller to
show, and the next save writes everything again.
"""

from __future__ import annotations

import os
import statistics
import threading
from collections.abc import Callable
from typing import Any

from fmtui.core import events as train
from fmtui.core.design import variants_text
from fmtui.core.journal import Entry, Journal, JournalError
from fmtui.core.runs import completed_runs, completed_values, entry_runs
from fmtui.core.spec import ExperimentSpec, format_layers
from fmtui.core.status import EntryStatus, RunStatus
from fmtui.core.words import count


def describe_methodology(experiment: ExperimentSpec) -> str:
    """A plain-language account of the set-up, for the Methodology field.

    Arms that differ only in their layers are listed by architecture (a width
    grid); otherwise each variant is named with what it changes from the baseline,
    since the shared settings quoted are the baseline's.
    """
    base = experiment.baseline.spec
    arms = experiment.arms
    plural = "s" if len(arms) != 1 else ""
    ignored = {"layers": None, "seed": None}
    if all(a.spec.to_dict() | ignored == base.to_dict() | ignored for a in arms):
        archs = ", ".join(format_layers(a.spec.layers) for a in arms[:8])
        if len(arms) > 8:
            archs += f" and {len(arms) - 8} more"
        arms_text = f"{len(arms)} arm{plural} ({archs})"
        variants = ""
    else:
        arms_text = f"{len(arms)} arm{plural}"
        lines = variants_text(experiment).splitlines()
        variants = (
            f" Baseline {experiment.baseline.name} ({format_layers(base.layers)}); "
            f"variants {'; '.join(lines[:8])}"
            + (f" and {len(lines) - 8} more" if len(lines) > 8 else "")
            + "."
        )
    stopping = (
        f"early stopping on {base.monitor} with patience {base.patience}"
        if base.early_stopping
        else "no early stopping"
    )
    # Only SGD uses momentum: naming it for Adam would describe a setting with no effect.
    momentum = f", momentum {base.momentum:g}" if base.optimizer == "sgd" else ""
    epochs = f"{base.epochs} epoch{'s' if base.epochs != 1 else ''}"
    return (
        f"Trained {arms_text} of a {base.activation} MLP with {base.optimizer} (learning rate "
        f"{base.lr:g}{momentum}), batch size {base.batch_size}, up to {epochs}, {stopping}; "
        f"{experiment.seeds} seed{'s' if experiment.seeds != 1 else ''} per arm.{variants}"
    )


def default_title(experiment: ExperimentSpec) -> str:
    names = [a.name for a in experiment.arms]
    if len(names) == 1:
        return f"Run {format_layers(experiment.arms[0].spec.layers)}"
    if len(names) <= 4:
        return " vs ".join(names)
    return f"Grid of {len(names)} arms"


def draft_results(entry: Entry) -> str:
    """A first draft of the Results text: the best arm and what stood out."""
    runs = entry_runs(entry)
    by_arm: dict[str, list[float]] = {}
    for arm in dict.fromkeys(r.arm for r in runs):
        if values := completed_values(runs, "test_acc", arm):
            by_arm[arm] = values
    early = [len(r.epochs) for r in completed_runs(runs) if r.stopped_early]
    problems: dict[str, int] = {}
    for run in runs:
        if run.status != RunStatus.COMPLETED:
            problems[run.status] = problems.get(run.status, 0) + 1
    if not by_arm:
        return "No run completed." if entry.runs else ""
    best = max(by_arm, key=lambda a: statistics.fmean(by_arm[a]))
    accs = by_arm[best]
    text = f"Arm {best} achieved the highest test accuracy, {statistics.fmean(accs):.4f}"
    text += f" (mean of {len(accs)} seeds)." if len(accs) > 1 else "."
    if early:
        text += (
            f" Early stopping ended {count(len(early), 'run')}, after "
            + (f"{min(early)}–{max(early)}" if min(early) != max(early) else str(min(early)))
            + (" epoch." if max(early) == 1 else " epochs.")
        )
    if problems:
        parts = ", ".join(f"{n} {status}" for status, n in sorted(problems.items()))
        text += f" Runs that did not complete: {parts}."
    return text


class ExperimentRecorder:
    """Keeps one journal entry in step with an experiment's training events."""

    def __init__(self, journal: Journal, entry: Entry, experiment: ExperimentSpec) -> None:
        self.journal = journal
        self.entry = entry
        self.experiment = experiment
        self.write_error: str | None = None
        # Fields the runner adds to each finished run (its reuse key, where it was reused from).
        self.run_fields: Callable[[train.RunResult], dict[str, Any]] | None = None
        # Runs in progress by (arm, repeat): several train at once on a cluster.
        self._open: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def start(self) -> int:
        """Save the entry as `running`; returns its id."""
        with self._lock:
            self.journal.load_runs(self.entry)  # runs are appended to its log from here
            self.entry.status = EntryStatus.RUNNING
            self.entry.pid = os.getpid()
            self.entry.experiment = self.experiment.to_dict()
            if not self.entry.methodology.strip():
                self.entry.methodology = describe_methodology(self.experiment)
            if self.entry.id is None:
                self.journal.add(self.entry)
            else:
                self._save()
            return self.entry.id or 0

    def on_event(self, event: train.Event) -> None:
        with self._lock:
            if isinstance(event, train.RunStarted):
                key = (event.arm, event.repeat)
                record = {
                    "arm": event.arm,
                    "repeat": event.repeat,
                    "spec": event.spec.to_dict(),
                    "status": RunStatus.RUNNING.value,
                    "device": event.device,
                    "parameters": event.parameters,
                    "environment": event.environment,
                    "epochs": [],
                }
                if key in self._open:  # a restart (its worker was lost): start afresh
                    self.entry.runs[self._open[key]] = record
                else:
                    self.entry.runs.append(record)
                    self._open[key] = len(self.entry.runs) - 1
                self._save(run=self._open[key])
            elif isinstance(event, train.EpochEnd) and (event.arm, event.repeat) in self._open:
                at = self._open[(event.arm, event.repeat)]
                run = self.entry.runs[at]
                run["epochs"].append(event.metrics.to_dict())
                run["best_epoch"] = event.best_epoch
                self._save(epoch_of=at)
            elif isinstance(event, train.RunFinished):
                data = event.result.to_dict()
                if self.run_fields is not None:
                    data.update(self.run_fields(event.result))
                opened = self._open.pop((event.result.arm, event.result.repeat), None)
                if opened is not None:
                    index = opened
                    started = self.entry.runs[index]
                    if not data.get("environment"):  # closed by the controller, not the run
                        data["environment"] = started.get("environment") or {}
                        data["device"] = started.get("device", data.get("device"))
                    self.entry.runs[index] = data
                else:
                    self.entry.runs.append(data)
                    index = len(self.entry.runs) - 1
                self._save(run=index)

    def finish(self, cancelled: bool = False) -> Entry:
        """Set the entry's final status and draft its Results text.

        The status follows the runs: `cancelled` only when the cancel left a planned
        run unfinished; a cancel that came after the last step (during the final test
        evaluation) leaves every run, and so the entry, completed.
        """
        with self._lock:
            statuses = [r.status for r in entry_runs(self.entry)]
            all_done = len(statuses) == len(self.experiment.runs()) and all(
                s == RunStatus.COMPLETED for s in statuses
            )
            if cancelled and not all_done:
                self.entry.status = EntryStatus.CANCELLED
            elif statuses and RunStatus.COMPLETED not in statuses:
                self.entry.status = EntryStatus.FAILED
            else:
                self.entry.status = EntryStatus.COMPLETED
            if not self.entry.results.strip():
                self.entry.results = draft_results(self.entry)
            self._judge()
            self._check_reproduction()
            self.entry.pid = None
            self._save()
            return self.entry

    def _check_reproduction(self) -> None:
        """A completed rerun of its parent's experiment keeps whether it matched, for good."""
        from fmtui.core import reproduce

        if self.entry.parent_id is None or self.entry.status != EntryStatus.COMPLETED:
            return
        try:
            original = self.journal.get(self.entry.parent_id)
        except JournalError:
            return
        if not original.runs or original.experiment != self.entry.experiment:
            return  # an edited copy is a new experiment, not a rerun
        self.entry.reproduction = reproduce.check(original, self.entry)

    def _judge(self) -> None:
        """With a claim and two or more arms: the verdict, its numbers and a draft."""
        from fmtui.core.stats import draft_evaluation, entry_verdict
        from fmtui.core.verdicts import judge

        arms = [a.name for a in self.experiment.arms]
        runs = entry_runs(self.entry)
        if len(arms) > 2 and self.entry.claim is None:
            from fmtui.core.plateau import plateau

            found = plateau(runs, arms)
            if found is not None:
                self.entry.stats = {"plateau": found.to_dict()}
                if not self.entry.evaluation.strip():
                    self.entry.evaluation = (
                        f"Best arm: {found.best} ({found.best_mean:.4f}). {found.reason}"
                        + (f": {', '.join(found.plateau)}." if found.tested else ".")
                    )
            return
        if self.entry.claim is None:
            return
        if len(arms) < 2:
            if completed_runs(runs):
                self.entry.verdict = "not tested"
                if not self.entry.evaluation.strip():
                    self.entry.evaluation = (
                        "The hypothesis was not tested against a baseline: the experiment "
                        "has one arm. Add a variant arm, or compare this entry with another "
                        "(m and c in the journal)."
                    )
            return
        if self.entry.claim.direction in ("increasing", "decreasing"):
            self._judge_trend(runs, arms)
            return
        sequential: dict[str, Any] = {}
        if self.entry.claim.max_seeds:
            from fmtui.core.until_decided import judge_look

            comparisons, sequential = judge_look(runs, arms, self.entry.claim)
        else:
            comparisons = judge(runs, arms, self.entry.claim)
        self.entry.verdict = entry_verdict(comparisons)
        self.entry.stats = {
            "claim": {**self.entry.claim.__dict__, "adjustment": self.entry.claim.adjustment},
            "comparisons": [c.to_dict() for c in comparisons],
            **({"sequential": sequential} if sequential else {}),
        }
        if not self.entry.evaluation.strip():
            from fmtui.core.verdict_export import sequential_text

            looks = sequential_text(sequential)
            self.entry.evaluation = draft_evaluation(
                comparisons, has_hypothesis=bool(self.entry.hypothesis.strip())
            ) + (f" {looks}" if looks else "")

    def _judge_trend(self, runs: list[train.RunResult], arms: list[str]) -> None:
        """A trend claim: the rank-trend verdict, and the best region beside it."""
        from fmtui.core.plateau import plateau
        from fmtui.core.trend import draft_trend_evaluation, trend

        claim = self.entry.claim
        assert claim is not None
        found = trend(runs, arms, claim)
        region = plateau(runs, arms, claim.metric, claim.alpha, claim.adjustment)
        self.entry.verdict = found.verdict
        self.entry.stats = {
            "claim": {**claim.__dict__, "adjustment": claim.adjustment},
            "trend": found.to_dict(),
            **({"plateau": region.to_dict()} if region is not None else {}),
        }
        if not self.entry.evaluation.strip():
            self.entry.evaluation = draft_trend_evaluation(found)

    def _save(self, run: int | None = None, epoch_of: int | None = None) -> None:
        """Save what changed: an epoch is one run-log line, a run one line and the index."""
        try:
            if epoch_of is not None:
                self.journal.record_epoch(self.entry, epoch_of)
            elif run is not None:
                self.journal.record_run(self.entry, run)
            else:
                self.journal.update(self.entry)
            self.write_error = None
        except JournalError as err:
            self.write_error = str(err)


def copy_entry(entry: Entry, title: str) -> Entry:
    """A new draft with `entry`'s hypothesis, claim and design, linked to it."""
    return Entry(
        title=title,
        objective=entry.objective,
        hypothesis=entry.hypothesis,
        methodology=entry.methodology,
        tags=list(entry.tags),
        claim=entry.claim,
        experiment=entry.experiment,
        parent_id=entry.id,
    )


def rerun_copy(entry: Entry) -> tuple[Entry, ExperimentSpec]:
    """A new draft that repeats `entry` exactly: same specs, seeds and claim."""
    if not entry.experiment:
        raise JournalError(f"Entry {entry.id} has no experiment to rerun.")
    experiment = ExperimentSpec.from_dict(entry.experiment)
    return copy_entry(entry, f"{entry.title} (rerun of {entry.id})"), experiment


def new_entry(**text: Any) -> Entry:
    """An entry from user-given text fields (validated by Entry)."""
    return Entry(**{k: v for k, v in text.items() if v is not None})

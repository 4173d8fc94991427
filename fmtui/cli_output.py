"""Provides what `fmtui run` and `fmtui rerun` print: each event as it comes, then a summary.

The printers are the runner's listeners on the command line: a line (or a JSON line
with `--json`) per run start, epoch and run end, the reuse of finished runs, the
looks of seeds-until-decided, and the table and verdicts at the end.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any, TextIO

from fmtui import __version__
from fmtui.core import events
from fmtui.core.runner import Job, RunnerListener
from fmtui.core.safe_text import one_line

if TYPE_CHECKING:
    from fmtui.core.journal import Journal
    from fmtui.core.runner.reuse import Reused
    from fmtui.core.stats import Comparison


def json_line(out: TextIO, obj: dict[str, Any]) -> None:
    from fmtui.core.journal import to_json_safe

    out.write(json.dumps(to_json_safe(obj), allow_nan=False) + "\n")
    out.flush()


def run_json(result: events.RunResult, job: Job | None = None) -> dict[str, Any]:
    """A run for JSON output: its dict, its seed and, when reused, where it came from."""
    data = result.to_dict()
    data["seed"] = result.spec.seed
    link = job.reused.get((result.arm, result.repeat)) if job is not None else None
    if link is not None:
        data["reused_from"] = link.to_dict()
    return data


class RunPrinter(RunnerListener):
    """`fmtui run`'s output while it trains."""

    def __init__(
        self,
        args: argparse.Namespace,
        out: TextIO,
        err: TextIO,
        job_total: str,
        journal: Journal | None,
        on_cluster: bool,
    ) -> None:
        self.args, self.out, self.err = args, out, err
        self.shown_total = job_total  # "6", or "12 at most" when looks may stop early
        self.journal = journal
        self.on_cluster = on_cluster
        self.count = 0
        # Every JSON event names a run by `seed` (the value) and `repeat` (its index).
        self.seeds: dict[tuple[str, int], int] = {}

    def started(self, job: Job) -> None:
        self.seeds.update({(p.arm, p.repeat): p.spec.seed for p in job.experiment.runs()})
        if self.journal is not None:
            print(f"journal entry {job.entry.id} in {self.journal.path}", file=self.err)

    def reused(self, job: Job, found: list[Reused]) -> None:
        if self.args.json:
            ids = sorted({r.link.entry_id for r in found})
            json_line(self.out, {"event": "reused", "runs": len(found), "from": ids})
            return
        print(job.reuse_note, file=self.out, flush=True)

    def look(self, job: Job, state: dict[str, Any]) -> None:
        what = f"stop ({state['stopped_by']})" if state["stop"] else "undecided: more seeds"
        print(
            f"look {state['look']} of {len(state['looks'])}: {state['seeds']} seeds per arm, "
            f"α spent {state['alpha_spent']:.4f}: {what}",
            file=self.err,
            flush=True,
        )

    def event(self, job: Job, event: events.Event) -> None:
        if isinstance(event, events.RunStarted):
            self._run_started(event)
        elif isinstance(event, events.EpochEnd):
            self._epoch_end(event)
        elif isinstance(event, events.RunFinished):
            self._run_finished(job, event.result)

    def _which(self, arm: str, repeat: int) -> str:
        """On a cluster runs train at once, so each line names its run."""
        return f"[{arm} seed {self.seeds.get((arm, repeat), repeat)}] " if self.on_cluster else ""

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def _run_started(self, event: events.RunStarted) -> None:
        self.count += 1
        self.seeds[(event.arm, event.repeat)] = event.spec.seed
        if self.args.json:
            json_line(
                self.out,
                {
                    "event": "run_started",
                    "arm": event.arm,
                    "seed": event.spec.seed,
                    "repeat": event.repeat,
                    "device": event.device,
                    "parameters": event.parameters,
                },
            )
            return
        host = event.environment.get("host")
        where = f"{event.device} on {host}" if host else event.device
        self._print(
            f"run {self.count}/{self.shown_total}: arm {one_line(event.arm)}, "
            f"seed {event.spec.seed}, {event.parameters:,} parameters on {where}"
        )

    def _epoch_end(self, event: events.EpochEnd) -> None:
        m = event.metrics
        if self.args.json:
            seed = self.seeds.get((event.arm, event.repeat))
            json_line(
                self.out,
                {"event": "epoch", "arm": event.arm, "seed": seed, "repeat": event.repeat}
                | m.to_dict(),
            )
            return
        self._print(
            f"  {self._which(event.arm, event.repeat)}epoch {m.epoch:3d}  "
            f"train loss {m.train_loss:.4f} acc {m.train_acc:.4f}"
            f"  val loss {m.val_loss:.4f} acc {m.val_acc:.4f}  {m.seconds:5.1f}s"
        )

    def _run_finished(self, job: Job, r: events.RunResult) -> None:
        link = job.reused.get((r.arm, r.repeat))
        if self.args.json:
            json_line(self.out, {"event": "run_finished", **run_json(r, job)})
        elif link is not None:
            self.count += 1
            self._print(
                f"run {self.count}/{self.shown_total}: arm {one_line(r.arm)}, seed "
                f"{r.spec.seed}: reused from entry {link.entry_id}, test accuracy "
                f"{r.test_acc:.4f}"
            )
        elif r.status == "completed":
            stop = f", stopped early at epoch {len(r.epochs)}" if r.stopped_early else ""
            self._print(
                f"  {self._which(r.arm, r.repeat)}test accuracy {r.test_acc:.4f} "
                f"(best epoch {r.best_epoch}{stop}) in {r.duration_s:.1f}s"
            )
        else:
            self._print(
                f"  {self._which(r.arm, r.repeat)}run {r.status}: "
                f"{r.error or 'stopped by the user'}"
            )


class RerunPrinter(RunnerListener):
    """`fmtui rerun`'s output: which entry repeats which, then a line per finished run."""

    def __init__(self, original_id: int | None, out: TextIO) -> None:
        self.original_id = original_id
        self.out = out

    def started(self, job: Job) -> None:
        from fmtui.core.words import count

        print(
            f"rerunning entry {self.original_id} as entry {job.entry.id}: "
            f"{count(len(job.experiment.runs()), 'run')}",
            file=self.out,
            flush=True,
        )

    def event(self, job: Job, event: events.Event) -> None:
        if isinstance(event, events.RunFinished):
            r = event.result
            acc = f"{r.test_acc:.4f}" if r.test_acc is not None else "—"
            print(
                f"  {r.arm} seed {r.spec.seed}: {r.status}, test accuracy {acc}",
                file=self.out,
                flush=True,
            )


def print_summary(args: argparse.Namespace, out: TextIO, job: Job, claim: Any) -> None:
    """The arms' table, the comparisons and the verdict (or the JSON summary line)."""
    from fmtui.core.data import CLASSES
    from fmtui.core.stats import entry_verdict, format_comparison, format_mean_sd, summarize_arms

    results, experiment = job.results, job.experiment
    summaries = summarize_arms(results)
    comparisons, found_trend, sequential = _judged(results, experiment, claim)
    if args.json:
        json_line(
            out,
            {
                "event": "summary",
                "entry_id": job.entry.id if not args.no_journal else None,
                "fmtui": __version__,
                "classes": list(CLASSES),
                "experiment": experiment.to_dict(),
                "runs": [run_json(r, job) for r in results],
                "arms": [s.to_dict() for s in summaries],
                "comparisons": [c.to_dict() for c in comparisons],
                "verdict": found_trend.verdict if found_trend else entry_verdict(comparisons),
                **({"trend": found_trend.to_dict()} if found_trend else {}),
                **({"sequential": sequential} if sequential else {}),
                **({"reused": job.reuse_note} if job.reuse_note else {}),
                "status": "completed" if job.all_completed else "incomplete",
            },
        )
        return
    print("", file=out)
    header = f"{'arm':<20} {'seeds':>5} {'done':>4}  {'test accuracy':<17} {'epochs':>6}"
    print(header, file=out)
    print("-" * len(header), file=out)
    for s in summaries:
        epochs = f"{s.mean_epochs:.1f}" if s.mean_epochs is not None else "—"
        print(
            f"{one_line(s.arm):<20} {s.runs:>5} {s.completed:>4}  "
            f"{format_mean_sd(s.mean_acc, s.sd_acc):<17} {epochs:>6}",
            file=out,
        )
    for comparison in comparisons:
        print(format_comparison(comparison), file=out)
    if comparisons:
        print(f"verdict: {entry_verdict(comparisons)}", file=out)
    if found_trend is not None:
        from fmtui.core.trend import format_trend

        print(format_trend(found_trend), file=out)
        print(f"verdict: {found_trend.verdict}", file=out)
    if job.stopped:
        print("cancelled by the user", file=out)
    elif job.cancel.is_set():
        print("the stop request came after the last run finished: all runs completed", file=out)


def _judged(
    results: list[events.RunResult], experiment: Any, claim: Any
) -> tuple[list[Comparison], Any, dict[str, Any]]:
    """The comparisons, the trend (for a trend claim) and the looks' record, as printed."""
    from fmtui.core.verdicts import judge

    comparisons: list[Comparison] = []
    found_trend = None
    sequential: dict[str, Any] = {}
    if claim is None or len(experiment.arms) < 2:
        return comparisons, found_trend, sequential
    run_dicts = [r.to_dict() for r in results]
    arm_names = [a.name for a in experiment.arms]
    if claim.max_seeds:
        from fmtui.core.until_decided import judge_look

        comparisons, sequential = judge_look(run_dicts, arm_names, claim)
    else:
        comparisons = judge(run_dicts, arm_names, claim)
    if claim.direction in ("increasing", "decreasing"):
        from fmtui.core.trend import trend

        found_trend = trend(run_dicts, arm_names, claim)
    return comparisons, found_trend, sequential

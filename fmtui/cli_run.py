"""Provides `fmtui run` and `fmtui rerun`: build the experiment, train it, print and record it."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any, TextIO

from fmtui import __version__
from fmtui.cli_common import _data_dir, _entry_id, _flag, _open_journal
from fmtui.core.safe_text import one_line, raw_stream
from fmtui.core.status import EntryStatus, RunStatus
from fmtui.core.words import count

if TYPE_CHECKING:
    from fmtui.core.stats import Comparison


def build_experiment(args: argparse.Namespace) -> Any:
    """The ExperimentSpec described by `fmtui run` flags; SpecError on bad input."""
    from fmtui.core.spec import (
        ExperimentSpec,
        RunSpec,
        SpecError,
        grid_arms,
        layer_arms,
        parse_grid,
        parse_layers,
    )

    if args.layers and args.grid:
        raise SpecError("grid", "use either --layers or --grid, not both")
    from fmtui.core.spec_fields import spec_values

    base = RunSpec(**spec_values(args))
    if args.variant and (args.grid or (args.layers and len(args.layers) > 1)):
        raise SpecError("variant", "use --variant with one --layers (the baseline), not a grid")
    if args.grid:
        arms = grid_arms(parse_grid(args.grid), base)
    elif args.variant:
        from fmtui.core.design import parse_variants
        from fmtui.core.spec import Arm

        if args.layers:
            base = base.with_changes(layers=parse_layers(args.layers[0]))
        arms = (Arm(args.arm_name, base), *parse_variants("\n".join(args.variant), base))
    else:
        arms = layer_arms([parse_layers(text) for text in args.layers or [base.layers]], base)
    return ExperimentSpec(arms=arms, **spec_values(args, "experiment"))


def build_claim(args: argparse.Namespace, experiment: Any) -> Any:
    """The claim from --metric/--direction/--baseline/--alpha/--margin, or None."""
    from fmtui.core.journal import Claim
    from fmtui.core.spec import SpecError, parse_int

    if args.until_decided and (args.direction or "higher") not in ("higher", "lower"):
        raise SpecError("direction", "--until-decided needs a higher or lower claim")
    if not args.until_decided and (args.max_seeds or args.smallest_effect):
        raise SpecError("max_seeds", "--max-seeds and --smallest-effect need --until-decided")
    if args.until_decided and len(experiment.arms) < 2:
        raise SpecError("until_decided", "needs a baseline and at least one variant arm")
    max_seeds = parse_int("max_seeds", args.max_seeds or 12, 3, 100) if args.until_decided else 0
    given = [
        args.until_decided or None,
        args.metric,
        args.direction,
        args.baseline,
        args.alpha,
        args.margin,
        args.adjust,
        args.exploratory,
    ]
    if all(v is None for v in given):
        return None
    names = [a.name for a in experiment.arms]
    baseline = args.baseline or names[0]
    if baseline not in names:
        raise SpecError("baseline", f"no arm named {baseline!r}; arms: {', '.join(names)}")
    return Claim(
        metric=args.metric or "test_acc",
        direction=args.direction or "higher",
        baseline=baseline,
        alpha=args.alpha if args.alpha is not None else 0.05,
        margin=args.margin if args.margin is not None else 0.005,
        adjust=args.adjust or "auto",
        # A grid searches many arms for the good ones: exploratory unless said otherwise.
        exploratory=bool(args.grid) if args.exploratory is None else args.exploratory,
        max_seeds=max_seeds,
        smallest_effect=args.smallest_effect or 0.0,
    )


def _json_line(out: TextIO, obj: dict[str, Any]) -> None:
    from fmtui.core.journal import to_json_safe

    out.write(json.dumps(to_json_safe(obj), allow_nan=False) + "\n")
    out.flush()


def cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from fmtui.core import data, train
    from fmtui.core.data import CLASSES
    from fmtui.core.spec import SpecError
    from fmtui.core.stats import format_mean_sd, summarize_arms

    try:
        experiment = build_experiment(args)
        claim = build_claim(args, experiment)
        entry = None
        if not args.no_journal:  # checked before the data load and the journal lock
            from fmtui.core.record import default_title, new_entry

            entry = new_entry(
                title=args.title or default_title(experiment),
                objective=args.objective,
                hypothesis=args.hypothesis,
                methodology=args.methodology,
                tags=args.tag,
            )
            entry.claim = claim
    except SpecError as exc:
        print(f"fmtui run: {_flag(exc.field)}: {exc.message}", file=err)
        return 2

    def show_download(name: str, done: int, total: int | None) -> None:
        shown = f"{done / total:6.1%}" if total else f"{done / 1e6:.1f} MB"
        print(f"\rdownloading {name}: {shown}", end="", file=raw_stream(err), flush=True)

    from fmtui.cluster_cli import open_cluster
    from fmtui.core.cluster import ClusterError

    try:
        cluster = open_cluster(args)
    except ClusterError as exc:
        print(f"fmtui run: {exc}", file=err)
        return 2
    try:
        # On a cluster the workers find their data and device themselves.
        source = None
        if cluster is None:
            source = data.resolve(
                _data_dir(args), allow_download=not args.no_download, progress=show_download
            )
            device, note = train.resolve_device(experiment.baseline.spec.device)
            if note:
                print(f"note: {note}", file=err)
            data.load(source, device, require_full=not args.allow_subset)
    except (data.DataError, train.DeviceError) as exc:
        print(f"fmtui run: {exc}", file=err)
        return 2
    except KeyboardInterrupt:
        print("\nfmtui run: interrupted while loading the data; nothing was recorded", file=err)
        return 130

    recorder = None
    if entry is not None:
        from fmtui.core.journal import JournalError
        from fmtui.core.record import ExperimentRecorder

        try:
            journal = _open_journal(args, err)
        except JournalError as exc:
            print(f"fmtui run: {exc}", file=err)
            return 2
        try:
            recorder = ExperimentRecorder(journal, entry, experiment)
            entry_id = recorder.start()
        except JournalError as exc:
            journal.close()
            print(f"fmtui run: {exc}", file=err)
            return 2
        print(f"journal entry {entry_id} in {journal.path}", file=err)

    from fmtui.interrupts import StopRequests

    stop = StopRequests(err)
    cancel = stop.cancel
    runs = experiment.runs()
    total_runs = len(runs)
    shown_total = str(total_runs)
    if claim is not None and claim.max_seeds:  # looks stop early: only a bound is known
        shown_total = f"{len(experiment.arms) * claim.max_seeds} at most"
    counter = {"n": 0}
    # Every JSON event names a run by `seed` (the value) and `repeat` (its index).
    seeds = {(p.arm, p.repeat): p.spec.seed for p in runs}

    def which(arm: str, repeat: int) -> str:
        """On a cluster runs train at once, so each line names its run."""
        return f"[{arm} seed {seeds.get((arm, repeat), repeat)}] " if cluster else ""

    def on_event(event: train.Event) -> None:
        if recorder is not None:  # saved first, then shown
            recorder.on_event(event)
        if isinstance(event, train.RunStarted):
            counter["n"] += 1
            seeds[(event.arm, event.repeat)] = event.spec.seed
            if args.json:
                _json_line(
                    out,
                    {
                        "event": "run_started",
                        "arm": event.arm,
                        "seed": event.spec.seed,
                        "repeat": event.repeat,
                        "device": event.device,
                        "parameters": event.parameters,
                    },
                )
            else:
                host = event.environment.get("host")
                where = f"{event.device} on {host}" if host else event.device
                print(
                    f"run {counter['n']}/{shown_total}: arm {one_line(event.arm)}, "
                    f"seed {event.spec.seed}, {event.parameters:,} parameters on {where}",
                    file=out,
                    flush=True,
                )
        elif isinstance(event, train.EpochEnd):
            m = event.metrics
            if args.json:
                seed = seeds.get((event.arm, event.repeat))
                _json_line(
                    out,
                    {
                        "event": "epoch",
                        "arm": event.arm,
                        "seed": seed,
                        "repeat": event.repeat,
                        **m.to_dict(),
                    },
                )
            else:
                print(
                    f"  {which(event.arm, event.repeat)}epoch {m.epoch:3d}  "
                    f"train loss {m.train_loss:.4f} acc {m.train_acc:.4f}"
                    f"  val loss {m.val_loss:.4f} acc {m.val_acc:.4f}  {m.seconds:5.1f}s",
                    file=out,
                    flush=True,
                )
        elif isinstance(event, train.RunFinished):
            r = event.result
            if args.json:
                _json_line(out, {"event": "run_finished", **_run_json(r)})
            elif r.status == RunStatus.COMPLETED:
                stop = f", stopped early at epoch {len(r.epochs)}" if r.stopped_early else ""
                print(
                    f"  {which(r.arm, r.repeat)}test accuracy {r.test_acc:.4f} "
                    f"(best epoch {r.best_epoch}{stop}) in {r.duration_s:.1f}s",
                    file=out,
                    flush=True,
                )
            else:
                print(
                    f"  {which(r.arm, r.repeat)}run {r.status}: {r.error or 'stopped by the user'}",
                    file=out,
                    flush=True,
                )

    def run_batch(batch: Any) -> list[Any]:
        if cluster is not None:
            return cluster.run(batch, on_event, cancel, _data_dir(args), args.allow_subset)
        assert source is not None
        return train.run_experiment(
            batch, source, on_event=on_event, cancel=cancel, require_full=not args.allow_subset
        )

    try:
        with stop:
            if claim is not None and claim.max_seeds:
                experiment, results = _run_looks(
                    experiment, claim, run_batch, cancel, recorder, err
                )
                total_runs = len(experiment.runs())
            else:
                results = run_batch(experiment)
    finally:
        if cluster is not None:
            cluster.close()
    # Stopped only when the request left a run unfinished: one that came during the
    # last run's test evaluation leaves every run, and so the entry, completed.
    stopped = cancel.is_set() and not _all_completed(results, total_runs)

    summaries = summarize_arms(results)
    from fmtui.core.stats import entry_verdict, format_comparison, judge

    comparisons: list[Comparison] = []
    found_trend = None
    sequential: dict[str, Any] = {}
    if claim is not None and len(experiment.arms) > 1:
        arm_names = [a.name for a in experiment.arms]
        if claim.max_seeds:
            from fmtui.core.until_decided import judge_look

            comparisons, sequential = judge_look(results, arm_names, claim)
        else:
            comparisons = judge(results, arm_names, claim)
        if claim.direction in ("increasing", "decreasing"):
            from fmtui.core.trend import trend

            found_trend = trend(results, arm_names, claim)
    if recorder is not None:
        recorder.finish(cancelled=stopped)
        recorder.journal.close()
        if recorder.write_error:
            print(f"fmtui run: {recorder.write_error}", file=err)
    if args.json:
        _json_line(
            out,
            {
                "event": "summary",
                "entry_id": recorder.entry.id if recorder is not None else None,
                "fmtui": __version__,
                "classes": list(CLASSES),
                "experiment": experiment.to_dict(),
                "runs": [_run_json(r) for r in results],
                "arms": [s.to_dict() for s in summaries],
                "comparisons": [c.to_dict() for c in comparisons],
                "verdict": found_trend.verdict if found_trend else entry_verdict(comparisons),
                **({"trend": found_trend.to_dict()} if found_trend else {}),
                **({"sequential": sequential} if sequential else {}),
                "status": EntryStatus.COMPLETED
                if _all_completed(results, total_runs)
                else "incomplete",
            },
        )
    else:
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
        if stopped:
            print("cancelled by the user", file=out)
        elif cancel.is_set():
            print("the stop request came after the last run finished: all runs completed", file=out)
    if stopped:
        return stop.exit_code()
    return 0 if _all_completed(results, total_runs) else 1


def _run_looks(
    experiment: Any, claim: Any, run_batch: Any, cancel: Any, recorder: Any, err: TextIO
) -> tuple[Any, list[Any]]:
    """--until-decided: run each look's seeds while the claim is undecided."""
    from fmtui.core.until_decided import run_until_decided

    def on_look(_comparisons: Any, state: dict[str, Any]) -> None:
        what = f"stop ({state['stopped_by']})" if state["stop"] else "undecided: more seeds"
        print(
            f"look {state['look']} of {len(state['looks'])}: {state['seeds']} seeds per arm, "
            f"α spent {state['alpha_spent']:.4f}: {what}",
            file=err,
            flush=True,
        )

    results, ran, _state = run_until_decided(
        experiment, claim, run_batch, cancelled=cancel.is_set, on_look=on_look
    )
    if recorder is not None:  # the entry records the seeds actually run, for reruns
        recorder.experiment = ran
        recorder.entry.experiment = ran.to_dict()
    return ran, results


def cmd_rerun(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Repeat an entry with the same specs and seeds, as a new linked entry."""
    from fmtui.core import data, train
    from fmtui.core.hardware import KERNEL_NOTE
    from fmtui.core.journal import JournalError
    from fmtui.core.record import ExperimentRecorder, reproduction_report, rerun_copy
    from fmtui.core.spec import SpecError

    try:
        journal = _open_journal(args, err)
    except JournalError as exc:
        print(f"fmtui rerun: {exc}", file=err)
        return 2
    with journal:
        try:
            original = journal.get(_entry_id(args.id))
            copy, experiment = rerun_copy(original)
            source = data.resolve(_data_dir(args))
            data.load(source, "cpu", require_full=not args.allow_subset)
        except (JournalError, SpecError, data.DataError) as exc:
            print(f"fmtui rerun: {exc}", file=err)
            return 2
        except KeyboardInterrupt:
            print("\nfmtui rerun: interrupted while loading the data", file=err)
            return 130
        recorder = ExperimentRecorder(journal, copy, experiment)
        new_id = recorder.start()
        print(
            f"rerunning entry {original.id} as entry {new_id}: "
            f"{count(len(experiment.runs()), 'run')}",
            file=out,
            flush=True,
        )

        def on_event(event: train.Event) -> None:
            recorder.on_event(event)
            if isinstance(event, train.RunFinished):
                r = event.result
                acc = f"{r.test_acc:.4f}" if r.test_acc is not None else "—"
                print(
                    f"  {r.arm} seed {r.spec.seed}: {r.status}, test accuracy {acc}",
                    file=out,
                    flush=True,
                )

        from fmtui.interrupts import StopRequests

        with StopRequests(err) as stop:
            results = train.run_experiment(
                experiment,
                source,
                on_event=on_event,
                cancel=stop.cancel,
                require_full=not args.allow_subset,
            )
        stopped = stop.cancel.is_set() and not _all_completed(results, len(experiment.runs()))
        finished = recorder.finish(cancelled=stopped)
        same, differences = reproduction_report(original, finished)
    if stopped:
        print(f"entry {new_id} was stopped; its finished epochs are kept", file=out)
        return stop.exit_code()
    if same:
        print(f"entry {new_id} reproduces entry {original.id} exactly", file=out)
    elif differences[0].startswith(KERNEL_NOTE):
        print(
            f"entry {new_id} vs entry {original.id}: {differences[0]}; not a failed reproduction:",
            file=out,
        )
        for line in differences[1:]:
            print(f"  {line}", file=out)
    else:
        print(f"entry {new_id} differs from entry {original.id}:", file=out)
        for line in differences:
            print(f"  {line}", file=out)
    return 0 if all(r.status == RunStatus.COMPLETED for r in results) else 1


def _all_completed(results: list[Any], expected: int) -> bool:
    return len(results) == expected and all(r.status == RunStatus.COMPLETED for r in results)


def _run_json(result: Any) -> dict[str, Any]:
    data = result.to_dict()
    data["seed"] = result.spec.seed
    return data

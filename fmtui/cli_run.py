"""Provides `fmtui run` and `fmtui rerun`: build the experiment, train it, print and record it."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from fmtui.cli_common import _data_dir, _entry_id, _flag, _open_journal
from fmtui.core.safe_text import raw_stream


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


def cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Train the experiment the flags describe, print it as it goes and record it."""
    from fmtui.core.spec import SpecError

    try:
        experiment = build_experiment(args)
        claim = build_claim(args, experiment)
        entry = _new_entry(args, experiment, claim)  # checked before the data and the lock
    except SpecError as exc:
        print(f"fmtui run: {_flag(exc.field)}: {exc.message}", file=err)
        return 2
    from fmtui.cluster_cli import open_cluster
    from fmtui.core.cluster import ClusterError

    try:
        cluster = open_cluster(args)
    except ClusterError as exc:
        print(f"fmtui run: {exc}", file=err)
        return 2
    try:
        return _train_and_report(args, out, err, experiment, claim, entry, cluster)
    finally:
        if cluster is not None:
            cluster.close()


def _new_entry(args: argparse.Namespace, experiment: Any, claim: Any) -> Any:
    """The journal entry `fmtui run` records (kept in memory only with --no-journal)."""
    from fmtui.core.journal import Entry
    from fmtui.core.record import default_title, new_entry

    if args.no_journal:
        entry = Entry(title=default_title(experiment))
    else:
        entry = new_entry(
            title=args.title or default_title(experiment),
            objective=args.objective,
            hypothesis=args.hypothesis,
            methodology=args.methodology,
            tags=args.tag,
        )
    entry.claim = claim
    return entry


def _local_executor(args: argparse.Namespace, experiment: Any, err: TextIO) -> Any:
    """Find and load the data on the baseline's device; the executor that trains here."""
    from fmtui.core import data, train
    from fmtui.core.runner import InProcessExecutor

    def show_download(name: str, done: int, total: int | None) -> None:
        shown = f"{done / total:6.1%}" if total else f"{done / 1e6:.1f} MB"
        print(f"\rdownloading {name}: {shown}", end="", file=raw_stream(err), flush=True)

    source = data.resolve(
        _data_dir(args), allow_download=not args.no_download, progress=show_download
    )
    device, note = train.resolve_device(experiment.baseline.spec.device)
    if note:
        print(f"note: {note}", file=err)
    data.load(source, device, require_full=not args.allow_subset)
    return InProcessExecutor(source, require_full=not args.allow_subset)


def _train_and_report(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    experiment: Any,
    claim: Any,
    entry: Any,
    cluster: Any,
) -> int:
    from fmtui.cli_output import RunPrinter, print_summary
    from fmtui.core import data, train
    from fmtui.core.journal import JournalError
    from fmtui.core.runner import ClusterExecutor, Runner
    from fmtui.interrupts import StopRequests

    try:  # on a cluster the workers find their data and device themselves
        executor = (
            _local_executor(args, experiment, err)
            if cluster is None
            else ClusterExecutor(
                client=cluster.client,
                data_dir=_data_dir(args),
                require_full=not args.allow_subset,
                retries=cluster.retries,
                progress_every=50,
            )
        )
        journal = None if args.no_journal else _open_journal(args, err)
    except (data.DataError, train.DeviceError, JournalError) as exc:
        print(f"fmtui run: {exc}", file=err)
        return 2
    except KeyboardInterrupt:
        print("\nfmtui run: interrupted while loading the data; nothing was recorded", file=err)
        return 130
    shown_total = str(len(experiment.runs()))
    if claim is not None and claim.max_seeds:  # looks stop early: only a bound is known
        shown_total = f"{len(experiment.arms) * claim.max_seeds} at most"
    printer = RunPrinter(args, out, err, shown_total, journal, on_cluster=cluster is not None)
    runner = Runner(journal, executor, printer)
    stop = StopRequests(err)
    try:
        with stop:
            job = runner.submit(
                entry, experiment, reuse=not args.fresh, looks=True, cancel=stop.cancel
            )
            runner.run_pending()
    finally:
        if journal is not None:
            journal.close()
    if journal is not None and not job.started:
        print(f"fmtui run: {job.error}", file=err)
        return 2
    if job.error:
        print(f"fmtui run: {job.error}", file=err)
    print_summary(args, out, job, claim)
    if job.stopped:
        return stop.exit_code()
    return 0 if job.all_completed else 1


def cmd_rerun(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Repeat an entry with the same specs and seeds, as a new linked entry (never reused)."""
    from fmtui.cli_output import RerunPrinter
    from fmtui.core import data
    from fmtui.core.journal import JournalError
    from fmtui.core.record import rerun_copy
    from fmtui.core.reproduce import reproduction_report
    from fmtui.core.runner import InProcessExecutor, Runner
    from fmtui.core.spec import SpecError
    from fmtui.interrupts import StopRequests

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
        executor = InProcessExecutor(source, require_full=not args.allow_subset)
        runner = Runner(journal, executor, RerunPrinter(original.id, out))
        with StopRequests(err) as stop:
            # A rerun exists to train again: it never reuses finished runs.
            job = runner.submit(copy, experiment, reuse=False, cancel=stop.cancel)
            runner.run_pending()
        if not job.started:
            print(f"fmtui rerun: {job.error}", file=err)
            return 2
        same, differences = reproduction_report(original, job.entry)
    return _report_rerun(out, original.id, job, same, differences, stop.exit_code())


def _report_rerun(
    out: TextIO, original_id: Any, job: Any, same: bool, differences: list[str], stop_code: int
) -> int:
    from fmtui.core.hardware import KERNEL_NOTE

    new_id = job.entry.id
    if job.stopped:
        print(f"entry {new_id} was stopped; its finished epochs are kept", file=out)
        return stop_code
    if same:
        print(f"entry {new_id} reproduces entry {original_id} exactly", file=out)
    elif differences[0].startswith(KERNEL_NOTE):
        print(
            f"entry {new_id} vs entry {original_id}: {differences[0]}; not a failed reproduction:",
            file=out,
        )
        for line in differences[1:]:
            print(f"  {line}", file=out)
    else:
        print(f"entry {new_id} differs from entry {original_id}:", file=out)
        for line in differences:
            print(f"  {line}", file=out)
    return 0 if all(r.status == "completed" for r in job.results) else 1

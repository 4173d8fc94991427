"""Provides the `fmtui` command: the app with no arguments, headless subcommands otherwise."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from fmtui import __version__

# Spec field → the flag that sets it, so errors name what the user typed.
FLAG_FOR_FIELD = {
    "layers": "--layers",
    "grid": "--grid",
    "activation": "--activation",
    "dropout": "--dropout",
    "optimizer": "--optimizer",
    "lr": "--lr",
    "momentum": "--momentum",
    "weight_decay": "--weight-decay",
    "batch_size": "--batch-size",
    "epochs": "--epochs",
    "patience": "--patience",
    "min_delta": "--min-delta",
    "monitor": "--monitor",
    "seed": "--seed",
    "seeds": "--seeds",
    "batch_models": "--batch-models",
    "device": "--device",
    "val_fraction": "--val-fraction",
    "variant": "--variant",
    "variants": "--variant",
    "arm": "--arm-name",
    "metric": "--metric",
    "direction": "--direction",
    "baseline": "--baseline",
    "alpha": "--alpha",
    "margin": "--margin",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fmtui",
        description="Disciplined neural-network experiments on Fashion-MNIST. "
        "With no command, opens the terminal app.",
    )
    parser.add_argument("--version", action="version", version=f"fmtui {__version__}")
    parser.add_argument("--journal", metavar="PATH", help="journal file (env FMTUI_JOURNAL)")
    parser.add_argument("--data-dir", metavar="DIR", help="folder with the four IDX files")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="train from the shell",
        description="Train one or more arms × seeds and print per-epoch lines and a table.",
    )
    arch = run.add_argument_group("architecture")
    arch.add_argument(
        "--layers",
        action="append",
        metavar="WIDTHS",
        help="hidden widths like 384,512 or 384x512; repeat for several arms (default 384,512)",
    )
    arch.add_argument(
        "--grid",
        metavar="LISTS",
        help="a grid of widths per layer, layers separated by x: 16,32,64x16,32,64 "
        "(a doubling range 16..1024 also works)",
    )
    arch.add_argument(
        "--variant",
        action="append",
        metavar="LINE",
        help="a variant of the baseline arm, like 'b32: batch_size=32' (repeatable)",
    )
    arch.add_argument("--arm-name", default="baseline", help="the baseline arm's name")
    arch.add_argument("--activation", default="relu", help="relu, tanh, gelu, sigmoid, leaky_relu")
    arch.add_argument("--dropout", default="0", help="dropout probability, 0 ≤ p < 1")
    opt = run.add_argument_group("training")
    opt.add_argument("--optimizer", default="adam", help="adam, adamw or sgd")
    opt.add_argument("--lr", default="1e-3", help="learning rate (> 0)")
    opt.add_argument("--momentum", default="0.9", help="SGD momentum, 0 ≤ m < 1")
    opt.add_argument("--weight-decay", default="0", help="weight decay, 0 to 1")
    opt.add_argument("--batch-size", default="64", help="1 to 60000")
    opt.add_argument("--epochs", default="10", help="maximum epochs, 1 to 1000")
    opt.add_argument("--patience", default="3", help="early-stopping patience in epochs; 0 = off")
    opt.add_argument("--min-delta", default="0", help="smallest improvement that counts")
    opt.add_argument(
        "--monitor", default="val_acc", help="early stopping watches val_acc or val_loss"
    )
    opt.add_argument("--val-fraction", default="0.1", help="share of training data for validation")
    opt.add_argument("--seed", default="0", help="first seed")
    opt.add_argument("--seeds", default="1", help="seeds (repeats) per arm, 1 to 100")
    opt.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    opt.add_argument(
        "--batch-models",
        default="auto",
        help="train runs together in stacked groups: auto (where faster), off, or a group size",
    )
    out = run.add_argument_group("output and data")
    out.add_argument("--data-dir", dest="run_data_dir", metavar="DIR", help=argparse.SUPPRESS)
    out.add_argument("--json", action="store_true", help="print JSON lines; the summary last")
    out.add_argument(
        "--allow-subset",
        action="store_true",
        help="accept a data set smaller than the full 60000/10000 (quick trials)",
    )
    out.add_argument("--no-download", action="store_true", help="never download the data set")
    claim = run.add_argument_group("the claim (with several arms: a verdict per variant)")
    claim.add_argument("--metric", help="test_acc (default), val_acc or duration_s")
    claim.add_argument("--direction", help="the variants are higher, lower or the same")
    claim.add_argument("--baseline", help="the baseline arm (default: the first)")
    claim.add_argument("--alpha", help="significance level, default 0.05")
    claim.add_argument("--margin", help="equivalence margin for --direction same, default 0.005")
    rec = run.add_argument_group("journal")
    rec.add_argument("--title", help="entry title (default: from the arms)")
    for name in ("objective", "hypothesis", "methodology"):
        rec.add_argument(f"--{name}", help=f"entry {name}")
    rec.add_argument("--tag", action="append", default=[], help="tag the entry (repeatable)")
    rec.add_argument("--no-journal", action="store_true", help="do not record a journal entry")
    run.add_argument("--journal", dest="run_journal", metavar="PATH", help=argparse.SUPPRESS)

    journal = sub.add_parser("journal", help="list and show journal entries")
    journal_sub = journal.add_subparsers(dest="journal_command", metavar="ACTION")
    jlist = journal_sub.add_parser("list", help="list entries, newest first")
    jlist.add_argument("--sort", default="date", help="date, title, best or status")
    jlist.add_argument("--status", action="append", help="only entries with this status")
    jlist.add_argument("--tag", help="only entries with this tag")
    jlist.add_argument("--search", help="words that must all appear in the entry")
    jshow = journal_sub.add_parser("show", help="show one entry")
    jshow.add_argument("id", help="entry id (see journal list)")
    jshow.add_argument("--format", default="md", help="md or json")
    for p_ in (jlist, jshow):
        p_.add_argument("--journal", dest="sub_journal", metavar="PATH", help=argparse.SUPPRESS)

    export = sub.add_parser("export", help="export entries as Markdown, JSON or CSV")
    export.add_argument(
        "--format", default="md", help="md (the report's journal format), json, csv"
    )
    export.add_argument("--id", action="append", default=[], help="entry id (repeatable)")
    export.add_argument("--status", action="append", default=[], help="only this status")
    export.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    export.add_argument("--journal", dest="sub_journal", metavar="PATH", help=argparse.SUPPRESS)

    rerun = sub.add_parser("rerun", help="repeat an entry exactly and check the metrics match")
    rerun.add_argument("id", help="entry id (see journal list)")
    rerun.add_argument("--data-dir", dest="run_data_dir", metavar="DIR", help=argparse.SUPPRESS)
    rerun.add_argument("--allow-subset", action="store_true", help=argparse.SUPPRESS)
    rerun.add_argument("--journal", dest="sub_journal", metavar="PATH", help=argparse.SUPPRESS)

    imp = sub.add_parser("import", help="import seed-format Markdown or a JSON export")
    imp.add_argument("file", help="a .md journal or an fmtui .json export")
    imp.add_argument("--journal", dest="sub_journal", metavar="PATH", help=argparse.SUPPRESS)

    data = sub.add_parser("data", help="data set location and status")
    data_sub = data.add_subparsers(dest="data_command", metavar="ACTION")
    status = data_sub.add_parser("status", help="show where Fashion-MNIST is found")
    status.add_argument("--data-dir", dest="status_data_dir", metavar="DIR", help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # `fmtui journal list | head`: the reader left; not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        return _open_app(args)
    if args.command == "run":
        return cmd_run(args, sys.stdout, sys.stderr)
    if args.command == "data":
        if args.data_command != "status":
            parser.parse_args(["data", "--help"])
        return cmd_data_status(args, sys.stdout)
    if args.command == "journal":
        if args.journal_command is None:
            parser.parse_args(["journal", "--help"])
        return cmd_journal(args, sys.stdout, sys.stderr)
    if args.command == "export":
        return cmd_export(args, sys.stdout, sys.stderr)
    if args.command == "import":
        return cmd_import(args, sys.stdout, sys.stderr)
    if args.command == "rerun":
        return cmd_rerun(args, sys.stdout, sys.stderr)
    parser.error(f"unknown command {args.command}")
    return 2


def _open_app(args: argparse.Namespace) -> int:
    from fmtui.app import make_app
    from fmtui.core.journal import JournalError

    try:
        app = make_app(journal_path=args.journal, data_dir=args.data_dir)
    except JournalError as exc:
        print(f"fmtui: {exc}", file=sys.stderr)
        return 2
    try:
        app.run()
    finally:
        if not app.join_training(timeout=5.0):
            print("fmtui: training did not stop within 5 s", file=sys.stderr)
        app.journal.close()
    return 0


def _data_dir(args: argparse.Namespace) -> str | None:
    for name in ("run_data_dir", "status_data_dir", "data_dir"):
        value = getattr(args, name, None)
        if value:
            return value
    return None


def cmd_data_status(args: argparse.Namespace, out: TextIO) -> int:
    from fmtui.core import data

    lines, found = data.status_lines(_data_dir(args))
    for line in lines:
        print(line, file=out)
    return 0 if found else 1


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
    base = RunSpec(
        activation=args.activation,
        dropout=args.dropout,
        optimizer=args.optimizer,
        lr=args.lr,
        momentum=args.momentum,
        weight_decay=args.weight_decay,
        batch_size=args.batch_size,
        epochs=args.epochs,
        patience=args.patience,
        min_delta=args.min_delta,
        monitor=args.monitor,
        seed=args.seed,
        device=args.device,
        val_fraction=args.val_fraction,
    )
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
        arms = layer_arms([parse_layers(text) for text in (args.layers or ["384,512"])], base)
    return ExperimentSpec(arms=arms, seeds=args.seeds, batch_models=args.batch_models)


def build_claim(args: argparse.Namespace, experiment: Any) -> Any:
    """The claim from --metric/--direction/--baseline/--alpha/--margin, or None."""
    from fmtui.core.journal import Claim
    from fmtui.core.spec import SpecError

    given = [args.metric, args.direction, args.baseline, args.alpha, args.margin]
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
    except SpecError as exc:
        print(f"fmtui run: {FLAG_FOR_FIELD.get(exc.field, exc.field)}: {exc.message}", file=err)
        return 2

    def show_download(name: str, done: int, total: int | None) -> None:
        shown = f"{done / total:6.1%}" if total else f"{done / 1e6:.1f} MB"
        print(f"\rdownloading {name}: {shown}", end="", file=err, flush=True)

    try:
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

    recorder = None
    if not args.no_journal:
        from fmtui.core.journal import JournalError
        from fmtui.core.record import ExperimentRecorder, default_title, new_entry

        try:
            journal = _open_journal(args, err)
            entry = new_entry(
                title=args.title or default_title(experiment),
                objective=args.objective,
                hypothesis=args.hypothesis,
                methodology=args.methodology,
                tags=args.tag,
            )
            entry.claim = claim
            recorder = ExperimentRecorder(journal, entry, experiment)
            entry_id = recorder.start()
        except (JournalError, SpecError) as exc:
            print(f"fmtui run: {exc}", file=err)
            return 2
        print(f"journal entry {entry_id} in {journal.path}", file=err)

    cancel = threading.Event()
    previous = signal.getsignal(signal.SIGINT)

    def on_sigint(_signum: int, _frame: Any) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        print("\ncancelling after this step… (Ctrl-C again to abort)", file=err)
        cancel.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, on_sigint)
    runs = experiment.runs()
    total_runs = len(runs)
    counter = {"n": 0}

    def on_event(event: train.Event) -> None:
        if recorder is not None:  # saved first, then shown
            recorder.on_event(event)
        if isinstance(event, train.RunStarted):
            counter["n"] += 1
            if args.json:
                _json_line(
                    out,
                    {
                        "event": "run_started",
                        "arm": event.arm,
                        "seed": event.spec.seed,
                        "device": event.device,
                        "parameters": event.parameters,
                    },
                )
            else:
                print(
                    f"run {counter['n']}/{total_runs}: arm {event.arm}, seed {event.spec.seed}, "
                    f"{event.parameters:,} parameters on {event.device}",
                    file=out,
                    flush=True,
                )
        elif isinstance(event, train.EpochEnd):
            m = event.metrics
            if args.json:
                _json_line(
                    out, {"event": "epoch", "arm": event.arm, "repeat": event.repeat, **m.to_dict()}
                )
            else:
                print(
                    f"  epoch {m.epoch:3d}  train loss {m.train_loss:.4f} acc {m.train_acc:.4f}"
                    f"  val loss {m.val_loss:.4f} acc {m.val_acc:.4f}  {m.seconds:5.1f}s",
                    file=out,
                    flush=True,
                )
        elif isinstance(event, train.RunFinished):
            r = event.result
            if args.json:
                _json_line(out, {"event": "run_finished", **_run_json(r)})
            elif r.status == "completed":
                stop = f", stopped early at epoch {len(r.epochs)}" if r.stopped_early else ""
                print(
                    f"  test accuracy {r.test_acc:.4f} (best epoch {r.best_epoch}{stop}) "
                    f"in {r.duration_s:.1f}s",
                    file=out,
                    flush=True,
                )
            else:
                print(f"  run {r.status}: {r.error or 'stopped by the user'}", file=out, flush=True)

    try:
        results = train.run_experiment(
            experiment,
            source,
            on_event=on_event,
            cancel=cancel,
            require_full=not args.allow_subset,
        )
    finally:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, previous)

    summaries = summarize_arms(results)
    from fmtui.core.stats import entry_verdict, format_comparison, judge

    comparisons = []
    if claim is not None and len(experiment.arms) > 1:
        comparisons = judge(
            [r.to_dict() for r in results], [a.name for a in experiment.arms], claim
        )
    if recorder is not None:
        recorder.finish(cancelled=cancel.is_set())
        recorder.journal.close()
        if recorder.write_error:
            print(f"fmtui run: {recorder.write_error}", file=err)
    if args.json:
        _json_line(
            out,
            {
                "event": "summary",
                "fmtui": __version__,
                "classes": list(CLASSES),
                "experiment": experiment.to_dict(),
                "runs": [_run_json(r) for r in results],
                "arms": [s.to_dict() for s in summaries],
                "comparisons": [c.to_dict() for c in comparisons],
                "verdict": entry_verdict(comparisons),
                "status": "completed" if _all_completed(results, total_runs) else "incomplete",
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
                f"{s.arm:<20} {s.runs:>5} {s.completed:>4}  "
                f"{format_mean_sd(s.mean_acc, s.sd_acc):<17} {epochs:>6}",
                file=out,
            )
        for comparison in comparisons:
            print(format_comparison(comparison), file=out)
        if comparisons:
            print(f"verdict: {entry_verdict(comparisons)}", file=out)
        if cancel.is_set():
            print("cancelled by the user", file=out)
    if cancel.is_set():
        return 130
    return 0 if _all_completed(results, total_runs) else 1


def _journal_path(args: argparse.Namespace) -> str | None:
    for name in ("run_journal", "sub_journal", "journal"):
        value = getattr(args, name, None)
        if value:
            return value
    return None


def _open_journal(args: argparse.Namespace, err: TextIO, read_only: bool = False) -> Any:
    """Open the journal, telling the user about any recovery or migration."""
    from fmtui.core.journal import open_journal

    journal = open_journal(_journal_path(args), read_only=read_only)
    if journal.recovery is not None:
        print(f"warning: {journal.recovery.message()}", file=err)
    if journal.backup is not None:
        print(
            f"note: migrated the journal from schema {journal.migrated_from}; "
            f"backup at {journal.backup}",
            file=err,
        )
    for entry_id in journal.interrupted:
        print(f"note: entry {entry_id} was running when its process ended: interrupted", file=err)
    return journal


def _entry_id(text: str) -> int:
    from fmtui.core.spec import parse_int

    return parse_int("id", text, 1, 10**9)


def cmd_journal(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from fmtui.core import export
    from fmtui.core.journal import JournalError
    from fmtui.core.spec import SpecError, parse_choice

    try:
        with _open_journal(args, err, read_only=True) as journal:
            if args.journal_command == "show":
                fmt = parse_choice("format", args.format, ("md", "json"))
                entry = journal.get(_entry_id(args.id))
                out.write(export.export_text([entry], fmt))
                return 0
            entries = journal.query(
                sort=args.sort, status=args.status, tag=args.tag, text=args.search
            )
    except (JournalError, SpecError) as exc:
        print(f"fmtui journal: {exc}", file=err)
        return 2
    if not entries:
        print("The journal is empty." if not args.search else "No entry matches.", file=out)
        return 0
    print(
        f"{'id':>4}  {'created':<19}  {'status':<11}  {'verdict':<12}  {'best':>6}  {'runs':>4}  "
        "title",
        file=out,
    )
    for e in entries:
        best = f"{e.best_accuracy:.4f}" if e.best_accuracy is not None else "—"
        title = e.title.replace("\n", " ").replace("\r", " ")
        print(
            f"{e.id:>4}  {e.created:<19}  {e.status:<11}  {e.verdict or '—':<12}  {best:>6}  "
            f"{len(e.runs):>4}  {title}",
            file=out,
        )
    return 0


def cmd_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from fmtui.core import export
    from fmtui.core.journal import JournalError, atomic_write
    from fmtui.core.spec import SpecError, parse_choice

    try:
        fmt = parse_choice("format", args.format, export.FORMATS)
        ids = [_entry_id(i) for i in args.id]
        with _open_journal(args, err, read_only=True) as journal:
            entries = export.select(journal, ids, args.status)
        text = export.export_text(entries, fmt)
        if args.output:
            target = Path(args.output).expanduser()
            try:
                atomic_write(target, text)
            except OSError as exc:
                raise JournalError(f"cannot write {target}: {exc.strerror or exc}") from exc
            noun = "entry" if len(entries) == 1 else "entries"
            print(f"wrote {len(entries)} {noun} as {fmt} to {target.resolve()}", file=err)
        else:
            out.write(text)
    except (JournalError, SpecError) as exc:
        print(f"fmtui export: {exc}", file=err)
        return 2
    return 0


def cmd_import(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from fmtui.core import export
    from fmtui.core.journal import JournalError

    path = Path(args.file).expanduser()
    try:
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise JournalError(f"cannot read {path}: {reason}") from exc
        entries = export.parse_import(text, path.name)
        with _open_journal(args, err) as journal:
            ids = export.import_entries(journal, entries)
    except JournalError as exc:
        print(f"fmtui import: {path}: {exc}", file=err)
        return 2
    print(f"imported {len(ids)} entries into {journal.path} (ids {ids[0]}–{ids[-1]})", file=out)
    return 0


def cmd_rerun(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Repeat an entry with the same specs and seeds, as a new linked entry."""
    from fmtui.core import data, train
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
        recorder = ExperimentRecorder(journal, copy, experiment)
        new_id = recorder.start()
        print(
            f"rerunning entry {original.id} as entry {new_id}: {len(experiment.runs())} runs",
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

        results = train.run_experiment(
            experiment, source, on_event=on_event, require_full=not args.allow_subset
        )
        finished = recorder.finish()
        same, differences = reproduction_report(original, finished)
    if same:
        print(f"entry {new_id} reproduces entry {original.id} exactly", file=out)
    else:
        print(f"entry {new_id} differs from entry {original.id}:", file=out)
        for line in differences:
            print(f"  {line}", file=out)
    return 0 if all(r.status == "completed" for r in results) else 1


def _all_completed(results: list[Any], expected: int) -> bool:
    return len(results) == expected and all(r.status == "completed" for r in results)


def _run_json(result: Any) -> dict[str, Any]:
    data = result.to_dict()
    data["seed"] = result.spec.seed
    return data


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

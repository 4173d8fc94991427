"""Provides the `fmtui` command: the app with no arguments, headless subcommands otherwise."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from fmtui import __version__
from fmtui.cli_edit import add_edit_parser, cmd_journal_edit
from fmtui.core.safe_text import (
    json_terminal_safe,
    one_line,
    raw_stream,
    safe_stream,
    terminal_safe,
)
from fmtui.core.safe_text import (
    write_export as print_export,
)
from fmtui.core.words import count

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

    from fmtui.core.stats import Comparison

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
    "adjust": "--adjust",
    "max_seeds": "--max-seeds",
    "smallest_effect": "--smallest-effect",
    "until_decided": "--until-decided",
    "title": "--title",
    "objective": "--objective",
    "hypothesis": "--hypothesis",
    "methodology": "--methodology",
    "tags": "--tag",
}


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """Shows '(default: X)' after a flag's help where it has a value and says none yet.

    argparse's own ArgumentDefaultsHelpFormatter also prints "(default: None)" and
    "(default: False)" for flags without a value, which tells the reader nothing.
    """

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            default is None
            or default is False
            or default == []
            or default == argparse.SUPPRESS
            or "default" in text
            or not action.option_strings
        ):
            return text
        return f"{text} (default: %(default)s)"


class SafeArgumentParser(argparse.ArgumentParser):
    """argparse whose usage errors, which echo what was typed, reach the terminal escaped."""

    def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
        super()._print_message(terminal_safe(message), file)


def _flag(field_name: str) -> str:
    """The flag for a field path such as `tags[2]`."""
    base = field_name.split("[")[0].split(".")[0]
    return FLAG_FOR_FIELD.get(base, field_name)


def build_parser() -> argparse.ArgumentParser:
    parser = SafeArgumentParser(
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
        formatter_class=DefaultsHelpFormatter,
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
    where = run.add_argument_group("where to train (default: this machine)")
    where.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="train on a Dask cluster, e.g. tcp://host:8786 (env FMTUI_CLUSTER); "
        "needs pip install 'fmtui[cluster]'",
    )
    where.add_argument(
        "--retries",
        default="1",
        help="on a cluster: restarts of a run whose worker was lost, 0 to 10 (default 1)",
    )
    claim = run.add_argument_group("the claim (with several arms: a verdict per variant)")
    claim.add_argument("--metric", help="test_acc (default), val_acc or duration_s")
    claim.add_argument(
        "--direction",
        help="the variants are higher, lower or the same; or increasing/decreasing: "
        "a trend along total width (width arms) or the arms' order (Spearman)",
    )
    claim.add_argument("--baseline", help="the baseline arm (default: the first)")
    claim.add_argument("--alpha", help="significance level, default 0.05")
    claim.add_argument("--margin", help="equivalence margin for --direction same, default 0.005")
    claim.add_argument(
        "--adjust",
        help="multiplicity adjustment over the variants: holm (default), bh "
        "(default for --exploratory and grids), dunnett or none",
    )
    explore = claim.add_mutually_exclusive_group()
    explore.add_argument(
        "--exploratory",
        action="store_true",
        default=None,
        help="an exploratory claim: Benjamini–Hochberg (false discovery rate)",
    )
    explore.add_argument(
        "--confirmatory",
        dest="exploratory",
        action="store_false",
        help="a confirmatory claim: Holm (family-wise error); the default but for grids",
    )
    seq = run.add_argument_group("seeds until decided (higher/lower claims)")
    seq.add_argument(
        "--until-decided",
        action="store_true",
        help="run seeds in planned looks (3, 5, 8, 12, …) and stop once decided; "
        "O'Brien–Fleming α-spending keeps the false-positive rate at --alpha",
    )
    seq.add_argument("--max-seeds", help="seeds per arm at the last look, 3 to 100 (default 12)")
    seq.add_argument(
        "--smallest-effect",
        help="smallest difference worth detecting; stop early for futility when the "
        "interval lies below it (default 0: no futility stop)",
    )
    rec = run.add_argument_group("journal")
    rec.add_argument("--title", help="entry title (default: from the arms)")
    for name in ("objective", "hypothesis", "methodology"):
        rec.add_argument(f"--{name}", help=f"entry {name}")
    rec.add_argument("--tag", action="append", default=[], help="tag the entry (repeatable)")
    rec.add_argument("--no-journal", action="store_true", help="do not record a journal entry")
    run.add_argument("--journal", dest="run_journal", metavar="PATH", help=argparse.SUPPRESS)

    journal = sub.add_parser("journal", help="list, show and edit journal entries")
    journal_sub = journal.add_subparsers(dest="journal_command", metavar="ACTION")
    jlist = journal_sub.add_parser("list", help="list entries, newest first")
    jlist.add_argument("--sort", default="date", help="date, title, best or status")
    jlist.add_argument("--status", action="append", help="only entries with this status")
    jlist.add_argument("--tag", help="only entries with this tag")
    jlist.add_argument("--search", help="words that must all appear in the entry")
    add_edit_parser(journal_sub)
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
    export.add_argument("--tag", help="only entries with this tag")
    export.add_argument(
        "-o", "--output", metavar="FILE", help="write here instead of stdout ('-' is stdout)"
    )
    export.add_argument(
        "--force", action="store_true", help="replace FILE if it exists (its mode is kept)"
    )
    export.add_argument("--journal", dest="sub_journal", metavar="PATH", help=argparse.SUPPRESS)

    rerun = sub.add_parser("rerun", help="repeat an entry exactly and check the metrics match")
    rerun.add_argument("id", help="entry id (see journal list)")
    rerun.add_argument("--data-dir", dest="run_data_dir", metavar="DIR", help=argparse.SUPPRESS)
    rerun.add_argument("--allow-subset", action="store_true", help=argparse.SUPPRESS)
    rerun.add_argument("--journal", dest="sub_journal", metavar="PATH", help=argparse.SUPPRESS)

    imp = sub.add_parser("import", help="import seed-format Markdown or a JSON export")
    imp.add_argument("file", help="a .md journal or an fmtui .json export")
    imp.add_argument(
        "--duplicates",
        default="skip",
        help="skip (default) or keep entries already in the journal: same created time "
        "and title, or the same content",
    )
    imp.add_argument("--journal", dest="sub_journal", metavar="PATH", help=argparse.SUPPRESS)

    from fmtui import cli_report

    cli_report.add_parser(sub)

    data = sub.add_parser("data", help="data set location and status")
    data_sub = data.add_subparsers(dest="data_command", metavar="ACTION")
    status = data_sub.add_parser("status", help="show where Fashion-MNIST is found")
    status.add_argument("--data-dir", dest="status_data_dir", metavar="DIR", help=argparse.SUPPRESS)

    cluster = sub.add_parser("cluster", help="a Dask cluster to train on")
    cluster_sub = cluster.add_subparsers(dest="cluster_command", metavar="ACTION")
    local = cluster_sub.add_parser(
        "local", help="start a cluster on this machine and print its address (Ctrl-C stops it)"
    )
    local.add_argument("--workers", default="2", help="worker processes, 1 to 64 (default 2)")
    local.add_argument("--threads", default="1", help="threads per worker, 1 to 64 (default 1)")
    local.add_argument("--port", default="8786", help="scheduler port, 0 to 65535 (default 8786)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from fmtui.argv import join_negative_values

    try:
        return _main(join_negative_values(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:  # a second Ctrl-C, or one outside training
        print("\nfmtui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `fmtui journal list | head`: the reader left; not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        return _open_app(args)
    # Journal text, paths and messages that echo input reach the terminal escaped.
    stdout, stderr = safe_stream(sys.stdout), safe_stream(sys.stderr)
    if args.command == "run":
        return cmd_run(args, stdout, stderr)
    if args.command == "data":
        if args.data_command != "status":
            parser.parse_args(["data", "--help"])
        return cmd_data_status(args, stdout)
    if args.command == "journal":
        if args.journal_command is None:
            parser.parse_args(["journal", "--help"])
        return cmd_journal(args, stdout, stderr)
    if args.command == "export":
        return cmd_export(args, stdout, stderr)
    if args.command == "import":
        return cmd_import(args, stdout, stderr)
    if args.command == "rerun":
        return cmd_rerun(args, stdout, stderr)
    if args.command == "cluster":
        if args.cluster_command != "local":
            parser.parse_args(["cluster", "--help"])
        from fmtui.cluster_cli import cmd_cluster_local

        return cmd_cluster_local(args, stdout, stderr)
    if args.command == "report":
        from fmtui import cli_report

        if args.report_command is None:
            parser.parse_args(["report", "--help"])
        return cli_report.cmd_report(args, stdout, stderr)
    parser.error(f"unknown command {args.command}")
    return 2


def _open_app(args: argparse.Namespace) -> int:
    from fmtui.app import make_app
    from fmtui.core.journal import JournalError

    err = safe_stream(sys.stderr)
    try:
        app = make_app(journal_path=args.journal, data_dir=args.data_dir)
    except JournalError as exc:
        print(f"fmtui: {exc}", file=err)
        return 2
    try:
        app.run()
    finally:
        if not app.join_training(timeout=5.0):
            print("fmtui: training did not stop within 5 s", file=err)
        app.journal.close()
    if app.recovery_path is not None:
        print(f"fmtui: unsaved text was kept in {app.recovery_path}", file=err)
    # Textual sets 1 when an unexpected exception ended the app.
    return app.return_code or 0


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
            elif r.status == "completed":
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

    if args.journal_command == "edit":
        return cmd_journal_edit(args, out, err)
    try:
        statuses = _statuses(getattr(args, "status", None), damaged=True)
        with _open_journal(args, err, read_only=True) as journal:
            if args.journal_command == "show":
                fmt = parse_choice("format", args.format, ("md", "json"))
                entry = journal.get(_entry_id(args.id))
                text = export.export_text([entry], fmt)
                out.write(json_terminal_safe(text) if fmt == "json" else text)
                return 0
            wanted = [s for s in statuses if s != "damaged"]
            entries = []
            if wanted or not statuses:
                entries = journal.query(
                    sort=args.sort, status=wanted or None, tag=args.tag, text=args.search
                )
            damaged = journal.damaged()
            total = len(journal)
    except (JournalError, SpecError) as exc:
        print(f"fmtui journal: {exc}", file=err)
        return 2
    # Damaged entries (failing the schema) are listed, not hidden; no filter matches them
    # but `--status damaged`.
    if args.tag or args.search or (statuses and "damaged" not in statuses):
        damaged = []
    if not entries and not damaged:
        if total == 0:
            print("The journal is empty.", file=out)
            return 0
        print(f"No entry matches (the journal holds {count(total, 'entry')}).", file=err)
        return 1
    print(
        f"{'id':>4}  {'created':<19}  {'status':<11}  {'verdict':<12}  {'best':>6}  {'runs':>4}  "
        "title",
        file=out,
    )
    for e in entries:
        best = f"{e.best_accuracy:.4f}" if e.best_accuracy is not None else "—"
        print(
            f"{e.id:>4}  {e.created:<19}  {e.status:<11}  {one_line(e.verdict or '—'):<12}  "
            f"{best:>6}  {len(e.runs):>4}  {one_line(e.title)}",
            file=out,
        )
    for entry_id, reason in damaged:
        print(
            f"{entry_id:>4}  {'—':<19}  {'damaged':<11}  {'—':<12}  {'—':>6}  {'—':>4}  {reason}",
            file=out,
        )
    return 0


def _statuses(given: Sequence[str] | None, *, damaged: bool = False) -> list[str]:
    """--status values, each one of the journal's statuses (SpecError names them).

    `journal list` also takes `damaged`: the entries that fail the journal's schema.
    """
    from fmtui.core.journal import ENTRY_STATUSES
    from fmtui.core.spec import parse_choice

    choices = (*ENTRY_STATUSES, "damaged") if damaged else ENTRY_STATUSES
    return [parse_choice("--status", value, choices) for value in given or ()]


def cmd_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from fmtui.core import export
    from fmtui.core.export_target import TargetExists, write_export
    from fmtui.core.journal import JournalError
    from fmtui.core.spec import SpecError, parse_choice

    try:
        fmt = parse_choice("format", args.format, export.FORMATS)
        ids = [_entry_id(i) for i in args.id]
        statuses = _statuses(args.status)
        with _open_journal(args, err, read_only=True) as journal:
            entries = export.select(journal, ids, statuses)
            damaged = [] if ids else journal.damaged()
        if args.tag is not None:
            entries = [e for e in entries if args.tag in e.tags]
        if damaged:
            shown = ", ".join(str(i) for i, _ in damaged[:10])
            more = f" and {len(damaged) - 10} more" if len(damaged) > 10 else ""
            print(
                f"fmtui export: skipped {count(len(damaged), 'damaged entry')} "
                f"(id {shown}{more}); `fmtui journal show ID` says what is wrong",
                file=err,
            )
        text = export.export_text(entries, fmt)
        if args.output == "-":
            print_export(out, text, fmt)
        elif args.output:
            written = write_export(
                args.output, text, journal=journal.path, overwrite=args.force, stdout=out
            )
            if written is not None:
                noun = "entry" if len(entries) == 1 else "entries"
                print(f"wrote {len(entries)} {noun} as {fmt} to {written}", file=err)
        else:
            print_export(out, text, fmt)
    except TargetExists as exc:
        print(f"fmtui export: {exc.path} exists; add --force to replace it", file=err)
        return 2
    except (JournalError, SpecError) as exc:
        print(f"fmtui export: {exc}", file=err)
        return 2
    return 0


def cmd_import(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from fmtui.core import export, importing, schema
    from fmtui.core.journal import JournalError
    from fmtui.core.spec import SpecError, parse_choice

    try:
        duplicates = parse_choice("--duplicates", args.duplicates, importing.DUPLICATE_CHOICES)
    except SpecError as exc:
        print(f"fmtui import: {exc}", file=err)
        return 2
    path = Path(args.file).expanduser()
    try:
        try:
            text = schema.read_import(path)
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise JournalError(f"cannot read {path}: {reason}") from exc
        except schema.ImportLimitError as exc:
            raise JournalError(str(exc)) from None
        entries = export.parse_import(text, path.name)
        with _open_journal(args, err) as journal:
            result = importing.merge(journal, entries, duplicates)
    except JournalError as exc:
        print(f"fmtui import: {path}: {exc}", file=err)
        return 2
    print(result.message(journal.path), file=out)
    return 0


def cmd_rerun(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Repeat an entry with the same specs and seeds, as a new linked entry."""
    from fmtui.core import data, train
    from fmtui.core.hardware import KERNEL_NOTE
    from fmtui.core.journal import JournalError
    from fmtui.core.record import ExperimentRecorder, reproduction_report, rerun_copy
    from fmtui.core.spec import SpecError
    from fmtui.core.words import count

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
    return 0 if all(r.status == "completed" for r in results) else 1


def _all_completed(results: list[Any], expected: int) -> bool:
    return len(results) == expected and all(r.status == "completed" for r in results)


def _run_json(result: Any) -> dict[str, Any]:
    data = result.to_dict()
    data["seed"] = result.spec.seed
    return data


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

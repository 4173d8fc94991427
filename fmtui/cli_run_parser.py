"""Provides the `fmtui run` command line: the spec's flags from its one table, the arms,
where to train, the claim, seeds until decided and the journal entry.
"""

from __future__ import annotations

import argparse
from typing import Any

from fmtui.cli_spec import add_field_flags


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


def _add_arm_flags(arch: Any) -> None:
    """Ways to name several arms, listed right after --layers."""
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


def _add_claim_flags(run: Any) -> None:
    """The claim a verdict tests, and seeds until decided."""
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


def add_run_parser(sub: Any) -> argparse.ArgumentParser:
    """`fmtui run`'s parser, added to the subcommands `sub`."""
    run = sub.add_parser(
        "run",
        help="train from the shell",
        description="Train one or more arms × seeds and print per-epoch lines and a table.",
        formatter_class=DefaultsHelpFormatter,
    )
    arch = run.add_argument_group("architecture")
    add_field_flags(arch, "architecture", after={"layers": _add_arm_flags})
    add_field_flags(run.add_argument_group("training"), "training")
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
    _add_claim_flags(run)
    rec = run.add_argument_group("journal")
    rec.add_argument("--title", help="entry title (default: from the arms)")
    for name in ("objective", "hypothesis", "methodology"):
        rec.add_argument(f"--{name}", help=f"entry {name}")
    rec.add_argument("--tag", action="append", default=[], help="tag the entry (repeatable)")
    rec.add_argument("--no-journal", action="store_true", help="do not record a journal entry")
    rec.add_argument(
        "--fresh",
        action="store_true",
        help="train every run, even one the journal already holds a finished copy of "
        "(same spec, seed, data, versions, device type and batching)",
    )
    run.add_argument("--journal", dest="run_journal", metavar="PATH", help=argparse.SUPPRESS)
    return run

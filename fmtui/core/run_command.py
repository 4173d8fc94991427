"""Provides `run_command`: the `fmtui run` command line that repeats an entry's experiment.

The export, the report and the browser print it; it is built from the same table of
flags as the parser (`spec_fields`), so the command and the parser cannot drift apart.
"""

from __future__ import annotations

import shlex

from fmtui.core.design import variants_text
from fmtui.core.journal import Entry
from fmtui.core.spec import ExperimentSpec
from fmtui.core.spec_fields import run_flags


def run_command(entry: Entry) -> str | None:
    """The `fmtui run` command line that repeats an entry's experiment."""
    if not entry.experiment:
        return None
    experiment = ExperimentSpec.from_dict(entry.experiment)
    # Every field of the baseline, its seeds and its grouping (the same groups: the same numbers)
    parts = ["fmtui", "run", *run_flags(experiment)]
    if len(experiment.arms) > 1:
        parts += ["--arm-name", experiment.baseline.name]
        for line in variants_text(experiment).splitlines():
            parts += ["--variant", line]
    claim = entry.claim
    if claim is not None and len(experiment.arms) > 1:
        parts += [
            "--metric",
            claim.metric,
            "--direction",
            claim.direction,
            "--baseline",
            claim.baseline or experiment.baseline.name,
            "--alpha",
            f"{claim.alpha:g}",
            "--margin",
            f"{claim.margin:g}",
        ]
        if claim.adjust != "auto":
            parts += ["--adjust", claim.adjust]
        parts.append("--exploratory" if claim.exploratory else "--confirmatory")
        if claim.max_seeds:  # the same looks on the same seeds reach the same decision
            parts += ["--until-decided", "--max-seeds", str(claim.max_seeds)]
            if claim.smallest_effect:
                parts += ["--smallest-effect", f"{claim.smallest_effect:g}"]
    return shlex.join(parts)

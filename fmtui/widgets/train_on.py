"""Provides the designer's "Train on" row: this machine, or the cluster the app was given.

The row is there only when a cluster is configured (`fmtui --cluster ADDRESS` or
FMTUI_CLUSTER). The address is the user's text and is shown literally.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.dom import DOMNode
from textual.widgets import Label, Select, Static

from fmtui.core.present import ellipsize
from fmtui.core.safe_text import one_line
from fmtui.core.train_on import CLUSTER, INSTALL_COMMAND, THIS_MACHINE, cluster_installed
from fmtui.widgets.literal import literal_line

FIELD = "train_on"  # the Select's id; not a field of the design
ADDRESS_WIDTH = 26  # what the designer's 36-cell Select leaves for the address


def train_on_row(address: str | None) -> ComposeResult:
    """The row offering this machine and the cluster (default: the cluster, when usable)."""
    if address is None:
        return
    options: list[tuple[object, str]] = [(THIS_MACHINE, THIS_MACHINE)]
    if cluster_installed():
        shown = ellipsize(one_line(address), ADDRESS_WIDTH)
        options.append((literal_line(f"cluster {shown}"), CLUSTER))
        hint = "the workers use their own data and devices"
    else:
        hint = f"to train on {address}, install Dask: {INSTALL_COMMAND}"
    with Horizontal(classes="row", id=f"row-{FIELD}"):
        yield Label("Train on", classes="field-label")
        yield Select(
            options,  # type: ignore[arg-type]  # a Text prompt: the address is shown literally
            value=options[-1][1],
            allow_blank=False,
            id=FIELD,
            compact=True,
        )
        yield Static(literal_line(hint), classes="hint", id=f"{FIELD}-hint")


def chosen_place(screen: DOMNode) -> str:
    """Where the designer says to train: this machine unless the row chooses the cluster."""
    for select in screen.query(f"#{FIELD}").results(Select):
        return str(select.value)
    return THIS_MACHINE

"""Provides the Textual app and the factory the CLI and the tests share."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Header, Static

from fmtui import __version__
from fmtui.core import data

WELCOME = """\
Welcome to fmtui {version}.

The journal browser, hypothesis form and experiment designer are on their way.
Until then, train from the shell:

    fmtui run --layers 384,512 --epochs 20 --patience 3

Data: {data}
"""


class HomeScreen(Vertical):
    """A placeholder home: what fmtui is and how to train today."""

    DEFAULT_CSS = """
    HomeScreen { padding: 1 2; }
    HomeScreen #welcome { width: 1fr; }
    """

    def __init__(self, data_line: str) -> None:
        super().__init__()
        self.data_line = data_line

    def compose(self) -> ComposeResult:
        text = WELCOME.format(version=__version__, data=self.data_line)
        yield Static(text, id="welcome", markup=False)


class FmtuiApp(App[None]):
    """The fmtui terminal app."""

    TITLE = "fmtui"
    SUB_TITLE = "Fashion-MNIST experiments"
    BINDINGS = [Binding("q", "quit", "Quit")]

    def __init__(
        self, data_dir: str | Path | None = None, journal_path: str | Path | None = None
    ) -> None:
        super().__init__()
        self.data_dir = data_dir
        self.journal_path = journal_path

    def compose(self) -> ComposeResult:
        yield Header()
        yield HomeScreen(self._data_line())
        yield Footer()

    def _data_line(self) -> str:
        try:
            source = data.locate(self.data_dir)
        except data.DataError as err:
            return str(err)
        if source is None:
            return "not found locally; it will be downloaded on first run"
        return f"{source.directory} ({source.kind})"


def make_app(
    data_dir: str | Path | None = None, journal_path: str | Path | None = None
) -> FmtuiApp:
    """Build the app; the CLI and the tests both call this."""
    return FmtuiApp(data_dir=data_dir, journal_path=journal_path)

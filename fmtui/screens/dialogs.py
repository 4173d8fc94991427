"""Provides the modal dialogs: confirm, export, tags and help."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select, Static

from fmtui.core.entry_view import split_tags
from fmtui.core.export import FORMATS
from fmtui.core.words import count
from fmtui.messages import ExportRequest
from fmtui.widgets.inputs import SafeInput
from fmtui.widgets.literal import literal

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 72; max-width: 95%; height: auto; max-height: 90%;
    border: thick $accent; background: $surface; padding: 1 2;
}}
{name} .buttons {{ height: auto; margin-top: 1; align-horizontal: right; }}
{name} .buttons Button {{ margin-left: 1; }}
{name} .error {{ color: $error; height: auto; }}
{name} Label {{ margin-top: 1; }}
"""


class ConfirmDialog(ModalScreen[bool]):
    """Yes or no; `y`/`n`, Enter on a button, Escape means no."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmDialog")
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "Cancel"),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question = question
        self.yes, self.no = yes, no

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(literal(self.question), id="question")
            with Horizontal(classes="buttons"):
                yield Button(f"{self.no} (n)", id="no")
                yield Button(f"{self.yes} (y)", id="yes", variant="error")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class ExportDialog(ModalScreen[ExportRequest | None]):
    """Format, which entries and where; the browser writes and reports the path."""

    # On a short terminal (24 lines) the form closes up so the buttons stay on screen.
    DEFAULT_CSS = (
        DIALOG_CSS.format(name="ExportDialog")
        + """
    ExportDialog.-short > Vertical { padding: 0 1; max-height: 100%; }
    ExportDialog.-short Label { margin-top: 0; }
    ExportDialog.-short .buttons { margin-top: 0; }
    """
    )
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "export", "Export")]

    def __init__(
        self,
        default_dir: Path,
        has_selection: bool,
        shown: int,
        total: int,
        fmt: str = "md",
        path: Path | None = None,
    ) -> None:
        super().__init__()
        self.default_dir = default_dir
        self.has_selection = has_selection
        self.shown = shown
        self.total = total
        self.fmt = fmt if fmt in FORMATS else "md"  # the format used last time
        self.path = path

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("[b]Export the journal[/b]")
            yield Label("Format")
            yield Select(
                [
                    ("Markdown (the report's journal format)", "md"),
                    ("JSON (lossless)", "json"),
                    ("CSV (one row per run)", "csv"),
                ],
                value=self.fmt,
                allow_blank=False,
                id="format",
            )
            yield Label("Entries")
            with RadioSet(id="scope"):
                yield RadioButton(
                    "The selected entry",
                    value=self.has_selection,
                    disabled=not self.has_selection,
                    id="selected",
                )
                yield RadioButton(
                    f"The {count(self.shown, 'entry')} shown",
                    id="shown",
                    value=not self.has_selection,
                )
                yield RadioButton(f"All {count(self.total, 'entry')}", id="all")
            yield Label("Write to")
            path = self.path or self.default_dir / f"fmtui-journal.{self.fmt}"
            yield SafeInput(str(path), id="path")
            yield Static("", id="path-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Export (ctrl+s)", id="export", variant="primary")

    @on(Select.Changed, "#format")
    def format_changed(self, event: Select.Changed) -> None:
        path_input = self.query_one("#path", Input)
        path = Path(path_input.value)
        if path.suffix.lstrip(".") in FORMATS:
            path_input.value = str(path.with_suffix(f".{event.value}"))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#export")
    def action_export(self) -> None:
        text = self.query_one("#path", Input).value.strip()
        error = self.query_one("#path-error", Static)
        if not text:
            error.update("path: enter a file to write")
            return
        path = Path(text).expanduser()
        if path.is_dir():
            error.update(literal(f"path: {path} is a folder; name a file inside it"))
            return
        if not path.parent.is_dir():
            error.update(literal(f"path: the folder {path.parent} does not exist"))
            return
        pressed = self.query_one("#scope", RadioSet).pressed_button
        scope = pressed.id if pressed is not None and pressed.id else "shown"
        fmt = str(self.query_one("#format", Select).value)
        self.dismiss(ExportRequest(fmt, scope, str(path)))


class TagDialog(ModalScreen[list[str] | None]):
    """Edit an entry's tags: words separated by spaces or commas."""

    DEFAULT_CSS = DIALOG_CSS.format(name="TagDialog")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, tags: list[str]) -> None:
        super().__init__()
        self.tags = tags

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("[b]Tags[/b] — words separated by spaces or commas; Enter saves")
            yield SafeInput(" ".join(self.tags), id="tags")

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        self.dismiss(split_tags(event.value))

    def action_cancel(self) -> None:
        self.dismiss(None)


# One line per key or step: the terminal wraps long ones to its width.
HELP = """\
[b]fmtui[/b] — disciplined experiments on Fashion-MNIST

[b]The flow[/b]
  1. [b]n[/b] drafts a hypothesis: what you test, what you expect, against which baseline.
  2. [b]ctrl+d[/b] (in the form) or [b]l[/b] (in the journal) designs the experiment: \
a baseline arm and variants like [i]b32: batch_size=32[/i], or a grid over widths.
  3. [b]ctrl+l[/b] launches it; the entry shows [i]running[/i] and fills in as epochs end.
  4. [b]e[/b] edits the write-up (or [b]f2[/b]): results, evaluation, conclusion.
  5. [b]x[/b] exports entries as Markdown (the report's format), JSON or CSV.

[b]Journal[/b]
  [b]n[/b] new · [b]e[/b] or enter edit · [b]f2[/b] write-up · [b]l[/b] design & launch · \
[b]d[/b] duplicate as a new draft · [b]r[/b] rerun exactly (asks first, with the time estimate) · \
[b]t[/b] tags · [b]x[/b] export · [b]delete[/b] remove · [b]/[/b] search \
(status:draft tag:batch verdict:…) · [b]s[/b] sort · [b]m[/b] mark, [b]c[/b] compare two \
marked entries · [b]w[/b] watch training · [b]k[/b] cancel the selected entry's training · \
[b]R[/b] report: chosen entries in order, your prose, figures ([b]ctrl+e[/b] exports it)

[b]Training[/b]
  [b]c[/b] cancel the current run · [b]C[/b] cancel the experiment · [b]j[/b] journal · \
[b]ctrl+s[/b] save the write-up

[b]Forms[/b]
  [b]tab[/b] / [b]shift+tab[/b] move between fields · [b]ctrl+s[/b] save · [b]escape[/b] back · \
[b]ctrl+d[/b] continue to the designer · [b]f2[/b] jump to the write-up (hypothesis form) · \
[b]ctrl+l[/b] launch · [b]ctrl+t[/b] estimate time (designer)

[b]Anywhere[/b]
  [b]ctrl+p[/b] command palette · [b]?[/b] or [b]f1[/b] this help · [b]q[/b] quit \
(asks when edits are unsaved)
"""


class HelpScreen(ModalScreen[None]):
    """Every key, and the flow in five steps."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 96; max-width: 98%; height: auto; max-height: 95%;
        border: thick $accent; background: $surface; padding: 0 2;
    }
    """
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("q", "close", "Close"),
        Binding("question_mark", "close", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(HELP, id="help-text")

    def action_close(self) -> None:
        self.dismiss(None)

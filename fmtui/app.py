"""Provides the Textual app and the factory the CLI and the tests share.

The app is thin: screens hold the UI, `fmtui.core` does the work. One experiment
runner (`fmtui.core.runner`) owns the training queue; a thread worker drives it, and
its executor trains in a child process by default. The engine's events are saved to
the journal first and then posted to the UI as messages, never applied to widgets
from the worker thread.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from textual import work
from textual.app import SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Input, TextArea

from fmtui.app_journal import JournalApp
from fmtui.core.design import Estimator
from fmtui.core.journal import Entry, Journal, open_journal
from fmtui.core.live import LiveState
from fmtui.core.runner import Executor, Runner, SubprocessExecutor
from fmtui.core.safe_text import terminal_safe
from fmtui.core.spec import ExperimentSpec
from fmtui.core.status import EntryStatus
from fmtui.core.subprocess_trainer import prepare_subprocesses
from fmtui.core.train_on import CLUSTER, THIS_MACHINE, trainer_for
from fmtui.core.words import count
from fmtui.messages import (
    ExperimentDone,
    JournalChanged,
    RunnerMessages,
    RunsReused,
    TrainingEvent,
)
from fmtui.screens.browser import BrowserScreen
from fmtui.screens.designer import DesignerScreen
from fmtui.screens.dialogs import ConfirmDialog, HelpScreen
from fmtui.screens.hypothesis import HypothesisScreen
from fmtui.screens.training import TrainingScreen
from fmtui.widgets.literal import markup_line

# A trainer is an executor: (experiment, on_event, cancel, cancel_current) -> results.
Trainer = Executor
# Steps between progress events in the app: fewer messages for the UI to handle.
PROGRESS_EVERY = 100
# Torch threads in the training process (None: torch's default, one per core).
CHILD_THREADS: int | None = (
    int(os.environ["FMTUI_TRAIN_THREADS"]) if os.environ.get("FMTUI_TRAIN_THREADS") else None
)


def make_trainer(data_dir: str | Path | None = None, require_full: bool = True) -> Trainer:
    """A trainer: the real engine on the real data (found or downloaded as `fmtui run` does).

    It trains in a child process: in this one it would share the interpreter lock
    with the UI, and every redraw would stall the training loop.
    """
    prepare_subprocesses()  # now, while stderr is still the real one
    return SubprocessExecutor(
        data_dir=data_dir,
        require_full=require_full,
        progress_every=PROGRESS_EVERY,
        threads=CHILD_THREADS,
    )


def core_estimator(experiment: ExperimentSpec, device: str) -> tuple[float, str]:
    """Measure a few steps on the chosen device and extrapolate to the whole design."""
    from fmtui.core import estimate
    from fmtui.core import train as engine

    resolved, _note = engine.resolve_device(device)
    label = engine.environment(resolved, None)["device_name"]
    return estimate.estimate_seconds(experiment, resolved), f"{resolved} ({label})"


class FmtuiApp(JournalApp):
    """The fmtui terminal app."""

    TITLE = "fmtui"
    SUB_TITLE = "Fashion-MNIST experiments"
    BINDINGS = [
        Binding("question_mark,f1", "help", "Help"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        journal: Journal,
        *,
        trainer: Trainer,
        estimator: Estimator = core_estimator,
        devices: Sequence[tuple[str, str]] | None = None,
        export_dir: Path | None = None,
        blink: bool = True,
        live_clock: bool = True,
        cluster: str | None = None,
        data_dir: str | Path | None = None,
        require_full: bool = True,
    ) -> None:
        super().__init__()
        self.cluster_address = cluster  # the Dask scheduler the designer offers, if any
        self._data_dir, self._require_full = data_dir, require_full
        self.live_clock = live_clock  # off in snapshots: no ETAs or elapsed times
        self.journal = journal
        self.trainer = trainer  # the executor the runner trains with
        self.estimator = estimator
        self._devices = list(devices) if devices is not None else None
        self._devices_lock = threading.Lock()
        self.export_dir = export_dir or Path.cwd()
        self.blink = blink
        self.cancel_event = threading.Event()  # set when the app quits
        self.live: dict[int, LiveState] = {}
        # The runner owns the queue; its listener turns what it reports into messages.
        self.runner = Runner(journal, trainer, RunnerMessages(self))
        self.recovery_path: Path | None = None  # where a crash left the open forms' text

    @property
    def devices(self) -> list[tuple[str, str]]:
        """The devices this machine can train on.

        Finding them loads torch (seconds and hundreds of MB), which the journal does
        not need: it is done once, after the first paint (`_find_devices`) or when the
        designer first asks.
        """
        with self._devices_lock:
            if self._devices is None:
                from fmtui.core.train import available_devices

                self._devices = available_devices()
            return self._devices

    @work(thread=True, exclusive=True, group="devices")
    def _find_devices(self) -> None:
        self.devices  # noqa: B018 - computed for its cached value

    # -- life cycle

    def on_mount(self) -> None:
        if self._devices is None:
            self.set_timer(1.0, self._find_devices)
        # The journal and the training screen are installed: each keeps its state
        # while the other is shown, and they replace each other rather than stack.
        self.install_screen(BrowserScreen(), "browser")
        self.push_screen("browser")
        if self.journal.recovery is not None:
            self.notify(
                self.journal.recovery.message(), severity="warning", timeout=30, markup=False
            )
        if self.journal.backup is not None:
            self.notify(
                f"The journal was upgraded; a backup is at {self.journal.backup}.",
                timeout=10,
                markup=False,
            )

    def _handle_exception(self, error: Exception) -> None:
        """An unexpected error ends the app (status 1); first keep the open forms' text.

        Textual calls this for every unhandled exception and has no public hook for
        it; the override only adds the recovery draft and then defers to Textual.
        """
        from fmtui.crash import save_open_forms

        try:
            self.recovery_path = save_open_forms(self, self.journal.path.parent, error)
        except Exception as err:  # noqa: BLE001 - never hide the error being handled
            self.log.error(f"could not write a recovery draft: {err}")
        super()._handle_exception(error)

    def on_unmount(self) -> None:
        """Closing the app cancels training cooperatively; finished epochs are saved."""
        self._cancel_all()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification is plain text, shown literally and terminal-safe.

        Many carry a title, an arm name or an error that echoes input, so none is
        read as markup (`markup` is accepted for Textual's signature and ignored).
        """
        super().notify(
            terminal_safe(message),
            title=terminal_safe(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def apply_blink(self, screen: Screen[Any]) -> None:
        """Tests and screenshots turn the cursor blink off for stable pictures."""
        if not self.blink:
            for widget in screen.query(Input):
                widget.cursor_blink = False
            for area in screen.query(TextArea):
                area.cursor_blink = False

    # -- navigation

    def browser(self) -> BrowserScreen:
        screen = self.get_screen("browser")
        assert isinstance(screen, BrowserScreen)
        return screen

    def _tell_browser(self, message: Message) -> None:
        """Forward a training message; quitting may already have removed the browser."""
        if self.is_screen_installed("browser"):
            self.browser().post_message(message)

    def back_to_browser(self, select: int | None = None) -> None:
        while not isinstance(self.screen, BrowserScreen | TrainingScreen):
            self.pop_screen()
        if isinstance(self.screen, TrainingScreen):
            # Switched, not popped: a screen left under another one counts as
            # visible behind it in Textual, and every repaint of it redraws the
            # whole screen above — several times a second while training.
            self.switch_screen("browser")
        self.browser().reload(select=select)

    def leave(self, unsaved: bool, question: str, yes: str, select: int | None) -> None:
        """Back to the journal; with unsaved edits, only after the user agrees."""
        if not unsaved:
            self.back_to_browser(select)
            return

        def done(discard: bool | None) -> None:
            if discard:
                self.back_to_browser(select)

        self.push_screen(ConfirmDialog(question, yes, "Keep editing"), done)

    def open_hypothesis(self, entry: Entry | None, writeup: bool = False) -> None:
        self.push_screen(HypothesisScreen(entry, writeup=writeup))

    def open_designer(self, entry: Entry, replace: bool = False) -> None:
        if replace and not isinstance(self.screen, BrowserScreen):
            self.pop_screen()
        self.push_screen(DesignerScreen(entry))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("New hypothesis", "Draft a new journal entry", self._cmd_new)
        yield SystemCommand("Export journal", "Markdown, JSON or CSV", self._cmd_export)
        yield SystemCommand("Journal", "Back to the journal browser", self.back_to_browser)
        yield SystemCommand("Help", "Every key and the flow", self.action_help)
        yield SystemCommand("Report", "Write and export a report (R)", self._cmd_report)
        yield SystemCommand("Training", "Watch the experiment in training", self.open_training)
        yield SystemCommand(
            "Write-up", "Evaluation and Conclusion of the selected entry (f2)", self._cmd_writeup
        )
        for entry in self.journal.query():
            yield SystemCommand(
                markup_line(f"Open entry {entry.id}: {entry.title}"),  # the palette reads markup
                f"{entry.created} · {entry.status}",
                lambda entry=entry: self._cmd_open(entry),
                discover=False,
            )

    def _cmd_new(self) -> None:
        self.back_to_browser()
        self.open_hypothesis(None)

    def _cmd_report(self) -> None:
        self.back_to_browser()
        self.browser().action_report()

    def _cmd_export(self) -> None:
        self.back_to_browser()
        self.browser().action_export()

    def _cmd_writeup(self) -> None:
        if isinstance(self.screen, HypothesisScreen):
            self.screen.action_writeup()
            return
        self.back_to_browser()
        self.browser().action_writeup()

    def _cmd_open(self, entry: Entry) -> None:
        self.back_to_browser(entry.id)
        self.open_hypothesis(self.journal.get(entry.id or 0))

    # -- training

    @property
    def queue(self) -> list[int]:
        """The launched entries in order, a copy: the first trains, the others wait."""
        return self.runner.entry_ids()

    def is_training(self, entry_id: int | None = None) -> bool:
        """Whether `entry_id` (or any entry) is training or waiting to train."""
        ids = self.runner.entry_ids()
        return bool(ids) if entry_id is None else entry_id in ids

    def trainer_for(self, where: str) -> Trainer:
        """The executor for an experiment launched to train on `where`."""
        return trainer_for(
            where,
            local=self.trainer,
            cluster=self.cluster_address,
            data_dir=self._data_dir,
            require_full=self._require_full,
            progress_every=PROGRESS_EVERY,
        )

    def launch(
        self,
        entry: Entry,
        experiment: ExperimentSpec,
        where: str = THIS_MACHINE,
        *,
        reuse: bool = False,
    ) -> None:
        """Queue an experiment; it trains after those before it, in a child process or on
        the cluster `where` names.

        With `reuse`, planned runs the journal already holds finished are not trained
        again (the designer's switch); a rerun never reuses, it exists to retrain. A claim
        with seeds until decided trains its seeds in looks.
        """
        if self.quitting:  # a save that finished as the app closes: nothing new trains
            return
        executor = self.trainer_for(where)
        entry_id = entry.id or 0
        self.live[entry_id] = LiveState.for_experiment(entry_id, entry.title, experiment)
        waiting = len(self.runner.snapshot())
        self.runner.submit(
            entry,
            experiment,
            reuse=reuse,
            looks=True,
            executor=None if executor is self.trainer else executor,
        )
        if self.runner.claim_worker():
            self._drive_runner()
        note = f" on the cluster at {self.cluster_address}" if where == CLUSTER else ""
        note += f", after {waiting} queued before it" if waiting else ""
        self.notify(
            f"Launched entry {entry_id}: {count(len(experiment.runs()), 'run')}{note}.",
            timeout=4,
        )
        self.open_training(entry_id)

    def open_training(self, entry_id: int | None = None) -> None:
        """Show an experiment's training (the given one, else the newest)."""
        if entry_id is None:
            if not self.live:
                self.notify("Nothing has been launched yet.", severity="warning")
                return
            entry_id = next(reversed(self.live))
        if entry_id not in self.live:
            self.notify(
                f"Entry {entry_id} has not been launched in this session.", severity="warning"
            )
            return
        if isinstance(self.screen, TrainingScreen):
            self.screen.show_entry(entry_id)
            return
        self.back_to_browser(entry_id)
        # One installed training screen, kept between visits: remounting its charts
        # each time the user comes back is what made switching screens slow.
        if not self.is_screen_installed("training"):
            self.install_screen(TrainingScreen(entry_id), "training")
        else:
            screen = self.get_screen("training")
            assert isinstance(screen, TrainingScreen)
            screen.show_entry(entry_id)
        self.switch_screen("training")

    def cancel_run(self, entry_id: int) -> bool:
        """Cancel the run in progress of a training entry; a queued entry is cancelled whole."""
        return self.runner.cancel_current_run(entry_id) or self.cancel_experiment(entry_id)

    def cancel_experiment(self, entry_id: int) -> bool:
        return self.runner.cancel(entry_id)

    def _cancel_all(self) -> None:
        self.cancel_event.set()
        self.runner.cancel_all()

    @work(thread=True, exit_on_error=False, group="training")
    def _drive_runner(self) -> None:
        """Train the queue, saving and posting as it goes; the worker ends when it is empty."""
        self.runner.run_pending()

    def on_training_event(self, message: TrainingEvent) -> None:
        state = self.live.get(message.entry_id)
        if state is not None:
            state.apply(message.event)
        self._tell_browser(TrainingEvent(message.entry_id, message.event))

    def on_runs_reused(self, message: RunsReused) -> None:
        self.notify(f"Entry {message.entry_id}: {message.note}.", timeout=8)

    def on_experiment_done(self, message: ExperimentDone) -> None:
        state = self.live.get(message.entry_id)
        if state is not None:
            state.finish(message.status, message.error)
        severity: SeverityLevel = (
            "information" if message.status == EntryStatus.COMPLETED else "warning"
        )
        text = f"Entry {message.entry_id} {message.status}."
        text += self.reproduction_note(message.entry_id)
        if message.error:
            text += f" {message.error}"
        self.notify(text, severity=severity, timeout=8, markup=False)
        self._tell_browser(ExperimentDone(message.entry_id, message.status, message.error))

    def on_journal_changed(self, message: JournalChanged) -> None:
        self._tell_browser(JournalChanged(message.entry_id))

    def join_training(self, timeout: float = 5.0) -> bool:
        """Cancel and wait for training jobs to save and end; True when none is left."""
        self._cancel_all()
        return self.runner.wait_idle(timeout)

    # -- quitting

    async def action_quit(self) -> None:
        unsaved = any(
            getattr(screen, "unsaved_changes", lambda: False)() for screen in self.screen_stack
        )
        if not unsaved and not self.is_training():
            self.exit()
            return
        if self.is_training():
            question = "Training is running. Cancel it (finished epochs are kept) and quit?"
        else:
            question = "Some edits are not saved. Quit and lose them?"

        def done(yes: bool | None) -> None:
            if yes:
                self._cancel_all()
                self.exit()

        if not isinstance(self.screen, ConfirmDialog):
            self.push_screen(ConfirmDialog(question, "Quit", "Stay"), done)


def make_app(
    journal_path: str | Path | None = None,
    data_dir: str | Path | None = None,
    *,
    journal: Journal | None = None,
    trainer: Trainer | None = None,
    estimator: Estimator | None = None,
    devices: Sequence[tuple[str, str]] | None = None,
    export_dir: Path | None = None,
    blink: bool = True,
    live_clock: bool = True,
    cluster: str | None = None,
    require_full: bool = True,
) -> FmtuiApp:
    """Build the app; the CLI and the tests both call this. Opens the journal for writing.

    `cluster` is a Dask scheduler's address the designer offers beside this machine.
    """
    return FmtuiApp(
        journal or open_journal(journal_path),
        trainer=trainer or make_trainer(data_dir, require_full),
        estimator=estimator or core_estimator,
        devices=devices,
        export_dir=export_dir,
        blink=blink,
        live_clock=live_clock,
        cluster=cluster,
        data_dir=data_dir,
        require_full=require_full,
    )

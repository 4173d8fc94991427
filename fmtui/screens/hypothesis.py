"""Provides the hypothesis form: the entry's text, tags and its specific claim."""

from __future__ import annotations

import dataclasses
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    Header,
    Input,
    Label,
    Select,
    Static,
    Switch,
    TabbedContent,
    TabPane,
    TextArea,
)

from fmtui.core.entry_view import split_tags
from fmtui.core.journal import Claim, Entry
from fmtui.core.present import claim_field_error
from fmtui.core.spec import SpecError
from fmtui.screens import FmtuiAppGetter
from fmtui.widgets.footer import QuietFooter
from fmtui.widgets.inputs import SafeInput, SafeTextArea
from fmtui.widgets.literal import literal

METRIC_OPTIONS = [
    ("test accuracy", "test_acc"),
    ("validation accuracy", "val_acc"),
    ("training time", "duration_s"),
]
# Multiplicity over the variants; auto is Holm, or Benjamini–Hochberg when exploratory.
ADJUST_OPTIONS = [
    ("auto (Holm / BH)", "auto"),
    ("Holm", "holm"),
    ("Benjamini–Hochberg", "bh"),
    ("Dunnett", "dunnett"),
    ("none", "none"),
]
DIRECTION_OPTIONS = [
    ("higher than baseline", "higher"),
    ("lower than baseline", "lower"),
    ("no different", "same"),
    ("rising along the arms", "increasing"),
    ("falling along the arms", "decreasing"),
]
HYPOTHESIS_AREAS = (
    ("objective", "Objective — what are you testing?"),
    ("hypothesis", "Hypothesis — what do you expect, specifically?"),
    ("methodology", "Methodology — how will you test it? (the designer can fill this in)"),
)
WRITEUP_AREAS = (
    ("results", "Results"),
    ("evaluation", "Evaluation — does the result support the hypothesis?"),
    ("conclusion", "Conclusion"),
)


class HypothesisScreen(Screen[None]):
    """Draft or edit an entry. Drafts are saved to the journal as `draft`."""

    CSS_PATH = "hypothesis.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("ctrl+d", "design", "Save & design", priority=True),
        Binding("f2", "writeup", "Write-up"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, entry: Entry | None, writeup: bool = False) -> None:
        super().__init__()
        self.entry = entry or Entry()
        self.start_in_writeup = writeup  # opened to write the Evaluation and Conclusion
        self._initial: dict[str, Any] = {}

    app = FmtuiAppGetter()

    def compose(self) -> ComposeResult:
        entry = self.entry
        claim = entry.claim or Claim()
        yield Header()
        heading = f"Entry {entry.id} ({entry.status})" if entry.id else "New hypothesis"
        yield Static(heading, id="form-title", markup=False)
        with TabbedContent(id="tabs"):
            with TabPane("Hypothesis", id="tab-hypothesis"), VerticalScroll():
                yield Label("Title")
                yield SafeInput(
                    entry.title, id="title", placeholder="Effect of batch size (32 vs 64)"
                )
                yield Static("", id="title-error", classes="error")
                for name, label in HYPOTHESIS_AREAS:
                    yield Label(label)
                    yield SafeTextArea(getattr(entry, name), id=name, soft_wrap=True)
                yield Label("The claim: which metric, which way, against which arm")
                with Horizontal(id="claim"):
                    yield Select(METRIC_OPTIONS, value=claim.metric, allow_blank=False, id="metric")
                    yield Select(
                        DIRECTION_OPTIONS, value=claim.direction, allow_blank=False, id="direction"
                    )
                    yield SafeInput(
                        claim.baseline or "baseline", id="baseline", placeholder="baseline arm name"
                    )
                yield Static("", id="baseline-error", classes="error")
                with Horizontal(id="claim-numbers"):
                    yield Label("significance level α", classes="inline")
                    yield SafeInput(f"{claim.alpha:g}", id="alpha")
                    yield Label("margin (for 'no different')", classes="inline")
                    yield SafeInput(f"{claim.margin:g}", id="margin")
                yield Static("", id="alpha-error", classes="error")
                yield Static("", id="margin-error", classes="error")
                with Horizontal(id="claim-family"):
                    yield Label("adjustment", classes="inline")
                    yield Select(ADJUST_OPTIONS, value=claim.adjust, allow_blank=False, id="adjust")
                    yield Label("exploratory", classes="inline")
                    yield Switch(claim.exploratory, id="exploratory", animate=False)
                yield Label("Tags (words separated by spaces or commas)")
                yield SafeInput(" ".join(entry.tags), id="tags")
            with TabPane("Write-up", id="tab-writeup"), VerticalScroll():
                for name, label in WRITEUP_AREAS:
                    yield Label(label)
                    yield SafeTextArea(getattr(entry, name), id=name, soft_wrap=True)
        yield Static("", id="form-error", classes="error")
        yield QuietFooter()

    def on_mount(self) -> None:
        self.app.apply_blink(self)
        for error in self.query(".error"):
            error.display = False
        self._initial = self.values()
        if self.start_in_writeup:
            self.action_writeup()
        else:
            self.query_one("#title", Input).focus()

    def action_writeup(self) -> None:
        """Straight to the Evaluation: the field a finished experiment needs next."""
        self.query_one("#tabs", TabbedContent).active = "tab-writeup"
        self.query_one("#evaluation", TextArea).focus()

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {"title": self.query_one("#title", Input).value}
        for name, _label in HYPOTHESIS_AREAS + WRITEUP_AREAS:
            out[name] = self.query_one(f"#{name}", TextArea).text
        out["tags"] = split_tags(self.query_one("#tags", Input).value)
        out["metric"] = self.query_one("#metric", Select).value
        out["direction"] = self.query_one("#direction", Select).value
        out["baseline"] = self.query_one("#baseline", Input).value.strip()
        out["alpha"] = self.query_one("#alpha", Input).value
        out["margin"] = self.query_one("#margin", Input).value
        out["adjust"] = self.query_one("#adjust", Select).value
        out["exploratory"] = self.query_one("#exploratory", Switch).value
        return out

    def unsaved_changes(self) -> bool:
        return bool(self._initial) and self.values() != self._initial

    @on(Input.Changed, "#title")
    def title_changed(self, event: Input.Changed) -> None:
        self._show_error("title", "" if event.value.strip() else "title: required")
        self._clear_form_error()

    @on(Input.Changed, "#baseline, #alpha, #margin")
    def claim_changed(self, event: Input.Changed) -> None:
        """Checked as typed, like the designer; a fixed field loses its message at once."""
        name = event.input.id or ""
        self._show_error(name, claim_field_error(name, event.value) or "")
        self._clear_form_error()

    def _clear_form_error(self) -> None:
        """The summary under the form goes once no field is in red."""
        if not any(error.display for error in self.query(".error").exclude("#form-error")):
            error = self.query_one("#form-error", Static)
            error.update("")
            error.display = False

    def _show_error(self, field: str, message: str) -> None:
        widget = self.query_one(f"#{field}")
        widget.set_class(bool(message), "-invalid")
        error = self.query_one(f"#{field}-error", Static)
        error.update(literal(message))  # messages echo what was typed
        error.display = bool(message)

    def apply(self) -> bool:
        """Copy the form into the entry, validating; False (with messages) when invalid."""
        values = self.values()
        error = self.query_one("#form-error", Static)
        if not values["title"].strip():
            self._show_error("title", "title: required — give the experiment a name")
            self.query_one("#tabs", TabbedContent).active = "tab-hypothesis"
            self.query_one("#title", Input).focus()
            error.update("Fix the fields in red first.")
            error.display = True
            return False
        try:
            # The form edits these fields; the looks (set in the designer) are kept as set.
            claim = dataclasses.replace(
                self.entry.claim or Claim(),
                metric=values["metric"],
                direction=values["direction"],
                baseline=values["baseline"] or "baseline",
                alpha=values["alpha"],
                margin=values["margin"],
                adjust=values["adjust"],
                exploratory=values["exploratory"],
            )
            candidate = Entry.from_dict(
                self.entry.to_dict()
                | {k: values[k] for k in ("title", "tags", *dict(HYPOTHESIS_AREAS + WRITEUP_AREAS))}
                | {"claim": claim.__dict__}
            )
        except SpecError as err:
            target = err.field if err.field in ("title", "baseline", "alpha", "margin") else None
            if target:
                self._show_error(target, str(err))
            error.update(literal(err))
            error.display = True
            return False
        for name in ("title", "tags", *dict(HYPOTHESIS_AREAS + WRITEUP_AREAS)):
            setattr(self.entry, name, getattr(candidate, name))
        self.entry.claim = candidate.claim
        for name in ("baseline", "alpha", "margin"):
            self._show_error(name, "")
        error.update("")
        error.display = False
        return True

    def action_save(self) -> bool:
        if not self.apply():
            return False
        if not self.app.save_entry(self.entry):
            return False
        self._initial = self.values()
        self.query_one("#form-title", Static).update(
            f"Entry {self.entry.id} ({self.entry.status}) — saved"
        )
        self.notify(f"Saved entry {self.entry.id}.", timeout=3)
        return True

    def action_design(self) -> None:
        if self.action_save():
            self.app.open_designer(self.entry, replace=True)

    def action_back(self) -> None:
        self.app.leave(
            self.unsaved_changes(),
            "Discard the unsaved changes to this entry?",
            "Discard",
            self.entry.id,
        )

"""The designer's batching and until-decided fields, the hypothesis form's adjustment fields."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest
from textual.message_pump import MessagePump
from textual.widgets import Button, Input, Select, Static, Switch, TextArea

from fmtui.core import events as train
from fmtui.core.journal import Claim, Entry, Journal
from fmtui.screens.designer import DesignerScreen
from fmtui.screens.hypothesis import HypothesisScreen
from tests.tui_helpers import FakeTrainer, build_app, wait_until

SIZE = (120, 40)


class UndecidedTrainer(FakeTrainer):
    """Test accuracies that differ by seed but not by arm: no look can decide early."""

    ACCURACIES = {
        "baseline": (0.85, 0.86, 0.84, 0.855, 0.845),
        "b32": (0.86, 0.84, 0.85, 0.845, 0.855),
    }

    def __call__(self, experiment, on_event, cancel, skip=None):  # type: ignore[no-untyped-def]
        def noisy(result: train.RunResult) -> train.RunResult:
            return dataclasses.replace(result, test_acc=self.ACCURACIES[result.arm][result.repeat])

        def relay(event: train.Event) -> None:
            if isinstance(event, train.RunFinished):
                event = train.RunFinished(noisy(event.result), event.images)
            on_event(event)

        return [noisy(r) for r in super().__call__(experiment, relay, cancel, skip)]


def _journal(path: Path, claim: Claim | None) -> Path:
    with Journal(path) as journal:
        journal.add(Entry(title="Batch 32 vs 64", claim=claim))
    return path


def _text(widget: Static) -> str:
    return str(widget.render())


async def _open_designer(pilot, variant: str = "b32: batch_size=32") -> DesignerScreen:
    await pilot.press("l")
    screen = pilot.app.screen
    assert isinstance(screen, DesignerScreen)
    screen.query_one("#variants", TextArea).text = variant
    screen.query_one("#epochs", Input).value = "1"
    await pilot.pause()
    screen.flush()
    await pilot.pause()
    return screen


async def test_batch_models_entered_reaches_the_launched_experiment(tmp_path: Path) -> None:
    path = _journal(tmp_path / "j.json", Claim(baseline="baseline"))
    trainer = FakeTrainer(epochs=1)
    app = build_app(path, trainer)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_designer(pilot)
        assert screen.query_one("#batch_models", Input).value == "auto"  # a new design
        screen.query_one("#batch_models", Input).value = "2"
        await pilot.pause()
        plan = screen.query_one("#plan", Static)
        await wait_until(
            pilot, lambda: "6 runs → 4 groups on cpu (2 stacked, 2 runs" in _text(plan)
        )
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: bool(trainer.calls))
        await app.workers.wait_for_complete()
    assert trainer.calls[0].batch_models == "2"
    with Journal(path, read_only=True) as reader:
        assert reader.get(1).experiment["batch_models"] == "2"


async def test_a_field_changed_just_before_launch_reaches_the_launched_experiment(
    tmp_path: Path,
) -> None:
    path = _journal(tmp_path / "j.json", Claim(baseline="baseline"))
    trainer = FakeTrainer(epochs=1)
    app = build_app(path, trainer)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_designer(pilot)
        screen.query_one("#seeds", Input).value = "2"
        # Launched before the field's Changed message is handled, as a fast ctrl+l is.
        screen.action_launch()
        await wait_until(pilot, lambda: bool(trainer.calls))
        await app.workers.wait_for_complete()
    assert trainer.calls[0].seeds == 2


async def test_a_bad_batch_models_value_names_the_field_and_range(tmp_path: Path) -> None:
    path = _journal(tmp_path / "j.json", Claim(baseline="baseline"))
    trainer = FakeTrainer(epochs=1)
    app = build_app(path, trainer)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_designer(pilot)
        screen.query_one("#batch_models", Input).value = "600"
        await pilot.pause()
        error = screen.query_one("#batch_models-error", Static)
        assert error.display
        assert _text(error) == (
            "batch_models: expected auto, off or a group size from 1 to 512, got '600'"
        )
        assert screen.query_one("#launch", Button).disabled
        await pilot.press("ctrl+l")
        await pilot.pause()
    assert trainer.calls == []


async def test_until_decided_saves_the_claim_and_trains_in_looks(tmp_path: Path) -> None:
    path = _journal(tmp_path / "j.json", Claim(baseline="baseline"))
    trainer = UndecidedTrainer(epochs=1)
    app = build_app(path, trainer)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_designer(pilot)
        assert not screen.query_one("#row-max_seeds").display  # shown with the switch
        screen.query_one("#until_decided", Switch).value = True
        await pilot.pause()
        assert screen.query_one("#row-max_seeds").display
        screen.query_one("#max_seeds", Input).value = "5"
        screen.query_one("#smallest_effect", Input).value = "0.001"
        await pilot.pause()
        summary = _text(screen.query_one("#summary", Static))
        assert "2 arms × up to 5 seeds = at most 10 runs, in looks of 3, 5 seeds" in summary
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: bool(trainer.calls))
        await app.workers.wait_for_complete()
        await pilot.pause()
    with Journal(path, read_only=True) as reader:
        entry = reader.get(1)
    assert entry.claim.max_seeds == 5 and entry.claim.smallest_effect == 0.001
    # Undecided at look 1 (3 seeds per arm): look 2 trained only the 2 new seeds per arm.
    assert [len(call.runs()) for call in trainer.calls] == [6, 4]
    assert entry.experiment["seeds"] == 5 and len(entry.runs) == 10
    assert "look 2 of 2" in entry.evaluation


@pytest.mark.parametrize(
    ("claim", "needle"),
    [
        (Claim(direction="same"), "until_decided: needs a higher or lower claim"),
        (None, "this entry has no claim"),
    ],
)
async def test_until_decided_without_a_directed_claim_is_refused(
    tmp_path: Path, claim: Claim | None, needle: str
) -> None:
    path = _journal(tmp_path / "j.json", claim)
    trainer = FakeTrainer(epochs=1)
    app = build_app(path, trainer)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_designer(pilot)
        screen.query_one("#until_decided", Switch).value = True
        screen.query_one("#max_seeds", Input).value = "101"
        await pilot.pause()
        assert needle in _text(screen.query_one("#until_decided-error", Static))
        max_error = _text(screen.query_one("#max_seeds-error", Static))
        assert max_error == "max_seeds: expected a whole number from 3 to 100, got 101"
        assert screen.query_one("#launch", Button).disabled
        await pilot.press("ctrl+l")
        await pilot.pause()
    assert trainer.calls == []


async def test_the_estimate_and_plan_workers_never_reach_the_dom_from_their_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`self.app` off the UI thread walks the DOM's parents: it must be read before."""
    path = _journal(tmp_path / "j.json", Claim(baseline="baseline"))
    off_thread: list[str] = []
    base = MessagePump.app

    def spy(self: MessagePump):  # type: ignore[no-untyped-def]
        if threading.current_thread() is not threading.main_thread():
            off_thread.append(type(self).__name__)
        return base.fget(self)  # type: ignore[attr-defined]

    monkeypatch.setattr(DesignerScreen, "app", property(spy))
    app = build_app(path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_designer(pilot)
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: "Estimated" in _text(screen.query_one("#estimate")))
        await app.workers.wait_for_complete()
    assert off_thread == []


async def test_the_hypothesis_form_saves_the_adjustment_and_exploratory(tmp_path: Path) -> None:
    path = _journal(tmp_path / "j.json", Claim(baseline="b64"))
    app = build_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        screen = app.screen
        assert isinstance(screen, HypothesisScreen)
        assert screen.query_one("#adjust", Select).value == "auto"
        screen.query_one("#adjust", Select).value = "dunnett"
        screen.query_one("#exploratory", Switch).value = True
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
    with Journal(path, read_only=True) as reader:
        claim = reader.get(1).claim
    assert claim.adjust == "dunnett" and claim.exploratory is True
    assert claim.baseline == "b64"


async def test_a_time_measured_after_leaving_the_designer_is_dropped(tmp_path: Path) -> None:
    """The estimate's report reaches a designer already closed: no error, no launch."""
    path = _journal(tmp_path / "j.json", None)
    trainer = FakeTrainer(epochs=1)
    app = build_app(path, trainer)
    measuring, release = threading.Event(), threading.Event()
    reports: list[BaseException | None] = []

    def slow_estimator(experiment, device):  # type: ignore[no-untyped-def]
        measuring.set()
        release.wait(10)
        return 5.0, "cpu (test CPU)"

    post = app.call_from_thread

    def recorded(callback, *args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            result = post(callback, *args, **kwargs)
        except BaseException as err:
            reports.append(err)
            raise
        reports.append(None)
        return result

    app.estimator = slow_estimator
    app.call_from_thread = recorded  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_designer(pilot)
        await pilot.press("ctrl+l")  # measure first, then launch
        await wait_until(pilot, measuring.is_set)
        app.back_to_browser()  # the user leaves before the time is known
        await wait_until(pilot, lambda: not screen.is_attached)
        reports.clear()
        release.set()
        await wait_until(pilot, lambda: bool(reports))
        await pilot.pause()
        assert reports == [None]  # delivered, and dropped without an error
        assert app.queue == [] and app.live == {}
    assert trainer.calls == []

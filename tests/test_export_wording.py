"""The Markdown says what the runs used, in plain grammar, and one line per verdict."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import RadioButton

from fmtui.core import export
from fmtui.core.journal import Claim, Entry
from fmtui.core.record import describe_methodology
from fmtui.core.spec import Arm, ExperimentSpec, RunSpec
from fmtui.core.stats import compare, draft_evaluation
from fmtui.screens.dialogs import ExportDialog
from tests.tui_helpers import build_app


def _run(arm: str, spec: RunSpec, acc: float) -> dict:
    return {"arm": arm, "spec": spec.to_dict(), "status": "completed", "test_acc": acc}


def test_adam_arm_shows_no_momentum() -> None:
    adam = RunSpec(optimizer="adam", momentum=0.9)
    sgd = RunSpec(optimizer="sgd", momentum=0.5)
    entry = Entry(title="opt", runs=[_run("adam", adam, 0.88), _run("sgd", sgd, 0.86)])
    table = export.arms_table(entry)
    adam_row = next(line for line in table.splitlines() if line.startswith("| adam"))
    sgd_row = next(line for line in table.splitlines() if line.startswith("| sgd"))
    assert "momentum" in table and "0.9" not in adam_row and "—" in adam_row
    assert "0.5" in sgd_row


def test_momentum_column_absent_when_only_unused_values_differ() -> None:
    a = RunSpec(optimizer="adam", momentum=0.9)
    b = RunSpec(optimizer="adamw", momentum=0.5)
    table = export.arms_table(Entry(title="t", runs=[_run("a", a, 0.8), _run("b", b, 0.8)]))
    assert "momentum" not in table


def test_methodology_grammar_and_momentum() -> None:
    one = ExperimentSpec(arms=(Arm("a", RunSpec(epochs=1)),), seeds=1)
    assert "up to 1 epoch," in describe_methodology(one)
    assert "momentum" not in describe_methodology(one)
    sgd = ExperimentSpec(arms=(Arm("a", RunSpec(optimizer="sgd", epochs=5)),), seeds=2)
    text = describe_methodology(sgd)
    assert "up to 5 epochs," in text and "momentum 0.9" in text


BASE = [0.8945, 0.8921, 0.8950]


def test_no_hypothesis_text_no_talk_of_supporting_it() -> None:
    comps = [compare(BASE, [0.8960, 0.8935, 0.8975], names=("b32", "b64"))]
    text = draft_evaluation(comps, has_hypothesis=False)
    assert "hypothesis" not in text.split(".")[1]
    assert "neither support nor contradict" not in text
    assert text.startswith("No hypothesis text was written. The claim (variants higher than b64")
    assert draft_evaluation(comps).startswith("The results neither support nor contradict")


def test_several_variants_get_a_line_each_verdict_first() -> None:
    comps = [
        compare(BASE, [0.9010, 0.9032, 0.9025], names=("b32", "b64")),
        compare(BASE, [0.8960, 0.8935, 0.8975], names=("b128", "b64")),
    ]
    lines = draft_evaluation(comps).splitlines()
    assert lines[0] == "The results neither support nor contradict the hypothesis."
    assert lines[1].startswith("- SUPPORTED: b32 vs b64, test_acc ")
    assert lines[2].startswith("- INCONCLUSIVE: b128 vs b64, test_acc ")
    assert "Welch t p =" in lines[1] and lines[2].endswith("(80% power).")


def test_recorded_entry_without_hypothesis_uses_the_claim_lead() -> None:
    from fmtui.core.record import ExperimentRecorder

    class Stub:
        def update(self, entry: Entry) -> None:
            pass

        def get(self, entry_id: int) -> Entry:
            raise AssertionError

    spec = RunSpec()
    experiment = ExperimentSpec(arms=(Arm("b64", spec), Arm("b32", spec)), seeds=3)
    entry = Entry(title="t", claim=Claim(baseline="b64"), id=1)
    entry.runs = [_run("b64", spec, a) for a in BASE] + [
        _run("b32", spec, a) for a in (0.8960, 0.8935, 0.8975)
    ]
    recorder = ExperimentRecorder(Stub(), entry, experiment)  # type: ignore[arg-type]
    recorder.finish()
    assert entry.evaluation.startswith("No hypothesis text was written.")


async def test_export_dialog_counts_in_the_singular(tmp_path: Path) -> None:
    app = build_app(tmp_path / "j.json")
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(ExportDialog(tmp_path, False, 1, 1))
        await pilot.pause()
        labels = [str(b.label) for b in app.screen.query(RadioButton)]
    assert "The 1 entry shown" in labels and "All 1 entry" in labels

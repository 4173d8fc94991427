"""Reruns reproduce exactly on the CPU; the exported command rebuilds the experiment."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from fmtui.cli import build_parser, main
from fmtui.cli_run import build_experiment
from fmtui.core.export import to_json
from fmtui.core.journal import Claim, Entry, Journal
from fmtui.core.plateau import plateau
from fmtui.core.reproduce import reproduction_report
from fmtui.core.run_command import run_command
from fmtui.core.spec import Arm, ExperimentSpec, RunSpec
from fmtui.screens.browser import BrowserScreen
from fmtui.screens.dialogs import ConfirmDialog
from tests.run_fixtures import stored_run
from tests.tui_helpers import FakeTrainer, build_app, training_ended, wait_until


def test_cli_rerun_reproduces_exactly(fixture_dir: Path, tmp_path: Path, capsys) -> None:
    journal = tmp_path / "j.json"
    args = ["--journal", str(journal)]
    assert (
        main(
            [
                "run",
                *args,
                "--data-dir",
                str(fixture_dir),
                "--allow-subset",
                "--layers",
                "16",
                "--epochs",
                "2",
                "--seeds",
                "2",
                "--dropout",
                "0.2",
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["rerun", "1", *args, "--data-dir", str(fixture_dir), "--allow-subset"]) == 0
    out = capsys.readouterr().out
    assert "entry 2 reproduces entry 1 exactly" in out
    with Journal(journal, read_only=True) as reader:
        rerun = reader.get(2)
    assert rerun.parent_id == 1 and rerun.status == "completed" and len(rerun.runs) == 2


def test_reproduction_report_names_differences() -> None:
    run = {
        "arm": "a",
        "spec": RunSpec(seed=1).to_dict(),
        "status": "completed",
        "test_acc": 0.9,
        "epochs": [{"train_loss": 0.5}],
        "environment": {"device": "cpu"},
    }
    original = Entry(runs=[run])
    changed = Entry(runs=[{**run, "test_acc": 0.91, "environment": {"device": "cuda"}}])
    same, differences = reproduction_report(original, changed)
    assert not same
    assert any("test_acc 0.9 → 0.91" in d for d in differences)
    assert any("device differs" in d for d in differences)
    assert reproduction_report(original, Entry(runs=[dict(run)])) == (True, [])


def test_run_command_rebuilds_the_experiment() -> None:
    base = RunSpec(layers=(384, 512), epochs=20, patience=3, lr=1e-3, seed=5)
    experiment = ExperimentSpec(
        arms=(Arm("b64", base), Arm("b32", base.with_changes(batch_size=32, lr=1e-4))), seeds=3
    )
    entry = Entry(
        title="t", experiment=experiment.to_dict(), claim=Claim(direction="lower", baseline="b64")
    )
    command = run_command(entry)
    assert command.startswith("fmtui run ")
    args = build_parser().parse_args(shlex.split(command)[1:])
    assert build_experiment(args) == experiment
    assert args.direction == "lower" and args.baseline == "b64"
    exported = json.loads(to_json([entry]))["entries"][0]
    assert exported["rerun_command"] == command


def _runs(arm: str, accs: list[float]) -> list[dict]:
    return [stored_run(arm, a, repeat=i) for i, a in enumerate(accs)]


def test_grid_plateau() -> None:
    runs = (
        _runs("384x512", [0.8945, 0.8950, 0.8940])
        + _runs("512x512", [0.8941, 0.8946, 0.8952])
        + _runs("16x16", [0.80, 0.81, 0.805])
    )
    found = plateau(runs, ["384x512", "512x512", "16x16"])
    assert found.tested and set(found.plateau) == {"384x512", "512x512"}
    one_seed = plateau(_runs("a", [0.9]) + _runs("b", [0.8]), ["a", "b"])
    assert not one_seed.tested and "one seed per arm" in one_seed.reason


async def test_rerun_from_the_browser(tmp_path: Path) -> None:
    journal_path = tmp_path / "journal.json"
    app = build_app(journal_path, FakeTrainer())
    async with app.run_test(size=(120, 40)) as pilot:
        experiment = ExperimentSpec(arms=(Arm("a", RunSpec(epochs=2, patience=0)),), seeds=2)
        entry = Entry(title="original")
        app.journal.add(entry)
        app.launch(entry, experiment)
        await training_ended(pilot)
        await pilot.press("j")
        assert isinstance(app.screen, BrowserScreen)
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        # The save, then the rerun's training, then its check: each in turn.
        await wait_until(pilot, lambda: len(app.live) == 2, timeout=60)
        await training_ended(pilot)
        notes = [str(n.message) for n in app._notifications]
    assert any("Rerun check: reproduces entry 1 exactly." in n for n in notes)
    with Journal(journal_path, read_only=True) as reader:
        assert reader.get(2).parent_id == 1
        assert reader.get(2).reproduction["exact"] is True  # kept, not only a toast

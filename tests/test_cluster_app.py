"""The app trains on a Dask cluster: the designer's "Train on" row, a real small cluster."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Select, Static, TextArea

from fmtui import cli
from fmtui.app import FmtuiApp
from fmtui.cluster_cli import cluster_address
from fmtui.core import events
from fmtui.core.journal import Entry, Journal
from fmtui.core.live import LiveState
from fmtui.core.present import ellipsize
from fmtui.core.spec import Arm, ExperimentSpec, RunSpec
from fmtui.screens.designer import DesignerScreen
from fmtui.screens.training import TrainingScreen, where
from fmtui.widgets import train_on
from tests import tui_helpers
from tests.idx_fixtures import write_dataset
from tests.tui_helpers import FakeTrainer, build_app, wait_until

SIZE = (120, 40)
UNREACHABLE = "tcp://127.0.0.1:9"  # the discard port: nothing listens there
# Connecting gives up after CONNECT_TIMEOUT_S (10 s); this is only the test's patience.
PATIENCE_S = 240.0


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as local:
        yield local


@pytest.fixture(scope="module")
def cluster_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("cluster-app") / "fmnist")


def _app(journal_path: Path, trainer: FakeTrainer, **kwargs: Any) -> FmtuiApp:
    return build_app(journal_path, trainer, **kwargs)


def _draft(journal_path: Path, title: str = "Width on the cluster") -> Entry:
    with Journal(journal_path) as journal:
        entry = Entry(title=title)
        journal.add(entry)
    return entry


async def _design(pilot: Any, entry: Entry) -> DesignerScreen:
    """Open the designer on `entry`: two arms (32 and 64 units), one seed, two epochs."""
    app = pilot.app
    app.open_designer(app.journal.get(entry.id))
    await wait_until(
        pilot,
        lambda: isinstance(app.screen, DesignerScreen) and bool(app.screen.query("#variants")),
        timeout=30,
    )
    screen = app.screen
    assert isinstance(screen, DesignerScreen)
    for name, value in (("layers", "32"), ("epochs", "2"), ("patience", "0"), ("seeds", "1")):
        screen.query_one(f"#{name}", Input).value = value
    screen.query_one("#variants", TextArea).text = "w64: layers=64"
    # The form validates as its change messages arrive (the variants after a pause):
    # launching before then would train the design as it was.
    await wait_until(pilot, lambda: _designed(screen), timeout=30)
    return screen


def _designed(screen: DesignerScreen) -> bool:
    """Whether the designer's experiment is the one `_design` entered."""
    experiment = screen.experiment
    if experiment is None or experiment.seeds != 1:
        return False
    arms = [(a.name, a.spec.layers, a.spec.epochs, a.spec.patience) for a in experiment.arms]
    return arms == [("baseline", (32,), 2, 0), ("w64", (64,), 2, 0)]


def _cells(screen: TrainingScreen, column: str) -> list[str]:
    table = screen.query_one("#runs", DataTable)
    return [str(table.get_cell(row.key, column)) for row in table.ordered_rows]


def _record_notes(app: FmtuiApp) -> list[str]:
    """Every notification's text as it is posted: shown ones expire at the machine's pace."""
    notes: list[str] = []
    notify = app.notify

    def record(message: str, **kwargs: Any) -> None:
        notes.append(message)
        notify(message, **kwargs)

    app.notify = record  # type: ignore[method-assign]
    return notes


async def test_the_app_trains_an_experiment_on_a_real_cluster(
    cluster: Any, cluster_data: Path, journal_path: Path
) -> None:
    local = FakeTrainer()
    address = cluster.scheduler_address
    app = _app(journal_path, local, cluster=address, data_dir=cluster_data, require_full=False)
    notes = _record_notes(app)
    entry = _draft(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        designer = await _design(pilot, entry)
        place = designer.query_one("#train_on", Select)
        assert place.value == "cluster"  # the configured cluster is the default
        prompts = [str(prompt) for prompt, _value in place._options]
        assert prompts == ["this machine", f"cluster {address}"]
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: entry.id in app.live, timeout=30)
        assert any(f"on the cluster at {address}" in note for note in notes)
        state = app.live[entry.id]
        await wait_until(pilot, lambda: state.status == "completed", timeout=PATIENCE_S)
        await wait_until(pilot, lambda: not app.is_training(), timeout=30)
        screen = app.screen
        assert isinstance(screen, TrainingScreen)
        screen.refresh_view()
        await pilot.pause()
        assert _cells(screen, "status") == ["completed", "completed"]
        assert _cells(screen, "where") == [ellipsize(f"cpu · {socket.gethostname()}", 20)] * 2
    assert local.calls == []  # nothing trained on this machine
    with Journal(journal_path, read_only=True) as journal:
        saved = journal.get(entry.id or 0)
    assert saved.status == "completed"
    assert sorted(r["arm"] for r in saved.runs) == ["baseline", "w64"]
    assert all(len(r["epochs"]) == 2 and r["status"] == "completed" for r in saved.runs)
    assert all(r["environment"]["worker"].startswith("tcp://") for r in saved.runs)


async def test_an_unreachable_scheduler_fails_the_experiment_and_the_app_goes_on(
    journal_path: Path,
) -> None:
    pytest.importorskip("distributed")
    local = FakeTrainer()
    app = _app(journal_path, local, cluster=UNREACHABLE)
    notes = _record_notes(app)
    entry = _draft(journal_path)
    second = _draft(journal_path, "Then on this machine")
    async with app.run_test(size=SIZE) as pilot:
        await _design(pilot, entry)
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: entry.id in app.live, timeout=30)
        state = app.live[entry.id]
        await wait_until(pilot, lambda: state.status == "failed", timeout=PATIENCE_S)
        message = f"cannot reach the Dask scheduler at {UNREACHABLE}"
        assert any(f"Entry {entry.id} failed." in n and message in n for n in notes)
        screen = app.screen
        assert isinstance(screen, TrainingScreen)
        screen.refresh_view()
        assert message in str(screen.query_one("#headline", Static).render())
        assert [r.status for r in state.runs] == ["not started", "not started"]
        assert not app.is_training()
        # the app is still usable: the next experiment trains here
        experiment = ExperimentSpec(arms=(Arm("a", RunSpec(epochs=1, patience=0)),), seeds=1)
        app.launch(app.journal.get(second.id), experiment)
        await wait_until(pilot, lambda: app.live[second.id].status == "completed", timeout=60)
    assert len(local.calls) == 1
    with Journal(journal_path, read_only=True) as journal:
        assert journal.get(entry.id or 0).status == "failed"
        assert journal.get(second.id or 0).status == "completed"


async def test_without_a_cluster_the_designer_has_no_train_on_row(journal_path: Path) -> None:
    local = FakeTrainer()
    app = _app(journal_path, local)
    entry = _draft(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        designer = await _design(pilot, entry)
        assert not designer.query("#train_on")
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: entry.id in app.live, timeout=30)
        await wait_until(pilot, lambda: not app.is_training(), timeout=30)
    assert len(local.calls) == 1


async def test_without_dask_the_train_on_row_says_how_to_install_it(
    journal_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(train_on, "cluster_installed", lambda: False)
    local = FakeTrainer()
    app = _app(journal_path, local, cluster="tcp://lab:8786")
    entry = _draft(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        designer = await _design(pilot, entry)
        place = designer.query_one("#train_on", Select)
        assert place.value == "this machine"
        assert [value for _prompt, value in place._options] == ["this machine"]
        hint = str(designer.query_one("#train_on-hint", Static).render())
        assert "pip install 'fmtui[cluster]'" in hint and "tcp://lab:8786" in hint
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: entry.id in app.live, timeout=30)
        await wait_until(pilot, lambda: not app.is_training(), timeout=30)
    assert len(local.calls) == 1


@pytest.mark.parametrize("installed", [True, False])
async def test_a_hostile_cluster_address_is_shown_literally(
    journal_path: Path, monkeypatch: pytest.MonkeyPatch, installed: bool
) -> None:
    monkeypatch.setattr(train_on, "cluster_installed", lambda: installed)
    address = "tcp://[bold]x[/]\x1b[2J:1"
    app = _app(journal_path, FakeTrainer(), cluster=address)
    entry = _draft(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        designer = await _design(pilot, entry)
        prompts = [str(p) for p, _v in designer.query_one("#train_on", Select)._options]
        hint = str(designer.query_one("#train_on-hint", Static).render())
    text = prompts[1] if installed else hint  # where the address is shown
    assert "tcp://[bold]x[/]\\x1b[2J:1" in text and "\x1b" not in text


async def test_the_runs_table_shows_each_runs_device_and_host_literally(
    journal_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tui_helpers, "ENV", {**tui_helpers.ENV, "host": "[b]\x1b[2J"})
    app = _app(journal_path, FakeTrainer())
    entry = _draft(journal_path)
    experiment = ExperimentSpec(arms=(Arm("a", RunSpec(epochs=1, patience=0)),), seeds=1)
    async with app.run_test(size=SIZE) as pilot:
        app.launch(app.journal.get(entry.id), experiment)
        # The app has handled every event once it has the experiment's end.
        await wait_until(pilot, lambda: app.live[entry.id].status == "completed", timeout=60)
        screen = app.screen
        assert isinstance(screen, TrainingScreen)
        screen.refresh_view()
        (cell,) = _cells(screen, "where")
    assert cell == "cpu · [b]\\x1b[2J"  # markup shown as typed, the escape made visible


def test_where_a_run_trains_is_its_device_and_host_once_it_starts() -> None:
    experiment = ExperimentSpec(arms=(Arm("a", RunSpec()),), seeds=1)
    state = LiveState.for_experiment(1, "t", experiment)
    assert where(state.runs[0]) == "—"
    planned = experiment.runs()[0]
    env = {"host": "gpu-box\n07"}
    state.apply(events.RunStarted("a", 0, planned.spec, "cuda:0", 10, env, 5))
    assert where(state.runs[0]) == "cuda:0 · gpu-box 07"
    state.apply(events.RunStarted("a", 0, planned.spec, "cpu", 10, {}, 5))
    assert where(state.runs[0]) == "cpu"


def test_the_engine_reports_the_host_it_runs_on() -> None:
    from fmtui.core import hardware

    assert hardware.machine()["host"] == socket.gethostname()


def test_fmtui_cluster_and_the_environment_configure_the_app(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parser = cli.build_parser()
    monkeypatch.delenv("FMTUI_CLUSTER", raising=False)
    assert cluster_address(parser.parse_args([])) is None
    assert cluster_address(parser.parse_args(["--cluster", " tcp://h:1 "])) == "tcp://h:1"
    monkeypatch.setenv("FMTUI_CLUSTER", "tcp://env:2")
    assert cluster_address(parser.parse_args([])) == "tcp://env:2"
    assert cluster_address(parser.parse_args(["--cluster", "tcp://h:1"])) == "tcp://h:1"
    # given before a command, it is that command's cluster too
    args = parser.parse_args(["--cluster", "tcp://h:1", "run", "--epochs", "1"])
    assert cluster_address(args) == "tcp://h:1"


def test_fmtui_opens_the_app_with_the_configured_cluster(
    monkeypatch: pytest.MonkeyPatch, journal_path: Path
) -> None:
    from fmtui import app as app_module

    made: dict[str, Any] = {}

    class Stop(Exception):
        pass

    def fake_make_app(**kwargs: Any) -> FmtuiApp:
        made.update(kwargs)
        raise Stop

    monkeypatch.setattr(app_module, "make_app", fake_make_app)
    monkeypatch.setenv("FMTUI_CLUSTER", "tcp://env:2")
    with pytest.raises(Stop):
        cli.main(["--journal", str(journal_path)])
    assert made["cluster"] == "tcp://env:2"
    with pytest.raises(Stop):
        cli.main(["--cluster", "tcp://flag:3", "--journal", str(journal_path)])
    assert made["cluster"] == "tcp://flag:3"


@pytest.mark.parametrize("choose_cluster", [True, False])
async def test_the_estimate_says_it_measured_this_machine_when_the_cluster_is_chosen(
    journal_path: Path, monkeypatch: pytest.MonkeyPatch, choose_cluster: bool
) -> None:
    monkeypatch.setattr(train_on, "cluster_installed", lambda: True)
    app = _app(journal_path, FakeTrainer(), cluster="tcp://lab:8786")
    entry = _draft(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        designer = await _design(pilot, entry)
        place = designer.query_one("#train_on", Select)
        here, cluster = [value for _prompt, value in place._options]
        place.value = cluster if choose_cluster else here
        await pilot.pause()
        await pilot.press("ctrl+t")
        estimate = designer.query_one("#estimate", Static)
        await wait_until(pilot, lambda: "Estimated time" in str(estimate.render()), timeout=30)
        text = str(estimate.render())
    assert ("of this machine" in text) is choose_cluster

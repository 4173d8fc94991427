"""The one field table: flags, defaults and the rerun command all follow the spec's fields."""

from __future__ import annotations

import dataclasses
import shlex

import pytest

from fmtui.cli import build_parser
from fmtui.cli_run import build_experiment
from fmtui.core import spec_fields
from fmtui.core.journal import Entry
from fmtui.core.run_command import run_command
from fmtui.core.spec import (
    Arm,
    ExperimentSpec,
    RunSpec,
    SpecError,
    format_layers,
    parse_layers,
    split_layers,
)


def _run_parser_flags() -> set[str]:
    run = build_parser()._subparsers._group_actions[0].choices["run"]  # type: ignore[union-attr]
    return {flag for action in run._actions for flag in action.option_strings}


def test_every_spec_field_has_a_flag_in_fmtui_run() -> None:
    flags = _run_parser_flags()
    for field in dataclasses.fields(RunSpec):
        assert spec_fields.BY_NAME[field.name].flag in flags, field.name
    assert {"--seeds", "--batch-models"} <= flags


def test_a_spec_field_without_a_table_row_is_caught_at_import(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = {k: v for k, v in spec_fields.BY_NAME.items() if k != "momentum"}
    monkeypatch.setattr(spec_fields, "BY_NAME", rows)
    with pytest.raises(RuntimeError, match="momentum"):
        spec_fields._check_table()


def test_fmtui_run_without_flags_builds_the_spec_defaults() -> None:
    args = build_parser().parse_args(["run"])
    experiment = build_experiment(args)
    assert experiment == ExperimentSpec(arms=(Arm("384x512", RunSpec()),), batch_models="auto")


def test_run_command_repeats_every_field_of_the_baseline() -> None:
    """split_seed and val_fraction used to be left out, so a rerun split the data anew."""
    base = RunSpec(layers=(64, 32), lr=3e-4, val_fraction=0.2, split_seed=7, seed=4, dropout=0.1)
    experiment = ExperimentSpec(
        arms=(Arm("base", base), Arm("wide", base.with_changes(layers=(128, 32)))),
        seeds=2,
        batch_models="4",
    )
    command = run_command(Entry(title="t", experiment=experiment.to_dict()))
    assert command is not None and "--split-seed 7" in command
    args = build_parser().parse_args(shlex.split(command)[1:])
    assert build_experiment(args) == experiment


def test_a_bad_flag_value_names_the_flag_and_range() -> None:
    args = build_parser().parse_args(["run", "--split-seed", "-1"])
    with pytest.raises(SpecError) as info:
        build_experiment(args)
    assert info.value.field == "split_seed"
    assert "from 0 to 2147483647" in info.value.message


@pytest.mark.parametrize(
    ("value", "text"), [(1e-3, "1e-3"), (0.9, "0.9"), (0.0, "0"), (0.1, "0.1"), (2.5e-5, "2.5e-5")]
)
def test_help_shows_numbers_short_and_exact(value: float, text: str) -> None:
    assert spec_fields.short_number(value) == text
    assert float(text) == value


def test_one_layers_formatter_and_parser() -> None:
    assert format_layers((384, 512)) == "384 x 512"
    assert format_layers((384, 512), compact=True) == "384x512"
    for text in ("384x512", "384 x 512", "384,512", "384 × 512"):
        assert parse_layers(text) == (384, 512)
        assert split_layers(text) == ["384", "512"]
    assert split_layers("128,,64") == ["128", "", "64"]  # the blank is kept to be named

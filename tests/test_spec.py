"""Spec validation and parsing: every bad value names its field and range."""

from __future__ import annotations

import pytest

from fmtui.core.spec import (
    Arm,
    ExperimentSpec,
    RunSpec,
    SpecError,
    format_layers,
    grid_arms,
    layer_arms,
    parse_grid,
    parse_layers,
)


def test_defaults_are_the_reports_architecture() -> None:
    spec = RunSpec()
    assert spec.layers == (384, 512)
    assert (spec.activation, spec.optimizer, spec.lr, spec.batch_size) == ("relu", "adam", 1e-3, 64)


@pytest.mark.parametrize("text", ["384,512", "384x512", "384 x 512", " 384 , 512 ", "384X512"])
def test_layer_formats(text: str) -> None:
    assert parse_layers(text) == (384, 512)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "got nothing"),
        ("   ", "got nothing"),
        ("abc", "layer 1"),
        ("128,,64", "layer 2 is empty"),
        ("0", "from 1 to 4096"),
        ("-1", "from 1 to 4096"),
        ("100000", "got 100000"),
        ("1.5", "whole number"),
        ("nan", "layer 1"),
        ("1,2,3,4,5,6,7,8,9", "got 9 layers"),
    ],
)
def test_bad_layers(text: str, needle: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_layers(text)
    assert info.value.field == "layers"
    assert needle in str(info.value)


FLOAT_FIELDS = ["lr", "dropout", "weight_decay", "min_delta", "momentum", "val_fraction"]
INT_FIELDS = ["batch_size", "epochs", "patience", "seed"]


@pytest.mark.parametrize("field", FLOAT_FIELDS)
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e309", "-1", "", "abc", float("nan")])
def test_bad_floats_name_field_and_range(field: str, value: object) -> None:
    with pytest.raises(SpecError) as info:
        RunSpec(**{field: value})
    assert info.value.field == field
    assert "expected a finite number in" in str(info.value)


@pytest.mark.parametrize("field", INT_FIELDS)
@pytest.mark.parametrize("value", ["nan", "inf", "1e309", "-1", "", "  ", "abc", "1.5", 2.5, True])
def test_bad_ints_name_field_and_range(field: str, value: object) -> None:
    with pytest.raises(SpecError) as info:
        RunSpec(**{field: value})
    assert info.value.field == field
    assert "expected a whole number from" in str(info.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("lr", "0"),
        ("dropout", "1"),
        ("batch_size", "0"),
        ("batch_size", "60001"),
        ("epochs", "0"),
        ("epochs", "1001"),
        ("lr", "11"),
    ],
)
def test_range_edges(field: str, value: str) -> None:
    with pytest.raises(SpecError, match=field):
        RunSpec(**{field: value})


def test_text_values_are_parsed() -> None:
    spec = RunSpec(lr="1e-4", batch_size=" 32 ", epochs="20", dropout="0.5", device="CPU")
    assert (spec.lr, spec.batch_size, spec.epochs, spec.dropout, spec.device) == (
        1e-4,
        32,
        20,
        0.5,
        "cpu",
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("activation", "softmax"),
        ("optimizer", "rmsprop"),
        ("device", "tpu"),
        ("activation", ""),
        ("monitor", "loss"),
    ],
)
def test_bad_choices(field: str, value: str) -> None:
    with pytest.raises(SpecError) as info:
        RunSpec(**{field: value})
    assert info.value.field == field
    assert "expected one of" in str(info.value)


def test_round_trip_and_unknown_keys() -> None:
    spec = RunSpec(layers=(128, 64, 32), lr=0.01, patience=0)
    assert RunSpec.from_dict(spec.to_dict()) == spec
    assert not spec.early_stopping
    with pytest.raises(SpecError, match="unknown spec field"):
        RunSpec.from_dict({**spec.to_dict(), "learning_rate": 1})
    with pytest.raises(SpecError):
        RunSpec.from_dict({"layers": "128x", "lr": 1e-3})


def test_grid_expansion_of_the_report() -> None:
    lists = parse_grid("16..1024x16..1024")
    assert lists[0] == [16, 32, 64, 128, 256, 512, 1024]
    arms = grid_arms(lists, RunSpec())
    assert len(arms) == 49
    assert arms[0].name == "16x16" and arms[-1].spec.layers == (1024, 1024)
    assert len(grid_arms(parse_grid("384,512,640x384,512,640"), RunSpec())) == 9


@pytest.mark.parametrize("text", ["", "16,,32x16", "16..8", "abc", "16x", "0,16"])
def test_bad_grids(text: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_grid(text)
    assert info.value.field == "grid"


def test_experiment_runs_arms_times_seeds() -> None:
    base = RunSpec(seed=7)
    exp = ExperimentSpec(arms=layer_arms([(384, 512), (512, 384)], base), seeds=3)
    runs = exp.runs()
    assert len(runs) == 6
    assert [r.spec.seed for r in runs[:3]] == [7, 8, 9]
    assert {r.arm for r in runs} == {"384x512", "512x384"}
    assert ExperimentSpec.from_dict(exp.to_dict()) == exp


def test_experiment_validation() -> None:
    with pytest.raises(SpecError, match="unique"):
        ExperimentSpec(arms=(Arm("a", RunSpec()), Arm("a", RunSpec())))
    with pytest.raises(SpecError, match="seeds"):
        ExperimentSpec(seeds="0")
    with pytest.raises(SpecError, match="at least one arm"):
        ExperimentSpec(arms=())
    assert format_layers((384, 512)) == "384 x 512"
    assert [a.name for a in layer_arms([(8,), (8,)], RunSpec())] == ["8", "8#2"]

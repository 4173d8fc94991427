"""Provenance: the CPU model and kernels a run used, and reruns across CPUs."""

from __future__ import annotations

from pathlib import Path

from fmtui.core.hardware import KERNEL_NOTE, cpu_model, kernel_difference
from fmtui.core.journal import Entry
from fmtui.core.plateau import compare_entries
from fmtui.core.reproduce import reproduction_report
from fmtui.core.spec import RunSpec

ICELAKE = {"cpu_model": "Intel(R) Xeon(R) Platinum 8375C", "cpu_capability": "AVX512"}
ZEN = {"cpu_model": "AMD EPYC 7R13 Processor", "cpu_capability": "AVX2"}


def test_cpu_model_from_cpuinfo(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Xeon 9000\n")
    assert cpu_model(info) == "Xeon 9000"
    assert cpu_model(tmp_path / "missing") not in ("", "Xeon 9000")


def test_environment_records_cpu_kernels_and_gpu() -> None:
    import torch

    from fmtui.core.train import environment

    env = environment(torch.device("cpu"), None)
    assert env["cpu_model"] == cpu_model()
    assert env["cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    assert env["threads"] == torch.get_num_threads()
    assert "gpu_model" in env


def test_kernel_difference() -> None:
    assert kernel_difference(ICELAKE, dict(ICELAKE)) is None
    assert kernel_difference({}, ZEN) is None  # an old run: cannot tell
    note = kernel_difference(ICELAKE, ZEN)
    assert note and note.startswith(KERNEL_NOTE) and "AVX512 vs AVX2" in note


def _run(acc: float, env: dict) -> dict:
    return {
        "arm": "a",
        "spec": RunSpec(seed=0).to_dict(),
        "status": "completed",
        "test_acc": acc,
        "epochs": [{"train_loss": 0.5, "val_acc": acc}],
        "environment": {"device": "cpu", "torch": "2.14.1", **env},
    }


def test_rerun_on_another_cpu_is_not_a_failed_reproduction() -> None:
    original = Entry(runs=[_run(0.8903, ICELAKE)])
    elsewhere = Entry(runs=[_run(0.8884, ZEN)])
    same, lines = reproduction_report(original, elsewhere)
    assert not same and lines[0].startswith(KERNEL_NOTE)
    assert any("test_acc 0.8903 → 0.8884" in line for line in lines)
    here = Entry(runs=[_run(0.8884, ICELAKE)])
    same, lines = reproduction_report(original, here)
    assert not any(line.startswith(KERNEL_NOTE) for line in lines)


def test_compare_entries_names_cpu_kernels() -> None:
    first = Entry(title="a", runs=[_run(0.8903, ICELAKE), _run(0.8901, ICELAKE)])
    second = Entry(title="b", runs=[_run(0.8884, ZEN), _run(0.8880, ZEN)])
    result = compare_entries(first, second)
    assert any(KERNEL_NOTE in w for w in result.warnings)
    assert result.comparison is not None
    assert result.comparison.metric_label.startswith("test accuracy at the best-validation")
    assert not any(KERNEL_NOTE in w for w in compare_entries(first, first).warnings)


def test_cli_rerun_on_other_kernels(fixture_dir: Path, tmp_path: Path, capsys) -> None:
    from fmtui.cli import main
    from fmtui.core.journal import Journal

    journal = tmp_path / "j.json"
    common = ["--journal", str(journal), "--data-dir", str(fixture_dir), "--allow-subset"]
    assert main(["run", *common, "--layers", "16", "--epochs", "1", "--device", "cpu"]) == 0
    with Journal(journal) as writer:  # as if entry 1 had run on another CPU
        entry = writer.get(1)
        for run in entry.runs:
            run["environment"]["cpu_capability"] = "SSE9"
            run["test_acc"] += 0.0001
        writer.update(entry)
    capsys.readouterr()
    assert main(["rerun", "1", *common]) == 0
    out = capsys.readouterr().out
    assert "entry 2 vs entry 1: different CPU kernels: expect small differences" in out
    assert "cpu_capability SSE9 vs" in out and "not a failed reproduction" in out
    assert "differs from" not in out

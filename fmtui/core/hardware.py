"""Provides the CPU and GPU a run used, and whether two runs' kernels could differ.

CPU results are exact on one machine, not across machines: torch picks its kernels by
the CPU's instruction set (AVX2, AVX-512, …), and different kernels sum in different
orders. A rerun elsewhere is then expected to differ in the last digits, which is not a
failed reproduction. This module reads no torch unless asked for the running machine.
"""

from __future__ import annotations

import platform
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

KERNEL_NOTE = "different CPU kernels: expect small differences"
# Fields that decide which CPU kernels ran; a difference in any explains small drift.
KERNEL_FIELDS = ("cpu_model", "cpu_capability")


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name from /proc/cpuinfo, else what the platform says."""
    try:
        for line in cpuinfo.read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and value.strip():
                return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def machine() -> dict[str, Any]:
    """The running machine: host name, CPU model, torch's CPU capability, threads, GPU."""
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {
        "host": socket.gethostname(),  # which machine, as a cluster worker also reports it
        "cpu_model": cpu_model(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "threads": torch.get_num_threads(),
        "gpu_model": gpu,
    }


def kernel_difference(first: Mapping[str, Any], second: Mapping[str, Any]) -> str | None:
    """The note to give when two runs' environments used different CPU kernels, else None.

    Runs recorded before the CPU was (no `cpu_model`) cannot be told apart: no note.
    """
    changed = [
        name
        for name in KERNEL_FIELDS
        if first.get(name) is not None
        and second.get(name) is not None
        and first.get(name) != second.get(name)
    ]
    if not changed:
        return None
    parts = ", ".join(f"{name} {first.get(name)} vs {second.get(name)}" for name in changed)
    return f"{KERNEL_NOTE} ({parts})"

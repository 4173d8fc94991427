"""Checks the engine's CUDA/MPS paths on a machine that has an accelerator.

Prints what it finds and one PASS/FAIL line per check; exits non-zero on a FAIL.

    python benchmarks/device_check.py --data-dir DIR [--device cuda] [--epochs 20]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time

import torch

from fmtui.core import data, train
from fmtui.core.spec import RunSpec

failures: list[str] = []


def check(name: str, ok: bool, detail: str = "") -> None:
    print(f"{'PASS' if ok else 'FAIL'} {name} {detail}", flush=True)
    if not ok:
        failures.append(name)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()

    print("devices:", train.available_devices())
    auto, note = train.resolve_device("auto")
    check("auto picks the accelerator", auto.type == args.device.split(":")[0], f"{auto} {note}")
    try:
        train.resolve_device("cuda:7")
        check("missing cuda:7 is an error", False)
    except train.DeviceError as err:
        check("missing cuda:7 is an error", "does not exist" in str(err), str(err))

    source = data.resolve(args.data_dir, allow_download=False)
    spec = RunSpec(layers=(384, 512), epochs=args.epochs, patience=3, device=args.device)
    t0 = time.perf_counter()
    result = train.train_run(spec, source)
    check(
        "report's best config reaches >= 0.885",
        result.status == "completed" and (result.test_acc or 0) >= 0.885,
        f"status={result.status} acc={result.test_acc} epochs={len(result.epochs)} "
        f"best={result.best_epoch} {time.perf_counter() - t0:.1f}s "
        f"epoch~{result.epochs[-1].seconds if result.epochs else 0:.2f}s "
        f"env={result.environment}",
    )

    short = RunSpec(layers=(384, 512), epochs=2, patience=0, dropout=0.2, device=args.device)
    a = train.train_run(short, source)
    b = train.train_run(short, source)
    same = [e.train_loss for e in a.epochs] == [e.train_loss for e in b.epochs]
    close = all(abs(x.val_acc - y.val_acc) < 0.01 for x, y in zip(a.epochs, b.epochs, strict=True))
    print(
        f"INFO same seed on {args.device}: bit-identical={same}, acc {a.test_acc} vs {b.test_acc}"
    )
    check("same seed on the accelerator is close", a.status == "completed" and close)

    cancel = threading.Event()

    def on_event(event: train.Event) -> None:
        if isinstance(event, train.Progress) and event.step >= 100:
            cancel.set()

    c = train.train_run(short, source, on_event=on_event, cancel=cancel)
    check("cancel on the accelerator", c.status == "cancelled", f"epochs={len(c.epochs)}")

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "fmtui",
            "run",
            "--data-dir",
            args.data_dir,
            "--layers",
            "384,512",
            "--epochs",
            "1",
            "--device",
            args.device,
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    summary = json.loads(proc.stdout.splitlines()[-1]) if proc.stdout else {}
    run = (summary.get("runs") or [{}])[0]
    check(
        "fmtui run --json on the accelerator",
        proc.returncode == 0 and len(run.get("per_class_acc") or []) == 10,
        f"rc={proc.returncode} acc={run.get('test_acc')} {proc.stderr[-300:]}",
    )
    print("torch", torch.__version__)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())

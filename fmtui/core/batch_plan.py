"""Provides the batching planner: which runs of an experiment train together, and how.

Runs can share one stacked loop only when everything that shapes the loop is equal
(batch size, epochs, depth and activation, optimizer kind, device, data split);
learning rate, weight decay, momentum, dropout, seed, widths and early-stopping
settings may differ per run. The planner is torch-free so that specs can be
validated and plans shown without loading torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fmtui.core.spec import MAX_GROUP, PlannedRun, RunSpec, parse_batch_models

INPUT_SIZE = 28 * 28
NUM_CLASSES = 10

# A simple per-step cost model: a step costs a fixed overhead (Python, kernel
# launches, the optimizer's pass) plus its multiply-adds at a sustained rate. One
# stacked step pays the overhead once for the whole group but computes padded widths.
# CPU figures: the engine's 384x512 epoch (844 steps of 64) takes about 1.7 s on the
# 2-core development machine, about 2 ms a step, and a tiny network's step about
# 1 ms. A stacked CPU step's fixed cost is about that of one run's step since the
# step hands gradients straight to the fused optimizer kernel: with 1.0 ms the model
# picks, for the 4x4 grid 16..128, the split measured fastest among five candidates
# (first widths 16-32 and 64-128, each padded: 3.1x the sequential step, against 2.5x
# for the 1.5 ms choice of 16-64 and 128, 2.8x grouped by first width, 2.3x all
# padded to 128x128; 2-core CPU, one thread, interleaved, shared machine).
# CUDA figures: an eager 384x512 step takes about 1.5 ms on an H200 and is
# nearly all overhead, so stacking almost always pays there.
# A group may be stacked in blocks, each padded to its own widths only (one loop, one
# loss, one backward, one optimizer step; each block its own products). A block
# costs about a quarter of a group's fixed cost: the grid 16..128 in four blocks by
# first width took 0.4-0.7 ms a step less than the same runs in two blocks (one loop)
# for 16 M fewer multiply-adds (2-core CPU, one thread, interleaved step benchmark).
_OVERHEAD_S = {"cpu": 1.0e-3, "cuda": 1.5e-3, "mps": 1.5e-3}
_GROUP_OVERHEAD_S = {"cpu": 1.0e-3, "cuda": 2.0e-3, "mps": 2.0e-3}
_BLOCK_OVERHEAD_S = {"cpu": 0.25e-3, "cuda": 0.3e-3, "mps": 0.3e-3}
_MACS_PER_S = {"cpu": 4.8e10, "cuda": 4.0e13, "mps": 4.0e12}
# Auto pads runs together only where the model predicts at least this speed-up, so
# that the model's error cannot make a padded plan slower than sequential. Runs of one
# shape waste nothing by stacking and were measured faster at every width tried.
AUTO_MIN_GAIN = 1.15
SAME_SHAPE_MIN_GAIN = 1.0


@dataclass(frozen=True)
class Group:
    """Runs that train in one loop (engine 'batched') or one run alone ('sequential')."""

    runs: tuple[PlannedRun, ...]
    engine: str  # sequential | batched
    widths: tuple[int, ...]  # the stacked (padded) hidden widths: the widest block's
    # Each run's block widths, in the order of `runs`; empty: every run at `widths`.
    block_widths: tuple[tuple[int, ...], ...] = ()

    def stacked_widths(self) -> list[tuple[int, ...]]:
        """Each run's stacked widths (its block's), in the order of `runs`."""
        return list(self.block_widths) or [self.widths] * len(self.runs)

    @property
    def padded(self) -> bool:
        return any(
            r.spec.layers != w for r, w in zip(self.runs, self.stacked_widths(), strict=True)
        )

    def padded_to(self, run: PlannedRun) -> tuple[int, ...] | None:
        """The widths `run` is padded to as recorded: its block's, when that block pads
        any of its runs; None otherwise."""
        stacked = self.stacked_widths()
        widths = stacked[next(i for i, r in enumerate(self.runs) if r is run)]
        block = [r for r, w in zip(self.runs, stacked, strict=True) if w == widths]
        return widths if any(r.spec.layers != widths for r in block) else None


def group_key(spec: RunSpec) -> tuple[Any, ...]:
    """What must be equal for runs to share a stacked loop."""
    return (
        spec.batch_size,
        spec.epochs,
        spec.activation,
        len(spec.layers),
        spec.optimizer,
        spec.device,
        spec.val_fraction,
        spec.split_seed,
    )


def _macs(widths: Sequence[int]) -> int:
    total, fan_in = 0, INPUT_SIZE
    for width in (*widths, NUM_CLASSES):
        total += fan_in * width
        fan_in = width
    return total


def padded_widths(specs: Sequence[RunSpec]) -> tuple[int, ...]:
    return tuple(max(w) for w in zip(*(s.layers for s in specs), strict=True))


def predicted_gain(specs: Sequence[RunSpec], device_type: str) -> float:
    """Sequential step time over stacked step time, from the cost model."""
    kind = device_type if device_type in _OVERHEAD_S else "cpu"
    batch = specs[0].batch_size
    rate = _MACS_PER_S[kind] / 3  # forward, input-gradient and weight-gradient products
    sequential = sum(_OVERHEAD_S[kind] + batch * _macs(s.layers) / rate for s in specs)
    stacked = _GROUP_OVERHEAD_S[kind] + len(specs) * batch * _macs(padded_widths(specs)) / rate
    return sequential / stacked


def run_bytes(spec: RunSpec, widths: Sequence[int], eval_rows: int) -> int:
    """Memory one run needs inside a stacked group, with room for temporaries."""
    params = _macs(widths) + sum(widths) + NUM_CLASSES
    # parameter, gradient, two optimizer moments, best state, a grad-mask product
    state = 6 * params
    activations = 4 * spec.batch_size * (INPUT_SIZE + sum(widths) + NUM_CLASSES)
    evaluation = eval_rows * (sum(widths) + NUM_CLASSES)
    return 4 * (state + activations + evaluation)


def plan(
    runs: Sequence[PlannedRun],
    mode: str,
    *,
    device_type: str = "cpu",
    memory_bytes: int = 2**31,
    eval_rows: int = 2048,
) -> list[Group]:
    """Split `runs` into groups; each run appears exactly once, in launch order of groups.

    `mode` 'off' or '1' trains every run alone; a number N allows groups of up to N
    whatever the speed; 'auto' batches only where the cost model predicts a clear
    gain on `device_type`. Groups never need more than `memory_bytes`.
    """
    mode = parse_batch_models(mode)
    if mode in ("off", "1"):
        return [Group((r,), "sequential", r.spec.layers) for r in runs]
    limit = MAX_GROUP if mode == "auto" else int(mode)
    buckets: dict[tuple[Any, ...], list[PlannedRun]] = {}
    for run in runs:
        buckets.setdefault(group_key(run.spec), []).append(run)
    groups: list[Group] = []
    for members in buckets.values():
        if mode == "auto" and len(members) <= DP_MAX_RUNS:
            groups.extend(_best_partition(members, limit, device_type, memory_bytes, eval_rows))
        else:
            groups.extend(_split_bucket(members, mode, limit, device_type, memory_bytes, eval_rows))
    order = {id(r): i for i, r in enumerate(runs)}
    groups.sort(key=lambda g: min(order[id(r)] for r in g.runs))
    return groups


DP_MAX_RUNS = 256


def _step_cost(specs: Sequence[RunSpec], widths: Sequence[int], device_type: str) -> float:
    """One stacked group's step (a single block) by the cost model."""
    kind = device_type if device_type in _OVERHEAD_S else "cpu"
    return _GROUP_OVERHEAD_S[kind] - _BLOCK_OVERHEAD_S[kind] + _block_cost(specs, widths, kind)


def _block_cost(specs: Sequence[RunSpec], widths: Sequence[int], kind: str) -> float:
    """What one block adds to its group's step: its own fixed cost and products."""
    rate = _MACS_PER_S[kind] / 3  # forward, input-gradient and weight-gradient products
    return _BLOCK_OVERHEAD_S[kind] + len(specs) * specs[0].batch_size * _macs(widths) / rate


def group_step_cost(group: Group, device_type: str) -> float:
    """A group's step by the cost model: one fixed cost, and each block's."""
    kind = device_type if device_type in _OVERHEAD_S else "cpu"
    if group.engine == "sequential":
        return _alone_cost(group.runs[0].spec, kind)
    blocks: dict[tuple[int, ...], list[RunSpec]] = {}
    for run, widths in zip(group.runs, group.stacked_widths(), strict=True):
        blocks.setdefault(widths, []).append(run.spec)
    fixed = _GROUP_OVERHEAD_S[kind] - _BLOCK_OVERHEAD_S[kind]
    return fixed + sum(_block_cost(specs, w, kind) for w, specs in blocks.items())


def group_gain(group: Group, device_type: str) -> float:
    """The group's runs' step times alone over its stacked step time, by the cost model."""
    alone = sum(_alone_cost(r.spec, device_type) for r in group.runs)
    return alone / group_step_cost(group, device_type)


def _best_partition(
    members: list[PlannedRun],
    limit: int,
    device_type: str,
    memory_bytes: int,
    eval_rows: int,
) -> list[Group]:
    """The cheapest split of the size-sorted runs into consecutive blocks, by the cost
    model; the stacked blocks then share groups (one loop each) as far as the group
    size and memory allow.

    A chunk of runs becomes a block only where its cost inside a group beats training
    them one by one by the required margin. A group that would not be faster than its
    runs alone by that margin (its fixed cost unpaid) falls back to single-block groups.
    """
    kind = device_type if device_type in _OVERHEAD_S else "cpu"
    ordered = sorted(members, key=lambda r: (_macs(r.spec.layers), r.spec.layers))
    chunks = _cheapest_chunks(ordered, limit, memory_bytes, eval_rows, kind, blocks=True)
    groups = _assemble(chunks, limit, memory_bytes, eval_rows)
    if all(g.engine == "sequential" or group_gain(g, kind) >= _min_gain(_specs(g)) for g in groups):
        return groups
    chunks = _cheapest_chunks(ordered, limit, memory_bytes, eval_rows, kind, blocks=False)
    out: list[Group] = []
    for chunk, stacked in chunks:
        if stacked:
            out.append(Group(tuple(chunk), "batched", padded_widths([r.spec for r in chunk])))
        else:
            out.extend(Group((r,), "sequential", r.spec.layers) for r in chunk)
    return out


def _specs(group: Group) -> list[RunSpec]:
    return [r.spec for r in group.runs]


def _cheapest_chunks(
    ordered: list[PlannedRun],
    limit: int,
    memory_bytes: int,
    eval_rows: int,
    kind: str,
    *,
    blocks: bool,
) -> list[tuple[list[PlannedRun], bool]]:
    """Dynamic programming over consecutive chunks: (runs, stacked) in order.

    With `blocks`, a stacked chunk costs what it adds to a shared group (its block);
    without, it is a group of its own and pays the whole fixed cost.
    """
    n = len(ordered)
    singles = [_alone_cost(r.spec, kind) for r in ordered]
    best = [0.0] + [float("inf")] * n
    choice = [0] * (n + 1)
    stacked_ok: dict[tuple[int, int], bool] = {}
    for i in range(n):
        widths = list(ordered[i].spec.layers)
        seq_sum = 0.0
        for j in range(i + 1, min(n, i + limit) + 1):
            spec = ordered[j - 1].spec
            widths = [max(a, b) for a, b in zip(widths, spec.layers, strict=True)]
            seq_sum += singles[j - 1]
            cost = seq_sum
            if j - i > 1:
                specs = [r.spec for r in ordered[i:j]]
                used = sum(run_bytes(s, widths, eval_rows) for s in specs)
                if used > memory_bytes:
                    break
                stacked = (
                    _block_cost(specs, widths, kind) if blocks else _step_cost(specs, widths, kind)
                )
                if seq_sum / stacked >= _min_gain(specs):
                    stacked_ok[(i, j)] = True
                    cost = stacked
            if best[i] + cost < best[j]:
                best[j], choice[j] = best[i] + cost, i
    chunks: list[tuple[list[PlannedRun], bool]] = []
    j = n
    while j > 0:
        i = choice[j]
        chunks.append((ordered[i:j], bool(stacked_ok.get((i, j)))))
        j = i
    chunks.reverse()
    return chunks


def _assemble(
    chunks: list[tuple[list[PlannedRun], bool]], limit: int, memory_bytes: int, eval_rows: int
) -> list[Group]:
    """Stacked chunks become blocks of shared groups; the others train alone."""
    groups: list[Group] = []
    runs: list[PlannedRun] = []
    widths: list[tuple[int, ...]] = []
    used = 0

    def close() -> None:
        if runs:
            top = padded_widths([r.spec for r in runs])
            blocks = tuple(widths) if len(set(widths)) > 1 else ()
            groups.append(Group(tuple(runs), "batched", top if blocks else widths[0], blocks))
            runs.clear()
            widths.clear()

    for chunk, stacked in chunks:
        if not stacked:
            groups.extend(Group((r,), "sequential", r.spec.layers) for r in chunk)
            continue
        block = padded_widths([r.spec for r in chunk])
        size = sum(run_bytes(r.spec, block, eval_rows) for r in chunk)
        # Two blocks of one shape would be one block: a chunk of the same widths is apart.
        if runs and (
            len(runs) + len(chunk) > limit or used + size > memory_bytes or block in widths
        ):
            close()
            used = 0
        runs.extend(chunk)
        widths.extend([block] * len(chunk))
        used += size
    close()
    return groups


def _alone_cost(spec: RunSpec, device_type: str) -> float:
    """One run's step time alone, by the cost model."""
    kind = device_type if device_type in _OVERHEAD_S else "cpu"
    return _OVERHEAD_S[kind] + spec.batch_size * _macs(spec.layers) / (_MACS_PER_S[kind] / 3)


def _split_bucket(
    members: list[PlannedRun],
    mode: str,
    limit: int,
    device_type: str,
    memory_bytes: int,
    eval_rows: int,
) -> list[Group]:
    """Greedy: runs sorted by size join the open group while it still pays and fits."""
    ordered = sorted(members, key=lambda r: (_macs(r.spec.layers), r.spec.layers))
    out: list[list[PlannedRun]] = []
    current: list[PlannedRun] = []
    for run in ordered:
        trial = [*current, run]
        specs = [r.spec for r in trial]
        widths = padded_widths(specs)
        fits = (
            len(trial) <= limit
            and sum(run_bytes(s, widths, eval_rows) for s in specs) <= memory_bytes
        )
        pays = True
        if mode == "auto" and len(trial) > 1:
            # Adding a larger shape pads every member up to it: only if it still pays.
            pays = predicted_gain(specs, device_type) >= _min_gain(specs)
        if current and not (fits and pays):
            out.append(current)
            current = [run]
        else:
            current = trial
    if current:
        out.append(current)
    groups: list[Group] = []
    for chosen in out:
        specs = [r.spec for r in chosen]
        if len(chosen) == 1 or (
            mode == "auto" and predicted_gain(specs, device_type) < _min_gain(specs)
        ):
            groups.extend(Group((r,), "sequential", r.spec.layers) for r in chosen)
        else:
            groups.append(Group(tuple(chosen), "batched", padded_widths(specs)))
    return groups


def _min_gain(specs: Sequence[RunSpec]) -> float:
    same = len({s.layers for s in specs}) == 1
    return SAME_SHAPE_MIN_GAIN if same else AUTO_MIN_GAIN


def predicted_speedup(groups: Sequence[Group], device_type: str) -> float:
    """Sequential step time over the plan's, by the cost model (1.0: nothing batched)."""
    alone = sum(_alone_cost(r.spec, device_type) for g in groups for r in g.runs)
    planned = sum(group_step_cost(g, device_type) for g in groups)
    return alone / planned if planned else 1.0


def describe(groups: Sequence[Group]) -> str:
    """One line for a person: '49 runs → 2 batched groups (48 runs), 1 alone'."""
    total = sum(len(g.runs) for g in groups)
    batched = [g for g in groups if g.engine == "batched"]
    alone = len(groups) - len(batched)
    if not batched:
        return f"{total} runs, each trained alone"
    inside = sum(len(g.runs) for g in batched)
    noun = "group" if len(batched) == 1 else "groups"
    return f"{total} runs → {len(batched)} batched {noun} ({inside} runs), {alone} alone"

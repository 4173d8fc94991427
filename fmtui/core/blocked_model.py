"""Provides a stacked group made of blocks: runs padded only to their own block's widths.

A width grid padded to its widest arm wastes most of the first layer's product (784
inputs times the padded width), the bulk of a small network's step. Runs grouped
into blocks of similar widths (the planner picks them) are padded within their
block only; every block is a `StackedMLP`, and the group still takes one step: one
gather, each block's products, one loss, one backward and one optimizer step over
every block's parameters. Slots are numbered block after block.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from fmtui.core.spec import RunSpec
from fmtui.core.stacked_model import StackedMLP


class BlockedMLP:
    """The interface of `StackedMLP` over several blocks of stacked runs."""

    def __init__(
        self,
        blocks: Sequence[tuple[Sequence[RunSpec], Sequence[int]]],
        device: torch.device,
        dropout_generators: Sequence[torch.Generator],
    ) -> None:
        self.device = device
        self.blocks: list[StackedMLP] = []
        start = 0
        for specs, widths in blocks:
            gens = dropout_generators[start : start + len(specs)]
            self.blocks.append(StackedMLP(specs, widths, device, gens))
            start += len(specs)
        self.mask_activations = self.blocks[0].mask_activations

    # ------------------------------------------------------------ what the engine reads

    @property
    def size(self) -> int:
        return sum(b.size for b in self.blocks)

    @property
    def specs(self) -> list[RunSpec]:
        return [s for b in self.blocks for s in b.specs]

    @property
    def dropout(self) -> list[float]:
        return [p for b in self.blocks for p in b.dropout]

    @property
    def padded(self) -> bool:
        return any(b.padded for b in self.blocks)

    def parameters(self) -> list[torch.Tensor]:
        return [p for b in self.blocks for p in b.parameters()]

    def parameter_specs(self) -> list[list[RunSpec]]:
        """For each parameter of `parameters()`, the runs along its first dimension."""
        return [list(b.specs) for b in self.blocks for _ in b.parameters()]

    def _locate(self, i: int) -> tuple[StackedMLP, int]:
        for block in self.blocks:
            if i < block.size:
                return block, i
            i -= block.size
        raise IndexError(i)

    # ------------------------------------------------------------ computing

    def forward(self, x: torch.Tensor, train: bool) -> torch.Tensor:
        """(K, B, 784) or a shared (B, 784) input → (K, B, 10) logits, block after block."""
        outs, start = [], 0
        for block in self.blocks:
            part = x if x.dim() == 2 else x[start : start + block.size]
            outs.append(block.forward(part, train))
            start += block.size
        return torch.cat(outs)

    def run_state(self, i: int) -> list[torch.Tensor]:
        block, slot = self._locate(i)
        return block.run_state(slot)

    def module(self, i: int, state: list[torch.Tensor] | None = None) -> nn.Sequential:
        block, slot = self._locate(i)
        return block.module(slot, state)

    @torch.no_grad()
    def compact(self, keep: torch.Tensor) -> list[torch.Tensor | None]:
        """Keep the runs at slots `keep`; for each old parameter, the rows it keeps (None:
        its block emptied and left the group)."""
        keeps: list[torch.Tensor | None] = []
        blocks, start = [], 0
        for block in self.blocks:
            inside = keep[(keep >= start) & (keep < start + block.size)] - start
            count = len(block.parameters())
            start += block.size
            if inside.numel() == 0:
                keeps.extend([None] * count)
                continue
            block.compact(inside)
            keeps.extend([inside] * count)
            blocks.append(block)
        self.blocks = blocks
        return keeps


def build_stack(
    specs: Sequence[RunSpec],
    block_widths: Sequence[tuple[int, ...]],
    device: torch.device,
    dropout_generators: Sequence[torch.Generator],
) -> StackedMLP | BlockedMLP:
    """One `StackedMLP` when every run has the same stacked widths, else blocks.

    `block_widths[i]` is run i's stacked widths; runs with equal widths must be
    adjacent (they form one block).
    """
    blocks: list[tuple[list[RunSpec], tuple[int, ...]]] = []
    for spec, widths in zip(specs, block_widths, strict=True):
        if blocks and blocks[-1][1] == tuple(widths):
            blocks[-1][0].append(spec)
        else:
            blocks.append(([spec], tuple(widths)))
    if len(blocks) == 1:
        return StackedMLP(specs, blocks[0][1], device, dropout_generators)
    seen = [w for _s, w in blocks]
    if len(set(seen)) != len(seen):
        raise ValueError("runs of one block must be adjacent in the group")
    return BlockedMLP(blocks, device, dropout_generators)


Stack = StackedMLP | BlockedMLP

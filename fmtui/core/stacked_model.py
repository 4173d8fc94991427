"""Provides K MLPs as stacked tensors: exact per-run init, padding masks, batched forward.

Layer l of run k is `weights[l][k]` with shape (fan_in, fan_out), so a whole group's
layer is one `torch.baddbmm`. Runs narrower than the group's widths are padded: their
real block is initialised exactly as `build_model` would initialise that run (the
sequential model is built from the run's seed and copied in), and the padded rows,
columns and biases start at zero and get zero gradients, so they stay zero.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from fmtui.core.model import INPUT_SIZE, NUM_CLASSES, build_model
from fmtui.core.spec import RunSpec

_ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": F.relu,
    "tanh": torch.tanh,
    "gelu": F.gelu,
    "sigmoid": torch.sigmoid,
    "leaky_relu": F.leaky_relu,
}


class StackedMLP:
    """The parameters, masks and dropout streams of one group of runs."""

    def __init__(
        self,
        specs: Sequence[RunSpec],
        widths: Sequence[int],
        device: torch.device,
        dropout_generators: Sequence[torch.Generator],
    ) -> None:
        self.specs = list(specs)
        self.widths = tuple(widths)
        self.device = device
        self.act: Callable[[torch.Tensor], torch.Tensor] = _ACTIVATIONS[specs[0].activation]
        # sigmoid(0) = 0.5: padded units must be masked after the activation too.
        self.mask_activations = specs[0].activation == "sigmoid"
        self.generators = list(dropout_generators)
        self.dropout = [s.dropout for s in specs]
        dims = (INPUT_SIZE, *self.widths, NUM_CLASSES)
        k = len(specs)
        self.weights: list[torch.Tensor] = []
        self.biases: list[torch.Tensor] = []
        # unit_masks[l]: (K, 1, dims[l]) with 1 for a run's real units in layer l's input.
        self.unit_masks = [torch.ones(k, 1, INPUT_SIZE, device=device)]
        for dim_l, width in zip(dims[1:-1], range(len(self.widths)), strict=True):
            mask = torch.zeros(k, 1, dim_l, device=device)
            for i, spec in enumerate(specs):
                mask[i, 0, : spec.layers[width]] = 1.0
            self.unit_masks.append(mask)
        self.unit_masks.append(torch.ones(k, 1, NUM_CLASSES, device=device))
        self.padded = any(tuple(s.layers) != self.widths for s in specs)
        for layer in range(len(dims) - 1):
            self.weights.append(torch.zeros(k, dims[layer], dims[layer + 1], device=device))
            self.biases.append(torch.zeros(k, 1, dims[layer + 1], device=device))
        for i, spec in enumerate(specs):
            self._copy_in(
                i,
                build_model(
                    spec,
                    torch.Generator().manual_seed(spec.seed),
                    None if spec.dropout == 0 else torch.Generator(),
                ),
            )
        for t in (*self.weights, *self.biases):
            t.requires_grad_(True)

    @torch.no_grad()
    def _copy_in(self, i: int, model: nn.Sequential) -> None:
        for layer, linear in enumerate(m for m in model if isinstance(m, nn.Linear)):
            out_f, in_f = linear.weight.shape
            self.weights[layer][i, :in_f, :out_f] = linear.weight.T.to(self.device)
            self.biases[layer][i, 0, :out_f] = linear.bias.to(self.device)

    @property
    def size(self) -> int:
        return len(self.specs)

    def parameters(self) -> list[torch.Tensor]:
        return [*self.weights, *self.biases]

    def parameter_specs(self) -> list[list[RunSpec]]:
        """For each parameter of `parameters()`, the runs along its first dimension."""
        return [list(self.specs) for _ in self.parameters()]

    def forward(self, x: torch.Tensor, train: bool) -> torch.Tensor:
        """(K, B, 784) or a shared (B, 784) input → (K, B, 10) logits."""
        h = x if x.dim() == 3 else x.unsqueeze(0).expand(self.size, -1, -1)
        last = len(self.weights) - 1
        for layer, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = torch.baddbmm(b, h, w)
            if layer == last:
                break
            h = self.act(h)
            if self.mask_activations and self.padded:
                h = h * self.unit_masks[layer + 1]
            if train and any(p > 0 for p in self.dropout):
                h = self._drop(h, layer)
        return h

    def _drop(self, h: torch.Tensor, layer: int) -> torch.Tensor:
        """Each run's mask from its own generator, drawn like `SeededDropout` draws it."""
        keep = torch.ones_like(h)
        scale = torch.ones(self.size, 1, 1, device=h.device)
        for i, (p, spec) in enumerate(zip(self.dropout, self.specs, strict=True)):
            if p == 0:
                continue
            width = spec.layers[layer]
            block = torch.empty(h.shape[1], width, device=h.device)
            keep[i, :, :width] = block.bernoulli_(1.0 - p, generator=self.generators[i])
            scale[i] = 1.0 - p
        return h * keep / scale

    @torch.no_grad()
    def run_state(self, i: int) -> list[torch.Tensor]:
        """Run i's real (unpadded) tensors, copied: weights (out, in) then biases."""
        spec = self.specs[i]
        dims = (INPUT_SIZE, *spec.layers, NUM_CLASSES)
        out = []
        for layer, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            out.append(w[i, : dims[layer], : dims[layer + 1]].T.clone())
            out.append(b[i, 0, : dims[layer + 1]].clone())
        return out

    def module(self, i: int, state: list[torch.Tensor] | None = None) -> nn.Sequential:
        """Run i as the sequential engine's `nn.Sequential`, holding `state` or its current one."""
        spec = self.specs[i]
        gen = torch.Generator().manual_seed(spec.seed)
        model = build_model(spec, gen, torch.Generator() if spec.dropout else None)
        tensors = state if state is not None else self.run_state(i)
        linears = [m for m in model if isinstance(m, nn.Linear)]
        with torch.no_grad():
            for layer, linear in enumerate(linears):
                linear.weight.copy_(tensors[2 * layer])
                linear.bias.copy_(tensors[2 * layer + 1])
        return model.to(self.device)

    @torch.no_grad()
    def compact(self, keep: torch.Tensor) -> list[torch.Tensor | None]:
        """Keep only the runs at indices `keep` (a stopped run's slot is freed); returns,
        for each parameter, the rows it keeps (the optimizer keeps the same state)."""
        chosen = keep.tolist()
        self.specs = [self.specs[i] for i in chosen]
        self.generators = [self.generators[i] for i in chosen]
        self.dropout = [self.dropout[i] for i in chosen]
        self.weights = [w[keep].detach().clone().requires_grad_(True) for w in self.weights]
        self.biases = [b[keep].detach().clone().requires_grad_(True) for b in self.biases]
        self.unit_masks = [m[keep] for m in self.unit_masks]
        self.padded = any(tuple(s.layers) != self.widths for s in self.specs)
        return [keep] * len(self.parameters())

"""Provides the stacked training step, eager or captured once in a CUDA graph and replayed.

On a GPU a small MLP's step is mostly kernel-launch overhead; a CUDA graph replays
the whole step (gather, forward, loss, backward, gradient masks, optimizer) as one
launch. Capture needs static shapes and addresses: the (K, B) index batch is copied
into a static buffer, the optimizer keeps its step count on the device
(`capturable`), and dropout is excluded because each run's masks come from its own
generator. Anything that fails while capturing falls back to the eager step, which
computes the same operations.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from fmtui.core.blocked_model import Stack
from fmtui.core.stacked_optim import StackedOptimizer, TorchStacked

WARMUP_STEPS = 3


def graphs_unsupported(device: torch.device, model: Stack, shared_hyper: bool) -> str | None:
    """None when the step can be captured on `device`, else the reason it cannot."""
    if device.type != "cuda":
        return "not a CUDA device"
    if not hasattr(torch.cuda, "CUDAGraph"):
        return "this torch build has no CUDA graphs"
    if any(p > 0 for p in model.dropout):
        return "dropout draws each run's masks from its own generator"
    if not shared_hyper:
        return "per-run hyperparameters use the eager optimizer step"
    return None


def eager_step(
    model: Stack,
    optimizer: StackedOptimizer,
    x_all: torch.Tensor,
    y_all: torch.Tensor,
    idx: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One training step for every run; returns per-run (mean loss, correct predictions)."""
    k, b = idx.shape
    # index_select on the flat index is a plain row copy: about 3 times faster on the
    # CPU than advanced indexing with the (K, B) index, for the same rows.
    flat = idx.reshape(-1)
    xb = x_all.index_select(0, flat).view(k, b, -1)
    yb = y_all.index_select(0, flat)
    logits = model.forward(xb, train=True)
    losses = F.cross_entropy(logits.reshape(k * b, -1), yb, reduction="none")
    loss = losses.view(k, b).mean(1)
    # Padded entries need no gradient mask: a padded unit's input weights and bias are
    # zero, so its output is zero (sigmoid's is masked) and every product that forms
    # a padded gradient has an exact zero factor. Zero gradients and zero parameters
    # stay zero under Adam, AdamW, SGD and weight decay (tested).
    if optimizer.takes_grads:
        # Fresh gradients straight from autograd: no buffer to zero and accumulate into.
        optimizer.apply(torch.autograd.grad(loss.sum(), model.parameters()))
    else:  # torch's optimizer (CUDA graphs capture this path) reads `.grad`
        optimizer.zero_grad()
        loss.sum().backward()
        optimizer.step()
    return loss.detach(), (logits.detach().argmax(2) == yb.view(k, b)).sum(1)


class SteppingEngine:
    """Runs steps eagerly, or, once warmed up on CUDA, by replaying a captured graph."""

    def __init__(
        self,
        model: Stack,
        optimizer: StackedOptimizer,
        x_all: torch.Tensor,
        y_all: torch.Tensor,
        batch: int,
        use_graphs: bool,
    ) -> None:
        self.model, self.optimizer = model, optimizer
        self.x_all, self.y_all = x_all, y_all
        self.batch = batch
        self.use_graphs = use_graphs and isinstance(optimizer, TorchStacked)
        self.warm = 0
        self.graph: torch.cuda.CUDAGraph | None = None
        self.static_idx: torch.Tensor | None = None
        self.static_out: tuple[torch.Tensor, torch.Tensor] | None = None
        self.failure: str | None = None
        self.side = torch.cuda.Stream() if self.use_graphs else None

    def reset(self, model: Stack, optimizer: StackedOptimizer) -> None:
        """New stacked tensors (runs left the group): the old graph no longer applies."""
        self.model, self.optimizer = model, optimizer
        self.graph, self.static_out, self.static_idx, self.warm = None, None, None, 0

    def step(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        full = idx.shape[1] == self.batch
        if not (self.use_graphs and full):
            return eager_step(self.model, self.optimizer, self.x_all, self.y_all, idx)
        if self.graph is None and self.warm < WARMUP_STEPS:
            return self._warmup(idx)
        if self.graph is None:
            self._capture(idx)
            if self.graph is None:  # capture failed: eager from now on
                return eager_step(self.model, self.optimizer, self.x_all, self.y_all, idx)
        assert self.static_idx is not None and self.static_out is not None
        self.static_idx.copy_(idx)
        self.graph.replay()
        return self.static_out[0].clone(), self.static_out[1].clone()

    def _warmup(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Real steps on a side stream, so that capture finds its kernels initialised."""
        assert self.side is not None
        self.side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(self.side):
            out = eager_step(self.model, self.optimizer, self.x_all, self.y_all, idx)
        torch.cuda.current_stream().wait_stream(self.side)
        self.warm += 1
        return out

    def _capture(self, idx: torch.Tensor) -> None:
        """Record one step; the recorded kernels run at the first replay, not now."""
        try:
            self.static_idx = idx.clone()
            graph = torch.cuda.CUDAGraph()
            self.optimizer.zero_grad()
            with torch.cuda.graph(graph):
                self.static_out = eager_step(
                    self.model, self.optimizer, self.x_all, self.y_all, self.static_idx
                )
            self.graph = graph
        except Exception as err:  # noqa: BLE001 - any capture failure means "stay eager"
            self.failure = f"{type(err).__name__}: {err}"
            self.use_graphs, self.graph, self.static_out = False, None, None

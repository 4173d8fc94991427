"""Provides optimizer steps for stacked parameters (K runs along dimension 0).

When every run of a group shares its hyperparameters, torch's own optimizer (fused
where it can be) does the stacked update: Adam, AdamW and SGD are element-wise, so
one stacked update is exactly K independent ones. When learning rate, weight decay
or momentum differ per run, the step below repeats torch's arithmetic with per-run
(K, 1, 1) tensors in their place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from fmtui.core.spec import RunSpec

BETAS = (0.9, 0.999)
EPS = 1e-8


class StackedOptimizer:
    """The interface the batched engine uses: step, zero_grad, compact.

    An optimizer that `takes_grads` is given the step's gradients by `apply` (from
    `torch.autograd.grad`); the others read `.grad` after `backward`.
    """

    takes_grads = False

    def __init__(self, params: list[torch.Tensor]) -> None:
        self.params = params

    def apply(self, grads: Sequence[torch.Tensor]) -> None:
        """One step with `grads` (one per parameter) instead of the `.grad` buffers."""
        raise NotImplementedError

    def zero_grad(self) -> None:
        for p in self.params:
            if p.grad is not None:
                p.grad.zero_()

    def step(self) -> None:
        raise NotImplementedError

    def compact(self, keep: Keep, params: list[torch.Tensor]) -> None:
        """Continue with only the runs at indices `keep`, on the new parameter leaves.

        `keep` is one index tensor for every parameter, or one per old parameter (None
        for a parameter that left: a block of a `BlockedMLP` whose runs all finished).
        """
        raise NotImplementedError


Keep = torch.Tensor | Sequence[torch.Tensor | None]


def per_parameter(keep: Keep, count: int) -> list[torch.Tensor | None]:
    """`keep` as one entry per old parameter."""
    if isinstance(keep, torch.Tensor):
        return [keep] * count
    if len(keep) != count:
        raise ValueError(f"{len(keep)} keep entries for {count} parameters")
    return list(keep)


class TorchStacked(StackedOptimizer):
    """torch.optim on the stacked tensors: the group shares its hyperparameters."""

    def __init__(self, params: list[torch.Tensor], spec: RunSpec, capturable: bool = False) -> None:
        super().__init__(params)
        self.spec = spec
        # CUDA graph capture needs Adam's step count on the device.
        self.capturable = capturable and spec.optimizer != "sgd"
        self.optimizer = self._make(params)

    def _make(self, params: list[torch.Tensor]) -> torch.optim.Optimizer:
        """The same choice as the sequential engine's, fused where the device has it."""
        spec = self.spec
        kwargs: dict[str, Any] = {"lr": spec.lr, "weight_decay": spec.weight_decay}
        cls: type[torch.optim.Optimizer]
        if spec.optimizer == "adam":
            cls = torch.optim.Adam
        elif spec.optimizer == "adamw":
            cls = torch.optim.AdamW
        else:
            cls, kwargs["momentum"] = torch.optim.SGD, spec.momentum
        extra: dict[str, Any] = {"capturable": True} if self.capturable else {}
        try:
            return cls(params, fused=True, **kwargs, **extra)  # type: ignore[call-arg,arg-type]
        except (RuntimeError, TypeError, ValueError):
            return cls(params, **kwargs, **extra)  # type: ignore[call-arg,arg-type]

    def zero_grad(self) -> None:
        self.optimizer.zero_grad(set_to_none=False)

    def step(self) -> None:
        self.optimizer.step()

    def compact(self, keep: Keep, params: list[torch.Tensor]) -> None:
        old = self.optimizer
        old_params = old.param_groups[0]["params"]
        keeps = per_parameter(keep, len(old_params))
        self.params = params
        self.optimizer = self._make(params)
        kept = [(p, k) for p, k in zip(old_params, keeps, strict=True) if k is not None]
        for (old_p, rows), new_p in zip(kept, params, strict=True):
            state = old.state.get(old_p)
            if not state:
                continue
            self.optimizer.state[new_p] = {
                k: (v[rows].clone() if isinstance(v, torch.Tensor) and v.dim() > 0 else v)
                for k, v in state.items()
            }


def _per_run(values: Sequence[float], like: torch.Tensor) -> torch.Tensor:
    return torch.tensor(list(values), dtype=like.dtype, device=like.device).view(-1, 1, 1)


class FusedStacked(StackedOptimizer):
    """Adam or AdamW with shared hyperparameters: torch's fused kernel, called directly.

    The same kernel with the same arguments and state as `torch.optim.Adam(fused=True)`
    (so the same numbers, tested), without the optimizer's per-step bookkeeping in
    Python, and with gradients handed over from `torch.autograd.grad`, so that no
    gradient buffer is zeroed and then accumulated into every step. On the 2-core CPU
    this took a stacked step of 3 × 384×512 from about 22 to about 18 ms.
    """

    takes_grads = True

    def __init__(self, params: list[torch.Tensor], spec: RunSpec) -> None:
        super().__init__(params)
        self.kernel = torch._fused_adamw_ if spec.optimizer == "adamw" else torch._fused_adam_
        self.lr, self.weight_decay = spec.lr, spec.weight_decay
        self.exp_avg = [torch.zeros_like(p) for p in params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in params]
        # torch keeps a fused optimizer's step count as a float32 tensor per parameter.
        self.steps = [torch.zeros((), dtype=torch.float32, device=p.device) for p in params]

    @staticmethod
    def available(device: torch.device, spec: RunSpec, capturable: bool) -> bool:
        """On the CPU for Adam and AdamW; CUDA keeps torch's (capturable) optimizer."""
        return (
            device.type == "cpu"
            and not capturable
            and spec.optimizer in ("adam", "adamw")
            and hasattr(torch, "_fused_adam_")
        )

    def step(self) -> None:
        self.apply([p.grad for p in self.params if p.grad is not None])

    @torch.no_grad()
    def apply(self, grads: Sequence[torch.Tensor]) -> None:
        torch._foreach_add_(self.steps, 1)
        self.kernel(
            self.params,
            list(grads),
            self.exp_avg,
            self.exp_avg_sq,
            [],
            self.steps,
            amsgrad=False,
            lr=self.lr,
            beta1=BETAS[0],
            beta2=BETAS[1],
            weight_decay=self.weight_decay,
            eps=EPS,
            maximize=False,
            grad_scale=None,
            found_inf=None,
        )

    def compact(self, keep: Keep, params: list[torch.Tensor]) -> None:
        keeps = per_parameter(keep, len(self.params))
        self.params = params
        self.exp_avg = [
            m[k].clone() for m, k in zip(self.exp_avg, keeps, strict=True) if k is not None
        ]
        self.exp_avg_sq = [
            v[k].clone() for v, k in zip(self.exp_avg_sq, keeps, strict=True) if k is not None
        ]
        self.steps = [t for t, k in zip(self.steps, keeps, strict=True) if k is not None]


class PerRunStacked(StackedOptimizer):
    """Adam, AdamW or SGD with per-run lr, weight decay and momentum, as torch computes them."""

    takes_grads = True

    def __init__(
        self,
        params: list[torch.Tensor],
        specs: Sequence[RunSpec],
        param_specs: Sequence[Sequence[RunSpec]] | None = None,
    ) -> None:
        super().__init__(params)
        self.kind = specs[0].optimizer
        # Each parameter's own runs: the blocks of a `BlockedMLP` stack different runs.
        runs = param_specs if param_specs is not None else [specs] * len(params)
        like = params[0]
        self.lr = [_per_run([s.lr for s in r], like) for r in runs]
        self.wd = [_per_run([s.weight_decay for s in r], like) for r in runs]
        self.momentum = [_per_run([s.momentum for s in r], like) for r in runs]
        self.steps = 0
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params] if self.kind != "sgd" else []

    def step(self) -> None:
        self.apply([p.grad for p in self.params if p.grad is not None])

    @torch.no_grad()
    def apply(self, grads: Sequence[torch.Tensor]) -> None:
        self.steps += 1
        t = self.steps
        for i, (p, grad) in enumerate(zip(self.params, grads, strict=True)):
            lr, wd = _fit(self.lr[i], p), _fit(self.wd[i], p)
            if self.kind == "sgd":
                grad = grad + wd * p
                # torch's first step copies the gradient into the buffer; m=0 then
                # momentum*0 + grad gives the same numbers.
                self.m[i].mul_(_fit(self.momentum[i], p)).add_(grad)
                p.sub_(lr * self.m[i])
                continue
            if self.kind == "adamw":
                p.mul_(1 - lr * wd)
            else:
                grad = grad + wd * p
            beta1, beta2 = BETAS
            self.m[i].lerp_(grad, 1 - beta1)
            self.v[i].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            step_size = lr / (1 - beta1**t)
            denom = (self.v[i].sqrt() / (1 - beta2**t) ** 0.5).add_(EPS)
            p.sub_(step_size * self.m[i] / denom)

    def compact(self, keep: Keep, params: list[torch.Tensor]) -> None:
        keeps = per_parameter(keep, len(self.params))
        self.params = params

        def kept(values: list[torch.Tensor]) -> list[torch.Tensor]:
            return [v[k].clone() for v, k in zip(values, keeps, strict=True) if k is not None]

        self.lr, self.wd, self.momentum = kept(self.lr), kept(self.wd), kept(self.momentum)
        self.m = kept(self.m)
        self.v = kept(self.v) if self.v else []


def _fit(values: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """(K, 1, 1) per-run values shaped to broadcast over a (K, ...) parameter."""
    return values.view(-1, *([1] * (p.dim() - 1)))


def shared_hyperparameters(specs: Sequence[RunSpec]) -> bool:
    """Whether every run of a group has the same learning rate, weight decay and momentum."""
    first = specs[0]
    return all(
        (s.lr, s.weight_decay, s.momentum) == (first.lr, first.weight_decay, first.momentum)
        for s in specs
    )


def make_stacked_optimizer(
    params: list[torch.Tensor],
    specs: Sequence[RunSpec],
    capturable: bool = False,
    param_specs: Sequence[Sequence[RunSpec]] | None = None,
) -> StackedOptimizer:
    """torch's optimizer (or its fused kernel) when the group agrees on its
    hyperparameters, else the per-run step (`param_specs`: each parameter's runs)."""
    if shared_hyperparameters(specs):
        if FusedStacked.available(params[0].device, specs[0], capturable):
            return FusedStacked(params, specs[0])
        return TorchStacked(params, specs[0], capturable)
    return PerRunStacked(params, specs, param_specs)

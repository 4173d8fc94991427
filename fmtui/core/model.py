"""Provides the MLP built from a run spec, with its own seeded random streams."""

from __future__ import annotations

import math

import torch
from torch import nn

from fmtui.core.spec import INPUT_SIZE, NUM_CLASSES, RunSpec, parameter_count

__all__ = ["INPUT_SIZE", "NUM_CLASSES", "build_model", "parameter_count"]


def activation(name: str) -> nn.Module:
    """The activation module for a spec's activation name."""
    return {
        "relu": nn.ReLU,
        "tanh": nn.Tanh,
        "gelu": nn.GELU,
        "sigmoid": nn.Sigmoid,
        "leaky_relu": nn.LeakyReLU,
    }[name]()


class SeededDropout(nn.Module):
    """Dropout drawing its masks from the run's generator.

    `nn.Dropout` uses the global RNG, which runs in parallel threads would share and
    so make each other irreproducible.
    """

    def __init__(self, p: float, generator: torch.Generator) -> None:
        super().__init__()
        self.p = p
        self.generator = generator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = torch.empty_like(x).bernoulli_(1.0 - self.p, generator=self.generator)
        return x * keep / (1.0 - self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"


def build_model(
    spec: RunSpec,
    init_generator: torch.Generator,
    dropout_generator: torch.Generator | None = None,
) -> nn.Sequential:
    """784 → hidden widths (activation, optional dropout) → 10 raw logits.

    Weights are drawn like `nn.Linear`'s default init but from `init_generator`,
    so a seed gives the same network whatever else the process is doing.
    """
    layers: list[nn.Module] = []
    fan_in = INPUT_SIZE
    for width in spec.layers:
        layers.append(_linear(fan_in, width, init_generator))
        layers.append(activation(spec.activation))
        if spec.dropout > 0:
            if dropout_generator is None:
                raise ValueError("a dropout generator is needed when dropout > 0")
            layers.append(SeededDropout(spec.dropout, dropout_generator))
        fan_in = width
    layers.append(_linear(fan_in, NUM_CLASSES, init_generator))
    return nn.Sequential(*layers)


def _linear(fan_in: int, fan_out: int, generator: torch.Generator) -> nn.Linear:
    layer = nn.Linear(fan_in, fan_out)
    with torch.no_grad():
        nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
        bound = 1.0 / math.sqrt(fan_in)
        layer.bias.uniform_(-bound, bound, generator=generator)
    return layer

"""fmtui: disciplined neural-network experiments on Fashion-MNIST, in the terminal."""

__version__ = "0.1.0"

"""Provides the headless core of fmtui: data, specs, model, training, journal and export.

Nothing under this package imports `textual`, so the CLI, the tests and the TUI all
run the same code.
"""

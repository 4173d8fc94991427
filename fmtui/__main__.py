"""Provides `python -m fmtui`."""

from fmtui.cli import main

raise SystemExit(main())

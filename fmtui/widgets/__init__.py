"""Provides reusable widgets."""

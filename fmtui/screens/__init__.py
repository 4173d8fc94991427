"""Provides the app's screens, one module each."""

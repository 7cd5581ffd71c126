"""Smoke tests at each hand-off, as stages that fail the run when they fail."""

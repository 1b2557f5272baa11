"""CLI commands for the suggest area (filled in by its issue)."""

from qualcode.cli.base import main  # noqa: F401

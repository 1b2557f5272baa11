"""CLI commands for the export area (filled in by its issue)."""

from qualcode.cli.base import main  # noqa: F401

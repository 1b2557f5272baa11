"""CLI commands for the ingest area (filled in by its issue)."""

from qualcode.cli.base import main  # noqa: F401

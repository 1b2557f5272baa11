"""CLI commands for the codebook area (filled in by its issue)."""

from qualcode.cli.base import main  # noqa: F401

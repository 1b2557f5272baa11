"""The one API that the UI, the CLI and Python users call.

Split by area (project, coding, ingest, codebook, suggest, analysis, export, team); each
module's functions take a :class:`ProjectContext` first.
"""

from qualcode.services.project import (
    DEFAULT_CODEBOOK,
    SAMPLE_DIR,
    ProjectContext,
    init_project,
    last_coder,
    list_coders,
    open_context,
    open_project,
    project_name,
    project_status,
    shipped_codebooks,
    working_coders,
)

__all__ = [
    "DEFAULT_CODEBOOK", "SAMPLE_DIR", "ProjectContext", "init_project", "last_coder", "list_coders",
    "open_context", "open_project", "project_name", "project_status", "shipped_codebooks",
    "working_coders",
]

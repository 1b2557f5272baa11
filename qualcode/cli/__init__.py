"""The ``qualcode`` command: thin wrappers over :mod:`qualcode.services`.

Each area's commands live in their own module and register on :data:`main`.
"""

from qualcode.cli.base import add_global_options, main, run

# Register the command modules (each adds its commands to ``main``).
from qualcode.cli import project_cmds  # noqa: E402,F401
from qualcode.cli import ingest_cmds  # noqa: E402,F401
from qualcode.cli import codebook_cmds  # noqa: E402,F401
from qualcode.cli import suggest_cmds  # noqa: E402,F401
from qualcode.cli import export_cmds  # noqa: E402,F401
from qualcode.cli import team_cmds  # noqa: E402,F401
from qualcode.cli import survey_cmds  # noqa: E402,F401

add_global_options(main)

__all__ = ["main", "run"]

"""Persistence: the only package that imports SQLAlchemy.

Submodules are split by noun (documents, codes, coding, audit, cache, meta); each holds
functions ``(session, ...) -> core objects``. :class:`Database` opens and migrates a project.
"""

from qualcode.storage.db import Database, project_url

__all__ = ["Database", "project_url"]

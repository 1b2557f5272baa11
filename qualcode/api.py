"""Python API for researchers: a project as pandas DataFrames (filled in by the themes issue)."""

from __future__ import annotations

from qualcode import services


class Project:
    """An open project. ``qualcode.open_project(path_or_url)`` returns one."""

    def __init__(self, ctx: services.ProjectContext) -> None:
        self.ctx = ctx

    @classmethod
    def open(cls, path_or_url: str, *, coder: str | None = None) -> "Project":
        return cls(services.open_project(path_or_url, coder=coder))

    def status(self) -> dict:
        return services.project_status(self.ctx)

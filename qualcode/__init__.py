"""qualcode: local-first coding of qualitative interviews and focus groups.

Python users start with :func:`open_project`::

    import qualcode
    p = qualcode.open_project("my-study")
    p.frequencies(by="year")
"""

__version__ = "0.1.0"


def open_project(path_or_url: str, **kw):
    """Open a project folder or database URL and return a :class:`qualcode.api.Project`."""
    from qualcode.api import Project

    return Project.open(path_or_url, **kw)


__all__ = ["open_project", "__version__"]

"""Small wording helpers shared by the layers that write sentences for people (the report,
the services' notes, the UI)."""

from __future__ import annotations


def plural(n: int, unit: str) -> str:
    """``n`` and ``unit``, with an "s" unless there is one.

    >>> plural(1, "file"), plural(3, "document")
    ('1 file', '3 documents')
    """
    return f"{n} {unit}{'s' * (n != 1)}"

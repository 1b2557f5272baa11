"""Long id lists split for ``IN (...)`` queries."""

from __future__ import annotations

from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")

CHUNK = 500  # ids per IN (...) list, well under every backend's parameter limit


def chunks(ids: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """``ids`` in lists of at most ``size``."""
    ids = list(ids)
    for i in range(0, len(ids), size):
        yield ids[i:i + size]

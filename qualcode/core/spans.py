"""Selections of text and the excerpts they cover (pure functions, code-point offsets).

A coder selects any passage of a transcript: inside a sentence, across sentences or across
turns. Coding works per excerpt (frequencies count excerpts), so a selection is cut into the
exact sub-range of each excerpt it covers; text between excerpts (spaces, line breaks) is
left out.

>>> cover([(1, 0, 10), (2, 11, 20), (3, 21, 30)], 5, 15)
[(1, 5, 10), (2, 11, 15)]
>>> cover([(1, 0, 10)], 10, 12)
[]
"""

from __future__ import annotations

from typing import Iterable


def cover(excerpts: Iterable[tuple[int, int, int]], start: int, end: int) -> list[tuple[int, int, int]]:
    """The pieces ``(excerpt_id, piece_start, piece_end)`` of ``[start, end)`` inside excerpts.

    ``excerpts`` are ``(id, start, end)`` with document offsets (end exclusive); the result is in
    document order and never holds an empty piece.
    """
    if end < start:
        start, end = end, start
    pieces = []
    for ex_id, ex_start, ex_end in sorted(excerpts, key=lambda e: (e[1], e[2])):
        s, e = max(start, ex_start), min(end, ex_end)
        if s < e:
            pieces.append((ex_id, s, e))
    return pieces


def trim(text: str, start: int, end: int, *, base: int = 0) -> tuple[int, int]:
    """Shrink ``[start, end)`` past white space at both ends (``text`` starts at offset ``base``).

    A mouse selection often takes the space after a word; the coding keeps the words.

    >>> trim("  trust me ", 0, 11)
    (2, 10)
    >>> trim("abc", 1, 1)
    (1, 1)
    """
    while start < end and text[start - base].isspace():
        start += 1
    while end > start and text[end - 1 - base].isspace():
        end -= 1
    return start, end

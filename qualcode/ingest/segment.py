"""Excerpts: sentences (spaCy blank English + sentencizer) or whole turns.

Sentences never cross a paragraph break inside a turn, and each excerpt is trimmed of
surrounding whitespace, so ``text[start:end]`` is exactly the excerpt. Pieces with no
letter or digit (a lone dash, "...") are not excerpts.

>>> [e.text for e in segment_spans("Hi there. We met twice!\\nThen stopped.", [(0, 37, 0)])]
['Hi there.', 'We met twice!', 'Then stopped.']
"""

from __future__ import annotations

import re
import threading
from typing import Iterable

from qualcode.core import Excerpt

UNITS = ("sentence", "turn")
_NLP = None
_LOCK = threading.Lock()
_HAS_WORD = re.compile(r"\w")
# spaCy refuses texts over nlp.max_length (1,000,000 characters, error E088). A paragraph
# longer than this is cut into pieces at a sentence end or a space before it is sentencized;
# offsets stay exact because each piece keeps its start in the document.
MAX_PIECE = 100_000
_CUT = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*\s+")


def blank_pipeline(lang: str = "en"):
    """A new blank spaCy pipeline. spaCy is imported under the same lock as the sentencizer:
    two threads importing it at once (the app's background learner and a page) can see a
    half-imported module ("module 'spacy' has no attribute 'blank'")."""
    with _LOCK:
        import spacy

        return spacy.blank(lang)


def sentencizer():
    """The shared spaCy pipeline (built once per process, on first use)."""
    global _NLP
    if _NLP is None:
        with _LOCK:
            if _NLP is None:
                import spacy

                nlp = spacy.blank("en")
                nlp.add_pipe("sentencizer")
                _NLP = nlp
    return _NLP


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _paragraphs(text: str, start: int, end: int) -> Iterable[tuple[int, int]]:
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl == -1 else nl
        s, e = _trimmed(text, pos, stop)
        if e > s:
            yield s, e
        pos = stop + 1


def segment_spans(text: str, turns: list[tuple[int, int, int]], *, unit: str = "sentence",
                  codable: dict[int, bool] | None = None) -> list[Excerpt]:
    """Excerpts over ``turns`` given as (start, end, turn_order) spans of ``text``."""
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, not {unit!r}")
    codable = codable or {}
    out: list[Excerpt] = []

    def add(s: int, e: int, order: int) -> None:
        s, e = _trimmed(text, s, e)
        if e > s and _HAS_WORD.search(text, s, e):
            out.append(Excerpt(start=s, end=e, text=text[s:e], turn_order=order, order=len(out),
                               codable=codable.get(order, True)))

    if unit == "turn":
        for start, end, order in turns:
            add(start, end, order)
        return out
    pieces = [(a, b, order) for start, end, order in turns for s, e in _paragraphs(text, start, end)
              for a, b in _bounded(text, s, e)]
    nlp = sentencizer()
    for (s, e, order), doc in zip(pieces, nlp.pipe(text[s:e] for s, e, _ in pieces)):
        bounds = _fix_bounds(text, [s + sent.start_char for sent in doc.sents] + [e])
        for a, b in zip(bounds, bounds[1:]):
            add(a, b, order)
    return out


def _bounded(text: str, start: int, end: int, limit: int = MAX_PIECE) -> Iterable[tuple[int, int]]:
    """(start, end) pieces of at most ``limit`` characters, cut after a sentence end if there is
    one in the second half of the window, else at the last whitespace, else hard."""
    while end - start > limit:
        window_end = start + limit
        cut = None
        for m in _CUT.finditer(text, start + limit // 2, window_end):
            cut = m.end()
        if cut is None:
            ws = max(text.rfind(" ", start + 1, window_end), text.rfind("\t", start + 1, window_end))
            cut = ws + 1 if ws > start else window_end
        yield start, cut
        start = cut
    if end > start:
        yield start, end


def _fix_bounds(text: str, bounds: list[int]) -> list[int]:
    """Move a boundary that leaves an opening bracket or quote at a sentence's end.

    The sentencizer keeps punctuation after a full stop with the sentence before it, which
    cuts "you. [laughter] No" into "you. [" and "laughter] No"; the bracket belongs after.
    """
    out = list(bounds)
    for i in range(1, len(out) - 1):
        j = out[i]
        k = j
        while k > out[i - 1] and text[k - 1].isspace():
            k -= 1
        while k > out[i - 1] and text[k - 1] in _OPENERS:
            k -= 1
        out[i] = k if k > out[i - 1] else j
    return out


_OPENERS = "[({\u201c\u2018"

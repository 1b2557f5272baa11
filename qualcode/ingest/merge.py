"""One person, several labels: ``JOHN SMITH``, ``John`` and ``Speaker 1`` in one transcript.

Transcription services and caption tools write the same speaker several ways. These pure
functions propose which labels may be one person and relabel a raw transcript; the coder
decides (import preview, Documents page, ``qualcode speakers merge``).

>>> merge_candidates(["ALICIA GRANT", "JOHN SMITH", "John", "Speaker 1", "john smith"])
[['JOHN SMITH', 'John', 'john smith']]
>>> merge_candidates(["Marisol Quintero", "Ben", "Marisol Quintero (2)"])  # Zoom: rejoined from a phone
[['Marisol Quintero', 'Marisol Quintero (2)']]
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Iterable, Sequence

from qualcode.errors import IngestError
from qualcode.ingest.model import RawTranscript
from qualcode.ingest.speakers import is_generic_label


_COPY = re.compile(r"\(\d{1,3}\)")  # Zoom's "Name (2)": the same person joined twice


def _words(label: str) -> list[str]:
    words = [w.casefold() for w in label.split()]
    return words[:-1] if len(words) > 1 and _COPY.fullmatch(words[-1]) else words


def merge_candidates(labels: Iterable[str]) -> list[list[str]]:
    """Groups of labels that may name one person: the same name in another case, a first
    name alone next to the full name (``John`` / ``JOHN SMITH``), or Zoom's second copy of
    a name (``Ana (2)``). Role labels and numbered speakers (``Speaker 1``) are not
    guessed: only the coder can tell who they are.
    """
    labels = list(dict.fromkeys(labels))
    named = [lab for lab in labels if not is_generic_label(lab) and lab.split()]
    groups: list[list[str]] = []
    placed: set[str] = set()
    for full in sorted(named, key=lambda x: -len(x.split())):
        if full in placed:
            continue
        words = _words(full)
        group = [full]
        for other in named:
            if other == full or other in placed:
                continue
            ow = _words(other)
            if ow == words or (len(ow) == 1 and len(words) > 1 and ow[0] == words[0]):
                group.append(other)
        if len(group) > 1:
            placed.update(group)
            groups.append(sorted(group, key=labels.index))
    return sorted(groups, key=lambda g: labels.index(g[0]))


def merge_raw(raw: RawTranscript, labels: Sequence[str], into: str) -> RawTranscript:
    """``raw`` with the turns of every label in ``labels`` given to ``into`` (the text and
    the times are untouched). ``into`` may be one of ``labels`` or a new spelling."""
    into = " ".join(into.split())
    if not into:
        raise IngestError("the merged speaker needs a name", hint="type the name to keep")
    present = {t.speaker for t in raw.turns}
    missing = [lab for lab in labels if lab not in present]
    if missing:
        raise IngestError(f"no speaker {missing[0]!r} in this transcript",
                          hint="pick speakers from the list of this transcript's speakers")
    moved = set(labels)
    role = raw.roles.get(into) or next((raw.roles[lab] for lab in labels if lab in raw.roles), None)
    roles = {k: v for k, v in raw.roles.items() if k not in moved}
    if role is not None:
        roles[into] = role
    turns = [replace(t, speaker=into) if t.speaker in moved else t for t in raw.turns]
    return replace(raw, turns=turns, roles=roles)

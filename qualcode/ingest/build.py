"""Lay a raw transcript out into the stored plain text and compute every offset.

The stored text reads like a transcript: an optional header, then one paragraph block per
turn, ``Label: speech``, turns separated by a blank line (unlabelled files get no label).
A turn's ``start``/``end`` cover its speech only, not the label, so a turn's text and the
excerpts inside it are exactly the words spoken.

>>> from qualcode.ingest.model import RawTranscript, RawTurn
>>> doc = build_document(RawTranscript([RawTurn("Q", "Why?"), RawTurn("A", "Trust. Time.")]), name="x")
>>> doc.text
'Q: Why?\\n\\nA: Trust. Time.'
>>> [(e.text, e.codable) for e in doc.excerpts]
[('Why?', False), ('Trust.', True), ('Time.', True)]
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Mapping

from qualcode.core import DEFAULT_CODED_ROLES, Attribute, Document, Role, Speaker, Turn, is_coded
from qualcode.ingest.model import RawTranscript
from qualcode.ingest.segment import segment_spans
from qualcode.ingest.speakers import role_for_label

DEFAULT_CODABLE_ROLES = DEFAULT_CODED_ROLES  # the one rule lives in core.is_coded


def speaker_roles(raw: RawTranscript, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Role per label: explicit overrides, then what the reader knew, then the label's guess."""
    roles: dict[str, str] = {}
    for t in raw.turns:
        if t.speaker in roles:
            continue
        if overrides and t.speaker in overrides:
            roles[t.speaker] = Role(overrides[t.speaker]).value
        elif t.speaker in raw.roles:
            roles[t.speaker] = raw.roles[t.speaker]
        elif not t.labelled:
            roles[t.speaker] = Role.UNKNOWN.value
        else:
            roles[t.speaker] = role_for_label(t.speaker)
    return roles


def build_document(
    raw: RawTranscript,
    *,
    name: str,
    source_filename: str = "",
    fmt: str = "txt",
    unit: str = "sentence",
    codable_roles: Iterable[str] = DEFAULT_CODABLE_ROLES,
    roles: Mapping[str, str] | None = None,
) -> Document:
    """The :class:`Document` for ``raw``: text, speakers, turns and excerpts, offsets exact."""
    # One speaker per name whatever the case ("MARIA LOPEZ" and "Maria Lopez"): first spelling wins.
    canonical: dict[str, str] = {}
    for t in raw.turns:
        canonical.setdefault(t.speaker.casefold(), t.speaker)
    if len(canonical) < len({t.speaker for t in raw.turns}):
        raw = replace(raw, turns=[replace(t, speaker=canonical[t.speaker.casefold()]) for t in raw.turns],
                      roles={canonical.get(k.casefold(), k): v for k, v in raw.roles.items()})
    role_of = speaker_roles(raw, roles)
    codable_roles = set(codable_roles)
    parts: list[str] = []
    length = 0

    def put(s: str) -> None:
        nonlocal length
        parts.append(s)
        length += len(s)

    header = raw.header.strip()
    if header:
        put(header)
    turns: list[Turn] = []
    for t in raw.turns:
        speech = t.text.strip()
        if not speech:
            continue
        if length:
            put("\n\n")
        if t.labelled:
            put(f"{t.speaker}: ")
        start = length
        put(speech)
        turns.append(Turn(speaker=t.speaker, order=len(turns), start=start, end=length,
                          start_ms=t.start_ms, end_ms=t.end_ms))
    text = "".join(parts)
    codable = {t.order: is_coded(role_of.get(t.speaker), codable_roles) for t in turns}
    excerpts = segment_spans(text, [(t.start, t.end, t.order) for t in turns], unit=unit, codable=codable)
    speakers = [Speaker(label=label, role=Role(role_of[label])) for label in dict.fromkeys(t.speaker for t in turns)]
    doc = Document(name=name, text=text, source_filename=source_filename, format=fmt,
                   speakers=speakers, turns=turns, excerpts=excerpts)
    # Facts from the file's header (project, duration, Otter's keywords) as document attributes.
    for key, value in raw.metadata.items():
        doc.attributes.setdefault(key, Attribute(key, value))
    doc.check_offsets()
    return doc

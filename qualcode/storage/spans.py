"""Queries for coding a selection: the excerpts a range of a document touches."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qualcode.errors import NotFoundError
from qualcode.storage.models import DocumentRow, ExcerptRow, SpeakerRow, TurnRow


def excerpts_in_range(s: Session, document_id: int, start: int, end: int) -> list[dict[str, Any]]:
    """Excerpts of a document overlapping ``[start, end)``, in order, with their speaker."""
    q = (select(ExcerptRow.id, ExcerptRow.start, ExcerptRow.end, ExcerptRow.codable, TurnRow.order,
                SpeakerRow.label)
         .outerjoin(TurnRow, TurnRow.id == ExcerptRow.turn_id)
         .outerjoin(SpeakerRow, SpeakerRow.id == TurnRow.speaker_id)
         .where(ExcerptRow.document_id == document_id, ExcerptRow.start < end, ExcerptRow.end > start)
         .order_by(ExcerptRow.start))
    return [{"id": i, "start": a, "end": b, "codable": bool(c), "turn": t, "speaker": sp}
            for i, a, b, c, t, sp in s.execute(q).all()]


def document_text(s: Session, document_id: int) -> str:
    """The stored plain text of a document (all offsets count into it)."""
    text = s.scalar(select(DocumentRow.text).where(DocumentRow.id == document_id))
    if text is None:
        raise NotFoundError(f"no document with id {document_id}", hint="pick a document from the list")
    return text


def codable_excerpts(s: Session, excerpt_ids: list[int]) -> dict[int, bool]:
    """``{excerpt id: codable}`` for those of ``excerpt_ids`` still in the project."""
    from qualcode.storage.chunks import chunks

    out: dict[int, bool] = {}
    for part in chunks(sorted(set(excerpt_ids)), 900):
        out.update((i, bool(c)) for i, c in s.execute(select(ExcerptRow.id, ExcerptRow.codable)
                                                      .where(ExcerptRow.id.in_(part))).all())
    return out

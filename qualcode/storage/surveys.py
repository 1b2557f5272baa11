"""Surveys: respondents are documents of format ``survey`` carrying a ``survey`` attribute.

The grid on the Code page reads one survey in a handful of queries whatever its size:
every answer (excerpt) with its respondent's document and question (speaker label), the
respondents' attributes, and this coder's codings, pending suggestions and reviews.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from qualcode.storage.models import (
    CodingRow,
    DocumentAttributeRow,
    DocumentRow,
    ExcerptRow,
    ReviewRow,
    SpeakerRow,
    SuggestionRow,
    TurnRow,
)

SURVEY_FORMAT = "survey"


def _survey_docs(name: str):
    return (select(DocumentAttributeRow.document_id)
            .join(DocumentRow, DocumentRow.id == DocumentAttributeRow.document_id)
            .where(DocumentAttributeRow.key == "survey", DocumentAttributeRow.value == name,
                   DocumentRow.format == SURVEY_FORMAT))


def survey_names(s: Session) -> dict[str, int]:
    """Survey name -> number of respondents (documents), for every survey in the project."""
    q = (select(DocumentAttributeRow.value, func.count())
         .join(DocumentRow, DocumentRow.id == DocumentAttributeRow.document_id)
         .where(DocumentAttributeRow.key == "survey", DocumentRow.format == SURVEY_FORMAT)
         .group_by(DocumentAttributeRow.value).order_by(DocumentAttributeRow.value))
    return {name: int(n) for name, n in s.execute(q).all()}


def survey_document_ids(s: Session, name: str) -> list[int]:
    return list(s.scalars(_survey_docs(name)))


def delete_survey(s: Session, name: str) -> int:
    """Delete every respondent document of survey ``name`` (codings included); returns how many."""
    ids = survey_document_ids(s, name)
    if ids:
        s.execute(delete(DocumentRow).where(DocumentRow.id.in_(ids)))
    return len(ids)


def grid_rows(s: Session, name: str, *, coder_id: int | None) -> dict[str, Any]:
    """The survey's answers and what this coder did with them.

    Returns ``{"answers": [(excerpt_id, document_id, start, text, question, codable)],
    "attributes": [(document_id, key, value)], "codings": [(excerpt_id, code_id)],
    "pending": [(excerpt_id, count)], "reviewed": [excerpt_id]}``.
    """
    docs = _survey_docs(name)
    answers = s.execute(
        select(ExcerptRow.id, ExcerptRow.document_id, ExcerptRow.start, ExcerptRow.text, SpeakerRow.label,
               ExcerptRow.codable)
        .join(TurnRow, TurnRow.id == ExcerptRow.turn_id)
        .join(SpeakerRow, SpeakerRow.id == TurnRow.speaker_id)
        .where(ExcerptRow.document_id.in_(docs))
        .order_by(ExcerptRow.document_id, ExcerptRow.order)).all()
    attrs = s.execute(select(DocumentAttributeRow.document_id, DocumentAttributeRow.key, DocumentAttributeRow.value)
                      .where(DocumentAttributeRow.document_id.in_(docs))).all()
    ex = select(ExcerptRow.id).where(ExcerptRow.document_id.in_(docs))
    cq = select(CodingRow.excerpt_id, CodingRow.code_id).where(CodingRow.excerpt_id.in_(ex))
    if coder_id is not None:
        cq = cq.where(CodingRow.coder_id == coder_id)
    pending = s.execute(select(SuggestionRow.excerpt_id, func.count())
                        .where(SuggestionRow.status == "pending", SuggestionRow.excerpt_id.in_(ex))
                        .group_by(SuggestionRow.excerpt_id)).all()
    rq = select(ReviewRow.excerpt_id).where(ReviewRow.excerpt_id.in_(ex))
    if coder_id is not None:
        rq = rq.where(ReviewRow.coder_id == coder_id)
    return {"answers": [tuple(r) for r in answers], "attributes": [tuple(r) for r in attrs],
            "codings": [tuple(r) for r in s.execute(cq).all()], "pending": [tuple(r) for r in pending],
            "reviewed": list(s.scalars(rq))}


__all__ = ["delete_survey", "grid_rows", "survey_document_ids", "survey_names"]

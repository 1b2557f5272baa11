"""Read-only aggregates for the app's overview screens (a few SQL queries each).

Owned by the UI area; only :mod:`qualcode.services.ui_support` calls these.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qualcode.storage.chunks import chunks
from qualcode.storage.coding import open_for
from qualcode.storage.models import (
    CoderRow,
    CodingRow,
    DocumentRow,
    ExcerptRow,
    ReviewRow,
    SuggestionRow,
)


def review_progress(s: Session) -> list[dict[str, Any]]:
    """Per document: codable excerpts, and how many each coder has reviewed, and coded (codings
    imported from another tool carry no review mark); its format (``survey`` for a respondent).

    Four grouped queries whatever the project size.
    """
    codable = dict(s.execute(
        select(ExcerptRow.document_id, func.count()).where(ExcerptRow.codable.is_(True))
        .group_by(ExcerptRow.document_id)).all())
    pending = dict(s.execute(
        select(ExcerptRow.document_id, func.count()).join(SuggestionRow, SuggestionRow.excerpt_id == ExcerptRow.id)
        .where(SuggestionRow.status == "pending").group_by(ExcerptRow.document_id)).all())
    reviewed: dict[int, dict[str, int]] = {}
    for doc_id, coder, n in s.execute(
        select(ExcerptRow.document_id, CoderRow.name, func.count())
        .join(ReviewRow, ReviewRow.excerpt_id == ExcerptRow.id)
        .join(CoderRow, CoderRow.id == ReviewRow.coder_id)
        .group_by(ExcerptRow.document_id, CoderRow.name)):
        reviewed.setdefault(doc_id, {})[coder] = int(n)
    coded: dict[int, dict[str, int]] = {}
    for doc_id, coder, n in s.execute(
        select(ExcerptRow.document_id, CoderRow.name, func.count(func.distinct(ExcerptRow.id)))
        .join(CodingRow, CodingRow.excerpt_id == ExcerptRow.id)
        .join(CoderRow, CoderRow.id == CodingRow.coder_id)
        .group_by(ExcerptRow.document_id, CoderRow.name)):
        coded.setdefault(doc_id, {})[coder] = int(n)
    out = []
    for doc_id, name, fmt in s.execute(select(DocumentRow.id, DocumentRow.name, DocumentRow.format)
                                       .order_by(DocumentRow.id)):
        out.append({"id": doc_id, "name": name, "format": fmt, "codable": int(codable.get(doc_id, 0)),
                    "pending": int(pending.get(doc_id, 0)), "reviewed": reviewed.get(doc_id, {}),
                    "coded": coded.get(doc_id, {})})
    return out


def excerpts_with_code(s: Session, code_id: str, *, limit: int = 200) -> list[dict[str, Any]]:
    """The spans coded with ``code_id`` (any coder), with their document and coder."""
    q = (select(CodingRow.id, CodingRow.start, CodingRow.end, CodingRow.origin, CoderRow.name,
                DocumentRow.id, DocumentRow.name, ExcerptRow.id, ExcerptRow.start, ExcerptRow.text)
         .join(ExcerptRow, ExcerptRow.id == CodingRow.excerpt_id)
         .join(DocumentRow, DocumentRow.id == ExcerptRow.document_id)
         .join(CoderRow, CoderRow.id == CodingRow.coder_id)
         .where(CodingRow.code_id == code_id).order_by(DocumentRow.id, CodingRow.start).limit(limit))
    out = []
    for cid, start, end, origin, coder, doc_id, doc_name, ex_id, ex_start, ex_text in s.execute(q):
        out.append({"coding_id": cid, "document_id": doc_id, "document": doc_name, "excerpt_id": ex_id,
                    "coder": coder, "origin": origin,
                    "text": ex_text[start - ex_start:end - ex_start]})
    return out


def open_per_document(s: Session, coder_id: int) -> dict[int, int]:
    """Document id -> suggestions still open for this coder there (``coding.open_for``: what
    their Code page offers)."""
    excerpts = [e for _i, e, _c in open_for(s, coder_id)]
    doc_of: dict[int, int] = {}
    for chunk in chunks(sorted(set(excerpts))):
        doc_of.update(s.execute(select(ExcerptRow.id, ExcerptRow.document_id).where(ExcerptRow.id.in_(chunk))).all())
    out: dict[int, int] = {}
    for e in excerpts:
        out[doc_of[e]] = out.get(doc_of[e], 0) + 1
    return out


def excerpt_document(s: Session, excerpt_id: int) -> int | None:
    return s.scalar(select(ExcerptRow.document_id).where(ExcerptRow.id == excerpt_id))

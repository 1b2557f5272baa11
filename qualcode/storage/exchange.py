"""Bulk writes for imports (.qdpx projects, coded-excerpt spreadsheets).

All functions run inside the caller's transaction, so an import lands whole or not at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from qualcode.core import Codebook
from qualcode.storage import codes as code_store
from qualcode.storage.models import (
    CodeRow,
    CodingRow,
    DocumentRow,
    ExcerptRow,
    MemoRow,
    PseudonymRow,
    SuggestionRow,
)


def is_empty(s: Session) -> bool:
    """True when the project holds no documents, codings, suggestions or memos."""
    for model in (DocumentRow, CodingRow, SuggestionRow, MemoRow):
        if s.scalar(select(func.count()).select_from(model)):
            return False
    return True


def replace_codebook(s: Session, cb: Codebook) -> None:
    """Make the project's codebook exactly ``cb`` (only for a project without codings:
    codes not in ``cb`` are deleted)."""
    keep = {c.id for c in cb.codes}
    code_store.save_codebook(s, cb)
    drop = [cid for cid in s.scalars(select(CodeRow.id)) if cid not in keep]
    # children before parents
    while drop:
        leaves = [cid for cid in drop if not s.scalar(
            select(func.count()).select_from(CodeRow).where(CodeRow.parent_id == cid))]
        if not leaves:
            s.execute(CodeRow.__table__.update().where(CodeRow.id.in_(drop)).values(parent_id=None))
            leaves = list(drop)
        s.execute(delete(CodeRow).where(CodeRow.id.in_(leaves)))
        drop = [cid for cid in drop if cid not in leaves]
    s.flush()


def excerpt_index(s: Session, document_ids: Iterable[int] | None = None) -> dict[tuple[int, int], tuple[int, int, int]]:
    """(document id, excerpt order) -> (excerpt id, start, end)."""
    q = select(ExcerptRow.document_id, ExcerptRow.order, ExcerptRow.id, ExcerptRow.start, ExcerptRow.end)
    if document_ids is not None:
        q = q.where(ExcerptRow.document_id.in_(list(document_ids)))
    return {(d, o): (i, a, b) for d, o, i, a, b in s.execute(q)}


def document_spans(s: Session) -> dict[int, list[tuple[int, int, int, int]]]:
    """document id -> [(start, end, excerpt id, order)] sorted by start."""
    out: dict[int, list[tuple[int, int, int, int]]] = {}
    for d, a, b, i, o in s.execute(select(ExcerptRow.document_id, ExcerptRow.start, ExcerptRow.end,
                                          ExcerptRow.id, ExcerptRow.order).order_by(ExcerptRow.start)):
        out.setdefault(d, []).append((a, b, i, o))
    return out


def documents_by_name(s: Session) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i, name in s.execute(select(DocumentRow.id, DocumentRow.name)):
        out.setdefault(name, []).append(i)
    return out


def existing_codings(s: Session) -> set[tuple[int, str, int, int, int]]:
    """Keys (excerpt, code, coder, start, end) of every coding."""
    return set(s.execute(select(CodingRow.excerpt_id, CodingRow.code_id, CodingRow.coder_id,
                                CodingRow.start, CodingRow.end)).all())


def bulk_add_codings(s: Session, rows: list[dict]) -> int:
    """Insert codings (dicts with excerpt_id, code_id, coder_id, start, end, origin and
    optionally created_at) in one executemany, skipping ones that exist. Returns how many."""
    have = existing_codings(s)
    fresh, seen = [], set()
    for r in rows:
        key = (r["excerpt_id"], r["code_id"], r["coder_id"], r["start"], r["end"])
        if key in have or key in seen:
            continue
        seen.add(key)
        row = {k: r[k] for k in ("excerpt_id", "code_id", "coder_id", "start", "end", "origin")}
        row["created_at"] = r.get("created_at") or datetime.now().astimezone()
        row["suggestion_id"] = None
        fresh.append(row)
    if fresh:
        s.execute(insert(CodingRow), fresh)
    s.flush()
    return len(fresh)


def add_memo_at(s: Session, text: str, coder_id: int, *, created_at: datetime | None = None,
                excerpt_id: int | None = None, document_id: int | None = None, code_id: str | None = None) -> int:
    row = MemoRow(text=text, coder_id=coder_id, excerpt_id=excerpt_id, document_id=document_id, code_id=code_id)
    if created_at is not None:
        row.created_at = created_at
        row.updated_at = created_at
    s.add(row)
    s.flush()
    return row.id


def pseudonym_key(s: Session) -> list[tuple[str, str, str]]:
    """The de-identification key (kind, real, pseudonym). Only for an explicit request."""
    return [tuple(r) for r in s.execute(select(PseudonymRow.kind, PseudonymRow.real, PseudonymRow.pseudonym)
                                        .order_by(PseudonymRow.kind, PseudonymRow.real)).all()]

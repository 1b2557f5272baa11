"""Bulk writes for imports (.qdpx projects, coded-excerpt spreadsheets).

All functions run inside the caller's transaction, so an import lands whole or not at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import delete, func, insert, select, tuple_
from sqlalchemy.orm import Session

from qualcode.core import Codebook
from qualcode.storage import codes as code_store
from qualcode.storage.chunks import chunks
from qualcode.storage.models import (
    CodeRow,
    CoderRow,
    CodingRow,
    DocumentRow,
    ExcerptRow,
    MemoRow,
    PseudonymRow,
    ReviewRow,
    SuggestionRow,
)

#: Which excerpts count as reviewed by a coder whose codings are imported (work coded in
#: another program or a spreadsheet has no "done" marks): every codable excerpt of each
#: document their codings touch, only the excerpts they coded, or none.
REVIEW_RULES = ("documents", "excerpts", "none")


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


def coding_ids(s: Session) -> dict[tuple[int, str, int, int, int], int]:
    """(excerpt, code, coder, start, end) -> coding id, for every coding."""
    return {(e, c, u, a, b): i for i, e, c, u, a, b in s.execute(
        select(CodingRow.id, CodingRow.excerpt_id, CodingRow.code_id, CodingRow.coder_id, CodingRow.start,
               CodingRow.end))}


def add_memo_at(s: Session, text: str, coder_id: int, *, created_at: datetime | None = None,
                excerpt_id: int | None = None, document_id: int | None = None, code_id: str | None = None,
                coding_id: int | None = None) -> int:
    """A memo as imported; a memo on a coding (``coding_id``) also names the coding's excerpt."""
    row = MemoRow(text=text, coder_id=coder_id, excerpt_id=excerpt_id, document_id=document_id, code_id=code_id,
                  coding_id=coding_id)
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


# ---- merging another project's work (services.merge) ------------------------------------

def document_hashes(s: Session) -> dict[str, int]:
    """content hash -> document id."""
    return {h: i for i, h in s.execute(select(DocumentRow.id, DocumentRow.content_hash))}


def document_names_and_texts(s: Session) -> list[tuple[int, str, str]]:
    """(id, name, text) of every document: what a merge matches the file's documents with
    when their content hashes differ."""
    return [tuple(r) for r in s.execute(select(DocumentRow.id, DocumentRow.name, DocumentRow.text))]


def document_texts(s: Session, doc_ids: Iterable[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for part in chunks(doc_ids):
        out.update(dict(s.execute(select(DocumentRow.id, DocumentRow.text).where(DocumentRow.id.in_(part))).all()))
    return out


def insert_codings(s: Session, rows: list[dict]) -> tuple[list[int], int]:
    """Insert the codings of ``rows`` that are not there yet (same excerpt, code, coder and
    span). Returns (ids of the new codings, how many were already there)."""
    have = existing_codings(s)
    fresh, seen, already = [], set(), 0
    for r in rows:
        key = (r["excerpt_id"], r["code_id"], r["coder_id"], r["start"], r["end"])
        if key in seen:
            continue
        seen.add(key)
        if key in have:
            already += 1
            continue
        fresh.append(CodingRow(excerpt_id=r["excerpt_id"], code_id=r["code_id"], coder_id=r["coder_id"],
                               start=r["start"], end=r["end"], origin=r["origin"], suggestion_id=None,
                               created_at=r.get("created_at") or datetime.now().astimezone()))
    s.add_all(fresh)
    s.flush()
    return [r.id for r in fresh], already


def excerpt_docs(s: Session, excerpt_ids: Iterable[int]) -> dict[int, int]:
    """excerpt id -> document id."""
    out: dict[int, int] = {}
    for part in chunks(set(excerpt_ids)):
        out.update(dict(s.execute(select(ExcerptRow.id, ExcerptRow.document_id).where(ExcerptRow.id.in_(part))).all()))
    return out


def codable_excerpts(s: Session, doc_ids: Iterable[int]) -> dict[int, list[int]]:
    """document id -> ids of its codable excerpts."""
    out: dict[int, list[int]] = {}
    for part in chunks(set(doc_ids)):
        for d, e in s.execute(select(ExcerptRow.document_id, ExcerptRow.id)
                              .where(ExcerptRow.document_id.in_(part), ExcerptRow.codable.is_(True))):
            out.setdefault(d, []).append(e)
    return out


def review_pairs(s: Session, coded: Iterable[tuple[int, int]], rule: str) -> set[tuple[int, int]]:
    """The (excerpt id, coder id) reviews that imported codings ``coded`` (excerpt id,
    coder id) stand for, by ``rule`` (see :data:`REVIEW_RULES`). The one place this rule lives."""
    coded = set(coded)
    if rule == "none" or not coded:
        return set()
    if rule == "excerpts":
        return coded
    doc_of = excerpt_docs(s, (e for e, _ in coded))
    wanted: dict[int, set[int]] = {}
    for e, c in coded:
        wanted.setdefault(c, set()).add(doc_of[e])
    codable = codable_excerpts(s, set().union(*wanted.values()))
    out = set(coded)
    for c, docs in wanted.items():
        for d in docs:
            out.update((e, c) for e in codable.get(d, []))
    return out


def add_reviews(s: Session, pairs: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Mark (excerpt id, coder id) pairs reviewed; returns the pairs that were new."""
    pairs = set(pairs)
    have: set[tuple[int, int]] = set()
    for part in chunks(sorted(pairs)):
        have.update(s.execute(select(ReviewRow.excerpt_id, ReviewRow.coder_id)
                              .where(tuple_(ReviewRow.excerpt_id, ReviewRow.coder_id).in_(part))).all())
    fresh = sorted(pairs - have)
    if fresh:
        s.execute(insert(ReviewRow), [{"excerpt_id": e, "coder_id": c} for e, c in fresh])
    s.flush()
    return fresh


def remove_reviews(s: Session, pairs: Iterable[tuple[int, int]]) -> None:
    for part in chunks(sorted({(int(e), int(c)) for e, c in pairs})):
        s.execute(delete(ReviewRow).where(tuple_(ReviewRow.excerpt_id, ReviewRow.coder_id).in_(part)))


def existing_memos(s: Session) -> set[tuple]:
    """Keys (text, coder id, excerpt id, document id, code id, coding id) of every memo."""
    return set(s.execute(select(MemoRow.text, MemoRow.coder_id, MemoRow.excerpt_id, MemoRow.document_id,
                                MemoRow.code_id, MemoRow.coding_id)).all())


def delete_rows(s: Session, *, codings: Iterable[int] = (), memos: Iterable[int] = (),
                documents: Iterable[int] = ()) -> None:
    """Delete codings, memos and documents by id (the undo of a merge)."""
    for model, ids in ((CodingRow, codings), (MemoRow, memos), (DocumentRow, documents)):
        for part in chunks({int(i) for i in ids}):
            s.execute(delete(model).where(model.id.in_(part)))
    s.flush()


def unreferenced_codes(s: Session, code_ids: Iterable[str]) -> list[str]:
    """Those of ``code_ids`` that no coding, suggestion, memo or child code refers to."""
    out = []
    for cid in code_ids:
        refs = code_store.code_refs(s, cid)
        if not any(refs.values()):
            out.append(cid)
    return out


def reviews_by_coder(s: Session) -> dict[str, dict[str, list[int]]]:
    """{coder name: {document content hash: [excerpt orders reviewed]}} (for the sidecar)."""
    out: dict[str, dict[str, list[int]]] = {}
    q = (select(CoderRow.name, DocumentRow.content_hash, ExcerptRow.order)
         .join(ReviewRow, ReviewRow.coder_id == CoderRow.id)
         .join(ExcerptRow, ExcerptRow.id == ReviewRow.excerpt_id)
         .join(DocumentRow, DocumentRow.id == ExcerptRow.document_id))
    for name, ch, order in s.execute(q):
        out.setdefault(name, {}).setdefault(ch, []).append(order)
    return out

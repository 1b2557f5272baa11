"""The memo list: every memo with what it is anchored to (document, excerpt, coding, code)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from qualcode.storage.models import CodeRow, CoderRow, CodingRow, DocumentRow, ExcerptRow, MemoRow


def memo_rows(s: Session, *, code_id: str | None = None, document_id: int | None = None,
              coder: str | None = None, coded_by: str | None = None,
              under: "tuple[str, ...]" = ()) -> list[dict[str, Any]]:
    """Memos, newest first, each with its anchor. ``code_id`` matches memos on the code, on
    codings with it and on excerpts coded with it (by ``coded_by`` only, when given: a blind
    coder's filter must not tell a colleague's codes), and the same for the codes ``under`` it
    (its sub-codes); ``document_id`` matches memos on the document, its excerpts and codings."""
    doc = aliased(DocumentRow)
    code = aliased(CodeRow)
    coding_code = aliased(CodeRow)
    doc_id = func.coalesce(MemoRow.document_id, ExcerptRow.document_id)
    q = (select(MemoRow.id, MemoRow.text, MemoRow.created_at, MemoRow.updated_at, CoderRow.name,
                MemoRow.excerpt_id, MemoRow.coding_id, MemoRow.code_id, code.name, doc_id, doc.name,
                ExcerptRow.text, CodingRow.code_id, coding_code.name, CodingRow.start, CodingRow.end,
                ExcerptRow.start)
         .join(CoderRow, CoderRow.id == MemoRow.coder_id)
         .outerjoin(ExcerptRow, ExcerptRow.id == MemoRow.excerpt_id)
         .outerjoin(CodingRow, CodingRow.id == MemoRow.coding_id)
         .outerjoin(code, code.id == MemoRow.code_id)
         .outerjoin(coding_code, coding_code.id == CodingRow.code_id)
         .outerjoin(doc, doc.id == doc_id)
         .order_by(MemoRow.id.desc()))
    if code_id is not None:
        # walk 43: a memo on an excerpt coded with the code was not found under it ("0 of 1 memos"),
        # though the code's quotes on Themes showed it; walk 44: nor under its parent code
        ids = [code_id, *under]
        other = aliased(CodingRow)
        coded = select(other.id).where(other.excerpt_id == MemoRow.excerpt_id, other.code_id.in_(ids))
        if coded_by is not None:
            who = aliased(CoderRow)  # not the memo's writer of the outer query
            coded = coded.join(who, who.id == other.coder_id).where(who.name == coded_by)
        q = q.where(or_(MemoRow.code_id.in_(ids), CodingRow.code_id.in_(ids),
                        and_(MemoRow.coding_id.is_(None), MemoRow.excerpt_id.is_not(None), coded.exists())))
    if document_id is not None:
        q = q.where(doc_id == document_id)
    if coder is not None:
        q = q.where(CoderRow.name == coder)
    out = []
    for (mid, text, created, updated, coder_name, ex_id, coding_id, m_code, m_code_name, d_id, d_name, ex_text,
         c_code, c_code_name, c_start, c_end, ex_start) in s.execute(q).all():
        if coding_id is not None:  # a coding memo also names its excerpt (set by add_memo)
            span = (ex_text or "")[c_start - ex_start:c_end - ex_start]
            kind, anchor = "coding", f"{c_code_name or c_code} on “{span}”"
        elif ex_id is not None:
            kind, anchor = "excerpt", f"“{ex_text}”"
        elif d_id is not None:
            kind, anchor = "document", d_name or ""
        elif m_code is not None:
            kind, anchor = "code", m_code_name or m_code
        else:
            kind, anchor = "project", ""
        out.append({"memo_id": mid, "kind": kind, "anchor": anchor, "text": text, "coder": coder_name,
                    "document_id": d_id, "document": d_name, "excerpt_id": ex_id, "coding_id": coding_id,
                    "code_id": m_code or c_code, "code": m_code_name or c_code_name,
                    "created_at": created, "updated_at": updated})
    return out

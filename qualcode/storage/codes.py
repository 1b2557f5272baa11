"""Codes: rows <-> core.Code, codebook metadata, and the whole-codebook load/save."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from qualcode.core import Code, Codebook
from qualcode.storage.meta import get_setting, set_setting
from qualcode.storage.models import CodeRow

# uuid5 namespace for REFI-QDA GUIDs of codes: stable across exports.
GUID_NAMESPACE = uuid.UUID("6f1c1f5e-3b7a-5d0a-9a43-6c7a5e0d1b2c")


def code_guid(code_id: str) -> str:
    """The stable REFI-QDA GUID of a code id.

    >>> code_guid("trust") == code_guid("trust")
    True
    """
    return str(uuid.uuid5(GUID_NAMESPACE, code_id))


def row_to_code(r: CodeRow) -> Code:
    return Code(
        id=r.id, name=r.name, definition=r.definition or "", parent=r.parent_id, codable=r.codable,
        include=list(r.include or []), exclude=list(r.exclude or []), examples=list(r.examples or []),
        counterexamples=list(r.counterexamples or []), keywords=list(r.keywords or []),
        color=r.color, guid=r.guid, retired=r.retired,
    )


def apply_code(r: CodeRow, c: Code) -> None:
    r.name, r.definition, r.parent_id, r.codable = c.name, c.definition, c.parent, c.codable
    r.include, r.exclude, r.examples = list(c.include), list(c.exclude), list(c.examples)
    r.counterexamples, r.keywords, r.color = list(c.counterexamples), list(c.keywords), c.color
    r.retired = c.retired
    r.guid = c.guid or r.guid or code_guid(c.id)


def load_codebook(s: Session, *, include_retired: bool = True) -> Codebook:
    q = select(CodeRow).order_by(CodeRow.sort_order, CodeRow.id)
    if not include_retired:
        q = q.where(CodeRow.retired.is_(False))
    meta = get_setting(s, "codebook", {}) or {}
    return Codebook(
        name=meta.get("name", "Codebook"), description=meta.get("description", ""),
        version=meta.get("version"), codes=[row_to_code(r) for r in s.scalars(q)],
    )


def save_code(s: Session, c: Code, *, sort_order: int | None = None) -> None:
    """Insert or update one code."""
    r = s.get(CodeRow, c.id)
    if r is None:
        r = CodeRow(id=c.id, guid=c.guid or code_guid(c.id))
        if sort_order is None:
            sort_order = len(list(s.scalars(select(CodeRow.id))))
        s.add(r)
    apply_code(r, c)
    if sort_order is not None:
        r.sort_order = sort_order
    s.flush()


def save_codebook(s: Session, cb: Codebook) -> None:
    """Upsert every code of ``cb`` (parents first) and its metadata. Codes not in ``cb``
    are left alone: removing codes is a codebook change with its own rules."""
    set_setting(s, "codebook", {"name": cb.name, "description": cb.description, "version": cb.version})
    done: set[str] = set()
    pending = list(cb.codes)
    order = {c.id: i for i, c in enumerate(cb.codes)}
    while pending:
        progressed = False
        for c in list(pending):
            if c.parent is None or c.parent in done or s.get(CodeRow, c.parent) is not None:
                save_code(s, c, sort_order=order[c.id])
                done.add(c.id)
                pending.remove(c)
                progressed = True
        if not progressed:  # unknown parent or cycle: validation should have caught it
            raise ValueError(f"codes with unknown parents: {[c.id for c in pending]}")

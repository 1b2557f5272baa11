"""Codes: rows <-> core.Code, codebook metadata, and the whole-codebook load/save."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import Text, delete, func, select, type_coerce
from sqlalchemy.orm import Session

from qualcode.core import Code, Codebook
from qualcode.core.model import code_guid
from qualcode.storage.bulk import bulk_delete, bulk_insert
from qualcode.storage.chunks import chunks
from qualcode.storage.coding import coding_to_dict
from qualcode.storage.meta import get_setting, set_setting
from qualcode.storage.models import AuditRow, CodeRow, CoderRow, CodingRow, MemoRow, SuggestionRow


def apply_code(r: CodeRow, c: Code) -> None:
    r.name, r.definition, r.parent_id, r.codable = c.name, c.definition, c.parent, c.codable
    r.include, r.exclude, r.examples = list(c.include), list(c.exclude), list(c.examples)
    r.counterexamples, r.keywords, r.color = list(c.counterexamples), list(c.keywords), c.color
    r.retired = c.retired
    r.guid = c.guid or r.guid or code_guid(c.id)


# The list columns are read as their stored text and decoded here: most are empty ("[]"),
# and decoding each through SQLAlchemy's JSON type was most of a large codebook's load time.
_CODE_COLUMNS = (CodeRow.id, CodeRow.name, CodeRow.definition, CodeRow.parent_id, CodeRow.codable,
                 *(type_coerce(col, Text) for col in (CodeRow.include, CodeRow.exclude, CodeRow.examples,
                                                     CodeRow.counterexamples, CodeRow.keywords)),
                 CodeRow.color, CodeRow.guid, CodeRow.retired)


def _json_list(v: Any) -> list:
    """A stored list column: JSON text (SQLite), or already decoded by the driver (PostgreSQL)."""
    if v is None or v == "[]":
        return []
    if isinstance(v, str):
        v = json.loads(v)
    return list(v or [])


def load_codebook(s: Session, *, include_retired: bool = True) -> Codebook:
    """The codebook in display order. Plain column rows, not ORM objects: a 100,000-code
    codebook loads in a fraction of the time (no identity map to fill)."""
    q = select(*_CODE_COLUMNS).order_by(CodeRow.sort_order, CodeRow.id)
    if not include_retired:
        q = q.where(CodeRow.retired.is_(False))
    meta = get_setting(s, "codebook", {}) or {}
    codes = [Code(id=i, name=n, definition=d or "", parent=p, codable=cod, include=_json_list(inc),
                  exclude=_json_list(exc), examples=_json_list(ex), counterexamples=_json_list(cex),
                  keywords=_json_list(kw), color=col, guid=g, retired=ret)
             for i, n, d, p, cod, inc, exc, ex, cex, kw, col, g, ret in s.execute(q)]
    return Codebook(
        name=meta.get("name", "Codebook"), description=meta.get("description", ""),
        version=meta.get("version"), codes=codes,
    )


def save_code(s: Session, c: Code, *, sort_order: int | None = None) -> None:
    """Insert or update one code."""
    r = s.get(CodeRow, c.id)
    if r is None:
        r = CodeRow(id=c.id, guid=c.guid or code_guid(c.id))
        if sort_order is None:
            sort_order = s.scalar(select(func.count()).select_from(CodeRow))
        s.add(r)
    apply_code(r, c)
    if sort_order is not None:
        r.sort_order = sort_order
    s.flush()


def save_codes(s: Session, codes: list[Code], *, sort_orders: dict[str, int] | None = None) -> None:
    """Insert or update many codes with one read and one flush (in the given order: parents
    first). ``sort_orders`` sets the order of new codes (default: after the existing ones)."""

    sort_orders = dict(sort_orders or {})
    ids = [c.id for c in codes]
    rows: dict[str, CodeRow] = {}
    for part in chunks(ids):
        rows.update({r.id: r for r in s.scalars(select(CodeRow).where(CodeRow.id.in_(part)))})
    count = None
    new: list[Code] = []
    for c in codes:
        r = rows.get(c.id)
        if r is None:
            if c.id not in sort_orders:
                if count is None:
                    count = s.scalar(select(func.count()).select_from(CodeRow))
                sort_orders[c.id], count = count, count + 1
            new.append(c)
            continue
        apply_code(r, c)
        if c.id in sort_orders:
            r.sort_order = sort_orders[c.id]
    s.flush()
    insert_codes(s, new, sort_orders=sort_orders)


def insert_codes(s: Session, codes: list[Code], *, sort_orders: dict[str, int]) -> None:
    """Insert codes that are not in the project yet (parents first), each at its
    ``sort_orders[id]``: one bulk insert, no read (a codebook import of 100,000 codes)."""
    bulk_insert(s, CodeRow.__table__, [
        {"id": c.id, "name": c.name, "definition": c.definition, "parent_id": c.parent, "codable": c.codable,
         "include": list(c.include), "exclude": list(c.exclude), "examples": list(c.examples),
         "counterexamples": list(c.counterexamples), "keywords": list(c.keywords), "color": c.color,
         "retired": c.retired, "guid": c.guid or code_guid(c.id), "sort_order": sort_orders[c.id]}
        for c in codes])


def save_codebook(s: Session, cb: Codebook) -> None:
    """Upsert every code of ``cb`` (parents first) and its metadata. Codes not in ``cb``
    are left alone: removing codes is a codebook change with its own rules. In bulk: one
    read of the existing rows, one insert of the new ones (``init --codebook`` with a
    100,000-code file, a REFI-QDA project's codebook)."""
    set_setting(s, "codebook", {"name": cb.name, "description": cb.description, "version": cb.version})
    order = {c.id: i for i, c in enumerate(cb.codes)}
    outside = {c.parent for c in cb.codes if c.parent is not None and c.parent not in order}
    known: set[str] = set()
    for part in chunks(sorted(outside)):
        known.update(s.scalars(select(CodeRow.id).where(CodeRow.id.in_(part))))
    parent = {c.id: c.parent for c in cb.codes}
    depth: dict[str, int] = {}
    for cid in parent:  # each code walked once: depth below the nearest code not in cb
        path: list[str] = []
        on_path: set[str] = set()
        cur: str | None = cid
        while cur in parent and cur not in depth:
            if cur in on_path:  # a cycle: validation should have caught it
                raise ValueError(f"codes with unknown parents: {sorted(on_path)}")
            path.append(cur)
            on_path.add(cur)
            cur = parent[cur]
        if cur is not None and cur not in depth and cur not in known:
            raise ValueError(f"codes with unknown parents: {[p for p in path if parent[p] == cur]}")
        d = depth.get(cur, -1) if cur is not None else -1
        for p in reversed(path):
            d += 1
            depth[p] = d
    existing: set[str] = set()
    for part in chunks(list(order)):
        existing.update(s.scalars(select(CodeRow.id).where(CodeRow.id.in_(part))))
    new = sorted((c for c in cb.codes if c.id not in existing), key=lambda c: depth[c.id])
    insert_codes(s, new, sort_orders=order)  # new rows first: an existing code may move under one
    save_codes(s, [c for c in cb.codes if c.id in existing], sort_orders=order)


# ----------------------------------------------------------------------------- codebook changes
# Used by services.codebook: merge, split, retire and their undo. Each function works inside
# the caller's transaction and returns plain JSON-able records that say exactly what it did,
# so the audit event can carry them and undo can reverse them.


def code_usage(s: Session) -> dict[str, int]:
    """Number of codings per code id (every code present, 0 when unused). One SQL aggregate."""
    counts = dict(s.execute(select(CodingRow.code_id, func.count()).group_by(CodingRow.code_id)).all())
    return {cid: int(counts.get(cid, 0)) for cid in s.scalars(select(CodeRow.id))}


def pending_usage(s: Session) -> dict[str, int]:
    """Number of pending suggestions per code id (codes without any are left out)."""
    q = (select(SuggestionRow.code_id, func.count()).where(SuggestionRow.status == "pending")
         .group_by(SuggestionRow.code_id))
    return {cid: int(n) for cid, n in s.execute(q).all()}


def code_refs(s: Session, code_id: str) -> dict[str, int]:
    """What refers to a code: codings, suggestions (by status), memos, child codes."""
    def count(q) -> int:
        return int(s.scalar(q) or 0)

    by_status = dict(s.execute(select(SuggestionRow.status, func.count())
                               .where(SuggestionRow.code_id == code_id).group_by(SuggestionRow.status)).all())
    return {
        "codings": count(select(func.count()).select_from(CodingRow).where(CodingRow.code_id == code_id)),
        "pending": int(by_status.get("pending", 0)),
        "decided": int(by_status.get("accepted", 0)) + int(by_status.get("rejected", 0)),
        "memos": count(select(func.count()).select_from(MemoRow).where(MemoRow.code_id == code_id)),
        "children": count(select(func.count()).select_from(CodeRow).where(CodeRow.parent_id == code_id)),
    }


def coded_codes(s: Session) -> set[str]:
    """The ids of the codes that some coding uses (one query, whatever the codebook's size)."""
    return set(s.scalars(select(CodingRow.code_id).distinct()))


def codes_in_use(s: Session, code_ids: list[str], *, pending_ok: bool = False) -> dict[str, str]:
    """Of ``code_ids``, those that codings, suggestions or memos point at, or that have a
    child code outside ``code_ids``: id -> what uses it, in words. Four grouped queries,
    whatever the number of ids (undo of a 100,000-code import). ``pending_ok``: pending
    suggestions (the model's, nobody's decision) do not count."""
    ids = set(code_ids)
    out: dict[str, list[str]] = {}
    for model, word in ((CodingRow, "coding"), (SuggestionRow, "suggestion"), (MemoRow, "memo")):
        q = select(model.code_id, func.count()).group_by(model.code_id)
        if model is SuggestionRow and pending_ok:
            q = q.where(SuggestionRow.status != "pending")
        for cid, n in s.execute(q):
            if cid in ids:
                out.setdefault(cid, []).append(f"{n} {word}{'s' if n != 1 else ''}")
    for child, parent in s.execute(select(CodeRow.id, CodeRow.parent_id).where(CodeRow.parent_id.is_not(None))):
        if parent in ids and child not in ids:
            out.setdefault(parent, []).append(f"child code {child!r}")
    return {cid: ", ".join(v) for cid, v in out.items()}


def delete_codes(s: Session, code_ids: list[str]) -> None:
    """Delete unreferenced codes (undo of an import) with one executemany, in the order
    given: children before their parents."""
    bulk_delete(s, CodeRow.__table__, code_ids)


def delete_code(s: Session, code_id: str) -> None:
    """Delete an unreferenced code (undo of an add, a split or an import only)."""
    row = s.get(CodeRow, code_id)
    if row is not None:
        s.delete(row)
        s.flush()


def _iso(v: datetime | None) -> str | None:
    return v.isoformat() if v else None


def _from_iso(v: str | None) -> datetime | None:
    return datetime.fromisoformat(v) if v else None


def _coding_dict(r: CodingRow) -> dict[str, Any]:
    return {**coding_to_dict(r), "created_at": _iso(r.created_at)}


def _suggestion_dict(r: SuggestionRow) -> dict[str, Any]:
    return {"id": r.id, "excerpt_id": r.excerpt_id, "code_id": r.code_id, "score": r.score,
            "model_id": r.model_id, "explanation": r.explanation, "status": r.status,
            "decided_by": r.decided_by, "decided_at": _iso(r.decided_at), "created_at": _iso(r.created_at)}


def _keep_first(a: SuggestionRow, b: SuggestionRow) -> bool:
    """Of two duplicate suggestions, keep ``a`` (else ``b``): the decided one, else the higher score."""
    a_dec, b_dec = a.status != "pending", b.status != "pending"
    if a_dec != b_dec:
        return a_dec
    return a.score >= b.score


def _in_chunks(s: Session, model, column, ids: list) -> list:
    out: list = []
    for chunk in chunks(ids):
        out.extend(s.scalars(select(model).where(column.in_(chunk))))
    return out


def move_code_refs(
    s: Session, source: str, target: str, *, excerpt_ids: Iterable[int] | None = None,
) -> dict[str, list]:
    """Move codings, suggestions and memos from ``source`` to ``target`` (optionally only on
    some excerpts), collapsing duplicates. Returns the record :func:`restore_code_refs` reverses.

    A coding that the target already has (same excerpt, coder and span) is dropped; of two
    suggestions for the same excerpt and model the decided one, else the higher score, stays,
    and codings that pointed at the dropped one are re-pointed at the kept one. A handful of
    set-based queries, whatever the number of rows.
    """
    only = None if excerpt_ids is None else set(int(i) for i in excerpt_ids)
    rec: dict[str, list] = {"codings_moved": [], "codings_dropped": [], "suggestions_moved": [],
                            "suggestions_dropped": [], "suggestion_links": [], "memos_moved": []}

    def wanted(excerpt_id: int | None) -> bool:
        return only is None or excerpt_id in only

    # codings
    existing = set(s.execute(select(CodingRow.excerpt_id, CodingRow.coder_id, CodingRow.start, CodingRow.end)
                             .where(CodingRow.code_id == target)).all())
    drop, move = [], []
    for r in s.scalars(select(CodingRow).where(CodingRow.code_id == source).order_by(CodingRow.id)):
        if wanted(r.excerpt_id):
            (drop if (r.excerpt_id, r.coder_id, r.start, r.end) in existing else move).append(r)
    for r in drop:
        rec["codings_dropped"].append(_coding_dict(r))
        s.delete(r)
    for r in move:
        r.code_id = target
        rec["codings_moved"].append(r.id)
    s.flush()

    # suggestions: decide every pair first, then delete, then move (unique constraint)
    theirs = {(r.excerpt_id, r.model_id): r
              for r in s.scalars(select(SuggestionRow).where(SuggestionRow.code_id == target))}
    s_drop: list[SuggestionRow] = []
    s_move: list[SuggestionRow] = []
    links: dict[int, int] = {}  # dropped suggestion id -> kept suggestion id
    for r in s.scalars(select(SuggestionRow).where(SuggestionRow.code_id == source).order_by(SuggestionRow.id)):
        if not wanted(r.excerpt_id):
            continue
        other = theirs.get((r.excerpt_id, r.model_id))
        if other is not None and _keep_first(other, r):
            links[r.id] = other.id
            s_drop.append(r)
            continue
        if other is not None:
            links[other.id] = r.id
            s_drop.append(other)
        s_move.append(r)
    if links:
        for c in _in_chunks(s, CodingRow, CodingRow.suggestion_id, sorted(links)):
            rec["suggestion_links"].append([c.id, c.suggestion_id])
            c.suggestion_id = links[c.suggestion_id]
        s.flush()
    for r in s_drop:
        rec["suggestions_dropped"].append(_suggestion_dict(r))
        s.delete(r)
    s.flush()
    for r in s_move:
        r.code_id = target
        rec["suggestions_moved"].append(r.id)
    for m in s.scalars(select(MemoRow).where(MemoRow.code_id == source).order_by(MemoRow.id)):
        if wanted(m.excerpt_id):  # a split moves only memos on the chosen excerpts
            m.code_id = target
            rec["memos_moved"].append(m.id)
    s.flush()
    return rec


def restore_code_refs(s: Session, rec: dict[str, list], source: str) -> None:
    """Reverse :func:`move_code_refs`: everything that belonged to ``source`` goes back,
    dropped rows come back with their ids, re-pointed codings point where they did.
    Rows deleted since are skipped."""
    for r in _in_chunks(s, CodingRow, CodingRow.id, list(rec.get("codings_moved", []))):
        r.code_id = source
    for r in _in_chunks(s, SuggestionRow, SuggestionRow.id, list(rec.get("suggestions_moved", []))):
        r.code_id = source
    s.flush()
    dropped = rec.get("suggestions_dropped", [])
    present = {r.id for r in _in_chunks(s, SuggestionRow, SuggestionRow.id, [d["id"] for d in dropped])}
    for d in dropped:
        if d["id"] not in present:
            s.add(SuggestionRow(id=d["id"], excerpt_id=d["excerpt_id"], code_id=d["code_id"], score=d["score"],
                                model_id=d["model_id"], explanation=d["explanation"], status=d["status"],
                                decided_by=d["decided_by"], decided_at=_from_iso(d["decided_at"]),
                                created_at=_from_iso(d["created_at"])))
    s.flush()
    old_links = dict((int(c), o) for c, o in rec.get("suggestion_links", []))
    for r in _in_chunks(s, CodingRow, CodingRow.id, sorted(old_links)):
        r.suggestion_id = old_links[r.id]
    cdropped = rec.get("codings_dropped", [])
    present = {r.id for r in _in_chunks(s, CodingRow, CodingRow.id, [d["id"] for d in cdropped])}
    for d in cdropped:
        if d["id"] not in present:
            s.add(CodingRow(id=d["id"], excerpt_id=d["excerpt_id"], code_id=d["code_id"], coder_id=d["coder_id"],
                            start=d["start"], end=d["end"], origin=d["origin"], suggestion_id=d["suggestion_id"],
                            created_at=_from_iso(d["created_at"])))
    for m in _in_chunks(s, MemoRow, MemoRow.id, list(rec.get("memos_moved", []))):
        m.code_id = source
    s.flush()


def delete_pending_suggestions(s: Session, code_id: str) -> list[dict[str, Any]]:
    """Remove a code's pending suggestions (a retired code is not suggested); returns them."""
    rows = list(s.scalars(select(SuggestionRow).where(SuggestionRow.code_id == code_id,
                                                      SuggestionRow.status == "pending")))
    out = [_suggestion_dict(r) for r in rows]
    for r in rows:
        s.delete(r)
    s.flush()
    return out


def delete_pending_of_codes(s: Session, code_ids: list[str]) -> None:
    """Remove the pending suggestions of many codes (undo of an import), a chunk of ids at a time."""
    for chunk in chunks(sorted(set(code_ids)), 900):
        s.execute(delete(SuggestionRow).where(SuggestionRow.code_id.in_(chunk), SuggestionRow.status == "pending"))
    s.flush()


def restore_suggestions(s: Session, rows: list[dict[str, Any]]) -> None:
    restore_code_refs(s, {"suggestions_dropped": rows}, source="")


def codebook_events(s: Session, actions: tuple[str, ...], *, limit: int | None = None) -> list[dict[str, Any]]:
    """Codebook audit events (newest first), undos of them included, with the coder's name."""
    q = (select(AuditRow, CoderRow.name).outerjoin(CoderRow, CoderRow.id == AuditRow.coder_id)
         .where(AuditRow.action.in_(actions) | ((AuditRow.action == "undo") & AuditRow.entity.in_(("code", "codebook"))))
         .order_by(AuditRow.id.desc()))
    if limit:
        q = q.limit(limit)
    return [{"id": r.id, "at": r.at, "coder": name, "action": r.action, "entity": r.entity,
             "entity_id": r.entity_id, "before": r.before, "after": r.after, "undone": r.undone,
             "undo_of": r.undo_of} for r, name in s.execute(q).all()]


def max_sort_order(s: Session) -> int:
    return int(s.scalar(select(func.max(CodeRow.sort_order))) or 0)

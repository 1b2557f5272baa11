"""SQL for team work: who reviewed what, codings per coder, consensus writes, the audit log.

Everything here takes an open session and returns plain Python values; the agreement
arithmetic lives in :mod:`qualcode.analysis.agreement`, the rules in ``services.team``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qualcode.errors import NotFoundError
from qualcode.storage.chunks import chunks
from qualcode.storage.models import (
    AuditRow,
    CoderRow,
    CodingRow,
    DocumentRow,
    ExcerptRow,
    ReviewRow,
    SpeakerRow,
    SuggestionRow,
    TurnRow,
)
from qualcode.storage.training import unconsidered

def coder_ids(s: Session, names: Iterable[str]) -> dict[str, int]:
    """Ids of the named coders; NotFoundError names the first unknown one."""
    names = [n.strip() for n in names]
    found = dict(s.execute(select(CoderRow.name, CoderRow.id).where(CoderRow.name.in_(names))).all())
    for n in names:
        if n not in found:
            known = ", ".join(s.scalars(select(CoderRow.name).order_by(CoderRow.name))) or "none yet"
            raise NotFoundError(f"no coder {n!r}", hint=f"known coders: {known}")
    return {n: found[n] for n in names}


def reviewing_coders(s: Session) -> list[str]:
    """Names of coders who have reviewed at least one excerpt, alphabetically."""
    q = (select(CoderRow.name).join(ReviewRow, ReviewRow.coder_id == CoderRow.id)
         .group_by(CoderRow.name).order_by(CoderRow.name))
    return list(s.scalars(q))


def reviewed_sets(s: Session, ids: Iterable[int], *, codable_only: bool = True) -> dict[int, set[int]]:
    """For each coder id, the set of excerpt ids that coder has finished; ``codable_only``: of
    those, the ones whose speech is coded now (an excerpt of a speaker made interviewer after
    it was coded is no unit of agreement any more; walk 22)."""
    ids = list(ids)
    out: dict[int, set[int]] = {i: set() for i in ids}
    if not ids:
        return out
    q = select(ReviewRow.coder_id, ReviewRow.excerpt_id).where(ReviewRow.coder_id.in_(ids))
    if codable_only:
        q = q.join(ExcerptRow, ExcerptRow.id == ReviewRow.excerpt_id).where(ExcerptRow.codable.is_(True))
    for coder_id, excerpt_id in s.execute(q):
        out[coder_id].add(excerpt_id)
    return out


def review_times(s: Session, coder_ids: Iterable[int]) -> list[tuple[int, int, datetime]]:
    """(excerpt id, coder id, when finished) of every review by these coders, codable excerpts only."""
    ids = list(coder_ids)
    if not ids:
        return []
    q = (select(ReviewRow.excerpt_id, ReviewRow.coder_id, ReviewRow.reviewed_at)
         .join(ExcerptRow, ExcerptRow.id == ReviewRow.excerpt_id)
         .where(ReviewRow.coder_id.in_(ids), ExcerptRow.codable.is_(True)))
    return [(e, c, _aware(at)) for e, c, at in s.execute(q)]


def reviewed_before_code(
    s: Session, excerpt_ids: Iterable[int], coder_ids_: Iterable[int], code_ids: Iterable[str]
) -> dict[str, dict[int, set[int]]]:
    """code id -> coder id -> the excerpts that coder had finished before the code was added to
    the codebook (their review did not consider it) and has not looked at for it since (no
    coding of it, no decided suggestion of it there: ``training.unconsidered``). Only codes
    added after some review appear."""
    out: dict[str, dict[int, set[int]]] = {}
    for coder_id, per in unconsidered(s, coder_ids_, excerpt_ids=excerpt_ids, code_ids=code_ids).items():
        for code_id, got in per.items():
            out.setdefault(code_id, {})[coder_id] = got
    return out


def codings_on(
    s: Session, excerpt_ids: Iterable[int], coder_ids_: Iterable[int], *, code_id: str | None = None
) -> list[tuple[int, str, int, int, int]]:
    """``(excerpt_id, code_id, coder_id, start, end)`` of the given coders on the given excerpts."""
    cids = list(coder_ids_)
    out: list[tuple[int, str, int, int, int]] = []
    if not cids:
        return out
    for chunk in chunks(excerpt_ids):
        q = select(CodingRow.excerpt_id, CodingRow.code_id, CodingRow.coder_id, CodingRow.start,
                   CodingRow.end).where(CodingRow.excerpt_id.in_(chunk), CodingRow.coder_id.in_(cids))
        if code_id is not None:
            q = q.where(CodingRow.code_id == code_id)
        out.extend(tuple(r) for r in s.execute(q))
    return out


def suggestions_on(
    s: Session, excerpt_ids: Iterable[int], *, code_id: str | None = None, min_score: float | None = None
) -> list[tuple[int, str, float]]:
    """``(excerpt_id, code_id, score)`` of stored suggestions (any status) on the excerpts."""
    out: list[tuple[int, str, float]] = []
    for chunk in chunks(excerpt_ids):
        q = select(SuggestionRow.excerpt_id, SuggestionRow.code_id, SuggestionRow.score).where(
            SuggestionRow.excerpt_id.in_(chunk))
        if code_id is not None:
            q = q.where(SuggestionRow.code_id == code_id)
        if min_score is not None:
            q = q.where(SuggestionRow.score >= min_score)
        out.extend(tuple(r) for r in s.execute(q))
    return out


def engine_excerpts(s: Session, excerpt_ids: Iterable[int]) -> set[int]:
    """Those of the excerpts whose document the suggestion engine has been run on.

    An excerpt of such a document without suggestions is a 'no' from the engine; an
    excerpt of a document never scored says nothing.
    """
    docs = select(ExcerptRow.document_id).join(
        SuggestionRow, SuggestionRow.excerpt_id == ExcerptRow.id).distinct()
    out: set[int] = set()
    for chunk in chunks(excerpt_ids):
        out.update(s.scalars(select(ExcerptRow.id).where(
            ExcerptRow.id.in_(chunk), ExcerptRow.document_id.in_(docs))))
    return out


def excerpt_details(s: Session, excerpt_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Text, span and document of each excerpt, for display and character-level units."""
    out: dict[int, dict[str, Any]] = {}
    for chunk in chunks(excerpt_ids):
        q = (select(ExcerptRow.id, ExcerptRow.document_id, DocumentRow.name, ExcerptRow.order,
                    ExcerptRow.start, ExcerptRow.end, ExcerptRow.text)
             .join(DocumentRow, DocumentRow.id == ExcerptRow.document_id)
             .where(ExcerptRow.id.in_(chunk)))
        for r in s.execute(q):
            out[r.id] = {"excerpt_id": r.id, "document_id": r.document_id, "document": r.name,
                         "order": r.order, "start": r.start, "end": r.end, "text": r.text}
    return out


def excerpt_places(s: Session, excerpt_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Where a coder finds each excerpt: its ``speaker`` (the pseudonym when there is one; ``""``
    outside a turn), its turn's ``start_ms`` (None when the transcript has no times), and its
    ``position`` among its document's codable excerpts (1-based; None when it is not codable
    now) ``of`` how many there are: the excerpts the Code page counts."""
    out: dict[int, dict[str, Any]] = {}
    for chunk in chunks(excerpt_ids):
        q = (select(ExcerptRow.id, ExcerptRow.document_id, SpeakerRow.label, SpeakerRow.pseudonym, TurnRow.start_ms)
             .outerjoin(TurnRow, TurnRow.id == ExcerptRow.turn_id)
             .outerjoin(SpeakerRow, SpeakerRow.id == TurnRow.speaker_id)
             .where(ExcerptRow.id.in_(chunk)))
        for r in s.execute(q):
            out[r.id] = {"document_id": r.document_id, "speaker": r.pseudonym or r.label or "",
                         "start_ms": r.start_ms, "position": None, "of": 0}
    codable: dict[int, dict[int, int]] = {}  # document -> {excerpt: its place among the codable ones}
    for chunk in chunks({d["document_id"] for d in out.values()}):
        q = (select(ExcerptRow.document_id, ExcerptRow.id)
             .where(ExcerptRow.document_id.in_(chunk), ExcerptRow.codable.is_(True))
             .order_by(ExcerptRow.document_id, ExcerptRow.order))
        for doc_id, ex_id in s.execute(q):
            places = codable.setdefault(doc_id, {})
            places[ex_id] = len(places) + 1
    for ex_id, d in out.items():
        places = codable.get(d.pop("document_id"), {})
        d["position"], d["of"] = places.get(ex_id), len(places)
    return out


def excerpts_of_document(s: Session, document_id: int) -> set[int]:
    return set(s.scalars(select(ExcerptRow.id).where(ExcerptRow.document_id == document_id)))


def coder_summary(s: Session) -> list[dict[str, Any]]:
    """Per coder: codings, reviews, audit events and when they last did something."""
    codings = dict(s.execute(select(CodingRow.coder_id, func.count()).group_by(CodingRow.coder_id)).all())
    reviews = dict(s.execute(select(ReviewRow.coder_id, func.count()).group_by(ReviewRow.coder_id)).all())
    events = {r[0]: (r[1], r[2]) for r in s.execute(
        select(AuditRow.coder_id, func.count(), func.max(AuditRow.at)).group_by(AuditRow.coder_id))}
    out = []
    for cid, name in s.execute(select(CoderRow.id, CoderRow.name).order_by(CoderRow.name)):
        n_events, last = events.get(cid, (0, None))
        out.append({"coder": name, "codings": int(codings.get(cid, 0)), "reviewed": int(reviews.get(cid, 0)),
                    "events": int(n_events), "last_active": last.isoformat() if last else None})
    return out


def audit_rows(
    s: Session,
    *,
    coder: str | None = None,
    action: str | Iterable[str] | None = None,
    entity: str | None = None,
    entity_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
    newest_first: bool = True,
) -> list[dict[str, Any]]:
    """Audit events as dicts (id, at, coder, action, entity, entity_id, before, after,
    undone, undo_of, command: the typed command's payload), filtered; ``until`` is exclusive."""
    q = select(AuditRow, CoderRow.name).outerjoin(CoderRow, CoderRow.id == AuditRow.coder_id)
    if coder:
        q = q.where(CoderRow.name == coder)
    if action:
        q = q.where(AuditRow.action.in_([action] if isinstance(action, str) else list(action)))
    if entity:
        q = q.where(AuditRow.entity == entity)
    if entity_id is not None:
        q = q.where(AuditRow.entity_id == str(entity_id))
    if since is not None:
        q = q.where(AuditRow.at >= _utc(since))
    if until is not None:
        q = q.where(AuditRow.at < _utc(until))
    q = q.order_by(AuditRow.id.desc() if newest_first else AuditRow.id)
    if limit:
        q = q.limit(limit)
    return [{"id": r.id, "at": _aware(r.at), "coder": name, "action": r.action, "entity": r.entity,
             "entity_id": r.entity_id, "before": r.before, "after": r.after, "undone": bool(r.undone),
             "undo_of": r.undo_of, "command": r.command}
            for r, name in s.execute(q).all()]


def _aware(at: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without a zone; they were stored as UTC."""
    return at.replace(tzinfo=timezone.utc) if at is not None and at.tzinfo is None else at


def _utc(at: datetime | None) -> datetime | None:
    return at.astimezone(timezone.utc) if at is not None else None


def audit_actions(s: Session) -> list[str]:
    """The distinct actions present in the log (for filter menus)."""
    return list(s.scalars(select(AuditRow.action).distinct().order_by(AuditRow.action)))


def consensus_codings(s: Session, excerpt_id: int, consensus_coder_id: int) -> list[CodingRow]:
    return list(s.scalars(select(CodingRow).where(
        CodingRow.excerpt_id == excerpt_id, CodingRow.coder_id == consensus_coder_id).order_by(CodingRow.id)))

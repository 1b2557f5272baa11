"""Codings, suggestions, reviews and memos.

A suggestion is not a coding: only ``decide_suggestion(..., accept=True)`` or a manual
``add_coding`` creates one. Rejected suggestions stay (training data, audit trail).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import delete, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qualcode.core import Coding, Memo, Origin, Suggestion, SuggestionStatus, made_by_colleague
from qualcode.errors import NotFoundError
from qualcode.storage.chunks import chunks
from qualcode.storage.models import (
    AuditRow,
    CodeRow,
    CoderRow,
    CodingRow,
    DocumentRow,
    ExcerptRow,
    MemoRow,
    ReviewRow,
    SettingRow,
    SuggestionRow,
)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _excerpt(s: Session, excerpt_id: int) -> ExcerptRow:
    row = s.get(ExcerptRow, excerpt_id)
    if row is None:
        raise NotFoundError(f"no excerpt with id {excerpt_id}")
    return row


def _check_code(s: Session, code_id: str) -> CodeRow:
    row = s.get(CodeRow, code_id)
    if row is None:
        raise NotFoundError(f"no code {code_id!r}", hint="see the codes with: qualcode codebook show",
                            app_hint="pick one of the codes on the Codebook page")
    return row


def coding_to_dict(r: CodingRow) -> dict:
    return {"id": r.id, "excerpt_id": r.excerpt_id, "code_id": r.code_id, "coder_id": r.coder_id,
            "start": r.start, "end": r.end, "origin": r.origin, "suggestion_id": r.suggestion_id}


def add_coding(
    s: Session,
    excerpt_id: int,
    code_id: str,
    coder_id: int,
    *,
    start: int | None = None,
    end: int | None = None,
    origin: Origin | str = Origin.MANUAL,
    suggestion_id: int | None = None,
) -> tuple[int, bool]:
    """Code an excerpt (or the span ``start:end`` inside it, document offsets).

    Returns ``(coding_id, created)``; coding the same thing twice is a no-op, also when
    two processes race (the unique constraint decides).
    """
    ex = _excerpt(s, excerpt_id)
    _check_code(s, code_id)
    start = ex.start if start is None else start
    end = ex.end if end is None else end
    if not (ex.start <= start < end <= ex.end):
        raise ValueError(f"span {start}:{end} is not inside excerpt {excerpt_id} ({ex.start}:{ex.end})")
    same = select(CodingRow.id).where(
        CodingRow.excerpt_id == excerpt_id, CodingRow.code_id == code_id,
        CodingRow.coder_id == coder_id, CodingRow.start == start, CodingRow.end == end)
    existing = s.scalar(same)
    if existing is not None:
        return existing, False
    try:
        with s.begin_nested():
            row = CodingRow(excerpt_id=excerpt_id, code_id=code_id, coder_id=coder_id, start=start,
                            end=end, origin=Origin(origin).value, suggestion_id=suggestion_id)
            s.add(row)
            s.flush()
            return row.id, True
    except IntegrityError:
        return s.scalar(same), False


def get_coding(s: Session, coding_id: int) -> CodingRow:
    row = s.get(CodingRow, coding_id)
    if row is None:
        raise NotFoundError(f"no coding with id {coding_id}")
    return row


def remove_coding(s: Session, coding_id: int) -> dict:
    """Delete a coding; returns what it was (for the audit trail and undo)."""
    row = get_coding(s, coding_id)
    before = coding_to_dict(row)
    s.delete(row)
    s.flush()
    return before


def codings_of_suggestion(s: Session, suggestion_id: int, coder_id: int) -> list[int]:
    """The ids of this coder's codings made by accepting ``suggestion_id``."""
    return list(s.scalars(select(CodingRow.id).where(CodingRow.suggestion_id == suggestion_id,
                                                     CodingRow.coder_id == coder_id)))


def restore_coding(s: Session, before: dict) -> tuple[int, bool]:
    """Add back a coding that :func:`remove_coding` returned (undo), under its old id when
    that id is free; a no-op if the same coding exists again."""
    same = select(CodingRow.id).where(
        CodingRow.excerpt_id == before["excerpt_id"], CodingRow.code_id == before["code_id"],
        CodingRow.coder_id == before["coder_id"], CodingRow.start == before["start"],
        CodingRow.end == before["end"])
    existing = s.scalar(same)
    if existing is not None:
        return existing, False
    old_id = before.get("id")
    if old_id is not None and s.get(CodingRow, old_id) is None:
        _excerpt(s, before["excerpt_id"])
        _check_code(s, before["code_id"])
        row = CodingRow(id=old_id, excerpt_id=before["excerpt_id"], code_id=before["code_id"],
                        coder_id=before["coder_id"], start=before["start"], end=before["end"],
                        origin=Origin(before["origin"]).value, suggestion_id=before.get("suggestion_id"))
        s.add(row)
        s.flush()
        return row.id, True
    return add_coding(s, before["excerpt_id"], before["code_id"], before["coder_id"], start=before["start"],
                      end=before["end"], origin=before["origin"], suggestion_id=before.get("suggestion_id"))


def list_codings(
    s: Session,
    *,
    document_id: int | None = None,
    coder_id: int | None = None,
    excerpt_ids: Iterable[int] | None = None,
) -> list[Coding]:
    q = select(CodingRow, CoderRow.name).join(CoderRow, CoderRow.id == CodingRow.coder_id)
    if document_id is not None:
        q = q.join(ExcerptRow, ExcerptRow.id == CodingRow.excerpt_id).where(ExcerptRow.document_id == document_id)
    if coder_id is not None:
        q = q.where(CodingRow.coder_id == coder_id)
    if excerpt_ids is not None:
        q = q.where(CodingRow.excerpt_id.in_(list(excerpt_ids)))
    return [
        Coding(excerpt_id=r.excerpt_id, code_id=r.code_id, coder=name, start=r.start, end=r.end,
               origin=Origin(r.origin), created_at=r.created_at, suggestion_id=r.suggestion_id, id=r.id)
        for r, name in s.execute(q.order_by(CodingRow.id)).all()
    ]


def _suggestion(r: SuggestionRow, coder_names: dict[int, str] | None = None) -> Suggestion:
    return Suggestion(
        excerpt_id=r.excerpt_id, code_id=r.code_id, score=r.score, model_id=r.model_id,
        explanation=r.explanation or {}, status=SuggestionStatus(r.status),
        decided_by=(coder_names or {}).get(r.decided_by) if r.decided_by else None,
        decided_at=r.decided_at, id=r.id,
    )


def upsert_suggestions(s: Session, suggestions: Iterable[Suggestion], *, replace_pending_for: Iterable[int] = (),
                       blind: str | None = None) -> int:
    """Store model suggestions as pending. Decided suggestions are never touched.

    ``replace_pending_for``: excerpt ids whose pending suggestions are refreshed: a code the
    model proposes again keeps its row (and id: a chip on the coder's page stays clickable)
    with the new score, model and explanation (and its time: re-scored, not new); stale ones
    that the model no longer proposes are removed, unless a coder has reviewed the excerpt
    (a colleague may still have them to decide). Returns how many are stored new.
    ``blind``: the refreshing coder, under independent coding: rows a colleague's learned model
    made are theirs alone (never shown to this coder), so this refresh neither reuses nor removes
    them (walk 19: each coder's refresh wiped the other's suggestions, and the page then said the
    document had not been scored).
    """
    replace = set(replace_pending_for)
    old_pending: list[SuggestionRow] = []  # pending rows of the refreshed excerpts
    for chunk in chunks(sorted(replace)):
        old_pending += s.scalars(select(SuggestionRow).where(
            SuggestionRow.excerpt_id.in_(chunk), SuggestionRow.status == "pending").order_by(SuggestionRow.id))
    if blind is not None:
        old_pending = [row for row in old_pending if not made_by_colleague(row.model_id, row.explanation, blind)]
    reusable: dict[tuple[int, str], SuggestionRow] = {}
    for row in old_pending:
        reusable.setdefault((row.excerpt_id, row.code_id), row)
    suggestions = list(suggestions)
    have: dict[tuple[int, str, str], SuggestionRow] = {}
    # one query per chunk of excerpts, not one per suggestion
    for chunk in chunks(sorted({sg.excerpt_id for sg in suggestions})):
        for row in s.scalars(select(SuggestionRow).where(SuggestionRow.excerpt_id.in_(chunk))):
            have[(row.excerpt_id, row.code_id, row.model_id)] = row
    kept: set[int] = set()
    added = 0
    for sg in suggestions:
        existing = have.get((sg.excerpt_id, sg.code_id, sg.model_id))
        if existing is None and sg.excerpt_id in replace:
            existing = reusable.get((sg.excerpt_id, sg.code_id))
            if existing is not None and existing.id in kept:
                existing = None
        if existing is not None:
            if existing.status == "pending":
                kept.add(existing.id)
                # re-scored, not new: it keeps its time (walk 11: a colleague's refresh re-proposed
                # a chip on an excerpt the coder had half decided, the new time read as "made after
                # your review", and the coder's undecided chip vanished)
                existing.score, existing.explanation = float(sg.score), sg.explanation
                existing.model_id = sg.model_id
            continue
        row = SuggestionRow(excerpt_id=sg.excerpt_id, code_id=sg.code_id, score=float(sg.score),
                            model_id=sg.model_id, explanation=sg.explanation, status="pending")
        s.add(row)
        have[(sg.excerpt_id, sg.code_id, sg.model_id)] = row
        added += 1
    # The stale ones last: the updates and inserts above are flushed first (autoflush), and
    # none of them can collide with a stale row (an exact match would have been reused).
    # ... except on excerpts a coder has reviewed, where a row made before their latest review
    # stays: a refresh is one coder's (it never touches their own reviewed excerpts), and a
    # colleague who reviewed the excerpt may still have such a chip to decide (walk 11: one
    # vanished from under the coder who had it open). A row made after every review of the
    # excerpt is no one's half-decided chip: it goes (walk 17: on the excerpts alice had
    # reviewed, bob's stale suggestions from ten of his models piled up, never re-scored).
    stale = [row for row in old_pending if row.id not in kept]
    last_review: dict[int, Any] = {}
    for chunk in chunks(sorted({row.excerpt_id for row in stale})):
        last_review.update(s.execute(select(ReviewRow.excerpt_id, func.max(ReviewRow.reviewed_at))
                                     .where(ReviewRow.excerpt_id.in_(chunk)).group_by(ReviewRow.excerpt_id)).all())
    gone = {row.id for row in stale
            if row.excerpt_id not in last_review or row.created_at > last_review[row.excerpt_id]}
    for chunk in chunks(sorted(gone)):
        s.execute(delete(SuggestionRow).where(SuggestionRow.id.in_(chunk)))
    s.flush()
    return added


def list_suggestions(
    s: Session,
    *,
    document_id: int | None = None,
    status: str | None = None,
    excerpt_ids: Iterable[int] | None = None,
) -> list[Suggestion]:
    q = select(SuggestionRow)
    if document_id is not None:
        q = q.join(ExcerptRow, ExcerptRow.id == SuggestionRow.excerpt_id).where(ExcerptRow.document_id == document_id)
    if status:
        q = q.where(SuggestionRow.status == status)
    if excerpt_ids is not None:
        q = q.where(SuggestionRow.excerpt_id.in_(list(excerpt_ids)))
    names = dict(s.execute(select(CoderRow.id, CoderRow.name)).all())
    return [_suggestion(r, names) for r in s.scalars(q.order_by(SuggestionRow.excerpt_id, SuggestionRow.score.desc()))]


def suggested_codes(s: Session, document_id: int) -> set[str]:
    """The codes with a pending suggestion somewhere in the document (one cheap query: the Code
    page asks every few seconds whether a code new to it has suggestions now)."""
    return set(s.scalars(select(SuggestionRow.code_id).distinct()
                         .join(ExcerptRow, ExcerptRow.id == SuggestionRow.excerpt_id)
                         .where(ExcerptRow.document_id == document_id, SuggestionRow.status == "pending")))


def unreviewed_by(column, coder_id: int):
    """A condition: ``column`` (an excerpt id) is not among the excerpts ``coder_id`` reviewed."""
    return column.not_in(select(ReviewRow.excerpt_id).where(ReviewRow.coder_id == coder_id))


def pending_by_document(s: Session, code_ids: Iterable[str], coder_id: int | None, *,
                        blind_to: str | None = None) -> dict[str, list[tuple[int, str, int]]]:
    """code id -> ``(document id, name, n)`` of its pending suggestions on excerpts ``coder_id``
    has not reviewed, most first: where a code new to the Code page is suggested. ``blind_to``:
    a coder under independent coding, who is not shown a colleague's learned model's rows."""
    q = (select(SuggestionRow.code_id, DocumentRow.id, DocumentRow.name, SuggestionRow.model_id,
                SuggestionRow.explanation)
         .join(ExcerptRow, ExcerptRow.id == SuggestionRow.excerpt_id)
         .join(DocumentRow, DocumentRow.id == ExcerptRow.document_id)
         .where(SuggestionRow.code_id.in_(list(code_ids)), SuggestionRow.status == "pending"))
    if coder_id is not None:
        q = q.where(unreviewed_by(SuggestionRow.excerpt_id, coder_id))
    counts: dict[tuple[str, int, str], int] = {}
    for code_id, doc_id, name, model_id, explanation in s.execute(q):
        if blind_to is not None and made_by_colleague(model_id, explanation, blind_to):
            continue
        key = (code_id, int(doc_id), str(name))
        counts[key] = counts.get(key, 0) + 1
    out: dict[str, list[tuple[int, str, int]]] = {}
    for (code_id, doc_id, name), n in counts.items():
        out.setdefault(code_id, []).append((doc_id, name, n))
    for rows in out.values():
        rows.sort(key=lambda r: (-r[2], r[1]))
    return out


def first_suggesting(s: Session, document_id: int, code_ids: Iterable[str], coder_id: int | None) -> int | None:
    """The document's first excerpt (in reading order) with a pending suggestion of one of the
    codes that ``coder_id`` has not reviewed: where "show them" takes the coder."""
    q = (select(ExcerptRow.id).join(SuggestionRow, SuggestionRow.excerpt_id == ExcerptRow.id)
         .where(ExcerptRow.document_id == document_id, SuggestionRow.code_id.in_(list(code_ids)),
                SuggestionRow.status == "pending"))
    if coder_id is not None:
        q = q.where(unreviewed_by(ExcerptRow.id, coder_id))
    return s.scalar(q.order_by(ExcerptRow.order, ExcerptRow.id).limit(1))


def pending_on(s: Session, excerpt_ids: Iterable[int], code_ids: Iterable[str], *,
               blind_to: str | None = None) -> list[tuple[int, str, int, str]]:
    """``(excerpt id, code id, document id, document name)`` of the pending suggestions of these
    codes on these excerpts, once per excerpt and code, in reading order (documents by id,
    excerpts by order): the chips "Look again" stored on excerpts a coder finished before the
    code was added. ``blind_to``: as in :func:`pending_by_document`."""
    codes = list(code_ids)
    found: dict[tuple[int, str], tuple[int, int, str]] = {}
    for chunk in (chunks(sorted(set(excerpt_ids))) if codes else []):
        for e, code, doc, name, order, model_id, explanation in s.execute(
                select(SuggestionRow.excerpt_id, SuggestionRow.code_id, DocumentRow.id, DocumentRow.name,
                       ExcerptRow.order, SuggestionRow.model_id, SuggestionRow.explanation)
                .join(ExcerptRow, ExcerptRow.id == SuggestionRow.excerpt_id)
                .join(DocumentRow, DocumentRow.id == ExcerptRow.document_id)
                .where(SuggestionRow.excerpt_id.in_(chunk), SuggestionRow.code_id.in_(codes),
                       SuggestionRow.status == "pending")):
            if blind_to is None or not made_by_colleague(model_id, explanation, blind_to):
                found[(int(e), str(code))] = (int(doc), int(order), str(name))
    ordered = sorted(found.items(), key=lambda kv: (kv[1][0], kv[1][1], kv[0][0], kv[0][1]))
    return [(e, code, doc, name) for (e, code), (doc, _order, name) in ordered]


def coded_by_others(s: Session, excerpt_ids: Iterable[int], code_id: str, coder_id: int | None) -> set[int]:
    """Of these excerpts, those where a coder other than ``coder_id`` applied ``code_id``."""
    out: set[int] = set()
    for chunk in chunks(sorted(set(excerpt_ids))):
        q = select(CodingRow.excerpt_id).where(CodingRow.excerpt_id.in_(chunk), CodingRow.code_id == code_id)
        if coder_id is not None:
            q = q.where(CodingRow.coder_id != coder_id)
        out.update(s.scalars(q))
    return out


def get_suggestion(s: Session, suggestion_id: int) -> SuggestionRow:
    row = s.get(SuggestionRow, suggestion_id)
    if row is None:
        raise NotFoundError(f"no suggestion with id {suggestion_id}")
    return row


def pending_suggestion_for(s: Session, excerpt_id: int, code_id: str, coder_id: int | None = None
                           ) -> SuggestionRow | None:
    """The newest pending suggestion of ``code_id`` on an excerpt (a refresh may have replaced
    the one a coder clicked), or None. With ``coder_id`` under independent coding, never a row
    of a colleague's learned model (:func:`_undecided_by`)."""
    rows = s.scalars(select(SuggestionRow).where(
        SuggestionRow.excerpt_id == excerpt_id, SuggestionRow.code_id == code_id,
        SuggestionRow.status == "pending").order_by(SuggestionRow.id.desc())).all()
    return next(iter(_not_colleagues(s, rows, coder_id)), None)


def _not_colleagues(s: Session, rows: list, coder_id: int | None) -> list:
    """Suggestion rows (anything with ``model_id`` and ``explanation``) less, under independent
    coding, a colleague's learned model's: those are not this coder's to see or decide."""
    blind = blind_coder(s, coder_id)
    if blind is None:
        return list(rows)
    return [r for r in rows if not made_by_colleague(r.model_id, r.explanation, blind)]


def set_suggestion_status(s: Session, suggestion_id: int, status: str, coder_id: int | None) -> dict:
    """Set a suggestion's status; returns the state before (for audit/undo)."""
    row = get_suggestion(s, suggestion_id)
    before = {"status": row.status, "decided_by": row.decided_by,
              "decided_at": row.decided_at.isoformat() if row.decided_at else None}
    row.status = SuggestionStatus(status).value
    row.decided_by = coder_id if status != "pending" else None
    row.decided_at = _now() if status != "pending" else None
    s.flush()
    return before


def restore_suggestion_status(s: Session, suggestion_id: int, before: dict, coder_id: int | None = None) -> None:
    """Put a suggestion's decision back as :func:`set_suggestion_status` returned it (undo by
    ``coder_id``). The row holds the latest decision of anyone: when another coder has decided
    it since, their verdict stays on the row; and a ``before`` naming a coder whose verdict was
    undone meanwhile is not brought back (the row goes to pending, or stays with this coder's
    earlier verdict)."""
    row = get_suggestion(s, suggestion_id)
    if coder_id is not None and row.decided_by is not None and row.decided_by != coder_id:
        return
    prev = before.get("decided_by")
    if coder_id is not None and prev is not None and prev != coder_id and verdict_undone(s, suggestion_id, prev):
        before = {"status": "pending"}
    row.status = SuggestionStatus(before.get("status", "pending")).value
    row.decided_by = before.get("decided_by")
    at = before.get("decided_at")
    row.decided_at = datetime.fromisoformat(at) if at else None
    s.flush()


def own_decisions(s: Session, coder_id: int, suggestion_ids: list[int]) -> dict[int, str]:
    """This coder's own standing verdict per suggestion: ``{id: "accepted" | "rejected"}``.

    A suggestion row holds only the latest decision (anyone's); a coder's own decisions are
    their audit events that were not undone (newest wins): accept and reject, and the
    rejections of "Nothing here" (walk 10: those were missed, so a colleague's later decision
    on the row put the chips back to "pending" for the coder who had pressed D). A code
    settled by coding by hand needs no entry: the coder's coding itself says "accepted".
    """
    return _verdicts(s, coder_id, suggestion_ids, undone=False)


def _verdicts(s: Session, coder_id: int, suggestion_ids: list[int], *, undone: bool) -> dict[int, str]:
    """:func:`own_decisions`, or (``undone``) the verdicts this coder took back."""
    return {sid: verdict for _, _, sid, verdict in
            verdict_events(s, coder_id=coder_id, suggestion_ids=suggestion_ids, undone=undone)}


def verdict_events(s: Session, *, coder_id: int | None = None, suggestion_ids: Iterable[int] | None = None,
                   undone: bool = False) -> list[tuple[int, int, int, str]]:
    """The verdicts on suggestions the audit trail holds, oldest first: (audit id, coder id,
    suggestion id, "accepted" | "rejected") of accept and reject events and of each rejection of
    a "Nothing here". ``coder_id`` and ``suggestion_ids`` narrow them; ``undone``: the ones taken
    back instead of those that stand."""
    wanted = None if suggestion_ids is None else {int(i) for i in suggestion_ids}
    if wanted is not None and not wanted:
        return []
    decided = (select(AuditRow.id, AuditRow.coder_id, AuditRow.action, AuditRow.entity_id, literal(None))
               .where(AuditRow.entity == "suggestion", AuditRow.action.in_(("accept", "reject")),
                      AuditRow.undone.is_(undone)))
    nothing = (select(AuditRow.id, AuditRow.coder_id, AuditRow.action, AuditRow.entity_id, AuditRow.after)
               .where(AuditRow.action == "nothing_here", AuditRow.undone.is_(undone)))
    # a coding removed or recoded: the suggestions it had accepted are rejected (``unaccept``);
    # filed under the coding, so never narrowed by suggestion (such events are few)
    uncoded = (select(AuditRow.id, AuditRow.coder_id, AuditRow.action, AuditRow.entity_id, AuditRow.after)
               .where(AuditRow.action.in_(("uncode", "recode")), AuditRow.undone.is_(undone)))
    if coder_id is not None:
        decided, nothing = decided.where(AuditRow.coder_id == coder_id), nothing.where(AuditRow.coder_id == coder_id)
        uncoded = uncoded.where(AuditRow.coder_id == coder_id)
    queries = [decided, nothing]
    if wanted is not None:  # a "Nothing here" event is filed under its excerpt
        excerpts = ({str(e) for e in s.scalars(select(SuggestionRow.excerpt_id).where(SuggestionRow.id.in_(wanted)))}
                    if len(wanted) <= 900 else None)
        queries = [decided.where(AuditRow.entity_id.in_(chunk)) for chunk in chunks([str(i) for i in sorted(wanted)])]
        queries += ([nothing.where(AuditRow.entity_id.in_(chunk)) for chunk in chunks(sorted(excerpts))]
                    if excerpts is not None else [nothing])
    queries.append(uncoded)
    events: list[tuple[int, int, int, str]] = []
    for q in queries:
        for aid, cid, action, entity_id, after in s.execute(q):
            if action in ("nothing_here", "uncode", "recode"):
                key = "rejected" if action == "nothing_here" else "unaccepted"
                events += [(aid, cid, int(r["id"]), "rejected") for r in (after or {}).get(key) or ()]
            else:
                events.append((aid, cid, int(entity_id), "accepted" if action == "accept" else "rejected"))
    return sorted(e for e in events if wanted is None or e[2] in wanted)


def suggestion_count(s: Session) -> int:
    """How many suggestion rows there are, whatever their status: each is open for a coder who
    has decided nothing yet (the Code page offers a colleague's decided rows to them too)."""
    return int(s.scalar(select(func.count()).select_from(SuggestionRow)) or 0)


def coding_count(s: Session, coder_id: int | None = None) -> int:
    """How many codings there are (``coder_id``: that coder's alone)."""
    q = select(func.count()).select_from(CodingRow)
    if coder_id is not None:
        q = q.where(CodingRow.coder_id == coder_id)
    return int(s.scalar(q) or 0)


def pending_count(s: Session) -> int:
    """How many suggestion rows are pending (anyone's: a row holds the latest decision)."""
    return int(s.scalar(select(func.count()).select_from(SuggestionRow).where(SuggestionRow.status == "pending")) or 0)


def memo_count(s: Session) -> int:
    """How many memos there are (on anything)."""
    return int(s.scalar(select(func.count()).select_from(MemoRow)) or 0)


def verdict_undone(s: Session, suggestion_id: int, coder_id: int | None) -> bool:
    """Whether ``coder_id`` took back (undid) every verdict they gave on the suggestion. A row
    decided without an audit event (an import, an older project) does not count as undone."""
    return coder_id is not None and not own_decisions(s, coder_id, [suggestion_id]) and bool(
        _verdicts(s, coder_id, [suggestion_id], undone=True))


def made_after_review(s: Session, coder_id: int, suggestion_ids: list[int]) -> set[int]:
    """Of ``suggestion_ids``, those stored after this coder reviewed their excerpt, of a code that
    was there when they reviewed it. A coder's own refresh never re-scores an excerpt they
    reviewed, so these came from another coder's model (suggestion rows are shared): not a
    question for this coder on finished work. A code added after the review is a question they
    never had ("Look again" stores its chips there): those rows stay open for them."""
    out: set[int] = set()
    for chunk in chunks(suggestion_ids):
        q = (select(SuggestionRow.id)
             .join(ReviewRow, (ReviewRow.excerpt_id == SuggestionRow.excerpt_id) & (ReviewRow.coder_id == coder_id))
             .join(CodeRow, CodeRow.id == SuggestionRow.code_id)
             .where(SuggestionRow.id.in_(chunk), SuggestionRow.created_at > ReviewRow.reviewed_at,
                    CodeRow.created_at <= ReviewRow.reviewed_at))
        out.update(s.scalars(q))
    return out


def _undecided_by(s: Session, excerpt_id: int, coder_id: int) -> list[tuple[int, str]]:
    """(id, code) of the excerpt's suggestions this coder has not decided: pending ones, and
    those another coder decided (a row holds only the latest decision, anyone's; each coder
    records their own verdict). Under independent coding a colleague's learned model's rows
    are not this coder's to decide (:func:`open_for`; walk 34: Ana's "Nothing here" rejected,
    in her name, the rows Ben's model had stored on the excerpt, which her Code page then
    listed as hers)."""
    rows = s.execute(select(SuggestionRow.id, SuggestionRow.code_id, SuggestionRow.status, SuggestionRow.decided_by,
                            SuggestionRow.model_id, SuggestionRow.explanation)
                     .where(SuggestionRow.excerpt_id == excerpt_id).order_by(SuggestionRow.id)).all()
    rows = _not_colleagues(s, rows, coder_id)
    others = [r.id for r in rows if r.status != "pending" and r.decided_by is not None and r.decided_by != coder_id]
    mine = own_decisions(s, coder_id, others) if others else {}
    return [(r.id, r.code_id) for r in rows if r.status == "pending" or (r.id in others and r.id not in mine)]


def open_for(s: Session, coder_id: int, document_ids: Iterable[int] | None = None) -> list[tuple[int, int, str]]:
    """(id, excerpt id, code) of every suggestion still open for this coder, in bulk: what their
    Code page offers (see ``services.ui_support._states``). A row holds the latest decision of
    anyone, so "pending" on the row is not "pending for me" (walk 12: eva's export "with
    pending suggestions" left out the chips she still had to decide because ben had decided
    them, and listed ones ben's model made after she had finished the excerpt): pending rows
    and rows another coder decided, less this coder's own verdicts, less rows stored after they
    reviewed the excerpt, less codes they already have there."""
    q = select(SuggestionRow.id, SuggestionRow.excerpt_id, SuggestionRow.code_id, SuggestionRow.status,
               SuggestionRow.model_id, SuggestionRow.explanation)
    if document_ids is not None:
        q = q.join(ExcerptRow, ExcerptRow.id == SuggestionRow.excerpt_id).where(
            ExcerptRow.document_id.in_(list(document_ids)))
    q = q.where((SuggestionRow.status == "pending") | (SuggestionRow.decided_by != coder_id))
    rows = s.execute(q.order_by(SuggestionRow.id)).all()
    # under independent coding a colleague's learned model's rows are not offered, whatever the colleague
    # decided on them (walk 20: the 11 that maya rejected in a document leo had finished were "suggestions
    # for you" on leo's Project page; his Code page rightly showed none)
    rows = _not_colleagues(s, rows, coder_id)
    others = [r.id for r in rows if r.status != "pending"]
    mine = own_decisions(s, coder_id, others) if others else {}
    rows = [r for r in rows if r.status == "pending" or r.id not in mine]
    late = made_after_review(s, coder_id, [r.id for r in rows]) if rows else set()
    have = set(s.execute(select(CodingRow.excerpt_id, CodingRow.code_id).where(CodingRow.coder_id == coder_id)).all())
    out, seen = [], set()
    for r in rows:  # one per excerpt and code (two models' rows may hold the same pair)
        if r.id not in late and (r.excerpt_id, r.code_id) not in have and (r.excerpt_id, r.code_id) not in seen:
            seen.add((r.excerpt_id, r.code_id))
            out.append((r.id, r.excerpt_id, r.code_id))
    return out


def blind_coder(s: Session, coder_id: int | None) -> str | None:
    """The coder's name when independent coding is on (they are blind to colleagues' models),
    else None."""
    setting = s.get(SettingRow, "independent_coding")
    if coder_id is None or setting is None or not setting.value:
        return None
    return s.scalar(select(CoderRow.name).where(CoderRow.id == coder_id))


def coded_codes(s: Session, excerpt_id: int, coder_id: int) -> set[str]:
    """The codes this coder has on an excerpt (whole or a part of it)."""
    return set(s.scalars(select(CodingRow.code_id).where(CodingRow.excerpt_id == excerpt_id,
                                                         CodingRow.coder_id == coder_id)))


def pending_for(s: Session, excerpt_id: int, coder_id: int) -> list[int]:
    """Ids of the excerpt's suggestions still open for this coder, as the Code page shows them:
    the ones this coder has not decided (:func:`_undecided_by`), less those of a code the coder
    already has on the excerpt (coded by hand or by a selection: settled)."""
    have = coded_codes(s, excerpt_id, coder_id)
    return [i for i, code in _undecided_by(s, excerpt_id, coder_id) if code not in have]


def settle_open(s: Session, excerpt_id: int, code_id: str, coder_id: int) -> list[dict]:
    """The coder now has ``code_id`` on the excerpt (coded by hand or by a selection): the
    suggestions of that code still open there for this coder (:func:`pending_for`) are settled
    as accepted by them, so they are neither offered again nor counted as pending, and the
    refresh leaves the pair alone (a decided pair). Returns, per suggestion, its id and state
    before (for the audit trail and undo)."""
    ids = [i for i, code in _undecided_by(s, excerpt_id, coder_id) if code == code_id]
    return [{"id": sid, "before": set_suggestion_status(s, sid, "accepted", coder_id)} for sid in ids]


def unaccept(s: Session, excerpt_id: int, code_id: str, coder_id: int) -> list[dict]:
    """The coder removed (or recoded) their coding of ``code_id`` on the excerpt and has no
    other coding of it there: the suggestions of that code this coder had accepted there are
    now rejected by them (walk 13: the chip still read "accepted" beside no code). Returns, per
    suggestion, its id and state before (for the audit trail and undo)."""
    still = s.scalar(select(func.count()).select_from(CodingRow).where(
        CodingRow.excerpt_id == excerpt_id, CodingRow.code_id == code_id, CodingRow.coder_id == coder_id))
    if still:
        return []
    rows = s.scalars(select(SuggestionRow).where(SuggestionRow.excerpt_id == excerpt_id,
                                                 SuggestionRow.code_id == code_id)).all()
    mine = own_decisions(s, coder_id, [r.id for r in rows if r.decided_by != coder_id]) if rows else {}
    ids = [r.id for r in rows
           if (r.decided_by == coder_id and r.status == "accepted") or mine.get(r.id) == "accepted"]
    return [{"id": sid, "before": set_suggestion_status(s, sid, "rejected", coder_id)} for sid in ids]


def reject_pending(s: Session, excerpt_id: int, coder_id: int) -> list[dict]:
    """Reject every suggestion of an excerpt still open for this coder (:func:`pending_for`:
    "nothing here"); returns, per rejected suggestion, its id and state before (for the audit
    trail and undo)."""
    return [{"id": sid, "before": set_suggestion_status(s, sid, "rejected", coder_id)}
            for sid in pending_for(s, excerpt_id, coder_id)]


_SUGGESTION_COLUMNS = ("id", "excerpt_id", "code_id", "score", "model_id", "explanation", "status", "created_at")


def withdraw_uncodable_pending(s: Session, *, document_id: int | None = None) -> list[dict]:
    """Delete the pending suggestions on excerpts that are not codable (a speaker's role
    changed to one that is not coded); decided ones stay. Returns the withdrawn rows (JSON),
    which :func:`restore_suggestions` puts back (undo of the role change)."""
    q = select(ExcerptRow.id).where(ExcerptRow.codable.is_(False))
    if document_id is not None:
        q = q.where(ExcerptRow.document_id == document_id)
    out: list[dict] = []
    for chunk in chunks(s.scalars(q).all()):
        rows = s.scalars(select(SuggestionRow).where(SuggestionRow.excerpt_id.in_(chunk),
                                                     SuggestionRow.status == "pending")).all()
        for r in rows:
            d = {k: getattr(r, k) for k in _SUGGESTION_COLUMNS}
            d["created_at"] = r.created_at.isoformat() if r.created_at else None
            out.append(d)
        s.execute(delete(SuggestionRow).where(SuggestionRow.excerpt_id.in_(chunk),
                                              SuggestionRow.status == "pending"))
    return out


def restore_suggestions(s: Session, rows: Iterable[dict]) -> None:
    """Put back suggestions :func:`withdraw_uncodable_pending` removed, under their old ids."""
    for d in rows:
        if s.get(SuggestionRow, d["id"]) is None:
            at = d.get("created_at")
            s.add(SuggestionRow(**{**d, "created_at": datetime.fromisoformat(at) if at else _now()}))
    s.flush()


def mark_reviewed(s: Session, excerpt_id: int, coder_id: int) -> bool:
    """Record that ``coder_id`` has reviewed the excerpt. Returns True if it is new."""
    if s.scalar(select(ReviewRow.id).where(ReviewRow.excerpt_id == excerpt_id, ReviewRow.coder_id == coder_id)):
        return False
    try:
        with s.begin_nested():
            s.add(ReviewRow(excerpt_id=excerpt_id, coder_id=coder_id))
            s.flush()
        return True
    except IntegrityError:
        return False


def unmark_reviewed(s: Session, excerpt_id: int, coder_id: int) -> None:
    s.execute(delete(ReviewRow).where(ReviewRow.excerpt_id == excerpt_id, ReviewRow.coder_id == coder_id))


def reviewed_excerpts(s: Session, *, coder_id: int | None = None, document_id: int | None = None) -> set[int]:
    q = select(ReviewRow.excerpt_id)
    if coder_id is not None:
        q = q.where(ReviewRow.coder_id == coder_id)
    if document_id is not None:
        q = q.join(ExcerptRow, ExcerptRow.id == ReviewRow.excerpt_id).where(ExcerptRow.document_id == document_id)
    return set(s.scalars(q))


def add_memo(s: Session, text: str, coder_id: int, *, excerpt_id: int | None = None,
             document_id: int | None = None, code_id: str | None = None, coding_id: int | None = None) -> int:
    if coding_id is not None and excerpt_id is None:
        excerpt_id = get_coding(s, coding_id).excerpt_id  # a coding memo is found with its excerpt's
    row = MemoRow(text=text, coder_id=coder_id, excerpt_id=excerpt_id, document_id=document_id, code_id=code_id,
                  coding_id=coding_id)
    s.add(row)
    s.flush()
    return row.id


def list_memos(s: Session, *, document_id: int | None = None, excerpt_ids: Iterable[int] | None = None) -> list[Memo]:
    q = select(MemoRow, CoderRow.name).join(CoderRow, CoderRow.id == MemoRow.coder_id)
    if document_id is not None:
        q = q.outerjoin(ExcerptRow, ExcerptRow.id == MemoRow.excerpt_id).where(
            (MemoRow.document_id == document_id) | (ExcerptRow.document_id == document_id))
    if excerpt_ids is not None:
        q = q.where(MemoRow.excerpt_id.in_(list(excerpt_ids)))
    return [Memo(text=r.text, coder=name, excerpt_id=r.excerpt_id, document_id=r.document_id,
                 code_id=r.code_id, created_at=r.created_at, id=r.id, coding_id=r.coding_id)
            for r, name in s.execute(q.order_by(MemoRow.id)).all()]


def delete_memo(s: Session, memo_id: int) -> None:
    s.execute(delete(MemoRow).where(MemoRow.id == memo_id))


def memo_to_dict(r: MemoRow) -> dict:
    return {"id": r.id, "text": r.text, "coder_id": r.coder_id, "excerpt_id": r.excerpt_id,
            "document_id": r.document_id, "code_id": r.code_id, "coding_id": r.coding_id,
            "created_at": r.created_at.isoformat() if r.created_at else None}


def get_memo(s: Session, memo_id: int) -> MemoRow:
    row = s.get(MemoRow, memo_id)
    if row is None:
        raise NotFoundError(f"no memo with id {memo_id}")
    return row


def set_memo_text(s: Session, memo_id: int, text: str) -> str:
    """Change a memo's text; returns the old text."""
    row = get_memo(s, memo_id)
    old = row.text
    row.text = text
    s.flush()
    return old


def restore_memo(s: Session, before: dict) -> None:
    """Put back a deleted memo under its old id (undo of a delete), or under a new one when a
    memo written since took that id (SQLite reuses the highest id freed: the deleted memo was
    then never put back, walk 31's undo)."""
    taken = s.get(MemoRow, before["id"])
    if taken is not None and (taken.text, taken.coder_id) == (before["text"], before["coder_id"]):
        return  # already back
    at = before.get("created_at")
    s.add(MemoRow(id=None if taken is not None else before["id"], text=before["text"], coder_id=before["coder_id"],
                  excerpt_id=before.get("excerpt_id"), document_id=before.get("document_id"),
                  code_id=before.get("code_id"), coding_id=before.get("coding_id"),
                  created_at=datetime.fromisoformat(at) if at else _now()))
    s.flush()

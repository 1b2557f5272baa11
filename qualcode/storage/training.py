"""Queries behind the suggestion engine: excerpts with their context, training labels.

Training data is what a coder decided: positives are their codings; negatives are the
excerpts they reviewed (``reviews``) without a code, and suggestions they rejected. An
excerpt they never reached says nothing and is not used.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qualcode.core import made_by_colleague
from qualcode.storage.models import (
    AuditRow,
    CodeRow,
    CodingRow,
    ExcerptRow,
    ReviewRow,
    SettingRow,
    SpeakerRow,
    SuggestionRow,
    TurnRow,
)
from qualcode.storage.cache import get_vectors, put_vectors
from qualcode.storage.coding import blind_coder, own_decisions, unreviewed_by
from qualcode.storage.chunks import chunks

# Audit entities whose events can change the excerpts the engine sees (texts, roles, codable).
CORPUS_ENTITIES = ("document", "speaker", "project")


def corpus_revision(s: Session) -> tuple[int, int]:
    """(id of the last audit event on documents, speakers or the project; number of excerpts).

    Cheap to read on every suggestion run: while it is unchanged, the engine's corpus is too.
    """
    rev = s.execute(select(func.max(AuditRow.id)).where(AuditRow.entity.in_(CORPUS_ENTITIES))).scalar()
    n = s.execute(select(func.count(ExcerptRow.id))).scalar()
    return int(rev or 0), int(n or 0)


def corpus_events(s: Session, after: int) -> list[tuple[str, str, str]]:
    """(action, entity, entity_id) of the corpus events after audit id ``after``, in order."""
    q = (select(AuditRow.action, AuditRow.entity, AuditRow.entity_id)
         .where(AuditRow.id > after, AuditRow.entity.in_(CORPUS_ENTITIES)).order_by(AuditRow.id))
    return [(a, e, i) for a, e, i in s.execute(q).all()]


def excerpt_rows(
    s: Session,
    *,
    document_ids: Iterable[int] | None = None,
    excerpt_ids: Iterable[int] | None = None,
) -> list[dict[str, Any]]:
    """Excerpts in transcript order with what the engine needs: text, hash, codable,
    turn order, speaker label and role. Without filters: the whole project."""
    q = (select(ExcerptRow.id, ExcerptRow.document_id, ExcerptRow.order, ExcerptRow.text,
                ExcerptRow.text_hash, ExcerptRow.codable, TurnRow.order.label("turn_order"),
                SpeakerRow.label.label("speaker"), SpeakerRow.role.label("role"))
         .outerjoin(TurnRow, TurnRow.id == ExcerptRow.turn_id)
         .outerjoin(SpeakerRow, SpeakerRow.id == TurnRow.speaker_id))
    rows: list = []
    if excerpt_ids is not None:
        for chunk in chunks(excerpt_ids):
            rows.extend(s.execute(q.where(ExcerptRow.id.in_(chunk))).all())
    elif document_ids is not None:
        rows = list(s.execute(q.where(ExcerptRow.document_id.in_(list(document_ids)))).all())
    else:
        rows = list(s.execute(q).all())
    rows.sort(key=lambda r: (r.document_id, r.order))
    return [{"id": r.id, "document_id": r.document_id, "order": r.order, "text": r.text,
             "text_hash": r.text_hash, "codable": bool(r.codable),
             "turn_order": r.turn_order if r.turn_order is not None else -1,
             "speaker": r.speaker or "", "role": r.role or "unknown"} for r in rows]


def coder_labels(s: Session, coder_id: int) -> dict[int, set[str]]:
    """{excerpt_id: codes} for every excerpt this coder decided on (reviewed or coded), in the
    order the coder decided them (their first decision on the excerpt; excerpts coded without
    a review, if any, last, by coding).

    An empty set is a reviewed excerpt without codes: a negative for every code. The order is
    the engine's training order: its calibration fits on the latest decisions, and the
    learner's solver (like the in-memory evaluation, which trains in review order) is not
    indifferent to the order of its rows.
    """
    out: dict[int, set[str]] = {eid: set() for eid in s.scalars(
        select(ReviewRow.excerpt_id).where(ReviewRow.coder_id == coder_id).order_by(ReviewRow.id))}
    for eid, code in s.execute(select(CodingRow.excerpt_id, CodingRow.code_id)
                               .where(CodingRow.coder_id == coder_id).order_by(CodingRow.id)):
        out.setdefault(eid, set()).add(code)
    return out


def unconsidered(s: Session, coder_ids: Iterable[int], *, excerpt_ids: Iterable[int] | None = None,
                 code_ids: Iterable[str] | None = None) -> dict[int, dict[str, set[int]]]:
    """coder id -> code id -> the excerpts that coder finished before the code was added to the
    codebook and has not looked at for it since: no coding of it there, no suggestion of it
    there that they decided. Their review there says nothing about that code (it was not there
    to apply): not a counter-example for learning, not a considered "no" (Agreement says so).
    Only codes added after some review appear; ``excerpt_ids`` / ``code_ids`` narrow it."""
    ids = list(coder_ids)
    q = select(CodeRow.id, CodeRow.created_at)
    if code_ids is not None:
        wanted = list(code_ids)
        if not wanted:
            return {}
        q = q.where(CodeRow.id.in_(wanted))
    created = {cid: _utc(at) for cid, at in s.execute(q) if at is not None}
    if not created or not ids:
        return {}
    settled = {c: settled_late_codes(s, c) for c in ids}  # "not on the rest": looked at, all "no"
    newest = max(created.values())
    reviews = select(ReviewRow.excerpt_id, ReviewRow.coder_id, ReviewRow.reviewed_at).where(
        ReviewRow.coder_id.in_(ids))
    rows: list[tuple[int, int, Any]] = []
    for part in (chunks(list(excerpt_ids)) if excerpt_ids is not None else [None]):
        q = reviews if part is None else reviews.where(ReviewRow.excerpt_id.in_(part))
        for e, c, at in s.execute(q):
            at = _utc(at)
            if at is not None and at < newest:
                rows.append((e, c, at))
    out: dict[int, dict[str, set[int]]] = {}
    for excerpt_id, coder_id, at in rows:
        for code_id, made in created.items():
            if at < made and settled[coder_id].get(code_id, 0.0) < made.timestamp():
                out.setdefault(coder_id, {}).setdefault(code_id, set()).add(excerpt_id)
    if not out:
        return out
    late = sorted({e for per in out.values() for got in per.values() for e in got})
    looked: set[tuple[int, str, int]] = set()
    for part in chunks(late):
        looked |= {(c, code, e) for e, code, c in s.execute(
            select(CodingRow.excerpt_id, CodingRow.code_id, CodingRow.coder_id).where(
                CodingRow.excerpt_id.in_(part), CodingRow.coder_id.in_(ids)))}
        looked |= {(c, code, e) for e, code, c in s.execute(
            select(SuggestionRow.excerpt_id, SuggestionRow.code_id, SuggestionRow.decided_by).where(
                SuggestionRow.excerpt_id.in_(part), SuggestionRow.decided_by.in_(ids),
                SuggestionRow.status != "pending"))}
    for coder_id, per in out.items():
        for code_id, got in per.items():
            got -= {e for e in got if (coder_id, code_id, e) in looked}
    return {c: {code: got for code, got in per.items() if got} for c, per in out.items()
            if any(per.values())}


SETTLED_KEY = "not_on_the_rest"  # setting "not_on_the_rest:<coder id>": {code id: when (epoch s)}


def settled_late_codes(s: Session, coder_id: int) -> dict[str, float]:
    """code id -> when this coder said a code added after their review applies to none of the
    excerpts they had finished before it (``commands.NotOnTheRest``); a code created again later
    (a new ``created_at``) is not settled by it."""
    row = s.get(SettingRow, f"{SETTLED_KEY}:{coder_id}")
    return dict(row.value) if row is not None and isinstance(row.value, dict) else {}


def settle_late_code(s: Session, coder_id: int, code_id: str, when: float | None) -> float | None:
    """Record (``when``, epoch seconds) or clear (None) a "not on the rest" for the code;
    returns what was there before."""
    key = f"{SETTLED_KEY}:{coder_id}"
    value = settled_late_codes(s, coder_id)
    before = value.pop(code_id, None)
    if when is not None:
        value[code_id] = float(when)
    row = s.get(SettingRow, key)
    if row is None:
        s.add(SettingRow(key=key, value=value))
    else:
        row.value = value
    s.flush()
    return before


def _utc(at: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without a zone; they were stored as UTC."""
    if at is None:
        return None
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)


def blocked_pairs(s: Session, excerpt_ids: Iterable[int], coder_id: int) -> set[tuple[int, str]]:
    """Pairs not to suggest again: decided suggestions and this coder's codings.

    Under independent coding a suggestion a colleague's learned model made is never shown to
    this coder (``made_by_colleague``), so the colleague's decision on it does not settle the
    pair for them: it blocks only where this coder decided that row too. (Walk 26: a second coder
    under independent coding got no suggestion at all on the excerpts the first had finished,
    18 in a row: every pair the first coder had accepted, rejected or cleared with "Nothing
    here" was blocked for the second coder's own model, and the rows themselves were hidden.)"""
    ids = list(excerpt_ids)
    blind = blind_coder(s, coder_id)
    out: set[tuple[int, str]] = set()
    for chunk in chunks(ids):
        decided = s.execute(select(SuggestionRow.id, SuggestionRow.excerpt_id, SuggestionRow.code_id,
                                   SuggestionRow.model_id, SuggestionRow.explanation, SuggestionRow.decided_by)
                            .where(SuggestionRow.excerpt_id.in_(chunk), SuggestionRow.status != "pending")).all()
        if blind is not None:
            theirs = [r.id for r in decided if r.decided_by != coder_id
                      and made_by_colleague(r.model_id, r.explanation, blind)]
            mine = own_decisions(s, coder_id, theirs) if theirs else {}
            hidden = {i for i in theirs if i not in mine}
            decided = [r for r in decided if r.id not in hidden]
        out |= {(r.excerpt_id, r.code_id) for r in decided}
        out |= {(e, c) for e, c in s.execute(select(CodingRow.excerpt_id, CodingRow.code_id).where(
            CodingRow.excerpt_id.in_(chunk), CodingRow.coder_id == coder_id))}
    return out


def reviewed_count(s: Session, coder_id: int) -> int:
    """How many excerpts this coder has reviewed (one count query)."""
    return int(s.scalar(select(func.count(ReviewRow.id)).where(ReviewRow.coder_id == coder_id)) or 0)


def reviewed_by(s: Session, coder_id: int) -> set[int]:
    return set(s.scalars(select(ReviewRow.excerpt_id).where(ReviewRow.coder_id == coder_id)))


def pending_by_excerpt(s: Session, excerpt_ids: Iterable[int]) -> dict[int, list[tuple[str, float]]]:
    """Pending suggestions (code, score) per excerpt."""
    out: dict[int, list[tuple[str, float]]] = {}
    for chunk in chunks(excerpt_ids):
        for e, c, sc in s.execute(select(SuggestionRow.excerpt_id, SuggestionRow.code_id, SuggestionRow.score)
                                  .where(SuggestionRow.excerpt_id.in_(chunk),
                                         SuggestionRow.status == "pending")):
            out.setdefault(e, []).append((c, float(sc)))
    return out


def coded_excerpts(s: Session) -> set[int]:
    """Excerpts that carry any coding (by anyone)."""
    return set(s.scalars(select(CodingRow.excerpt_id).distinct()))


def cached_vectors(s: Session, hashes: Iterable[str], model_id: str) -> dict[str, bytes]:
    """Raw float32 vectors from the embedding cache (see storage.cache)."""
    return get_vectors(s, hashes, model_id)


def store_vectors(s: Session, vectors: dict[str, bytes], model_id: str, dim: int) -> None:
    put_vectors(s, vectors, model_id, dim)


# Audit entities of codebook changes (a code added, edited, merged, retired, promoted, ...).
CODEBOOK_ENTITIES = ("code", "codebook")
DECISIONS = ("accept", "reject", "code", "code_selection", "code_excerpts", "review", "nothing_here")


def codebook_revision(s: Session) -> int:
    """Id of the last audit event on the codebook (0: none): changes when any code does."""
    rev = s.execute(select(func.max(AuditRow.id)).where(AuditRow.entity.in_(CODEBOOK_ENTITIES))).scalar()
    return int(rev or 0)


def codebook_changed_after(s: Session, when: Any) -> bool:
    """Whether the codebook changed after ``when`` (a datetime)."""
    q = select(AuditRow.id).where(AuditRow.entity.in_(CODEBOOK_ENTITIES), AuditRow.at > when).limit(1)
    return s.execute(q).first() is not None


SUGGESTED_WITH = "suggested_with_codebook:"  # + coder id: the setting below


def suggested_with(s: Session, coder_id: int) -> int | None:
    """The codebook revision (:func:`codebook_revision`) that this coder's last full refresh of
    their unreviewed excerpts was made with; None if they never had one. Kept in the project,
    so any process serving the coder sees whether the codebook changed since."""
    row = s.get(SettingRow, f"{SUGGESTED_WITH}{int(coder_id)}")
    return None if row is None or row.value is None else int(row.value)


def set_suggested_with(s: Session, coder_id: int, revision: int) -> None:
    """Remember, in the transaction that wrote the last part of a full refresh, which codebook
    revision this coder's suggestions were made with (bookkeeping of the model output, like a
    suggestion's ``created_at``: not a decision, so not a command). One row per coder: coders
    refreshing at the same time never write the same row."""
    key = f"{SUGGESTED_WITH}{int(coder_id)}"
    row = s.get(SettingRow, key)
    if row is not None:
        row.value = int(revision)
        return
    try:
        with s.begin_nested():
            s.add(SettingRow(key=key, value=int(revision)))
    except IntegrityError:  # the same coder's refresh in another process wrote it meanwhile
        s.get(SettingRow, key).value = int(revision)


def _model_of(explanation: Any) -> str | None:
    """The coder whose model made a suggestion, as its explanation records it (None: not
    recorded, as on suggestions stored before it was)."""
    who = explanation.get("model_of") if isinstance(explanation, dict) else None
    return str(who) if who else None


def newest_suggestion(s: Session) -> dict[str, Any] | None:
    """The most recently stored suggestion's model id, time and the coder whose model made it
    (``model_of``: None when not recorded), or None (by time: a refresh updates the rows of
    codes it proposes again in place)."""
    row = s.execute(select(SuggestionRow.model_id, SuggestionRow.created_at, SuggestionRow.explanation)
                    .order_by(SuggestionRow.created_at.desc(), SuggestionRow.id.desc()).limit(1)).first()
    return ({"model_id": row.model_id, "created_at": row.created_at, "model_of": _model_of(row.explanation)}
            if row else None)


def pending_models(s: Session, document_id: int, coder_id: int | None) -> dict[str, str | None]:
    """The models behind the pending suggestions on the document's excerpts that this coder has
    not reviewed (those their Code page offers): model id -> the coder whose model it is (None:
    not recorded). One query for the model ids, then one row's explanation per model (few)."""
    q = (select(SuggestionRow.model_id).distinct()
         .join(ExcerptRow, ExcerptRow.id == SuggestionRow.excerpt_id)
         .where(ExcerptRow.document_id == document_id, SuggestionRow.status == "pending"))
    if coder_id is not None:
        q = q.where(unreviewed_by(SuggestionRow.excerpt_id, coder_id))
    out: dict[str, str | None] = {}
    for model_id in sorted(s.scalars(q)):
        explanation = s.scalar(select(SuggestionRow.explanation).join(
            ExcerptRow, ExcerptRow.id == SuggestionRow.excerpt_id).where(
            ExcerptRow.document_id == document_id, SuggestionRow.status == "pending",
            SuggestionRow.model_id == model_id).limit(1))
        out[model_id] = _model_of(explanation)
    return out


def newest_colleague_row(s: Session, document_id: int, coder_id: int | None, coder: str) -> datetime | None:
    """When a colleague's learned model last stored a pending suggestion on the document's
    excerpts this coder has not reviewed (None: none there): under independent coding such rows
    are hidden from the coder, whose own model re-scores the document if they are newer than its
    last refresh."""
    q = (select(SuggestionRow.model_id, SuggestionRow.explanation, SuggestionRow.created_at)
         .join(ExcerptRow, ExcerptRow.id == SuggestionRow.excerpt_id)
         .where(ExcerptRow.document_id == document_id, SuggestionRow.status == "pending"))
    if coder_id is not None:
        q = q.where(unreviewed_by(SuggestionRow.excerpt_id, coder_id))
    times = [at.replace(tzinfo=at.tzinfo or timezone.utc) for model_id, explanation, at in s.execute(q)
             if made_by_colleague(model_id, explanation, coder)]
    return max(times) if times else None


def decision_events(s: Session) -> list[dict[str, Any]]:
    """Every coder's decisions that stand (not undone), in order: coder, action, and for
    codings the origin (``suggestion`` when the coder accepted a suggestion) and how many of
    the coder's open suggestions of that code a coding by hand settled (``settled``: the
    code had been suggested there), and, for a "nothing here", how many pending suggestions
    it rejected."""
    from qualcode.storage.models import CoderRow

    q = (select(AuditRow.id, AuditRow.action, AuditRow.after, CoderRow.name)
         .join(CoderRow, CoderRow.id == AuditRow.coder_id)
         .where(AuditRow.action.in_(DECISIONS), AuditRow.undone.is_(False)).order_by(AuditRow.id))
    out = []
    for _id, action, after, coder in s.execute(q).all():
        after = after if isinstance(after, dict) else {}
        settled = len(after.get("settled") or ()) + sum(len(m.get("settled") or ())
                                                        for m in after.get("codings") or () if isinstance(m, dict))
        out.append({"coder": coder, "action": action, "origin": after.get("origin"),
                    "rejected": len(after.get("rejected") or ()), "settled": settled})
    return out

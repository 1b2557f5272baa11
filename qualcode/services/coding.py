"""A coder's decisions: accept, reject, code by hand, remove, memo, mark reviewed, undo.

Every decision is one transaction that also writes its audit event, so the trail and
the data never disagree. Undo reverses a coder's own latest decisions and is audited.
"""

from __future__ import annotations

from typing import Any

from qualcode.core import Origin
from qualcode.core.spans import cover, trim
from qualcode.errors import NotFoundError, QualcodeError
from qualcode.services.project import ProjectContext
from qualcode.storage import audit
from qualcode.storage import coding as store
from qualcode.storage import spans as span_store

UNDOABLE = ("accept", "reject", "code", "code_selection", "recode", "uncode", "memo", "review")


def accept_suggestion(ctx: ProjectContext, suggestion_id: int) -> int:
    """Accept a pending suggestion: it becomes this coder's coding. Returns the coding id."""
    with ctx.session() as s:
        cid = ctx.coder_id(s)
        sg = store.get_suggestion(s, suggestion_id)
        before = store.set_suggestion_status(s, suggestion_id, "accepted", cid)
        coding_id, created = store.add_coding(s, sg.excerpt_id, sg.code_id, cid,
                                              origin=Origin.SUGGESTION, suggestion_id=suggestion_id)
        new_review = store.mark_reviewed(s, sg.excerpt_id, cid)
        audit.record(s, "accept", "suggestion", suggestion_id, coder_id=cid, before=before,
                     after={"status": "accepted", "coding_id": coding_id, "coding_created": created,
                            "excerpt_id": sg.excerpt_id, "code_id": sg.code_id,
                            "review_created": new_review})
        return coding_id


def reject_suggestion(ctx: ProjectContext, suggestion_id: int) -> None:
    """Reject a suggestion. It is kept (as training data and audit trail)."""
    with ctx.session() as s:
        cid = ctx.coder_id(s)
        sg = store.get_suggestion(s, suggestion_id)
        before = store.set_suggestion_status(s, suggestion_id, "rejected", cid)
        new_review = store.mark_reviewed(s, sg.excerpt_id, cid)
        audit.record(s, "reject", "suggestion", suggestion_id, coder_id=cid, before=before,
                     after={"status": "rejected", "excerpt_id": sg.excerpt_id, "code_id": sg.code_id,
                            "review_created": new_review})


def decide(ctx: ProjectContext, suggestion_id: int, accept: bool) -> int | None:
    return accept_suggestion(ctx, suggestion_id) if accept else reject_suggestion(ctx, suggestion_id)


def add_coding(
    ctx: ProjectContext,
    excerpt_id: int,
    code_id: str,
    *,
    start: int | None = None,
    end: int | None = None,
    origin: Origin | str = Origin.MANUAL,
) -> int:
    """Code an excerpt (or a narrower span of it) by hand. Returns the coding id."""
    with ctx.session() as s:
        cid = ctx.coder_id(s)
        coding_id, created = store.add_coding(s, excerpt_id, code_id, cid, start=start, end=end, origin=origin)
        new_review = store.mark_reviewed(s, excerpt_id, cid)
        if created:
            row = store.get_coding(s, coding_id)
            audit.record(s, "code", "coding", coding_id, coder_id=cid, before=None,
                         after={**store.coding_to_dict(row), "review_created": new_review})
        return coding_id


def code_selection(ctx: ProjectContext, document_id: int, start: int, end: int, code_id: str) -> list[int]:
    """Code a selected passage of a document, as one action and one undo. Returns coding ids.

    The selection ``[start, end)`` (document offsets, code points) may cross sentences and
    turns of one speaker; each excerpt it covers gets a coding of exactly the part selected
    (white space at the ends left out). Excerpts whose speaker is not coded (an interviewer)
    are refused, as is a selection across different speakers.
    """
    with ctx.session() as s:
        cid = ctx.coder_id(s)
        rows = span_store.excerpts_in_range(s, document_id, start, end)
        if not rows:
            raise QualcodeError("the selection holds no transcript text",
                                hint="select words of the transcript, then choose a code")
        speakers = {r["speaker"] for r in rows}
        if len(speakers) > 1:
            raise QualcodeError("the selection crosses turns of different speakers",
                                hint="select the words of one speaker at a time")
        if not all(r["codable"] for r in rows):
            raise QualcodeError(f"{rows[0]['speaker'] or 'this speaker'}'s speech is not coded in this project",
                                hint="change the speaker's role on the Documents page if it should be coded")
        text = span_store.document_text(s, document_id)
        pieces = []
        for ex_id, a, b in cover([(r["id"], r["start"], r["end"]) for r in rows], start, end):
            a, b = trim(text, a, b)
            if a < b:
                pieces.append((ex_id, a, b))
        if not pieces:
            raise QualcodeError("the selection holds only spaces", hint="select some words, then choose a code")
        made = []
        for ex_id, a, b in pieces:
            coding_id, created = store.add_coding(s, ex_id, code_id, cid, start=a, end=b, origin=Origin.MANUAL)
            made.append({"coding_id": coding_id, "created": created, "excerpt_id": ex_id,
                         "review_created": store.mark_reviewed(s, ex_id, cid)})
        audit.record(s, "code_selection", "document", document_id, coder_id=cid, before=None,
                     after={"code_id": code_id, "start": start, "end": end, "codings": made})
        return [m["coding_id"] for m in made]


def recode(ctx: ProjectContext, coding_id: int, code_id: str) -> int:
    """Give a coding another code (same passage, same coder): one action, one undo."""
    with ctx.session() as s:
        cid = ctx.coder_id(s)
        before = store.remove_coding(s, coding_id)
        new_id, created = store.add_coding(s, before["excerpt_id"], code_id, cid, start=before["start"],
                                           end=before["end"], origin=before["origin"])
        audit.record(s, "recode", "coding", coding_id, coder_id=cid, before=before,
                     after={"coding_id": new_id, "created": created, "code_id": code_id})
        return new_id


def remove_coding(ctx: ProjectContext, coding_id: int) -> None:
    with ctx.session() as s:
        cid = ctx.coder_id(s)
        before = store.remove_coding(s, coding_id)
        audit.record(s, "uncode", "coding", coding_id, coder_id=cid, before=before, after=None)


def mark_reviewed(ctx: ProjectContext, excerpt_id: int) -> None:
    """Mark an excerpt done (for excerpts that get no code: 'nothing here')."""
    with ctx.session() as s:
        cid = ctx.coder_id(s)
        if store.mark_reviewed(s, excerpt_id, cid):
            audit.record(s, "review", "excerpt", excerpt_id, coder_id=cid, after={"excerpt_id": excerpt_id})


def add_memo(ctx: ProjectContext, text: str, *, excerpt_id: int | None = None,
             document_id: int | None = None, code_id: str | None = None, coding_id: int | None = None) -> int:
    """A memo on an excerpt, a document, a code (an analytic memo) or one coding."""
    text = text.strip()
    if not text:
        raise QualcodeError("a memo needs some text", hint="type the memo, then save")
    with ctx.session() as s:
        cid = ctx.coder_id(s)
        memo_id = store.add_memo(s, text, cid, excerpt_id=excerpt_id, document_id=document_id, code_id=code_id,
                                 coding_id=coding_id)
        audit.record(s, "memo", "memo", memo_id, coder_id=cid,
                     after={"text": text, "excerpt_id": excerpt_id, "document_id": document_id, "code_id": code_id,
                            "coding_id": coding_id})
        return memo_id


def _undo_event(s, ev, coder_id: int) -> None:
    after: dict[str, Any] = ev.after or {}
    if ev.action in ("accept", "reject"):
        before = ev.before or {}
        store.set_suggestion_status(s, int(ev.entity_id), before.get("status", "pending"), before.get("decided_by"))
        if ev.action == "accept" and after.get("coding_created") and after.get("coding_id"):
            try:
                store.remove_coding(s, int(after["coding_id"]))
            except NotFoundError:
                pass
        if after.get("review_created"):
            store.unmark_reviewed(s, int(after["excerpt_id"]), coder_id)
    elif ev.action == "code":
        try:
            store.remove_coding(s, int(ev.entity_id))
        except NotFoundError:
            pass
        if after.get("review_created"):
            store.unmark_reviewed(s, int(after["excerpt_id"]), coder_id)
    elif ev.action == "code_selection":
        for made in after.get("codings", []):
            if made.get("created"):
                try:
                    store.remove_coding(s, int(made["coding_id"]))
                except NotFoundError:
                    pass
            if made.get("review_created"):
                store.unmark_reviewed(s, int(made["excerpt_id"]), coder_id)
    elif ev.action == "recode":
        if after.get("created"):
            try:
                store.remove_coding(s, int(after["coding_id"]))
            except NotFoundError:
                pass
        store.restore_coding(s, ev.before)
    elif ev.action == "uncode":
        store.restore_coding(s, ev.before)
    elif ev.action == "memo":
        store.delete_memo(s, int(ev.entity_id))
    elif ev.action == "review":
        store.unmark_reviewed(s, int(ev.entity_id), coder_id)


def undo(ctx: ProjectContext, steps: int = 1) -> list[dict[str, Any]]:
    """Undo this coder's last ``steps`` decisions (newest first). Returns what was undone.

    Each undo is itself an audit event; an undone event is not undone twice.
    """
    undone: list[dict[str, Any]] = []
    with ctx.session() as s:
        cid = ctx.coder_id(s)
        events = audit.latest_rows(s, coder_id=cid, actions=UNDOABLE, limit=steps)
        for ev in events:
            _undo_event(s, ev, cid)
            ev.undone = True
            audit.record(s, "undo", ev.entity, ev.entity_id, coder_id=cid,
                         before={"action": ev.action, "after": ev.after}, after=ev.before, undo_of=ev.id)
            undone.append({"action": ev.action, "entity": ev.entity, "entity_id": ev.entity_id})
    return undone

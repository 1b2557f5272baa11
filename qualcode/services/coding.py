"""A coder's decisions: accept, reject, code by hand, remove, memo, mark reviewed, undo.

Every decision is one transaction that also writes its audit event, so the trail and
the data never disagree. Undo reverses a coder's own latest decisions and is audited.
"""

from __future__ import annotations

from typing import Any

from qualcode.core import Origin
from qualcode.errors import NotFoundError, QualcodeError
from qualcode.services.project import ProjectContext
from qualcode.storage import audit
from qualcode.storage import coding as store

UNDOABLE = ("accept", "reject", "code", "uncode", "memo", "review")


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


def nothing_here(ctx: ProjectContext, excerpt_id: int) -> int:
    """"Nothing here": reject the excerpt's pending suggestions and mark it reviewed with no
    code (a negative example), in one transaction; undone as one. Returns how many were rejected.
    """
    with ctx.session() as s:
        cid = ctx.coder_id(s)
        rejected = store.reject_pending(s, excerpt_id, cid)
        new_review = store.mark_reviewed(s, excerpt_id, cid)
        if rejected or new_review:
            audit.record(s, "review", "excerpt", excerpt_id, coder_id=cid,
                         after={"excerpt_id": excerpt_id, "rejected": rejected, "review_created": new_review})
        return len(rejected)


def add_memo(ctx: ProjectContext, text: str, *, excerpt_id: int | None = None,
             document_id: int | None = None, code_id: str | None = None) -> int:
    text = text.strip()
    if not text:
        raise QualcodeError("a memo needs some text", hint="type the memo, then save")
    with ctx.session() as s:
        cid = ctx.coder_id(s)
        memo_id = store.add_memo(s, text, cid, excerpt_id=excerpt_id, document_id=document_id, code_id=code_id)
        audit.record(s, "memo", "memo", memo_id, coder_id=cid,
                     after={"text": text, "excerpt_id": excerpt_id, "document_id": document_id, "code_id": code_id})
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
    elif ev.action == "uncode":
        store.restore_coding(s, ev.before)
    elif ev.action == "memo":
        store.delete_memo(s, int(ev.entity_id))
    elif ev.action == "review":
        for r in after.get("rejected") or ():  # "nothing here": its rejections go back to pending
            store.set_suggestion_status(s, int(r["id"]), r["before"].get("status", "pending"),
                                        r["before"].get("decided_by"))
        if after.get("review_created", True):
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

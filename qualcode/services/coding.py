"""A coder's decisions: accept, reject, code by hand, remove, memo, mark reviewed, undo.

Each public function builds a typed command (``qualcode.core.commands``) and runs it
through the one executor (``services.commands.execute``): one transaction that also
records the command as its audit event, so the trail and the data never disagree. The
handlers below say how each command applies and how it reverts; :func:`undo` is the one
undo (it reverts the coder's latest command of any kind, consensus and codebook included).
"""

from __future__ import annotations

import time
from typing import Any

from qualcode.core import Origin, SuggestionStatus
from qualcode.core import commands as cmd
from qualcode.core.spans import cover, trim
from qualcode.errors import NotFoundError, QualcodeError
from qualcode.services import commands as executor
from qualcode.services.commands import Outcome, handles
from qualcode.services.project import ProjectContext
from qualcode.storage import coding as store
from qualcode.storage import spans as span_store
from qualcode.storage import training

#: the decisions of this module (the one undo reverts any undoable command, these included)
UNDOABLE = ("accept", "reject", "code", "code_selection", "recode", "nothing_here", "uncode", "memo", "memo_edit", "memo_delete",
            "review", "not_on_the_rest")


# ----------------------------------------------------------------------------- handlers
def _unreview(s, after: dict[str, Any], coder_id: int) -> None:
    if after.get("review_created"):
        store.unmark_reviewed(s, int(after["excerpt_id"]), coder_id)


def _drop_coding(s, coding_id: Any) -> None:
    try:
        store.remove_coding(s, int(coding_id))
    except NotFoundError:  # already gone (e.g. removed by a later, undone command)
        pass


def _unsettle(s, after: dict[str, Any], cid: int) -> None:
    """Undo of a coding: the suggestions it settled (``store.settle_open``) are open again (and
    undo of a removal: those ``store.unaccept`` rejected are accepted again)."""
    for r in reversed(after.get("settled") or ()):
        try:
            store.restore_suggestion_status(s, int(r["id"]), r["before"], cid)
        except NotFoundError:  # replaced by a refresh meanwhile
            pass


def _decided_suggestion(s, c, cid: int):
    """The suggestion a decision is about. The chip the coder clicked may be stale: the
    background refresh replaced the excerpt's pending suggestions meanwhile, and the id is
    gone or (SQLite reuses ids) names another suggestion. With the chip's excerpt and code
    given, the decision then goes to the current pending suggestion of that code on that
    excerpt (what the coder meant), or is refused when the model no longer suggests it."""
    try:
        sg = store.get_suggestion(s, c.suggestion_id)
    except NotFoundError:
        if c.excerpt_id is None or c.code_id is None:
            raise
        sg = None
    if sg is not None and (c.excerpt_id is None or sg.excerpt_id == c.excerpt_id) and (
            c.code_id is None or sg.code_id == c.code_id):
        return sg
    current = (store.pending_suggestion_for(s, c.excerpt_id, c.code_id, cid)
               if c.excerpt_id is not None and c.code_id is not None else None)
    if current is None:
        raise NotFoundError("this suggestion was replaced by newer ones while it was on screen, so nothing "
                            "was recorded", hint="decide again on the suggestions shown now")
    return current


def _repeated(before: dict | None, status: str, cid: int) -> bool:
    """Whether a decision repeats this coder's own (a key pressed twice before the page redrew)."""
    return bool(before) and before.get("status") == status and before.get("decided_by") == cid


@handles(cmd.AcceptSuggestion)
class _Accept:
    @staticmethod
    def apply(s, ctx, cid, c: cmd.AcceptSuggestion) -> Outcome:
        sg = _decided_suggestion(s, c, cid)
        before = store.set_suggestion_status(s, sg.id, SuggestionStatus.ACCEPTED, cid)
        coding_id, created = store.add_coding(s, sg.excerpt_id, sg.code_id, cid,
                                              origin=Origin.SUGGESTION, suggestion_id=sg.id)
        new_review = store.mark_reviewed(s, sg.excerpt_id, cid)
        if _repeated(before, "accepted", cid) and not created and not new_review:
            store.restore_suggestion_status(s, sg.id, before)  # its time too: the decision's order counts
            return Outcome(coding_id, record=False)  # a second press: nothing to record, nor to undo
        return Outcome(coding_id, sg.id, before,
                       {"status": "accepted", "coding_id": coding_id, "coding_created": created,
                        "excerpt_id": sg.excerpt_id, "code_id": sg.code_id, "review_created": new_review,
                        **({"batch": c.batch} if c.batch else {})})

    @staticmethod
    def revert(s, ev, cid) -> None:
        after = ev.after or {}
        store.restore_suggestion_status(s, int(ev.entity_id), ev.before or {}, cid)
        if after.get("coding_created") and after.get("coding_id"):
            _drop_coding(s, after["coding_id"])
        _unreview(s, after, cid)


@handles(cmd.RejectSuggestion)
class _Reject:
    """A reject of a suggestion this coder had accepted (a second tab still showing it pending,
    walk 38) takes the acceptance back: the coding it made goes too, so a rejected suggestion
    never stands beside the coding its acceptance made. Returns how many codings went (0 or 1)."""

    @staticmethod
    def apply(s, ctx, cid, c: cmd.RejectSuggestion) -> Outcome:
        sg = _decided_suggestion(s, c, cid)
        before = store.set_suggestion_status(s, sg.id, SuggestionStatus.REJECTED, cid)
        new_review = store.mark_reviewed(s, sg.excerpt_id, cid)
        if _repeated(before, "rejected", cid) and not new_review:
            store.restore_suggestion_status(s, sg.id, before)
            return Outcome(0, record=False)
        uncoded = [store.remove_coding(s, i) for i in store.codings_of_suggestion(s, sg.id, cid)]
        return Outcome(len(uncoded), sg.id, before,
                       {"status": "rejected", "excerpt_id": sg.excerpt_id, "code_id": sg.code_id,
                        "review_created": new_review, **({"uncoded": uncoded} if uncoded else {})})

    @staticmethod
    def revert(s, ev, cid) -> None:
        store.restore_suggestion_status(s, int(ev.entity_id), ev.before or {}, cid)
        for coding in (ev.after or {}).get("uncoded") or ():
            store.restore_coding(s, coding)
        _unreview(s, ev.after or {}, cid)


@handles(cmd.CodeExcerpt)
class _Code:
    @staticmethod
    def apply(s, ctx, cid, c: cmd.CodeExcerpt) -> Outcome:
        coding_id, created = store.add_coding(s, c.excerpt_id, c.code_id, cid, start=c.start, end=c.end,
                                              origin=c.origin)
        new_review = store.mark_reviewed(s, c.excerpt_id, cid)
        settled = store.settle_open(s, c.excerpt_id, c.code_id, cid)
        if not created and not settled:  # the same coding exists: nothing to record (nor to undo)
            return Outcome(coding_id, record=False)
        row = store.get_coding(s, coding_id)
        return Outcome(coding_id, coding_id, None, {**store.coding_to_dict(row), "review_created": new_review,
                                                    "coding_created": created, "settled": settled})

    @staticmethod
    def revert(s, ev, cid) -> None:
        after = ev.after or {}
        _unsettle(s, after, cid)
        if after.get("coding_created", True):
            _drop_coding(s, ev.entity_id)
        _unreview(s, after, cid)


@handles(cmd.CodeSelection)
class _CodeSelection:
    """A selected passage (any excerpts of one speaker): each covered excerpt coded with exactly
    the part selected (white space at the ends left out); one command, one undo."""

    @staticmethod
    def apply(s, ctx, cid, c: cmd.CodeSelection) -> Outcome:
        rows = span_store.excerpts_in_range(s, c.document_id, c.start, c.end)
        if not rows:
            raise QualcodeError("the selection holds no transcript text",
                                hint="select words of the transcript, then choose a code")
        if len({r["speaker"] for r in rows}) > 1:
            raise QualcodeError("the selection crosses turns of different speakers",
                                hint="select the words of one speaker at a time")
        if not all(r["codable"] for r in rows):
            raise QualcodeError(f"{rows[0]['speaker'] or 'this speaker'}'s speech is not coded in this project",
                                hint="change the speaker's role on the Documents page if it should be coded")
        text = span_store.document_text(s, c.document_id)
        pieces = [(ex_id, *trim(text, a, b)) for ex_id, a, b in
                  cover([(r["id"], r["start"], r["end"]) for r in rows], c.start, c.end)]
        pieces = [p for p in pieces if p[1] < p[2]]
        if not pieces:
            raise QualcodeError("the selection holds only spaces", hint="select some words, then choose a code")
        made = []
        for ex_id, a, b in pieces:
            coding_id, created = store.add_coding(s, ex_id, c.code_id, cid, start=a, end=b, origin=Origin.MANUAL)
            made.append({"coding_id": coding_id, "created": created, "excerpt_id": ex_id,
                         "review_created": store.mark_reviewed(s, ex_id, cid),
                         "settled": store.settle_open(s, ex_id, c.code_id, cid)})
        ids = [m["coding_id"] for m in made]
        if not any(m["created"] or m["settled"] or m["review_created"] for m in made):
            # every piece was coded so already (T and a code the excerpt has): nothing to record,
            # nor to undo, nor to count as a decision on the learning curve (walk 8)
            return Outcome(ids, record=False)
        return Outcome(ids, c.document_id, None,
                       {"code_id": c.code_id, "start": c.start, "end": c.end, "codings": made})

    @staticmethod
    def revert(s, ev, cid) -> None:
        for made in (ev.after or {}).get("codings", []):
            _unsettle(s, made, cid)
            if made.get("created"):
                _drop_coding(s, made["coding_id"])
            _unreview(s, made, cid)


@handles(cmd.CodeExcerpts)
class _CodeExcerpts:
    """Whole excerpts coded with one code (a search's hits): each as a hand coding (settling a
    pending suggestion of that code there, as coding by hand does); an excerpt that has the code
    already, on all or some of its words, keeps it as it is; excerpts whose speaker is not
    coded are left out and counted. One command, one undo; nothing recorded when every excerpt
    had the code already."""

    @staticmethod
    def apply(s, ctx, cid, c: cmd.CodeExcerpts) -> Outcome:
        ids = list(dict.fromkeys(int(i) for i in c.excerpt_ids))
        if not ids:
            raise QualcodeError("no excerpt was chosen", hint="tick the hits to code, then choose a code")
        codable = span_store.codable_excerpts(s, ids)
        missing = [i for i in ids if i not in codable]
        if len(missing) == len(ids) and not codable:
            raise NotFoundError("none of these excerpts is in the project any more",
                                hint="search again: a document may have been deleted meanwhile")
        made, skipped = [], [i for i in ids if codable.get(i) is False]
        for ex_id in (i for i in ids if codable.get(i)):
            # the code on some of its words is the code there: not a second, whole coding (walk 40:
            # "2 already had it" of three showing it, and the Codebook then counted 13 codings of 12)
            if c.code_id in store.coded_codes(s, ex_id, cid):
                coding_id, created = None, False
            else:
                coding_id, created = store.add_coding(s, ex_id, c.code_id, cid, origin=Origin.MANUAL)
            made.append({"coding_id": coding_id, "created": created, "excerpt_id": ex_id,
                         "review_created": store.mark_reviewed(s, ex_id, cid),
                         "settled": store.settle_open(s, ex_id, c.code_id, cid)})
        result = {"coded": [m["coding_id"] for m in made if m["created"]],
                  "already": sum(not m["created"] for m in made), "not_codable": len(skipped),
                  "gone": len(missing)}
        if not any(m["created"] or m["settled"] or m["review_created"] for m in made):
            return Outcome(result, record=False)
        return Outcome(result, c.code_id, None, {"code_id": c.code_id, "codings": made})

    @staticmethod
    def revert(s, ev, cid) -> None:
        _CodeSelection.revert(s, ev, cid)


@handles(cmd.Recode)
class _Recode:
    """Give a coding another code (same passage, same coder)."""

    @staticmethod
    def apply(s, ctx, cid, c: cmd.Recode) -> Outcome:
        before = store.remove_coding(s, c.coding_id)
        new_id, created = store.add_coding(s, before["excerpt_id"], c.code_id, cid, start=before["start"],
                                           end=before["end"], origin=before["origin"])
        unaccepted = store.unaccept(s, before["excerpt_id"], before["code_id"], cid) if c.code_id != before[
            "code_id"] else []
        return Outcome(new_id, c.coding_id, before, {"coding_id": new_id, "created": created, "code_id": c.code_id,
                                                     "unaccepted": unaccepted})

    @staticmethod
    def revert(s, ev, cid) -> None:
        after = ev.after or {}
        _unsettle(s, {"settled": after.get("unaccepted")}, cid)
        if after.get("created"):
            _drop_coding(s, after["coding_id"])
        store.restore_coding(s, ev.before)


@handles(cmd.Uncode)
class _Uncode:
    @staticmethod
    def apply(s, ctx, cid, c: cmd.Uncode) -> Outcome:
        before = store.remove_coding(s, c.coding_id)
        unaccepted = store.unaccept(s, before["excerpt_id"], before["code_id"], cid)
        return Outcome(None, c.coding_id, before, {"unaccepted": unaccepted} if unaccepted else None)

    @staticmethod
    def revert(s, ev, cid) -> None:
        _unsettle(s, {"settled": (ev.after or {}).get("unaccepted")}, cid)
        store.restore_coding(s, ev.before)


@handles(cmd.MarkReviewed)
class _Review:
    @staticmethod
    def apply(s, ctx, cid, c: cmd.MarkReviewed) -> Outcome:
        created = store.mark_reviewed(s, c.excerpt_id, cid)
        return Outcome(None, c.excerpt_id, None, {"excerpt_id": c.excerpt_id}, record=created)

    @staticmethod
    def revert(s, ev, cid) -> None:
        store.unmark_reviewed(s, int(ev.entity_id), cid)


@handles(cmd.NothingHere)
class _NothingHere:
    @staticmethod
    def apply(s, ctx, cid, c: cmd.NothingHere) -> Outcome:
        rejected = store.reject_pending(s, c.excerpt_id, cid)
        new_review = store.mark_reviewed(s, c.excerpt_id, cid)
        return Outcome(len(rejected), c.excerpt_id, None,
                       {"excerpt_id": c.excerpt_id, "rejected": rejected, "review_created": new_review},
                       record=bool(rejected or new_review))

    @staticmethod
    def revert(s, ev, cid) -> None:
        after = ev.after or {}
        for r in after.get("rejected") or ():  # its rejections go back to pending
            store.restore_suggestion_status(s, int(r["id"]), r["before"], cid)
        _unreview(s, after, cid)


@handles(cmd.NotOnTheRest)
class _NotOnTheRest:
    @staticmethod
    def apply(s, ctx, cid, c: cmd.NotOnTheRest) -> Outcome:
        late = training.unconsidered(s, [cid], code_ids=[c.code_id]).get(cid, {}).get(c.code_id, set())
        if not late:
            return Outcome(0, c.code_id, record=False)
        before = training.settle_late_code(s, cid, c.code_id, time.time())
        return Outcome(len(late), c.code_id, {"at": before}, {"code_id": c.code_id, "excerpts": sorted(late)})

    @staticmethod
    def revert(s, ev, cid) -> None:
        training.settle_late_code(s, cid, str(ev.entity_id), (ev.before or {}).get("at"))


@handles(cmd.AddMemo)
class _Memo:
    @staticmethod
    def apply(s, ctx, cid, c: cmd.AddMemo) -> Outcome:
        text = c.text.strip()
        if not text:
            raise QualcodeError("a memo needs some text", hint="type the memo, then save")
        memo_id = store.add_memo(s, text, cid, excerpt_id=c.excerpt_id, document_id=c.document_id, code_id=c.code_id,
                                 coding_id=c.coding_id)
        return Outcome(memo_id, memo_id, None, {"text": text, "excerpt_id": c.excerpt_id,
                                                "document_id": c.document_id, "code_id": c.code_id,
                                                "coding_id": c.coding_id})

    @staticmethod
    def revert(s, ev, cid) -> None:
        store.delete_memo(s, int(ev.entity_id))


@handles(cmd.EditMemo)
class _EditMemo:
    @staticmethod
    def apply(s, ctx, cid, c: cmd.EditMemo) -> Outcome:
        text = c.text.strip()
        if not text:
            raise QualcodeError("a memo needs some text", hint="type the memo, or delete it")
        old = store.set_memo_text(s, c.memo_id, text)
        return Outcome(None, c.memo_id, {"text": old}, {"text": text}, record=old != text)

    @staticmethod
    def revert(s, ev, cid) -> None:
        store.set_memo_text(s, int(ev.entity_id), (ev.before or {})["text"])


@handles(cmd.DeleteMemo)
class _DeleteMemo:
    @staticmethod
    def apply(s, ctx, cid, c: cmd.DeleteMemo) -> Outcome:
        before = store.memo_to_dict(store.get_memo(s, c.memo_id))
        store.delete_memo(s, c.memo_id)
        return Outcome(None, c.memo_id, before, None)

    @staticmethod
    def revert(s, ev, cid) -> None:
        store.restore_memo(s, ev.before)


# ----------------------------------------------------------------------------- the public API
def accept_suggestion(ctx: ProjectContext, suggestion_id: int, *, excerpt_id: int | None = None,
                      code_id: str | None = None, batch: str | None = None) -> int:
    """Accept a pending suggestion: it becomes this coder's coding. Returns the coding id.

    ``excerpt_id``, ``code_id``: the excerpt and code of the chip the coder saw (the app
    passes them). If a background refresh replaced that suggestion meanwhile, the decision
    goes to the current pending suggestion of the same code on the same excerpt, and is
    refused (NotFoundError) when there is none: never to another excerpt's or code's.
    ``batch``: the accepts of one click ("Accept all") share it; one undo takes them all back.
    """
    return executor.execute(ctx, cmd.AcceptSuggestion(suggestion_id=suggestion_id, excerpt_id=excerpt_id,
                                                      code_id=code_id, batch=batch))


def reject_suggestion(ctx: ProjectContext, suggestion_id: int, *, excerpt_id: int | None = None,
                      code_id: str | None = None) -> int:
    """Reject a suggestion. It is kept (as training data and audit trail). ``excerpt_id``,
    ``code_id``: as :func:`accept_suggestion`'s. Returns how many codings the reject took away:
    1 when this coder had accepted it (in another tab, say), so its coding goes with it."""
    return executor.execute(ctx, cmd.RejectSuggestion(suggestion_id=suggestion_id, excerpt_id=excerpt_id,
                                                      code_id=code_id))


def decide(ctx: ProjectContext, suggestion_id: int, accept: bool, *, excerpt_id: int | None = None,
           code_id: str | None = None) -> int | None:
    """Accept (returns the coding id) or reject (returns how many codings it took away)."""
    if accept:
        return accept_suggestion(ctx, suggestion_id, excerpt_id=excerpt_id, code_id=code_id)
    return reject_suggestion(ctx, suggestion_id, excerpt_id=excerpt_id, code_id=code_id)


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
    return executor.execute(ctx, cmd.CodeExcerpt(excerpt_id=excerpt_id, code_id=code_id, start=start, end=end,
                                                 origin=Origin(origin)))


def code_selection(ctx: ProjectContext, document_id: int, start: int, end: int, code_id: str) -> list[int]:
    """Code a selected passage of a document, as one action and one undo. Returns coding ids.

    The selection ``[start, end)`` (document offsets, code points) may cross sentences and
    turns of one speaker; each excerpt it covers gets a coding of exactly the part selected
    (white space at the ends left out). Excerpts whose speaker is not coded (an interviewer)
    are refused, as is a selection across different speakers.
    """
    return executor.execute(ctx, cmd.CodeSelection(document_id=document_id, start=start, end=end, code_id=code_id))


def code_excerpts(ctx: ProjectContext, excerpt_ids: "list[int]", code_id: str) -> dict[str, Any]:
    """Code whole excerpts (a search's hits) with ``code_id``, as one action and one undo.

    Returns ``coded`` (the new coding ids), ``already`` (excerpts that had the code),
    ``not_codable`` (excerpts of a speaker whose words are not coded, left out) and ``gone``
    (excerpts no longer in the project)."""
    return executor.execute(ctx, cmd.CodeExcerpts(excerpt_ids=tuple(int(i) for i in excerpt_ids), code_id=code_id))


def recode(ctx: ProjectContext, coding_id: int, code_id: str) -> int:
    """Give a coding another code (same passage, same coder): one action, one undo."""
    return executor.execute(ctx, cmd.Recode(coding_id=coding_id, code_id=code_id))


def remove_coding(ctx: ProjectContext, coding_id: int) -> None:
    executor.execute(ctx, cmd.Uncode(coding_id=coding_id))


def mark_reviewed(ctx: ProjectContext, excerpt_id: int) -> None:
    """Mark an excerpt done (for excerpts that get no code: 'nothing here')."""
    executor.execute(ctx, cmd.MarkReviewed(excerpt_id=excerpt_id))


def nothing_here(ctx: ProjectContext, excerpt_id: int) -> int:
    """"Nothing here": reject the excerpt's pending suggestions and mark it reviewed with no
    code (a negative example), in one transaction; undone as one. Returns how many were rejected.
    """
    return executor.execute(ctx, cmd.NothingHere(excerpt_id=excerpt_id))


def not_on_the_rest(ctx: ProjectContext, code_id: str) -> int:
    """A code added after this coder had finished excerpts applies to none of those they have not
    looked at for it yet (what "Look again" left unflagged): they count as looked at, each a "no"
    for it. Returns how many; undoable."""
    return executor.execute(ctx, cmd.NotOnTheRest(code_id=code_id)) or 0


def add_memo(ctx: ProjectContext, text: str, *, excerpt_id: int | None = None,
             document_id: int | None = None, code_id: str | None = None, coding_id: int | None = None) -> int:
    """A memo on an excerpt, a document, a code (an analytic memo) or one coding."""
    return executor.execute(ctx, cmd.AddMemo(text=text, excerpt_id=excerpt_id, document_id=document_id,
                                             code_id=code_id, coding_id=coding_id))


def edit_memo(ctx: ProjectContext, memo_id: int, text: str) -> None:
    """Change a memo's text (audited, undoable)."""
    executor.execute(ctx, cmd.EditMemo(memo_id=memo_id, text=text))


def delete_memo(ctx: ProjectContext, memo_id: int) -> None:
    """Delete a memo (audited; undo brings it back)."""
    executor.execute(ctx, cmd.DeleteMemo(memo_id=memo_id))


def undo_memo_delete(ctx: ProjectContext) -> list[dict[str, Any]]:
    """Bring back the memo this coder deleted last (the Memos page's Undo beside "Memo deleted":
    only that, whatever the coder did since); ``[]`` when no delete is left to undo."""
    return executor.undo(ctx, 1, only=(cmd.DeleteMemo.action,))


def undo(ctx: ProjectContext, steps: int = 1) -> list[dict[str, Any]]:
    """Undo this coder's last ``steps`` commands of any kind (newest first); the one undo.

    Each undo is itself an audit event; an undone event is not undone twice.
    """
    return executor.undo(ctx, steps)

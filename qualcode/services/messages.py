"""Messages in the app's language about what just happened (read-only look-ups).

``undone_message`` turns what an undo service returned (``action``, ``entity``,
``entity_id``) into a sentence with the excerpt's text and the code's name, e.g.
'Undone: rejecting “Trust” on “We met the same people every time.” (Interview 1).'
instead of 'Undone: reject (suggestion 17)'.
"""

from __future__ import annotations

from typing import Any

from qualcode.services.project import ProjectContext
from qualcode.storage import audit
from qualcode.storage import codes as code_store
from qualcode.storage import spans as span_store
from qualcode.storage import team as team_store

WHAT = {
    "accept": "accepting", "reject": "rejecting", "code": "coding", "uncode": "removing",
    "document_rename": "renaming the document", "document_delete": "deleting the document",
    "review": "marking as done", "memo": "the memo", "consensus": "the consensus",
    "code_selection": "coding the selection", "code_excerpts": "coding the search hits", "recode": "recoding",
    "nothing_here": "“nothing here”",
    "not_on_the_rest": "“not on the others”",
    "memo_edit": "the memo's edit", "memo_delete": "deleting the memo", "merge": "merging a colleague's work",
    "set_role": "the role change", "set_roles": "the role changes", "set_code_roles": "the coded roles",
    "code_add": "adding the code", "code_edit": "the code's edit", "code_rename": "renaming the code",
    "code_move": "moving the code", "code_merge": "merging the codes", "code_split": "splitting the code",
    "code_retire": "retiring the code", "code_restore": "restoring the code", "codebook_import": "the codebook import",
    "merge_speakers": "merging the speakers", "merge_speakers_in": "merging the speakers",
}


def _one_line(text: str, n: int = 90) -> str:
    """At most ``n`` characters, cut at a word boundary."""
    one = " ".join(str(text).split())
    if len(one) <= n:
        return one
    cut = one[: n - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > n // 2 else cut).rstrip(" ,.;:") + "…"


def _payload(s, ctx: ProjectContext, item: dict[str, Any]) -> dict[str, Any]:
    """The undone event's before/after state (where the excerpt and code are named): the event
    the coder's last undo reverted, where it is this one (walk 43: two codes put on one excerpt
    are two events on the same excerpt, and the second undo was described as the first), else
    the newest event like it."""
    events = [ev for ev in audit.list_events(s, coder=ctx.coder, action=item["action"], entity=item["entity"],
                                             limit=200) if str(ev.entity_id) == str(item["entity_id"])]
    if not events:
        return {}
    undone = audit.last_undone(s, ctx.coder) if len(events) > 1 else None  # one event: that one
    ev = next((e for e in events if e.id == undone), events[0])
    merged: dict[str, Any] = {}
    for part in (ev.before, ev.after):
        if isinstance(part, dict):
            merged.update({k: v for k, v in part.items() if v is not None})
    return merged


def _excerpt_of(item: dict[str, Any], data: dict[str, Any]) -> int | None:
    """The excerpt an undone step was on (a passage coded across excerpts: its first)."""
    found = data.get("excerpt_id") or (item["entity_id"] if item["entity"] == "excerpt" else None)
    if found is None and data.get("codings"):
        found = data["codings"][0].get("excerpt_id")
    return int(found) if found is not None else None


def undone_place(ctx: ProjectContext, done: list[dict[str, Any]] | None) -> tuple[int, int] | None:
    """(document id, excerpt id) of the newest undone step, for the Code page to open it (an
    undo shows where it took effect); None when it was on no excerpt (a codebook change)."""
    if not done:
        return None
    with ctx.session(readonly=True) as s:
        excerpt_id = _excerpt_of(done[0], _payload(s, ctx, done[0]))
        detail = team_store.excerpt_details(s, [excerpt_id]).get(excerpt_id) if excerpt_id else None
    return (int(detail["document_id"]), int(detail["excerpt_id"])) if detail else None


def undone_message(ctx: ProjectContext, done: list[dict[str, Any]] | None) -> str | None:
    """A sentence for the app about the newest undone step; None when nothing was undone.

    >>> undone_message(ctx, coding.undo(ctx))  # doctest: +SKIP
    'Undone: accepting “Trust” on “We trust each other.” (interview-1).'
    """
    if not done:
        return None
    item = done[0]
    if item["action"] == "not_on_the_rest":  # walk 45: 'Undone: “not on the others” “Cost to families”.'
        with ctx.session(readonly=True) as s:
            names = {c.id: c.name for c in code_store.load_codebook(s).codes}
        name = names.get(str(item.get("entity_id")), str(item.get("entity_id")))
        return (f"Undone: “Not on any of them” for “{name}”. Its line is back: the excerpts you had finished "
                "before it was added wait to be looked at for it.")
    with ctx.session(readonly=True) as s:
        data = _payload(s, ctx, item)
        excerpt_id = _excerpt_of(item, data)
        codes = [data["code_id"]] if data.get("code_id") else list(data.get("codes") or [])
        if not codes and item.get("entity") == "code" and item.get("entity_id"):  # a codebook change: which code
            codes = [str(item["entity_id"])]  # (walk 35: "Undone: the code's edit.")
        names = {c.id: c.name for c in code_store.load_codebook(s).codes}
        detail = team_store.excerpt_details(s, [int(excerpt_id)]).get(int(excerpt_id)) if excerpt_id else None
        whole = False
        if detail is not None and item["action"] == "code_selection" and data.get("end"):
            # the words selected, not their whole sentence (walk 38: "For the comp" was coded and the
            # undo quoted "For the complicated cases I still feel lost and I call the nurse.")
            words = " ".join(span_store.document_text(s, int(detail["document_id"]))[int(data["start"]):int(data["end"])]
                             .split())
            whole = words == " ".join(str(detail["text"]).split())
            detail = {**detail, "text": words or detail["text"]}
    what = WHAT.get(item["action"], item["action"])
    if item["action"] == "code_selection" and detail is not None and whole:
        what = WHAT["code"]  # a whole excerpt coded (T): no "selection" was made (walk 43)
    text = f"Undone: {what}"
    made = item.get("new_codes") or []
    if codes:  # a code made with it is gone from the codebook: its name from the undone event
        text += " " + ", ".join(f"“{names.get(c) or (made[0] if len(made) == 1 else c)}”" for c in codes)
    n_coded = len(data.get("codings") or ())
    if item["action"] == "code_excerpts" and n_coded != 1:  # a search's hits: how many, not the first
        text += f" on {n_coded} excerpts"
    elif detail is not None:
        text += f" on “{_one_line(detail['text'])}” ({detail['document']})"
    if item["action"] == "memo" and data.get("text"):
        text += f": “{_one_line(data['text'], 60)}”"
    if item.get("more"):
        text += f", and {item['more']} more accepted with the same click"
    if made:  # a code made in a code box for this coding goes with it (walk 40)
        text += (f". The new code {', '.join(f'“{n}”' for n in made)} made for it is gone from the codebook too"
                 if len(made) == 1 else f". The new codes {', '.join(f'“{n}”' for n in made)} are gone too")
    return text + "."


# --- the audit log in words ---------------------------------------------------------------

DONE = {
    "accept": "Accepted", "reject": "Rejected", "code": "Coded", "uncode": "Removed", "recode": "Recoded",
    "code_selection": "Coded words", "code_excerpts": "Coded search hits", "review": "Marked done",
    "nothing_here": "“Nothing here”", "not_on_the_rest": "“Not on the others”", "memo": "Wrote a memo",
    "memo_edit": "Edited a memo", "memo_delete": "Deleted a memo", "consensus": "Consensus",
    "import": "Imported", "import_survey": "Imported the survey", "import_project": "Imported a project",
    "delete": "Deleted", "document_rename": "Renamed the document", "document_delete": "Deleted the document",
    "set_role": "Changed a speaker's role", "set_roles": "Changed speakers' roles", "set_code_roles": "Changed the coded roles",
    "set_attribute": "Set an attribute", "set_attributes": "Set attributes", "set_speaker_attributes": "Set speaker attributes",
    "deidentify": "De-identified", "merge_speakers": "Merged speakers", "merge_speakers_in": "Merged speakers",
    "code_add": "Added the code", "code_edit": "Edited the code", "code_rename": "Renamed the code",
    "code_move": "Moved the code", "code_merge": "Merged the codes", "code_split": "Split the code",
    "code_retire": "Retired the code", "code_restore": "Restored the code", "codebook_import": "Imported a codebook",
    "merge": "Merged a colleague's work", "add_coder": "Added a coder", "setting": "Changed a setting",
    "preference": "Changed a preference",
}


def _merged(*parts: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in parts:
        if isinstance(part, dict):
            out.update({k: v for k, v in part.items() if v is not None})
    return out


def _event_of(row: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """(the step, its before/after state, whether the row undid it): an undo's row describes
    the step it took back, whose state it keeps in its ``before``."""
    before = row.get("before")
    if row["action"] == "undo" and isinstance(before, dict) and before.get("action"):
        step = {"action": before["action"], "entity": row["entity"], "entity_id": row["entity_id"]}
        return step, _merged(before.get("after")), True
    return row, _merged(row.get("before"), row.get("after")), False


def _codes_of(step: dict[str, Any], data: dict[str, Any]) -> list[str]:
    if data.get("code_id"):
        return [str(data["code_id"])]
    if isinstance(data.get("codes"), list) and all(isinstance(c, str) for c in data["codes"]):
        return list(data["codes"])
    if step.get("entity") == "code" and step.get("entity_id"):
        return [str(step["entity_id"])]
    return []


def audit_lines(ctx: ProjectContext, rows: list[dict[str, Any]]) -> list[str]:
    """Each audit event (as ``services.team.audit_log`` returns them) in a sentence for the app,
    with the code's name, the excerpt's words and the document's name, e.g. 'Accepted “Trust”
    on “We met the same people every time.” (Interview 1)' or 'Undid: coding “Evidence” on …'
    (walks 47 and 48: the log showed Python dictionaries). The raw before/after stay in the
    downloads."""
    from qualcode.storage import exchange

    steps = [_event_of(r) for r in rows]
    with ctx.session(readonly=True) as s:
        names = {c.id: c.name for c in code_store.load_codebook(s).codes}
        ids = {x for step, data, _ in steps if (x := _excerpt_of(step, data)) is not None}
        details = team_store.excerpt_details(s, ids) if ids else {}
        documents = {str(i): name for name, doc_ids in exchange.documents_by_name(s).items() for i in doc_ids}
        # a selection: the words selected, not their sentence (each document's text read once)
        selections = [(data, details[x]) for step, data, _ in steps if step["action"] == "code_selection"
                      and data.get("end") and (x := _excerpt_of(step, data)) in details]
        texts = exchange.document_texts(s, {int(d["document_id"]) for _, d in selections})
    for data, detail in selections:
        data["words"] = " ".join(texts[int(detail["document_id"])][int(data["start"]):int(data["end"])].split())
    return [_audit_line(step, data, undone, names, details, documents, r)
            for (step, data, undone), r in zip(steps, rows)]


def _audit_line(step: dict[str, Any], data: dict[str, Any], undone: bool, names: dict[str, str],
                details: dict[int, dict[str, Any]], documents: dict[str, str], row: dict[str, Any]) -> str:
    action = step["action"]
    text = f"Undid: {WHAT.get(action, action)}" if undone else DONE.get(action, action)
    old, new = row.get("before"), row.get("after")
    if action.endswith("_rename") and isinstance(old, dict) and isinstance(new, dict) and not undone:
        if old.get("name") and new.get("name") and old["name"] != new["name"]:
            return f"{text} “{old['name']}” to “{new['name']}”"
    if action == "set_role" and ":" in str(step.get("entity_id")):
        did, label = str(step["entity_id"]).split(":", 1)
        role = data.get("role")
        return (f"{text}: {label}" + (f" to {role}" if role and not undone else "")
                + (f" (“{documents[did]}”)" if did in documents else ""))
    codes = _codes_of(step, data)
    if codes:
        text += " " + ", ".join(f"“{names.get(c) or data.get('name') or c}”" for c in codes)
    excerpt_id = _excerpt_of(step, data)
    detail = details.get(excerpt_id) if excerpt_id is not None else None
    n_coded = len(data.get("codings") or ()) if isinstance(data.get("codings"), list) else 0
    if action == "code_excerpts" and n_coded != 1:
        text += f" on {n_coded} excerpts"
    elif detail is not None:
        text += f" on “{_one_line(data.get('words') or detail['text'], 70)}” ({detail['document']})"
    elif step.get("entity") == "document" and str(step.get("entity_id")) in documents:
        text += (" on" if action.startswith("set_") else "") + f" “{documents[str(step['entity_id'])]}”"
    elif not codes and isinstance(data.get("name"), str):
        text += f" “{data['name']}”"
    if action in ("memo", "memo_edit") and isinstance(data.get("text"), str):
        text += f": “{_one_line(data['text'], 60)}”"
    elif action in ("set_attribute", "set_role") and data:
        pairs = [f"{k} = {v}" for k, v in data.items() if k not in ("type", "withdrawn") and isinstance(v, (str, int))]
        if pairs:
            text += f": {', '.join(pairs[:3])}"
    return text

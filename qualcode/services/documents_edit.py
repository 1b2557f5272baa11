"""Editing what import decided, for many documents at once: speakers' roles, one person
written several ways (merged, in one document or across them, with a preview and an undo)
and document attributes (the app's Documents page; the CLI has ``set-role`` /
``speakers merge`` / ``set-attr``).

One call is one transaction with one audit event, like every other change.

>>> set_role_everywhere(ctx, "Jane Doe", "interviewer")  # doctest: +SKIP
{'speaker': 'Jane Doe', 'role': 'interviewer', 'documents': ['otter-call', 'zoom-call'], 'codable': 41}
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from qualcode.analysis.facts import SURVEY_FORMAT
from qualcode.core import AttrType, Role, is_coded
from qualcode.core.text import same_label
from qualcode.core import commands as cmd
from qualcode.errors import QualcodeError
from qualcode.ingest.attributes import check_value
from qualcode.ingest.merge import merge_candidates as guess_one_person
from qualcode.ingest.speakers import is_role_word
from qualcode.services import commands as executor
from qualcode.services.commands import Outcome, handles
from qualcode.services.project import ProjectContext
from qualcode.storage import analysis_queries as q
from qualcode.storage import coding as coding_store
from qualcode.storage import documents as doc_store
from qualcode.storage import meta

_INT = re.compile(r"^-?\d+$")


def _key(label: str) -> str:
    """Speakers are the same person across documents when their labels match, ignoring
    case and spacing ("Jane Doe", "jane doe", "JANE  DOE")."""
    return same_label(label)


def speakers(ctx: ProjectContext) -> list[dict[str, Any]]:
    """Every speaker of every document: document_id, document, label, name (pseudonym when
    there is one), role, and ``documents``: in how many documents that label occurs.

    >>> speakers(ctx)[0]["role"]  # doctest: +SKIP
    'interviewer'
    """
    with ctx.session(readonly=True) as s:
        sp = q.speakers_frame(s)
        docs = q.documents_frame(s)
    sp = _without_surveys(sp, docs)
    names = dict(zip(docs["document_id"], docs["name"]))
    counts: dict[str, set[int]] = {}
    for label, did in zip(sp["label"], sp["document_id"]):
        counts.setdefault(_key(label), set()).add(int(did))
    rows = []
    for did, label, pseudo, role in zip(sp["document_id"], sp["label"], sp["pseudonym"], sp["role"]):
        rows.append({"document_id": int(did), "document": names.get(did, str(did)), "label": label,
                     "name": pseudo if isinstance(pseudo, str) and pseudo else label, "role": role,
                     "documents": len(counts[_key(label)])})
    rows.sort(key=lambda r: (r["document"], r["label"]))
    return rows


def _without_surveys(sp, docs):
    """The speakers of transcripts: a survey respondent's "speakers" are its questions, which
    have no role to set (walk 22: "What was most useful…? (12 documents)" was offered a role)."""
    surveys = set(docs.loc[docs["format"] == SURVEY_FORMAT, "document_id"])
    return sp[~sp["document_id"].isin(surveys)] if surveys else sp


def _role(role: str) -> str:
    try:
        return Role(str(role).lower()).value
    except ValueError:
        raise QualcodeError(f"unknown role {role!r}", hint="pick one of: " + ", ".join(r.value for r in Role)) from None


def set_role_everywhere(ctx: ProjectContext, label: str, role: str) -> dict[str, Any]:
    """Give the speaker ``label`` the role ``role`` in every document where they speak
    (labels matched ignoring case and spacing); their excerpts become codable or not.

    Returns ``speaker``, ``role``, ``documents`` (names changed) and ``codable`` (excerpts
    codable now in those documents).
    """
    role = _role(role)
    wanted = _key(label)
    with ctx.session(readonly=True) as s:
        sp = q.speakers_frame(s)
        docs = q.documents_frame(s)
    sp = _without_surveys(sp, docs)
    names = dict(zip(docs["document_id"], docs["name"]))
    hits = [(int(d), lab, r) for d, lab, r in zip(sp["document_id"], sp["label"], sp["role"]) if _key(lab) == wanted]
    if not hits:
        raise QualcodeError(f"no speaker called {label!r} in this project",
                            hint="pick a speaker from the list of speakers")
    changes = tuple((did, lab, role) for did, lab, old in hits if old != role)
    codable = executor.execute(ctx, cmd.SetRoles(changes=changes, label=label)) if changes else 0
    changed = [names.get(did, str(did)) for did, _lab, _r in changes]
    return {"speaker": label, "role": role, "documents": changed, "codable": codable,
            "codings_kept": codings_on_uncoded(ctx, changes)}


def codings_on_uncoded(ctx: ProjectContext, changes: Any) -> int:
    """Codings on the turns of the speakers in ``changes`` ((document id, label, role), ...)
    whose words are not coded now: they stay, and count, until the coder removes them (a walk:
    a role set to interviewer left a coding on that speaker counting in Themes, unsaid)."""
    wanted = {(int(did), label) for did, label, _role in changes}
    n = 0
    with ctx.session(readonly=True) as s:
        for did in {d for d, _ in wanted}:
            doc = doc_store.load_document(s, did)
            labels = {label for d, label in wanted if d == did}
            turns = {t.order for t in doc.turns if t.speaker in labels}
            off = {e.id for e in doc.excerpts if not e.codable and e.turn_order in turns}
            n += sum(1 for c in coding_store.list_codings(s, document_id=did) if c.excerpt_id in off)
    return n


def set_roles(ctx: ProjectContext, changes: list[tuple[int, str, str]]) -> int:
    """Set several speakers' roles at once: ``[(document_id, label, role), ...]``. Returns
    how many changed (one transaction, one audit event)."""
    changes = tuple((int(did), label, _role(role)) for did, label, role in changes)
    if not changes:
        return 0
    with ctx.session(readonly=True) as s:
        sp = q.speakers_frame(s)
    now = {(int(d), lab): r for d, lab, r in zip(sp["document_id"], sp["label"], sp["role"])}
    changes = tuple(c for c in changes if now.get((c[0], c[1])) != c[2])
    if changes:
        executor.execute(ctx, cmd.SetRoles(changes=changes, label="several"))
    return len(changes)


@handles(cmd.SetRoles)
class _SetRoles:
    """Several speakers' roles in one command; their pending suggestions are withdrawn where
    their speech is no longer coded (and put back by undo)."""

    @staticmethod
    def apply(s, ctx, cid, c: cmd.SetRoles) -> Outcome:
        roles = meta.coded_roles(s)
        before, after, docs = {}, {}, set()
        for did, label, role in c.changes:
            old = doc_store.set_speaker_role(s, int(did), label, role)
            if old != role:
                before[f"{did}:{label}"], after[f"{did}:{label}"] = old, role
                docs.add(int(did))
        s.flush()
        codable = sum(doc_store.refresh_codable(s, did, roles) for did in docs)
        withdrawn = [w for did in sorted(docs) for w in coding_store.withdraw_uncodable_pending(s, document_id=did)]
        return Outcome(codable, c.label, {"roles": before, **({"withdrawn": withdrawn} if withdrawn else {})},
                       {"roles": after}, record=bool(after))

    @staticmethod
    def revert(s, ev, cid) -> None:
        roles = meta.coded_roles(s)
        docs = set()
        for key, old in ((ev.before or {}).get("roles") or {}).items():
            did, label = key.split(":", 1)
            doc_store.set_speaker_role(s, int(did), label, old)
            docs.add(int(did))
        s.flush()
        for did in docs:
            doc_store.refresh_codable(s, did, roles)
        coding_store.restore_suggestions(s, (ev.before or {}).get("withdrawn", []))


def attributes_table(ctx: ProjectContext) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Document attributes as a table: ``(rows, types)``; each row has document_id,
    document and one entry per attribute key ("" where not set); ``types`` maps each key
    to text / integer / date."""
    with ctx.session(readonly=True) as s:
        docs = q.documents_frame(s)
        attrs = q.document_attributes_frame(s)
    types: dict[str, str] = {}
    for k, t in zip(attrs["key"], attrs["type"]):
        types.setdefault(str(k), str(t or "text"))
    values: dict[int, dict[str, str]] = {}
    for did, k, v in zip(attrs["document_id"], attrs["key"], attrs["value"]):
        values.setdefault(int(did), {})[str(k)] = "" if v is None else str(v)
    keys = sorted(types)
    rows = [{"document_id": int(d), "document": n, **{k: values.get(int(d), {}).get(k, "") for k in keys}}
            for d, n in sorted(zip(docs["document_id"], docs["name"]), key=lambda x: str(x[1]))]
    return rows, types


def set_document_attributes(ctx: ProjectContext, values: Mapping[int, Mapping[str, Any]], *,
                            types: Mapping[str, str] | None = None) -> int:
    """Set many document attributes at once: ``{document_id: {key: value}}``. Empty values
    are left alone. A key's type is its existing one, else ``types[key]``, else integer
    when every value given is a whole number, else text. Returns how many values changed;
    a bad value fails the whole call (nothing half-saved).

    >>> set_document_attributes(ctx, {1: {"year": "2022"}, 2: {"year": "2023"}})  # doctest: +SKIP
    2
    """
    rows, existing = attributes_table(ctx)
    names = {r["document_id"]: f"“{r['document']}”" for r in rows}
    items = [(int(did), k, v, t) for did, k, v, t in _typed(values, existing, types, names=names)]
    return executor.execute(ctx, cmd.SetAttributes(values=tuple(items))) if items else 0


def _typed(values: Mapping[Any, Mapping[str, Any]], existing: Mapping[str, str],
           types: Mapping[str, str] | None, *, names: Mapping[Any, str]) -> list[tuple[Any, str, str, str]]:
    """(owner, key, checked value, type) for each non-empty value of ``{owner: {key: value}}``: a
    key's type is its existing one, else ``types[key]``, else integer when every value given is a
    whole number, else text. A bad value raises, naming its row (``names[owner]``): nothing is saved."""
    given: dict[str, list[str]] = {}
    for attrs in values.values():
        for k, v in attrs.items():
            if v is not None and str(v).strip():
                given.setdefault(str(k).strip(), []).append(str(v).strip())
    kinds = {}
    for k, vals in given.items():
        if not k:
            raise QualcodeError("an attribute needs a name", hint="type a name such as year or district")
        kinds[k] = existing.get(k) or (types or {}).get(k) or (
            "integer" if all(_INT.match(v) for v in vals) else "text")
    items = []
    for owner, attrs in values.items():
        for k, v in attrs.items():
            k = str(k).strip()
            if v is None or not str(v).strip():
                continue
            t = AttrType(kinds[k])
            try:
                items.append((owner, k, check_value(k, str(v), t), t.value))
            except QualcodeError as exc:  # which row of the table, not only which column
                where = names.get(owner) or str(owner)
                held = {"integer": "whole numbers", "date": "dates (YYYY-MM-DD)"}.get(t.value, "text")
                raise type(exc)(f"{where}: {exc.message}", hint=exc.hint,
                                app_hint=f"the {k} column holds {held}: correct the value, or clear it") from None
    return items


def speaker_attributes_table(ctx: ProjectContext) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The speakers of every transcript with their attributes (walk 30: a focus group's tutor,
    parent and student could be told apart only with the command line or an import table):
    ``(rows, types)``, each row as :func:`speakers` gives it plus one entry per attribute key
    ("" where not set); ``types`` maps each key to text / integer / date."""
    with ctx.session(readonly=True) as s:
        sp = q.speakers_frame(s)
        attrs = q.speaker_attributes_frame(s)
    ids = {(int(d), str(lab)): int(i) for i, d, lab in zip(sp["speaker_id"], sp["document_id"], sp["label"])}
    types: dict[str, str] = {}
    values: dict[int, dict[str, str]] = {}
    for sid, k, v, t in zip(attrs["speaker_id"], attrs["key"], attrs["value"], attrs["type"]):
        types.setdefault(str(k), str(t or "text"))
        values.setdefault(int(sid), {})[str(k)] = "" if v is None else str(v)
    keys = sorted(types)
    rows = [{**r, **{k: values.get(ids.get((r["document_id"], r["label"]), -1), {}).get(k, "") for k in keys}}
            for r in speakers(ctx)]
    return rows, types


def set_speaker_attributes(ctx: ProjectContext, values: Mapping[tuple[int, str], Mapping[str, Any]], *,
                           types: Mapping[str, str] | None = None) -> int:
    """Set many speaker attributes at once: ``{(document_id, speaker label): {key: value}}``, typed
    as :func:`set_document_attributes` types them; one transaction. Returns how many were set.

    >>> set_speaker_attributes(ctx, {(1, "Maria"): {"group": "parent"}})  # doctest: +SKIP
    1
    """
    rows, existing = speaker_attributes_table(ctx)
    names = {(r["document_id"], r["label"]): f"{r['name']} in “{r['document']}”" for r in rows}
    items = [(int(did), label, k, v, t) for (did, label), k, v, t in _typed(values, existing, types, names=names)]
    return executor.execute(ctx, cmd.SetSpeakerAttributes(values=tuple(items))) if items else 0


@handles(cmd.SetSpeakerAttributes)
class _SetSpeakerAttributes:
    @staticmethod
    def apply(s, ctx, cid, c: cmd.SetSpeakerAttributes) -> Outcome:
        after = {}
        for did, label, k, value, t in c.values:
            doc_store.set_speaker_attribute(s, int(did), label, k, value, t)
            after[f"{did}:{label}:{k}"] = value
        return Outcome(len(after), "several", None, after, record=bool(after))


@handles(cmd.SetAttributes)
class _SetAttributes:
    @staticmethod
    def apply(s, ctx, cid, c: cmd.SetAttributes) -> Outcome:
        before, after = {}, {}
        for did, k, value, t in c.values:
            old = doc_store.set_document_attribute(s, int(did), k, value, t)
            if old != value:
                before[f"{did}:{k}"], after[f"{did}:{k}"] = old, value
        return Outcome(len(after), "several", before, after, record=bool(after))


# --- one person written several ways: merging speakers (in one document or across them) -------

def merge_in_document(s, did: int, labels: list[str], into: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Merge ``labels`` into ``into`` in document ``did`` inside an open transaction: the
    excerpts follow the kept speaker's role, and pending suggestions on excerpts no longer
    coded are withdrawn. Returns (result, what :func:`unmerge_in_document` needs)."""
    result = doc_store.merge_speakers(s, did, labels, into)
    undo = result.pop("undo")
    result["codable"] = doc_store.refresh_codable(s, did, meta.coded_roles(s))
    withdrawn = coding_store.withdraw_uncodable_pending(s, document_id=did)
    return result, {"undo": undo, **({"withdrawn": withdrawn} if withdrawn else {})}


def unmerge_in_document(s, did: int, record: Mapping[str, Any]) -> None:
    """Undo :func:`merge_in_document` from what it recorded."""
    if "undo" not in record:
        raise QualcodeError("this speaker merge was made by an older version of qualcode and cannot be undone",
                            hint="change the speakers' names or roles by hand")
    doc_store.unmerge_speakers(s, did, record["undo"])
    doc_store.refresh_codable(s, did, meta.coded_roles(s))
    coding_store.restore_suggestions(s, record.get("withdrawn", []))


def merge_candidates(ctx: ProjectContext) -> list[list[str]]:
    """Speaker labels across the project that may be one person: ``JOHN SMITH`` / ``John``,
    ``Ana`` / ``Ana (2)``, and the same label spelt in another case or spacing in another
    document (``Speaker 1`` / ``SPEAKER 1``). A bare role word (``Interviewer`` /
    ``INTERVIEWER`` in two interviews) names a part, not a person: not proposed. The coder
    decides."""
    labels = list(dict.fromkeys(r["label"] for r in speakers(ctx)))
    groups = guess_one_person(labels)
    placed = {lab for g in groups for lab in g}
    by_key: dict[str, list[str]] = {}
    for lab in labels:
        if lab not in placed and not is_role_word(lab):
            by_key.setdefault(_key(lab), []).append(lab)
    groups += [g for g in by_key.values() if len(g) > 1]
    return sorted(groups, key=lambda g: labels.index(g[0]))


def _merge_plan(ctx: ProjectContext, labels: list[str], into: str) -> list[dict[str, Any]]:
    """Per document holding any of ``labels``: what the merge would do there."""
    with ctx.session(readonly=True) as s:
        sp = q.speakers_frame(s)
        docs = q.documents_frame(s)
        counts = q.excerpt_counts(s)
        turns = q.turns_frame(s, sorted({int(d) for d, lab in zip(sp["document_id"], sp["label"]) if lab in labels}))
        coded = meta.coded_roles(s)
    names = dict(zip(docs["document_id"], docs["name"]))
    n_excerpts = {int(sid): int(n) for sid, n in zip(counts["speaker_id"], counts["excerpts"])}
    n_turns: dict[int, int] = {}
    for sid in turns["speaker_id"]:
        n_turns[int(sid)] = n_turns.get(int(sid), 0) + 1
    by_doc: dict[int, dict[str, tuple[int, str]]] = {}
    for sid, did, lab, role in zip(sp["speaker_id"], sp["document_id"], sp["label"], sp["role"]):
        by_doc.setdefault(int(did), {})[lab] = (int(sid), role)
    plan = []
    for did in sorted(by_doc, key=lambda d: str(names.get(d, d))):
        have = by_doc[did]
        present = [lab for lab in labels if lab in have]
        if not present or (present == [into]):
            continue
        keep = into if into in have else present[0]
        role = have[keep][1]
        moved = [lab for lab in present if lab != into]
        merged = list(dict.fromkeys([*moved, *([into] if into in have else [])]))
        excerpts = sum(n_excerpts.get(have[lab][0], 0) for lab in merged)
        moved_excerpts = sum(n_excerpts.get(have[lab][0], 0) for lab in moved)
        plan.append({
            "document_id": did, "document": names.get(did, str(did)), "labels": present, "into": into,
            "role": role, "speakers": {lab: {"role": have[lab][1], "turns": n_turns.get(have[lab][0], 0)}
                                       for lab in merged},
            "turns": sum(n_turns.get(have[lab][0], 0) for lab in moved),
            "codable_before": sum(n_excerpts.get(have[lab][0], 0) for lab in merged if is_coded(have[lab][1], coded)),
            "codable_after": excerpts if is_coded(role, coded) else 0,
            # the turns that move to ``into`` alone (the kept speaker's own turns aside)
            "moved_excerpts": moved_excerpts,
            "moved_codable_before": sum(n_excerpts.get(have[lab][0], 0) for lab in moved
                                        if is_coded(have[lab][1], coded)),
            "moved_codable": moved_excerpts if is_coded(role, coded) else 0,
        })
    return plan


def merge_preview(ctx: ProjectContext, labels: list[str], into: str | None = None) -> list[dict[str, Any]]:
    """What merging ``labels`` into ``into`` (default: the first label) would change, per
    document, before anything is written: ``document``, ``labels`` found there, ``into``,
    ``role`` (the kept speaker's), ``speakers`` ({label: {role, turns}}), ``turns`` moved,
    ``codable_before`` / ``codable_after`` (excerpts of those speakers offered for coding).

    >>> merge_preview(ctx, ["Ana (2)", "Ana"], "Ana")[0]["turns"]  # doctest: +SKIP
    3
    """
    labels = list(dict.fromkeys(str(lab) for lab in labels))
    into = " ".join(str(into or (labels[0] if labels else "")).split())
    if not labels or not into:
        return []
    return _merge_plan(ctx, labels, into)


def merge_speakers_in(ctx: ProjectContext, labels: list[str], into: str | None = None) -> dict[str, Any]:
    """Merge ``labels`` into one speaker called ``into`` in every document that has any of
    them: one transaction, one audit event, one undo. Returns ``into``, ``documents``
    (names), ``turns`` (now ``into``'s) and ``codable_before`` / ``codable`` (the merged
    speakers' excerpts offered for coding before and after).

    >>> merge_speakers_in(ctx, ["Ana (2)", "Ana"], "Ana")["documents"]  # doctest: +SKIP
    ['focus-group-1', 'interview-4']
    """
    labels = list(dict.fromkeys(str(lab) for lab in labels))
    into = " ".join(str(into or (labels[0] if labels else "")).split())
    if not labels or not into:
        raise QualcodeError("nothing to merge", hint="pick the speakers to merge and the name to keep")
    r = merge_speakers_moved(ctx, labels, into)
    return {k: r[k] for k in ("into", "documents", "turns", "codable_before", "codable")}


def merge_speakers_moved(ctx: ProjectContext, labels: list[str], into: str | None = None) -> dict[str, Any]:
    """:func:`merge_speakers_in`, also saying what happened to the moved turns alone (the
    Documents page's message): ``moved_excerpts`` (the excerpts of the turns that moved to
    ``into``), ``moved_codable_before`` / ``moved_codable`` (those of them offered for coding
    before and after). ``codable`` counts the kept speaker's excerpts too.

    >>> merge_speakers_moved(ctx, ["Dev", "Dev S."], "Dev")["moved_excerpts"]  # doctest: +SKIP
    5
    """
    labels = list(dict.fromkeys(str(lab) for lab in labels))
    into = " ".join(str(into or (labels[0] if labels else "")).split())
    if not labels or not into:
        raise QualcodeError("nothing to merge", hint="pick the speakers to merge and the name to keep")
    plan = _merge_plan(ctx, labels, into)
    if not plan:
        raise QualcodeError("nothing to merge: no document has these speakers under other names",
                            hint="pick at least two speakers, or a new name for one")
    c = cmd.MergeSpeakersIn(documents=tuple(p["document_id"] for p in plan), labels=tuple(labels), into=into)
    executor.execute(ctx, c)
    return {"into": into, "documents": [p["document"] for p in plan], "turns": sum(p["turns"] for p in plan),
            "codable_before": sum(p["codable_before"] for p in plan),
            "codable": sum(p["codable_after"] for p in plan),
            **{k: sum(p[k] for p in plan) for k in ("moved_excerpts", "moved_codable_before", "moved_codable")}}


MERGE_ACTIONS = (cmd.MergeSpeakers.action, cmd.MergeSpeakersIn.action)


def _undo_latest(ctx: ProjectContext, actions: tuple[str, ...]) -> dict[str, Any] | None:
    done = executor.undo_latest(ctx, only=actions)
    return done.brief() if done is not None else None


def undo_merge(ctx: ProjectContext) -> dict[str, Any] | None:
    """Undo this coder's latest speaker merge (the Documents page's button); None if none."""
    return _undo_latest(ctx, MERGE_ACTIONS)


@handles(cmd.MergeSpeakersIn)
class _MergeSpeakersIn:
    @staticmethod
    def apply(s, ctx, cid, c: cmd.MergeSpeakersIn) -> Outcome:
        before, after, codable = {}, {}, 0
        for did in c.documents:
            have = set(doc_store.speaker_labels(s, int(did)))
            present = [lab for lab in c.labels if lab in have]
            if not present or present == [c.into]:
                continue
            result, record = merge_in_document(s, int(did), present, c.into)
            before[str(did)] = {"speakers": result["speakers"], **record}
            after[str(did)] = {"into": c.into, "role": result["role"]}
            codable += result["codable"]
        return Outcome(codable, c.into, {"documents": before}, {"documents": after}, record=bool(after))

    @staticmethod
    def revert(s, ev, cid) -> None:
        for did, record in reversed(list(((ev.before or {}).get("documents") or {}).items())):
            unmerge_in_document(s, int(did), record)


# --- a document imported by mistake: rename it, or delete it (both undoable) -----------------

def documents(ctx: ProjectContext) -> list[dict[str, Any]]:
    """Every document: ``document_id`` and ``name``, by name."""
    with ctx.session(readonly=True) as s:
        docs = q.documents_frame(s)
    return sorted(({"document_id": int(d), "name": str(n)} for d, n in zip(docs["document_id"], docs["name"])),
                  key=lambda r: (r["name"].lower(), r["document_id"]))


def document_footprint(ctx: ProjectContext, document_id: int) -> dict[str, Any]:
    """What deleting a document takes with it: ``name``, ``turns``, ``excerpts``, ``codings``,
    ``coders`` (names of those who coded it), ``memos``, ``suggestions``, ``reviews``.

    >>> document_footprint(ctx, 3)["codings"]  # doctest: +SKIP
    7
    """
    with ctx.session(readonly=True) as s:
        return doc_store.document_footprint(s, int(document_id))


def _clean_name(name: str) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise QualcodeError("a document needs a name", hint="type the new name")
    return name


def rename_document(ctx: ProjectContext, document_id: int, name: str) -> dict[str, Any]:
    """Rename a document; refused when another document already has that name (ignoring
    case and spacing). Returns ``document_id``, ``before`` and ``name``; undoable."""
    return executor.execute(ctx, cmd.RenameDocument(document=int(document_id), name=_clean_name(name)))


def delete_document(ctx: ProjectContext, document_id: int) -> dict[str, Any]:
    """Delete a document with everything under it; the one undo brings it all back (same
    ids). Returns what went with it (:func:`document_footprint`)."""
    return executor.execute(ctx, cmd.DeleteDocumentUndoable(document=int(document_id)))


DOCUMENT_ACTIONS = (cmd.RenameDocument.action, cmd.DeleteDocumentUndoable.action)


def undo_document_change(ctx: ProjectContext) -> dict[str, Any] | None:
    """Undo this coder's latest rename or delete of a document; None if there is none."""
    return _undo_latest(ctx, DOCUMENT_ACTIONS)


@handles(cmd.RenameDocument)
class _RenameDocument:
    @staticmethod
    def apply(s, ctx, cid, c: cmd.RenameDocument) -> Outcome:
        name = _clean_name(c.name)
        if not doc_store.find_document(s, int(c.document)):
            raise QualcodeError("this document is no longer in the project", hint="pick a document from the list")
        clash = [d for d in doc_store.document_ids_named(s, name) if d != int(c.document)]
        if clash:
            raise QualcodeError(f"another document is already called {name!r}",
                                hint="pick a name no other document has")
        before = doc_store.rename_document(s, int(c.document), name)
        return Outcome({"document_id": int(c.document), "before": before, "name": name}, int(c.document),
                       {"name": before}, {"name": name}, record=before != name)

    @staticmethod
    def revert(s, ev, cid) -> None:
        doc_store.rename_document(s, int(ev.entity_id), (ev.before or {})["name"])


@handles(cmd.DeleteDocumentUndoable)
class _DeleteDocumentUndoable:
    """The document's rows travel in the audit event's ``before``; undo inserts them again."""

    @staticmethod
    def apply(s, ctx, cid, c: cmd.DeleteDocumentUndoable) -> Outcome:
        did = int(c.document)
        if not doc_store.find_document(s, did):
            raise QualcodeError("this document is no longer in the project", hint="pick a document from the list")
        gone = doc_store.document_footprint(s, did)
        rows = doc_store.snapshot_document(s, did)
        doc_store.delete_document(s, did)
        s.flush()
        return Outcome(gone, did, {"name": gone["name"], "rows": rows}, {"deleted": gone})

    @staticmethod
    def revert(s, ev, cid) -> None:
        doc_store.restore_document(s, (ev.before or {})["rows"])

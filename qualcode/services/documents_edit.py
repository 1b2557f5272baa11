"""Editing what import decided, for many documents at once: speakers' roles and
document attributes (the app's Documents page; the CLI has ``set-role`` / ``set-attr``).

One call is one transaction with one audit event, like every other change.

>>> set_role_everywhere(ctx, "Jane Doe", "interviewer")  # doctest: +SKIP
{'speaker': 'Jane Doe', 'role': 'interviewer', 'documents': ['otter-call', 'zoom-call'], 'codable': 41}
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from qualcode.core import AttrType, Role
from qualcode.core import commands as cmd
from qualcode.errors import QualcodeError
from qualcode.ingest.attributes import check_value
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
    return " ".join(str(label).split()).casefold()


def speakers(ctx: ProjectContext) -> list[dict[str, Any]]:
    """Every speaker of every document: document_id, document, label, name (pseudonym when
    there is one), role, and ``documents``: in how many documents that label occurs.

    >>> speakers(ctx)[0]["role"]  # doctest: +SKIP
    'interviewer'
    """
    with ctx.session(readonly=True) as s:
        sp = q.speakers_frame(s)
        docs = q.documents_frame(s)
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
    names = dict(zip(docs["document_id"], docs["name"]))
    hits = [(int(d), lab, r) for d, lab, r in zip(sp["document_id"], sp["label"], sp["role"]) if _key(lab) == wanted]
    if not hits:
        raise QualcodeError(f"no speaker called {label!r} in this project",
                            hint="pick a speaker from the list of speakers")
    changes = tuple((did, lab, role) for did, lab, old in hits if old != role)
    codable = executor.execute(ctx, cmd.SetRoles(changes=changes, label=label)) if changes else 0
    changed = [names.get(did, str(did)) for did, _lab, _r in changes]
    return {"speaker": label, "role": role, "documents": changed, "codable": codable}


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
    given: dict[str, list[str]] = {}
    for attrs in values.values():
        for k, v in attrs.items():
            if v is not None and str(v).strip():
                given.setdefault(str(k).strip(), []).append(str(v).strip())
    _, existing = attributes_table(ctx)
    kinds = {}
    for k, vals in given.items():
        if not k:
            raise QualcodeError("an attribute needs a name", hint="type a name such as year or district")
        kinds[k] = existing.get(k) or (types or {}).get(k) or (
            "integer" if all(_INT.match(v) for v in vals) else "text")
    items = []
    for did, attrs in values.items():
        for k, v in attrs.items():
            k = str(k).strip()
            if v is None or not str(v).strip():
                continue
            t = AttrType(kinds[k])
            items.append((int(did), k, check_value(k, str(v), t), t.value))
    return executor.execute(ctx, cmd.SetAttributes(values=tuple(items))) if items else 0


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

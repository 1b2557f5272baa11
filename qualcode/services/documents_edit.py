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
from qualcode.errors import QualcodeError
from qualcode.ingest.attributes import check_value
from qualcode.services.ingest import codable_roles
from qualcode.services.project import ProjectContext
from qualcode.storage import analysis_queries as q
from qualcode.storage import audit
from qualcode.storage import documents as doc_store

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
    roles = codable_roles(ctx)
    with ctx.session() as s:
        sp = q.speakers_frame(s)
        docs = q.documents_frame(s)
        names = dict(zip(docs["document_id"], docs["name"]))
        hits = [(int(d), lab, r) for d, lab, r in zip(sp["document_id"], sp["label"], sp["role"]) if _key(lab) == wanted]
        if not hits:
            raise QualcodeError(f"no speaker called {label!r} in this project",
                                hint="pick a speaker from the list of speakers")
        before, codable, changed = {}, 0, []
        for did, lab, old in hits:
            if old == role:
                continue
            doc_store.set_speaker_role(s, did, lab, role)
            s.flush()
            codable += doc_store.refresh_codable(s, did, roles)
            before[f"{did}:{lab}"] = old
            changed.append(names.get(did, str(did)))
        if changed:
            audit.record(s, "set_role", "speaker", label, coder_id=ctx.coder_id(s),
                         before={"roles": before}, after={"role": role, "speakers": sorted(before)})
    return {"speaker": label, "role": role, "documents": changed, "codable": codable}


def set_roles(ctx: ProjectContext, changes: list[tuple[int, str, str]]) -> int:
    """Set several speakers' roles at once: ``[(document_id, label, role), ...]``. Returns
    how many changed (one transaction, one audit event)."""
    roles = codable_roles(ctx)
    with ctx.session() as s:
        before, after, docs = {}, {}, set()
        for did, label, role in changes:
            role = _role(role)
            old = doc_store.set_speaker_role(s, int(did), label, role)
            if old != role:
                before[f"{did}:{label}"], after[f"{did}:{label}"] = old, role
                docs.add(int(did))
        s.flush()
        for did in docs:
            doc_store.refresh_codable(s, did, roles)
        if after:
            audit.record(s, "set_role", "speaker", "several", coder_id=ctx.coder_id(s),
                         before={"roles": before}, after={"roles": after})
    return len(after)


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
    before, after = {}, {}
    with ctx.session() as s:
        for did, attrs in values.items():
            for k, v in attrs.items():
                k = str(k).strip()
                if v is None or not str(v).strip():
                    continue
                t = AttrType(kinds[k])
                value = check_value(k, str(v), t)
                old = doc_store.set_document_attribute(s, int(did), k, value, t.value)
                if old != value:
                    before[f"{did}:{k}"], after[f"{did}:{k}"] = old, value
        if after:
            audit.record(s, "set_attribute", "document", "several", coder_id=ctx.coder_id(s),
                         before=before, after=after)
    return len(after)

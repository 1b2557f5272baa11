"""REFI-QDA projects (``.qdpx``): write and read, losslessly between qualcode projects.

A ``.qdpx`` is a zip holding ``project.qde`` (namespace ``urn:QDA-XML:project:1.0``) and the
sources as UTF-8 text under ``sources/<GUID>.txt``. What goes where:

- coders -> ``Users``; the codebook -> ``CodeBook`` (criteria and the code id in each
  ``Description``, see :mod:`qualcode.codebook_io.qdc`);
- document attributes -> ``Variables`` + ``VariableValue`` on each ``TextSource``;
  speakers -> ``Cases`` (name = pseudonym when there is one, role and speaker attributes
  as variable values, a ``SourceRef`` to their document);
- codings -> ``PlainTextSelection`` (code-point offsets) holding ``Coding`` elements with
  ``creatingUser``; memos -> ``Notes`` referenced from the selection, source or code.

What REFI-QDA cannot express (turns, excerpt segmentation, speaker roles per turn, how a
coding came about) travels in ``qualcode.json`` beside ``project.qde``; other tools ignore
it, and a ``.qdpx`` from another tool is read without it (one excerpt per line).

GUIDs are uuid5 of stable keys (code ids, document content hashes, spans, coder names),
so exporting the same project twice gives the same GUIDs.
"""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import IO, Any, Callable

from lxml import etree

from qualcode.core import Attribute, AttrType, Codebook, Document, Excerpt, Role, Speaker, Turn, text_hash
from qualcode.errors import ExportError

NS = PROJECT_NS = "urn:QDA-XML:project:1.0"
#: Builds the ``<Codes>`` element in a namespace: ``codes_element(codebook, ns=..., include_retired=True)``
#: (qualcode.codebook_io.qdc.codes_element; passed in because export and codebook_io are
#: independent layers).
CodesWriter = Callable[..., etree._Element]
#: Reads a ``<Codes>`` element back: ``(element, known_guids) -> Codebook``.
CodesReader = Callable[[etree._Element, dict], Codebook]
NAMESPACE = uuid.UUID("2b0f7c1e-5d9a-5f43-8e0b-1a6f3c9d7e21")
SIDECAR = "qualcode.json"
VAR_TYPES = {"text": "Text", "integer": "Integer", "date": "Date"}
VAR_TYPES_BACK = {"Text": "text", "Integer": "integer", "Date": "date", "Boolean": "text",
                  "Float": "text", "DateTime": "text"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INT = re.compile(r"^[+-]?\d+$")
_SPEAKER = re.compile(r"^([A-Z][\w .'\-]{0,40}):\s")


def guid(*parts: Any) -> str:
    """A stable GUID from parts.

    >>> guid("user", "alice") == guid("user", "alice")
    True
    """
    return str(uuid.uuid5(NAMESPACE, "\x1f".join(str(p) for p in parts)))


#: The variable that carries each speaker's role (a key no attribute can have).
ROLE_VAR = guid("spkvar", "\x00role")


@dataclass
class CodingRecord:
    document: str  # content hash
    excerpt_order: int
    code_id: str
    coder: str
    start: int
    end: int
    origin: str = "manual"
    created_at: datetime | None = None


@dataclass
class MemoRecord:
    text: str
    coder: str
    created_at: datetime | None = None
    document: str | None = None  # content hash (document memo, or the excerpt's document)
    excerpt_order: int | None = None
    code_id: str | None = None
    coding: tuple[str, str, int, int] | None = None  # a coding memo: (code id, coder, start, end)


@dataclass
class ProjectData:
    """Everything a ``.qdpx`` carries, as core objects (speaker labels already pseudonymised)."""

    name: str
    codebook: Codebook
    documents: list[Document]
    codings: list[CodingRecord] = field(default_factory=list)
    memos: list[MemoRecord] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _dt(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _value_element(parent: etree._Element, var_guid: str, value: str, vtype: str) -> None:
    vv = etree.SubElement(parent, _q("VariableValue"))
    etree.SubElement(vv, _q("VariableRef")).set("targetGUID", var_guid)
    if vtype == "integer" and _INT.match(value.strip()):
        etree.SubElement(vv, _q("IntegerValue")).text = value.strip()
    elif vtype == "date" and _DATE.match(value.strip()):
        etree.SubElement(vv, _q("DateValue")).text = value.strip()
    else:
        etree.SubElement(vv, _q("TextValue")).text = value


def _variable(parent: etree._Element, var_guid: str, name: str, vtype: str, description: str) -> None:
    v = etree.SubElement(parent, _q("Variable"))
    v.set("guid", var_guid)
    v.set("name", name)
    v.set("typeOfVariable", VAR_TYPES[vtype])
    etree.SubElement(v, _q("Description")).text = description


def _var_type(values: list[tuple[str, str]]) -> str:
    """The variable's REFI type: only when every value fits it (else Text)."""
    types = {t for t, _ in values}
    if types == {"integer"} and all(_INT.match(v.strip()) for _, v in values):
        return "integer"
    if types == {"date"} and all(_DATE.match(v.strip()) for _, v in values):
        return "date"
    return "text"


def build_project_xml(data: ProjectData, *, write_codes: CodesWriter) -> tuple[bytes, dict[str, str], dict]:
    """``(project.qde bytes, {source path: text}, sidecar)`` for ``data``."""
    root = etree.Element(_q("Project"), nsmap={None: NS})
    root.set("name", data.name)
    root.set("origin", "qualcode")
    users = sorted(set(data.users) | {c.coder for c in data.codings} | {m.coder for m in data.memos})
    user_guid = {u: guid("user", u) for u in users}
    if users:
        el = etree.SubElement(root, _q("Users"))
        for u in users:
            ue = etree.SubElement(el, _q("User"))
            ue.set("guid", user_guid[u])
            ue.set("name", u)
    # Notes first (their GUIDs are referenced everywhere); appended to the tree later.
    notes: list[etree._Element] = []
    note_refs: dict[tuple, list[str]] = {}
    sidecar: dict = {"version": 1, "documents": {}, "codings": {}, "codes": {}, "notes": {}}
    seen_note: dict[str, int] = {}
    for m in data.memos:
        if m.coding is not None and m.document is not None and m.excerpt_order is not None:
            target = ("coding", m.document, m.excerpt_order, *m.coding)
        elif m.document is not None and m.excerpt_order is not None:
            target = ("excerpt", m.document, m.excerpt_order)
        elif m.document is not None:
            target = ("document", m.document)
        elif m.code_id is not None:
            target = ("code", m.code_id)
        else:
            target = ("project",)
        base = guid("note", m.coder, *target, text_hash(m.text))
        seen_note[base] = seen_note.get(base, 0) + 1
        ng = base if seen_note[base] == 1 else guid(base, seen_note[base])
        note = etree.Element(_q("Note"))
        note.set("guid", ng)
        note.set("name", "Memo")
        if m.coder in user_guid:
            note.set("creatingUser", user_guid[m.coder])
        if m.created_at:
            note.set("creationDateTime", _dt(m.created_at))
        etree.SubElement(note, _q("PlainTextContent")).text = m.text
        notes.append(note)
        note_refs.setdefault(target, []).append(ng)
        sidecar["notes"][ng] = {"code_id": m.code_id}
    # Codebook
    cb_el = etree.SubElement(root, _q("CodeBook"))
    if data.codebook.codes:
        codes_el = write_codes(data.codebook, ns=NS, include_retired=True)
        for c, el in zip(data.codebook.codes, _code_elements_in_codebook_order(codes_el, data.codebook)):
            g = el.get("guid")
            sidecar["codes"][c.id] = {"guid": g, "retired": c.retired}
            for ng in note_refs.get(("code", c.id), []):
                ref = etree.Element(_q("NoteRef"))
                ref.set("targetGUID", ng)
                pos = 1 if len(el) and etree.QName(el[0]).localname == "Description" else 0
                el.insert(pos, ref)
        cb_el.append(codes_el)
    else:
        root.remove(cb_el)
    code_guids = {cid: v["guid"] for cid, v in sidecar["codes"].items()}
    # Variables
    doc_vals: dict[str, list[tuple[str, str]]] = {}
    spk_vals: dict[str, list[tuple[str, str]]] = {}
    for d in data.documents:
        for a in d.attributes.values():
            doc_vals.setdefault(a.key, []).append((_tv(a.type), str(a.value)))
        for sp in d.speakers:
            for a in sp.attributes.values():
                spk_vals.setdefault(a.key, []).append((_tv(a.type), str(a.value)))
    doc_var = {k: (guid("docvar", k), _var_type(v)) for k, v in sorted(doc_vals.items())}
    spk_var = {k: (guid("spkvar", k), _var_type(v)) for k, v in sorted(spk_vals.items())}
    has_speakers = any(d.speakers for d in data.documents)
    if doc_var or spk_var or has_speakers:
        vars_el = etree.SubElement(root, _q("Variables"))
        for k, (g, t) in doc_var.items():
            _variable(vars_el, g, k, t, "Document attribute")
        if has_speakers:
            _variable(vars_el, ROLE_VAR, "role", "text", "Speaker role")
        for k, (g, t) in spk_var.items():
            _variable(vars_el, g, k, t, "Speaker attribute")
    # Cases: one per speaker
    if has_speakers:
        cases_el = etree.SubElement(root, _q("Cases"))
        for d in data.documents:
            for sp in d.speakers:
                case = etree.SubElement(cases_el, _q("Case"))
                case.set("guid", guid("case", d.content_hash, sp.label))
                case.set("name", sp.label)
                _value_element(case, ROLE_VAR, _tv(sp.role), "text")
                for a in sp.attributes.values():
                    g, t = spk_var[a.key]
                    _value_element(case, g, str(a.value), t)
                etree.SubElement(case, _q("SourceRef")).set("targetGUID", guid("source", d.content_hash))
    # Sources
    files: dict[str, str] = {}
    codings_by_doc: dict[str, list[CodingRecord]] = {}
    for c in data.codings:
        codings_by_doc.setdefault(c.document, []).append(c)
    if data.documents:
        src_el = etree.SubElement(root, _q("Sources"))
    for d in data.documents:
        sg = guid("source", d.content_hash)
        ts = etree.SubElement(src_el, _q("TextSource"))
        ts.set("guid", sg)
        ts.set("name", d.name)
        ts.set("plainTextPath", f"internal://{sg}.txt")
        files[f"sources/{sg}.txt"] = d.text
        by_order = {e.order: e for e in d.excerpts}
        spans: dict[tuple[int, int], list[CodingRecord]] = {}
        for c in codings_by_doc.get(d.content_hash, []):
            spans.setdefault((c.start, c.end), []).append(c)
        memo_spans: dict[tuple[int, int], list[str]] = {}
        for (kind, *rest), refs in note_refs.items():
            if kind == "excerpt" and rest[0] == d.content_hash and rest[1] in by_order:
                e = by_order[rest[1]]
                memo_spans.setdefault((e.start, e.end), []).extend(refs)
        for span in sorted(set(spans) | set(memo_spans)):
            sel = etree.SubElement(ts, _q("PlainTextSelection"))
            sel.set("guid", guid("selection", d.content_hash, *span))
            sel.set("startPosition", str(span[0]))
            sel.set("endPosition", str(span[1]))
            for c in sorted(spans.get(span, []), key=lambda c: (c.code_id, c.coder, c.excerpt_order)):
                cg = guid("coding", d.content_hash, c.excerpt_order, c.code_id, c.coder, c.start, c.end)
                ce = etree.SubElement(sel, _q("Coding"))
                ce.set("guid", cg)
                if c.coder in user_guid:
                    ce.set("creatingUser", user_guid[c.coder])
                if c.created_at:
                    ce.set("creationDateTime", _dt(c.created_at))
                etree.SubElement(ce, _q("CodeRef")).set("targetGUID", code_guids[c.code_id])
                for ng in note_refs.get(("coding", d.content_hash, c.excerpt_order, c.code_id, c.coder,
                                         c.start, c.end), []):
                    etree.SubElement(ce, _q("NoteRef")).set("targetGUID", ng)  # a memo on this coding
                sidecar["codings"][cg] = {"excerpt": c.excerpt_order, "origin": c.origin}
            for ng in memo_spans.get(span, []):
                etree.SubElement(sel, _q("NoteRef")).set("targetGUID", ng)
        for ng in note_refs.get(("document", d.content_hash), []):
            etree.SubElement(ts, _q("NoteRef")).set("targetGUID", ng)
        for a in d.attributes.values():
            g, t = doc_var[a.key]
            _value_element(ts, g, str(a.value), t)
        sidecar["documents"][sg] = {
            "format": d.format, "source_filename": d.source_filename,
            "speakers": [{"label": sp.label, "role": _tv(sp.role),
                          "attribute_types": {a.key: _tv(a.type) for a in sp.attributes.values()}}
                         for sp in d.speakers],
            "attribute_types": {a.key: _tv(a.type) for a in d.attributes.values()},
            "turns": [[t.speaker, t.order, t.start, t.end, t.start_ms, t.end_ms] for t in d.turns],
            "excerpts": [[e.order, e.start, e.end, e.turn_order, e.codable] for e in d.excerpts],
        }
    if notes:
        notes_el = etree.SubElement(root, _q("Notes"))
        notes_el.extend(notes)
        for ng in note_refs.get(("project",), []):
            etree.SubElement(root, _q("NoteRef")).set("targetGUID", ng)
    xml = etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
    return xml, files, sidecar


def _code_elements_in_codebook_order(codes_el, cb: Codebook) -> list:
    """The ``<Code>`` element of each code of ``cb`` (matched by the id in its description)."""
    by_id = {}
    for el in codes_el.iter(_q("Code")):
        desc = _kid(el, "Description")
        m = re.search(r"^Code id: (.+)$", (desc.text or "") if desc is not None else "", re.M)
        if m:
            by_id[m.group(1).strip()] = el
    missing = [c.id for c in cb.codes if c.id not in by_id]
    if missing:
        raise ExportError(f"codes missing from the CodeBook element: {missing[:5]}")
    return [by_id[c.id] for c in cb.codes]


def _tv(t: Any) -> str:
    """An enum's (AttrType, Role) value, or the text as it is."""
    return t.value if isinstance(t, Enum) else str(t)


def qdpx_bytes(data: ProjectData, *, write_codes: CodesWriter) -> bytes:
    """The ``.qdpx`` zip for ``data`` (deterministic: same project, same bytes inside)."""
    xml, files, sidecar = build_project_xml(data, write_codes=write_codes)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("project.qde", date_time=(2000, 1, 1, 0, 0, 0)), xml,
                   compress_type=zipfile.ZIP_DEFLATED)
        for path in sorted(files):
            z.writestr(zipfile.ZipInfo(path, date_time=(2000, 1, 1, 0, 0, 0)), files[path].encode("utf-8"),
                       compress_type=zipfile.ZIP_DEFLATED)
        z.writestr(zipfile.ZipInfo(SIDECAR, date_time=(2000, 1, 1, 0, 0, 0)),
                   json.dumps(sidecar, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8"),
                   compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


# ----------------------------------------------------------------------------- reading
def _local(el) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _kids(el, name: str) -> list:
    return [c for c in el if _local(c) == name]


def _kid(el, name: str):
    k = _kids(el, name)
    return k[0] if k else None


def _norm(g: str | None) -> str:
    return (g or "").strip("{} ").lower()


def _parse_dt(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _value_of(vv) -> tuple[str, str] | None:
    ref = _kid(vv, "VariableRef")
    if ref is None:
        return None
    for el in vv:
        if _local(el).endswith("Value") and _local(el) != "VariableRef":
            return _norm(ref.get("targetGUID")), el.text or ""
    return _norm(ref.get("targetGUID")), ""


def read_qdpx(file: "str | IO[bytes] | bytes", *, read_codes: CodesReader, name: str = "qdpx") -> ProjectData:
    """Read a ``.qdpx`` (qualcode's or another tool's) into :class:`ProjectData`.

    Raises ExportError naming the file when it is not a REFI-QDA project.
    """
    label = file if isinstance(file, str) else name
    try:
        z = zipfile.ZipFile(io.BytesIO(file) if isinstance(file, bytes) else file)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ExportError(f"not a .qdpx (zip) file: {exc}", file=str(label),
                          hint="export the project from your QDA program as REFI-QDA (.qdpx)") from None
    with z:
        names = set(z.namelist())
        qde = next((n for n in names if n.lower().endswith("project.qde")), None)
        if qde is None:
            raise ExportError("no project.qde inside", file=str(label), hint="is this a REFI-QDA project export?")
        parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, huge_tree=True)
        try:
            root = etree.fromstring(z.read(qde), parser)
        except etree.XMLSyntaxError as exc:
            raise ExportError(f"project.qde is not valid XML: {exc}", file=str(label)) from None
        sidecar = json.loads(z.read(SIDECAR).decode("utf-8")) if SIDECAR in names else {}

        def source_text(ts) -> str:
            content = _kid(ts, "PlainTextContent")
            if content is not None:
                return content.text or ""
            path = ts.get("plainTextPath") or ""
            inner = path.replace("internal://", "")
            for cand in (f"sources/{inner}", inner, f"Sources/{inner}"):
                if cand in names:
                    return z.read(cand).decode("utf-8-sig")
            raise ExportError(f"source {ts.get('name')!r} has no text ({path})", file=str(label),
                              hint="only text sources can be imported")

        return _read_root(root, sidecar, source_text, read_codes=read_codes, label=str(label))


def _read_root(root, sidecar: dict, source_text, *, read_codes: CodesReader, label: str) -> ProjectData:
    users = {_norm(u.get("guid")): u.get("name") or u.get("id") or "imported"
             for u in root.iter(_q("User"))}
    cb_el = _kid(root, "CodeBook")
    codes_el = _kid(cb_el, "Codes") if cb_el is not None else None
    code_of_guid: dict[str, str] = {}
    if codes_el is not None:
        known = {v["guid"]: cid for cid, v in sidecar.get("codes", {}).items()}
        codebook = read_codes(codes_el, known)
        for el, c in zip(codes_el.iter(_q("Code")), codebook.codes):
            code_of_guid[_norm(el.get("guid"))] = c.id
        for c in codebook.codes:
            c.retired = bool(sidecar.get("codes", {}).get(c.id, {}).get("retired", False))
    else:
        codebook = Codebook(name="Codebook")
    variables = {_norm(v.get("guid")): (v.get("name") or "", VAR_TYPES_BACK.get(v.get("typeOfVariable") or "Text", "text"))
                 for v in root.iter(_q("Variable"))}
    notes = {}
    notes_el = _kid(root, "Notes")
    if notes_el is not None:
        for n in _kids(notes_el, "Note"):
            notes[_norm(n.get("guid"))] = n
    memos: list[MemoRecord] = []

    def memo(ng: str, **target) -> None:
        n = notes.get(_norm(ng))
        if n is None:
            return
        content = _kid(n, "PlainTextContent")
        extra = sidecar.get("notes", {}).get(_norm(ng), {})
        memos.append(MemoRecord(text=(content.text if content is not None else "") or "",
                                coder=users.get(_norm(n.get("creatingUser")), "imported"),
                                created_at=_parse_dt(n.get("creationDateTime")),
                                code_id=target.pop("code_id", None) or extra.get("code_id"), **target))

    if cb_el is not None:
        for el in cb_el.iter(_q("Code")):
            for ref in _kids(el, "NoteRef"):
                memo(ref.get("targetGUID"), code_id=code_of_guid.get(_norm(el.get("guid"))))
    cases: dict[str, list] = {}
    for case in root.iter(_q("Case")):
        for ref in _kids(case, "SourceRef"):
            cases.setdefault(_norm(ref.get("targetGUID")), []).append(case)
    documents: list[Document] = []
    codings: list[CodingRecord] = []
    problems: list[str] = []
    src_el = _kid(root, "Sources")
    for ts in (_kids(src_el, "TextSource") if src_el is not None else []):
        sg = _norm(ts.get("guid"))
        text = source_text(ts)
        meta = sidecar.get("documents", {}).get(sg)
        attr_types = (meta or {}).get("attribute_types", {})
        attributes = {}
        for vv in _kids(ts, "VariableValue"):
            got = _value_of(vv)
            if got and got[0] in variables:
                key, vtype = variables[got[0]]
                attributes[key] = Attribute(key, got[1], AttrType(attr_types.get(key, vtype)))
        doc = _structure(ts.get("name") or sg, text, meta, cases.get(sg, []), variables)
        doc.attributes = attributes
        documents.append(doc)
        ch = doc.content_hash
        for ref in _kids(ts, "NoteRef"):
            memo(ref.get("targetGUID"), document=ch)
        for sel in _kids(ts, "PlainTextSelection"):
            start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
            for ce in _kids(sel, "Coding"):
                cref = _kid(ce, "CodeRef")
                code_id = code_of_guid.get(_norm(cref.get("targetGUID") if cref is not None else ""))
                if code_id is None:
                    problems.append(f"{doc.name}: a coding refers to an unknown code; skipped")
                    continue
                side = sidecar.get("codings", {}).get(_norm(ce.get("guid")), {})
                coder = users.get(_norm(ce.get("creatingUser")), "imported")
                for order, a, b in _excerpts_for(doc, start, end, side.get("excerpt")):
                    codings.append(CodingRecord(document=ch, excerpt_order=order, code_id=code_id, coder=coder,
                                                start=a, end=b, origin=side.get("origin", "imported"),
                                                created_at=_parse_dt(ce.get("creationDateTime"))))
            for ref in _kids(sel, "NoteRef"):
                hits = _excerpts_for(doc, start, end, None)
                memo(ref.get("targetGUID"), document=ch, excerpt_order=hits[0][0] if hits else None)
    for ref in _kids(root, "NoteRef"):
        memo(ref.get("targetGUID"))
    return ProjectData(name=root.get("name") or "Imported project", codebook=codebook, documents=documents,
                       codings=codings, memos=memos, users=sorted(set(users.values())), problems=problems)


def _excerpts_for(doc: Document, start: int, end: int, order: int | None) -> list[tuple[int, int, int]]:
    """(excerpt order, start, end) pieces of a selection: the recorded excerpt, else every
    excerpt it overlaps (clipped)."""
    if order is not None:
        for e in doc.excerpts:
            if e.order == order and e.start <= start < end <= e.end:
                return [(order, start, end)]
    out = []
    for e in doc.excerpts:
        a, b = max(start, e.start), min(end, e.end)
        if a < b:
            out.append((e.order, a, b))
    return out


def _structure(name: str, text: str, meta: dict | None, cases: list, variables: dict) -> Document:
    """Speakers, turns and excerpts: from the sidecar, else one turn per non-empty line."""
    speakers: dict[str, Speaker] = {}
    turns: list[Turn] = []
    excerpts: list[Excerpt] = []
    if meta:
        for sp in meta["speakers"]:
            speakers[sp["label"]] = Speaker(label=sp["label"], role=Role(sp["role"]))
        for sp_label, order, a, b, sms, ems in meta["turns"]:
            turns.append(Turn(speaker=sp_label, order=order, start=a, end=b, start_ms=sms, end_ms=ems))
        for order, a, b, torder, codable in meta["excerpts"]:
            excerpts.append(Excerpt(start=a, end=b, text=text[a:b], turn_order=torder, order=order, codable=codable))
        types = {sp["label"]: sp.get("attribute_types", {}) for sp in meta["speakers"]}
    else:
        types = {}
        pos, order = 0, 0
        for line in text.splitlines(keepends=True):
            body = line.rstrip("\r\n")
            if body.strip():
                a = pos + (len(body) - len(body.lstrip()))
                b = pos + len(body.rstrip())
                m = _SPEAKER.match(body.strip())
                label = m.group(1).strip() if m else "Unknown"
                speakers.setdefault(label, Speaker(label=label))
                turns.append(Turn(speaker=label, order=order, start=a, end=b))
                excerpts.append(Excerpt(start=a, end=b, text=text[a:b], turn_order=order, order=order))
                order += 1
            pos += len(line)
    for case in cases:
        label = case.get("name") or ""
        sp = speakers.get(label)
        if sp is None:
            continue
        for vv in _kids(case, "VariableValue"):
            got = _value_of(vv)
            if not got or got[0] not in variables:
                continue
            key, vtype = variables[got[0]]
            if key == "role" and got[0] == ROLE_VAR:
                try:
                    sp.role = Role(got[1])
                except ValueError:
                    pass
                continue
            sp.attributes[key] = Attribute(key, got[1], AttrType(types.get(label, {}).get(key, vtype)))
    return Document(name=name, text=text, format=(meta or {}).get("format", "txt"),
                    source_filename=(meta or {}).get("source_filename", name), speakers=list(speakers.values()),
                    turns=turns, excerpts=excerpts)

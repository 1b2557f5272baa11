"""REFI-QDA projects (``.qdpx``): write and read, losslessly between qualcode projects.

A ``.qdpx`` is a zip holding ``project.qde`` (namespace ``urn:QDA-XML:project:1.0``) and the
sources as UTF-8 text under ``sources/<GUID>.txt``. What goes where:

- coders -> ``Users``; the codebook -> ``CodeBook`` (criteria and the code id in each
  ``Description``, see :mod:`qualcode.codebook_io.qdc`);
- document attributes -> ``Variables`` + ``VariableValue`` on each ``TextSource``;
  speakers -> ``Cases`` (name = pseudonym when there is one, role and speaker attributes
  as variable values, a ``SourceRef`` to their document);
- codings -> ``PlainTextSelection`` (code-point offsets) holding ``Coding`` elements with
  ``creatingUser``; memos -> ``Notes`` referenced (``NoteRef``) from the coding (a memo on
  a coding), the selection (on an excerpt), the source (on a document), the code, or the
  project.

What REFI-QDA cannot express (turns, excerpt segmentation, speaker roles per turn, how a
coding came about, which excerpts each coder reviewed) travels in ``qualcode.json`` beside
``project.qde``; other tools ignore it, and a ``.qdpx`` from another tool is read without it
(one excerpt per line). Reading tolerates what NVivo, ATLAS.ti and MAXQDA write and reports
damage instead of failing on it (see the notes above :func:`read_qdpx`).

GUIDs are uuid5 of stable keys (code ids, document content hashes, spans, coder names),
so exporting the same project twice gives the same GUIDs.
"""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import IO, Any, Callable

from lxml import etree

from qualcode.core import Attribute, AttrType, Codebook, Document, Excerpt, Role, Speaker, Turn, text_hash
from qualcode.core.text import person_key, same_label
from qualcode.errors import ExportError
from qualcode.safezip import read_member

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
    #: Sources named in the file but not imported (missing from the archive, not text), and
    #: notes (memos) that could not be placed on anything qualcode holds, each with why.
    left_out: list[str] = field(default_factory=list)
    #: Who finished which excerpts: {coder: {content hash: [excerpt orders]}}. qualcode keeps
    #: it in its sidecar; None for another program's file (then coded documents count as reviewed).
    reviews: dict[str, dict[str, list[int]]] | None = None
    #: content hash -> the GUID the file gave the source (to recognise a document by GUID).
    source_guids: dict[str, str] = field(default_factory=dict)
    #: Documents read one turn per line (another program's file): their speakers' roles are
    #: not in the file, only their labels (see services.export.guess_roles).
    read_by_line: set[str] = field(default_factory=set)


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
            sidecar["codes"][c.id] = {"guid": g, "retired": c.retired, "codable": c.codable}
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
    # Cases: one per person (see speaker_cases), with a SourceRef to each document they speak in
    if has_speakers:
        cases_el = etree.SubElement(root, _q("Cases"))
        for case_guid, sp, hashes in speaker_cases(data.documents):
            case = etree.SubElement(cases_el, _q("Case"))
            case.set("guid", case_guid)
            case.set("name", sp.label)
            _value_element(case, ROLE_VAR, _tv(sp.role), "text")
            for a in sp.attributes.values():
                g, t = spk_var[a.key]
                _value_element(case, g, str(a.value), t)
            for h in hashes:
                etree.SubElement(case, _q("SourceRef")).set("targetGUID", guid("source", h))
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
    if data.reviews:
        sidecar["reviews"] = {coder: {ch: sorted(orders) for ch, orders in sorted(per_doc.items())}
                              for coder, per_doc in sorted(data.reviews.items())}
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


NOT_PARTICIPANTS = ("interviewer", "facilitator")


def speaker_cases(documents: list[Document]) -> list[tuple[str, Speaker, list[str]]]:
    """The ``Cases``: (GUID, the speaker, content hashes of the documents they speak in).

    Speakers are stored per document; a case is a person across them (walk 18: Grace Mwale,
    in her interview and in a focus group, was two cases, and each document's "Interviewer" one
    more). A participant is one case across documents under the same name, as Themes counts
    people (``core.text.person_key``: a placeholder label such as "Speaker 1" stays one per
    document); an interviewer or facilitator is one case per label across the project. Merged
    only where role and attributes agree, so that reading the file back gives each document's
    speakers exactly what they had.
    """
    groups: dict[Any, list[tuple[Document, Speaker]]] = {}
    for d in documents:
        for sp in d.speakers:
            role = _tv(sp.role)
            who = ("role", role, same_label(sp.label)) if role in NOT_PARTICIPANTS else (
                "person", person_key(d.content_hash, sp.label, per_document=d.format == "survey", pseudonym=bool(sp.pseudonym)))
            attrs = tuple(sorted((a.key, _tv(a.type), str(a.value)) for a in sp.attributes.values()))
            groups.setdefault((who, role, attrs), []).append((d, sp))
    out = []
    for (who, _role, _attrs), members in groups.items():
        d0, sp0 = members[0]
        hashes = list(dict.fromkeys(d.content_hash for d, _ in members))
        g = guid("case", d0.content_hash, sp0.label) if len(hashes) == 1 else guid("case", *map(str, who))
        out.append((g, sp0, hashes))
    return out


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
#
# What vendors write, and what is tolerated (issue 15; the shapes are in tests/test_refi_import.py):
# ``project.qde``, ``Project.qde`` or ``<name>.qde`` anywhere in the zip; sources under
# ``sources/``, ``Sources/`` or any folder (matched by file name, case-insensitively); any
# namespace version (elements are matched by local name); uppercase or braced GUIDs and
# non-UUID ids; a UTF-8 BOM and CRLF line ends, counted by the vendor's offsets (NVivo for
# Windows) and mapped exactly onto the stored text (BOM dropped, ``\n`` line ends); sources
# that are missing from the archive (left out and listed); damaged selections and a damaged
# ``qualcode.json`` (reported in ``problems``, never a traceback).
#
# Notes (memos) are placed by what refers to them: a ``NoteRef`` in a ``Coding`` -> a memo
# on that coding (on its first piece when the coding is split across excerpts); in a
# ``PlainTextSelection`` -> on the excerpt (qualcode's own files, whose sidecar knows the
# note), or, from another program, on the selection's coding when it carries exactly one,
# else on the passage's first excerpt; in a source -> on the document; in a ``Code`` -> on the
# code; in ``Project`` -> on the project; a ``Link`` between a note and a coding, selection,
# source or code -> on that. A note referenced from nowhere (or only from a set or graph) is
# a free memo, kept on the project. A note on anything that was not imported (a PDF, a
# damaged selection, a coding of an unknown code, a link, another note) is listed in
# ``left_out`` with the reason: never dropped without a word.

#: Deeper code hierarchies are refused with a clear error (no real codebook comes close;
#: a 1,500-deep one is an attack on the recursion limit).
MAX_CODE_DEPTH = 200
_SCHEMES = ("internal://", "relative://", "absolute://", "file://")


def _local(el) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _kids(el, name: str) -> list:
    return [c for c in el if _local(c) == name]


def _kid(el, name: str):
    k = _kids(el, name)
    return k[0] if k else None


def _iter(el, name: str):
    """Every descendant named ``name`` in any namespace (vendors write 1.0, 1:0, 0:4...)."""
    return (e for e in el.iter() if _local(e) == name)


def _norm(g: str | None) -> str:
    return (g or "").strip().strip("{} ").lower()


def _parse_dt(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def _value_of(vv) -> tuple[str, str] | None:
    ref = _kid(vv, "VariableRef")
    if ref is None:
        return None
    for el in vv:
        if _local(el).endswith("Value") and _local(el) != "VariableRef":
            return _norm(ref.get("targetGUID")), (el.text or "").strip()
    return _norm(ref.get("targetGUID")), ""


def _decode(raw: bytes) -> tuple[str, str | None]:
    """Source bytes -> (text as written, a note when it was not UTF-8). A UTF-8 BOM stays
    in the text here (as U+FEFF) because vendors' offsets count it; see :func:`normalise`."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return raw.decode("utf-16"), None
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace"), "is not UTF-8 text; read as Windows-1252 (check its text)"


def normalise(raw: str) -> tuple[str, Callable[[int], int]]:
    """The stored text for a source as written, and a map from the vendor's offsets.

    A leading BOM is dropped, ``\\r\\n`` and a lone ``\\r`` become ``\\n``; offsets into
    ``raw`` (which count the BOM and both characters of ``\\r\\n``, as NVivo's do) map to
    offsets into the result, so a selection cuts out the same words before and after.

    >>> text, at = normalise("\\ufeffab\\r\\ncd")
    >>> text, at(5), text[at(5):at(7)]
    ('ab\\ncd', 3, 'cd')
    """
    removed: list[int] = []
    if raw.startswith("\ufeff"):
        removed.append(0)
    if "\r" in raw:
        removed.extend(m.start() for m in re.finditer(r"\r(?=\n)", raw))
    text = raw[1:] if raw.startswith("\ufeff") else raw
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not removed:
        return text, lambda pos: pos
    from bisect import bisect_left

    return text, lambda pos: pos - bisect_left(removed, pos)


def _find_qde(infos: list[zipfile.ZipInfo]) -> zipfile.ZipInfo | None:
    qdes = [i for i in infos if i.filename.lower().endswith(".qde") and "__macosx" not in i.filename.lower()]
    if not qdes:
        return None
    return min(qdes, key=lambda i: (i.filename.rsplit("/", 1)[-1].lower() != "project.qde",
                                    i.filename.count("/"), i.filename))


def _load_sidecar(z, infos, label: str, limit: int | None, problems: list[str]) -> dict:
    """qualcode's sidecar, checked: anything malformed is reported and left unused."""
    info = next((i for i in infos if i.filename == SIDECAR), None)
    if info is None:
        return {}
    try:
        data = json.loads(read_member(z, info, file=label, limit=limit).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        problems.append(f"{SIDECAR} is not readable JSON; the project was read as if from another program")
        return {}
    if not isinstance(data, dict):
        problems.append(f"{SIDECAR} does not hold an object; the project was read as if from another program")
        return {}
    out: dict = {}
    for key in ("documents", "codings", "codes", "notes", "reviews"):
        part = data.get(key, {})
        if not isinstance(part, dict):
            problems.append(f"{SIDECAR}: '{key}' is not an object; ignored")
            part = {}
        out[key] = {_norm(k) if key in ("documents", "codings", "notes") else k: v
                    for k, v in part.items() if isinstance(v, dict)}
    return out


def _code_depth(codes_el) -> tuple[int, Any]:
    deepest, where = 0, None
    stack = [(codes_el, 0)]
    while stack:
        el, depth = stack.pop()
        if depth > deepest:
            deepest, where = depth, el
        stack.extend((c, depth + 1) for c in el if _local(c) == "Code")
    return deepest, where


def read_qdpx(file: "str | IO[bytes] | bytes", *, read_codes: CodesReader, name: str = "qdpx",
              limit: int | None = None) -> ProjectData:
    """Read a ``.qdpx`` (qualcode's or another tool's) into :class:`ProjectData`.

    Every member is read through :func:`qualcode.safezip.read_member` (``limit`` bytes at
    most, default the ``max_unzipped_mb`` setting). Sources missing from the archive are
    left out and listed in ``left_out``; damaged parts are listed in ``problems``.
    Raises ExportError naming the file when it is not a REFI-QDA project.
    """
    label = str(file if isinstance(file, str) else name)
    try:
        z = zipfile.ZipFile(io.BytesIO(file) if isinstance(file, bytes) else file)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ExportError(f"not a .qdpx (zip) file: {exc}", file=label,
                          hint="export the project from your QDA program as REFI-QDA (.qdpx)") from None
    problems: list[str] = []
    try:
        with z:
            return _read_zip(z, label, limit, problems, read_codes)
    except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError, zlib.error) as exc:
        raise ExportError(f"the archive is damaged ({exc})", file=label,
                          hint="export the project again from the program that made it") from None


def _read_zip(z: zipfile.ZipFile, label: str, limit: int | None, problems: list[str],
              read_codes: CodesReader) -> ProjectData:
    infos = [i for i in z.infolist() if not i.is_dir()]
    qde = _find_qde(infos)
    if qde is None:
        raise ExportError("no project.qde inside", file=label, hint="is this a REFI-QDA project export?")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, huge_tree=True)
    try:
        root = etree.fromstring(read_member(z, qde, file=label, limit=limit), parser)
    except etree.XMLSyntaxError as exc:
        raise ExportError(f"{qde.filename} is not valid XML: {exc.msg}", file=label, line=exc.lineno,
                          hint="export the project again from the program that made it") from None
    if _local(root) != "Project":
        raise ExportError(f"{qde.filename} starts with <{_local(root)}>, not <Project>", file=label,
                          line=root.sourceline, hint="is this a REFI-QDA project export?")
    sidecar = _load_sidecar(z, infos, label, limit, problems)
    by_path = {i.filename.lower(): i for i in infos}
    by_base: dict[str, list[zipfile.ZipInfo]] = {}
    for i in infos:
        by_base.setdefault(i.filename.rsplit("/", 1)[-1].lower(), []).append(i)

    def source_text(ts) -> tuple[str | None, str]:
        """(raw text, why not) for a TextSource."""
        content = _kid(ts, "PlainTextContent")
        if content is not None:
            return content.text or "", ""
        path = (ts.get("plainTextPath") or "").strip().replace("\\", "/")
        if not path:
            return None, "it names no text file"
        inner = path
        for scheme in _SCHEMES:
            if inner.lower().startswith(scheme):
                inner = inner[len(scheme):]
                break
        inner = inner.lstrip("/")
        hit = by_path.get(f"sources/{inner}".lower()) or by_path.get(inner.lower())
        if hit is None:
            cands = by_base.get(inner.rsplit("/", 1)[-1].lower(), [])
            hit = cands[0] if len(cands) == 1 else None
        if hit is None:
            return None, f"its text ({path}) is not in the archive"
        raw, note = _decode(read_member(z, hit, file=label, limit=limit))
        if note:
            problems.append(f"{ts.get('name') or hit.filename}: {note}")
        return raw, ""

    return _read_root(root, sidecar, source_text, read_codes=read_codes, label=label, problems=problems)


def parents_first(codes: list) -> list:
    """``codes`` with every parent before its children, otherwise in the given order.

    >>> from qualcode.core import Code
    >>> [c.id for c in parents_first([Code(id="b", name="B", parent="a"), Code(id="a", name="A")])]
    ['a', 'b']
    """
    by_id = {c.id: c for c in codes}
    out, done = [], set()

    def place(c, depth: int = 0) -> None:
        if c.id in done or depth > 500:
            return
        if c.parent in by_id and c.parent not in done:
            place(by_id[c.parent], depth + 1)
        done.add(c.id)
        out.append(c)

    for c in codes:
        place(c)
    return out


def _int_attr(sel, key: str) -> int | None:
    raw = (sel.get(key) or "").strip()
    if not re.fullmatch(r"[+-]?\d{1,12}", raw):
        return None
    return int(raw)


def _read_root(root, sidecar: dict, source_text, *, read_codes: CodesReader, label: str,
               problems: list[str]) -> ProjectData:
    users = {_norm(u.get("guid")): (u.get("name") or u.get("id") or "imported").strip() or "imported"
             for u in _iter(root, "User")}
    cb_el = _kid(root, "CodeBook")
    codes_el = _kid(cb_el, "Codes") if cb_el is not None else None
    code_of_guid: dict[str, str] = {}
    side_codes = sidecar.get("codes", {})
    if codes_el is not None and len(_kids(codes_el, "Code")):
        depth, where = _code_depth(codes_el)
        if depth > MAX_CODE_DEPTH:
            raise ExportError(f"codes are nested {depth} levels deep", file=label,
                              line=where.sourceline if where is not None else None,
                              hint=f"qualcode reads up to {MAX_CODE_DEPTH} levels; flatten the code "
                                   "hierarchy in the program that made the file and export again")
        known = {v["guid"]: cid for cid, v in side_codes.items() if isinstance(v.get("guid"), str)}
        codebook = read_codes(codes_el, known)  # the file's codes in file order, new parents after
        for el, c in zip(_iter(codes_el, "Code"), codebook.codes):
            code_of_guid[_norm(el.get("guid"))] = c.id
        codebook.codes = parents_first(codebook.codes)
        for c in codebook.codes:
            c.retired = side_codes.get(c.id, {}).get("retired", False) is True
            if isinstance(side_codes.get(c.id, {}).get("codable"), bool):  # a retired code's own
                c.codable = side_codes[c.id]["codable"]
    else:
        codebook = Codebook(name="Codebook")
    n_sets = sum(1 for _ in _iter(root, "Set"))
    if n_sets:
        problems.append(f"{n_sets} code set(s) left out (qualcode has no code sets; the codes themselves were read)")
    variables = {_norm(v.get("guid")): ((v.get("name") or "").strip(),
                                        VAR_TYPES_BACK.get((v.get("typeOfVariable") or "Text").strip(), "text"))
                 for v in _iter(root, "Variable")}
    notes = {_norm(n.get("guid")): n for n in _iter(root, "Note")}
    note_pos = {k: i for i, k in enumerate(notes)}
    memos: list[MemoRecord] = []
    memo_pos: list[int] = []  # each memo's note's place in <Notes> (memos are kept in that order)
    left_out: list[str] = []
    # Memos (see the notes above read_qdpx): every Note ends up placed (a memo), left out
    # with the reason (``unplaced``), or, referenced from nowhere, a project memo.
    placed: set[str] = set()
    unplaced: dict[str, str] = {}
    targets_done: set[tuple] = set()
    #: GUID of a code, source, selection or coding -> where a memo on it goes (for <Link>s)
    anchors: dict[str, dict] = {}

    def memo(ng: str | None, **target) -> None:
        key = _norm(ng)
        n = notes.get(key)
        if n is None:
            if key:
                problems.append(f"a note reference points to a note ({ng}) that the file does not hold; ignored")
            return
        placed.add(key)
        text = _note_text(n)
        done = (key, tuple(sorted(target.items())))
        if not text or done in targets_done:
            return
        targets_done.add(done)
        extra = sidecar.get("notes", {}).get(key, {})
        side_code = extra.get("code_id") if isinstance(extra.get("code_id"), str) else None
        memos.append(MemoRecord(text=text, coder=users.get(_norm(n.get("creatingUser")), "imported"),
                                created_at=_parse_dt(n.get("creationDateTime")),
                                code_id=target.pop("code_id", None) or side_code, **target))
        memo_pos.append(note_pos[key])

    def cannot_place(el, why: str) -> None:
        """Every note referenced from ``el`` and its descendants cannot be placed: ``why``."""
        for ref in _iter(el, "NoteRef"):
            unplaced.setdefault(_norm(ref.get("targetGUID")), why)

    if cb_el is not None:
        for el in _iter(cb_el, "Code"):
            code_id = code_of_guid.get(_norm(el.get("guid")))
            if code_id is None:
                continue
            anchors[_norm(el.get("guid"))] = {"code_id": code_id}
            for ref in _kids(el, "NoteRef"):
                memo(ref.get("targetGUID"), code_id=code_id)
    cases: dict[str, list] = {}
    for case in _iter(root, "Case"):
        for ref in _kids(case, "SourceRef"):
            cases.setdefault(_norm(ref.get("targetGUID")), []).append(case)
    documents: list[Document] = []
    codings: list[CodingRecord] = []
    source_guids: dict[str, str] = {}
    read_by_line: set[str] = set()
    src_el = _kid(root, "Sources")
    for ts in (list(src_el) if src_el is not None else []):
        kind = _local(ts)
        if not kind:
            continue
        sname = (ts.get("name") or "").strip() or _norm(ts.get("guid")) or kind
        case_keys = [_norm(ts.get("guid"))]
        if kind != "TextSource":
            rep = _kid(ts, "Representation")  # a PDF's or a recording's text (transcript)
            if rep is None:
                left_out.append(f"{sname}: a {kind} (only text sources can be imported)")
                cannot_place(ts, f"it is on {sname}, a {kind} (only text sources can be imported)")
                continue
            n_own = sum(1 for c in ts if _local(c).endswith("Selection"))
            if n_own:
                problems.append(f"{sname}: {n_own} selection(s) on the {kind} itself (not on its text) were left out")
                for c in ts:
                    if _local(c).endswith("Selection"):
                        cannot_place(c, f"it is on a selection of the {kind} {sname} itself (not on its text)")
            outer = ts
            ts = rep
            case_keys.append(_norm(ts.get("guid")))
        sg = _norm(ts.get("guid"))
        raw, why = source_text(ts)
        if raw is None:
            left_out.append(f"{sname}: {why}")
            cannot_place(ts if kind == "TextSource" else outer, f"it is on {sname}, which was left out ({why})")
            continue
        text, at = normalise(raw)
        meta = sidecar.get("documents", {}).get(sg)
        doc, by_line = _document(sname, text, meta, [c for k in case_keys for c in cases.get(k, [])], variables,
                                 problems)
        if by_line:
            read_by_line.add(doc.content_hash or text_hash(doc.text))
        attr_types = (meta or {}).get("attribute_types", {}) if isinstance((meta or {}).get("attribute_types"), dict) else {}
        for vv in _kids(ts, "VariableValue"):
            got = _value_of(vv)
            if got and got[0] in variables:
                key, vtype = variables[got[0]]
                try:
                    atype = AttrType(attr_types.get(key, vtype))
                except ValueError:
                    atype = AttrType(vtype)
                if key:
                    doc.attributes[key] = Attribute(key, got[1], atype)
        documents.append(doc)
        ch = doc.content_hash
        source_guids[ch] = sg
        for g in case_keys:
            anchors[g] = {"document": ch}
        for el in ([outer, ts] if kind != "TextSource" else [ts]):
            for ref in _kids(el, "NoteRef"):  # a note on the source (or on the PDF/recording it transcribes)
                memo(ref.get("targetGUID"), document=ch)
        n_whole = len(_kids(ts, "Coding"))
        if n_whole:  # a coding of the whole source, without a selection
            problems.append(f"{sname}: {n_whole} coding(s) of the whole source (no selection) were left out")
            for ce in _kids(ts, "Coding"):
                cannot_place(ce, f"it is on a coding of the whole of {sname} (no selection), which was left out")
        for sel in _kids(ts, "PlainTextSelection"):
            where = f"{sname} (line {sel.sourceline} of the project file)"
            a_raw, b_raw = _int_attr(sel, "startPosition"), _int_attr(sel, "endPosition")
            n_codings = len(_kids(sel, "Coding"))
            if a_raw is None or b_raw is None:
                problems.append(f"{where}: a selection's start/end "
                                f"({sel.get('startPosition')!r}, {sel.get('endPosition')!r}) is not a whole "
                                f"number; its {n_codings} coding(s) were left out")
                cannot_place(sel, f"it is on a selection in {where} whose start/end is not a whole number")
                continue
            if not (0 <= a_raw <= len(raw) and 0 <= b_raw <= len(raw)):
                problems.append(f"{where}: a selection {a_raw}:{b_raw} lies outside the text "
                                f"({len(raw)} characters); its {n_codings} coding(s) were left out")
                cannot_place(sel, f"it is on a selection {a_raw}:{b_raw} in {where}, outside the text")
                continue
            if b_raw < a_raw:
                problems.append(f"{where}: a selection ends ({b_raw}) before it starts ({a_raw}); "
                                f"its {n_codings} coding(s) were left out")
                cannot_place(sel, f"it is on a selection in {where} that ends before it starts")
                continue
            start, end = at(a_raw), at(b_raw)
            if start == end:
                if n_codings:
                    problems.append(f"{where}: an empty selection at {a_raw}; its {n_codings} coding(s) were left out")
                cannot_place(sel, f"it is on an empty selection at {a_raw} in {where}")
                continue
            hits = _excerpts_for(doc, start, end, None)
            # a note on the passage: on its (first) excerpt; on the document when it covers
            # only spaces
            sel_target = {"document": ch, "excerpt_order": hits[0][0] if hits else None}
            anchors[_norm(sel.get("guid"))] = sel_target
            kept: list[dict] = []  # where a memo on each kept coding of this selection goes
            for ce in _kids(sel, "Coding"):
                cref = _kid(ce, "CodeRef")
                code_id = code_of_guid.get(_norm(cref.get("targetGUID") if cref is not None else ""))
                if code_id is None:
                    problems.append(f"{where}: a coding refers to an unknown code; left out")
                    cannot_place(ce, f"it is on a coding in {where} of a code the file does not define")
                    continue
                side = sidecar.get("codings", {}).get(_norm(ce.get("guid")), {})
                order = side.get("excerpt") if isinstance(side.get("excerpt"), int) else None
                origin = side.get("origin") if isinstance(side.get("origin"), str) else "imported"
                coder = users.get(_norm(ce.get("creatingUser")), "imported")
                pieces = _excerpts_for(doc, start, end, order)
                if not pieces:
                    problems.append(f"{where}: a coding at {a_raw}:{b_raw} covers no excerpt (only spaces); left out")
                    cannot_place(ce, f"it is on a coding at {a_raw}:{b_raw} in {where} that covers no excerpt")
                    continue
                for o, a, b in pieces:
                    codings.append(CodingRecord(document=ch, excerpt_order=o, code_id=code_id, coder=coder,
                                                start=a, end=b, origin=origin,
                                                created_at=_parse_dt(ce.get("creationDateTime"))))
                # a memo on this coding: on its first piece (a coding across excerpts is split)
                o, a, b = pieces[0]
                on_coding = {"document": ch, "excerpt_order": o, "coding": (code_id, coder, a, b)}
                kept.append(on_coding)
                anchors[_norm(ce.get("guid"))] = on_coding
                for ref in _kids(ce, "NoteRef"):
                    memo(ref.get("targetGUID"), **on_coding)
            for ref in _kids(sel, "NoteRef"):
                # qualcode writes a memo on an excerpt here (its sidecar knows the note); another
                # program's note on a selection that carries one coding is a memo on that coding
                # (a comment on a coded segment), else on the passage
                own = _norm(ref.get("targetGUID")) in sidecar.get("notes", {})
                if not own and n_codings == 1 and len(kept) == 1:
                    memo(ref.get("targetGUID"), **kept[0])
                else:
                    memo(ref.get("targetGUID"), **sel_target)
    for ref in _kids(root, "NoteRef"):
        memo(ref.get("targetGUID"))
    for link in _iter(root, "Link"):  # a note linked to a coding, selection, source or code
        ends = (_norm(link.get("originGUID")), _norm(link.get("targetGUID")))
        for note_end, other in (ends, ends[::-1]):
            if note_end in notes and other in anchors:
                memo(note_end, **anchors[other])
        cannot_place(link, "it is on a link between two things (qualcode has no links)")
    _account_for_notes(root, notes, placed, unplaced, anchors, memo, left_out)
    memos = [m for _, m in sorted(zip(memo_pos, memos), key=lambda pm: pm[0])]
    reviews = _sidecar_reviews(sidecar, {d.content_hash: d for d in documents})
    return ProjectData(name=(root.get("name") or "").strip() or "Imported project", codebook=codebook,
                       documents=documents, codings=codings, memos=memos, users=sorted(set(users.values())),
                       problems=problems, left_out=left_out, reviews=reviews,
                       source_guids=source_guids, read_by_line=read_by_line)


def _note_text(note) -> str:
    content = _kid(note, "PlainTextContent")
    return ((content.text if content is not None else "") or "").strip()


def _account_for_notes(root, notes: dict, placed: set[str], unplaced: dict[str, str], anchors: dict,
                       memo: Callable[..., None], left_out: list[str]) -> None:
    """Every note that did not become a memo: a free note (referenced from nowhere, or only
    from a set or graph) becomes a project memo; one that is on something qualcode cannot
    hold is listed in ``left_out`` with the reason."""
    on: dict[str, str] = {}  # note -> what else refers to it (anchors qualcode did not read)
    for el in root.iter():
        if _local(el) == "NoteRef":
            parent = el.getparent()
            on.setdefault(_norm(el.get("targetGUID")), _local(parent) if parent is not None else "")
        elif _local(el) == "Link":
            ends = (_norm(el.get("originGUID")), _norm(el.get("targetGUID")))
            for note_end, other in (ends, ends[::-1]):
                if note_end in notes and other not in anchors:
                    on.setdefault(note_end, "Link")
    for key, n in notes.items():
        if key in placed:
            continue
        text = _note_text(n)
        if not text:
            continue
        if key in unplaced:
            why = unplaced[key]
        elif key in on:
            why = ("it is linked to something qualcode did not import" if on[key] == "Link"
                   else f"it is on a {on[key] or 'part of the file'} (qualcode has no place for it)")
        else:
            memo(key)  # a free memo: kept on the project
            continue
        short = text if len(text) <= 60 else text[:57].rstrip() + "…"
        left_out.append(f"memo “{short}” ({n.get('name') or 'no name'}): {why}")


def _sidecar_reviews(sidecar: dict, docs: dict[str, Document]) -> dict[str, dict[str, list[int]]] | None:
    """{coder: {content hash: [excerpt orders]}} from the sidecar (qualcode's own files only)."""
    raw = sidecar.get("reviews")
    if not raw:
        return None
    out: dict[str, dict[str, list[int]]] = {}
    for coder, per_doc in raw.items():
        for ch, orders in per_doc.items():
            if ch in docs and isinstance(orders, list):
                known = {e.order for e in docs[ch].excerpts}
                out.setdefault(str(coder), {})[ch] = [o for o in orders if isinstance(o, int) and o in known]
    return out


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


def _document(name: str, text: str, meta: Any, cases: list, variables: dict,
              problems: list[str]) -> tuple[Document, bool]:
    """The document's structure from the sidecar when it is sound, else one turn per line
    (then True: read by line)."""
    if meta is not None:
        try:
            doc = _structure(name, text, meta, cases, variables, problems)
            _check_structure(doc)
            return doc, False
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            problems.append(f"{name}: {SIDECAR} describes this document wrongly ({exc}); "
                            "it was read one excerpt per line instead")
    return _structure(name, text, None, cases, variables, problems), True


def _check_structure(doc: Document) -> None:
    """Raise ValueError unless the sidecar's turns and excerpts fit the text and each other."""
    labels = {sp.label for sp in doc.speakers}
    turn_orders = set()
    for t in doc.turns:
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (t.order, t.start, t.end)):
            raise ValueError(f"turn {t.order!r} has offsets that are not whole numbers")
        if t.speaker not in labels:
            raise ValueError(f"turn {t.order} names an unknown speaker")
        turn_orders.add(t.order)
    if len(turn_orders) != len(doc.turns):
        raise ValueError("two turns share an order")
    orders = set()
    for e in doc.excerpts:
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (e.order, e.start, e.end)):
            raise ValueError(f"excerpt {e.order!r} has offsets that are not whole numbers")
        if e.turn_order not in turn_orders:
            raise ValueError(f"excerpt {e.order} belongs to no turn")
        if not (0 <= e.start < e.end <= len(doc.text)):
            raise ValueError(f"excerpt {e.order} at {e.start}:{e.end} lies outside the text ({len(doc.text)})")
        orders.add(e.order)
    if len(orders) != len(doc.excerpts):
        raise ValueError("two excerpts share an order")
    doc.check_offsets()


def _structure(name: str, text: str, meta: dict | None, cases: list, variables: dict,
               problems: list[str]) -> Document:
    """Speakers, turns and excerpts: from the sidecar, else one turn per non-empty line."""
    speakers: dict[str, Speaker] = {}
    turns: list[Turn] = []
    excerpts: list[Excerpt] = []
    if meta:
        for sp in meta["speakers"]:
            try:
                role = Role(sp["role"])
            except ValueError:
                problems.append(f"{name}: speaker {sp['label']!r} has an unknown role {sp['role']!r}; set to unknown")
                role = Role.UNKNOWN
            speakers[str(sp["label"])] = Speaker(label=str(sp["label"]), role=role)
        for sp_label, order, a, b, sms, ems in meta["turns"]:
            turns.append(Turn(speaker=sp_label, order=order, start=a, end=b,
                              start_ms=sms if isinstance(sms, int) else None,
                              end_ms=ems if isinstance(ems, int) else None))
        for order, a, b, torder, codable in meta["excerpts"]:
            excerpts.append(Excerpt(start=a, end=b, text=text[a:b], turn_order=torder, order=order,
                                    codable=bool(codable)))
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
    spaced = {same_label(k): v for k, v in reversed(list(speakers.items()))}
    for case in cases:
        label = (case.get("name") or "").strip()
        # a case is a person across documents (see speaker_cases), named as in the first one
        sp = speakers.get(label) or spaced.get(same_label(label))
        if sp is None:
            continue
        label = sp.label
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
            try:
                atype = AttrType(types.get(label, {}).get(key, vtype))
            except (ValueError, AttributeError):
                atype = AttrType(vtype)
            if key:
                sp.attributes[key] = Attribute(key, got[1], atype)
    fmt = (meta or {}).get("format", "txt")
    src = (meta or {}).get("source_filename", name)
    return Document(name=name, text=text, format=fmt if isinstance(fmt, str) else "txt",
                    source_filename=src if isinstance(src, str) else name, speakers=list(speakers.values()),
                    turns=turns, excerpts=excerpts)

"""REFI-QDA codebooks (``.qdc``, namespace ``urn:QDA-XML:codebook:1.0``) <-> Codebook.

The standard has no elements for inclusion/exclusion criteria or examples, so they go
into each code's ``<Description>`` as labelled sections that people can read in NVivo,
ATLAS.ti or MAXQDA, and that :func:`parse_description` reads back::

    Staying in inquiry before choosing a solution.

    Include:
    - talk about slowing down to understand the problem
    Exclude:
    - ...
    Examples:
    - "We kept asking why before we picked anything."
    Code id: learning_zone

Hierarchy is nesting; GUIDs are uuid5 of the code id, so exporting twice gives the same
file. A code that arrives with another tool's GUID keeps it (``Code.guid``).

The element helpers take the namespace, so a ``.qdpx`` project (``urn:QDA-XML:project:1.0``,
same ``Codes`` structure) can reuse them.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from qualcode.codebook_io.guid import code_guid
from qualcode.codebook_io.validate import ID_RE, Lines, slugify
from qualcode.core import Code, Codebook
from qualcode.errors import CodebookError, Problem

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_NS = "urn:QDA-XML:project:1.0"
ORIGIN = "qualcode"

SECTIONS = (("include", "Include"), ("exclude", "Exclude"), ("examples", "Examples"),
            ("counterexamples", "Counterexamples"))
_HEADER = re.compile(r"^(Include|Exclude|Examples|Counterexamples|Keywords|Code id):\s*(.*)$")


# ----------------------------------------------------------------------------- Description
def compose_description(c: Code, *, with_id: bool = True) -> str:
    """The text that goes into ``<Description>``: definition, then labelled lists."""
    parts = [c.definition.strip()] if c.definition.strip() else []
    block: list[str] = []
    for attr, label in SECTIONS:
        items = getattr(c, attr)
        if items:
            block.append(f"{label}:")
            block.extend("- " + str(x).strip().replace("\n", "\n  ") for x in items)
    if c.keywords:
        block.append("Keywords: " + ", ".join(c.keywords))
    if with_id:
        block.append(f"Code id: {c.id}")
    if block:
        parts.append("\n".join(block))
    return "\n\n".join(parts)


def parse_description(text: str) -> dict:
    """Split a Description back into definition, lists, keywords and the qualcode id.

    A description written by another tool (no labelled sections) is all definition.

    >>> parse_description("Faith.\\n\\nInclude:\\n- a\\n- b\\nCode id: trust")["include"]
    ['a', 'b']
    """
    out: dict = {"definition": "", "include": [], "exclude": [], "examples": [],
                 "counterexamples": [], "keywords": [], "id": None}
    labels = {label: attr for attr, label in SECTIONS}
    definition: list[str] = []
    current: list[str] | None = None
    for raw in (text or "").replace("\r\n", "\n").split("\n"):
        m = _HEADER.match(raw.strip()) if not raw.startswith("  ") else None
        if m:
            head, rest = m.groups()
            if head == "Keywords":
                out["keywords"] = [k.strip() for k in rest.split(",") if k.strip()]
                current = None
            elif head == "Code id":
                out["id"] = rest.strip() or None
                current = None
            else:
                current = out[labels[head]]
            continue
        if current is None:
            definition.append(raw)
        elif raw.startswith("- "):
            current.append(raw[2:].strip())
        elif raw.startswith("  ") and current:
            current[-1] += "\n" + raw[2:]
        elif raw.strip():
            current.append(raw.strip())
    out["definition"] = "\n".join(definition).strip()
    return out


# ----------------------------------------------------------------------------- writing
def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def codes_element(cb: Codebook, *, ns: str = CODEBOOK_NS, include_retired: bool = False) -> etree._Element:
    """The ``<Codes>`` element: nested ``<Code>`` elements in codebook order.

    Retired codes are left out unless asked for (``Codebook.exported`` with nothing in use: a
    codebook holds no codings); an active code under a retired parent hangs from the nearest
    active ancestor. A caller with codings (the .qdpx) passes ``cb.exported(used)`` and
    ``include_retired=True``.
    """
    keep = cb.codes if include_retired else cb.exported().codes
    by_id = cb.by_id()
    kept_ids = {c.id for c in keep}

    def visible_parent(c: Code) -> str | None:
        p, seen = c.parent, set()
        while p is not None and p not in kept_ids and p in by_id and p not in seen:
            seen.add(p)
            p = by_id[p].parent
        return p if p in kept_ids else None

    if not keep:
        raise CodebookError("the codebook has no codes to export", hint="add a code first")
    root = etree.Element(_q(ns, "Codes"), nsmap={None: ns})
    elements: dict[str | None, etree._Element] = {None: root}
    pending = list(keep)
    while pending:
        progressed = False
        for c in list(pending):
            parent = visible_parent(c)
            if parent in elements:
                el = etree.SubElement(elements[parent], _q(ns, "Code"))
                el.set("guid", c.guid or code_guid(c.id))
                el.set("name", c.name)
                # a retired code (kept for its codings) takes no new ones: not codable in the
                # other program either (walk 14: a merged-away code read as live in NVivo)
                el.set("isCodable", "true" if c.codable and not c.retired else "false")
                if c.color:
                    el.set("color", c.color)
                desc = compose_description(c)
                if desc:
                    etree.SubElement(el, _q(ns, "Description")).text = desc
                # <Description> must precede child <Code>s: children are appended later.
                elements[c.id] = el
                pending.remove(c)
                progressed = True
        if not progressed:
            raise CodebookError(f"codes in a parent cycle: {[c.id for c in pending]}",
                                hint="run: qualcode codebook validate")
    return root


def qdc_bytes(cb: Codebook, *, include_retired: bool = False) -> bytes:
    """A complete ``.qdc`` document (UTF-8 XML)."""
    root = etree.Element(_q(CODEBOOK_NS, "CodeBook"), nsmap={None: CODEBOOK_NS})
    root.set("origin", ORIGIN)
    root.append(codes_element(cb, ns=CODEBOOK_NS, include_retired=include_retired))
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def write_qdc(cb: Codebook, path: str | Path, *, include_retired: bool = False) -> Path:
    """Write a REFI-QDA codebook file.

    >>> write_qdc(codebook, "codebook.qdc")  # doctest: +SKIP
    """
    path = Path(path)
    path.write_bytes(qdc_bytes(cb, include_retired=include_retired))
    return path


# ----------------------------------------------------------------------------- reading
def _local(el: etree._Element) -> str:
    tag = el.tag  # "{namespace}Code": the part after the namespace (cheaper than etree.QName)
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _children(el: etree._Element, name: str) -> list[etree._Element]:
    return list(el.iterchildren("{*}" + name))  # any namespace (or none), filtered in lxml


def codebook_from_codes_element(
    codes_el: etree._Element, *, file: str | None = None, name: str = "Codebook",
    known_guids: dict[str, str] | None = None,
) -> tuple[Codebook, Lines, list[Problem]]:
    """Codes from a ``<Codes>`` element: ``(codebook, lines, warnings)``.

    Ids come from ``Code id:`` in the description (qualcode's own exports), else from
    ``known_guids`` (GUID -> id, e.g. the project's codes), else a slug of the name.
    A GUID that is not uuid5 of the id is kept on the code for round trips.
    """
    known = {k.strip("{}").lower(): v for k, v in (known_guids or {}).items()}
    codes: list[Code] = []
    lines = Lines()
    warnings: list[Problem] = []
    taken: set[str] = set()
    names: dict[str, str] = {}

    suffix: dict[str, int] = {}

    def unique_slug(text: str) -> str:
        # slugify(taken=...) counts up from 2 each time: quadratic for many equal names
        base = slugify(text)
        if base not in taken:
            return base
        n = suffix.get(base, 2)
        while f"{base}_{n}" in taken:
            n += 1
        suffix[base] = n + 1
        return f"{base}_{n}"

    # Iterative depth-first walk in document order: nesting thousands deep is no RecursionError.
    stack: list[tuple[etree._Element, Code | None]] = [(c, None) for c in reversed(_children(codes_el, "Code"))]
    while stack:
        cel, parent = stack.pop()
        raw_name = (cel.get("name") or "").strip()
        guid = (cel.get("guid") or "").strip("{} ").lower() or None
        desc_el = _children(cel, "Description")
        desc = parse_description(desc_el[0].text or "" if desc_el else "")
        cid = desc["id"] if desc["id"] and ID_RE.match(desc["id"]) and desc["id"] not in taken else None
        if cid is None and guid and known.get(guid) and known[guid] not in taken:
            cid = known[guid]
        if cid is None:
            cid = unique_slug(raw_name or "code")
        taken.add(cid)
        name = raw_name or cid
        if name.casefold() in names:
            new = f"{name} ({parent.name})" if parent else f"{name} ({cid})"
            warnings.append(Problem(f"two codes are named {name!r}; the one under "
                                    f"{parent.name if parent else 'the top'} is renamed {new!r}",
                                    file=file, line=cel.sourceline, severity="warning"))
            name = new
        names[name.casefold()] = cid
        codable = (cel.get("isCodable") or "true").strip().lower() in ("true", "1")
        code = Code(id=cid, name=name, parent=parent.id if parent else None, codable=codable,
                    definition=desc["definition"], include=desc["include"], exclude=desc["exclude"],
                    examples=desc["examples"], counterexamples=desc["counterexamples"],
                    keywords=desc["keywords"], color=cel.get("color") or None,
                    guid=guid if guid and guid != code_guid(cid) else None)
        codes.append(code)
        lines.codes.append(cel.sourceline)
        stack.extend((c, code) for c in reversed(_children(cel, "Code")))

    return Codebook(name=name, codes=codes), lines, warnings


def read_qdc(path: str | Path, *, known_guids: dict[str, str] | None = None) -> tuple[Codebook, Lines, list[Problem]]:
    """Read a ``.qdc`` file from qualcode or another tool: ``(codebook, lines, warnings)``.

    Raises CodebookError (with the line) when the file is not a REFI-QDA codebook.
    """
    path = Path(path)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    try:
        root = etree.parse(str(path), parser).getroot()
    except OSError:
        raise CodebookError("codebook file not found", file=str(path), hint="check the path") from None
    except etree.XMLSyntaxError as exc:
        raise CodebookError(f"not valid XML: {exc.msg}", file=str(path), line=exc.lineno,
                            hint="export the codebook again from its tool") from None
    if _local(root) != "CodeBook":
        raise CodebookError(f"the root element is <{_local(root)}>, not <CodeBook>", file=str(path),
                            line=root.sourceline, hint="a REFI-QDA codebook (.qdc) starts with <CodeBook>")
    codes = _children(root, "Codes")
    if not codes:
        raise CodebookError("no <Codes> in this codebook", file=str(path), line=root.sourceline)
    cb, lines, warnings = codebook_from_codes_element(codes[0], file=str(path), name=path.stem,
                                                      known_guids=known_guids)
    if _children(root, "Sets"):
        warnings.append(Problem("code sets (<Sets>) are not imported", file=str(path),
                                line=_children(root, "Sets")[0].sourceline, severity="warning"))
    return cb, lines, warnings

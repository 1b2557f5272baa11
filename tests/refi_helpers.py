"""Build REFI-QDA ``.qdpx`` files in the shapes other programs write (our own invented
projects; zipfile + XML strings), for the import, merge and browser tests.

A source is ``Src(guid, name, raw_bytes, selections)``; a selection is
``(start, end, [(code_guid, user_guid)])`` with positions as strings (so damaged ones can
be written) counted the way the vendor counts them.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

PROJECT_NS = "urn:QDA-XML:project:1.0"
U_NADIA = "8C1B5F0A-3E7D-4C2B-9A6E-0F1D2C3B4A51"
U_OMAR = "{2F4E6A8C-1B3D-4F5A-8C7E-9D0B1A2C3E42}"
C_TRUST = "5A0C1E2D-7B9F-4E3A-8D6C-1F2A3B4C5D61"
C_BUYIN = "c001"  # some programs write ids that are no GUIDs
C_DIET = "{6B1D2F3E-8C0A-4F4B-9E7D-2A3B4C5D6E72}"

INTERVIEW = (
    "Interviewer: How did your team come to trust the other districts?\n"
    "Nadia Reyes: We sat with the same three teams at every convening.\n"
    "Nadia Reyes: By the second year we shared our failed cycles openly.\n"
    "Interviewer: And your principals?\n"
    "Omar Lind: They signed on once the exit tickets moved.\n"
)


@dataclass
class Src:
    guid: str
    name: str
    raw: bytes | None  # None: named in project.qde but missing from the archive
    selections: list[tuple[str | None, str | None, list[tuple[str, str]]]] = field(default_factory=list)
    path: str | None = None  # member path; default <folder>/<guid>.txt


def codes_xml(ns: str = "urn:QDA-XML:codebook:1.0", *, padded: bool = True) -> str:
    pad = "\n      " if padded else ""
    return (
        f'<Codes xmlns="{ns}">'
        f'<Code guid="{C_TRUST}" name=" Trust " isCodable="true">'
        f'<Description>{pad}Faith in other people on the team.{pad}</Description></Code>'
        f'<Code guid="{C_BUYIN}" name="Buy-in" isCodable="true"/>'
        f'<Code guid="{C_DIET}" name="Coke::diet Coke" isCodable="true"/>'
        "</Codes>"
        f'<Sets xmlns="{ns}"><Set guid="9E8D7C6B-5A49-4382-9716-0A1B2C3D4E5F" name="Relations">'
        f'<MemberCode guid="{C_TRUST}"/><MemberCode guid="{C_BUYIN}"/></Set></Sets>'
    )


def build_qdpx(sources: list[Src], *, qde_name: str = "project.qde", folder: str = "sources",
               root_entry: bool = False, ns: str = PROJECT_NS, codes: str | None = None,
               notes: bool = True, sidecar: bytes | None = None, extra: dict[str, bytes] | None = None,
               name: str = "Colleague study") -> bytes:
    codes = codes_xml() if codes is None else codes
    users = (f'<Users><User guid="{U_NADIA}" name="Nadia"/><User guid="{U_OMAR}" name=" Omar "/></Users>')
    src_xml = []
    for s in sources:
        sels = []
        for a, b, codings in s.selections:
            attrs = "".join(f" {k}={quoteattr(v)}" for k, v in (("startPosition", a), ("endPosition", b))
                            if v is not None)
            inner = "".join(f'<Coding guid="{_g(len(sels), i, s.guid)}" creatingUser="{u}">'
                            f'<CodeRef targetGUID="{c}"/></Coding>' for i, (c, u) in enumerate(codings))
            sels.append(f'<PlainTextSelection guid="{_g(len(sels), 99, s.guid)}"{attrs}>{inner}'
                        "</PlainTextSelection>")
        src_xml.append(f'<TextSource guid="{s.guid}" name={quoteattr(s.name)} '
                       f'plainTextPath="internal://{s.guid}.txt">{"".join(sels)}</TextSource>')
    note = ('<Notes><Note guid="0B1C2D3E-4F50-4617-8293-A4B5C6D7E8F9" name="Memo" '
            f'creatingUser="{U_NADIA}"><PlainTextContent>Trust grew from repeated contact.</PlainTextContent>'
            '</Note></Notes><NoteRef targetGUID="0B1C2D3E-4F50-4617-8293-A4B5C6D7E8F9"/>') if notes else ""
    qde = (f'<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="{ns}" name={quoteattr(name)} origin="Vendor">'
           f"{users}<CodeBook>{codes}</CodeBook><Sources>{''.join(src_xml)}</Sources>{note}</Project>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(qde_name, qde.encode("utf-8"))
        if root_entry:
            z.writestr(f"{folder}/.root", b"")
        for s in sources:
            if s.raw is not None:
                z.writestr(s.path or f"{folder}/{s.guid}.txt", s.raw)
        if sidecar is not None:
            z.writestr("qualcode.json", sidecar)
        for k, v in (extra or {}).items():
            z.writestr(k, v)
    return buf.getvalue()


def _g(i: int, j: int, base: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{i}/{j}/{base}")).upper()


def span(text: str, phrase: str) -> tuple[str, str]:
    """(start, end) of ``phrase`` in ``text`` (code points), as strings."""
    a = text.index(phrase)
    return str(a), str(a + len(phrase))


def interview_source(guid: str = "7D3F1A2B-4C5D-4E6F-8A9B-0C1D2E3F4A5B", *, text: str = INTERVIEW,
                     bom: bool = False, crlf: bool = False, name: str = "Reyes interview") -> Src:
    """The interview coded by Nadia (Trust twice) and Omar (Buy-in once), offsets counted in
    the text as written (with BOM and CRLF when asked, as NVivo for Windows counts them)."""
    written = ("\ufeff" if bom else "") + (text.replace("\n", "\r\n") if crlf else text)
    sels = [
        (*span(written, "same three teams at every convening"), [(C_TRUST, U_NADIA)]),
        (*span(written, "shared our failed cycles openly"), [(C_TRUST, U_NADIA), (C_TRUST, U_OMAR)]),
        (*span(written, "signed on once the exit tickets moved"), [(C_BUYIN, U_OMAR)]),
    ]
    return Src(guid, name, written.encode("utf-8"), sels)

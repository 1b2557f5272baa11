"""Memos through a REFI-QDA ``.qdpx``: on codings, codes, documents and excerpts.

A new user's bug: a memo on a coding ("Sharing early quiz data…" on a Trust coding) was
written into ``project.qde`` (a ``NoteRef`` inside the ``Coding``) but dropped on import.
Here a project is exported the way the Export page does it (services.export.export_qdpx)
and imported into a fresh project the way the CLI (``import-qdpx``, services.export.import_qdpx)
and the app (Agreement page, services.merge.merge_qdpx) do it; every memo must come back
on the same thing with the same text and author. Then the shapes other programs write
(a ``NoteRef`` in the ``Coding``, in the ``PlainTextSelection``, a ``Link`` from a note),
and notes that cannot be placed, which must be listed as left out.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from click.testing import CliRunner
from lxml import etree

from qualcode import services
from qualcode.cli import main
from qualcode.services import coding, ingest, merge
from qualcode.services import export as ex
from qualcode.services.memos import list_memos
from qualcode.storage import coding as coding_store
from qualcode.storage import documents as doc_store
from tests.refi_helpers import C_BUYIN, C_TRUST, INTERVIEW, U_NADIA, U_OMAR, codes_xml

TRANSCRIPT = ("Interviewer: How did your team come to trust the other districts?\n"
              "Nadia: Sharing early quiz data made us trust them. We met the same people every time.\n"
              "Omar: Our principals bought in once they saw the exit tickets.\n")
CODING_MEMO = "Sharing early quiz data is where trust started: the first open move."
BOB_CODING_MEMO = "I coded this as trust too, but only because of 'made us trust them'."
NARROW_CODING_MEMO = "The quiz data itself is the evidence."
EXCERPT_MEMO = "Ask Nadia which quizzes."
LONE_EXCERPT_MEMO = "Exit tickets again: third interview to say so."
CODE_MEMO = "Trust: keep apart from buy-in (support for the plan)."
DOC_MEMO = "Interview recorded in the district office; noisy start."

SHARING = "Sharing early quiz data made us trust them."
TICKETS = "Our principals bought in once they saw the exit tickets."


def _memos(ctx) -> set[tuple]:
    """Every memo as (kind, text, author, what it is on), 'what' in stable terms:
    a coding by (code, its coder, the words it covers), an excerpt by its words, a document
    by its name, a code by its id."""
    rows = list_memos(ctx)
    with ctx.session(readonly=True) as s:
        docs = {d["id"]: doc_store.load_document(s, d["id"]) for d in doc_store.list_documents(s)}
        ex_of = {e.id: (d, e) for d in docs.values() for e in d.excerpts}
        codings = {c.id: c for c in coding_store.list_codings(s)}
    out = set()
    for r in rows:
        if r["kind"] == "coding":
            c = codings[r["coding_id"]]
            d, e = ex_of[c.excerpt_id]
            assert r["excerpt_id"] == c.excerpt_id  # a coding memo is found with its excerpt's
            on = (c.code_id, c.coder, d.text[c.start:c.end])
        elif r["kind"] == "excerpt":
            on = ex_of[r["excerpt_id"]][1].text
        elif r["kind"] == "document":
            on = docs[r["document_id"]].name
        else:
            on = r["code_id"]
        out.add((r["kind"], r["text"], r["coder"], on))
    return out


EXPECTED = {
    ("coding", CODING_MEMO, "alice", ("trust", "alice", SHARING)),
    ("coding", BOB_CODING_MEMO, "bob", ("trust", "bob", SHARING)),
    ("coding", NARROW_CODING_MEMO, "alice", ("evidence", "alice", "early quiz data")),
    ("excerpt", EXCERPT_MEMO, "alice", SHARING),
    ("excerpt", LONE_EXCERPT_MEMO, "alice", TICKETS),
    ("code", CODE_MEMO, "alice", "trust"),
    ("document", DOC_MEMO, "alice", "interview"),
}


@pytest.fixture
def memo_project(tmp_path):
    """A transcript; Trust on a whole excerpt by alice and by bob, Evidence on a few words
    of it, a memo on each of those codings, on the excerpt itself (same span as the Trust
    codings), on the Trust code and on the document; and a memo on an excerpt that carries
    exactly one coding (Buy-in, whole excerpt): it stays on the excerpt, not on that coding."""
    (tmp_path / "interview.txt").write_text(TRANSCRIPT, encoding="utf-8")
    ctx = services.init_project(tmp_path / "proj", coder="alice")
    ingest.ingest_paths(ctx, [tmp_path / "interview.txt"])
    doc = ingest.show_document(ctx, 1)
    ex_id = next(e["id"] for e in doc["excerpts"] if e["text"] == SHARING)
    at = doc["text"].index("early quiz data")  # offsets into the stored text
    trust = coding.add_coding(ctx, ex_id, "trust")
    narrow = coding.add_coding(ctx, ex_id, "evidence", start=at, end=at + len("early quiz data"))
    coding.add_memo(ctx, CODING_MEMO, coding_id=trust)
    coding.add_memo(ctx, NARROW_CODING_MEMO, coding_id=narrow)
    coding.add_memo(ctx, EXCERPT_MEMO, excerpt_id=ex_id)
    coding.add_memo(ctx, CODE_MEMO, code_id="trust")
    coding.add_memo(ctx, DOC_MEMO, document_id=doc["id"])
    tickets = next(e["id"] for e in doc["excerpts"] if e["text"] == TICKETS)
    coding.add_coding(ctx, tickets, "buy_in")
    coding.add_memo(ctx, LONE_EXCERPT_MEMO, excerpt_id=tickets)
    bob = services.open_project(tmp_path / "proj", coder="bob")
    try:
        coding.add_memo(bob, BOB_CODING_MEMO, coding_id=coding.add_coding(bob, ex_id, "trust"))
    finally:
        bob.close()
    assert _memos(ctx) == EXPECTED
    yield ctx
    ctx.close()


def _qde(data: bytes) -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read("project.qde")


def _exported(ctx, tmp_path):
    out = tmp_path / "study.qdpx"
    ex.export_qdpx(ctx, out)  # what the Export page calls
    return out


def test_exported_memos_sit_where_the_schema_puts_them(memo_project, tmp_path, shared_dir):
    out = _exported(memo_project, tmp_path)
    xml = zipfile.ZipFile(out).read("project.qde")
    etree.XMLSchema(etree.parse(str(shared_dir / "refi-qda" / "Project.xsd"))).assertValid(
        etree.fromstring(xml))
    root = etree.fromstring(xml)
    ns = {"q": "urn:QDA-XML:project:1.0"}
    text_of = {n.get("guid"): n.findtext("q:PlainTextContent", namespaces=ns) for n in root.iterfind(".//q:Note", ns)}
    on_codings = {text_of[r.get("targetGUID")] for r in root.iterfind(".//q:Coding/q:NoteRef", ns)}
    assert on_codings == {CODING_MEMO, BOB_CODING_MEMO, NARROW_CODING_MEMO}


def test_cli_import_brings_every_memo_back_on_its_coding(memo_project, tmp_path):
    """``qualcode --project NEW import-qdpx FILE.qdpx``, as the user ran it."""
    out = _exported(memo_project, tmp_path)
    result = CliRunner().invoke(main, ["--project", str(tmp_path / "new"), "import-qdpx", str(out)])
    assert result.exit_code == 0, result.output
    assert "7 memos" in result.output and "Left out" not in result.output
    copy = services.open_project(tmp_path / "new", coder="carol")
    try:
        assert _memos(copy) == EXPECTED
        # and out again: the same project.qde, every note with the same GUID in the same place
        assert ex.qdpx_bytes(copy) and _qde(ex.qdpx_bytes(copy)) == _qde(out.read_bytes())
    finally:
        copy.close()


def test_service_import_reports_every_memo(memo_project, tmp_path):
    out = _exported(memo_project, tmp_path)
    summary = ex.import_qdpx(tmp_path / "new", out)
    assert summary["memos"] == 7 and summary["left_out"] == []
    copy = services.open_project(tmp_path / "new", coder="carol")
    try:
        assert _memos(copy) == EXPECTED
    finally:
        copy.close()


def test_app_import_into_a_fresh_project_brings_every_memo_back(memo_project, tmp_path):
    """The app brings a .qdpx in on the Agreement page (merge_qdpx), here into a new project."""
    out = _exported(memo_project, tmp_path)
    fresh = services.init_project(tmp_path / "fresh", coder="carol")
    try:
        summary = merge.merge_qdpx(fresh, out)
        assert summary["memos"] == 7 and summary["left_out"] == []
        assert _memos(fresh) == EXPECTED
        again = merge.merge_qdpx(fresh, out)  # merging the same file twice adds nothing
        assert again["memos"] == 0 and _memos(fresh) == EXPECTED
    finally:
        fresh.close()


# ---- what other programs write -----------------------------------------------------------

N = {k: f"0000000{i}-AAAA-4BBB-8CCC-0000000000{i:02d}" for i, k in enumerate(
    ["in_coding", "in_selection", "in_shared_selection", "linked", "on_source", "on_code", "free",
     "unknown_code", "outside", "on_pdf", "on_link"], start=1)}
TEXT = {k: f"Note {k.replace('_', ' ')}." for k in N}
SRC = "7D3F1A2B-4C5D-4E6F-8A9B-0C1D2E3F4A5B"
CODING_LINKED = "5E5E5E5E-1111-4222-8333-444455556666"


def _sel(i: int, phrase: str, codings: list[tuple[str, str, list[str]]], notes: list[str] = (),
         guid: str | None = None) -> str:
    a = INTERVIEW.index(phrase)
    inner = "".join(f'<Coding guid="{cg}" creatingUser="{u}"><CodeRef targetGUID="{c}"/>'
                    + "".join(f'<NoteRef targetGUID="{N[n]}"/>' for n in ns) + "</Coding>"
                    for cg, (c, u, ns) in zip((guid or f"C0DE{i:04d}-0000-4000-8000-000000000000",
                                               f"C1DE{i:04d}-0000-4000-8000-000000000000"), codings))
    refs = "".join(f'<NoteRef targetGUID="{N[n]}"/>' for n in notes)
    return (f'<PlainTextSelection guid="5E1E{i:04d}-0000-4000-8000-000000000000" startPosition="{a}" '
            f'endPosition="{a + len(phrase)}">{inner}{refs}</PlainTextSelection>')


def _vendor_qdpx() -> bytes:
    sels = [
        # NVivo-like: the memo on the coding itself
        _sel(1, "same three teams at every convening", [(C_TRUST, U_NADIA, ["in_coding"])]),
        # ATLAS.ti-like: the comment on the quotation, which carries one coding
        _sel(2, "shared our failed cycles openly", [(C_TRUST, U_OMAR, [])], ["in_selection"]),
        # two codings on the passage: the note is on the passage (the excerpt)
        _sel(3, "They signed on", [(C_BUYIN, U_OMAR, []), (C_TRUST, U_NADIA, [])], ["in_shared_selection"]),
        # a memo linked to a coding through <Links>
        _sel(4, "principals", [(C_BUYIN, U_NADIA, [])], guid=CODING_LINKED),
        # a coding of a code the file does not define: its memo cannot be placed
        _sel(5, "exit tickets", [("DEADBEEF-0000-4000-8000-000000000000", U_NADIA, ["unknown_code"])]),
        # a selection past the end of the text
        ('<PlainTextSelection guid="5E1E9999-0000-4000-8000-000000000000" startPosition="9000" '
         f'endPosition="9010"><NoteRef targetGUID="{N["outside"]}"/></PlainTextSelection>'),
    ]
    codes = codes_xml().replace("</Description></Code>",
                                f'</Description><NoteRef targetGUID="{N["on_code"]}"/></Code>', 1)
    notes = "".join(f'<Note guid="{g}" name="{k}" creatingUser="{U_NADIA}"><PlainTextContent>{TEXT[k]}'
                    "</PlainTextContent></Note>" for k, g in N.items())
    qde = ('<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="urn:QDA-XML:project:1.0" name="Vendor" '
           f'origin="Vendor"><Users><User guid="{U_NADIA}" name="Nadia"/><User guid="{U_OMAR}" name="Omar"/></Users>'
           f"<CodeBook>{codes}</CodeBook><Sources>"
           f'<TextSource guid="{SRC}" name="Reyes interview" plainTextPath="internal://{SRC}.txt">{"".join(sels)}'
           f'<NoteRef targetGUID="{N["on_source"]}"/></TextSource>'
           '<PDFSource guid="AB000000-0000-4000-8000-000000000000" name="Scan" path="internal://scan.pdf">'
           f'<NoteRef targetGUID="{N["on_pdf"]}"/></PDFSource>'
           f"</Sources><Notes>{notes}</Notes><Links>"
           f'<Link guid="11111111-2222-4333-8444-555555555555" originGUID="{N["linked"]}" '
           f'targetGUID="{CODING_LINKED}"/>'
           f'<Link guid="11111111-2222-4333-8444-666666666666" originGUID="{C_TRUST}" targetGUID="{C_BUYIN}">'
           f'<NoteRef targetGUID="{N["on_link"]}"/></Link></Links></Project>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("project.qde", qde.encode("utf-8"))
        z.writestr(f"sources/{SRC}.txt", INTERVIEW.encode("utf-8"))
    return buf.getvalue()


@pytest.mark.parametrize("how", ["import-qdpx", "app"])
def test_memos_in_the_shapes_other_programs_write(tmp_path, how):
    if how == "app":  # the Agreement page's "bring in a colleague's work", into a new project
        ctx = services.init_project(tmp_path / "p", coder="x")
        summary = merge.merge_qdpx(ctx, _vendor_qdpx())
    else:
        summary = ex.import_qdpx(tmp_path / "p", _vendor_qdpx())
        ctx = services.open_project(tmp_path / "p", coder="x")
    try:
        got = _memos(ctx)
    finally:
        ctx.close()
    assert {m for m in got if m[0] == "coding"} == {
        ("coding", TEXT["in_coding"], "Nadia", ("trust", "Nadia", "same three teams at every convening")),
        ("coding", TEXT["in_selection"], "Nadia", ("trust", "Omar", "shared our failed cycles openly")),
        ("coding", TEXT["linked"], "Nadia", ("buy_in", "Nadia", "principals")),
    }
    assert ("excerpt", TEXT["in_shared_selection"], "Nadia",
            "Omar Lind: They signed on once the exit tickets moved.") in got
    assert ("document", TEXT["on_source"], "Nadia", "Reyes interview") in got
    assert ("code", TEXT["on_code"], "Nadia", "trust") in got
    assert ("project", TEXT["free"], "Nadia", None) in got  # a free memo stays, on the project
    placed = {m[1] for m in got}
    left = "\n".join(summary["left_out"])
    for k in ("unknown_code", "outside", "on_pdf", "on_link"):  # not placed, and said so
        assert TEXT[k] not in placed
        assert TEXT[k] in left, (k, summary["left_out"])
    assert len(summary["left_out"]) == 5  # those four and the PDF itself
    assert summary["memos"] == len(got) == 7

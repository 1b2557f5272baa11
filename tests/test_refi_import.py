"""REFI-QDA import from every vendor's shape, hostile .qdpx files, and merging a colleague's
work into the open project (issue 15, issue 13 points 5-6, issue 17 point 5).

Every .qdpx here is built in the test (tests/refi_helpers.py): invented projects in the
shapes NVivo, ATLAS.ti and MAXQDA write.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from click.testing import CliRunner

from qualcode import services
from qualcode.cli import main
from qualcode.core import code_guid
from qualcode.errors import QualcodeError
from qualcode.services import analysis, coding, team
from qualcode.services import export as ex
from qualcode.services import merge
from qualcode.storage import coding as coding_store
from qualcode.storage import codes as code_store
from qualcode.storage import documents as doc_store
from tests.analysis_helpers import build_small_project
from tests.pg_helpers import db_url, pg_server  # noqa: F401
from tests.refi_helpers import (
    C_BUYIN,
    C_TRUST,
    INTERVIEW,
    U_NADIA,
    Src,
    build_qdpx,
    codes_xml,
    interview_source,
    span,
)


def _quotes(ctx) -> dict[str, set[str]]:
    """coder -> the coded text of each of their codings (cut from the stored text)."""
    out: dict[str, set[str]] = {}
    with ctx.session(readonly=True) as s:
        texts = {d["id"]: doc_store.load_document(s, d["id"]).text for d in doc_store.list_documents(s)}
        ex_doc = {e.id: d for d in texts for e in doc_store.load_document(s, d).excerpts}
        for c in coding_store.list_codings(s):
            out.setdefault(c.coder, set()).add((c.code_id, texts[ex_doc[c.excerpt_id]][c.start:c.end]))
    return out


EXPECTED = {
    "Nadia": {("trust", "same three teams at every convening"), ("trust", "shared our failed cycles openly")},
    "Omar": {("trust", "shared our failed cycles openly"), ("buy_in", "signed on once the exit tickets moved")},
}

SHAPES = {
    # NVivo for Windows: <name>.qde, Sources/, a BOM and CRLF that its offsets count
    "nvivo-windows": dict(src=dict(bom=True, crlf=True), qde_name="Colleague study.qde", folder="Sources"),
    # NVivo for Mac: Project.qde, sources/, plain UTF-8
    "nvivo-mac": dict(src={}, qde_name="Project.qde", folder="sources"),
    # ATLAS.ti: Sources/ with a .root entry, codebook namespace 1:0
    "atlas": dict(src={}, qde_name="project.qde", folder="Sources", root_entry=True,
                  codes=codes_xml("urn:QDA-XML:codebook:1:0")),
    # MAXQDA: codebook namespace 0:4, project namespace 1:0
    "maxqda": dict(src=dict(crlf=True), qde_name="project.qde", folder="sources",
                   codes=codes_xml("urn:QDA-XML:codebook:0:4"), ns="urn:QDA-XML:project:1:0"),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_each_vendor_shape_imports_with_exact_offsets(shape, tmp_path):
    opts = dict(SHAPES[shape])
    src = interview_source(**opts.pop("src"))
    data = build_qdpx([src], **opts)
    summary = ex.import_qdpx(tmp_path / shape, data)
    assert summary["documents"] == 1 and summary["left_out"] == []
    assert summary["codings"] == 4
    assert any("code set" in p for p in summary["problems"])  # <MemberCode> sets: told, not fatal
    ctx = services.open_project(tmp_path / shape, coder="x")
    try:
        # the selection's text is the same before (the vendor's offsets in its text) and after
        assert _quotes(ctx) == EXPECTED
        with ctx.session(readonly=True) as s:
            d = doc_store.load_document(s, doc_store.list_documents(s)[0]["id"])
            cb = code_store.load_codebook(s)
        assert d.text == INTERVIEW  # BOM dropped, CRLF -> LF
        d.check_offsets()
        by_name = {c.name: c for c in cb.codes}
        assert by_name["Trust"].definition == "Faith in other people on the team."  # padding trimmed
        assert by_name["Trust"].guid == C_TRUST.lower()  # uppercase GUID kept (lowercased)
        assert by_name["Buy-in"].guid == code_guid(by_name["Buy-in"].id)  # "c001" is no GUID: qualcode's own
        assert by_name["diet Coke"].parent == by_name["Coke"].id  # Coke::diet Coke is a hierarchy
        # a .qdpx with several users counts for agreement: the document they coded is reviewed
        fig = team.agreement(ctx, coders=["Nadia", "Omar"])
        # one excerpt per line; the interviewer's two lines are not coded: another program's file
        # names no roles, and each speaker gets the one its label suggests, as a transcript file
        # does (walk 49: "Interviewer" came in as an unknown speaker, coded like the participants)
        assert {sp.label: sp.role.value for sp in d.speakers} == {
            "Interviewer": "interviewer", "Nadia Reyes": "participant", "Omar Lind": "participant"}
        assert [e.codable for e in d.excerpts] == [False, True, True, False, True]
        assert fig["units"] == 3
        assert fig["codes"]["trust"]["applied"] == {"Nadia": 2, "Omar": 1}
        assert fig["codes"]["buy_in"]["applied"] == {"Nadia": 0, "Omar": 1}
        # and the project can be exported as valid REFI-QDA again
        out = ex.qdpx_bytes(ctx)
        assert b"c001" not in zipfile.ZipFile(io.BytesIO(out)).read("project.qde")
    finally:
        ctx.close()


def test_codings_on_a_path_named_code_land_on_it_not_on_its_new_parent(tmp_path):
    """"Relationships::Trust" first in the file creates the parent "Relationships"; the codings
    on Trust and on the code after it must keep their codes (they used to shift by one)."""
    c_trust, c_buy = "0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D", "1B2C3D4E-5F60-4B7C-9D8E-0F1A2B3C4D5E"
    codes = (f'<Codes><Code guid="{c_trust}" name="Relationships::Trust" isCodable="true"/>'
             f'<Code guid="{c_buy}" name="Buy-in" isCodable="true"/></Codes>')
    src = Src("AAAA1111-2222-4333-8444-555566667777", "Reyes interview", INTERVIEW.encode("utf-8"),
              [(*span(INTERVIEW, "same three teams at every convening"), [(c_trust, U_NADIA)]),
               (*span(INTERVIEW, "signed on once the exit tickets moved"), [(c_buy, U_NADIA)])])
    ex.import_qdpx(tmp_path / "p", build_qdpx([src], codes=codes))
    ctx = services.open_project(tmp_path / "p", coder="x")
    try:
        assert _quotes(ctx) == {"Nadia": {("relationships_trust", "same three teams at every convening"),
                                          ("buy_in", "signed on once the exit tickets moved")}}
        with ctx.session(readonly=True) as s:
            cb = code_store.load_codebook(s)
        assert [(c.id, c.parent) for c in cb.codes if c.id.startswith("relationships")] == [
            ("relationships", None), ("relationships_trust", "relationships")]
    finally:
        ctx.close()


@pytest.mark.parametrize("ns", ["urn:QDA-XML:codebook:1.0", "urn:QDA-XML:codebook:1:0", "urn:QDA-XML:codebook:0:4"])
def test_codebook_namespaces(ns, tmp_path):
    from qualcode.codebook_io.qdc import read_qdc

    path = tmp_path / "c.qdc"
    path.write_text(f'<?xml version="1.0" encoding="utf-8"?><CodeBook xmlns="{ns}">{codes_xml(ns)}</CodeBook>',
                    encoding="utf-8")
    cb, _, _ = read_qdc(path)
    assert [c.name for c in cb.codes][:2] == ["Trust", "Buy-in"]
    summary = ex.import_qdpx(tmp_path / "p", build_qdpx([interview_source()], codes=codes_xml(ns)))
    assert summary["codings"] == 4


def test_sources_missing_from_the_archive_are_left_out_and_listed(tmp_path):
    """ATLAS.ti 8 writes an empty Sources/: import what is there, say what is not."""
    present = interview_source()
    missing = Src("3C4D5E6F-7A8B-4C9D-8E0F-1A2B3C4D5E6F", "Lind focus group", None,
                  [("0", "5", [(C_TRUST, U_NADIA)])])
    data = build_qdpx([present, missing], folder="Sources", root_entry=True)
    summary = ex.import_qdpx(tmp_path / "p", data)
    assert summary["documents"] == 1 and summary["codings"] == 4 and summary["memos"] == 1
    assert len(summary["left_out"]) == 1 and "Lind focus group" in summary["left_out"][0]
    only_codebook = build_qdpx([missing], folder="Sources", root_entry=True)
    summary = ex.import_qdpx(tmp_path / "q", only_codebook)
    assert summary["documents"] == 0 and summary["codes"] >= 3 and summary["memos"] == 1
    ctx = services.open_project(tmp_path / "q", coder="x")
    try:
        with ctx.session(readonly=True) as s:
            assert {c.name for c in code_store.load_codebook(s).codes} >= {"Trust", "Buy-in", "diet Coke"}
    finally:
        ctx.close()


def test_zero_length_and_damaged_selections_are_reported(tmp_path):
    src = interview_source()
    good = src.selections[0]
    src.selections = [
        good,
        ("10", "10", [(C_TRUST, U_NADIA)]),  # zero-length
        ("abc", "20", [(C_TRUST, U_NADIA)]),
        ("1.5", "20", [(C_TRUST, U_NADIA)]),
        (None, "20", [(C_TRUST, U_NADIA)]),  # startPosition missing
        ("5", "99999", [(C_TRUST, U_NADIA)]),  # past the text
        ("-3", "4", [(C_TRUST, U_NADIA)]),
        ("30", "20", [(C_TRUST, U_NADIA)]),  # reversed
        (*span(INTERVIEW, "same three"), [("00000000-0000-4000-8000-000000000000", U_NADIA)]),  # unknown code
    ]
    summary = ex.import_qdpx(tmp_path / "p", build_qdpx([src]))
    assert summary["codings"] == 1
    problems = "\n".join(summary["problems"])
    assert "empty selection" in problems
    assert problems.count("not a whole number") == 3
    assert problems.count("outside the text") == 2
    assert "ends (20) before it starts (30)" in problems
    assert "unknown code" in problems
    assert "line " in problems  # where in project.qde


def _qualcode_qdpx(project) -> bytes:
    build_small_project(project)
    return ex.qdpx_bytes(project)


def _with_sidecar(data: bytes, change) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w") as dst:
        for n in src.namelist():
            body = src.read(n)
            if n == "qualcode.json":
                body = change(json.loads(body))
                body = body if isinstance(body, bytes) else json.dumps(body).encode()
            dst.writestr(n, body)
    return buf.getvalue()


def _break_first_doc(side, fn):
    first = sorted(side["documents"])[0]
    fn(side["documents"][first])
    return side


SIDECAR_DAMAGE = {
    "not-json": lambda side: b"{not json",
    "a-list": lambda side: [1, 2],
    "wrong-types": lambda side: {**side, "documents": 5, "codings": "x"},
    "unknown-role": lambda side: _break_first_doc(side, lambda d: d["speakers"][0].update(role="boss")),
    "past-the-text": lambda side: _break_first_doc(side, lambda d: d["excerpts"][0].__setitem__(2, 10**6)),
    "turn-not-int": lambda side: _break_first_doc(side, lambda d: d["turns"][0].__setitem__(2, "7")),
}


@pytest.mark.parametrize("damage", sorted(SIDECAR_DAMAGE))
def test_malformed_sidecar_is_reported_not_a_traceback(damage, project, tmp_path):
    data = _with_sidecar(_qualcode_qdpx(project), SIDECAR_DAMAGE[damage])
    summary = ex.import_qdpx(tmp_path / "p", data)
    assert summary["documents"] == 4
    assert summary["problems"], "the damage is reported"
    ctx = services.open_project(tmp_path / "p", coder="x")
    try:
        with ctx.session(readonly=True) as s:
            for d in doc_store.list_documents(s):
                doc_store.load_document(s, d["id"]).check_offsets()
    finally:
        ctx.close()


def test_source_that_is_not_utf8_is_read_and_flagged(tmp_path):
    src = interview_source()
    src.raw = INTERVIEW.replace("Omar Lind", "Ömar Lind").encode("cp1252")
    src.selections = [(*span(INTERVIEW, "same three teams"), [(C_TRUST, U_NADIA)])]
    summary = ex.import_qdpx(tmp_path / "p", build_qdpx([src]))
    assert summary["documents"] == 1 and summary["codings"] == 1
    assert any("not UTF-8" in p for p in summary["problems"])


def test_codes_nested_1500_deep_give_a_clear_error_and_no_project(tmp_path):
    deep = "".join(f'<Code guid="{i:08d}-0000-4000-8000-000000000000" name="c{i}" isCodable="true">'
                   for i in range(1500)) + "</Code>" * 1500
    data = build_qdpx([interview_source()], codes=f'<Codes>{deep}</Codes>')
    with pytest.raises(QualcodeError) as info:
        ex.import_qdpx(tmp_path / "p", data)
    assert "nested" in info.value.message and info.value.hint and info.value.line
    assert not (tmp_path / "p").exists()


def test_a_failed_import_into_a_new_folder_leaves_no_project(tmp_path, monkeypatch):
    def boom(*a, **k):
        raise QualcodeError("disk full", hint="free some space")

    monkeypatch.setattr("qualcode.storage.exchange.add_reviews", boom)
    with pytest.raises(QualcodeError, match="disk full"):
        ex.import_qdpx(tmp_path / "new", build_qdpx([interview_source()]))
    assert not (tmp_path / "new").exists()
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("mine")
    with pytest.raises(QualcodeError):
        ex.import_qdpx(tmp_path / "empty", build_qdpx([interview_source()]))
    assert [p.name for p in (tmp_path / "empty").iterdir()] == ["notes.txt"]


def test_zip_bomb_source_stops_at_the_cap(tmp_path, monkeypatch):
    monkeypatch.setenv("QUALCODE_MAX_UNZIPPED_MB", "1")
    src = interview_source()
    src.raw = b"a" * (3 * 1024 * 1024)  # compresses to a few KB
    with pytest.raises(QualcodeError) as info:
        ex.import_qdpx(tmp_path / "p", build_qdpx([src]))
    assert "unpacks to more than 1 MB" in info.value.message and "max_unzipped_mb" in info.value.hint
    assert not (tmp_path / "p").exists()


# ---- merging a colleague's work ------------------------------------------------------

def _counts(ctx) -> dict:
    with ctx.session(readonly=True) as s:
        codings = sorted((c.excerpt_id, c.code_id, c.coder, c.start, c.end) for c in coding_store.list_codings(s))
        docs = len(doc_store.list_documents(s))
        codes = sorted(c.id for c in code_store.load_codebook(s).codes)
        reviews = len(coding_store.reviewed_excerpts(s))
        from qualcode.storage.models import ReviewRow
        from sqlalchemy import func, select
        n_reviews = s.scalar(select(func.count()).select_from(ReviewRow))
        memos = len(coding_store.list_memos(s))
    return {"codings": codings, "documents": docs, "codes": codes, "reviewed": reviews, "reviews": n_reviews,
            "memos": memos}


def test_merge_a_second_export_of_the_same_project(project, tmp_path):
    """Bob codes a copy of the project; his export merges back without duplicates, his
    reviews come with it, the preview writes nothing and one undo takes it all back."""
    first = _qualcode_qdpx(project)
    ex.import_qdpx(tmp_path / "bob", first, coder="bob")
    bob = services.open_project(tmp_path / "bob", coder="bob")
    try:
        with bob.session(readonly=True) as s:
            d4 = [d for d in doc_store.list_documents(s) if d["name"] == "D4"][0]
            eve = doc_store.load_document(s, d4["id"]).excerpts[1]
        coding.add_coding(bob, eve.id, "evid")
        theirs = ex.qdpx_bytes(bob)
    finally:
        bob.close()
    before = _counts(project)
    preview = merge.preview_merge(project, theirs)
    assert _counts(project) == before  # nothing written
    assert preview["dry_run"] and preview["documents"]["added"] == [] and len(preview["documents"]["matched"]) == 4
    assert preview["codings"] == 1 and preview["coders"]["bob"]["new"] == 1
    assert preview["codes"]["added"] == []
    done = merge.merge_qdpx(project, theirs)
    assert {k: done[k] for k in ("codings", "already_there", "reviews")} == \
        {k: preview[k] for k in ("codings", "already_there", "reviews")}
    after = _counts(project)
    assert after["documents"] == 4 and len(after["codings"]) == len(before["codings"]) + 1
    assert after["memos"] == before["memos"]
    again = merge.merge_qdpx(project, theirs)  # a second merge adds nothing
    assert again["codings"] == 0 and again["reviews"] == 0 and again["memos"] == 0
    assert _counts(project) == after
    team.undo(project, 1)  # the empty second merge
    assert _counts(project) == after
    undone = team.undo(project, 1)
    assert undone[0]["action"] == "merge"
    assert _counts(project) == before


def test_merge_a_vendor_file_matches_documents_and_codes_and_counts_for_agreement(project, tmp_path):
    """A project coded in qualcode; a colleague codes the same transcript in NVivo (BOM,
    CRLF, its own GUIDs); the merge adds their codings under their names, and agreement
    has units for them."""
    from tests.conftest import make_document

    with project.session() as s:
        doc = make_document("Reyes interview")
        doc_id = doc_store.add_document(s, doc)
    with project.session(readonly=True) as s:
        doc = doc_store.load_document(s, doc_id)
    text = doc.text
    ana = doc.excerpts[1]
    coding.add_coding(project, ana.id, "trust")
    for e in doc.excerpts:
        if e.codable:
            coding.mark_reviewed(project, e.id)
    codes = (f'<Codes><Code guid="{C_TRUST}" name="trust" isCodable="true"/>'
             f'<Code guid="{C_BUYIN}" name="Brand new code" isCodable="true"/></Codes>')
    written = "\ufeff" + text.replace("\n", "\r\n")
    src = Src("11111111-2222-4333-8444-555555555555", "Reyes interview.docx", written.encode("utf-8"), [
        (*span(written, "That built trust."), [(C_TRUST, U_NADIA)]),
        (*span(written, "bought in once they saw"), [(C_BUYIN, U_NADIA)]),
    ])
    data = build_qdpx([src], codes=codes, folder="Sources", qde_name="Study.qde")
    before = _counts(project)
    preview = merge.preview_merge(project, data)
    assert preview["documents"]["matched"] == ["Reyes interview.docx"]
    assert len(preview["codes"]["added"]) == 1 and preview["codes"]["matched"] == 1
    assert preview["coders"]["Nadia"] == {"codings": 2, "new": 2}
    assert _counts(project) == before
    merge.merge_qdpx(project, data)
    got = _quotes(project)
    assert ("trust", "That built trust.") in got["Nadia"]
    new_code = preview["codes"]["added"][0]
    assert (new_code, "bought in once they saw") in got["Nadia"]
    fig = team.agreement(project, coders=["alice", "Nadia"])
    assert fig["units"] == 2  # the codable excerpts of the document both reviewed
    assert fig["codes"]["trust"]["applied"] == {"alice": 1, "Nadia": 1}
    team.undo(project, 1)
    assert _counts(project) == before


def test_merge_a_vendor_file_whose_text_differs_only_in_white_space_lands_on_the_same_document(project, tmp_path):
    """Walk 36: carla's NVivo-style file held the transcript as written on disk, with its final
    newline (import drops it) and here a doubled space: the merge added a second copy of the
    transcript, without its attributes, and her work could not be compared with anyone's. It is
    now the same document, her codings on the same words; a file whose text really differs
    from a document of the same name is added beside it, and the preview says so."""
    from tests.conftest import make_document

    with project.session() as s:
        doc_id = doc_store.add_document(s, make_document("Reyes interview"))
    with project.session(readonly=True) as s:
        doc = doc_store.load_document(s, doc_id)
    text = doc.text
    codes = f'<Codes><Code guid="{C_TRUST}" name="trust" isCodable="true"/></Codes>'
    written = text.replace("That built trust.", "That  built trust.") + "\n"
    assert written != text and written.split() == text.split()
    src = Src("11111111-2222-4333-8444-555555555555", "Reyes interview.txt", written.encode("utf-8"), [
        (*span(written, "That  built trust."), [(C_TRUST, U_NADIA)]),
    ])
    preview = merge.preview_merge(project, build_qdpx([src], codes=codes))
    assert preview["documents"]["matched"] == ["Reyes interview.txt"] and preview["documents"]["added"] == []
    merge.merge_qdpx(project, build_qdpx([src], codes=codes))
    assert services.project_status(project)["documents"] == 1
    assert ("trust", "That built trust.") in _quotes(project)["Nadia"]
    # another text under the same name: added beside it, and said
    other = Src("21111111-2222-4333-8444-555555555555", "Reyes interview", b"Interviewer: Something else entirely.",
                [])
    preview = merge.preview_merge(project, build_qdpx([other], codes=codes))
    assert preview["documents"]["added"] == ["Reyes interview"]
    assert any("already has a document of this name with other text" in p for p in preview["problems"])


def test_merge_rule_only_coded_excerpts(project):
    from tests.conftest import make_document

    with project.session() as s:
        doc_store.add_document(s, make_document("Reyes interview"))
    with project.session(readonly=True) as s:
        text = doc_store.load_document(s, doc_store.list_documents(s)[0]["id"]).text
    src = Src("11111111-2222-4333-8444-555555555555", "x", text.encode(), [
        (*span(text, "That built trust."), [(C_TRUST, U_NADIA)])])
    data = build_qdpx([src], codes=f'<Codes><Code guid="{C_TRUST}" name="Trust" isCodable="true"/></Codes>')
    assert merge.preview_merge(project, data, reviews="excerpts")["reviews"] == 1
    assert merge.preview_merge(project, data, reviews="documents")["reviews"] == 2
    assert merge.preview_merge(project, data, reviews="none")["reviews"] == 0


def test_import_codings_of_two_coders_gives_agreement_units(project, tmp_path):
    """issue 13 point 5: work coded in a spreadsheet counts: units and applied are right."""
    small = build_small_project(project)
    with project.session(readonly=True) as s:
        d1 = doc_store.load_document(s, small.doc["D1"])
    ana1, ana3 = d1.excerpts[1], d1.excerpts[3]
    csv = tmp_path / "two.csv"
    csv.write_text("document,start,end,code,coder\n"
                   f"D1,{ana1.start},{ana1.end},rel_trust,xena\n"
                   f"D1,{ana3.start},{ana3.end},evid,xena\n"
                   f"D1,{ana1.start},{ana1.end},rel_trust,yuri\n", encoding="utf-8")
    runner = CliRunner()
    proj = str(project.project_dir)
    r = runner.invoke(main, ["-p", proj, "import-codings", str(csv), "--dry-run", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["dry_run"] is True
    r = runner.invoke(main, ["-p", proj, "agreement", "--coders", "xena,yuri", "--json"])
    assert r.exit_code == 1  # nothing imported by the preview
    r = runner.invoke(main, ["-p", proj, "--coder", "alice", "import-codings", str(csv)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["-p", proj, "agreement", "--coders", "xena,yuri", "--json"])
    assert r.exit_code == 0, r.output
    fig = json.loads(r.output)
    assert fig["units"] == 2  # Ana's two turns: the codable excerpts of D1
    assert fig["codes"]["rel_trust"]["applied"] == {"xena": 1, "yuri": 1}
    assert fig["codes"]["evid"]["applied"] == {"xena": 1, "yuri": 0}
    r = runner.invoke(main, ["-p", proj, "--coder", "alice", "undo"])
    assert r.exit_code == 0 and "merge" in r.output, r.output
    with project.session(readonly=True) as s:
        assert not [c for c in coding_store.list_codings(s) if c.coder in ("xena", "yuri")]


def test_cli_import_qdpx_merge(project, tmp_path):
    proj = str(project.project_dir)
    (tmp_path / "c.qdpx").write_bytes(_qualcode_qdpx(project))
    runner = CliRunner()
    r = runner.invoke(main, ["-p", proj, "import-qdpx", str(tmp_path / "c.qdpx")])
    assert r.exit_code == 1 and "--merge" in r.output
    r = runner.invoke(main, ["-p", proj, "import-qdpx", "--merge", "--dry-run", str(tmp_path / "c.qdpx")])
    assert r.exit_code == 0 and "Preview" in r.output and "nothing was written" in r.output, r.output
    r = runner.invoke(main, ["-p", proj, "import-qdpx", "--merge", "--json", str(tmp_path / "c.qdpx")])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["codings"] == 0  # the same project: nothing new
    assert analysis.frequencies(project) is not None


@pytest.mark.parametrize("shape", ["nvivo-windows", "maxqda"])
def test_a_vendor_import_exports_valid_refi_qda(shape, tmp_path, shared_dir):
    from lxml import etree

    opts = dict(SHAPES[shape])
    ex.import_qdpx(tmp_path / "p", build_qdpx([interview_source(**opts.pop("src"))], **opts))
    ctx = services.open_project(tmp_path / "p", coder="x")
    try:
        data = ex.qdpx_bytes(ctx)
    finally:
        ctx.close()
    schema = etree.XMLSchema(etree.parse(str(shared_dir / "refi-qda" / "Project.xsd")))
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("project.qde"))
    assert schema.validate(root), schema.error_log
    again = ex.import_qdpx(tmp_path / "again", data)  # and reads back the same
    assert again["codings"] == 4 and again["problems"] == []


# ---- a small mutation fuzz over the REFI-QDA reader (fixed seed; bench/ may run more) ----

def _mutants(seed: int, n: int, base: dict[str, bytes]):
    import random

    rnd = random.Random(seed)
    names = sorted(base)
    for _ in range(n):
        files = dict(base)
        target = rnd.choice(names)
        body = bytearray(files[target])
        how = rnd.randrange(6)
        if how == 0 and body:  # flip bytes
            for _ in range(rnd.randint(1, 8)):
                body[rnd.randrange(len(body))] = rnd.randrange(256)
        elif how == 1 and body:  # truncate
            del body[rnd.randrange(len(body)):]
        elif how == 2:  # replace a number (offsets, ids) with something hostile
            text = body.decode("utf-8", "replace")
            import re as _re

            nums = list(_re.finditer(r"\d+", text))
            if nums:
                m = rnd.choice(nums)
                text = text[:m.start()] + rnd.choice(["-1", "abc", "1.5", "", "99999999", "0", "1e9"]) + text[m.end():]
            body = bytearray(text.encode())
        elif how == 3 and body:  # duplicate a slice
            a = rnd.randrange(len(body))
            b = min(len(body), a + rnd.randint(1, 400))
            body[a:a] = body[a:b]
        elif how == 4:  # drop the member
            files.pop(target)
            yield files
            continue
        else:  # swap quotes/brackets
            text = body.decode("utf-8", "replace").replace('"', "'", rnd.randint(1, 3)).replace("]", "}", 1)
            body = bytearray(text.encode())
        files[target] = bytes(body)
        yield files


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for k, v in files.items():
            z.writestr(k, v)
    return buf.getvalue()


def test_mutated_qdpx_files_fail_only_with_our_errors(project, tmp_path):
    own = _qualcode_qdpx(project)
    vendor = build_qdpx([interview_source(bom=True, crlf=True)], folder="Sources")
    failures, ok, refused = [], 0, 0
    target = services.init_project(tmp_path / "target", coder="alice")
    try:
        for seed, data in enumerate((own, vendor)):
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                base = {n: z.read(n) for n in z.namelist()}
            for i, files in enumerate(_mutants(seed, 120, base)):
                raw = _zip(files)
                try:
                    if i % 6 == 0:
                        merge.preview_merge(target, raw)  # the whole path, rolled back
                    else:
                        ex.read_project_file(raw, "fuzz.qdpx")
                    ok += 1
                except QualcodeError as exc:
                    assert exc.file and exc.hint, exc
                    refused += 1
                except Exception as exc:  # noqa: BLE001 - what the test looks for
                    failures.append(f"{seed}/{i}: {type(exc).__name__}: {exc}")
    finally:
        target.close()
    assert not failures, "\n".join(failures[:10])
    assert ok > 50 and ok + refused == 240


def test_merge_and_undo_on_both_backends(db_url):  # noqa: F811
    """The merge's bulk writes (tuple IN, executemany) and its undo on SQLite and PostgreSQL."""
    from tests.conftest import make_document

    ctx = services.init_project(None, db_url=db_url, coder="alice")
    try:
        with ctx.session() as s:
            doc_store.add_document(s, make_document("Reyes interview"))
        with ctx.session(readonly=True) as s:
            text = doc_store.load_document(s, doc_store.list_documents(s)[0]["id"]).text
        src = Src("11111111-2222-4333-8444-555555555555", "x", text.encode(), [
            (*span(text, "That built trust."), [(C_TRUST, U_NADIA)]),
            (*span(text, "bought in once"), [(C_BUYIN, U_NADIA)])])
        data = build_qdpx([src, interview_source()], codes=codes_xml(padded=False))
        before = _counts(ctx)
        done = merge.merge_qdpx(ctx, data)
        assert done["documents"]["added"] == ["Reyes interview"] and done["documents"]["matched"] == ["x"]
        assert done["codings"] == 2 + 4 and done["reviews"] == 2 + 3 * 2 and done["memos"] == 1
        assert _quotes(ctx)["Omar"] == EXPECTED["Omar"]
        assert merge.merge_qdpx(ctx, data)["codings"] == 0
        team.undo(ctx, 2)
        assert _counts(ctx) == before
    finally:
        ctx.close()


def test_a_pdf_or_recording_with_a_text_representation_is_read(tmp_path):
    """A PDFSource (or audio/video source) imports through its text <Representation>; a
    source with no text is left out and listed."""
    data = build_qdpx([interview_source()])
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        files = {n: z.read(n) for n in z.namelist()}
    qde = files["project.qde"].decode()
    qde = qde.replace("<TextSource ", '<PDFSource guid="0F0E0D0C-0B0A-4908-8706-050403020100" name="Reyes.pdf" '
                      'path="relative://Reyes.pdf"><PDFSelection guid="0F0E0D0C-0B0A-4908-8706-0504030201AA" page="1" '
                      'firstX="0" firstY="0" secondX="1" secondY="1"/><Representation ', 1)
    qde = qde.replace("</TextSource>", "</Representation></PDFSource>"
                      '<PictureSource guid="1F0E0D0C-0B0A-4908-8706-050403020100" name="Whiteboard.jpg" '
                      'path="relative://w.jpg"/>', 1)
    files["project.qde"] = qde.encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, b in files.items():
            z.writestr(n, b)
    summary = ex.import_qdpx(tmp_path / "p", buf.getvalue())
    assert summary["documents"] == 1 and summary["codings"] == 4
    assert summary["left_out"] == ["Whiteboard.jpg: a PictureSource (only text sources can be imported)"]
    assert any("on the PDFSource itself" in p for p in summary["problems"])


def test_a_retired_code_goes_to_refi_qda_as_not_codable_and_comes_back_retired(project, tmp_path):
    """Walk 14: a code merged away (retired, its codings kept) was written isCodable="true", so
    NVivo or MAXQDA showed it as live. It is not codable there; qualcode's own import gives it
    back retired and codable as it was (unretiring it makes it codable again)."""
    from lxml import etree

    from qualcode.services import codebook as codebook_svc

    build_small_project(project)
    codebook_svc.retire_code(project, "evid", force=True)  # two codings stay under it
    data = ex.qdpx_bytes(project)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        root = etree.fromstring(z.read("project.qde"))
    flags = {el.get("name"): el.get("isCodable") for el in root.iter("{*}Code")}
    assert flags["Evidence (test)"] == "false" and flags["Trust (rel)"] == "true"
    ex.import_qdpx(tmp_path / "back", data, coder="alice")
    back = services.open_project(tmp_path / "back", coder="alice")
    try:
        with back.session(readonly=True) as s:
            evid = next(c for c in code_store.load_codebook(s).codes if c.id == "evid")
            n = sum(c.code_id == "evid" for c in coding_store.list_codings(s))
    finally:
        back.close()
    assert evid.retired and evid.codable and n == 2


def test_merge_preview_names_a_code_renamed_or_redefined_in_the_file(project, tmp_path):
    """Walk 22: a colleague's copy with a code renamed ("Enablers" for "Facilitators") and
    redefined merged onto the project's code without a word; the project's name and definition
    stayed. They still stay, and the preview says so, code by code."""
    from qualcode.services import codebook as cbs

    first = _qualcode_qdpx(project)
    ex.import_qdpx(tmp_path / "bob", first, coder="bob")
    bob = services.open_project(tmp_path / "bob", coder="bob")
    try:
        cbs.rename_code(bob, "evid", "Proof")
        cbs.edit_code(bob, "rel_trust", definition="Confidence that others will do what they say.")
        theirs = ex.qdpx_bytes(bob)
    finally:
        bob.close()
    preview = merge.preview_merge(project, theirs)
    assert preview["codes"]["added"] == []
    assert sorted((d["file"], d["here"], d["name"], d["definition"]) for d in preview["codes"]["differ"]) == [
        ("Proof", "Evidence (test)", True, False), ("Trust (rel)", "Trust (rel)", False, True)]
    merge.merge_qdpx(project, theirs)
    cb = cbs.get_codebook(project)
    assert cb.get("evid").name == "Evidence (test)" and cb.get("rel_trust").definition == "Trust between people."


def test_a_new_project_from_a_qdpx_takes_the_name_given_else_the_files(tmp_path):
    from qualcode import services
    from qualcode.services import export as export_svc
    from qualcode.storage import documents as doc_store
    from tests.conftest import make_document

    ctx = services.init_project(tmp_path / "src", name="Partner study", coder="alice")
    try:
        with ctx.session() as s:
            doc_store.add_document(s, make_document())
        raw = export_svc.qdpx_bytes(ctx)
    finally:
        ctx.close()
    for folder, name, expected in (("a", None, "Partner study"), ("b", "Tutoring 2025", "Tutoring 2025")):
        export_svc.import_qdpx(tmp_path / folder, raw, coder="maya", name=name)
        got = services.open_project(tmp_path / folder)
        try:
            assert services.project_name(got) == expected
        finally:
            got.close()

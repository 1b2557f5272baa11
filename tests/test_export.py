"""Exports and imports: formula neutralisation, tables, report, REFI-QDA (XSD, round trip,
stable GUIDs), coded-excerpt CSV import, CLI."""

from __future__ import annotations

import io
import json
import zipfile

import pandas as pd
import pytest
from sqlalchemy import select
from click.testing import CliRunner
from lxml import etree

from qualcode import services
from qualcode.cli import main
from qualcode.errors import ExportError
from qualcode.export.tables import neutralise, table_bytes
from qualcode.services import analysis
from qualcode.services import export as ex
from qualcode.storage import coding as coding_store
from qualcode.storage import documents as doc_store
from qualcode.storage.models import CoderRow, PseudonymRow
from tests.analysis_helpers import build_small_project

NS = {"q": "urn:QDA-XML:project:1.0"}


@pytest.fixture
def small(project):
    return build_small_project(project)


@pytest.mark.parametrize("value", ["=1+1", "+A1", "-2+3", "@SUM(A1)", "\tcmd", "\r=x"])
def test_dangerous_cells_are_neutralised(value):
    assert neutralise(value) == "'" + value
    csv = table_bytes(pd.DataFrame({"a": [value], "n": [-5]})).decode()
    assert csv.splitlines()[1].startswith("'") or csv.splitlines()[1].startswith("\"'")
    assert csv.rstrip().endswith(",-5")  # numbers are left alone
    xlsx = pd.read_excel(io.BytesIO(table_bytes(pd.DataFrame({"a": [value]}), fmt="xlsx")))
    assert str(xlsx.loc[0, "a"]).startswith("'")  # (openpyxl reads a \r back as _x000D_)


def test_safe_cells_untouched_and_bom():
    df = pd.DataFrame({"text": ["plain", "a=b", "ünïcode"]})
    assert table_bytes(df).decode("utf-8").splitlines()[1:] == ["plain", "a=b", "ünïcode"]
    assert table_bytes(df, bom=True).startswith(b"\xef\xbb\xbf")
    assert not table_bytes(df).startswith(b"\xef\xbb\xbf")


def test_export_excerpts_csv_and_xlsx(project, small, tmp_path):
    with project.session() as s:  # a quote that looks like a formula
        doc_store.add_document(s, _formula_doc())
    n = ex.export_excerpts(project, tmp_path / "x.csv", bom=True)
    df = pd.read_csv(tmp_path / "x.csv", encoding="utf-8-sig", keep_default_na=False)
    assert n == len(df) == 8  # 9 codings -> 8 (excerpt, code) rows: D1e1 trust coded twice
    assert {"speaker", "role", "coders", "origin", "memo", "year", "district", "speaker.position",
            "previous_turn", "next_turn"} <= set(df.columns)
    assert "Ana" not in set(df["speaker"]) and "P-Ana" in set(df["speaker"])
    ex.export_excerpts(project, tmp_path / "x.xlsx")
    assert len(pd.read_excel(tmp_path / "x.xlsx")) == 8
    buf = io.BytesIO()
    ex.export_frequencies(project, buf, fmt="csv", by="year")
    freq = pd.read_csv(io.BytesIO(buf.getvalue()), dtype={"year": str})
    assert set(freq["year"]) == {"2018", "2021", "(not set)"}  # document F has no year


def _formula_doc():
    from tests.conftest import make_document

    return make_document("F", [("Interviewer", "interviewer", "Anything?"),
                               ("Zed", "participant", "=HYPERLINK(\"http://evil\",\"x\")")])


def test_formula_quote_is_neutralised_in_excerpt_export(project, small, tmp_path):
    with project.session() as s:
        doc_id = doc_store.add_document(s, _formula_doc())
        ex_id = doc_store.load_document(s, doc_id).excerpts[1].id
    services.coding.add_coding(project, ex_id, "evid") if hasattr(services, "coding") else None
    from qualcode.services import coding

    coding.add_coding(project, ex_id, "evid")
    data = ex.excerpts_bytes(project, code_id="evid")
    assert "'=HYPERLINK" in data.decode()
    assert "\n=HYPERLINK" not in data.decode() and ",=HYPERLINK" not in data.decode()


def test_crosstab_matrix_compare_cooccurrence_files(project, small, tmp_path):
    ex.export_crosstab(project, tmp_path / "c.csv", by="year")
    ct = pd.read_csv(tmp_path / "c.csv").set_index("code_id")
    assert ct.loc["rel_trust", "2018 n"] == 2
    ex.export_matrix(project, tmp_path / "m.xlsx", values="counts")
    m = pd.read_excel(tmp_path / "m.xlsx").set_index("document")
    assert m.loc["D2", "rel"] == 2
    ex.export_compare(project, tmp_path / "cmp.csv", by="year")
    ex.export_cooccurrence(project, tmp_path / "co.csv")
    assert len(pd.read_csv(tmp_path / "co.csv")) > 0
    with pytest.raises(ExportError, match="group by"):
        ex.export_crosstab(project, tmp_path / "c2.csv")


def test_report_markdown_and_docx(project, small, tmp_path):
    out = ex.export_report(project, tmp_path / "r.md", by="year")
    text = out.read_text(encoding="utf-8")
    assert "## Codebook" in text and "Relationships (test)" in text
    assert "## Strongest quotes per theme" in text
    # the quote two coders agreed on leads its theme; pseudonym, not the label
    rel_part = text.split("### Relationships (test)")[1]
    assert rel_part.split("\n> ")[1].startswith("\u201cWe met the same people every time.\u201d \u2014 P-Ana")
    # each quote says which of the theme's codes it is (walk 40); a quote of the theme itself does not
    quotes = [q.split("\n")[0] for q in rel_part.split("### ")[0].split("\n> ")[1:]]
    assert quotes and all(q.endswith(("\u00b7 Trust (rel)", "\u00b7 Buy-in (rel)")) for q in quotes), quotes
    evidence = [q.split("\n")[0] for q in text.split("### Evidence (test)")[1].split("### ")[0].split("\n> ")[1:]]
    assert evidence and not any("\u00b7" in q for q in evidence), evidence
    assert (tmp_path / "r_files" / "chart1.png").read_bytes()[:4] == b"\x89PNG"
    # the grouped table says what n counts (walk 41: read as excerpts)
    assert "## By year\n\nn: documents with the code in that year; %: their share of that year's documents." in text
    ex.export_report(project, tmp_path / "r.docx", charts=False)
    from docx import Document

    body = "\n".join(p.text for p in Document(str(tmp_path / "r.docx")).paragraphs)
    assert "Strongest quotes per theme" in body and "P-Ana" in body


@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_a_retired_code_counted_in_the_report_is_defined_there_as_retired(project, small, fmt):
    """Walk 12: the report counted "Coaching and facilitation (retired)" in its table, and its
    codebook section defined it nowhere."""
    from qualcode.services import codebook as cbs

    cbs.retire_code(project, "evid", force=True)
    data = ex.report_bytes(project, fmt=fmt, charts=False)
    if fmt == "docx":
        import io

        from docx import Document

        text = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
        assert "Evidence (test) (retired): Data that shows progress." in text
    else:
        text = data.decode("utf-8").replace("\\", "")
        assert "Evidence (test) (retired)" in text.split("How often each theme comes up")[0]
        assert "Data that shows progress" in text


@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_the_reports_codebook_nests_each_code_under_its_parent(project, small, fmt):
    """Walk 37: the Word report's codebook was a flat list, and the Markdown one indented a
    sub-code wherever the codebook's order put it (here: after Evidence, away from its parent).
    Each format now lists a parent followed by its codes, one level deeper."""
    from qualcode.services import codebook as cbs

    cbs.add_code(project, {"name": "Shared meals", "definition": "Eating together.", "parent": "rel"})
    data = ex.report_bytes(project, fmt=fmt, charts=False)
    if fmt == "docx":
        from docx import Document

        items = [(p.style.name, p.text.split(":")[0]) for p in Document(io.BytesIO(data)).paragraphs
                 if p.style.name.startswith("List Bullet")]
        assert ("List Bullet 2", "Learning zone") in items  # the default codebook's codes first
        assert items[items.index(("List Bullet", "Relationships (test)")):] == [
            ("List Bullet", "Relationships (test)"), ("List Bullet 2", "Trust (rel)"),
            ("List Bullet 2", "Buy-in (rel)"), ("List Bullet 2", "Shared meals"), ("List Bullet", "Evidence (test)")]
    elif fmt == "md":
        section = data.decode("utf-8").split("## Codebook")[1].split("##")[0]
        lines = [ln.split("** (")[0] for ln in section.strip().splitlines()]
        assert lines[lines.index("- **Relationships (test)"):] == [
            "- **Relationships (test)", "  - **Trust (rel)", "  - **Buy-in (rel)", "  - **Shared meals",
            "- **Evidence (test)"]  # (the default codebook's codes come first)
    else:
        import re

        section = data.decode("utf-8").split("<h2>Codebook</h2>")[1].split("<h2>")[0].strip()
        shape = re.sub(r"<li><strong>([^<]*)</strong>.*?(?=<ul>|</li>)", r"[\1]", section)
        assert shape.startswith("<ul>[Relationships]<ul>[Trust]</li>") and shape.count("<ul>") == shape.count("</ul>")
        assert shape.endswith("[Relationships (test)]<ul>[Trust (rel)]</li>[Buy-in (rel)]</li>"
                              "[Shared meals]</li></ul></li>[Evidence (test)]</li></ul>")


def test_report_says_which_coders_it_counts(project, small, tmp_path):
    """alice and bob both coded: the report says their codings are pooled; with coder="bob"
    it counts and says only bob (every format); a one-coder project's line stays as it was."""
    md = ex.report_bytes(project, fmt="md", charts=False).decode()
    assert "Coders counted: alice and bob, pooled" in md
    html = ex.report_bytes(project, fmt="html", charts=False).decode()
    assert "Coders counted: alice and bob, pooled" in html
    bob = ex.report_bytes(project, fmt="md", charts=False, coder="bob").decode()
    assert "Coder counted: bob only" in bob and "pooled" not in bob
    table = bob.split("## How often each theme comes up")[1]
    assert "Trust (rel) | 1 |" in table and "Trust (rel) | 3 |" not in table  # bob's one trust excerpt, not the pooled three
    out = ex.export_report(project, tmp_path / "bob.docx", charts=False, coder="bob")
    from docx import Document

    assert any("Coder counted: bob only" in p.text for p in Document(str(out)).paragraphs)
    # the CLI's --coder says it counts only that coder's codings: the report too
    r = CliRunner().invoke(main, ["-p", str(project.project_dir), "export", "report", str(tmp_path / "bob.md"),
                                  "--coder", "bob"])
    assert r.exit_code == 0, r.output
    cli_md = (tmp_path / "bob.md").read_text()
    assert "Coder counted: bob only" in cli_md and "Trust (rel) | 1 |" in cli_md
    solo = services.init_project(tmp_path / "solo", coder="ana")
    try:
        text = ex.report_bytes(solo, fmt="md", charts=False).decode()
        assert "Codings counted: accepted and manual. Parent codes" in text and "Coder" not in text
    finally:
        solo.close()


XSS_QUOTE = ("We said <script>alert(1)</script> and then <img src=x onerror=alert(1)> "
             "in front of the whole staff that day.")


def _add_hostile_document(ctx) -> None:
    """A code and a participant quote full of markup, coded by two coders (so it leads)."""
    from qualcode.core import Code
    from qualcode.storage import codes as code_store
    from qualcode.storage import meta
    from tests.conftest import make_document

    with ctx.session() as s:
        code_store.save_code(s, Code(id="risk", name='Risk <i>&</i> "harm"',
                                     definition="<script>alert('def')</script>"))
        coders = [meta.get_or_create_coder(s, n) for n in ("alice", "bob")]
        d = make_document("D<5>", [("Interviewer", "interviewer", "What happened?"),
                                   ("Zoe <b>", "participant", XSS_QUOTE)])
        doc_id = doc_store.add_document(s, d, coder_id=coders[0])
        excerpt = [e for e in doc_store.load_document(s, doc_id).excerpts if e.order == 1][0]
        for c in coders:
            coding_store.add_coding(s, excerpt.id, "risk", c)


class _Tags(__import__("html.parser").parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_report_html_is_self_contained_and_escapes_transcript_text(project, small, tmp_path):
    import base64

    _add_hostile_document(project)
    out = ex.export_report(project, tmp_path / "r.html", by="year")
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<h2>Codebook</h2>" in page
    # the quote is shown as text, escaped; no markup from the transcript survives
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script" not in page.lower() and "<img src=x" not in page
    assert "Zoe &lt;b&gt;" in page and "D&lt;5&gt;" in page
    assert "Risk &lt;i&gt;&amp;&lt;/i&gt; &quot;harm&quot;" in page
    assert "&lt;script&gt;alert(&#x27;def&#x27;)&lt;/script&gt;" in page
    parser = _Tags()
    parser.feed(page)
    tags = [t for t, _ in parser.tags]
    assert "script" not in tags and "iframe" not in tags and "object" not in tags
    assert not [a for _, attrs in parser.tags for a in attrs if a.startswith("on")]
    assert XSS_QUOTE in "".join(parser.text)  # a reader sees exactly what was said
    # charts are embedded (no files beside the page), as SVG
    imgs = [attrs["src"] for t, attrs in parser.tags if t == "img"]
    assert len(imgs) == 2 and all(src.startswith("data:image/svg+xml;base64,") for src in imgs)
    assert b"<svg" in base64.b64decode(imgs[0].split(",", 1)[1])[:400]
    assert not (tmp_path / "r_files").exists()
    assert "Content-Security-Policy" in page and "By year" in page
    # the other entry points
    assert ex.report_bytes(project, fmt="html", charts=False).startswith(b"<!DOCTYPE html>")
    with pytest.raises(ExportError, match="unknown"):
        ex.report_bytes(project, fmt="pdf")
    r = CliRunner().invoke(main, ["-p", str(project.project_dir), "export", "report", str(tmp_path / "cli.html")])
    assert r.exit_code == 0, r.output
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in (tmp_path / "cli.html").read_text(encoding="utf-8")


def test_report_markdown_keeps_transcript_markup_inert(project, small, tmp_path):
    markdown_it = pytest.importorskip("markdown_it")
    _add_hostile_document(project)
    text = ex.export_report(project, tmp_path / "r.md", charts=False).read_text(encoding="utf-8")
    # CommonMark passes raw HTML through (html=True): the escaped text must not become tags
    page = markdown_it.MarkdownIt("commonmark").render(text)
    assert "<script" not in page and "<img src=x" not in page and "<i>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def _qde(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read("project.qde")


def test_qdpx_validates_against_refi_schema(project, small, shared_dir):
    data = ex.qdpx_bytes(project)
    schema = etree.XMLSchema(etree.parse(str(shared_dir / "refi-qda" / "Project.xsd")))
    root = etree.fromstring(_qde(data))
    assert schema.validate(root), schema.error_log
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        for ts in root.iter("{urn:QDA-XML:project:1.0}TextSource"):
            path = ts.get("plainTextPath")
            assert path == f"internal://{ts.get('guid')}.txt"
            assert f"sources/{ts.get('guid')}.txt" in names
        d1 = next(ts for ts in root.iter("{urn:QDA-XML:project:1.0}TextSource") if ts.get("name") == "D1")
        text = z.read(f"sources/{d1.get('guid')}.txt").decode("utf-8")
    sel = d1.find("q:PlainTextSelection", NS)
    # offsets are code points into the source text
    assert text[int(sel.get("startPosition")):int(sel.get("endPosition"))] == "We met the same people every time."
    users = {u.get("guid"): u.get("name") for u in root.iter("{urn:QDA-XML:project:1.0}User")}
    assert sorted(users[c.get("creatingUser")] for c in sel.findall("q:Coding", NS)) == ["alice", "bob"]
    case_names = {c.get("name") for c in root.iter("{urn:QDA-XML:project:1.0}Case")}
    assert "P-Ana" in case_names and "Ana" not in case_names  # cases use the pseudonym
    assert b'"Ana"' not in zipfile.ZipFile(io.BytesIO(data)).read("qualcode.json")
    assert "deidentification-key.csv" not in names


def _snapshot(ctx) -> dict:
    """What must survive a round trip, keyed by stable things (names, offsets, coders)."""
    with ctx.session(readonly=True) as s:
        docs = {d["name"]: doc_store.load_document(s, d["id"]) for d in doc_store.list_documents(s)}
        by_ex = {e.id: (name, e.order) for name, d in docs.items() for e in d.excerpts}
        codings = sorted((by_ex[c.excerpt_id], c.code_id, c.coder, c.start, c.end, c.origin.value)
                         for c in coding_store.list_codings(s))
        memos = sorted((m.text, m.coder, by_ex.get(m.excerpt_id), m.code_id) for m in coding_store.list_memos(s))
        from qualcode.storage import codes as code_store

        codes = sorted((c.id, c.name, c.parent, c.codable, c.definition, tuple(c.include), tuple(c.exclude),
                        tuple(c.examples), tuple(c.counterexamples), tuple(c.keywords), c.color, c.retired)
                       for c in code_store.load_codebook(s).codes)
    return {
        "documents": {n: (d.text, d.format, sorted((a.key, a.value, a.type.value) for a in d.attributes.values()),
                          sorted((sp.display, sp.role.value, sorted((a.key, a.value) for a in sp.attributes.values()))
                                 for sp in d.speakers),
                          [(t.order, t.start, t.end) for t in d.turns],
                          [(e.order, e.start, e.end, e.codable) for e in d.excerpts])
                      for n, d in docs.items()},
        "codings": codings, "memos": memos, "codes": codes,
    }


def test_qdpx_round_trip_loses_nothing_and_guids_are_stable(project, small, tmp_path):
    first = ex.qdpx_bytes(project)
    assert _qde(ex.qdpx_bytes(project)) == _qde(first)  # same project, same file
    summary = ex.import_qdpx(tmp_path / "copy", io.BytesIO(first))
    assert summary["documents"] == 4 and summary["codings"] == 9 and summary["memos"] == 1
    copy = services.open_project(tmp_path / "copy", coder="carol")
    try:
        before, after = _snapshot(project), _snapshot(copy)
        assert after["documents"] == before["documents"]
        assert after["codes"] == before["codes"]
        assert after["memos"] == before["memos"]
        assert after["codings"] == before["codings"]
        # the summary counts codes as the new project's "Codes" does, groups apart (walk 49: "7 codes"
        # said, "Codes 6" shown)
        status = services.project_status(copy)
        assert (summary["codes"], summary["code_groups"]) == (status["codes"], status["code_groups"])
        assert summary["code_groups"] > 0
        assert _qde(ex.qdpx_bytes(copy)) == _qde(first)  # every GUID, offset and user identical
        # the copy answers the same questions
        f1, f2 = analysis.frequencies(project, by="year"), analysis.frequencies(copy, by="year")
        pd.testing.assert_frame_equal(f1, f2)
    finally:
        copy.close()


def test_import_qdpx_refuses_a_project_with_data(project, small):
    data = ex.qdpx_bytes(project)
    with pytest.raises(ExportError, match="already holds"):
        ex.import_qdpx(project, data)


def test_import_foreign_qdpx_without_sidecar(project, small, tmp_path):
    data = ex.qdpx_bytes(project)
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w") as dst:
        for n in src.namelist():
            if n != "qualcode.json":
                dst.writestr(n, src.read(n))
    summary = ex.import_qdpx(tmp_path / "foreign", buf.getvalue())
    assert summary["documents"] == 4
    other = services.open_project(tmp_path / "foreign", coder="x")
    try:
        f = analysis.frequencies(other).set_index("code_id")
        # one excerpt per line there, and each coded span lies within one line: same counts
        assert f.loc["rel", "excerpts"] == 5 and f.loc["rel_trust", "documents"] == 3
        q = analysis.retrieve(other, code_id="rel_trust", where={"year": "2018"})
        assert "We met the same people every time." in set(q["quote"])
    finally:
        other.close()


def test_not_a_qdpx(project, tmp_path):
    bad = tmp_path / "bad.qdpx"
    bad.write_text("hello")
    with pytest.raises(ExportError, match="bad.qdpx"):
        ex.import_qdpx(tmp_path / "new", bad)


def test_key_only_when_asked(project, small):
    with project.session() as s:
        s.add(PseudonymRow(kind="person", real="Ana Real", pseudonym="P-Ana"))
    plain = ex.qdpx_bytes(project)
    assert b"Ana Real" not in b"".join(zipfile.ZipFile(io.BytesIO(plain)).read(n)
                                       for n in zipfile.ZipFile(io.BytesIO(plain)).namelist())
    keyed = ex.qdpx_bytes(project, include_key=True)
    assert b"Ana Real" in zipfile.ZipFile(io.BytesIO(keyed)).read("deidentification-key.csv")


def test_import_codings_csv(project, small, tmp_path):
    with project.session(readonly=True) as s:
        d3 = doc_store.load_document(s, small.doc["D3"])
    e1, e2 = d3.excerpts[1], d3.excerpts[2]
    good = tmp_path / "c.csv"
    good.write_text(
        "document,start,end,code,coder\n"
        f"D3,{e1.start},{e1.start + 6},Evidence (test),carol\n"  # by name, a narrower span
        f"D3,{e1.start},{e2.end},rel_trust,carol\n"  # spans two excerpts: split in two
        f"D3,{e1.start},{e1.end},evid,alice\n",  # already there: skipped
        encoding="utf-8")
    res = ex.import_codings(project, good)
    assert {k: res[k] for k in ("rows", "added", "skipped")} == {"rows": 4, "added": 3, "skipped": 1}
    assert res["coders"] == {"carol": 3, "alice": 1}
    # imported codings count for agreement: carol has reviewed every codable excerpt of D3
    with project.session(readonly=True) as s:
        carol_id = s.scalar(select(CoderRow.id).where(CoderRow.name == "carol"))
        assert coding_store.reviewed_excerpts(s, coder_id=carol_id) == {
            e.id for e in d3.excerpts if e.codable}
    with project.session(readonly=True) as s:
        carol = sorted((c.excerpt_id, c.code_id, c.start, c.end, c.origin.value)
                       for c in coding_store.list_codings(s) if c.coder == "carol")
    assert carol == sorted([(e1.id, "evid", e1.start, e1.start + 6, "imported"),
                            (e1.id, "rel_trust", e1.start, e1.end, "imported"),
                            (e2.id, "rel_trust", e2.start, e2.end, "imported")])
    by_id = tmp_path / "i.csv"
    by_id.write_text(f"excerpt_id,code,coder\n{small.ex[('D4', 1)]},evid,dave\n", encoding="utf-8")
    assert ex.import_codings(project, by_id)["added"] == 1


def test_import_codings_bad_rows_import_nothing(project, small, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("document,start,end,code,coder\n"
                   "D1,0,5,evid,alice\n"
                   "D9,0,5,evid,alice\n"
                   "D1,0,5,no_such_code,alice\n", encoding="utf-8")
    with project.session(readonly=True) as s:
        n_before = len(coding_store.list_codings(s))
    with pytest.raises(ExportError) as info:
        ex.import_codings(project, bad)
    assert info.value.file.endswith("bad.csv") and info.value.line == 3
    assert "line 4" in info.value.hint
    with project.session(readonly=True) as s:
        assert len(coding_store.list_codings(s)) == n_before
    nohead = tmp_path / "nohead.csv"
    nohead.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ExportError, match="missing columns"):
        ex.import_codings(project, nohead)


def test_cli_export_and_import(project, small, tmp_path):
    runner = CliRunner()
    proj = str(project.project_dir)
    r = runner.invoke(main, ["-p", proj, "export", "frequencies", str(tmp_path / "f.csv"), "--by", "year",
                             "--include", "pending"])
    assert r.exit_code == 0, r.output
    f = pd.read_csv(tmp_path / "f.csv").set_index(["year", "code_id"])
    assert f.loc[(2021, "evid"), "excerpts"] == 2  # D3e1 + pending D4e1
    r = runner.invoke(main, ["-p", proj, "export", "excerpts", str(tmp_path / "e.xlsx"), "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["rows"] == 8
    r = runner.invoke(main, ["-p", proj, "export", "qdpx", str(tmp_path / "p.qdpx")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["-p", str(tmp_path / "new"), "import-qdpx", str(tmp_path / "p.qdpx"), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["codings"] == 9
    r = runner.invoke(main, ["-p", proj, "export", "crosstab", str(tmp_path / "c.csv")])
    assert r.exit_code == 1 and "group by" in r.output and "Traceback" not in r.output
    r = runner.invoke(main, ["-p", proj, "export", "report", str(tmp_path / "r.md")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["-p", proj, "export", "codebook", str(tmp_path / "cb.yaml")])
    assert r.exit_code == 0, r.output
    csv = tmp_path / "codings.csv"
    csv.write_text(f"excerpt_id,code,coder\n{small.ex[('D4', 1)]},evid,erin\n", encoding="utf-8")
    r = runner.invoke(main, ["-p", proj, "import-codings", str(csv)])
    assert r.exit_code == 0 and "Imported 1" in r.output


@pytest.mark.parametrize("name, kw", [
    ("export_excerpts", {}), ("export_frequencies", {"by": "year"}), ("export_crosstab", {"by": "year"}),
    ("export_matrix", {}), ("export_compare", {"by": "year"}), ("export_cooccurrence", {}),
])
def test_every_table_export_returns_its_data_rows(project, small, tmp_path, name, kw):
    out = tmp_path / f"{name}.csv"
    n = getattr(ex, name)(project, out, **kw)
    assert isinstance(n, int) and n == len(pd.read_csv(out, keep_default_na=False))


def test_the_report_names_the_documents_nobody_has_coded_yet(project):
    """Walk 14: Themes said "1 of 4 documents has not been coded yet", the report gave the same
    shares of documents without a word about it. Every format says it, naming the document."""
    from qualcode.services import coding
    from qualcode.services import export as export_svc
    from tests.ui_helpers import seed

    _, sid = seed(project, name="riverside-2023")
    seed(project, name="focus-group-2023", turns=[("Moderator", "interviewer", "What changed?"),
                                                  ("Lee", "participant", "We trust the new schedule.")])
    coding.accept_suggestion(project, sid["1:trust"])
    said = ("1 of 2 documents has not been coded yet (focus-group-2023): they count as documents "
            "without any code")
    for fmt in ("md", "html"):
        assert said in export_svc.report_bytes(project, fmt=fmt, charts=False).decode(), fmt
    from docx import Document

    doc = Document(io.BytesIO(export_svc.report_bytes(project, fmt="docx", charts=False)))
    assert any(said in p.text for p in doc.paragraphs)
    coding.nothing_here(project.as_coder("alice"), _first_codable_excerpt(project, "focus-group-2023"))
    assert "not been coded" not in export_svc.report_bytes(project, fmt="md", charts=False).decode()


def _first_codable_excerpt(ctx, name):
    from qualcode.storage import documents as doc_store

    with ctx.session(readonly=True) as s:
        doc_id = next(d["id"] for d in doc_store.list_documents(s) if d["name"] == name)
        return next(e.id for e in doc_store.load_document(s, doc_id).excerpts if e.codable)


def test_strongest_quotes_come_from_several_documents_before_one_gives_a_second():
    """Walk 16: 15 of a report's 17 quotes came from the one interview both coders had coded (its
    excerpts ranked first by their two coders). A theme's best quote of each document comes
    first, in the usual order (coders, consensus, participant, length, score); then seconds."""
    from qualcode.core import Code, Codebook
    from qualcode.export.report import strongest_quotes

    cb = Codebook("cb", [Code("mentor", "Mentoring", "The bond."),
                         Code("rapport", "Rapport", "Feeling safe.", parent="mentor")])
    long = "and then we talked about it for a long while after school"
    rows = pd.DataFrame([
        {"document_id": 1, "excerpt_id": 1, "code_id": "rapport", "quote": f"one {long}", "n_coders": 2},
        {"document_id": 1, "excerpt_id": 2, "code_id": "mentor", "quote": f"two {long}", "n_coders": 2},
        {"document_id": 1, "excerpt_id": 3, "code_id": "rapport", "quote": f"three {long}", "n_coders": 2},
        {"document_id": 2, "excerpt_id": 4, "code_id": "rapport", "quote": f"four {long}", "n_coders": 1},
        {"document_id": 3, "excerpt_id": 5, "code_id": "mentor", "quote": "five", "n_coders": 1},
        {"document_id": 3, "excerpt_id": 6, "code_id": "mentor", "quote": f"six {long}", "n_coders": 1},
    ]).assign(origin="manual", role="participant", score=None)
    got = strongest_quotes(rows, cb, per_theme=4)["mentor"]
    assert list(got["excerpt_id"]) == [1, 4, 6, 2]  # each document's best, then document 1's second
    assert list(strongest_quotes(rows, cb, per_theme=2)["mentor"]["excerpt_id"]) == [1, 4]


def test_a_quote_a_consensus_settled_ranks_as_agreed():
    """Pooled, an excerpt a disagreement review settled holds the consensus's codes alone (one
    "coder"), where it used to hold both coders' and the consensus's. Its quote is the coders'
    agreement, so it ranks with the quotes two coders agreed on, ahead of them, and ahead of
    one coder's quote of the same length."""
    from qualcode.core import Code, Codebook
    from qualcode.export.report import strongest_quotes

    cb = Codebook("cb", [Code("care", "Childcare", "Who looks after the children.")])
    long = "and then we talked about it for a long while after school"
    rows = pd.DataFrame([
        {"document_id": 1, "excerpt_id": 1, "code_id": "care", "quote": f"one {long}", "n_coders": 1,
         "origin": "manual"},
        {"document_id": 2, "excerpt_id": 2, "code_id": "care", "quote": f"two {long}", "n_coders": 2,
         "origin": "manual"},
        {"document_id": 3, "excerpt_id": 3, "code_id": "care", "quote": f"three {long}", "n_coders": 1,
         "origin": "consensus"},
    ]).assign(role="participant", score=None)
    got = strongest_quotes(rows, cb, per_theme=3)["care"]
    assert list(got["excerpt_id"]) == [3, 2, 1]
    assert list(got["n_coders"]) == [1, 2, 1]  # the column itself is left as counted


def test_the_same_words_twice_are_one_quote():
    """Walk 39: a theme's three "strongest quotes" were one sentence three times (said in three
    interviews, or one interview imported twice). The same words, whatever their spacing or case,
    are quoted once; the next best quote takes the place."""
    from qualcode.core import Code, Codebook
    from qualcode.export.report import strongest_quotes

    cb = Codebook("cb", [Code("care", "Childcare", "Who looks after the children.")])
    said = "The creche closed at four so I could never stay for the evening sessions at all"
    rows = pd.DataFrame([
        {"document_id": 1, "excerpt_id": 1, "code_id": "care", "quote": said, "n_coders": 1},
        {"document_id": 2, "excerpt_id": 2, "code_id": "care", "quote": " " + said.upper(), "n_coders": 1},
        {"document_id": 3, "excerpt_id": 3, "code_id": "care", "quote": said.replace(" ", "  "), "n_coders": 1},
        {"document_id": 4, "excerpt_id": 4, "code_id": "care", "quote": "My mother took them on Tuesdays when "
                                                                          "the bus ran late", "n_coders": 1},
    ]).assign(origin="manual", role="participant", score=None)
    assert list(strongest_quotes(rows, cb, per_theme=3)["care"]["excerpt_id"]) == [1, 4]


@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_a_code_defined_by_its_name_only_shows_no_definition_yet(project, small, fmt):
    """Walk 39: a code made while coding (its definition its name until one is written) read
    "Childcare: Childcare." in the report's codebook."""
    from qualcode.services import codebook as cbs

    cbs.add_code(project, {"name": "Childcare", "definition": "Childcare."})
    data = ex.report_bytes(project, fmt=fmt, charts=False)
    if fmt == "docx":
        from docx import Document

        text = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
    else:
        text = data.decode("utf-8").replace("\\", "")
    text = text.replace("<strong>", "").replace("</strong>", "").replace("**", "")
    assert "Childcare." not in text and "(no definition yet)" in text


def test_the_apps_markdown_report_is_one_file_with_its_charts_inside(project, small, tmp_path):
    """Walk 39: the Export page's Markdown report linked its charts at r_files/chart1.png, a
    folder the one-file download did not hold. The app's download carries them inside."""
    from pathlib import Path

    from qualcode.ui.pages.export import exports

    (report,) = [e for e in exports() if e.name == "export_report"]
    out = report.run(project, tmp_path / "report.md", "md", "year", "accepted", None, None)
    text = Path(out).read_text(encoding="utf-8")
    assert "_files/" not in text and "](data:image/png;base64," in text
    assert not (tmp_path / "report_files").exists()


def _retire_the_default_codebook(ctx) -> list[str]:
    """The walk: the default codebook's codes the project does not want, retired (children first:
    a code with active children cannot be retired)."""
    from qualcode.codebook_io import load_codebook
    from qualcode.services import codebook as codebook_svc

    default = [c.id for c in load_codebook(services.DEFAULT_CODEBOOK).codes]
    for cid in reversed(default):
        codebook_svc.retire_code(ctx, cid)
    return default


def test_qdpx_leaves_out_retired_codes_no_coding_uses_and_keeps_those_codings_use(project, small, tmp_path,
                                                                                  shared_dir):
    """Walk: a codebook imported into a new project merges with the default one; the walker retired
    the default codes they did not want, and every one of them went to NVivo in the .qdpx (as
    isCodable="false"). A retired code that no exported coding or memo refers to stays out; a
    retired code that codings use stays in (not codable), so every coding still names a code."""
    from qualcode.core import code_guid
    from qualcode.services import codebook as codebook_svc

    retired = _retire_the_default_codebook(project)
    assert len(retired) > 10
    codebook_svc.retire_code(project, "evid", force=True)  # two codings stay under it
    with project.session() as s:  # a memo on a retired code keeps it too (the memo stays anchored)
        from qualcode.storage import meta

        coding_store.add_memo(s, "Why we dropped this one.", meta.get_or_create_coder(s, "alice"),
                              code_id=retired[-1])
    data = ex.qdpx_bytes(project)
    root = etree.fromstring(_qde(data))
    schema = etree.XMLSchema(etree.parse(str(shared_dir / "refi-qda" / "Project.xsd")))
    assert schema.validate(root), schema.error_log
    codes = {el.get("guid"): (el.get("name"), el.get("isCodable")) for el in root.iter("{*}Code")}
    names = {name: codable for name, codable in codes.values()}
    assert names == {"Relationships (test)": "false", "Trust (rel)": "true", "Buy-in (rel)": "true",
                     "Evidence (test)": "false", project_code_name(project, retired[-1]): "false"}
    assert not {code_guid(cid) for cid in retired[:-1]} & set(codes)
    refs = [r.get("targetGUID") for r in root.iter("{*}CodeRef")]
    assert len(refs) == 9 and set(refs) <= set(codes)  # every coding names an exported code
    assert ex.export_qdpx(project, tmp_path / "p.qdpx")["codes"] == 5
    # the tables follow the same rule (codes counted with nothing pending: no memo counts there)
    assert set(analysis.frequencies(project).code_id) == {"rel", "rel_trust", "rel_buyin", "evid"}
    # qualcode's own import gives the retired code back retired, with its codings
    ex.import_qdpx(tmp_path / "back", data, coder="alice")
    back = services.open_project(tmp_path / "back", coder="alice")
    try:
        with back.session(readonly=True) as s:
            from qualcode.storage import codes as code_store

            cb = code_store.load_codebook(s)
            assert cb.get("evid").retired and sum(c.code_id == "evid" for c in coding_store.list_codings(s)) == 2
            assert {c.id for c in cb.codes} == {"rel", "rel_trust", "rel_buyin", "evid", retired[-1]}
    finally:
        back.close()


def project_code_name(ctx, code_id: str) -> str:
    from qualcode.services import codebook as codebook_svc

    return codebook_svc.get_codebook(ctx).get(code_id).name


def test_the_codebook_exports_leave_out_every_retired_code(project, small, tmp_path, shared_dir):
    """The .qdc holds no codings, so by the same rule no retired code goes in it; an active code
    under a retired group hangs from the nearest kept ancestor. The Markdown and Word codebooks
    count each code's codings: a retired code still in use stays there, said retired (walk 37:
    the report counted "Volunteer motivation (retired)", and the codebook appendix had no such
    code); retired codes nobody applied stay out."""
    from qualcode.services import codebook as codebook_svc

    retired = _retire_the_default_codebook(project)
    codebook_svc.retire_code(project, "evid", force=True)
    out = codebook_svc.export_codebook(project, tmp_path / "c.qdc")
    doc = etree.parse(str(out))
    etree.XMLSchema(etree.parse(str(shared_dir / "refi-qda" / "Codebook.xsd"))).assertValid(doc)
    assert sorted(el.get("name") for el in doc.iter("{*}Code")) == ["Buy-in (rel)", "Relationships (test)",
                                                                    "Trust (rel)"]
    md = codebook_svc.export_codebook(project, tmp_path / "c.md").read_text(encoding="utf-8")
    headings = {line.lstrip("#").strip() for line in md.splitlines() if line.startswith("##")}
    assert headings == {"Buy-in (rel)", "Relationships (test)", "Trust (rel)", "Evidence (test)"}, headings
    assert "`evid` · retired: no longer applied, its codings still count · 2 codings" in md


def test_qdpx_cases_are_people_across_documents(project, shared_dir, tmp_path):
    """Walk 18: Grace, in her interview and in a focus group, was two Cases, and each document's
    Interviewer one more. A participant is one Case across documents under the same name (a
    placeholder such as "Speaker 1" stays one per document, as Themes counts people); an
    interviewer label is one Case. Read back, each document's speakers have what they had."""
    from qualcode.core import Attribute
    from tests.conftest import make_document

    def doc(name, who):
        d = make_document(name, [("Interviewer", "interviewer", "How was it?"), (who, "participant", f"{name} was fine."),
                                 ("Speaker 1", "participant", "Same here.")])
        for sp in d.speakers:
            if sp.label == who:
                sp.attributes["site"] = Attribute("site", "North")
        return d

    with project.session() as s:
        for d in (doc("interview", "Grace Mwale"), doc("focus group", "grace  mwale"), doc("other", "Tom")):
            doc_store.add_document(s, d)
    data = ex.qdpx_bytes(project)
    root = etree.fromstring(_qde(data))
    assert etree.XMLSchema(etree.parse(str(shared_dir / "refi-qda" / "Project.xsd"))).validate(root)
    cases = {}
    for c in root.iter("{urn:QDA-XML:project:1.0}Case"):
        cases.setdefault(c.get("name"), []).append(len(c.findall("q:SourceRef", NS)))
    assert cases == {"Interviewer": [3], "Grace Mwale": [2], "Tom": [1], "Speaker 1": [1, 1, 1]}
    # read back, each document's speakers have exactly their role and attributes (the cases carry them)
    def speakers(ctx):
        with ctx.session(readonly=True) as s:
            return {d["name"]: sorted((sp.label, sp.role.value, sorted((a.key, a.value) for a in sp.attributes.values()))
                                      for sp in doc_store.load_document(s, d["id"]).speakers)
                    for d in doc_store.list_documents(s)}

    ex.import_qdpx(tmp_path / "copy", data)
    copy = services.open_project(tmp_path / "copy", coder="x")
    try:
        assert speakers(copy) == speakers(project)
        assert ("grace  mwale", "participant", [("site", "North")]) in speakers(copy)["focus group"]
        assert _qde(ex.qdpx_bytes(copy)) == _qde(data)
    finally:
        copy.close()


@pytest.mark.parametrize("by, kind", [("year", "trend"), ("district", "bars")])
def test_the_reports_charts_show_the_codes_under_each_theme_and_groups_side_by_side(project, small, monkeypatch,
                                                                                     by, kind):
    """Walk 41: with two grouping codes on top, "Documents with each theme" drew two bars and none
    of the six codes under them, and "% of documents by district" joined Norte and Sul by a line
    as if one came after the other. The first chart has each theme's codes too; a line only
    across ordered values (years)."""
    from qualcode.analysis import charts

    drawn = []
    for name in ("bars", "trend"):
        real = getattr(charts, name)
        monkeypatch.setattr(charts, name, lambda df, _n=name, _r=real, **kw: drawn.append((_n, df, kw)) or _r(df, **kw))
    ex.report_data(project, by=by)
    (first, (how, _df, kw)) = drawn
    assert first[0] == "bars" and {"Relationships (test)", "Trust (rel)", "Evidence (test)"} <= set(first[1]["code"])
    assert how == kind and (kind == "trend" or kw.get("by") == "district")

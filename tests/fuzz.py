"""A mutation fuzzer over every reader: transcripts (``ingest.parse_bytes``, each format), the
REFI-QDA importers (.qdpx project, .qdc codebook) and the YAML codebook loader.

Seeds are small valid files written here (invented text). Each case mutates one seed (byte
flips, inserts of "interesting" tokens, deletions, duplications, truncation; for zip formats
usually one member's XML, re-zipped, so the damage reaches the parsers behind the zip layer)
and runs its reader. The outcome is ``ok``, ``refused`` (a QualcodeError with a hint),
``bad_error`` (a QualcodeError without a hint), or ``crash`` (anything else: the kind is the
exception type and the innermost qualcode frame). tests/test_fuzz.py runs a fixed-seed CI
budget; bench/bench_fuzz.py runs >= 10,000 cases in worker processes with a time limit.
"""

from __future__ import annotations

import io
import random
import tempfile
import time
import traceback
import zipfile
from dataclasses import dataclass
from pathlib import Path

from qualcode.errors import QualcodeError
from tests.hostile_files import pdf_bytes

TXT = """Interviewer: Thanks for joining. How did the team start?

Odalys Ferreira: We met at the first convening. Nobody trusted the data yet.
Bram Okonkwo (00:03:12): I remember the empathy interviews. They changed everything!

Interviewer: And the principals?
Odalys Ferreira: Buy-in came slowly... we started small, with one PDSA cycle.
"""
MD = "# Interview, team lead, 2019\n\n**Interviewer:** Why this problem?\n\n**Lena Marsh:** It was right-sized. " \
     "We could test it in a week.\n\n- a list item\n\n> a quote\n"
VTT = """WEBVTT

00:00:01.000 --> 00:00:04.000
<v Interviewer>What did the coach do?

00:00:04.500 --> 00:00:09.000
<v Tomas Reyes>She kept us in the learning zone. We did not jump to solutions.
"""
SRT = """1
00:00:01,000 --> 00:00:03,500
INTERVIEWER: How was the second year?

2
00:00:03,600 --> 00:00:08,000
PRIYA NAIR: Harder. Two principals left, and we lost protected time.
"""
CSV = "speaker,text,time\nInterviewer,What changed?,00:01\nMina Kovac,\"We scaled the exit tickets, slowly.\",00:05\n"
TSV = "speaker\ttext\nInterviewer\tWho joined?\nMina Kovac\tThe math coach, then two teachers.\n"
YAML_CB = """name: Fuzz seed
description: A tiny codebook.
version: 1
codes:
  - id: trust
    name: Trust
    definition: Faith in colleagues and leaders.
    include: [meeting the same people]
    keywords: [trust, rely]
  - id: buy_in
    name: Buy-in
    parent: trust
    definition: Support for the plan.
    color: "#aa3300"
"""
QDC = """<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="fuzz">
  <Codes>
    <Code guid="9b2f8a6e-0d1c-4d1e-8d7e-2f3a4b5c6d7e" name="Trust" isCodable="true" color="#112233">
      <Description>Faith in others.

Include:
- meeting again
Code id: trust</Description>
      <Code guid="1b2f8a6e-0d1c-4d1e-8d7e-2f3a4b5c6d7f" name="Buy-in" isCodable="true"/>
    </Code>
  </Codes>
</CodeBook>
"""
QDE = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Fuzz project" origin="fuzz">
  <Users><User guid="aaaaaaaa-0000-4000-8000-000000000001" name="ana"/></Users>
  <CodeBook><Codes>
    <Code guid="bbbbbbbb-0000-4000-8000-000000000001" name="Trust" isCodable="true"/>
  </Codes></CodeBook>
  <Sources>
    <TextSource guid="cccccccc-0000-4000-8000-000000000001" name="interview" plainTextPath="internal://cccccccc.txt">
      <PlainTextSelection guid="dddddddd-0000-4000-8000-000000000001" startPosition="13" endPosition="40">
        <Coding guid="eeeeeeee-0000-4000-8000-000000000001" creatingUser="aaaaaaaa-0000-4000-8000-000000000001">
          <CodeRef targetGUID="bbbbbbbb-0000-4000-8000-000000000001"/>
        </Coding>
      </PlainTextSelection>
    </TextSource>
  </Sources>
</Project>
"""
QDPX_TEXT = "Interviewer: Why?\n\nAna: We trusted the data after a year. Then we scaled it.\n"


def _docx() -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("Interview with a team lead, 2020")
    p = d.add_paragraph()
    p.add_run("Interviewer:").bold = True
    p.add_run(" How did the closures change the work?")
    p = d.add_paragraph()
    p.add_run("Hollis Grant").bold = True
    p.add_run(" We moved the PDSA cycles online. Trust held.")
    t = d.add_table(rows=3, cols=3)
    for r, row in enumerate([("Time", "Speaker", "Text"), ("00:01", "Interviewer", "And then?"),
                             ("00:04", "Hollis Grant", "Then the second year started.")]):
        for c, v in enumerate(row):
            t.cell(r, c).text = v
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _xlsx() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["speaker", "text", "start"])
    ws.append(["Interviewer", "What did you measure?", "00:00:02"])
    ws.append(["Rafa Lind", "Interim assessments, and exit tickets every week.", "00:00:06"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _qdpx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("project.qde", QDE)
        z.writestr("sources/cccccccc.txt", QDPX_TEXT)
    return buf.getvalue()


def _pdf() -> bytes:
    return pdf_bytes([TXT.splitlines()[:4], TXT.splitlines()[4:]], compress=False)


def seeds() -> dict[str, bytes]:
    """One valid file per target (the key is the file name the reader sees)."""
    return {"t.txt": TXT.encode(), "t.md": MD.encode(), "t.vtt": VTT.encode(), "t.srt": SRT.encode(),
            "t.csv": CSV.encode(), "t.tsv": TSV.encode(), "t.docx": _docx(), "t.xlsx": _xlsx(), "t.pdf": _pdf(),
            "cb.yaml": YAML_CB.encode(), "cb.qdc": QDC.encode(), "p.qdpx": _qdpx()}


INTERESTING = [b"\xef\xbb\xbf", b"\xff", b"\xfe\xff", b"\x00", b"\r", b"\r\n", b"\n\n\n", b"\t", b":", b": ",
               b"-->", b"00:00:00,000 --> 00:00:01,000", b"99:99:99.999", b"<v ", b"</v>", b"[", b"]", b"(", b")",
               b"\"", b"'", b",", b";", b"&amp;", b"&xx;", b"<!DOCTYPE x [<!ENTITY a \"b\">]>", b"<![CDATA[",
               b"]]>", b"<", b">", b"/>", b"=\"", b"-1", b"1e309", b"NaN", b"99999999999999999999", b"1.5",
               b"\xe2\x80\xa8", b"\xcc\x81", b"\xf0\x9f\x98\x80", b"&a;", b"*a", b"&anchor ", b"!!python/object ",
               b"{", b"}", b"- ", b"  ", b"#", b"Interviewer:", b"SPEAKER 1:", b"A2(", b"r=\"ZZ99999999\"",
               b"startPosition=\"abc\"", b"startPosition=\"-5\"", b"endPosition=\"999999\""]
_TEXTY = (".txt", ".md", ".vtt", ".srt", ".csv", ".tsv", ".yaml", ".qdc")


def mutate(data: bytes, rng: random.Random, *, max_run: int = 64) -> bytes:
    """One to four random edits of ``data``. ``max_run`` bounds repeated runs (whitespace...)."""
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(8)
        pos = rng.randrange(len(b) + 1)
        if op == 0 and b:  # flip a bit
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1:  # insert a token
            b[pos:pos] = rng.choice(INTERESTING)
        elif op == 2 and b:  # delete a span
            del b[pos:pos + rng.randint(1, 32)]
        elif op == 3 and b:  # duplicate a span
            a = rng.randrange(len(b))
            chunk = b[a:a + rng.randint(1, 64)]
            b[pos:pos] = chunk * rng.randint(1, 8)
        elif op == 4:  # truncate
            del b[pos:]
        elif op == 5:  # a run of one byte (whitespace runs stress regexes)
            b[pos:pos] = bytes([rng.choice(b" \t\n-:.a0")]) * rng.randint(2, max_run)
        elif op == 6 and b:  # random byte
            b[rng.randrange(len(b))] = rng.randrange(256)
        else:  # replace a token with another
            b[pos:pos + rng.randint(0, 4)] = rng.choice(INTERESTING)
    return bytes(b)


def mutate_zip(data: bytes, rng: random.Random, *, max_run: int = 64) -> bytes:
    """Usually: mutate one member (its XML or text) and zip again; sometimes the raw bytes."""
    if rng.random() < 0.25:
        return mutate(data, rng, max_run=max_run)
    z = zipfile.ZipFile(io.BytesIO(data))
    infos = z.infolist()
    target = rng.choice([i for i in infos if i.filename.endswith((".xml", ".qde", ".txt"))] or infos)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as w:
        for i in infos:
            body = z.read(i)
            if i.filename == target.filename:
                if rng.random() < 0.05:
                    continue  # a missing member
                body = mutate(body, rng, max_run=max_run)
            w.writestr(i.filename, body)
    return out.getvalue()


@dataclass
class Outcome:
    target: str
    status: str  # ok | refused | bad_error | crash
    kind: str = ""
    message: str = ""
    seconds: float = 0.0


def _qualcode_frame(tb) -> str:
    frames = [f for f in traceback.extract_tb(tb) if "/qualcode/" in f.filename.replace("\\", "/")]
    if not frames:
        return "?"
    f = frames[-1]
    return f"{f.filename.replace(chr(92), '/').split('/qualcode/')[-1]}:{f.lineno} {f.name}"


def run_target(name: str, data: bytes) -> None:
    """Feed ``data`` to the reader for ``name`` (raises what the reader raises)."""
    suffix = Path(name).suffix
    if suffix in (".yaml", ".qdc"):
        from qualcode import codebook_io

        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / name
            p.write_bytes(data)
            codebook_io.load_codebook(p)
        return
    if suffix == ".qdpx":
        from qualcode.codebook_io.qdc import codebook_from_codes_element
        from qualcode.export import qdpx

        qdpx.read_qdpx(data, name=name,
                       read_codes=lambda el, known: codebook_from_codes_element(el, file=name, known_guids=known)[0])
        return
    from qualcode import ingest

    ingest.parse_bytes(data, name, max_file_mb=50)


def run_case(name: str, data: bytes) -> Outcome:
    t = time.perf_counter()
    try:
        run_target(name, data)
        out = Outcome(name, "ok")
    except QualcodeError as exc:
        out = Outcome(name, "refused" if exc.hint or getattr(exc, "problems", None) else "bad_error",
                      kind=type(exc).__name__, message=str(exc)[:300])
    except RecursionError as exc:
        out = Outcome(name, "crash", kind=f"RecursionError @ {_qualcode_frame(exc.__traceback__)}",
                      message=str(exc)[:200])
    except Exception as exc:  # noqa: BLE001 - the point: anything else is a crash to report
        out = Outcome(name, "crash", kind=f"{type(exc).__name__} @ {_qualcode_frame(exc.__traceback__)}",
                      message="".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-3:])[-600:])
    out.seconds = time.perf_counter() - t
    return out


def cases(n: int, *, seed: int = 17, max_run: int = 64, only: tuple[str, ...] | None = None):
    """``n`` (case number, file name, bytes) triples, the same for the same seed."""
    rng = random.Random(seed)
    base = seeds()
    names = sorted(k for k in base if only is None or k in only)
    for i in range(n):
        name = names[i % len(names)]
        data = base[name]
        if name.endswith((".docx", ".xlsx", ".qdpx")):
            yield i, name, mutate_zip(data, rng, max_run=max_run)
        else:
            yield i, name, mutate(data, rng, max_run=max_run)

"""Builders for the ingest test files in tests/data/ingest/ (good/ and broken/).

The files are committed; run ``python -m tests.ingest_helpers`` to write them again. Binary
formats (docx, xlsx, pdf) are built here so that what each one contains is readable.
"""

from __future__ import annotations

import io
from pathlib import Path

INGEST = Path(__file__).parent / "data" / "ingest"
GOOD = INGEST / "good"
BROKEN = INGEST / "broken"


def minimal_pdf(lines: list[str] | None) -> bytes:
    """A one-page PDF; with ``lines`` a Helvetica text layer, without them no text (scanned-like)."""
    if lines:
        ops = ["BT", "/F1 11 Tf", "14 TL", "50 780 Td"]
        for ln in lines:
            esc = ln.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({esc}) Tj T*")
        ops.append("ET")
    else:
        ops = ["0.5 g", "50 50 400 600 re f"]  # a grey rectangle: an 'image' of a page
    stream = "\n".join(ops).encode("latin-1")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def bold_docx() -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("Focus group transcript, District North")
    for label, text in [("Facilitator:", " What helped your team most this year?"),
                        ("Maria Lopez", ": The monthly data meetings. We finally looked at the same numbers."),
                        ("Ben:", " Honestly, the coaching. Our coach came every week.")]:
        p = d.add_paragraph()
        r = p.add_run(label)
        r.bold = True
        p.add_run(text)
    d.add_paragraph("It changed how we planned lessons.")  # continuation of Ben's turn
    p = d.add_paragraph()
    p.add_run("Facilitator").bold = True
    p.add_run("\tThank you both.")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def table_docx() -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("Interview 7")
    t = d.add_table(rows=1, cols=3)
    for cell, text in zip(t.rows[0].cells, ["Time", "Speaker", "Text"]):
        cell.text = text
    for row in [("00:00:04", "Interviewer", "Tell me about the first convening."),
                ("00:00:09", "Sam Ortiz", "It was chaotic. But we left with a plan."),
                ("00:01:15", "Interviewer", "What was in the plan?"),
                ("00:01:20", "Sam Ortiz", "Three change ideas, all about feedback.")]:
        cells = t.add_row().cells
        for cell, text in zip(cells, row):
            cell.text = text
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def tab_docx() -> bytes:
    import docx

    d = docx.Document()
    for line in ["Interviewer\tHow did the year start?", "Respondent\tSlowly. We had no data.",
                 "Interviewer\tAnd then?", "Respondent\tThen the team met weekly."]:
        d.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def transcript_xlsx() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Start Time", "Speaker", "Transcript"])
    ws.append(["00:00:01", "Interviewer", "What did the team measure?"])
    ws.append(["00:00:05", "Kim", "Attendance, mostly. Then reading fluency."])
    ws.append([None, None, None])
    ws.append(["00:00:20", "Kim", "We graphed it every week."])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


TEXT_FILES: dict[str, str] = {
    "labels.txt": (
        "Interview with a team lead, spring 2021\n"
        "\n"
        "[00:00:05] Interviewer: How did the team build trust?\n"
        "[00:00:12] Maria Lopez: We met every week. At first it felt like\n"
        "a chore, honestly.\n"
        "\n"
        "Later it became the best hour of the week.\n"
        "Interviewer (00:01:30): What changed?\n"
        "MARIA LOPEZ: The data. We saw our own kids in it!\n"
        "- Interviewer: Say more?\n"
        "Maria Lopez: <b>Exit tickets</b> & run charts; no more guessing.\n"
    ),
    "otter.txt": (
        "Speaker 1  00:01\n"
        "So how did the convening go?\n"
        "\n"
        "Speaker 2  00:04\n"
        "It went well. We tested two change ideas.\n"
        "Both worked, sort of.\n"
        "\n"
        "Speaker 1  01:10\n"
        "Sort of?\n"
    ),
    "nolabels.txt": (
        "We started the year without any shared data. Nobody knew what the others were doing.\n"
        "\n"
        "By spring the team had a weekly meeting and a run chart on the wall.\n"
        "\n"
        "Next year we want the principals in the room too.\n"
    ),
    "alone.md": (
        "# Team lead interview\n"
        "\n"
        "**Interviewer**\n"
        "\n"
        "What was hard this year?\n"
        "\n"
        "**Dana Whitcomb**\n"
        "\n"
        "Time. There was never enough of it.\n"
        "\n"
        "And the turnover; we lost two coaches.\n"
        "\n"
        "INTERVIEWER\n"
        "\n"
        "How did you cope?\n"
        "\n"
        "DANA WHITCOMB\n"
        "\n"
        "We leaned on the network. Other districts shared their plans.\n"
    ),
    "zoom.vtt": (
        "WEBVTT\n"
        "\n"
        "1\n"
        "00:00:01.000 --> 00:00:04.500\n"
        "Facilitator: Welcome, everyone. Let's start with introductions.\n"
        "\n"
        "2\n"
        "00:00:04.600 --> 00:00:07.000\n"
        "Facilitator: Who wants to go first?\n"
        "\n"
        "3\n"
        "00:00:07.500 --> 00:00:12.250\n"
        "Anh Tran: I will. I teach ninth grade math &amp; lead the team.\n"
    ),
    "teams.vtt": (
        "WEBVTT\n"
        "\n"
        "NOTE exported from Teams\n"
        "\n"
        "a1/1-0\n"
        "00:00:02.183 --> 00:00:08.604\n"
        "<v Moderator>Okay, I see six of you.</v>\n"
        "\n"
        "a1/2-0\n"
        "00:00:08.700 --> 00:00:12.000\n"
        "<v Kwame Asante>Straight from class. <c.yellow>Still</c> recovering.</v>\n"
        "\n"
        "a1/2-1\n"
        "00:00:12.100 --> 00:00:15.000\n"
        "<v Kwame Asante>Thirty-one ninth graders.</v>\n"
    ),
    "labels.srt": (
        "1\n"
        "00:00:01,000 --> 00:00:03,000\n"
        "Interviewer: Is this a good time?\n"
        "\n"
        "2\n"
        "00:00:03,500 --> 00:00:06,000\n"
        "Dr. Okafor: Yes. I just got back\n"
        "from the bus barn.\n"
        "\n"
        "3\n"
        "00:00:06,100 --> 00:00:08,000\n"
        "Nobody was hurt.\n"
    ),
    "dash.srt": (
        "1\n"
        "00:00:01,000 --> 00:00:04,000\n"
        "- INTERVIEWER: How did it start?\n"
        "- GRACIELA: With a survey.\n"
        "\n"
        "2\n"
        "00:00:04,500 --> 00:00:07,000\n"
        "- GRACIELA: Then a plan.\n"
    ),
    "nolabel.srt": (
        "1\n00:00:01,000 --> 00:00:02,000\nWe started in August.\n\n"
        "2\n00:00:02,100 --> 00:00:03,000\nEveryone was nervous.\n\n"
        "3\n00:00:09,000 --> 00:00:10,000\nBy winter it was routine.\n"
    ),
    "turns.csv": (
        "timestamp,speaker,utterance\n"
        "00:00:04,Moderator,\"Welcome, everyone.\"\n"
        "00:00:15,Kevin Halvorsen,\"Some of us haven't had dinner yet. [laughs]\"\n"
        "00:00:19,Moderator,\"Oh no, eat on camera.\"\n"
        ",Multiple speakers,[laughter]\n"
    ),
    "semicolon.csv": "Zeit;Sprecher;Text\n1;A;Hallo.\n2;B;Guten Tag.\n",
    "names.txt": (
        "# people and places to replace\n"
        "Maria Lopez, Mari\n"
        "district: Riverside Unified, Riverside USD\n"
        "school: Lincoln Elementary = School Z\n"
    ),
    "sidecar.csv": (
        "file,district,year,date,format\n"
        "labels.txt,Riverside Unified,2021,2021-03-04,interview\n"
        "zoom.vtt,North,2020,2020-11-02,focus group\n"
    ),
}


def write_all() -> None:
    GOOD.mkdir(parents=True, exist_ok=True)
    BROKEN.mkdir(parents=True, exist_ok=True)
    for name, text in TEXT_FILES.items():
        (GOOD / name).write_text(text, encoding="utf-8", newline="\n")
    (GOOD / "qa_bom_crlf.txt").write_bytes(
        b"\xef\xbb\xbf" + "Q: Why did you join the team?\r\nA: Because of Ms. Reyes’s invitation.\r\n"
        "It felt right.\r\nQ: And now?\r\nA: Now I lead it.\r\n".encode("utf-8"))
    (GOOD / "utf16.txt").write_bytes(
        "I: Qué pasó en la primera reunión?\nR: Nadie habló. Después, todos.\n".encode("utf-16"))
    (GOOD / "cp1252.txt").write_bytes(
        "Interviewer: Was it “worth it”?\nJosé: Yes – café meetings every Friday.\n".encode("cp1252"))
    (GOOD / "bold.docx").write_bytes(bold_docx())
    (GOOD / "table.docx").write_bytes(table_docx())
    (GOOD / "tab.docx").write_bytes(tab_docx())
    (GOOD / "transcript.xlsx").write_bytes(transcript_xlsx())
    (GOOD / "text.pdf").write_bytes(minimal_pdf(
        ["Interviewer: How did the first year go?", "Participant: It was hard.",
         "We had no data at all.", "1", "Interviewer: And the second?"]))
    # --- deliberately broken -----------------------------------------------------------
    (BROKEN / "empty.txt").write_bytes(b"")
    (BROKEN / "whitespace.txt").write_bytes(b" \n\n\t \r\n")
    (BROKEN / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (BROKEN / "garbage.docx").write_bytes(b"This is not a Word file, it was renamed.\n")
    (BROKEN / "truncated.docx").write_bytes(bold_docx()[:900])
    (BROKEN / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (BROKEN / "no_text_column.csv").write_text("time,speaker,notes_id\n00:01,Ana,3\n", encoding="utf-8")
    (BROKEN / "attributes_like.csv").write_text("file,district,year\na.txt,North,2021\n", encoding="utf-8")
    (BROKEN / "bad_time.vtt").write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nAna: fine\n\n00:00:0x.000 --> 00:00:04.000\nAna: broken\n",
        encoding="utf-8")
    (BROKEN / "bad_time.srt").write_text(
        "1\n00:00:01,000 --> 00:00:02,000\nAna: fine\n\n2\n00:00:03,000 --> 00:61:04,000\nAna: broken\n\n"
        "3\n00:00:05,000 00:00:06,000\nAna: no arrow\n", encoding="utf-8")
    # captions with no readable time at all: refused, with the offer to import the text only
    (BROKEN / "no_time.vtt").write_text(
        "WEBVTT\n\n00:00:0x.000 --> 00:00:02.000\nAna: fine\n\n00:00:0x.000 --> 00:00:04.000\nAna: broken\n",
        encoding="utf-8")
    (BROKEN / "no_time.srt").write_text(
        "1\n00:00:03,000 --> 00:61:04,000\nAna: broken\n\n2\n00:00:05,000 00:00:06,000\nAna: no arrow\n",
        encoding="utf-8")
    (BROKEN / "not_captions.vtt").write_text("Just some text\nwithout any cue.\n", encoding="utf-8")
    (BROKEN / "interview.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old word")
    (BROKEN / "scanned.pdf").write_bytes(minimal_pdf(None))
    (BROKEN / "labels_only.txt").write_text("Interviewer:\nMaria:\n", encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    write_all()
    print(f"wrote {INGEST}")

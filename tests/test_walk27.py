"""The 27th new-user walk (Chromium), CSV transcripts: a row broken by its quoting was taken in
without a word.

1. A quote opened and never closed swallowed the rows after it into one cell: the participant's
   "I liked it" was shown as the interviewer's (never coded), with a green tick and no warning.
   Such a file is now refused, naming the line where the quote opens; nothing of it is stored.
2. A row with more cells than the header (a comma in the text, no quotes around it) kept only the
   text up to the first comma. Where the text is the last column, the rest is now kept as part of
   the text, with a warning naming the lines; elsewhere the warning says the extra cells are left out.
"""

from __future__ import annotations

import pytest

from qualcode import services
from qualcode.errors import IngestError
from qualcode.services import ingest

WALKED = (b"speaker,text\nInterviewer,\"How was the course?\"\nPat,\"It was good, the tutor was kind\"\n"
          b"Interviewer,\"Unclosed quote here,\nPat,I liked it,extra,column,here\n")


def _turns(data: bytes, name: str = "t.csv") -> list[tuple[str, str]]:
    return [(t.speaker, t.text) for t in ingest.parse_bytes(data, name).raw.turns]


def test_a_quote_never_closed_is_refused_naming_its_line():
    with pytest.raises(IngestError) as err:
        ingest.parse_bytes(WALKED, "broken_rows.csv")
    said = str(err.value)
    assert said.startswith("broken_rows.csv, line 4: a quote (\") opens a cell here and is never closed, "
                           "so line 5 would be read as part of this cell, not as a row of its own"), said
    assert "--" not in said  # no command-line flags: the app shows it as is


def test_a_quote_closed_rows_too_late_is_refused_naming_both_lines():
    data = b"speaker,text\nA,\"open here\nB,next row\nC,\"closed\" after\nD,ok\n"
    with pytest.raises(IngestError) as err:
        ingest.parse_bytes(data, "late.csv")
    assert "late.csv, line 2: a quote (\") opens a cell here and is not closed until line 4, so lines 3, 4" \
        in str(err.value), str(err.value)


def test_quotes_that_spreadsheets_write_or_people_type_still_read():
    # a cell with a line break in it, quotes inside unquoted text, a doubled quote
    data = (b"speaker,text\nA,\"line one\nline two\"\nB,He said \"hi\" to me\n"
            b"C,\"She said \"\"no\"\" then\"\n")
    parsed = ingest.parse_bytes(data, "fine.csv")
    assert [(t.speaker, t.text) for t in parsed.raw.turns] == [
        ("A", "line one line two"), ("B", 'He said "hi" to me'), ("C", 'She said "no" then')]
    assert parsed.problems == []


def test_a_comma_in_unquoted_text_keeps_the_whole_text_with_a_warning():
    data = b"speaker,text\nPat,I liked it, really, a lot\nSam,Fine\nLee,yes,no\n"
    parsed = ingest.parse_bytes(data, "commas.csv")
    assert [(t.speaker, t.text) for t in parsed.raw.turns] == [
        ("Pat", "I liked it, really, a lot"), ("Sam", "Fine"), ("Lee", "yes,no")]
    assert [str(p) for p in parsed.problems] == [
        "commas.csv, line 2: more cells than the header has columns (also line 4): a comma in the text, with "
        "no quotes around it; the extra cells are kept as part of the text. Check the text in the preview"]
    # a semicolon sheet says so
    parsed = ingest.parse_bytes(b"speaker;text\nPat;yes; no\n", "semi.csv")
    assert parsed.raw.turns[0].text == "yes; no"
    assert "a semicolon in the text" in str(parsed.problems[0])


def test_extra_cells_after_a_text_that_is_not_last_are_named():
    parsed = ingest.parse_bytes(b"speaker,text,time\nPat,yes,no,00:01\nSam,fine,00:02\n", "mid.csv")
    assert [t.text for t in parsed.raw.turns] == ["yes", "fine"]
    said = [str(p) for p in parsed.problems]
    assert any(s.startswith("mid.csv, line 2: more cells than the header has columns; the extra cells are "
                            "left out") for s in said), said


def test_a_refused_csv_stores_nothing_and_the_others_import(tmp_path):
    bad, good = tmp_path / "broken_rows.csv", tmp_path / "fine.txt"
    bad.write_bytes(WALKED)
    good.write_bytes(b"Interviewer: How was it?\n\nPat: Good, the tutor was kind.\n")
    ctx = services.init_project(tmp_path / "study", coder="rita")
    try:
        report = ingest.ingest_paths(ctx, [bad, good])
        assert report.counts() == {"ok": 1, "skipped": 0, "failed": 1}
        failed = report.failed[0]
        assert failed.file.endswith("broken_rows.csv") and "line 4: a quote" in str(failed.to_dict()), failed
        assert [d["name"] for d in ingest.list_documents(ctx)] == ["fine"]
    finally:
        ctx.close()

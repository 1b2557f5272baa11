"""Ingest readers: one test per format and per refusal; encodings, labels, roles, segmentation."""

from __future__ import annotations

import re

import codecs

import pytest

from qualcode.errors import IngestError
from qualcode.ingest import parse_bytes, parse_path
from qualcode.ingest.encoding import decode_bytes, detect_encoding
from qualcode.ingest.segment import segment_spans
from qualcode.ingest.speakers import is_generic_label, parse_timestamp, role_for_label, split_label
from qualcode.ingest.subtitles import NoReadableTimes
from tests.ingest_helpers import BROKEN, GOOD


def turns_of(parsed):
    d = parsed.document
    return [(t.speaker, d.text[t.start:t.end]) for t in d.turns]


def roles_of(parsed):
    return {sp.label: sp.role.value for sp in parsed.document.speakers}


def assert_offsets(doc):
    doc.check_offsets()
    for e in doc.excerpts:
        assert doc.text[e.start:e.end] == e.text
        assert e.text == e.text.strip() and e.text
        turn = doc.turns[e.turn_order]
        assert turn.start <= e.start and e.end <= turn.end


@pytest.mark.parametrize("path", sorted(p.name for p in GOOD.iterdir() if p.name not in {"sidecar.csv", "names.txt"}))
def test_every_good_fixture_parses_with_exact_offsets(path):
    parsed = parse_path(GOOD / path)
    assert parsed.document.turns and parsed.document.excerpts
    assert_offsets(parsed.document)


# --- plain text and Markdown ------------------------------------------------------------------

def test_txt_label_shapes_timestamps_and_continuations():
    p = parse_path(GOOD / "labels.txt")
    turns = turns_of(p)
    assert turns[0] == ("Interviewer", "How did the team build trust?")
    assert turns[1][0] == "Maria Lopez"
    # wrapped line joined with a space; the paragraph after a blank line kept as a new line
    assert turns[1][1] == "We met every week. At first it felt like a chore, honestly.\nLater it became the best hour of the week."
    assert turns[2] == ("Interviewer", "What changed?")  # Name (00:01:30): text
    assert [t.start_ms for t in p.document.turns[:3]] == [5000, 12000, 90000]
    assert turns[3] == ("Maria Lopez", "The data. We saw our own kids in it!")  # MARIA LOPEZ merged by case
    assert turns[4] == ("Interviewer", "Say more?")  # "- Interviewer:" dash label
    assert roles_of(p) == {"Interviewer": "interviewer", "Maria Lopez": "participant"}
    # the title line is a header, not a turn, and is reported: as a note, nothing wrong (walk 20: a
    # .docx title made a clean file's preview yellow)
    assert p.document.text.startswith("Interview with a team lead, spring 2021\n\nInterviewer: ")
    assert any("header" in pr.message and pr.severity == "note" for pr in p.problems)
    assert not any("header" in w.message for w in p.warnings)


def test_html_looking_text_is_stored_verbatim():
    p = parse_path(GOOD / "labels.txt")
    assert "<b>Exit tickets</b> & run charts; no more guessing." in p.document.text


def test_txt_otter_style_label_and_time_alone():
    p = parse_path(GOOD / "otter.txt")
    assert turns_of(p) == [("Speaker 1", "So how did the convening go?"),
                           ("Speaker 2", "It went well. We tested two change ideas. Both worked, sort of."),
                           ("Speaker 1", "Sort of?")]
    assert [t.start_ms for t in p.document.turns] == [1000, 4000, 70000]
    assert set(roles_of(p).values()) == {"unknown"}


def test_txt_without_labels_is_one_unknown_speaker_with_warning():
    p = parse_path(GOOD / "nolabels.txt")
    assert {t.speaker for t in p.document.turns} == {"Unknown"}
    assert len(p.document.turns) == 3
    assert roles_of(p) == {"Unknown": "unknown"}
    assert all(e.codable for e in p.document.excerpts)
    assert not p.document.text.startswith("Unknown:")  # no invented label in the text
    assert any("no speaker labels" in pr.message for pr in p.warnings)


def test_md_label_alone_on_its_line_with_paragraphs():
    p = parse_path(GOOD / "alone.md")
    assert turns_of(p) == [
        ("Interviewer", "What was hard this year?"),
        ("Dana Whitcomb", "Time. There was never enough of it.\nAnd the turnover; we lost two coaches."),
        ("Interviewer", "How did you cope?"),
        ("Dana Whitcomb", "We leaned on the network. Other districts shared their plans."),
    ]
    # sentences never cross a paragraph break
    assert "Time." in [e.text for e in p.document.excerpts]
    assert "And the turnover; we lost two coaches." in [e.text for e in p.document.excerpts]


def test_qa_with_bom_and_crlf():
    p = parse_path(GOOD / "qa_bom_crlf.txt")
    assert "\r" not in p.document.text and "\ufeff" not in p.document.text
    assert roles_of(p) == {"Q": "interviewer", "A": "participant"}
    assert turns_of(p)[1] == ("A", "Because of Ms. Reyes’s invitation. It felt right.")


def test_utf16_and_cp1252_are_decoded():
    assert detect_encoding((GOOD / "utf16.txt").read_bytes()) == "utf-16-le"
    p = parse_path(GOOD / "utf16.txt")
    assert turns_of(p)[0] == ("I", "Qué pasó en la primera reunión?")
    assert roles_of(p) == {"I": "interviewer", "R": "participant"}
    assert detect_encoding((GOOD / "cp1252.txt").read_bytes()) == "cp1252"
    p = parse_path(GOOD / "cp1252.txt")
    assert turns_of(p) == [("Interviewer", "Was it “worth it”?"), ("José", "Yes – café meetings every Friday.")]


def test_utf16_without_bom_and_nfc():
    data = "Interviewer: Cafe\u0301?\nAna: Oui.".encode("utf-16-le")
    assert decode_bytes(data) == "Interviewer: Café?\nAna: Oui."


# The walker's file (walk 16): UTF-8 (here plain ASCII) but for a few bad bytes on line 3, two
# of which (\x81, \x8d) no cp1252 text has. It was refused as "line 1: ... not a text transcript".
BROKEN_LINE_3 = (b"Interviewer: How was the summer trip?\nZainab: It was good, we went to the coast.\n"
                 b"Zainab: The caf\xe9 was cheap \xff\xfe and \x81\x8d nice.\nInterviewer: Thanks.\n")


def test_text_with_a_few_bad_bytes_is_read_with_a_warning_at_their_line():
    p = parse_bytes(BROKEN_LINE_3, "2025_north_broken_encoding.txt")
    assert turns_of(p) == [("Interviewer", "How was the summer trip?"),
                           ("Zainab", "It was good, we went to the coast."),
                           ("Zainab", "The caf\ufffd was cheap \ufffd\ufffd and \ufffd\ufffd nice."),
                           ("Interviewer", "Thanks.")]
    assert_offsets(p.document)
    (warning,) = [w for w in p.warnings if "replaced" in w.message]
    assert (warning.file, warning.line) == ("2025_north_broken_encoding.txt", 3)
    said = str(warning)
    assert said.startswith("2025_north_broken_encoding.txt, line 3: ") and "\ufffd" in said
    assert "save the file again as UTF-8" in said and "--" not in said


def test_bad_bytes_on_several_lines_are_named_and_utf8_accents_are_kept():
    """UTF-8 with accents and stray bytes: read as UTF-8 (not cp1252, which would turn every
    "é" into "Ã©"), each line with a replaced byte named."""
    data = "Interviewer: Qué pasó?\nAna: Fue difícil.\n".encode() + b"Ana: Muy \xe9 bien.\nAna: Ya.\nAna: Y \xff.\n"
    p = parse_bytes(data, "mixed.txt")
    assert "Qué pasó?" in p.document.text and "Muy \ufffd bien." in p.document.text
    (warning,) = [w for w in p.warnings if "replaced" in w.message]
    assert warning.line == 3 and "(also on line 5)" in warning.message


def test_a_few_bad_bytes_after_a_bom_are_named_too():
    p = parse_bytes(codecs.BOM_UTF8 + b"Interviewer: Why?\r\nAna: Trust \xff and time.\r\n", "bom.txt")
    assert [(w.line, "replaced" in w.message) for w in p.warnings][:1] == [(2, True)]


def test_clean_files_get_no_replaced_bytes_warning():
    for name in ("cp1252.txt", "utf16.txt", "qa_bom_crlf.txt", "labels.txt"):
        assert not [w for w in parse_path(GOOD / name).warnings if "replaced" in w.message], name


@pytest.mark.parametrize("data, line", [
    (b"Interviewer: Why?\nAna: Trust.\nAna: \x00\x00 time.\n", 3),  # a NUL byte: at its line
    (b"Interviewer: Why?\r\nAna: \x01\x02\x03\x04\x05\x06 time.\r\n", None),  # control characters: the file
])
def test_binary_content_is_refused_at_its_line_or_as_a_whole(data, line):
    with pytest.raises(IngestError, match="not a text transcript") as info:
        parse_bytes(data, "x.txt")
    assert info.value.line == line


@pytest.mark.parametrize("head, kind", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01", "a PNG image"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "a JPEG image"),
    (b"PK\x03\x04\x14\x00\x06\x00", "a zipped file (a Word .docx, an Excel .xlsx or a .zip)"),
    (b"%PDF-1.7\n%\xe2\xe3", "a PDF"),
])
def test_a_file_of_another_kind_renamed_txt_is_named_for_what_it_is(head, kind):
    """Walk 45: a photo renamed .txt was refused as "photo_notes.txt, line 3: this is not a text
    transcript": a line of an image means nothing. Its first bytes say what it is: the whole file."""
    with pytest.raises(IngestError, match=f"^photo_notes.txt: this is {re.escape(kind)}, not a text transcript") as info:
        parse_bytes(head + bytes(range(256)) * 4, "photo_notes.txt")
    assert info.value.line is None


# --- Word, PDF, tables, captions ----------------------------------------------------------------

def test_docx_bold_labels_colon_outside_and_tab():
    p = parse_path(GOOD / "bold.docx")
    assert turns_of(p) == [
        ("Facilitator", "What helped your team most this year?"),
        ("Maria Lopez", "The monthly data meetings. We finally looked at the same numbers."),
        ("Ben", "Honestly, the coaching. Our coach came every week.\nIt changed how we planned lessons."),
        ("Facilitator", "Thank you both."),
    ]
    assert roles_of(p)["Facilitator"] == "facilitator"


def test_docx_three_column_table():
    p = parse_path(GOOD / "table.docx")
    assert turns_of(p)[1] == ("Sam Ortiz", "It was chaotic. But we left with a plan.")
    assert [t.start_ms for t in p.document.turns] == [4000, 9000, 75000, 80000]


def test_docx_tab_separated_labels():
    p = parse_path(GOOD / "tab.docx")
    assert roles_of(p) == {"Interviewer": "interviewer", "Respondent": "participant"}
    assert len(p.document.turns) == 4


def test_pdf_with_text_layer_drops_page_numbers():
    p = parse_path(GOOD / "text.pdf")
    assert turns_of(p) == [("Interviewer", "How did the first year go?"),
                           ("Participant", "It was hard. We had no data at all."),
                           ("Interviewer", "And the second?")]


def test_csv_columns_detected_and_roles():
    p = parse_path(GOOD / "turns.csv")
    assert [t.start_ms for t in p.document.turns] == [4000, 15000, 19000, None]
    assert roles_of(p) == {"Moderator": "facilitator", "Kevin Halvorsen": "participant",
                           "Multiple speakers": "unknown"}
    assert turns_of(p)[1] == ("Kevin Halvorsen", "Some of us haven't had dinner yet. [laughs]")


def test_csv_explicit_column_names_and_semicolons():
    p = parse_path(GOOD / "semicolon.csv", speaker_column="Sprecher", text_column="Text")
    assert turns_of(p) == [("A", "Hallo."), ("B", "Guten Tag.")]
    with pytest.raises(IngestError, match="no column named 'Rede'"):
        parse_path(GOOD / "semicolon.csv", text_column="Rede")


def test_xlsx_one_turn_per_row():
    p = parse_path(GOOD / "transcript.xlsx")
    assert turns_of(p) == [("Interviewer", "What did the team measure?"),
                           ("Kim", "Attendance, mostly. Then reading fluency."), ("Kim", "We graphed it every week.")]
    assert p.document.turns[2].start_ms == 20000


def test_vtt_zoom_cues_merge_and_keep_ms():
    p = parse_path(GOOD / "zoom.vtt")
    d = p.document
    assert turns_of(p)[0] == ("Facilitator", "Welcome, everyone. Let's start with introductions. Who wants to go first?")
    assert (d.turns[0].start_ms, d.turns[0].end_ms) == (1000, 7000)
    assert turns_of(p)[1][1] == "I will. I teach ninth grade math & lead the team."


def test_vtt_teams_voice_tags():
    p = parse_path(GOOD / "teams.vtt")
    assert turns_of(p) == [("Moderator", "Okay, I see six of you."),
                           ("Kwame Asante", "Straight from class. Still recovering. Thirty-one ninth graders.")]
    assert (p.document.turns[1].start_ms, p.document.turns[1].end_ms) == (8700, 15000)


def test_srt_labels_and_unlabelled_continuation():
    p = parse_path(GOOD / "labels.srt")
    assert turns_of(p)[1] == ("Dr. Okafor", "Yes. I just got back from the bus barn. Nobody was hurt.")
    p = parse_path(GOOD / "dash.srt")
    assert turns_of(p) == [("INTERVIEWER", "How did it start?"), ("GRACIELA", "With a survey. Then a plan.")]
    assert roles_of(p) == {"INTERVIEWER": "interviewer", "GRACIELA": "participant"}


def test_srt_without_labels_splits_at_pauses():
    p = parse_path(GOOD / "nolabel.srt")
    assert turns_of(p) == [("Unknown", "We started in August. Everyone was nervous."),
                           ("Unknown", "By winter it was routine.")]
    assert p.warnings


# --- refusals: file, line and what to do ------------------------------------------------------

@pytest.mark.parametrize("name, line, message, hint", [
    ("empty.txt", 1, "the file is empty", "right file"),
    ("whitespace.txt", 1, "the file is empty", "right file"),
    ("binary.txt", 1, "not a text transcript", "export the transcript"),
    ("garbage.docx", None, "not a readable Word .docx file", "save it again"),
    ("truncated.docx", None, "not a readable Word .docx file", "save it again"),
    ("broken.xlsx", None, "not a readable Excel", "save it again"),
    ("no_text_column.csv", 1, "no text column found (columns: time, speaker, notes_id)", "--text-column"),
    ("attributes_like.csv", 1, "looks like an attributes file", "--attributes"),
    ("no_time.vtt", 3, "no cue time in the file can be read: cue timing '00:00:0x.000 --> 00:00:02.000' "
                       "cannot be read (and 1 more)", "import the text without times"),
    ("no_time.srt", 2, "no cue time in the file can be read", "fix the timing lines"),
    ("not_captions.vtt", 1, "not a WebVTT caption file", "rename it"),
    ("interview.doc", None, "unsupported file type '.doc'", "save it from Word as .docx"),
    ("scanned.pdf", None, "no text layer", "OCR"),
    ("labels_only.txt", 1, "no speech found", "check that the file"),
])
def test_broken_files_are_refused_with_file_line_and_hint(name, line, message, hint):
    with pytest.raises(IngestError) as info:
        parse_path(BROKEN / name)
    exc = info.value
    assert message in exc.message
    assert exc.file and exc.file.endswith(name)
    assert exc.line == line
    assert hint.lower() in (exc.hint or "").lower()
    assert name in str(exc)


def test_a_table_without_a_text_column_points_the_app_user_to_the_survey_import():
    """A survey sheet dropped on the transcript uploader: the app's message says where surveys go
    (a new user got "no text column found" and "Import 0 files", with no way on)."""
    with pytest.raises(IngestError) as info:
        parse_path(BROKEN / "no_text_column.csv")
    app = info.value.for_app()
    assert "Survey spreadsheet" in app and "--" not in app


def test_captions_without_any_readable_time_list_every_bad_cue():
    with pytest.raises(NoReadableTimes) as info:
        parse_path(BROKEN / "no_time.srt")
    assert [p.line for p in info.value.problems] == [2, 6]
    assert "(and 1 more)" in info.value.message


@pytest.mark.parametrize("name, turns, warned", [
    ("bad_time.vtt", [("Ana", "fine broken", 1000, 2000)],
     [(6, "cue timing '00:00:0x.000 --> 00:00:04.000' cannot be read; its words are kept, without a time, "
          "after the cue at 0:01")]),
    ("bad_time.srt", [("Ana", "fine broken no arrow", 1000, 2000)],
     [(6, "cue timing '00:00:03,000 --> 00:61:04,000' cannot be read; its words are kept"),
      (10, "cue timing '00:00:05,000 00:00:06,000' cannot be read (no '-->'); its words are kept")]),
])
def test_captions_with_some_unreadable_times_are_read(name, turns, warned):
    """Issue 15: every cue with a readable time is imported, the words of the others are kept
    in place without a time, and a warning names each line."""
    parsed = parse_path(BROKEN / name)
    doc = parsed.document
    assert [(t.speaker, doc.text[t.start:t.end], t.start_ms, t.end_ms) for t in doc.turns] == turns
    doc.check_offsets()
    got = [(w.line, w.message) for w in parsed.warnings if "cue timing" in w.message]
    assert len(got) == len(warned)
    for (line, message), (want_line, want) in zip(got, warned):
        assert line == want_line and message.startswith(want)
    assert all(w.file.endswith(name) for w in parsed.warnings)


def test_file_over_the_size_limit(tmp_path, monkeypatch):
    big = tmp_path / "big.txt"
    big.write_text("Interviewer: hello there.\n" * 50_000, encoding="utf-8")  # ~1.3 MB
    with pytest.raises(IngestError, match="over the 1 MB limit") as info:
        parse_path(big, max_file_mb=1)
    assert "max_file_mb" in info.value.hint
    monkeypatch.setenv("QUALCODE_MAX_FILE_MB", "1")
    with pytest.raises(IngestError, match="over the 1 MB limit"):
        parse_path(big)
    with pytest.raises(IngestError, match="over the 1 MB limit"):
        parse_bytes(big.read_bytes(), "big.txt")


def test_unsupported_extension_from_upload():
    with pytest.raises(IngestError, match="unsupported file type '.rtf'"):
        parse_bytes(b"{\\rtf1 hello}", "notes.rtf")


def test_unsupported_type_is_said_in_plain_words_with_the_kinds_read():
    """What the app says of a file no reader takes, from its name alone (walk 16: Streamlit's
    "application/rtf files are not allowed"): what to do, and the kinds read, from FORMATS."""
    from qualcode.ingest import FORMATS, unsupported_type

    said = unsupported_type("notes.rtf").for_app()
    assert said.startswith("notes.rtf: qualcode can't read .rtf files. Save it as .docx or .txt "
                           "(in Word: File > Save As) and import that"), said
    assert all(ext in said for ext in FORMATS)
    pages = unsupported_type("mentor_log.pages").for_app()
    assert pages.startswith("mentor_log.pages: qualcode can't read .pages files. Export it as .docx "
                            "(in Pages: File > Export To > Word)"), pages
    other = unsupported_type("photo.PNG").for_app()
    assert other.startswith("photo.PNG: qualcode can't read .png files. Save the transcript as .txt, "), other
    assert "no extension" not in other and "--" not in said + pages + other
    assert "without an extension" in unsupported_type("README").for_app()
    assert all(unsupported_type(f"a{ext.upper()}") is None for ext in FORMATS)


# --- labels, roles, timestamps, segmentation --------------------------------------------------

@pytest.mark.parametrize("line, label, rest, ms", [
    ("Maria: hello", "Maria", "hello", None),
    ("MARIA LOPEZ: hello", "MARIA LOPEZ", "hello", None),
    ("[00:12:03] Interviewer: Go on.", "Interviewer", "Go on.", 723000),
    ("Interviewer (00:12:03): Go on.", "Interviewer", "Go on.", 723000),
    ("**Dana:** Yes.", "Dana", "Yes.", None),
    ("- INTERVIEWER: Why?", "INTERVIEWER", "Why?", None),
    ("Speaker 1  00:01", "Speaker 1", "", 1000),
    ("Q. Why?", "Q", "Why?", None),
    ("Interviewer\tWhy?", "Interviewer", "Why?", None),
])
def test_label_shapes(line, label, rest, ms):
    m = split_label(line)
    assert m is not None and (m.label, m.rest, m.ms) == (label, rest, ms)


@pytest.mark.parametrize("line", [
    "So what I said was: we need data.", "Note: the recorder stopped.", "Date: 2021-03-04",
    "The time was 10:30 when we started.", "see https://example.org", "Well, okay: fine.",
])
def test_prose_is_not_a_label(line):
    assert split_label(line) is None


@pytest.mark.parametrize("label, role", [
    ("Interviewer", "interviewer"), ("Q", "interviewer"), ("I", "interviewer"), ("Coach", "interviewer"),
    ("Facilitator", "facilitator"), ("Moderator", "facilitator"), ("A", "participant"), ("R", "participant"),
    ("Maria Lopez", "participant"), ("Respondent 2", "participant"), ("Speaker 3", "unknown"),
    ("Interviewer 2", "interviewer"), ("Jane (Interviewer)", "interviewer"),
])
def test_roles_from_labels(label, role):
    assert role_for_label(label) == role


def test_generic_labels_are_not_names():
    assert is_generic_label("Interviewer") and is_generic_label("Speaker 2") and is_generic_label("P3")
    assert not is_generic_label("Maria Lopez") and not is_generic_label("Al")


def test_timestamps():
    assert parse_timestamp("1:02:03") == 3723000
    assert parse_timestamp("00:00:05,250") == 5250
    assert parse_timestamp("99:99") is None


def test_sentence_and_turn_units_trim_and_slice_back():
    text = "A:   First one.  Second one?  \n  Third!  "
    ex = segment_spans(text, [(3, len(text), 0)])
    assert [e.text for e in ex] == ["First one.", "Second one?", "Third!"]
    assert all(text[e.start:e.end] == e.text for e in ex)
    ex = segment_spans(text, [(3, len(text), 0)], unit="turn")
    assert [e.text for e in ex] == ["First one.  Second one?  \n  Third!"]


def test_turn_unit_and_codable_roles_via_parse():
    p = parse_bytes(b"Interviewer: Why? Tell me.\nAna: Trust. Time.", "x.txt", unit="turn")
    assert [(e.text, e.codable) for e in p.document.excerpts] == [("Why? Tell me.", False), ("Trust. Time.", True)]
    p = parse_bytes(b"Interviewer: Why?\nAna: Trust.", "x.txt", codable_roles=("interviewer",))
    assert [e.codable for e in p.document.excerpts] == [True, False]


def test_encoding_bom_names():
    assert detect_encoding(codecs.BOM_UTF8 + b"hi") == "utf-8-sig"
    assert detect_encoding(codecs.BOM_UTF16_BE + "hi".encode("utf-16-be")) == "utf-16-be"


def test_a_stray_label_in_long_prose_does_not_make_a_transcript():
    text = "\n\n".join(["First paragraph.", "Second one.", "Third.", "Fourth.", "Example Title: not a speaker.",
                       "Sixth."])
    p = parse_bytes(text.encode(), "essay.txt")
    assert {t.speaker for t in p.document.turns} == {"Unknown"} and len(p.document.turns) == 6


# --- de-identification building blocks ------------------------------------------------------------

def test_names_file_format_and_errors():
    from qualcode.ingest.deidentify import parse_names

    entries = parse_names((GOOD / "names.txt").read_text(encoding="utf-8"))
    assert [(e.kind, e.real, e.aliases, e.pseudonym) for e in entries] == [
        ("person", "Maria Lopez", ["Mari"], None),
        ("district", "Riverside Unified", ["Riverside USD"], None),
        ("school", "Lincoln Elementary", [], "School Z"),
    ]
    with pytest.raises(IngestError, match="unknown kind 'county'") as info:
        parse_names("Ana\ncounty: Kern", file="names.txt")
    assert info.value.line == 2


def test_offset_map_keeps_boundaries_valid():
    from qualcode.ingest.deidentify import Matcher, NameEntry, PseudonymKey, replace_names

    text = "Ana said hi. Then Bob Stone spoke; Ana's turn."
    key = PseudonymKey()
    m = Matcher.build(key, [NameEntry("person", "Ana Ruiz"), NameEntry("person", "Bob Stone")])
    new, reps, omap = replace_names(text, m)
    assert new == "Participant 1 said hi. Then Participant 2 spoke; Participant 1's turn."
    # sentence boundaries map onto the same sentences
    for s, e in [(0, 12), (13, 33), (34, len(text))]:
        assert new[omap(s):omap(e, end=True)].split()[-1] == text[s:e].split()[-1]
    # a boundary inside a name snaps to the name's edges
    assert omap(19) == new.index("Participant 2") and omap(19, end=True) == new.index("Participant 2") + 13


def test_this_documents_speaker_wins_a_shared_first_name_and_titles_are_dropped():
    from qualcode.core import Role
    from qualcode.ingest.deidentify import PseudonymKey, deidentify

    key = PseudonymKey([("person", "Dana", "Participant 5")])  # another Dana, from an earlier document
    doc = parse_bytes(b"Interviewer: Thanks, Dana. And Dr. Okafor?\nDana Whitcomb: Okafor agreed.", "x.txt").document
    doc.speakers.append(type(doc.speakers[0])(label="Dr. Okafor", role=Role.PARTICIPANT))
    out = deidentify(doc, key).document
    # new pseudonyms take the first free numbers; the earlier Dana keeps Participant 5
    assert out.text == ("Interviewer: Thanks, Participant 1. And Participant 2?\n\n"
                        "Participant 1: Participant 2 agreed.")


def test_sentence_split_keeps_opening_brackets_with_the_next_sentence():
    text = "I did tell you. [laughter] No, really. He said \u201cfine.\u201d (Laughs) Okay."
    ex = segment_spans(text, [(0, len(text), 0)])
    assert [e.text for e in ex] == [
        "I did tell you.", "[laughter] No, really.", "He said \u201cfine.\u201d", "(Laughs) Okay."]
    assert all(text[e.start:e.end] == e.text for e in ex)


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_csv_transcript_keeps_doubled_quotes_and_the_rest_of_the_cell(sep):
    """A quote inside a quoted cell is written twice by every spreadsheet; sniffing the quoting
    from the unquoted header used to read 'She said "no"' and drop the rest of the turn."""
    data = (f"speaker{sep}text\nInterviewer{sep}What happened?\n"
            f'Ana{sep}"She said ""no"" to the plan{sep} then ""yes""."\n').encode()
    doc = parse_bytes(data, "turns.csv").document
    assert [doc.text[t.start:t.end] for t in doc.turns] == ["What happened?",
                                                          f'She said "no" to the plan{sep} then "yes".']
    doc.check_offsets()


def test_a_table_without_a_speaker_column_says_what_to_do_without_a_command_line_flag():
    """Walk 16: the app's import preview told a user to "name it with --speaker-column"."""
    from qualcode.ingest import read_raw

    raw, _fmt = read_raw(b"text\nWe met every week.\nIt helped.\n", "notes.csv")
    said = [p.message for p in raw.problems if "no speaker column" in p.message]
    assert len(said) == 1 and "--" not in said[0] and '"speaker"' in said[0], said


def test_deidentify_leaves_ordinary_words_and_survey_questions_and_removes_phones_and_emails():
    """Walk 35: "Big Rich" and "Harbor Print Shop" (a names list) turned every "big" and "shop" into
    a pseudonym; a survey's questions (its "speakers") became "Participant 15"; four phone numbers
    reached the exports."""
    from qualcode.ingest.deidentify import Matcher, NameEntry, PseudonymKey, deidentify, replace_names
    from tests.conftest import make_document

    key = PseudonymKey()
    m = Matcher.build(key, [NameEntry("person", "Big Rich"), NameEntry("person", "Harbor Print Shop"),
                            NameEntry("person", "Tyrese Brooks")])
    text = ("The big one at Big Rich's stand; Rich said the print shop on Fifth, Harbor Print Shop, hired me. "
            "tyrese brooks and Tyrese came; call 555-203-8841 or (555) 417-9920, or write to t.brooks@mail.org.")
    new, reps, omap = replace_names(text, m)
    assert new == ("The big one at Participant 1's stand; Participant 1 said the print shop on Fifth, Participant 2, "
                   "hired me. Participant 3 and Participant 3 came; call [phone number] or [phone number], or "
                   "write to [e-mail address].")
    assert "2023-2024" in replace_names("in 2023-2024 we met 1,250 students at 10:30", m)[0]
    survey = make_document("survey · R001", [("What did your mentor do for you?", "participant",
                                              "Ms. Patel called me at 555-318-6674 every week.")])
    survey.format = "survey"
    out = deidentify(survey, PseudonymKey(), names=[NameEntry("person", "Ms. Patel")]).document
    assert [sp.label for sp in out.speakers] == ["What did your mentor do for you?"]
    assert out.excerpts[0].text == "Participant 1 called me at [phone number] every week."

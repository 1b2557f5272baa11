"""The attributes table and the survey sheet read their CSV as the transcripts do (walk 27): a
quote that opens a cell and is never closed (or is closed rows too late) is refused, naming the
line where it opens, in words a user can act on.

Before: an attributes table with ``ana.txt,"North`` gave ana the site "North\\nben.txt,South…"
and ben no row at all, without a word; with one more column it blamed the last line for its
count of values. A survey said "broken CSV: unexpected end of data" (Python's words).
"""

from __future__ import annotations

import pytest

from qualcode.errors import IngestError
from qualcode.ingest.attributes import load_sidecar
from qualcode.services import survey as svc
from qualcode.services.ui_support import sidecar_attributes

OPENS = "line 2: a quote (\") opens a cell here and is never closed, so lines 3, 4 would be read as part " \
        "of this cell, not as rows of their own"


@pytest.mark.parametrize("table", [
    b'file,site\nana.txt,"North\nben.txt,South\ncara.txt,East\n',  # the last column: it read silently
    b'file,site,year\nana.txt,"North,2024\nben.txt,South,2025\ncara.txt,East,2025\n',  # blamed line 4
])
def test_an_attributes_table_with_a_quote_never_closed_is_refused_where_it_opens(tmp_path, table):
    path = tmp_path / "sites.csv"
    path.write_bytes(table)
    with pytest.raises(IngestError) as err:
        load_sidecar(path)
    assert str(err.value) == f"{path}, {OPENS}. Close the quote at the end of that cell (or remove it), " \
                             "then import the file again."
    with pytest.raises(IngestError) as err:  # the Import page's reading: the upload's name, the app's words
        sidecar_attributes(table, "sites.csv", ["ana.txt", "ben.txt", "cara.txt"])
    assert err.value.for_app() == f"sites.csv, {OPENS}. Close the quote at the end of that cell (or remove " \
                                  "it), then upload the table again."


def test_a_quote_never_closed_on_the_last_line_is_said_as_such(tmp_path):
    """Walk 45: on the table's last line, ``photo.txt,"Riverside,2024`` ran to the end of the file on
    that one line and was read as "line 5 has 2 values", the quote unsaid."""
    table = b'file,site,year\nana.txt,North,2024\nphoto.txt,"Riverside,2024\n'
    path = tmp_path / "sites.csv"
    path.write_bytes(table)
    with pytest.raises(IngestError) as err:
        load_sidecar(path)
    assert str(err.value).startswith(f"{path}, line 3: a quote (\") opens a cell here and is never closed, so "
                                     "the rest of the line would be read as one cell. Close the quote")
    with pytest.raises(IngestError) as err:
        sidecar_attributes(table, "sites.csv", ["ana.txt", "photo.txt"])
    assert err.value.for_app().startswith("sites.csv, line 3: a quote")
    with pytest.raises(IngestError, match="line 4: a quote"):  # a survey's last answer too
        svc.parse_survey(b'id,Q\nr1,Fine\nr2,Good\nr3,"I liked it\n', "answers.csv", questions=["Q"])
    # a stray quote inside a cell on the last line still reads as written
    path.write_bytes(b'file,site,note\nana.txt,North,said "yes"\n')
    assert load_sidecar(path).documents["ana.txt"]["note"].value == 'said "yes"'


def test_an_attributes_table_keeps_a_value_on_two_lines_and_a_stray_quote(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_bytes(b'file,site,note\nana.txt,North,"two\nlines"\nben.txt,South,said "yes"\n')
    car = load_sidecar(path)
    assert car.documents["ana.txt"]["note"].value == "two\nlines"
    assert car.documents["ben.txt"]["note"].value == 'said "yes"'
    assert car.rows["ben.txt"] == ("ben.txt", 4)  # its line in the file, after the two-line cell


def test_a_survey_with_a_quote_never_closed_is_refused_in_words():
    data = b'id,Q,site\nr1,"I liked it,North\nr2,Great,South\nr3,Fine,East\n'
    with pytest.raises(IngestError) as err:
        svc.parse_survey(data, "answers.csv", questions=["Q"])
    assert str(err.value).startswith(f"answers.csv, {OPENS}. "), str(err.value)


def test_a_survey_quote_closed_a_row_too_late_names_both_lines():
    data = b'id,Q,site\nr1,"I liked it,North\nr2,"Great",South\nr3,Fine,East\n'
    with pytest.raises(IngestError) as err:
        svc.parse_survey(data, "answers.csv", questions=["Q"])
    assert "answers.csv, line 2: a quote (\") opens a cell here and is not closed until line 3" in str(err.value)


def test_a_survey_answer_on_several_lines_still_reads():
    data = b'id,Q\nr1,"First line.\nSecond line."\nr2,Short\n'
    parsed = svc.parse_survey(data, "answers.csv", questions=["Q"])
    assert len(parsed.documents) == 2
    assert [e.text for e in parsed.documents[0].excerpts] == ["First line. Second line."]

"""Open-ended surveys: reading a sheet, importing it whole, and every analysis by question,
respondent and attribute through the Python API; the grid's read model; the CLI."""

from __future__ import annotations

import io
import json
from copy import deepcopy

import pytest
from click.testing import CliRunner

import qualcode
from qualcode import services
from qualcode.cli import main
from qualcode.errors import IngestError
from qualcode.ingest.survey import build_survey, read_table
from qualcode.services import coding, team
from qualcode.services import export as export_svc
from qualcode.services import survey as svc
from qualcode.services.ingest import AlreadyImported
from qualcode.services.ingest import show_document
from qualcode.storage import documents as doc_store
from qualcode.storage import surveys as survey_store
from qualcode.storage import training
from tests.conftest import SAMPLES
from tests.pg_helpers import db_url, pg_server  # noqa: F401

SAMPLE = SAMPLES / "_surveys" / "convening_survey_2018_2021.csv"
USEFUL = "What was most useful?"
CHANGE = "What would you change?"

# Six invented respondents: two districts, two years, two roles; one left both questions blank.
SMALL = f"""Respondent,District,Role,Year,{USEFUL},{CHANGE}
r1,North Ridge,team member,2018,Meeting the same people at every convening built trust.,More time with our team.
r2,North Ridge,team lead,2018,The run charts showed our data clearly.,Less sitting.
r3,South Fork,team member,2021,"Our coach helped us, honestly.",
r4,South Fork,team lead,2021,,We need buy-in from principals before we start.
r5,North Ridge,team member,2021,Trust between districts grew over the year.,Nothing.
r6,South Fork,team member,2018,,
"""


def small_survey(**kw):
    return svc.parse_survey(SMALL.encode(), "fall.csv", questions=[USEFUL, CHANGE], **kw)


@pytest.fixture
def surveyed(project):
    svc.save_survey(project, small_survey())
    return project


def answer_id(ctx, respondent: str, question: str) -> int:
    rows = svc.survey_grid(ctx, "fall").rows
    hit = rows[(rows["respondent"] == respondent) & (rows["question"] == question)]
    return int(hit["excerpt_id"].iloc[0])


# --- reading --------------------------------------------------------------------------------

def test_one_document_per_respondent_one_excerpt_per_answer_offsets_exact():
    parsed = small_survey()
    assert [d.name for d in parsed.documents] == [f"fall · r{i}" for i in range(1, 6)]  # r6 answered nothing
    assert parsed.answers == 8 and parsed.id_column == "Respondent"
    assert parsed.attributes == ["district", "role", "year"]
    assert any("r6" not in str(p) and "line 7" in str(p) for p in parsed.problems)
    d4 = parsed.documents[3]
    assert [(t.speaker, d4.text[t.start:t.end]) for t in d4.turns] == [
        (CHANGE, "We need buy-in from principals before we start.")]
    for d in parsed.documents:
        d.check_offsets()
        assert d.format == "survey" and all(e.codable for e in d.excerpts)
        assert len(d.excerpts) == len(d.turns)
        assert {k: a.value for k, a in d.attributes.items()}.keys() >= {"survey", "respondent", "district", "year"}
        assert all(sp.attributes["question"].value == sp.label for sp in d.speakers)
    assert len({d.content_hash for d in parsed.documents}) == 5


def test_rows_are_numbered_without_an_id_column_and_xlsx_reads_like_csv():
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["District", "Year", "Why?"])
    ws.append(["East", 2021, "Because the principals came along."])
    ws.append(["West", 2018.0, None])
    ws.append(["West", 2018, "The data."])
    buf = io.BytesIO()
    wb.save(buf)
    parsed = svc.parse_survey(buf.getvalue(), "s.xlsx", questions=["why?"])
    assert [d.attributes["respondent"].value for d in parsed.documents] == ["R0001", "R0003"]
    assert parsed.documents[1].attributes["year"].value == "2018"


@pytest.mark.parametrize("data, kw, line, words", [
    (SMALL, {"questions": []}, 1, "no open question"),
    (SMALL, {"questions": ["Most useful"]}, 1, "no column named 'Most useful'"),
    (SMALL, {"questions": [USEFUL], "id_column": "District"}, 3, "appears twice"),
    (SMALL, {"questions": [USEFUL], "attributes": [USEFUL]}, 1, "both as a question and as an attribute"),
    ("id,Q,q\n1,a,b\n", {"questions": ["Q"]}, 1, "two columns are named"),
    ("id,Q\n", {"questions": ["Q"]}, 2, "no respondents"),
    ("id,Q,District\n1,,North\n", {"questions": ["Q"]}, 2, "no answers"),
    ('id,Q\n1,"never closed\n2,x\n', {"questions": ["Q"]}, 2, "is never closed"),
])
def test_refusals_name_the_file_the_line_and_what_to_do(data, kw, line, words):
    with pytest.raises(IngestError) as exc:
        svc.parse_survey(data.encode(), "bad.csv", **kw)
    e = exc.value
    assert words in e.message and e.file == "bad.csv" and e.hint
    if line is not None:
        assert e.line == line
    assert "--" not in (e.hint or "")  # the app shows these: no CLI flags


def test_guesses_the_open_questions_and_the_id_column():
    table = read_table(SAMPLE.read_bytes(), SAMPLE.name)
    assert len(table.rows) >= 200 and table.guess_id_column() == "Respondent ID"
    assert len(table.guess_questions()) == 3 and "District" not in table.guess_questions()


def test_a_qualtrics_export_and_doubled_quotes():
    """Qualtrics writes the question texts and a row of import ids under the header; neither
    is a respondent. A quote inside a quoted cell is written twice ("") by every spreadsheet."""
    sheet = (
        "StartDate,ResponseId,District,Q1,Q2_TEXT\n"
        '"Start Date","Response ID","District","What was most useful?","What would you change?"\n'
        '"{""ImportId"":""startDate"",""timeZone"":""America/Denver""}","{""ImportId"":""_recordId""}",'
        '"{""ImportId"":""QID1""}","{""ImportId"":""QID2""}","{""ImportId"":""QID3_TEXT""}"\n'
        'x,R_1a,North Ridge,"The ""data walk"" with the other districts, start to finish.",Shorter days.\n'
        "x,R_2b,South Fork,Our coach sat with us for the whole afternoon.,More time with our team.\n")
    table = read_table(sheet.encode(), "qualtrics.csv")
    assert table.columns == ["Start Date", "Response ID", "District", USEFUL, CHANGE]
    assert [n for n, _ in table.rows] == [4, 5]
    assert table.rows[0][1][3] == 'The "data walk" with the other districts, start to finish.'
    assert table.guess_id_column() == "Response ID"
    assert [(p.line, p.severity) for p in table.problems] == [(2, "warning")]
    assert "Qualtrics" in table.problems[0].message
    parsed = svc.parse_survey(sheet.encode(), "qualtrics.csv", questions=[USEFUL, CHANGE])
    assert parsed is not None
    # an ordinary second row is a respondent
    plain = read_table(b"Respondent,Answer\nr1,Time with my team\nr2,\"A \"\"short\"\" day\"\n", "p.csv")
    assert [r[1] for _, r in plain.rows] == ["Time with my team", 'A "short" day'] and not plain.problems


def test_a_surveymonkey_export():
    """SurveyMonkey's second header row (answer types, options of a multiple-choice question
    whose other columns have no name) is not a respondent; options name their columns."""
    sheet = ("Respondent ID,Collector ID,District,Which role?,,,What was most useful?,What would you change?\n"
             ",,Response,Team member,Team lead,Other (please specify),Open-Ended Response,Open-Ended Response\n"
             "11501,4412,North Ridge,Team member,,,Meeting the same people at every convening.,Shorter days.\n"
             "11502,4412,South Fork,,Team lead,,Our coach helped us narrow the problem.,\n")
    table = read_table(sheet.encode(), "monkey.csv")
    assert table.columns == ["Respondent ID", "Collector ID", "District", "Which role?: Team member",
                             "Which role?: Team lead", "Which role?: Other (please specify)", USEFUL, CHANGE]
    assert [n for n, _ in table.rows] == [3, 4] and table.guess_id_column() == "Respondent ID"
    assert [(p.line, p.severity) for p in table.problems] == [(2, "warning")]
    parsed = svc.parse_survey(sheet.encode(), "monkey.csv", questions=[USEFUL, CHANGE])
    assert sorted(d.attributes["respondent"].value for d in parsed.documents) == ["11501", "11502"]
    with pytest.raises(IngestError, match="column 2 has no name"):  # an ordinary sheet still must name columns
        read_table(b"Respondent,,Answer\nr1,x,Time with my team\n", "p.csv")


# --- storing ----------------------------------------------------------------------------------

def test_import_is_whole_or_nothing_and_refuses_a_second_copy(project, monkeypatch):
    real = survey_store.add_documents

    def written_then_failing(s, docs, **kw):
        real(s, docs, **kw)  # every row is written in the transaction, then something fails
        raise RuntimeError("disk full")

    monkeypatch.setattr(survey_store, "add_documents", written_then_failing)
    with pytest.raises(RuntimeError):
        svc.save_survey(project, small_survey())
    assert svc.list_surveys(project) == [] and services.project_status(project)["documents"] == 0
    monkeypatch.setattr(survey_store, "add_documents", real)
    r = svc.save_survey(project, small_survey())
    assert (r.respondents, r.answers) == (5, 8)
    with pytest.raises(AlreadyImported) as exc:
        svc.save_survey(project, small_survey())
    assert "already in the project" in exc.value.message and exc.value.hint
    assert r.replaced == 0 and len(r.document_ids) == 5


def test_bulk_storage_stores_what_one_document_at_a_time_stores(project):
    """The survey's bulk insert keeps every invariant of storage.documents.add_document."""
    parsed = small_survey()
    r = svc.save_survey(project, parsed)
    copy = deepcopy(parsed.documents[0])
    copy.name, copy.content_hash = "copy", "x" * 64
    with project.session() as s:
        other = doc_store.add_document(s, copy)
    one_by_one = show_document(project, other)
    for did, doc in zip(r.document_ids, parsed.documents):
        d = show_document(project, did)
        assert d["text"] == doc.text and d["format"] == "survey"
        assert [(t["speaker"], t["start"], t["end"], t["role"]) for t in d["turns"]] == [
            (t.speaker, t.start, t.end, "participant") for t in doc.turns]
        assert all(d["text"][e["start"]:e["end"]] == e["text"] and e["codable"] for e in d["excerpts"])
        assert d["attributes"] == {k: a.value for k, a in doc.attributes.items()}
        assert [sp["attributes"] for sp in d["speakers"]] == [{"question": sp.label} for sp in doc.speakers]
    first = show_document(project, r.document_ids[0])
    for k in ("text", "turns", "speakers", "attributes", "attribute_types"):
        assert first[k] == one_by_one[k], k
    assert [(e["start"], e["end"], e["text"], e["order"]) for e in first["excerpts"]] == [
        (e["start"], e["end"], e["text"], e["order"]) for e in one_by_one["excerpts"]]
    with qualcode.open_project(str(project.project_dir)) as p:
        words = p.documents().set_index("document_id")[["words", "participant_words", "excerpts"]]
    assert words.loc[r.document_ids[0]].tolist() == words.loc[other].tolist()
    assert words.loc[r.document_ids[0], "participant_words"] > 0
    with project.session(readonly=True) as s:  # what the suggestion engine reads to add new documents
        events = training.corpus_events(s, 0)
    assert [(a, e, int(i)) for a, e, i in events[:5]] == [("import", "document", d) for d in r.document_ids]


def test_replace_survey(project):
    svc.save_survey(project, small_survey())
    again = svc.save_survey(project, small_survey(), replace=True)
    assert again.replaced == 5
    assert svc.list_surveys(project) == [{"name": "fall", "respondents": 5, "questions": [USEFUL, CHANGE],
                                          "attributes": ["district", "role", "year"], "file": "fall.csv"}]


# --- analysis through the Python API ----------------------------------------------------------

def _code_two_coders(ctx):
    """alice codes four answers; bob codes three of the same answers, disagreeing once."""
    alice = ctx.as_coder("alice")
    bob = ctx.as_coder("bob")
    for r, q, c in [("r1", USEFUL, "trust"), ("r5", USEFUL, "trust"), ("r4", CHANGE, "buy_in"),
                    ("r2", USEFUL, "evidence")]:
        coding.add_coding(alice, answer_id(ctx, r, q), c)
    for r, q, c in [("r1", USEFUL, "trust"), ("r5", USEFUL, "trust"), ("r4", CHANGE, "evidence")]:
        coding.add_coding(bob, answer_id(ctx, r, q), c)
    coding.mark_reviewed(bob, answer_id(ctx, "r2", USEFUL))


def test_a_respondent_coded_in_two_questions_is_one_participant(surveyed):
    """Walk 39: Participants counted a respondent once per question coded (39 participants
    for 37 documents); the README says a survey's answers count once per document."""
    for r, q in [("r1", USEFUL), ("r1", CHANGE), ("r2", USEFUL)]:
        coding.add_coding(surveyed, answer_id(surveyed, r, q), "trust")
    with qualcode.open_project(str(surveyed.project_dir), coder="alice") as p:
        f = p.frequencies().set_index("code_id")
        assert (f.loc["trust", "excerpts"], f.loc["trust", "documents"], f.loc["trust", "participants"]) == (3, 2, 2)
        assert f.loc["trust", "participants_total"] == f.loc["trust", "documents_total"] == 5  # respondents
        by_q = p.frequencies(by="question").set_index(["question", "code_id"])  # per question: who answered so
        assert by_q.loc[(USEFUL, "trust"), "participants"] == 2 and by_q.loc[(CHANGE, "trust"), "participants"] == 1


def test_frequencies_compare_and_matrix_by_question_respondent_and_attribute(surveyed):
    _code_two_coders(surveyed)
    with qualcode.open_project(str(surveyed.project_dir), coder="alice") as p:
        f = p.frequencies(by="district", coder="alice").set_index(["district", "code_id"])
        assert f.loc[("North Ridge", "trust"), "documents"] == 2  # respondents r1 and r5
        assert f.loc[("North Ridge", "trust"), "documents_total"] == 3
        assert f.loc[("South Fork", "buy_in"), "documents"] == 1
        q = p.frequencies(by="question", coder="alice").set_index(["question", "code_id"])
        assert q.loc[(USEFUL, "trust"), "excerpts"] == 2 and q.loc[(CHANGE, "trust"), "excerpts"] == 0
        assert q.loc[(USEFUL, "trust"), "participants_total"] == 4  # answers to the question
        assert q.loc[(CHANGE, "buy_in"), "participants"] == 1
        r = p.frequencies(by="respondent", coder="alice").set_index(["respondent", "code_id"])
        assert r.loc[("r1", "trust"), "excerpts"] == 1 and r.loc[("r3", "trust"), "excerpts"] == 0
        cmp = p.compare(by="year", coder="alice").set_index("code_id")
        assert (cmp.loc["trust", "2018 n"], cmp.loc["trust", "2018 N"]) == (1, 2)
        # r3, which alice has not started, is left out of her comparison (walk 48); r2 and r4 count
        assert (cmp.loc["trust", "2021 n"], cmp.loc["trust", "2021 N"]) == (1, 2) and cmp.attrs["not_started"] == 1
        by_q = p.compare(by="question", coder="alice").set_index("code_id")
        assert by_q.loc["trust", "unit"] == "participant" and by_q.loc["trust", f"{USEFUL} n"] == 2
        ct = p.crosstab(by="role", coder="alice").set_index("code_id")
        assert ct.loc["trust", "team member n"] == 2
        answers = p.survey("fall")
        assert len(answers) == 8 and {"respondent", "question", "answer", "codes", "district"} <= set(answers.columns)
        m = p.matrix(coder="alice").set_index("document")
        assert m.loc["fall · r4", "buy_in"] == 1 and m.loc["fall · r1", "trust"] == 1


def test_agreement_and_exports_carry_question_respondent_and_attributes(surveyed, tmp_path):
    _code_two_coders(surveyed)
    agr = team.agreement(surveyed, coders=["alice", "bob"])
    assert agr["units"] == 4  # answers both reviewed: r1, r5, r4 (change) and r2
    assert agr["codes"]["trust"]["percent_agreement"] == 1.0
    assert agr["codes"]["buy_in"]["percent_agreement"] == 0.75
    per_q = svc.agreement_by(surveyed, "fall", by="question", coders=["alice", "bob"]).set_index("question")
    assert per_q.loc[USEFUL, "units"] == 3 and per_q.loc[CHANGE, "units"] == 1
    assert per_q.loc[USEFUL, "percent_agreement"] == pytest.approx(5 / 6)  # trust x3 agreed, evidence on r2 not
    assert per_q.loc[CHANGE, "percent_agreement"] == 0.0  # r4: buy_in vs evidence
    per_d = svc.agreement_by(surveyed, "fall", by="district", coders=["alice", "bob"]).set_index("district")
    assert per_d.loc["North Ridge", "units"] == 3 and per_d.loc["South Fork", "units"] == 1
    with qualcode.open_project(str(surveyed.project_dir), coder="alice") as p:
        ex = p.excerpts(code_id="buy_in", coder="alice")
        row = ex.iloc[0]
        assert (row["speaker"], row["respondent"], row["district"], row["year"]) == (CHANGE, "r4", "South Fork",
                                                                                     "2021")
    out = tmp_path / "excerpts.csv"
    export_svc.export_excerpts(surveyed, out, coder="alice")
    text = out.read_text(encoding="utf-8")
    assert "We need buy-in from principals" in text and "South Fork" in text and CHANGE in text
    counts = export_svc.export_qdpx(surveyed, tmp_path / "survey.qdpx")
    assert counts["documents"] == 5 and counts["codings"] == 7


# --- the grid's read model --------------------------------------------------------------------

def test_grid_rows_status_and_filters(surveyed):
    ctx = surveyed.as_coder("alice")
    grid = svc.survey_grid(ctx, "fall")
    assert grid.questions == [USEFUL, CHANGE] and grid.attributes == ["district", "role", "year"]
    assert len(grid.rows) == 8 and len(grid.question(USEFUL)) == 4
    coding.add_coding(ctx, answer_id(ctx, "r1", USEFUL), "trust")
    coding.mark_reviewed(ctx, answer_id(ctx, "r2", USEFUL))
    rows = svc.survey_grid(ctx, "fall").question(USEFUL).set_index("respondent")
    assert rows.loc["r1", "codes"] == ["trust"] and rows.loc["r1", "status"] == "coded"
    assert rows.loc["r2", "status"] == "reviewed" and rows.loc["r3", "status"] == "open"
    rows = rows.reset_index()
    north = svc.filter_grid(rows, where={"district": ["North Ridge"]}, sort="respondent", descending=True)
    assert north["respondent"].tolist() == ["r5", "r2", "r1"]
    assert svc.filter_grid(rows, code="trust")["respondent"].tolist() == ["r1"]
    assert svc.filter_grid(rows, status=["open"], text="coach")["respondent"].tolist() == ["r3"]
    with pytest.raises(qualcode.errors.NotFoundError):
        svc.survey_grid(ctx, "spring")


# --- CLI --------------------------------------------------------------------------------------

def test_cli_ingest_survey(tmp_path):
    runner = CliRunner()
    proj = str(tmp_path / "p")
    assert runner.invoke(main, ["init", proj]).exit_code == 0
    dry = runner.invoke(main, ["--project", proj, "ingest-survey", str(SAMPLE), "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    summary = json.loads(dry.output)
    assert summary["respondents"] >= 200 and len(summary["likely_questions"]) == 3
    none = runner.invoke(main, ["--project", proj, "ingest-survey", str(SAMPLE)])
    assert none.exit_code == 1 and "--question" in none.output and "line 1" in none.output
    args = ["--project", proj, "ingest-survey", str(SAMPLE), "--name", "convening", "--json"]
    for q in summary["likely_questions"]:
        args += ["--question", q]
    ok = runner.invoke(main, args)
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["answers"] == summary["answers"] > 600
    twice = runner.invoke(main, args)
    assert twice.exit_code == 1 and "already in the project" in twice.output and "--replace" in twice.output
    bad = runner.invoke(main, ["--project", proj, "ingest-survey", str(SAMPLE), "--question", "Nope", "--name", "x"])
    assert bad.exit_code == 1 and "line 1" in bad.output and "no column named 'Nope'" in bad.output
    status = json.loads(runner.invoke(main, ["--project", proj, "status", "--json"]).output)
    assert status["documents"] == summary["respondents"]


# --- PostgreSQL -------------------------------------------------------------------------------

def test_survey_bulk_import_grid_and_frequencies_on_postgresql(db_url):  # noqa: F811
    ctx = services.init_project(None, db_url=db_url, coder="alice")
    try:
        r = svc.save_survey(ctx, small_survey())
        for did, doc in zip(r.document_ids, small_survey().documents):
            d = show_document(ctx, did)
            assert d["text"] == doc.text and all(d["text"][e["start"]:e["end"]] == e["text"] for e in d["excerpts"])
        coding.add_coding(ctx, answer_id(ctx, "r1", USEFUL), "trust")
        rows = svc.survey_grid(ctx, "fall").rows.set_index("respondent")
        assert rows.loc["r1"].query("question == @USEFUL")["codes"].iloc[0] == ["trust"]
        from qualcode.services import analysis

        f = analysis.frequencies(ctx, by="district").set_index(["district", "code_id"])
        assert f.loc[("North Ridge", "trust"), "documents"] == 1
    finally:
        ctx.close()


def test_themes_count_transcripts_and_survey_answers_apart(surveyed):
    """A survey respondent is one document: with a survey beside the interviews, Themes asks
    which to count ("Count from"), and each choice's numbers and quotes hold only those
    documents (a new user saw an interview's 1 of 2 documents turn into 1 of 17 when a survey
    came in, with no way back)."""
    from qualcode.services import analysis
    from qualcode.services import ingest
    from tests.ui_helpers import no_exception, page, seed

    ctx = surveyed
    doc_id, _ = seed(ctx, name="rivera-2018", codes=(),
                     turns=[("Maria Rivera", "participant", "We trust each other with our class data now.")])
    ingest.set_document_attribute(ctx, doc_id, "year", "2018")
    with ctx.session(readonly=True) as s:
        (ex,) = [e for e in doc_store.load_document(s, doc_id).excerpts]
    coding.add_coding(ctx, ex.id, "trust")
    coding.add_coding(ctx, answer_id(ctx, "r1", USEFUL), "trust")
    coding.mark_reviewed(ctx, answer_id(ctx, "r2", USEFUL))  # read, no code (a comparison leaves out unread ones)
    assert analysis.sources(ctx) == {"transcripts": 1, "surveys": 5}  # r6 answered nothing: left out

    mixed = analysis.compare(ctx, by="year").set_index("code_id")
    assert (mixed.loc["trust", "2018 n"], mixed.loc["trust", "2018 N"]) == (2, 3)  # 1 transcript + r1, r2
    only_t = analysis.compare(ctx, by="year", source="transcripts").set_index("code_id")
    assert (only_t.loc["trust", "2018 n"], only_t.loc["trust", "2018 N"]) == (1, 1)
    only_s = analysis.frequencies(ctx, by="year", source="surveys").set_index(["year", "code_id"])
    assert (only_s.loc[("2018", "trust"), "documents"], only_s.loc[("2018", "trust"), "documents_total"]) == (1, 2)
    q_t = analysis.quotes(ctx, code_id="trust", where={"year": "2018"}, source="transcripts")
    assert list(q_t["document_id"]) == [doc_id]
    q_s = analysis.quotes(ctx, code_id="trust", where={"year": "2018"}, source="surveys")
    assert len(q_s) == 1 and doc_id not in set(q_s["document_id"])
    with pytest.raises(ValueError):
        analysis.frequencies(ctx, source="interviews")
    with qualcode.open_project(str(ctx.project_dir), coder=ctx.coder) as p:  # the Python API says the same
        api = p.compare(by="year", source="transcripts").set_index("code_id")
        assert (api.loc["trust", "2018 n"], api.loc["trust", "2018 N"]) == (1, 1)
        assert p.frequencies(source="surveys").set_index("code_id").loc["trust", "documents"] == 1

    at = no_exception(page("themes", ctx))
    assert at.selectbox(key="th_source").value in (None, "")  # everything, and it says so
    assert any("1 transcript and 5 survey respondents together" in c.value for c in at.caption)
    at.selectbox(key="th_source").set_value("transcripts").run()
    no_exception(at)
    at.selectbox(key="th_freq_pick").set_value("trust").run()
    no_exception(at)
    assert [h.value for h in at.subheader if h.value.startswith("Quotes")] == ["Quotes: Trust · 1 excerpt"]
    assert at.dataframe[-1].value["quote"].tolist() == ["We trust each other with our class data now."]


def test_the_report_exports_matrix_and_co_occurrence_count_one_kind_of_document_when_asked(surveyed):
    """Walk 15: with 4 interviews and 40 survey respondents the report said Relationships in
    "4.5%" of documents (2 of 44) without a word, and the Export page, the case matrix and the
    co-occurrence view had no "Count from"."""
    from qualcode.services import analysis
    from qualcode.ui.pages.export import exports, prepare
    from tests.ui_helpers import no_exception, page, seed

    ctx = surveyed
    doc_id, _ = seed(ctx, name="rivera-2018", codes=(),
                     turns=[("Maria Rivera", "participant", "We trust each other with our class data now.")])
    with ctx.session(readonly=True) as s:
        (ex,) = doc_store.load_document(s, doc_id).excerpts
    coding.add_coding(ctx, ex.id, "trust")
    coding.add_coding(ctx, answer_id(ctx, "r1", USEFUL), "trust")
    assert analysis.sources(ctx) == {"transcripts": 1, "surveys": 5}

    pooled = export_svc.report_bytes(ctx, fmt="md", charts=False).decode()
    assert "Documents counted: 1 transcript and 5 survey respondents together" in pooled
    # a survey quote is the answer to its question, not said by a speaker named after it (walk 42)
    assert "\u2014 answer to \u201cWhat was most useful?\u201d, fall \u00b7 r1" in pooled
    assert "\u2014 Maria Rivera, participant, rivera-2018" in pooled
    only_t = export_svc.report_bytes(ctx, fmt="md", charts=False, source="transcripts").decode()
    assert "Documents counted: transcripts only (1); the 5 survey respondents are left out." in only_t
    freq = export_svc.report_data(ctx, charts=False, source="transcripts").frequencies.set_index("code_id")
    assert (freq.loc["trust", "documents"], freq.loc["trust", "documents_total"]) == (1, 1)  # not 2 of 6
    assert set(analysis.matrix(ctx, source="transcripts")["document_id"]) == {doc_id}
    assert doc_id not in set(analysis.matrix(ctx, source="surveys")["document_id"])

    # the Export page asks, and each download counts what was asked (its name says so)
    at = no_exception(page("export", ctx))
    assert at.selectbox(key="exp_source").value is None
    at.selectbox(key="exp_source").set_value("transcripts").run()
    no_exception(at)
    by_name = {e.name: e for e in exports()}
    name, data = prepare(ctx, by_name["export_frequencies"], "csv", source="transcripts")
    assert name.endswith("-code-frequencies-transcripts-only.csv")
    import pandas as pd

    table = pd.read_csv(io.BytesIO(data)).set_index("code_id")
    assert (table.loc["trust", "documents"], table.loc["trust", "documents_total"]) == (1, 1)
    name, data = prepare(ctx, by_name["export_report"], "md", source="surveys")
    assert name.endswith("-surveys-only.md") and b"survey answers only (5 respondents)" in data
    out = ctx.project_dir.parent / "freq-transcripts.csv"  # the CLI the same
    res = CliRunner().invoke(main, ["--project", str(ctx.project_dir), "export", "frequencies", str(out),
                                    "--source", "transcripts"])
    assert res.exit_code == 0, res.output
    assert pd.read_csv(out).set_index("code_id").loc["trust", "documents_total"] == 1

    # Themes: the case matrix counts from what is chosen too
    at = no_exception(page("themes", ctx, th_view="Case matrix"))
    assert len(at.dataframe[0].value) == 6
    at.selectbox(key="th_source").set_value("transcripts").run()
    no_exception(at)
    assert list(at.dataframe[0].value["document"]) == ["rivera-2018"]


def test_compare_warns_when_a_group_is_the_documents_without_a_value(surveyed):
    """Compare by year with an interview that has no year: the "(not set)" group is compared
    like a year, so Themes says what that group is (a new user read "more often in (not set)"
    as a finding about years)."""
    from qualcode.services import analysis
    from tests.ui_helpers import no_exception, page, seed

    ctx = surveyed
    doc_id, _ = seed(ctx, name="no-year", codes=(), turns=[("Ana", "participant", "We trust the data.")])
    with ctx.session(readonly=True) as s:
        (ex,) = doc_store.load_document(s, doc_id).excerpts
    coding.add_coding(ctx, ex.id, "trust")
    coding.add_coding(ctx, answer_id(ctx, "r1", USEFUL), "trust")
    at = no_exception(page("themes", ctx))
    at.segmented_control(key="th_view").set_value("Compare groups").run()
    at.selectbox(key="th_by").set_value("year").run()
    no_exception(at)
    assert any("1 document has no year: it is compared as the group “(not set)”" in w.value for w in at.warning)
    at.selectbox(key="th_source").set_value("surveys").run()  # every respondent has a year
    no_exception(at)
    assert not any("has no year" in w.value or "have no year" in w.value for w in at.warning)
    # transcripts only: no transcript has a year; they group under "(not set)", not an error
    at.selectbox(key="th_source").set_value("transcripts").run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    cmp = analysis.compare(ctx, by="year", source="transcripts").set_index("code_id")
    assert cmp.loc["trust", "(not set) N"] == 1

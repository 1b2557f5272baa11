"""Searching every transcript and coding the chosen hits at once (services.search,
services.coding.code_excerpts) and the Search page (AppTest; the browser test is
tests/browser/test_browser_search.py)."""

from __future__ import annotations

import pytest

from qualcode.core import Suggestion
from qualcode.errors import QualcodeError
from qualcode.services import coding, messages
from qualcode.services import search as svc
from qualcode.storage import audit
from qualcode.storage import coding as coding_store
from tests.pg_helpers import db_url, pg_server  # noqa: F401
from tests.ui_helpers import no_exception, page, seed, type_new_option

TURNS_A = [("Interviewer", "interviewer", "Were there stock-outs at the clinic?"),
           ("Ana", "participant", "Yes. The stock-out of malaria tests lasted a month."),
           ("Ana", "participant", "Training helped us. We trained twice in 2024."),
           ("Ana", "participant", "The stockroom was empty, out of\nstock again.")]
TURNS_B = [("Interviewer", "interviewer", "Tell me about supervision. Was supervision regular?"),
           ("Ben", "participant", "Supervisors came once. Then a STOCK-OUT again, and no pay.")]


@pytest.fixture
def two(project):
    seed(project, name="clinic-a", turns=TURNS_A)
    seed(project, name="clinic-b", turns=TURNS_B)
    return project


def _texts(result):
    return [t for t in result.rows["text"]]


def test_search_finds_words_phrases_and_endings_across_documents(two):
    r = svc.search(two, "stock-out, out of stock")
    assert list(r.rows["document"]) == ["clinic-a", "clinic-a", "clinic-b"]
    by_text = {t: (spans, codable, who) for t, spans, codable, who in
               zip(r.rows["text"], r.rows["spans"], r.rows["codable"], r.rows["speaker"])}
    # whole words: "stock-outs" is not "stock-out"; any case; a phrase across a line break
    assert "Were there stock-outs at the clinic?" not in by_text
    assert by_text["Yes. The stock-out of malaria tests lasted a month."] == ([(9, 18)], True, "Ana")
    assert by_text["Supervisors came once. Then a STOCK-OUT again, and no pay."] == ([(30, 39)], True, "Ben")
    (stockroom,) = [t for t in by_text if t.startswith("The stockroom")]
    a, b = by_text[stockroom][0][0]
    assert stockroom[a:b] == "out of\nstock"
    assert r.summary() == "3 hits in 3 excerpts of 2 documents"
    # "stock-out*" takes any ending (the interviewer's line comes in, flagged as not coded)
    r = svc.search(two, "stock-out*")
    assert r.hits == 3 and list(r.rows["codable"]) == [False, True, True]
    assert r.summary() == "3 hits in 3 excerpts of 2 documents (1 hit on 1 line not coded: an interviewer's, say)"
    # hits and lines counted apart (walk 39): the interviewer's one line holds two
    r = svc.search(two, "supervision")
    assert r.summary() == "2 hits in 1 excerpt of 1 document (2 hits on 1 line not coded: an interviewer's, say)"
    # endings, case, whole words off
    r = svc.search(two, "train*")
    assert _texts(r) == ["Training helped us. We trained twice in 2024."] and r.rows["spans"][0] == [(0, 8), (23, 30)]
    assert svc.search(two, "STOCK-OUT", match_case=True).hits == 1
    room = "The stockroom was empty, out of\nstock again."
    spans = lambda r: dict(zip(r.rows["text"], r.rows["spans"]))  # noqa: E731
    assert spans(svc.search(two, "stock"))[room] == [(32, 37)]  # not "stockroom" ("stock-out" is: a hyphen)
    assert spans(svc.search(two, "stock", whole_words=False))[room] == [(4, 9), (32, 37)]
    assert svc.search(two, "chocolate").summary() == "No hits"


@pytest.mark.parametrize("query, said", [("  ,  ", "type a word or phrase"), ("*", "holds no word"),
                                         (",".join(f"w{i}" for i in range(25)), "at most 20"),
                                         ("NOT stock", "AND or NOT with nothing beside it"),
                                         ("stock AND", "AND or NOT with nothing beside it"),
                                         ("stock NOT *", "holds no word")])
def test_a_search_with_nothing_to_find_says_so(two, query, said):
    with pytest.raises(QualcodeError, match=said):
        svc.search(two, query)


def test_and_and_not_in_capitals_join_words_an_excerpt_must_or_must_not_hold(two):
    """A Boolean text search, as in NVivo and MAXQDA: "stock* AND month" finds the one excerpt
    holding both, its hits both words; "stock-out NOT malaria" leaves that excerpt out; "and"
    and "not" in small letters are words to find; each alternative (comma) on its own."""
    r = svc.search(two, "stock* AND month")
    assert _texts(r) == ["Yes. The stock-out of malaria tests lasted a month."]
    assert r.rows["spans"][0] == [(9, 14), (45, 50)] and r.hits == 2
    r = svc.search(two, "stock-out NOT malaria")
    assert _texts(r) == ["Supervisors came once. Then a STOCK-OUT again, and no pay."]
    assert _texts(svc.search(two, "and no pay")) == ["Supervisors came once. Then a STOCK-OUT again, and no pay."]
    assert svc.search(two, "stock and month").hits == 0  # small letters: the phrase "stock and month"
    r = svc.search(two, "stock* AND month, trained NOT helped, supervision NOT regular")
    assert _texts(r) == ["Yes. The stock-out of malaria tests lasted a month."]
    r = svc.search(two, "out of stock AND stockroom NOT pay")  # a phrase beside AND
    assert [t[:13] for t in _texts(r)] == ["The stockroom"] and r.hits == 2


def test_coding_the_hits_is_one_action_one_undo_and_skips_uncoded_lines(two):
    r = svc.search(two, "stock-out*")
    ids = list(r.rows["excerpt_id"])
    with two.session() as s:  # a pending suggestion of the code on a hit: coding it by hand settles it
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=ids[1], code_id="evidence", score=0.6,
                                                       model_id="m")])
    done = coding.code_excerpts(two, ids, "evidence")
    assert len(done["coded"]) == 2 and done["not_codable"] == 1 and done["already"] == 0
    with two.session(readonly=True) as s:
        assert sorted(c.excerpt_id for c in coding_store.list_codings(s) if c.code_id == "evidence") == ids[1:]
        assert {sg.excerpt_id: sg.status.value for sg in coding_store.list_suggestions(s)}[ids[1]] == "accepted"
        assert [e.action for e in audit.list_events(s)][-1:] == ["code_excerpts"]
    assert svc.search(two, "stock-out*").rows["codes"].tolist() == [[], ["Evidence"], ["Evidence"]]
    # the same again changes nothing and records nothing
    assert coding.code_excerpts(two, ids, "evidence")["already"] == 2
    with two.session(readonly=True) as s:
        assert [e.action for e in audit.list_events(s)].count("code_excerpts") == 1
    undone = coding.undo(two)
    assert messages.undone_message(two, undone) == "Undone: coding the search hits “Evidence” on 2 excerpts."
    with two.session(readonly=True) as s:
        assert not [c for c in coding_store.list_codings(s) if c.code_id == "evidence"]
        assert {sg.excerpt_id: sg.status.value for sg in coding_store.list_suggestions(s)}[ids[1]] == "pending"
    # walk 40: a hit with the code on some of its words has it already: no second, whole coding
    part = coding.add_coding(two, ids[1], "evidence", start=int(r.rows["start"][1]) + 5,
                             end=int(r.rows["start"][1]) + 18)
    done = coding.code_excerpts(two, ids, "evidence")
    assert (len(done["coded"]), done["already"]) == (1, 1)
    with two.session(readonly=True) as s:
        assert sorted((c.excerpt_id, c.id == part) for c in coding_store.list_codings(s)
                      if c.code_id == "evidence") == [(ids[1], True), (ids[2], False)]


def test_a_search_shows_only_the_coders_own_codes(two):
    r = svc.search(two, "stock-out")
    coding.code_excerpts(two.as_coder("bob"), list(r.rows["excerpt_id"]), "trust")
    assert svc.search(two, "stock-out").rows["codes"].tolist() == [[], []]
    assert svc.search(two, "stock-out", coder="bob").rows["codes"].tolist() == [["Trust"], ["Trust"]]


def test_the_search_page_codes_the_ticked_hits_and_undoes_them(two):
    from qualcode.ui.pages.search import _table_key

    at = no_exception(page("search", two))
    assert any("Type a word or phrase above" in i.value for i in at.info)  # the empty state
    at.text_input(key="srch_q").input("stock-out*").run()
    no_exception(at)
    assert any("3 hits in 3 excerpts of 2 documents" in m.value for m in at.markdown)
    interviewer, ana, ben = svc.search(two, "stock-out*").rows["excerpt_id"]
    table = _table_key("stock-out*", True, False)
    # the two coded speakers' hits, ticked; the interviewer's line apart, to read, with no tick
    assert [at.checkbox(key=f"{table}_{i}").value for i in (ana, ben)] == [True, True]
    assert not [c for c in at.checkbox if c.key == f"{table}_{interviewer}"]
    assert any("**STOCK\\-OUT**" in m.value for m in at.markdown)  # the hit in bold, as typed in the text
    at.checkbox(key=f"{table}_{ben}").uncheck().run()
    assert at.button(key="srch_apply").label == "Code 1 excerpt"
    at.selectbox(key="srch_code").set_value("evidence")
    at.button(key="srch_apply").click().run()
    no_exception(at)
    assert any("Coded 1 excerpt with Evidence" in s.value for s in at.success)
    with two.session(readonly=True) as s:
        assert [c.excerpt_id for c in coding_store.list_codings(s) if c.code_id == "evidence"] == [ana]
    assert any("Your codes here: Evidence" in c.value for c in at.caption)
    at.button(key="srch_all").click().run()
    assert at.button(key="srch_apply").label == "Code 2 excerpts"
    at.button(key="srch_undo").click().run()
    no_exception(at)
    assert any("Undone: coding the search hits “Evidence” on “Yes. The stock" in i.value for i in at.info)
    with two.session(readonly=True) as s:
        assert not [c for c in coding_store.list_codings(s) if c.code_id == "evidence"]


def test_the_search_page_makes_a_new_code_for_the_hits(two):
    at = no_exception(page("search", two))
    at.text_input(key="srch_q").input("stock-out").run()
    type_new_option(at.selectbox(key="srch_code"), "Stock-outs")
    at.run()
    said = "“Stock-outs” is not in the codebook: Coding adds it as a new code. The first ticked excerpt is its first example."
    assert said in [c.value.replace("\\", "") for c in at.caption]
    type_new_option(at.selectbox(key="srch_code"), "Stock-outs")  # (AppTest reads the box afresh each run)
    at.button(key="srch_apply").click().run()
    no_exception(at)
    rows = svc.search(two, "stock-out").rows
    assert rows["codes"].tolist() == [["Stock-outs"], ["Stock-outs"]]
    assert any("Coded 2 excerpts with Stock-outs" in s.value.replace("\\", "") for s in at.success)
    at.button(key="srch_undo").click().run()  # one Undo: the codings and the code made for them
    assert any("The new code “Stock-outs” made for it is gone" in i.value for i in no_exception(at).info)
    assert svc.search(two, "stock-out").rows["codes"].tolist() == [[], []]
    with two.session(readonly=True) as s:
        from qualcode.storage import codes as code_store

        assert not [c for c in code_store.load_codebook(s).codes if c.name == "Stock-outs"]


def test_the_search_page_says_when_nothing_is_found_or_the_query_is_empty(two):
    at = no_exception(page("search", two))
    at.text_input(key="srch_q").input("chocolate").run()
    assert any("No hits" in i.value for i in at.info)
    at.text_input(key="srch_q").input("*").run()
    assert any("holds no word" in e.value for e in at.error)


def test_the_cli_and_the_api_search_and_code_the_hits(two):
    import json

    from click.testing import CliRunner

    import qualcode
    from qualcode.cli import main

    args = ["--project", str(two.project_dir), "--coder", "alice", "search", "stock-out*"]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[0] == ("3 hits in 3 excerpts of 2 documents (1 hit on 1 line not coded: "
                                          "an interviewer's, say).")
    assert "clinic-a · Interviewer (not coded): Were there stock-outs at the clinic?" in out.output
    out = CliRunner().invoke(main, [*args, "--code", "evidence", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert len(data["hits"]) == 3 and len(data["coded"]["coded"]) == 2 and data["coded"]["not_codable"] == 1
    p = qualcode.open_project(two.project_dir, coder="alice")
    try:
        assert p.search("stock-out*")["codes"].tolist() == [[], ["Evidence"], ["Evidence"]]
    finally:
        p.close()
    out = CliRunner().invoke(main, ["--project", str(two.project_dir), "--coder", "alice", "search", " , "])
    assert out.exit_code == 1 and "type a word or phrase to search for" in out.output


def test_a_search_finds_words_in_any_case_beyond_ascii_and_percent_signs_literally(project):
    """The database's first cut (LIKE) folds only ASCII letters: a word with others is read in
    Python, in any case; % and _ in a query are letters to find, not LIKE's wildcards."""
    seed(project, name="lyon", turns=[("Interviewer", "interviewer", "Et l'école ?"),
                                      ("Zoé", "participant", "L'ÉCOLE était loin, à 100% loin."),
                                      ("Zoé", "participant", "Nothing_here at 50 percent.")])
    assert svc.search(project, "école").rows["text"].tolist() == ["Et l'école ?", "L'ÉCOLE était loin, à 100% loin."]
    assert svc.search(project, "100%", whole_words=False).rows["text"].tolist() == [
        "L'ÉCOLE était loin, à 100% loin."]
    assert svc.search(project, "g_here", whole_words=False).rows["text"].tolist() == ["Nothing_here at 50 percent."]
    assert svc.search(project, "0 p", whole_words=False).hits == 1  # "50 percent" (no LIKE _ or % here)


def test_the_hits_download_says_what_was_searched_and_whose_lines_are_coded(two):
    """Walk 39: the downloaded file did not say what was searched for, and "coded_in_project"
    was read as "already coded"."""
    from qualcode.ui.pages.search import download_table

    rows = svc.search(two, "stock-out*").rows
    interviewer, ana, ben = rows["excerpt_id"]
    t = download_table(rows, "stock-out*", "whole words, any case, same accents", {int(ana)})
    assert list(t.columns) == ["search", "options", "document", "speaker", "role", "excerpt", "hits", "your_codes",
                               "speaker_coded", "ticked", "excerpt_id"]
    assert set(t["search"]) == {"stock-out*"} and set(t["options"]) == {"whole words, any case, same accents"}
    assert list(t["speaker_coded"]) == ["no", "yes", "yes"] and list(t["ticked"]) == ["", "yes", "no"]
    assert list(t["speaker"]) == ["Interviewer", "Ana", "Ben"] and list(t["excerpt_id"]) == [interviewer, ana, ben]

def test_the_pages_download_says_what_is_ticked_now_and_how_the_search_was_made(two, monkeypatch):
    from qualcode.ui.pages import search as search_page

    made = []
    real = search_page.download_table
    monkeypatch.setattr(search_page, "download_table", lambda *a: made.append(real(*a)) or made[-1])
    interviewer, ana, ben = svc.search(two, "stock-out*").rows["excerpt_id"]
    at = no_exception(page("search", two))
    at.text_input(key="srch_q").input("stock-out*").run()
    at.toggle(key="srch_accents").set_value(True).run()
    assert list(made[-1]["ticked"]) == ["", "yes", "yes"]
    at.checkbox(key=f"{search_page._table_key('stock-out*', True, False, True)}_{ben}").uncheck().run()
    no_exception(at)
    assert list(made[-1]["ticked"]) == ["", "yes", "no"]
    assert set(made[-1]["options"]) == {"whole words, any case, same accents"}


def test_the_search_page_says_it_searches_survey_answers_too(two):
    from qualcode.services import survey
    from tests.test_survey import small_survey

    at = no_exception(page("search", two))
    assert at.text_input(key="srch_q").label == "Search the transcripts"
    survey.save_survey(two, small_survey())
    at = no_exception(page("search", two))
    assert at.text_input(key="srch_q").label == "Search the transcripts and survey answers"
    at.text_input(key="srch_q").input("run charts").run()
    assert any("1 hit in 1 excerpt of 1 document" in m.value for m in no_exception(at).markdown)


def test_accents_aside_by_default(project):
    """Walk 39: "creche" found nothing in transcripts that spell it "crèche". Accents count only
    when asked (the page's "Match accents", --match-accents), and the database's first cut (LIKE
    folds no accent) lets the accented excerpts through."""
    seed(project, name="nursery", turns=[
        ("Interviewer", "interviewer", "Tell me about childcare."),
        ("Zoé", "participant", "The crèche closed at four."),
        ("Zoé", "participant", "A creche in the village would help. So would a café."),
        ("Zoé", "participant", "Our CRÈCHE worker, José, was naïve about the cafe's hours.")])
    texts = lambda r: [t.split()[1] for t in r.rows["text"]]  # noqa: E731
    assert texts(svc.search(project, "creche")) == ["crèche", "creche", "CRÈCHE"]
    assert texts(svc.search(project, "crèche")) == ["crèche", "creche", "CRÈCHE"]
    assert texts(svc.search(project, "crèche", match_accents=True)) == ["crèche", "CRÈCHE"]
    assert texts(svc.search(project, "creche", match_accents=True)) == ["creche"]
    assert texts(svc.search(project, "crèche", match_case=True)) == ["crèche", "creche"]
    r = svc.search(project, "jose, naive, cafe*")
    assert [[t[a:b] for a, b in sp] for t, sp in zip(r.rows["text"], r.rows["spans"])] == [
        ["café"], ["José", "naïve", "cafe"]]
    at = no_exception(page("search", project))
    at.text_input(key="srch_q").input("creche").run()
    assert any("3 hits in 3 excerpts of 1 document" in m.value for m in no_exception(at).markdown)
    at.toggle(key="srch_accents").set_value(True).run()
    assert any("1 hit in 1 excerpt of 1 document" in m.value for m in no_exception(at).markdown)


def test_accents_aside_on_both_databases(db_url):  # noqa: F811
    """The first cut's test for an accented letter is GLOB on SQLite and a regular expression on
    PostgreSQL; both let "crèche" through to a search for "creche" (and nothing else)."""
    from qualcode import services

    ctx = services.init_project(None, db_url=db_url, coder="alice")
    try:
        seed(ctx, name="nursery", turns=[("Zoé", "participant", "The crèche closed at four."),
                                         ("Zoé", "participant", "Nothing else, and no one knew."),
                                         ("Zoé", "participant", "A CRECHE and a bus.")])
        assert list(svc.search(ctx, "creche").rows["text"]) == ["The crèche closed at four.", "A CRECHE and a bus."]
        assert list(svc.search(ctx, "crèche", match_accents=True).rows["text"]) == ["The crèche closed at four."]
    finally:
        ctx.close()


def test_coming_back_to_search_keeps_its_options_without_a_streamlit_warning(two, caplog, monkeypatch):
    """Walk 42: coming back to Search logged "widget with key srch_whole was created with a default
    value but also had its value set via the Session State API" (each toggle had a value= as well
    as the kept one); the options come back as they were, and their defaults stay on."""
    import logging

    caplog.set_level(logging.WARNING)
    for lg in ("streamlit", "streamlit.elements.lib.policies"):
        monkeypatch.setattr(logging.getLogger(lg), "propagate", True)
    at = no_exception(page("search", two))
    assert (at.toggle(key="srch_whole").value, at.toggle(key="srch_case").value,
            at.toggle(key="srch_accents").value) == (True, False, False)  # the defaults
    back = no_exception(page("search", two, srch_q_kept="stock", srch_whole_kept=False, srch_case_kept=True,
                             srch_accents_kept=False))
    assert (back.text_input(key="srch_q").value, back.toggle(key="srch_whole").value,
            back.toggle(key="srch_case").value) == ("stock", False, True)
    assert not [r for r in caplog.records if "Session State API" in r.getMessage()]

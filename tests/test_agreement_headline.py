"""The agreement headline leads with per-excerpt agreement (same set of codes), says what is
pooled, is not inflated by codes nobody used, and matches the Disagreements list."""

from __future__ import annotations

import re

import pytest

from qualcode.services import coding, team
from qualcode.storage import documents
from tests.conftest import make_document
from tests.ui_helpers import no_exception, page

N = 16


@pytest.fixture
def two(project):
    """16 excerpts both reviewed: they agree on 11 (incl. 3 with no code), differ on 5."""
    turns = [("Ana", "participant", f"Turn {i}: trust, buy-in and evidence in the team.") for i in range(N)]
    with project.session() as s:
        doc_id = documents.add_document(s, make_document("doc", turns))
        ex = documents.load_document(s, doc_id).excerpts
    alice, bob = project, project.as_coder("bob")
    for i, e in enumerate(ex):
        if i < 8:  # same single code
            coding.add_coding(alice, e.id, "trust")
            coding.add_coding(bob, e.id, "trust")
        elif i < 11:  # both: nothing here
            coding.mark_reviewed(alice, e.id)
            coding.mark_reviewed(bob, e.id)
        elif i < 14:  # alice adds a second code
            coding.add_coding(alice, e.id, "trust")
            coding.add_coding(alice, e.id, "buy_in")
            coding.add_coding(bob, e.id, "trust")
        else:  # different codes
            coding.add_coding(alice, e.id, "buy_in")
            coding.add_coding(bob, e.id, "evidence")
    return alice, bob, ex


def test_headline_is_per_excerpt_and_matches_the_disagreements(two):
    alice, _, _ = two
    result = team.agreement(alice, coders=["alice", "bob"])
    o = result["overall"]
    listed = team.disagreements(alice, coders=["alice", "bob"])
    assert (o["excerpts"], o["same_codes"], o["differ"]) == (N, 11, 5)
    assert o["differ"] == len(listed)
    assert o["summary"].startswith("The coders gave the same codes to 11 of 16 excerpts (69%); they differ on 5.")
    # what is pooled is said, and the pooled figure comes second
    assert "pooled over the 3 codes someone used" in o["summary"]
    assert o["codes"] == 3 and o["decisions"] == 3 * N


def test_unused_codes_do_not_inflate_the_headline(two):
    alice, _, _ = two
    o = team.agreement(alice, coders=["alice", "bob"])["overall"]
    # dozens of codable codes nobody used would push a pooled figure to ~99%
    pooled_over_everything = 1 - 5 * 1.0 / (N * 40)
    assert o["percent_agreement"] < pooled_over_everything
    first = re.search(r"\((\d+)%\)", o["summary"]).group(1)
    assert int(first) == round(100 * 11 / 16)


def test_resolving_keeps_the_headline_and_the_list_in_step(two):
    alice, _, ex = two
    team.resolve_disagreement(alice, ex[15].id, ["buy_in"])
    o = team.agreement(alice, coders=["alice", "bob"])["overall"]
    open_items = team.disagreements(alice, coders=["alice", "bob"])
    every = team.disagreements(alice, coders=["alice", "bob"], include_resolved=True)
    assert o["differ"] == len(every) == len(open_items) + 1


def test_agreement_page_leads_with_same_codes(two):
    alice, _, _ = two
    at = no_exception(page("agreement", alice))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Same codes"] == "69%"
    assert metrics["Excerpts that differ"] == "5"
    assert any(md.value.startswith("The coders gave the same codes to 11 of 16") for md in at.markdown)


def test_agreement_page_says_when_excerpts_are_left_out(two):
    """Walk 23: lines of a speaker made interviewer after coding leave the units, and the page
    said so only in a caption nobody saw: it is a note above the table, with how many."""
    from qualcode.services import documents_edit

    alice, _, _ = two
    at = no_exception(page("agreement", alice))
    assert not [i.value for i in at.info if "left out" in i.value]
    with alice.session(readonly=True) as s:
        (doc,) = documents.list_documents(s)
    doc_id = doc["id"]
    documents_edit.set_roles(alice, [(doc_id, "Ana", "interviewer")])
    at = no_exception(page("agreement", alice))
    notes = [i.value for i in at.info if "left out" in i.value]
    assert notes == [f"{N} excerpts all the coders finished are left out: their speaker's words are not coded now "
                     "(a role changed on the Documents page after they were coded). Codes on them still count on "
                     "Themes."]

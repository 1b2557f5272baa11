"""Messages in the app's language: Undo names the code and shows the excerpt's text."""

from __future__ import annotations

import re

import pytest

from qualcode.services import coding, messages, team
from qualcode.storage import documents as doc_store
from tests.ui_helpers import no_exception, page, seed

TURNS = [
    ("Interviewer", "interviewer", "How did the team build trust?"),
    ("Ana", "participant", "We met the same people at every convening, and over two years that built trust "
                           "between the coaches and the principals of the district."),
    ("Ben", "participant", "Our principals bought in once they saw the exit tickets."),
]


@pytest.fixture
def seeded(project):
    doc_id, sid = seed(project, turns=TURNS)
    with project.session(readonly=True) as s:
        ex = doc_store.load_document(s, doc_id).excerpts
    return project, sid, ex


def test_undoing_a_rejection_says_what_and_where(seeded):
    ctx, sid, _ = seeded
    coding.reject_suggestion(ctx, sid["2:buy_in"])
    text = messages.undone_message(ctx, coding.undo(ctx))
    assert text == "Undone: rejecting “Buy-in” on “Our principals bought in once they saw the exit tickets.” (interview-1)."
    assert "suggestion" not in text


@pytest.mark.parametrize("step", ["accept", "code", "review", "memo"])
def test_every_undoable_step_names_the_excerpt(seeded, step):
    ctx, sid, ex = seeded
    if step == "accept":
        coding.accept_suggestion(ctx, sid["1:trust"])
    elif step == "code":
        coding.add_coding(ctx, ex[1].id, "trust", start=ex[1].start, end=ex[1].start + 10)
    elif step == "review":
        coding.mark_reviewed(ctx, ex[1].id)
    else:
        coding.add_memo(ctx, "convenings matter", excerpt_id=ex[1].id)
    text = messages.undone_message(ctx, coding.undo(ctx))
    assert text.startswith("Undone: ") and "(interview-1)" in text
    assert "We met the same people" in text
    quoted = text.split("“We met")[1].split("”")[0]
    assert quoted.endswith("…") and ("We met" + quoted[:-1]) in TURNS[1][2]
    assert TURNS[1][2].split("We met" + quoted[:-1])[1][:1] in (" ", ",")  # cut at a word, not mid-word
    assert not re.search(r"(suggestion|coding|excerpt|memo) \d", text)  # no ids
    if step in ("accept", "code"):
        assert "“Trust”" in text


def test_undoing_a_consensus_names_the_codes(seeded):
    ctx, _, ex = seeded
    team.resolve_disagreement(ctx, ex[2].id, ["buy_in"])
    text = messages.undone_message(ctx, team.undo(ctx))
    assert text.startswith("Undone: the consensus “Buy-in” on “Our principals")


def test_nothing_undone_is_none(project):
    assert messages.undone_message(project, []) is None


def test_code_page_undo_shows_the_text(seeded):
    ctx, sid, _ = seeded
    at = page("code", ctx, code_mode="Excerpts")
    at.button(key=f"rej-{sid['2:trust']}").click().run()
    at.button(key="page-undo").click().run()
    no_exception(at)
    shown = [i.value for i in at.info]
    assert any(v.startswith("Undone: rejecting “Trust” on “Our principals bought in") for v in shown), shown


def test_undoing_a_codebook_change_names_the_code(project):
    """Walk 35: "Undone: the code's edit." did not say which code."""
    from qualcode.services import codebook as cb_service

    cb_service.edit_code(project, "trust", definition="Confidence between people, over time.")
    assert messages.undone_message(project, coding.undo(project)) == "Undone: the code's edit “Trust”."


def test_two_codes_put_on_one_excerpt_are_each_named_by_their_undo(seeded):
    """Walk 43: Evidence then Buy-in put on one excerpt with T, then Undo twice: the second undo
    took Buy-in away but said "Undone: coding the selection “Evidence”" again (both events are
    on the same document, and the message read the newest of them). And T codes the whole
    excerpt: no selection was made."""
    ctx, _, ex = seeded
    with ctx.session(readonly=True) as s:
        (doc_id,) = [d["id"] for d in doc_store.list_documents(s)]
    for code in ("evidence", "buy_in"):
        coding.code_selection(ctx, doc_id, ex[2].start, ex[2].end, code)
    first = messages.undone_message(ctx, coding.undo(ctx))
    second = messages.undone_message(ctx, coding.undo(ctx))
    assert first.startswith("Undone: coding “Buy-in” on “Our principals bought in")
    assert second.startswith("Undone: coding “Evidence” on “Our principals bought in")
    # a part of the excerpt is a selection, and says which words
    coding.code_selection(ctx, doc_id, ex[2].start, ex[2].start + 14, "trust")
    assert messages.undone_message(ctx, coding.undo(ctx)).startswith(
        "Undone: coding the selection “Trust” on “Our principals”")


def test_the_audit_log_says_each_change_in_words(seeded):
    """Walks 47 and 48: the Audit log tab showed Python dictionaries ("{'action': 'code_selection',
    'after': {...}}"). Each row now says what happened, with the code's name, the words and the
    document; an undo names the step it took back."""
    from qualcode.services import codebook as cb_service
    from qualcode.services import documents_edit, ingest

    ctx, sid, ex = seeded
    coding.accept_suggestion(ctx, sid["1:trust"])
    coding.reject_suggestion(ctx, sid["2:buy_in"])
    at = ex[1].start + len("We met the ")
    coding.code_selection(ctx, ex[1].document_id, at, at + len("same people"), "evidence")
    coding.add_memo(ctx, "convenings matter", excerpt_id=ex[2].id)
    coding.undo(ctx)
    ingest.set_document_attribute(ctx, ex[1].document_id, "site", "North")
    ingest.set_speaker_role(ctx, ex[1].document_id, "Ben", "interviewer")
    documents_edit.rename_document(ctx, ex[1].document_id, "Coaches 2024")
    cb_service.rename_code(ctx, "trust", "Mutual trust")
    rows = team.audit_log(ctx)
    lines = dict(zip((r["action"] for r in rows), messages.audit_lines(ctx, rows)))
    assert lines["accept"] == "Accepted “Mutual trust” on “We met the same people at every convening, and over two years that…” (Coaches 2024)"
    assert lines["reject"] == "Rejected “Buy-in” on “Our principals bought in once they saw the exit tickets.” (Coaches 2024)"
    assert lines["code_selection"] == "Coded words “Evidence” on “same people” (Coaches 2024)"
    assert lines["memo"] == "Wrote a memo on “Our principals bought in once they saw the exit tickets.” (Coaches 2024): “convenings matter”"
    assert lines["undo"] == "Undid: the memo on “Our principals bought in once they saw the exit tickets.” (Coaches 2024): “convenings matter”"
    assert lines["set_attribute"] == "Set an attribute on “Coaches 2024”: site = North"
    assert lines["set_role"] == "Changed a speaker's role: Ben to interviewer (“Coaches 2024”)"
    assert lines["document_rename"] == "Renamed the document “interview-1” to “Coaches 2024”"
    assert lines["code_rename"] == "Renamed the code “Trust” to “Mutual trust”"
    assert not any("{" in line or "'" + "action" in line for line in lines.values())

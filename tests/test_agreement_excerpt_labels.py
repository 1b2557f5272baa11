"""Walk 24: the Agreement page named excerpts by a number found nowhere else ("Excerpt no. 4",
"westfield_2023_interview · excerpt 4": the stored order, which counts the interviewer's lines;
it was the 3rd excerpt the Code page offers). One label now names an excerpt as the coder
finds it (document, speaker, time, place among the coded excerpts) in the drill-down, on the
Disagreements cards and in the consensus message, each with a way to open it on the Code page;
and a card's "Use alice's codes" looks like a button."""

from __future__ import annotations

import dataclasses

import pytest
import streamlit as st

from qualcode.core import Role, Speaker
from qualcode.services import coding, team
from qualcode.storage import documents
from qualcode.ui import app as ui_app
from qualcode.ui.pages import agreement as page_mod
from qualcode.ui.text import md
from tests.conftest import make_document
from tests.ui_helpers import no_exception, page

TURNS = [("Interviewer", "interviewer", "How did it start?"),
         ("Ana", "participant", "We met every month."),
         ("Interviewer", "interviewer", "And then?"),
         ("Ana", "participant", "The data showed progress."),
         ("Interviewer", "interviewer", "What changed?"),
         ("Ana", "participant", "Trust grew between the coaches and the teachers."),
         ("Ana", "participant", "We kept at it.")]
LABEL = "westfield_2023_interview · Rosa, 1:02:03 · excerpt 3 of 4"


@pytest.fixture
def walk(project):
    """Ana (shown as her pseudonym Rosa) speaks at 0:05, 0:30, 1:02:03 and 1:02:10; alice
    and bob differ on her 3rd excerpt only (stored order 5: the 6th line of the transcript)."""
    doc = make_document("westfield_2023_interview", TURNS)
    times = [0, 5000, 20000, 30000, 60000, 3723000, 3730000]
    doc = dataclasses.replace(doc, turns=[dataclasses.replace(t, start_ms=ms) for t, ms in zip(doc.turns, times)],
                              speakers=[Speaker(label=s.label, role=s.role,
                                                pseudonym="Rosa" if s.label == "Ana" else None) for s in doc.speakers])
    with project.session() as s:
        doc_id = documents.add_document(s, doc)
        ex = [e for e in documents.load_document(s, doc_id).excerpts if e.codable]
    alice, bob = project, project.as_coder("bob")
    for e in ex:
        coding.add_coding(alice, e.id, "trust")
        if e is not ex[2]:
            coding.add_coding(bob, e.id, "trust")
        else:
            coding.mark_reviewed(bob, e.id)
    assert ex[2].order == 5
    return alice, doc_id, ex[2]


def test_the_label_names_document_speaker_time_and_place(walk):
    alice, doc_id, target = walk
    [d] = team.disagreements(alice, coders=["alice", "bob"])
    assert (d["speaker"], d["start_ms"], d["position"], d["of"]) == ("Rosa", 3723000, 3, 4)
    assert page_mod.excerpt_label(d) == LABEL
    assert page_mod.excerpt_label(d, document=False) == "Rosa, 1:02:03 · excerpt 3 of 4"
    # no times in the transcript: no time in the label
    assert page_mod.excerpt_label({**d, "start_ms": None}) == "westfield_2023_interview · Rosa · excerpt 3 of 4"


def _drill(at):
    figures = next(df.value for df in at.dataframe if "Krippendorff's alpha" in df.value.columns)
    row = int(figures.index[figures["Code"] == "Trust"][0])
    at.session_state["agr-figures"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at = no_exception(at.run())
    at.session_state["agr-drill-table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    return no_exception(at.run())


def test_the_drilldown_and_the_card_name_it_the_same_way(walk):
    alice, _, target = walk
    at = _drill(no_exception(page("agreement", alice)))
    listed = next(df.value for df in at.dataframe if "Resolved" in df.value.columns)
    assert "Excerpt no." not in listed.columns
    assert list(listed["Where"]) == ["Rosa, 1:02:03 · excerpt 3 of 4"]
    shown = [m.value for m in at.markdown]
    # the whole excerpt under the table, and its card on the Disagreements tab
    assert sum(v == f"**{md(LABEL)}**" for v in shown) == 2
    assert not any("excerpt 6" in v or "excerpt 4**" in v for v in shown)


def test_recording_consensus_names_the_excerpt_by_the_label(walk):
    alice, _, target = walk
    at = no_exception(page("agreement", alice))
    at.button(key=f"take-{target.id}-alice").click()
    at = no_exception(at.run())
    at.button(key=f"resolve-{target.id}").click()
    at = no_exception(at.run())
    assert any(s.value.startswith(f"Consensus recorded for {LABEL}: Trust.") for s in at.success)


def test_use_a_coders_codes_looks_like_a_button(walk):
    alice, _, target = walk
    at = no_exception(page("agreement", alice))
    use = [b for b in at.button if (b.key or "").startswith(f"take-{target.id}-")]
    assert [b.label for b in use] == ["Use alice's codes", "Use bob's codes"]
    assert {b.proto.type for b in use} == {"secondary"}


@pytest.mark.parametrize("key", ["open-{id}", "agr-drill-open"])
def test_open_on_the_code_page_goes_to_the_excerpt(walk, monkeypatch, key):
    """As a memo's Open does: the Code page at the document, the excerpt open and in view."""
    alice, doc_id, target = walk
    went = []
    monkeypatch.setattr(ui_app, "page_for", lambda url: f"page:{url}")
    monkeypatch.setattr(st, "switch_page", went.append)
    at = no_exception(page("agreement", alice))
    if key == "agr-drill-open":
        at = _drill(at)
    at.button(key=key.format(id=target.id)).click()
    at = no_exception(at.run())
    assert went == ["page:code"]
    assert (at.session_state["code_doc"], at.session_state["code_focus"], at.session_state["code_jump"]) \
        == (doc_id, target.id, True)

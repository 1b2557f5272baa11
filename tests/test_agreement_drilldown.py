"""The Agreement page's numbers drill down to their excerpts (a row of the per-code table ->
that code's disagreements; the Disagreements tab filters by code), and the words for kappa
and alpha come from one stated scale each, the same in the summary, the note and the table."""

from __future__ import annotations

import pytest

from qualcode.analysis import agreement as metrics
from qualcode.services import codebook as cb_service
from qualcode.services import coding, team
from qualcode.storage import documents
from qualcode.ui.pages import agreement as page_mod
from tests.conftest import make_document
from qualcode.ui.text import md, shorten
from tests.ui_helpers import no_exception, page

N = 15


@pytest.fixture
def two(project):
    return two_coders(project)


def two_coders(project):
    """15 excerpts both reviewed. buy_in: alice alone on 9, 10; both on 11; bob alone on 12.
    trust and evidence differ on 13, 14; the overall sets differ on 9, 10, 12, 13, 14.
    ``project`` is alice's ProjectContext (the browser test builds its project with it too)."""
    turns = [("Ana", "participant", f"Turn {i}: trust, buy-in and evidence in the team.") for i in range(N)]
    with project.session() as s:
        doc_id = documents.add_document(s, make_document("doc", turns))
        ex = documents.load_document(s, doc_id).excerpts
    alice, bob = project, project.as_coder("bob")
    for i, e in enumerate(ex):
        if i < 6:
            coding.add_coding(alice, e.id, "trust")
            coding.add_coding(bob, e.id, "trust")
        elif i < 9:
            coding.mark_reviewed(alice, e.id)
            coding.mark_reviewed(bob, e.id)
        elif i < 11:
            coding.add_coding(alice, e.id, "trust")
            coding.add_coding(alice, e.id, "buy_in")
            coding.add_coding(bob, e.id, "trust")
        elif i == 11:
            coding.add_coding(alice, e.id, "buy_in")
            coding.add_coding(bob, e.id, "buy_in")
        elif i == 12:
            coding.mark_reviewed(alice, e.id)
            coding.add_coding(bob, e.id, "buy_in")
        else:
            coding.add_coding(alice, e.id, "evidence")
            coding.add_coding(bob, e.id, "trust")
    return alice, bob, ex


def _figures(at):
    return next(df.value for df in at.dataframe if "Krippendorff's alpha" in df.value.columns)


def _select_row(at, name: str):
    figures = _figures(at)
    row = int(figures.index[figures["Code"].str.startswith(name)][0])
    at.session_state["agr-figures"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    return no_exception(at.run()), figures.iloc[row]


def _drill(at):
    return next(df.value for df in at.dataframe if "Resolved" in df.value.columns)


def test_selecting_a_code_row_lists_exactly_its_disagreements(two):
    alice, _, ex = two
    at = no_exception(page("agreement", alice))
    at, row = _select_row(at, "Buy-in")
    # the row's figures: 15 units, 80% agreement -> 3 excerpts that differ
    assert row["Units (excerpts)"] == N and row["Agreement"] == "80%"
    assert row["Excerpts that differ"] == 3 == round(N * (1 - 0.8))
    listed = _drill(at)
    assert len(listed) == row["Excerpts that differ"]
    # who and where, 1-based among the document's coded excerpts: ex[9], ex[10], ex[12]
    assert list(listed["Where"]) == [f"Ana · excerpt {i} of {N}" for i in (10, 11, 13)]
    # the words come before who did what (walk 6: with the text last it sat off the table's edge)
    assert list(listed.columns[:3]) == ["Document", "Where", "Text"]
    assert list(listed["Text"]) == [shorten(ex[i].text, 120) for i in (9, 10, 12)]
    assert list(listed["alice applied it"]) == ["yes", "yes", "no"]
    assert list(listed["bob applied it"]) == ["no", "no", "yes"]
    # both coders' codes, not only the selected one
    assert set(list(listed["alice's codes"])[0].split(", ")) == {"Trust", "Buy-in"} and list(listed["bob's codes"])[0] == "Trust"
    assert any("3 excerpts where some coders applied Buy-in" in c.value for c in at.caption)


@pytest.mark.parametrize("name", ["Trust", "Buy-in", "Evidence", "Overall"])
def test_every_row_drills_to_as_many_excerpts_as_it_says_differ(two, name):
    alice, _, ex = two
    at = no_exception(page("agreement", alice))
    at, row = _select_row(at, name)
    listed = _drill(at)
    assert len(listed) == row["Excerpts that differ"]
    if name != "Overall":
        assert len(listed) == round(row["Units (excerpts)"] * (1 - int(row["Agreement"].rstrip("%")) / 100))


def test_resolved_disagreements_still_drill_down_as_the_figures_count_them(two):
    alice, _, ex = two
    team.resolve_disagreement(alice, ex[12].id, ["buy_in"])
    at = no_exception(page("agreement", alice))
    at, row = _select_row(at, "Buy-in")
    listed = _drill(at)
    assert len(listed) == row["Excerpts that differ"] == 3
    assert list(listed["Resolved"]) == ["", "", "yes"]


def test_a_drilled_row_shows_its_whole_excerpt_under_the_table(project):
    """The drill-down table cuts long words at 120 characters (the coders' columns stay in
    view); a row clicked in it shows the whole excerpt and each coder's codes below."""
    long = ("We kept meeting every second week, and the trust between the district and the schools "
            "grew slowly, but what finally changed minds was seeing the classroom evidence together.")
    turns = [("Ana", "participant", long + f" ({i})") for i in range(4)]
    with project.session() as s:
        doc_id = documents.add_document(s, make_document("long", turns))
        ex = documents.load_document(s, doc_id).excerpts
    bob = project.as_coder("bob")
    for e in ex[:2]:
        coding.add_coding(project, e.id, "trust")
        coding.add_coding(bob, e.id, "trust")
    coding.add_coding(project, ex[2].id, "trust")
    coding.add_coding(bob, ex[2].id, "evidence")
    coding.mark_reviewed(project, ex[3].id)
    coding.add_coding(bob, ex[3].id, "trust")
    at = no_exception(page("agreement", project))
    at, _ = _select_row(at, "Trust")
    listed = _drill(at)
    assert list(listed["Where"]) == ["Ana · excerpt 3 of 4", "Ana · excerpt 4 of 4"]
    assert all(len(t) <= 120 for t in listed["Text"])
    assert any("Click a row to read its whole excerpt" in c.value for c in at.caption)
    assert not any(long in m.value for m in at.markdown)
    at.session_state["agr-drill-table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at = no_exception(at.run())
    assert any(m.value == "> " + md(long + " (3)") for m in at.markdown)  # the whole of the 4th excerpt
    assert any(m.value == "**long · Ana · excerpt 4 of 4**" for m in at.markdown)
    assert any(c.value == "alice: no code · bob: Trust" for c in at.caption)


def test_disagreements_tab_filters_by_code(two):
    alice, _, ex = two
    at = no_exception(page("agreement", alice))
    assert len([b for b in at.button if b.key and b.key.startswith("resolve-")]) == 5
    at.selectbox(key="dis-code").set_value("buy_in")
    at = no_exception(at.run())
    shown = {b.key for b in at.button if b.key and b.key.startswith("resolve-")}
    assert shown == {f"resolve-{ex[i].id}" for i in (9, 10, 12)}
    assert any("3 excerpts where the coders differ on Buy-in" in c.value for c in at.caption)


def test_the_drilldown_button_filters_the_disagreements_tab(two):
    alice, _, ex = two
    at = no_exception(page("agreement", alice))
    at, _ = _select_row(at, "Evidence")
    at.button(key="agr-drill-filter").click()
    at = no_exception(at.run())
    assert at.selectbox(key="dis-code").value == "evidence"
    shown = {b.key for b in at.button if b.key and b.key.startswith("resolve-")}
    assert shown == {f"resolve-{ex[i].id}" for i in (13, 14)}


# --- one scale per figure, said once and used everywhere ------------------------------------

def test_kappa_and_alpha_words_name_their_own_scale():
    # the user's Outcomes row: kappa 0.63, alpha 0.64
    assert metrics.kappa_label(0.63) == "substantial agreement"
    assert metrics.alpha_verdict(0.64) == "unreliable by Krippendorff's 0.667"
    assert metrics.alpha_verdict(0.7) == "tentative by Krippendorff's 0.667–0.8"
    assert metrics.alpha_verdict(0.8) == "reliable by Krippendorff's 0.8"
    words = metrics.in_words(0.63, 0.64)
    assert words == ("kappa 0.63: substantial agreement (Landis and Koch); "
                     "alpha 0.64: unreliable by Krippendorff's 0.667")
    # a kappa that cannot be computed is not put in kappa's words through alpha
    text = metrics.describe({"units": 20, "percent_agreement": 0.9, "cohen_kappa": None,
                             "krippendorff_alpha": 0.5})
    assert "substantial" not in text and "moderate" not in text and "unreliable by Krippendorff" in text


def test_summary_note_table_and_help_agree_on_the_scales(two):
    alice, _, _ = two
    at = no_exception(page("agreement", alice))
    o = team.agreement(alice, coders=["alice", "bob"])["overall"]
    kappa, alpha = o["cohen_kappa"], o["krippendorff_alpha"]
    summary = next(m.value for m in at.markdown if m.value.startswith("The coders gave the same codes"))
    # the summary names each figure's words and scale
    assert f"kappa {kappa:.2f}: {metrics.kappa_label(kappa)} (Landis and Koch)" in summary.replace("\\", "")
    assert f"alpha {alpha:.2f}: {metrics.alpha_verdict(alpha)}" in summary.replace("\\", "")
    # the table: two columns, each for its own figure, the Overall row says what the summary says
    overall = _figures(at).iloc[-1]
    assert "What it means" not in _figures(at).columns
    assert overall[page_mod.KAPPA_WORDS] == metrics.kappa_label(kappa)
    assert overall[page_mod.ALPHA_WORDS] == metrics.alpha_verdict(alpha)
    # the note under it no longer holds kappa to alpha's cut-offs
    note = next(c.value for c in at.caption if c.value.startswith("'Same codes'"))
    assert "Kappa and alpha discount the agreement expected by chance: above 0.8" not in note
    assert "Landis and Koch" in note and "0.61–0.80 substantial" in note
    assert "Krippendorff" in note and "0.667–0.8 tentative" in note
    # the help text writes the choice down
    assert any(metrics.SCALES in m.value for m in at.markdown)


def test_label_for_kappa_never_comes_from_alpha():
    # kappa undefined, alpha 0.5: the kappa words must not read alpha on Landis and Koch's scale
    fig = team._summarise({"units": 20, "percent_agreement": 0.9, "cohen_kappa": None,
                           "krippendorff_alpha": 0.5}, unit_name="excerpts")
    assert fig["label"] == "cannot be computed"
    assert fig["alpha_label"].startswith("unreliable")


def test_overall_row_counts_each_coders_applications_over_the_codes(two):
    """The Overall row's 'Applied by' cells are each coder's applications pooled over the
    codes (the per-code cells summed), not empty cells."""
    alice, _, _ = two
    figures = _figures(no_exception(page("agreement", alice)))
    for c in ("alice", "bob"):
        col = figures[f"Applied by {c}"]
        assert col.iloc[-1] == col.iloc[:-1].sum() and col.notna().all(), c
    # alice: trust on 0-5, 9, 10; buy_in on 9-11; evidence on 13, 14
    assert figures["Applied by alice"].iloc[-1] == 8 + 3 + 2


def test_codes_nobody_applied_are_named_under_the_table_not_rows_at_100_percent(two):
    """The default codebook has codes neither coder used here: they would read 100% agreement
    while the summary says they are left out. The table holds the codes in use; a line under
    it names the others."""
    alice, _, _ = two
    at = no_exception(page("agreement", alice))
    figures = _figures(at)
    result = team.agreement(alice, coders=["alice", "bob"])
    used = [c for c, f in result["codes"].items() if any(f["applied"].values())]
    assert sorted(used) == ["buy_in", "evidence", "trust"]
    assert len(figures) == len(used) + 1  # and the Overall row
    names = {c.id: c.name for c in cb_service.get_codebook(alice).codes}
    assert list(figures["Code"].iloc[:-1]) == [names[c] for c in used]
    note = next(c.value for c in at.caption if c.value.startswith("Not in the table:"))
    unused = [c for c in result["codes"] if c not in used]
    assert f"{len(unused)} codes that none of these coders applied" in note
    assert all(names[c] in note.replace("\\", "") for c in unused)


def test_the_per_code_table_shows_every_row_without_scrolling(two, monkeypatch):
    """More than ten rows (Streamlit's default height) would hide the Overall row inside the
    table's own scroll: the table is as tall as its rows."""
    import streamlit as st

    alice, _, ex = two
    for k in range(10):  # ten more codes in use: 13 rows and the Overall row
        cb_service.add_code(alice, {"id": f"extra_{k}", "name": f"Extra {k}", "definition": "More."})
        coding.add_coding(alice, ex[0].id, f"extra_{k}")
    heights, shown = [], st.dataframe

    def spy(data=None, *args, **kw):
        if kw.get("key") == "agr-figures":
            heights.append((len(data), kw.get("height", "auto")))
        return shown(data, *args, **kw)

    monkeypatch.setattr(st, "dataframe", spy)
    no_exception(page("agreement", alice))
    assert heights == [(14, "content")]


def test_a_sub_code_counts_for_its_parent_in_agreement_as_in_themes(project):
    """Walk 16: alice coded a sentence "Trust and rapport", bob "Trust and rapport" and its
    parent "Mentoring relationship". Themes counted both coders under the parent; Agreement
    called the parent "less than chance agreement" and listed the sentence as a disagreement.
    A sub-code now counts for its (codable) parent in the figures and in the drill-down."""
    alice, bob = project, project.as_coder("bob")
    cb_service.add_code(alice, {"id": "mentoring", "name": "Mentoring relationship", "definition": "The bond."})
    cb_service.add_code(alice, {"id": "rapport", "name": "Trust and rapport", "parent": "mentoring",
                                "definition": "Feeling safe with the mentor."})
    turns = [("Ana", "participant", f"Sentence {i} about my mentor.") for i in range(6)]
    with project.session() as s:
        doc_id = documents.add_document(s, make_document("mentoring", turns))
        ex = documents.load_document(s, doc_id).excerpts
    coding.add_coding(alice, ex[0].id, "rapport")  # the walk's sentence
    coding.add_coding(bob, ex[0].id, "rapport")
    coding.add_coding(bob, ex[0].id, "mentoring")
    coding.add_coding(alice, ex[1].id, "mentoring")  # the parent directly, both
    coding.add_coding(bob, ex[1].id, "mentoring")
    coding.add_coding(alice, ex[2].id, "rapport")  # a real difference on the parent
    for e in ex[2:]:
        coding.mark_reviewed(bob, e.id)
    for e in ex[3:]:
        coding.mark_reviewed(alice, e.id)
    result = team.agreement(alice, coders=["alice", "bob"])
    parent = result["codes"]["mentoring"]
    assert parent["applied"] == {"alice": 3, "bob": 2}
    assert parent["units_differ"] == 1 and parent["cohen_kappa"] == pytest.approx(0.6667, abs=1e-3)
    assert result["codes"]["rapport"]["units_differ"] == 1  # ex 2 only
    assert result["overall"]["differ"] == 1  # ex 0 is the same set of codes once the parent is counted
    one = team.agreement(alice, coders=["alice", "bob"], code="mentoring")["codes"]["mentoring"]
    assert one["applied"] == parent["applied"] and one["units_differ"] == 1
    items = team.disagreements(alice, coders=["alice", "bob"])
    assert [d["excerpt_id"] for d in items] == [ex[2].id]
    assert items[0]["differing"] == ["mentoring", "rapport"]
    # what each coder put there themselves (walk 50: the card listed the parent as alice's code, and
    # "Use alice's codes" recorded it in the consensus)
    assert items[0]["coders"]["alice"] == ["mentoring", "rapport"] and items[0]["applied"]["alice"] == ["rapport"]
    card = no_exception(page("agreement", alice))
    said = [m.value for m in card.markdown]
    assert "Trust and rapport" in said and "Mentoring relationship, Trust and rapport" not in said, said
    assert any(c.value == "Counts for Mentoring relationship through its sub-code" for c in card.caption)
    card.button(key=f"take-{ex[2].id}-alice").click()
    card = no_exception(card.run())
    assert card.session_state[f"cons-{ex[2].id}"] == ["rapport"]
    assert [d["excerpt_id"] for d in team.disagreements(alice, coders=["alice", "bob"], code="mentoring")] \
        == [ex[2].id]
    # the page: the parent's row drills down to exactly that excerpt
    at = no_exception(page("agreement", alice))
    at, row = _select_row(at, "Mentoring relationship")
    listed = _drill(at)
    assert row["Excerpts that differ"] == 1 == len(listed)
    assert list(listed["Where"]) == ["Ana · excerpt 3 of 6"]
    assert list(listed["alice applied it"]) == ["yes"] and list(listed["bob applied it"]) == ["no"]

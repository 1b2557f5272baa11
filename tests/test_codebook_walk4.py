"""The Codebook page as a new user walked it (fourth walk): Discovered themes stay open with
their results after Discover; promoting a theme makes a code from what the coder can judge
(their name, the theme's most typical excerpts), never from the theme's top words silently;
adding a grouping code, restoring a retired one and undoing say what really happened."""

from __future__ import annotations

import numpy as np
import pytest

from qualcode.core import Code
from qualcode.services import codebook as cbs
from qualcode.services import suggest as suggest_svc
from qualcode.storage import audit
from qualcode.suggest.discover import cluster_themes, content_words, is_content_word
from tests.ui_helpers import no_exception, page, work_on

THEMES_LABEL = "Discovered themes (from excerpts no code covers)"
QUOTES = ["We meet every six months with the district team.",
          "Every month the coaches came back to check on the cycle.",
          "Six times a year we sit down and look at the month's data."]
# what the walk saw: the words that set the cluster apart are function words and a number
THEME = {"label": "six, every, month", "keywords": ["six", "every", "month"], "content_words": ["month"],
         "quotes": QUOTES, "examples": QUOTES, "excerpt_ids": [5, 6, 7, 8], "size": 8}


def _themes_expander(at):
    return next(e for e in at.expander if e.label == THEMES_LABEL)


def _discovered(at, monkeypatch, themes):
    monkeypatch.setattr(suggest_svc, "discover_themes", lambda ctx, **kw: [dict(t) for t in themes])
    at.button(key="discover").click().run()
    return no_exception(at)


# -- 1. Discover keeps the expander open, with its results ------------------------------------
def test_discover_leaves_the_themes_open_with_their_results(project, monkeypatch):
    at = no_exception(page("codebook", project))
    assert not _themes_expander(at).proto.expanded  # closed until asked
    _discovered(at, monkeypatch, [THEME])
    assert _themes_expander(at).proto.expanded  # the rerun does not fold the results away
    shown = " ".join(t.value for t in at.text)
    assert all(q in shown for q in QUOTES)
    at.run()  # and it stays open on the next run (its state is kept in the session)
    assert _themes_expander(no_exception(at)).proto.expanded


def test_discover_with_nothing_found_says_so(project, monkeypatch):
    at = no_exception(page("codebook", project))
    _discovered(at, monkeypatch, [])
    assert _themes_expander(at).proto.expanded
    assert any("No recurring theme found" in i.value for i in at.info)


# -- 2. Promote: the coder's name and the theme's excerpts, keywords only as kept --------------
def test_promote_on_the_page_makes_no_keywords_of_function_words(project, monkeypatch):
    at = no_exception(page("codebook", project))
    _discovered(at, monkeypatch, [THEME])
    before = {c.id for c in cbs.get_codebook(project).codes}
    # the proposed keywords are editable and hold only the content words
    assert at.text_input(key="theme-5-keywords").value == "month"
    # Enter in the name box does not promote it before the keywords are looked at (walk 5)
    forms = [b for b in at.get("form") if b.proto.form.form_id.startswith("promote-form-")]
    assert forms and not any(f.proto.form.enter_to_submit for f in forms)
    at.button(key="theme-5-promote").click().run()  # no name yet: refused, nothing created
    assert any("Name the new code first" in e.value for e in no_exception(at).error)
    assert {c.id for c in cbs.get_codebook(project).codes} == before
    at.text_input(key="theme-5-name").input("Meeting rhythm")
    at.text_input(key="theme-5-keywords").input("")  # the coder keeps none
    at.button(key="theme-5-promote").click().run()
    no_exception(at)
    made = cbs.get_codebook(project).get("meeting_rhythm")
    assert made is not None and made.codable and not made.retired
    assert made.keywords == []
    assert made.definition == "Meeting rhythm."
    assert "six" not in made.definition.lower() and "every" not in made.definition.lower()
    assert made.examples == QUOTES  # the theme's most typical excerpts
    said = " ".join(s.value for s in at.success)
    assert "Created the code Meeting rhythm" in said and "no keywords" in said and "Edit" in said
    assert "--" not in said
    assert work_on(at).value == "meeting_rhythm"  # open, to write its definition
    assert _themes_expander(at).proto.expanded  # still open; the promoted theme left the list
    assert not any(t.key == "theme-5-name" for t in at.text_input)


def test_promoting_a_theme_as_it_comes_never_makes_its_top_words_keywords(project, monkeypatch):
    """The walk's click: name the theme, press Promote, change nothing else."""
    at = no_exception(page("codebook", project))
    _discovered(at, monkeypatch, [THEME])
    name_box = next(t for t in at.text_input if "theme" in (t.key or "") and "name" in t.label.lower())
    name_box.input("Meeting rhythm")
    next(b for b in at.button if b.label == "Promote to code").click().run()
    no_exception(at)
    made = next(c for c in cbs.get_codebook(project).codes if c.name == "Meeting rhythm")
    assert not {"six", "every"} & {k.lower() for k in made.keywords}
    assert "six" not in made.definition.lower() and "every" not in made.definition.lower()
    assert made.examples == QUOTES


def test_promote_on_the_page_keeps_the_keywords_and_definition_the_coder_left(project, monkeypatch):
    at = no_exception(page("codebook", project))
    _discovered(at, monkeypatch, [THEME])
    at.text_input(key="theme-5-name").input("Meeting rhythm")
    at.text_input(key="theme-5-definition").input("How often partners meet and review their work.")
    at.button(key="theme-5-promote").click().run()
    no_exception(at)
    made = cbs.get_codebook(project).get("meeting_rhythm")
    assert made.keywords == ["month"]  # the proposal, kept as it was
    assert made.definition == "How often partners meet and review their work."
    assert "keywords month" in " ".join(s.value for s in at.success)


def test_promote_theme_service(project):
    made = cbs.promote_theme(project, THEME, name="Meeting rhythm")
    assert (made.name, made.definition, made.keywords, made.examples) == \
        ("Meeting rhythm", "Meeting rhythm.", [], QUOTES)
    with project.session(readonly=True) as s:
        ev = audit.list_events(s, action="code_add")[0]
    assert ev.entity_id == made.id and ev.after["source"] == "discovery"
    again = cbs.promote_theme(project, {**THEME, "quotes": QUOTES * 2}, name="meeting rhythm",
                              keywords="monthly, review,\nmonthly", definition="  Meeting cycles. ")
    assert again.name == "meeting rhythm (2)" and again.keywords == ["monthly", "review"]
    assert again.definition == "Meeting cycles." and again.examples == QUOTES  # no duplicates, 3 at most
    with pytest.raises(Exception, match="name the new code"):
        cbs.promote_theme(project, THEME, name="  ")
    assert cbs.undo_codebook(project)["message"] == \
        "Undid: added code “meeting rhythm (2)” from a discovered theme (it is removed)."


def test_content_words_drop_function_words_and_numbers():
    assert content_words(["six", "every", "month", "pizza", "2021", "the"]) == ["month", "pizza"]
    assert not is_content_word("") and not is_content_word("Every")


def test_discovered_themes_are_labelled_with_content_words():
    a = [f"We meet every six month{'s' if i % 2 else ''} and review plans {i}" for i in range(6)]
    b = [f"The pizza lunch in the cafeteria was loved {i}" for i in range(6)]
    texts = a + b
    emb = np.zeros((12, 4), dtype=np.float32)
    emb[:6, 0] = 1
    emb[6:, 1] = 1
    themes = cluster_themes(texts, emb, list(range(12)), min_size=6, max_themes=4)
    meeting = next(t for t in themes if 0 in t["excerpt_ids"])
    assert "every" in meeting["keywords"] or "six" in meeting["keywords"]  # what sets it apart...
    assert not {"every", "six"} & set(meeting["content_words"])  # ... is not what it is about
    assert not {"every", "six"} & set(meeting["label"].split(", "))
    assert meeting["content_words"] and all(is_content_word(w) for w in meeting["content_words"])


# -- the promoted code still gets suggestions at once (no keywords needed) ---------------------
LIVE_TURNS = [
    ("Interviewer", "interviewer", "How did trust develop in the team?"),
    ("Ana", "participant", "We trust each other because we met at every convening."),
    ("Ben", "participant", "Time was short, we never had enough time to plan."),
    ("Ana", "participant", "The cafeteria served pizza on Fridays and the students loved the pizza."),
]
LIVE_CODEBOOK = """codes:
- {id: trust, name: Trust, definition: Trust between people., keywords: [trust]}
- {id: time, name: Time pressure, definition: Not enough time., keywords: [time]}
"""


@pytest.fixture
def live_project(tmp_path):
    from qualcode import services
    from qualcode.storage import documents as doc_store
    from qualcode.storage import meta
    from qualcode.suggest.embedder import HashEmbedder
    from tests.conftest import make_document

    (tmp_path / "codebook.yaml").write_text(LIVE_CODEBOOK, encoding="utf-8")
    project = services.init_project(tmp_path / "proj", codebook=tmp_path / "codebook.yaml", coder="alice")
    suggest_svc.set_embedder(HashEmbedder())
    with project.session() as s:
        meta.set_setting(s, "threshold", 0.3)
        doc = doc_store.add_document(s, make_document("doc0", LIVE_TURNS))
    yield project, doc
    suggest_svc.wait_for_learning(project)
    suggest_svc.set_embedder(None)
    project.close()


def test_a_promoted_code_without_keywords_is_suggested_at_once(live_project):
    from qualcode.storage import coding as coding_store
    from qualcode.storage import documents as doc_store

    ctx, doc = live_project
    suggest_svc.suggest_all(ctx)
    pizza = LIVE_TURNS[3][2]
    made = cbs.promote_theme(ctx, {"keywords": ["friday", "every"], "quotes": [pizza]}, name="School food")
    assert made.keywords == []
    assert suggest_svc.follow_codebook(ctx, document_id=doc) is True
    suggest_svc.wait_for_learning(ctx)
    with ctx.session(readonly=True) as s:
        pending = coding_store.list_suggestions(s, status="pending", document_id=doc)
        texts = {e.id: e.text for e in doc_store.load_document(s, doc).excerpts}
    assert any(p.code_id == made.id and texts[p.excerpt_id] == pizza for p in pending)


# -- 3. a grouping code is not suggested, and the page says so --------------------------------
def test_adding_a_grouping_code_says_what_a_grouping_code_does(project):
    at = no_exception(page("codebook", project))
    at.text_input(key="add_name").input("Conditions")
    codable = next(c for c in at.checkbox if c.label.startswith("Codable (off"))
    codable.uncheck()
    at.button[[b.label for b in at.button].index("Add code")].click().run()
    no_exception(at)
    added = cbs.get_codebook(project).get("conditions")
    assert added is not None and not added.codable
    said = " ".join(s.value for s in at.success)
    assert "grouping code" in said and "suggests it" not in said
    assert cbs.added_text(Code(id="x", name="X", definition="d.")).startswith("Added X. The Code page suggests it")


# -- 4. Restore says what it did ----------------------------------------------------------------
def test_restore_confirms(project):
    cbs.add_code(project, {"id": "rapport", "name": "Rapport", "definition": "Warmth between coach and team."})
    cbs.retire_code(project, "rapport")
    at = no_exception(page("codebook", project, cb_retired=True))
    work_on(at).set_value("rapport").run()
    at.button(key="restore-rapport").click().run()
    no_exception(at)
    assert not cbs.get_codebook(project).get("rapport").retired
    assert any(s.value.startswith("Restored Rapport;") for s in at.success)
    assert cbs.restored_text(Code(id="g", name="Group", codable=False)).startswith("Restored Group; it is a grouping")
    assert "its 2 codings count again" in cbs.restored_text(Code(id="r", name="R", definition="d."), 2)


# -- 5. Undo says which change it took back ----------------------------------------------------
def test_undo_says_which_change(project):
    cbs.add_code(project, {"id": "rapport", "name": "Rapport", "definition": "Warmth."})
    cbs.edit_code(project, "rapport", definition="Warmth between coach and team.", keywords=["warmth"])
    cbs.rename_code(project, "rapport", "Rapport with coach")
    cbs.move_code(project, "rapport", "relationships")
    cbs.merge_codes(project, "rapport", "trust")
    trust = cbs.get_codebook(project).get("trust").name
    relationships = cbs.get_codebook(project).get("relationships").name
    assert [cbs.undo_codebook(project)["message"] for _ in range(5)] == [
        f"Undid: merge of “Rapport with coach” into “{trust}” "
        "(“Rapport with coach” is back with its codings).",
        f"Undid: move of “Rapport with coach” from the top level to “{relationships}”.",
        "Undid: renaming of “Rapport” to “Rapport with coach”.",
        "Undid: edit of “Rapport”'s definition and keywords.",
        "Undid: added code “Rapport” (it is removed).",
    ]
    cbs.add_code(project, {"id": "rapport", "name": "Rapport", "definition": "Warmth."})
    cbs.split_code(project, "rapport", {"name": "Small talk", "definition": "Chat."}, [])
    cbs.retire_code(project, "small_talk")
    cbs.restore_code(project, "small_talk")
    assert [cbs.undo_codebook(project)["message"] for _ in range(3)] == [
        "Undid: restore of “Small talk” (it is retired again).",
        "Undid: retirement of “Small talk” (it is in use again).",
        "Undid: split of “Small talk” out of “Rapport”.",
    ]


def test_undo_on_the_page_says_which_change(project):
    cbs.add_code(project, {"id": "rapport", "name": "Rapport", "definition": "Warmth."})
    cbs.merge_codes(project, "rapport", "trust")
    trust = cbs.get_codebook(project).get("trust").name
    at = no_exception(page("codebook", project))
    at.button(key="cb-undo").click().run()
    infos = [i.value for i in no_exception(at).info]
    assert any(v.startswith(f"Undid: merge of “Rapport” into “{trust}”") for v in infos), infos
    assert not any(v == "Undid the last codebook change." for v in infos)
    at.button(key="cb-undo").click().run()
    assert any(i.value.startswith("Undid: added code “Rapport”") for i in no_exception(at).info)
    at.button(key="cb-undo").click().run()
    assert any(i.value.startswith("Nothing to undo") for i in no_exception(at).info)


# -- Walk 28: a rename shows in "Work on code"; a split names the new code by its name --------
def test_rename_shows_in_work_on_code_and_split_says_the_new_name(project):
    cbs.add_code(project, {"id": "kindness", "name": "Volunteer kindness", "definition": "Warmth of volunteers."})
    at = no_exception(page("codebook", project))
    work_on(at).set_value("kindness").run()
    assert work_on(at).value == "kindness"
    name = next(t for t in at.text_input if t.label == "Name" and t.value == "Volunteer kindness")
    name.input("Staff and volunteer kindness")
    next(b for b in at.button if b.label == "Save changes").click().run()
    no_exception(at)
    assert cbs.get_codebook(project).get("kindness").name == "Staff and volunteer kindness"
    box = work_on(at)  # the same code, under its new name: a new box (Streamlit kept the old label)
    assert box.value == "kindness" and box.key != "cb_code"
    assert box.format_func("kindness") == "Staff and volunteer kindness (kindness)"
    at.text_input(key="splitname-kindness").input("Driver kindness").run()
    at.button(key="dosplit-kindness").click().run()
    no_exception(at)
    assert any(s.value.startswith("Split Driver kindness out of Staff and volunteer kindness:") for s in at.success)


# -- A code's colour: new codes get the free colour farthest from the others, but after twenty
# or so two look alike; the coder can give a code its own -----------------------------------------
def test_a_code_gets_its_own_colour_on_the_codebook_page(project):
    from qualcode.ui.transcript_view import code_colors

    cbs.add_code(project, {"id": "rapport", "name": "Rapport", "definition": "Warmth."})
    before = cbs.get_codebook(project).get("rapport").color
    at = no_exception(page("codebook", project))
    work_on(at).set_value("rapport").run()
    picker = at.color_picker(key="edit-color-rapport")
    assert picker.value.lower() == before.lower()  # the colour it has now
    next(b for b in at.button if b.label == "Save changes").click().run()
    assert cbs.get_codebook(project).get("rapport").color == before  # unchanged
    at.color_picker(key="edit-color-rapport").pick("#123abc")
    next(b for b in at.button if b.label == "Save changes").click().run()
    no_exception(at)
    assert cbs.get_codebook(project).get("rapport").color == "#123abc"
    assert code_colors(cbs.get_codebook(project).codable_codes())["rapport"] == "#123abc"  # the transcript's
    assert at.color_picker(key="edit-color-rapport").value == "#123abc"
    at.button(key="cb-undo").click().run()  # one undo takes it back, said as the form says it
    assert cbs.get_codebook(project).get("rapport").color == before
    assert any(i.value.startswith("Undid: edit of “Rapport”'s colour") for i in at.info), [i.value for i in at.info]

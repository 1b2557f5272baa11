"""Page logic with Streamlit's AppTest (fast; the real browser is in tests/browser/)."""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from qualcode import services
from qualcode.core import Suggestion
from qualcode.services import coding, ui_support
from qualcode.storage import codes as code_store
from qualcode.storage import coding as coding_store
from qualcode.storage import documents as doc_store
from tests.ui_helpers import EVIL, focus_button, no_exception, page, run_script, seed, type_new_option, work_on

TURNS = [
    ("Interviewer", "interviewer", "How did the team build trust?"),
    ("Ana [x](http://evil)", "participant", EVIL),
    ("Ben", "participant", "Our principals bought in once they saw the exit tickets."),
]


@pytest.fixture
def seeded(project):
    doc_id, sid = seed(project, turns=TURNS)
    return project, doc_id, sid


def _store(ctx, doc_id):
    with ctx.session(readonly=True) as s:
        sugg = {sg.id: sg for sg in coding_store.list_suggestions(s, document_id=doc_id)}
        codings = coding_store.list_codings(s, document_id=doc_id)
        memos = coding_store.list_memos(s, document_id=doc_id)
        excerpts = doc_store.load_document(s, doc_id).excerpts
    return sugg, codings, memos, excerpts


def test_pages_without_a_project_say_what_to_do(monkeypatch):
    monkeypatch.delenv("QUALCODE_PROJECT", raising=False)
    monkeypatch.delenv("QUALCODE_DATABASE_URL", raising=False)
    for name in ("project", "code", "codebook", "themes", "export", "importing"):
        at = no_exception(page(name, None))
        assert any("project" in i.value.lower() for i in at.info), name


def test_project_page_creates_a_project_and_adds_a_coder(tmp_path):
    at = page("project", None)
    at.text_input(key="project_path").input(str(tmp_path / "study"))
    at.text_input(key="project_new_name").input("My study")
    at.button(key="project_create").click().run()
    no_exception(at)
    assert (tmp_path / "study" / "project.db").exists()
    assert any("My study" in h.value for h in at.subheader)
    at.text_input(key="coder_new").input("Dana")
    at.button(key="coder_add").click().run()
    assert at.session_state["coder"] == "Dana"
    assert "Dana" in at.selectbox(key="coder_pick").options
    assert any("no transcripts yet" in i.value for i in at.info)


def test_open_on_a_folder_without_a_project_says_how_to_start_one(tmp_path):
    """Walk 15: Open on a new folder (a natural first step) showed a red "no qualcode project
    in ...". It is a step, not a failure: the page says to press Create, and Create works."""
    at = page("project", None)
    at.text_input(key="project_path").input(str(tmp_path / "new study"))
    at.button(key="project_open").click().run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert any("no qualcode project in" in i.value and "Press **Create**" in i.value for i in at.info)
    assert not (tmp_path / "new study").exists()  # nothing made until Create
    at.button(key="project_create").click().run()
    assert (tmp_path / "new study" / "project.db").exists()


def test_app_started_on_a_folder_without_a_project_opens_the_form_and_says_press_create(tmp_path, monkeypatch):
    """Walk 16: the app started on a folder meant for a new project (QUALCODE_PROJECT) showed a
    red "no qualcode project in ..." on the Project page itself, the form to create it folded
    away. Now the form is open on that folder and the page says to press Create."""
    folder = tmp_path / "mentoring study"
    monkeypatch.setenv("QUALCODE_PROJECT", str(folder))
    monkeypatch.delenv("QUALCODE_DATABASE_URL", raising=False)
    at = no_exception(page("project", None))
    assert not at.error, [e.value for e in at.error]
    told = [i.value for i in at.info if "no qualcode project in" in i.value]
    assert len(told) == 1 and "Press **Create**" in told[0], [i.value for i in at.info]
    assert at.expander[0].proto.expanded
    assert at.text_input(key="project_path").value == str(folder)
    at.button(key="project_open").click().run()  # Open on it says the same, once
    assert not at.error and len([i for i in at.info if "no qualcode project in" in i.value]) == 1
    at.text_input(key="project_new_name").input("Mentoring").run()
    at.button(key="project_create").click().run()
    no_exception(at)
    assert (folder / "project.db").exists()
    assert not [i for i in at.info if "no qualcode project in" in i.value]
    assert any("Mentoring" in h.value for h in at.subheader)


def test_a_new_project_gets_the_codebook_chosen_for_it(tmp_path):
    """A walk: a mentoring study was created with the school-improvement codebook, no choice
    offered; its first suggestions were "Peer learning across districts"."""
    from qualcode.services import codebook

    at = page("project", None)
    books = at.selectbox(key="project_new_codebook")
    # the codes a coder can apply, as the project's "Codes" figure will count them (walk 47: "22 codes"
    # here, "Codes 17" in the project made with it)
    assert books.options[0].startswith("Improvement collaboration interviews (17 codes in 5 groups: Trust, Buy-in")
    assert books.value.endswith("improvement-collaboration.yaml")  # the default stays the default
    assert books.options[1].startswith("Generic starter codebook (5 codes in 2 groups: Barriers")
    books.set_value(books.value.replace("improvement-collaboration", "generic-starter")).run()
    at.text_input(key="project_path").input(str(tmp_path / "mentoring"))
    at.button(key="project_create").click().run()
    no_exception(at)
    assert any("Generic starter codebook" in m.value for m in at.success)
    ctx = services.open_context(tmp_path / "mentoring")
    try:
        assert codebook.get_codebook(ctx).name == "Generic starter codebook"
        from qualcode.ui.pages.project import codes_metric

        assert codes_metric(codebook.get_codebook(ctx))[0] == 5  # as the list said
    finally:
        ctx.close()


def test_on_a_team_database_the_page_neither_opens_nor_creates_folders(tmp_path, monkeypatch):
    """A walk: on a team server, Create made a folder and said it "already holds a qualcode project"."""
    url = f"sqlite:///{tmp_path / 'team.db'}"
    services.init_project(None, db_url=url).close()
    monkeypatch.delenv("QUALCODE_PROJECT", raising=False)
    monkeypatch.setenv("QUALCODE_DATABASE_URL", url)
    at = no_exception(page("project", None))
    assert not [b for b in at.button if b.key in ("project_create", "project_open")]
    assert any("team's shared database" in c.value for c in at.caption)
    assert not [p for p in tmp_path.iterdir() if p.is_dir()]  # no folder made


def test_project_page_shows_progress_per_document_and_coder(seeded):
    ctx, doc_id, sid = seeded
    coding.accept_suggestion(ctx, sid["1:trust"])
    at = no_exception(page("project", ctx))
    assert [m.value for m in at.metric][:1] == ["1"]
    assert len(at.dataframe) == 2  # progress + codes in use


def test_project_page_shows_every_document_and_says_what_the_learning_curve_needs(project, monkeypatch):
    """12 documents: the Review progress table is as tall as its rows (Streamlit's default
    shows 10 and scrolls inside); 3 decisions: no lone dot at 3, a sentence on what it needs."""
    import streamlit as st

    sids = [seed(project, name=f"interview-{k}", turns=[("Ana", "participant", f"We met {k} times.")])[1]
            for k in range(12)]
    for sid in sids[:3]:
        coding.accept_suggestion(project, sid["0:trust"])
    heights, shown = [], st.dataframe

    def spy(data=None, *args, **kw):
        heights.append((len(data), kw.get("height", "auto")))
        return shown(data, *args, **kw)

    monkeypatch.setattr(st, "dataframe", spy)
    at = no_exception(page("project", project))
    assert (12, "content") in heights
    assert any("point per 50 decisions; you have made 3 so far" in c.value for c in at.caption)
    assert not at.get("arrow_vega_lite_chart") and not at.get("vega_lite_chart")


def test_learning_curve_chart_tells_coders_apart_by_colour_and_measures_by_shape(project, monkeypatch):
    """Two coders with one window each (points, no line): each coder a colour, each measure a
    point shape and a line dash, so the four points are told apart."""
    import json

    from qualcode.services import suggest as suggest_svc

    curve = [{"coder": c, "decisions": 50, "accepted": 20, "rejected": 20, "manual": 5,
              "accepted_share": 0.5, "suggested_share": 0.8} for c in ("ana", "ben")]
    seed(project)  # a document: the page shows its tables and the curve
    monkeypatch.setattr(suggest_svc, "learning_curve", lambda ctx, window=50: curve)
    at = no_exception(page("project", project))
    (chart,) = [c for c in at.get("vega_lite_chart") if "Decisions made" in c.proto.spec]
    enc = json.loads(chart.proto.spec)["layer"][0]["encoding"]  # the lines and their points
    assert enc["color"]["field"] == "coder"
    assert enc["shape"]["field"] == "measure" and enc["strokeDash"]["field"] == "measure"
    # walk 6: the last point sat on the right edge, half cut, with only "50" labelled on the axis
    assert enc["x"]["scale"]["domain"] == [0, 100] and enc["x"]["axis"]["values"] == [0, 50, 100]


def test_early_curve_line_names_every_coder_whole():
    """Coders' names may hold spaces: each is named whole, with their own count."""
    from qualcode.ui.pages.project import early_curve_text

    text = early_curve_text([{"coder": "Dana Reyes", "decisions": 3}, {"coder": "Bo Li", "decisions": 9},
                             {"coder": "Dana Reyes", "decisions": 7}])
    assert text == "The curve draws a point per 50 decisions; so far Dana Reyes has made 7, Bo Li 9."
    assert early_curve_text([{"coder": "Dana Reyes", "decisions": 50}]) is None


def test_the_learning_curves_caption_says_how_many_decisions_a_last_partial_point_holds():
    from qualcode.ui.pages.project import curve_caption

    full = [{"coder": "ann", "decisions": 50}, {"coder": "ann", "decisions": 100}]
    assert curve_caption(full) == ("Each point is a window of 50 decisions (accept, reject, code by hand, "
                                   "nothing here).")
    partial = full + [{"coder": "ann", "decisions": 139}, {"coder": "bo", "decisions": 7}]
    assert curve_caption(partial).endswith("; a hollow last point holds only the decisions made since the one "
                                           "before: 39 for ann, 7 for bo.")


def test_the_learning_curves_unfinished_last_window_is_drawn_hollow():
    """Walk 45: a last point of 9 decisions, drawn like the full windows, read as a drop of the
    suggestions. Its points are hollow (no fill), the full windows' filled; the tooltip says how
    many decisions the window holds."""
    from qualcode.ui.pages.project import curve_chart

    curve = [{"coder": "ann", "decisions": 50, "accepted_share": 0.4, "suggested_share": 0.5},
             {"coder": "ann", "decisions": 100, "accepted_share": 0.5, "suggested_share": 0.6},
             {"coder": "ann", "decisions": 109, "accepted_share": 0.2, "suggested_share": 0.3},
             {"coder": "bo", "decisions": 50, "accepted_share": 0.6, "suggested_share": 0.7}]
    spec = curve_chart(curve).to_dict()
    rows = next(iter(spec["datasets"].values()))
    full = {(r["coder"], r["decisions"]): (r["full"], r["in_window"]) for r in rows}
    assert full == {("ann", 50): (True, 50), ("ann", 100): (True, 50), ("ann", 109): (False, 9),
                    ("bo", 50): (True, 50)}
    hollow = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "point")
    assert hollow["transform"] == [{"filter": "!datum.full"}]  # white inside the last, partial points
    assert hollow["encoding"]["color"] == {"value": "white"}


def test_code_page_shows_transcript_as_text_and_chips(seeded):
    ctx, doc_id, sid = seeded
    at = no_exception(page("code", ctx, code_mode="Excerpts"))
    texts = [t.value for t in at.text]
    assert EVIL in texts  # shown literally, through st.text
    # transcript and speaker text never reaches Markdown unescaped
    for md in at.markdown:
        assert "](http" not in md.value and "<script" not in md.value and "<img" not in md.value
    keys = {b.key for b in at.button}
    assert {f"acc-{sid['1:trust']}", f"rej-{sid['1:trust']}", f"acc-{sid['2:buy_in']}"} <= keys
    assert "accall-1" in keys  # accept all for a turn


def test_accept_all_leaves_the_long_shots_to_decide_one_by_one(project):
    """Walk 8: "Accept all (5)" sat above chips of 10-22% the page itself calls far from sure,
    and one click accepted them too. It now accepts the likely ones and says so."""
    doc_id, sid = seed(project, name="mixed", turns=[("Ben", "participant", "We trust the data now.")],
                       codes=("trust", "buy_in", "evidence"), score=0.95)
    with project.session() as s:  # evidence: a long shot (score 0.75 -> 0.05)
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=_store(project, doc_id)[3][0].id,
                                                       code_id="evidence", score=0.05, model_id="test-model")])
    at = no_exception(page("code", project, code_mode="Excerpts"))
    (button,) = [b for b in at.button if b.key == "accall-0"]
    assert button.label == "Accept the 2 likely" and "except the 1 under 50%" in button.help
    button.click().run()
    sugg, codings, _, _ = _store(project, doc_id)
    assert {sugg[sid[f"0:{c}"]].code_id: sugg[sid[f"0:{c}"]].status.value for c in ("trust", "buy_in", "evidence")} \
        == {"trust": "accepted", "buy_in": "accepted", "evidence": "pending"}
    assert sorted(c.code_id for c in codings) == ["buy_in", "trust"]
    # one click, one undo (walk 9: U took back only the last of the two)
    at.button(key="page-undo").click().run()
    sugg, codings, _, _ = _store(project, doc_id)
    assert [sugg[sid[f"0:{c}"]].status.value for c in ("trust", "buy_in", "evidence")] == ["pending"] * 3
    assert codings == []
    assert any("and 1 more accepted with the same click" in i.value for i in at.info)


def test_accept_the_likely_takes_none_the_panel_calls_leaning_towards_no(project):
    """Walk 47: "Accept the 2 likely" accepted a chip of 35%, which the side panel calls "not sure,
    leaning towards no". Likely is what the page's own words call likely: 50% or more."""
    doc_id, sid = seed(project, name="mixed", turns=[("Ben", "participant", "We trust the data now.")],
                       codes=("trust", "buy_in"), score=0.95)
    ex = _store(project, doc_id)[3][0]
    with project.session() as s:
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=ex.id, code_id="evidence", score=0.5,
                                                       model_id="test-model",
                                                       explanation={"probability": 0.35})])
    from qualcode.services.suggest import sureness

    assert sureness(0.35) == "not sure, leaning towards no"
    at = no_exception(page("code", project, code_mode="Excerpts"))
    (button,) = [b for b in at.button if b.key == "accall-0"]
    assert button.label == "Accept the 2 likely" and "except the 1 under 50%" in button.help
    button.click().run()
    sugg, _, _, _ = _store(project, doc_id)
    assert {sg.code_id: sg.status.value for sg in sugg.values()} == {
        "trust": "accepted", "buy_in": "accepted", "evidence": "pending"}


def test_transcript_mode_is_the_default_and_opens_an_excerpt_in_the_sidebar(seeded):
    ctx, doc_id, sid = seeded
    _, _, _, ex = _store(ctx, doc_id)
    at = no_exception(page("code", ctx, code_focus=ex[1].id))
    assert at.session_state["code_mode"] == "Transcript"
    assert focus_button(at, "accept") in list(at.sidebar.button)  # the open excerpt's tools
    assert not any(b.key and b.key.startswith("acc-") for b in at.button)  # no chip rows: flowing text


def test_accept_reject_accept_all_and_undo(seeded):
    ctx, doc_id, sid = seeded
    at = page("code", ctx, code_mode="Excerpts")
    at.button(key=f"acc-{sid['1:trust']}").click().run()
    at.button(key=f"rej-{sid['1:buy_in']}").click().run()
    no_exception(at)
    sugg, codings, _, _ = _store(ctx, doc_id)
    assert sugg[sid["1:trust"]].status.value == "accepted"
    assert sugg[sid["1:buy_in"]].status.value == "rejected"
    assert [(c.code_id, c.coder) for c in codings] == [("trust", ctx.coder)]
    assert f"acc-{sid['1:trust']}" not in {b.key for b in at.button}  # the chip changed state
    from qualcode.services import suggest as suggest_svc

    # The decisions started a background refresh that may replace the later turn's seeded chips
    # with the model's own: let it finish and draw the page again, as the coder would see it.
    suggest_svc.wait_for_learning(ctx)
    at.run()
    at.button(key="accall-2").click().run()
    sugg, codings, _, ex = _store(ctx, doc_id)
    on_ben = [s for s in sugg.values() if s.excerpt_id == ex[2].id]

    def likely(sg) -> bool:
        p = (sg.explanation or {}).get("probability")
        return (p if isinstance(p, (int, float)) else sg.score) >= suggest_svc.LIKELY

    # every chip of the turn accepted, but a long shot ("far from sure"): that one stays to decide
    assert on_ben and any(likely(sg) for sg in on_ben)
    assert [sg.status.value for sg in on_ben] == ["accepted" if likely(sg) else "pending" for sg in on_ben]
    suggest_svc.wait_for_learning(ctx)  # the background refresh after those decisions is done
    sugg, codings, _, _ = _store(ctx, doc_id)
    # the refresh may have replaced the seeded chips of a later excerpt with the model's own,
    # so "accept all" accepted however many that turn showed: one undo takes back that click,
    # all of it, and nothing before it (the accept on Ana's line stays)
    by_click = sum(likely(sg) for sg in on_ben)
    accepted = [s.status.value for s in sugg.values()].count("accepted")
    at.button(key="page-undo").click().run()
    sugg, codings, _, _ = _store(ctx, doc_id)
    assert [s.status.value for s in sugg.values()].count("accepted") == accepted - by_click
    assert sugg[sid["1:trust"]].status.value == "accepted"
    assert any("Undone" in i.value for i in at.info)


def test_panel_codes_a_narrower_span_and_saves_a_memo(seeded):
    ctx, doc_id, sid = seeded
    _, _, _, ex = _store(ctx, doc_id)
    ben = ex[2]
    at = page("code", ctx, code_focus=ben.id)
    at.selectbox(key=f"pick-{ben.id}").set_value("evidence")
    at.select_slider(key=f"span-{ben.id}").set_value((1, 2))  # "principals bought"
    at.button(key=f"addcode-{ben.id}").click().run()
    no_exception(at)
    at.text_area(key=f"memo-{ben.id}").input("Buy-in follows visible data.")
    at.button(key=f"savememo-{ben.id}").click().run()
    no_exception(at)
    _, codings, memos, _ = _store(ctx, doc_id)
    (c,) = [c for c in codings if c.code_id == "evidence"]
    assert (c.start, c.end) == (ben.start + 4, ben.start + len("Our principals bought"))
    assert c.origin.value == "manual"
    assert [(m.text, m.excerpt_id) for m in memos] == [("Buy-in follows visible data.", ben.id)]
    assert any("Memo saved" in s.value for s in at.success)


def test_panel_says_when_a_hand_code_is_already_there(seeded):
    """Coding by hand a code the coder already applied to the whole excerpt changes nothing:
    the panel says so instead of doing nothing silently; the coding is stored once."""
    ctx, doc_id, sid = seeded
    _, _, _, ex = _store(ctx, doc_id)
    ben = ex[2]
    coding.add_coding(ctx, ben.id, "evidence")
    at = page("code", ctx, code_focus=ben.id)
    at.selectbox(key=f"pick-{ben.id}").set_value("evidence")
    at.button(key=f"addcode-{ben.id}").click().run()
    no_exception(at)
    assert any("already coded Evidence here: nothing changed" in i.value for i in at.info)
    _, codings, _, _ = _store(ctx, doc_id)
    assert len([c for c in codings if c.code_id == "evidence"]) == 1


def test_panel_makes_a_new_code_from_a_name_typed_in_add_a_code(seeded):
    """Walk 37 left alone: the side panel's "Add a code" only searched the codebook, so a code
    found while reading meant the Codebook page. A name it does not hold is now a new code
    (its definition its name, the words coded its first example), applied to the words chosen;
    a name it holds in another case is that code, not a second one."""
    ctx, doc_id, sid = seeded
    _, _, _, ex = _store(ctx, doc_id)
    ben = ex[2]
    at = page("code", ctx, code_focus=ben.id)
    type_new_option(at.selectbox(key=f"pick-{ben.id}"), "Visible data")
    at.select_slider(key=f"span-{ben.id}").set_value((1, 2))  # "principals bought"
    at.button(key=f"addcode-{ben.id}").click().run()
    no_exception(at)
    with ctx.session(readonly=True) as s:
        (new,) = [c for c in code_store.load_codebook(s).codes if c.name == "Visible data"]
    assert new.definition == "Visible data." and new.examples == ["principals bought"]
    _, codings, _, _ = _store(ctx, doc_id)
    (c,) = [c for c in codings if c.code_id == new.id]
    assert (c.start, c.end, c.origin.value) == (ben.start + 4, ben.start + len("Our principals bought"), "manual")
    assert any("New code “Visible data” added to the codebook" in s.value for s in at.success)
    # one Undo takes back the coding and the code made for it (walk 40: the code stayed)
    at.button(key="page-undo").click().run()
    assert any(i.value.startswith("Undone: coding “Visible data” on") and
               i.value.endswith("The new code “Visible data” made for it is gone from the codebook too.")
               for i in no_exception(at).info)
    with ctx.session(readonly=True) as s:
        assert not [c for c in code_store.load_codebook(s).codes if c.name == "Visible data"]
    type_new_option(at.selectbox(key=f"pick-{ben.id}"), "EVIDENCE")  # a name it holds, in another case
    at.button(key=f"addcode-{ben.id}").click().run()
    no_exception(at)
    with ctx.session(readonly=True) as s:
        assert [c.id for c in code_store.load_codebook(s).codes if c.name.casefold() == "evidence"] == ["evidence"]
    _, codings, _, _ = _store(ctx, doc_id)
    assert [c.code_id for c in codings if c.excerpt_id == ben.id and c.code_id == "evidence"] == ["evidence"]


def test_a_half_typed_name_in_add_a_code_asks_which_code_was_meant(seeded):
    """Walk 39: "Childc" and Enter picked "Add: Childc" and Add code would have made a code of
    it. A typed name that begins a code's name says which code it may be, before the click."""
    ctx, doc_id, sid = seeded
    _, _, _, ex = _store(ctx, doc_id)
    ben = ex[2]
    at = page("code", ctx, code_focus=ben.id)
    type_new_option(at.selectbox(key=f"pick-{ben.id}"), "evid")
    at.run()
    (w,) = [w.value for w in no_exception(at).warning if "Did you mean" in w.value]
    assert w.startswith("“evid” is not in the codebook: Add code would add it as a new code. Did you mean Evidence")
    type_new_option(at.selectbox(key=f"pick-{ben.id}"), "Visible data")
    at.run()
    assert not [w for w in at.warning if "Did you mean" in w.value]
    assert "“Visible data” is not in the codebook: Add code adds it as a new code." in [c.value for c in at.caption]


def test_a_new_code_named_again_from_a_stale_code_list_is_the_same_code(seeded):
    """Walk 39: a code box whose list predates a code made since (a fragment's rerun) took its
    name as new again and the codebook refused a duplicate. The codebook is read afresh."""
    ctx, _, _ = seeded
    script = ("import streamlit as st\n"
              "from qualcode.ui.state import current_context\n"
              "from qualcode.ui.transcript import new_code\n"
              "ctx = current_context()\n"
              "st.session_state['first'] = new_code(ctx, {}, 'Peer networks', 'we call each other')\n"
              "st.session_state['again'] = new_code(ctx, {}, 'peer  NETWORKS', 'again')\n"
              "st.session_state['held'] = new_code(ctx, {}, 'evidence', 'x')\n")
    at = no_exception(run_script(script, ctx))
    assert at.session_state["first"] == at.session_state["again"] and at.session_state["held"] == "evidence"
    with ctx.session(readonly=True) as s:
        assert [c.name for c in code_store.load_codebook(s).codes if c.name.casefold() == "peer networks"] \
            == ["Peer networks"]


def test_a_reject_from_a_second_tab_after_an_accept_says_it_took_the_code_away(seeded):
    """Walk 38: A in one tab, then X in a second tab still showing the chip pending. The reject
    takes the acceptance back (the coding goes with it) and the page says so, with how to undo."""
    ctx, doc_id, sid = seeded
    _, _, _, ex = _store(ctx, doc_id)
    tab2 = page("code", ctx, code_focus=ex[1].id)  # drawn while the chip was pending
    coding.accept_suggestion(ctx, sid["1:trust"])  # the first tab's A
    tab2.button(key=f"frej-{sid['1:trust']}").click().run()
    no_exception(tab2)
    assert any("You had accepted Trust here (in another tab, or a moment ago): rejecting it took that code away"
               in i.value for i in tab2.info)
    sugg, codings, _, _ = _store(ctx, doc_id)
    assert sugg[sid["1:trust"]].status.value == "rejected"
    assert not [c for c in codings if c.code_id == "trust" and c.excerpt_id == ex[1].id]


def test_panel_next_moves_to_the_next_undecided_excerpt(seeded):
    ctx, doc_id, sid = seeded
    _, _, _, ex = _store(ctx, doc_id)
    at = page("code", ctx, code_focus=ex[1].id)
    focus_button(at, "accept").click().run()  # top suggestion of Ana's excerpt
    at.button(key="focus-next").click().run()
    no_exception(at)
    assert at.session_state["code_focus"] == ex[2].id


def test_nothing_more_here_on_a_coded_excerpt_rejects_the_rest_and_is_off_when_nothing_is_left(seeded):
    from qualcode.services import suggest as suggest_svc

    ctx, doc_id, sid = seeded
    _, _, _, ex = _store(ctx, doc_id)
    at = page("code", ctx, code_focus=ex[1].id)
    assert focus_button(at, "none").label == "Nothing here"
    focus_button(at, "accept").click().run()  # the top suggestion: Ana's excerpt is coded
    suggest_svc.wait_for_learning(ctx)
    at.run()
    none = focus_button(at, "none")
    assert none.label == "Nothing more here" and not none.disabled
    none.click().run()
    no_exception(at)
    sugg, codings, _, _ = _store(ctx, doc_id)
    assert sugg[sid["1:buy_in"]].status.value == "rejected"  # the rest said no to, the code kept
    assert [c.code_id for c in codings] == ["trust"]
    assert any("Rejected the 1 suggestion left" in m.value for m in at.success)
    suggest_svc.wait_for_learning(ctx)
    at.session_state["code_focus"] = ex[1].id  # back to it: nothing is left to do there
    at.run()
    none = focus_button(at, "none")
    assert "Nothing left to decide" in (none.help or "")
    assert any("Nothing left to decide" in c.value for c in at.sidebar.caption)  # said on the page too
    # ... and D there ("nothing more here") moves on, as A does, deciding nothing
    assert not none.disabled
    def decided():
        sugg, codings, _, _ = _store(ctx, doc_id)
        return {i: sg.status for i, sg in sugg.items() if sg.status.value != "pending"}, [c.id for c in codings]

    before = decided()
    none.click().run()
    no_exception(at)
    suggest_svc.wait_for_learning(ctx)
    assert at.session_state["code_focus"] not in (None, ex[1].id)
    assert decided() == before


def test_filters_by_text_and_status(seeded):
    ctx, doc_id, sid = seeded
    at = page("code", ctx, code_mode="Excerpts")
    at.text_input(key="f_text").input("exit tickets").run()
    texts = [t.value for t in at.main.text]
    assert any("exit tickets" in t for t in texts) and EVIL not in texts
    at.text_input(key="f_text").input("no such words").run()
    assert any("No excerpt matches" in i.value for i in at.info)


def test_review_queue_mode_shows_one_excerpt(seeded):
    ctx, doc_id, sid = seeded
    at = page("code", ctx, code_mode="Review queue")
    no_exception(at)
    assert focus_button(at, "accept")
    assert not any(b.key and b.key.startswith("accall-") for b in at.button)


def test_the_review_queue_counts_every_excerpt_left_to_decide(project):
    """Walk 15: "(5 left in the queue)" counted only excerpts with a suggestion, and stood still
    while the coder decided the queue's others."""
    doc_id, _ = seed(project, turns=TURNS + [("Cy", "participant", "We met on Tuesdays.")], codes=())
    with project.session() as s:
        ex = [e for e in doc_store.load_document(s, doc_id).excerpts if e.codable]
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=ex[0].id, code_id="trust", score=0.8,
                                                       model_id="test-model")])
    at = no_exception(page("code", project, code_mode="Review queue"))
    shown = " ".join(m.value for m in at.markdown).replace("\\", "")  # markdown-escaped
    assert f"({len(ex)} left in the queue, 1 of them with suggestions)" in shown
    coding.nothing_here(project, ex[-1].id)
    shown = " ".join(m.value for m in no_exception(at.run()).markdown).replace("\\", "")
    assert f"({len(ex) - 1} left in the queue, 1 of them with suggestions)" in shown


def test_a_failed_decision_is_a_message_not_a_traceback(seeded):
    ctx, doc_id, sid = seeded
    at = page("code", ctx, code_mode="Excerpts")
    # The suggestion and its excerpt disappear under the coder's feet (the document deleted in
    # another tab): a withdrawn suggestion alone is no failure (see the next test), but there
    # is no excerpt left to code either.
    from qualcode.services import ingest

    ingest.delete_document(ctx, doc_id)
    at.button(key=f"acc-{sid['1:trust']}").click().run()
    no_exception(at)
    assert any("no excerpt" in e.value for e in at.error)

def test_code_page_empty_project_points_to_import(project):
    at = no_exception(page("code", project))
    assert any("Import" in i.value for i in at.info)

def test_codebook_page_adds_and_retires_a_code(project):
    at = no_exception(page("codebook", project))
    columns = json.loads(at.dataframe[0].proto.columns)  # the table says what its counts are
    assert "sub-code" in columns["Codings"]["help"] and "Themes" in columns["Codings"]["help"]
    form = at.get("form")[0] if at.get("form") else None
    assert form is not None
    at.text_input[0].input("   ")  # walk 32: "code '': missing name. Correct the file and import it again."
    at.button[[b.label for b in at.button].index("Add code")].click().run()
    assert [e.value for e in at.error] == ["Give the new code a name: the one coders will see on its chips."]
    at.text_input[0].input("Rapport")
    at.button[[b.label for b in at.button].index("Add code")].click().run()  # no definition yet
    assert any("Write a definition" in e.value for e in at.error)
    assert not any("file" in e.value for e in at.error)  # not a file: the form says what to do
    assert at.text_input(key="add_name").value == "Rapport"  # and keeps what was typed
    areas: dict = {}
    for a in at.text_area:  # the Add form's come first (the Edit form below has the same labels)
        areas.setdefault(a.label, a)
    areas["Definition"].input("Warmth between coach and team.")
    # examples and keywords at once: what the first suggestions of a new code start from
    areas["Examples (one per line)"].input("She always asks how my week went.\n\n  We laugh a lot together. ")
    areas["Keywords (one per line, or separated by commas)"].input("rapport\nwarmth")
    at.button[[b.label for b in at.button].index("Add code")].click().run()
    no_exception(at)
    from qualcode.services import codebook as cb_service

    added = cb_service.get_codebook(project).get("rapport")
    assert added is not None and added.definition == "Warmth between coach and team."
    assert list(added.examples) == ["She always asks how my week went.", "We laugh a lot together."]
    assert list(added.keywords) == ["rapport", "warmth"]
    assert at.text_input(key="add_name").value == "" and at.text_area(key="add_examples").value == ""  # cleared
    assert work_on(at).value == "rapport"  # open under Work on code (walk 17: the old one stayed)
    at.checkbox(key="retireok-rapport").check().run()
    at.button(key="doretire-rapport").click().run()
    no_exception(at)
    assert cb_service.get_codebook(project).get("rapport").retired

def test_retiring_a_code_with_codings_asks_for_the_box_first(seeded):
    """Walk 33: with only "Yes, retire" ticked, Retire said "code 'peer_shadowing' is used by 1
    coding ... or retire it anyway": the id, and no word of the box that does it. The page says
    how many codings use the code and keeps Retire off until both boxes are ticked."""
    from qualcode.services import codebook as cb_service

    ctx, _, sid = seeded
    coding.accept_suggestion(ctx, sid["1:trust"])
    at = no_exception(page("codebook", ctx))
    work_on(at).set_value("trust").run()
    assert any("1 coding uses Trust" in c.value for c in at.caption), [c.value for c in at.caption]
    at.checkbox(key="retireok-trust").check().run()
    assert at.button(key="doretire-trust").disabled and not at.error
    at.checkbox(key="force-trust").check().run()
    assert not at.button(key="doretire-trust").disabled
    at.button(key="doretire-trust").click().run()
    no_exception(at)
    assert cb_service.get_codebook(ctx).get("trust").retired
    assert cb_service.code_usage(ctx)["trust"] == 1  # the coding stays, under the retired code


def test_themes_page_counts_and_drills_to_quotes(seeded):
    ctx, doc_id, sid = seeded
    coding.accept_suggestion(ctx, sid["1:trust"])
    at = no_exception(page("themes", ctx))
    assert at.dataframe, "frequency table shown"
    df = at.dataframe[0].value
    assert "\u2003Trust" in set(df["code"])  # set in under its parent, Relationships

def test_export_page_lists_exports_or_says_none(seeded):
    ctx, _, _ = seeded
    at = no_exception(page("export", ctx))
    from qualcode.ui.pages.export import exports

    if exports():
        assert any(b.key and b.key.startswith("prep-") for b in at.button)
    else:
        assert any("No exports" in i.value for i in at.info)

def test_markdown_escape_keeps_text_literal():
    from qualcode.ui.text import md

    s = md("[x](http://evil) <img src=x onerror=alert(1)> :red[hi] $x$ **b**")
    unescaped = re.sub(r"\\.", "", s)  # drop every escaped character
    for raw in ("](", "<img", ":red[", "**", "$x$"):
        assert raw not in unescaped, raw

def test_why_shows_the_explanation_on_demand(seeded):
    ctx, doc_id, sid = seeded
    _, _, _, ex = _store(ctx, doc_id)
    at = page("code", ctx, code_focus=ex[1].id)
    assert not any("matched" in t.value for t in at.sidebar.text)
    at.button(key=f"why-{sid['1:trust']}").click().run()
    no_exception(at)
    shown = [t.value for t in at.sidebar.text]
    # plain language (issue 12): the words that matched, the closest quote, how sure; no model internals
    assert any("Words that matched" in t and "trust" in t for t in shown)
    assert any("We trust each other." in t for t in shown)
    assert any("sure" in t for t in shown)
    assert not any("model:" in t or "learned: " in t for t in shown)

def test_codebook_merge_needs_confirmation_and_can_be_undone(seeded):
    ctx, doc_id, sid = seeded
    coding.accept_suggestion(ctx, sid["2:buy_in"])
    from qualcode.services import codebook as cb_service

    at = page("codebook", ctx)
    work_on(at).set_value("buy_in").run()
    # Move starts at the code's parent: Move without a choice changes nothing (walk 44: "(top level)")
    assert at.selectbox(key="move-buy_in").value == "relationships"
    at.selectbox(key="merge-buy_in").set_value("trust").run()
    assert at.button(key="domerge-buy_in").disabled  # not without the confirmation
    at.checkbox(key="mergeok-buy_in").check().run()
    at.button(key="domerge-buy_in").click().run()
    no_exception(at)
    assert cb_service.get_codebook(ctx).get("buy_in").retired
    _, codings, _, _ = _store(ctx, doc_id)
    assert {c.code_id for c in codings} == {"trust"}
    # walk 41: the panel went to the list's first code, its merge box ready; now the target's
    assert work_on(at).value == "trust"
    assert not at.checkbox(key="mergeok-trust").value and at.button(key="domerge-trust").disabled
    at.button(key="cb-undo").click().run()
    no_exception(at)
    assert not cb_service.get_codebook(ctx).get("buy_in").retired
    assert work_on(at).value == "buy_in"  # the code the undo brought back
    # no merge stands ready: neither its target nor its confirmation kept (walk 42)
    assert at.selectbox(key="merge-buy_in").value is None and not at.checkbox(key="mergeok-buy_in").value
    assert at.button(key="domerge-buy_in").disabled

def test_the_codebook_page_says_when_a_code_has_no_definition_yet(seeded):
    """Walk 40: a code made while coding read "Transport." on the Codebook page and "(no
    definition yet)" in the report. The page says so too, and asks for one where it is edited."""
    ctx, _, _ = seeded
    from qualcode.services import codebook as cb_service

    new = cb_service.add_code(ctx, {"name": "Transport", "definition": "Transport."})
    at = no_exception(page("codebook", ctx))
    table = next(d.value for d in at.dataframe if "Definition" in d.value.columns)
    row = table[table["Id"] == new.id].iloc[0]
    assert row["Definition"] == "(no definition yet)"
    assert table[table["Id"] == "trust"].iloc[0]["Definition"] not in ("", "(no definition yet)")
    work_on(at).set_value(new.id).run()
    assert any(c.value.startswith("No definition yet: this one only repeats the name") for c in no_exception(at).caption)
    work_on(at).set_value("trust").run()
    assert not any(c.value.startswith("No definition yet") for c in no_exception(at).caption)


def test_themes_quotes_behind_a_number(seeded):
    ctx, doc_id, sid = seeded
    coding.accept_suggestion(ctx, sid["2:trust"])
    script = (
        "import streamlit as st\n"
        "from qualcode.services import analysis\n"
        "from qualcode.ui.pages.themes import _quotes\n"
        "from qualcode.ui.state import current_context\n"
        "_quotes(current_context(), analysis, code_id='trust', where={}, include='accepted')\n"
    )
    at = no_exception(run_script(script, ctx))
    quotes = at.dataframe[0].value
    assert list(quotes["quote"]) == ["Our principals bought in once they saw the exit tickets."]
    # the speaker's role is headed as such: a document attribute may be called "role" too (walk 6)
    import json

    assert list(quotes["role"]) == ["participant"]
    assert json.loads(at.dataframe[0].proto.columns)["role"]["label"] == "Speaker role"

def test_an_unexpected_error_is_a_message_not_a_traceback():
    script = ("from qualcode.ui.state import guarded\n"
              "guarded(lambda: 1 / 0)()\n")
    at = no_exception(AppTest.from_string(script, default_timeout=30).run())
    assert any("ZeroDivisionError" in e.value and "terminal" in e.value for e in at.error)

def test_import_saves_each_file_on_its_own_with_deidentification(project):
    script = (
        "import streamlit as st\n"
        "from qualcode.services import ingest\n"
        "from qualcode.ui.pages.importing import _save_all\n"
        "from qualcode.ui.state import current_context\n"
        "if not st.session_state.get('done'):\n"
        "    st.session_state['done'] = True\n"
        "    data = b'Interviewer: How is it going, Maria?\\n\\nMaria Lopez: Jefferson Elementary is busy.\\n'\n"
        "    p1 = ingest.parse_bytes(data, 'a.txt')\n"
        "    p2 = ingest.parse_bytes(data, 'b.txt')\n"
        "    choice = {'roles': {}, 'attributes': {'year': '2021'}, 'errors': []}\n"
        "    _save_all(current_context(), [('a.txt', p1, choice), ('b.txt', p2, choice)],\n"
        "              deidentify=True, names=['Maria Lopez'], suggest=False)\n"
    )
    at = no_exception(run_script(script, project))
    results = at.session_state["imp_results"]
    assert [r["result"] == "imported" for r in results] == [True, False]  # the duplicate is refused
    assert "b.txt" == results[1]["file"] and results[1]["result"]
    from qualcode.services import ingest

    (doc,) = ingest.list_documents(project)
    assert doc["attributes"]["year"] == "2021"
    with project.session(readonly=True) as s:
        text = doc_store.load_document(s, doc["id"]).text
    assert "Maria" not in text and "busy" in text

def test_import_preview_names_unreadable_cue_times_and_marks_untimed_turns(project):
    """Issue 15: captions with a few broken timing lines are previewed, not refused: a warning
    per broken line (file and line, no CLI flag) and "no time" on the turns they left untimed."""
    from pathlib import Path

    path = Path(__file__).parent / "data" / "real-world" / "zoom_hand_edited.vtt"
    script = (
        "from pathlib import Path\n"
        "from qualcode.services import ingest\n"
        "from qualcode.ui.pages.importing import _preview\n"
        f"p = ingest.parse_bytes(Path({str(path)!r}).read_bytes(), 'zoom_hand_edited.vtt')\n"
        "_preview(0, 'zoom_hand_edited.vtt', p, {})\n"
    )
    at = no_exception(run_script(script, project))
    # as shown: the file's words are escaped for Markdown (drawn literally)
    warned = [re.sub(r"\\(.)", r"\1", w.value) for w in at.warning if "cue timing" in w.value]
    assert [w.split(":")[0] for w in warned] == ["zoom_hand_edited.vtt, line 20", "zoom_hand_edited.vtt, line 28",
                                                 "zoom_hand_edited.vtt, line 36"]
    assert not any("--without" in w for w in warned)
    table = at.dataframe[0].value
    assert list(table["time"][:5]) == ["0:02", "0:07", "0:19", "no time", "0:31"]
    assert not at.error

def test_ui_reaches_data_only_through_services():
    import ast
    from pathlib import Path

    allowed = ("qualcode.services", "qualcode.ui", "qualcode.core", "qualcode.errors", "qualcode.config")
    for path in (Path(__file__).resolve().parents[1] / "qualcode" / "ui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "qualcode":
                mods = [f"qualcode.{a.name}" for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("qualcode"):
                mods = [node.module]
            elif isinstance(node, ast.Import):
                mods = [a.name for a in node.names if a.name.startswith("qualcode")]
            else:
                continue
            for m in mods:
                assert m.startswith(allowed), f"{path.name} imports {m}"
            assert not any(m.startswith("sqlalchemy") for m in mods)

def test_a_chip_withdrawn_by_the_background_refresh_after_the_page_was_drawn(seeded):
    """The page shows chips; then a refresh withdraws their suggestions (the new model no longer
    proposes them). Accept still codes the excerpt with the chip's code, reject has nothing
    left to reject; both say so, and neither decides some other suggestion."""
    ctx, doc_id, sid = seeded
    _, _, _, ex = _store(ctx, doc_id)
    # an id that names another suggestion than the chip showed is not decided in its place (the
    # chip's excerpt has no pending suggestion of the chip's code: nothing is decided)
    codebook_ids = {c.id for c in ui_support.codebook(ctx).codable_codes()}
    other = next(c for c in sorted(codebook_ids) if c not in {"trust", "buy_in"})
    with pytest.raises(Exception, match="replaced by newer ones"):
        coding.decide(ctx, sid["2:buy_in"], True, excerpt_id=ex[1].id, code_id=other)
    assert _store(ctx, doc_id)[0][sid["2:buy_in"]].status.value == "pending"
    at, at2 = page("code", ctx, code_mode="Excerpts"), page("code", ctx, code_mode="Excerpts")  # two tabs
    from qualcode.services import suggest as suggest_svc

    suggest_svc.wait_for_learning(ctx)  # whatever the page started in the background is done
    with ctx.session() as s:  # what a refresh does when the new model drops the codes there
        coding_store.upsert_suggestions(s, [], replace_pending_for=[ex[1].id, ex[2].id])
    at.button(key=f"acc-{sid['1:trust']}").click().run()
    no_exception(at)
    _, codings, _, _ = _store(ctx, doc_id)
    assert [(c.code_id, c.excerpt_id, c.origin.value) for c in codings] == [("trust", ex[1].id, "manual")]
    assert any("Coded Trust" in i.value for i in at.info) and not at.error
    # That coding started a relearn, whose refresh may suggest buy_in on excerpt 2 again; let it
    # finish, then withdraw excerpt 2's codes once more (the case under test), before tab 2 clicks.
    suggest_svc.wait_for_learning(ctx)
    with ctx.session() as s:
        coding_store.upsert_suggestions(s, [], replace_pending_for=[ex[2].id])
    at2.button(key=f"rej-{sid['2:buy_in']}").click().run()
    no_exception(at2)
    assert any("no longer suggested" in i.value for i in at2.info) and not at2.error
    suggest_svc.wait_for_learning(ctx)

def test_undo_pressed_again_before_the_page_redrew_shows_one_message(seeded, monkeypatch):
    """Undo pressed again (button or U) before the page has redrawn: Streamlit stops the run the
    earlier press started before it shows that undo's message, so the next run showed both, and
    three quick presses with nothing left to undo showed "Nothing to undo." three times (seen in
    Chromium). Each undo shows one message, its own: the newest replaces one never shown."""
    from qualcode.services import suggest as suggest_svc
    from qualcode.ui import state

    ctx, doc_id, sid = seeded
    at = no_exception(page("code", ctx))  # Transcript view: the open excerpt's tools in the sidebar
    focus_button(at, "accept").click().run()
    assert [s.status.value for s in _store(ctx, doc_id)[0].values()].count("accepted") == 1
    suggest_svc.wait_for_learning(ctx)
    shown = state.show_flash
    monkeypatch.setattr(state, "show_flash", lambda: None)  # the runs cut short by the next press
    at.button(key="page-undo").click().run()  # undoes the accept
    at.button(key="page-undo").click().run()  # nothing left
    monkeypatch.setattr(state, "show_flash", shown)
    at.button(key="page-undo").click().run()  # nothing left: this run is not interrupted
    no_exception(at)
    assert [s.status.value for s in _store(ctx, doc_id)[0].values()].count("accepted") == 0
    assert [i.value for i in at.info if "undo" in i.value.lower()] == ["Nothing to undo."]
    at.run()  # shown once, then gone
    assert not [i.value for i in at.info if "undo" in i.value.lower()]
    suggest_svc.wait_for_learning(ctx)

def test_kept_messages_show_once_and_an_error_is_never_replaced(project):
    at = no_exception(run_script(
        "from qualcode.ui.state import flash, flash_undone, show_flash\n"
        "flash('The suggestion could not be saved: the project is read-only.')\n"
        "flash_undone([{'action': 'accept'}])\n"
        "flash('The suggestion could not be saved: the project is read-only.')\n"
        "flash_undone([])\n"
        "flash_undone([])\n"
        "flash('Memo saved.', kind='success')\n"
        "show_flash()\n", None))
    assert [e.value for e in at.error] == ["The suggestion could not be saved: the project is read-only."]
    assert [i.value for i in at.info] == ["Nothing to undo."]
    assert [s.value for s in at.success] == ["Memo saved."]

# ---- Themes and Export with two coders (tests.analysis_helpers: alice and bob, years 2018/2021) ----

def _small(project):
    from tests.analysis_helpers import build_small_project

    return build_small_project(project)

def _first_column(xlsx: bytes) -> str:
    import io

    import pandas as pd

    return str(pd.read_excel(io.BytesIO(xlsx)).columns[0])

def test_export_page_drops_a_download_when_its_settings_change(project):
    """A download prepared grouped by year is gone once the grouping is district (it would
    have served the year table while the page said district); preparing again groups by district."""
    _small(project)
    at = no_exception(page("export", project))
    at.selectbox(key="exp_by").set_value("year").run()
    for name in ("export_frequencies", "export_report", "export_memos"):
        at.button(key=f"prep-{name}").click().run()
    no_exception(at)
    assert {b.key for b in at.download_button} == {"dl-export_frequencies", "dl-export_report", "dl-export_memos"}
    assert _first_column(at.session_state["exp_ready"]["export_frequencies"][-1]) == "year"
    at.selectbox(key="exp_by").set_value("district").run()
    no_exception(at)
    # the grouped exports went stale; the memos do not depend on the grouping and stay
    assert {b.key for b in at.download_button} == {"dl-export_memos"}
    assert any("prepare it again" in c.value for c in at.caption)
    at.button(key="prep-export_frequencies").click().run()
    assert "dl-export_frequencies" in {b.key for b in at.download_button}
    assert _first_column(at.session_state["exp_ready"]["export_frequencies"][-1]) == "district"
    # the format and the coder are settings too (tables start as xlsx; csv is the other choice)
    at.selectbox(key="fmt-export_frequencies").set_value("csv").run()
    assert "dl-export_frequencies" not in {b.key for b in at.download_button}
    at.button(key="prep-export_frequencies").click().run()
    assert at.session_state["exp_ready"]["export_frequencies"][-1].decode().startswith("district,")
    at.selectbox(key="fmt-export_frequencies").set_value("xlsx").run()
    assert "dl-export_frequencies" not in {b.key for b in at.download_button}
    at.button(key="prep-export_frequencies").click().run()
    at.selectbox(key="exp_coder").set_value("bob").run()
    assert "dl-export_frequencies" not in {b.key for b in at.download_button}

def test_export_under_independent_coding_counts_only_the_coders_own_codings(project):
    """Walk 41: with independent coding on, Themes counted only eva's codings (19) while Export
    opened "All coders, pooled" (20, a blind colleague's codings in it) and offered ben's alone.
    Export counts the coder's own, as Themes does, and says so."""
    from qualcode.services import team

    _small(project)
    team.set_independent_coding(project, True)
    at = no_exception(page("export", project))
    assert not [s for s in at.selectbox if s.key == "exp_coder"]
    assert any(i.value.startswith(f"Counting only **{project.coder}**'s codings") for i in at.info)
    at.button(key="prep-export_frequencies").click().run()
    no_exception(at)
    import io

    import pandas as pd

    from qualcode.services import analysis

    got = pd.read_excel(io.BytesIO(at.session_state["exp_ready"]["export_frequencies"][-1]))
    mine = analysis.frequencies(project, coder=project.coder)
    pooled = analysis.frequencies(project)
    assert got["excerpts"].tolist() == mine["excerpts"].tolist() != pooled["excerpts"].tolist()


def _freq_rows(at):
    """Code name (without the indent that sets a sub-code under its parent) -> excerpts."""
    df = at.dataframe[0].value
    return dict(zip(df["code"].str.lstrip("\u2003"), df["excerpts"]))

def test_themes_coder_choice_counts_and_quotes_one_coders_codings(project):
    """Two coders: the counts say they pool both; picking bob counts only bob's codings and a
    row's quotes are exactly bob's excerpts behind that number."""
    from qualcode.services import analysis

    _small(project)
    at = no_exception(page("themes", project))
    assert at.selectbox(key="th_coder").options == ["All coders, pooled", "alice", "bob"]
    assert any("pool 2 coders (alice, bob)" in i.value for i in at.info)
    assert _freq_rows(at)["Trust (rel)"] == 3
    at.selectbox(key="th_coder").set_value("bob").run()
    no_exception(at)
    assert _freq_rows(at) == {"Relationships (test)": 3, "Trust (rel)": 1, "Buy-in (rel)": 2}
    # each sub-code is set in under its parent, as on the Codebook page
    assert list(at.dataframe[0].value["code"]) == ["Relationships (test)", "\u2003Trust (rel)", "\u2003Buy-in (rel)"]
    assert any("only **bob**" in i.value for i in at.info)
    at.selectbox(key="th_freq_pick").set_value("rel_trust").run()
    no_exception(at)
    shown = at.dataframe[1].value
    want = analysis.quotes(project, code_id="rel_trust", coder="bob")
    assert list(shown["quote"]) == list(want["quote"]) and len(shown) == 1
    assert shown["coders"].iloc[0] == "bob"
    assert len(analysis.quotes(project, code_id="rel_trust")) == 3  # pooled: three

def test_themes_row_picker_follows_the_row_not_its_place(project):
    """The quotes box holds a row (group and code), not a position: after changing the coder
    it still names the same code, with the new count, and the quotes are that code's; a row
    that is gone clears it. The defaults show their words, not an empty box."""
    from qualcode.services import analysis

    _small(project)
    at = no_exception(page("themes", project))
    by, coder = at.selectbox(key="th_by"), at.selectbox(key="th_coder")
    # the shown choice is the option at the box's index: "(no grouping)", "All coders, pooled"
    assert by.options[by.index] == "(no grouping)" and coder.options[coder.index] == "All coders, pooled"
    at.selectbox(key="th_coder").set_value("bob").run()
    codes = {r["code"]: r["code_id"] for r in analysis.frequencies(project, coder="bob").to_dict("records")}
    at.selectbox(key="th_freq_pick").set_value(codes["Buy-in (rel)"]).run()
    assert [h.value for h in at.subheader] == ["Quotes: Buy-in (rel) · 2 excerpts"]
    # pooled: Buy-in is now the third row and Evidence appears; the box still means Buy-in
    at.selectbox(key="th_coder").set_value("").run()
    no_exception(at)
    pick = at.selectbox(key="th_freq_pick")
    assert pick.value == codes["Buy-in (rel)"] and pick.options[pick.index] == "Buy-in (rel) · 3 excerpts"
    assert [h.value for h in at.subheader] == ["Quotes: Buy-in (rel) · 3 excerpts"]
    want = analysis.quotes(project, code_id=codes["Buy-in (rel)"])
    assert list(at.dataframe[1].value["quote"]) == list(want["quote"])
    # grouped by district, the row "Buy-in" (no group) is gone: nothing picked, no quotes
    at.selectbox(key="th_by").set_value("district").run()
    no_exception(at)
    assert at.selectbox(key="th_freq_pick").value is None and not at.subheader

def test_themes_with_one_coder_offers_no_coder_choice(seeded):
    ctx, _, sid = seeded
    coding.accept_suggestion(ctx, sid["1:trust"])
    at = no_exception(page("themes", ctx))
    assert not [s for s in at.selectbox if s.key == "th_coder"]
    assert not any("pool" in i.value for i in at.info)

def test_export_taken_over_from_themes_shows_no_grouping_and_pooled_not_a_placeholder(project):
    """Walk 20: Themes pooled and ungrouped, then Export: "Group tables by" and "Coder" read
    "Choose an option" (None, set in the widget's state, reads as no choice at all)."""
    _small(project)
    script = ("import streamlit as st\n"
              "from qualcode.ui.pages import export, themes\n"
              "(export if st.session_state.get('on') == 'export' else themes).render()\n")
    at = no_exception(run_script(script, project))
    at.selectbox(key="th_coder").set_value(None).run()
    at.session_state["on"] = "export"
    no_exception(at.run())
    for key in ("exp_by", "exp_coder"):
        box = at.selectbox(key=key)
        # AppTest reads None either way; what the browser gets says it: an option (a default or a
        # value) or none, the placeholder
        shown = {f.name for f, _ in box.proto.ListFields()} & {"default", "raw_value"}
        assert box.value is None and shown, key


def test_themes_keeps_view_grouping_and_coder_across_pages_and_reloads(project):
    _small(project)
    script = ("import streamlit as st\n"
              "from qualcode.ui.pages import export, themes\n"
              "(export if st.session_state.get('on') == 'export' else themes).render()\n")
    at = no_exception(run_script(script, project))
    at.segmented_control(key="th_view").set_value("Compare groups").run()
    at.selectbox(key="th_by").set_value("district").run()
    at.selectbox(key="th_coder").set_value("bob").run()
    at.session_state["on"] = "export"  # to the Export page: the Themes widgets are forgotten
    at.run()
    assert not [s for s in at.selectbox if s.key == "th_by"]
    # ... and Export starts with the grouping and coder just read on Themes (walk 19)
    assert (at.selectbox(key="exp_by").value, at.selectbox(key="exp_coder").value) == ("district", "bob")
    # ... and says so (walk 31: a file came out "by year" to a coder who had chosen nothing here)
    assert "As on the Themes page: grouped by district; bob's codings. Change it here for these downloads." in [
        c.value for c in at.caption]
    at.selectbox(key="exp_by").set_value(None).run()
    assert "As on the Themes page: bob's codings. Change it here for these downloads." in [c.value for c in at.caption]
    at.session_state["on"] = "themes"
    no_exception(at.run())
    assert at.segmented_control(key="th_view").value == "Compare groups"
    assert at.selectbox(key="th_by").value == "district"
    assert at.selectbox(key="th_coder").value == "bob"
    params = dict(at.query_params)
    # a reload is a new session: the address brings the choices back
    again = AppTest.from_string("from qualcode.ui.pages.themes import render\nrender()\n", default_timeout=60)
    again.session_state["project"], again.session_state["coder"] = str(project.project_dir), project.coder
    again.query_params.update({k: v[0] if isinstance(v, list) else v for k, v in params.items()})
    no_exception(again.run())
    assert again.segmented_control(key="th_view").value == "Compare groups"
    assert again.selectbox(key="th_by").value == "district"
    assert again.selectbox(key="th_coder").value == "bob"
    # a new session opened elsewhere (a reload of the Code page; walk 42): the coder's Themes as they
    # left it, and Export starting from it, but not the coder counted (chosen per reading)
    for name in ("themes", "export"):
        fresh = no_exception(page(name, project))
        if name == "themes":
            assert fresh.segmented_control(key="th_view").value == "Compare groups"
            assert fresh.selectbox(key="th_by").value == "district"
            assert fresh.selectbox(key="th_coder").value == ""  # every coder pooled (the page's NONE)
        else:
            assert fresh.selectbox(key="exp_by").value == "district"
    other = services.open_project(project.project_dir, coder="someone else")
    try:  # another coder's own choices
        fresh = no_exception(page("themes", other))
        assert fresh.selectbox(key="th_by").value == ""  # no grouping
        assert fresh.segmented_control(key="th_view").value == "Frequencies"
    finally:
        other.close()

def test_themes_compare_shows_a_dash_for_untestable_rows_and_opens_a_group_with_quotes(project, monkeypatch):
    """A row that cannot be tested shows a dash (not "None") with a note; picking a row opens
    the first group that has quotes; '1 document', not '1 documents'."""
    from qualcode.services import codebook as cb_service

    small = _small(project)
    protected = next(c.id for c in cb_service.get_codebook(project).codes if c.name == "Protected time")
    coding.add_coding(project, small.ex[("D3", 2)], protected)  # 2021 only: 2018 has none
    for doc in ("D1", "D2", "D3", "D4"):  # in every document: nothing to test (codes used nowhere are not shown)
        coding.add_coding(project, small.ex[(doc, 1)], "evidence")
    import streamlit as st

    from qualcode.ui.pages import themes

    monkeypatch.setattr(themes, "_selected_row", lambda event: st.session_state.get("row"))  # this test only
    script = "from qualcode.ui.pages import themes\nthemes.render()\n"
    at = no_exception(run_script(script, project))
    at.segmented_control(key="th_view").set_value("Compare groups").run()
    at.selectbox(key="th_by").set_value("year").run()
    table = at.dataframe[0].value
    for col in ("p", "Adjusted p", "Effect size (Cramér's V)"):
        cells = [str(v) for v in table[col]]
        assert "None" not in cells and "nan" not in cells and "–" in cells, col
    assert any("cannot be tested" in c.value for c in at.caption)
    # why documents, not excerpts, and where the excerpts per group are (walk 31)
    assert any("The test counts documents, not excerpts" in c.value and "**Frequencies** view" in c.value
               for c in at.caption)
    # two documents a year: said above the table, not only in each row's Finding (walk 8)
    assert [w.value.split(". ")[0] for w in at.warning] == ["Small groups: 2018 (2 documents), 2021 (2 documents)"]
    at.session_state["row"] = list(table["Code"]).index("Protected time")
    no_exception(at.run())
    group = at.selectbox(key=f"th_compare_group-{protected}")
    assert group.value == "2021"
    heads = [h.value for h in at.subheader]
    assert any(h.endswith("· year 2021 · 1 document") for h in heads), heads
    assert not any("No quotes behind this number" in c.value for c in at.caption)

def test_themes_chart_shows_documents_or_excerpts(project):
    """The Frequencies chart draws documents by default; "Excerpts" draws the coded excerpts
    (with a few documents every documents bar is alike: a new user saw equal bars beside a
    table of 6 and 4 excerpts). The choice is kept in the address."""
    import json

    _small(project)
    at = no_exception(page("themes", project))

    def x_field(app) -> str:
        (chart,) = app.get("vega_lite_chart")
        return json.loads(chart.proto.spec)["encoding"]["x"]["field"]

    assert at.segmented_control(key="th_chart").value == "documents" and x_field(at) == "documents"
    at.segmented_control(key="th_chart").set_value("excerpts").run()
    no_exception(at)
    assert x_field(at) == "excerpts"
    assert at.query_params.get("chart") in ("excerpts", ["excerpts"])
    (chart,) = at.get("vega_lite_chart")  # whole code names, not cut at 180 px (walk 6)
    assert json.loads(chart.proto.spec)["encoding"]["y"]["axis"]["labelLimit"] >= 300

def test_compare_and_the_chart_leave_out_codes_nobody_used(project):
    """A walk: on a study coded with 3 of the codebook's 17 codes, Compare listed every code,
    the unused ones as "Not testable", and the chart drew a row for each."""
    from qualcode.services import analysis, ingest

    for k, year in enumerate(("2023", "2024")):
        turns = [("Ana", "participant", f"We trust the team now, in {year}."),
                 ("Ana", "participant", "Buy-in came slowly.")]
        doc_id, sid = seed(project, name=f"interview-{year}", turns=turns)
        ingest.set_document_attribute(project, doc_id, "year", year)
        coding.accept_suggestion(project, sid["0:trust"])
        if k:
            coding.accept_suggestion(project, sid["1:buy_in"])
    at = no_exception(page("themes", project))
    at.segmented_control(key="th_view").set_value("Compare groups").run()
    at.selectbox(key="th_by").set_value("year").run()
    no_exception(at)
    freq = analysis.frequencies(project)
    used = sorted(freq[freq["excerpts"] > 0]["code"])  # Trust, Buy-in and the parent they roll up to
    assert {"Buy-in", "Trust"} <= set(used) and len(used) < len(freq)
    table = at.dataframe[0].value
    assert sorted(table["Code"]) == used
    n_codes = len(analysis.compare(project, by="year"))
    assert any(f"{n_codes - len(used)} codes of the codebook are used in no document yet" in c.value
               for c in at.caption)
    bars = analysis.chart_bars(project)
    assert sorted(set(bars.data["code"])) == used
    # a sub-code is drawn under its parent as such (walk 6: parents looked like their children)
    labels = dict(zip(bars.data["code"], bars.data["label"]))
    depth = dict(zip(freq["code"], freq["depth"]))
    assert {c for c, d in depth.items() if d > 0 and c in labels} == {"Buy-in", "Trust"}
    assert all(labels[c] == ("↳ " + c if depth[c] > 0 else c) for c in used)
    assert bars.to_dict()["encoding"]["y"]["field"] == "label"

def test_memos_page_lists_searches_and_downloads_what_it_shows(seeded):
    """Every memo in one list; searching narrows it to the memos holding every word typed (in
    the memo or what it is about); the download is exactly the memos listed (a walk: the page
    had no search and no export)."""
    import io

    import pandas as pd

    ctx, doc_id, _ = seeded
    _, _, _, ex = _store(ctx, doc_id)
    coding.add_memo(ctx, "The bus schedule keeps coming up.", excerpt_id=ex[1].id)
    coding.add_memo(ctx, "Trust grows after the second visit.", code_id="trust")
    coding.add_memo(ctx.as_coder("bob"), "Whole interview feels rushed.", document_id=doc_id)
    at = no_exception(page("memos", ctx))
    assert any(c.value == "3 of 3 memos" for c in at.caption)
    assert len(at.get("download_button")) == 1
    assert sorted(t.value for t in at.text if "." in t.value) == [
        "The bus schedule keeps coming up.", "Trust grows after the second visit.", "Whole interview feels rushed."]
    at.text_input(key="mf_text").input("SECOND trust").run()     # every word, any case, memo or anchor
    no_exception(at)
    assert any(c.value == "1 of 3 memos" for c in at.caption)
    assert [t.value for t in at.text if "." in t.value] == ["Trust grows after the second visit."]
    at.text_input(key="mf_text").input("bob").run()              # the coder's name counts too
    assert [t.value for t in at.text if "." in t.value] == ["Whole interview feels rushed."]
    from qualcode.ui.pages.memos import matching, memos_xlsx
    from qualcode.services import memos

    shown = matching(memos.list_memos(ctx), "bus")
    table = pd.read_excel(io.BytesIO(memos_xlsx(shown)))
    assert table["text"].tolist() == ["The bus schedule keeps coming up."] and "anchor" in table.columns
    at.text_input(key="mf_text").input("nothing like this").run()
    assert any(c.value == "0 of 3 memos" for c in at.caption)
    assert not [b for b in at.get("download_button")]  # nothing listed, nothing to download

def test_cooccurrence_columns_say_what_they_count(project):
    """Walk 5: "First code alone" showed each code's total (Barriers 5 where 4 were without the
    other code). The columns hold totals, and now say so."""
    from qualcode.services import analysis
    from qualcode.ui.pages.themes import COOC_CONFIG

    _small(project)  # Trust (rel) on 3 excerpts, Evidence on 2, together on 1 (D3e1)
    df = analysis.cooccurrence(project, level="excerpt", only_pairs=True).set_index(["code_a", "code_b"])
    row = df.loc[("rel_trust", "evid")]
    assert (int(row["count"]), int(row["n_a"]), int(row["n_b"])) == (1, 3, 2)  # totals, not "alone" (2 and 1)
    labels = {k: v["label"] for k, v in COOC_CONFIG.items()}
    assert not any("alone" in str(v).lower() for v in labels.values()), labels
    assert "in all" in labels["n_a"] and "in all" in labels["n_b"]

def _press_as_drawn_before(at, button) -> None:
    """What the browser sends when a key is pressed again before the redraw reaches it: a trigger
    for the button the coder saw (its id from the page as drawn before), on the page as it is now."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    states = at._tree.get_widget_states()
    w = WidgetState()
    w.id, w.trigger_value = button.id, True
    states.widgets.append(w)
    at._run(states)

@pytest.mark.parametrize("prefix,accept", [("focus-accept-s", True), ("focus-reject-s", False)])
def test_a_key_pressed_again_before_the_redraw_never_decides_the_next_suggestion(seeded, prefix, accept):
    """Walk 6: A pressed twice quickly accepted the excerpt's next suggestion while the button still
    named the first (a reused key: the redrawn button took the press). The press must act on what
    the coder saw: the suggestion it named, already decided, so nothing more."""
    ctx, doc_id, sid = seeded
    _, _, _, ex = _store(ctx, doc_id)
    at = page("code", ctx, code_focus=ex[1].id)
    (seen,) = [b for b in at.sidebar.button if b.key.startswith(prefix)]
    assert seen.key == f"{prefix}{sid['1:trust']}" and "Trust" in seen.label
    seen.click().run()
    (now,) = [b for b in at.sidebar.button if b.key.startswith(prefix)]
    assert "Buy" in now.label  # the page moved on to the next suggestion ...
    _press_as_drawn_before(at, seen)  # ... and the key is pressed again on what the coder saw
    no_exception(at)
    sugg, codings, _, _ = _store(ctx, doc_id)
    assert sugg[sid["1:trust"]].status.value == ("accepted" if accept else "rejected")
    assert sugg[sid["1:buy_in"]].status.value == "pending"  # never decided unseen
    assert [c.code_id for c in codings] == (["trust"] if accept else [])

def test_nothing_here_pressed_again_after_moving_on_leaves_the_next_excerpt_alone(seeded):
    """D moves on; a second D that reaches the server before the redraw is for the excerpt the
    coder saw, never the one the page moved to."""
    ctx, doc_id, sid = seeded
    _, _, _, ex = _store(ctx, doc_id)
    at = page("code", ctx, code_focus=ex[2].id)
    (seen,) = [b for b in at.sidebar.button if b.key.startswith("focus-none-e")]
    assert seen.key == f"focus-none-e{ex[2].id}"
    seen.click().run()
    moved_to = at.session_state["code_focus"]
    assert moved_to != ex[2].id
    _press_as_drawn_before(at, seen)
    no_exception(at)
    sugg, _, _, _ = _store(ctx, doc_id)
    assert all(s.status.value == "pending" for s in sugg.values() if s.excerpt_id == moved_to)

def _seed_without_suggestions(project, turns, rows: list[int]):
    """A document of ``turns`` whose excerpts at ``rows`` have no suggestion; its excerpts."""
    doc_id, _sid = seed(project, turns=turns)
    _, _, _, ex = _store(project, doc_id)
    with project.session() as s:
        coding_store.upsert_suggestions(s, [], replace_pending_for=[ex[i].id for i in rows])
    return ex


def test_next_stops_on_an_excerpt_without_a_suggestion_and_says_when_it_goes_round(project):
    """Walk 6: N visited only excerpts with suggestions (pending first), so a coder using the keys
    never reached the excerpts that need a hand code, and went round the end unsaid."""
    turns = [("Interviewer", "interviewer", "How did the team build trust?"),
             ("Ana", "participant", "We trusted the coaches from the start."),
             ("Ben", "participant", "The heater in the room was broken all winter."),
             ("Cleo", "participant", "Our principals bought in once they saw the exit tickets.")]
    ex = _seed_without_suggestions(project, turns, [2])  # nothing suggested on Ben's excerpt
    at = no_exception(page("code", project))
    assert at.session_state["code_focus"] == ex[1].id  # opens on the first excerpt to decide
    at.sidebar.button(key="focus-next").click().run()
    assert at.session_state["code_focus"] == ex[2].id  # N: the next one down, suggestion or not
    at.sidebar.button(key="focus-next").click().run()
    assert at.session_state["code_focus"] == ex[3].id
    assert not [t.value for t in at.toast if "End of the transcript" in t.value]
    at.sidebar.button(key="focus-next").click().run()  # past the last: round to the top, said
    no_exception(at)
    assert at.session_state["code_focus"] == ex[1].id
    # in a toast, seen wherever the page is scrolled (walk 7: an alert at the top was out of sight)
    assert [t.value for t in at.toast if "End of the transcript" in t.value]

def test_a_document_opens_at_its_first_excerpt_that_needs_a_decision_from_the_top(project):
    """Walk 45 (and 43): a document opened at its first excerpt with a suggestion, the 6th; the
    five above it, with none, came up only after N went round the end. A coder reads from the
    top: the page opens at the first excerpt needing a decision, suggestion or not, and skips
    the ones already decided."""
    turns = [("Interviewer", "interviewer", "How did the team build trust?"),
             ("Ana", "participant", "The heater in the room was broken all winter."),
             ("Ben", "participant", "The car park was full on Mondays."),
             ("Cleo", "participant", "Our principals bought in once they saw the exit tickets.")]
    ex = _seed_without_suggestions(project, turns, [1, 2])  # nothing suggested on Ana's or Ben's excerpt
    at = no_exception(page("code", project))
    assert at.session_state["code_focus"] == ex[1].id
    coding.mark_reviewed(project, ex[1].id)  # decided: the next open one, still above the suggestion
    at = no_exception(page("code", project))
    assert at.session_state["code_focus"] == ex[2].id


def test_the_code_page_keeps_its_document_and_excerpt_across_pages(seeded):
    """Walk 6: Code -> Themes -> Code opened the first document again (the document picker's own
    state goes when another page is shown); the coder comes back to where they were."""
    ctx, doc_id, sid = seeded
    other, _ = seed(ctx, name="interview-2")
    script = ("import streamlit as st\n"
              "from qualcode.ui.pages import code, themes\n"
              "(themes if st.session_state.get('on') == 'themes' else code).render()\n")
    at = no_exception(run_script(script, ctx))
    at.selectbox(key="code_doc").set_value(other).run()
    at.sidebar.button(key="focus-next").click().run()
    focus = at.session_state["code_focus"]
    assert at.query_params["doc"] in (str(other), [str(other)])
    at.session_state["on"] = "themes"
    no_exception(at.run())
    assert not [s for s in at.selectbox if s.key == "code_doc"]  # the picker is gone with its state
    for name in list(at.query_params):  # the navigation's link carries no address of the Code page
        del at.query_params[name]
    at.session_state["on"] = "code"
    no_exception(at.run())
    assert at.selectbox(key="code_doc").value == other
    assert at.session_state["code_focus"] == focus

def test_a_new_tab_opens_the_document_this_coder_last_had_open(seeded):
    """Walk 8: a second tab on the bare address opened the first document, not the one the
    coder was coding in the first tab; another coder's last document is theirs alone."""
    ctx, doc_id, sid = seeded
    other, _ = seed(ctx, name="interview-2")
    first = no_exception(page("code", ctx))
    assert first.selectbox(key="code_doc").value == doc_id
    first.selectbox(key="code_doc").set_value(other).run()
    second = no_exception(page("code", ctx))  # a new session, no address
    assert second.selectbox(key="code_doc").value == other
    bob = no_exception(page("code", ctx.as_coder("bob")))
    assert bob.selectbox(key="code_doc").value == doc_id

def test_an_interviewers_line_says_once_that_it_is_not_coded_and_offers_no_decision(seeded):
    """Walk 6: after a speaker became the interviewer, the panel said "This excerpt is not coded"
    under "Coded here: ..." and still offered Nothing here and Add a code on the line."""
    from qualcode.services import ingest

    ctx, doc_id, sid = seeded
    _, _, _, ex = _store(ctx, doc_id)
    coding.accept_suggestion(ctx, sid["1:trust"])  # Ana's excerpt coded ...
    ingest.set_speaker_role(ctx, doc_id, "Ana [x](http://evil)", "interviewer")  # ... then she is the interviewer
    at = no_exception(page("code", ctx, code_focus=ex[1].id))
    notes = [c.value for c in at.sidebar.caption if "not coded" in c.value]
    assert len(notes) == 1 and "interviewer's words are not coded" in notes[0]
    assert "still count" in notes[0]  # the coding made before is there, and said to count
    assert [b for b in at.sidebar.button if b.key == f"uncode-at-{_store(ctx, doc_id)[1][0].id}"]  # its Remove
    keys = {b.key for b in at.sidebar.button}
    assert f"focus-none-e{ex[1].id}" not in keys and f"addcode-{ex[1].id}" not in keys
    assert f"savememo-{ex[1].id}" in keys  # a memo still can be written
    at = no_exception(page("code", ctx, code_focus=ex[0].id))  # the interviewer's own line, never coded
    notes = [c.value for c in at.sidebar.caption if "not coded" in c.value]
    assert len(notes) == 1 and "still count" not in notes[0]

def test_a_rejected_suggestion_can_be_accepted_after_all(seeded):
    """Walk 6: a rejected chip offered only "Why?"; changing one's mind meant typing the code."""
    ctx, doc_id, sid = seeded
    _, _, _, ex = _store(ctx, doc_id)
    coding.reject_suggestion(ctx, sid["1:buy_in"])
    at = no_exception(page("code", ctx, code_focus=ex[1].id))
    again = at.sidebar.button(key=f"frea-{sid['1:buy_in']}")
    assert again.label == "Accept after all"
    again.click().run()
    no_exception(at)
    sugg, codings, _, _ = _store(ctx, doc_id)
    assert sugg[sid["1:buy_in"]].status.value == "accepted"
    assert [c.code_id for c in codings] == ["buy_in"]
    assert not [b for b in at.sidebar.button if b.key == f"frea-{sid['1:buy_in']}"]  # done: no second offer

def test_a_new_tab_on_the_bare_address_opens_the_project_last_open(project, tmp_path, monkeypatch):
    """Walk 6: a fresh tab on http://127.0.0.1:8501/ opened the project the app was started on
    (the demo), not the study the coder was working in. The app remembers the project last open
    (in memory, this server process) and says what it opened."""
    monkeypatch.setenv("QUALCODE_PROJECT", str(project.project_dir))  # the app's own project
    study = services.init_project(tmp_path / "study", coder="elena")
    study.close()
    script = ("import streamlit as st\n"
              "from qualcode.ui.state import current_context, restore_project, show_flash\n"
              "restore_project()\nshow_flash()\n"
              "st.write('open: ' + str(current_context().project_dir))\n")
    first = AppTest.from_string(script, default_timeout=60)
    first.session_state["project"] = str(study.project_dir)  # opened on the Project page
    no_exception(first.run())
    fresh = no_exception(AppTest.from_string(script, default_timeout=60).run())  # a new tab, bare address
    assert fresh.session_state["project"] == str(study.project_dir)
    assert any(f"open: {study.project_dir}" in m.value for m in fresh.markdown)
    (note,) = [i.value for i in fresh.info if "last open in this app" in i.value]
    assert str(project.project_dir) in note  # and where the app's own project is
    # back on the app's own project: a new tab opens that one, unsaid
    back = AppTest.from_string(script, default_timeout=60)
    back.session_state["project"] = str(project.project_dir)
    no_exception(back.run())
    again = no_exception(AppTest.from_string(script, default_timeout=60).run())
    assert any(f"open: {project.project_dir}" in m.value for m in again.markdown)
    assert not [i for i in again.info if "last open" in i.value]
    # an address that names a project still wins
    study_tab = AppTest.from_string(script, default_timeout=60)
    study_tab.query_params["project"] = str(study.project_dir)
    no_exception(study_tab.run())
    assert any(f"open: {study.project_dir}" in m.value for m in study_tab.markdown)

def test_pooled_counts_name_the_consensus_as_such():
    """Walk 7: after a consensus was recorded, Themes said "Counts pool 3 coders (consensus, ellen,
    sam)": the consensus is not a third person."""
    from qualcode.ui.pages.themes import _coders_note
    from qualcode.ui.text import pooled_coders

    assert pooled_coders(["consensus", "ellen", "sam"]) == "2 coders (ellen, sam) and the consensus"
    assert pooled_coders(["ana", "ben"]) == "2 coders (ana, ben)"
    note = _coders_note(["consensus", "ellen", "sam"], None, "accepted")
    assert note.startswith("Counts pool 2 coders (ellen, sam) and the consensus:")
    # ... and says that a resolved excerpt counts its agreed codes alone (walk 43)
    assert note.endswith("Where a disagreement was resolved, only the agreed codes count for that excerpt.")
    assert "consensus" not in _coders_note(["ellen", "sam"], None, "accepted")

def test_themes_groups_by_a_role_attribute_and_by_the_speakers_role(project):
    """Walk 8: with a document attribute "role", Group by offered only that one."""
    from qualcode.services import ingest

    small = _small(project)
    for name in ("D1", "D2", "D3", "D4"):
        ingest.set_document_attribute(project, small.doc[name], "role", "nurse" if name in ("D1", "D3") else "CHW")
    at = no_exception(page("themes", project))
    assert {"role", "speaker role"} <= set(at.selectbox(key="th_by").options)
    at.selectbox(key="th_by").set_value("speaker role").run()
    no_exception(at)
    table = at.dataframe[0].value
    assert "speaker role" in table.columns and set(table["speaker role"]) <= {"participant", "interviewer",
                                                                             "facilitator"}
    at.selectbox(key="th_by").set_value("role").run()
    assert set(no_exception(at).dataframe[0].value["role"]) == {"nurse", "CHW"}

def test_undo_opens_the_excerpt_it_took_effect_on(seeded):
    """Walk 8: after U the page stayed where it was, the undone decision out of sight. Undo
    opens its excerpt (in its document, scrolled to) so the coder sees what came back."""
    ctx, doc_id, sid = seeded
    other, _ = seed(ctx, name="interview-2")
    _, _, _, ex = _store(ctx, doc_id)
    coding.reject_suggestion(ctx, sid["2:buy_in"])  # on Ben's line of the first interview
    at = no_exception(page("code", ctx))
    at.selectbox(key="code_doc").set_value(other).run()  # the coder has moved on to another document
    assert at.session_state["code_doc"] == other
    at.button(key="page-undo").click().run()
    no_exception(at)
    sugg, _, _, _ = _store(ctx, doc_id)
    assert sugg[sid["2:buy_in"]].status.value == "pending"
    assert at.selectbox(key="code_doc").value == doc_id and at.session_state["code_focus"] == ex[2].id
    assert f"facc-{sid['2:buy_in']}" in {b.key for b in at.sidebar.button}  # its chip is back, in view
    # its buttons are named in words, for a screen reader too (walk 27: "check icon check")
    named = {b.key.split("-")[0]: b.label for b in at.sidebar.button if b.key.endswith(f"-{sid['2:buy_in']}")}
    assert named["facc"] == "Accept" and named["frej"] == "Reject", named

def test_next_from_an_interviewers_line_goes_down_not_back_to_the_top(project):
    """Walk 11: N (and Next) on an interviewer's line opened the document's first excerpt."""
    turns = [(who, role, text) for who, role, text in (
        ("Ana", "participant", "We trusted the coaches from the start."),
        ("Interviewer", "interviewer", "Has anything been frustrating?"),
        ("Ana", "participant", "The funding ended after two years."),
        ("Ben", "participant", "Our principals bought in once they saw the exit tickets."))]
    ex = _store(project, seed(project, turns=turns)[0])[3]
    at = no_exception(page("code", project, code_focus=ex[1].id))  # the interviewer's line, clicked
    at.sidebar.button(key="focus-next").click().run()
    no_exception(at)
    assert at.session_state["code_focus"] == ex[2].id
    assert not [t.value for t in at.toast if "End of the transcript" in t.value]

def test_themes_names_the_documents_nobody_has_coded_yet(project):
    """Walk 13: "Trust 1 of 2 (50%)" for a year whose other document nobody had opened, and
    nothing on Themes said so. The page names the documents not coded yet (by the coder
    counted), and the note goes once every document is started."""
    _, sid = seed(project, name="riverside-2023")
    seed(project, name="focus-group-2023", turns=[("Moderator", "interviewer", "What changed?"),
                                                  ("Lee", "participant", "We trust the new schedule.")])
    coding.accept_suggestion(project, sid["1:trust"])
    at = no_exception(page("themes", project))
    notes = [c.value for c in at.caption if "not been coded" in c.value]
    assert len(notes) == 1 and "1 of 2 documents has not been coded yet" in notes[0]
    assert "focus" in notes[0] and "riverside" not in notes[0]
    assert ui_support.untouched_documents(project) == (["focus-group-2023"], 2)
    assert ui_support.untouched_documents(project, coder="bob") == (["riverside-2023", "focus-group-2023"], 2)
    assert ui_support.untouched_documents(project, source="surveys") == ([], 0)
    coding.nothing_here(project, _first_codable(project, "focus-group-2023"))
    at = no_exception(page("themes", project))
    assert not [c.value for c in at.caption if "not been coded" in c.value]

def _first_codable(ctx, name):
    with ctx.session(readonly=True) as s:
        doc_id = next(d["id"] for d in doc_store.list_documents(s) if d["name"] == name)
        return next(e.id for e in doc_store.load_document(s, doc_id).excerpts if e.codable)

def test_the_case_matrix_names_its_codes_and_a_cell_shows_that_documents_quotes(project):
    """Walk 14: the case matrix had code ids for headers (buy_in), a bare index column, a Group by
    that did nothing, and no way from a 1 to its quotes."""
    from qualcode.services import analysis
    from tests.analysis_helpers import build_small_project

    build_small_project(project)
    at = page("themes", project, th_view="Case matrix")
    no_exception(at)
    shown = at.dataframe[0].value
    assert "Trust (rel)" in shown.columns and "rel_trust" not in shown.columns
    assert "document_id" not in shown.columns and list(shown["document"]) == ["D1", "D2", "D3", "D4"]
    assert at.selectbox(key="th_by").disabled
    # the default codebook's codes occur nowhere here: columns of 0s, off until asked for (they
    # pushed the project's own codes past the table's right edge)
    assert list(shown.columns) == ["document", "district", "format", "year",
                                   "Relationships (test)", "Trust (rel)", "Buy-in (rel)", "Evidence (test)"]
    at.toggle(key="th_matrix_all").set_value(True)
    no_exception(at.run())
    every = at.dataframe[0].value
    assert {"Relationships", "Learning zone"} <= set(every.columns) and not every["Learning zone"].any()
    at.toggle(key="th_matrix_all").set_value(False)
    no_exception(at.run())
    # a document without an attribute: "(not set)", as on the other views, not "None" (walk 15)
    from sqlalchemy import delete

    from qualcode.services.analysis import NOT_SET
    from qualcode.storage.models import DocumentAttributeRow

    with project.session() as s:
        s.execute(delete(DocumentAttributeRow).where(DocumentAttributeRow.document_id == 4,
                                                     DocumentAttributeRow.key == "district"))
    shown = no_exception(at.run()).dataframe[0].value
    assert list(shown["district"]) == ["North", "South", "North", NOT_SET]
    # a cell: D1 x Trust (rel) -> D1's quotes of that code only, as many as the matrix says (1)
    at.session_state["th_matrix"] = {"selection": {"rows": [], "columns": [], "cells": [[0, "Trust (rel)"]]}}
    no_exception(at.run())
    (quotes,) = [df.value for df in at.dataframe if "quote" in df.value.columns]
    d1 = analysis.quotes(project, code_id="rel_trust", document_id=1)
    assert len(quotes) == len(d1) == 1 and set(d1["document"]) == {"D1"}
    import json  # the quotes' headers in one style (walk 15: "document", "speaker" beside "Speaker role")

    (table,) = [df for df in at.dataframe if "quote" in df.value.columns]
    labels = {c: v.get("label", c) for c, v in json.loads(table.proto.columns).items()}
    assert [labels.get(c, c) for c in table.value.columns] == [
        "Document", "Speaker", "Speaker role", "Counted as", "Also coded", "Quote", "Coders", "Origin", "Memo"]
    assert len(analysis.quotes(project, code_id="rel_trust")) > 1  # the other documents' are left out


def test_a_finished_document_offers_the_next_one_with_excerpts_to_decide(project):
    """Walk 17: once every excerpt of a document had a decision the page said so and stopped
    (A, D and N had nowhere to go, and nothing named the next document to code). It offers the
    next document with excerpts this coder has not decided, and says when every one is done."""
    first, _ = seed(project, name="north_grace", turns=TURNS, codes=())
    second, _ = seed(project, name="river_esther", turns=TURNS + [("Cy", "participant", "We met on Tuesdays.")],
                     codes=())
    with project.session() as s:
        ex = {d: [e for e in doc_store.load_document(s, d).excerpts if e.codable] for d in (first, second)}
    at = no_exception(page("code", project, code_doc=first))
    assert "code-next-doc" not in [b.key for b in at.button]  # excerpts left here: no offer
    for e in ex[first]:
        coding.mark_reviewed(project, e.id)
    coding.mark_reviewed(project, ex[second][0].id)
    at = no_exception(at.run())
    assert "Every excerpt of this document has a decision." in [m.value for m in at.success]
    # and the progress line says where the coder stands across the project
    assert [p.proto.text for p in at.get("progress")] == [
        f"{len(ex[first])} of {len(ex[first])} excerpts decided by alice · 1 of 2 documents finished"]
    nxt = at.button(key="code-next-doc")
    assert nxt.label == "Next document: river_esther (2 excerpts to decide)"
    # N (the side panel's Next, as the keyboard presses it) goes there too (walk 38); the button is
    # clicked in the browser test
    at = no_exception(at.button(key="focus-next").click().run())
    assert at.session_state["code_doc"] == second and "code-next-doc" not in [b.key for b in at.button]
    for e in ex[second][1:]:
        coding.mark_reviewed(project, e.id)
    at = no_exception(at.run())
    assert "Every excerpt of every document has a decision. The counts are on the **Themes** page." in [
        m.value for m in at.success]
    assert "code-next-doc" not in [b.key for b in at.button]


def test_t_outside_the_transcript_opens_the_excerpt_there_with_its_code_box(seeded):
    """Walk 25: in the Excerpts view T did nothing (no "Type a code" there), and the letters typed
    next ran as other shortcuts. T takes the coder to the Transcript view, on the same excerpt,
    with the code box open."""
    ctx, doc_id, sid = seeded
    at = no_exception(page("code", ctx, code_mode="Excerpts"))
    focus = at.session_state["code_focus"]
    button = at.button(key="focus-code")
    assert button.label == "Type a code"
    button.click().run()
    no_exception(at)
    assert at.session_state["code_mode"] == "Transcript"
    assert at.session_state["code_focus"] == focus
    assert any("Select words with the mouse" in c.value for c in at.caption)  # the transcript is drawn
    assert "code_pick_now" not in at.session_state  # ... and took the request to open its code box


def test_the_project_pages_codes_figure_counts_the_codes_a_coder_can_apply(project):
    """Walk 45: "Codes 22" on the Project page against the 17 the coder could apply (5 grouping
    codes only hold others): the figure counts the codable ones; its help names the groups."""
    from qualcode.services import codebook as cbs

    seed(project)
    cb = cbs.get_codebook(project, include_retired=False)
    groups = [c for c in cb.codes if not c.codable]
    assert groups and len(cb.codable_codes()) < len(cb.codes)
    at = no_exception(page("project", project))
    (codes,) = [m for m in at.metric if m.label == "Codes"]
    assert int(codes.value) == len(cb.codable_codes())
    assert f"{len(groups)} grouping codes that only hold others" in codes.proto.help


def test_suggestions_left_open_on_decided_excerpts_are_said_where_the_progress_says_done(project):
    """A walk: a coder accepted the first chip of every excerpt and moved on; the Code page said
    "5 of 5 excerpts decided" while the Project page counted the other chips as suggestions for
    them. The progress line names those left open, as many as the Project page counts."""
    doc, sugg = seed(project, name="north_grace", turns=TURNS, codes=("trust", "buy_in"))
    trust = {k: v for k, v in sugg.items() if k.endswith(":trust")}
    at = no_exception(page("code", project, code_doc=doc))
    (line,) = [p.proto.text for p in at.get("progress")]
    assert "left open" not in line
    for sid in trust.values():
        coding.accept_suggestion(project, sid)
    at = no_exception(at.run())
    (line,) = [p.proto.text for p in at.get("progress")]
    n = len(trust)
    assert line == f"{n} of {n} excerpts decided by alice · {n} suggestions left open on them (N goes there)"
    assert ui_support.open_count(project) == n  # the Project page's "Suggestions for you"
    for key, sid in sugg.items():  # deciding them clears the line
        if key.endswith(":buy_in"):
            coding.reject_suggestion(project, sid)
    (line,) = [p.proto.text for p in no_exception(at.run()).get("progress")]
    assert line == f"{n} of {n} excerpts decided by alice"


def test_a_choice_of_views_cannot_be_clicked_off(seeded):
    """Walk 47: clicking the chosen "Full text" again switched it off, and neither view was
    highlighted. Every one-of-several switch keeps its choice (``required``)."""
    ctx, _doc_id, sid = seeded
    coding.accept_suggestion(ctx, sid["1:trust"])  # a coded excerpt: the Themes page draws its chart
    for name in ("code", "memos", "importing", "themes"):
        at = no_exception(page(name, ctx))
        found = list(at.get("button_group"))
        assert found, name
        assert all(b.proto.required for b in found), (name, [b.proto.label for b in found if not b.proto.required])


def test_themes_compare_says_which_documents_it_leaves_out(project):
    """Walk 48: a comparison counted documents nobody had coded as documents without the code.
    They are left out, and the Compare view says how many."""
    small = _small(project)
    script = "from qualcode.ui.pages import themes\nthemes.render()\n"
    at = no_exception(run_script(script, project))
    at.segmented_control(key="th_view").set_value("Compare groups").run()
    at.selectbox(key="th_by").set_value("year").run()
    no_exception(at)
    said = [c.value for c in at.caption if "left out of this comparison" in c.value]
    assert said == ["1 document not coded yet is left out of this comparison: a code's absence there says nothing "
                    "yet, and a group none of whose documents is coded is not compared."], said
    from tests.analysis_helpers import start_d4

    start_d4(project, small)
    at = no_exception(at.run())
    assert not [c.value for c in at.caption if "left out of this comparison" in c.value]


def test_themes_compare_with_one_group_coded_says_there_is_nothing_to_compare(project):
    """Walk 48: with only one cohort's respondents coded, Compare groups listed each code as
    "Chi-square test" with a dash for p and "Not testable: the code is in every document or in
    none of them" beside "9 of 12 (75%)". It says there is nothing to compare yet."""
    from qualcode.analysis.compare import table_test

    assert table_test([[9], [3]])["test"] == "none"
    small = _small(project)
    from qualcode.services import ingest

    for name, site in (("D1", "West"), ("D2", "West"), ("D3", "West"), ("D4", "East")):
        ingest.set_document_attribute(project, small.doc[name], "site", site)
    script = "from qualcode.ui.pages import themes\nthemes.render()\n"
    at = no_exception(run_script(script, project))
    at.segmented_control(key="th_view").set_value("Compare groups").run()
    at.selectbox(key="th_by").set_value("site").run()
    no_exception(at)
    assert [i.value for i in at.info if "Only one" in i.value] == [
        "Only one site group (West) has documents coded so far: there is nothing to compare it with yet. "
        "1 document is not coded yet."]
    assert not at.dataframe
    # the note that untouched documents count as without a code is not said here (they are left out)
    assert not [c.value for c in at.caption if "count as documents without any code" in c.value]


def test_a_page_left_behind_by_an_action_is_redrawn_once_by_the_learning_lines_tick(monkeypatch):
    """CI, once: a code typed in the transcript was stored, and the page stayed on the excerpt open
    before for 30 s while the learning line ticked. A tick of the line alone (no run of the whole
    page since its last tick) that finds an open excerpt the page has not drawn reruns the page,
    once; a tick inside a run of the whole page, a page in step and the survey grid never do."""
    from qualcode.ui.pages import code as code_page

    state: dict = {}
    monkeypatch.setattr(code_page.st, "session_state", state)

    def page_run(focus):  # what a run of the whole page records
        state["code_page_run"] = state.get("code_page_run", 0) + 1
        state["code_focus"] = state["code_drawn_focus"] = focus

    page_run(2)
    assert code_page._page_behind() is False  # the tick inside that run
    assert code_page._page_behind() is False  # a tick alone, the page in step
    state["code_focus"] = 44  # an action's callback, and no run of the whole page after it
    assert code_page._page_behind() is True
    assert code_page._page_behind() is False  # once: never a loop of reruns
    page_run(44)
    assert code_page._page_behind() is False and code_page._page_behind() is False
    state["code_focus"], state["code_view"] = 7, "Survey grid"
    assert code_page._page_behind() is False

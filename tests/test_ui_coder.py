"""The coder survives a reload (``?coder=`` in the URL), is shown on every page, switches
only on an explicit click, and with sign-in the signed-in identity always wins."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.ui_helpers import APP_PY, no_exception, page


def _app(project, monkeypatch, *, query=None, **secrets) -> AppTest:
    monkeypatch.setenv("QUALCODE_PROJECT", str(project.project_dir))
    monkeypatch.delenv("QUALCODE_CODER", raising=False)
    at = AppTest.from_file(str(APP_PY), default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    for key, value in secrets.items():
        at.secrets[key] = value
    return at.run()


def _badge(at: AppTest) -> str:
    return " ".join(m.value for m in at.sidebar.markdown)


def test_a_reload_keeps_the_coder_from_the_url(project, monkeypatch):
    """A reload is a new session with the same URL: the coder comes back from ?coder=."""
    at = no_exception(_app(project, monkeypatch, query={"coder": "bob"}))
    assert at.session_state["coder"] == "bob"
    assert "Coding as **bob**" in _badge(at)
    assert at.query_params["coder"] in ("bob", ["bob"])


def test_switching_is_explicit_and_lands_in_the_url(project, monkeypatch):
    at = no_exception(_app(project, monkeypatch, query={"coder": "alice"}))
    at.text_input(key="coder_new").input("Dana")
    at.button(key="coder_add").click().run()
    assert at.session_state["coder"] == "Dana" and at.query_params["coder"] in ("Dana", ["Dana"])
    at.selectbox(key="coder_pick").set_value("alice").run()
    assert at.session_state["coder"] == "Dana"  # choosing in the list alone switches nothing
    assert "Code as alice" in at.button(key="coder_switch").label
    at.button(key="coder_switch").click().run()
    no_exception(at)
    assert at.session_state["coder"] == "alice" and at.query_params["coder"] in ("alice", ["alice"])
    assert "Coding as **alice**" in _badge(at)


def test_with_sign_in_the_url_cannot_change_who_you_are(project, monkeypatch):
    at = _app(project, monkeypatch, query={"coder": "mallory"}, passwords={"ana": "s3cret"})
    at.text_input[0].input("ana")
    at.text_input[1].input("s3cret")
    at.button[0].click().run()
    no_exception(at)
    assert at.session_state["coder"] == "ana"
    assert "coder" not in at.query_params
    assert "Coding as **ana**" in _badge(at)


def test_project_page_says_who_is_coding(project):
    at = no_exception(page("project", project))
    assert any("Coding as **alice**" in c.value for c in at.caption)


def test_the_coder_list_opens_on_the_coder_just_added(project):
    """After "Add", the header and the Coder list name the same coder: no "Code as <the one
    before>" button beside a header that says the new one is active."""
    from tests.ui_helpers import seed

    seed(project)
    at = no_exception(page("project", project.as_coder("ana")))
    assert at.selectbox(key="coder_pick").value == "ana"
    at.text_input(key="coder_new").input("ben")
    at.button(key="coder_add").click().run()
    no_exception(at)
    assert any("Coding as **ben**" in c.value for c in at.caption)
    assert at.selectbox(key="coder_pick").value == "ben"
    assert at.button(key="coder_switch").disabled and "Code as" not in at.button(key="coder_switch").label


def test_the_early_curve_line_names_whose_decisions_it_counts(project):
    """Signed in as ben with no decisions, ana's count is not "you have made"."""
    from qualcode.services import coding
    from tests.ui_helpers import seed

    _, sid = seed(project)
    ana = project.as_coder("ana")
    for key in ("1:trust", "1:buy_in"):
        coding.accept_suggestion(ana, sid[key])
    lines = [c.value for c in no_exception(page("project", project.as_coder("ben"))).caption]
    early = [c for c in lines if "point per 50 decisions" in c]
    assert early and "ana has made 2" in early[0] and "you have made" not in early[0], early
    lines = [c.value for c in no_exception(page("project", ana)).caption]
    assert any("point per 50 decisions; you have made 2 so far" in c for c in lines), lines


def test_a_new_session_without_a_coder_codes_as_the_last_to_decide(project, monkeypatch):
    """A new user's walk: a bookmark without ?coder= recorded Ben's decisions under "coder".
    A new session with no coder chosen takes the project's last decider, and says so."""
    from qualcode import services
    from qualcode.services import codebook, coding

    code_id = codebook.get_codebook(project).codes[0].id
    coding.add_memo(project.as_coder("Ben"), "A first thought on this code.", code_id=code_id)
    assert services.last_coder(project) == "Ben"
    at = no_exception(_app(project, monkeypatch))
    assert at.session_state["coder"] == "Ben"
    assert at.query_params["coder"] in ("Ben", ["Ben"])
    assert "Coding as **Ben**" in _badge(at) and "the last to code in this project" in _badge(at)
    # an address that names the coder wins, and says nothing of a guess
    at = no_exception(_app(project, monkeypatch, query={"coder": "alice"}))
    assert at.session_state["coder"] == "alice" and "the last to code" not in _badge(at)
    # an explicit switch ends the guess
    at = no_exception(_app(project, monkeypatch))
    at.selectbox(key="coder_pick").set_value("Ben").run()
    at.text_input(key="coder_new").input("Dana")
    at.button(key="coder_add").click().run()
    assert at.session_state["coder"] == "Dana" and "the last to code" not in _badge(at)


def test_a_reload_of_a_tab_coding_as_the_default_name_keeps_it(project, monkeypatch):
    """Walk 33: a tab coding as the default name had no ?coder= in its address; bob coded in
    another tab, and a reload of the first tab said "Coding as bob — the last to code". The
    default name is written into the address from the first run, so a reload keeps it."""
    from qualcode.services import codebook, coding

    assert services_last(project) is None
    at = no_exception(_app(project, monkeypatch))  # the first tab, on the bare address
    default = at.session_state["coder"]  # the app's default name ("coder")
    assert default and f"Coding as **{default}**" in _badge(at)
    assert at.query_params["coder"] in (default, [default])
    assert "the last to code" not in _badge(at)
    code_id = codebook.get_codebook(project).codes[0].id
    coding.add_memo(project.as_coder("bob"), "bob's first thought.", code_id=code_id)  # another tab
    reloaded = no_exception(_app(project, monkeypatch, query={"coder": at.query_params["coder"]}))
    assert reloaded.session_state["coder"] == default and "Coding as **bob**" not in _badge(reloaded)
    # a new tab on the bare address still codes as the last to decide, and says so
    fresh = no_exception(_app(project, monkeypatch))
    assert fresh.session_state["coder"] == "bob" and "the last to code in this project" in _badge(fresh)


def services_last(ctx):
    from qualcode import services

    return services.last_coder(ctx)


def test_a_code_typed_in_the_transcript_and_a_project_opened_later_adopt_the_last_decider(tmp_path, monkeypatch):
    """Walk 5: codes typed in the transcript (a selection coded) did not count as deciding, and
    a project opened with the Open button never took its last decider."""
    from qualcode import services
    from qualcode.services import coding
    from tests.ui_helpers import seed

    ctx = services.init_project(tmp_path / "clinic", coder="coder")
    try:
        doc_id, _ = seed(ctx, turns=[("Ana", "participant", "The outreach van comes on Tuesdays.")])
        coding.code_selection(ctx.as_coder("Priya"), doc_id, 4, 15, "trust")
        assert services.last_coder(ctx) == "Priya"
    finally:
        ctx.close()
    monkeypatch.delenv("QUALCODE_PROJECT", raising=False)
    monkeypatch.delenv("QUALCODE_CODER", raising=False)
    at = no_exception(AppTest.from_file(str(APP_PY), default_timeout=60).run())  # no project yet
    assert "coder" not in at.session_state
    at.text_input(key="project_path").input(str(tmp_path / "clinic"))
    at.button(key="project_open").click().run()
    no_exception(at)
    assert at.session_state["coder"] == "Priya" and "the last to code in this project" in _badge(at)


def test_independent_coding_can_be_set_before_a_second_coder_starts(project):
    """Walk 13: the toggle appeared only once a second coder existed, after the first coder had
    coded a whole transcript in the open. It is there from the first coder on, and it works."""
    from qualcode.services import team

    at = no_exception(page("project", project))
    toggle = at.toggle(key="proj_independent")
    assert toggle.value is False
    toggle.set_value(True).run()
    no_exception(at)
    assert team.independent_coding(project) is True


def test_every_page_names_the_open_project(project, monkeypatch):
    """Walk 22: a tab that reopened another project said so once; after that no page but the
    Project page named the project open (two projects with the same documents looked alike)."""
    from qualcode import services
    from qualcode.ui.text import md

    name = services.project_name(project)
    at = no_exception(_app(project, monkeypatch, query={"coder": "bob"}))
    assert f"Project **{md(name)}**" in _badge(at)


def test_a_coder_switched_to_opens_their_own_first_excerpt_not_the_previous_coders(project):
    """Walk 26: joseph, added on the Project page for a blind second coding, opened the Code page
    at maria's place (excerpt 114, mid-transcript) with none of his 26 excerpts decided. A switch
    of coder drops the open excerpt: the Code page opens the new coder's first excerpt to decide."""
    from tests.ui_helpers import run_script, seed

    doc_id, sid = seed(project)
    script = ("import streamlit as st\n"
              "from qualcode.ui.pages.project import render as project_page\n"
              "from qualcode.ui.pages.code import render as code_page\n"
              "code_page() if st.session_state.get('show') == 'code' else project_page()\n")
    at = no_exception(run_script(script, project, show="code", code_doc=doc_id))
    first = at.session_state["code_focus"]
    with project.session(readonly=True) as s:
        from qualcode.storage import coding as coding_store
        excerpts = sorted({sg.excerpt_id for sg in coding_store.list_suggestions(s, document_id=doc_id)})
    assert first == excerpts[0] and len(excerpts) > 1
    at.session_state["code_focus"] = excerpts[-1]  # alice moves on to a later excerpt
    at.session_state["show"] = "code"
    no_exception(at.run())
    assert at.session_state["code_focus"] == excerpts[-1] and at.query_params["ex"] in (str(excerpts[-1]), [str(excerpts[-1])])
    at.session_state["show"] = "project"
    no_exception(at.run())
    at.text_input(key="coder_new").input("Dana")
    at.button(key="coder_add").click().run()
    assert at.session_state["coder"] == "Dana"
    at.session_state["show"] = "code"
    no_exception(at.run())
    assert at.session_state["code_focus"] == excerpts[0]  # Dana's first, not alice's place


def test_the_sidebar_says_when_the_coder_was_chosen_at_start(project, monkeypatch):
    """Walk 26: the app was started for maria; a new tab said "Coding as maria" although joseph
    had coded last, with nothing saying why. The sidebar now says the coder was chosen when the
    app was started; a coder from the address (a switch) says only how to switch."""
    monkeypatch.setenv("QUALCODE_PROJECT", str(project.project_dir))
    monkeypatch.setenv("QUALCODE_CODER", "maria")
    at = no_exception(AppTest.from_file(str(APP_PY), default_timeout=60).run())
    assert "Coding as **maria**" in _badge(at) and "chosen when the app was started" in _badge(at)
    at = no_exception(_app(project, monkeypatch, query={"coder": "bob"}))
    assert "Coding as **bob**" in _badge(at) and "chosen when the app was started" not in _badge(at)


def test_adding_a_second_coder_says_that_coding_is_not_blind_until_it_is_turned_on(project, monkeypatch):
    """Walk 29: theo was added after maya had coded and saw her codes beside each excerpt; adding
    him said nothing about independent coding. Now it does, while it is off, and not once it is on."""
    from qualcode.services import coding
    from qualcode.services import team
    from qualcode.storage import documents
    from tests.conftest import make_document

    with project.session() as s:
        ex = documents.load_document(s, documents.add_document(s, make_document())).excerpts
    coding.add_coding(project, ex[1].id, "trust")  # alice has coded
    at = no_exception(_app(project, monkeypatch, query={"coder": "alice"}))
    at.text_input(key="coder_new").input("theo")
    at.button(key="coder_add").click().run()
    no_exception(at)
    assert [w.value for w in at.warning] == [
        "Coding as theo. Independent coding is off, so theo will see alice's codes beside each excerpt. To "
        "measure agreement on a blind sample, turn it on below before theo starts."]
    team.set_independent_coding(project, True)
    at.text_input(key="coder_new").input("uma")
    at.button(key="coder_add").click().run()
    no_exception(at)
    assert at.session_state["coder"] == "uma" and not at.warning

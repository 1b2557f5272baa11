"""The survey parts of the app with Streamlit's AppTest (fast; the browser test is in
tests/browser/test_browser_survey.py): the Code page's grid and the Import page's survey mode."""

from __future__ import annotations

from qualcode.core import Suggestion
from qualcode.services import survey as svc
from qualcode.storage import codes as code_store
from qualcode.storage import coding as coding_store
from tests.test_survey import CHANGE, SMALL, USEFUL, small_survey
from tests.ui_helpers import no_exception, page, run_script, visit


def _seeded(ctx):
    svc.save_survey(ctx, small_survey())
    rows = svc.survey_grid(ctx, "fall").rows.set_index(["respondent", "question"])["excerpt_id"]
    with ctx.session() as s:
        coding_store.upsert_suggestions(s, [
            Suggestion(excerpt_id=int(rows[("r1", USEFUL)]), code_id="trust", score=0.8, model_id="test"),
            Suggestion(excerpt_id=int(rows[("r2", USEFUL)]), code_id="evidence", score=0.7, model_id="test")])
        sugg = {sg.excerpt_id: sg.id for sg in coding_store.list_suggestions(s)}
    return rows, sugg


def test_grid_shows_respondents_and_decides_in_place(project):
    rows, sugg = _seeded(project)
    at = no_exception(page("code", project))  # a project with only a survey opens on the grid
    assert at.session_state["code_view"] == "Survey grid"
    texts = [t.value for t in at.text]
    assert "Meeting the same people at every convening built trust." in texts
    assert len(texts) == 4  # the four answers to the first question
    assert any("North Ridge" in c.value for c in at.caption)  # attributes are shown
    r1, r2, r3 = (int(rows[(r, USEFUL)]) for r in ("r1", "r2", "r3"))
    at.button(key=f"acc-{sugg[r1]}").click().run()
    at.button(key=f"rej-{sugg[r2]}").click().run()
    at.selectbox(key=f"sadd-{r3}").select("coaching_facilitation").run()
    no_exception(at)
    grid = svc.survey_grid(project, "fall").rows.set_index("excerpt_id")
    assert grid.loc[r1, "codes"] == ["trust"] and grid.loc[r3, "codes"] == ["coaching_facilitation"]
    with project.session(readonly=True) as s:
        assert {sg.id: sg.status.value for sg in coding_store.list_suggestions(s)}[sugg[r2]] == "rejected"
    assert at.selectbox(key=f"sadd-{r3}").value is None  # the box is ready for the next code
    at.button(key=f"snone-{int(rows[('r5', USEFUL)])}").click().run()
    assert svc.survey_grid(project, "fall").rows.set_index("excerpt_id").loc[int(rows[("r5", USEFUL)]),
                                                                             "status"] == "reviewed"


def test_grid_add_a_code_box_offers_codebook_codes_only(project):
    """A row's "Add a code" box applies what is picked at once, so it takes no typed name the
    codebook does not hold (walk 39: "Childc" and Enter made a code of the half-typed name); a
    code picked from it codes the whole answer."""
    rows, _ = _seeded(project)
    at = no_exception(page("code", project))
    r3 = int(rows[("r3", USEFUL)])
    box = at.selectbox(key=f"sadd-{r3}")
    assert not box.proto.accept_new_options
    assert any(c.value.startswith("A row's “Add a code” box applies a code of the codebook at once; a new code "
                                  "is made on the Codebook page.") for c in at.caption)
    before = _code_names(project)
    box.select("buy_in").run()
    no_exception(at)
    assert _code_names(project) == before
    assert svc.survey_grid(project, "fall").rows.set_index("excerpt_id").loc[r3, "codes"] == ["buy_in"]


def _code_names(project) -> list[str]:
    with project.session(readonly=True) as s:
        return sorted(c.name for c in code_store.load_codebook(s).codes)


def test_nothing_more_here_stays_on_a_row_after_one_of_its_chips_is_accepted(project):
    """Walk 42: accepting one chip took the row's "nothing here" button away, and the other open
    chips had to be rejected one by one; the button now says "Nothing more here" and rejects them,
    keeping the code accepted."""
    rows, sugg = _seeded(project)
    r1 = int(rows[("r1", USEFUL)])
    with project.session() as s:
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=r1, code_id="buy_in", score=0.6, model_id="test")])
        extra = next(sg.id for sg in coding_store.list_suggestions(s) if sg.excerpt_id == r1 and sg.code_id == "buy_in")
    at = no_exception(page("code", project))
    assert at.button(key=f"snone-{r1}").label == "Nothing here"
    at.button(key=f"acc-{sugg[r1]}").click().run()
    no_exception(at)
    more = at.button(key=f"snone-{r1}")
    assert more.label == "Nothing more here" and "1 suggestion still open" in more.help
    more.click().run()
    no_exception(at)
    with project.session(readonly=True) as s:
        status = {sg.id: sg.status.value for sg in coding_store.list_suggestions(s)}
    assert status[extra] == "rejected" and status[sugg[r1]] == "accepted"
    assert svc.survey_grid(project, "fall").rows.set_index("excerpt_id").loc[r1, "codes"] == ["trust"]
    assert not [b for b in at.button if b.key == f"snone-{r1}"]  # nothing left to decide on it


def test_grid_question_filters_and_sort(project):
    _seeded(project)
    at = page("code", project)
    at.selectbox(key="sg_question").select(CHANGE).run()
    assert "We need buy-in from principals before we start." in [t.value for t in at.text]
    at.multiselect(key="sg_f_district").select("South Fork").run()
    assert [t.value for t in at.text] == ["We need buy-in from principals before we start."]
    at.multiselect(key="sg_f_district").unselect("South Fork").run()
    at.selectbox(key="sg_sort").select("respondent").run()
    at.toggle(key="sg_desc").set_value(True).run()
    no_exception(at)
    assert [t.value for t in at.text][0] == "Nothing."  # r5 first


def test_a_reload_comes_back_to_the_grids_question_and_page(project):
    """Walk 41: a new tab (or a reload) opened the grid on its first question; the address now
    holds the survey, the question's number and the page of rows, as it holds a transcript."""
    from streamlit.testing.v1 import AppTest

    _seeded(project)
    at = no_exception(page("code", project))
    at.selectbox(key="sg_question").select(CHANGE).run()
    at.selectbox(key="sg_page_size").select(10).run()
    no_exception(at)
    assert at.query_params.get("question") in ("2", ["2"])
    assert at.query_params.get("survey") in ("fall", ["fall"])
    place = {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}

    def reloaded(params: dict[str, str]) -> AppTest:
        again = AppTest.from_string("from qualcode.ui.pages.code import render\nrender()\n", default_timeout=60)
        again.session_state["project"], again.session_state["coder"] = str(project.project_dir), project.coder
        for k, v in params.items():
            again.query_params[k] = v
        return no_exception(again.run())

    again = reloaded(place)
    assert again.session_state["sg_question"] == CHANGE
    assert again.session_state["sg_page_size"] == 10  # the rows per page too (walk 44: page 2 was gone)
    assert "We need buy-in from principals before we start." in [t.value for t in again.text]
    # an address from elsewhere: a question number past the last, a page past the last
    odd = reloaded({**place, "question": "9", "rows_page": "7"})
    assert odd.session_state["sg_question"] == USEFUL and odd.session_state["sg_page"] == 1
    # switching survey questions by hand still starts on page 1, and the address follows
    again.selectbox(key="sg_question").select(USEFUL).run()
    assert again.query_params.get("question") in ("1", ["1"])


def test_the_grid_view_stays_chosen_across_a_visit_to_another_page(project):
    """Walk 44: leaving the Code page for another page and coming back opened the Transcripts
    view, not the grid the coder had chosen (Streamlit forgets a widget not drawn)."""
    from tests.ui_helpers import seed

    seed(project)
    svc.save_survey(project, small_survey())
    script = ("import streamlit as st\nfrom qualcode.ui.pages import code, memos\n"
              "(memos if st.session_state.get('on') == 'memos' else code).render()\n")
    at = no_exception(run_script(script, project))
    assert at.session_state["code_view"] == "Transcripts"
    at.segmented_control(key="code_view").set_value("Survey grid").run()
    assert not [s for s in visit(at, "memos").segmented_control if s.key == "code_view"]
    assert visit(at, "code").segmented_control(key="code_view").value == "Survey grid"


def test_transcripts_stay_the_default_view_when_there_are_transcripts(project):
    from tests.ui_helpers import seed

    seed(project)
    svc.save_survey(project, small_survey())
    at = no_exception(page("code", project))
    assert at.session_state["code_view"] == "Transcripts"
    assert [s.value for s in at.selectbox if s.key == "code_doc"]  # the transcript picker, without respondents
    options = next(s for s in at.selectbox if s.key == "code_doc").options
    assert not any("fall ·" in o for o in options)
    # choosing the grid puts it in the page's address, and a reload (a new session) comes back to it
    at.segmented_control(key="code_view").set_value("Survey grid").run()
    no_exception(at)
    assert at.query_params.get("kind") in ("survey", ["survey"])
    from streamlit.testing.v1 import AppTest

    again = AppTest.from_string("from qualcode.ui.pages.code import render\nrender()\n", default_timeout=60)
    again.session_state["project"], again.session_state["coder"] = str(project.project_dir), project.coder
    again.query_params["kind"] = "survey"
    no_exception(again.run())
    assert again.session_state["code_view"] == "Survey grid"
    at.segmented_control(key="code_view").set_value("Transcripts").run()
    assert "kind" not in at.query_params


def test_import_page_survey_mode_saves_the_chosen_questions(project):
    script = (
        "import streamlit as st\n"
        "from qualcode.services import survey\n"
        "from qualcode.ui.survey_import import _save\n"
        "from qualcode.ui.state import current_context\n"
        "if not st.session_state.get('done'):\n"
        "    st.session_state['done'] = True\n"
        f"    parsed = survey.parse_survey({SMALL.encode()!r}, 'fall.csv', questions=[{CHANGE!r}])\n"
        "    _save(current_context(), parsed, suggest=False, replace=False)\n"
    )
    at = no_exception(run_script(script, project))
    assert at.session_state["srv_result"]["answers"] == 4 and at.session_state["code_view"] == "Survey grid"
    assert svc.list_surveys(project)[0]["questions"] == [CHANGE]
    at = no_exception(page("importing", project))
    kinds = [s for s in at.get("button_group")]
    assert kinds, "the Import page offers transcripts or a survey spreadsheet"


def test_import_page_survey_mode_says_why_nothing_was_imported(project):
    svc.save_survey(project, small_survey())
    script = (
        "from qualcode.services import survey\n"
        "from qualcode.ui.survey_import import _save\n"
        "from qualcode.ui.state import current_context\n"
        f"parsed = survey.parse_survey({SMALL.encode()!r}, 'fall.csv', questions=[{CHANGE!r}])\n"
        "_save(current_context(), parsed, suggest=False, replace=False)\n"
    )
    at = no_exception(run_script(script, project))
    (err,) = [e.value for e in at.error]
    assert "already in the project" in err and "replace" in err and "--" not in err
    assert "srv_result" not in at.session_state


class _Upload:
    def __init__(self, name: str, data: bytes) -> None:
        self.name, self._data = name, data

    def getvalue(self) -> bytes:
        return self._data


def test_a_broken_survey_file_is_named_once(project, monkeypatch):
    """Walk 22: "bad_survey.csv: bad_survey.csv, line 2: broken CSV…" named the file twice."""
    import streamlit as st

    monkeypatch.setattr(st, "file_uploader", lambda *a, **k: _Upload("bad_survey.csv", b'id,Q\n1,"never closed\n2,x\n'))
    script = ("from qualcode.ui.survey_import import render\n"
              "from qualcode.ui.state import current_context\n"
              "render(current_context())\n")
    at = no_exception(run_script(script, project))
    (err,) = [e.value for e in at.error]
    assert err.startswith("bad_survey.csv, line ") and err.count("bad_survey.csv") == 1 and "a quote (\") opens a cell here and is never closed" in err


def test_an_answer_keeps_the_chips_the_coder_saw_while_they_decide_it(project):
    """Walk 28: R19 showed two chips; the refresh after the previous answer's decision had
    re-scored it and dropped the second, so accepting the first took the second away."""
    svc.save_survey(project, small_survey())
    r1 = int(svc.survey_grid(project, "fall").rows.set_index(["respondent", "question"])["excerpt_id"][("r1", USEFUL)])
    with project.session() as s:
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=r1, code_id=c, score=p, model_id="test")
                                            for c, p in (("trust", 0.8), ("evidence", 0.6), ("buy_in", 0.55))])
        sugg = {sg.code_id: sg.id for sg in coding_store.list_suggestions(s)}
    at = no_exception(page("code", project))
    # the background refresh (as after a decision on another answer) keeps trust, drops the others
    with project.session() as s:
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=r1, code_id="trust", score=0.7, model_id="test")],
                                        replace_pending_for=[r1])
        assert {sg.code_id for sg in coding_store.list_suggestions(s)} == {"trust"}
    at.button(key=f"acc-{sugg['trust']}").click().run()
    no_exception(at)
    keys = {b.key for b in at.button}
    assert {f"acc-{sugg['evidence']}-kept", f"acc-{sugg['buy_in']}-kept"} <= keys  # still offered
    at.button(key=f"acc-{sugg['evidence']}-kept").click().run()  # accepting it codes the answer
    at.button(key=f"rej-{sugg['buy_in']}-kept").click().run()  # rejecting it drops it
    no_exception(at)
    assert sorted(svc.survey_grid(project, "fall").rows.set_index("excerpt_id").loc[r1, "codes"]) == ["evidence",
                                                                                                      "trust"]
    assert not any((b.key or "").endswith("-kept") for b in at.button)
    assert any("no longer suggested" in m.value for m in at.info)


def test_nothing_here_on_an_answer_rejects_its_suggestions(project):
    rows, sugg = _seeded(project)
    r1 = int(rows[("r1", USEFUL)])
    at = no_exception(page("code", project))
    at.button(key=f"snone-{r1}").click().run()
    no_exception(at)
    with project.session(readonly=True) as s:
        assert {sg.id: sg.status.value for sg in coding_store.list_suggestions(s)}[sugg[r1]] == "rejected"
    assert svc.survey_grid(project, "fall").rows.set_index("excerpt_id").loc[r1, "status"] == "reviewed"


def test_a_workbook_with_several_sheets_says_so_and_imports_the_sheet_chosen(project, monkeypatch):
    """Walk 35: a two-sheet .xlsx was read from its first sheet only, without a word (half the
    respondents lost). The page names the sheets, and the one chosen is previewed and imported."""
    import io

    import openpyxl
    import streamlit as st

    wb = openpyxl.Workbook()
    first = wb.active
    first.title = "Cohort 2024"
    first.append(["id", "What did your mentor do for you?"])
    for rid, a in (("A1", "She showed me how to read a pay slip."), ("A2", "He called when I was late.")):
        first.append([rid, a])
    second = wb.create_sheet("Cohort 2025")
    second.append(["id", "What did your mentor do for you?"])
    for rid, a in (("B1", "She drove me to the interview."), ("B2", "He explained the break rules."),
                   ("B3", "She helped me open a bank account.")):
        second.append([rid, a])
    buf = io.BytesIO()
    wb.save(buf)
    monkeypatch.setattr(st, "file_uploader", lambda *a, **k: _Upload("mentors.xlsx", buf.getvalue()))
    script = ("from qualcode.ui.survey_import import render\n"
              "from qualcode.ui.state import current_context\n"
              "render(current_context())\n")
    at = no_exception(run_script(script, project))
    (note,) = [i.value for i in at.info if "sheets" in i.value]
    assert "This workbook has 2 sheets (Cohort 2024, Cohort 2025); the preview shows **Cohort 2024**" in note
    assert any(m.value.startswith("**2 respondents, 2 answers**") for m in at.markdown)
    (box,) = [s for s in at.selectbox if s.label == "Sheet"]
    at = no_exception(box.select("Cohort 2025").run())
    assert any(m.value.startswith("**3 respondents, 3 answers**") for m in at.markdown)
    at = no_exception(at.button(key="srv_go").click().run())
    grid = svc.survey_grid(project, "mentors").rows
    assert sorted(grid["respondent"]) == ["B1", "B2", "B3"]


def test_a_way_to_a_survey_answer_opens_it_in_the_survey_grid(project):
    """Walk 35: a new code's "Open survey_youth · R001" (and Look again's "Open …") on the Transcript
    view did nothing: survey respondents are decided in the Survey grid, not in the Transcript
    view. The way there opens the grid at the answer's survey and question, filters cleared, on
    the page that holds it."""
    from qualcode.storage import documents as doc_store
    from tests.conftest import make_document
    from tests.test_survey import CHANGE, answer_id

    with project.session() as s:
        interview = doc_store.add_document(s, make_document("interview"))
        first = doc_store.load_document(s, interview).excerpts[0].id
    svc.save_survey(project, small_survey())
    assert svc.answer_place(project, excerpt_id=first) is None  # a transcript's: the Transcript view
    assert svc.answer_place(project, document_id=interview) is None
    target = answer_id(project, "r4", CHANGE)
    r4_doc = int(svc.survey_grid(project, "fall").rows.set_index("excerpt_id").loc[target, "document_id"])
    assert svc.answer_place(project, excerpt_id=target) == ("fall", CHANGE, target)
    for how in (f"code._show_excerpt({r4_doc}, {target}, current_context())",
                f"code._open_document({r4_doc}, current_context())"):
        script = ("import streamlit as st\n"
                  "from qualcode.ui.pages import code\n"
                  "from qualcode.ui.state import current_context\n"
                  "if not st.session_state.get('moved'):\n"
                  "    st.session_state['moved'] = True\n"
                  f"    {how}\n"
                  "code.render()\n")
        at = no_exception(run_script(script, project, code_view="Transcript", sg_text="nothing", sg_page=3))
        assert at.session_state["code_view"] == "Survey grid", how
        assert (at.session_state["sg_survey"], at.session_state["sg_question"]) == ("fall", CHANGE)
        assert at.session_state["sg_text"] == "" and at.session_state["sg_page"] == 1
        answers = [t.value for t in at.text]
        grid = svc.survey_grid(project, "fall").rows.set_index("excerpt_id")
        assert grid.loc[target, "answer"] in answers, (how, answers)
    assert svc.answer_place(project, excerpt_id=answer_id(project, "r1", USEFUL))[:2] == ("fall", USEFUL)


def test_open_on_the_code_page_shows_each_excerpt_in_its_own_view(project, monkeypatch):
    """Search's, a memo's or Agreement's Open: a transcript's excerpt in the Transcripts view,
    whichever view the Code page last showed (walk 39: Open on a transcript's hit showed the
    Survey grid, where the coder had last been), and a survey answer in the grid at its question."""
    import streamlit as st

    from qualcode.ui import app as ui_app
    from tests.test_survey import answer_id
    from tests.ui_helpers import seed

    doc_id, _ = seed(project)
    svc.save_survey(project, small_survey())
    with project.session(readonly=True) as s:
        from qualcode.storage import documents as doc_store

        transcript_excerpt = doc_store.load_document(s, doc_id).excerpts[1].id
    answer = answer_id(project, "r4", CHANGE)
    went = []
    monkeypatch.setattr(ui_app, "page_for", lambda url: f"page:{url}")
    monkeypatch.setattr(st, "switch_page", went.append)
    for target, doc, was, view in ((transcript_excerpt, doc_id, "Survey grid", "Transcripts"),
                                   (answer, 0, "Transcripts", "Survey grid")):
        script = ("import streamlit as st\n"
                  "from qualcode.ui.pages import code\n"
                  "from qualcode.ui.state import open_on_code_page\n"
                  "if not st.session_state.get('moved'):\n"
                  "    st.session_state['moved'] = True\n"
                  f"    open_on_code_page({doc}, {target})\n"
                  "code.render()\n")
        at = no_exception(run_script(script, project, code_view=was))
        assert at.session_state["code_view"] == view
        if view == "Transcripts":
            assert (at.session_state["code_doc"], at.session_state["code_focus"]) == (doc_id, target)
        else:
            assert (at.session_state["sg_survey"], at.session_state["sg_question"]) == ("fall", CHANGE)
            # its row is marked (walk 40: the grid opened at its question, the row far below)
            assert [m.value for m in at.markdown if "Opened" in m.value]
    assert went == ["page:code", "page:code"]


def test_a_decision_in_the_grid_leaves_the_chips_of_every_answer_shown(project, monkeypatch):
    """Walk 40: adding a code to R09 swapped its "Barriers 31%" chip for "Opening hours 45%" (the
    background refresh re-scored the rows on screen), so a click meant for one chip could land
    on another. In the grid every answer on the page shown keeps its chips."""
    from qualcode.services import suggest as suggest_svc

    rows, _ = _seeded(project)
    asked = []
    monkeypatch.setattr(suggest_svc, "on_decision", lambda ctx, **kw: asked.append(kw))
    at = no_exception(page("code", project))
    shown = [int(k.removeprefix("sadd-")) for k in (s.key for s in at.selectbox) if str(k).startswith("sadd-")]
    r3 = int(rows[("r3", USEFUL)])
    assert r3 in shown and len(shown) >= 3
    at.selectbox(key=f"sadd-{r3}").select("buy_in").run()
    no_exception(at)
    assert asked and sorted(asked[-1]["exclude"]) == sorted(shown)


def test_the_grid_has_an_undo_for_a_chip_accepted_by_mistake(project):
    """Walk 41: a chip accepted by mistake in the grid became "✓ Outcomes 40%" for good: no ×, and
    no Undo on the grid. Undo takes it back, the row shows the chip to decide again."""
    rows, sugg = _seeded(project)
    at = no_exception(page("code", project))
    r1 = int(rows[("r1", USEFUL)])
    at.button(key=f"acc-{sugg[r1]}").click().run()
    assert svc.survey_grid(project, "fall").rows.set_index("excerpt_id").loc[r1, "codes"] == ["trust"]
    assert not [b for b in at.button if b.key == f"acc-{sugg[r1]}"]  # accepted: no Accept left
    at.button(key="sg-undo").click().run()
    no_exception(at)
    assert any(i.value.startswith("Undone: accepting “Trust”") for i in at.info)
    assert svc.survey_grid(project, "fall").rows.set_index("excerpt_id").loc[r1, "codes"] == []
    assert [b for b in at.button if b.key == f"acc-{sugg[r1]}"]  # its chip to decide again

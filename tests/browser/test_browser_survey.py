"""In Chromium: import the sample survey through the Import page (question columns chosen in
the preview), open the survey grid on the Code page, code one answer, see it on Themes.

Set QUALCODE_SCREENSHOTS_DIR to keep a screenshot of each step.
"""

from __future__ import annotations

import re

import pytest

from qualcode import services
from qualcode.services import analysis
from qualcode.services import survey as survey_svc
from tests.browser.conftest import key, wait_idle
from tests.browser.test_browser_e2e import goto, ids_of, shot
from tests.conftest import SAMPLES

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

SURVEY = SAMPLES / "_surveys" / "convening_survey_2018_2021.csv"


def pick(page, widget_key: str, option: str) -> None:
    """Choose ``option`` in the selectbox with key ``widget_key``."""
    page.locator(key(widget_key) + " input").first.click()
    page.get_by_role("option", name=option, exact=True).first.click()
    wait_idle(page)


def test_survey_import_grid_and_themes(tmp_path, start_app, page):
    project = tmp_path / "survey-study"
    services.init_project(project, coder="alice").close()
    app = start_app(project, coder="alice")
    page.goto(app.url)
    wait_idle(page)

    goto(page, "Import")
    page.locator(key("imp_kind") + " button").filter(has_text="Survey spreadsheet").click()
    wait_idle(page)
    page.locator('[class*="st-key-srv_file_"] input[type="file"]').set_input_files(str(SURVEY))
    page.wait_for_selector("text=240 respondents")  # the preview, questions guessed from the columns
    wait_idle(page)
    page.locator(key("srv_suggest") + " label").first.click()  # no model run here: coded by hand below
    wait_idle(page)
    shot(page, "survey-import")
    page.locator(key("srv_go") + " button").first.click()
    page.wait_for_selector('[data-testid="stAlert"] >> text=Imported the survey', timeout=120_000)
    wait_idle(page)
    ctx = services.open_project(project, coder="alice")
    try:
        (s,) = survey_svc.list_surveys(ctx)
        assert s["respondents"] == 240 and len(s["questions"]) == 3
        assert s["attributes"] == ["district", "role", "year", "convening"]
    finally:
        ctx.close()

    goto(page, "Code")
    page.wait_for_selector('[class*="st-key-srow-"]')  # the import switched the Code page to the grid
    rows = ids_of(page, r"srow-(\d+)")
    assert len(rows) == 25  # one page of respondents
    assert page.locator("text=Coyote Flats School District").count() > 0  # attributes are shown
    shot(page, "survey-grid")
    first = rows[0]
    page.locator(key(f"sadd-{first}") + " input").first.click()
    page.get_by_role("option", name="Protected time", exact=True).first.click()
    page.wait_for_selector(key(f"srow-{first}") + ' [class*="st-key-coding-"]')
    wait_idle(page)
    # the question's progress moves with the decision (only the grid's fragment reran)
    page.get_by_text(re.compile(r"^1 of \d+ answers to this question decided by alice")).first.wait_for()
    shot(page, "survey-grid-coded")

    ctx = services.open_project(project, coder="alice")
    try:
        f = analysis.frequencies(ctx, by="question").set_index("code_id")
        assert int(f.loc["protected_time", "excerpts"].sum()) == 1
        rows_now = survey_svc.survey_grid(ctx, s["name"]).rows.set_index("excerpt_id")
        assert rows_now.loc[first, "codes"] == ["protected_time"]
    finally:
        ctx.close()

    goto(page, "Themes")
    page.wait_for_selector('[data-testid="stDataFrame"]')
    assert page.locator("text=Nothing is coded yet").count() == 0
    assert page.locator(key("th_source")).count() == 0  # one kind of source: nothing to choose
    shot(page, "survey-themes")

    # An interview joins the survey: Themes says it counts both together and lets the coder
    # count one kind only (a respondent is one document, like a transcript).
    from tests.ui_helpers import seed

    ctx = services.open_project(project, coder="alice")
    try:
        seed(ctx, name="rivera-2018", codes=(), turns=[("Maria Rivera", "participant", "We trust our data now.")])
    finally:
        ctx.close()
    page.reload()
    wait_idle(page)
    page.get_by_text("1 transcript and 240 survey respondents together").first.wait_for()
    page.locator(key("th_source")).first.click()
    page.get_by_role("option").filter(has_text="Transcripts only").first.click()
    wait_idle(page)
    page.get_by_text("Nothing is coded yet").first.wait_for()  # the interview carries no code
    page.locator(key("th_source")).first.click()
    page.get_by_role("option").filter(has_text="Survey answers only").first.click()
    wait_idle(page)
    page.wait_for_selector('[data-testid="stDataFrame"]')
    assert "source=surveys" in page.url
    shot(page, "survey-themes-surveys-only")


def test_a_new_codes_way_to_a_survey_answer_opens_the_survey_grid(tmp_path, start_app, page):
    """Walk 35: on the Transcript view, a new code's line named the survey answer it was suggested on
    ("Open fall · r4"), and the button did nothing (respondents are decided in the Survey grid).
    It opens the grid at that answer's question, where its chip is."""
    from qualcode.core import Suggestion
    from qualcode.services import codebook as cb_service
    from qualcode.storage import coding as coding_store
    from qualcode.storage import documents as doc_store
    from tests.conftest import make_document
    from tests.test_survey import CHANGE, USEFUL, answer_id, small_survey

    project = tmp_path / "mixed"
    ctx = services.init_project(project, coder="alice")
    try:
        with ctx.session() as s:  # the interview has its (cold) suggestions, as after an import
            doc = doc_store.add_document(s, make_document("interview"))
            coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=e.id, code_id="trust", score=0.7,
                                                           model_id="m:384/cold")
                                                for e in doc_store.load_document(s, doc).excerpts if e.codable])
        survey_svc.save_survey(ctx, small_survey())
        target = answer_id(ctx, "r4", CHANGE)
    finally:
        ctx.close()
    app = start_app(project, coder="alice")
    page.goto(app.url + "/code?coder=alice")
    wait_idle(page)
    page.locator(".qc-run").first.wait_for(timeout=60_000)  # the interview, in the Transcript view
    ctx = services.open_project(project, coder="alice")
    try:  # meanwhile, on the Codebook page: a new code, its one suggestion on a survey answer
        new = cb_service.add_code(ctx, {"name": "Money management", "definition": "Budgeting and saving pay."})
        with ctx.session() as s:
            coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=target, code_id=new.id, score=0.8,
                                                           model_id="m")])
    finally:
        ctx.close()
    button = page.locator(key(f"code-new-open-{new.id}") + " button").first
    button.wait_for(timeout=60_000)  # the ticking line finds it
    assert button.inner_text().strip().endswith("Open fall · r4")
    button.click()
    page.locator(key(f"srow-{target}")).first.wait_for(timeout=60_000)
    wait_idle(page)
    assert page.locator(key("sg_question") + " input").first.input_value() == CHANGE
    assert page.locator(key(f"srow-{answer_id_of(project, 'r1', USEFUL)}")).count() == 0
    shot(page, "survey-grid-from-new-code")
    page.reload()  # the address holds the grid's place: the same question after a reload (walk 41)
    page.locator(key(f"srow-{target}")).first.wait_for(timeout=60_000)
    wait_idle(page)
    assert page.locator(key("sg_question") + " input").first.input_value() == CHANGE


def answer_id_of(project, respondent: str, question: str) -> int:
    from tests.test_survey import answer_id

    ctx = services.open_project(project, coder="alice")
    try:
        return answer_id(ctx, respondent, question)
    finally:
        ctx.close()

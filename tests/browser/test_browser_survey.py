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
    page.wait_for_selector('[data-testid="stAlert"] >> text=Imported survey', timeout=120_000)
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

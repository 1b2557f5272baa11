"""The Project page's own address, typed by hand: /project opens the Project page (it is the
default page, at "/"), not Streamlit's "Page not found" dialog."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from qualcode import services
from tests.browser.conftest import wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(180)]


def test_the_project_address_opens_the_project_page(tmp_path, start_app, page):
    project = tmp_path / "study"
    services.init_project(project, coder="alice").close()
    app = start_app(project, coder="alice")
    page.goto(app.url + "/project?coder=bob")
    wait_idle(page)
    page.wait_for_selector('h1:has-text("Project")')
    page.wait_for_function("() => !location.pathname.endsWith('/project')")  # it leads to "/"
    wait_idle(page)
    assert page.get_by_text("Page not found").count() == 0
    assert urlparse(page.url).path in ("", "/")
    assert "coder=bob" in page.url  # the address keeps its coder
    # the top navigation's Project link still works from there
    page.locator('[data-testid="stTopNavLink"]').filter(has_text="Project").first.click()
    wait_idle(page)
    page.wait_for_selector('h1:has-text("Project")')
    assert page.get_by_text("Page not found").count() == 0


def test_app_started_on_a_new_folder_says_press_create_and_creates_it(tmp_path, start_app, page):
    """Walk 16: started on a folder meant for a new project, the Project page showed a red "no
    qualcode project in ..." with the form to create it folded away."""
    folder = tmp_path / "mentoring study"
    app = start_app(folder, coder="alice", direct=True)
    page.goto(app.url)
    wait_idle(page)
    page.wait_for_selector('h1:has-text("Project")')
    page.get_by_text("There is no qualcode project in").wait_for()
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    page.get_by_label("Name (for a new project)").fill("Mentoring")  # the form is open
    page.get_by_label("Name (for a new project)").press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Create").click()
    wait_idle(page)
    page.locator('h3:has-text("Mentoring")').wait_for()
    assert (folder / "project.db").exists()
    assert page.get_by_text("There is no qualcode project in").count() == 0
    page.screenshot(path=str(tmp_path / "created.png"))

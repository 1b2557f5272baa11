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

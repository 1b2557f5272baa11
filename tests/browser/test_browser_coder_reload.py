"""Walk 33, in Chromium: a tab coding as the default name (nobody chosen, nobody set when the
app was started) had no ?coder= in its address. Bob coded in another tab; a reload of the first
tab said "Coding as bob — the last to code in this project", and its next decisions would have
been recorded as bob's. The default name is in the address from the first page, so a reload
keeps it; a new tab on the bare address still codes as the last to decide, and says so."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from qualcode import services
from qualcode.services import codebook, coding
from tests.browser.conftest import wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

SIDEBAR = '[data-testid="stSidebar"]'


def sidebar(page) -> str:
    page.wait_for_function(f"() => (document.querySelector('{SIDEBAR}')?.innerText || '').includes('Coding as')")
    return page.locator(SIDEBAR).inner_text()


def test_a_reload_keeps_a_tab_coding_as_the_default_name(tmp_path, start_app, page):
    project = tmp_path / "pantry-study"
    services.init_project(project, coder="coder").close()
    app = start_app(project, coder="", direct=True)  # nobody chosen when the app was started
    page.goto(app.url)
    wait_idle(page)
    page.wait_for_function("() => location.search.includes('coder=')")
    (name,) = parse_qs(urlparse(page.url).query)["coder"]
    assert f"Coding as {name}" in sidebar(page) and "last to code" not in sidebar(page)

    ctx = services.open_project(project, coder="bob")  # bob codes in another tab
    try:
        coding.add_memo(ctx, "Volunteers mention the Tuesday queue.", code_id=codebook.get_codebook(ctx).codes[0].id)
    finally:
        ctx.close()

    page.reload()
    wait_idle(page)
    text = sidebar(page)
    assert f"Coding as {name}" in text and "Coding as bob" not in text, text
    assert parse_qs(urlparse(page.url).query)["coder"] == [name]

    page.goto(app.url)  # a new tab on the bare address: the last to decide, said so
    wait_idle(page)
    text = sidebar(page)
    assert "Coding as bob" in text and "the last to code in this project" in text, text

"""The browser tests' wait for a settled page (conftest.wait_idle), on a stand-in page.

Three CI failures came from acting on a page whose script had finished while Streamlit still
showed skeletons for widgets whose code was loading: a shortcut key reached no button, a click
hit a skeleton, a row clicked by position was the row above. wait_idle must hold until the run
has begun and ended and no skeleton is left."""

from __future__ import annotations

import time

import pytest

from tests.browser.conftest import wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGE = """<div data-testid="stApp" data-test-script-state="{state}"><p>A page</p>
<div id="w" data-testid="stSkeleton"></div></div>
<script>
setTimeout(() => document.querySelector('[data-testid="stApp"]').setAttribute('data-test-script-state', 'notRunning'), {run_ms});
setTimeout(() => { document.getElementById('w').remove(); window.drawnAt = performance.now(); }, {draw_ms});
</script>"""


@pytest.mark.parametrize("state", ["initial", "rerunRequested", "running"])
def test_waits_for_the_run_and_then_for_the_skeletons(page, state):
    page.set_content(PAGE.replace("{state}", state).replace("{run_ms}", "400").replace("{draw_ms}", "1200"))
    wait_idle(page)
    # not before the skeleton went (1.2 s after the page, by the page's own clock: a wall-clock
    # measure from the test's side failed on a loaded machine, where set_content itself took long)
    assert page.evaluate("window.drawnAt") is not None
    assert page.locator('[data-testid="stSkeleton"]').count() == 0
    assert page.get_attribute('[data-testid="stApp"]', "data-test-script-state") == "notRunning"


def test_a_settled_page_is_idle_at_once(page):
    page.set_content('<div data-testid="stApp" data-test-script-state="notRunning"><p>done</p></div>')
    t0 = time.monotonic()
    wait_idle(page)
    assert time.monotonic() - t0 < 5

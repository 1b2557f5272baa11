"""Password sign-in on a shared server, in Chromium: signing in lands on the page asked for,
a reload or a new tab stays signed in (a signed cookie, not the address), signing out ends it.

A new user's walk: every reload showed the sign-in form again, and signing in from a bookmark
of the Code page landed on the Project page. The app is started from a folder that is not the
repository, holding a decoy ``qualcode/`` folder, as a user starting it beside their clone does
(there, ``python -m`` imported that folder as the package, and the repository's
``.streamlit/config.toml`` is not read)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _titles(page) -> list[str]:
    return page.locator("h1").all_inner_texts()


def _project(tmp_path):
    from qualcode import services
    from qualcode.services import ingest

    path = tmp_path / "team"
    ctx = services.init_project(path, coder="lead")
    try:
        ingest.ingest_paths(ctx, sorted(services.SAMPLE_DIR.glob("*.srt"))[:1])
    finally:
        ctx.close()
    return path


def test_sign_in_lands_on_the_page_asked_for_and_survives_a_reload(tmp_path, browser, start_app):
    path = _project(tmp_path)
    start = tmp_path / "start"
    (start / ".streamlit").mkdir(parents=True)
    (start / "qualcode" / "data").mkdir(parents=True)  # a clone's folder beside the user
    (start / ".streamlit" / "secrets.toml").write_text('[passwords]\nana = "s3cret"\n')
    app = start_app(path, cwd=start)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{app.url}/themes")
    wait_idle(page)
    page.wait_for_selector("text=Sign in to qualcode")
    page.get_by_label("Your name").fill("ana")
    page.get_by_role("textbox", name="Password").fill("s3cret")
    page.get_by_role("button", name="Sign in").click()
    wait_idle(page)
    page.wait_for_selector("h1:has-text('Themes')")  # the page asked for, not the Project page
    assert "/themes" in page.url and "Coding as" in page.locator("[data-testid=stSidebar]").inner_text()
    assert "ana" in page.locator("[data-testid=stSidebar]").inner_text()
    assert not page.locator("text=Deploy").count()  # the app's settings came with it
    # the page writes the cookie from a component once it has loaded: wait for it (a loaded CI
    # machine read the cookies before it had), as the sign-out below waits for it to go
    page.wait_for_function("() => document.cookie.includes('qualcode_signin')", timeout=30_000)
    cookie = [c for c in context.cookies() if c["name"] == "qualcode_signin"]
    assert cookie and "ana" not in page.url  # remembered by the browser, not in the address
    page.reload()
    wait_idle(page)
    page.wait_for_selector("h1:has-text('Themes')")
    assert "Sign in to qualcode" not in _titles(page)
    other = context.new_page()  # a new tab of the same browser
    other.goto(f"{app.url}/codebook")
    wait_idle(other)
    other.wait_for_selector("h1:has-text('Codebook')")
    other.close()
    stranger = browser.new_context().new_page()  # another browser: its own sign-in
    stranger.goto(f"{app.url}/themes")
    wait_idle(stranger)
    stranger.wait_for_selector("text=Sign in to qualcode")
    stranger.context.close()
    page.get_by_role("button", name="Sign out").click()
    wait_idle(page)
    page.wait_for_selector("text=Sign in to qualcode")
    page.wait_for_function("() => !document.cookie.includes('qualcode_signin')")
    page.reload()
    wait_idle(page)
    page.wait_for_selector("text=Sign in to qualcode")
    context.close()

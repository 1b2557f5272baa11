"""Sign-in on a shared server: with [passwords] in secrets the coder is the signed-in user."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from qualcode.services.throttle import SIGN_IN

from tests.ui_helpers import APP_PY


@pytest.fixture(autouse=True)
def _fresh_throttle():
    """The sign-in throttle is process-wide: each test starts (and leaves) it clean."""
    SIGN_IN.reset()
    yield
    SIGN_IN.reset()


def _app(project, monkeypatch, **secrets) -> AppTest:
    monkeypatch.setenv("QUALCODE_PROJECT", str(project.project_dir))
    at = AppTest.from_file(str(APP_PY), default_timeout=60)
    for key, value in secrets.items():
        at.secrets[key] = value
    return at.run()


def test_without_secrets_no_sign_in(project, monkeypatch):
    at = _app(project, monkeypatch)
    assert not at.exception
    assert "Sign in to qualcode" not in [t.value for t in at.title]


def test_password_sign_in_sets_the_coder(project, monkeypatch):
    at = _app(project, monkeypatch, passwords={"ana": "s3cret"})
    assert "Sign in to qualcode" in [t.value for t in at.title]
    at.text_input[0].input("ana")
    at.text_input[1].input("wrong")
    at.button[0].click().run()
    assert any("do not match" in e.value for e in at.error)
    assert "signed_in" not in at.session_state  # still on the sign-in form
    assert "Sign in to qualcode" in [t.value for t in at.title]
    at.text_input[0].input("ana")
    at.text_input[1].input("s3cret")
    at.button[0].click().run()
    assert at.session_state["coder"] == "ana" and at.session_state["signed_in"]
    assert not at.exception
    # The coder chooser is gone: the coder is fixed for the session.
    assert not [s for s in at.selectbox if s.label == "Coder"]
    # ... and independent coding is still switched here, as the README says (walk 36: it was not)
    assert [t for t in at.toggle if t.key == "proj_independent"]


def test_repeated_failures_are_slowed_down_and_said(project, monkeypatch):
    at = _app(project, monkeypatch, passwords={"ana": "s3cret"})
    for _ in range(SIGN_IN.free):
        at.text_input[0].input("ana")
        at.text_input[1].input("guess")
        at.button[0].click().run()
        assert any("do not match" in e.value for e in at.error)
    at.text_input[0].input("ana")
    at.text_input[1].input("guess again")
    at.button[0].click().run()
    assert any("Too many attempts: wait" in e.value for e in at.error), [e.value for e in at.error]
    # While the wait lasts, even the right password is not checked.
    at.text_input[0].input("ana")
    at.text_input[1].input("s3cret")
    at.button[0].click().run()
    assert "signed_in" not in at.session_state
    assert any("Too many attempts: wait" in e.value for e in at.error)
    assert not at.exception

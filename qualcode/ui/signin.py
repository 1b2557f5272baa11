"""Sign-in for a shared server: the coder is the signed-in user, not a free choice.

Configured through Streamlit secrets (``.streamlit/secrets.toml``), see docs/teams.md:
``[auth]`` for OIDC (Streamlit's ``st.login``), or ``[passwords]`` (name = password) for a
simple shared-secret sign-in. Without either, the app behaves as on a laptop and the coder
is picked on the Project page.
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from qualcode.services import team
from qualcode.services.throttle import SIGN_IN


def _client() -> str | None:
    """The browser's address as the server sees it (None when unknown, e.g. in tests)."""
    try:
        return st.context.ip_address
    except Exception:  # noqa: BLE001 - older Streamlit or no request context
        return None


def _secrets() -> dict[str, Any]:
    try:
        return st.secrets.to_dict()
    except Exception:  # noqa: BLE001 - no secrets file: no sign-in configured
        return {}


def mode() -> str | None:
    """'oidc', 'password' or None (no sign-in configured)."""
    secrets = _secrets()
    if "auth" in secrets:
        return "oidc"
    if "passwords" in secrets:
        return "password"
    return None


def _password_sign_in(passwords: dict[str, str], aliases: dict[str, str]) -> None:
    st.title("Sign in to qualcode")
    with st.form("signin"):
        name = st.text_input("Your name")
        pw = st.text_input("Password", type="password")
        ok = st.form_submit_button("Sign in")
    if ok:
        user, client = name.strip(), _client()
        # Repeated failures (for this name or from this address) must wait before the next
        # password is even checked, so guessing costs time whichever session it comes from.
        wait = SIGN_IN.wait_s(user=user, client=client)
        if wait > 0:
            st.error(f"Too many attempts: wait {math.ceil(wait)} s, then try again.")
            st.stop()
        if team.check_password(pw, passwords.get(user)):
            SIGN_IN.succeeded(user=user)
            st.session_state["coder"] = team.coder_from_login(user, aliases=aliases)
            st.session_state["signed_in"] = True
            st.rerun()
        SIGN_IN.failed(user=user, client=client)
        wait = SIGN_IN.wait_s(user=user, client=client)
        later = f" Too many attempts: wait {math.ceil(wait)} s before the next one." if wait > 0 else ""
        st.error("That name and password do not match. Ask the project lead for your password." + later)
    st.stop()


def require_sign_in() -> None:
    """Stop the page until the user is signed in, when sign-in is configured."""
    how = mode()
    if how is None:
        return
    secrets = _secrets()
    aliases = secrets.get("coders", {}) or {}
    if how == "oidc":
        if not st.user.is_logged_in:
            st.title("Sign in to qualcode")
            st.button("Sign in", on_click=st.login, type="primary")
            st.stop()
        st.session_state["coder"] = team.coder_from_login(st.user.to_dict(), aliases=aliases)
        st.session_state["signed_in"] = True
        st.sidebar.button("Sign out", on_click=st.logout)
    elif not st.session_state.get("signed_in"):
        _password_sign_in(secrets.get("passwords", {}) or {}, aliases)


def signed_in() -> bool:
    """True when the coder comes from sign-in (the coder chooser is hidden then)."""
    return bool(st.session_state.get("signed_in"))

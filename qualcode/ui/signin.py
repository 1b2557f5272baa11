"""Sign-in for a shared server: the coder is the signed-in user, not a free choice.

Configured through Streamlit secrets (``.streamlit/secrets.toml``), see docs/teams.md:
``[auth]`` for OIDC (Streamlit's ``st.login``), or ``[passwords]`` (name = password) for a
simple shared-secret sign-in. Without either, the app behaves as on a laptop and the coder
is picked on the Project page.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from qualcode.services import team


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
        if team.check_password(pw, passwords.get(name.strip())):
            st.session_state["coder"] = team.coder_from_login(name.strip(), aliases=aliases)
            st.session_state["signed_in"] = True
            st.rerun()
        st.error("That name and password do not match. Ask the project lead for your password.")
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

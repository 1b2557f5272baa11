"""Sign-in for a shared server: the coder is the signed-in user, not a free choice.

Configured through Streamlit secrets (``.streamlit/secrets.toml``), see docs/teams.md:
``[auth]`` for OIDC (Streamlit's ``st.login``), or ``[passwords]`` (name = password) for a
simple shared-secret sign-in. Without either, the app behaves as on a laptop and the coder
is picked on the Project page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets as _random
import time
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


# A password sign-in is remembered in the browser for a working day (a cookie holding the
# name, the expiry and a signature with a key that lives as long as the server process), so
# a reload or a bookmark does not ask again. A new user's walk: every reload showed the form.
# Not in the address: a link copied to a colleague must not carry the sender's identity.
COOKIE = "qualcode_signin"
REMEMBER_S = 12 * 3600
_KEY = _random.token_bytes(32)  # a restart of the server signs everyone out


def _signature(msg: str) -> str:
    return hmac.new(_KEY, msg.encode("utf-8"), hashlib.sha256).hexdigest()


def make_token(user: str, *, now: float | None = None) -> str:
    """A signed, expiring token naming ``user`` (what the sign-in cookie holds)."""
    msg = f"{user}|{int((time.time() if now is None else now) + REMEMBER_S)}"
    return base64.urlsafe_b64encode(f"{msg}|{_signature(msg)}".encode("utf-8")).decode("ascii")


def user_from_token(token: str | None, passwords: dict[str, str], *, now: float | None = None) -> str | None:
    """The user a token names, if its signature is this server's, it has not expired and the
    user still has a password; else None."""
    if not isinstance(token, str) or not token:
        return None
    try:
        user, expires, sig = base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8").rsplit("|", 2)
        expires_at = int(expires)
    except (ValueError, UnicodeError):
        return None
    if not hmac.compare_digest(sig, _signature(f"{user}|{expires}")):
        return None
    if expires_at < (time.time() if now is None else now) or user not in passwords:
        return None
    return user


def _cookie() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - no request context (tests)
        return None
    return value if isinstance(value, str) else None


def _set_cookie(value: str, max_age: int) -> None:
    """Write (or, max_age 0, delete) the sign-in cookie from the page (Streamlit has no API for it)."""
    import streamlit.components.v1 as components

    components.html(f"<script>document.cookie = '{COOKIE}={value}; path=/; max-age={max_age}; "
                    "SameSite=Strict';</script>", height=0)


def _sign_in_as(user: str, aliases: dict[str, str]) -> None:
    st.session_state["coder"] = team.coder_from_login(user, aliases=aliases)
    st.session_state["signed_in"] = True


def _sign_out() -> None:
    for k in ("signed_in", "coder"):
        st.session_state.pop(k, None)
    st.session_state["_signin_forget"] = True


def password_form() -> None:
    """The sign-in form (password mode); stops the page. On success the same page reruns."""
    secrets = _secrets()
    passwords, aliases = secrets.get("passwords", {}) or {}, secrets.get("coders", {}) or {}
    if st.session_state.pop("_signin_forget", False):
        _set_cookie("", 0)
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
            _sign_in_as(user, aliases)
            st.session_state["_signin_remember"] = make_token(user)
            st.rerun()
        SIGN_IN.failed(user=user, client=client)
        wait = SIGN_IN.wait_s(user=user, client=client)
        later = f" Too many attempts: wait {math.ceil(wait)} s before the next one." if wait > 0 else ""
        st.error("That name and password do not match. Ask the project lead for your password." + later)
    st.stop()


def require_sign_in() -> bool:
    """True when the page may show: no sign-in configured, or the user is signed in. With
    OIDC the page stops here until then; with passwords the caller shows ``password_form``
    (after the navigation, so that signing in lands on the page that was asked for)."""
    how = mode()
    if how is None:
        return True
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
        return True
    if not st.session_state.get("signed_in"):
        user = None if st.session_state.get("_signin_forget") else user_from_token(
            _cookie(), secrets.get("passwords", {}) or {})
        if user is None:
            return False
        _sign_in_as(user, aliases)  # remembered by this browser
    token = st.session_state.pop("_signin_remember", None)
    if token:
        _set_cookie(token, REMEMBER_S)
    st.sidebar.button("Sign out", on_click=_sign_out, key="signout")
    return True


def signed_in() -> bool:
    """True when the coder comes from sign-in (the coder chooser is hidden then)."""
    return bool(st.session_state.get("signed_in"))

"""Session state helpers: ids in st.session_state, the project behind st.cache_resource."""

from __future__ import annotations

import os

import streamlit as st

from qualcode import services
from qualcode.errors import QualcodeError


@st.cache_resource(show_spinner=False)
def _open(project: str | None, db_url: str | None) -> services.ProjectContext:
    return services.open_project(project, db_url=db_url)


def project_ref() -> tuple[str | None, str | None]:
    project = st.session_state.get("project") or os.environ.get("QUALCODE_PROJECT")
    db_url = st.session_state.get("db_url") or os.environ.get("QUALCODE_DATABASE_URL")
    return project, db_url


def current_context() -> services.ProjectContext | None:
    """The open project for this browser session, seen as the chosen coder, or None."""
    project, db_url = project_ref()
    if not project and not db_url:
        return None
    try:
        ctx = _open(project, db_url)
    except QualcodeError as exc:
        st.error(str(exc))
        return None
    coder = st.session_state.get("coder") or os.environ.get("QUALCODE_CODER") or ctx.coder
    return ctx.as_coder(coder) if coder != ctx.coder else ctx

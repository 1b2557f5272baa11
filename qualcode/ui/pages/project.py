"""Project page: which project is open, who is coding, what it holds."""

from __future__ import annotations

import streamlit as st

from qualcode import services
from qualcode.ui.state import current_context


def render() -> None:
    st.title("Project")
    ctx = current_context()
    if ctx is None:
        st.info("No project is open. Start qualcode with `qualcode --project DIR app`, "
                "or create one with `qualcode init DIR`.")
        return
    st.subheader(services.project_name(ctx))
    st.caption(ctx.label)
    counts = services.project_status(ctx)
    cols = st.columns(5)
    cols[0].metric("Documents", counts["documents"])
    cols[1].metric("Excerpts", counts["excerpts"])
    cols[2].metric("Codes", counts["codes"])
    cols[3].metric("Codings", counts["codings"])
    cols[4].metric("Pending suggestions", counts["suggestions"]["pending"])
    if not counts["documents"]:
        st.info("This project has no transcripts yet. Import some on the Import page, "
                "or with `qualcode ingest FILES`.")

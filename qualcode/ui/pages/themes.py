"""Themes page: how often each code occurs, by year / district / role / format,
comparisons between groups, co-occurrence; click any row to read its quotes."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from qualcode.services import analysis
from qualcode.services.project import ProjectContext
from qualcode.ui.state import attempt, page_context

VIEWS = ["Frequencies", "Compare groups", "Co-occurrence", "Case matrix"]
INCLUDE = {"accepted": "Decided codings", "pending": "Codings + pending suggestions"}
FREQ_COLS = ["code", "excerpts", "documents", "pct_documents", "participants", "per_1000_words"]
FREQ_CONFIG = {
    "code": st.column_config.TextColumn("Code"),
    "excerpts": st.column_config.NumberColumn("Excerpts"),
    "documents": st.column_config.NumberColumn("Documents"),
    "pct_documents": st.column_config.NumberColumn("% of documents", format="%.0f%%"),
    "participants": st.column_config.NumberColumn("Participants"),
    "per_1000_words": st.column_config.NumberColumn("Per 1,000 participant words", format="%.2f"),
}
QUOTE_COLS = ["document", "speaker", "role", "code", "quote", "coders", "origin", "memo"]


def _selected_row(event: Any) -> int | None:
    try:
        rows = event.selection.rows
    except AttributeError:
        return None
    return rows[0] if rows else None


def _quotes(ctx: ProjectContext, analysis, *, code_id: str, where: dict[str, str], include: str,
            also: str | None = None) -> None:
    df = attempt(analysis.retrieve, ctx, code_id=code_id, where=where, include=include)
    if df is None:
        return
    if also:
        other = attempt(analysis.retrieve, ctx, code_id=also, where=where, include=include)
        if other is not None:
            df = df[df["excerpt_id"].isin(set(other["excerpt_id"]))]
    what = code_id + (f" + {also}" if also else "") + "".join(f", {k}={v}" for k, v in where.items())
    st.subheader(f"Quotes: {what}")
    if df.empty:
        st.caption("No quotes behind this number.")
        return
    cols = [c for c in QUOTE_COLS if c in df.columns]
    st.dataframe(df[cols], hide_index=True, width="stretch",
                 column_config={"quote": st.column_config.TextColumn("Quote", width="large")})


def render() -> None:
    ctx = page_context("Themes")
    if ctx is None:
        return
    attrs = attempt(analysis.attribute_names, ctx) or {"document": [], "speaker": ["role"]}
    groups = [*attrs.get("document", []), *[a for a in attrs.get("speaker", []) if a not in attrs.get("document", [])]]
    cols = st.columns([3, 2, 2])
    view = cols[0].segmented_control("View", VIEWS, default=VIEWS[0], key="th_view") or VIEWS[0]
    by = cols[1].selectbox("Group by", [None, *groups], key="th_by",
                           format_func=lambda g: "(no grouping)" if g is None else g)
    include = cols[2].selectbox("Count", list(INCLUDE), format_func=INCLUDE.get, key="th_include")
    if view == "Frequencies":
        df = attempt(analysis.frequencies, ctx, by=by, include=include)
        if df is None:
            return
        if df.empty or not df["excerpts"].sum():
            st.info("Nothing is coded yet. Accept suggestions or code by hand on the **Code** page; "
                    "the numbers appear here.")
            return
        chart = attempt(analysis.chart_bars, ctx, measure="documents", by=by, include=include)
        if chart is not None:
            st.altair_chart(chart, width="stretch")
        shown = df[df["excerpts"] > 0].reset_index(drop=True)
        st.caption("Click a row to read its quotes.")
        cols = [c for c in ([by] if by else []) + FREQ_COLS if c in shown.columns]
        event = st.dataframe(shown[cols], hide_index=True, width="stretch", on_select="rerun",
                             selection_mode="single-row", key="th_freq", column_config=FREQ_CONFIG)
        row = _selected_row(event)
        if row is not None:
            r = shown.iloc[row]
            _quotes(ctx, analysis, code_id=r["code_id"], where={by: str(r[by])} if by else {}, include=include)
    elif view == "Compare groups":
        if not by:
            st.info("Pick an attribute to compare in **Group by** (year, district, role, format…).")
            return
        df = attempt(analysis.compare, ctx, by=by, include=include)
        if df is None:
            return
        st.caption("Chi-square or Fisher test per code; p adjusted (Benjamini-Hochberg). Click a row for quotes.")
        event = st.dataframe(df, hide_index=True, width="stretch", on_select="rerun",
                             selection_mode="single-row", key="th_compare")
        row = _selected_row(event)
        if row is not None:
            _quotes(ctx, analysis, code_id=df.iloc[row]["code_id"], where={}, include=include)
    elif view == "Co-occurrence":
        level = st.radio("Together in the same", ["excerpt", "document"], horizontal=True, key="th_level")
        df = attempt(analysis.cooccurrence, ctx, level=level, include=include)
        if df is None:
            return
        if df.empty:
            st.info("No two codes occur together yet.")
            return
        chart = attempt(analysis.chart_heatmap, ctx, level=level, include=include)
        if chart is not None:
            st.altair_chart(chart, width="stretch")
        event = st.dataframe(df, hide_index=True, width="stretch", on_select="rerun",
                             selection_mode="single-row", key="th_cooc")
        row = _selected_row(event)
        if row is not None:
            r = df.iloc[row]
            _quotes(ctx, analysis, code_id=r["code_a"], also=r["code_b"], where={}, include=include)
    else:
        df = attempt(analysis.matrix, ctx, include=include)
        if isinstance(df, pd.DataFrame):
            st.caption("One row per document: 1 where a code occurs.")
            st.dataframe(df, width="stretch")

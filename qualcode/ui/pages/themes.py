"""Themes page: how often each code occurs, by year / district / role / format,
comparisons between groups, co-occurrence; click any row to read its quotes.

Every drill-down goes through ``services.analysis.quotes`` with the same filters as the
number clicked, so the quotes shown are exactly the units counted (one row per excerpt).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from qualcode.services import analysis as analysis_svc
from qualcode.services.project import ProjectContext
from qualcode.ui.quotes import show_quotes
from qualcode.ui.state import attempt, page_context
from qualcode.ui.text import excerpts

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
COOC_CONFIG = {
    "name_a": st.column_config.TextColumn("Code"), "name_b": st.column_config.TextColumn("Together with"),
    "count": st.column_config.NumberColumn("Together"), "n_a": st.column_config.NumberColumn("First code alone"),
    "n_b": st.column_config.NumberColumn("Second code alone"),
    "jaccard": st.column_config.NumberColumn("Overlap (Jaccard)", format="%.2f"),
}


def _selected_row(event: Any) -> int | None:
    try:
        rows = event.selection.rows
    except AttributeError:
        return None
    return rows[0] if rows else None


def _quotes(ctx: ProjectContext, analysis=analysis_svc, *, code_id: str, where: dict[str, str], include: str,
            also: str | None = None, level: str = "excerpt", rollup: bool = True,
            title: str | None = None) -> pd.DataFrame | None:
    """Show the quotes behind one number (one row per excerpt) and return them."""
    return show_quotes(ctx, code_id=code_id, where=where, include=include, also=also, level=level, rollup=rollup,
                       title=title, key="th_quotes")


def _frequencies(ctx: ProjectContext, *, by: str | None, include: str) -> None:
    df = attempt(analysis_svc.frequencies, ctx, by=by, include=include)
    if df is None:
        return
    if df.empty or not df["excerpts"].sum():
        st.info("Nothing is coded yet. Accept suggestions or code by hand on the **Code** page; "
                "the numbers appear here.")
        return
    chart = attempt(analysis_svc.chart_bars, ctx, measure="documents", by=by, include=include)
    if chart is not None:
        st.altair_chart(chart, width="stretch")
    shown = df[df["excerpts"] > 0].reset_index(drop=True)
    st.caption("Click a row to read its quotes.")
    cols = [c for c in ([by] if by else []) + FREQ_COLS if c in shown.columns]
    event = st.dataframe(shown[cols], hide_index=True, width="stretch", on_select="rerun",
                         selection_mode="single-row", key="th_freq", column_config=FREQ_CONFIG)
    labels = [(f"{by} {r[by]} · " if by else "") + f"{r['code']} · {excerpts(int(r['excerpts']))}"
              for r in shown.to_dict("records")]
    picked = st.selectbox("Or pick a row", range(len(shown)), index=None, key="th_freq_pick",
                          format_func=lambda i: labels[i], placeholder="Read the quotes of…")
    row = _selected_row(event)
    row = row if row is not None else picked
    if row is not None:
        r = shown.iloc[row]
        where = {by: str(r[by])} if by else {}
        title = f"{r['code']}" + (f" · {by} {r[by]}" if by else "") + f" · {excerpts(int(r['excerpts']))}"
        _quotes(ctx, code_id=r["code_id"], where=where, include=include, title=title)


def _compare(ctx: ProjectContext, *, by: str | None, include: str) -> None:
    if not by:
        st.info("Pick an attribute to compare in **Group by** (year, district, role, format…).")
        return
    df = attempt(analysis_svc.compare, ctx, by=by, include=include)
    if df is None:
        return
    unit = str(df["unit"].iloc[0]) if len(df) else "document"
    st.caption(f"For each code: in how many {unit}s of each {by} it occurs, and whether the difference "
               "is larger than chance (Fisher's exact test for two small groups, chi-square otherwise; "
               "p adjusted for testing many codes). Click a row, then pick a group, for its quotes.")
    shown = analysis_svc.readable_comparison(df, by=by)
    event = st.dataframe(shown, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                         key="th_compare", column_config={
                             "Adjusted p": st.column_config.NumberColumn(format="%.3f"),
                             "Effect size (Cramér's V)": st.column_config.NumberColumn(format="%.2f"),
                             "Finding": st.column_config.TextColumn(width="large")})
    row = _selected_row(event)
    if row is None:
        return
    r = df.iloc[row]
    values = [c[:-2] for c in df.columns if c.endswith(" n") and f"{c[:-2]} N" in df.columns]
    value = st.selectbox(f"Quotes from {by}", values, key="th_compare_group")
    if value is not None:
        _quotes(ctx, code_id=r["code_id"], where={by: value}, include=include,
                title=f"{r['code']} · {by} {value} · {int(r[f'{value} n'])} {unit}s")


def _cooccurrence(ctx: ProjectContext, *, include: str) -> None:
    level = st.radio("Together in the same", ["excerpt", "document"], horizontal=True, key="th_level")
    df = attempt(analysis_svc.cooccurrence, ctx, level=level, include=include, only_pairs=True)
    if df is None:
        return
    if df.empty:
        st.info("No two codes occur together yet.")
        return
    chart = attempt(analysis_svc.chart_heatmap, ctx, level=level, include=include)
    if chart is not None:
        st.altair_chart(chart, width="stretch")
    st.caption(f"Pairs of codes found in the same {level}, most frequent first. Click a row to read its quotes.")
    cols = ["name_a", "name_b", "count", "n_a", "n_b", "jaccard"]
    event = st.dataframe(df[cols], hide_index=True, width="stretch", on_select="rerun",
                         selection_mode="single-row", key="th_cooc", column_config=COOC_CONFIG)
    row = _selected_row(event)
    if row is not None:
        r = df.iloc[row]
        _quotes(ctx, code_id=r["code_a"], also=r["code_b"], where={}, include=include, level=level,
                rollup=False, title=f"{r['name_a']} + {r['name_b']} · {int(r['count'])} {level}s")


def render() -> None:
    ctx = page_context("Themes")
    if ctx is None:
        return
    attrs = attempt(analysis_svc.attribute_names, ctx) or {"document": [], "speaker": ["role"]}
    groups = [*attrs.get("document", []), *[a for a in attrs.get("speaker", []) if a not in attrs.get("document", [])]]
    cols = st.columns([4, 2, 2])  # the view control needs room for all four names
    view = cols[0].segmented_control("View", VIEWS, default=VIEWS[0], key="th_view") or VIEWS[0]
    by = cols[1].selectbox("Group by", [None, *groups], key="th_by",
                           format_func=lambda g: "(no grouping)" if g is None else g)
    include = cols[2].selectbox("Count", list(INCLUDE), format_func=INCLUDE.get, key="th_include")
    if view == "Frequencies":
        _frequencies(ctx, by=by, include=include)
    elif view == "Compare groups":
        _compare(ctx, by=by, include=include)
    elif view == "Co-occurrence":
        _cooccurrence(ctx, include=include)
    else:
        df = attempt(analysis_svc.matrix, ctx, include=include)
        if isinstance(df, pd.DataFrame):
            st.caption("One row per document: 1 where a code occurs.")
            st.dataframe(df, width="stretch")

"""Themes page: how often each code occurs, by year / district / role / format,
comparisons between groups, co-occurrence; click any row to read its quotes.

Every drill-down goes through ``services.analysis.quotes`` with the same filters as the
number clicked (the coder choice included), so the quotes shown are exactly the units
counted (one row per excerpt).

With codings from more than one coder, a **Coder** choice says whose codings count: all
coders pooled (an excerpt counts for a code when any of them applied it) or one coder.

The view, grouping, count and coder choices outlive visits to other pages (kept in the
session) and reloads (kept in the page's address), as the Code page keeps its document
and view; all but the coder counted are also the coder's preferences (``services.prefs``),
for a new session opened on another page.
"""

from __future__ import annotations

from typing import Any, Callable

import pandas as pd
import streamlit as st

from qualcode.core.text import CONSENSUS_RULE
from qualcode.services import analysis as analysis_svc
from qualcode.services import prefs, team, ui_support
from qualcode.services.analysis import NOT_SET
from qualcode.services.project import ProjectContext
from qualcode.ui.quotes import picked_row, show_quotes
from qualcode.ui.state import BLIND_NOTE, attempt, blind_coder, page_context
from qualcode.ui.text import excerpts, md, plural, pooled_coders, source_labels

VIEWS = ["Frequencies", "Compare groups", "Co-occurrence", "Case matrix"]
INCLUDE = {"accepted": "Decided codings", "pending": "Codings + pending suggestions"}
POOLED = "All coders, pooled"
# In the page's address (a reload keeps them): widget key -> parameter name
PARAMS = {"th_view": "themes_view", "th_by": "group", "th_include": "count", "th_coder": "counted_coder",
          "th_source": "source", "th_chart": "chart"}
CHART_MEASURES = {"documents": "Documents", "excerpts": "Excerpts", "pct_documents": "% of documents"}
KEPT = "th_kept"  # this session's choices, for coming back from another page
# ... and the coder's, for a new session (services.prefs); not the coder counted (a team choice)
PREFS = {"th_view": "themes_view", "th_by": "themes_group", "th_include": "themes_count", "th_source": "themes_source"}
STORED = "th_stored"  # those preferences as stored, so that each is read once a session
NOT_TESTABLE = "–"
FREQ_COLS = ["code", "excerpts", "documents", "pct_documents", "participants", "per_1000_words"]
FREQ_CONFIG = {
    "code": st.column_config.TextColumn("Code"),
    "excerpts": st.column_config.NumberColumn("Excerpts"),
    "documents": st.column_config.NumberColumn("Documents"),
    "pct_documents": st.column_config.NumberColumn("% of documents", format="%.0f%%"),
    "participants": st.column_config.NumberColumn("Participants", help="People (not interviewers or facilitators) whose excerpts carry the code. Someone who speaks in several documents under the same name counts once; placeholder names such as \"Speaker 1\" count once per document."),
    "per_1000_words": st.column_config.NumberColumn("Per 1,000 participant words", format="%.2f", help="Excerpts in participants' speech per 1,000 words the group's participants spoke (the speech that is coded). A coding kept on a speaker made interviewer after their turns were coded is in Excerpts, not in this rate: their words are not participant words any more."),
}
COOC_CONFIG = {
    "name_a": st.column_config.TextColumn("Code"), "name_b": st.column_config.TextColumn("Together with"),
    # n_a / n_b count every unit with the code, the other one there or not (they were labelled "alone")
    "count": st.column_config.NumberColumn("Together"),
    "n_a": st.column_config.NumberColumn("Code, in all", help="Where the code is, with or without the other"),
    "n_b": st.column_config.NumberColumn("Together with, in all",
                                         help="Where the other code is, with or without the first"),
    "jaccard": st.column_config.NumberColumn("Overlap (Jaccard)", format="%.2f"),
}


ALL_ROWS = 60  # a frequency table shows up to this many rows without scrolling inside it
NONE = ""  # stands for the option None in a kept widget: Streamlit shows a None value as "no choice"


def _restore(key: str, options: list[Any], ctx: ProjectContext | None = None) -> None:
    """Before the widget ``key`` is drawn: make its value this session's earlier choice
    (coming back from another page, where Streamlit forgot the widget), the address's (a
    reload of this page: a new session) or the coder's last (``PREFS``: a new session opened
    elsewhere), else the first option."""
    if key in st.session_state and st.session_state[key] in options:
        return
    kept = st.session_state.get(KEPT, {})
    if key in kept:
        wanted = kept[key]
    else:
        raw = st.query_params.get(PARAMS[key])
        if raw is None and key in PREFS and ctx is not None:
            raw = _stored(key, ctx)
        wanted = next((o for o in options if str(o) == raw), options[0]) if raw is not None else options[0]
    st.session_state[key] = wanted if wanted in options else options[0]


def _stored(key: str, ctx: ProjectContext) -> str | None:
    """The coder's stored preference for the choice ``key`` (read once a session, then as written)."""
    seen = st.session_state.setdefault(STORED, {})
    if key not in seen:
        seen[key] = attempt(prefs.get_pref, ctx, PREFS[key], None)
    return seen[key]


def _remember(key: str, value: Any, ctx: ProjectContext | None = None) -> None:
    """After the widget: keep its value for this session, in the page's address and, for the
    choices in ``PREFS``, as the coder's preference."""
    if key in PREFS and ctx is not None:
        in_store = "" if value in (None, NONE) else str(value)
        if _stored(key, ctx) != in_store:  # written only when the choice changes
            attempt(prefs.set_pref, ctx, PREFS[key], in_store)
            st.session_state[STORED][key] = in_store
    st.session_state.setdefault(KEPT, {})[key] = value
    param = PARAMS[key]
    if value in (None, NONE):
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != str(value):
        st.query_params[param] = str(value)


def _choice(widget: Callable[..., Any], label: str, options: list[Any], key: str, *,
            format_func: Callable[[Any], str] = str, ctx: ProjectContext | None = None, **kw: Any) -> Any:
    """A selectbox / segmented control whose choice is kept (see :func:`_restore`; ``ctx``:
    the project where a choice in ``PREFS`` is kept for the coder). The option None (no
    grouping, every coder pooled) is shown by ``format_func(None)`` and returned as None."""
    options = [NONE if o is None else o for o in options]
    _restore(key, options, ctx)
    value = widget(label, options, key=key, format_func=lambda o: format_func(None if o == NONE else o), **kw)
    _remember(key, value, ctx)
    return None if value == NONE else value


def _source(ctx: ProjectContext) -> str | None:
    """Which documents to count, asked only where a project holds transcripts and survey answers
    together: a survey respondent is one document, so importing a survey would otherwise change
    every interview percentage (1 of 2 documents becoming 1 of 17) without a word."""
    n = attempt(analysis_svc.sources, ctx) or {}
    if not (n.get("transcripts") and n.get("surveys")):
        return None
    label = source_labels(n)
    source = _choice(st.selectbox, "Count from", [None, "transcripts", "surveys"], "th_source",
                     format_func=label.get, ctx=ctx,
                     help="A survey respondent counts as one document, like a transcript.")
    if source is None:
        st.caption(f"Counting {plural(n['transcripts'], 'transcript')} and "
                   f"{plural(n['surveys'], 'survey respondent')} together: each respondent is one document. "
                   "Choose **Count from** to count one kind only.")
    return source


def _coders_note(coders: list[str], coder: str | None, include: str) -> str | None:
    """What the counts hold, when more than one coder has coded (None: nothing to say)."""
    pending = " (and the pending suggestions)" if include == "pending" else ""
    if coder is not None:
        return (f"Counting only **{md(coder)}**'s codings{pending}. Clicking a number shows "
                f"{md(coder)}'s quotes behind it.")
    if len(coders) < 2:
        return None
    # walk 43: an excerpt agreed as Trust counted for the code one coder had given it too; the
    # consensus now settles the excerpts it was recorded for (storage.analysis_queries.settled_excerpts)
    consensus = " " + CONSENSUS_RULE if team.CONSENSUS in coders else ""
    return (f"Counts pool {pooled_coders(coders, team.CONSENSUS)}{pending}: an excerpt counts for a code when any of "
            "them applied it, so one excerpt can count for two codes that two coders chose differently. "
            f"Pick one coder in **Coder** to count only theirs.{consensus}")


def _untouched_note(ctx: ProjectContext, *, coder: str | None, include: str, source: str | None) -> None:
    """Documents nobody (or this coder) has started count as documents without any code: say so
    above the counts, with the documents' names (walk 13; ``ui_support.untouched_note``)."""
    note = attempt(ui_support.untouched_note, ctx, coder=coder, source=source, include=include)
    if note:
        st.caption(f":material/info: {md(note)} Progress per document is on the Project page.")


def _selected_row(event: Any) -> int | None:
    try:
        rows = event.selection.rows
    except AttributeError:
        return None
    return rows[0] if rows else None


def _quotes(ctx: ProjectContext, analysis=analysis_svc, *, code_id: str, where: dict[str, str], include: str,
            also: str | None = None, level: str = "excerpt", rollup: bool = True,
            title: str | None = None, coder: str | None = None, source: str | None = None,
            document_id: int | None = None) -> pd.DataFrame | None:
    """Show the quotes behind one number (one row per excerpt, the same coder's, the same
    source's) and return them."""
    return show_quotes(ctx, code_id=code_id, where=where, include=include, also=also, level=level, rollup=rollup,
                       title=title, key="th_quotes", coder=coder, source=source, document_id=document_id)


def _frequencies(ctx: ProjectContext, *, by: str | None, include: str, coder: str | None = None,
                 source: str | None = None) -> None:
    df = attempt(analysis_svc.frequencies, ctx, by=by, include=include, coder=coder, source=source)
    if df is None:
        return
    if df.empty or not df["excerpts"].sum():
        if coder is not None:
            st.info(f"{md(coder)} has no codings counted here yet. Pick another coder in **Coder**.")
            return
        st.info("Nothing is coded yet. Accept suggestions or code by hand on the **Code** page; "
                "the numbers appear here.")
        return
    # What the bars show: documents by default; excerpts where a few documents make every bar alike
    measure = _choice(st.segmented_control, "Chart", list(CHART_MEASURES), "th_chart", required=True,
                      format_func=CHART_MEASURES.get) or "documents"
    chart = attempt(analysis_svc.chart_bars, ctx, measure=measure, by=by, include=include, coder=coder,
                    source=source)
    if chart is not None:
        st.altair_chart(chart, width="stretch")
    # Codes used nowhere are left out; grouped, a code used in one group keeps its 0 in the
    # others, so groups compare row by row (walk 28: no "Eastgate · Dietary needs" row)
    used = (df.groupby("code_id")["excerpts"].transform("sum") if by else df["excerpts"]) > 0
    shown = df[used].reset_index(drop=True)
    st.caption("Click a row to read its quotes.")
    cols = [c for c in ([by] if by else []) + FREQ_COLS if c in shown.columns]
    # A new table (other grouping, count or coder) is a new widget: a row picked in the last
    # one must not open whichever row now has its place.
    table_key = f"th_freq|{by}|{include}|{coder}|{source}"
    # every row in view when there are not many (walk 36: a grouped table showed 10 of its 14 rows,
    # the rest under an inner scroll that nothing pointed to)
    event = st.dataframe(indented(shown)[cols], hide_index=True, width="stretch", on_select="rerun",
                         selection_mode="single-row", key=table_key, column_config=FREQ_CONFIG,
                         height="content" if len(shown) <= ALL_ROWS else "auto")
    if df.attrs.get("outside_rate"):
        st.caption(outside_rate_text(df.attrs["outside_rate"]))
    records = shown.to_dict("records")
    # the box holds a row's identity (group and code), not its place, and its label is the
    # row as the table shows it now
    ids = [(f"{r[by]}:" if by else "") + str(r["code_id"]) for r in records]
    labels = {i: (f"{by} {r[by]} · " if by else "") + f"{r['code']} · {excerpts(int(r['excerpts']))}"
              for i, r in zip(ids, records)}
    picked = picked_row(event, table_key=table_key, pick_key="th_freq_pick", ids=ids, labels=labels, param="row")
    if picked is not None:  # the box is what the quotes are of: the last row clicked or picked
        r = records[ids.index(picked)]
        where = {by: str(r[by])} if by else {}
        title = f"{r['code']}" + (f" · {by} {r[by]}" if by else "") + f" · {excerpts(int(r['excerpts']))}"
        _quotes(ctx, code_id=r["code_id"], where=where, include=include, title=title, coder=coder, source=source)


def indented(table: pd.DataFrame) -> pd.DataFrame:
    """The table with each sub-code's name set in under its parent's, as the Codebook page shows
    the tree (the rows come in the codebook's tree order; a parent's row counts its sub-codes' too).

    >>> indented(pd.DataFrame({"code": ["Barriers", "Transport"], "depth": [0, 1]}))["code"].tolist()
    ['Barriers', '\u2003Transport']
    """
    if "depth" not in table.columns:
        return table
    out = table.copy()
    out["code"] = ["\u2003" * int(d) + str(name) for name, d in zip(out["code"], out["depth"])]
    return out


def outside_rate_text(n: int) -> str:
    """Why Excerpts and the rate differ (walk 23: nothing on the page said so).

    >>> outside_rate_text(1)
    ':material/info: 1 excerpt is on a speaker made interviewer after coding (Documents page): it counts under Excerpts and Documents, not in the rate per 1,000 participant words.'
    """
    return (f":material/info: {excerpts(n)} {'is on a speaker' if n == 1 else 'are on speakers'} made interviewer "
            f"after coding (Documents page): {'it counts' if n == 1 else 'they count'} under Excerpts and Documents, "
            "not in the rate per 1,000 participant words.")


def _test_cell(value: Any, fmt: str) -> str:
    """A test figure as text; a dash where the code could not be tested."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return NOT_TESTABLE
    return NOT_TESTABLE if pd.isna(v) else format(v, fmt)


def _compare(ctx: ProjectContext, *, by: str | None, include: str, coder: str | None = None,
             source: str | None = None) -> None:
    if not by:
        st.info("Pick an attribute to compare in **Group by** (year, district, role, format…).")
        return
    df = attempt(analysis_svc.compare, ctx, by=by, include=include, coder=coder, source=source)
    if df is None:
        return
    unit = str(df["unit"].iloc[0]) if len(df) else "document"
    values = [c[:-2] for c in df.columns if c.endswith(" n") and f"{c[:-2]} N" in df.columns]  # the groups
    left_out = int(df.attrs.get("not_started") or 0)
    if len(values) < 2 and len(df):
        only = f" ({md(values[0])})" if values else ""
        st.info(f"Only one {md(by)} group{only} has documents coded so far: there is nothing to compare it with yet."
                + (f" {plural(left_out, 'document')} {'is' if left_out == 1 else 'are'} not coded yet."
                   if left_out else ""), icon=":material/info:")
        return
    if left_out:  # walk 48: a cohort nobody had coded yet came out "more often in" the other, p < 0.001
        st.caption(f"{plural(left_out, 'document')} not coded{f' by {md(coder)}' if coder else ''} yet "
                   f"{'is' if left_out == 1 else 'are'} left out of this comparison: a code's absence there "
                   "says nothing yet, and a group none of whose documents is coded is not compared.")
    counts = [f"{v} n" for v in values]
    unused = df[counts].fillna(0).sum(axis=1) == 0 if counts and len(df) else pd.Series(False, index=df.index)
    n_unused = int(unused.sum())
    df = df[~unused].reset_index(drop=True)  # a code in no unit of any group: nothing to compare (nor to test)
    if df.empty:
        st.info(f"No code is used in any {unit} yet: nothing to compare.")
        return
    unset = f"{NOT_SET} N"
    if unset in df.columns and len(df) and pd.notna(df[unset].iloc[0]) and int(df[unset].iloc[0]):
        # a group of the units without a value is compared like any other: say so, or a survey's
        # years against transcripts without one read as a finding "more often in (not set)"
        n_unset = int(df[unset].iloc[0])
        has, they, them = ("has", "it is", "it") if n_unset == 1 else ("have", "they are", "them")
        count_from = (", or choose **Count from** to leave one kind of source out"
                      if "th_source" in st.session_state else "")
        st.warning(f"{plural(n_unset, unit)} {has} no {by}: {they} compared as the group “{NOT_SET}”, and a "
                   f"difference there is about {them}, not about a {by}. Set their {by} on the **Documents** page"
                   f"{count_from}.", icon=":material/warning:")
    st.caption(f"For each code: in how many {unit}s of each {by} it occurs, and whether the difference "
               "is larger than chance (Fisher's exact test for two small groups, chi-square otherwise; "
               "p adjusted for testing many codes). Click a row, then pick a group, for its quotes. "
               f"The test counts {unit}s, not excerpts: the excerpts of one {unit} are not independent of one "
               "another, and counted one by one they would make a single talkative interview look like a "
               "pattern. The excerpts per group are on the **Frequencies** view (Group by the same).")
    sizes = {v: int(df[f"{v} N"].iloc[0]) for v in values if pd.notna(df[f"{v} N"].iloc[0])}  # a group's units
    small = [v for v, n in sizes.items() if n < analysis_svc.SMALL_GROUP]
    if small:  # said above the table: in each row's Finding it sat past the table's edge (walk 8)
        listed = ", ".join(f"{v} ({plural(sizes[v], unit)})" for v in small)
        st.warning(f"Small group{'s' * (len(small) != 1)}: {listed}. With fewer than {analysis_svc.SMALL_GROUP} {unit}s a group's share "
                   "moves a lot with one more or one less, and the tests and effect sizes rest on very little: "
                   "read differences there as leads to check in the quotes, not as findings.",
                   icon=":material/info:")
    shown = analysis_svc.readable_comparison(df, by=by)
    p_col, v_col = "Adjusted p", "Effect size (Cramér's V)"
    untestable = False
    if len(shown):
        untestable = bool(pd.to_numeric(shown[p_col], errors="coerce").isna().any()
                          or pd.to_numeric(shown[v_col], errors="coerce").isna().any())
        shown[p_col] = [_test_cell(v, ".3f") for v in shown[p_col]]
        shown["p"] = [_test_cell(v, ".3f") for v in shown["p"]]
        shown[v_col] = [_test_cell(v, ".2f") for v in shown[v_col]]
    event = st.dataframe(shown, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                         key=f"th_compare|{source}", column_config={
                             p_col: st.column_config.TextColumn(p_col, help="p adjusted for testing every code "
                                                                "(Benjamini-Hochberg): read this one"),
                             "p": st.column_config.TextColumn("p", help="The test's own p, before the adjustment"),
                             v_col: st.column_config.TextColumn(v_col),
                             "Finding": st.column_config.TextColumn(width="large")})
    if untestable:
        st.caption(f"{NOT_TESTABLE} in {p_col} and Effect size: that code cannot be tested, because it occurs "
                   f"in every {unit} or in none of them in every group (see its Finding).")
    if n_unused:
        st.caption(f"{plural(n_unused, 'code')} of the codebook {'is' if n_unused == 1 else 'are'} used in no "
                   f"{unit} yet and left out.")
    row = _selected_row(event)
    if row is None or row >= len(df):
        return
    r = df.iloc[row]
    if not values:
        return
    # open the first group that has quotes behind its number (not an empty one)
    n = {v: int(r[f"{v} n"]) if pd.notna(r[f"{v} n"]) else 0 for v in values}
    first = next((i for i, v in enumerate(values) if n[v] > 0), 0)
    value = st.selectbox(f"Quotes from {by}", values, index=first, key=f"th_compare_group-{r['code_id']}",
                         format_func=lambda v: f"{v} · {plural(n[v], unit)}")
    if value is not None:
        _quotes(ctx, code_id=r["code_id"], where={by: value}, include=include, coder=coder, source=source,
                title=f"{r['code']} · {by} {value} · {plural(n[value], unit)}")


def _cooccurrence(ctx: ProjectContext, *, include: str, coder: str | None = None, source: str | None = None) -> None:
    level = st.radio("Together in the same", ["excerpt", "document"], horizontal=True, key="th_level")
    df = attempt(analysis_svc.cooccurrence, ctx, level=level, include=include, coder=coder, only_pairs=True,
                 source=source)
    if df is None:
        return
    if df.empty:
        st.info("No two codes occur together yet.")
        return
    chart = attempt(analysis_svc.chart_heatmap, ctx, level=level, include=include, coder=coder, source=source)
    if chart is not None:
        st.altair_chart(chart, width="stretch")
    st.caption(f"Pairs of codes found in the same {level}, most frequent first. Click a row to read its quotes. "
               "Codes count as coded: a parent code only where it was applied itself, not for its sub-codes "
               "(each would pair with its own sub-codes everywhere).")
    cols = ["name_a", "name_b", "count", "n_a", "n_b", "jaccard"]
    event = st.dataframe(df[cols], hide_index=True, width="stretch", on_select="rerun",
                         selection_mode="single-row", key="th_cooc", column_config=COOC_CONFIG)
    row = _selected_row(event)
    if row is not None and row < len(df):
        r = df.iloc[row]
        _quotes(ctx, code_id=r["code_a"], also=r["code_b"], where={}, include=include, level=level,
                rollup=False, coder=coder, source=source,
                title=f"{r['name_a']} + {r['name_b']} · {plural(int(r['count']), level)}")


def render() -> None:
    ctx = page_context("Themes")
    if ctx is None:
        return
    attrs = attempt(analysis_svc.attribute_names, ctx) or {"document": [], "speaker": ["role"]}
    groups = [*attrs.get("document", []), *[a for a in attrs.get("speaker", []) if a not in attrs.get("document", [])]]
    coders = attempt(analysis_svc.coders, ctx) or []
    several = len(coders) > 1
    view = _choice(st.segmented_control, "View", VIEWS, "th_view", ctx=ctx, required=True) or VIEWS[0]  # a row of its own: all four names show
    cols = st.columns(3 if several else 2)
    grouped = view in ("Frequencies", "Compare groups")  # the other two: a row per pair / per document
    by = _choice(cols[0].selectbox, "Group by", [None, *groups], "th_by", ctx=ctx,
                 format_func=lambda g: "(no grouping)" if g is None else g, disabled=not grouped,
                 help=None if grouped else f"{view} is not grouped: it has a row per "
                                           f"{'pair of codes' if view == 'Co-occurrence' else 'document'}")
    include = _choice(cols[1].selectbox, "Count", list(INCLUDE), "th_include", format_func=INCLUDE.get, ctx=ctx)
    coder = blind_coder(ctx)
    if coder is not None:  # walk 36: a blind coder picked the colleague here and read their quotes
        several = False
        st.info(f"Counting only **{md(coder)}**'s codings. {BLIND_NOTE}", icon=":material/visibility_off:")
    if several:
        coder = _choice(cols[2].selectbox, "Coder", [None, *coders], "th_coder",
                        format_func=lambda c: POOLED if c is None else c,
                        help="Whose codings the numbers count: every coder's pooled together, or one coder's.")
    note = _coders_note(coders, coder, include) if several else None
    if note:
        st.info(note, icon=":material/group:")
    source = _source(ctx)  # every view (walk 15: the matrix listed 40 survey rows beside 4 interviews)
    if grouped and not (view == "Compare groups" and include == "accepted"):
        # (a comparison of decided codes leaves those documents out and says so itself)
        _untouched_note(ctx, coder=coder, include=include, source=source)
    if view == "Frequencies":
        _frequencies(ctx, by=by, include=include, coder=coder, source=source)
    elif view == "Compare groups":
        _compare(ctx, by=by, include=include, coder=coder, source=source)
    elif view == "Co-occurrence":
        _cooccurrence(ctx, include=include, coder=coder, source=source)
    else:
        _case_matrix(ctx, include=include, coder=coder, source=source)


def _case_matrix(ctx: ProjectContext, *, include: str, coder: str | None = None, source: str | None = None) -> None:
    """One row per document with its attributes, a column per code (named as elsewhere, not by
    id); a click on a cell shows that document's quotes of that code (walk 14: code ids for
    headers, a bare index column, and no way from a 1 to its quotes)."""
    df = attempt(analysis_svc.matrix, ctx, include=include, coder=coder, source=source)
    if not isinstance(df, pd.DataFrame):
        return
    cb = attempt(ui_support.codebook, ctx)
    names = {c.id: c.shown_name for c in cb.codes} if cb is not None else {}
    code_cols = [c for c in df.columns if c in names]
    # a code that occurs in no document is a column of zeros: with the default codebook the
    # project's own codes sat 20 columns to the right, past the table's edge
    unused = [c for c in code_cols if not df[c].astype(bool).any()]
    verb = "occurs" if len(unused) == 1 else "occur"
    if unused and not st.toggle(f"Show the {plural(len(unused), 'code')} that {verb} nowhere here", key="th_matrix_all",
                                help="Codes with no occurrence in any document counted here, each a column of 0s"):
        df = df.drop(columns=unused)
        code_cols = [c for c in code_cols if c not in unused]
    shown = df.drop(columns=["document_id"])
    attrs = [c for c in shown.columns if c != "document" and c not in code_cols]
    # a document without the attribute reads as on the other views ("(not set)"), not "None"
    shown[attrs] = shown[attrs].astype(object).where(shown[attrs].notna(), NOT_SET)
    shown = shown.rename(columns=names)
    st.caption("One row per document: 1 where a code occurs (a code counts its sub-codes). "
               "Click a cell to read that document's quotes of the code."
               + (" No code occurs in these documents yet." if not code_cols else ""))
    # narrow code columns, the full name on hover: at their headers' width the fourth code's
    # cells sat past the table's edge and read as empty (walk 17)
    narrow = {names[c]: st.column_config.NumberColumn(names[c], width="small", help=names[c]) for c in code_cols}
    event = st.dataframe(shown, hide_index=True, width="stretch", key="th_matrix", on_select="rerun",
                         selection_mode="single-cell", column_config=narrow)
    try:
        cells = event.selection.cells
    except AttributeError:
        cells = []
    if not cells:
        return
    row, col = cells[0][0], cells[0][1]
    by_name = {names[c]: c for c in code_cols}
    if col not in by_name or not 0 <= int(row) < len(df):
        st.caption("Click a cell under a code to read its quotes.")
        return
    doc = df.iloc[int(row)]
    _quotes(ctx, code_id=by_name[col], where={}, include=include, coder=coder, document_id=int(doc["document_id"]),
            title=f"{names[by_name[col]]} · {doc['document']}")

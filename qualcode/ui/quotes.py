"""The quotes behind one clicked number, shown the same way on every page.

Always through ``services.analysis.quotes`` with the number's own filters, so the rows
shown are exactly the units counted (one row per excerpt). The Themes page and the Project
page's "Codes in use" both call :func:`show_quotes`.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from qualcode.services import analysis as analysis_svc
from qualcode.services.project import ProjectContext
from qualcode.ui.state import attempt
from qualcode.ui.text import md

QUOTE_COLS = ["document", "speaker", "role", "code", "also_coded", "quote", "coders", "origin", "memo"]


def show_quotes(ctx: ProjectContext, *, code_id: str, where: dict[str, str], include: str,
                also: str | None = None, level: str = "excerpt", rollup: bool = True,
                title: str | None = None, key: str = "th_quotes", coder: str | None = None,
                source: str | None = None, document_id: int | None = None) -> pd.DataFrame | None:
    """Show the quotes behind one number (one row per excerpt) and return them; ``coder``:
    only that coder's codings, as the number counted (None: every coder's, pooled);
    ``document_id``: one document's (a case matrix cell)."""
    df = attempt(analysis_svc.quotes, ctx, code_id=code_id, where=where, include=include, also=also,
                 level=level, rollup=rollup, coder=coder, source=source, document_id=document_id)
    if df is None:
        return None
    what = title or (code_id + (f" + {also}" if also else "") + "".join(f" · {k} {v}" for k, v in where.items()))
    n_ex, n_docs = len(df), df["document_id"].nunique() if len(df) else 0
    st.subheader(f"Quotes: {what}")
    if df.empty:
        st.caption("No quotes behind this number.")
        return df
    st.caption(f"{n_ex} excerpt{'s' * (n_ex != 1)} from {n_docs} document{'s' * (n_docs != 1)}.")
    cols = [c for c in QUOTE_COLS if c in df.columns]
    # a table cuts long quotes at the column's edge (walk 34): "Full text" reads them whole
    shown_as = st.segmented_control("Show the quotes as", ["Table", "Full text"], default="Table", required=True,
                                    key=f"{key}_as", label_visibility="collapsed")
    if shown_as == "Full text":
        _full_text(df)
        return df
    st.dataframe(df[cols], hide_index=True, width="stretch", key=key,
                 column_config={"quote": st.column_config.TextColumn("Quote", width="large"),
                                "code": st.column_config.TextColumn(
                                    "Counted as", help="The code (or its sub-codes) this number counts",
                                    width="small"),
                                "also_coded": st.column_config.TextColumn(
                                    "Also coded", help="The excerpt's other codes, by the same coders",
                                    width="medium"),
                                # never read as a document attribute called "role" (walk 6: "role site
                                # coordinator" above rows whose role said "participant")
                                "role": st.column_config.TextColumn("Speaker role", width="small"),
                                # a survey's "speaker" is its question: not so wide that the quote
                                # leaves the table (walk 28)
                                "speaker": st.column_config.TextColumn("Speaker", width="small"),
                                # one style of header (walk 15: "document" and "speaker" beside "Speaker role")
                                **{c: st.column_config.TextColumn(c.capitalize())
                                   for c in ("document", "coders", "origin", "memo")}})
    return df


FULL_TEXT_MAX = 200  # quotes read whole at once; the table and the exports hold them all


def _full_text(df: pd.DataFrame) -> None:
    """Each quote whole, under a grey line that says where it is from (the quote as plain text:
    the coders' transcripts are never read as markup)."""
    for r in df.head(FULL_TEXT_MAX).to_dict("records"):
        where = [str(r.get("document") or "")]
        if r.get("speaker"):
            where.append(str(r["speaker"]) + (f" ({r['role']})" if r.get("role") else ""))
        if r.get("code"):
            where.append(f"counted as {r['code']}")
        if r.get("also_coded"):
            where.append(f"also coded {r['also_coded']}")
        if r.get("coders"):
            where.append(f"by {r['coders']}")
        with st.container(border=True):
            st.caption(md(" · ".join(where)))
            st.text(str(r.get("quote") or ""), width="stretch")
            if r.get("memo"):
                st.text(f"Memo: {r['memo']}", width="stretch")
    if len(df) > FULL_TEXT_MAX:
        st.caption(f"The first {FULL_TEXT_MAX} of {len(df)} quotes; the table and the exports hold them all.")


def _tick_picked(table_key: str, pick_key: str, ids: list[str]) -> None:
    """on_change of the box: the table ticks the row picked there (walk 47: the quotes were of the
    row picked in the box, the table's tick stayed on the row clicked before)."""
    picked = st.session_state.get(pick_key)
    rows = [ids.index(picked)] if picked in ids else []
    st.session_state[table_key] = {"selection": {"rows": rows, "columns": []}}
    st.session_state[f"{table_key}|seen"] = rows[0] if rows else None  # not a click: the box leads


def picked_row(event, *, table_key: str, pick_key: str, ids: list[str], labels: dict[str, str],
               label: str = "Or pick a row", param: str | None = None) -> str | None:
    """The row whose quotes to show, under a dataframe of rows drawn with ``on_select``:
    a box below the table that holds a row's identity (``ids``), not its place, so it names
    the same row after the table changes (another coder, count, grouping, new codings) or
    clears when the row is gone; a click in the table moves the box to the clicked row. The
    choice is kept for this session (back from another page, where Streamlit forgets the
    widget) and, with ``param``, in the page's address (a reload). Returns the id, or None."""
    kept_key = f"{pick_key}|kept"
    if pick_key not in st.session_state:  # forgotten (another page) or a new session (a reload)
        st.session_state[pick_key] = st.session_state.get(kept_key, st.query_params.get(param) if param else None)
    try:
        rows = event.selection.rows
    except AttributeError:
        rows = []
    clicked = rows[0] if rows else None
    seen = f"{table_key}|seen"
    if clicked != st.session_state.get(seen):  # a new click in the table: the box follows it
        st.session_state[seen] = clicked
        if clicked is not None and clicked < len(ids):
            st.session_state[pick_key] = ids[clicked]
    # set every run: the browser's box keeps showing the label it last got, so a value set
    # here (even an unchanged one) is what makes it show the row's label in this table
    kept = st.session_state.get(pick_key)
    st.session_state[pick_key] = kept if kept in labels else None
    picked = st.selectbox(label, ids, key=pick_key, format_func=labels.__getitem__,
                          placeholder="Read the quotes of…", on_change=_tick_picked, args=(table_key, pick_key, ids))
    picked = picked if picked in labels else None
    st.session_state[kept_key] = picked
    if param and st.query_params.get(param) != picked:
        if picked is None:
            del st.query_params[param]
        else:
            st.query_params[param] = picked
    return picked

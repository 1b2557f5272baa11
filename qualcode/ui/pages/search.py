"""Search page: find words or phrases in every transcript (a text search query), read each hit
where it was said, and code the hits chosen in one go (one Undo takes them back).

Several words or phrases at once are separated by commas; ``AND`` / ``NOT`` in capitals join
words an excerpt must, or must not, hold too; ``*`` ends a word with any ending
(:mod:`qualcode.services.search`). Hits on lines that are not coded (an interviewer's) are
listed apart, to read. The coder's own codes only: under independent coding nothing of a
colleague's shows here. Coding the hits is a hand coding of each excerpt, learned from as any
other (:func:`qualcode.services.coding.code_excerpts`).
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from qualcode.core.text import plural
from qualcode.services import coding, export, ui_support
from qualcode.services import search as search_svc
from qualcode.services import survey as survey_svc
from qualcode.services.commands import one_undo
from qualcode.services.project import ProjectContext
from qualcode.ui.pages.export import project_slug
from qualcode.ui.state import after_decision, attempt, flash, flash_undone, in_callback, open_on_code_page, page_context
from qualcode.ui.text import md
from qualcode.ui.transcript import new_code, typed_code_text

QUERY, WHOLE, CASE, ACCENTS, CODE = "srch_q", "srch_whole", "srch_case", "srch_accents", "srch_code"


def _table_key(query: str, whole: bool, case: bool, accents: bool = False) -> str:
    """The hits table's key: a new search starts with every hit ticked again."""
    return "srch_table_" + hashlib.sha1(f"{query}|{whole}|{case}|{accents}".encode()).hexdigest()[:12]


def _code_hits(ctx: ProjectContext, excerpt_ids: list[int], code_names: dict[str, str], first_text: str) -> None:
    with one_undo():  # a new code made here and the hits coded with it: one step for Undo (walk 40)
        _code_hits_now(ctx, excerpt_ids, code_names, first_text)


def _code_hits_now(ctx: ProjectContext, excerpt_ids: list[int], code_names: dict[str, str], first_text: str) -> None:
    code_id = st.session_state.get(CODE)
    if not code_id:
        flash("Choose the code to give the ticked excerpts first.", kind="warning")
        return
    if code_id not in code_names:  # a name the codebook does not hold: a new code
        code_id = new_code(ctx, code_names, str(code_id), first_text)
        if code_id is None:
            return
    done = in_callback(coding.code_excerpts, ctx, excerpt_ids, code_id)
    if done is None:
        return
    name = code_names.get(code_id) or str(st.session_state.get(CODE))
    new, already = len(done["coded"]), done["already"]
    if not new:
        flash(f"Every ticked excerpt already has {md(name)}: nothing changed.", kind="info")
        return
    text = f"Coded {plural(new, 'excerpt')} with {md(name)}"
    if already:
        text += f" ({already} already had it)"
    flash(text + (". Undo takes it back." if new == 1 else ". Undo takes them all back."), kind="success")
    st.session_state[CODE] = None
    after_decision(ctx)


def _undo(ctx: ProjectContext) -> None:
    flash_undone(in_callback(coding.undo, ctx), ctx)


def options_text(whole: bool, case: bool, accents: bool) -> str:
    """The search's settings in words, for the download.

    >>> options_text(True, False, False)
    'whole words, any case, any accents'
    """
    return ", ".join(["whole words" if whole else "any part of a word", "same case" if case else "any case",
                      "same accents" if accents else "any accents"])


def download_table(rows: pd.DataFrame, query: str, options: str = "", ticked: set[int] | None = None) -> pd.DataFrame:
    """The hits as a spreadsheet's rows: what was searched for, and how (walk 39 and 40: the file
    did not say, and a search matching accents looked like one that did not), whether the
    speaker's lines are coded in this project (an interviewer's are not), whether the hit is
    ticked on the page, and the excerpt's number (two hits with the same words told apart)."""
    ticked = ticked or set()
    return pd.DataFrame({"search": query, "options": options, "document": rows["document"],
                         "speaker": rows["speaker"], "role": rows["role"], "excerpt": rows["text"],
                         "hits": rows["n_hits"], "your_codes": rows["codes"].map("; ".join),
                         "speaker_coded": rows["codable"].map({True: "yes", False: "no"}),
                         "ticked": [("yes" if int(i) in ticked else "no") if c else ""
                                    for i, c in zip(rows["excerpt_id"], rows["codable"])],
                         "excerpt_id": rows["excerpt_id"]})


def _ticked(table: str, ids: list[int]) -> set[int]:
    """The hits ticked now (a tick's widget value, else as kept since the page last showed)."""
    unticked = st.session_state.get(f"{table}_unticked", set())
    return {i for i in ids if st.session_state.get(_tick_key(table, i), i not in unticked)}


def render() -> None:
    ctx = page_context("Search")
    if ctx is None:
        return
    surveys = bool(attempt(survey_svc.list_surveys, ctx))
    where = "every transcript and survey answer" if surveys else "every transcript"
    st.caption(f"Find words or phrases in {where}, read each hit where it was said, and code the hits "
               "you choose in one go. Several at once: separate them with commas (stock-out, out of stock); "
               "AND or NOT in capitals for words the same excerpt must, or must not, hold too (transport AND "
               "parent*, bus NOT school bus); a * ends a word with any ending (train* finds trained, training).")
    # back from a hit opened on the Code page: the same search; else the defaults (set here, not
    # as the widgets' values, which Streamlit warns of beside a value set through the session)
    for k, default in ((QUERY, ""), (WHOLE, True), (CASE, False), (ACCENTS, False)):
        if k not in st.session_state:
            st.session_state[k] = st.session_state.get(f"{k}_kept", default)
    cols = st.columns([5, 1.7, 1.5, 1.7], vertical_alignment="bottom")
    query = cols[0].text_input("Search the transcripts" + (" and survey answers" if surveys else ""), key=QUERY,
                               placeholder="stock-out, out of stock, medicine*", icon=":material/search:")
    whole = cols[1].toggle("Whole words", key=WHOLE, help="Off: “stock” also finds “stockroom”")
    case = cols[2].toggle("Match case", key=CASE)
    accents = cols[3].toggle("Match accents", key=ACCENTS,
                             help="Off: “creche” also finds “crèche”, and “crèche” finds “creche”")
    st.session_state.update({f"{QUERY}_kept": query, f"{WHOLE}_kept": whole, f"{CASE}_kept": case,
                             f"{ACCENTS}_kept": accents})
    bar = st.container(horizontal=True, vertical_alignment="center")
    bar.button("Undo", key="srch_undo", icon=":material/undo:", on_click=_undo, args=(ctx,),
               help="Undo your last change (coding the hits takes them all back at once)")
    if not (query or "").strip():
        st.info("Type a word or phrase above and press Enter. The search reads every document's text, "
                "whatever has been coded.", icon=":material/search:")
        return
    result = attempt(search_svc.search, ctx, query, whole_words=whole, match_case=case, match_accents=accents)
    if result is None:
        return
    rows = result.rows
    bar.markdown(f"**{md(result.summary())}** for {', '.join(f'“{md(t)}”' for t in result.terms)}")
    if rows.empty:
        st.info("No hits. Try fewer words, a * for other endings (train*), or Whole words off.",
                icon=":material/search_off:")
        return
    codable = rows[rows["codable"]].reset_index(drop=True)
    table = _table_key(query, whole, case, accents)
    now = _ticked(table, [int(i) for i in codable["excerpt_id"]])
    hits = download_table(rows, query, options_text(whole, case, accents), now)
    bar.download_button("Download the hits", export.table_bytes(hits, fmt="xlsx", sheet="hits"), key="srch_download",
                        file_name=f"{project_slug(ctx)}-search.xlsx", icon=":material/download:",
                        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    if not codable.empty:
        _code_form(ctx, codable, table, now)
    off = rows[~rows["codable"]]
    if not off.empty:
        with st.expander(f"{search_svc.off_lines_text(off)} not coded (an interviewer's, say)",
                         icon=":material/visibility:"):
            for r in off.itertuples():
                with st.container(border=True, key=f"srch_off_{r.excerpt_id}"):
                    head = st.container(horizontal=True, vertical_alignment="center")
                    head.markdown(f"{md(r.document)} · {md(r.speaker)} ({md(r.role)})")
                    if head.button("Open", key=f"srch_open_{r.excerpt_id}", icon=":material/open_in_new:",
                                   type="tertiary", help="Read it in its transcript on the Code page"):
                        open_on_code_page(int(r.document_id), int(r.excerpt_id))
                    st.markdown(_hit_markdown(r.text, r.spans))


PAGE = 50  # hits listed at once ("Show more" lists the next)


def _tick_key(table: str, excerpt_id: int) -> str:
    return f"{table}_{excerpt_id}"


def _tick_all(table: str, ids: list[int], on: bool) -> None:
    for i in ids:
        st.session_state[_tick_key(table, i)] = on


def _hit_markdown(text: str, spans: list[tuple[int, int]]) -> str:
    """The excerpt as Markdown, its hits in bold (the text between them escaped)."""
    out, at = [], 0
    for a, b in spans:
        out += [md(text[at:a]), f"**{md(text[a:b])}**"]
        at = b
    return "".join(out + [md(text[at:])])


def _code_form(ctx: ProjectContext, rows: pd.DataFrame, table: str, now: set[int]) -> None:
    """The codable hits, each with a tick (all ticked: untick those not about it; ``now``: those
    ticked, :func:`_ticked`), and the code to give the ticked ones. Checkboxes, not a grid: Tab
    and Space reach each one."""
    cb = attempt(ui_support.codebook, ctx)
    code_names = {c.id: c.name for c in cb.codable_codes()} if cb is not None else {}
    ids = [int(i) for i in rows["excerpt_id"]]
    # the unticked, kept apart from the ticks (widgets): Streamlit forgets a widget's value on a
    # page that is not drawn (walk 39: after Open and back, every hit was ticked again)
    for i in ids:
        st.session_state.setdefault(_tick_key(table, i), i in now)
    ticked = [i for i in ids if i in now]
    st.session_state[f"{table}_unticked"] = set(ids) - now
    form = st.container(horizontal=True, vertical_alignment="bottom", key="srch_form")
    form.selectbox("Code the ticked excerpts with", list(code_names), format_func=lambda c: code_names.get(c, c),
                   index=None, key=CODE, placeholder="Type to search the codebook, or a new code's name",
                   accept_new_options=True, width=360)
    first = next((t for i, t in zip(ids, rows["text"]) if i in ticked), "")
    form.button(f"Code {plural(len(ticked), 'excerpt')}", key="srch_apply", type="primary",
                icon=":material/sell:", disabled=not ticked, on_click=_code_hits,
                args=(ctx, ticked, code_names, first))
    form.button("Tick all", key="srch_all", on_click=_tick_all, args=(table, ids, True), type="tertiary")
    form.button("Untick all", key="srch_none", on_click=_tick_all, args=(table, ids, False), type="tertiary")
    picked = st.session_state.get(CODE)
    if picked and picked not in code_names:  # say what the button will do before it does it
        text, kind = typed_code_text(str(picked), code_names, "Coding")
        if kind == "near":
            st.warning(text, icon=":material/help:")
        else:
            st.caption(text + (" The first ticked excerpt is its first example." if kind == "new" else ""))
    st.caption(f"{len(ticked)} of {plural(len(ids), 'excerpt')} ticked. Each is coded whole, as by hand on the "
               "Code page, and the model learns from it.")
    shown = st.session_state.get("srch_shown", PAGE) if st.session_state.get("srch_shown_for") == table else PAGE
    for r in rows.head(shown).itertuples():
        with st.container(border=True, key=f"srch_hit_{r.excerpt_id}"):
            head = st.container(horizontal=True, vertical_alignment="center")
            head.checkbox(f"{r.document} · {r.speaker}", key=_tick_key(table, int(r.excerpt_id)))
            if head.button("Open", key=f"srch_open_{r.excerpt_id}", icon=":material/open_in_new:", type="tertiary",
                           help="Read it in its transcript on the Code page"):
                open_on_code_page(int(r.document_id), int(r.excerpt_id))
            st.markdown(_hit_markdown(r.text, r.spans))
            if r.codes:
                st.caption("Your codes here: " + ", ".join(md(c) for c in r.codes))
    if len(rows) > shown:
        st.button(f"Show {min(PAGE, len(rows) - shown)} more of {len(rows) - shown}", key="srch_more",
                  on_click=lambda: st.session_state.update(srch_shown=shown + PAGE, srch_shown_for=table))

"""Code page: read a transcript as a conversation and decide on its suggestions.

Three ways to work: *Transcript* (the conversation as flowing text: codings highlighted in
their code's colour, pending suggestions underlined; select any passage to code it; click to
open an excerpt's suggestions, codings and memo in the sidebar), *Excerpts* (a page of turns
at a time, chips on every excerpt) and *Review queue* (one excerpt at a time, in the engine's
order, the next one coming by itself).
"""

from __future__ import annotations

import math
import time
from typing import Any

import streamlit as st

from qualcode.errors import QualcodeError
from qualcode.services import coding
from qualcode.services import ingest as ingest_svc
from qualcode.services import memos as memo_svc
from qualcode.services import suggest as suggest_svc
from qualcode.services import prefs, ui_support
from qualcode.services.project import ProjectContext
from qualcode.services.ui_support import ExcerptView, TranscriptView, TurnView
from qualcode.ui import state, survey_grid, transcript_view
from qualcode.ui.excerpt_panel import PREFER, nothing_here, panel, undo_last
from qualcode.ui.state import after_decision, attempt, compute_suggestions, error_text, flash, in_callback, page_context
from qualcode.ui.text import distinct, md, plural, tail
from qualcode.ui.transcript import chip_styles, decide, escape_leaves_boxes, excerpt_clicks, focus_style, turn_block

STATUSES = {"pending": "Has pending suggestions", "coded": "Coded by me", "reviewed": "Reviewed, no code",
            "open": "Not reviewed, no suggestions"}
PAGE_SIZES = [10, 20, 50, 100]
MODES = ["Transcript", "Excerpts", "Review queue"]
DOC_PARAM, VIEW_PARAM, EX_PARAM = "doc", "view", "ex"  # in the page's address: a reload keeps them


def documents(ctx: ProjectContext) -> list[dict[str, Any]]:
    docs = list(attempt(ingest_svc.list_documents, ctx) or [])
    return [d for d in docs if d.get("format") != "survey"]  # survey respondents: the survey grid


def _filters(view: TranscriptView) -> dict[str, Any]:
    speakers = sorted({t.speaker for t in view.turns if t.speaker})
    roles = sorted({t.role for t in view.turns})
    with st.expander("Filter the transcript", icon=":material/filter_list:",
                     expanded=bool(st.session_state.get("f_text") or st.session_state.get("f_status"))):
        cols = st.columns(5)
        f = {
            "speaker": cols[0].multiselect("Speaker", speakers, key="f_speaker"),
            "role": cols[1].multiselect("Role", roles, key="f_role"),
            "code": cols[2].selectbox("Code", sorted(view.code_names, key=lambda c: view.code_names[c]),
                                      format_func=lambda c: view.code_names[c], index=None, key="f_code",
                                      placeholder="Any code"),
            "status": cols[3].multiselect("Status", list(STATUSES), format_func=STATUSES.get, key="f_status"),
            "text": cols[4].text_input("Text contains", key="f_text", placeholder="search words"),
        }
    return f


def _matches(turn: TurnView, ex: ExcerptView, f: dict[str, Any]) -> bool:
    if f["speaker"] and turn.speaker not in f["speaker"]:
        return False
    if f["role"] and turn.role not in f["role"]:
        return False
    if f["code"] and not ({c.code_id for c in ex.state.chips} | {c.code_id for c in ex.state.codings}) & {f["code"]}:
        return False
    if f["status"] and (not ex.codable or ex.state.status() not in f["status"]):
        return False
    if f["text"] and f["text"].strip().lower() not in ex.text.lower():
        return False
    return True


def filtered_turns(view: TranscriptView, f: dict[str, Any]) -> list[TurnView]:
    if not any(f.values()):
        return view.turns
    out = []
    for t in view.turns:
        kept = [e for e in t.excerpts if _matches(t, e, f)]
        if kept:
            out.append(TurnView(id=t.id, order=t.order, label=t.label, speaker=t.speaker, role=t.role,
                                start_ms=t.start_ms, excerpts=kept))
    return out


def next_excerpt(view: TranscriptView, after: int | None) -> int | None:
    """Where the coder goes next. Opening a document (``after`` None): its first excerpt that
    needs a decision, from the top. From an excerpt (N): the next one down the transcript that
    needs a decision, with a suggestion or without one (it may need a hand code), round to the
    top after the last. (Walk 6: N went to suggestions first and never stopped on the excerpts
    without one, the very ones a coder codes by hand. Walk 45: a document opened at its first
    excerpt with a suggestion, the 6th, and the five above it came up only after N went round the
    end; walk 43 saw the same.)"""
    order = [e for e in view.excerpts() if e.codable]
    if not order:
        return None
    if after is None:
        return next((e.id for e in order if e.state.pending or e.state.status() == "open"), None)
    pos = next((i for i, e in enumerate(order) if e.id == after), None)
    if pos is None:  # an excerpt not coded (an interviewer's line): from where it sits in the document
        # (walk 11: N there went back to the top)
        every = view.excerpts()
        at = next((i for i, e in enumerate(every) if e.id == after), None)
        later = {e.id for e in every[at + 1:]} if at is not None else set()
        pos = next((i for i, e in enumerate(order) if e.id in later), len(order)) - 1
    rest = order[pos + 1:] + order[:pos + 1]
    return next((e.id for e in rest if e.id != after and (e.state.pending or e.state.status() == "open")), None)


def wrapped(view: TranscriptView, cur: int | None, nxt: int) -> bool:
    """Whether going from ``cur`` to ``nxt`` went round past the end of the transcript."""
    place = {e.id: i for i, e in enumerate(view.excerpts())}
    return cur in place and place[nxt] <= place[cur]


def queue(ctx: ProjectContext, view: TranscriptView) -> list[int]:
    """The engine's review queue for this document (or document order without it).

    Computed once per document and coder (the engine's smart order costs a model pass),
    kept in the session; decided excerpts are skipped as the coder moves on.
    """
    cached = st.session_state.get("code_queue")
    if cached and cached["doc"] == view.document_id and cached["coder"] == ctx.coder and cached["ids"]:
        return cached["ids"]
    ids = None
    try:
        with st.spinner("Ordering the review queue…"):
            ids = list(suggest_svc.review_queue(ctx, document_id=view.document_id, limit=500))
    except QualcodeError as exc:  # e.g. no codable codes: fall back to document order
        st.caption(f"Review queue unavailable ({error_text(exc)}); using document order.")
    if ids is None:
        ids = [e.id for e in view.excerpts() if e.codable and e.state.status() == "pending"]
    else:  # the engine also ranks excerpts it suggests nothing for: those come after the ones to decide
        pending = {e.id for e in view.excerpts() if e.state.pending}
        ids = [i for i in ids if i in pending] + [i for i in ids if i not in pending]
    st.session_state["code_queue"] = {"doc": view.document_id, "coder": ctx.coder, "ids": ids}
    return ids


def queue_start(q: list[int], view: TranscriptView) -> int | None:
    """Where the Review queue opens: its first excerpt with a suggestion to decide, else its
    first excerpt not decided yet, else the next excerpt of the document that needs a decision."""
    by_id = {e.id: e for e in view.excerpts() if e.codable}
    queued = [by_id[i] for i in q if i in by_id]
    first = next((e for e in queued if e.state.pending), None) or next(
        (e for e in queued if e.state.status() == "open"), None)
    return first.id if first is not None else next_excerpt(view, None)


def _go_next_factory(ctx: ProjectContext, view: TranscriptView, q: list[int] | None):
    def go_next() -> None:
        cur = st.session_state.get("code_focus")
        nxt = None
        if q:
            pos = q.index(cur) if cur in q else -1
            done = {e.id for e in view.excerpts() if e.state.status() in ("coded", "reviewed")}
            done |= {cur} if cur is not None else set()
            nxt = next((i for i in q[pos + 1:] + q[:pos + 1] if i not in done), None)
        if nxt is None:
            nxt = next_excerpt(view, cur)
            if nxt is not None and wrapped(view, cur, nxt):
                # a toast: a message at the page's top sat behind the navigation, out of sight, while
                # the transcript scrolled to the excerpt (walk 7)
                flash("End of the transcript: back to the first excerpt above that still needs a decision.",
                      kind="toast")
        if nxt is None and st.session_state.get(NEXT_DOC) is not None:
            # the document is done: N (and A, D with nothing left to decide) opens the next one with
            # excerpts to decide, as the page's "Next document" button does (walk 38: a keyboard
            # coder pressed D six times on the last excerpt and stayed there)
            doc = st.session_state.pop(NEXT_DOC)
            _open_document(doc, ctx)
            flash("Every excerpt of that document has a decision: on to the next one.", kind="toast")
            return
        if nxt is not None:  # (none: the page says the document is done and offers the next, _next_document)
            st.session_state["code_focus"] = nxt
            st.session_state["code_jump"] = True
            # the excerpt left behind gets the newest suggestions; the new one keeps its chips
            suggest_svc.request_refresh(ctx, document_id=view.document_id, exclude=[nxt])
    return go_next


TRAIL = 100  # excerpts remembered for Previous (P)


def _remember_trail(focus: int | None) -> None:
    """Keep the excerpts the coder had open, in order, for Previous: each run that finds a new
    open excerpt records the one before it (unless Previous itself went back)."""
    seen = st.session_state.get("code_seen")
    back = st.session_state.pop("code_back", False)
    if seen is not None and seen != focus and not back:
        trail = st.session_state.setdefault("code_trail", [])
        trail.append(seen)
        del trail[:-TRAIL]
    st.session_state["code_seen"] = focus


def _go_prev_factory(view: TranscriptView):
    def go_prev() -> None:
        """Back to the excerpt the coder had open before (then the one before that ...); with
        none left, the previous excerpt of the document."""
        order = [e.id for e in view.excerpts() if e.codable]
        ids = set(order)
        cur = st.session_state.get("code_focus")
        trail = [i for i in st.session_state.get("code_trail", []) if i in ids and i != cur]
        if trail:
            prev = trail.pop()
            st.session_state["code_trail"] = trail
        else:
            pos = order.index(cur) if cur in order else 0
            if pos == 0:
                flash("This is the first excerpt of the document.", kind="info")
                return
            prev = order[pos - 1]
        st.session_state["code_focus"] = prev
        st.session_state["code_jump"] = True
        st.session_state["code_back"] = True
    return go_prev


def _suggest_now(ctx: ProjectContext, doc_id: int) -> None:
    """No suggestion on this document yet (none computed at import, or that was cut short: walk
    11 closed the tab while they were computed): say so, and compute them for this document or
    for every document at once."""
    st.caption("No suggestions for this document yet: the local model has not scored it (or its first "
               "scoring was interrupted). You can code by hand right away, or compute them now.")
    row = st.container(horizontal=True)
    one = row.button("Compute suggestions for this document", key="suggest-doc", icon=":material/auto_awesome:")
    every = row.button("… for every document", key="suggest-all", icon=":material/auto_awesome_motion:",
                       help="Scores the excerpts you have not reviewed in every document (a few seconds to "
                            "minutes, with progress)")
    if one:
        compute_suggestions(suggest_svc.suggest_document, ctx, doc_id)
    elif every:
        compute_suggestions(suggest_svc.suggest_all, ctx)


def _ago(seconds: float | None) -> str:
    if seconds is None:
        return "not yet"
    if seconds < 90:
        return f"{int(seconds)} s ago"
    if seconds < 5400:
        return f"{int(seconds // 60)} min ago"
    return f"{int(seconds // 3600)} h ago"


def learning_text(info: dict[str, Any]) -> str:
    """The Code page's line on what the coder is getting.

    >>> learning_text({"learned_from": 3, "updated_s": 4.2, "busy": "", "progress": (0, 0), "error": ""})
    'Suggestions learned from your decisions on 3 excerpts, updated 4 s ago'
    >>> learning_text({"learned_from": 0, "updated_s": 9, "busy": "refreshing", "progress": (50, 187),
    ...                "codebook": True, "error": ""})
    'Suggestions from the codebook only, updated 9 s ago · suggesting your codebook changes (50 of 187 excerpts)…'
    >>> learning_text({"learned_from": 163, "updated_s": 120, "busy": "", "progress": (0, 0), "error": "",
    ...                "others": [("bob", 42)]})
    "Suggestions learned from your decisions on 163 excerpts, updated 2 min ago · some on this document come from bob's model (learned from their decisions on 42 excerpts)"
    """
    n = info["learned_from"]  # excerpts decided (one excerpt may take several clicks)
    text = (f"Suggestions from {suggest_svc.whose_model(info.get('made_by'))} so far (yours learns from your decisions)"
            if info.get("colleague")
            else f"Suggestions learned from your decisions on {plural(n, 'excerpt')}" if n
            else "Suggestions from the codebook only")
    text += f", updated {_ago(info['updated_s'])}"
    if info.get("hidden"):  # independent coding: a colleague's model's suggestions are not shown (walk 18)
        text += (" · independent coding: suggestions a colleague's model made here are not shown; "
                 "your own model re-scores those excerpts")
    if info.get("others") and not info.get("colleague"):
        # suggestion rows are shared: a colleague's refresh re-scored excerpts this coder has not
        # reviewed after their own model last did (a walk: the line said 163 of yours, "Why?" 42)
        text += " · some on this document come from " + ", ".join(
            f"{suggest_svc.whose_model(who)} (learned from their decisions on {plural(k, 'excerpt')})"
            for who, k in info["others"])
    if info["busy"] == "loading":
        text += " · loading the local language model (up to a minute after the app starts)…"
    elif info["busy"] == "learning":
        text += " · learning from your latest decisions…"
    elif info["busy"] == "refreshing":
        done, total = info["progress"]
        what = "suggesting your codebook changes" if info.get("codebook") else "updating suggestions"
        # "0 of the 209" read as stuck (walk 15) while the first batch was being scored
        # the excerpts it re-scores, not "the N you have not reviewed": the open one keeps its chips and
        # is not among them (walk 20 read "the 313 you have not reviewed" against the 314 left)
        text += (f" · {what} ({done} of {total} excerpts)…" if total and done
                 else f" · {what} for {total} excerpts: starting…" if total else f" · {what}…")
    if info.get("error"):
        text += f" · last update failed: {info['error']}"
    return text


def _refresh_now(ctx: ProjectContext, doc_id: int) -> None:
    suggest_svc.request_refresh(ctx, document_id=doc_id, exclude=[st.session_state.get("code_focus")])
    flash("Updating suggestions in the background; they show as you move on.", kind="info")


LEARNING_HELP = ("The model relearns after each decision and re-scores the excerpts you have not reviewed yet, "
                 "this document first. The excerpt you are deciding keeps its suggestions until you move on.")


def _page_behind() -> bool:
    """On a tick of the learning line alone (no run of the whole page since its last tick): an
    action stored meanwhile opened an excerpt the page has not drawn (``code_drawn_focus``, set
    where the page draws the open excerpt). Every action that opens an excerpt reruns the whole
    page; once in CI a code typed in the transcript was stored and the page stayed on the
    excerpt open before, for 30 s, while this line ticked (tests/browser/test_transcript_view.py::
    test_coding_a_selection_opens_its_excerpt_and_keeps_the_scroll). A page left behind is
    redrawn, never a page in step."""
    run = st.session_state.get("code_page_run")
    ticked_in, st.session_state["code_tick_run"] = st.session_state.get("code_tick_run"), run
    if run is None or ticked_in != run or "code_drawn_focus" not in st.session_state:
        return False  # a tick inside a run of the whole page, or the page's first
    if st.session_state.get("code_view") == "Survey grid":
        return False
    focus = st.session_state.get("code_focus")
    behind = (focus, st.session_state["code_drawn_focus"])
    if focus is None or behind[0] == behind[1] or st.session_state.get("code_healed") == behind:
        return False  # in step (or redrawn for this once already: never a loop of reruns)
    st.session_state["code_healed"] = behind
    return True


@st.fragment(run_every=2.0)
def _learning_status(ctx: ProjectContext, doc_id: int) -> None:
    """The learning line, ticking: it follows codebook changes made anywhere (another page, tab
    or coder), shows the update's progress, and, once suggestions for a code new to this page
    are stored, offers to show them (walk 10: a code added on the Codebook page had its
    suggestions stored within a second, and the open Code page showed nothing of them until the
    coder clicked). It never reruns the page itself (but for a page left behind: _page_behind): a rerun in the middle of the coder's clicks
    loses them, and chips must not change under their eyes."""
    if _page_behind():
        st.rerun()  # the whole page, once: it shows the excerpt the coder's last action opened
    attempt(suggest_svc.follow_codebook, ctx, document_id=doc_id, exclude=[st.session_state.get("code_focus")])
    info = suggest_svc.learning_status(ctx, document_id=doc_id)
    if info.get("hidden") and not info.get("busy"):
        _blind_refresh(ctx, doc_id)
    st.caption(learning_text(info), help=LEARNING_HELP)
    seen = st.session_state.get("code_codes_seen")
    if info["busy"] or seen is None or seen[0] != doc_id:
        return
    here = attempt(suggest_svc.suggested_codes, ctx, doc_id) or set()
    new = here - seen[1]
    cb = attempt(ui_support.codebook, ctx)  # the codebook now: a new code is not in the page's names
    # every code suggested here, not only those new since the page's last run (walk 40: "the model
    # suggests it nowhere yet" beside the new code's chip on the open excerpt)
    _new_codes_elsewhere(ctx, doc_id, cb, here)
    if new:
        current = {c.id: c.name for c in cb.codes} if cb is not None else {}
        names = sorted(current.get(c, c) for c in new)
        if st.session_state.get("code_new_told") != new:  # said once where the coder is reading too
            st.session_state["code_new_told"] = new
            st.toast(f"New suggestions for {md(', '.join(names))}: “show them” at the top of the page.",
                     icon=":material/fiber_new:")
        if st.button(f"New suggestions for {md(', '.join(names))}: show them", key="code-new-suggestions",
                     icon=":material/fiber_new:", type="primary", on_click=_show_new, args=(ctx, doc_id, sorted(new))):
            st.rerun()


def _show_new(ctx: ProjectContext, doc_id: int, codes: list[str]) -> None:
    """"Show them": open the first excerpt with a new code's suggestion, scrolled into view (walk
    19: the button only went away, and nothing pointed to the new chips)."""
    first = attempt(suggest_svc.first_suggesting, ctx, doc_id, codes)
    if first is not None:
        st.session_state.update(code_focus=first, code_at=None, code_jump=True)


BLIND_REFRESH_S = 30.0  # at most one such refresh per document in this time


def _blind_refresh(ctx: ProjectContext, doc_id: int) -> None:
    """Independent coding, and a colleague's model re-scored excerpts of this document that this
    coder has not reviewed: those are hidden from this coder (they carry the colleague's
    decisions), so this coder's own model re-scores the document, in the background."""
    last = st.session_state.get("code_blind_refresh")
    if last and last[0] == doc_id and time.monotonic() - last[1] < BLIND_REFRESH_S:
        return
    st.session_state["code_blind_refresh"] = (doc_id, time.monotonic())
    suggest_svc.request_refresh(ctx, document_id=doc_id, exclude=[st.session_state.get("code_focus")], only=True)


def new_code_text(name: str, where: list[tuple[int, str, int]], here: int, esc=lambda t: t) -> str:
    """Where a code added since the document was opened is suggested (walk 19: a code added on
    the Codebook page had suggestions within a second, all in other documents, and the Code page
    said nothing for two minutes).

    >>> new_code_text("Youth", [(2, "focus group", 7), (3, "sunita", 2)], here=1)
    'New code Youth: suggested on 9 excerpts you have not reviewed, none in this document: focus group (7), sunita (2).'
    >>> new_code_text("Youth", [], here=1)
    'New code Youth: the model suggests it nowhere yet. Code a few excerpts with it by hand (T, or select words): it learns from them.'
    """
    n = sum(k for d, _name, k in where if d != here)
    if not n:
        return (f"New code {esc(name)}: the model suggests it nowhere yet. Code a few excerpts with it by hand "
                "(T, or select words): it learns from them.")
    return (f"New code {esc(name)}: suggested on {plural(n, 'excerpt')} you have not reviewed, none in this "
            "document: " + ", ".join(f"{esc(d_name)} ({k})" for d, d_name, k in where if d != here) + ".")


def _new_codes_elsewhere(ctx: ProjectContext, doc_id: int, cb, suggested_here: set[str]) -> None:
    """In the ticking line: codes added to the codebook since this document was opened whose
    suggestions are all elsewhere (or nowhere) get a line saying where, and a way there."""
    known = st.session_state.get("code_codebook_seen")
    if cb is None or known is None or known[0] != doc_id:
        return
    added = [c for c in cb.codable_codes() if c.id not in known[1] and c.id not in suggested_here and not c.retired]
    if not added:
        return
    where = attempt(suggest_svc.where_suggested, ctx, [c.id for c in added]) or {}
    for c in added:
        spots = [w for w in where.get(c.id, []) if w[0] != doc_id]
        st.caption(new_code_text(c.name, spots, doc_id, esc=md))
        if spots:
            target, target_name, _n = spots[0]
            if st.button(f"Open {md(target_name)}", key=f"code-new-open-{c.id}", icon=":material/arrow_forward:",
                         type="tertiary", on_click=_open_document, args=(target, ctx)):
                st.rerun()  # the whole page, from this ticking fragment


def _learning_line(ctx: ProjectContext, doc_id: int) -> None:
    """"Suggestions learned from your decisions on N excerpts, updated X s ago" and a refresh button;
    follows codebook changes (a new or edited code gets suggestions at once)."""
    st.session_state["code_codes_seen"] = (doc_id, attempt(suggest_svc.suggested_codes, ctx, doc_id) or set())
    known = st.session_state.get("code_codebook_seen")
    if known is None or known[0] != doc_id:  # the codes there when the document was opened
        cb = attempt(ui_support.codebook, ctx)
        st.session_state["code_codebook_seen"] = (doc_id, {c.id for c in cb.codes} if cb is not None else set())
    # on the page's own runs (the coder's actions), never on the line's ticks: the feature warm-up
    # waits for WARM_IDLE_S of quiet, and a 2 s tick would restart that wait for ever
    if not suggest_svc.follow_codebook(ctx, document_id=doc_id, exclude=[st.session_state.get("code_focus")]):
        suggest_svc.warm_up(ctx)  # the model loads while the coder reads, not on the first click
    row = st.container(horizontal=True, vertical_alignment="center", key="code-learning")
    st.session_state["code_page_run"] = st.session_state.get("code_page_run", 0) + 1  # a run of the whole page
    st.session_state["code_drawn_focus"] = st.session_state.get("code_focus")  # (refined where it is drawn)
    with row:
        _learning_status(ctx, doc_id)
    row.button("Refresh suggestions", key="refresh-suggestions", icon=":material/refresh:", type="tertiary",
               on_click=_refresh_now, args=(ctx, doc_id),
               help="Relearn from your decisions and re-score the excerpts you have not reviewed")


def _doc_picker(ctx: ProjectContext) -> tuple[int | None, dict[int, int]]:
    """The Document picker (and the way on from a finished document): the open document's id
    (None: no documents) and ``documents_left``."""
    docs = documents(ctx)
    if not docs:
        st.info("No transcripts yet. Import some on the **Import** page, then come back to code them.",
                icon=":material/upload_file:")
        return None, {}
    ids = [d["id"] for d in docs]
    names = distinct({d["id"]: d["name"] for d in docs})  # two files of one name stay apart
    if st.session_state.get("code_doc") not in ids:
        # back from another page (the selectbox's own state went with it): the document the
        # coder had open; in a new session (a reload) the page's address says which
        # which; a new tab on the bare page opens the document this coder last had open here
        kept, wanted = st.session_state.get("code_doc_kept"), str(st.query_params.get(DOC_PARAM) or "")
        last = state.LAST_DOC.get((ctx.db.url, ctx.coder))
        st.session_state["code_doc"] = (kept if kept in ids else int(wanted)
                                        if wanted.isdigit() and int(wanted) in ids else
                                        last if last in ids else ids[0])
    if "code_mode_kept" not in st.session_state and st.query_params.get(VIEW_PARAM) in MODES:
        st.session_state["code_mode_kept"] = st.query_params.get(VIEW_PARAM)
    left = documents_left(ctx)
    cols = st.columns([3, 2, 1], vertical_alignment="bottom")
    cols[0].selectbox("Document", ids, format_func=lambda i: names[i], key="code_doc",
                      on_change=lambda: st.session_state.update(code_focus=None, code_page=1))
    # The chosen view outlives visits to other pages (a widget's own state does not).
    cols[1].segmented_control("Work from", MODES, default=st.session_state.get("code_mode_kept", "Transcript"),
                              key="code_mode", required=True,
                              on_change=lambda: st.session_state.update(code_mode_kept=st.session_state.get("code_mode")),
                              help="Transcript: read and select text to code. Excerpts: chips on every sentence. "
                                   "Review queue: one excerpt at a time, in the order the model is least sure of.")
    cols[2].button("Undo", key="page-undo", icon=":material/undo:", on_click=undo_last, args=(ctx,),
                   help="Undo your last decision", width="stretch")
    # ... and the page's address keeps both, so a reload comes back to the same document and view
    st.session_state["code_doc_kept"] = st.session_state["code_doc"]
    state.LAST_DOC[(ctx.db.url, ctx.coder)] = st.session_state["code_doc"]
    st.query_params[DOC_PARAM] = str(st.session_state["code_doc"])
    st.query_params[VIEW_PARAM] = st.session_state.get("code_mode") or "Transcript"
    _next_document(ids, names, left, st.session_state["code_doc"])
    return st.session_state["code_doc"], left


def documents_left(ctx: ProjectContext) -> dict[int, int]:
    """Document id -> how many of its codable excerpts this coder has not decided yet (absent:
    nothing to code there)."""
    rows = attempt(ui_support.review_progress, ctx) or []
    return {r["id"]: max(0, r["codable"] - r["reviewed"].get(ctx.coder, 0)) for r in rows if r["codable"]}


def left_open_text(n: int) -> str:
    """The suggestions left open on decided excerpts, after the progress (``TranscriptView.left_open``).

    >>> left_open_text(2)
    ' · 2 suggestions left open on them (N goes there)'
    >>> left_open_text(0)
    ''
    """
    return f" · {plural(n, 'suggestion')} left open on them (N goes there)" if n else ""


def documents_done_text(left: dict[int, int]) -> str:
    """Where the coder stands across the project, after the open document's progress (walk 17
    wished for progress beyond the open document): empty with one document to code.

    >>> documents_done_text({1: 0, 2: 4, 3: 0})
    ' · 2 of 3 documents finished'
    >>> documents_done_text({1: 5})
    ''
    """
    if len(left) < 2:
        return ""
    return f" · {sum(1 for n in left.values() if not n)} of {len(left)} documents finished"


def late_code_text(late: dict[str, Any], esc=lambda t: t) -> str:
    """The line for a code added after this coder had finished excerpts (``suggest.late_codes``).

    >>> late_code_text({"name": "Water", "finished": 12, "looked": False, "open": 0})
    'Water was added after you had finished 12 excerpts: you have not looked at them for it.'
    >>> late_code_text({"name": "Water", "finished": 12, "looked": True, "open": 3})
    'Water is suggested on 3 excerpts you had finished before it was added: accept or reject each; then you can say it is on none of the others.'
    >>> late_code_text({"name": "Water", "finished": 12, "looked": True, "open": 0, "colleague": 2})
    'Water: a colleague applied it on 2 excerpts you had finished before it was added.'
    >>> late_code_text({"name": "Water", "finished": 9, "looked": True, "open": 0, "colleague": 0})
    'Water: nothing more was flagged on the 9 excerpts you had finished before it was added and have not decided for it yet.'
    """
    if late["open"]:
        return (f"{esc(late['name'])} is suggested on {plural(late['open'], 'excerpt')} you had finished before "
                "it was added: accept or reject each; then you can say it is on none of the others.")
    if late["looked"] and late.get("colleague"):
        return (f"{esc(late['name'])}: a colleague applied it on {plural(late['colleague'], 'excerpt')} you had "
                "finished before it was added.")
    if late["looked"]:
        return (f"{esc(late['name'])}: nothing more was flagged on the {plural(late['finished'], 'excerpt')} you had "
                "finished before it was added and have not decided for it yet.")  # (walk 45: nor rejected it on)
    return (f"{esc(late['name'])} was added after you had finished {plural(late['finished'], 'excerpt')}: you "
            "have not looked at them for it.")


def _late_codes(ctx: ProjectContext, doc_id: int) -> None:
    """Codes added after the coder had finished excerpts (walk 19: a code added mid-way was
    suggested only where the coder had not been yet, and Agreement then counted the finished
    excerpts as "not applied"): "Look again for it" scores those excerpts for that code and puts
    its chips there; "Show them" opens the first. Once looked at, with no chip left, "Not on any of
    them" says the code applies to none of the rest (walk 21: they stayed "not looked at" for learning
    and in Agreement's note, with no way to say so), and the line goes."""
    lates = attempt(suggest_svc.late_codes, ctx, document_id=doc_id) or []
    if not any(late["code_id"] == st.session_state.get(PREFER) and late["open"] for late in lates):
        st.session_state.pop(PREFER, None)  # its suggestions are decided: A and X take the likeliest again
    hidden = set(attempt(prefs.get_pref, ctx, "late_hidden", []) or [])
    for late in lates:
        quiet = late["looked"] and not late["open"] and not late["colleague"]
        if quiet and late["code_id"] in hidden:  # nothing left to show for it, and the coder hid the line
            continue
        with st.container(horizontal=True, vertical_alignment="center", key=f"code-late-{late['code_id']}"):
            st.caption(late_code_text(late, esc=md))
            if quiet:
                st.button("Not on any of them", key=f"code-late-none-{late['code_id']}", icon=":material/block:",
                          type="tertiary", on_click=_not_on_the_rest, args=(ctx, late["code_id"], late["name"]),
                          help=f"Say that {md(late['name'])} applies to none of these excerpts: each then counts as "
                               "looked at for it, a “no” (for the suggestions' learning, and for Agreement). Where it "
                               "does apply, code it by hand instead (T, or select words). Undo brings this line back.")
                st.button("Hide", key=f"code-late-hide-{late['code_id']}", icon=":material/visibility_off:",
                          type="tertiary", on_click=_hide_late, args=(ctx, late["code_id"], late["name"], hidden),
                          help=f"Hide this line and decide nothing: those excerpts stay not looked at for "
                               f"{md(late['name'])} (its learning leaves them out, and Agreement says so). The line "
                               "comes back if the code is suggested there again.")
            elif late["open"]:
                doc, name, excerpt = next_spot(late.get("spots") or [late["first"]], st.session_state.get("code_focus"))
                st.button("Show them" if doc == doc_id else f"Open {md(name)}", key=f"code-late-show-{late['code_id']}",
                          icon=":material/arrow_forward:", type="tertiary", on_click=_show_excerpt,
                          args=(doc, excerpt, ctx, late["code_id"]))
            elif st.button(f"Look again for {md(late['name'])}", key=f"code-late-look-{late['code_id']}",
                           icon=":material/manage_search:", type="tertiary",
                           help="Score the excerpts you finished before this code was added, for this code alone, "
                                "and show its suggestions there, beside your codes"):
                with st.spinner(f"Looking again at {plural(late['finished'], 'excerpt')} for {md(late['name'])}…"):
                    got = attempt(suggest_svc.look_again, ctx, late["code_id"])
                if got is not None:
                    flash(look_again_text(late["name"], got), kind="info")
                    st.session_state[PREFER] = late["code_id"]
                st.rerun()


def _hide_late(ctx: ProjectContext, code_id: str, name: str, hidden: set[str]) -> None:
    if in_callback(prefs.set_pref, ctx, "late_hidden", hidden | {code_id}) is not None:
        flash(f"Line hidden. The excerpts you had finished before {name} was added stay not looked at for it.",
              kind="info")


def next_spot(spots: list[tuple[int, str, int]], focus: int | None) -> tuple[int, str, int]:
    """Where "Show them" goes: the open suggestion after the excerpt in focus, round to the first
    (walk 23: with the first one open already, the button did nothing).

    >>> spots = [(1, "a", 10), (1, "a", 12), (2, "b", 30)]
    >>> next_spot(spots, None), next_spot(spots, 10), next_spot(spots, 30), next_spot(spots, 99)
    ((1, 'a', 10), (1, 'a', 12), (1, 'a', 10), (1, 'a', 10))
    """
    at = [e for _doc, _name, e in spots]
    return spots[(at.index(focus) + 1) % len(spots)] if focus in at else spots[0]


def _not_on_the_rest(ctx: ProjectContext, code_id: str, name: str) -> None:
    n = in_callback(coding.not_on_the_rest, ctx, code_id)
    if n:
        flash(f"{name}: {plural(n, 'excerpt')} you had finished before it was added now count as looked at, "
              "without it. Undo if that was too soon.", kind="success")
    after_decision(ctx)


def look_again_text(name: str, got: dict[str, int]) -> str:
    """What "Look again" found.

    >>> look_again_text("Water", {"finished": 12, "stored": 0})
    'Water: the model suggests it on none of the 12 excerpts you had finished before it was added. If it applies to one, code it by hand (T, or select words).'
    """
    if not got["stored"]:
        return (f"{name}: the model suggests it on none of the {plural(got['finished'], 'excerpt')} you had finished "
                "before it was added. If it applies to one, code it by hand (T, or select words).")
    return (f"{name}: suggested on {got['stored']} of the {plural(got['finished'], 'excerpt')} you had finished "
            "before it was added. Accept or reject each chip as usual: either way that excerpt counts as looked at "
            "for it.")


def _show_excerpt(doc_id: int, excerpt_id: int, ctx: ProjectContext | None = None, code_id: str | None = None) -> None:
    """Open an excerpt; ``code_id``: the code whose suggestion it is opened for, the one A and X
    then decide there (see ``PREFER``)."""
    if code_id is not None:
        st.session_state[PREFER] = code_id
    if ctx is not None and survey_grid.open_answer(ctx, excerpt_id=excerpt_id):  # a survey answer: in the grid
        return
    st.session_state.update(code_doc=doc_id, code_focus=excerpt_id, code_jump=True)


def _open_document(doc_id: int, ctx: ProjectContext | None = None) -> None:
    if ctx is not None and survey_grid.open_answer(ctx, document_id=doc_id):  # a respondent: in the grid
        return
    st.session_state.update(code_doc=doc_id, code_focus=None, code_page=1)


NEXT_DOC = "code_next_doc"  # the document N opens once the open one is done (set by _next_document)


def _next_document(ids: list[int], names: dict[int, str], left: dict[int, int], current: int) -> None:
    """Once every excerpt of the open document has a decision, the way on (walk 17: the page
    said so and stopped; A, D and N had nothing to move to): the next document with excerpts
    this coder has not decided, in the picker's order, or word that every document is done."""
    st.session_state.pop(NEXT_DOC, None)
    if left.get(current, 1):
        return
    pos = ids.index(current) if current in ids else -1
    nxt = next((i for i in ids[pos + 1:] + ids[:pos + 1] if left.get(i)), None)
    with st.container(key="code-doc-done"):
        if nxt is None:
            st.success(all_done_text(left, ids), icon=":material/task_alt:")
            return
        st.session_state[NEXT_DOC] = nxt  # where N goes from here (go_next)
        st.success("Every excerpt of this document has a decision.", icon=":material/task_alt:")
        # N: with an excerpt open, the side panel's Next goes here (go_next); with none open (the
        # document just chosen) there is no side panel, and N is this button's own key
        st.button(f"Next document: {names[nxt]} ({plural(left[nxt], 'excerpt')} to decide)", key="code-next-doc",
                  type="primary", icon=":material/arrow_forward:", on_click=_open_document, args=(nxt,),
                  shortcut="N" if st.session_state.get("code_focus") is None else None,
                  help="N does the same")


def all_done_text(left: dict[int, int], transcripts: list[int]) -> str:
    """What is left once every transcript is done: survey answers are decided on the Survey
    grid (walk 25: "every excerpt of every document has a decision" with 4 answers undecided).

    >>> all_done_text({1: 0, 2: 0}, [1, 2])
    'Every excerpt of every document has a decision. The counts are on the **Themes** page.'
    >>> all_done_text({1: 0, 7: 1, 8: 2}, [1])
    'Every excerpt of every transcript has a decision. 3 survey answers have none yet: choose **Survey grid** above.'
    """
    rest = sum(n for i, n in left.items() if i not in transcripts)
    if not rest:
        return "Every excerpt of every document has a decision. The counts are on the **Themes** page."
    return (f"Every excerpt of every transcript has a decision. {plural(rest, 'survey answer')} "
            f"{'has' if rest == 1 else 'have'} none yet: choose **Survey grid** above.")


def _page_size(ctx: ProjectContext) -> int:
    """Turns per page: this coder's saved choice (kept in the project, so it survives a new
    session and visits to other pages, where Streamlit forgets widget values)."""
    if "code_page_size" not in st.session_state:
        saved = attempt(prefs.get_pref, ctx, "turns_per_page", PAGE_SIZES[0])
        st.session_state["code_page_size"] = saved if saved in PAGE_SIZES else PAGE_SIZES[0]
    return st.session_state["code_page_size"]


def _remember_page_size(ctx: ProjectContext) -> None:
    in_callback(prefs.set_pref, ctx, "turns_per_page", st.session_state["code_page_size"])


def _page_of(turns: list[TurnView], focus: int | None, size: int) -> int:
    for i, t in enumerate(turns):
        if any(e.id == focus for e in t.excerpts):
            return i // size + 1
    return 1


def _keyboard(ctx: ProjectContext, by_id: dict, go_next, go_prev) -> dict:
    """The transcript's keyboard flow: N/P move as the side panel's Next and Previous do (N: the
    next excerpt that needs a decision; walk 10: in the transcript N stepped to the very next
    excerpt, decided or not, so D (which moves on) then N skipped one), A/X decide the best
    suggestion, D, U."""

    def move(go) -> None:
        st.session_state.pop("code_at", None)
        go()

    def decide_best(accept: bool) -> None:
        ex = by_id.get(st.session_state.get("code_focus"), (None, None))[0]
        if ex is not None and not ex.state.pending and accept:
            # A with nothing left to accept moves on, as the side panel's "All decided: next" (A)
            # says (walk 15: in the transcript it only said "press N", 4 times of 5)
            move(go_next)
            return
        if ex is None or not ex.state.pending:
            flash("This excerpt has no suggestion left to decide: press N for the next one.", kind="info")
            return
        best = ex.state.best_of(st.session_state.get(PREFER))
        decide(ctx, best.suggestion_id, ex.id, accept, best.code_id, best.code_name)

    def nothing() -> None:
        ex = by_id.get(st.session_state.get("code_focus"), (None, None))[0]
        if ex is None:
            flash("Open an excerpt first (click its text or press N), then press D.", kind="info")
            return
        if not ex.state.nothing_here()[2]:
            # nothing left to decide here (every suggestion decided, or coded with none open): D,
            # "nothing (more) here", moves on, as A does (a walk: after rejecting an excerpt's only
            # suggestion D only said "Already done ... A moves to the next excerpt")
            move(go_next)
            return
        nothing_here(ctx, ex, go_next)

    return {"next": lambda: move(go_next), "prev": lambda: move(go_prev), "accept": lambda: decide_best(True),
            "reject": lambda: decide_best(False), "nothing": nothing, "undo": lambda: undo_last(ctx)}


def _transcript_mode(ctx: ProjectContext, view: TranscriptView, turns: list[TurnView], by_id: dict,
                     focus: int | None, cb, code_options: dict[str, str], go_next, go_prev) -> None:
    codes = cb.codable_codes() if cb is not None else []
    st.caption("Select words with the mouse (or Shift+arrows, then Enter) and type a code to apply it · click coloured "
               "text to see or change its codes · dotted underline: suggestions to decide · "
               "keys: N/P next/previous, A/X accept/reject, T type a code, D nothing here, U undo, Esc out of a box")
    doc_memos = attempt(memo_svc.list_memos, ctx, document_id=view.document_id) or []
    transcript_view.document_memos(ctx, view.document_id, doc_memos)
    coding_memos: dict[int, list[str]] = {}
    for m in doc_memos:
        if m["coding_id"] is not None:
            coding_memos.setdefault(m["coding_id"], []).append(f"{m['coder']}: {m['text']}")
    with st.sidebar:
        st.subheader("Open excerpt")
        if focus in by_id:
            ex, turn = by_id[focus]
            # the codings' box under the suggestions, not above the decisions (walk 50: an accept
            # landed where "Nothing more here" had been; tests/browser/test_browser_sidebar_steady.py)
            panel(ctx, ex, turn, code_options=code_options, go_next=go_next, go_prev=go_prev, in_transcript=True,
                  codings_box=lambda: transcript_view.codings_panel(ctx, view, ex.id, code_options, coding_memos))
        else:
            st.caption("Click a sentence of the transcript to open it here.")
    transcript_view.transcript(ctx, view, turns, codes=codes, focus=focus,
                               all_codes=cb.codes if cb is not None else None,
                               actions=_keyboard(ctx, by_id, go_next, go_prev))


def render() -> None:
    _render()
    escape_leaves_boxes()  # last: it draws nothing


def _render() -> None:
    ctx = page_context("Code")
    if ctx is None:
        return
    chip_styles()
    st.session_state.pop("code_rerun_app", None)  # a whole-page run redraws the open excerpt anyway
    if survey_grid.render_if_chosen(ctx):
        return
    doc_id, left = _doc_picker(ctx)
    if doc_id is None:
        return
    view = attempt(ui_support.transcript_view, ctx, doc_id)
    if view is None:
        return
    done, total = view.progress()
    st.progress(done / total if total else 0.0,
                text=(f"{done} of {total} excerpts decided by {ctx.coder}" if total else "Nothing to code here")
                + left_open_text(view.left_open()) + documents_done_text(left))
    if not any(e.state.chips for e in view.excerpts()) and any(e.state.hidden for e in view.excerpts()):
        # independent coding: a colleague's refresh re-scored this document (walk 19: the page said
        # "the local model has not scored it"): this coder's own model scores it now
        st.caption("Independent coding: the suggestions on this document were made by a colleague's model, "
                   "which learned from their decisions, so they are not shown to you. Your own model is "
                   "scoring the document now; its suggestions show as you move on (or press Refresh).")
        _blind_refresh(ctx, doc_id)
    elif not any(e.state.chips for e in view.excerpts()):
        _suggest_now(ctx, doc_id)
    else:
        _learning_line(ctx, doc_id)
    _late_codes(ctx, doc_id)
    cb = attempt(ui_support.codebook, ctx)
    code_options = {c.id: c.name for c in cb.codable_codes()} if cb is not None else dict(view.code_names)
    by_id = {e.id: (e, t) for t in view.turns for e in t.excerpts}
    mode = st.session_state.get("code_mode") or "Transcript"
    q = queue(ctx, view) if mode == "Review queue" else None
    go_next = _go_next_factory(ctx, view, q)
    focus = st.session_state.get("code_focus")
    if not st.session_state.get("code_restored"):  # a new session (a reload): the address says where
        st.session_state["code_restored"] = True
        wanted = str(st.query_params.get(EX_PARAM) or "")
        if focus is None and wanted.isdigit() and int(wanted) in by_id:
            focus = st.session_state["code_focus"] = int(wanted)
            st.session_state["code_jump"] = True
    # Coming to the Review queue from another view: an excerpt with nothing to decide (clicked in
    # the transcript) gives way to the queue's first one that needs a decision.
    entering = mode == "Review queue" and st.session_state.get("code_mode_ran") != mode
    st.session_state["code_mode_ran"] = mode
    if mode == "Review queue" and (focus not in by_id or (entering and not by_id[focus][0].state.pending)):
        focus = st.session_state["code_focus"] = queue_start(q or [], view)
    elif focus not in by_id:
        focus = st.session_state["code_focus"] = next_excerpt(view, None)
        st.session_state["code_jump"] = True  # the transcript opens at the excerpt the sidebar shows
    _remember_trail(focus)
    suggest_svc.hold(ctx, focus)  # a colleague's refresh leaves its chips alone too (walk 13)
    go_prev = _go_prev_factory(view)
    if focus is not None:
        st.query_params[EX_PARAM] = str(focus)
    elif EX_PARAM in st.query_params:
        del st.query_params[EX_PARAM]
    st.session_state["code_drawn_focus"] = focus  # (see _page_behind)

    if mode == "Review queue":
        if focus is None:
            st.success("Nothing left to review in this document. Pick another document or switch to Transcript.")
            return
        ex, turn = by_id[focus]
        # every queued excerpt not decided yet, with or without a suggestion (walk 15: counting only
        # those with a suggestion, "5 left" stood still while the coder decided the others)
        undecided = [by_id[i][0] for i in q or [] if i in by_id and by_id[i][0].codable
                     and by_id[i][0].state.status() in ("pending", "open")]
        with_chips = sum(1 for e in undecided if e.state.pending)
        left = f"{len(undecided)} left in the queue" + (
            f", {with_chips} of them with suggestions" if with_chips != len(undecided) else "")
        prev_turn = next((t for t in view.turns if t.order == turn.order - 1), None)
        if prev_turn is not None:
            st.caption(f"Before — {prev_turn.speaker}")
            st.text(tail(" ".join(e.text for e in prev_turn.excerpts), 400), width="stretch")
        panel(ctx, ex, turn, code_options=code_options, go_next=go_next, go_prev=go_prev,
              position=f"({left})")
        return

    f = _filters(view)
    turns = filtered_turns(view, f)
    if not turns:
        st.info("No excerpt matches these filters. Clear them to see the whole transcript.")
        return
    if mode == "Transcript":
        _transcript_mode(ctx, view, turns, by_id, focus, cb, code_options, go_next, go_prev)
        return
    size = _page_size(ctx)
    pages = max(1, math.ceil(len(turns) / size))
    jump = st.session_state.pop("code_jump", False)
    if jump or "code_page" not in st.session_state:
        st.session_state["code_page"] = _page_of(turns, focus, size)
    st.session_state["code_page"] = min(max(1, st.session_state["code_page"]), pages)
    with st.sidebar:
        st.subheader("Open excerpt")
        if focus in by_id:
            ex, turn = by_id[focus]
            panel(ctx, ex, turn, code_options=code_options, go_next=go_next, go_prev=go_prev)
        else:
            st.caption("Click an excerpt (or ✎ beside it) to code it by hand, narrow the span or write a memo.")
    page = st.session_state["code_page"]
    focus_style(focus)
    for turn in turns[(page - 1) * size: page * size]:
        turn_block(ctx, turn, focus)
    nav = st.container(horizontal=True, vertical_alignment="center", key="code-pager")
    nav.number_input("Page", min_value=1, max_value=pages, key="code_page", width=140)
    nav.caption(f"of {pages} · {len(turns)} turns")
    nav.selectbox("Turns per page", PAGE_SIZES, key="code_page_size", width=140, on_change=_remember_page_size,
                  args=(ctx,))
    excerpt_clicks(focus if jump else None)  # draws nothing: last, so it moves nothing on the page

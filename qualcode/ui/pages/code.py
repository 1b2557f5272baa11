"""Code page: read a transcript as a conversation and decide on its suggestions.

Two ways to work: *Transcript* (the conversation, a page of turns at a time, chips on
every excerpt; the open excerpt's tools in the sidebar) and *Review queue* (one excerpt
at a time, in the engine's order, the next one coming by itself).
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from qualcode.services import prefs, ui_support
from qualcode.services.project import ProjectContext
from qualcode.services.ui_support import ExcerptView, TranscriptView, TurnView
from qualcode.ui.excerpt_panel import panel, undo_last
from qualcode.ui.state import attempt, flash, in_callback, page_context, service_fn
from qualcode.ui.text import tail
from qualcode.ui.transcript import turn_block

STATUSES = {"pending": "Has pending suggestions", "coded": "Coded by me", "reviewed": "Reviewed, no code",
            "open": "Not reviewed, no suggestions"}
PAGE_SIZES = [10, 20, 50, 100]


def documents(ctx: ProjectContext) -> list[dict[str, Any]]:
    fn = service_fn("ingest", "list_documents")
    docs = attempt(fn, ctx) if fn is not None else None
    if docs is None:
        docs = ui_support.documents(ctx)
    return [d if isinstance(d, dict) else vars(d) for d in docs]


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
    """The next excerpt needing a decision: pending suggestions first, then unreviewed."""
    order = [e for e in view.excerpts() if e.codable]
    if not order:
        return None
    pos = next((i for i, e in enumerate(order) if e.id == after), -1)
    rest = order[pos + 1:] + order[:pos + 1]
    for e in rest:  # undecided suggestions first (also on excerpts already partly decided)
        if e.state.pending and e.id != after:
            return e.id
    for e in rest:  # then excerpts nobody has looked at
        if e.state.status() == "open" and e.id != after:
            return e.id
    return None


def queue(ctx: ProjectContext, view: TranscriptView) -> list[int]:
    """The engine's review queue for this document (or document order without it).

    Computed once per document and coder (the engine's smart order costs a model pass),
    kept in the session; decided excerpts are skipped as the coder moves on.
    """
    cached = st.session_state.get("code_queue")
    if cached and cached["doc"] == view.document_id and cached["coder"] == ctx.coder and cached["ids"]:
        return cached["ids"]
    fn = service_fn("suggest", "review_queue")
    ids = None
    if fn is not None:
        try:
            with st.spinner("Ordering the review queue…"):
                ids = list(fn(ctx, document_id=view.document_id, limit=500))
        except Exception as exc:  # noqa: BLE001 - fall back to document order
            st.caption(f"Review queue unavailable ({exc}); using document order.")
    if ids is None:
        ids = [e.id for e in view.excerpts() if e.codable and e.state.status() == "pending"]
    st.session_state["code_queue"] = {"doc": view.document_id, "coder": ctx.coder, "ids": ids}
    return ids


def _go_next_factory(view: TranscriptView, q: list[int] | None):
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
        if nxt is None:
            flash("Every excerpt of this document has a decision.", kind="success")
        else:
            st.session_state["code_focus"] = nxt
            st.session_state["code_jump"] = True
    return go_next


def _suggest_now(ctx: ProjectContext, doc_id: int) -> None:
    fn = service_fn("suggest", "suggest_document")
    if fn is None:
        st.info("Suggestions are not available in this installation; code by hand with the ✎ button.")
        return
    if not st.button("Compute suggestions for this document", key="suggest-doc", icon=":material/auto_awesome:"):
        return
    with st.status("Computing suggestions with the local model…", expanded=True) as status:
        bar = st.progress(0.0)

        def progress(*args: Any, **_kw: Any) -> None:
            nums = [a for a in args if isinstance(a, (int, float))]
            if len(nums) >= 2 and nums[1]:
                bar.progress(min(1.0, nums[0] / nums[1]))
            texts = [a for a in args if isinstance(a, str)]
            if texts:
                status.update(label=texts[0])

        n = attempt(fn, ctx, doc_id, progress=progress)
        if n is not None:
            status.update(label=f"{n} suggestions ready.", state="complete")
            st.rerun()
        status.update(state="error")


def _doc_picker(ctx: ProjectContext) -> int | None:
    docs = documents(ctx)
    if not docs:
        st.info("No transcripts yet. Import some on the **Import** page, then come back to code them.",
                icon=":material/upload_file:")
        return None
    ids = [d["id"] for d in docs]
    names = {d["id"]: d["name"] for d in docs}
    if st.session_state.get("code_doc") not in ids:
        st.session_state["code_doc"] = ids[0]
    cols = st.columns([3, 2, 1], vertical_alignment="bottom")
    cols[0].selectbox("Document", ids, format_func=lambda i: names[i], key="code_doc",
                      on_change=lambda: st.session_state.update(code_focus=None, code_page=1))
    cols[1].segmented_control("Work from", ["Transcript", "Review queue"], default="Transcript", key="code_mode")
    cols[2].button("Undo", key="page-undo", icon=":material/undo:", on_click=undo_last, args=(ctx,),
                   help="Undo your last decision", width="stretch")
    return st.session_state["code_doc"]


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


def render() -> None:
    ctx = page_context("Code")
    if ctx is None:
        return
    doc_id = _doc_picker(ctx)
    if doc_id is None:
        return
    view = attempt(ui_support.transcript_view, ctx, doc_id)
    if view is None:
        return
    done, total = view.progress()
    st.progress(done / total if total else 0.0,
                text=f"{done} of {total} excerpts decided by {ctx.coder}" if total else "Nothing to code here")
    if not any(e.state.chips for e in view.excerpts()):
        _suggest_now(ctx, doc_id)
    cb = attempt(ui_support.codebook, ctx)
    code_options = {c.id: c.name for c in cb.codable_codes()} if cb is not None else dict(view.code_names)
    by_id = {e.id: (e, t) for t in view.turns for e in t.excerpts}
    mode = st.session_state.get("code_mode") or "Transcript"
    q = queue(ctx, view) if mode == "Review queue" else None
    go_next = _go_next_factory(view, q)
    focus = st.session_state.get("code_focus")
    if focus not in by_id:
        focus = st.session_state["code_focus"] = (q[0] if q else None) or next_excerpt(view, None)

    if mode == "Review queue":
        if focus is None:
            st.success("Nothing left to review in this document. Pick another document or switch to Transcript.")
            return
        ex, turn = by_id[focus]
        left = sum(1 for i in q or [] if i in by_id and by_id[i][0].state.status() == "pending")
        prev_turn = next((t for t in view.turns if t.order == turn.order - 1), None)
        if prev_turn is not None:
            st.caption(f"Before — {prev_turn.speaker}")
            st.text(tail(" ".join(e.text for e in prev_turn.excerpts), 400), width="stretch")
        panel(ctx, ex, turn, code_options=code_options, go_next=go_next, position=f"({left} left in the queue)")
        return

    f = _filters(view)
    turns = filtered_turns(view, f)
    if not turns:
        st.info("No excerpt matches these filters. Clear them to see the whole transcript.")
        return
    size = _page_size(ctx)
    pages = max(1, math.ceil(len(turns) / size))
    if st.session_state.pop("code_jump", False) or "code_page" not in st.session_state:
        st.session_state["code_page"] = _page_of(turns, focus, size)
    st.session_state["code_page"] = min(max(1, st.session_state["code_page"]), pages)
    with st.sidebar:
        st.subheader("Open excerpt")
        if focus in by_id:
            ex, turn = by_id[focus]
            panel(ctx, ex, turn, code_options=code_options, go_next=go_next)
        else:
            st.caption("Click ✎ beside an excerpt to code it by hand, narrow the span or write a memo.")
    page = st.session_state["code_page"]
    for turn in turns[(page - 1) * size: page * size]:
        turn_block(ctx, turn, focus)
    nav = st.container(horizontal=True, vertical_alignment="center", key="code-pager")
    nav.number_input("Page", min_value=1, max_value=pages, key="code_page", width=140)
    nav.caption(f"of {pages} · {len(turns)} turns")
    nav.selectbox("Turns per page", PAGE_SIZES, key="code_page_size", width=140, on_change=_remember_page_size,
                  args=(ctx,))

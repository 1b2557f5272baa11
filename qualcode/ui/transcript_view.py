"""The open document as a flowing conversation: highlights, suggestion marks, select to code.

A Streamlit custom component (components v2, no iframe; its JS and CSS live in
``ui/components/``). Python sends the turns (each turn's text as segments with their
document offsets), this coder's codings (highlights in the code's colour) and the excerpts
with pending suggestions (dotted underline). The browser sends back one-time events:

- ``code``: a selection ``{start, end, code}`` in document offsets (code points) -> one
  :func:`services.coding.code_selection` (one action, one undo);
- ``click``: a click on an excerpt ``{ex, at}`` -> it becomes the open excerpt (its chips,
  "Why?", memo in the sidebar) and the codings under the click are listed there to remove
  or recode;
- ``key``: the keyboard flow (n/p next/previous excerpt, a/x accept/reject the open
  excerpt's best suggestion, d nothing here, u undo).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import streamlit as st

from qualcode.services import coding
from qualcode.services.commands import one_undo
from qualcode.services.project import ProjectContext
from qualcode.services.suggest import FAR_FROM_SURE, sureness
from qualcode.services.ui_support import TranscriptView, TurnView
from qualcode.ui.state import after_decision, flash, in_callback
from qualcode.ui.text import md, plural
from qualcode.ui.transcript import new_code

PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45",
           "#469990", "#9a6324", "#800000", "#808000", "#000075", "#a9a9a9", "#ffe119", "#dcbeff"]


def _asset(name: str) -> str:
    return (Path(__file__).parent / "components" / name).read_text(encoding="utf-8")


TRANSCRIPT = st.components.v2.component(
    "qualcode_transcript",
    html=None,
    css=_asset("transcript.css"),
    js=_asset("offsets.js") + "\n" + _asset("transcript.js"),
)


RETIRED_COLOR = "#9e9e9e"  # codings of a code no longer offered (retired, or not codable now)


def code_colors(codes: list[Any]) -> dict[str, str]:
    """Each code's colour: its own, else a fixed palette by position (stable across reruns).
    ``codes``: the codable codes in codebook order, as the Code page draws them."""
    return {c.id: (c.color or PALETTE[i % len(PALETTE)]) for i, c in enumerate(codes)}


def segments(view: TranscriptView, turn: TurnView) -> list[dict[str, Any]]:
    """A turn's text as pieces with their document offsets: excerpts, and the text between."""
    out: list[dict[str, Any]] = []
    for i, ex in enumerate(turn.excerpts):
        if i and view.text:
            gap_start = turn.excerpts[i - 1].end
            gap = view.text[gap_start:ex.start]
            if gap:
                out.append({"s": gap_start, "t": gap, "ex": None})
        elif i:
            out.append({"s": ex.start, "t": " ", "ex": None})
        out.append({"s": ex.start, "t": ex.text, "ex": ex.id})
    return out


def groups_above(code: Any, by_id: dict[str, Any]) -> str:
    """The names of the groups a code sits under, outermost first ("Context and outcomes ›
    Reach"): the picker lists a group's codes when its name is typed (a group is not applied)."""
    names, seen, parent = [], set(), getattr(code, "parent", None)
    while parent and parent in by_id and parent not in seen:
        seen.add(parent)
        names.append(by_id[parent].name)
        parent = by_id[parent].parent
    return " › ".join(reversed(names))


def payload(view: TranscriptView, turns: list[TurnView], *, codes: list[Any], focus: int | None,
            recent: list[str], version: Any, scroll: bool, all_codes: list[Any] | None = None) -> dict[str, Any]:
    """What the component draws (JSON): turns, highlights, suggestion marks, the code list
    (each with the groups it sits under, from ``all_codes``: the whole codebook)."""
    colors = code_colors(codes)
    by_id = {c.id: c for c in (all_codes or codes)}
    highlights, marks = [], []
    for t in turns:
        for ex in t.excerpts:
            for c in ex.state.codings:
                highlights.append({"s": c.start, "e": c.end, "code": c.code_id, "coding": c.id})
            for chip in ex.state.pending:
                marks.append({"s": ex.start, "e": ex.end, "code": chip.code_id, "suggestion": chip.suggestion_id,
                              "words": f"{chip.probability:.0%} chance, {sureness(chip.probability)}",
                              "weak": chip.probability < FAR_FROM_SURE})
    return {
        "version": version,
        "turns": [{"order": t.order, "speaker": t.speaker, "role": t.role, "time": t.time,
                   "codable": any(e.codable for e in t.excerpts), "segments": segments(view, t)} for t in turns],
        "highlights": highlights,
        "marks": marks,
        "codes": [{"id": c.id, "name": c.name, "color": colors[c.id], "under": groups_above(c, by_id)}
                  for c in codes if not c.retired],
        # every code's name for the hover text, a retired one's marked so (walk 10: its raw id
        # showed), and a colour for codings of codes no longer offered
        "names": {c.id: c.shown_name for c in by_id.values()},
        "colors": {c.id: RETIRED_COLOR for c in by_id.values() if c.id not in colors},
        "recent": recent,
        "focus": focus,
        "scroll": scroll,
    }


def _event(key: str, name: str) -> Any:
    state = st.session_state.get(key)
    if state is None:
        return None
    return state.get(name) if isinstance(state, dict) else getattr(state, name, None)


def recent_codes() -> list[str]:
    return st.session_state.setdefault("code_recent", [])


def _remember(code_id: str) -> None:
    recent = [c for c in recent_codes() if c != code_id]
    st.session_state["code_recent"] = [code_id, *recent][:8]


def coded_excerpt(view: TranscriptView, start: int, end: int) -> tuple[int, int] | None:
    """The excerpt a selection ``[start, end)`` codes first (the first one it covers with more
    than white space) and the offset where its words begin, or None.

    >>> from qualcode.services.ui_support import ExcerptView, TurnView
    >>> ex = [ExcerptView(id=7, order=0, start=0, end=4, text="Yes.", codable=True, turn_order=0),
    ...       ExcerptView(id=8, order=1, start=5, end=9, text="Sure", codable=True, turn_order=0)]
    >>> v = TranscriptView(1, "d", {}, {}, [TurnView(1, 0, "A", "A", "participant", None, ex)], {}, "Yes. Sure")
    >>> coded_excerpt(v, 4, 9), coded_excerpt(v, 1, 3)
    ((8, 5), (7, 1))
    """
    for ex in view.excerpts():
        a, b = max(start, ex.start), min(end, ex.end)
        if a < b:
            piece = ex.text[a - ex.start:b - ex.start]
            if piece.strip():
                return ex.id, a + len(piece) - len(piece.lstrip())
    return None


def on_code(ctx: ProjectContext, view: TranscriptView, key: str) -> None:
    with one_undo():  # a new code made in the box and its first coding: one step for Undo
        _on_code(ctx, view, key)


def _on_code(ctx: ProjectContext, view: TranscriptView, key: str) -> None:
    ev = _event(key, "code")
    if not ev:
        return
    # A code the browser sent again (it saw no confirmation in time: see transcript.js) is
    # applied once; "acks" in the next draws confirms it.
    acks = st.session_state.setdefault("code_acks", [])
    nonce = ev.get("nonce")
    if nonce is not None:
        if nonce in acks:
            return
        acks.append(nonce)
        del acks[:-20]
    # Always redraw after a selection: the browser drew it at once, and a refused one must go.
    st.session_state["code_version"] = st.session_state.get("code_version", 0) + 1
    start, end = int(ev["start"]), int(ev["end"])
    code_id = str(ev["code"])
    if code_id.startswith(NEW_CODE):  # "New code “…”" in the box: added to the codebook, then applied
        code_id = new_code(ctx, view.code_names, code_id[len(NEW_CODE):], view.text[start:end])
        if code_id is None:
            return
    had = {c.id for e in view.excerpts() for c in e.state.codings}
    ids = in_callback(coding.code_selection, ctx, view.document_id, start, end, code_id)
    if ids and set(ids) <= had:  # every piece was coded so already: say so, never silence
        name = view.code_names.get(code_id, code_id)
        flash(f"These words already have {md(name)}: nothing changed.", kind="toast")  # seen wherever the page is scrolled
        return
    if ids:
        _remember(code_id)
        st.session_state["code_last_codings"] = ids
        hit = coded_excerpt(view, start, end)
        if hit is not None:  # the excerpt just coded is the open one (its codes in the sidebar); no jump
            st.session_state["code_focus"], st.session_state["code_at"] = hit
        after_decision(ctx)


NEW_CODE = "new:"  # the code box's "New code “…”" option (components/offsets.js)


def on_click(key: str) -> None:
    ev = _event(key, "click")
    if not ev:
        return
    st.session_state["code_focus"] = int(ev["ex"])
    st.session_state["code_at"] = int(ev["at"])


def on_key(key: str, actions: dict[str, Callable[[], None]]) -> None:
    ev = _event(key, "key")
    if ev and ev.get("action") in actions:
        actions[ev["action"]]()


def transcript(ctx: ProjectContext, view: TranscriptView, turns: list[TurnView], *, codes: list[Any],
               focus: int | None, actions: dict[str, Callable[[], None]], all_codes: list[Any] | None = None) -> None:
    """Mount the transcript component for the open document."""
    key = f"transcript-{view.document_id}"
    version = [view.document_id, focus, len(turns),
               sum(len(e.state.codings) * 7 + len(e.state.pending) for t in turns for e in t.excerpts),
               st.session_state.get("code_version", 0)]
    data = payload(view, turns, codes=codes, focus=focus, recent=recent_codes(), version=version,
                   scroll=bool(st.session_state.pop("code_jump", False)), all_codes=all_codes)
    data["doc"] = view.document_id  # a code sent again goes only to the same document's transcript
    data["acks"] = list(st.session_state.get("code_acks", []))  # codes received (see on_code)
    data["pick"] = st.session_state.pop("code_pick_now", None)  # "Type a code" (T): open the picker once
    TRANSCRIPT(key=key, data=data,
               on_code_change=lambda: on_code(ctx, view, key),
               on_click_change=lambda: on_click(key),
               on_key_change=lambda: on_key(key, actions))


def codings_at(view: TranscriptView, excerpt_id: int | None, at: int | None) -> list[Any]:
    """This coder's codings under a clicked point (or on the open excerpt)."""
    for t in view.turns:
        for ex in t.excerpts:
            if ex.id == excerpt_id:
                if at is None:
                    return list(ex.state.codings)
                return [c for c in ex.state.codings if c.start <= at < c.end] or list(ex.state.codings)
    return []


def _recode(ctx: ProjectContext, coding_id: int, key: str) -> None:
    new = st.session_state.get(key)
    if new:
        if in_callback(coding.recode, ctx, coding_id, new) is not None:
            _remember(new)
            after_decision(ctx)


def _remove(ctx: ProjectContext, coding_id: int) -> None:
    in_callback(coding.remove_coding, ctx, coding_id)
    after_decision(ctx)


def _save_coding_memo(ctx: ProjectContext, coding_id: int) -> None:
    key = f"cmemo-{coding_id}"
    if in_callback(coding.add_memo, ctx, st.session_state.get(key) or "", coding_id=coding_id) is not None:
        st.session_state[key] = ""
        flash("Memo saved on the coding.", kind="success")


def codings_panel(ctx: ProjectContext, view: TranscriptView, excerpt_id: int | None,
                  code_options: dict[str, str], coding_memos: dict[int, list[str]]) -> None:
    """The codings under the last click: code, coder, origin, memo; remove or recode."""
    found = codings_at(view, excerpt_id, st.session_state.get("code_at"))
    if not found:
        return
    st.markdown("**Your codes here**")  # the side panel's heading for them (excerpt_panel.panel)
    for c in found:
        with st.container(border=True, key=f"coded-{c.id}"):
            st.markdown(f"**{md(c.code_name)}** · “{md(c.span_text[:80])}{'…' if len(c.span_text) > 80 else ''}”")
            st.caption(f"by {md(ctx.coder)} · {c.origin}")
            for memo in coding_memos.get(c.id, []):
                st.text(memo)
            st.text_input("Memo on this coding", key=f"cmemo-{c.id}", placeholder="Why this code here?",
                          on_change=_save_coding_memo, args=(ctx, c.id))
            row = st.container(horizontal=True, vertical_alignment="bottom")
            row.selectbox("Recode as", [k for k in code_options if k != c.code_id], index=None,
                          format_func=code_options.get, key=f"recode-{c.id}", placeholder="Another code",
                          on_change=_recode, args=(ctx, c.id, f"recode-{c.id}"))
            row.button("Remove", key=f"uncode-at-{c.id}", icon=":material/delete:",
                       on_click=_remove, args=(ctx, c.id))


def _save_document_memo(ctx: ProjectContext, doc_id: int) -> None:
    key = f"dmemo-{doc_id}"
    if in_callback(coding.add_memo, ctx, st.session_state.get(key) or "", document_id=doc_id) is not None:
        st.session_state[key] = ""
        flash("Memo saved on the document.", kind="success")


def document_memos(ctx: ProjectContext, doc_id: int, memos: list[dict[str, Any]]) -> None:
    """The open document's own memos (not its excerpts'), and a box to write one."""
    own = [m for m in memos if m["kind"] == "document"]
    rest = len(memos) - len(own)  # on its excerpts and codings: shown where they are anchored
    title = f"Memos on the whole document ({len(own)})" + (f" · {rest} more on its passages" if rest else "")
    with st.expander(title, icon=":material/sticky_note_2:"):
        if rest:
            st.caption(f"{plural(rest, 'memo')} on this document's excerpts and codings: click the passage "
                       "to read them, or see them all on the **Memos** page.")
        for m in own:
            st.text(m["text"])
            st.caption(f"{m['coder']} · {m['created_at']:%Y-%m-%d %H:%M}" if m["created_at"] else m["coder"])
        st.text_area("New memo on this document", key=f"dmemo-{doc_id}",
                     placeholder="What stands out in this interview as a whole?")
        st.button("Save memo", key=f"dmemo-save-{doc_id}", icon=":material/sticky_note_2:",
                  on_click=_save_document_memo, args=(ctx, doc_id))

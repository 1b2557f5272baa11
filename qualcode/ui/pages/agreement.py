"""Agreement page: figures per code with their units, the disagreements to resolve, a
colleague's work brought in (.qdpx or coding CSV, previewed, one undo), the audit log with
filters, and the team's settings (independent coding)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from qualcode.services import codebook as cb_service
from qualcode.services import team
from qualcode.services.project import ProjectContext
from qualcode.ui import colleague
from qualcode.ui.state import attempt, flash, flash_undone, in_callback, page_context
from qualcode.ui.text import md, shorten

PAGE_SIZE = 20


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.0%}"


def _num(v: float | None) -> str:
    return "–" if v is None else f"{v:.2f}"


def code_names(ctx: ProjectContext) -> dict[str, str]:
    try:
        return {c.id: c.name for c in cb_service.get_codebook(ctx).codes}
    except Exception:  # names are a nicety; ids still work
        return {}


def figures_table(result: dict[str, Any], names: dict[str, str]) -> pd.DataFrame:
    """One row per code (then Overall): units, agreement, kappa, alpha and plain words."""
    two = len(result["coders"]) == 2
    unit = "excerpts" if result["level"] == "excerpt" else "characters"
    rows = []
    for code_id, f in [*result["codes"].items(), ("", result["overall"])]:
        kappa = f.get("cohen_kappa") if two else f.get("fleiss_kappa")
        rows.append({
            "Code": names.get(code_id, f.get("name", code_id)) if code_id else "Overall (pooled over codes in use)",
            f"Units ({unit})": f["units"],
            "Agreement": _pct(f["percent_agreement"]),
            "Cohen's kappa" if two else "Fleiss' kappa": _num(kappa),
            "Krippendorff's alpha": _num(f["krippendorff_alpha"]),
            "What it means": f["label"] + ("" if f["krippendorff_alpha"] is None else f"; alpha: {f['alpha_label']}"),
            **{f"Applied by {c}": f.get("applied", {}).get(c, "") for c in result["coders"]},
        })
    return pd.DataFrame(rows)


def _agreement_tab(ctx: ProjectContext, names: dict[str, str]) -> None:
    people = attempt(team.reviewing_coders, ctx) or []
    if len(people) < 1:
        st.info("Nobody has reviewed excerpts yet. Agreement compares coders on the excerpts they "
                "all reviewed (accepted, rejected, coded, or marked 'nothing here').")
        st.markdown(colleague.HOW_TO)
        return
    if len(people) < 2:
        st.info(colleague.HOW_TO, icon=":material/group_add:")
    c1, c2, c3 = st.columns([3, 1.3, 1.2])
    # Everyone by default; kept in session state so a merge can add the new coders (see ui.colleague).
    kept = st.session_state.get("agr-coders")
    st.session_state["agr-coders"] = [p for p in kept if p in people] if kept is not None else people[:]
    chosen = c1.multiselect("Coders to compare", people, key="agr-coders")
    level = c2.radio("Units", ["excerpt", "character"], key="agr-level", horizontal=True,
                     format_func=lambda v: "Excerpts" if v == "excerpt" else "Characters")
    engine = c3.checkbox("Include the suggestion engine", key="agr-engine",
                         help="The engine's 'coding' is the suggestions it showed for each excerpt.")
    if len(chosen) + int(engine) < 2:
        st.info("Choose two or more coders (or one coder and the suggestion engine).")
        return
    result = attempt(team.agreement, ctx, coders=chosen, level=level, include_engine=engine)
    if result is None:
        return
    overall = result["overall"]
    st.markdown(md(overall["summary"]))
    m = st.columns(5)
    m[0].metric("Excerpts all reviewed", overall.get("excerpts", result["units"]))
    m[1].metric("Same codes", _pct(overall.get("excerpt_agreement")),
                help="Share of excerpts on which every coder gave exactly the same set of codes.")
    m[2].metric("Excerpts that differ", overall.get("differ", "–"),
                help="These are the excerpts listed under Disagreements (resolved ones included).")
    kappa = overall.get("cohen_kappa", overall.get("fleiss_kappa"))
    m[3].metric("Cohen's kappa (pooled)" if "cohen_kappa" in overall else "Fleiss' kappa (pooled)", _num(kappa))
    m[4].metric("Krippendorff's alpha (pooled)", _num(overall["krippendorff_alpha"]))
    st.caption("'Same codes' counts whole excerpts. The table below goes code by code: agreement is the share "
               "of units where the coders made the same call on that code; the Overall row pools the "
               "decisions of the codes someone used (codes nobody used are left out). Kappa and alpha "
               "discount the agreement expected by chance: above 0.8 is reliable, 0.67–0.8 tentative.")
    st.dataframe(figures_table(result, names), hide_index=True, width="stretch")
    if result["pairs"]:
        st.subheader("Pairs")
        st.dataframe(pd.DataFrame([{
            "Coders": " vs ".join(p["coders"]), "Units": p["units"],
            "Agreement": _pct(p["overall"]["percent_agreement"]),
            "Cohen's kappa": _num(p["overall"].get("cohen_kappa")),
            "What it means": p["overall"]["label"],
        } for p in result["pairs"]]), hide_index=True, width="stretch")


def resolve(ctx: ProjectContext, excerpt_id: int, key: str) -> None:
    """on_click: record the codes chosen in the multiselect ``key`` as the consensus."""
    codes = st.session_state.get(key) or []
    r = in_callback(team.resolve_disagreement, ctx, excerpt_id, codes)
    if r is not None:
        flash(f"Consensus recorded for excerpt {excerpt_id}: {', '.join(r['codes']) or 'no code'}.", kind="success")


def take_version(key: str, codes: list[str]) -> None:
    """on_click: fill the consensus choice with one coder's codes."""
    st.session_state[key] = list(codes)


def _disagreement_card(ctx: ProjectContext, d: dict[str, Any], names: dict[str, str], options: list[str]) -> None:
    with st.container(border=True):
        status = " · resolved" if d["resolved"] else ""
        st.markdown(f"**{md(d['document'])}** · excerpt {d['order'] + 1}{status}")
        st.text(d["text"])
        cols = st.columns(len(d["coders"]))
        key = f"cons-{d['excerpt_id']}"
        for col, (coder, codes) in zip(cols, d["coders"].items()):
            col.markdown(f"**{md(coder)}**")
            col.markdown(", ".join(md(names.get(c, c)) for c in codes) or "_no code_")
            for memo in d["memos"].get(coder, []):
                col.caption(f"Memo: {shorten(memo, 300)}")
            col.button(f"Use {shorten(coder, 20)}'s codes", key=f"take-{d['excerpt_id']}-{coder}",
                       on_click=take_version, args=(key, codes), type="tertiary")
        if key not in st.session_state:
            st.session_state[key] = d["consensus"] if d["consensus"] is not None else d["agreed"]
        all_options = list(dict.fromkeys([*options, *st.session_state[key]]))
        st.multiselect("Agreed codes", all_options, key=key, format_func=lambda c: names.get(c, c))
        st.button("Record consensus", key=f"resolve-{d['excerpt_id']}", icon=":material/handshake:",
                  on_click=resolve, args=(ctx, d["excerpt_id"], key), type="primary")


def _disagreements_tab(ctx: ProjectContext, names: dict[str, str]) -> None:
    people = attempt(team.reviewing_coders, ctx) or []
    c1, c2 = st.columns([3, 1])
    chosen = c1.multiselect("Coders", people, default=people, key="dis-coders")
    show_resolved = c2.checkbox("Show resolved", key="dis-resolved")
    if len(chosen) < 2:
        st.info("Disagreements need two or more coders who reviewed the same excerpts.")
        return
    items = attempt(team.disagreements, ctx, coders=chosen, include_resolved=show_resolved) or []
    if not items:
        st.success("No open disagreements between these coders.")
        return
    n_resolved = sum(1 for d in items if d["resolved"])
    resolved_note = f" ({n_resolved} already resolved)" if n_resolved else ""
    st.caption(f"{len(items)} excerpts where the coders differ{resolved_note}. Pick the agreed codes and record the "
               "consensus; it is kept as separate consensus codings, and each coder's own work stays as it was.")
    pages = (len(items) - 1) // PAGE_SIZE + 1
    page = st.number_input("Page", 1, pages, 1, key="dis-page") if pages > 1 else 1
    options = sorted({c for d in items for codes in d["coders"].values() for c in codes}
                     | set(names), key=lambda c: names.get(c, c).lower())
    for d in items[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]:
        _disagreement_card(ctx, d, names, options)


def _undo(ctx: ProjectContext) -> None:
    flash_undone(in_callback(team.undo, ctx, 1), ctx)


def audit_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    def brief(v: Any) -> str:
        return "" if v is None else shorten(str(v), 120)

    return pd.DataFrame([{
        "When": r["at"].astimezone().strftime("%Y-%m-%d %H:%M:%S") if r["at"] else "",
        "Who": r["coder"] or "", "Action": r["action"], "What": f"{r['entity']} {r['entity_id']}",
        "Before": brief(r["before"]), "After": brief(r["after"]), "Undone": r["undone"],
    } for r in rows], columns=["When", "Who", "Action", "What", "Before", "After", "Undone"])


def _audit_tab(ctx: ProjectContext) -> None:
    coders = [c["coder"] for c in attempt(team.coders_summary, ctx) or []]
    actions = attempt(team.audit_actions, ctx) or []
    c = st.columns([1.3, 2, 1.2, 1.2, 0.8])
    who = c[0].selectbox("Coder", ["Everyone", *coders], key="aud-coder")
    picked = c[1].multiselect("Actions", actions, key="aud-actions")
    since = c[2].date_input("From", value=None, key="aud-since")
    until = c[3].date_input("To (inclusive)", value=None, key="aud-until")
    limit = c[4].number_input("Show", 10, 5000, 200, step=50, key="aud-limit")
    filters: dict[str, Any] = {
        "coder": None if who == "Everyone" else who, "action": picked or None,
        "since": datetime.combine(since, time.min).astimezone() if isinstance(since, date) else None,
        "until": datetime.combine(until + timedelta(days=1), time.min).astimezone() if isinstance(until, date) else None,
    }
    everything = attempt(team.audit_log, ctx, **filters) or []  # newest first; the downloads take it all
    st.dataframe(audit_frame(everything[:int(limit)]), hide_index=True, width="stretch", height=420)
    d1, d2, d3 = st.columns([1, 1, 2])
    oldest_first = everything[::-1]
    d1.download_button("Download CSV", team.audit_text(oldest_first, fmt="csv"),
                       file_name="audit.csv", mime="text/csv", icon=":material/download:")
    d2.download_button("Download JSON", team.audit_text(oldest_first, fmt="json"),
                       file_name="audit.json", mime="application/json", icon=":material/download:")
    d3.button("Undo my last decision", key="aud-undo", icon=":material/undo:", on_click=_undo, args=(ctx,))


def _set_independent(ctx: ProjectContext) -> None:
    on = bool(st.session_state.get("team-independent"))
    if in_callback(team.set_independent_coding, ctx, on) is not None:
        flash("Independent coding is " + ("on: coders now see only their own codings." if on else "off."),
              kind="info")


def _settings_tab(ctx: ProjectContext) -> None:
    current = attempt(team.independent_coding, ctx)
    st.session_state["team-independent"] = bool(current)
    st.toggle("Independent coding", key="team-independent", on_change=_set_independent, args=(ctx,),
              help="Each coder sees only their own codings (and consensus codings) until you reconcile.")
    st.caption(f"You are coding as **{md(ctx.coder)}**. Every decision is recorded under this name.")
    rows = attempt(team.coders_summary, ctx) or []
    if rows:
        st.dataframe(pd.DataFrame(rows).rename(columns={
            "coder": "Coder", "codings": "Codings", "reviewed": "Excerpts reviewed", "events": "Changes",
            "last_active": "Last active"}), hide_index=True, width="stretch")


def render() -> None:
    ctx = page_context("Agreement")
    if ctx is None:
        return
    names = code_names(ctx)
    tabs = st.tabs(["Agreement", "Disagreements", "Bring in a colleague's work", "Audit log", "Team"])
    with tabs[0]:
        _agreement_tab(ctx, names)
    with tabs[1]:
        _disagreements_tab(ctx, names)
    with tabs[2]:
        colleague.render(ctx)
    with tabs[3]:
        _audit_tab(ctx)
    with tabs[4]:
        _settings_tab(ctx)

"""Import page: upload many transcripts, preview each parse, set roles and attributes,
optionally de-identify with a names list, then save (each file on its own).

Across the files the coder confirms who the interviewer is (proposed from how people
talk) and merges one person written several ways (``JOHN SMITH``, ``John``), once for all
files. Captions whose times cannot be read can be imported as text."""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePath
from typing import Any

import pandas as pd
import streamlit as st

from qualcode.core import Role
from qualcode.services import analysis as analysis_svc
from qualcode.services import ingest as ingest_svc
from qualcode.services.project import ProjectContext
from qualcode.services.ui_support import format_ms, sidecar_attributes, table_rows_after_import
from qualcode.ui import survey_import
from qualcode.ui.state import attempt, error_text, page_context
from qualcode.ui.text import md, md_quoting, plural, wrong_kind

ROLES = [r.value for r in Role]
ASKING = ("interviewer", "facilitator")
#: the option the app's "already imported" message points to (services.ingest.AlreadyImported)
REPLACE_LABEL = "Replace documents already imported"


def _parse(ctx: ProjectContext, name: str, data: bytes, *, unit: str, roles: dict[str, str] | None = None,
           without_times: bool = False) -> Any:
    """Parse an upload for the preview with the project's settings and coded roles."""
    return ingest_svc.parse_bytes(data, name, unit=unit, roles=roles or None, without_times=without_times,
                                  codable_roles=ingest_svc.codable_roles(ctx), project_dir=ctx.project_dir)


def _merged(parsed: Any, merges: list[tuple[tuple[str, ...], str]]) -> Any:
    """``parsed`` with the coder's merges applied (each to the labels this file has)."""
    for labels, into in merges:
        have = {t.speaker for t in parsed.raw.turns}
        present = [lab for lab in labels if lab in have]
        if present and (len(present) > 1 or present[0] != into):
            parsed = ingest_svc.merge_parsed_speakers(parsed, present, into)
    return parsed


def _parsed(cache: dict, ctx: ProjectContext, i: int, name: str, data: bytes, *, unit: str,
            merges: list[tuple[tuple[str, ...], str]] | None = None) -> tuple[str, Any]:
    """Parse (cached); merge speakers and apply the roles the coder chose in the preview, so
    the preview's codable excerpts follow the roles before anything is saved.

    Returns ("ok", parsed), ("no_times", message) for captions whose times cannot be read,
    or ("error", message)."""
    digest = hashlib.sha256(data).hexdigest()
    no_times = bool(st.session_state.get(f"imp-notimes-{digest}"))
    merges = list(merges or [])

    def cached(roles: dict[str, str]) -> tuple[str, Any]:
        key = (name, digest, unit, no_times, tuple(merges), tuple(sorted(roles.items())))
        if key not in cache:
            try:
                base_key = (name, digest, unit, no_times, tuple(merges), ())
                if roles and base_key in cache and cache[base_key][0] == "ok":
                    cache[key] = ("ok", ingest_svc.reparse(cache[base_key][1], roles=roles))
                else:
                    parsed = _merged(_parse(ctx, name, data, unit=unit, without_times=no_times), merges)
                    cache[key] = ("ok", ingest_svc.reparse(parsed, roles=roles) if roles else parsed)
            except ingest_svc.NoReadableTimes as exc:
                cache[key] = ("no_times", error_text(exc))
            except Exception as exc:  # noqa: BLE001 - shown per file
                cache[key] = ("error", error_text(exc))
        return cache[key]

    kind, parsed = cached({})
    if kind != "ok":
        return kind, parsed
    changed = {}
    for sp in parsed.document.speakers:
        chosen = st.session_state.get(f"imp-role-{i}-{sp.label}")
        if chosen and chosen != getattr(sp.role, "value", None):
            changed[sp.label] = chosen
    return cached(changed) if changed else (kind, parsed)


def _touch(key: str, name: str) -> None:
    """on_change of a speaker's role in a file's preview: the coder's own choice for that
    file, which neither the list of interviewers nor Import overrides."""
    st.session_state.setdefault("imp_touched", {})[key] = name


def _touched(key: str, name: str) -> bool:
    return (st.session_state.get("imp_touched") or {}).get(key) == name


def _list_plan(parsed: dict[int, tuple[str, Any]], chosen: set[str]) -> tuple[dict[str, str], list[tuple]]:
    """What applying the list of interviewers ``chosen`` does: ({widget key: new role} for
    the speakers it changes, [(file, label, role)] for the roles the coder set in a file's
    preview, which it keeps).

    A listed speaker becomes what the file itself says they are when that is interviewer or
    facilitator (an "Interviewer:" label), else what they were proposed as, else interviewer
    (facilitator with more than two named people); a speaker taken off the list becomes a
    participant."""
    guesses = st.session_state.get("imp_guesses", {})
    changes: dict[str, str] = {}
    kept: list[tuple[str, str, str]] = []
    for i, (name, p) in parsed.items():
        named = [sp for sp in p.document.speakers if sp.role.value != "unknown"]
        as_read = ingest_svc.roles_as_read(p)
        for sp in p.document.speakers:
            role = sp.role.value
            if sp.label in chosen and role not in ASKING:
                g = guesses.get(i)
                if as_read.get(sp.label) in ASKING:
                    new = as_read[sp.label]
                elif g is not None and g.label == sp.label:
                    new = g.role
                else:
                    new = "facilitator" if len(named) > 2 else "interviewer"
            elif sp.label not in chosen and role in ASKING:
                new = "participant"
            else:
                continue
            key = f"imp-role-{i}-{sp.label}"
            if _touched(key, name):
                kept.append((name, sp.label, role))
            else:
                changes[key] = new
    return changes, kept


def _apply_interviewers(parsed: dict[int, tuple[str, Any]], key: str) -> None:
    """Set the chosen labels as interviewer (or facilitator) in every file; labels taken
    out of the choice become participants. A role the coder set in a file's preview is kept
    (and the page says so)."""
    chosen = set(st.session_state.get(key) or [])
    changes, kept = _list_plan(parsed, chosen)
    for k, role in changes.items():
        st.session_state[k] = role
    st.session_state[f"{key}-applied"] = sorted(chosen)
    st.session_state[f"{key}-kept"] = kept


def _unapplied(key: str) -> bool:
    """Whether the list of interviewers differs from what was last applied (its proposals
    pre-filled, or a change since the last Apply)."""
    return key in st.session_state and \
        sorted(st.session_state.get(key) or []) != st.session_state.get(f"{key}-applied")


def _apply_before_import(parsed: dict[int, tuple[str, Any]], key: str) -> None:
    """on_click of Import: a choice of interviewers that was never applied (the proposals
    pre-filled in the list, or a list changed since the last Apply) is applied first, as
    the note above the button says. The list says their words are not coded; importing
    without pressing Apply used to code them. A role the coder set in a file's preview is
    never overridden: what the preview shows for it is what is stored."""
    if _unapplied(key):
        _apply_interviewers(parsed, key)


def _kept_text(kept: list[tuple[str, str, str]]) -> str:
    return "; ".join(f"{md(label)} in {md(name)} stays {role}" for name, label, role in kept)


def _before_import_note(parsed: dict[int, tuple[str, Any]], key: str) -> None:
    """Above the Import button: what Import will change because the list of interviewers
    was not applied, said before the coder presses it."""
    if not _unapplied(key):
        return
    changes, kept = _list_plan(parsed, set(st.session_state.get(key) or []))
    if not changes and not kept:
        return
    if not changes:
        st.info("The roles you set in a file's preview are kept, whatever the list of interviewers and "
                f"facilitators above says: {_kept_text(kept)}.", icon=":material/info:")
        return
    files = {i: name for i, (name, _p) in parsed.items()}
    by_change: dict[tuple[str, str], list[str]] = {}
    for k, role in changes.items():
        i, label = k[len("imp-role-"):].split("-", 1)
        by_change.setdefault((label, role), []).append(files[int(i)])
    said = "; ".join(f"{md(label)} becomes {role} in {', '.join(md(n) for n in names)}"
                     for (label, role), names in by_change.items())
    text = ("The list of interviewers and facilitators above is not applied yet, so Import applies it first: "
            f"{said}. ")
    if kept:
        text += f"The roles you set in a file's preview are kept ({_kept_text(kept)}). "
    text += "To check the roles before importing, press **Apply to all files** and look at each file's preview."
    st.info(text, icon=":material/info:")


def _add_merge(key: str, name_key: str) -> None:
    labels = tuple(st.session_state.get(key) or [])
    into = " ".join(str(st.session_state.get(name_key) or "").split()) or (labels[0] if labels else "")
    if len(labels) >= 1 and into:
        st.session_state.setdefault("imp_merges", []).append((labels, into))
    st.session_state.pop(key, None)
    st.session_state.pop(name_key, None)


def _speakers_panel(parsed: dict[int, tuple[str, Any]], nonce: int) -> None:
    """Who the interviewer is and who is one person, decided once for all the files."""
    if not parsed:
        return
    labels = list(dict.fromkeys(sp.label for _n, p in parsed.values() for sp in p.document.speakers))
    guesses = ingest_svc.propose_interviewers({i: p for i, (_n, p) in parsed.items()})
    st.session_state["imp_guesses"] = guesses
    with st.container(border=True):
        st.markdown("**Speakers in these files**")
        by_label: dict[str, list] = {}
        for _i, g in guesses.items():
            if g is not None:
                by_label.setdefault(g.label, []).append(g)
        for label, gs in by_label.items():
            st.info(f"**{label}** talks like the {gs[0].role} in {len(gs)} of {len(parsed)} file(s): "
                    f"{gs[0].reason}. Their words would be offered for coding unless you confirm below.",
                    icon=":material/record_voice_over:")
        asking = [sp.label for _n, p in parsed.values() for sp in p.document.speakers if sp.role.value in ASKING]
        key = f"imp-iv-{nonce}"
        cols = st.columns([4, 1], vertical_alignment="bottom")
        cols[0].multiselect("Interviewers and facilitators (their words are not coded), in every file",
                            labels, default=list(dict.fromkeys(asking + list(by_label))), key=key,
                            help="Proposed from how people talk: questions, short turns, who speaks first "
                                 "and between the others.")
        cols[1].button("Apply to all files", key=f"imp-iv-go-{nonce}", on_click=_apply_interviewers,
                       args=(parsed, key), icon=":material/done_all:")
        kept = st.session_state.get(f"{key}-kept")
        if kept and not _unapplied(key):
            st.caption(f"Applied to all files, except the roles you set in a file's preview: {_kept_text(kept)}. "
                       "Change those in the file's preview.")
        groups = ingest_svc.speaker_merge_candidates(labels)
        done = len(st.session_state.get("imp_merges") or [])
        # New widget keys after each merge: the pickers start empty (or on the next proposal).
        mkey, nkey = f"imp-merge-{nonce}-{done}", f"imp-merge-name-{nonce}-{done}"
        if groups:
            st.caption("May be one person: " + "; ".join(" / ".join(g) for g in groups))
        cols = st.columns([3, 2, 1], vertical_alignment="bottom")
        picked = cols[0].multiselect("One person written several ways", labels,
                                     default=groups[0] if groups and mkey not in st.session_state else None,
                                     key=mkey)
        cols[1].text_input("Name to keep", key=nkey, placeholder=picked[0] if picked else "")
        cols[2].button("Merge", key=f"imp-merge-go-{nonce}", on_click=_add_merge, args=(mkey, nkey),
                       disabled=not picked, icon=":material/merge:")
        merges = st.session_state.get("imp_merges") or []
        if merges:
            st.caption("Merged: " + "; ".join(f"{' + '.join(labs)} → {into}" for labs, into in merges))
            st.button("Undo the merges", key=f"imp-merge-undo-{nonce}",
                      on_click=lambda: st.session_state.pop("imp_merges", None))


def _attrs_from(text: str) -> dict[str, str]:
    """``year=2021, district=North`` -> {"year": "2021", "district": "North"}.

    >>> _attrs_from("year=2021, district = North")
    {'year': '2021', 'district': 'North'}
    """
    out = {}
    for part in text.replace(";", ",").replace("\n", ",").split(","):
        if "=" in part:
            k, v = part.split("=", 1)
            if k.strip():
                out[k.strip()] = v.strip()
    return out


def _in_project(i: int, name: str, found: Any, *, replace: bool, nonce: int = 0) -> dict[str, Any]:
    """A file already in the project, flagged above its preview before anything is saved:
    the same content (imported before: not imported again unless replaced) or the same
    document name with other content (an edited copy: it would make a second document of
    that name and skew every count, so it waits for the coder's choice: a second document,
    named "name (2)", or a replacement).

    Returns what Import does with it: {"skip": the reason, naming the file and what to do},
    or {"label": the preview's note} with {"replaces": id} or {"second": True} ({} keys
    besides the label: a replacement of the same content, by the Replace option)."""
    doc, file = md(found.same_content_name or found.name), md(name)
    if found.same_content is not None:
        n = found.same_content
        if replace:
            st.warning(f"**{file}** is already in this project as document {n} ({doc}), with the same content. "
                       f"Importing replaces that document, and its codings go with it. To keep it, untick "
                       f"'{REPLACE_LABEL}' under Options.", icon=":material/warning:")
            return {"label": f"replaces document {n}",
                    "note": f"replaced document {n}, which had the same content (its codings went with it)"}
        reason = (f"{name}: already in this project as document {n} ({found.same_content_name}), with the same content, so "
                  f"it was not imported again. To import it again, tick '{REPLACE_LABEL}' under Options and upload "
                  "it again; the old document and its codings are then replaced.")
        st.warning(f"**{file}** is already in this project as document {n} ({doc}), with the same content, so "
                   f"it is not imported again. To import it again, tick '{REPLACE_LABEL}' under Options; the "
                   "old document and its codings are then replaced.", icon=":material/warning:")
        return {"skip": reason, "label": "already in this project, not imported"}
    ids = list(found.same_name)
    where = f"document {ids[0]}" if len(ids) == 1 else "documents " + ", ".join(map(str, ids))
    box = st.container()
    second = st.checkbox(f"Import {name} as a second document, named {found.second_name}",
                         key=f"imp-second-{nonce}-{i}-{name}",
                         help="Both documents are then counted, each under its own name.")
    said = f"A document named **{doc}** is already in this project ({where}), with other content."
    if second:
        box.warning(f"{said} **{file}** is imported as a second document, named {md(found.second_name)}; "
                    "both are counted.", icon=":material/warning:")
        return {"second": True, "label": f"imported as a second document, {found.second_name}"}
    if replace and len(ids) == 1:
        box.warning(f"{said} Importing replaces it with **{file}**, and its codings go with it. To keep it, "
                    f"untick '{REPLACE_LABEL}' under Options.", icon=":material/warning:")
        return {"replaces": ids[0], "label": f"replaces document {ids[0]}",
                "note": f"replaced document {ids[0]} (its codings went with it)"}
    if replace:
        reason = (f"{name}: several documents are named {found.name} ({where}), so it is not clear which one "
                  f"it would replace, and it was not imported. Upload it again and tick 'Import {name} as a "
                  "second document', or delete the copies you do not want on the Documents page first.")
        box.warning(f"Several documents are named **{doc}** ({where}), so it is not clear which one **{file}** "
                    "would replace: it is not imported. Tick the box below to import it as a second document, or "
                    "delete the copies you do not want on the Documents page first.", icon=":material/warning:")
        return {"skip": reason, "label": "not imported"}
    reason = (f"{name}: a document named {found.name} is already in this project ({where}), with other content, "
              "so it was not imported (it would have made a second document with that name). To import it, "
              f"upload it again and tick 'Import {name} as a second document' under the warning about it (it "
              f"is then named {found.second_name}), or tick '{REPLACE_LABEL}' under Options to replace {where} "
              "with it (its codings go with it).")
    box.warning(f"{said} **{file}** is not imported unless you choose: tick the box below to add it as a "
                f"second document, named {md(found.second_name)}, or tick '{REPLACE_LABEL}' under Options to "
                f"replace {where} with it (its codings go with it).", icon=":material/warning:")
    return {"skip": reason, "label": "a document of this name is in the project, not imported"}


def _preview(i: int, name: str, parsed: Any, sidecar: dict[str, Any], note: str = "") -> dict[str, Any]:
    """Show one parsed file; return the coder's choices (roles, attributes). ``note``: what
    Import does with a file already in the project (the expander says it, in yellow)."""
    doc = parsed.document
    problems = list(getattr(parsed, "problems", []))
    errors = [p for p in problems if getattr(p, "severity", "error") == "error"]
    notes = [p for p in problems if getattr(p, "severity", "") == "note"]  # nothing wrong: said in grey
    warned = [p for p in problems if p not in errors and p not in notes]
    icon = ":material/error:" if errors else (
        ":material/warning:" if warned or note else ":material/check_circle:")
    # a file with a problem opens by itself (walk 20: "no speaker labels found: imported as one
    # unknown speaker" sat in a closed box, and the file would have been imported unread)
    with st.expander(f"{name} — {plural(len(doc.speakers), 'speaker')}, {plural(len(doc.turns), 'turn')}, "
                     f"{plural(sum(1 for e in doc.excerpts if e.codable), 'codable excerpt')}"
                     + (f" ({note})" if note else ""), icon=icon, expanded=i == 0 or bool(errors or warned)):
        # the file's words, literally (walk 8: "->" drawn as an arrow), in code with no hidden
        # character (walk 26: copied, they were not found in the file)
        for p in problems:
            (st.error if p in errors else st.caption if p in notes else st.warning)(md_quoting(str(p)))
        st.markdown("**Speakers and roles** (participants' words are coded; interviewers' are not)")
        roles = {}
        cols = st.columns(min(4, max(1, len(doc.speakers))))
        for j, sp in enumerate(doc.speakers):
            role = sp.role.value if hasattr(sp.role, "value") else str(sp.role)
            key = f"imp-role-{i}-{sp.label}"
            # A role set for all files (or the widget's own state) is in session state already.
            index = {} if key in st.session_state else {
                "index": ROLES.index(role) if role in ROLES else ROLES.index("unknown")}
            roles[sp.label] = cols[j % len(cols)].selectbox(sp.label, ROLES, key=key, on_change=_touch,
                                                            args=(key, name), **index)
        header = {k: getattr(a, "value", a) for k, a in doc.attributes.items()}
        if header:
            st.caption("From the file's header (kept as attributes): "
                       + "; ".join(f"{k}: {v}" for k, v in header.items()))
        named = getattr(getattr(parsed, "raw", None), "named", None)
        if named:
            st.caption("Names in the header (used for the roles, not stored): "
                       + "; ".join(f"{k}: {v}" for k, v in named.items()))
        known = dict(sidecar.get("documents", {}).get(name, {}))
        attrs = st.text_input("Attributes (key=value, comma separated)",
                              value=", ".join(f"{k}={v}" for k, v in known.items()),
                              key=f"imp-attrs-{i}-{sidecar.get('digest', '')}",
                              placeholder="year=2021, district=North, format=interview")
        speaker_attrs = sidecar.get("speakers", {}).get(name, {})
        if speaker_attrs:
            st.caption("Speaker attributes from the table: " + "; ".join(
                f"{label}: " + ", ".join(f"{k}={v}" for k, v in a.items()) for label, a in speaker_attrs.items()))
        text = doc.text
        # In a timed file, a turn without a time (its cue time could not be read) says so.
        untimed = "no time" if any(t.start_ms is not None for t in doc.turns) else ""
        rows = [{"speaker": t.speaker, "role": roles.get(t.speaker, ""), "time": format_ms(t.start_ms) or untimed,
                 "text": text[t.start:t.end]} for t in doc.turns[:200]]
        # a short file's rows and no empty ones under them (walk 47: 4 blank rows under a 2-turn file)
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", height="content" if len(rows) <= 6 else 240,
                     column_config={"speaker": st.column_config.TextColumn("Speaker", width="small"),
                                    "role": st.column_config.TextColumn("Role", width="small"),
                                    "time": st.column_config.TextColumn("Time", width="small"),
                                    "text": st.column_config.TextColumn("Text", width="large")})
        if len(doc.turns) > 200:
            st.caption(f"First 200 of {len(doc.turns)} turns shown.")
    return {"roles": roles, "attributes": _attrs_from(attrs), "speaker_attributes": speaker_attrs,
            "errors": errors}


def _save_all(ctx: ProjectContext, items: list[tuple[str, Any, dict]], *, deidentify: bool,
              names: list[str], suggest: bool, replace: bool = False,
              skipped: list[tuple[str, str]] = (), order: list[str] | None = None) -> None:
    """Save each file of ``items`` on its own (a file that fails leaves nothing half-written
    and does not stop the others), then rerun to show the result.

    ``skipped`` are the uploads the preview refused, as (file, the preview's message): the
    result names them with their reason, and counts them among the files uploaded. ``order``
    (the uploads' names) puts the result in upload order."""
    results = []
    total = len(items) + len(skipped)
    with st.status(f"Importing {len(items)} of {plural(total, 'file')}…", expanded=True) as status:
        bar = st.progress(0.0)
        saved_ids = []
        for n, (name, parsed, choice) in enumerate(items):
            status.update(label=f"Importing {name} ({n + 1} of {len(items)})…")
            try:
                doc_id = ingest_svc.save_parsed(ctx, parsed, attributes=choice["attributes"],
                                                speaker_attributes=choice.get("speaker_attributes") or None,
                                                deidentify=deidentify, names=names or None, replace=replace,
                                                replaces=choice.get("replaces"), second=bool(choice.get("second")))
                saved_ids.append(doc_id)
                results.append({"file": name, "result": "imported", "document id": doc_id})
                kept = [str(p) for p in getattr(parsed, "problems", []) if getattr(p, "severity", "") == "warning"]
                if kept:  # said again with the result (walk 13: only the preview, now gone, had said them)
                    results[-1]["warnings"] = kept
                if choice.get("second"):
                    results[-1]["second"] = True
                elif choice.get("note"):
                    results[-1]["note"] = choice["note"]
            except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
                results.append({"file": name, "result": error_text(exc), "document id": None})
            bar.progress((n + 1) / len(items))
        results += [{"file": name, "result": message, "document id": None, "skipped": True}
                    for name, message in skipped]
        if any(r.get("second") for r in results):  # the name it got: "name (2)"
            stored = {d["id"]: d["name"] for d in ingest_svc.list_documents(ctx)}
            for r in results:
                if r.pop("second", None):
                    r["note"] = f"was added as a second document named {stored.get(r['document id'], '')}"
        if order:
            rank = {name: k for k, name in reversed(list(enumerate(order)))}
            results.sort(key=lambda r: rank.get(r["file"], len(order)))
        if suggest and saved_ids:
            from qualcode.services import suggest as suggest_svc  # the model stack loads only when used

            suggest_doc = suggest_svc.suggest_document
            status.update(label="Computing first suggestions with the local model (the first time loads it)…")
            for n, doc_id in enumerate(saved_ids):
                try:
                    suggest_doc(ctx, doc_id, progress=lambda done, total: bar.progress(min(1.0, done / total))
                                if total else None)
                except Exception as exc:  # noqa: BLE001
                    results.append({"file": f"suggestions for document {doc_id}", "result": error_text(exc),
                                    "document id": doc_id, "suggestions": True})
                bar.progress((n + 1) / len(saved_ids))
        failed = [r for r in results if r["result"] != "imported"]
        status.update(label=f"Imported {len(saved_ids)} of {plural(total, 'file')}.",
                      state="error" if failed else "complete", expanded=bool(failed))
    st.session_state["imp_results"] = results
    note = st.session_state.get("imp_table_note")
    if note:  # said again with the result, with what the transcripts a misspelt row meant got (walk 26)
        done = {r["file"] for r in results if r["result"] == "imported"}
        typed = {name: dict(choice["attributes"]) for name, _p, choice in items if name in done}
        note = table_rows_after_import(note, typed)
    st.session_state["imp_results_table"] = note
    st.session_state["imp_nonce"] = st.session_state.get("imp_nonce", 0) + 1
    st.session_state.pop("imp_parsed", None)
    st.session_state.pop("imp_merges", None)
    st.session_state.pop("imp_touched", None)
    st.rerun()


def _reason(name: str, message: str) -> str:
    """The one-line reason a message about file ``name`` gives: its first sentence, without
    the file's name in front.

    >>> _reason("empty.txt", "empty.txt, line 1: the file is empty. Check that you picked the right file.")
    'line 1: the file is empty'
    >>> _reason("m.docx", "m.docx: not a readable Word .docx file (it is damaged, or another format "
    ...         "renamed .docx). Open it in Word and save it again as .docx, or save it as .txt.")
    'not a readable Word .docx file (it is damaged, or another format renamed .docx)'
    """
    text = " ".join(str(message).split())
    if text.startswith(name):
        text = text[len(name):].lstrip(",:; ")
    first = re.split(r"(?<=\.)\s+(?=[A-Z])", text, maxsplit=1)[0].rstrip(".").strip()
    return first or "it could not be read"


def result_summary(results: list[dict[str, Any]]) -> str:
    """What an import did, counted over the files uploaded: how many were imported, and each
    file that was not (refused in the preview, or refused when saved) with its reason."""
    files = [r for r in results if not r.get("suggestions")]
    ok = sum(1 for r in files if r["result"] == "imported")
    text = f"{ok} of {plural(len(files), 'file')} imported"
    # where to go next says which files it means: said after the refusals, it read as if the
    # files not imported were to be coded (walk 6)
    text += f"; code {'it' if ok == 1 else 'them'} on the **Code** page." if ok else "."
    for r in files:
        if r["result"] == "imported" and r.get("note"):
            text += f" {md(r['file'])} {md(r['note'])}."
    warned = [r for r in files if r["result"] == "imported" and r.get("warnings")]
    if warned:
        text += (f" {plural(len(warned), 'file')} imported with "
                 f"{'a warning' if sum(len(r['warnings']) for r in warned) == 1 else 'warnings'} (below).")
    left = [r for r in files if r["result"] != "imported"]
    if left:
        text += " Not imported: " + ", ".join(f"{md(r['file'])} ({md(_reason(r['file'], r['result']))})"
                                            for r in left) + "."
    return text


def _show_results(results: list[dict[str, Any]]) -> None:
    """The result of the last import, and each refusal's full message (what to do about it)."""
    every = all(r["result"] == "imported" for r in results)  # suggestions that failed too: a warning
    (st.success if every else st.warning)(result_summary(results))
    for r in results:
        if r["result"] != "imported":  # the message may already name the file
            st.error(r["result"] if r["result"].startswith(r["file"]) else f"{r['file']}: {r['result']}")
        for w in r.get("warnings") or ():  # the file's words, literally (as in the preview)
            st.warning(md_quoting(w), icon=":material/warning:")


def other_page_file(filename: str) -> tuple[str, str] | None:
    """Where a file that is not a transcript but that qualcode takes elsewhere goes: a coded
    project (.qdpx) to the Agreement page, a codebook (.qdc, .yaml) to the Codebook page, as
    (the reason in a few words, for the result's list; the message, Markdown). None for any
    other file (walk 22: a .qdpx here was told "save the transcript as .txt").

    >>> print(other_page_file("study.QDPX")[0])
    a coded project: it goes on the Agreement page
    >>> other_page_file("interview.docx") is None
    True
    """
    ext = PurePath(filename).suffix.lower()
    if ext == ".qdpx":
        return ("a coded project: it goes on the Agreement page",
                f"{md(filename)} is a coded project (REFI-QDA), not a transcript: bring it in on the **Agreement** "
                "page, under *Bring in a colleague's work*. You see what will be merged before anything is saved.")
    if ext in (".qdc", ".yaml", ".yml"):
        return ("a codebook: it goes on the Codebook page",
                f"{md(filename)} is a codebook, not a transcript: import it on the **Codebook** page, where you see "
                "the codes it adds or changes before anything is saved.")
    return None


def _already_here(ctx: ProjectContext) -> None:
    """The documents in the project, newest first, with when each came in (walk 38: after the
    app stopped in the middle of an import, the page looked as before it, and the coder learnt
    which files had come in only by uploading them all again)."""
    docs = attempt(ingest_svc.list_documents, ctx) or []
    if not docs:
        return
    docs = sorted(docs, key=lambda d: (d.get("created_at") or "", d["id"]), reverse=True)
    with st.expander(f"Already in this project: {plural(len(docs), 'document')}, the latest first",
                     icon=":material/inventory_2:"):
        st.caption("Each file is saved whole or not at all: a file listed here came in complete. Uploading one "
                   "again is recognised and not imported twice.")
        st.dataframe(pd.DataFrame({
            "Document": [d["name"] for d in docs], "File": [d.get("source_filename") or "" for d in docs],
            "Imported (UTC)": [(d.get("created_at") or "")[:16].replace("T", " ") for d in docs],
            "Excerpts": [d["counts"]["excerpts"] for d in docs]}), hide_index=True, width="stretch",
            key="imp_already")


def render() -> None:
    ctx = page_context("Import")
    if ctx is None:
        return
    if survey_import.render_if_chosen(ctx):
        return
    results = st.session_state.pop("imp_results", None)
    table_note = st.session_state.pop("imp_results_table", None)
    if results:
        _show_results(results)
        if table_note:  # (message, settled): a row whose transcript got all its values is a note (walk 26)
            text, settled = table_note
            (st.info if settled else st.warning)(f"Attributes table: {md(text)}", icon=":material/table_view:")
    nonce = st.session_state.get("imp_nonce", 0)
    st.caption("A colleague's coded project (.qdpx from NVivo, ATLAS.ti, MAXQDA or qualcode) or coding "
               "spreadsheet? Bring it in on the **Agreement** page, under *Bring in a colleague's work*.")
    # Any file is taken: one qualcode cannot read is refused below with what to do, by name,
    # and does not hold up the others (Streamlit's own refusal said "application/rtf files are
    # not allowed", with no advice, and left the file listed).
    files = st.file_uploader("Transcripts (txt, md, docx, pdf, vtt, srt, csv, xlsx…)",
                             accept_multiple_files=True, key=f"imp_files_{nonce}")
    # in sight, under the transcripts (walk 26: folded in Options, a new coder saw only each
    # file's own attributes box, and typed every file's site and year by hand)
    st.caption("Attributes for many transcripts at once: a table (CSV) with one row per transcript, a column "
               "naming its file, then one column per attribute (site, year…).")
    table = st.file_uploader("Attributes table (optional)", key=f"imp_table_{nonce}",
                             help="The column naming the file is headed file or document. For example, a first line "
                                  "file,site,year then riverside_dho_2025.txt,Riverside,2025. Applied to the "
                                  "transcripts imported with it, then cleared: the next transcripts get their own "
                                  "table.")  # walk 18: kept, it was read against the next files
    refused = table and wrong_kind(table.name, ("csv", "tsv", "txt"), "An attributes table",
                                   "Save it as .csv (in Excel: File > Save As > CSV UTF-8)")
    if refused:
        st.error(f"Attributes table: {md(refused)}", icon=":material/error:")
        table = None
    with st.expander("Options", icon=":material/tune:"):
        unit = st.radio("Code by", ["sentence", "turn"], horizontal=True, key="imp_unit",
                        help="The unit an excerpt covers; you can always code a narrower span.")
        deid = st.toggle("De-identify names", key="imp_deid",
                         help="Replace listed names (and speaker names) by pseudonyms before saving.")
        names_text = st.text_area("Names to replace (one per line)", key="imp_names", disabled=not deid,
                                  placeholder="Maria Lopez\nJefferson Elementary")
        suggest = st.checkbox("Compute suggestions after importing", value=True, key="imp_suggest")
        replace = st.checkbox(REPLACE_LABEL, value=False, key="imp_replace",
                              help="A file already in the project (the same content, or an edited copy with the "
                                   "same name) is not imported unless this is ticked; then the old document, "
                                   "with its codings, is replaced.")
    if not files:
        st.info("Drop one or more transcripts above. Each is parsed and shown here before anything is saved.",
                icon=":material/upload_file:")
        _already_here(ctx)
        return
    sidecar: dict[str, Any] = {}
    st.session_state["imp_table_note"] = None
    if table is not None:
        data = table.getvalue()
        try:
            in_project = [n for d in (attempt(ingest_svc.list_documents, ctx) or [])
                          for n in (d["name"], d.get("source_filename") or "") if n]
            names = attempt(analysis_svc.attribute_names, ctx) or {"document": [], "speaker": []}
            # the speakers' own role (first) is no column of a table: their attributes are
            transcripts = [f.name for f in files  # not a project or codebook sent to its page, nor a kind no reader takes
                           if other_page_file(f.name) is None and ingest_svc.unsupported_type(f.name) is None]
            sidecar = sidecar_attributes(data, table.name, transcripts, known=in_project,
                                         attributes=[*names["document"], *names["speaker"][1:]])
            sidecar["digest"] = hashlib.sha256(data).hexdigest()[:12]
        except Exception as exc:  # noqa: BLE001 - a bad table is a message
            st.error(f"Attributes table: {error_text(exc)}")
            st.caption("Imported now, the files get no attributes from this table (year, site ...): correct "
                       "the table and upload it again first, or set each file's attributes in its preview below.")
        else:
            if sidecar["summary"]:  # read, and what it gives (walk 33: uploaded again, it said nothing)
                (st.success if sidecar["gives_all"] else st.info)(f"Attributes table: {md(sidecar['summary'])}",
                                                                  icon=":material/table_view:")
            for said in sidecar["columns"]:  # a column spelt like an attribute the project has (walk 24)
                st.warning(f"Attributes table: {md(said)}", icon=":material/table_view:")
            if sidecar["unused"]:
                st.session_state["imp_table_note"] = {  # said again with the result, once cleared
                    "name": table.name, "rows": sidecar["unmatched"], "matched_any": sidecar["matched_any"]}
                st.warning(f"Attributes table: {md(sidecar['unused_message'])}", icon=":material/table_view:")
    cache = st.session_state.setdefault("imp_parsed", {})
    merges = st.session_state.get("imp_merges") or []
    items = []
    skipped: list[tuple[str, str]] = []  # (file, the preview's message): named in the result
    good: dict[int, tuple[str, Any]] = {}
    for i, f in enumerate(files):
        elsewhere = other_page_file(f.name)  # a project or a codebook: said where it goes (walk 22)
        if elsewhere is not None:
            st.warning(elsewhere[1], icon=":material/arrow_forward:")
            skipped.append((f.name, elsewhere[0]))
            continue
        refused = ingest_svc.unsupported_type(f.name)  # a kind no reader takes: not read at all
        if refused is not None:
            st.error(error_text(refused), icon=":material/error:")
            skipped.append((f.name, error_text(refused)))
            continue
        data = f.getvalue()
        kind, value = _parsed(cache, ctx, i, f.name, data, unit=unit, merges=merges)
        if kind in ("no_times", "error") and not str(value).startswith(f.name):
            value = f"{f.name}: {value}"
        if kind == "no_times":
            st.error(value, icon=":material/error:")
            skipped.append((f.name, value))
            digest = hashlib.sha256(data).hexdigest()
            st.button("Import the text without times", key=f"imp-notimes-btn-{digest}",
                      on_click=lambda d=digest: st.session_state.__setitem__(f"imp-notimes-{d}", True))
            continue
        if kind == "error":
            st.error(value, icon=":material/error:")
            skipped.append((f.name, value))
            continue
        good[i] = (f.name, value)
    _speakers_panel(good, nonce)
    found = ingest_svc.already_in_project(ctx, {i: p for i, (_n, p) in good.items()})
    for i, (name, value) in good.items():
        flag = _in_project(i, name, found[i], replace=replace, nonce=nonce) if i in found else {}
        choice = _preview(i, name, value, sidecar, note=flag.get("label", ""))
        if choice["errors"]:
            skipped.append((name, str(choice["errors"][0])))
        elif "skip" in flag:
            skipped.append((name, flag["skip"]))
        else:
            items.append((name, value, {**choice, **{k: v for k, v in flag.items() if k != "label"}}))
    names = [n.strip() for n in names_text.splitlines() if n.strip()] if deid else []
    if not good:  # nothing here is a transcript (a project or codebook sent to its page, or errors): no
        return    # "Import 0 file(s)" to puzzle over (walk 23)
    _before_import_note(good, f"imp-iv-{nonce}")
    # with every file held back (already in the project, or refused), the button says so instead of
    # offering "Import 0 file(s)" (walk 34)
    label = f"Import {len(items)} file(s)" if items else "Nothing to import"
    held = ("Every file here is held back: see the message under each. Tick the choice a message offers "
            "(a second document, or Replace under Options), or choose other files.")
    if st.button(label, type="primary", key="imp_go", icon=":material/download_done:",
                 disabled=not items, help=None if items else held,
                 on_click=_apply_before_import, args=(good, f"imp-iv-{nonce}")):
        _save_all(ctx, items, deidentify=deid, names=names, suggest=suggest, replace=replace,
                  skipped=skipped, order=[f.name for f in files])

"""Import page: upload many transcripts, preview each parse, set roles and attributes,
optionally de-identify with a names list, then save (each file on its own)."""

from __future__ import annotations

import hashlib
import inspect
from typing import Any, Callable

import pandas as pd
import streamlit as st

from qualcode.core import Role
from qualcode.services.project import ProjectContext
from qualcode.services.ui_support import format_ms, sidecar_attributes
from qualcode.ui import survey_import
from qualcode.ui.state import error_text, page_context, service, service_fn

TYPES = ["txt", "md", "docx", "pdf", "vtt", "srt", "csv", "xlsx", "tsv", "json"]
ROLES = [r.value for r in Role]


def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``fn`` with only the keyword options it accepts (services land in stages)."""
    params = inspect.signature(fn).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        kwargs = {k: v for k, v in kwargs.items() if k in params}
    return fn(*args, **kwargs)


def _parse(ingest, name: str, data: bytes, *, unit: str, roles: dict[str, str] | None = None) -> Any:
    fn = getattr(ingest, "parse_bytes", None)
    if fn is None:
        raise RuntimeError("this installation cannot preview uploads (services.ingest.parse_bytes missing)")
    return call(fn, data, name, unit=unit, **({"roles": roles} if roles else {}))


def _parsed(cache: dict, ingest, i: int, name: str, data: bytes, *, unit: str) -> tuple[str, Any]:
    """Parse (cached); parse again with the roles the coder chose in the preview, so the
    preview's codable excerpts follow the roles before anything is saved."""
    digest = hashlib.sha256(data).hexdigest()

    def cached(roles: dict[str, str]) -> tuple[str, Any]:
        key = (name, digest, unit, tuple(sorted(roles.items())))
        if key not in cache:
            try:
                cache[key] = ("ok", _parse(ingest, name, data, unit=unit, roles=roles))
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


def _preview(i: int, name: str, parsed: Any, sidecar: dict[str, Any]) -> dict[str, Any]:
    """Show one parsed file; return the coder's choices (roles, attributes)."""
    doc = parsed.document
    problems = list(getattr(parsed, "problems", []))
    errors = [p for p in problems if getattr(p, "severity", "error") == "error"]
    icon = ":material/error:" if errors else (":material/warning:" if problems else ":material/check_circle:")
    with st.expander(f"{name} — {len(doc.speakers)} speakers, {len(doc.turns)} turns, "
                     f"{sum(1 for e in doc.excerpts if e.codable)} codable excerpts", icon=icon, expanded=i == 0):
        for p in problems:
            (st.error if p in errors else st.warning)(str(p))
        st.markdown("**Speakers and roles** (participants' words are coded; interviewers' are not)")
        roles = {}
        cols = st.columns(min(4, max(1, len(doc.speakers))))
        for j, sp in enumerate(doc.speakers):
            role = sp.role.value if hasattr(sp.role, "value") else str(sp.role)
            roles[sp.label] = cols[j % len(cols)].selectbox(
                sp.label, ROLES, index=ROLES.index(role) if role in ROLES else ROLES.index("unknown"),
                key=f"imp-role-{i}-{sp.label}")
        known = {k: getattr(a, "value", a) for k, a in doc.attributes.items()}
        known.update(sidecar.get("documents", {}).get(name, {}))
        attrs = st.text_input("Attributes (key=value, comma separated)",
                              value=", ".join(f"{k}={v}" for k, v in known.items()),
                              key=f"imp-attrs-{i}-{sidecar.get('digest', '')}",
                              placeholder="year=2021, district=North, format=interview")
        speaker_attrs = sidecar.get("speakers", {}).get(name, {})
        if speaker_attrs:
            st.caption("Speaker attributes from the table: " + "; ".join(
                f"{label}: " + ", ".join(f"{k}={v}" for k, v in a.items()) for label, a in speaker_attrs.items()))
        text = doc.text
        rows = [{"speaker": t.speaker, "role": roles.get(t.speaker, ""), "time": format_ms(t.start_ms),
                 "text": text[t.start:t.end]} for t in doc.turns[:200]]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", height=240,
                     column_config={"speaker": st.column_config.TextColumn("Speaker", width="small"),
                                    "role": st.column_config.TextColumn("Role", width="small"),
                                    "time": st.column_config.TextColumn("Time", width="small"),
                                    "text": st.column_config.TextColumn("Text", width="large")})
        if len(doc.turns) > 200:
            st.caption(f"First 200 of {len(doc.turns)} turns shown.")
    return {"roles": roles, "attributes": _attrs_from(attrs), "speaker_attributes": speaker_attrs,
            "errors": errors}


def _save_all(ctx: ProjectContext, ingest, items: list[tuple[str, Any, dict]], *, deidentify: bool,
              names: list[str], suggest: bool) -> None:
    save = getattr(ingest, "save_parsed", None)
    results = []
    with st.status(f"Importing {len(items)} file(s)…", expanded=True) as status:
        bar = st.progress(0.0)
        saved_ids = []
        for n, (name, parsed, choice) in enumerate(items):
            status.update(label=f"Importing {name} ({n + 1} of {len(items)})…")
            try:
                doc_id = call(save, ctx, parsed, attributes=choice["attributes"],
                              speaker_attributes=choice.get("speaker_attributes") or None,
                              deidentify=deidentify, names=names or None)
                doc_id = getattr(doc_id, "id", doc_id)
                saved_ids.append(doc_id)
                results.append({"file": name, "result": "imported", "document id": doc_id})
            except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
                results.append({"file": name, "result": error_text(exc), "document id": None})
            bar.progress((n + 1) / len(items))
        suggest_doc = service_fn("suggest", "suggest_document")
        if suggest and saved_ids and suggest_doc is not None:
            status.update(label="Computing first suggestions with the local model (the first time loads it)…")
            for n, doc_id in enumerate(saved_ids):
                try:
                    suggest_doc(ctx, doc_id, progress=lambda done, total: bar.progress(min(1.0, done / total))
                                if total else None)
                except Exception as exc:  # noqa: BLE001
                    results.append({"file": f"suggestions for document {doc_id}", "result": error_text(exc),
                                    "document id": doc_id})
                bar.progress((n + 1) / len(saved_ids))
        failed = [r for r in results if r["result"] != "imported"]
        status.update(label=f"Imported {len(saved_ids)} of {len(items)} file(s).",
                      state="error" if failed else "complete", expanded=bool(failed))
    st.session_state["imp_results"] = results
    st.session_state["imp_nonce"] = st.session_state.get("imp_nonce", 0) + 1
    st.session_state.pop("imp_parsed", None)
    st.rerun()


def render() -> None:
    ctx = page_context("Import")
    if ctx is None:
        return
    if survey_import.render_if_chosen(ctx):
        return
    results = st.session_state.pop("imp_results", None)
    if results:
        ok = sum(1 for r in results if r["result"] == "imported")
        (st.success if ok == len(results) else st.warning)(
            f"{ok} of {len(results)} file(s) imported. Code them on the **Code** page.")
        for r in results:
            if r["result"] != "imported":
                st.error(f"{r['file']}: {r['result']}")
    ingest = service("ingest")
    if ingest is None:
        st.info("Importing in the app is not available yet; use `qualcode ingest FILES` in a terminal.")
        return
    nonce = st.session_state.get("imp_nonce", 0)
    files = st.file_uploader("Transcripts (txt, md, docx, pdf, vtt, srt, csv, xlsx…)", type=TYPES,
                             accept_multiple_files=True, key=f"imp_files_{nonce}")
    with st.expander("Options", icon=":material/tune:"):
        unit = st.radio("Code by", ["sentence", "turn"], horizontal=True, key="imp_unit",
                        help="The unit an excerpt covers; you can always code a narrower span.")
        deid = st.toggle("De-identify names", key="imp_deid",
                         help="Replace listed names (and speaker names) by pseudonyms before saving.")
        names_text = st.text_area("Names to replace (one per line)", key="imp_names", disabled=not deid,
                                  placeholder="Maria Lopez\nJefferson Elementary")
        suggest = st.checkbox("Compute suggestions after importing", value=True, key="imp_suggest")
        table = st.file_uploader("Attributes table (CSV: a 'file' column, then one column per attribute, "
                                 "e.g. year, district, format)", type=["csv", "tsv", "txt"], key="imp_table")
    if not files:
        st.info("Drop one or more transcripts above. Each is parsed and shown here before anything is saved.",
                icon=":material/upload_file:")
        return
    sidecar: dict[str, Any] = {}
    if table is not None:
        data = table.getvalue()
        try:
            sidecar = sidecar_attributes(data, table.name, [f.name for f in files])
            sidecar["digest"] = hashlib.sha256(data).hexdigest()[:12]
        except Exception as exc:  # noqa: BLE001 - a bad table is a message
            st.error(f"Attributes table: {error_text(exc)}")
        else:
            if sidecar["unused"]:
                st.caption(f"{len(sidecar['unused'])} row(s) of the table name no uploaded file.")
    cache = st.session_state.setdefault("imp_parsed", {})
    items = []
    for i, f in enumerate(files):
        kind, value = _parsed(cache, ingest, i, f.name, f.getvalue(), unit=unit)
        if kind == "error":
            st.error(f"{f.name}: {value}", icon=":material/error:")
            continue
        choice = _preview(i, f.name, value, sidecar)
        if not choice["errors"]:
            items.append((f.name, value, choice))
    names = [n.strip() for n in names_text.splitlines() if n.strip()] if deid else []
    if st.button(f"Import {len(items)} file(s)", type="primary", key="imp_go", icon=":material/download_done:",
                 disabled=not items):
        _save_all(ctx, ingest, items, deidentify=deid, names=names, suggest=suggest)

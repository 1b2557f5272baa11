"""Export page: every export of the project as a download (prepared on request)."""

from __future__ import annotations

import inspect
import tempfile
from pathlib import Path
from typing import Any, Callable

import streamlit as st

from qualcode.services.project import ProjectContext
from qualcode.ui.state import error_text, page_context, service

# Known exports first, with friendly names; any other export_* function follows.
KNOWN = {
    "export_excerpts": ("Coded excerpts", "Every coded excerpt with its code, speaker, attributes and coders."),
    "export_frequencies": ("Code frequencies", "How often each code occurs (by group if chosen)."),
    "export_crosstab": ("Crosstab", "Codes by an attribute: counts and percentages."),
    "export_compare": ("Group comparison", "Codes compared across groups with tests."),
    "export_cooccurrence": ("Co-occurrence", "Pairs of codes that occur together."),
    "export_matrix": ("Case matrix", "Documents by codes."),
    "export_memos": ("Memos", "Every memo on a document, excerpt, coding or code, with what it is about."),
    "export_report": ("Report", "A readable report of the analysis."),
    "export_charts": ("Charts", "The charts as images."),
    "export_qdpx": ("REFI-QDA project (.qdpx)", "The whole project for NVivo, ATLAS.ti, MAXQDA, QualCoder."),
    "export_codebook": ("Codebook", "The codebook as YAML, Markdown, Word or REFI-QDA .qdc."),
}
MIME = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "json": "application/json", "md": "text/markdown", "html": "text/html", "png": "image/png",
        "svg": "image/svg+xml", "qdpx": "application/zip", "qdc": "application/xml", "zip": "application/zip",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "yaml": "text/yaml"}
DEFAULT_FORMATS = {"export_qdpx": ["qdpx"], "export_codebook": ["yaml", "md", "docx", "qdc"],
                   "export_report": ["docx", "html", "md"], "export_charts": ["zip"]}


def exports() -> list[tuple[str, Callable[..., Any]]]:
    """(name, function) for every export the installed services offer."""
    found: dict[str, Callable[..., Any]] = {}
    mod = service("export")
    if mod is not None:
        for name, fn in inspect.getmembers(mod, inspect.isfunction):
            if name.startswith("export_") and fn.__module__.startswith("qualcode.services"):
                found[name] = fn
    cb = service("codebook")
    if cb is not None and hasattr(cb, "export_codebook"):
        found.setdefault("export_codebook", cb.export_codebook)
    order = list(KNOWN)
    return sorted(found.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else len(order), kv[0]))


def _formats(name: str, fn: Callable[..., Any]) -> list[str]:
    if name in DEFAULT_FORMATS:
        return DEFAULT_FORMATS[name]
    params = inspect.signature(fn).parameters
    return ["csv", "xlsx"] if ("fmt" in params or "format" in params) else ["csv"]


def prepare(ctx: ProjectContext, name: str, fn: Callable[..., Any], fmt: str, opts: dict[str, Any]) -> tuple[str, bytes]:
    """Run one export into a temporary file; return (download name, bytes)."""
    stem = name.removeprefix("export_").replace("_", "-")
    filename = f"{stem}.{fmt}"
    params = inspect.signature(fn).parameters
    kwargs = {k: v for k, v in opts.items() if k in params}
    if "fmt" in params:
        kwargs["fmt"] = fmt
    elif "format" in params:
        kwargs["format"] = fmt
    with tempfile.TemporaryDirectory(prefix="qualcode-export-") as tmp:
        out = Path(tmp) / filename
        result = fn(ctx, out, **kwargs)
        if isinstance(result, (bytes, bytearray)):
            return filename, bytes(result)
        if out.exists():
            return filename, out.read_bytes()
        made = sorted(Path(tmp).iterdir())  # an export that chose its own file name
        if made:
            return made[0].name, made[0].read_bytes()
    raise RuntimeError(f"{name} wrote no file")


def render() -> None:
    ctx = page_context("Export")
    if ctx is None:
        return
    found = exports()
    if not found:
        st.info("No exports are installed yet. From a terminal: `qualcode export --help`.")
        return
    analysis = service("analysis")
    groups: list[str] = []
    if analysis is not None and hasattr(analysis, "attribute_names"):
        try:
            names = analysis.attribute_names(ctx)
            groups = [*names.get("document", []), *names.get("speaker", [])]
        except Exception:  # noqa: BLE001 - grouping is optional here
            groups = []
    cols = st.columns(2)
    by = cols[0].selectbox("Group tables by", [None, *groups], key="exp_by",
                           format_func=lambda g: "(no grouping)" if g is None else g)
    include = cols[1].selectbox("Count", ["accepted", "pending"], key="exp_include",
                                format_func={"accepted": "Decided codings", "pending": "Codings + pending suggestions"}.get)
    opts = {"by": by, "include": include} if by else {"include": include}
    ready = st.session_state.setdefault("exp_ready", {})
    for name, fn in found:
        title, help_text = KNOWN.get(name, (name.removeprefix("export_").replace("_", " ").capitalize(), ""))
        with st.container(border=True, key=f"exp-{name}"):
            row = st.columns([3, 1, 1, 1], vertical_alignment="center")
            row[0].markdown(f"**{title}**  \n{help_text}")
            fmts = _formats(name, fn)
            fmt = row[1].selectbox("Format", fmts, key=f"fmt-{name}", label_visibility="collapsed")
            if row[2].button("Prepare", key=f"prep-{name}", icon=":material/build:", width="stretch"):
                with st.spinner(f"Preparing {title}…"):
                    try:
                        ready[name] = prepare(ctx, name, fn, fmt, opts)
                    except Exception as exc:  # noqa: BLE001 - shown as a message
                        ready.pop(name, None)
                        st.error(f"{title}: {error_text(exc)}")
            if name in ready:
                filename, data = ready[name]
                row[3].download_button("Download", data, file_name=filename, key=f"dl-{name}",
                                       mime=MIME.get(filename.rsplit(".", 1)[-1], "application/octet-stream"),
                                       icon=":material/download:", on_click="ignore", width="stretch")

"""Exports and imports: tables, reports, REFI-QDA projects, coded-excerpt spreadsheets.

Every ``export_*`` writes to a path or a binary file object; every ``*_bytes`` returns
bytes (for Streamlit download buttons). What they return is one rule: a table export returns
its number of data rows (the header not counted); a report returns the Path written (as
``services.codebook.export_codebook``, the one codebook export); a .qdpx returns counts. Tables are neutralised against spreadsheet
formulas (see :mod:`qualcode.export.tables`). Speaker pseudonyms replace labels in
everything exported; the de-identification key is only included when asked for
(``include_key=True``).

>>> export_excerpts(ctx, "excerpts.xlsx")  # doctest: +SKIP
>>> export_qdpx(ctx, "study.qdpx")  # doctest: +SKIP
>>> import_qdpx("new-study", "study.qdpx")  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from typing import IO, Any, Mapping

import pandas as pd

from qualcode.analysis import frequencies as freq_mod
from qualcode.codebook_io.qdc import codebook_from_codes_element, codes_element
from qualcode.codebook_io.validate import slugify
from qualcode.core import Code, Codebook, Document, Speaker, Turn, text_hash
from qualcode.errors import ExportError, NotFoundError, Problem, QualcodeError
from qualcode.export import qdpx as qdpx_mod
from qualcode.export import report as report_mod
from qualcode.export import tables
from qualcode.export.tables import table_bytes, write_bytes
from qualcode.safezip import limit_bytes
from qualcode.core import commands as cmd
from qualcode.services import analysis
from qualcode.services.memos import list_memos
from qualcode.services import commands as executor
from qualcode.services.commands import Outcome, handles
from qualcode.services.project import ProjectContext, init_project, open_context, project_name
from qualcode.storage import audit
from qualcode.storage import codes as code_store
from qualcode.storage import coding as coding_store
from qualcode.storage import documents as doc_store
from qualcode.storage import exchange, meta

Out = "str | Path | IO[bytes]"


def nothing_counted(counts: Mapping[str, Any], include: str) -> bool:
    """Whether the tables and the report would count nothing: no codings made, and no pending
    suggestions where ``include`` takes them. ``counts``: :func:`project_status`'s. The Export
    page offers only the exports that are not empty then; the command line says so.

    >>> nothing_counted({"codings": 0, "suggestions": {"pending": 3}}, "accepted")
    True
    >>> nothing_counted({"codings": 0, "suggestions": {"pending": 3}}, "pending")
    False
    """
    pending = (counts.get("suggestions") or {}).get("pending", 0) if include == "pending" else 0
    return not counts.get("codings") and not pending


def _fmt_of(out: Any, fmt: str | None, allowed: tuple[str, ...], default: str) -> str:
    if fmt is None and isinstance(out, (str, Path)):
        fmt = Path(out).suffix.lower().lstrip(".") or default
    fmt = (fmt or default).lower()
    if fmt not in allowed:
        raise ExportError(f"unknown format {fmt!r}", hint="use one of: " + ", ".join(allowed))
    return fmt


# ---- tables -----------------------------------------------------------------------------

def excerpts_table(ctx: ProjectContext, *, include: str = "accepted", coder: str | None = None,
                   code_id: str | None = None, where: Mapping[str, Any] | None = None,
                   source: str | None = None) -> pd.DataFrame:
    """Coded excerpts, one row per excerpt and code, with every attribute (see retrieve).
    ``source``: only transcripts' (``"transcripts"``) or survey answers' (``"surveys"``)."""
    return analysis.retrieve(ctx, code_id=code_id, where=where, include=include, coder=coder, source=source)


def excerpts_bytes(ctx: ProjectContext, *, fmt: str = "csv", bom: bool = False, **kw: Any) -> bytes:
    return table_bytes(excerpts_table(ctx, **kw), fmt=fmt, bom=bom, sheet="excerpts")


def export_excerpts(ctx: ProjectContext, out: Out, *, fmt: str | None = None, bom: bool = False,
                    include: str = "accepted", coder: str | None = None, code_id: str | None = None,
                    where: Mapping[str, Any] | None = None, source: str | None = None) -> int:
    """Write coded excerpts as CSV or XLSX; returns the number of rows.

    >>> export_excerpts(ctx, "excerpts.csv", bom=True)  # doctest: +SKIP
    """
    fmt = _fmt_of(out, fmt, ("csv", "xlsx"), "csv")
    df = excerpts_table(ctx, include=include, coder=coder, code_id=code_id, where=where, source=source)
    write_bytes(table_bytes(df, fmt=fmt, bom=bom, sheet="excerpts"), out)
    return len(df)


MEMO_COLUMNS = ["memo_id", "kind", "anchor", "text", "coder", "document", "code", "excerpt_id", "coding_id",
                "created_at"]


def memos_table(ctx: ProjectContext, *, code_id: str | None = None, document_id: int | None = None,
                coder: str | None = None) -> pd.DataFrame:
    """Every memo with what it is about (document, excerpt, coding or code), newest first."""

    rows = list_memos(ctx, code_id=code_id, document_id=document_id, coder=coder)
    return pd.DataFrame([{k: r[k] for k in MEMO_COLUMNS} for r in rows], columns=MEMO_COLUMNS)


def export_memos(ctx: ProjectContext, out: Out, *, fmt: str | None = None, bom: bool = False,
                 code_id: str | None = None, coder: str | None = None) -> int:
    """Write every memo (documents, excerpts, codings, codes) as CSV or XLSX; returns rows.

    >>> export_memos(ctx, "memos.xlsx")  # doctest: +SKIP
    """
    fmt = _fmt_of(out, fmt, ("csv", "xlsx"), "csv")
    df = memos_table(ctx, code_id=code_id, coder=coder)
    write_bytes(table_bytes(df, fmt=fmt, bom=bom, sheet="memos"), out)
    return len(df)


def frequencies_bytes(ctx: ProjectContext, *, fmt: str = "csv", bom: bool = False, by: str | None = None,
                      include: str = "accepted", coder: str | None = None) -> bytes:
    df = analysis.frequencies(ctx, by=by, include=include, coder=coder)
    return table_bytes(df, fmt=fmt, bom=bom, sheet="frequencies")


def export_frequencies(ctx: ProjectContext, out: Out, *, fmt: str | None = None, bom: bool = False,
                       by: str | None = None, include: str = "accepted", coder: str | None = None,
                       source: str | None = None) -> int:
    """Write the frequency table (per value of ``by`` when given); returns the data rows."""
    fmt = _fmt_of(out, fmt, ("csv", "xlsx"), "csv")
    df = analysis.frequencies(ctx, by=by, include=include, coder=coder, source=source)
    write_bytes(table_bytes(df, fmt=fmt, bom=bom, sheet="frequencies"), out)
    return len(df)


def crosstab_bytes(ctx: ProjectContext, *, by: str, measure: str = "documents", fmt: str = "csv",
                   bom: bool = False, include: str = "accepted", coder: str | None = None) -> bytes:
    df = analysis.crosstab(ctx, by=by, measure=measure, include=include, coder=coder)
    return table_bytes(df, fmt=fmt, bom=bom, sheet="crosstab")


def _need_by(by: str | None, what: str) -> str:
    if not by:
        raise ExportError(f"a {what} needs an attribute to group by",
                          hint="choose one, e.g. --by year (attributes: qualcode documents --json)",
                          app_hint="choose an attribute to group by first")
    return by


def export_crosstab(ctx: ProjectContext, out: Out, *, by: str | None = None, measure: str = "documents",
                    fmt: str | None = None, bom: bool = False, include: str = "accepted",
                    coder: str | None = None, source: str | None = None) -> int:
    """Write codes x values of ``by`` with counts and percentages; returns the data rows."""
    by = _need_by(by, "crosstab")
    fmt = _fmt_of(out, fmt, ("csv", "xlsx"), "csv")
    df = analysis.crosstab(ctx, by=by, measure=measure, include=include, coder=coder, source=source)
    write_bytes(table_bytes(df, fmt=fmt, bom=bom, sheet="crosstab"), out)
    return len(df)


def matrix_bytes(ctx: ProjectContext, *, values: str = "binary", fmt: str = "csv", bom: bool = False,
                 include: str = "accepted", coder: str | None = None) -> bytes:
    df = analysis.matrix(ctx, values=values, include=include, coder=coder)
    return table_bytes(df, fmt=fmt, bom=bom, sheet="matrix")


def export_matrix(ctx: ProjectContext, out: Out, *, values: str = "binary", fmt: str | None = None,
                  bom: bool = False, include: str = "accepted", coder: str | None = None,
                  source: str | None = None) -> int:
    """Write the code-by-document (case) matrix (0/1 or counts); returns the data rows."""
    fmt = _fmt_of(out, fmt, ("csv", "xlsx"), "csv")
    df = analysis.matrix(ctx, values=values, include=include, coder=coder, source=source)
    write_bytes(table_bytes(df, fmt=fmt, bom=bom, sheet="matrix"), out)
    return len(df)


def export_compare(ctx: ProjectContext, out: Out, *, by: str | None = None, fmt: str | None = None,
                   bom: bool = False, include: str = "accepted", coder: str | None = None,
                   source: str | None = None) -> int:
    """Write the comparison across the values of ``by`` (tests, effect sizes, BH p-values);
    returns the data rows."""
    by = _need_by(by, "comparison")
    fmt = _fmt_of(out, fmt, ("csv", "xlsx"), "csv")
    df = analysis.compare(ctx, by=by, include=include, coder=coder, source=source)
    write_bytes(table_bytes(df, fmt=fmt, bom=bom, sheet="compare"), out)
    return len(df)


def export_cooccurrence(ctx: ProjectContext, out: Out, *, level: str = "excerpt", fmt: str | None = None,
                        bom: bool = False, include: str = "accepted", coder: str | None = None,
                        source: str | None = None) -> int:
    """Write code pairs with co-occurrence counts and Jaccard; returns the data rows."""
    fmt = _fmt_of(out, fmt, ("csv", "xlsx"), "csv")
    df = analysis.cooccurrence(ctx, level=level, include=include, coder=coder, source=source)
    write_bytes(table_bytes(df, fmt=fmt, bom=bom, sheet="cooccurrence"), out)
    return len(df)


# ---- report -----------------------------------------------------------------------------

REPORT_FORMATS = ("md", "docx", "html")


def report_data(ctx: ProjectContext, *, by: str | None = None, include: str = "accepted",
                charts: bool = True, per_theme: int = 3, chart_format: str = "png",
                coder: str | None = None, source: str | None = None) -> report_mod.ReportData:
    """Everything the report shows (tables, quotes, charts as PNG or ``chart_format="svg"``).

    ``coder``: only that coder's codings (None: every coder's, pooled; the report names them).
    ``source``: only transcripts (``"transcripts"``) or only survey answers (``"surveys"``); where
    a project holds both and counts them together the report says so.
    """
    facts = analysis.load_facts(ctx, include=include, by=by, coder=coder, source=source)  # one load for all
    cb = facts.codebook
    freq = freq_mod.frequencies(facts)
    rows = analysis.retrieve(ctx, include=include, coder=coder, context=False, source=source)
    data = report_mod.ReportData(title=f"Themes in {project_name(ctx)}", codebook=cb, frequencies=freq,
                                 quotes=report_mod.strongest_quotes(rows, cb, per_theme=per_theme),
                                 by=by, include=include, chart_format=chart_format, coder=coder,
                                 coders=[coder] if coder else analysis.coders(ctx),
                                 source=source, sources=analysis.sources(ctx))
    from qualcode.services.ui_support import untouched_note

    data.untouched = untouched_note(ctx, coder=coder, include=include, source=source)
    if by:
        data.crosstab = freq_mod.crosstab(facts, by=by)
    if charts:
        from qualcode.analysis import charts as ch

        # the themes and the codes under them (walk 41: a codebook of two grouping codes drew
        # two bars, none of its six codes)
        top = freq[freq["depth"] <= 1]
        data.charts["Documents with each theme"] = ch.render(ch.bars(top, measure="documents"), fmt=chart_format)
        if by:
            fb = freq_mod.frequencies(facts, by=by)
            fb = fb[fb["depth"] == 0]
            # a line only across ordered values (years); groups such as districts side by side
            # (walk 41: a line joined "Norte" and "Sul" as if one came after the other)
            ordered = bool(len(fb)) and fb[by].astype(str).str.fullmatch(r"\d+([.,]\d+)?").all()
            chart = (ch.trend(fb, by=by, measure="pct_documents") if ordered
                     else ch.bars(fb, measure="pct_documents", by=by, title=f"% of documents by {by}"))
            data.charts[f"% of documents by {by}"] = ch.render(chart, fmt=chart_format)
    return data


def report_bytes(ctx: ProjectContext, *, fmt: str = "md", by: str | None = None, include: str = "accepted",
                 charts: bool = True, coder: str | None = None, source: str | None = None) -> bytes:
    """The report as Markdown (charts embedded as data URIs), .docx bytes, or one
    self-contained HTML page (``fmt="html"``: charts as SVG, all project text escaped).

    >>> page = report_bytes(ctx, fmt="html", by="year")  # doctest: +SKIP
    """
    fmt = (fmt or "md").lower()
    if fmt not in REPORT_FORMATS:
        raise ExportError(f"unknown report format {fmt!r}", hint="use one of: " + ", ".join(REPORT_FORMATS))
    data = report_data(ctx, by=by, include=include, charts=charts, chart_format="svg" if fmt == "html" else "png",
                       coder=coder, source=source)
    if fmt == "md":
        return report_mod.markdown(data).encode("utf-8")
    if fmt == "docx":
        return report_mod.docx_bytes(data)
    return report_mod.html_document(data).encode("utf-8")


def export_report(ctx: ProjectContext, out: "str | Path", *, fmt: str | None = None, by: str | None = None,
                  include: str = "accepted", charts: bool = True, coder: str | None = None,
                  source: str | None = None, one_file: bool = False) -> Path:
    """Write the report: Markdown (charts as PNG files in ``<name>_files/``, or with
    ``one_file`` inside the Markdown as data URIs: the app's download is one file), Word, or a
    single self-contained HTML file (format from ``fmt`` or OUT's suffix: .md, .docx,
    .html/.htm).

    >>> export_report(ctx, "findings.html", by="year")  # doctest: +SKIP
    """
    out = Path(out)
    if fmt is None and out.suffix.lower() == ".htm":
        fmt = "html"
    fmt = _fmt_of(out, fmt, REPORT_FORMATS, "md")
    if fmt in ("docx", "html") or one_file:
        write_bytes(report_bytes(ctx, fmt=fmt, by=by, include=include, charts=charts, coder=coder, source=source),
                    out)
        return out
    data = report_data(ctx, by=by, include=include, charts=charts, coder=coder, source=source)
    links = {}
    if data.charts:
        folder = out.with_name(out.stem + "_files")
        folder.mkdir(parents=True, exist_ok=True)
        for i, (caption, png) in enumerate(data.charts.items(), 1):
            (folder / f"chart{i}.png").write_bytes(png)
            links[caption] = f"{folder.name}/chart{i}.png"
    write_bytes(report_mod.markdown(data, image_links=links).encode("utf-8"), out)
    return out


# ---- REFI-QDA ---------------------------------------------------------------------------

def project_data(ctx: ProjectContext) -> qdpx_mod.ProjectData:
    """The project as :class:`qualcode.export.qdpx.ProjectData`; speaker labels are
    replaced by pseudonyms where set. Its codebook is ``Codebook.exported``: a retired code
    goes along only while a coding or a memo refers to it (NVivo, ATLAS.ti and MAXQDA would
    list the others as codes of the project)."""
    with ctx.session(readonly=True) as s:
        cb = code_store.load_codebook(s)
        docs: list[Document] = []
        hash_of: dict[int, str] = {}
        order_of: dict[int, int] = {}
        for info in doc_store.list_documents(s):
            d = doc_store.load_document(s, info["id"])
            shown = {sp.label: sp.display for sp in d.speakers}
            d.speakers = [Speaker(label=sp.display, role=sp.role, attributes=sp.attributes) for sp in d.speakers]
            d.turns = [Turn(speaker=shown.get(t.speaker, t.speaker), order=t.order, start=t.start, end=t.end,
                            start_ms=t.start_ms, end_ms=t.end_ms) for t in d.turns]
            docs.append(d)
            hash_of[d.id] = d.content_hash
            for e in d.excerpts:
                order_of[e.id] = e.order
        doc_of_ex = {e.id: d.content_hash for d in docs for e in d.excerpts}
        stored = coding_store.list_codings(s)
        codings = [qdpx_mod.CodingRecord(document=doc_of_ex[c.excerpt_id], excerpt_order=order_of[c.excerpt_id],
                                         code_id=c.code_id, coder=c.coder, start=c.start, end=c.end,
                                         origin=c.origin.value, created_at=c.created_at)
                   for c in stored]
        coded = {c.id: (c.code_id, c.coder, c.start, c.end) for c in stored}
        memos = [qdpx_mod.MemoRecord(text=m.text, coder=m.coder, created_at=m.created_at,
                                     document=doc_of_ex.get(m.excerpt_id) if m.excerpt_id else hash_of.get(m.document_id),
                                     excerpt_order=order_of.get(m.excerpt_id) if m.excerpt_id else None,
                                     code_id=m.code_id, coding=coded.get(m.coding_id) if m.coding_id else None)
                 for m in coding_store.list_memos(s)]
        reviews = exchange.reviews_by_coder(s)
    cb = cb.exported({c.code_id for c in codings} | {m.code_id for m in memos if m.code_id})
    # Users are the coders who made something (codings, memos): exporting, importing and
    # exporting again then gives the same users whoever ran the import.
    return qdpx_mod.ProjectData(name=project_name(ctx), codebook=cb, documents=docs, codings=codings,
                                memos=memos, users=[], reviews=reviews)


def qdpx_bytes(ctx: ProjectContext, *, include_key: bool = False) -> bytes:
    """The project as a REFI-QDA ``.qdpx`` (bytes). ``include_key`` adds the
    de-identification key as ``deidentification-key.csv`` (only when you ask)."""
    return _qdpx_of(ctx, project_data(ctx), include_key=include_key)


def _qdpx_of(ctx: ProjectContext, project: qdpx_mod.ProjectData, *, include_key: bool) -> bytes:
    data = qdpx_mod.qdpx_bytes(project, write_codes=codes_element)
    if not include_key:
        return data
    with ctx.session(readonly=True) as s:
        key = exchange.pseudonym_key(s)
    text = tables.csv_text(["kind", "real", "pseudonym"], key)
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("deidentification-key.csv", text.encode("utf-8"))
    return out.getvalue()


def export_qdpx(ctx: ProjectContext, out: Out, *, include_key: bool = False) -> dict[str, int]:
    """Write the project as a REFI-QDA ``.qdpx`` for NVivo, ATLAS.ti, MAXQDA or qualcode.

    Returns counts of what went in.

    >>> export_qdpx(ctx, "study.qdpx")  # doctest: +SKIP
    """
    data = project_data(ctx)
    write_bytes(_qdpx_of(ctx, data, include_key=include_key), out)
    return {"documents": len(data.documents), "codes": len(data.codebook.codes),
            "codings": len(data.codings), "memos": len(data.memos)}


def _read_source(file: "str | Path | IO[bytes] | bytes") -> tuple[Any, str]:
    if isinstance(file, (str, Path)):
        path = Path(file)
        if not path.exists():
            raise ExportError("file not found", file=str(path), hint="check the path")
        return path.read_bytes(), str(path)
    if isinstance(file, bytes):
        return file, "upload"
    return file.read(), getattr(file, "name", "upload")


def import_qdpx(ctx_or_path: "ProjectContext | str | Path", file: "str | Path | IO[bytes] | bytes", *,
                coder: str | None = None, reviews: str = "documents", name: str | None = None) -> dict[str, Any]:
    """Import a ``.qdpx`` into an empty project (a context), or into a new project created
    at a path (a folder that holds no project yet). To bring a colleague's work into a
    project that already has data, use :func:`qualcode.services.merge.merge_qdpx`.

    The import is one transaction: it lands whole or not at all, and a failed import into
    a new folder leaves no project behind. The project's codebook becomes the file's
    codebook; a new project takes ``name``, else the file's. Sources missing from the archive
    are listed in ``left_out``; ``reviews``
    says which excerpts count as reviewed by each coder when the file does not say
    (another program's file): see :data:`qualcode.storage.exchange.REVIEW_RULES`.
    Returns counts, ``problems`` and ``left_out``.

    >>> import_qdpx("moved-study", "study.qdpx")  # doctest: +SKIP
    """
    _check_rule(reviews)
    raw, label = _read_source(file)
    if isinstance(ctx_or_path, ProjectContext):
        ctx = ctx_or_path
        data = read_project_file(raw, label, project_dir=ctx.project_dir)
        return _import_data(ctx, data, label=label, reviews=reviews)
    path = Path(ctx_or_path)
    data = read_project_file(raw, label, project_dir=path if path.exists() else None)
    if (path / "project.db").exists():
        ctx = open_context(path, coder=coder)
        try:
            return _import_data(ctx, data, label=label, reviews=reviews)
        finally:
            ctx.close()
    existed = path.exists()
    before = set(path.iterdir()) if existed else set()
    ctx = None
    try:
        if name:
            data.name = name  # the import writes the project's name from the file's
        ctx = init_project(path, coder=coder, name=data.name)
        return _import_data(ctx, data, label=label, reviews=reviews)
    except BaseException:
        if ctx is not None:
            ctx.close()
        _remove_new(path, existed, before)
        raise
    finally:
        if ctx is not None:
            ctx.close()


def _remove_new(path: Path, existed: bool, before: set[Path]) -> None:
    """Remove what a failed import created (the folder, or the files it added to it)."""
    import shutil

    if not existed:
        shutil.rmtree(path, ignore_errors=True)
        return
    for p in set(path.iterdir()) - before:
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)


def _check_rule(rule: str) -> None:
    if rule not in exchange.REVIEW_RULES:
        raise ExportError(f"unknown review rule {rule!r}", hint="use one of: " + ", ".join(exchange.REVIEW_RULES))


def read_project_file(raw: bytes, label: str, *, project_dir: "Path | None" = None) -> qdpx_mod.ProjectData:
    """Read a ``.qdpx`` with the codebook reader and the unzip cap of this project."""
    return guess_roles(qdpx_mod.read_qdpx(raw, read_codes=_codes_reader(label), name=label,
                                          limit=limit_bytes(project_dir)))


def guess_roles(data: qdpx_mod.ProjectData) -> qdpx_mod.ProjectData:
    """Another program's ``.qdpx`` says nothing of speakers' roles: each speaker named in its
    texts ("Interviewer: …") gets the role its label suggests, as a transcript imported from a
    file does (walk 49: a partner's interviews came in with "Interviewer" as an unknown speaker,
    coded like the participants). A speaker whose lines the file codes keeps their lines coded
    (unknown), so no coding of the file stops counting. Only documents read one turn per line
    (``read_by_line``): qualcode's own file keeps the roles it carries.

    >>> from qualcode.core import Document, Excerpt, Speaker, Turn
    >>> doc = Document(name="d", text="Interviewer: Why?\\nAna: Because.", speakers=[Speaker("Interviewer"), Speaker("Ana")],
    ...                turns=[Turn("Interviewer", 0, 0, 17), Turn("Ana", 1, 18, 31)],
    ...                excerpts=[Excerpt(0, 17, "Interviewer: Why?", 0, 0), Excerpt(18, 31, "Ana: Because.", 1, 1)])
    >>> data = guess_roles(qdpx_mod.ProjectData(name="p", codebook=Codebook(name="c", codes=[]), documents=[doc],
    ...                                         read_by_line={doc.content_hash}))
    >>> [(sp.label, sp.role.value) for sp in doc.speakers], [e.codable for e in doc.excerpts]
    ([('Interviewer', 'interviewer'), ('Ana', 'participant')], [False, True])

    The file codes the interviewer's line: it stays coded, the speaker unknown.

    >>> doc.speakers = [Speaker("Interviewer"), Speaker("Ana")]
    >>> data.codings = [qdpx_mod.CodingRecord(doc.content_hash, 0, "trust", "rosa", 0, 17)]
    >>> [(sp.label, sp.role.value) for sp in guess_roles(data).documents[0].speakers], [e.codable for e in doc.excerpts]
    ([('Interviewer', 'unknown'), ('Ana', 'participant')], [True, True])
    """
    from qualcode.core import Role, is_coded
    from qualcode.ingest.speakers import role_for_label

    coded = {(c.document, c.excerpt_order) for c in data.codings}
    for d in data.documents:
        if (d.content_hash or text_hash(d.text)) not in data.read_by_line:
            continue
        turn_of = {t.order: t.speaker for t in d.turns}
        with_codings = {turn_of.get(e.turn_order) for e in d.excerpts
                        if (d.content_hash or text_hash(d.text), e.order) in coded}
        for sp in d.speakers:
            if sp.role is not Role.UNKNOWN or sp.label == "Unknown":
                continue
            role = Role(role_for_label(sp.label))
            if is_coded(role) or sp.label not in with_codings:
                sp.role = role
        role_of = {sp.label: sp.role for sp in d.speakers}
        for e in d.excerpts:
            e.codable = is_coded(role_of.get(turn_of.get(e.turn_order)))
    return data


_GUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _codes_reader(label: str):
    def read(el, known: dict) -> Codebook:
        cb, _, _ = codebook_from_codes_element(el, file=label, known_guids=known)
        for c in cb.codes:
            if c.guid and not _GUID_RE.match(c.guid):
                c.guid = None  # "c001": not a GUID; the code gets qualcode's own (uuid5 of its id)
        return split_path_names(cb)
    return read


def split_path_names(cb: Codebook, sep: str = "::") -> Codebook:
    """Codes named like a path (``Coke::diet Coke``, as some programs flatten a hierarchy)
    become a child (``diet Coke``) under its parents, which are created when missing.
    New parent codes are appended, so the file's codes keep their order and positions.

    >>> from qualcode.core import Code
    >>> cb = split_path_names(Codebook(name="x", codes=[Code(id="coke_diet_coke", name="Coke::diet Coke")]))
    >>> [(c.id, c.name, c.parent) for c in cb.codes]
    [('coke_diet_coke', 'diet Coke', 'coke'), ('coke', 'Coke', None)]
    """
    by_name = {c.name.casefold(): c for c in cb.codes if sep not in c.name}
    taken = {c.id for c in cb.codes}
    added: list[Code] = []
    for c in list(cb.codes):
        if sep not in c.name:
            continue
        parts = [p.strip() for p in c.name.split(sep) if p.strip()]
        if len(parts) < 2:
            c.name = parts[0] if parts else c.name.replace(sep, "").strip() or c.id
            continue
        parent = c.parent
        path = ""
        for part in parts[:-1]:
            path = f"{path}{sep}{part}" if path else part
            node = by_name.get(path.casefold())
            if node is None:
                node = Code(id=slugify(part, taken=taken), name=part, parent=parent)
                taken.add(node.id)
                by_name[path.casefold()] = node
                added.append(node)
            parent = node.id
        c.name, c.parent = parts[-1], parent
    # Appended: the caller maps the file's <Code> elements to codes by position (and puts
    # parents first afterwards, qdpx.parents_first). Reordering here once sent a coding on
    # "Relationships::Trust" to the new "Relationships" parent.
    cb.codes = cb.codes + added
    return cb


def _import_data(ctx: ProjectContext, data: qdpx_mod.ProjectData, *, label: str,
                 reviews: str = "documents") -> dict[str, Any]:
    return executor.execute(ctx, cmd.ImportProject(label=label, data=data, reviews=reviews))


@handles(cmd.ImportProject)
class _ImportProject:
    @staticmethod
    def apply(s, ctx, me, command: cmd.ImportProject) -> Outcome:
        data, label, reviews = command.data, command.label, command.reviews
        if not exchange.is_empty(s):
            raise ExportError("the project already holds documents or codings", file=label,
                              hint="merge it into this project instead (qualcode import-qdpx --merge), "
                                   "or import it into a new project",
                              app_hint="merge it into this project on the Agreement page (Bring in a colleague's "
                                       "work), or create a new project on the Project page and import it there")
        if data.codebook.codes:
            exchange.replace_codebook(s, data.codebook)
        meta.set_setting(s, "project", {"name": data.name})
        coder_ids = {u: meta.get_or_create_coder(s, u) for u in data.users}

        def cid(name: str) -> int:
            if name not in coder_ids:
                coder_ids[name] = meta.get_or_create_coder(s, name)
            return coder_ids[name]

        doc_ids: dict[str, int] = {}
        for d in data.documents:
            if d.content_hash in doc_ids:
                continue
            doc_ids[d.content_hash] = doc_store.add_document(s, d, coder_id=me, coded_roles=meta.coded_roles(s))
        index = exchange.excerpt_index(s)
        rows = []
        for c in data.codings:
            ex = index.get((doc_ids[c.document], c.excerpt_order))
            if ex is None:
                continue
            rows.append({"excerpt_id": ex[0], "code_id": c.code_id, "coder_id": cid(c.coder), "start": c.start,
                         "end": c.end, "origin": c.origin if c.origin in ("manual", "suggestion", "imported", "consensus")
                         else "imported", "created_at": c.created_at})
        n_codings = exchange.bulk_add_codings(s, rows)
        if data.reviews is not None:  # qualcode's own file says who finished what
            pairs = {(index[(doc_ids[ch], o)][0], cid(coder))
                     for coder, per_doc in data.reviews.items() for ch, orders in per_doc.items()
                     for o in orders if (doc_ids.get(ch), o) in index}
        else:
            pairs = exchange.review_pairs(s, {(r["excerpt_id"], r["coder_id"]) for r in rows}, reviews)
        n_reviews = len(exchange.add_reviews(s, pairs))
        coding_at = exchange.coding_ids(s) if any(m.coding for m in data.memos) else {}
        left_out, problems = list(data.left_out), list(data.problems)
        n_memos = 0
        for m in data.memos:
            doc_id = doc_ids.get(m.document) if m.document else None
            if m.document and doc_id is None:
                left_out.append(f"memo {_short(m.text)}: its document was not imported")
                continue
            ex = index.get((doc_id, m.excerpt_order)) if doc_id is not None and m.excerpt_order is not None else None
            coding_id = None
            if m.coding is not None:  # a memo on a coding: on that coding
                code_id, coder, a, b = m.coding
                coding_id = coding_at.get((ex[0], code_id, cid(coder), a, b)) if ex else None
                if coding_id is None:
                    problems.append(f"memo {_short(m.text)}: its coding was not imported; "
                                    f"it was put on the {'excerpt' if ex else 'document'}")
            exchange.add_memo_at(s, m.text, cid(m.coder), created_at=m.created_at,
                                 excerpt_id=ex[0] if ex else None,
                                 document_id=doc_id if ex is None else None,
                                 code_id=m.code_id, coding_id=coding_id)
            n_memos += 1
        codable = len(data.codebook.codable_codes())  # the codes a coder can apply; groups apart
        groups = sum(not c.codable and not c.retired for c in data.codebook.codes)
        return Outcome({"documents": len(doc_ids), "codes": codable, "code_groups": groups,
                        "codings": n_codings,
                        "memos": n_memos, "reviews": n_reviews, "problems": problems,
                        "left_out": left_out}, label, None,
                       {"documents": len(doc_ids), "codings": n_codings, "memos": n_memos,
                        "reviews": n_reviews, "left_out": left_out})


def _short(text: str) -> str:
    """A memo's text in quotes, cut to a line."""
    return f"“{text if len(text) <= 60 else text[:57].rstrip() + '…'}”"


# ---- coded excerpts from a spreadsheet ------------------------------------------------

CODINGS_COLUMNS = "document, start, end (or excerpt_id), code, coder"


class DryRun(Exception):
    """Raised inside a transaction to roll it back and hand a preview out."""

    def __init__(self, summary: dict[str, Any]) -> None:
        super().__init__("dry run")
        self.summary = summary


def import_codings(ctx: ProjectContext, file: "str | Path | IO[bytes] | bytes", *,
                   origin: str = "imported", reviews: str = "documents", dry_run: bool = False) -> dict[str, Any]:
    """Import codings from a CSV with columns ``document, start, end, code, coder`` (or
    ``excerpt_id`` instead of document/start/end). Codes are matched by id, then name;
    documents by name or id; a span across excerpts is split at their boundaries.

    Every row is checked first: if any row is wrong, nothing is imported and the error
    lists the rows (file, line, what to fix). Imported codings count for agreement:
    ``reviews`` says which excerpts each coder in the file has reviewed ("documents":
    every codable excerpt of the documents their codings touch; "excerpts": only the
    ones they coded; "none"). ``dry_run`` checks and counts without writing (a preview).
    One audit event (``merge``); ``qualcode undo`` takes the whole import back.

    >>> import_codings(ctx, "from-spreadsheet.csv")  # doctest: +SKIP
    """
    _check_rule(reviews)
    raw, label = _read_source(file)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ExportError("the file is not UTF-8 text", file=label, hint="save it as CSV UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    fields = {(f or "").strip().lower(): f for f in (reader.fieldnames or [])}
    has_span = {"document", "start", "end"} <= set(fields)
    if "code" not in fields or not (has_span or "excerpt_id" in fields):
        raise ExportError(f"missing columns; need {CODINGS_COLUMNS}", file=label, line=1,
                          hint="name the header row's columns like that")
    try:
        return {**executor.execute(ctx, cmd.MergeWork(label=label, reviews=reviews, dry_run=dry_run, kind="codings",
                                                      data=(text, origin))), "dry_run": False}
    except DryRun as preview:  # the executor rolled it back: nothing written
        return {**preview.summary, "dry_run": True}


def merge_codings_in(s, ctx: ProjectContext, text: str, *, label: str, origin: str, reviews: str,
                     dry_run: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """Codings from a CSV's text added in the caller's transaction (the ``MergeWork``
    command): (summary, what undo needs). Every row is checked first; ``dry_run`` raises
    :class:`DryRun` with the summary so that the transaction rolls back."""
    reader = csv.DictReader(io.StringIO(text))
    fields = {(f or "").strip().lower(): f for f in (reader.fieldnames or [])}
    has_span = {"document", "start", "end"} <= set(fields)
    problems: list[Problem] = []
    rows = []
    cb = code_store.load_codebook(s)
    by_name = {c.name.casefold(): c.id for c in cb.codes}
    ids = {c.id for c in cb.codes}
    docs = exchange.documents_by_name(s)
    spans = exchange.document_spans(s)
    ex_doc = {i: (d, a, b) for d, lst in spans.items() for a, b, i, _ in lst}
    coder_ids: dict[str, int] = {}
    per_coder: dict[str, int] = {}
    for lineno, rec in enumerate(reader, start=2):
        get = lambda k: (rec.get(fields.get(k, ""), "") or "").strip()  # noqa: E731
        code_raw = get("code")
        code = code_raw if code_raw in ids else by_name.get(code_raw.casefold())
        if code is None:
            problems.append(Problem(f"no code {code_raw!r}", file=label, line=lineno))
            continue
        coder = get("coder") or ctx.coder
        pieces: list[tuple[int, int, int]] = []
        try:
            if get("excerpt_id"):
                eid = int(get("excerpt_id"))
                if eid not in ex_doc:
                    raise ValueError(f"no excerpt {eid}")
                _, a, b = ex_doc[eid]
                sa = int(get("start")) if has_span and get("start") else a
                sb = int(get("end")) if has_span and get("end") else b
                if not (a <= sa < sb <= b):
                    raise ValueError(f"span {sa}:{sb} is not inside excerpt {eid} ({a}:{b})")
                pieces = [(eid, sa, sb)]
            else:
                dref = get("document")
                matches = docs.get(dref) or ([int(dref)] if dref.isdigit() and int(dref) in spans else [])
                if len(matches) != 1:
                    raise ValueError(f"no document {dref!r}" if not matches else f"{dref!r} names {len(matches)} documents")
                sa, sb = int(get("start")), int(get("end"))
                if sa >= sb:
                    raise ValueError(f"start {sa} is not before end {sb}")
                for a, b, eid, _ in spans.get(matches[0], []):
                    lo, hi = max(a, sa), min(b, sb)
                    if lo < hi:
                        pieces.append((eid, lo, hi))
                if not pieces:
                    raise ValueError(f"span {sa}:{sb} covers no excerpt of {dref!r}")
        except ValueError as exc:
            problems.append(Problem(str(exc), file=label, line=lineno))
            continue
        if coder not in coder_ids:
            coder_ids[coder] = meta.get_or_create_coder(s, coder)
        for eid, a, b in pieces:
            rows.append({"excerpt_id": eid, "code_id": code, "coder_id": coder_ids[coder], "start": a,
                         "end": b, "origin": origin})
            per_coder[coder] = per_coder.get(coder, 0) + 1
    if problems:
        first = problems[0]
        raise ExportError(f"{len(problems)} row(s) cannot be imported; first: {first.message}",
                          file=label, line=first.line,
                          hint="fix these rows and import again (nothing was imported): "
                               + "; ".join(f"line {p.line}: {p.message}" for p in problems[:10]))
    new_ids, _already = exchange.insert_codings(s, rows)
    pairs = exchange.review_pairs(s, {(r["excerpt_id"], r["coder_id"]) for r in rows}, reviews)
    new_reviews = exchange.add_reviews(s, pairs)
    summary = {"rows": len(rows), "added": len(new_ids), "skipped": len(rows) - len(new_ids),
               "reviews": len(new_reviews), "coders": per_coder}
    if dry_run:
        raise DryRun(summary)
    return summary, {"rows": len(rows), "added": len(new_ids), "coding_ids": new_ids,
                     "reviews": [list(p) for p in new_reviews], "review_rule": reviews}


def export_codebook(ctx: ProjectContext, out: "str | Path", *, fmt: str | None = None) -> Path:
    """The codebook in YAML, Markdown, Word or .qdc (delegates to services.codebook)."""
    try:
        from qualcode.services import codebook as cb_service
    except ImportError as exc:  # pragma: no cover - codebook area not installed
        raise QualcodeError("codebook export is not available", hint=str(exc)) from None
    return cb_service.export_codebook(ctx, out, fmt=fmt)


__all__ = [
    "export_excerpts", "export_frequencies", "export_crosstab", "export_matrix", "export_report",
    "export_qdpx", "import_qdpx", "import_codings", "excerpts_bytes",
    "frequencies_bytes", "crosstab_bytes", "matrix_bytes", "report_bytes", "qdpx_bytes",
    "excerpts_table", "project_data", "NotFoundError",
]

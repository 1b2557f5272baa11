"""Importing transcripts into a project, and editing what import decided.

Each file is one transaction: parse (no database), then de-identify, check for a
duplicate, and store document, speakers, turns, excerpts, attributes and new pseudonyms
together. A file that fails leaves nothing; one bad file does not stop the others.

Which speech is offered for coding follows the project's codable roles (setting
``code_roles``, default participant + unknown). Excerpts of interviewer and facilitator
speech are still stored, with ``codable=False``, so they can be read in context and made
codable later by changing a speaker's role or the codable roles, without re-importing.

>>> report = ingest_paths(ctx, ["transcripts/"], attrs=["year=2021"])  # doctest: +SKIP
>>> report.counts()  # doctest: +SKIP
{'ok': 9, 'skipped': 1, 'failed': 0}
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import glob
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from qualcode import ingest as readers
from qualcode.core import Attribute, AttrType, Role
from qualcode.errors import IngestError, Problem, QualcodeError
from qualcode.export.tables import csv_text
from qualcode.ingest.attributes import Sidecar, check_value, load_sidecar, parse_attrs
from qualcode.ingest.build import speaker_roles
from qualcode.ingest.deidentify import NameEntry, PseudonymKey, deidentify, load_names, ner_names, parse_names
from qualcode.ingest.interviewer import InterviewerGuess, detect_interviewers
from qualcode.ingest.merge import merge_candidates, merge_raw
from qualcode.ingest.subtitles import NoReadableTimes
from qualcode.ingest.model import ParsedFile
from qualcode.ingest.tables import SidecarFile
from qualcode.core import commands as cmd
from qualcode.services import commands as executor
from qualcode.services.commands import Outcome, handles
from qualcode.services.documents_edit import merge_in_document, unmerge_in_document
from qualcode.services.project import ProjectContext
from qualcode.storage import coding as coding_store
from qualcode.storage import documents, meta, pseudonyms

CODE_ROLES_SETTING = meta.CODED_ROLES_KEY
FILE_HASHES_SETTING = "ingest_file_hashes"  # sha256 of imported files -> document id


class AlreadyImported(IngestError):
    """The same content is already in the project (same content hash)."""

    def __init__(self, message: str, *, document_id: int, **kw) -> None:
        self.document_id = document_id
        super().__init__(message, **kw)


@dataclass
class FileResult:
    file: str
    status: str  # ok | skipped | failed
    document_id: int | None = None
    message: str = ""
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    deidentification: dict | None = None
    proposed_interviewer: dict | None = None  # {"label", "reason", "role"} when nobody has that role

    def to_dict(self) -> dict[str, Any]:
        d = {"file": self.file, "status": self.status, "document_id": self.document_id, "message": self.message,
             "problems": [{"message": p.message, "line": p.line, "severity": p.severity} for p in self.problems],
             "counts": self.counts}
        if self.deidentification is not None:
            d["deidentification"] = self.deidentification
        if self.proposed_interviewer is not None:
            d["proposed_interviewer"] = self.proposed_interviewer
        return d


@dataclass
class IngestReport:
    results: list[FileResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # about the batch (unused sidecar rows...)

    def counts(self) -> dict[str, int]:
        return {k: sum(r.status == k for r in self.results) for k in ("ok", "skipped", "failed")}

    @property
    def failed(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def document_ids(self) -> list[int]:
        return [r.document_id for r in self.results if r.status == "ok" and r.document_id is not None]

    def to_dict(self) -> dict[str, Any]:
        return {"counts": self.counts(), "files": [r.to_dict() for r in self.results],
                "problems": [str(p) for p in self.problems]}


# --- parsing (nothing saved) ----------------------------------------------------------------

def parse_file(path: str | Path, **opts: Any) -> ParsedFile:
    """Parse one transcript for preview: the document and its problems; nothing is saved.

    Options: ``unit`` (sentence|turn), ``codable_roles``, ``roles`` ({label: role}),
    ``speaker_column``/``text_column``/``time_column``/``sheet`` (tables), ``max_file_mb``.

    >>> parsed = parse_file("interview.vtt", unit="turn")  # doctest: +SKIP
    """
    return readers.parse_path(path, **opts)


def unsupported_type(filename: str) -> IngestError | None:
    """The refusal of a file by its name alone, before reading it: no reader takes its kind
    (the message says which kinds are read and what to do); None when one does."""
    return readers.unsupported_type(filename)


def parse_bytes(data: bytes, filename: str, **opts: Any) -> ParsedFile:
    """Parse an uploaded file (its bytes and original name) for preview; nothing is saved.

    >>> parsed = parse_bytes(upload.getvalue(), upload.name)  # doctest: +SKIP
    """
    return readers.parse_bytes(data, filename, **opts)


def reparse(parsed: ParsedFile, *, roles: Mapping[str, str] | None = None) -> ParsedFile:
    """The same file laid out again with other speaker roles (nothing is read or saved)."""
    return readers.rebuild(parsed, roles=roles)


def merge_parsed_speakers(parsed: ParsedFile, labels: Sequence[str], into: str, *,
                          roles: Mapping[str, str] | None = None) -> ParsedFile:
    """A parsed file (not saved yet) with speakers ``labels`` merged into one, ``into``
    (one of them, or a new spelling). Text and times are kept; offsets are recomputed.

    >>> parsed = merge_parsed_speakers(parsed, ["JOHN SMITH", "John", "Speaker 1"], "John Smith")  # doctest: +SKIP
    """
    roles = {k: v for k, v in (roles or {}).items() if k not in set(labels) or k == into}
    return readers.rebuild(parsed, raw=merge_raw(parsed.raw, list(labels), into), roles=roles)


def roles_as_read(parsed: ParsedFile) -> dict[str, str]:
    """Each speaker's role as the file gives it (its labels, a header), before any choice
    made in the preview: ``{"Interviewer": "interviewer", "Ana": "unknown"}``."""
    return speaker_roles(parsed.raw)


def speaker_merge_candidates(labels: Iterable[str]) -> list[list[str]]:
    """Labels that may name one person (``JOHN SMITH`` / ``John``), to offer merging."""
    return merge_candidates(labels)


def propose_interviewers(parsed: Mapping[str, ParsedFile]) -> dict[str, InterviewerGuess | None]:
    """For a batch of parsed files (name -> parsed): who talks like the interviewer or
    facilitator in each, consistent across the batch (a name that is the interviewer in
    several files is proposed in all). Files where a speaker already has that role get None.

    >>> propose_interviewers({"a.vtt": parse_file("a.vtt")})["a.vtt"].reason  # doctest: +SKIP
    'asks a question in 5 of 5 turns, turns shorter than the others (9 words against 28), speaks first'
    """
    docs, skip = {}, set()
    for name, p in parsed.items():
        d = p.document
        if any(sp.role.value in ("interviewer", "facilitator") for sp in d.speakers):
            skip.add(name)
        docs[name] = [(t.speaker, d.text[t.start:t.end]) for t in d.turns]
    guesses = detect_interviewers(docs)
    return {name: (None if name in skip else g) for name, g in guesses.items()}


# --- settings -------------------------------------------------------------------------------

def codable_roles(ctx: ProjectContext) -> tuple[str, ...]:
    """The speaker roles whose speech is offered for coding in this project."""
    with ctx.session(readonly=True) as s:
        return _codable_roles(s)


def _codable_roles(s) -> tuple[str, ...]:
    return meta.coded_roles(s)


@handles(cmd.SetCodableRoles)
class _SetCodableRoles:
    @staticmethod
    def apply(s, ctx, coder_id, c: cmd.SetCodableRoles) -> Outcome:
        roles = tuple(Role(r).value for r in c.roles)
        before = {"roles": list(_codable_roles(s)), "set": meta.get_setting(s, CODE_ROLES_SETTING) is not None}
        meta.set_setting(s, CODE_ROLES_SETTING, list(roles))
        n = sum(documents.refresh_codable(s, d["id"], roles) for d in documents.list_documents(s))
        # pending suggestions on speech no longer coded are withdrawn (kept for undo)
        withdrawn = coding_store.withdraw_uncodable_pending(s)
        if withdrawn:
            before["withdrawn"] = withdrawn
        return Outcome(n, "code_roles", before, list(roles))

    @staticmethod
    def revert(s, ev, coder_id) -> None:
        before = ev.before or {}
        meta.restore_setting(s, CODE_ROLES_SETTING, before.get("roles"), was_set=before.get("set", True))
        roles = _codable_roles(s)
        for d in documents.list_documents(s):
            documents.refresh_codable(s, d["id"], roles)
        coding_store.restore_suggestions(s, before.get("withdrawn", []))


def set_codable_roles(ctx: ProjectContext, roles: Iterable[str]) -> int:
    """Choose which roles' speech is codable; updates every document. Returns codable excerpts."""
    return executor.execute(ctx, cmd.SetCodableRoles(roles=tuple(Role(r).value for r in roles)))


# --- saving ---------------------------------------------------------------------------------

def _names(names: str | Path | Sequence[str | NameEntry] | None) -> list[NameEntry]:
    if names is None:
        return []
    if isinstance(names, (str, Path)):
        return load_names(names)
    out: list[NameEntry] = []
    for n in names:
        out += [n] if isinstance(n, NameEntry) else parse_names(str(n))
    return out


def _save(ctx: ProjectContext, parsed: ParsedFile, *, attributes: Mapping[str, Any] | None = None,
          speaker_attributes: Mapping[str, Mapping[str, Attribute]] | None = None, deidentify_names: bool = False,
          names: list[NameEntry] | None = None, ner_model: str | None = None,
          replace: bool = False, replaces: int | None = None,
          second: bool = False) -> tuple[int, dict | None]:
    doc = copy.deepcopy(parsed.document)
    if second:  # a second document of this name: it gets the next free "name (2)"
        with ctx.session(readonly=True) as s:
            doc.name = _free_name({d["name"] for d in documents.list_documents(s)}, doc.name)
    doc.attributes.update(parse_attrs(dict(attributes or {})))
    for label, attrs in (speaker_attributes or {}).items():
        sp = next((x for x in doc.speakers if x.label == label), None)
        if sp is None:
            parsed.problems.append(Problem(f"attributes given for speaker {label!r}, who is not in this file",
                                           file=parsed.path, severity="warning"))
            continue
        sp.attributes.update(parse_attrs(dict(attrs)))
    doc_id, report = executor.execute(ctx, cmd.ImportDocument(
        name=doc.name, replace=bool(replace or replaces is not None), deidentify=bool(deidentify_names),
        attributes={k: str(getattr(v, "value", v)) for k, v in doc.attributes.items()},
        parsed=dataclasses.replace(parsed, document=doc, replaces=replaces), names=list(names or []),
        ner_model=ner_model))
    return doc_id, report


@handles(cmd.ImportDocument)
class _ImportDocument:
    @staticmethod
    def apply(s, ctx, cid, c: cmd.ImportDocument) -> Outcome:
        parsed, doc, deidentify_names, report = c.parsed, c.parsed.document, c.deidentify, None
        roles = _codable_roles(s)
        if set(roles) != set(parsed.codable_roles):
            role_of = {sp.label: sp.role.value for sp in doc.speakers}
            codable = {t.order: role_of[t.speaker] in roles for t in doc.turns}
            for e in doc.excerpts:
                e.codable = codable.get(e.turn_order, True)
        if deidentify_names:
            key = PseudonymKey(pseudonyms.load_key(s))
            extra = list(c.names or [])
            if c.ner_model:
                extra += ner_names([doc.text], c.ner_model)
            result = deidentify(doc, key, names=extra)
            doc = result.document
            report = result.report()
            pseudonyms.add_entries(s, key.added)
        file_hashes = dict(meta.get_setting(s, FILE_HASHES_SETTING, {}) or {})
        existing = _stored_copy(s, doc.content_hash, parsed.file_hash, file_hashes)
        if existing is None and c.replace and parsed.replaces is not None \
                and documents.find_document(s, parsed.replaces):
            existing = parsed.replaces  # an edited copy of it (same name): the coder chose to replace it
        if existing is not None:
            if not c.replace:
                raise AlreadyImported(f"already imported as document {existing}", file=parsed.path,
                                      document_id=existing, hint="pass --replace to import it again",
                                      app_hint="tick 'Replace documents already imported' under Options on the Import page, then import it again")
            documents.delete_document(s, existing)
            s.flush()
        doc_id = documents.add_document(s, doc, coder_id=cid, coded_roles=roles)
        if deidentify_names:
            documents.set_deidentified(s, doc_id)
        if parsed.file_hash:
            file_hashes = {h: d for h, d in file_hashes.items() if d != existing}
            file_hashes[parsed.file_hash] = doc_id
            meta.set_setting(s, FILE_HASHES_SETTING, file_hashes)
        return Outcome((doc_id, report), doc_id, None,
                       {"name": doc.name, "file": doc.source_filename, "format": doc.format,
                        "turns": len(doc.turns), "excerpts": len(doc.excerpts), "replaced": existing,
                        "deidentified": deidentify_names})


def save_parsed(ctx: ProjectContext, parsed: ParsedFile, *, attributes: Mapping[str, Any] | None = None,
                speaker_attributes: Mapping[str, Mapping[str, Any]] | None = None, deidentify: bool = False,
                names: str | Path | Sequence[str | NameEntry] | None = None, ner_model: str | None = None,
                replace: bool = False, replaces: int | None = None, second: bool = False) -> int:
    """Store a parsed file in one transaction; returns the new document id.

    Raises :class:`AlreadyImported` when the same content is already there (unless
    ``replace``, which deletes the old document, its codings included, first).
    ``replaces``: the id of a stored document this file replaces (an edited copy of a file
    already imported, see :func:`already_in_project`), deleted with its codings in the same
    transaction. ``second``: a second document with the name of one already there; it is
    stored as "name (2)" (the next free number).

    >>> doc_id = save_parsed(ctx, parse_file("a.txt"), attributes={"year": "2021"})  # doctest: +SKIP
    """
    doc_id, _ = _save(ctx, parsed, attributes=attributes, speaker_attributes=speaker_attributes,
                      deidentify_names=deidentify, names=_names(names), ner_model=ner_model, replace=replace,
                      replaces=replaces, second=second)
    return doc_id


def _stored_copy(s, content_hash: str, file_hash: str | None, file_hashes: Mapping[str, int]) -> int | None:
    """The stored document holding this content: the same text, or the same file imported
    before (de-identified since, so its text differs); None if there is none."""
    same = documents.find_by_hash(s, content_hash)
    known = file_hashes.get(file_hash) if file_hash else None
    if same is None and known is not None and documents.find_document(s, known):
        same = known
    return same


@dataclass(frozen=True)
class InProject:
    """How a parsed file (not saved yet) meets the documents already in the project, for
    the preview to say before import: ``same_content`` is the document holding this very
    content (importing it again is refused unless replaced); ``same_name`` the documents
    with this document's name and other content (an edited copy: importing it would make a
    second document of that name); ``second_name`` the name such a second document gets;
    ``same_content_name`` the name of the document holding this content (walk 31: a renamed copy
    was said to be in the project "as document 2 (the copy's own name)")."""

    name: str
    same_content: int | None = None
    same_name: tuple[int, ...] = ()
    second_name: str = ""
    same_content_name: str = ""


def _free_name(taken: set[str], name: str) -> str:
    """``name (2)``, or the next number free in ``taken``.

    >>> _free_name({"ana", "ana (2)"}, "ana")
    'ana (3)'
    """
    n = 2
    while f"{name} ({n})" in taken:
        n += 1
    return f"{name} ({n})"


def already_in_project(ctx: ProjectContext, parsed: Mapping[Any, ParsedFile]) -> dict[Any, InProject]:
    """For files parsed for the preview (key -> parsed): those already in the project, by
    content (the same file imported before, de-identified or not) or by name (an edited
    copy). Files that meet nothing are left out.

    >>> already_in_project(ctx, {"ana.txt": parse_file("ana.txt")})  # doctest: +SKIP
    {'ana.txt': InProject(name='ana', same_content=3, same_name=(), second_name='ana (2)', same_content_name='ana')}
    """
    out: dict[Any, InProject] = {}
    if not parsed:
        return out
    with ctx.session(readonly=True) as s:
        docs = documents.list_documents(s)
        file_hashes = dict(meta.get_setting(s, FILE_HASHES_SETTING, {}) or {})
        for key, p in parsed.items():
            same = _stored_copy(s, p.document.content_hash, p.file_hash, file_hashes)
            named = tuple(d["id"] for d in docs if d["name"] == p.document.name and d["id"] != same)
            if same is not None or named:
                out[key] = InProject(p.document.name, same, () if same is not None else named,
                                     _free_name({d["name"] for d in docs}, p.document.name),
                                     next((d["name"] for d in docs if d["id"] == same), ""))
    return out


def _expand(paths: Iterable[str | Path], report: IngestReport) -> list[tuple[Path, bool]]:
    """(file, named explicitly) for every path, folder (recursive) and glob."""
    out: list[tuple[Path, bool]] = []
    for raw in paths:
        text = str(raw)
        if any(ch in text for ch in "*?[") and not Path(text).exists():
            hits = sorted(glob.glob(text, recursive=True))
            if not hits:
                report.results.append(FileResult(text, "failed", message=f"{text}: no file matches this pattern."))
            out += [(Path(h), False) for h in hits if Path(h).is_file()]
            continue
        p = Path(text)
        if p.is_dir():
            out += [(f, False) for f in sorted(p.rglob("*"))
                    if f.is_file() and not any(part.startswith((".", "_")) for part in f.relative_to(p).parts)]
        else:
            out.append((p, True))
    return out


def ingest_paths(
    ctx: ProjectContext,
    paths: Iterable[str | Path],
    *,
    attrs: Iterable[str] | Mapping[str, Any] | None = None,
    attributes: str | Path | None = None,
    unit: str | None = None,
    deidentify: bool = False,
    names: str | Path | Sequence[str | NameEntry] | None = None,
    replace: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
    ner_model: str | None = None,
    speaker_column: str | None = None,
    text_column: str | None = None,
    time_column: str | None = None,
    max_file_mb: float | None = None,
    without_times: bool = False,
) -> IngestReport:
    """Import files, folders and globs; one transaction per file; never stops at a bad file.

    ``attrs`` (``["year=2021"]`` or a dict) apply to every file; ``attributes`` is a sidecar
    CSV keyed by file name (that file itself is not imported). A CSV in a folder that looks
    like a sidecar (a ``file`` column, no text column) is skipped with a message. Files in
    folders with other extensions are skipped; named files with them fail.
    ``progress(done, total, file)`` is called before each file. ``without_times``: caption
    files whose cue times cannot be read are imported as text instead of failing.

    >>> ingest_paths(ctx, ["transcripts/"], attributes="transcripts/attributes.csv")  # doctest: +SKIP
    """
    report = IngestReport()
    common = parse_attrs(attrs if isinstance(attrs, Mapping) else list(attrs or []))
    sidecar: Sidecar | None = load_sidecar(attributes) if attributes else None
    name_entries = _names(names)
    if name_entries and not deidentify:
        report.problems.append(Problem("a names list was given without de-identification; it was not used",
                                       severity="warning"))
    with ctx.session(readonly=True) as s:
        roles = _codable_roles(s)
    sidecar_path = Path(attributes).resolve() if attributes else None
    files = _expand(paths, report)
    total = len(files)
    for i, (path, explicit) in enumerate(files):
        if progress:
            progress(i, total, str(path))
        if sidecar_path is not None and path.resolve() == sidecar_path:
            report.results.append(FileResult(str(path), "skipped", message="attributes file (read with --attributes, "
                                                                          "not imported as a transcript)"))
            continue
        if not explicit and not readers.supported(path):
            report.results.append(FileResult(str(path), "skipped", message=f"not a transcript format "
                                                                          f"({path.suffix or 'no extension'})"))
            continue
        try:
            parsed = readers.parse_path(path, unit=unit, codable_roles=roles, speaker_column=speaker_column,
                                        text_column=text_column, time_column=time_column, max_file_mb=max_file_mb,
                                        project_dir=ctx.project_dir, without_times=without_times)
            doc_attrs, speaker_attrs = sidecar.for_file(path.name) if sidecar else ({}, {})
            doc_id, deid = _save(ctx, parsed, attributes={**common, **doc_attrs}, speaker_attributes=speaker_attrs,
                                 deidentify_names=deidentify, names=name_entries, ner_model=ner_model,
                                 replace=replace)
            d = parsed.document
            report.results.append(FileResult(
                str(path), "ok", doc_id, message=f"{len(d.speakers)} speakers, {len(d.turns)} turns, "
                                                 f"{len(d.excerpts)} excerpts", problems=parsed.problems,
                counts={"speakers": len(d.speakers), "turns": len(d.turns), "excerpts": len(d.excerpts),
                        "codable": sum(e.codable for e in d.excerpts), "words": d.word_count},
                deidentification=deid, proposed_interviewer=_guess_dict(parsed.interviewer)))
        except AlreadyImported as exc:
            report.results.append(FileResult(str(path), "skipped", exc.document_id,
                                             message=f"already imported as document {exc.document_id} "
                                                     "(same content); --replace imports it again"))
        except SidecarFile as exc:
            report.results.append(FileResult(str(path), "skipped", message=exc.message + "; " + (exc.hint or "")))
        except QualcodeError as exc:
            report.results.append(FileResult(str(path), "failed", message=str(exc),
                                             problems=list(getattr(exc, "problems", []) or [])))
        except Exception as exc:  # a reader bug must not stop the batch; the file's transaction rolled back
            report.results.append(FileResult(str(path), "failed",
                                             message=f"{path}: unexpected error ({type(exc).__name__}: {exc}). "
                                                     "Please report it with the file if you can."))
    if progress:
        progress(total, total, "")
    if sidecar:
        for written, line in sidecar.unused_rows():
            report.problems.append(Problem(f"attributes for {written!r} matched no imported file", file=sidecar.path,
                                           line=line or None, severity="warning"))
        for col, line, value, kind in sidecar.odd_values():  # a year typed "twenty23" (walk 31)
            report.problems.append(Problem(f"the column {col!r} holds {kind}, but this row has {value!r}: it makes "
                                           "a group of its own in every comparison (correct it with qualcode set-attr, "
                                           "or on the Documents page)", file=sidecar.path, line=line,
                                           severity="warning"))
    return report


def _guess_dict(guess: InterviewerGuess | None) -> dict | None:
    return None if guess is None else {"label": guess.label, "reason": guess.reason, "role": guess.role}


# --- reading --------------------------------------------------------------------------------

def list_documents(ctx: ProjectContext) -> list[dict[str, Any]]:
    """id, name, format, source_filename, attributes, counts, created_at per document."""
    with ctx.session(readonly=True) as s:
        return documents.list_documents(s)


def show_document(ctx: ProjectContext, ref: str | int) -> dict[str, Any]:
    """One document in full: text, speakers, turns (speaker, role, offsets, times, text) and
    excerpts (id, order, start, end, turn, speaker, codable, text).

    >>> show_document(ctx, "interview-03")["turns"][0]["role"]  # doctest: +SKIP
    'interviewer'
    """
    with ctx.session(readonly=True) as s:
        doc_id = documents.resolve_document(s, ref)
        doc = documents.load_document(s, doc_id)
        deidentified = documents.is_deidentified(s, doc_id)
    role = {sp.label: sp.role.value for sp in doc.speakers}
    speaker_of_turn = {t.order: t.speaker for t in doc.turns}
    return {
        "id": doc.id, "name": doc.name, "format": doc.format, "source_filename": doc.source_filename,
        "deidentified": deidentified, "content_hash": doc.content_hash,
        "attributes": {k: a.value for k, a in doc.attributes.items()},
        "attribute_types": {k: a.type.value for k, a in doc.attributes.items()},
        "speakers": [{"label": sp.label, "role": sp.role.value, "pseudonym": sp.pseudonym,
                      "attributes": {k: a.value for k, a in sp.attributes.items()}} for sp in doc.speakers],
        "text": doc.text,
        "turns": [{"order": t.order, "speaker": t.speaker, "role": role.get(t.speaker, "unknown"), "start": t.start,
                   "end": t.end, "start_ms": t.start_ms, "end_ms": t.end_ms, "text": doc.text[t.start:t.end]}
                  for t in doc.turns],
        "excerpts": [{"id": e.id, "order": e.order, "start": e.start, "end": e.end, "turn": e.turn_order,
                      "speaker": speaker_of_turn.get(e.turn_order), "codable": e.codable, "text": e.text}
                     for e in doc.excerpts],
    }


# --- editing after import -------------------------------------------------------------------

@handles(cmd.SetSpeakerRole)
class _SetSpeakerRole:
    @staticmethod
    def apply(s, ctx, coder_id, c: cmd.SetSpeakerRole) -> Outcome:
        did = documents.resolve_document(s, c.document)
        before = documents.set_speaker_role(s, did, c.label, c.role.value)
        s.flush()
        n = documents.refresh_codable(s, did, _codable_roles(s))
        # their pending suggestions are withdrawn when their speech is no longer coded (kept for undo)
        withdrawn = coding_store.withdraw_uncodable_pending(s, document_id=did)
        old = {"role": before, **({"withdrawn": withdrawn} if withdrawn else {})}
        return Outcome(n, f"{did}:{c.label}", old, {"role": c.role.value})

    @staticmethod
    def revert(s, ev, coder_id) -> None:
        did, label = ev.entity_id.split(":", 1)
        documents.set_speaker_role(s, int(did), label, (ev.before or {})["role"])
        s.flush()
        documents.refresh_codable(s, int(did), _codable_roles(s))
        coding_store.restore_suggestions(s, (ev.before or {}).get("withdrawn", []))


def set_speaker_role(ctx: ProjectContext, doc_id: int | str, label: str, role: str) -> int:
    """Change a speaker's role; their excerpts become codable or not. Returns codable excerpts.

    >>> set_speaker_role(ctx, 3, "Speaker 1", "interviewer")  # doctest: +SKIP
    """
    try:
        role = Role(str(role).lower())
    except ValueError:
        raise QualcodeError(f"unknown role {role!r}", hint="use " + ", ".join(r.value for r in Role)) from None
    return executor.execute(ctx, cmd.SetSpeakerRole(document=doc_id, label=label, role=role))


@handles(cmd.SetAttribute)
class _SetAttribute:
    @staticmethod
    def apply(s, ctx, coder_id, c: cmd.SetAttribute) -> Outcome:
        did = documents.resolve_document(s, c.document)
        if c.label is None:
            old = documents.set_document_attribute(s, did, c.key, c.value, c.type)
            return Outcome(None, did, {c.key: old} if old is not None else None, {c.key: c.value, "type": c.type})
        documents.set_speaker_attribute(s, did, c.label, c.key, c.value, c.type)
        return Outcome(None, f"{did}:{c.label}", None, {c.key: c.value, "type": c.type}, entity="speaker")


def merge_speakers(ctx: ProjectContext, doc_id: int | str, labels: Sequence[str], into: str) -> dict[str, Any]:
    """Merge speakers of a stored document who are one person (``JOHN SMITH``, ``John``,
    ``Speaker 1``) into ``into`` (one of them, or a new spelling), in one transaction. Their
    turns, excerpts, codings and suggestions stay; the text keeps the labels as written;
    the merged speaker keeps ``into``'s role (else the first label's) and excerpts become
    codable or not by that role (pending suggestions on excerpts no longer coded are
    withdrawn). The one undo takes it back. Returns {"into", "role", "speakers", "codable"}.

    >>> merge_speakers(ctx, 3, ["JOHN SMITH", "John", "Speaker 1"], "John Smith")["role"]  # doctest: +SKIP
    'participant'
    """
    labels = list(dict.fromkeys(labels))
    into = " ".join(str(into).split())
    if not labels or not into:
        raise QualcodeError("nothing to merge", hint="name the speakers to merge and the name to keep")
    return executor.execute(ctx, cmd.MergeSpeakers(document=doc_id, labels=tuple(labels), into=into))


@handles(cmd.MergeSpeakers)
class _MergeSpeakers:
    @staticmethod
    def apply(s, ctx, cid, c: cmd.MergeSpeakers) -> Outcome:
        did = documents.resolve_document(s, c.document)
        result, record = merge_in_document(s, did, list(c.labels), c.into)
        return Outcome(result, did, {"speakers": result["speakers"], **record},
                       {"into": c.into, "role": result["role"]})

    @staticmethod
    def revert(s, ev, cid) -> None:
        unmerge_in_document(s, int(ev.entity_id), ev.before or {})


def set_document_attribute(ctx: ProjectContext, doc_id: int | str, key: str, value: Any,
                           type: str | AttrType = "text") -> None:
    """Set (or change) one document attribute, checked against its type (text/integer/date).

    >>> set_document_attribute(ctx, 3, "year", 2021, "integer")  # doctest: +SKIP
    """
    t = AttrType(type)
    value = check_value(key, str(value), t)
    executor.execute(ctx, cmd.SetAttribute(document=doc_id, key=key, value=value, type=t.value))


def set_speaker_attribute(ctx: ProjectContext, doc_id: int | str, label: str, key: str, value: Any,
                          type: str | AttrType = "text") -> None:
    """Set one attribute of a speaker in a document (e.g. a focus group member's role).

    >>> set_speaker_attribute(ctx, 3, "Maria", "position", "team lead")  # doctest: +SKIP
    """
    t = AttrType(type)
    value = check_value(key, str(value), t)
    executor.execute(ctx, cmd.SetAttribute(document=doc_id, key=key, value=value, type=t.value, label=label))


@handles(cmd.Deidentify)
class _Deidentify:
    @staticmethod
    def apply(s, ctx, coder_id, c: cmd.Deidentify) -> Outcome:
        entries = list(c.names or [])
        did = documents.resolve_document(s, c.document)
        doc = documents.load_document(s, did)
        key = PseudonymKey(pseudonyms.load_key(s))
        if c.ner_model:
            entries += ner_names([doc.text], c.ner_model)
        result = deidentify(doc, key, names=entries)
        other = documents.find_by_hash(s, result.document.content_hash)
        if other is not None and other != did:
            raise IngestError(f"after de-identification this document is identical to document {other}",
                              hint="delete one of the two copies first")
        documents.apply_deidentified(s, result.document, result.offsets, result.labels)
        pseudonyms.add_entries(s, key.added)
        report = result.report()
        report["document_id"] = did
        return Outcome(report, did, None, {"replacements": report["replacements"], "speakers": len(result.labels)})


def deidentify_document(ctx: ProjectContext, doc_id: int | str, *,
                        names: str | Path | Sequence[str | NameEntry] | None = None,
                        ner_model: str | None = None) -> dict:
    """De-identify a stored document in place, in one transaction; returns the report.

    Text, speaker labels, turns, excerpts and codings are rewritten with offsets mapped, so
    excerpt ids, codings, suggestions and reviews all stay. Pseudonyms come from (and go
    to) the project's key, so a person keeps one pseudonym across documents.

    >>> deidentify_document(ctx, 3, names="names.txt")["replacements"]  # doctest: +SKIP
    12
    """
    return executor.execute(ctx, cmd.Deidentify(document=doc_id, names=_names(names), ner_model=ner_model))


def pseudonym_key(ctx: ProjectContext) -> list[dict[str, str]]:
    """The de-identification key (real names!). Only for an explicit request by the user."""
    with ctx.session(readonly=True) as s:
        return [{"kind": k, "real": r, "pseudonym": p} for k, r, p in pseudonyms.load_key(s)]


def export_key(ctx: ProjectContext, out: str | Path) -> int:
    """Write the key (kind, real, pseudonym) to a CSV the user asked for; returns rows."""
    rows = pseudonym_key(ctx)
    with open(out, "w", newline="", encoding="utf-8") as f:
        f.write(csv_text(["kind", "real", "pseudonym"], rows))
    return len(rows)


@handles(cmd.DeleteDocument)
class _DeleteDocument:
    @staticmethod
    def apply(s, ctx, coder_id, c: cmd.DeleteDocument) -> Outcome:
        did = documents.resolve_document(s, c.document)
        documents.delete_document(s, did)
        return Outcome(None, did)


def delete_document(ctx: ProjectContext, doc_id: int | str) -> None:
    """Delete a document and everything under it (codings included)."""
    executor.execute(ctx, cmd.DeleteDocument(document=doc_id))


__all__ = [
    "AlreadyImported", "FileResult", "InProject", "IngestReport", "InterviewerGuess", "NoReadableTimes",
    "ParsedFile", "already_in_project", "codable_roles", "delete_document", "deidentify_document", "export_key",
    "ingest_paths", "list_documents",
    "merge_parsed_speakers", "merge_speakers", "parse_bytes", "parse_file", "propose_interviewers",
    "pseudonym_key", "reparse", "roles_as_read", "save_parsed", "set_codable_roles", "set_document_attribute",
    "set_speaker_attribute", "set_speaker_role", "show_document", "speaker_merge_candidates",
]

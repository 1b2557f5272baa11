"""Transcript files -> documents: readers per format, speakers, segmentation, de-identification.

No database here. :func:`parse_path` / :func:`parse_bytes` turn one file into a
:class:`ParsedFile` (document + problems); ``qualcode.services.ingest`` stores it.

>>> parsed = parse_bytes(b"Interviewer: Why?\\nAna: Trust. Time.", "a.txt")
>>> [(e.text, e.codable) for e in parsed.document.excerpts]
[('Why?', False), ('Trust.', True), ('Time.', True)]
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable, Mapping

from qualcode.config import get_setting
from qualcode.errors import IngestError, Problem
from qualcode.ingest.build import DEFAULT_CODABLE_ROLES, build_document
from qualcode.ingest.encoding import decode_text, empty_file
from qualcode.ingest.interviewer import InterviewerGuess, detect_interviewer, detect_interviewers, missing_interviewer
from qualcode.ingest.model import ParsedFile, RawTranscript, RawTurn
from qualcode.ingest.segment import UNITS

FORMATS = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md", ".docx": "docx", ".vtt": "vtt",
           ".srt": "srt", ".csv": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".pdf": "pdf"}
_CONVERT_HINTS = {
    ".doc": "save it from Word as .docx (File > Save As)",
    ".rtf": "save it as .docx or .txt (in Word: File > Save As)",
    ".xls": "save it as .xlsx or .csv (in Excel: File > Save As)",
    ".odt": "save it as .docx (in LibreOffice or Word: File > Save As)",
    ".pages": "export it as .docx (in Pages: File > Export To > Word)",
    ".json": "export the transcript as .txt or .vtt", ".sbv": "convert the captions to .vtt or .srt",
}

__all__ = ["FORMATS", "InterviewerGuess", "ParsedFile", "detect_interviewer", "detect_interviewers",
           "interviewer_warning", "RawTranscript", "RawTurn", "UNITS", "parse_bytes", "parse_path",
           "read_raw", "readable_types", "rebuild", "supported", "unsupported_type"]


def supported(path: str | Path) -> bool:
    return Path(path).suffix.lower() in FORMATS


def readable_types(last: str = "and") -> str:
    """The extensions a transcript can be read from (:data:`FORMATS`), for a sentence.

    >>> readable_types("or")
    '.txt, .text, .md, .markdown, .docx, .vtt, .srt, .csv, .tsv, .xlsx or .pdf'
    """
    exts = list(FORMATS)
    return ", ".join(exts[:-1]) + f" {last} " + exts[-1]


def unsupported_type(filename: str) -> IngestError | None:
    """The refusal, in plain words (no flags), of a file whose type no reader takes: what
    kinds are read and what to do; None when a reader takes it. Checked before reading, so a
    file of another kind in the same upload is not held up.

    >>> print(unsupported_type("notes.rtf").for_app())  # doctest: +ELLIPSIS
    notes.rtf: qualcode can't read .rtf files. Save it as .docx or .txt (in Word: File > Save As) and import that ...
    >>> unsupported_type("interview.DOCX") is None
    True
    """
    ext = Path(filename).suffix.lower()
    if ext in FORMATS:
        return None
    what = f"{ext} files" if ext else "a file without an extension (such as .txt or .docx)"
    if ext in _CONVERT_HINTS:
        hint = f"{_CONVERT_HINTS[ext]} and import that (transcripts can be {readable_types('or')} files)"
    else:
        hint = f"save the transcript as {readable_types('or')} and import that"
    return IngestError(f"qualcode can't read {what}", file=filename, hint=hint)


def _check_ext(filename: str) -> str:
    ext = Path(filename).suffix.lower()
    if ext not in FORMATS:
        hint = _CONVERT_HINTS.get(ext, "export it as one of " + ", ".join(sorted(set(FORMATS))))
        raise IngestError(f"unsupported file type {ext or '(no extension)'!r}", file=filename, hint=hint)
    return FORMATS[ext]


def _limit_mb(max_file_mb: float | None, project_dir: str | Path | None) -> float:
    return float(max_file_mb if max_file_mb is not None else get_setting("max_file_mb", project_dir=project_dir))


def _check_size(size: int, limit_mb: float, filename: str) -> None:
    if size > limit_mb * 1024 * 1024:
        raise IngestError(f"the file is {size / 1024 / 1024:.1f} MB, over the {limit_mb:g} MB limit", file=filename,
                          hint="split the transcript, or raise the limit with QUALCODE_MAX_FILE_MB "
                               "(max_file_mb in qualcode.toml)")


def read_raw(data: bytes, filename: str, *, speaker_column: str | None = None, text_column: str | None = None,
             time_column: str | None = None, sheet: str | None = None,
             without_times: bool = False) -> tuple[RawTranscript, str]:
    """Run the reader for ``filename``'s extension over ``data``; returns (raw, format).

    ``without_times``: captions (.vtt/.srt) whose cue times cannot be read are imported as
    text (speakers and words, no times) instead of being refused.
    """
    fmt = _check_ext(filename)
    columns = {"speaker_column": speaker_column, "text_column": text_column, "time_column": time_column}
    if not data.strip():
        raise empty_file(filename)
    if fmt == "docx":
        from qualcode.ingest.docx import read_docx

        return read_docx(data, file=filename), fmt
    if fmt == "pdf":
        from qualcode.ingest.pdf import read_pdf

        return read_pdf(data, file=filename), fmt
    if fmt == "xlsx":
        from qualcode.ingest.tables import read_xlsx

        return read_xlsx(data, file=filename, sheet=sheet, **columns), fmt
    decoded = decode_text(data, file=filename)
    raw = _read_text_format(decoded.text, fmt, filename, columns, without_times)
    warning = decoded.warning(filename)  # bytes that did not decode: said at their line, not refused
    if warning is not None:
        raw.problems.insert(0, warning)
    return raw, fmt


def _read_text_format(text: str, fmt: str, filename: str, columns: dict, without_times: bool) -> RawTranscript:
    if fmt == "vtt":
        from qualcode.ingest.subtitles import read_vtt

        return read_vtt(text, file=filename, without_times=without_times)
    if fmt == "srt":
        from qualcode.ingest.subtitles import read_srt

        return read_srt(text, file=filename, without_times=without_times)
    if fmt == "csv":
        from qualcode.ingest.tables import read_csv

        return read_csv(text, file=filename, **columns)
    from qualcode.ingest.text import read_text

    return read_text(text, file=filename)


def parse_bytes(
    data: bytes,
    filename: str,
    *,
    unit: str | None = None,
    codable_roles: Iterable[str] | None = None,
    roles: Mapping[str, str] | None = None,
    name: str | None = None,
    max_file_mb: float | None = None,
    speaker_column: str | None = None,
    text_column: str | None = None,
    time_column: str | None = None,
    sheet: str | None = None,
    project_dir: str | Path | None = None,
    without_times: bool = False,
) -> ParsedFile:
    """Parse an uploaded file's bytes (nothing is saved): the document and its problems.

    Raises :class:`IngestError` (with file, line and what to do) when the file is refused.
    """
    _check_size(len(data), _limit_mb(max_file_mb, project_dir), filename)
    unit = unit or get_setting("unit", project_dir=project_dir)
    if unit not in UNITS:
        raise IngestError(f"unknown excerpt unit {unit!r}", hint="use 'sentence' or 'turn'")
    raw, fmt = read_raw(data, filename, speaker_column=speaker_column, text_column=text_column,
                        time_column=time_column, sheet=sheet, without_times=without_times)
    if not any(t.text.strip() for t in raw.turns):
        raise IngestError("no speech found in the file", file=filename, line=1,
                          hint="check that the file holds a transcript")
    codable_roles = tuple(codable_roles) if codable_roles is not None else DEFAULT_CODABLE_ROLES
    doc = build_document(raw, name=name or Path(filename).stem, source_filename=Path(filename).name, fmt=fmt,
                         unit=unit, codable_roles=codable_roles, roles=roles)
    problems = list(raw.problems)
    guess = interviewer_warning(doc, problems, file=filename)
    return ParsedFile(document=doc, problems=problems, raw=raw, path=str(filename), unit=unit,
                      codable_roles=codable_roles, file_hash=hashlib.sha256(data).hexdigest(), interviewer=guess)


_NO_INTERVIEWER = "no speaker is marked as interviewer or facilitator"


def interviewer_warning(doc, problems: list[Problem], *, file: str | None = None) -> InterviewerGuess | None:
    """Warn when nobody in ``doc`` is an interviewer or facilitator although someone talks
    like one (their words would be offered for coding); returns the proposal."""
    roles = {sp.label: sp.role.value for sp in doc.speakers}
    guess = missing_interviewer([(t.speaker, doc.text[t.start:t.end]) for t in doc.turns], roles)
    if guess is not None:
        problems.append(Problem(
            f"{_NO_INTERVIEWER}, so every speaker's words are offered for "
            f"coding; {guess.label!r} looks like the {guess.role} ({guess.reason}): mark them as {guess.role} "
            f"to leave their words out of coding", file=file, severity="warning"))
    return guess


def rebuild(parsed: ParsedFile, *, raw: RawTranscript | None = None,
            roles: Mapping[str, str] | None = None) -> ParsedFile:
    """``parsed`` laid out again (after merging speakers, or with other roles): same file,
    unit and codable roles; problems about speakers and the interviewer recomputed."""
    raw = raw if raw is not None else parsed.raw
    doc = build_document(raw, name=parsed.document.name, source_filename=parsed.document.source_filename,
                         fmt=parsed.document.format, unit=parsed.unit, codable_roles=parsed.codable_roles,
                         roles=roles)
    problems = [p for p in parsed.problems if not p.message.startswith(_NO_INTERVIEWER)]
    guess = interviewer_warning(doc, problems, file=parsed.path)
    return ParsedFile(document=doc, problems=problems, raw=raw, path=parsed.path, unit=parsed.unit,
                      codable_roles=parsed.codable_roles, file_hash=parsed.file_hash, interviewer=guess)


def parse_path(path: str | Path, **opts) -> ParsedFile:
    """Parse a transcript file (nothing is saved). Options as :func:`parse_bytes`.

    >>> parse_path("interview.docx", unit="turn")  # doctest: +SKIP
    """
    p = Path(path)
    if not p.exists():
        raise IngestError("file not found", file=str(p), hint="check the path")
    if p.is_dir():
        raise IngestError("this is a folder", file=str(p), hint="import its files with: qualcode ingest FOLDER")
    _check_ext(str(p))
    limit = _limit_mb(opts.pop("max_file_mb", None), opts.get("project_dir"))
    _check_size(p.stat().st_size, limit, str(p))  # refuse before reading a huge file into memory
    return parse_bytes(p.read_bytes(), str(p), max_file_mb=limit, **opts)

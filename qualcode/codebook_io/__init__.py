"""Codebook files <-> :class:`~qualcode.core.Codebook`: YAML and REFI-QDA ``.qdc``.

Reading collects every problem with its file and line (:func:`validate_file`) before
anything is used; :func:`load_codebook` raises one :class:`CodebookError` that carries them
all (``exc.problems``). No database here: the services put codebooks into projects.

>>> cb = load_codebook("codebooks/improvement-collaboration.yaml")  # doctest: +SKIP
>>> cb.get("trust").name  # doctest: +SKIP
'Trust'
"""

from __future__ import annotations

from pathlib import Path

from qualcode.codebook_io.guid import code_guid
from qualcode.codebook_io.qdc import read_qdc, write_qdc
from qualcode.codebook_io.table_io import TABLE_SUFFIXES, codebook_csv, parse_table
from qualcode.codebook_io.validate import Lines, check_raw, slugify, validate_codebook
from qualcode.codebook_io.yaml_io import (
    codebook_from_data,
    codebook_to_dict,
    code_to_dict,
    dump_yaml,
    parse_yaml,
    write_yaml,
)
from qualcode.core import Codebook
from qualcode.errors import CodebookError, Problem
from qualcode.gcpause import gc_paused

YAML_SUFFIXES = (".yaml", ".yml")
QDC_SUFFIXES = (".qdc",)

__all__ = [
    "load_codebook", "validate_file", "validate_codebook", "dump_yaml", "write_yaml", "write_qdc",
    "read_qdc", "codebook_to_dict", "code_to_dict", "code_guid", "slugify", "raise_problems",
    "YAML_SUFFIXES", "QDC_SUFFIXES", "TABLE_SUFFIXES", "Lines", "parse_table", "codebook_csv",
]


def _errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def validate_file(
    path: str | Path, *, known_guids: dict[str, str] | None = None, known_ids: dict[str, str] | None = None,
) -> tuple[Codebook | None, list[Problem]]:
    """Read and check a codebook file; returns ``(codebook or None, problems)``.

    Problems are sorted by line; warnings (``severity == "warning"``) don't make the file
    invalid. The codebook is None only when the file cannot be read at all. ``known_ids``: the
    project's code ids by name (casefolded), for a spreadsheet without ids (``table_io``).

    >>> cb, problems = validate_file("codebooks/generic-starter.yaml")  # doctest: +SKIP
    """
    path = Path(path)
    file = str(path)
    if not path.is_file():
        return None, [Problem("codebook file not found", file=file)]
    with gc_paused():  # a large codebook is hundreds of thousands of small objects
        return _validate_file(path, file, known_guids, known_ids)


def _validate_file(path: Path, file: str, known_guids: dict[str, str] | None,
                   known_ids: dict[str, str] | None = None) -> tuple[Codebook | None, list[Problem]]:
    if path.suffix.lower() in QDC_SUFFIXES:
        try:
            cb, lines, problems = read_qdc(path, known_guids=known_guids)
        except CodebookError as exc:
            return None, [Problem(exc.message, file=file, line=exc.line)]
        problems += validate_codebook(cb, file=file, lines=lines, require_definitions=False,
                                      known=set((known_ids or {}).values()))
        return cb, _sorted(problems)
    if path.suffix.lower() in TABLE_SUFFIXES:
        data, lines, problems = parse_table(path, file=file, known_ids=known_ids)
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            return None, [Problem(f"not UTF-8 text ({exc.reason})", file=file)]
        data, lines, problems = parse_yaml(text, file=file)
    if data is None and problems:
        return None, problems
    problems += check_raw(data, file=file, lines=lines)
    if not isinstance(data, dict):
        return None, _sorted(problems)
    cb, code_lines = codebook_from_data(data, lines, default_name=path.stem)
    raw_ids = {p.line for p in problems}
    said = {(p.line, p.message.replace("'", "")) for p in problems}
    for p in validate_codebook(cb, file=file, lines=code_lines, known=set((known_ids or {}).values())):
        # one message per line and cause: 'id is not a slug' or a missing name was already said
        # by check_raw (walk 32: "missing 'name'" and "missing name" listed for one code)
        if not (p.line in raw_ids and "not a slug" in p.message) and (p.line, p.message.replace("'", "")) not in said:
            problems.append(p)
    return cb, _sorted(problems)


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.line is None, p.line or 0))


def raise_problems(problems: list[Problem], *, file: str | None = None, what: str = "codebook",
                   app_hint: str | None = None) -> None:
    """Raise one CodebookError for the errors among ``problems`` (nothing if none); ``app_hint``
    says what to do next in the app (default: correct the file and import it again)."""
    errors = _errors(problems)
    if not errors:
        return
    first = errors[0]
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    raise CodebookError(first.message + more, file=first.file or file, line=first.line, problems=errors,
                        hint=f"see every problem with: qualcode codebook validate {first.file or file}"
                        if (first.file or file) else None,
                        app_hint=(app_hint or "correct the file and import it again")
                        + (" (every problem is listed below)" if len(errors) > 1 else ""))


def load_codebook(path: str | Path) -> Codebook:
    """Read a codebook file (YAML or ``.qdc``); raises CodebookError with file and line.

    >>> load_codebook("codebooks/generic-starter.yaml").name  # doctest: +SKIP
    'Generic starter codebook'
    """
    path = Path(path)
    if not path.exists():
        raise CodebookError("codebook file not found", file=str(path), hint="check the path")
    cb, problems = validate_file(path)
    raise_problems(problems, file=str(path))
    assert cb is not None
    return cb

"""One exception tree. Every error says what went wrong, where, and what to do next.

Library code raises these; only the CLI and the UI turn them into messages.

>>> str(IngestError("no speaker column", file="a.csv", line=1, hint="name it with --speaker-column"))
'a.csv, line 1: no speaker column. Name it with --speaker-column.'
"""

from __future__ import annotations

from dataclasses import dataclass


class QualcodeError(Exception):
    """Base class: ``file``/``line`` locate the problem, ``hint`` says what to do."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = str(self.file)
            if self.line is not None:
                where += f", line {self.line}"
            where += ": "
        elif self.line is not None:
            where = f"line {self.line}: "
        text = where + self.message.rstrip(".") + "."
        if self.hint:
            hint = self.hint.rstrip(".")
            text += " " + hint[:1].upper() + hint[1:] + "."
        return text


class IngestError(QualcodeError):
    """A transcript could not be read."""


class CodebookError(QualcodeError):
    """A codebook file or change is invalid."""

    def __init__(self, message: str, *, problems: list["Problem"] | None = None, **kw) -> None:
        self.problems = problems or []
        super().__init__(message, **kw)


class ConfigError(QualcodeError):
    """A setting has a bad value."""


class StorageError(QualcodeError):
    """The project database cannot be opened, migrated or written."""


class NotFoundError(QualcodeError):
    """A document, code, excerpt or coder named by the user does not exist."""


class ExportError(QualcodeError):
    """An export or exchange file could not be written or read."""


class SuggestError(QualcodeError):
    """The suggestion engine cannot run (model missing, nothing to score...)."""


@dataclass
class Problem:
    """A non-fatal finding (warning) or one of several errors, located in a file."""

    message: str
    file: str | None = None
    line: int | None = None
    severity: str = "error"  # error | warning

    def __str__(self) -> str:
        where = f"{self.file}" if self.file else ""
        if self.line is not None:
            where += f", line {self.line}" if where else f"line {self.line}"
        return f"{where}: {self.message}" if where else self.message

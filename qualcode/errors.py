"""One exception tree. Every error says what went wrong, where, and what to do next.

Library code raises these; only the CLI and the UI turn them into messages.

>>> str(IngestError("no speaker column", file="a.csv", line=1, hint="name it with --speaker-column"))
'a.csv, line 1: no speaker column. Name it with --speaker-column.'
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class QualcodeError(Exception):
    """Base class: ``file``/``line`` locate the problem, ``hint`` says what to do.

    ``hint`` is worded for the CLI (it may name flags and commands); ``app_hint``, when
    given, says the same for someone in the app (no flags). :meth:`for_app` is what the
    app shows; ``str()`` is what the CLI prints.

    >>> e = QualcodeError("already imported", hint="pass --replace", app_hint="tick Replace")
    >>> str(e), e.for_app()
    ('already imported. Pass --replace.', 'already imported. Tick Replace.')
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        hint: str | None = None,
        app_hint: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.hint = hint
        self.app_hint = app_hint
        super().__init__(str(self))

    def for_app(self) -> str:
        """The message worded for the app: the app hint, else the hint unless it names a
        CLI flag or command (then no hint rather than one the app user cannot follow)."""
        hint = self.app_hint
        if hint is None and self.hint and not cli_only(self.hint):
            hint = self.hint
        return self._text(hint)

    def __str__(self) -> str:
        return self._text(self.hint)

    def _text(self, hint: str | None) -> str:
        where = ""
        if self.file:
            where = str(self.file)
            if self.line is not None:
                where += f", line {self.line}"
            where += ": "
        elif self.line is not None:
            where = f"line {self.line}: "
        text = where + self.message.rstrip(".") + "."
        if hint:
            hint = hint.rstrip(".")
            text += " " + hint[:1].upper() + hint[1:] + "."
        return text


def cli_only(hint: str) -> bool:
    """Whether a hint speaks to a terminal user (a ``--flag`` or a ``qualcode ...`` command)."""
    return bool(re.search(r"(^|[\s(])--[a-z]|\bqualcode [a-z]|QUALCODE_[A-Z]", hint))


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


class DatabaseUnavailable(StorageError):
    """The project's database could not be reached or written just now (a server stopped, a
    file locked past the busy timeout): nothing of the unit of work was saved."""


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
    severity: str = "error"  # error | warning | note (worth saying, nothing wrong: a title kept as a header)

    def __str__(self) -> str:
        where = f"{self.file}" if self.file else ""
        if self.line is not None:
            where += f", line {self.line}" if where else f"line {self.line}"
        return f"{where}: {self.message}" if where else self.message

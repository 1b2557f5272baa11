"""What every reader returns: a raw transcript (speaker turns as plain strings).

Readers stop at :class:`RawTranscript`: speaker labels, the words of each turn, cue times
and source line numbers. :mod:`qualcode.ingest.build` lays the turns out into the stored
plain text and computes every offset in one place, so no reader counts offsets itself and
de-identification can rewrite the strings before any offset exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qualcode.core import Document
from qualcode.errors import Problem


@dataclass
class RawTurn:
    """One speaker's stretch of talk as read from the file (not yet laid out)."""

    speaker: str
    text: str
    start_ms: int | None = None
    end_ms: int | None = None
    line: int | None = None  # where the turn starts in the source (1-based)
    labelled: bool = True  # False: no label in the source; none is written into the text


@dataclass
class RawTranscript:
    """A file's content before layout: an optional header, turns, and findings."""

    turns: list[RawTurn] = field(default_factory=list)
    header: str = ""  # text before the first speaker label (title lines); kept, not coded
    problems: list[Problem] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)  # label -> role, when the reader knows
    metadata: dict[str, str] = field(default_factory=dict)  # header facts (project, duration, keywords)
    # Header facts that hold people's names (Otter's SPEAKERS, "Moderator: Alicia Grant"):
    # used for roles and shown in the preview, never stored (names must not reach exports).
    named: dict[str, str] = field(default_factory=dict)

    def warn(self, message: str, *, file: str | None = None, line: int | None = None,
             severity: str = "warning") -> None:
        self.problems.append(Problem(message, file=file, line=line, severity=severity))


@dataclass
class ParsedFile:
    """A parsed transcript, nothing saved yet: the preview the UI shows before import.

    ``raw`` keeps the turns as read, so saving can de-identify and lay them out again.
    """

    document: Document
    problems: list[Problem]
    raw: RawTranscript
    path: str = ""
    unit: str = "sentence"
    codable_roles: tuple[str, ...] = ("participant", "unknown")
    file_hash: str = ""
    # Proposed interviewer when no speaker has that role but someone talks like one
    # (an ``ingest.interviewer.InterviewerGuess``); the coder confirms or changes it.
    interviewer: object | None = None
    # A stored document (its id) that saving this file replaces: the coder chose to, in the
    # preview, for an edited copy of a file already imported (same name, other content).
    replaces: int | None = None

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def summary(self) -> dict:
        d = self.document
        return {
            "name": d.name, "format": d.format, "speakers": {sp.label: sp.role.value for sp in d.speakers},
            "turns": len(d.turns), "excerpts": len(d.excerpts),
            "codable_excerpts": sum(1 for e in d.excerpts if e.codable), "words": d.word_count,
            "problems": [str(p) for p in self.problems],
            "metadata": {k: a.value for k, a in d.attributes.items()},
            "proposed_interviewer": ({"label": self.interviewer.label, "reason": self.interviewer.reason}
                                     if self.interviewer is not None else None),
        }

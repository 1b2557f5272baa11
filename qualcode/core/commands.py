"""Every state change as a typed command: a frozen dataclass that declares its payload.

The executor (``qualcode.services.commands``) runs a command in one transaction, resolves
the coder inside it, validates, applies and records the command itself as the audit event
(``action`` = the command's :attr:`Command.action`, ``command`` = its payload, ``before`` /
``after`` = what its ``revert`` needs). One undo reverts the coder's latest command of any
kind; undo is itself a command (:class:`Undo`).

Standard library only: these are plain data, readable by every layer.

>>> cmd = CodeExcerpt(excerpt_id=12, code_id="trust")
>>> cmd.action, cmd.payload()
('code', {'excerpt_id': 12, 'code_id': 'trust', 'start': None, 'end': None, 'origin': 'manual'})
>>> from_payload("code", cmd.payload()) == cmd
True
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping

from qualcode.core.model import Origin, Role

#: command classes by action name (filled by ``@command``)
COMMANDS: dict[str, type["Command"]] = {}


def _json(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_json(v) for v in value]
    return value


@dataclass(frozen=True)
class Command:
    """Base of every command. Subclasses set ``action`` (the audit action), ``entity`` (what
    it changes) and ``undoable`` (whether the one undo may revert it)."""

    action: ClassVar[str] = ""
    entity: ClassVar[str] = ""
    undoable: ClassVar[bool] = True

    def payload(self) -> dict[str, Any]:
        """The command's fields as JSON (enums as their values, tuples as lists); fields marked
        ``payload=False`` (large in-memory inputs such as a parsed file) are left out."""
        return {f.name: _json(getattr(self, f.name)) for f in dataclasses.fields(self)
                if f.metadata.get("payload", True)}


def command(cls: type[Command]) -> type[Command]:
    """Register a command class under its action (one class per action)."""
    if not cls.action or cls.action in COMMANDS:
        raise ValueError(f"command {cls.__name__} needs a new action name, got {cls.action!r}")
    COMMANDS[cls.action] = cls
    return cls


def from_payload(action: str, payload: Mapping[str, Any]) -> Command:
    """Rebuild a recorded command (the audit event's action and payload)."""
    cls = COMMANDS[action]
    kw: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in payload:
            continue
        value = payload[f.name]
        if f.metadata.get("enum") is not None and value is not None:
            value = f.metadata["enum"](value)
        elif isinstance(value, list):  # JSON lists back to tuples, nested ones too
            value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        kw[f.name] = value
    return cls(**kw)


def _enum(kind: type[enum.Enum], default: Any) -> Any:
    return field(default=default, metadata={"enum": kind})


def _local(default: Any = None) -> Any:
    """A field the executor uses but the audit payload leaves out (e.g. a parsed file)."""
    return field(default=default, compare=False, repr=False, metadata={"payload": False})


# ----------------------------------------------------------------------------- decisions
@command
@dataclass(frozen=True)
class AcceptSuggestion(Command):
    """A coder accepts a pending suggestion: it becomes their coding (and the excerpt reviewed)."""

    action: ClassVar[str] = "accept"
    entity: ClassVar[str] = "suggestion"
    suggestion_id: int
    #: the excerpt and code of the chip the coder clicked; when given, the command is refused
    #: if the suggestion is gone or is now another one (a background refresh replaced it
    #: while the chip was on screen, and SQLite may reuse the id)
    excerpt_id: int | None = None
    code_id: str | None = None
    #: one click that accepts several ("Accept all" on a turn): the accepts share it, and the
    #: one undo takes them back together
    batch: str | None = None


@command
@dataclass(frozen=True)
class RejectSuggestion(Command):
    """A coder rejects a suggestion; it is kept (training data, audit trail)."""

    action: ClassVar[str] = "reject"
    entity: ClassVar[str] = "suggestion"
    suggestion_id: int
    #: as :class:`AcceptSuggestion`'s
    excerpt_id: int | None = None
    code_id: str | None = None


@command
@dataclass(frozen=True)
class CodeExcerpt(Command):
    """Code an excerpt by hand (or the span ``start:end`` inside it, document offsets)."""

    action: ClassVar[str] = "code"
    entity: ClassVar[str] = "coding"
    excerpt_id: int
    code_id: str
    start: int | None = None
    end: int | None = None
    origin: Origin = _enum(Origin, Origin.MANUAL)


@command
@dataclass(frozen=True)
class CodeSelection(Command):
    """Code a selected passage of a document: each excerpt it covers, exactly the part selected."""

    action: ClassVar[str] = "code_selection"
    entity: ClassVar[str] = "document"
    document_id: int
    start: int
    end: int
    code_id: str


@command
@dataclass(frozen=True)
class CodeExcerpts(Command):
    """Code several whole excerpts with one code (a search's hits, chosen): one action, one undo."""

    action: ClassVar[str] = "code_excerpts"
    entity: ClassVar[str] = "codings"  # not "code": that is a codebook change (training.CODEBOOK_ENTITIES)
    excerpt_ids: tuple[int, ...]
    code_id: str


@command
@dataclass(frozen=True)
class Recode(Command):
    """Give a coding another code (same passage, same coder)."""

    action: ClassVar[str] = "recode"
    entity: ClassVar[str] = "coding"
    coding_id: int
    code_id: str


@command
@dataclass(frozen=True)
class Uncode(Command):
    """Remove a coding."""

    action: ClassVar[str] = "uncode"
    entity: ClassVar[str] = "coding"
    coding_id: int


@command
@dataclass(frozen=True)
class MarkReviewed(Command):
    """Mark an excerpt done without a code ("nothing here")."""

    action: ClassVar[str] = "review"
    entity: ClassVar[str] = "excerpt"
    excerpt_id: int


@command
@dataclass(frozen=True)
class NothingHere(Command):
    """"Nothing here": the excerpt's pending suggestions rejected and the excerpt reviewed with
    no code (a negative example), as one decision."""

    action: ClassVar[str] = "nothing_here"
    entity: ClassVar[str] = "excerpt"
    excerpt_id: int


@command
@dataclass(frozen=True)
class NotOnTheRest(Command):
    """A code added after the coder had finished excerpts applies to none of those they have not
    looked at for it yet: each now counts as looked at, a "no" for it (learning, Agreement)."""

    action: ClassVar[str] = "not_on_the_rest"
    entity: ClassVar[str] = "code"
    code_id: str


@command
@dataclass(frozen=True)
class AddMemo(Command):
    action: ClassVar[str] = "memo"
    entity: ClassVar[str] = "memo"
    text: str
    excerpt_id: int | None = None
    document_id: int | None = None
    code_id: str | None = None
    coding_id: int | None = None  # a memo on one coding


@command
@dataclass(frozen=True)
class EditMemo(Command):
    action: ClassVar[str] = "memo_edit"
    entity: ClassVar[str] = "memo"
    memo_id: int
    text: str


@command
@dataclass(frozen=True)
class DeleteMemo(Command):
    action: ClassVar[str] = "memo_delete"
    entity: ClassVar[str] = "memo"
    memo_id: int


@command
@dataclass(frozen=True)
class ResolveConsensus(Command):
    """Record the agreed codes of an excerpt as consensus codings (the whole agreed set)."""

    action: ClassVar[str] = "consensus"
    entity: ClassVar[str] = "excerpt"
    excerpt_id: int
    code_ids: tuple[str, ...] = ()


@command
@dataclass(frozen=True)
class SetIndependentCoding(Command):
    action: ClassVar[str] = "setting"
    entity: ClassVar[str] = "setting"
    on: bool


# ----------------------------------------------------------------------------- codebook
@command
@dataclass(frozen=True)
class AddCode(Command):
    """Add a code (``code``: its fields; an empty id becomes a unique slug of the name).
    ``source`` says where it came from (``"discovery"`` for a promoted theme)."""

    action: ClassVar[str] = "code_add"
    entity: ClassVar[str] = "code"
    code: Mapping[str, Any]
    source: str | None = None


@command
@dataclass(frozen=True)
class EditCode(Command):
    action: ClassVar[str] = "code_edit"
    entity: ClassVar[str] = "code"
    code_id: str
    fields: Mapping[str, Any]


@command
@dataclass(frozen=True)
class RenameCode(Command):
    action: ClassVar[str] = "code_rename"
    entity: ClassVar[str] = "code"
    code_id: str
    name: str


@command
@dataclass(frozen=True)
class MoveCode(Command):
    action: ClassVar[str] = "code_move"
    entity: ClassVar[str] = "code"
    code_id: str
    parent: str | None


@command
@dataclass(frozen=True)
class MergeCodes(Command):
    action: ClassVar[str] = "code_merge"
    entity: ClassVar[str] = "code"
    source: str
    target: str


@command
@dataclass(frozen=True)
class SplitCode(Command):
    action: ClassVar[str] = "code_split"
    entity: ClassVar[str] = "code"
    code_id: str
    new_code: Mapping[str, Any]
    excerpt_ids: tuple[int, ...] = ()


@command
@dataclass(frozen=True)
class RetireCode(Command):
    action: ClassVar[str] = "code_retire"
    entity: ClassVar[str] = "code"
    code_id: str
    force: bool = False


@command
@dataclass(frozen=True)
class RestoreCode(Command):
    action: ClassVar[str] = "code_restore"
    entity: ClassVar[str] = "code"
    code_id: str


@command
@dataclass(frozen=True)
class ImportCodebook(Command):
    action: ClassVar[str] = "codebook_import"
    entity: ClassVar[str] = "codebook"
    path: str
    replace: bool = False  # retire the project's codes that the file lacks (unused ones)


# ----------------------------------------------------------------------------- documents
@command
@dataclass(frozen=True)
class ImportDocument(Command):
    """A parsed file lands as one document. The parsed content, speaker attributes and the
    names to de-identify travel outside the payload (names are never written to the log)."""

    action: ClassVar[str] = "import"
    entity: ClassVar[str] = "document"
    undoable: ClassVar[bool] = False  # delete the document instead
    name: str
    replace: bool = False
    deidentify: bool = False
    attributes: Mapping[str, Any] = field(default_factory=dict)
    parsed: Any = _local()
    speaker_attributes: Any = _local()
    names: Any = _local()
    ner_model: str | None = _local()


@command
@dataclass(frozen=True)
class DeleteDocument(Command):
    action: ClassVar[str] = "delete"
    entity: ClassVar[str] = "document"
    undoable: ClassVar[bool] = False
    document: int | str


@command
@dataclass(frozen=True)
class SetSpeakerRole(Command):
    """Change a speaker's role; their excerpts become codable or not (undoable)."""

    action: ClassVar[str] = "set_role"
    entity: ClassVar[str] = "speaker"
    document: int | str
    label: str
    role: Role = _enum(Role, Role.UNKNOWN)


@command
@dataclass(frozen=True)
class SetCodableRoles(Command):
    """Choose which roles' speech is coded, in every document (undoable)."""

    action: ClassVar[str] = "set_code_roles"
    entity: ClassVar[str] = "project"
    roles: tuple[str, ...] = ()


@command
@dataclass(frozen=True)
class SetAttribute(Command):
    """Set a document attribute (``label`` None) or an attribute of a speaker in it."""

    action: ClassVar[str] = "set_attribute"
    entity: ClassVar[str] = "document"
    undoable: ClassVar[bool] = False
    document: int | str
    key: str
    value: Any = None
    type: str = "text"
    label: str | None = None


@command
@dataclass(frozen=True)
class Deidentify(Command):
    """Replace names with pseudonyms in a stored document; irreversible by design (no undo).
    The names themselves stay out of the payload."""

    action: ClassVar[str] = "deidentify"
    entity: ClassVar[str] = "document"
    undoable: ClassVar[bool] = False
    document: int | str
    names: Any = _local()
    ner_model: str | None = _local()


@command
@dataclass(frozen=True)
class ImportProject(Command):
    """A REFI-QDA project (.qdpx) lands in an empty project (the parsed file outside the payload)."""

    action: ClassVar[str] = "import_project"
    entity: ClassVar[str] = "project"
    undoable: ClassVar[bool] = False
    label: str
    data: Any = _local()
    reviews: str = "documents"  # which excerpts count as reviewed by the file's coders


@command
@dataclass(frozen=True)
class SetPreference(Command):
    """A coder's own view preference (e.g. turns per page), kept in the project."""

    action: ClassVar[str] = "preference"
    entity: ClassVar[str] = "preference"
    undoable: ClassVar[bool] = False
    name: str = ""
    value: Any = None


@command
@dataclass(frozen=True)
class SetRoles(Command):
    """Several speakers' roles at once (the Documents page: one speaker in every document, or
    the role table): ``changes`` = ((document id, label, role), ...)."""

    action: ClassVar[str] = "set_roles"
    entity: ClassVar[str] = "speaker"
    changes: tuple = ()
    label: str = "several"


@command
@dataclass(frozen=True)
class SetAttributes(Command):
    """Many document attributes at once: ``values`` = ((document id, key, value, type), ...)."""

    action: ClassVar[str] = "set_attributes"
    entity: ClassVar[str] = "document"
    undoable: ClassVar[bool] = False
    values: tuple = ()


@command
@dataclass(frozen=True)
class SetSpeakerAttributes(Command):
    """Many speaker attributes at once: ``values`` = ((document id, speaker label, key, value, type), ...)."""

    action: ClassVar[str] = "set_speaker_attributes"
    entity: ClassVar[str] = "speaker"
    undoable: ClassVar[bool] = False
    values: tuple = ()


@command
@dataclass(frozen=True)
class ImportSurvey(Command):
    """A survey spreadsheet: one document per respondent, one excerpt per answer (the parsed
    sheet outside the payload). ``replace``: the survey of the same name goes first."""

    action: ClassVar[str] = "import_survey"
    entity: ClassVar[str] = "survey"
    undoable: ClassVar[bool] = False
    name: str = ""
    replace: bool = False
    parsed: Any = _local()
    result: Any = _local()


@command
@dataclass(frozen=True)
class MergeSpeakers(Command):
    """Speakers of a stored document who are one person merged under one name (their turns,
    excerpts and codings stay); undo puts the speakers back as they were."""

    action: ClassVar[str] = "merge_speakers"
    entity: ClassVar[str] = "document"
    document: Any = None
    labels: tuple[str, ...] = ()
    into: str = ""


@command
@dataclass(frozen=True)
class MergeSpeakersIn(Command):
    """The same merge in several documents at once (the Documents page: ``Ana`` and
    ``Ana (2)``, ``Speaker 1`` and ``SPEAKER 1`` across interviews): in each of ``documents``
    the ``labels`` it has become ``into``. One event, one undo."""

    action: ClassVar[str] = "merge_speakers_in"
    entity: ClassVar[str] = "speaker"
    documents: tuple[int, ...] = ()
    labels: tuple[str, ...] = ()
    into: str = ""


@command
@dataclass(frozen=True)
class RenameDocument(Command):
    """Give a stored document another name (the Documents page); undo puts the old one back."""

    action: ClassVar[str] = "document_rename"
    entity: ClassVar[str] = "document"
    document: int = 0
    name: str = ""


@command
@dataclass(frozen=True)
class DeleteDocumentUndoable(Command):
    """Delete a document and everything under it (speakers, turns, excerpts, suggestions,
    codings, reviews, memos, attributes), keeping its rows in the audit event so that the one
    undo brings it back with the same ids (the Documents page). :class:`DeleteDocument` is the
    CLI's delete, which cannot be undone."""

    action: ClassVar[str] = "document_delete"
    entity: ClassVar[str] = "document"
    document: int = 0


@command
@dataclass(frozen=True)
class MergeWork(Command):
    """A colleague's work merged into the open project (a .qdpx, or codings from a spreadsheet):
    documents, codes, codings, reviews and memos that were not there; one undo takes it back.
    Run by ``services.merge`` / ``services.export.import_codings``, which record it."""

    action: ClassVar[str] = "merge"
    entity: ClassVar[str] = "project"
    label: str = ""
    reviews: str = "documents"  # which excerpts count as reviewed by the file's coders
    dry_run: bool = False  # the preview: applied, counted, rolled back
    kind: str = "qdpx"  # qdpx (a REFI-QDA project) or codings (rows of a spreadsheet)
    data: Any = _local()


@command
@dataclass(frozen=True)
class AddCoder(Command):
    """Add a coder by name (the project page)."""

    action: ClassVar[str] = "add_coder"
    entity: ClassVar[str] = "coder"
    undoable: ClassVar[bool] = False
    name: str


# ----------------------------------------------------------------------------- undo
@command
@dataclass(frozen=True)
class Undo(Command):
    """Revert the coder's latest command that is not undone yet (``only``: limit to these
    actions, e.g. the codebook page's undo). Undo is not itself undoable."""

    action: ClassVar[str] = "undo"
    entity: ClassVar[str] = ""
    undoable: ClassVar[bool] = False
    only: tuple[str, ...] = ()


def undoable_actions() -> tuple[str, ...]:
    """Actions the one undo may revert."""
    return tuple(a for a, c in COMMANDS.items() if c.undoable)

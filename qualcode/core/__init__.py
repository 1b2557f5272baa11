"""Pure domain layer: dataclasses and rules, standard library only."""

from qualcode.core.model import (
    Attribute,
    AttrType,
    AuditEvent,
    Code,
    Codebook,
    CONSENSUS_CODER,
    Coder,
    Coding,
    DEFAULT_CODED_ROLES,
    Decision,
    Document,
    Excerpt,
    Memo,
    Origin,
    ProjectSettings,
    Role,
    Speaker,
    Suggestion,
    SuggestionStatus,
    Turn,
    code_guid,
    is_coded,
    learned_from,
    made_by_colleague,
    text_hash,
    utcnow,
)

__all__ = [
    "Attribute", "AttrType", "AuditEvent", "Code", "Codebook", "CONSENSUS_CODER", "Coder", "Coding", "DEFAULT_CODED_ROLES", "Decision",
    "Document", "Excerpt", "Memo", "Origin", "ProjectSettings", "Role", "Speaker", "Suggestion",
    "SuggestionStatus", "Turn", "code_guid", "is_coded", "learned_from", "made_by_colleague", "text_hash", "utcnow",
]

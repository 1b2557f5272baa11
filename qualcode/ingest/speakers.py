"""Speaker labels, timestamps and roles as pure functions (after QualCoder's speakers.py).

Recognised line shapes (``rest`` is the speech on the same line, possibly empty)::

    Name: text                 NAME: text            - INTERVIEWER: text
    Interviewer: text          Q: text / A: text     I: text / R: text
    [00:12:03] Name: text      Name (00:12:03): text **Name:** text
    Speaker 1  00:01           (label and time alone; speech on the next lines)
    Name:                      (label alone; paragraphs follow)
    **Name** / ## Name         (bold or heading label alone, Markdown)
    Name<TAB>text              (tab-separated, as Word exports tables)

>>> split_label("[00:00:05] Interviewer: How did it start?")
LabelMatch(label='Interviewer', rest='How did it start?', ms=5000)
>>> role_for_label("Q"), role_for_label("Maria Lopez"), role_for_label("Speaker 2")
('interviewer', 'participant', 'unknown')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_TS_RE = re.compile(rf"^\s*(?P<ts>{TS})\s*$")

_INLINE = re.compile(
    rf"^\s*(?:[\[\(]?(?P<ts>{TS})[\]\)]?\s*[-–—|]?\s*)?"  # [00:12:03]
    r"(?:[-–—]\s*)?"  # - INTERVIEWER: (subtitle dialogue dash)
    r"(?:\*\*|__)?"
    r"(?P<label>[^:\t*]{1,60}?)"
    rf"(?:\s*[\(\[](?P<ts2>{TS})[\)\]])?"  # Name (00:12:03):
    r"\s*(?:\*\*|__)?\s*:(?:\*\*|__)?(?:[ \t]+|$)(?P<rest>.*)$"
)
_QA_DOT = re.compile(r"^\s*(?P<label>[QAIR])\.\s+(?P<rest>\S.*)$")
_ALONE_TS = re.compile(rf"^\s*(?P<label>[^\t:]{{1,40}}?)\s+(?P<ts>{TS})\s*$")
_ALONE_MARKED = re.compile(r"^\s*(?:#{1,6}\s*)?(?:\*\*|__)(?P<label>[^*_:]{1,40}?)\s*:?\s*(?:\*\*|__)\s*:?\s*$")
_ALONE_HEADING = re.compile(r"^\s*#{1,6}\s*(?P<label>[^:#]{1,40}?)\s*:?\s*$")
_ALONE_PLAIN = re.compile(r"^\s*(?P<label>[^:\t]{1,40}?)\s*:?\s*$")
_TAB = re.compile(rf"^\s*(?:(?P<ts>{TS})\t+)?(?P<label>[^\t]{{1,40}})\t+(?P<rest>\S.*)$")

_WORD = re.compile(r"^(?:[^\W\d_][\w'’.\-]*|\d+[A-Za-z]?|\(.*\)|&|/|of|de|da|del|la|le|van|von|der|y)$")

# Words that end a line with a colon in ordinary prose or in headers: never speaker labels.
_NOT_LABELS = {
    "note", "notes", "example", "examples", "update", "also", "yes", "no", "well", "okay", "ok",
    "so", "and", "but", "because", "like", "then", "now", "here", "there", "actually", "basically",
    "honestly", "step", "goal", "goals", "title", "date", "location", "time", "duration",
    "participants", "attendees", "subject", "re", "topic", "agenda", "summary", "warning", "tip",
    "result", "results", "outcome", "problem", "ps", "p.s", "edit", "source", "link", "http", "https",
    "file", "files", "length", "recorded", "recording", "present", "absent", "setting", "context",
    "project", "study", "site", "format", "purpose", "instructions", "transcriber", "transcribed by",
    "speakers", "audio", "audio file", "video", "interviewee name", "school", "district", "year", "grade",
}
_NOT_LABEL_WORDS = {"transcript", "interview", "focus", "session", "meeting", "recording", "section",
                    "agenda", "summary", "minutes", "page", "notes", "protocol", "part", "date"}

INTERVIEWER, FACILITATOR, PARTICIPANT, UNKNOWN = "interviewer", "facilitator", "participant", "unknown"
_ROLE_WORDS = {
    INTERVIEWER: {"interviewer", "interviewers", "int", "iv", "i", "q", "question", "researcher",
                  "evaluator", "coach", "interviewer 1", "interviewer 2"},
    FACILITATOR: {"facilitator", "facilitators", "moderator", "mod", "host", "co-facilitator",
                  "cofacilitator", "fac", "note taker", "notetaker"},
    PARTICIPANT: {"a", "r", "answer", "respondent", "participant", "interviewee", "p"},
    UNKNOWN: {"speaker", "unknown", "unidentified", "unknown speaker", "inaudible", "multiple",
              "group", "all", "several", "crosstalk", "voices", "multiple speakers"},
}
_ROLE_OF_WORD = {w: role for role, words in _ROLE_WORDS.items() for w in words}
_NUMBERED = re.compile(r"^(?P<base>[^\d]+?)\s*[-#]?\s*\d+$")
_KEYWORDS = ((INTERVIEWER, re.compile(r"\b(interviewer|researcher|evaluator)\b", re.I)),
             (FACILITATOR, re.compile(r"\b(facilitator|moderator|co-facilitator)\b", re.I)))


@dataclass
class LabelMatch:
    label: str
    rest: str
    ms: int | None = None


def parse_timestamp(text: str) -> int | None:
    """``mm:ss``, ``h:mm:ss`` or either with ``.mmm``/``,mmm`` -> milliseconds.

    >>> parse_timestamp("00:12:03"), parse_timestamp("1:02.5"), parse_timestamp("soon")
    (723000, 62500, None)
    """
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,](\d{1,3}))?\s*", text or "")
    if not m:
        return None
    a, b, c, frac = m.groups()
    if c is None:
        h, mi, se = 0, int(a), int(b)
    else:
        h, mi, se = int(a), int(b), int(c)
    if mi > 59 or se > 59:
        return None
    ms = int((frac or "0").ljust(3, "0")[:3])
    return ((h * 60 + mi) * 60 + se) * 1000 + ms


def _low(label: str) -> str:
    """The label as compared with role words: lower case, one space, no final full stop."""
    return re.sub(r"\s+", " ", label.strip().lower().rstrip("."))


def _base(label: str) -> str:
    low = _low(label)
    m = _NUMBERED.match(low)
    return m.group("base").strip() if m else low


def role_for_label(label: str) -> str:
    """Guess a speaker's role from the label alone (changeable afterwards).

    >>> role_for_label("Moderator"), role_for_label("R"), role_for_label("Jane (Interviewer)")
    ('facilitator', 'participant', 'interviewer')
    """
    low = _low(label)
    if low in _ROLE_OF_WORD:
        return _ROLE_OF_WORD[low]
    base = _base(label)
    if base in _ROLE_OF_WORD:
        return _ROLE_OF_WORD[base]
    for role, pattern in _KEYWORDS:
        if pattern.search(label):
            return role
    return PARTICIPANT  # a named person, or P3 / R2


def is_generic_label(label: str) -> bool:
    """True for role labels (Interviewer, Q, Speaker 2, P3) that are not anyone's name."""
    low = _low(label)
    return (low in _ROLE_OF_WORD or _base(label) in _ROLE_OF_WORD
            or bool(re.fullmatch(r"[a-z]\d*", low))
            or bool(re.fullmatch(r"(participant|respondent|speaker|interviewer|facilitator|moderator|"
                                 r"district|school|person|teacher|principal|student)\s*[a-z0-9]{0,3}", low)))


def plausible_label(label: str) -> bool:
    """Does this look like a speaker label rather than the start of a sentence?"""
    label = label.strip()
    if not label or len(label) > 40 or label.endswith((",", ";", "?", "!")):
        return False
    low = label.lower().rstrip(".")
    if low in _NOT_LABELS:
        return False
    if low in _ROLE_OF_WORD:
        return True
    words = label.split()
    if len(words) > 5 or any(w.lower() in _NOT_LABEL_WORDS for w in words):
        return False
    if not all(_WORD.match(w) for w in words):
        return False
    first = words[0]
    if not (first[0].isupper() or first[0].isdigit()):
        return False
    # Every word capitalised (Maria Lopez, Dr. Kim, Speaker 1), apart from particles.
    return all(w[0].isupper() or w[0].isdigit() or w[0] == "(" or w in {"of", "de", "da", "del", "la", "le", "van", "von", "der", "y", "&", "/"}
               for w in words)


def _clean(label: str) -> str:
    label = re.sub(r"\s+", " ", label.strip().strip("*_").strip())
    return label.rstrip(":").strip()


def split_label(line: str, *, allow_tab: bool = True) -> LabelMatch | None:
    """The speaker label at the start of ``line``, with the speech that follows it."""
    if not line.strip():
        return None
    m = _INLINE.match(line)
    if m:
        label = _clean(m.group("label"))
        if plausible_label(label):
            ts = m.group("ts") or m.group("ts2")
            return LabelMatch(label, m.group("rest").strip(), parse_timestamp(ts) if ts else None)
    m = _QA_DOT.match(line)
    if m:
        return LabelMatch(m.group("label"), m.group("rest").strip())
    if allow_tab and "\t" in line:
        m = _TAB.match(line)
        if m:
            label = _clean(m.group("label"))
            if plausible_label(label) and parse_timestamp(label) is None:
                ts = m.group("ts")
                return LabelMatch(label, m.group("rest").strip(), parse_timestamp(ts) if ts else None)
    m = _ALONE_TS.match(line)
    if m:
        label = _clean(m.group("label"))
        if plausible_label(label):
            return LabelMatch(label, "", parse_timestamp(m.group("ts")))
    for pattern in (_ALONE_MARKED, _ALONE_HEADING):
        m = pattern.match(line)
        if m:
            label = _clean(m.group("label"))
            if plausible_label(label):
                return LabelMatch(label, "")
    return None


def lone_label(line: str) -> str | None:
    """A line that is only a label without any marker (``INTERVIEWER``, ``Maria Lopez``).

    Only trusted when the label names a role or is in capitals: a short plain line is
    otherwise too often just a short reply ("Okay").
    """
    m = _ALONE_PLAIN.match(line)
    if not m:
        return None
    label = _clean(m.group("label"))
    if not plausible_label(label):
        return None
    if label.lower() in _ROLE_OF_WORD or (label.isupper() and len(label) > 1 and len(label.split()) <= 3):
        return label
    return None

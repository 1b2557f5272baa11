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
_TS_RE = re.compile(rf"^(?P<ts>{TS})$")

# Every pattern below runs on a stripped line and, where the speech follows the label, on a
# bounded head of it (HEAD characters): the label sits at the start, so a long line costs
# nothing more, and no pattern can backtrack over an unbounded run of spaces (issue 17).
HEAD = 160
_INLINE = re.compile(
    rf"(?:[\[\(]?(?P<ts>{TS})[\]\)]?[ \t]{{0,4}}[-–—|]?[ \t]{{0,4}})?"  # [00:12:03]
    r"(?:[-–—][ \t]{0,4})?"  # - INTERVIEWER: (subtitle dialogue dash)
    r"(?:\*\*|__)?"
    r"(?P<label>[^:\t*\s][^:\t*]{0,59}?)"
    rf"(?:[ \t]{{0,4}}[\(\[](?P<ts2>{TS})[\)\]])?"  # Name (00:12:03):
    r"(?:\*\*|__)?[ \t]{0,4}:(?:\*\*|__)?(?:[ \t]|$)"
)
_QA_DOT = re.compile(r"(?P<label>[QAIR])\.[ \t]+(?=\S)")
_ALONE_TS = re.compile(rf"(?P<label>[^\t:\s][^\t:]{{0,39}}?)[ \t]{{1,12}}[\[\(]?(?P<ts>{TS})[\]\)]?")
_ALONE_MARKED = re.compile(r"(?:#{1,6}[ \t]{0,4})?(?:\*\*|__)(?P<label>[^*_:]{1,40}?)[ \t]{0,4}:?[ \t]{0,4}"
                           r"(?:\*\*|__)[ \t]{0,4}:?")
_ALONE_HEADING = re.compile(r"#{1,6}[ \t]{0,4}(?P<label>[^:#]{1,40}?)[ \t]{0,4}:?")
_ALONE_PLAIN = re.compile(r"(?P<label>[^:\t]{1,40}?)[ \t]{0,4}:?")
_TAB = re.compile(rf"(?:(?P<ts>{TS})\t{{1,8}})?(?P<label>[^\t]{{1,40}})\t{{1,8}}(?=\S)")
ALONE_MAX = 80  # a line that is only a label (and a time) is short
_STAMP = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,](\d{1,3}))?")

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
                  "evaluator", "coach", "interviewer 1", "interviewer 2",
                  # other languages (Spanish, Portuguese, German gendered forms)
                  "entrevistador", "entrevistadora", "entrevistador(a)", "entrevistador/a", "entrevistadores",
                  "interviewerin", "interviewer:in", "interviewer*in", "interviewer_in", "interviewer/in",
                  "intervieweuse", "intervieweur", "pesquisador", "pesquisadora", "pesquisador(a)"},
    FACILITATOR: {"facilitator", "facilitators", "moderator", "mod", "host", "co-facilitator",
                  "cofacilitator", "fac", "note taker", "notetaker",
                  "moderador", "moderadora", "moderador(a)", "moderador/a", "moderatorin", "moderator:in",
                  "moderator*in", "moderator_in", "moderator/in", "facilitador", "facilitadora",
                  "facilitador(a)", "facilitatorin", "facilitator:in", "animateur", "animatrice"},
    PARTICIPANT: {"a", "r", "answer", "respondent", "participant", "interviewee", "p",
                  "entrevistado", "entrevistada", "entrevistado(a)", "participante", "befragte", "befragter",
                  "teilnehmer", "teilnehmerin", "teilnehmer:in"},
    UNKNOWN: {"speaker", "unknown", "unidentified", "unknown speaker", "inaudible", "multiple",
              "group", "all", "several", "crosstalk", "voices", "multiple speakers"},
}
_ROLE_OF_WORD = {w: role for role, words in _ROLE_WORDS.items() for w in words}
_NUMBERED = re.compile(r"^(?P<base>[^\d]+?)\s*[-#]?\s*\d+$")
_KEYWORDS = ((INTERVIEWER, re.compile(r"\b(interviewer|researcher|evaluator|entrevistador[a]?)\b", re.I)),
             (FACILITATOR, re.compile(r"\b(facilitator|moderator|co-facilitator|moderador[a]?|facilitador[a]?)\b",
                                      re.I)))
# German gendered role labels hold a colon of their own: "Interviewer:in: text".
_GENDERED = re.compile(r"(?P<label>[^\W\d_]{3,30}[:*_/]in(?:nen)?)[ \t]{0,4}:(?:[ \t]|$)")


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
    m = _STAMP.fullmatch((text or "").strip().strip("[]()").strip())
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
    if len(low) > 80:  # no role word is this long; and _NUMBERED backtracks on long runs
        return low
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


def is_role_word(label: str) -> bool:
    """True for a bare role word (Interviewer, MODERATOR, Q): it names a part, not a person, so
    two documents' "Interviewer" / "INTERVIEWER" say nothing about one person (walk 10).

    >>> is_role_word("INTERVIEWER"), is_role_word("Speaker 1"), is_role_word("Ana")
    (True, False, False)
    """
    return _low(label) in _ROLE_OF_WORD


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
    """The speaker label at the start of ``line``, with the speech that follows it.

    Linear in the line's length: every pattern is bounded and anchored at the start.
    """
    s = line.strip()
    if not s:
        return None
    if s.startswith("#"):  # "# Owen: Sorry, I dropped off": a heading or comment mark before a label
        bare = s.lstrip("#").lstrip()
        m = _INLINE.match(bare) if bare and bare != s else None
        if m and plausible_label(_clean(m.group("label"))):
            return split_label(bare, allow_tab=allow_tab)
    m = _GENDERED.match(s)
    if m and _low(m.group("label")) in _ROLE_OF_WORD:
        return LabelMatch(m.group("label"), s[m.end():].strip())
    m = _INLINE.match(s)
    if m:
        label = _clean(m.group("label"))
        if plausible_label(label):
            ts = m.group("ts") or m.group("ts2")
            return LabelMatch(label, s[m.end():].strip(), parse_timestamp(ts) if ts else None)
    m = _QA_DOT.match(s)
    if m:
        return LabelMatch(m.group("label"), s[m.end():].strip())
    if allow_tab and "\t" in s:
        m = _TAB.match(s)
        if m:
            label = _clean(m.group("label"))
            if plausible_label(label) and parse_timestamp(label) is None:
                ts = m.group("ts")
                return LabelMatch(label, s[m.end():].strip(), parse_timestamp(ts) if ts else None)
    if len(s) > ALONE_MAX:
        return None
    m = _ALONE_TS.fullmatch(s)
    if m:
        label = _clean(m.group("label"))
        if plausible_label(label):
            return LabelMatch(label, "", parse_timestamp(m.group("ts")))
    for pattern in (_ALONE_MARKED, _ALONE_HEADING):
        m = pattern.fullmatch(s)
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
    s = line.strip()
    if not s or len(s) > ALONE_MAX:
        return None
    m = _ALONE_PLAIN.fullmatch(s)
    if not m:
        return None
    label = _clean(m.group("label"))
    if not plausible_label(label):
        return None
    if len(label) == 1 and not s.endswith(":"):
        return None  # a line "I" or "A" is speech (a wrapped line), not the label "I:"
    if label.lower() in _ROLE_OF_WORD or (label.isupper() and len(label) > 1 and len(label.split()) <= 3):
        return label
    return None


# Words that start ordinary sentences or clauses: a lower-case "word word: text" that holds
# one of them is prose with a colon, not a speaker ("so the plan was: ...").
_PROSE_WORDS = {
    "a", "an", "the", "and", "or", "but", "so", "if", "then", "when", "what", "which", "who", "why", "how",
    "is", "are", "was", "were", "be", "been", "it", "its", "it's", "this", "that", "these", "those", "there",
    "here", "i", "i'm", "we", "you", "they", "he", "she", "my", "our", "your", "their", "me", "us", "them",
    "to", "of", "in", "on", "at", "for", "with", "from", "by", "about", "as", "into", "like", "just", "also",
    "not", "no", "yes", "yeah", "okay", "ok", "well", "um", "uh", "oh", "said", "says", "say", "thing",
    "things", "question", "answer", "point", "reason", "problem", "idea", "plan", "goal", "step", "note",
    "do", "did", "does", "have", "has", "had", "will", "would", "can", "could", "should", "one", "two",
    "first", "second", "next", "last", "all", "some", "every", "really", "very", "more", "most", "let's",
    "meeting", "agenda", "minutes", "time", "today", "now", "because", "example", "basically", "remember",
}
_LOWER_WORD = re.compile(r"[^\W\d_][\w'’.\-]{0,30}")


def name_like(text: str) -> bool:
    """A short line that can be a person's name in any case (``Dana Whitfield``, ``jane
    doe``, ``Unknown Speaker``), not a reply ("Okay", "I'm", "Yes, sure.").

    >>> name_like("dana whitfield"), name_like("I'm"), name_like("Sounds good.")
    (True, False, False)
    """
    s = text.strip()
    words = s.split()
    if not 1 <= len(words) <= 4 or len(s) > 40 or s.endswith((".", ",", "?", "!", ";", ":")):
        return False
    if not all(_LOWER_WORD.fullmatch(w) for w in words):
        return False
    low = _low(s)
    if low in _ROLE_OF_WORD and len(low) > 1:
        return True
    if low in _NOT_LABELS or any(w.lower() in _PROSE_WORDS or w.lower() in _NOT_LABEL_WORDS for w in words):
        return False
    return True


def caption_label(text: str) -> LabelMatch | None:
    """A speaker label in a caption cue, in any case (Zoom writes ``jane doe: text``).

    The capitalised shapes are :func:`split_label`'s; a lower-case name of one to four
    words is also taken, unless a word is one that starts prose ("so the plan: ...") or
    the line starts with a time ("10:30 Meeting: ..."). Callers decide whether a one-word
    lower-case name is frequent enough to trust.

    >>> caption_label("maria lopez: we met on tuesdays")
    LabelMatch(label='maria lopez', rest='we met on tuesdays', ms=None)
    >>> caption_label("so the plan was: meet weekly") is None
    True
    """
    m = split_label(text, allow_tab=False)
    if m is not None:
        return m if m.rest else None
    s = text.strip()
    colon = s.find(":", 0, 64)
    if colon <= 0:
        return None
    label, rest = s[:colon].strip(), s[colon + 1:].strip()
    if not rest or label[:1].isdigit():
        return None
    words = label.split()
    if not 1 <= len(words) <= 4 or not all(_LOWER_WORD.fullmatch(w) for w in words):
        return None
    if any(w.lower().strip(".") in _PROSE_WORDS for w in words) or _low(label) in _NOT_LABELS:
        return None
    if any(w.lower() in _NOT_LABEL_WORDS for w in words):
        return None
    return LabelMatch(label, rest)

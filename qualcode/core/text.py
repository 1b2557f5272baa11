"""Small wording helpers shared by the layers that write sentences for people (the report,
the services' notes, the UI)."""

from __future__ import annotations

import re


#: What pooled counts do where a disagreement review recorded a consensus (said on Themes, Export
#: and in the report alike; storage.analysis_queries.settled_excerpts does it)
CONSENSUS_RULE = "Where a disagreement was resolved, only the agreed codes count for that excerpt."


def plural(n: int, unit: str) -> str:
    """``n`` and ``unit``, with an "s" unless there is one.

    >>> plural(1, "file"), plural(3, "document")
    ('1 file', '3 documents')
    """
    return f"{n} {unit}{'s' * (n != 1)}"


#: Speaker labels that name a role or a placeholder, not a person ("Student", "Speaker 1", "P3"):
#: the same label in two documents is two people. Any label with a digit is one too.
GENERIC_LABELS = frozenset({
    "speaker", "participant", "respondent", "interviewee", "interviewer", "facilitator", "moderator",
    "student", "students", "pupil", "teacher", "parent", "member", "person", "unknown", "unidentified",
    "female", "male", "woman", "man", "voice", "guest", "caller", "audience", "group", "all", "several",
    "multiple", "everyone", "someone", "other", "chw", "nurse", "staff", "coach", "mentor", "mentee",
    # the people evaluations interview, named by their part (walk 51: "Volunteer:" in two pantry
    # interviews, two people, counted as one participant)
    "volunteer", "volunteers", "client", "clients", "patient", "patients", "resident", "residents",
    "worker", "workers", "caregiver", "carer", "youth", "child", "children", "kid", "teen", "mother", "father",
    "grandmother", "grandfather", "manager", "director", "principal", "administrator", "officer", "official",
    "leader", "provider", "doctor", "clinician", "counselor", "counsellor", "social worker", "case manager",
    "farmer", "trainee", "trainer", "apprentice", "employee", "employer", "customer", "user", "beneficiary",
    "recipient", "elder", "community member", "partner", "stakeholder", "researcher", "evaluator",
    "observer", "translator", "interpreter", "parents", "teachers", "members", "participants", "respondents",
})


def same_label(label: str) -> str:
    """A speaker label as compared across documents: case and spacing aside.

    >>> same_label("Grace  Mwale") == same_label("grace mwale")
    True
    """
    return " ".join(str(label).split()).casefold()


def person_key(document: object, label: str, *, per_document: bool = False, pseudonym: bool = False) -> object:
    """Who a speaker is across documents: speakers are stored per document, and someone who
    speaks in two documents under the same name (Grace Mwale in her interview and in a focus
    group) is one person (walk 17). A label that names a role or a placeholder
    (:data:`GENERIC_LABELS`, or any label with a digit: "Speaker 1", "P3") is a different person
    in each document, as is every speaker when ``per_document`` (a survey's respondents). A
    de-identified speaker's label (``pseudonym``: "Participant 7") is given to one person across
    the project, so it is that person in every document (walk 43: a pseudonym was read as a
    placeholder, and one person speaking in two focus groups counted twice).

    >>> person_key(1, "Grace  Mwale") == person_key(2, "grace mwale"), person_key(1, "Speaker 1")
    (True, (1, 'speaker 1'))
    >>> person_key(1, "Volunteer") == person_key(2, "Volunteer")  # two volunteers, two interviews
    False
    >>> person_key(1, "Participant 7", pseudonym=True) == person_key(2, "Participant 7", pseudonym=True)
    True
    """
    name = same_label(label)
    if pseudonym and name and not per_document:
        return name
    generic = not name or name in GENERIC_LABELS or any(ch.isdigit() for ch in name) or per_document
    return (document, name) if generic else name


# Between a code's keywords people type commas, semicolons or spaced slashes as often as new
# lines ("stipend / paid / pay / own money"); a slash inside a word is part of it ("24/7", "and/or").
_KEYWORD_SEP = re.compile(r"[\r\n,;]|\s/|/\s")


def split_keywords(value: object) -> list[str]:
    """A code's keywords as the coder meant them: each item (or one text) split at new lines,
    commas, semicolons and slashes, stripped, the repeats dropped (case aside); a multi-word
    keyword ("own money") stays one phrase.

    >>> split_keywords("stipend / paid / pay / own money")
    ['stipend', 'paid', 'pay', 'own money']
    >>> split_keywords(["trust, rapport", "open up", "Trust", "24/7", "and/or"])
    ['trust', 'rapport', 'open up', '24/7', 'and/or']
    """
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    out: dict[str, str] = {}
    for item in items:
        for part in _KEYWORD_SEP.split(str(item)):
            part = " ".join(part.split())
            if part:
                out.setdefault(part.casefold(), part)
    return list(out.values())

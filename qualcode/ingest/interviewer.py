"""Who is the interviewer? Found from how people talk, not from the label.

In most real transcripts the interviewer is labelled by name (Otter, Zoom, Teams), so the
role cannot come from the label. The interviewer or facilitator is the one who asks most
of the questions, speaks in shorter turns than the others, usually speaks first, and in a
group takes the turn between the others. A name that is the interviewer in other
documents of the same batch is the interviewer here too. Pure functions: turns in, a
proposal with its reason in words out; the coder confirms or changes it.

>>> guess = detect_interviewer([("Ana", "How did it start?"), ("Ben", "Slowly. We met in May and argued."),
...                             ("Ana", "Why May?"), ("Ben", "The budget came late that year, so we waited.")])
>>> guess.label, guess.reason
('Ana', 'asks a question in 2 of 2 turns, turns shorter than the others (3 words against 8), speaks first')
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from qualcode.ingest.speakers import role_for_label

ASKING_ROLES = ("interviewer", "facilitator")
MIN_SCORE = 1.2  # below this nobody talks like an interviewer
MIN_MARGIN = 0.35  # the best must stand out from the second
_QUESTION_START = re.compile(
    r"^(?:and |so |but |okay,? |ok,? |now,? |well,? )?(?:what|why|how|when|where|who|which|whose|can|could|would|"
    r"will|do|does|did|is|are|was|were|have|has|tell me|talk about|describe|walk me)\b", re.I)


@dataclass(frozen=True)
class SpeakerTalk:
    """How one speaker talks in one document."""

    label: str
    turns: int
    questions: int
    median_words: float
    first: bool
    takes_turn_between: float  # share of speaker changes that hand the turn to this speaker

    @property
    def question_share(self) -> float:
        return self.questions / self.turns if self.turns else 0.0


@dataclass(frozen=True)
class InterviewerGuess:
    """The proposed interviewer (or facilitator) of a document, and why."""

    label: str
    reason: str
    score: float
    role: str = "interviewer"  # or facilitator (more than one other speaker: a group)


def _is_question(text: str) -> bool:
    t = text.strip()
    return "?" in t or t.startswith("¿") or bool(_QUESTION_START.match(t))


def _unknown(label: str) -> bool:
    return role_for_label(label) == "unknown"


def speaker_talk(turns: Sequence[tuple[str, str]]) -> dict[str, SpeakerTalk]:
    """Per speaker: turns, questions, median words per turn, first speaker, turn-taking."""
    by: dict[str, list[str]] = {}
    for label, text in turns:
        if text.strip():
            by.setdefault(label, []).append(text)
    known = [label for label, text in turns if text.strip() and not _unknown(label)]
    first = known[0] if known else None
    changes: dict[str, int] = {}
    total = 0
    prev = None
    for label in known:
        if prev is not None and label != prev:
            changes[label] = changes.get(label, 0) + 1
            total += 1
        prev = label
    return {label: SpeakerTalk(label, len(texts), sum(_is_question(t) for t in texts),
                               statistics.median(len(t.split()) for t in texts), label == first,
                               changes.get(label, 0) / total if total else 0.0)
            for label, texts in by.items()}


def _score(talk: SpeakerTalk, others_median: float, n_speakers: int) -> float:
    short = max(0.0, 1.0 - talk.median_words / others_median) if others_median else 0.0
    between = max(0.0, talk.takes_turn_between - 1.0 / n_speakers) * 2 if n_speakers > 2 else 0.0
    return 2.0 * talk.question_share + 1.0 * short + 0.4 * talk.first + between


def _reason(talk: SpeakerTalk, others_median: float, n_speakers: int) -> str:
    parts = [f"asks a question in {talk.questions} of {talk.turns} turns"]
    if others_median and talk.median_words < others_median:
        parts.append(f"turns shorter than the others ({talk.median_words:g} words against {others_median:g})")
    if talk.first:
        parts.append("speaks first")
    if n_speakers > 2 and talk.takes_turn_between > 1.0 / n_speakers:
        parts.append(f"takes {talk.takes_turn_between:.0%} of the turns between other speakers")
    return ", ".join(parts)


def detect_interviewer(turns: Sequence[tuple[str, str]], *,
                       known_interviewers: Iterable[str] = ()) -> InterviewerGuess | None:
    """The speaker who talks like the interviewer, or None when nobody clearly does.

    ``turns``: (speaker label, speech) in order. ``known_interviewers``: labels that are
    the interviewer in other files of the same upload; one of them present here wins if they ask
    at all (walk 17: "in 1 other document(s)" read as the project's, which had none).
    Speakers labelled as unknown ("Unknown Speaker", "Speaker") are never proposed.
    """
    talk = {label: t for label, t in speaker_talk(turns).items() if not _unknown(label)}
    if len(talk) < 2:
        return None
    n = len(talk)
    role = "interviewer" if n == 2 else "facilitator"
    known = {k.casefold() for k in known_interviewers}
    for label, t in talk.items():
        if label.casefold() in known and t.questions:
            return InterviewerGuess(label, f"the interviewer in other files of this upload; {_reason(t, 0, n)}", 9.0, role)
    scored = []
    for label, t in talk.items():
        others = [len(x.split()) for lab, x in turns if lab != label and lab in talk and x.strip()]
        others_median = statistics.median(others) if others else 0.0
        scored.append((_score(t, others_median, n), label, others_median))
    scored.sort(reverse=True)
    best, label, others_median = scored[0]
    if best < MIN_SCORE or best - scored[1][0] < MIN_MARGIN or talk[label].questions < 2:
        return None
    return InterviewerGuess(label, _reason(talk[label], others_median, n), round(best, 2), role)


def detect_interviewers(documents: Mapping[str, Sequence[tuple[str, str]]]) -> dict[str, InterviewerGuess | None]:
    """One proposal per document, consistent across the batch: a name proposed in two or
    more documents is proposed wherever it appears and asks questions.

    >>> docs = {"a": [("Kim", "Why?"), ("Lu", "Time."), ("Kim", "And then?"), ("Lu", "We met twice.")],
    ...         "b": [("Kim", "How?"), ("Bo", "Slowly, and with help."), ("Kim", "Who helped?"), ("Bo", "Coaches.")]}
    >>> {k: g.label for k, g in detect_interviewers(docs).items()}
    {'a': 'Kim', 'b': 'Kim'}
    """
    first = {name: detect_interviewer(turns) for name, turns in documents.items()}
    counts: dict[str, int] = {}
    for g in first.values():
        if g is not None:
            counts[g.label.casefold()] = counts.get(g.label.casefold(), 0) + 1
    recurring = [label for label, c in counts.items() if c >= 2]
    if not recurring:
        return first
    out = {}
    for name, turns in documents.items():
        labels = {lab.casefold() for lab, _t in turns}
        if any(r in labels for r in recurring):
            out[name] = detect_interviewer(turns, known_interviewers=[r for r in recurring if r in labels])
            if out[name] is not None:
                n_docs = counts[out[name].label.casefold()] - (first[name] is not None
                                                               and first[name].label == out[name].label)
                if n_docs:
                    out[name] = InterviewerGuess(out[name].label, out[name].reason.replace(
                        "the interviewer in other files of this upload",
                        f"the interviewer in {n_docs} other file{'s' * (n_docs != 1)} of this upload"),
                        out[name].score, out[name].role)
        else:
            out[name] = first[name]
    return out


def missing_interviewer(turns: Sequence[tuple[str, str]], roles: Mapping[str, str]) -> InterviewerGuess | None:
    """The proposal when the document looks like an interview but no speaker has the
    interviewer or facilitator role (their words would be offered for coding); else None."""
    if any(r in ASKING_ROLES for r in roles.values()):
        return None
    return detect_interviewer(turns)

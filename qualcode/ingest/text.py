"""Plain text and Markdown transcripts (and the lines that .docx and .pdf readers extract).

Speaker-prefixed lines start turns; the lines that follow join the current turn
(wrapped lines with a space, paragraphs with a line break). Lines before the first label
are kept as a header (a title, a date) and not offered for coding. A file with no labels at
all becomes one unknown speaker with one turn per paragraph, with a warning.

>>> raw = parse_lines(["Interviewer: Hello.", "Maria: Hi,", "glad to be here.", "", "Second para."])
>>> [(t.speaker, t.text) for t in raw.turns]
[('Interviewer', 'Hello.'), ('Maria', 'Hi, glad to be here.\\nSecond para.')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from qualcode.ingest.model import RawTranscript, RawTurn
from qualcode.ingest.speakers import (
    LabelMatch, is_generic_label, lone_label, name_like, parse_timestamp, role_for_label, split_label,
)

UNKNOWN_SPEAKER = "Unknown"
_RULE = re.compile(r"([-*_=])(?:[ \t]{0,8}\1){2,}")  # run on the stripped line
# Lines that transcript tools write between turns and that are nobody's speech.
_NOISE = {"user avatar", "avatar", "profile picture", "play", "pause", "unmute", "mute"}
# The last line of an Otter.ai export: the tool's signature, nobody's speech.
_SIGNATURE = re.compile(r"transcribed by[ \t]{1,4}(?:https?://)?(?:www\.)?otter\.ai/?", re.I)
# "Key: value" lines at the top of a transcript that describe it (kept as document
# attributes, not as text): transcription services and Otter write them.
_META_KEYS = {
    "project": "project", "study": "study", "duration": "duration", "length": "duration", "date": "date",
    "recorded": "date", "recording date": "date", "date recorded": "date", "location": "location",
    "site": "site", "transcriber": "transcriber", "transcribed by": "transcriber", "audio file": "audio_file",
    "file": "file", "file name": "file", "title": "title", "subject": "subject", "topic": "topic",
    "participants": "participants", "attendees": "participants", "speakers": "speakers", "keywords": "keywords",
    "summary keywords": "keywords", "job number": "job", "job": "job", "client": "client", "format": "format",
    "language": "language", "interview date": "date", "time": "time",
}
_NAMED_KEYS = {"speakers", "participants", "transcriber"}  # values are people's names: never stored
_STORED_KEYS = {"keywords", "project", "duration"}  # kept as document attributes
_META_BLOCKS = {"summary keywords": "keywords", "keywords": "keywords", "speakers": "speakers",
                "summary": "summary"}
_META_LINE = re.compile(r"(?P<key>[^\W\d_][\w ()/.'’\-]{0,29}?)[ \t]{0,4}:[ \t]{0,8}(?P<value>\S.{0,200})")


def _rule(stripped: str) -> bool:
    return bool(_RULE.fullmatch(stripped))


def _is_rule_or_blank(stripped: str) -> bool:
    return not stripped or _rule(stripped)


@dataclass
class Line:
    text: str
    number: int  # 1-based line (or paragraph) number in the source
    label: LabelMatch | None = None  # a label already known (bold run in Word)
    break_after: bool = False  # a paragraph ends here even without a blank line (Word)


def _as_lines(lines: Sequence[str | Line]) -> list[Line]:
    return [ln if isinstance(ln, Line) else Line(ln, i + 1) for i, ln in enumerate(lines)]


def _next_filled(lines: list[Line], i: int, limit: int = 3) -> int | None:
    """Index of the next non-blank line after ``i`` within ``limit`` lines."""
    for j in range(i + 1, min(len(lines), i + 1 + limit)):
        if lines[j].text.strip():
            return j
    return None


def _classify(lines: list[Line]) -> tuple[list[LabelMatch | None], set[int]]:
    """Labels per line, and the lines consumed by a label (a time line, noise)."""
    out: list[LabelMatch | None] = []
    following: list[int | None] = [None] * len(lines)  # the next non-blank line (linear, no slices)
    nxt_i: int | None = None
    for i in range(len(lines) - 1, -1, -1):
        following[i] = nxt_i
        if lines[i].text.strip():
            nxt_i = i
    for i, ln in enumerate(lines):
        if ln.label is not None:
            out.append(ln.label)
            continue
        m = split_label(ln.text)
        if m is None:
            label = lone_label(ln.text)
            if label is not None:
                nxt = lines[following[i]] if following[i] is not None else None
                if nxt is not None and nxt.label is None and split_label(nxt.text) is None:
                    m = LabelMatch(label, "")
        out.append(m)
    skip = {i for i, ln in enumerate(lines) if out[i] is None and (ln.text.strip().casefold() in _NOISE
                                                                   or _SIGNATURE.fullmatch(ln.text.strip()))}
    stamps = {i: ms for i, ln in enumerate(lines)
              if out[i] is None and i not in skip and (ms := parse_timestamp(ln.text)) is not None}
    # "[00:00:01]" on the line before "Name: text": the time belongs to the turn that follows.
    for i, ms in stamps.items():
        j = _next_filled(lines, i)
        if j is not None and out[j] is not None and out[j].ms is None:
            out[j] = LabelMatch(out[j].label, out[j].rest, ms)
            skip.add(i)
    # Zoom's web player: "Name" / "00:01:13" / text, each on its own line.
    candidates: dict[int, int] = {}
    for i, ms in stamps.items():
        if i in skip:
            continue
        k = next((k for k in range(i - 1, max(-1, i - 3), -1) if k not in skip and lines[k].text.strip()), None)
        if k is not None and out[k] is None and name_like(lines[k].text):
            candidates[k] = i
    seen: dict[str, int] = {}
    for k in candidates:
        key = lines[k].text.strip().casefold()
        seen[key] = seen.get(key, 0) + 1
    for k, i in candidates.items():
        name = " ".join(lines[k].text.split())
        if split_label(name + ": x") is not None or seen[name.casefold()] >= 2 or len(candidates) >= 3:
            out[k] = LabelMatch(name, "", stamps[i])
            skip.add(i)
    return out, skip


def _fact(raw: RawTranscript, key: str, value: str, *, append: bool = False) -> None:
    """Keep a header fact: as a document attribute when it is safe to store and unlikely to
    clash with the project's own attributes (keywords, project, duration); names only for
    the preview and the roles; the rest stays in the header text alone."""
    facts = raw.metadata if key in _STORED_KEYS else raw.named if key in _NAMED_KEYS else None
    if facts is not None:
        facts[key] = (facts.get(key, "") + " " + value).strip() if append else value


def _meta_key(text: str) -> str | None:
    kv = _META_LINE.fullmatch(text.strip())
    key = " ".join(kv.group("key").casefold().split()) if kv else ""
    return _META_KEYS.get(key)


def _header_meta(lines: list[Line], labels: list[LabelMatch | None], skip: set[int],
                 raw: RawTranscript) -> set[int]:
    """Lines at the top that describe the transcript (``Project: ...``, ``Duration: ...``,
    ``Moderator: Alicia Grant``, Otter's ``SUMMARY KEYWORDS`` / ``SPEAKERS`` blocks) are not
    turns: they stay in the header text (not coded); some facts go to ``raw.metadata``
    (stored as attributes), names to ``raw.named``, a named moderator's role to ``raw.roles``."""
    later = list(dict.fromkeys(m.label for m in labels if m is not None))
    meta: set[int] = set()
    block: str | None = None
    for i, ln in enumerate(lines):
        st = ln.text.strip()
        if i in skip:
            continue
        if not st:
            block = None
            continue
        low = st.casefold().rstrip(":").strip()
        if low in _META_BLOCKS and labels[i] is None:
            block = _META_BLOCKS[low]
            meta.add(i)
            continue
        if block is not None and labels[i] is None:
            _fact(raw, block, st, append=True)
            meta.add(i)
            continue
        kv = _META_LINE.fullmatch(st)
        if kv:
            key = " ".join(kv.group("key").casefold().split())
            value = kv.group("value").strip()
            if key in _META_KEYS and (labels[i] is None or labels[i].label.casefold() == key):
                _fact(raw, _META_KEYS[key], value)
                meta.add(i)
                continue
            role = role_for_label(key) if is_generic_label(key) and len(key) > 2 else None
            if role in ("interviewer", "facilitator") and name_like(value) and value[:1].isupper():
                first = value.split()[0].casefold()
                same = [lab for lab in later if lab.casefold() == value.casefold()
                        or lab.split()[0].casefold() == first]
                nxt = _next_filled(lines, i)
                if same or meta or (nxt is not None and _meta_key(lines[nxt].text) is not None):
                    raw.named[re.sub(r"\W+", "_", key).strip("_")] = value
                    for lab in same or [value]:
                        raw.roles[lab] = role
                    meta.add(i)
                    continue
        if labels[i] is not None:
            break  # the first turn: the header ends
    for i in meta:
        labels[i] = None
    return meta


def parse_lines(lines: Sequence[str | Line], *, file: str | None = None) -> RawTranscript:
    """Turns from transcript lines (see the module docstring)."""
    lines = _as_lines(lines)
    labels, skip = _classify(lines)
    raw = RawTranscript()
    meta = _header_meta(lines, labels, skip, raw)  # header lines stay in the header text (not coded)
    if not any(labels):
        return _unlabelled(lines, raw, file, skip)
    first_label = next(i for i, m in enumerate(labels) if m is not None)
    # Header facts (Otter's title, KEYWORDS and SPEAKERS blocks) do not count as prose here.
    before = _paragraph_count([ln for k, ln in enumerate(lines[:first_label]) if k not in skip and k not in meta])
    if before > 3 and before > sum(m is not None for m in labels):
        # A stray "Word: text" deep inside unlabelled prose is not a transcript's first label.
        return _unlabelled(lines, raw, file, skip)
    header: list[list[str]] = [[]]
    turn: RawTurn | None = None
    paras: list[list[str]] = [[]]

    def close_turn() -> None:
        if turn is None:
            return
        turn.text = "\n".join(" ".join(p) for p in paras if p)
        if not turn.text.strip():
            raw.warn(f"speaker label {turn.speaker!r} has no speech after it", file=file, line=turn.line)
        raw.turns.append(turn)

    for n, (ln, m) in enumerate(zip(lines, labels)):
        if n in skip:
            continue
        stripped = ln.text.strip()
        if m is not None:
            close_turn()
            turn = RawTurn(speaker=m.label, text="", start_ms=m.ms, line=ln.number)
            paras = [[m.rest]] if m.rest else [[]]
        elif _is_rule_or_blank(stripped):
            (paras if turn is not None else header).append([])
            continue
        elif turn is not None and (ms := parse_timestamp(stripped)) is not None:
            if turn.start_ms is None:
                turn.start_ms = ms
            continue
        else:
            (paras if turn is not None else header)[-1].append(stripped)
        if ln.break_after:
            (paras if turn is not None else header).append([])
    close_turn()
    raw.header = "\n".join(" ".join(p) for p in header if p)
    if raw.header:
        first = next((ln.number for ln in lines if ln.text.strip()), None)
        # a note, not a warning: a title or a date line above the first speaker is usual (walk 20: a
        # .docx title made a clean file's preview yellow)
        raw.warn(f"{len([p for p in header if p])} paragraph(s) before the first speaker label kept as a "
                 "header, not offered for coding", file=file, line=first, severity="note")
    return raw


def _paragraph_count(lines: list[Line]) -> int:
    n, inside = 0, False
    for ln in lines:
        if ln.text.strip():
            n += not inside
            inside = not ln.break_after
        else:
            inside = False
    return n


def _unlabelled(lines: list[Line], raw: RawTranscript, file: str | None, skip: set[int] = frozenset()) -> RawTranscript:
    para: list[str] = []
    first = None

    def close() -> None:
        nonlocal para, first
        if para:
            raw.turns.append(RawTurn(UNKNOWN_SPEAKER, " ".join(para), line=first, labelled=False))
        para, first = [], None

    for n, ln in enumerate(lines):
        if n in skip:
            continue
        stripped = ln.text.strip()
        if _is_rule_or_blank(stripped) or stripped.casefold() in _NOISE:
            close()
            continue
        if first is None:
            first = ln.number
        para.append(stripped)
        if ln.break_after:
            close()
    close()
    raw.roles[UNKNOWN_SPEAKER] = "unknown"
    raw.warn("no speaker labels found: imported as one unknown speaker, one turn per paragraph "
             "(label lines like 'Name: text' to get speakers)", file=file, line=1)
    return raw


def read_text(text: str, *, file: str | None = None) -> RawTranscript:
    """A .txt or .md transcript (already decoded and normalised)."""
    return parse_lines(text.split("\n"), file=file)

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
from qualcode.ingest.speakers import LabelMatch, lone_label, parse_timestamp, split_label

UNKNOWN_SPEAKER = "Unknown"
_RULE = re.compile(r"^\s*([-*_=])(\s*\1){2,}\s*$")


@dataclass
class Line:
    text: str
    number: int  # 1-based line (or paragraph) number in the source
    label: LabelMatch | None = None  # a label already known (bold run in Word)
    break_after: bool = False  # a paragraph ends here even without a blank line (Word)


def _as_lines(lines: Sequence[str | Line]) -> list[Line]:
    return [ln if isinstance(ln, Line) else Line(ln, i + 1) for i, ln in enumerate(lines)]


def _classify(lines: list[Line]) -> list[LabelMatch | None]:
    out: list[LabelMatch | None] = []
    for i, ln in enumerate(lines):
        if ln.label is not None:
            out.append(ln.label)
            continue
        m = split_label(ln.text)
        if m is None:
            label = lone_label(ln.text)
            if label is not None:
                nxt = next((x for x in lines[i + 1:] if x.text.strip()), None)
                if nxt is not None and nxt.label is None and split_label(nxt.text) is None:
                    m = LabelMatch(label, "")
        out.append(m)
    return out


def parse_lines(lines: Sequence[str | Line], *, file: str | None = None) -> RawTranscript:
    """Turns from transcript lines (see the module docstring)."""
    lines = _as_lines(lines)
    labels = _classify(lines)
    raw = RawTranscript()
    if not any(labels):
        return _unlabelled(lines, raw, file)
    first_label = next(i for i, m in enumerate(labels) if m is not None)
    before = _paragraph_count(lines[:first_label])
    if before > 3 and before > sum(m is not None for m in labels):
        # A stray "Word: text" deep inside unlabelled prose is not a transcript's first label.
        return _unlabelled(lines, raw, file)
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

    for ln, m in zip(lines, labels):
        stripped = ln.text.strip()
        if m is not None:
            close_turn()
            turn = RawTurn(speaker=m.label, text="", start_ms=m.ms, line=ln.number)
            paras = [[m.rest]] if m.rest else [[]]
        elif not stripped or _RULE.match(stripped):
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
        raw.warn(f"{len([p for p in header if p])} paragraph(s) before the first speaker label kept as a "
                 "header, not offered for coding", file=file, line=first)
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


def _unlabelled(lines: list[Line], raw: RawTranscript, file: str | None) -> RawTranscript:
    para: list[str] = []
    first = None

    def close() -> None:
        nonlocal para, first
        if para:
            raw.turns.append(RawTurn(UNKNOWN_SPEAKER, " ".join(para), line=first, labelled=False))
        para, first = [], None

    for ln in lines:
        stripped = ln.text.strip()
        if not stripped or _RULE.match(stripped):
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

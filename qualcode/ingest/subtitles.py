"""Caption files: WebVTT (Zoom ``Name: text`` cues, Teams ``<v Name>text</v>``) and SRT.

Cue times are kept in milliseconds. Consecutive cues of one speaker merge into one turn;
a cue without a label continues the current speaker. Files without any label become one
unknown speaker whose turns break at pauses of two seconds or more. Broken timing lines
are errors naming the line.

>>> raw = read_vtt("WEBVTT\\n\\n00:00:01.000 --> 00:00:02.500\\n<v Ana>We met.</v>\\n\\n"
...                "00:00:02.600 --> 00:00:04.000\\n<v Ana>Every week.</v>\\n")
>>> [(t.speaker, t.text, t.start_ms, t.end_ms) for t in raw.turns]
[('Ana', 'We met. Every week.', 1000, 4000)]
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from qualcode.errors import IngestError, Problem
from qualcode.ingest.model import RawTranscript, RawTurn
from qualcode.ingest.speakers import split_label
from qualcode.ingest.text import UNKNOWN_SPEAKER

_TIMING = re.compile(r"^\s*(?P<a>\S+)\s+-->\s+(?P<b>\S+)(?:\s+.*)?$")
_STAMP = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?$")
_VOICE = re.compile(r"<v(?:\.[\w.\-]+)?(?:\s+(?P<name>[^>]*))?>(?P<text>.*?)(?:</v>|(?=<v[\s.>])|$)", re.S)
_TAGS = re.compile(r"</?(?:c|i|b|u|ruby|rt|lang|v|font)(?:[.\s][^>]*)?>|<\d{1,2}:\d{2}(?::\d{2})?[.,]\d{1,3}>",
                   re.I)
PAUSE_MS = 2000


@dataclass
class Cue:
    start_ms: int
    end_ms: int
    lines: list[str]
    line: int


def parse_stamp(text: str) -> int | None:
    """``hh:mm:ss.mmm``, ``mm:ss.mmm`` or SRT's ``hh:mm:ss,mmm`` -> ms."""
    m = _STAMP.match(text.strip())
    if not m:
        return None
    h, mi, se, frac = m.groups()
    if int(mi) > 59 or int(se) > 59:
        return None
    return ((int(h or 0) * 60 + int(mi)) * 60 + int(se)) * 1000 + int((frac or "0").ljust(3, "0")[:3])


def _cues(text: str, *, file: str | None, kind: str) -> tuple[list[Cue], list[Problem]]:
    lines = text.split("\n")
    cues: list[Cue] = []
    errors: list[Problem] = []
    i = 0
    if kind == "vtt":
        if not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
            if "-->" not in text:
                raise IngestError("this is not a WebVTT caption file (no WEBVTT line, no cue timings)",
                                  file=file, line=1, hint="check the file, or rename it to .txt if it is plain text")
        else:
            while i < len(lines) and lines[i].strip():  # header block
                i += 1
    while i < len(lines):
        while i < len(lines) and not lines[i].strip():
            i += 1
        block_start = i
        block: list[tuple[int, str]] = []
        while i < len(lines) and lines[i].strip():
            block.append((i + 1, lines[i]))
            i += 1
        if not block:
            break
        first = block[0][1].strip()
        if kind == "vtt" and first.split(" ")[0] in ("NOTE", "STYLE", "REGION"):
            continue
        t_index = next((k for k, (_n, ln) in enumerate(block[:3]) if "-->" in ln), None)
        if t_index is None:
            near = next(((n, ln) for n, ln in block[:3] if re.search(r"\d+:\d{2}", ln)), None)
            if near is not None:
                errors.append(Problem(f"broken cue timing {near[1].strip()!r} (no '-->')", file=file, line=near[0]))
                continue
            errors.append(Problem(f"cue without a timing line: {first[:40]!r}", file=file, line=block_start + 1))
            continue
        number, timing = block[t_index]
        m = _TIMING.match(timing)
        a = parse_stamp(m.group("a")) if m else None
        b = parse_stamp(m.group("b")) if m else None
        if a is None or b is None:
            errors.append(Problem(f"broken cue timing {timing.strip()!r}", file=file, line=number))
            continue
        if b < a:
            errors.append(Problem(f"cue ends before it starts: {timing.strip()!r}", file=file, line=number))
            continue
        cues.append(Cue(a, b, [ln for _n, ln in block[t_index + 1:]], number))
    return cues, errors


def _clean(s: str) -> str:
    return re.sub(r"[ \t]+", " ", html.unescape(_TAGS.sub("", s))).strip()


def _parts(cue: Cue) -> list[tuple[str | None, str]]:
    """(speaker or None, text) pieces of one cue's payload."""
    payload = "\n".join(cue.lines)
    if "<v" in payload:
        out = []
        for m in _VOICE.finditer(payload):
            t = _clean(m.group("text").replace("\n", " "))
            if t:
                out.append(((m.group("name") or "").strip() or None, t))
        before = _clean(payload[: payload.find("<v")].replace("\n", " "))
        return ([(None, before)] if before else []) + out
    out: list[tuple[str | None, str]] = []
    for raw_line in cue.lines:
        line = _clean(raw_line)
        if not line:
            continue
        m = split_label(line, allow_tab=False)
        if m is not None and m.rest:
            out.append((m.label, m.rest))
        elif out:
            out[-1] = (out[-1][0], out[-1][1] + " " + line.lstrip("-–— ").strip())
        else:
            out.append((None, line.lstrip("-–— ").strip() if line.startswith(("- ", "– ")) else line))
    return out


def _turns(cues: list[Cue], raw: RawTranscript, *, file: str | None) -> RawTranscript:
    labelled = False
    current: RawTurn | None = None
    for cue in cues:
        for speaker, text in _parts(cue):
            if speaker is not None:
                labelled = True
            name = speaker or (current.speaker if current is not None and labelled else UNKNOWN_SPEAKER)
            same = current is not None and current.speaker == name
            if same and name == UNKNOWN_SPEAKER and not labelled and current.end_ms is not None \
                    and cue.start_ms - current.end_ms >= PAUSE_MS:
                same = False
            if same:
                current.text += " " + text
                current.end_ms = max(current.end_ms or 0, cue.end_ms)
            else:
                current = RawTurn(name, text, start_ms=cue.start_ms, end_ms=cue.end_ms, line=cue.line,
                                  labelled=name != UNKNOWN_SPEAKER or labelled)
                raw.turns.append(current)
    if not labelled:
        for t in raw.turns:
            t.labelled = False
        raw.roles[UNKNOWN_SPEAKER] = "unknown"
        raw.warn("no speaker labels in the captions: imported as one unknown speaker, turns split at pauses",
                 file=file, line=1)
    elif any(t.speaker == UNKNOWN_SPEAKER for t in raw.turns):
        raw.roles[UNKNOWN_SPEAKER] = "unknown"
        first = next(t.line for t in raw.turns if t.speaker == UNKNOWN_SPEAKER)
        raw.warn("cues before the first speaker label are attributed to an unknown speaker", file=file, line=first)
    return raw


def _read(text: str, *, file: str | None, kind: str) -> RawTranscript:
    cues, errors = _cues(text, file=file, kind=kind)
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        fmt = "hh:mm:ss.mmm --> hh:mm:ss.mmm" if kind == "vtt" else "hh:mm:ss,mmm --> hh:mm:ss,mmm"
        exc = IngestError(errors[0].message + more, file=file, line=errors[0].line,
                          hint=f"fix the timing lines ({fmt}) or export the captions again")
        exc.problems = errors  # type: ignore[attr-defined]
        raise exc
    if not cues:
        raise IngestError("no caption cues found", file=file, line=1,
                          hint="check that this is a caption file with timed cues")
    return _turns(cues, RawTranscript(), file=file)


def read_vtt(text: str, *, file: str | None = None) -> RawTranscript:
    """A WebVTT file (already decoded)."""
    return _read(text, file=file, kind="vtt")


def read_srt(text: str, *, file: str | None = None) -> RawTranscript:
    """An SRT subtitle file (already decoded)."""
    return _read(text, file=file, kind="srt")

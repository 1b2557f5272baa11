"""Caption files: WebVTT (Zoom ``Name: text`` cues, Teams ``<v Name>text</v>``) and SRT.

Cue times are kept in milliseconds. Consecutive cues of one speaker merge into one turn;
a cue without a label continues the current speaker. Files without any label become one
unknown speaker whose turns break at pauses of two seconds or more.

The reader takes what caption tools write, not only what the specifications allow:
unpadded times (``0:0:0.570``), no spaces around ``-->``, ``mm:ss.ttt`` without hours,
one-digit seconds, a comma or a dot before the milliseconds; blank lines, a BOM or text
around ``WEBVTT``; ``Kind:``/``Language:`` header lines; NOTE, STYLE and REGION blocks;
cues with no blank line between them and "blank" lines holding spaces; cue ids of any
shape (``a7939eec-.../32-0``); a literal ``-->`` inside cue text; overlapping cues. Cue
tags and entities are stripped to plain text; voice tags with no name, no closing ``>``
or no ``</v>`` still give the speaker; a speaker written in lower case (Zoom:
``jane doe: text``) is a speaker.

A timing line that looks like one but cannot be read does not stop the file: every cue
whose time is readable is imported, the words of a cue whose time is not are kept in their
place among the others (without a time of their own), and a warning names each such line.
A cue whose timing line is no timing at all (``3`` / ``banana`` / its text) is read the same
way: its id and that line are not words, and the warning names the line. Only a file with no
readable time at all is refused, with the offer to import its text without times
(``without_times=True``).

>>> raw = read_vtt("WEBVTT\\n\\n00:00:01.000 --> 00:00:02.500\\n<v Ana>We met.</v>\\n\\n"
...                "00:00:02.600 --> 00:00:04.000\\n<v Ana>Every week.</v>\\n")
>>> [(t.speaker, t.text, t.start_ms, t.end_ms) for t in raw.turns]
[('Ana', 'We met. Every week.', 1000, 4000)]
>>> [(t.speaker, t.start_ms) for t in read_srt("1\\n0:0:1,5-->0:0:2,0\\njane doe: hi\\n").turns]
[('jane doe', 1500)]
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from qualcode.errors import IngestError, Problem
from qualcode.ingest.model import RawTranscript, RawTurn
from qualcode.ingest.speakers import LabelMatch, caption_label, split_label
from qualcode.ingest.text import UNKNOWN_SPEAKER, parse_lines

_STAMP_RE = r"(?:\d{1,3}:)?\d{1,2}:\d{1,2}(?:[.,]\d{1,3})?"
# The arrow as typed or "autocorrected" by a word processor: -->, ->, --, –>, —>, —, →
# (not a lone hyphen or en dash: "10:30 - 11:00" in cue text is a range, not a timing).
_ARROW = "(?:-{1,2}>|--|[\u2013\u2014]{1,2}>|\u2014|\u2192)"
_TIMING = re.compile(rf"(?P<a>{_STAMP_RE})[ \t]{{0,8}}{_ARROW}[ \t]{{0,8}}(?P<b>{_STAMP_RE})(?:[ \t].*)?")
# A lone hyphen or en dash between two full times with milliseconds is a timing line too.
_FULL_RE = r"\d{1,3}:\d{1,2}:\d{1,2}[.,]\d{1,3}"
_TIMING_DASH = re.compile(rf"(?P<a>{_FULL_RE})[ \t]{{0,8}}[-\u2013][ \t]{{0,8}}(?P<b>{_FULL_RE})(?:[ \t].*)?")
_STAMP = re.compile(r"(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?")
# Looks like a timing line (a time, then an arrow or a second time) but may not be readable:
# ``00:00:0x.000 --> ...``, a letter O for a zero, a semicolon for a colon, a time missing
# on either side of the arrow.
_T = r"[\dxXoO]{1,3}[:;][\dxXoO]{1,2}"
_TIMING_LIKE = re.compile(rf"{_T}\S{{0,12}}[ \t]{{0,8}}(?:{_ARROW}|[ \t])[ \t]{{0,8}}[\dxXoO]{{1,3}}[:;]"
                          rf"|{_ARROW}[ \t]{{0,8}}{_T}|{_T}\S{{0,12}}[ \t]{{0,8}}{_ARROW}[ \t]*$")
_ID_LIKE = re.compile(r"\d{1,9}|[\w\-/.{}]{1,120}")
_VOICE_OPEN = re.compile(r"<v(?:\.[\w.\-]{0,40})?(?:[ \t]+(?P<name>[^>\n]{0,80}))?(?:>|(?=\n)|$)")
_VOICE_CLOSE = re.compile(r"</v\s{0,4}>")
_TAGS = re.compile(r"</?(?:c|i|b|u|s|ruby|rt|lang|v|font|span)(?:[.\s][^<>\n]{0,200})?>"
                   r"|<\d{1,3}:\d{1,2}(?::\d{1,2})?[.,]\d{1,3}>|\{\\[^{}\n]{1,20}\}", re.I)
_BLOCKS = ("NOTE", "STYLE", "REGION")
PAUSE_MS = 2000


@dataclass
class Cue:
    """One cue as read; ``start_ms``/``end_ms`` are None when its timing line (``timing``,
    kept for the warning) could not be read: its words are kept, untimed, in file order."""

    start_ms: int | None
    end_ms: int | None
    lines: list[str]
    line: int
    timing: str = ""
    why: str = ""  # why the timing could not be read


def parse_stamp(text: str) -> int | None:
    """A cue time as written in the wild -> ms: ``hh:mm:ss.mmm``, ``mm:ss.mmm``, SRT's
    ``hh:mm:ss,mmm``, unpadded ``0:0:0.5``, one-digit seconds.

    >>> parse_stamp("00:01:02.500"), parse_stamp("0:0:0.57"), parse_stamp("01:02,5"), parse_stamp("00:61:00")
    (62500, 570, 62500, None)
    """
    m = _STAMP.fullmatch(text.strip())
    if not m:
        return None
    h, mi, se, frac = m.groups()
    if int(mi) > 59 or int(se) > 59:
        return None
    return ((int(h or 0) * 60 + int(mi)) * 60 + int(se)) * 1000 + int((frac or "0").ljust(3, "0")[:3])


def parse_timing(line: str) -> tuple[int, int] | None:
    """(start, end) ms of a cue timing line, or None when the line is not a readable one."""
    m = _TIMING.fullmatch(line.strip()) or _TIMING_DASH.fullmatch(line.strip())
    if not m:
        return None
    a, b = parse_stamp(m.group("a")), parse_stamp(m.group("b"))
    return None if a is None or b is None else (a, b)


def _is_id(line: str) -> bool:
    """A cue id: a number, or one token (``a7939eec-.../32-0``) that is not words."""
    s = line.strip()
    return bool(_ID_LIKE.fullmatch(s)) and (s.isdigit() or any(c.isdigit() for c in s))


def _broken_header(lines: list[str], n: int) -> bool:
    """Whether the block starting at ``lines[n]`` is a cue whose timing line is no timing
    line at all (``3`` / ``banana`` / ``<v Tom>Then...``). Call it only at a block start: the
    first line after a blank line, or the first line of the cues.

    The rule, for WebVTT and SRT alike, is the shape of a cue: the block's first line is a
    cue id (:func:`_is_id`: a number, or one token holding a digit); its second line is not a
    timing line, readable or damaged (those are read as timing lines), not an id, and does
    not read as speech (no ``<v`` voice tag, no ``Name: text`` label); a third line follows
    and is not a timing line either (``3`` / ``x`` / a timing line is two lines before a cue,
    read as before). The second line then stands where the cue's timing belongs: the caller
    names it in a warning, drops the id and keeps the third line on as the cue's words,
    untimed. A lone number inside a cue's text is no block start, a two-line block
    (``3`` / ``banana``) stays words, and the caller also checks that a numbered block
    counts up from the cue before it (a ``1`` inside cue 5's text is a list, not a cue)."""
    if n + 2 >= len(lines) or not _is_id(lines[n]):
        return False
    second, third = lines[n + 1].strip(), lines[n + 2].strip()
    if not second or not third or _is_id(second) or _VOICE_OPEN.search(second) or caption_label(second):
        return False
    if parse_timing(second) is not None or _TIMING_LIKE.match(second):
        return False
    return parse_timing(third) is None and not _TIMING_LIKE.match(third)


def _has_ids(lines: list[str]) -> bool:
    """Whether the file's cues carry id lines (a cue id just before a timing line)."""
    return any(n and lines[n - 1].strip() and _is_id(lines[n - 1]) and ":" in st
               and (parse_timing(st) is not None or _TIMING_LIKE.match(st))
               for n, st in ((n, ln.strip()) for n, ln in enumerate(lines)))


def _broken_timing(lines: list[str], n: int, *, ids: bool) -> bool:
    """Whether the block starting at ``lines[n]`` is a cue with no id whose timing line is
    garbage (``oops`` / ``<v Bilal>I walk...``): ids are optional in WebVTT. Call it only at
    a block start. The first line is no timing line (readable or damaged), no cue id (an id
    before speech is a missing timing line, read as before) and no speech; the next line
    opens a voice tag, or, in a file whose cues carry no ids (``ids`` False), is a
    ``Name: text`` caption label. The caller names the first line in a warning and keeps the
    next one on as the cue's words, untimed."""
    if n + 1 >= len(lines):
        return False
    first, second = lines[n].strip(), lines[n + 1].strip()
    if not first or not second or _is_id(first) or "-->" in first or _VOICE_OPEN.search(first) \
            or caption_label(first) or parse_timing(first) is not None or _TIMING_LIKE.match(first):
        return False
    if parse_timing(second) is not None or _TIMING_LIKE.match(second):
        return False
    return bool(_VOICE_OPEN.match(second)) or (not ids and bool(caption_label(second)))


def _skip_header(lines: list[str], *, file: str | None, kind: str, text: str) -> int:
    """Index of the first line after the WEBVTT header (0 for SRT)."""
    i = 0
    while i < len(lines) and not lines[i].strip("\ufeff \t\r"):
        i += 1
    if kind != "vtt":
        return i
    if i < len(lines) and lines[i].strip("\ufeff \t\r").startswith("WEBVTT"):
        i += 1
        while i < len(lines) and lines[i].strip() and parse_timing(lines[i]) is None \
                and "-->" not in lines[i]:  # Kind:, Language:, X-TIMESTAMP-MAP=...
            i += 1
        return i
    if "-->" not in text:
        raise IngestError("this is not a WebVTT caption file (no WEBVTT line, no cue timings)",
                          file=file, line=1, hint="check the file, rename it to .txt if it is plain text, "
                                                  "or import the text without times")
    return i


def _cues(text: str, *, file: str | None, kind: str) -> list[Cue]:
    """The cues in file order; a cue whose timing line cannot be read is kept untimed."""
    lines = text.split("\n")
    cues: list[Cue] = []
    i = _skip_header(lines, file=file, kind=kind, text=text)
    cur: Cue | None = None
    pending: list[tuple[int, str]] = []  # lines after a blank line, before we know what they are
    after_blank = True
    skipping = False  # inside a NOTE/STYLE/REGION block
    last_id = ""  # the id of the latest cue, when it had one
    garbage = -1  # index of a line read as the (broken) timing line of the cue before it
    ids = _has_ids(lines)

    def start_cue(cue: Cue) -> Cue:
        # The line just before a timing line is its cue id when it looks like one, or when it
        # follows a blank line (as the format has it); other pending lines are text of the
        # cue before (files whose cues hold blank lines).
        nonlocal pending, after_blank, last_id
        ids = 0
        last_id = ""
        if pending and (_is_id(pending[-1][1]) or len(pending) == 1):
            ids = 1
            last_id = pending[-1][1].strip()
        elif not pending and cur is not None and cur.lines and _is_id(cur.lines[-1]):
            last_id = cur.lines.pop().strip()  # cues with no blank line between them: "text / 12 / timing"
        if cur is not None:
            cur.lines += [ln for _n, ln in pending[:len(pending) - ids]]
        pending, after_blank = [], False
        cues.append(cue)
        return cue

    for n in range(i, len(lines)):
        line = lines[n]
        st = line.strip()
        if n == garbage:
            continue
        if not st:
            after_blank, skipping = True, False
            continue
        if skipping:
            continue
        if kind == "vtt" and after_blank and st.split(None, 1)[0] in _BLOCKS:
            skipping, after_blank = True, False
            continue
        # "3 / banana / <v Tom>text": a cue whose timing line is garbage (see _broken_header).
        # Numbered cues only count up: a "1" after cue 5 is a list inside that cue's text.
        if after_blank and _broken_header(lines, n) and not (
                st.isdigit() and last_id.isdigit() and int(st) <= int(last_id)):
            pending.append((n + 1, line))
            bad = lines[n + 1].strip()
            why = "cannot be read" + ("" if re.search(_ARROW, bad) else " (no '-->')")
            cur = start_cue(Cue(None, None, [], n + 2, timing=bad, why=why))
            garbage = n + 1
            continue
        # "oops / <v Bilal>text" with no cue id: the same, ids being optional (see _broken_timing)
        if after_blank and _broken_timing(lines, n, ids=ids):
            why = "cannot be read" + ("" if re.search(_ARROW, st) else " (no '-->')")
            cur = start_cue(Cue(None, None, [], n + 1, timing=st, why=why))
            continue
        timing = parse_timing(st) if ":" in st else None
        if timing is not None:
            a, b = timing
            cur = start_cue(Cue(a, b, [], n + 1) if b >= a else
                            Cue(None, None, [], n + 1, timing=st, why="ends before it starts"))
            continue
        if _TIMING_LIKE.match(st) and (after_blank or cur is None or pending or not cur.lines
                                       or _is_id(cur.lines[-1])):
            why = "cannot be read" + ("" if re.search(_ARROW, st) else " (no '-->')")
            cur = start_cue(Cue(None, None, [], n + 1, timing=st, why=why))
            continue
        if after_blank or pending:
            pending.append((n + 1, line))
            after_blank = False
            continue
        if cur is not None:
            cur.lines.append(line)
        else:
            pending.append((n + 1, line))
    if cur is not None and pending:
        cur.lines += [ln for _n, ln in pending]
    return cues


# what to do next (walk 13: the warning said what happened, not how to keep the time)
FIX = "; to keep their time, correct that line in the file and import it again"


def untimed_warnings(cues: list[Cue], *, file: str | None, shown: int = 5) -> list[Problem]:
    """One warning per cue whose timing line could not be read (the first ``shown``; the
    rest in one more warning listing their lines), each saying where its words went.

    >>> cues = [Cue(0, 900, ["Ana: hi"], 3), Cue(None, None, ["Ana: there"], 6, "0:0x --> 0:2", "cannot be read")]
    >>> [str(p) for p in untimed_warnings(cues, file="a.vtt")]
    ["a.vtt, line 6: cue timing '0:0x --> 0:2' cannot be read; its words are kept, without a time, after the cue at 0:00; to keep their time, correct that line in the file and import it again"]
    """
    out: list[Problem] = []
    untimed = [(k, c) for k, c in enumerate(cues) if c.start_ms is None]
    for k, c in untimed[:shown]:
        words = any(_clean(ln) for ln in c.lines)
        before = next((p for p in reversed(cues[:k]) if p.start_ms is not None), None)
        after = next((p for p in cues[k + 1:] if p.start_ms is not None), None)
        if not words:
            where = "the cue holds no words"
        elif before is not None:
            where = f"its words are kept, without a time, after the cue at {_clock(before.start_ms)}{FIX}"
        else:
            where = f"its words are kept, without a time, before the cue at {_clock(after.start_ms)}{FIX}"
        out.append(Problem(f"cue timing {c.timing!r} {c.why}; {where}", file=file, line=c.line, severity="warning"))
    rest = untimed[shown:]
    if rest:
        listed = ", ".join(str(c.line) for _k, c in rest[:60]) + (", …" if len(rest) > 60 else "")
        out.append(Problem(f"{len(rest)} more cue times cannot be read (lines {listed}); their words are kept "
                           f"in place, without times", file=file, line=rest[0][1].line, severity="warning"))
    return out


def _clock(ms: int | None) -> str:
    s = (ms or 0) // 1000
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def _clean(s: str) -> str:
    return re.sub(r"[ \t]+", " ", html.unescape(_TAGS.sub("", s))).strip()


def _voice_parts(payload: str) -> list[tuple[str | None, str]]:
    out: list[tuple[str | None, str]] = []
    opens = list(_VOICE_OPEN.finditer(payload))
    before = _clean(_VOICE_CLOSE.sub(" ", payload[: opens[0].start()]).replace("\n", " "))
    if before:
        out.append((None, before))
    for k, m in enumerate(opens):
        end = opens[k + 1].start() if k + 1 < len(opens) else len(payload)
        body = payload[m.end():end]
        if not body.strip() and not m.group("name"):
            continue
        close = _VOICE_CLOSE.search(body)
        tail = ""
        if close:
            body, tail = body[: close.start()], body[close.end():]
        name = _clean(m.group("name") or "") or None
        t = _clean(body.replace("\n", " "))
        if t:
            out.append((name, t))
        tail = _clean(tail.replace("\n", " "))
        if tail:
            out.append((None, tail))
    return out


@dataclass
class _Part:
    speaker: str | None
    text: str
    line: str = ""  # the cleaned line, for a label that turns out not to be one
    weak: bool = False  # a one-word lower-case label: trusted only when it recurs


def _parts(cue: Cue) -> list[_Part]:
    """Speaker (or None) and text pieces of one cue's payload."""
    payload = "\n".join(cue.lines)
    if _VOICE_OPEN.search(payload):  # a voice tag the parts reader can open (not a stray "<v" of text)
        return [_Part(s, t) for s, t in _voice_parts(payload)]
    out: list[_Part] = []
    for raw_line in cue.lines:
        line = _clean(raw_line)
        if not line:
            continue
        m: LabelMatch | None = caption_label(line)
        if m is not None and m.rest:
            weak = split_label(line, allow_tab=False) is None and len(m.label.split()) == 1
            out.append(_Part(m.label, m.rest, line, weak))
        elif out:
            out[-1].text += " " + line.lstrip("-–— ").strip()
        else:
            out.append(_Part(None, line.lstrip("-–— ").strip() if line.startswith(("- ", "– ")) else line))
    return out


def _turns(cues: list[Cue], raw: RawTranscript, *, file: str | None) -> RawTranscript:
    parts = [(cue, _parts(cue)) for cue in cues]
    counts: dict[str, int] = {}
    for _cue, ps in parts:
        for p in ps:
            if p.speaker is not None:
                counts[p.speaker.casefold()] = counts.get(p.speaker.casefold(), 0) + 1
    labelled = False
    current: RawTurn | None = None
    for cue, ps in parts:
        for p in ps:
            speaker, text = p.speaker, p.text
            if p.weak and counts.get(speaker.casefold(), 0) < 2:
                speaker, text = None, p.line  # "well: ..." once in a file is speech, not a speaker
            if speaker is not None:
                labelled = True
            name = speaker or (current.speaker if current is not None and labelled else UNKNOWN_SPEAKER)
            same = current is not None and current.speaker == name
            if same and name == UNKNOWN_SPEAKER and not labelled and current.end_ms is not None \
                    and cue.start_ms is not None and cue.start_ms - current.end_ms >= PAUSE_MS:
                same = False
            if same:
                current.text += " " + text
                if cue.end_ms is not None:
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


class NoReadableTimes(IngestError):
    """A caption file with no readable cue time at all; its text can be imported without times."""


WITHOUT_TIMES_HINT = "import the text without times (the words and speakers are kept, the times are not)"


def _read(text: str, *, file: str | None, kind: str, without_times: bool = False) -> RawTranscript:
    if without_times:
        return _text_only(text, file=file, kind=kind)
    cues = _cues(text, file=file, kind=kind)
    fmt = "hh:mm:ss.mmm --> hh:mm:ss.mmm" if kind == "vtt" else "hh:mm:ss,mmm --> hh:mm:ss,mmm"
    if not any(c.start_ms is not None for c in cues):
        broken = [Problem(f"cue timing {c.timing!r} {c.why}", file=file, line=c.line) for c in cues]
        if not broken:
            raise NoReadableTimes("no caption cues with a readable time found", file=file, line=1,
                                  hint=f"check that this is a caption file with timed cues, or {WITHOUT_TIMES_HINT}")
        more = f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""
        exc = NoReadableTimes(f"no cue time in the file can be read: {broken[0].message}{more}", file=file, line=broken[0].line,
                              hint=f"fix the timing lines ({fmt}), export the captions again, or {WITHOUT_TIMES_HINT}")
        exc.problems = broken  # type: ignore[attr-defined]
        raise exc
    raw = _turns(cues, RawTranscript(), file=file)
    raw.problems[:0] = untimed_warnings(cues, file=file)
    return raw


def _text_only(text: str, *, file: str | None, kind: str) -> RawTranscript:
    """The words of a caption file whose times cannot be read: timing lines, cue ids, the
    header and NOTE blocks dropped, tags stripped; speakers found as in plain text."""
    lines = text.split("\n")
    out: list[str] = [""] * len(lines)  # keep line numbers
    skipping = False
    start = _skip_header(lines, file=file, kind=kind, text=text + "-->")
    garbage = -1  # a cue's broken timing line (see _broken_header), not words
    last_num = -1  # the latest numbered cue id dropped
    ids = _has_ids(lines)
    for n in range(start, len(lines)):
        st = lines[n].strip()
        if not st:
            skipping = False
            continue
        if n == garbage:
            continue
        if not skipping and (n == start or not lines[n - 1].strip()) and _broken_header(lines, n) \
                and not (st.isdigit() and int(st) <= last_num):
            garbage, last_num = n + 1, int(st) if st.isdigit() else last_num
            continue
        if not skipping and (n == start or not lines[n - 1].strip()) and _broken_timing(lines, n, ids=ids):
            continue
        if skipping or (kind == "vtt" and st.split(None, 1)[0] in _BLOCKS and (n == 0 or not lines[n - 1].strip())):
            skipping = True
            continue
        if "-->" in st or _TIMING_LIKE.match(st):
            continue
        if st.isdigit() and n + 1 < len(lines) and ":" in lines[n + 1]:
            last_num = int(st)
            continue
        payload = _VOICE_CLOSE.sub("", _VOICE_OPEN.sub(lambda m: (m.group("name") or "").strip() + ": "
                                                        if (m.group("name") or "").strip() else "", st))
        out[n] = _clean(payload)
    raw = parse_lines(out, file=file)
    raw.warn("imported without times: the cue times could not be read", file=file, line=1)
    return raw


def read_vtt(text: str, *, file: str | None = None, without_times: bool = False) -> RawTranscript:
    """A WebVTT file (already decoded); ``without_times`` reads only its words."""
    return _read(text, file=file, kind="vtt", without_times=without_times)


def read_srt(text: str, *, file: str | None = None, without_times: bool = False) -> RawTranscript:
    """An SRT subtitle file (already decoded); ``without_times`` reads only its words."""
    return _read(text, file=file, kind="srt", without_times=without_times)

"""De-identification: names -> consistent pseudonyms, offsets kept valid.

Pure functions (no database): the caller loads the project's key (real -> pseudonym,
:class:`PseudonymKey`), and stores the new entries afterwards.

What is replaced: every speaker label that is a name (not Interviewer, Q, Speaker 2...; not a
survey's questions, which stand where a transcript has speakers), every name from a user list
(``--names FILE``), every name already in the project's key, and their variants: aliases given
in the list and full names in any case, possessives ("Maria's" -> "Participant 3's"); the first
or last name of a listed name alone only where it is written with a capital, as names are
(walk 35: "Big Rich" and "Harbor Print Shop" turned every "big" and "shop" into a pseudonym),
and single words that are common English words (Will, May, Hope...) likewise. Phone numbers and
e-mail addresses are replaced too ("[phone number]", "[e-mail address]"): they identify a person
as well as a name does (walk 35: four phone numbers reached the exports).

Replacing changes lengths, so it works on the stored text with an :class:`OffsetMap`:
every turn, excerpt and coding boundary is mapped from the old text to the new one. This
serves both import and later de-identification (excerpt ids, codings and suggestions stay).

Names file, one person or place per line; ``kind:`` prefix (person, district, school,
place, org, other; default person); aliases after commas; ``= pseudonym`` to choose it::

    Maria Lopez, Mari
    district: Riverside Unified, Riverside USD
    school: Lincoln Elementary = School Z

>>> key = PseudonymKey()
>>> m = Matcher.build(key, [NameEntry("person", "Maria Lopez")])
>>> new, reps, omap = replace_names("I asked maria lopez; Maria's and LOPEZ agreed: call 555-203-8841.", m)
>>> new
"I asked Participant 1; Participant 1's and Participant 1 agreed: call [phone number]."
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from qualcode.core import Document, Excerpt, Speaker, Turn
from qualcode.errors import IngestError
from qualcode.ingest.speakers import is_generic_label
from qualcode.ingest.survey import SURVEY_FORMAT

KINDS = ("person", "district", "school", "place", "org", "other")
_PREFIX = {"person": "Participant", "district": "District", "school": "School", "place": "Place",
           "org": "Organisation", "other": "Name"}
_LETTERED = {"district", "school", "place", "org"}
_TITLES = {"dr", "dr.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "miss", "prof", "prof.", "mx", "mx."}
_PARTICLES = {"de", "da", "del", "la", "le", "van", "von", "der", "y", "di", "du", "st", "st."}
# Single words that are also everyday words: replaced only when capitalised.
COMMON_WORDS = {
    "will", "may", "june", "april", "august", "hope", "grace", "mark", "bill", "rose", "art", "faith",
    "joy", "sue", "pat", "don", "rich", "gene", "frank", "jack", "dawn", "summer", "autumn", "winter",
    "paris", "sky", "reed", "wood", "young", "king", "page", "long", "white", "black", "brown", "green",
    "said", "chance", "sunny", "storm", "ray", "guy", "max", "lee", "case", "bush", "ash", "holly",
    "ivy", "iris", "lily", "daisy", "ruby", "amber", "crystal", "honey", "penny", "buck", "drew",
    "rob", "sterling", "trinity", "major", "noble", "price", "hall", "field", "miles", "park",
    "church", "school", "district", "union", "center", "central", "north", "south", "east", "west",
}


@dataclass
class NameEntry:
    kind: str
    real: str
    aliases: list[str] = field(default_factory=list)
    pseudonym: str | None = None


def parse_names(text: str, *, file: str | None = None) -> list[NameEntry]:
    """Entries of a names file (see the module docstring)."""
    out: list[NameEntry] = []
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        kind = "person"
        m = re.match(r"^([A-Za-z]+)\s*:\s*(.+)$", line)
        if m and m.group(1).lower() in KINDS:
            kind, line = m.group(1).lower(), m.group(2)
        elif m and m.group(1).lower() not in KINDS and " " not in m.group(1):
            raise IngestError(f"unknown kind {m.group(1)!r}", file=file, line=number,
                              hint=f"use one of {', '.join(KINDS)} before the colon, or no prefix for a person")
        pseudonym = None
        if "=" in line:
            line, pseudonym = (p.strip() for p in line.split("=", 1))
            pseudonym = pseudonym or None
        names = [n.strip() for n in line.split(",") if n.strip()]
        if not names:
            raise IngestError("a line with no name", file=file, line=number, hint="write the name before any '='")
        out.append(NameEntry(kind, names[0], names[1:], pseudonym))
    return out


def load_names(path: str | Path) -> list[NameEntry]:
    """Read a names file (UTF-8, any line ending)."""
    from qualcode.ingest.encoding import decode_bytes

    p = Path(path)
    if not p.exists():
        raise IngestError("names file not found", file=str(p), hint="check the path given to --names")
    return parse_names(decode_bytes(p.read_bytes(), file=str(p)), file=str(p))


class PseudonymKey:
    """The project's key: (kind, real spelling) -> pseudonym, plus what this run added."""

    def __init__(self, rows: Iterable[tuple[str, str, str]] = ()) -> None:
        self.rows: dict[tuple[str, str], tuple[str, str]] = {}  # (kind, real.casefold()) -> (real, pseudonym)
        self.added: list[tuple[str, str, str]] = []
        for kind, real, pseudonym in rows:
            self.rows[(kind, real.casefold())] = (real, pseudonym)

    def get(self, kind: str, real: str) -> str | None:
        hit = self.rows.get((kind, real.casefold()))
        return hit[1] if hit else None

    def find_any(self, real: str) -> str | None:
        for (kind, r), (_real, p) in self.rows.items():
            if r == real.casefold():
                return p
        return None

    def add(self, kind: str, real: str, pseudonym: str) -> str:
        if (kind, real.casefold()) not in self.rows:
            self.rows[(kind, real.casefold())] = (real, pseudonym)
            self.added.append((kind, real, pseudonym))
        return self.rows[(kind, real.casefold())][1]

    def next_pseudonym(self, prefix: str, *, lettered: bool) -> str:
        used = {p for _r, p in self.rows.values()}
        n = 1
        while True:
            name = f"{prefix} {_letters(n) if lettered else n}"
            if name not in used:
                return name
            n += 1

    def assign(self, kind: str, real: str, *, prefix: str | None = None, pseudonym: str | None = None) -> str:
        known = self.get(kind, real)
        if known:
            return known
        p = pseudonym or self.next_pseudonym(prefix or _PREFIX.get(kind, "Name"), lettered=kind in _LETTERED)
        return self.add(kind, real, p)


def _letters(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def _derived(real: str) -> list[str]:
    """First and last name alone (skipping titles, initials and particles); "Dr. Okafor" -> Okafor."""
    all_words = real.split()
    words = [w for w in all_words if w.lower() not in _TITLES]
    if len(words) == 1 and len(all_words) > 1:
        w = words[0].strip(".,")
        return [w] if len(w) >= 3 else []
    if len(words) < 2:
        return []
    out = []
    for w in (words[0], words[-1]):
        w = w.strip(".,")
        if len(w) >= 3 and w.lower() not in _PARTICLES:
            out.append(w)
    return out


def _register(key: PseudonymKey, entries: Iterable[NameEntry]) -> None:
    """Give every listed name (and its aliases) its pseudonym in ``key``."""
    for e in entries:
        p = key.assign(e.kind, e.real, pseudonym=e.pseudonym)
        for alias in e.aliases:
            key.add(e.kind, alias, p)


@dataclass
class Matcher:
    """A compiled search for every known spelling, each mapped to its pseudonym."""

    pattern: re.Pattern | None
    pseudonym_of: dict[str, str]  # variant.casefold() -> pseudonym
    capital_only: set[str]
    ambiguous: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, key: PseudonymKey, entries: Iterable[NameEntry] = (),
              prefer: dict[str, str] | None = None) -> "Matcher":
        """``prefer`` (real -> pseudonym, this document's speakers) wins over other people's
        names with the same spelling: in Dana Whitcomb's interview, "Dana" is her."""
        _register(key, entries)
        exact: dict[str, str] = {}
        derived: dict[str, set[str]] = {}
        for (kind, _cf), (real, p) in key.rows.items():
            if real.strip().casefold() == p.casefold():
                continue
            exact[real.casefold()] = p
            if kind == "person":
                for d in _derived(real):
                    derived.setdefault(d.casefold(), set()).add(p)
        ambiguous = []
        pseudonym_of = dict(exact)
        for d, ps in derived.items():
            if d in exact:
                continue
            if len(ps) > 1:
                ambiguous.append(d)
                continue
            pseudonym_of[d] = next(iter(ps))
        prefer_derived: set[str] = set()
        for real, p in (prefer or {}).items():
            prefer_derived.update(d.casefold() for d in _derived(real))
            for v in [real, *_derived(real)]:
                pseudonym_of[v.casefold()] = p
                if v.casefold() in ambiguous:
                    ambiguous.remove(v.casefold())
        capital_only = {v for v in pseudonym_of if " " not in v and v not in exact
                        and (v in COMMON_WORDS or v in derived or v in prefer_derived)}
        variants = sorted(pseudonym_of, key=len, reverse=True)
        pattern = None
        if variants:
            alt = "|".join(re.escape(v).replace(r"\ ", r"\s+") for v in variants)
            pattern = re.compile(rf"(?<!\w)(?:{alt})(?!\w)", re.IGNORECASE)
        return cls(pattern, pseudonym_of, capital_only, sorted(ambiguous))


@dataclass
class Replacement:
    start: int  # in the old text
    end: int
    real: str
    pseudonym: str


class OffsetMap:
    """Maps positions in the old text to the new one (boundaries inside a name snap to it)."""

    def __init__(self, reps: list[Replacement]) -> None:
        self.starts = [r.start for r in reps]
        self.reps = reps
        self.shift_before: list[int] = []
        shift = 0
        for r in reps:
            self.shift_before.append(shift)
            shift += len(r.pseudonym) - (r.end - r.start)
        self.total = shift

    def __call__(self, pos: int, *, end: bool = False) -> int:
        i = bisect.bisect_right(self.starts, pos) - 1
        if i < 0:
            return pos
        r = self.reps[i]
        new_start = r.start + self.shift_before[i]
        if pos == r.start:
            return new_start
        if pos < r.end:
            return new_start + len(r.pseudonym) if end else new_start
        return pos + self.shift_before[i] + len(r.pseudonym) - (r.end - r.start)


# Phone numbers as people say and write them: +44 20 7946 0958, (555) 417-9920, 555.318.6674,
# 07700 900123. Not years, sums or times ("2023-2024", "1,250", "10:30"): a number needs a
# leading + or 0, or the 3-3-4 grouping, and seven digits or more.
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){1,4}"
                    r"|(?:1[\s.-])?(?:\(\d{3}\)\s?\d{3}[\s.-]\d{4}|\d{3}[.-]\d{3}[.-]\d{4}|\d{3} \d{3} \d{4})"
                    r"|0\d{1,4}(?:[\s-]?\d{3,4}){2})(?![\w-])")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+(?<!\.)")
CONTACT = (("[e-mail address]", _EMAIL), ("[phone number]", _PHONE))


def _contacts(text: str, taken: list[Replacement]) -> list[Replacement]:
    """Phone numbers and e-mail addresses in ``text`` not inside a replaced name."""
    out: list[Replacement] = []
    for label, pattern in CONTACT:
        for m in pattern.finditer(text):
            if sum(ch.isdigit() for ch in m.group(0)) < 7 and label == "[phone number]":
                continue
            if any(r.start < m.end() and m.start() < r.end for r in [*taken, *out]):
                continue
            out.append(Replacement(m.start(), m.end(), m.group(0), label))
    return out


def replace_names(text: str, matcher: Matcher) -> tuple[str, list[Replacement], OffsetMap]:
    """Replace every known name in ``text``, and every phone number and e-mail address; returns
    the new text, what changed and the map."""
    reps: list[Replacement] = []
    if matcher.pattern is not None:
        for m in matcher.pattern.finditer(text):
            found = m.group(0)
            cf = re.sub(r"\s+", " ", found).casefold()
            if cf in matcher.capital_only and not found[:1].isupper():
                continue
            p = matcher.pseudonym_of.get(cf)
            if p is not None and found != p:
                reps.append(Replacement(m.start(), m.end(), found, p))
    reps = sorted(reps + _contacts(text, reps), key=lambda r: r.start)
    parts, pos = [], 0
    for r in reps:
        parts += [text[pos:r.start], r.pseudonym]
        pos = r.end
    parts.append(text[pos:])
    return "".join(parts), reps, OffsetMap(reps)


def speaker_pseudonyms(speakers: Iterable[Speaker], key: PseudonymKey) -> dict[str, str]:
    """A pseudonym for every speaker label that is a name; role words stay as they are."""
    out: dict[str, str] = {}
    for sp in speakers:
        label = sp.label
        if is_generic_label(label):
            continue
        role = sp.role.value if hasattr(sp.role, "value") else str(sp.role)
        known = key.find_any(label)
        if known is None:
            cf = label.casefold()
            for (kind, _r), (real, p) in key.rows.items():  # "MARIA" matches "Maria Lopez"
                if kind == "person" and cf in {d.casefold() for d in _derived(real)}:
                    known = p
                    break
        prefix = {"interviewer": "Interviewer", "facilitator": "Facilitator"}.get(role, "Participant")
        p = known or key.next_pseudonym(prefix, lettered=False)
        out[label] = key.add("person", label, p)
    return out


def ner_names(texts: Iterable[str], model: str) -> list[NameEntry]:
    """People and places found by an installed spaCy pipeline (opt-in; ``model`` is its name)."""
    import spacy

    try:
        nlp = spacy.load(model)
    except OSError:
        raise IngestError(f"spaCy pipeline {model!r} is not installed", hint=f"install it (python -m spacy download "
                          f"{model}) or de-identify with --names FILE only") from None
    kinds = {"PERSON": "person", "GPE": "place", "LOC": "place", "ORG": "org", "FAC": "place"}
    seen: dict[str, NameEntry] = {}
    for doc in nlp.pipe(texts):
        for ent in doc.ents:
            if ent.label_ in kinds and len(ent.text.strip()) > 2:
                seen.setdefault(ent.text.strip().casefold(), NameEntry(kinds[ent.label_], ent.text.strip()))
    return list(seen.values())


@dataclass
class Deidentified:
    document: Document
    replacements: list[Replacement]
    labels: dict[str, str]  # old speaker label -> new
    offsets: OffsetMap
    ambiguous: list[str]

    def report(self) -> dict:
        """What was replaced and where (real spellings: show to the user, never export)."""
        by: dict[str, dict] = {}
        for r in self.replacements:
            d = by.setdefault(r.pseudonym, {"pseudonym": r.pseudonym, "spellings": [], "count": 0, "where": []})
            if r.real not in d["spellings"]:
                d["spellings"].append(r.real)
            d["count"] += 1
            d["where"].append(self.offsets(r.start))
        return {"replacements": len(self.replacements), "speakers": dict(self.labels),
                "names": list(by.values()), "ambiguous": self.ambiguous}


def deidentify(doc: Document, key: PseudonymKey, *, names: Iterable[NameEntry] = ()) -> Deidentified:
    """A de-identified copy of ``doc``: text, labels, turns and excerpts, offsets mapped.

    Speakers whose labels become the same pseudonym are merged.
    """
    _register(key, names)  # listed names first, so speaker labels reuse their pseudonyms
    # a survey's "speakers" are its questions, never people (walk 35: "Participant 15" asked them)
    labels = {} if doc.format == SURVEY_FORMAT else speaker_pseudonyms(doc.speakers, key)
    matcher = Matcher.build(key, prefer=labels)
    text, reps, omap = replace_names(doc.text, matcher)
    turns = [Turn(speaker=labels.get(t.speaker, t.speaker), order=t.order, start=omap(t.start),
                  end=omap(t.end, end=True), start_ms=t.start_ms, end_ms=t.end_ms, id=t.id) for t in doc.turns]
    excerpts = []
    for e in doc.excerpts:
        s, en = omap(e.start), omap(e.end, end=True)
        excerpts.append(Excerpt(start=s, end=en, text=text[s:en], turn_order=e.turn_order, order=e.order,
                                codable=e.codable, id=e.id, document_id=e.document_id, turn_id=e.turn_id))
    speakers: dict[str, Speaker] = {}
    for sp in doc.speakers:
        new = labels.get(sp.label, sp.label)
        if new in speakers:
            speakers[new].attributes = {**sp.attributes, **speakers[new].attributes}
            continue
        speakers[new] = Speaker(label=new, role=sp.role, pseudonym=new if sp.label in labels else sp.pseudonym,
                                attributes=dict(sp.attributes), id=sp.id)
    name, name_reps, _ = replace_names(doc.name.replace("_", " "), matcher)
    source, source_reps, _ = replace_names(doc.source_filename.replace("_", " "), matcher)
    out = Document(name=name if name_reps else doc.name, text=text,
                   source_filename=source if source_reps else doc.source_filename, format=doc.format,
                   attributes=dict(doc.attributes), speakers=list(speakers.values()), turns=turns,
                   excerpts=excerpts, id=doc.id)
    out.check_offsets()
    return Deidentified(out, reps, labels, omap, matcher.ambiguous)

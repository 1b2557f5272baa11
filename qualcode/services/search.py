"""Searching the words of every transcript (a "text search query"), to read each hit in
context and code the chosen hits at once (:func:`qualcode.services.coding.code_excerpts`).

A query holds one or more alternatives separated by commas or new lines ("stock-out, out of
stock, no medicine*"): each a word or a phrase (its words in that order, any white space
between them), ``*`` at the end of a word for any ending ("train*": train, trained,
training). Within an alternative, ``AND`` and ``NOT`` in capitals join words or phrases that
must, or must not, be in the same excerpt too ("transport AND parent*", "bus NOT school bus"):
the Boolean text search NVivo and MAXQDA users know; "and" and "not" in small letters are words
to find. Whole words, any case and any accents by default ("creche" finds "crèche", and
"crèche" finds "creche"). Read-only.

>>> import qualcode
>>> hits = search(ctx, "stock-out, out of stock")  # doctest: +SKIP
>>> hits.rows[["document", "speaker", "text", "n_hits"]]  # doctest: +SKIP
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from qualcode.errors import QualcodeError
from qualcode.services.project import ProjectContext
from qualcode.storage import analysis_queries as q
from qualcode.storage import codes as code_store

MAX_TERMS = 20
COLUMNS = ["excerpt_id", "document_id", "document", "speaker", "role", "codable", "start", "text", "spans",
           "n_hits", "codes"]


@dataclass
class SearchResult:
    """``rows``: one per excerpt holding a hit, in document order (:data:`COLUMNS`: ``spans``
    the hits' ``(start, end)`` in the excerpt's text, ``codes`` the names of the codes the
    coder gave it). ``terms``: the alternatives searched for."""

    query: str
    terms: list[str]
    rows: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=COLUMNS))

    @property
    def hits(self) -> int:
        return int(self.rows["n_hits"].sum()) if len(self.rows) else 0

    @property
    def documents(self) -> int:
        return int(self.rows["document_id"].nunique()) if len(self.rows) else 0

    def summary(self) -> str:
        """'12 hits in 10 excerpts of 4 documents (3 hits on 2 lines not coded: ...)'.
        Hits and lines are counted apart (walk 39: "5 on lines that are not coded" were 5 lines
        holding 6 hits)."""
        from qualcode.core.text import plural

        if not len(self.rows):
            return "No hits"
        text = (f"{plural(self.hits, 'hit')} in {plural(len(self.rows), 'excerpt')} of "
                f"{plural(self.documents, 'document')}")
        off = self.rows[~self.rows["codable"].astype(bool)]
        if len(off):
            text += f" ({off_lines_text(off)} not coded: an interviewer's, say)"
        return text


def off_lines_text(rows: pd.DataFrame) -> str:
    """'3 hits on 2 lines' for the hits of ``rows`` (a search's rows)."""
    from qualcode.core.text import plural

    return f"{plural(int(rows['n_hits'].sum()), 'hit')} on {plural(len(rows), 'line')}"


def terms(query: str) -> list[str]:
    """The alternatives of a query: split at commas and new lines, white space tidied.

    >>> terms(" stock-out,out of  stock\\n\\nmedicine* ")
    ['stock-out', 'out of stock', 'medicine*']
    """
    return [" ".join(t.split()) for t in re.split(r"[,\n;]", query or "") if t.strip()]


#: Accented Latin letters (Latin-1 Supplement, Latin Extended-A and -B, Latin Extended
#: Additional): a text holding none of them is found, accents aside, by its plain letters.
ACCENTED = "\u00c0-\u024f\u1e00-\u1eff"


@lru_cache(maxsize=1)
def _variants() -> dict[str, str]:
    """Each plain letter and the accented letters written with it ("e": "eèéêë...")."""
    out: dict[str, str] = {}
    for cp in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        ch = chr(cp)
        base = unicodedata.normalize("NFD", ch)[0]
        if base != ch and base.isascii() and base.isalpha():
            out[base] = out.get(base, base) + ch
    return out


def plain(text: str) -> str:
    """``text`` without its accents.

    >>> plain("Crèche, naïve, São Tomé")
    'Creche, naive, Sao Tome'
    """
    return unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", text)
                                                if not unicodedata.combining(c)))


def _literal(word: str, match_accents: bool) -> str:
    """A word as a regular expression: each letter, unless accents must match, as any accented
    form of it."""
    if match_accents:
        return re.escape(word)
    v = _variants()
    return "".join(f"[{v[c]}]" if c in v else re.escape(c) for c in plain(word))


_OPERATOR = re.compile(r"(?:^|\s)(AND|NOT)(?=\s|$)")


def _alternatives(query: str) -> list[str]:
    """The query's alternatives (:func:`terms`), with a clear error for none or too many."""
    alts = terms(query)
    if not alts:
        raise QualcodeError("type a word or phrase to search for",
                            hint="several at once are separated by commas: stock-out, out of stock")
    if len(alts) > MAX_TERMS:
        raise QualcodeError(f"the search has {len(alts)} words or phrases; at most {MAX_TERMS} at once",
                            hint="split it into several searches")
    return alts


def parts(alt: str) -> tuple[list[str], list[str]]:
    """An alternative's words or phrases that must be in an excerpt, and those that must not
    (after ``AND`` / ``NOT`` in capitals); a clear error for an operator with nothing beside it.

    >>> parts("transport AND parent* NOT school bus")
    (['transport', 'parent*'], ['school bus'])
    >>> parts("rock and roll")
    (['rock and roll'], [])
    """
    pieces = _OPERATOR.split(" " + alt + " ")
    must, must_not = [pieces[0].strip()], []
    for op, words in zip(pieces[1::2], pieces[2::2]):
        (must if op == "AND" else must_not).append(words.strip())
    if not all(must + must_not):
        hint = ("NOT needs something to find first: transport NOT bus" if not must[0]
                else "put a word or phrase on each side: transport AND parent*")
        raise QualcodeError(f"“{alt}” has an AND or NOT with nothing beside it", hint=hint)
    return must, must_not


def _one(text: str, *, whole_words: bool, match_accents: bool) -> str:
    """One word or phrase as a regular expression: its words in order, any white space between,
    ``*`` for any ending, each letter (unless accents must match) as any accented form of it."""
    words = [_literal(w.rstrip("*"), match_accents) + (r"\w*" if w.endswith("*") else "") for w in text.split()]
    words = [w for w in words if w not in ("", r"\w*")]
    if not words:
        raise QualcodeError(f"“{text}” holds no word to search for", hint="type letters or digits before a *")
    body = r"\s+".join(words)
    return rf"(?<!\w){body}(?!\w)" if whole_words else body


@dataclass
class Matcher:
    """Whether an excerpt's text is a hit, and where its hits are: an alternative holds when each
    of its ``AND`` parts is found and none of its ``NOT`` parts; the hits shown are the found
    parts of the alternatives that hold."""

    alternatives: list[tuple[list[re.Pattern], list[re.Pattern]]]

    def spans(self, text: str) -> list[tuple[int, int]]:
        found: set[tuple[int, int]] = set()
        for must, must_not in self.alternatives:
            hits = [[m.span() for m in rx.finditer(text)] for rx in must]
            if all(hits) and not any(rx.search(text) for rx in must_not):
                found.update(span for h in hits for span in h)
        out: list[tuple[int, int]] = []
        for a, b in sorted(found):  # overlapping hits of two parts are one
            if out and a < out[-1][1]:
                out[-1] = (out[-1][0], max(b, out[-1][1]))
            else:
                out.append((a, b))
        return out


def matcher(query: str, *, whole_words: bool = True, match_case: bool = False,
            match_accents: bool = False) -> Matcher:
    """The :class:`Matcher` of a query (a clear error for an empty one, or a part with no word).

    >>> m = matcher("transport AND parent*, ferry NOT cancelled")
    >>> m.spans("Parents paid for transport.")
    [(0, 7), (17, 26)]
    >>> m.spans("The transport was late."), m.spans("The ferry was cancelled.")
    ([], [])
    >>> def found(m, text): return [text[a:b] for a, b in m.spans(text)]
    >>> found(matcher("out of stock, train*"), "Out of\\nstock again; we trained, then retrained.")
    ['Out of\\nstock', 'trained']
    >>> found(matcher("stock", whole_words=False), "stockroom")
    ['stock']
    >>> found(matcher("creche"), "La Crèche, the creche, CRÈCHES")
    ['Crèche', 'creche']
    >>> found(matcher("crèche", match_accents=True), "La Crèche, the creche")
    ['Crèche']
    """
    flags = 0 if match_case else re.IGNORECASE

    def rx(text: str) -> re.Pattern:
        return re.compile(_one(text, whole_words=whole_words, match_accents=match_accents), flags)

    return Matcher([([rx(w) for w in must], [rx(w) for w in must_not])
                    for must, must_not in map(parts, _alternatives(query))])


def _pieces(alts: list[str], match_accents: bool = False) -> list[str] | None:
    """For each alternative its longest literal piece (a word without its ``*``; accents aside,
    its plain letters), for the database's first cut; None when one has no piece the database
    can look for in any case (LIKE folds only ASCII letters): then every excerpt is read.

    >>> _pieces(["out of stock", "train*"])
    ['stock', 'train']
    >>> _pieces(["école"]), _pieces(["école"], match_accents=True)
    (['ecole'], None)
    """
    out = []
    for alt in alts:
        # one part that must be found is enough for the first cut (an AND's others are checked after)
        piece = max((w.rstrip("*") for w in parts(alt)[0][0].split()), key=len)
        piece = piece if match_accents else plain(piece)
        if len(piece) < 2 or not piece.isascii():
            return None
        out.append(piece)
    return out


def search(ctx: ProjectContext, query: str, *, whole_words: bool = True, match_case: bool = False,
           match_accents: bool = False, coder: str | None = None) -> SearchResult:
    """Every excerpt of the project holding a hit of ``query`` (see the module docstring), with
    its document, speaker (pseudonym), role, whether its speaker is coded, the hits' places and
    the codes ``coder`` (default: the project's coder) gave it. Only that coder's codes: under
    independent coding a search shows no colleague's work. ``match_accents``: "creche" does not
    find "crèche" (walk 39: by default it does, as a reader would expect)."""
    rx = matcher(query, whole_words=whole_words, match_case=match_case, match_accents=match_accents)
    result = SearchResult(query=query, terms=terms(query))
    with ctx.session(readonly=True) as s:
        # the first cut: the plain piece, or any excerpt with an accented letter (one the
        # database cannot fold), where accents may differ
        ex = q.excerpts_frame(s, containing=_pieces(terms(query), match_accents),
                              or_accented=None if match_accents else ACCENTED)
        if ex.empty:
            return result
        spans = ex["text"].map(lambda t: rx.spans(t or ""))
        ex = ex.assign(spans=spans)[spans.map(bool)]
        if ex.empty:
            return result
        docs = q.documents_frame(s).set_index("document_id")["name"]
        speakers = q.speakers_frame(s).set_index("speaker_id")
        cid = q.coder_id_by_name(s, coder or ctx.coder)
        codings = (q.coding_details(s, coder_id=cid, document_ids=sorted(set(ex["document_id"])))
                   if cid is not None else pd.DataFrame(columns=["excerpt_id", "code_id"]))
        names = {c.id: c.shown_name for c in code_store.load_codebook(s).codes}
    shown = speakers["pseudonym"].where(speakers["pseudonym"].notna() & (speakers["pseudonym"] != ""),
                                        speakers["label"])
    codes = (codings[codings["excerpt_id"].isin(ex["excerpt_id"])].groupby("excerpt_id")["code_id"]
             .agg(lambda ids: sorted({names.get(c, c) for c in ids})))
    sid = ex["speaker_id"]
    rows = pd.DataFrame({
        "excerpt_id": ex["excerpt_id"].astype(int), "document_id": ex["document_id"].astype(int),
        "document": ex["document_id"].map(docs).fillna(""),
        "speaker": sid.map(shown).fillna(""), "role": sid.map(speakers["role"]).fillna(""),
        "codable": ex["codable"].astype(bool), "start": ex["start"].astype(int), "text": ex["text"],
        "spans": ex["spans"], "n_hits": ex["spans"].map(len).astype(int),
        "codes": ex["excerpt_id"].map(codes).map(lambda v: v if isinstance(v, list) else []),
    })
    result.rows = rows.sort_values(["document", "document_id", "start"], kind="stable").reset_index(drop=True)
    return result


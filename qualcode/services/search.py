"""Searching the words of every transcript (a "text search query"), to read each hit in
context and code the chosen hits at once (:func:`qualcode.services.coding.code_excerpts`).

A query holds one or more alternatives separated by commas or new lines ("stock-out, out of
stock, no medicine*"): each a word or a phrase (its words in that order, any white space
between them), ``*`` at the end of a word for any ending ("train*": train, trained,
training). Whole words, any case and any accents by default ("creche" finds "crèche", and
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


def pattern(query: str, *, whole_words: bool = True, match_case: bool = False,
            match_accents: bool = False) -> re.Pattern:
    """One regular expression for the query's alternatives (a clear error for an empty one).

    >>> p = pattern("out of stock, train*")
    >>> [m.group() for m in p.finditer("Out of\\nstock again; we trained, then retrained.")]
    ['Out of\\nstock', 'trained']
    >>> pattern("stock", whole_words=False).search("stockroom") is not None
    True
    >>> [m.group() for m in pattern("creche").finditer("La Crèche, the creche, CRÈCHES")]
    ['Crèche', 'creche']
    >>> [m.group() for m in pattern("crèche", match_accents=True).finditer("La Crèche, the creche")]
    ['Crèche']
    """
    alts = terms(query)
    if not alts:
        raise QualcodeError("type a word or phrase to search for",
                            hint="several at once are separated by commas: stock-out, out of stock")
    if len(alts) > MAX_TERMS:
        raise QualcodeError(f"the search has {len(alts)} words or phrases; at most {MAX_TERMS} at once",
                            hint="split it into several searches")
    parts = []
    for alt in alts:
        words = [_literal(w.rstrip("*"), match_accents) + (r"\w*" if w.endswith("*") else "") for w in alt.split()]
        words = [w for w in words if w not in ("", r"\w*")]
        if not words:
            raise QualcodeError(f"“{alt}” holds no word to search for", hint="type letters or digits before a *")
        body = r"\s+".join(words)
        parts.append(rf"(?<!\w){body}(?!\w)" if whole_words else body)
    return re.compile("|".join(f"(?:{p})" for p in parts), 0 if match_case else re.IGNORECASE)


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
        piece = max((w.rstrip("*") for w in alt.split()), key=len)
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
    rx = pattern(query, whole_words=whole_words, match_case=match_case, match_accents=match_accents)
    result = SearchResult(query=query, terms=terms(query))
    with ctx.session(readonly=True) as s:
        # the first cut: the plain piece, or any excerpt with an accented letter (one the
        # database cannot fold), where accents may differ
        ex = q.excerpts_frame(s, containing=_pieces(terms(query), match_accents),
                              or_accented=None if match_accents else ACCENTED)
        if ex.empty:
            return result
        spans = ex["text"].map(lambda t: [m.span() for m in rx.finditer(t or "")])
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


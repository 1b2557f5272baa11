"""Retrieval: the quotes behind every number.

One row per (excerpt, code) with the quote, the whole excerpt, the speaker's display name
(the pseudonym when there is one, never the real label then), role, every document and
speaker attribute, who coded it and how, memos, and the turns before and after.

Filters mirror the analyses so a drill-down gets exactly the excerpts behind a count:
``retrieve(corpus, code_id="relationships", where={"year": "2021"})`` lists every excerpt
counted for *Relationships* (its children rolled up) in 2021 documents; the number of
distinct ``excerpt_id`` equals ``frequencies(by="year")``'s ``excerpts`` for that cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import pandas as pd

from qualcode.analysis.facts import NOT_SET, Facts, attribute_level, document_values, speaker_values
from qualcode.core import Codebook


@dataclass
class Corpus:
    """What retrieval reads (see ``qualcode.storage.analysis_queries`` for the columns)."""

    codebook: Codebook
    details: pd.DataFrame  # excerpt_id, code_id, coder, origin, start, end, score
    excerpts: pd.DataFrame  # excerpt_id, document_id, turn_id, order, start, end, text, codable, speaker_id, turn_order
    turns: pd.DataFrame  # turn_id, document_id, speaker_id, order, start, end, ...
    texts: dict[int, str]
    documents: pd.DataFrame
    doc_attrs: pd.DataFrame
    speakers: pd.DataFrame
    speaker_attrs: pd.DataFrame
    memos: pd.DataFrame  # memo_id, excerpt_id, document_id, code_id, coder, text, created_at

    def facts(self) -> Facts:
        return Facts(codebook=self.codebook, pairs=pd.DataFrame(columns=["excerpt_id", "code_id", "document_id", "speaker_id"]),
                     documents=self.documents, doc_attrs=self.doc_attrs, speakers=self.speakers,
                     speaker_attrs=self.speaker_attrs)


COLUMNS = ["document_id", "document", "excerpt_id", "excerpt_order", "start", "end", "code_id", "code",
           "code_path", "quote", "excerpt", "speaker", "role", "coders", "origin", "n_coders", "score", "memo",
           "previous_turn", "next_turn"]


def code_filter(codebook: Codebook, code_id: str | None, *, rollup: bool = True) -> set[str] | None:
    """The code ids a filter on ``code_id`` covers (itself plus descendants when rolling up)."""
    if code_id is None:
        return None
    return {code_id, *(codebook.descendants(code_id) if rollup else [])}


def _values(v: Any) -> set[str]:
    if isinstance(v, (list, tuple, set, frozenset)):
        return {str(x) for x in v}
    return {str(v)}


def speaker_display(speakers: pd.DataFrame) -> pd.Series:
    """speaker_id -> pseudonym when set, else label."""
    disp = speakers["pseudonym"].where(speakers["pseudonym"].notna() & (speakers["pseudonym"] != ""),
                                       speakers["label"])
    return pd.Series(disp.to_numpy(), index=speakers["speaker_id"].to_numpy(), dtype=object)


def retrieve(
    corpus: Corpus,
    *,
    code_id: str | None = None,
    where: Mapping[str, Any] | None = None,
    document_id: int | None = None,
    rollup: bool = True,
    context: bool = True,
) -> pd.DataFrame:
    """Coded excerpts matching the filters, one row per (excerpt, code); see module docstring.

    ``where`` maps attribute names (document or speaker level, ``role``, ``format``) to a
    value or a list of values; ``"(not set)"`` matches a missing value.
    """
    d = corpus.details
    codes = code_filter(corpus.codebook, code_id, rollup=rollup)
    if codes is not None:
        d = d[d["code_id"].isin(codes)]
    ex = corpus.excerpts.set_index("excerpt_id")
    d = d[d["excerpt_id"].isin(ex.index)]
    d = d.assign(document_id=d["excerpt_id"].map(ex["document_id"]),
                 speaker_id=d["excerpt_id"].map(ex["speaker_id"]))
    if document_id is not None:
        d = d[d["document_id"] == document_id]
    facts = corpus.facts()
    for key, value in (where or {}).items():
        wanted = _values(value)
        if attribute_level(facts, key) == "document":
            vals = document_values(facts, key)
            d = d[d["document_id"].map(vals).isin(wanted)]
        else:
            vals = speaker_values(facts, key)
            sv = d["speaker_id"].map(vals).fillna(NOT_SET)
            d = d[sv.isin(wanted)]
    if d.empty:
        return pd.DataFrame(columns=COLUMNS)
    agg = (d.assign(coder=d["coder"].fillna("(suggestion)"))
           .groupby(["excerpt_id", "code_id"], observed=True, sort=False)
           .agg(coders=("coder", lambda s: "; ".join(sorted(set(s)))),
                origin=("origin", lambda s: "; ".join(sorted(set(s)))),
                n_coders=("coder", lambda s: len({c for c in s if c != "(suggestion)"})),
                start=("start", "min"), end=("end", "max"), score=("score", "max"))
           .reset_index())
    agg = agg.merge(corpus.excerpts.rename(columns={"start": "ex_start", "end": "ex_end", "text": "excerpt",
                                                    "order": "excerpt_order"}),
                    on="excerpt_id", how="left")
    texts = corpus.texts
    agg["quote"] = [texts[dd][a:b] for dd, a, b in zip(agg["document_id"], agg["start"], agg["end"])]
    names = corpus.documents.set_index("document_id")["name"]
    agg["document"] = agg["document_id"].map(names)
    by_id = corpus.codebook.by_id()
    agg["code"] = [by_id[c].shown_name if c in by_id else c for c in agg["code_id"]]
    paths = {c: corpus.codebook.path(c, by_id=by_id) for c in set(agg["code_id"])}
    agg["code_path"] = agg["code_id"].map(paths)  # walk 36: a sub-code's parents, in the exports too
    disp = speaker_display(corpus.speakers)
    roles = corpus.speakers.set_index("speaker_id")["role"]
    agg["speaker"] = agg["speaker_id"].map(disp)
    agg["role"] = agg["speaker_id"].map(roles)
    agg["memo"] = _memos(corpus.memos, agg)
    if context:
        prev, nxt = _context(corpus, agg, disp)
        agg["previous_turn"], agg["next_turn"] = prev, nxt
    else:
        agg["previous_turn"], agg["next_turn"] = "", ""
    code_rank = {c.id: i for i, c in enumerate(corpus.codebook.codes)}
    agg["_rank"] = agg["code_id"].map(code_rank).fillna(len(code_rank))
    agg = agg.sort_values(["document_id", "excerpt_order", "_rank"]).reset_index(drop=True)
    out = agg[COLUMNS].copy()
    out = _add_attributes(out, agg, corpus)
    return out


def _memos(memos: pd.DataFrame, agg: pd.DataFrame) -> list[str]:
    if memos is None or memos.empty:
        return [""] * len(agg)
    m = memos[memos["excerpt_id"].notna()]
    by_ex: dict[int, list[tuple[Any, str]]] = {}
    for e, c, coder, text in zip(m["excerpt_id"], m["code_id"], m["coder"], m["text"]):
        by_ex.setdefault(int(e), []).append((c, f"{coder}: {text}"))
    out = []
    for e, code in zip(agg["excerpt_id"], agg["code_id"]):
        items = [t for c, t in by_ex.get(int(e), []) if pd.isna(c) or c == code]
        out.append(" | ".join(items))
    return out


def _context(corpus: Corpus, agg: pd.DataFrame, disp: pd.Series) -> tuple[list[str], list[str]]:
    t = corpus.turns
    if t.empty:
        return [""] * len(agg), [""] * len(agg)
    texts = corpus.texts
    lookup = {(int(dd), int(o)): (sp, a, b) for dd, o, sp, a, b in
              zip(t["document_id"], t["order"], t["speaker_id"], t["start"], t["end"])}

    def turn(doc: int, order: Any, step: int) -> str:
        """The turn ``step`` turns away from turn ``order`` of ``doc``, as "who: text"."""
        if pd.isna(order):
            return ""
        hit = lookup.get((int(doc), int(order) + step))
        if hit is None:
            return ""
        sp, a, b = hit
        who = "" if pd.isna(sp) else disp.get(sp, "")
        text = texts[int(doc)][a:b]
        return f"{who}: {text}" if who else text

    pairs = list(zip(agg["document_id"], agg["turn_order"]))
    return [turn(dd, o, -1) for dd, o in pairs], [turn(dd, o, +1) for dd, o in pairs]


def _add_attributes(out: pd.DataFrame, agg: pd.DataFrame, corpus: Corpus) -> pd.DataFrame:
    taken = set(out.columns)
    if len(corpus.doc_attrs):
        wide = corpus.doc_attrs.pivot_table(index="document_id", columns="key", values="value", aggfunc="first")
        for key in sorted(wide.columns, key=str):
            name = str(key) if str(key) not in taken else f"document.{key}"
            out[name] = agg["document_id"].map(wide[key]).to_numpy()
            taken.add(name)
    if len(corpus.speaker_attrs):
        wide = corpus.speaker_attrs.pivot_table(index="speaker_id", columns="key", values="value", aggfunc="first")
        for key in sorted(wide.columns, key=str):
            name = f"speaker.{key}"
            out[name] = agg["speaker_id"].map(wide[key]).to_numpy()
    return out

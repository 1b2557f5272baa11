"""Theme discovery: cluster the excerpts no code covers into candidate themes.

k-means on the normalised embeddings (cosine geometry), several more clusters than
themes wanted; a cluster becomes a candidate when it has at least ``min_size`` excerpts.
Candidates are ranked by cohesion (mean similarity to the centroid) times log size, and
labelled with the words that set them apart from the other uncovered excerpts. Those words
are statistics, not meaning: "six, every, month" may set a cluster apart, but as a code's
keywords "every" would point to any sentence that has it. So a theme also lists its
``content_words`` (function words and numbers dropped): what the app proposes, editable,
as keywords when a coder promotes the theme to a code, and what its label is made of.

>>> themes = cluster_themes(texts, emb, ids, min_size=5, max_themes=5)  # doctest: +SKIP
>>> themes[0]["keywords"], themes[0]["quotes"][0]                       # doctest: +SKIP
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from qualcode.suggest.keywords import STOP, distinctive_terms


def is_content_word(word: str) -> bool:
    """Whether a word can carry a theme: not a function word (spaCy's English stop list and
    the transcript fillers of :data:`keywords.STOP`), not a number ("six", "2021").

    >>> [w for w in ["six", "every", "month", "pizza", "2021"] if is_content_word(w)]
    ['month', 'pizza']
    """
    from spacy.lang.en.lex_attrs import like_num
    from spacy.lang.en.stop_words import STOP_WORDS

    w = (word or "").strip().lower()
    return bool(w) and w not in STOP_WORDS and w not in STOP and not like_num(w) and any(ch.isalpha() for ch in w)


def content_words(words: Sequence[str]) -> list[str]:
    """The content words of ``words``, in order (see :func:`is_content_word`)."""
    return [w for w in words if is_content_word(w)]


def cluster_themes(texts: Sequence[str], emb: np.ndarray, ids: Sequence[Any], *, min_size: int = 5,
                   max_themes: int = 8, seed: int = 0) -> list[dict[str, Any]]:
    """Candidate themes: dicts with label, keywords (the words that set the cluster apart),
    content_words (those of them that can carry meaning), quotes (the most representative
    excerpts first), excerpt_ids, size, cohesion."""
    from sklearn.cluster import KMeans

    n = len(texts)
    if n < max(2, min_size):
        return []
    k = max(2, min(max_themes * 2, n // max(1, min_size)))
    km = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(emb)
    themes = []
    for c in range(k):
        members = np.flatnonzero(km.labels_ == c)
        if len(members) < min_size:
            continue
        centroid = emb[members].mean(axis=0)
        centroid /= np.linalg.norm(centroid) + 1e-9
        sims = emb[members] @ centroid
        cohesion = float(sims.mean())
        order = members[np.argsort(-sims)]
        others = [texts[i] for i in range(n) if km.labels_[i] != c]
        ranked = distinctive_terms([texts[i] for i in members], others, top=12)
        words = ranked[:6]
        content = content_words(ranked)[:6]
        quotes = []
        for i in order:
            if texts[i] not in quotes:
                quotes.append(texts[i])
            if len(quotes) == 3:
                break
        themes.append({
            "label": ", ".join(content[:3] or words[:3]) or f"theme {c + 1}",
            "keywords": words,
            "content_words": content,
            "quotes": quotes,
            "examples": quotes,
            "excerpt_ids": [ids[i] for i in order],
            "size": int(len(members)),
            "cohesion": round(cohesion, 3),
            "_rank": cohesion * math.log(1 + len(members)),
        })
    themes.sort(key=lambda t: -t["_rank"])
    for t in themes:
        t.pop("_rank")
    return themes[:max_themes]

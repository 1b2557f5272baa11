"""Theme discovery: cluster the excerpts no code covers into candidate themes.

k-means on the normalised embeddings (cosine geometry), several more clusters than
themes wanted; a cluster becomes a candidate when it has at least ``min_size`` excerpts.
Candidates are ranked by cohesion (mean similarity to the centroid) times log size, and
labelled with the words that set them apart from the other uncovered excerpts.

>>> themes = cluster_themes(texts, emb, ids, min_size=5, max_themes=5)  # doctest: +SKIP
>>> themes[0]["keywords"], themes[0]["quotes"][0]                       # doctest: +SKIP
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from qualcode.suggest.keywords import distinctive_terms


def cluster_themes(texts: Sequence[str], emb: np.ndarray, ids: Sequence[Any], *, min_size: int = 5,
                   max_themes: int = 8, seed: int = 0) -> list[dict[str, Any]]:
    """Candidate themes: dicts with label, keywords, quotes, excerpt_ids, size, cohesion."""
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
        words = distinctive_terms([texts[i] for i in members], others, top=6)
        quotes = []
        for i in order:
            if texts[i] not in quotes:
                quotes.append(texts[i])
            if len(quotes) == 3:
                break
        themes.append({
            "label": ", ".join(words[:3]) or f"theme {c + 1}",
            "keywords": words,
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

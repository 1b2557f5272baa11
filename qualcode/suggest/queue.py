"""Which excerpts to offer for review next: the ones that teach the model most.

Priority of an excerpt = max over codes of
    uncertainty (score near the 0.5 threshold: 1 - |2s - 1|)
  + coverage (likely positive for a code the coder has few examples of: s / sqrt(1 + n_pos))
Then a greedy pass for diversity: each pick lowers the priority of excerpts similar to it
(maximal marginal relevance), so one batch does not hold ten near-copies.

>>> import numpy as np
>>> S = np.array([[0.5, 0.1], [0.99, 0.0], [0.0, 0.0]])
>>> smart_order(S, np.eye(3), np.array([5, 5]), limit=2)[0]
0
"""

from __future__ import annotations

import numpy as np

DIVERSITY = 0.5


def priority(S: np.ndarray, n_pos: np.ndarray) -> np.ndarray:
    """Per excerpt: how much reviewing it would teach (uncertainty + codebook coverage)."""
    if S.size == 0:
        return np.zeros(S.shape[0])
    unc = 1.0 - np.abs(2.0 * S - 1.0)
    cover = S / np.sqrt(1.0 + np.asarray(n_pos, dtype=float))[None, :]
    return (unc + cover).max(axis=1)


def smart_order(S: np.ndarray, emb: np.ndarray, n_pos: np.ndarray, *, limit: int = 50,
                diversity: float = DIVERSITY) -> list[int]:
    """Row indices in review order (at most ``limit``)."""
    n = S.shape[0]
    if n == 0 or limit <= 0:
        return []
    pr = priority(S, n_pos)
    pool = np.argsort(-pr)[: min(n, max(limit * 5, limit))]
    P = pr[pool].astype(np.float64)
    E = emb[pool]
    max_sim = np.zeros(len(pool))
    chosen: list[int] = []
    alive = np.ones(len(pool), dtype=bool)
    for _ in range(min(limit, len(pool))):
        val = np.where(alive, P - diversity * max_sim, -np.inf)
        k = int(np.argmax(val))
        chosen.append(int(pool[k]))
        alive[k] = False
        max_sim = np.maximum(max_sim, E @ E[k])
    return chosen
